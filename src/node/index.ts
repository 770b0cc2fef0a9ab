/**
 * `igvm-measure/node`: what only Node can do, without the certificate and evidence code —
 * measuring a file on disk with worker threads (`measureFile`, `measureParallel`), positional
 * file reads (`openFileSource`), the file's SHA-256 from the same reads, and the node:crypto
 * and native hash backends, which importing this module installs as the defaults.
 */
import './backends.js';
export { installNodeHashBackends, nodeHashBackend, nodeKernels } from './backends.js';
export { openFileSource, type FileSource } from './file-source.js';
export { KernelPool, measureFile, measureParallel, WORKER_THRESHOLD_BYTES, type FileMeasurement, type MeasureFileOptions, type PipelineOptions } from './measure-file.js';
export { hashWhileReading, type HashingSource } from './read-sha256.js';
