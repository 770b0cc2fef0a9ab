/**
 * Installs the Node hash backends as the measurement layer's defaults when this module loads
 * (DESIGN.md "Performance": node:crypto on Node; the core itself imports no `node:` module and
 * defaults to @noble/hashes, measure/hash-default.ts). The package root, src/node/ and the CLI
 * import it, so Node users get OpenSSL's SHA-2 and, when they were built, the native batch
 * kernels (native.ts; IGVM_MEASURE_NO_NATIVE=1 turns them off). A browser build maps this
 * module to nothing (package.json "browser").
 */
import { setDefaultHashBackend } from '../measure/hash-default.js';
import { jsKernels, type HashKernels } from '../measure/kernels.js';
import { nodeHashBackend } from './hash-node.js';
import { nativeKernels } from './native.js';

export { nodeHashBackend } from './hash-node.js';

/** The batch kernels on Node: native when built, else the JS kernels over node:crypto. */
export const nodeKernels: HashKernels = nativeKernels ?? jsKernels(nodeHashBackend);

/** Makes node:crypto and {@link nodeKernels} the defaults (done once when this module loads). */
export function installNodeHashBackends(): void {
  setDefaultHashBackend(nodeHashBackend, nodeKernels);
}

installNodeHashBackends();
