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
 *   5. whole processes as a user runs them, startup included: node -e 0, inspect of the sample,
 *      openssl dgst over the 256 MiB file, and measure per platform, with the native kernels and
 *      with the JS ones, in interleaved rounds; and the 1 GiB file's peak RSS.
 * Every figure is the median of 5 runs (3 for the 1 GiB process runs).
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, hash as cryptoHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
import { MiB, fmt, log, median, mibps, processRun, time as timeRuns } from './util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
const RUNS = 5;
const time = (fn, runs = RUNS) => timeRuns(fn, runs);

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
// What a user or a release pipeline meets: the executable started from the shell, startup
// included, against `openssl dgst` reading the same file (also a whole process). Commands run
// in interleaved rounds, so that a change in machine load affects every command alike.
const cli = join(here, '..', 'dist', 'src', 'cli', 'main.js');
const sample = join(here, '..', 'vectors', 'out', 'sample.igvm');
const JS = { IGVM_MEASURE_NO_NATIVE: '1' };
const commands = [
  ['node -e 0', [process.execPath, '-e', '0']],
  ['inspect sample.igvm (17 KB)', [cli, 'inspect', sample]],
  ['openssl dgst -sha384, 256 MiB', ['openssl', 'dgst', '-sha384', file256]],
  ['openssl dgst -sha256, 256 MiB', ['openssl', 'dgst', '-sha256', file256]],
  ...['snp', 'tdx', 'vbs'].flatMap((p) => [
    [`measure --platform ${p}, 256 MiB`, [cli, 'measure', '--platform', p, file256]],
    [`measure --platform ${p}, 256 MiB, JS kernels`, [cli, 'measure', '--platform', p, file256], JS],
  ]),
  ['measure --platform all --json, 256 MiB', [cli, 'measure', '--platform', 'all', '--json', file256]],
  ['measure --platform all --json, 256 MiB, JS kernels', [cli, 'measure', '--platform', 'all', '--json', file256], JS],
];
const samples = new Map(commands.map(([label]) => [label, []]));
for (let round = 0; round < RUNS; round++) {
  for (const [label, argv, env] of commands) samples.get(label).push(processRun(argv, env));
}
const procs = {};
for (const [label, rs] of samples) {
  procs[label] = { wall: median(rs.map((r) => r.wall)), rss: Math.max(...rs.map((r) => r.rss)) };
  log(`process, ${label}: ${fmt(procs[label].wall)} ms wall, ${fmt(procs[label].rss)} MiB peak RSS`);
}
// The 1 GiB file: measuring it, and rewriting it (sign adds an ID block, embed a CoRIM with its
// digest check), which copies the page data in bounded chunks and measures what it wrote.
const rewriteKey = join(out, 'bench-id.pem');
writeFileSync(rewriteKey, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
const rewriteCorim = join(out, 'bench-snp.cbor');
spawnSync(cli, ['reference', file1g, '--format', 'corim', '--platform', 'snp', '-o', rewriteCorim], { stdio: 'ignore' });
const rewritten = join(out, 'bench-rewritten.igvm');
const bigCommands = [
  ['measure --platform all --json, 1 GiB', [cli, 'measure', '--platform', 'all', '--json', file1g]],
  ['measure --platform snp, 1 GiB', [cli, 'measure', '--platform', 'snp', file1g]],
  ['sign --id-key, 1 GiB', [cli, 'sign', file1g, '-o', rewritten, '--id-key', rewriteKey]],
  ['embed --corim, 1 GiB', [cli, 'embed', file1g, '--corim', rewriteCorim, '-o', rewritten]],
];
const bigSamples = new Map(bigCommands.map(([label]) => [label, []]));
for (let round = 0; round < 3; round++) {
  for (const [label, argv] of bigCommands) {
    bigSamples.get(label).push(processRun(argv));
    rmSync(rewritten, { force: true });
  }
}
for (const [label, rs] of bigSamples) {
  procs[label] = { wall: median(rs.map((r) => r.wall)), rss: Math.max(...rs.map((r) => r.rss)) };
  log(`process, ${label}: ${fmt(procs[label].wall)} ms wall, ${fmt(procs[label].rss)} MiB peak RSS`);
}
rmSync(rewriteKey, { force: true });
rmSync(rewriteCorim, { force: true });
const wall = (label) => procs[label].wall;
const whole = {
  startup: wall('inspect sample.igvm (17 KB)') / wall('node -e 0'),
  snp: wall('openssl dgst -sha384, 256 MiB') / wall('measure --platform snp, 256 MiB'),
  tdx: wall('openssl dgst -sha384, 256 MiB') / wall('measure --platform tdx, 256 MiB'),
  vbs: wall('openssl dgst -sha256, 256 MiB') / wall('measure --platform vbs, 256 MiB'),
  all: 2940 / wall('measure --platform all --json, 256 MiB'),
  rss1g: procs['measure --platform all --json, 1 GiB'].rss,
  sign: wall('sign --id-key, 1 GiB') / wall('measure --platform snp, 1 GiB'),
  embed: wall('embed --corim, 1 GiB') / wall('measure --platform snp, 1 GiB'),
};

// ---- results ------------------------------------------------------------------------------------
const ratio = {
  snp: mibps(dataBytes, platformMs.snp) / raw384,
  tdx: mibps(dataBytes, platformMs.tdx) / raw384,
  vbs: mibps(dataBytes, platformMs.vbs) / raw256,
  all: platformMs.all / (platformMs.snp + platformMs.tdx + platformMs.vbs),
};
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
  row('whole process: inspect of the 17 KB sample vs node -e 0', `${fmt(whole.startup, 2)}x (${fmt(wall('inspect sample.igvm (17 KB)'))} ms vs ${fmt(wall('node -e 0'))} ms)`, '≤ 2x', whole.startup <= 2),
  row('whole process: measure --platform snp vs openssl dgst -sha384', `${fmt(whole.snp, 2)}x (${fmt(wall('measure --platform snp, 256 MiB'))} ms)`, '≥ 0.8x', whole.snp >= 0.8),
  row('whole process: measure --platform tdx vs openssl dgst -sha384', `${fmt(whole.tdx, 2)}x (${fmt(wall('measure --platform tdx, 256 MiB'))} ms)`, '≥ 0.45x', whole.tdx >= 0.45),
  row('whole process: measure --platform vbs vs openssl dgst -sha256', `${fmt(whole.vbs, 2)}x (${fmt(wall('measure --platform vbs, 256 MiB'))} ms)`, '≥ 0.45x', whole.vbs >= 0.45),
  row('whole process: measure --platform all --json vs upstream (2.94 s)', `${fmt(whole.all, 2)}x faster (${fmt(wall('measure --platform all --json, 256 MiB'))} ms)`, '≥ 2.5x', whole.all >= 2.5),
  row('whole process: peak RSS, measure --platform all --json, 1 GiB', `${fmt(whole.rss1g)} MiB`, '≤ 128 MiB', whole.rss1g <= 128),
  row('sign, 1 GiB: time vs measure --platform snp, peak RSS', `${fmt(whole.sign, 2)}x, ${fmt(procs['sign --id-key, 1 GiB'].rss)} MiB`, '≤ 2x, ≤ 160 MiB', whole.sign <= 2 && procs['sign --id-key, 1 GiB'].rss <= 160),
  row('embed, 1 GiB: time vs measure --platform snp, peak RSS', `${fmt(whole.embed, 2)}x, ${fmt(procs['embed --corim, 1 GiB'].rss)} MiB`, '≤ 2x, ≤ 160 MiB', whole.embed <= 2 && procs['embed --corim, 1 GiB'].rss <= 160),
].join('\n')}

