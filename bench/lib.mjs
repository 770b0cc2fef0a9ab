/** What the benchmark takes from the built library (dist/). */
export { SnpLaunchDigest, TdxMrtd, VbsBootDigest, defaultKernels, parseIgvmSource } from '../dist/src/index.js';
export { nodeHashBackend as nodeHashBackendForBench } from '../dist/src/node/hash-node.js';
