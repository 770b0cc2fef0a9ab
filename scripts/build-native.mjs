/**
 * The install step for the optional native hash kernels (native/igvm_hash.c). When the package
 * carries a prebuilt addon for this platform (prebuilds/, made by `npm run prebuild` with
 * prebuildify before packing) and it loads, nothing is built. Otherwise it is built from
 * source with node-gyp, quietly: node-gyp's output is kept and shown only if the build fails.
 * It never fails the install: without a compiler or Node headers, igvm-measure uses its
 * JavaScript kernels over node:crypto (same digests, slower; `igvm-measure --version` says
 * which). IGVM_MEASURE_NO_NATIVE=1 skips this step; IGVM_MEASURE_BUILD_NATIVE=1 builds from
 * source even when a prebuild loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.env.IGVM_MEASURE_NO_NATIVE === '1') {
  console.log('igvm-measure: IGVM_MEASURE_NO_NATIVE=1, not building the native hash kernels');
  process.exit(0);
}

/** True when node-gyp-build finds an addon for this platform that loads. */
function addonLoads() {
  try {
    require(require('node-gyp-build').path(root));
    return true;
  } catch {
    return false;
  }
}

if (process.env.IGVM_MEASURE_BUILD_NATIVE !== '1' && addonLoads()) process.exit(0);

// npm runs install scripts with npm_execpath (its CLI) and its bundled node-gyp beside it.
const candidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => typeof p === 'string' && p.endsWith('.js') && existsSync(p));

const args = ['rebuild', '--loglevel=error'];
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
const result = candidates.length > 0 ? spawnSync(process.execPath, [candidates[0], ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 }) : undefined;
if (result !== undefined && result.status === 0 && addonLoads()) {
  console.log('igvm-measure: built the native hash kernels');
} else {
  const why = result === undefined ? 'node-gyp was not found' : `node-gyp exited with ${result.status}`;
  const tail = result === undefined ? '' : `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.warn(`igvm-measure: the native hash kernels were not built (${why}); measurements use the JavaScript kernels (same results, slower).${tail ? `\n${tail}` : ''}`);
}
process.exit(0);
