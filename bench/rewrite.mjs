/**
 * Rewrites of a large IGVM file against measuring it: wall time and peak RSS of the built CLI's
 * `measure --platform snp`, `sign` and `embed` (with its digest check) on one file, each run as
 * its own process under /usr/bin/time -v, interleaved so that load on the machine affects all
 * three alike. Prints a Markdown table of medians. The file, key and CoRIM go to bench/out
 * (gitignored); outputs are deleted after each run, and the input too unless --keep.
 *
 * Usage: npm run build && node bench/rewrite.mjs [SIZE_MIB=1024] [RUNS=3] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBenchFile } from './make-file.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist/src/cli/main.js');
const OUT = join(ROOT, 'bench/out');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keep = process.argv.includes('--keep');
const mib = Number(args[0] ?? 1024);
const runs = Number(args[1] ?? 3);

mkdirSync(OUT, { recursive: true });
const input = join(OUT, `bench-${mib}m.igvm`);
if (!existsSync(input)) {
  process.stderr.write(`building ${input} ...\n`);
  buildBenchFile(input, mib);
}
const key = join(OUT, 'rewrite-id.pem');
writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
const corim = join(OUT, 'rewrite-snp.cbor');
execFileSync(process.execPath, [BIN, 'reference', input, '--format', 'corim', '--platform', 'snp', '-o', corim], { stdio: 'ignore' });
const output = join(OUT, 'rewrite-out.igvm');

const COMMANDS = {
  'measure --platform snp': [BIN, 'measure', input, '--platform', 'snp'],
  sign: [BIN, 'sign', input, '-o', output, '--id-key', key],
  embed: [BIN, 'embed', input, '--corim', corim, '-o', output],
};

/** Wall seconds and peak RSS (MiB) of one run, from GNU time's verbose report. */
function timed(argv) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.slice(1).join(' ')} failed (${r.status}):\n${r.stderr}`);
  const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, rssMib: Number(rss[1]) / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, argv] of Object.entries(COMMANDS)) {
    results[name].push(timed(argv));
    rmSync(output, { force: true });
  }
}

const base = median(results['measure --platform snp'].map((r) => r.seconds));
console.log(`| ${mib} MiB file, median of ${runs} | wall | vs measure | peak RSS |`);
console.log('|---|---|---|---|');
for (const [name, rs] of Object.entries(results)) {
  const s = median(rs.map((r) => r.seconds));
  console.log(`| ${name} | ${s.toFixed(2)} s | ${(s / base).toFixed(2)}x | ${median(rs.map((r) => r.rssMib)).toFixed(0)} MiB |`);
}
console.log(`\nall runs (s / MiB): ${Object.entries(results).map(([n, rs]) => `${n}: ${rs.map((r) => `${r.seconds.toFixed(2)}/${r.rssMib.toFixed(0)}`).join(', ')}`).join('; ')}`);

rmSync(key, { force: true });
rmSync(corim, { force: true });
if (!keep) rmSync(input, { force: true });
