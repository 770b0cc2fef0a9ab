/**
 * What `npm pack` would publish: the built library, the CLI, the native sources and prebuilds,
 * README and LICENSE, and nothing of the repository's own (tests, fixtures, bench, CI, build
 * directories, TypeScript sources). Every export and the bin resolve to a packed file, and the
 * source maps carry their sources (a map that points at unshipped .ts files helps nobody).
 * The rules are npm's (package.json "files", docs.npmjs.com "package.json"); `npm pack
 * --dry-run` lists what it would pack.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

const BUILT = existsSync(join(REPO_ROOT, 'dist/src/index.js'));
if (!BUILT) console.warn('[skip] package contents: dist/ not built; run npm run build');

interface Pkg {
  license?: string;
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
  engines?: { node?: string };
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  scripts: Record<string, string>;
}

describe.skipIf(!BUILT)('npm pack contents', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Pkg;
  const packed = (): string[] => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  };
  let files: string[] | undefined;
  const list = (): string[] => (files ??= packed());

  it('ships the library, the CLI, README and LICENSE', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'native/igvm_hash.c', 'binding.gyp', 'scripts/build-native.mjs']) {
      expect(list()).toContain(f);
    }
  });

  it('ships nothing of the repository itself', () => {
    const bad = list().filter((f) => /^(test|bench|vectors|\.ci|build|src|node_modules|web)\//.test(f) || f.startsWith('dist/vectors') || f.endsWith('.tsbuildinfo') || f.endsWith('.igvm'));
    expect(bad).toEqual([]);
  });

  it('resolves the bin and every export to a packed file', () => {
    const targets = [...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
    for (const t of targets) expect(list()).toContain(t.replace(/^\.\//, ''));
  });

  it('ships source maps with their sources', () => {
    const maps = list().filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const m of maps.filter((_, i) => i % 25 === 0)) {
      const map = JSON.parse(readFileSync(join(REPO_ROOT, m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
    }
  });

  it('names its license, repository, homepage, bugs and Node version; building is not a consumer install step', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.repository).toBeDefined();
    expect(pkg.homepage).toBeDefined();
    expect(pkg.bugs).toBeDefined();
    expect(pkg.engines?.node).toBe('>=20.19');
    // npm runs "prepare" only in the package's own checkout and for git installs; the
    // TypeScript build must not be in "install"/"postinstall", which run for every consumer.
    expect(`${pkg.scripts.install ?? ''} ${pkg.scripts.postinstall ?? ''}`).not.toMatch(/tsc|npm run build/);
  });
});
