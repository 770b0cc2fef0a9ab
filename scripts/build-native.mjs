/**
 * Builds the optional native hash kernels (native/igvm_hash.c) with node-gyp during `npm ci`.
 * It never fails the install: without a compiler or Node headers, igvm-measure falls back to
 * its JavaScript kernels over node:crypto (same digests, lower speed) and says so here.
 * Set IGVM_MEASURE_NO_NATIVE=1 to skip the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

if (process.env.IGVM_MEASURE_NO_NATIVE === '1') {
  console.log('igvm-measure: IGVM_MEASURE_NO_NATIVE=1, not building the native hash kernels');
  process.exit(0);
}

// npm runs install scripts with npm_execpath (its CLI) and its bundled node-gyp beside it.
const candidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => typeof p === 'string' && p.endsWith('.js') && existsSync(p));

const args = ['rebuild'];
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
const result = candidates.length > 0 ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: 'inherit' }) : undefined;
if (result === undefined || result.status !== 0) {
  console.warn(
    'igvm-measure: the native hash kernels were not built; measurements use the JavaScript kernels (same results, slower).',
  );
}
process.exit(0);
