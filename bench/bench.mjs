/**
 * `npm run bench`: throughput of the measurement hot loops, as ratios to the raw hash speed
 * measured in the same run (issue: hot loop). Writes bench/RESULTS.md.
 *
 *   1. builds (once) a 256 MiB and a 1 GiB IGVM file with SEV_SNP, TDX and VSM_ISOLATION
 *      platforms whose pages are all distinct and measured (bench/make-file.mjs);
 *   2. raw node:crypto one-shot SHA-384 and SHA-256 over a 256 MiB buffer;
 *   3. SNP, TDX, VBS separately, then all three at once, on the parsed 256 MiB file, through
 *      the same streaming, multi-threaded pipeline the CLI uses (workers started beforehand);
 *   4. per-page micro-benchmarks (the `benchmark` package) and the call patterns considered;
 *   5. the CLI as a whole process on both files: wall time and peak RSS.
 * Every figure is the median of 5 runs (3 for the 1 GiB process runs).
 */
import { spawnSync } from 'node:child_process';
import { createHash, hash as cryptoHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import {
  SnpLaunchDigest,
  TdxMrtd,
  VbsBootDigest,
  defaultKernels,
  nodeHashBackendForBench,
  parseIgvmSource,
} from './lib.mjs';
import { openFileSource } from '../dist/src/node/file-source.js';
import { KernelPool, measureParallel } from '../dist/src/node/measure-file.js';
import { buildBenchFile } from './make-file.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
const MiB = 1024 * 1024;
const RUNS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn, runs = RUNS) {
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}
const mibps = (bytes, ms) => bytes / MiB / (ms / 1000);
const fmt = (x, d = 0) => x.toFixed(d);
const log = (s) => process.stdout.write(`${s}\n`);

function ensureFile(name, mib) {
  const path = join(out, name);
  if (!existsSync(path)) {
    log(`building ${path} (${mib} MiB of distinct pages)...`);
    buildBenchFile(path, mib);
  }
  return path;
}

mkdirSync(out, { recursive: true });
const file256 = ensureFile('bench-256m.igvm', 256);
const file1g = ensureFile('bench-1g.igvm', 1024);
const dataBytes = 256 * MiB;

// ---- raw hash speed -----------------------------------------------------------------------
const buf = randomBytes(dataBytes);
const raw384 = mibps(dataBytes, await time(() => createHash('sha384').update(buf).digest()));
const raw256 = mibps(dataBytes, await time(() => createHash('sha256').update(buf).digest()));
log(`raw SHA-384 ${fmt(raw384)} MiB/s, raw SHA-256 ${fmt(raw256)} MiB/s`);

// ---- the pipeline on the parsed 256 MiB file -------------------------------------------------
const pool = KernelPool.start();
const source = openFileSource(file256);
const parseMs = await time(() => parseIgvmSource(source));
const file = parseIgvmSource(source);
await measureParallel(file, { pool }); // warm-up
const platformMs = {};
for (const platform of ['snp', 'tdx', 'vbs', 'all']) {
  platformMs[platform] = await time(() => measureParallel(file, { platform, pool }));
  log(`${platform}: ${fmt(platformMs[platform])} ms, ${fmt(mibps(dataBytes, platformMs[platform]))} MiB/s`);
}
await pool.close();
source.close();

// ---- per-page micro-benchmarks and call patterns ----------------------------------------------
const page = randomBytes(4096);
const hash = nodeHashBackendForBench;
const snpModel = new SnpLaunchDigest(hash);
const tdxModel = new TdxMrtd(hash);
const vbsModel = new VbsBootDigest(hash);
const batchPages = randomBytes(1024 * 4096);
const slots = Int32Array.from({ length: 1024 }, (_, i) => i);
const gpas = BigUint64Array.from({ length: 1024 }, (_, i) => BigInt(i * 4096));
const outHashes = new Uint8Array(48 * 1024);
const tdxState = defaultKernels.tdxNew();
const ones = new Uint8Array(1024).fill(1);
const zeros = new Uint8Array(1024);
const vbsDigest = new Uint8Array(32);
const tdxStream = createHash('sha384');
const header = Buffer.alloc(128);
const micro = [];
await new Promise((resolve) => {
  new Benchmark.Suite()
    .add('SNP step, reference model (SHA-384 of the page + PAGE_INFO)', () => snpModel.pageInfo('NORMAL', 0x1000n, hash.sha384(page)))
    .add('TDX page, reference model (MEM.PAGE.ADD + 16 MR.EXTEND)', () => {
      tdxModel.pageAdd(0x1000n);
      tdxModel.extendPage(0x1000n, page);
    })
    .add('VBS page record, reference model', () => vbsModel.gpaPage(1n, 0, page))
    .add(`SNP page hash, ${defaultKernels.name} kernel (per page of a 1024-page batch)`, () => defaultKernels.sha384Slots(batchPages, slots, outHashes))
    .add(`TDX page, ${defaultKernels.name} kernel (per page of a 1024-page batch)`, () => defaultKernels.tdxPages(tdxState, batchPages, slots, gpas, ones))
    .add(`VBS page, ${defaultKernels.name} kernel (per page of a 1024-page batch)`, () => defaultKernels.vbsPages(vbsDigest, batchPages, slots, gpas, zeros))
    .add('call pattern: crypto.hash(sha384) per 4 KiB page', () => cryptoHash('sha384', page, 'buffer'))
    .add('call pattern: createHash(sha384) per 4 KiB page', () => createHash('sha384').update(page).digest())
    .add('call pattern: TDX page as 33 updates of one long-lived hash', () => {
      tdxStream.update(header);
      for (let k = 0; k < 16; k++) {
        tdxStream.update(header);
        tdxStream.update(page.subarray(k * 256, k * 256 + 256));
      }
    })
    .on('cycle', (e) => {
      const t = e.target;
      const perBatch = t.name.includes('kernel');
      const usPerPage = (1e6 / t.hz) / (perBatch ? 1024 : 1);
      micro.push({ name: t.name, usPerPage });
      log(`${t.name}: ${fmt(usPerPage, 2)} µs/page`);
    })
    .on('complete', resolve)
    .run({ async: false });
});

