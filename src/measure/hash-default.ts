/**
 * The hash backend and batch kernels the measurement layer uses when the caller names none
 * (DESIGN.md "Conventions" and "Performance": the core imports no `node:` module; node:crypto on
 * Node, @noble/hashes elsewhere). Out of the box they are @noble/hashes and the JavaScript
 * kernels over it, which run in any runtime. A runtime with faster hashing installs its own with
 * `setDefaultHashBackend`: the Node entry points (the package root, src/node/ and the CLI, all
 * through src/node/backends.ts) install node:crypto and the native kernels at load time.
 *
 * `defaultHashBackend` and `defaultKernels` are stable objects that forward to whatever is
 * installed, so a caller may keep a reference to them (e.g. `{ hash: defaultHashBackend }`).
 */
import type { HashBackend } from './hash.js';
import { nobleHashBackend } from './hash-noble.js';
import { jsKernels, type HashKernels } from './kernels.js';

let currentHash: HashBackend = nobleHashBackend;
/** Created on first use: the JS kernels preallocate their scratch buffers. */
let currentKernels: HashKernels | undefined;

/**
 * Installs the backend (and the batch kernels; default: the JS kernels over `hash`) that
 * measurements use when the caller names none. Install once, before measuring: a TDX state
 * made by one set of kernels cannot be continued by another.
 */
export function setDefaultHashBackend(hash: HashBackend, kernels?: HashKernels): void {
  currentHash = hash;
  currentKernels = kernels;
}

function kernelsNow(): HashKernels {
  return (currentKernels ??= jsKernels(currentHash));
}

/** The installed default hash backend (forwards every call). */
export const defaultHashBackend: HashBackend = {
  get name() {
    return currentHash.name;
  },
  sha384: (data) => currentHash.sha384(data),
  sha256: (data) => currentHash.sha256(data),
  sha512: (data) => currentHash.sha512(data),
  createSha384: () => currentHash.createSha384(),
  createSha256: () => currentHash.createSha256(),
};

/** The installed default batch kernels (forwards every call). */
export const defaultKernels: HashKernels = {
  get name() {
    return kernelsNow().name;
  },
  sha384Slots: (pages, slots, out) => kernelsNow().sha384Slots(pages, slots, out),
  sha256Slots: (pages, slots, out) => kernelsNow().sha256Slots(pages, slots, out),
  sha512Slots: (pages, slots, out) => kernelsNow().sha512Slots(pages, slots, out),
  ccaDataChain: (rim, bits, contents, measured, gpas) => kernelsNow().ccaDataChain(rim, bits, contents, measured, gpas),
  snpChain: (ld, contents, types, gpas) => kernelsNow().snpChain(ld, contents, types, gpas),
  tdxNew: () => kernelsNow().tdxNew(),
  tdxPages: (state, pages, slots, gpas, measured) => kernelsNow().tdxPages(state, pages, slots, gpas, measured),
  tdxDigest: (state) => kernelsNow().tdxDigest(state),
  vbsPages: (digest, pages, slots, gpas, metadata) => kernelsNow().vbsPages(digest, pages, slots, gpas, metadata),
};
