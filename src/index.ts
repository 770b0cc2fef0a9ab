/**
 * igvm-measure: read, validate, write and measure IGVM files.
 *
 * The format layer (`parseIgvm`, `serializeIgvm`, `IgvmBuilder`, the typed headers) is
 * browser-usable: it imports no `node:` module.
 */
export * from './format/index.js';
export * from './measure/index.js';
export * from './pki/index.js';
export * from './evidence/index.js';
export * from './sign/index.js';
export * from './firmware/index.js';
