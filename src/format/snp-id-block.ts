/**
 * The SNP ID block's public keys in AMD's layout. The IGVM header stores a key as
 * `{curve u32, reserved u32, qx[72], qy[72]}` (spec/igvm-format.md §7.8); the PSP and every
 * digest of it use AMD's 0x404-byte layout `{curve u32, qx[72] @4, qy[72] @0x4C, zeros}`
 * (spec/snp.md §3.2–§3.3). Hashing the IGVM layout verbatim gives a wrong ID_KEY_DIGEST.
 */
import type { SnpIdBlockPublicKey } from './types.js';

/** Size of AMD's public key structure (spec/snp.md §3.2). */
export const AMD_PUBLIC_KEY_SIZE = 0x404;

/** The key in AMD's layout, as the PSP receives it and as ID_KEY_DIGEST hashes it. */
export function toAmdPublicKey(key: SnpIdBlockPublicKey): Uint8Array {
  const out = new Uint8Array(AMD_PUBLIC_KEY_SIZE);
  new DataView(out.buffer).setUint32(0, key.curve, true);
  out.set(key.qx.subarray(0, 72), 0x04);
  out.set(key.qy.subarray(0, 72), 0x4c);
  return out;
}

/** The key in the IGVM layout, from AMD's layout (the reserved u32 is zero). */
export function fromAmdPublicKey(amd: Uint8Array): SnpIdBlockPublicKey {
  const view = new DataView(amd.buffer, amd.byteOffset, amd.byteLength);
  return { curve: view.getUint32(0, true), reserved: 0, qx: amd.slice(0x04, 0x04 + 72), qy: amd.slice(0x4c, 0x4c + 72) };
}
