/**
 * The package's subpath exports (package.json "exports") as a Node user imports them: each
 * loads, the lean ones (format, measure, firmware, node) load no certificate code and install no
 * global polyfill (reflect-metadata defines `Reflect.getMetadata`), and on Node the measuring
 * subpaths hash with node:crypto, not the portable fallback. Runs the built package (dist/) in
 * child processes, as a consumer would; `npm run build` makes it (CI builds through `npm ci`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

const BUILT = existsSync(join(REPO_ROOT, 'dist/src/index.js'));
if (!BUILT) console.warn('[skip] exports: dist/ not built; run npm run build');

/** What importing `specifier` in a fresh Node process did. */
function probe(specifier: string): { exports: string[]; reflect: boolean; peculiar: boolean; hash: string | null } {
  const script = `
    const m = await import(${JSON.stringify(specifier)});
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache ?? {});
    const hd = await import('igvm-measure/measure');
    console.log(JSON.stringify({
      exports: Object.keys(m),
      reflect: typeof Reflect.getMetadata === 'function',
      peculiar: loaded.some((p) => p.includes('@peculiar')),
      hash: 'defaultHashBackend' in m ? m.defaultHashBackend.name : null,
    }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })) as ReturnType<typeof probe>;
}

describe.skipIf(!BUILT)('subpath exports', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; sideEffects: unknown };

  it('names every layer and marks side effects explicitly', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './evidence', './firmware', './format', './measure', './node', './package.json', './pki', './sign']);
    expect(Array.isArray(pkg.sideEffects)).toBe(true);
  });

  for (const sub of ['format', 'measure', 'firmware', 'node']) {
    it(`igvm-measure/${sub} loads no certificate code and no global polyfill`, () => {
      const r = probe(`igvm-measure/${sub}`);
      expect(r.exports.length).toBeGreaterThan(3);
      expect(r.reflect).toBe(false);
      expect(r.peculiar).toBe(false);
    });
  }

  it('igvm-measure/format exports parseIgvm; igvm-measure/node exports measureFile', () => {
    expect(probe('igvm-measure/format').exports).toContain('parseIgvm');
    expect(probe('igvm-measure/node').exports).toContain('measureFile');
  });

  it('igvm-measure/measure on Node hashes with node:crypto', () => {
    expect(probe('igvm-measure/measure').hash).toBe('node:crypto');
  });

  it('igvm-measure/evidence and /sign load (with the X.509 code they need)', () => {
    const evidence = probe('igvm-measure/evidence');
    expect(evidence.exports).toContain('verifyEvidence');
    // The probe sees certificate code when it is loaded (so the lean checks above can fail).
    expect(evidence.peculiar).toBe(true);
    expect(evidence.reflect).toBe(true);
    expect(probe('igvm-measure/sign').exports.length).toBeGreaterThan(3);
  });
});
