/**
 * `igvm-measure/measure` as Node loads it (package.json "exports", condition "node"): the measure
 * layer with node:crypto and the native kernels installed as the default hash backend first,
 * so that a Node user of the subpath gets OpenSSL's SHA-2 rather than @noble/hashes. Other
 * runtimes load src/measure/index.ts directly.
 */
import '../backends.js';
export * from '../../measure/index.js';
