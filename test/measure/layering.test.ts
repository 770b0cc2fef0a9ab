/**
 * The import rules of DESIGN.md ("Shape", the folder table, and "Conventions": a browser-usable
 * core): `format/` imports nothing of ours, `measure/` only `format/`, `firmware/` only
 * `format/` and `measure/` (it produces launch steps; measure folds them), and `node:` modules
 * are imported only under `src/node/` and `src/cli/` (hash backends are injected,
 * src/node/backends.ts). The expectations are the design's table, not anything the code says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

const SRC = join(REPO_ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

/** The top-level folder under src/ a relative specifier of `from` lands in ('' for src/ itself). */
function layerOf(from: string, spec: string): string {
  const target = relative(SRC, join(from, '..', spec));
  return target.includes('/') ? target.split('/')[0]! : '';
}

const ALLOWED: Record<string, readonly string[]> = {
  format: ['format'],
  measure: ['measure', 'format'],
  firmware: ['firmware', 'format', 'measure'],
};

describe('layering (DESIGN.md folder table)', () => {
  const files = sources(SRC);

  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`src/${layer}/ imports only ${allowed.filter((l) => l !== layer).join(' and ') || 'nothing of ours'}`, () => {
      const bad: string[] = [];
      for (const f of files.filter((f) => relative(SRC, f).startsWith(`${layer}/`))) {
        for (const s of specifiers(f)) {
          if (s.startsWith('.') && !allowed.includes(layerOf(f, s))) bad.push(`${relative(REPO_ROOT, f)} → ${s}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('node: modules only under src/node/ and src/cli/', () => {
    const bad: string[] = [];
    for (const f of files) {
      const where = relative(SRC, f);
      if (where.startsWith('node/') || where.startsWith('cli/')) continue;
      for (const s of specifiers(f)) if (s.startsWith('node:')) bad.push(`${relative(REPO_ROOT, f)} → ${s}`);
    }
    expect(bad).toEqual([]);
  });
});
