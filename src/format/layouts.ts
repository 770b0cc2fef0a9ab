/**
 * Byte layouts of every IGVM on-disk structure, one table each (spec/igvm-format.md §2, §3.1,
 * §5–§8). Fields named `reserved*` and `padding` are listed so that every byte of every
 * structure is accounted for; a test checks that the fields tile each structure exactly.
 */
import { bytes, defineStruct, u16, u32, u64, u8 } from './struct.js';

/** `IGVM_FIXED_HEADER` (V1, §2.1). */
export const FIXED_HEADER_V1 = defineStruct('IGVM_FIXED_HEADER', 24, {
  magic: u32(0x00),
  formatVersion: u32(0x04),
  variableHeaderOffset: u32(0x08),
  variableHeaderSize: u32(0x0c),
  totalFileSize: u32(0x10),
  checksum: u32(0x14),
});

/** `IGVM_FIXED_HEADER_V2` (§2.2). */
export const FIXED_HEADER_V2 = defineStruct('IGVM_FIXED_HEADER_V2', 32, {
  ...FIXED_HEADER_V1.fields,
  architecture: u32(0x18),
  pageSize: u32(0x1c),
});

/** `IGVM_VHS_VARIABLE_HEADER`, the TLV header (§3.1). */
export const VARIABLE_HEADER = defineStruct('IGVM_VHS_VARIABLE_HEADER', 8, {
  type: u32(0x0),
  length: u32(0x4),
});

/** `IGVM_VHS_SUPPORTED_PLATFORM` (§5). */
export const SUPPORTED_PLATFORM = defineStruct('IGVM_VHS_SUPPORTED_PLATFORM', 16, {
  compatibilityMask: u32(0x0),
  highestVtl: u8(0x4),
  platformType: u8(0x5),
  platformVersion: u16(0x6),
  sharedGpaBoundary: u64(0x8),
});

/** `IGVM_VHS_GUEST_POLICY` (§6.1). */
export const GUEST_POLICY = defineStruct('IGVM_VHS_GUEST_POLICY', 16, {
  policy: u64(0x0),
  compatibilityMask: u32(0x8),
  reserved: u32(0xc),
});

/** `IGVM_VHS_CCA_POLICY` (§6.2). */
export const CCA_POLICY = defineStruct('IGVM_VHS_CCA_POLICY', 32, {
  compatibilityMask: u32(0x00),
  reserved: u32(0x04),
  attributesRequiredZeroes: u64(0x08),
  attributesRequiredOnes: u64(0x10),
  hashAlgorithm: u8(0x18),
  lfaPolicy: u8(0x19),
  reserved2: bytes(0x1a, 6),
});

/** `IGVM_VHS_RELOCATABLE_REGION` (§6.3). */
export const RELOCATABLE_REGION = defineStruct('IGVM_VHS_RELOCATABLE_REGION', 48, {
  compatibilityMask: u32(0x00),
  vpIndex: u16(0x04),
  vtl: u8(0x06),
  flags: u8(0x07),
  relocationAlignment: u64(0x08),
  relocationRegionGpa: u64(0x10),
  relocationRegionSize: u64(0x18),
  minimumRelocationGpa: u64(0x20),
  maximumRelocationGpa: u64(0x28),
});

/** `IGVM_VHS_PAGE_TABLE_RELOCATION` (§6.4). */
export const PAGE_TABLE_RELOCATION = defineStruct('IGVM_VHS_PAGE_TABLE_RELOCATION', 32, {
  compatibilityMask: u32(0x00),
  vpIndex: u16(0x04),
  vtl: u8(0x06),
  reserved: u8(0x07),
  gpa: u64(0x08),
  size: u64(0x10),
  usedSize: u64(0x18),
});

/** `IGVM_VHS_CORIM_DATA`, shared by CORIM_DOCUMENT and CORIM_SIGNATURE (§6.5). */
export const CORIM_DATA = defineStruct('IGVM_VHS_CORIM_DATA', 16, {
  compatibilityMask: u32(0x0),
  fileOffset: u32(0x4),
  sizeBytes: u32(0x8),
  reserved: u32(0xc),
});

/** `IGVM_VHS_PARAMETER_AREA` (§7.1). */
export const PARAMETER_AREA = defineStruct('IGVM_VHS_PARAMETER_AREA', 16, {
  numberOfBytes: u64(0x0),
  parameterAreaIndex: u32(0x8),
  fileOffset: u32(0xc),
});

/** `IGVM_VHS_PAGE_DATA` (§7.2). */
export const PAGE_DATA = defineStruct('IGVM_VHS_PAGE_DATA', 24, {
  gpa: u64(0x00),
  compatibilityMask: u32(0x08),
  fileOffset: u32(0x0c),
  flags: u32(0x10),
  dataType: u16(0x14),
  reserved: u16(0x16),
});

