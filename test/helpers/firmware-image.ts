/**
 * What the firmware tests build images from, written from spec/firmware-input.md §1.1–§1.4 (not
 * imported from src/firmware, so a wrong constant, byte order or field there cannot cancel out in
 * the images the tests build): the footer-table GUIDs, their EFI byte order and a TDX metadata
 * section entry.
 */

/** The footer-table GUIDs of §1.2, as the spec writes them. */
export const FIRMWARE_GUIDS = {
  footer: '96b582de-1fb2-45f7-baea-a366c55a082d',
  sevMeta: 'dc886566-984a-4798-a75e-5585a7bf67cc',
  hashTable: '7255371f-3a3b-4b04-927b-1da6efa8d454',
  secret: '4c2eb361-7d9b-4cc3-8081-127c90d3d294',
  esReset: '00f771de-1a7e-4fcb-890e-68c77e2fb44e',
  tdxMeta: 'e47a6535-984a-4798-865e-4685a7bf8ec2',
  tdxGuid: 'e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae',
  svsmInfo: 'a789a612-0597-4c4b-a49f-cbb1fe9d1ddd',
} as const;

/** EFI byte order (§1.1 step 4): first three fields little-endian, last 8 bytes as written. */
export function efiGuid(s: string): Uint8Array {
  const h = s.replace(/-/g, '');
  const b = Array.from({ length: 16 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
  return Uint8Array.from([...b.slice(0, 4).reverse(), ...b.slice(4, 6).reverse(), ...b.slice(6, 8).reverse(), ...b.slice(8)]);
}

/** One TDX metadata section entry as a test writes it (§1.4); absent fields are 0. */
export interface TdxSectionSpec {
  dataOffset?: number;
  raw?: number;
  addr: bigint;
  size: bigint;
  /** §1.4: 0 BFV, 1 CFV, 2 TD_HOB, 3 TempMem, 4 PermMem, … */
  type: number;
  /** §1.4: 0x1 MR.EXTEND, 0x2 PAGE.AUG. */
  attr?: number;
}
