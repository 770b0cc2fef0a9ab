/**
 * Batched hash kernels: the hot loops of the three models, one call per batch of pages. A
 * batch is a buffer of 4 KiB page slots (slot i at byte i*4096); each step names its slot, or
 * -1 for a zero page. On Node a native addon runs them over OpenSSL (src/node/native.ts); everywhere
 * else `jsKernels` runs them over any `HashBackend` (node:crypto or @noble/hashes). Both give
 * the same bytes to the same hash functions, so they give the same digests; tests check this.
 */
import type { HashBackend, Hasher } from './hash.js';

/** Size of one page slot. */
export const SLOT_SIZE = 4096;

/** The state of an MRTD in progress. */
export type TdxState = unknown;

/** Batched hash kernels. Arrays are indexed by step; `slots[i] = -1` is a zero page. */
export interface HashKernels {
  readonly name: string;
  /** `out[48i..]` = SHA-384 of the page of `slots[i]`. */
  sha384Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  /** `out[32i..]` = SHA-256 of the page of `slots[i]` (Arm CCA granules). */
  sha256Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  /** `out[64i..]` = SHA-512 of the page of `slots[i]` (Arm CCA granules). */
  sha512Slots(pages: Uint8Array, slots: Int32Array, out: Uint8Array): void;
  /**
   * `measured.length` Arm CCA DATA descriptors extending `rim` (64 bytes, in place) with the
   * realm hash SHA-`bits` (spec/cca.md §1.4): for step i, IPA `gpas[i]`, and where `measured[i]`
   * is 1 flags 1 and the next `bits/8`-byte hash of `contents`, else flags 0 and a zero content.
   */
  ccaDataChain(rim: Uint8Array, bits: 256 | 384 | 512, contents: Uint8Array, measured: Uint8Array, gpas: BigUint64Array): void;
  /** `types.length` SNP PAGE_INFO steps from `ld` (updated in place; spec/snp.md §1.2). */
  snpChain(ld: Uint8Array, contents: Uint8Array, types: Uint8Array, gpas: BigUint64Array): void;
  tdxNew(): TdxState;
  /** MEM.PAGE.ADD per step and, where `measured[i]`, the 16 MR.EXTENDs of its page (spec/tdx.md §1.2). */
  tdxPages(state: TdxState, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, measured: Uint8Array): void;
  /** The MRTD so far (the state goes on). */
  tdxDigest(state: TdxState): Uint8Array;
  /** VBS page records `D = SHA-256(D ‖ header ‖ page)`; `metadata[i]` bit 2 = unmeasured (vbs-cca-corim.md §1.2). */
  vbsPages(digest: Uint8Array, pages: Uint8Array, slots: Int32Array, gpas: BigUint64Array, metadata: Uint8Array): void;
}

/** The page hashes a batch can be hashed with: SEV-SNP's SHA-384, and an Arm CCA realm's hash. */
export type SlotHash = 'sha-256' | 'sha-384' | 'sha-512';

/** Digest size of each slot hash. */
export const SLOT_HASH_SIZES: Readonly<Record<SlotHash, number>> = { 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };

/** `out[size·i ..]` = the `algorithm` digest of the page of `slots[i]` (-1 is a zero page), by `kernels`. */
export function hashSlots(kernels: HashKernels, algorithm: SlotHash, pages: Uint8Array, slots: Int32Array, out: Uint8Array): void {
  if (algorithm === 'sha-256') kernels.sha256Slots(pages, slots, out);
  else if (algorithm === 'sha-384') kernels.sha384Slots(pages, slots, out);
  else kernels.sha512Slots(pages, slots, out);
}

const ZERO_PAGE = new Uint8Array(SLOT_SIZE);
const ASCII = (s: string): Uint8Array => new TextEncoder().encode(s);
const PAGE_ADD = ASCII('MEM.PAGE.ADD');
const MR_EXTEND = ASCII('MR.EXTEND');
/** Bytes a measured TDX page adds to the hash: 128 + 16 × 384 (spec/tdx.md §1.2). */
const TDX_PAGE_BYTES = 128 + 16 * 384;
/** TDX pages assembled before one hash update: few large updates are what hashes fast. */
const TDX_PAGES_PER_UPDATE = 32;

function pageOf(pages: Uint8Array, slot: number): Uint8Array {
  return slot < 0 ? ZERO_PAGE : pages.subarray(slot * SLOT_SIZE, (slot + 1) * SLOT_SIZE);
}

