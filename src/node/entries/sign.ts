/**
 * `igvm-measure/sign` as Node loads it (package.json "exports", condition "node"): the sign
 * layer with node:crypto and the native kernels installed as the default hash backend first,
 * so that a Node user of the subpath gets OpenSSL's SHA-2 rather than @noble/hashes. Other
 * runtimes load src/sign/index.ts directly.
 */
import '../backends.js';
export * from '../../sign/index.js';
