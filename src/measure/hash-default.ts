/**
 * What the measurement layer uses when the caller names nothing: on Node, `node:crypto` for
 * single hashes and the native batch kernels when they were built (else the JS kernels over
 * `node:crypto`). A browser build maps this module to the portable backend (hash-noble.ts).
 */
import { nodeHashBackend } from './hash-node.js';
import { jsKernels, type HashKernels } from './kernels.js';
import { nativeKernels } from './native.js';

export { nodeHashBackend as defaultHashBackend };

/** The default batch kernels. */
export const defaultKernels: HashKernels = nativeKernels ?? jsKernels(nodeHashBackend);
