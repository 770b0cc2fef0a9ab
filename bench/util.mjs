/** Timing helpers shared by the benchmarks (bench.mjs, cca.mjs). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const MiB = 1024 * 1024;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median wall time of `runs` calls of `fn`, in ms. */
export async function time(fn, runs) {
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}
export const mibps = (bytes, ms) => bytes / MiB / (ms / 1000);
export const fmt = (x, d = 0) => x.toFixed(d);
export const log = (s) => process.stdout.write(`${s}\n`);

export const haveTime = existsSync('/usr/bin/time');

/**
 * Wall time and peak RSS of a child process as /usr/bin/time reports them: the benchmark holds
 * large buffers, and timing around spawnSync would add the cost of forking it. `okCodes`: the
 * exit codes that are not a failure (e.g. 3 for a comparison expected to mismatch).
 */
export function processRun(argv, env = {}, okCodes = [0]) {
  const t = performance.now();
  const options = { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 };
  const r = haveTime ? spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], options) : spawnSync(argv[0], argv.slice(1), options);
  const outer = performance.now() - t;
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  if (!haveTime) return { wall: outer, rss: NaN };
  const [elapsed, kib] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: elapsed * 1000, rss: kib / 1024 };
}
