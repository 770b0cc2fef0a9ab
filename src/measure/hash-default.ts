/**
 * The backend used when the caller names none. On Node it is `node:crypto`; a browser
 * build maps this module to a portable backend.
 */
export { nodeHashBackend as defaultHashBackend } from './hash-node.js';
