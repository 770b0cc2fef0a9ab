/**
 * hash-default.ts for runtimes without `node:` modules (package.json "browser" maps it here):
 * @noble/hashes for single hashes and the JavaScript batch kernels over it.
 */
import { nobleHashBackend } from './hash-noble.js';
import { jsKernels, type HashKernels } from './kernels.js';

export { nobleHashBackend as defaultHashBackend };

/** The default batch kernels. */
export const defaultKernels: HashKernels = jsKernels(nobleHashBackend);
