/**
 * EFI GUIDs as firmware images store them, and the GUIDs the firmware adapters look for.
 *
 * EFI stores a GUID "mixed-endian": the first three fields (u32, u16, u16) little-endian and the
 * last 8 bytes as written (firmware-input.md §1.1 step 4; Python's `uuid.UUID(bytes_le=…)`).
 * GUIDs are handled as canonical lowercase strings, so that a lookup never depends on how a
 * source capitalised them (edk2 writes `…-A75e-…`, §1.2).
 */
import { FirmwareError } from './errors.js';

/** Size in bytes of a stored GUID. */
export const GUID_SIZE = 16;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Byte i of the canonical (big-endian, as printed) form sits at STORED_ORDER[i] in storage:
// fields 1–3 are byte-reversed, the last 8 bytes keep their order (§1.1 step 4).
const STORED_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Reads a stored (EFI mixed-endian) GUID at `offset` and returns it in canonical lowercase form.
 * The caller guarantees `offset + 16 <= bytes.length`; outside that range the result is
 * meaningless, so every caller checks first.
 */
export function parseGuid(bytes: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < GUID_SIZE; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += hex2(bytes[offset + (STORED_ORDER[i] as number)] ?? 0);
  }
  return s;
}

/** True when `s` is a GUID in the canonical textual form (either case). */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s.toLowerCase());
}

/** The canonical lowercase form of a GUID string; throws `FirmwareError('InvalidGuid')` otherwise. */
export function normalizeGuid(s: string): string {
  const lower = s.toLowerCase();
  if (!GUID_RE.test(lower)) throw new FirmwareError('InvalidGuid', `not a GUID: ${JSON.stringify(s)}`);
  return lower;
}

/** The 16 stored (EFI mixed-endian) bytes of a GUID string. Throws `FirmwareError('InvalidGuid')`. */
export function encodeGuid(s: string): Uint8Array {
  const hex = normalizeGuid(s).replace(/-/g, '');
  const out = new Uint8Array(GUID_SIZE);
  for (let i = 0; i < GUID_SIZE; i++) {
    out[STORED_ORDER[i] as number] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** True when the 16 bytes at `offset` are the stored form of `guid` (bounds as for `parseGuid`). */
export function guidAt(bytes: Uint8Array, offset: number, guid: string): boolean {
  return offset >= 0 && offset + GUID_SIZE <= bytes.length && parseGuid(bytes, offset) === guid;
}

// ---- GUIDs of the OVMF footer table (firmware-input.md §1.1, §1.2) -------------------------

/** The footer GUID at end−0x30 that marks an OVMF GUIDed table (§1.1). */
export const OVMF_TABLE_FOOTER_GUID = '96b582de-1fb2-45f7-baea-a366c55a082d';

/** SEV metadata offset: u32 offset from the image end to the `ASEV` header (§1.2). */
export const SEV_METADATA_OFFSET_GUID = 'dc886566-984a-4798-a75e-5585a7bf67cc';

/** SEV hash-table block ("SEV_HASH_TABLE_RV_GUID"): u32 GPA of the hash table, u32 size (§1.2). */
export const SEV_HASH_TABLE_RV_GUID = '7255371f-3a3b-4b04-927b-1da6efa8d454';

/** SEV launch-secret block: u32 GPA, u32 size; not used by SNP measurement (§1.2). */
export const SEV_SECRET_BLOCK_GUID = '4c2eb361-7d9b-4cc3-8081-127c90d3d294';

/** SEV-ES reset block: u32 AP reset address (bits 31:16 CS base, bits 15:0 IP) (§1.2). */
export const SEV_ES_RESET_BLOCK_GUID = '00f771de-1a7e-4fcb-890e-68c77e2fb44e';

/** TDX metadata offset: u32 offset from the image end to the `TDVF` descriptor (§1.2). */
export const TDX_METADATA_OFFSET_GUID = 'e47a6535-984a-4798-865e-4685a7bf8ec2';

/** The GUID stored in the 16 bytes just before the `TDVF` descriptor (§1.2, §5.4 step 1). */
export const TDX_METADATA_GUID = 'e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae';

/** SVSM info (COCONUT svsm.bin only): u32 entry-point offset inside svsm.bin (§1.2). */
export const SVSM_INFO_GUID = 'a789a612-0597-4c4b-a49f-cbb1fe9d1ddd';

// ---- GUIDs of the kernel-hashes table that QEMU writes at the hash-table GPA (§2.3) ---------

/** Header GUID of the SEV kernel-hashes table (§2.3). */
export const SEV_HASH_TABLE_HEADER_GUID = '9438d606-4f22-4cc9-b479-a793d411fd21';

/** Kernel-hashes table entry: SHA-256 of the command line plus its NUL (§2.3). */
export const SEV_CMDLINE_ENTRY_GUID = '97d02dd8-bd20-4c94-aa78-e7714d36ab2a';

/** Kernel-hashes table entry: SHA-256 of the initrd (§2.3). */
export const SEV_INITRD_ENTRY_GUID = '44baf731-3a2f-4bd7-9af1-41e29169781d';

/** Kernel-hashes table entry: SHA-256 of the kernel (§2.3). */
export const SEV_KERNEL_ENTRY_GUID = '4de79437-abd2-427f-b835-d5b172d2045b';
