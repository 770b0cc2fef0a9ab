/**
 * A minimal OVMF-shaped image for tests that need a footer table with an SEV metadata entry and
 * a chosen ASEV table (spec/firmware-input.md §1.1–§1.3), written from the spec with the GUIDs of
 * firmware-image.ts, not from src/firmware.
 */
import { FIRMWARE_GUIDS, efiGuid } from './firmware-image.js';

/** One ASEV section as the image stores it: u32 GPA, u32 size, u32 type (§1.3). */
export type AsevSection = readonly [gpa: number, size: number, type: number];

/**
 * An image of `size` bytes (default 0x2000): the footer GUID at end−0x30, the table length at
 * end−0x32 (§1.1), one SEV-ES reset entry (`resetEip`, §1.2) unless null, and one SEV metadata
 * offset entry pointing at an ASEV table at offset 0x100 with `sections` (§1.3), and with
 * `svsmInfo` a COCONUT SVSM info entry holding that entry offset (§1.2).
 */
export function ovmfImageWithSevMetadata(sections: readonly AsevSection[], o: { size?: number; resetEip?: number | null; svsmInfo?: number } = {}): Uint8Array {
  const size = o.size ?? 0x2000;
  const img = new Uint8Array(size);
  const v = new DataView(img.buffer);
  const asevAt = 0x100;
  v.setUint32(asevAt, 0x56455341, true); // 'ASEV'
  v.setUint32(asevAt + 4, 16 + 12 * sections.length, true);
  v.setUint32(asevAt + 8, 1, true);
  v.setUint32(asevAt + 12, sections.length, true);
  sections.forEach(([gpa, len, type], i) => {
    v.setUint32(asevAt + 16 + 12 * i, gpa >>> 0, true);
    v.setUint32(asevAt + 20 + 12 * i, len >>> 0, true);
    v.setUint32(asevAt + 24 + 12 * i, type >>> 0, true);
  });
  img.set(efiGuid(FIRMWARE_GUIDS.footer), size - 0x30);
  let p = size - 0x32;
  let total = 18;
  const entry = (guid: string, value: number): void => {
    img.set(efiGuid(guid), p - 16);
    v.setUint16(p - 18, 22, true);
    v.setUint32(p - 22, value >>> 0, true);
    p -= 22;
    total += 22;
  };
  entry(FIRMWARE_GUIDS.sevMeta, size - asevAt);
  if (o.resetEip !== null) entry(FIRMWARE_GUIDS.esReset, o.resetEip ?? 0x80b004);
  if (o.svsmInfo !== undefined) entry(FIRMWARE_GUIDS.svsmInfo, o.svsmInfo);
  v.setUint16(size - 0x32, total, true);
  return img;
}