/** The kernels over any hash backend. */
export function jsKernels(hash: HashBackend): HashKernels {
  const info = new Uint8Array(0x70);
  const infoView = new DataView(info.buffer);
  const record = new Uint8Array(TDX_PAGE_BYTES * TDX_PAGES_PER_UPDATE);
  const recordView = new DataView(record.buffer);
  const vbs = new Uint8Array(32 + 32 + SLOT_SIZE);
  const vbsView = new DataView(vbs.buffer);
  const desc = new Uint8Array(0x100);
  const descView = new DataView(desc.buffer);
  const sha = { 256: (d: Uint8Array) => hash.sha256(d), 384: (d: Uint8Array) => hash.sha384(d), 512: (d: Uint8Array) => hash.sha512(d) };
  return {
    name: `js (${hash.name})`,
    sha384Slots(pages, slots, out) {
      for (let i = 0; i < slots.length; i++) out.set(hash.sha384(pageOf(pages, slots[i]!)), i * 48);
    },
    sha256Slots(pages, slots, out) {
      for (let i = 0; i < slots.length; i++) out.set(hash.sha256(pageOf(pages, slots[i]!)), i * 32);
    },
    sha512Slots(pages, slots, out) {
      for (let i = 0; i < slots.length; i++) out.set(hash.sha512(pageOf(pages, slots[i]!)), i * 64);
    },
    ccaDataChain(rim, bits, contents, measured, gpas) {
      const size = bits / 8;
      const f = sha[bits];
      desc.fill(0);
      descView.setBigUint64(0x08, 0x100n, true);
      for (let i = 0, j = 0; i < measured.length; i++) {
        desc.set(rim, 0x10);
        descView.setBigUint64(0x50, gpas[i]!, true);
        desc.fill(0, 0x58, 0xa0);
        if (measured[i] === 1) {
          desc[0x58] = 1;
          desc.set(contents.subarray(j * size, ++j * size), 0x60);
        }
        rim.fill(0);
        rim.set(f(desc));
      }
    },
    snpChain(ld, contents, types, gpas) {
      info.set(ld, 0);
      infoView.setUint16(0x60, 0x70, true);
      for (let i = 0; i < types.length; i++) {
        info.set(contents.subarray(i * 48, i * 48 + 48), 0x30);
        info[0x62] = types[i]!;
        infoView.setBigUint64(0x68, gpas[i]!, true);
        info.set(hash.sha384(info), 0);
      }
      ld.set(info.subarray(0, 48));
    },
    tdxNew: () => hash.createSha384(),
    tdxPages(state, pages, slots, gpas, measured) {
      const h = state as Hasher;
      let used = 0;
      for (let i = 0; i < slots.length; i++) {
        if (used + TDX_PAGE_BYTES > record.length) {
          h.update(record.subarray(0, used));
          used = 0;
        }
        const gpa = gpas[i]!;
        record.fill(0, used, used + 128);
        record.set(PAGE_ADD, used);
        recordView.setBigUint64(used + 16, gpa, true);
        used += 128;
        if (measured[i] === 0) continue;
        const page = pageOf(pages, slots[i]!);
        for (let k = 0; k < 16; k++) {
          record.fill(0, used, used + 128);
          record.set(MR_EXTEND, used);
          recordView.setBigUint64(used + 16, gpa + BigInt(k * 256), true);
          record.set(page.subarray(k * 256, k * 256 + 256), used + 128);
          used += 384;
        }
      }
      if (used > 0) h.update(record.subarray(0, used));
    },
    tdxDigest: (state) => (state as Hasher).copy().digest(),
    vbsPages(digest, pages, slots, gpas, metadata) {
      vbs.set(digest, 0);
      for (let i = 0; i < slots.length; i++) {
        vbs.fill(0, 32, 64);
        vbsView.setUint32(32, 32 + SLOT_SIZE, true);
        vbsView.setUint32(36, 2, true);
        vbs[48] = metadata[i]!;
        vbsView.setBigUint64(56, gpas[i]! >> 12n, true);
        vbs.set((metadata[i]! & 4) !== 0 ? ZERO_PAGE : pageOf(pages, slots[i]!), 64);
        vbs.set(hash.sha256(vbs), 0);
      }
      digest.set(vbs.subarray(0, 32));
    },
  };
}
