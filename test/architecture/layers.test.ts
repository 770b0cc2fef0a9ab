/**
 * The layering of ARCHITECTURE.md, enforced: every import in src/ is checked against the table
 * of which layer may import which (data flows one way: format → measure → firmware; pki →
 * evidence / sign → node → cli), `node:` modules stay in the Node adapters and the CLI, and the
 * certificate and CBOR libraries stay in the layers that own them. A wrong import fails here,
 * with the file, the line and the rule it breaks. The rules are the design's (the lead's
 * DESIGN.md table), not read from the code they check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

/** Layer → the layers of ours it may import (itself always allowed). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  format: [],
  measure: ['format'],
  firmware: ['format', 'measure'],
  pki: ['format'],
  evidence: ['format', 'measure', 'pki'],
  sign: ['format', 'measure', 'pki'],
  node: ['format', 'measure', 'firmware', 'pki', 'evidence', 'sign'],
  cli: ['format', 'measure', 'firmware', 'pki', 'evidence', 'sign', 'node', 'root'],
  root: ['format', 'measure', 'firmware', 'pki', 'evidence', 'sign', 'node'],
};

/** Layers that may import `node:` modules: the Node adapters and the CLI. */
const NODE_BUILTINS_ALLOWED = new Set(['node', 'cli']);

/** Third-party packages and the layers that own them (any other layer must go through them). */
const PACKAGE_OWNERS: ReadonlyArray<readonly [RegExp, ReadonlySet<string>]> = [
  [/^@peculiar\//, new Set(['pki', 'sign'])],
  [/^reflect-metadata$/, new Set(['pki'])],
  [/^cbor2(\/|$)/, new Set(['sign'])],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `format`, `measure`, … for a file under src/<layer>/; `root` for src/*.ts. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? 'root' : rel[0]!;
}

interface Import {
  readonly specifier: string;
  readonly line: number;
}

/** Static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')`. */
function importsOf(text: string): Import[] {
  const out: Import[] = [];
  const re = /(?<=^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?<=^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const specifier = m[1] ?? m[2] ?? m[3]!;
    out.push({ specifier, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

const files = sourceFiles(SRC);

describe('layering (ARCHITECTURE.md)', () => {
  it('finds the source tree and its imports', () => {
    // Guards the test itself: an empty scan would make every rule below pass vacuously.
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf("import { a } from './x.js';\nexport * from '../y.js';\nimport 'z';\nawait import('w');").map((i) => i.specifier)).toEqual(['./x.js', '../y.js', 'z', 'w']);
  });

  it('every import of ours goes down the layers', () => {
    const problems: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      const allowed = MAY_IMPORT[layer];
      if (allowed === undefined) {
        problems.push(`${relative(SRC, file)}: layer '${layer}' is not in the table`);
        continue;
      }
      for (const imp of importsOf(readFileSync(file, 'utf8'))) {
        if (!imp.specifier.startsWith('.')) continue;
        const target = layerOf(resolve(file, '..', imp.specifier));
        if (target !== layer && !allowed.includes(target)) {
          problems.push(`${relative(SRC, file)}:${imp.line}: ${layer} may not import ${target} ('${imp.specifier}')`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('node: modules only in src/node/ and src/cli/', () => {
    const problems: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      if (NODE_BUILTINS_ALLOWED.has(layer)) continue;
      for (const imp of importsOf(readFileSync(file, 'utf8'))) {
        if (imp.specifier.startsWith('node:')) problems.push(`${relative(SRC, file)}:${imp.line}: '${imp.specifier}' outside src/node and src/cli`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('certificate and CBOR libraries only in the layers that own them', () => {
    const problems: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      for (const imp of importsOf(readFileSync(file, 'utf8'))) {
        for (const [pattern, owners] of PACKAGE_OWNERS) {
          if (pattern.test(imp.specifier) && !owners.has(layer)) problems.push(`${relative(SRC, file)}:${imp.line}: '${imp.specifier}' belongs to ${[...owners].join('/')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('file shape (ARCHITECTURE.md "Conventions")', () => {
  it('no source file is over 600 lines', () => {
    const long = files.map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 600);
    expect(long).toEqual([]);
  });

  it('every source file opens with a comment that says what it holds', () => {
    const bare = files.filter((f) => !/^(#!.*\n)?\s*\/\*\*/.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
    expect(bare).toEqual([]);
  });

  it('comments cite spec sections, not tracker labels', () => {
    const labels: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\bissues? \d+\b|\(issue[:)]/i.test(line)) labels.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(labels).toEqual([]);
  });
});