/** `IGVM_VHS_PARAMETER_INSERT` (§7.3). */
export const PARAMETER_INSERT = defineStruct('IGVM_VHS_PARAMETER_INSERT', 16, {
  gpa: u64(0x0),
  compatibilityMask: u32(0x8),
  parameterAreaIndex: u32(0xc),
});

/** `IGVM_VHS_VP_CONTEXT` (§7.4): 20 bytes of payload; the TLV entry is padded to 24. */
export const VP_CONTEXT = defineStruct('IGVM_VHS_VP_CONTEXT', 20, {
  gpa: u64(0x00),
  compatibilityMask: u32(0x08),
  fileOffset: u32(0x0c),
  vpIndex: u16(0x10),
  reserved: u16(0x12),
});

/** `IGVM_VHS_REQUIRED_MEMORY` (§7.5). */
export const REQUIRED_MEMORY = defineStruct('IGVM_VHS_REQUIRED_MEMORY', 24, {
  gpa: u64(0x00),
  compatibilityMask: u32(0x08),
  numberOfBytes: u32(0x0c),
  flags: u32(0x10),
  reserved: u32(0x14),
});

/** `IGVM_VHS_PARAMETER`, the payload of the ten parameter-usage types (§7.7). */
export const PARAMETER = defineStruct('IGVM_VHS_PARAMETER', 8, {
  parameterAreaIndex: u32(0x0),
  byteOffset: u32(0x4),
});

/** `IGVM_VHS_SNP_ID_BLOCK_SIGNATURE` (§7.8): AMD little-endian, zero-extended r and s. */
export const SNP_ID_BLOCK_SIGNATURE = defineStruct('IGVM_VHS_SNP_ID_BLOCK_SIGNATURE', 144, {
  rComp: bytes(0, 72),
  sComp: bytes(72, 72),
});

/** `IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY` (§7.8): the IGVM layout, with a reserved u32 after `curve`. */
export const SNP_ID_BLOCK_PUBLIC_KEY = defineStruct('IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY', 152, {
  curve: u32(0),
  reserved: u32(4),
  qx: bytes(8, 72),
  qy: bytes(80, 72),
});

/** `IGVM_VHS_SNP_ID_BLOCK` (§7.8). Signatures and keys are kept as raw bytes (decoded on demand). */
export const SNP_ID_BLOCK = defineStruct('IGVM_VHS_SNP_ID_BLOCK', 696, {
  compatibilityMask: u32(0x000),
  authorKeyEnabled: u8(0x004),
  reserved: bytes(0x005, 3),
  ld: bytes(0x008, 48),
  familyId: bytes(0x038, 16),
  imageId: bytes(0x048, 16),
  version: u32(0x058),
  guestSvn: u32(0x05c),
  idKeyAlgorithm: u32(0x060),
  authorKeyAlgorithm: u32(0x064),
  idKeySignature: bytes(0x068, 144),
  idPublicKey: bytes(0x0f8, 152),
  authorKeySignature: bytes(0x190, 144),
  authorPublicKey: bytes(0x220, 152),
});

/** `IGVM_VHS_VBS_MEASUREMENT` (§7.9). */
export const VBS_MEASUREMENT = defineStruct('IGVM_VHS_VBS_MEASUREMENT', 864, {
  compatibilityMask: u32(0x000),
  version: u32(0x004),
  productId: u32(0x008),
  moduleId: u32(0x00c),
  securityVersion: u32(0x010),
  policyFlags: u32(0x014),
  bootDigestAlgo: u32(0x018),
  signingAlgo: u32(0x01c),
  bootMeasurementDigest: bytes(0x020, 64),
  signature: bytes(0x060, 256),
  publicKey: bytes(0x160, 512),
});

/** `IGVM_VHS_ERROR_RANGE` (§7.10). */
export const ERROR_RANGE = defineStruct('IGVM_VHS_ERROR_RANGE', 16, {
  gpa: u64(0x0),
  compatibilityMask: u32(0x8),
  sizeBytes: u32(0xc),
});

/** `IGVM_VHS_MEMORY_RANGE` (§7.7), deposited by loaders; for decoding parameter areas. */
export const MEMORY_RANGE = defineStruct('IGVM_VHS_MEMORY_RANGE', 16, {
  startingGpaPageNumber: u64(0x0),
  numberOfPages: u64(0x8),
});

/** `IGVM_VHS_MEMORY_MAP_ENTRY` (§7.7), deposited by loaders. */
export const MEMORY_MAP_ENTRY = defineStruct('IGVM_VHS_MEMORY_MAP_ENTRY', 24, {
  startingGpaPageNumber: u64(0x00),
  numberOfPages: u64(0x08),
  entryType: u16(0x10),
  flags: u16(0x12),
  reserved: u32(0x14),
});