## Details

| | |
|---|---|
| raw SHA-384 (one-shot, 256 MiB) | ${fmt(raw384)} MiB/s |
| raw SHA-256 (one-shot, 256 MiB) | ${fmt(raw256)} MiB/s |
| parse the 256 MiB file (65,536 pages) | ${fmt(parseMs)} ms |
${['snp', 'tdx', 'vbs', 'all'].map((p) => `| measure --platform ${p} (parsed file, workers started) | ${fmt(platformMs[p])} ms |`).join('\n')}

## Whole processes

The executable as a user runs it (startup included; the 256 MiB file is ${statSync(file256).size} bytes,
the 1 GiB file ${statSync(file1g).size}), medians of ${RUNS} interleaved rounds (3 runs for 1 GiB), peak RSS
the largest seen. \`sign\` and \`embed\` rewrite the 1 GiB file (page data copied once in bounded
chunks, the written file measured and re-parsed before the rename). "JS kernels" is the same command with IGVM_MEASURE_NO_NATIVE=1: one
node:crypto call per page instead of the native addon's one call per batch.

| command | wall | peak RSS |
|---|---|---|
${Object.entries(procs).map(([l, p]) => `| ${l} | ${fmt(p.wall)} ms | ${fmt(p.rss)} MiB |`).join('\n')}

## Per page

| | µs per page |
|---|---|
${micro.map((m) => `| ${m.name} | ${fmt(m.usPerPage, 2)} |`).join('\n')}
`;
// The "Arm CCA" section comes from bench/cca.mjs and "Browser" from bench/browser.mjs
// (headless Chromium); keep them as they are.
const resultsPath = join(here, 'RESULTS.md');
const previous = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const keptAt = [previous.indexOf('\n## Arm CCA'), previous.indexOf('\n## Browser')].filter((i) => i >= 0);
writeFileSync(resultsPath, keptAt.length === 0 ? md : `${md.trimEnd()}\n${previous.slice(Math.min(...keptAt))}`);
log(`\nwrote bench/RESULTS.md`);
