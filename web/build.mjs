/**
 * Builds the page into web/dist: index.html, igvm-measure.js (the page script, with the worker
 * script inlined as a string) and igvm-evidence.js (the evidence and certificate code, loaded
 * only when evidence is given). Every script is a classic script (IIFE), not an ES module, and
 * workers start from blob URLs: Chromium refuses module scripts, dynamic import() and worker
 * script URLs on file:// pages, and the page must work when opened from disk. The library is
 * imported through the package's subpath exports with the browser conditions (no "node"), so
 * src/node is never bundled. Prints the sizes, raw and gzipped.
 * Usage: node web/build.mjs [--quiet]
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');

const common = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
};

async function bundle(entry, extra = {}) {
  const r = await build({ ...common, entryPoints: [join(here, 'src', entry)], ...extra });
  return r.outputFiles[0].text;
}

export async function buildPage() {
  mkdirSync(out, { recursive: true });
  const worker = await bundle('worker.ts');
  const evidence = await bundle('evidence-entry.ts');
  const app = await bundle('app.ts', { define: { __WORKER_SOURCE__: JSON.stringify(worker) } });
  writeFileSync(join(out, 'igvm-measure.js'), app);
  // The worker evaluates this source itself (importScripts of a blob URL); the page only carries it.
  writeFileSync(join(out, 'igvm-evidence.js'), `window.IGVM_EVIDENCE_SOURCE=${JSON.stringify(evidence)};\n`);
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  const size = (s) => ({ raw: Buffer.byteLength(s), gzip: gzipSync(s, { level: 9 }).length });
  return { initial: size(app), worker: size(worker), evidence: size(evidence), dir: out };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await buildPage();
  if (!process.argv.includes('--quiet')) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`web/dist/igvm-measure.js   ${kb(s.initial.raw)} (${kb(s.initial.gzip)} gzipped; the worker inside: ${kb(s.worker.raw)}, ${kb(s.worker.gzip)} gzipped)`);
    console.log(`web/dist/igvm-evidence.js  ${kb(s.evidence.raw)} (${kb(s.evidence.gzip)} gzipped), loaded when evidence is given`);
  }
}
