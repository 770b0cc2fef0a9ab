/**
 * `node bench/cca.mjs` (after `npm run build`): the Arm CCA lane (measure/cca-batch.ts, its
 * worker split in node/pipeline.ts) as ratios to the raw hash speed measured in the same run,
 * and as whole processes against `openssl dgst`. Writes the "Arm CCA" section of
 * bench/RESULTS.md (bench.mjs keeps it).
 *
 * Files: 256 MiB of distinct measured pages (bench/make-file.mjs) under one CCA platform whose
 * realm hash is SHA-256, SHA-384 or SHA-512. Per 4 KiB granule the lane hashes the granule
 * (parallel: on workers and a share of the main thread) and one 256-byte DATA descriptor (in
 * order, on the main thread), so 6.25% more bytes than the data go through the hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIgvmSource } from './lib.mjs';
import { openFileSource } from '../dist/src/node/file-source.js';
import { KernelPool, measureParallel } from '../dist/src/node/measure-file.js';
import { buildCcaBenchFile } from './make-file.mjs';
import { MiB, fmt, log, median, mibps, processRun, time as timeRuns } from './util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
const RUNS = 5;
const time = (fn, runs = RUNS) => timeRuns(fn, runs);
const cli = join(here, '..', 'dist', 'src', 'cli', 'main.js');

mkdirSync(out, { recursive: true });
const dataBytes = 256 * MiB;
const ALGS = [
  { name: 'SHA-256', node: 'sha256', code: 0 },
  { name: 'SHA-384', node: 'sha384', code: 2 },
  { name: 'SHA-512', node: 'sha512', code: 1 },
];
const buf = new Uint8Array(dataBytes).fill(0x5a);
const rows = [];
const procRows = [];
const pool = KernelPool.start(Math.max(1, os.availableParallelism() - 1));
await pool.ready;
try {
  for (const a of ALGS) {
    const path = join(out, `bench-cca-${a.node}-256m.igvm`);
    if (!existsSync(path)) {
      log(`building ${path}...`);
      buildCcaBenchFile(path, 256, a.code);
    }
    const raw = mibps(dataBytes, await time(() => createHash(a.node).update(buf).digest()));
    const source = openFileSource(path);
    try {
      const file = parseIgvmSource(source);
      const lane = await time(() => measureParallel(file, { platform: 'cca', pool }));
      const single = await time(() => measureParallel(file, { platform: 'cca', threads: 1 }), 3);
      rows.push({ a, raw, lane, single });
      log(`${a.name}: raw ${fmt(raw)} MiB/s; lane ${fmt(lane)} ms (${fmt(mibps(dataBytes, lane) / raw, 2)}x raw); one thread ${fmt(single)} ms`);
    } finally {
      source.close();
    }
    const ossl = [];
    const meas = [];
    for (let i = 0; i < RUNS; i++) {
      ossl.push(processRun(['openssl', 'dgst', `-${a.node}`, path]));
      meas.push(processRun([cli, 'measure', '--platform', 'cca', path]));
    }
    const o = median(ossl.map((r) => r.wall));
    const m = median(meas.map((r) => r.wall));
    const rss = Math.max(...meas.map((r) => r.rss));
    // A claim that matches no convention: compare computes the RIM, then the whole search.
    const search = a.node === 'sha256' ? median([0, 1, 2].map(() => processRun([cli, 'compare', path, '--platform', 'cca', '--measurement', 'ab'.repeat(32)], {}, [3]).wall)) : undefined;
    procRows.push({ a, o, m, rss, search });
    log(`${a.name}: openssl dgst ${fmt(o)} ms, measure --platform cca ${fmt(m)} ms (${fmt(o / m, 2)}x), ${fmt(rss)} MiB`);
  }
} finally {
  await pool.close();
}

const md = `
## Arm CCA

\`node bench/cca.mjs\` (${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} threads; medians of ${RUNS} runs).
A 256 MiB file of distinct measured pages under one CCA platform per realm hash. The lane
hashes every granule (on ${Math.max(1, os.availableParallelism() - 1)} worker(s) plus a share of the main thread) and chains one 256-byte
DATA descriptor per granule in order; the descriptors add 6.25% to the bytes hashed. "vs raw"
is the file's data over the lane's time, divided by one-shot single-thread speed of the same
hash over 256 MiB, measured in the same run.

| realm hash | raw one-shot | lane (parsed file, workers started) | vs raw | one thread |
|---|---|---|---|---|
${rows.map((r) => `| ${r.a.name} | ${fmt(r.raw)} MiB/s | ${fmt(r.lane)} ms (${fmt(mibps(dataBytes, r.lane))} MiB/s) | ${fmt(mibps(dataBytes, r.lane) / r.raw, 2)}x | ${fmt(r.single)} ms |`).join('\n')}

Whole processes (/usr/bin/time, startup included):

| realm hash | openssl dgst | measure --platform cca | ratio | peak RSS |
|---|---|---|---|---|
${procRows.map((r) => `| ${r.a.name} | ${fmt(r.o)} ms | ${fmt(r.m)} ms | ${fmt(r.o / r.m, 2)}x | ${fmt(r.rss)} MiB |`).join('\n')}

\`compare FILE --platform cca --measurement CLAIM\` with a claim no convention reproduces (the RIM,
then the search over 24 convention choices: each granule hashed once, each choice one pass of the
descriptor chain), SHA-256 realm: ${fmt(procRows.find((r) => r.search !== undefined)?.search ?? NaN)} ms (median of 3).
`;
// Replace this section in RESULTS.md, before "## Browser", keeping the rest.
const resultsPath = join(here, 'RESULTS.md');
const previous = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const start = previous.indexOf('\n## Arm CCA');
const browser = previous.indexOf('\n## Browser');
const before = start >= 0 ? previous.slice(0, start) : browser >= 0 ? previous.slice(0, browser) : previous;
const after = browser >= 0 ? previous.slice(browser) : '';
writeFileSync(resultsPath, `${before.trimEnd()}\n${md}${after}`);
log('wrote the "Arm CCA" section of bench/RESULTS.md');
