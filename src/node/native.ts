/**
 * The native batch kernels (native/igvm_hash.c; DESIGN.md "Performance"), prebuilt for
 * linux-x64 in the package (prebuilds/, made by prebuildify) or built from source at install
 * (scripts/build-native.mjs), loaded through node-gyp-build: one call per batch runs OpenSSL's SHA-2 over every
 * page, which is what lets the hot loops reach the hash hardware's speed (bench/RESULTS.md).
 * When the addon is missing (another platform without a compiler, another runtime) the caller falls
 * back to the JS kernels (backends.ts). Setting IGVM_MEASURE_NO_NATIVE=1 forces the fallback.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HashKernels } from '../measure/kernels.js';

interface Addon {
  sha384Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  sha256Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  sha512Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  ccaDataChain(rim: Uint8Array, bits: number, contents: Uint8Array, measured: Uint8Array, gpas: BigUint64Array): void;
  snpChain(ld: Uint8Array, contents: Uint8Array, types: Uint8Array, gpas: BigUint64Array): void;
  tdxNew(): unknown;
  tdxPages(state: unknown, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, measured: Uint8Array): void;
  tdxDigest(state: unknown): Uint8Array;
  vbsPages(digest: Uint8Array, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, metadata: Uint8Array): void;
}

/**
 * The package root, seen from src/node (tests) or dist/src/node (the built package): where
 * node-gyp-build looks for build/Release (built from source at install) and then
 * prebuilds/<platform>-<arch>/ (the prebuilt addon shipped in the package, prebuildify).
 */
function packageRoot(): string | undefined {
  for (const rel of ['../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
  }
  return undefined;
}

const KERNEL_NAMES: ReadonlyArray<keyof Addon> = ['sha256Slots', 'sha384Slots', 'sha512Slots', 'ccaDataChain', 'snpChain', 'tdxNew', 'tdxPages', 'tdxDigest', 'vbsPages'];

function load(): HashKernels | undefined {
  if (process.env.IGVM_MEASURE_NO_NATIVE === '1') return undefined;
  const root = packageRoot();
  if (root === undefined) return undefined;
  const require = createRequire(import.meta.url);
  try {
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    const addon = require(nodeGypBuild.path(root)) as Addon;
    // An addon built from older sources lacks newer kernels: use the JS ones rather than half of each.
    if (KERNEL_NAMES.some((k) => typeof addon[k] !== 'function')) return undefined;
    return { name: 'native (OpenSSL)', ...bind(addon) };
  } catch {
    // No addon for this platform (or it does not load): the JS kernels take over.
    return undefined;
  }
}

function bind(a: Addon): Omit<HashKernels, 'name'> {
  return {
    sha384Slots: (p, s, o) => a.sha384Slots(p, s, o),
    sha256Slots: (p, s, o) => a.sha256Slots(p, s, o),
    sha512Slots: (p, s, o) => a.sha512Slots(p, s, o),
    ccaDataChain: (r, b, c, m, g) => a.ccaDataChain(r, b, c, m, g),
    snpChain: (l, c, t, g) => a.snpChain(l, c, t, g),
    tdxNew: () => a.tdxNew(),
    tdxPages: (st, p, s, g, m) => a.tdxPages(st, p, s, g, m),
    tdxDigest: (st) => a.tdxDigest(st),
    vbsPages: (d, p, s, g, m) => a.vbsPages(d, p, s, g, m),
  };
}

/** The native kernels, or undefined when the addon is not available. */
export const nativeKernels: HashKernels | undefined = load();
