/**
 * igvm-measure: read, validate, write and measure IGVM files.
 *
 * The format layer (`parseIgvm`, `serializeIgvm`, `IgvmBuilder`, the typed headers) and the
 * layers above it are browser-usable: they import no `node:` module. On Node, importing the
 * package installs node:crypto and the native kernels as the default hash backend
 * (node/backends.ts); a browser build maps that module to nothing (package.json "browser") and
 * measures with @noble/hashes.
 */
import './node/backends.js';
export * from './format/index.js';
export * from './measure/index.js';
export * from './pki/index.js';
export * from './evidence/index.js';
export * from './sign/index.js';
export * from './firmware/index.js';
