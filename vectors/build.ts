/**
 * Writes the project's own sample IGVM files to `vectors/out/` (run by `npm run build`).
 * Usage: node dist/vectors/build.js [OUTDIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCapiTestFile, buildSampleFile, buildSpec153File } from './samples.js';

// dist/vectors/build.js -> <repo>/vectors/out
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(process.argv[2] ?? join(repo, 'vectors', 'out'));
mkdirSync(out, { recursive: true });
const files: Record<string, Uint8Array> = {
  'sample.igvm': buildSampleFile(),
  'capi-test.igvm': buildCapiTestFile(),
  'spec-15-3.igvm': buildSpec153File(),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
process.stdout.write(`wrote ${Object.keys(files).length} sample files to ${out}\n`);