// ---- the CLI as a whole process -----------------------------------------------------------------
const cli = join(here, '..', 'dist', 'src', 'cli', 'main.js');
const haveTime = existsSync('/usr/bin/time');
// The executable itself, as a user runs it (its interpreter line sets the V8 heap flags).
function processRun(path) {
  const args = ['measure', '--platform', 'all', path];
  const t = performance.now();
  const r = haveTime ? spawnSync('/usr/bin/time', ['-f', '%M', cli, ...args], { encoding: 'utf8' }) : spawnSync(cli, args, { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`igvm-measure failed: ${r.stderr}`);
  const rss = haveTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : NaN;
  return { wall, rss };
}
const procs = {};
for (const [label, path, runs] of [
  ['256 MiB', file256, RUNS],
  ['1 GiB', file1g, 3],
]) {
  const rs = Array.from({ length: runs }, () => processRun(path));
  procs[label] = { wall: median(rs.map((r) => r.wall)), rss: Math.max(...rs.map((r) => r.rss)), size: statSync(path).size };
  log(`process, ${label}: ${fmt(procs[label].wall)} ms wall, ${fmt(procs[label].rss)} MiB peak RSS`);
}

// ---- results ------------------------------------------------------------------------------------
const ratio = {
  snp: mibps(dataBytes, platformMs.snp) / raw384,
  tdx: mibps(dataBytes, platformMs.tdx) / raw384,
  vbs: mibps(dataBytes, platformMs.vbs) / raw256,
  all: platformMs.all / (platformMs.snp + platformMs.tdx + platformMs.vbs),
};
const UPSTREAM_256_MS = 2940; // the issue's calibration: upstream crate, same kind of machine
const speedup = UPSTREAM_256_MS / procs['256 MiB'].wall;
const row = (what, value, target, ok) => `| ${what} | ${value} | ${target} | ${ok ? 'met' : '**not met**'} |`;
const cpu = os.cpus()[0];
const md = `# Benchmark results

Produced by \`npm run bench\` (bench/bench.mjs) on ${new Date().toISOString().slice(0, 10)}. Ratios compare
with the raw hash speed measured in the same run; every figure is the median of ${RUNS} runs
(3 for the 1 GiB process).

## Machine

| | |
|---|---|
| CPU | ${cpu?.model ?? 'unknown'}, ${os.availableParallelism()} cores |
| memory | ${fmt(os.totalmem() / 2 ** 30, 1)} GiB |
| OS | ${os.type()} ${os.release()} |
| Node | ${process.version}, OpenSSL ${process.versions.openssl} |
| kernels | ${defaultKernels.name} |

## Targets

Where a target is not met, bench/PROFILE.md shows where the time goes and what was tried.

| what | measured | target | |
|---|---|---|---|
${[
  row('SNP, 256 MiB, vs raw single-thread SHA-384', `${fmt(ratio.snp, 2)}x (${fmt(mibps(dataBytes, platformMs.snp))} MiB/s)`, '≥ 1.3x', ratio.snp >= 1.3),
  row('TDX, 256 MiB of data, vs raw SHA-384', `${fmt(ratio.tdx, 2)}x (${fmt(mibps(dataBytes, platformMs.tdx))} MiB/s)`, '≥ 0.6x (ceiling 0.67)', ratio.tdx >= 0.6),
  row('VBS, 256 MiB, vs raw SHA-256', `${fmt(ratio.vbs, 2)}x (${fmt(mibps(dataBytes, platformMs.vbs))} MiB/s)`, '≥ 0.85x', ratio.vbs >= 0.85),
  row('all three at once vs the sum of the three', `${fmt(ratio.all, 2)}x (${fmt(platformMs.all)} ms vs ${fmt(platformMs.snp + platformMs.tdx + platformMs.vbs)} ms)`, '≤ 0.75x', ratio.all <= 0.75),
  row('whole process, 256 MiB, --platform all, vs upstream (2.94 s)', `${fmt(speedup, 2)}x (${fmt(procs['256 MiB'].wall)} ms)`, '≥ 2x', speedup >= 2),
  row('peak RSS, 1 GiB file', `${fmt(procs['1 GiB'].rss)} MiB`, '< 160 MiB', procs['1 GiB'].rss < 160),
].join('\n')}

## Details

| | |
|---|---|
| raw SHA-384 (one-shot, 256 MiB) | ${fmt(raw384)} MiB/s |
| raw SHA-256 (one-shot, 256 MiB) | ${fmt(raw256)} MiB/s |
| parse the 256 MiB file (65,536 pages) | ${fmt(parseMs)} ms |
${['snp', 'tdx', 'vbs', 'all'].map((p) => `| measure --platform ${p} (parsed file, workers started) | ${fmt(platformMs[p])} ms |`).join('\n')}
${Object.entries(procs).map(([l, p]) => `| whole process, ${l} (${p.size} bytes) | ${fmt(p.wall)} ms wall, ${fmt(p.rss)} MiB peak RSS |`).join('\n')}

## Per page

| | µs per page |
|---|---|
${micro.map((m) => `| ${m.name} | ${fmt(m.usPerPage, 2)} |`).join('\n')}
`;
writeFileSync(join(here, 'RESULTS.md'), md);
log(`\nwrote bench/RESULTS.md`);
