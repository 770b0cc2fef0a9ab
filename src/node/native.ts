/**
 * The native batch kernels (native/igvm_hash.c, built by `npm ci` with node-gyp; DESIGN.md
 * "Performance"), when they were built: one call per batch runs OpenSSL's SHA-2 over every
 * page, which is what lets the hot loops reach the hash hardware's speed (bench/RESULTS.md).
 * When the addon is missing (no compiler at install time, another runtime) the caller falls
 * back to the JS kernels (backends.ts). Setting IGVM_MEASURE_NO_NATIVE=1 forces the fallback.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { HashKernels } from '../measure/kernels.js';

interface Addon {
  sha384Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  snpChain(ld: Uint8Array, contents: Uint8Array, types: Uint8Array, gpas: BigUint64Array): void;
  tdxNew(): unknown;
  tdxPages(state: unknown, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, measured: Uint8Array): void;
  tdxDigest(state: unknown): Uint8Array;
  vbsPages(digest: Uint8Array, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, metadata: Uint8Array): void;
}

/** Where the addon is built, from src/node or dist/src/node (the repository's build/ directory). */
const CANDIDATES = ['../../build/Release/igvm_hash.node', '../../../build/Release/igvm_hash.node'];

function load(): HashKernels | undefined {
  if (process.env.IGVM_MEASURE_NO_NATIVE === '1') return undefined;
  const require = createRequire(import.meta.url);
  for (const rel of CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      const addon = require(path) as Addon;
      return { name: 'native (OpenSSL)', ...bind(addon) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bind(a: Addon): Omit<HashKernels, 'name'> {
  return {
    sha384Slots: (p, s, o) => a.sha384Slots(p, s, o),
    snpChain: (l, c, t, g) => a.snpChain(l, c, t, g),
    tdxNew: () => a.tdxNew(),
    tdxPages: (st, p, s, g, m) => a.tdxPages(st, p, s, g, m),
    tdxDigest: (st) => a.tdxDigest(st),
    vbsPages: (d, p, s, g, m) => a.vbsPages(d, p, s, g, m),
  };
}

/** The native kernels, or undefined when the addon is not available. */
export const nativeKernels: HashKernels | undefined = load();
