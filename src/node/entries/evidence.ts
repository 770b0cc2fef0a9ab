/**
 * `igvm-measure/evidence` as Node loads it (package.json "exports", condition "node"): the evidence
 * layer with node:crypto and the native kernels installed as the default hash backend first,
 * so that a Node user of the subpath gets OpenSSL's SHA-2 rather than @noble/hashes. Other
 * runtimes load src/evidence/index.ts directly.
 */
import '../backends.js';
export * from '../../evidence/index.js';
