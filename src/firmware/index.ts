/**
 * Firmware inputs (spec/firmware-input.md): parsing of OVMF, COCONUT SVSM and TDVF images — the
 * GUIDed footer table (§1.1–1.2), the SEV metadata (§1.3) and the TDX metadata (§1.4) — and the
 * adapters that lower them into launch steps (§6.1): OVMF → SEV-SNP under each loader with kernel
 * hashes (§2, §3), COCONUT SVSM + OVMF (§4), SEV / SEV-ES (§6.2) and TDVF → MRTD (§5). The
 * measurement layer folds the steps (measure/fold.ts); `measureFirmware` picks the adapter and
 * fold for a platform and host parameters (§6.3), and `searchFirmwareSettings` the host setting
 * behind a reported value. Browser-usable: imports no `node:` module.
 */
export { FIRMWARE_ERROR_CODES, FirmwareError, type FirmwareErrorCode } from './errors.js';
export {
  GUID_SIZE,
  OVMF_TABLE_FOOTER_GUID,
  SEV_CMDLINE_ENTRY_GUID,
  SEV_ES_RESET_BLOCK_GUID,
  SEV_HASH_TABLE_HEADER_GUID,
  SEV_HASH_TABLE_RV_GUID,
  SEV_INITRD_ENTRY_GUID,
  SEV_KERNEL_ENTRY_GUID,
  SEV_METADATA_OFFSET_GUID,
  SEV_SECRET_BLOCK_GUID,
  SVSM_INFO_GUID,
  TDX_METADATA_GUID,
  TDX_METADATA_OFFSET_GUID,
  encodeGuid,
  guidAt,
  isGuid,
  normalizeGuid,
  parseGuid,
} from './guid.js';
export {
  FIRMWARE_PAGE_SIZE,
  FOOTER_ENTRY_TRAILER,
  FOOTER_ENTRY_TRAILER_SIZE,
  FOOTER_TRAILER_FROM_END,
  FooterTable,
  apResetEipFor,
  checkFirmwareImageLength,
  findFooterTable,
  parseFooterTable,
  sevEsResetBlock,
  sevHashTableBlock,
  sevMetadataOffset,
  sevSecretBlock,
  svsmInfoOffset,
  tdxMetadataOffset,
  type FooterEntry,
  type GpaBlock,
  type SevEsResetBlock,
} from './footer.js';
export {
  SEV_METADATA_DEFAULT_MAX_PAGES,
  SEV_METADATA_HEADER,
  SEV_METADATA_SECTION,
  SEV_METADATA_SIGNATURE,
  SEV_METADATA_VERSION,
  SEV_SECTION_TYPES,
  findSevMetadata,
  parseSevMetadata,
  type SevMetadata,
  type SevMetadataOptions,
  type SevMetadataSection,
  type SevSectionType,
} from './sev-metadata.js';
export {
  TDX_METADATA_DESCRIPTOR,
  TDX_METADATA_SECTION,
  TDX_METADATA_SIGNATURE,
  TDX_METADATA_VERSION,
  TDX_SECTION_ATTRIBUTES,
  TDX_SECTION_TYPES,
  parseTdxMetadata,
  tdxSectionRawData,
  type TdxMetadata,
  type TdxMetadataOptions,
  type TdxMetadataSection,
  type TdxSectionType,
} from './tdx-metadata.js';
export * from './vmsa-qemu.js';
export * from './ovmf-snp.js';
export * from './svsm-snp.js';
export * from './kernel-hashes.js';
export * from './tdvf-tdx.js';
export * from './ovmf-sev.js';
export * from './search.js';
export * from './measure-firmware.js';
