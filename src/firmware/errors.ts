/**
 * The error type of the firmware layer: OVMF / COCONUT SVSM / TDVF images that cannot be read
 * (DESIGN.md "Errors"). Every failure to parse a firmware image is a `FirmwareError` with a
 * stable `code` and, where one applies, the byte offset (from the image start) of the field at
 * fault; no `RangeError` or `TypeError` escapes the firmware parsers for any input.
 *
 * The rules behind the codes are in spec/firmware-input.md §1 (footer table, SEV and TDX
 * metadata) and §6.3 ("Validation should reject …").
 */
import { CodedError } from '../format/coded-error.js';

/** Every code a `FirmwareError` can carry. */
export const FIRMWARE_ERROR_CODES = [
  // The image length is not a positive multiple of 4 KiB (firmware-input.md §2.2 step 1, §6.3).
  'NotMultipleOf4K',
  // No footer GUID at end−0x30 where a footer table is required (§1.1 step 1).
  'NoFooterTable',
  // The table length or an entry length is below 18 or overruns the table (§1.1 step 3).
  'BadFooterTable',
  // The same GUID twice in the table (§1.1 step 3, gce-tcb-verifier; §6.2 item 1).
  'DuplicateFooterEntry',
  // A footer entry whose data is too short for the value §1.2 says it holds.
  'BadFooterEntry',
  // The image has no SEV metadata entry where one is required (§1.2, §1.3).
  'NoSevMetadata',
  // The ASEV header is malformed: signature, version, length, or a strict-mode rule (§1.3).
  'BadSevMetadata',
  // The image has no TDX metadata: no table entry and no td-shim fallback (§1.4, §5.4 step 1).
  'NoTdxMetadata',
  // The TDVF descriptor or a section is malformed (§1.4, §5.2, §5.4 step 2).
  'BadTdxMetadata',
  // A metadata section type the spec does not list (§1.3 and §2.2 "other → error"; §1.4).
  'UnknownSectionType',
  // Two metadata sections cover the same guest-physical memory (§1.3, §6.3).
  'OverlappingSections',
  // A structure or data range that an offset or length places past the end of the image.
  'Truncated',
  // A GUID string passed to the API that is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
  'InvalidGuid',
  // A SEV metadata section whose GPA or size is not 4 KiB aligned: launch updates are whole pages
  // (snp.md §1.4), and firmware-input.md §2.2 lowers sections page by page.
  'MisalignedSection',
  // An image longer than 4 GiB cannot be mapped so that it ends at 4 GiB (§2.2 step 1); a layout
  // that does not fit below 4 GiB (§4.1); TDX or SEV metadata whose sections add more pages than
  // the cap (§5.4, §2.2 step 2): their size fields are not bounded by the image's bytes.
  'ImageTooLarge',
  // Host parameters (§6.3 "host parameter" column) the caller passed and that cannot be used:
  // a vCPU signature, reset address or vCPU count out of range, SEV_FEATURES not a u64, an
  // unknown FPU style.
  'InvalidHostParameter',
  // A vCPU model name that §3.2's table does not list.
  'UnknownVcpuType',
  // An AP VMSA was asked for without the AP reset address it needs (§3.1 "AP reset address").
  'NoApResetAddress',
  // A COCONUT svsm.bin without the SVSM info footer entry that gives its entry point (§1.2, §4.2).
  'NoSvsmInfo',
  // Kernel hashes were given but the image cannot carry them: no SNP_KERNEL_HASHES section
  // (§2.2 step 4), no SEV hash-table footer entry, or a section that is not exactly one page (§2.3).
  'NoKernelHashesSection',
  // A SEV metadata section type this loader refuses (§2.2 table: gce-tcb-verifier rejects
  // SNP_KERNEL_HASHES; `strict` option of the GCE loader).
  'UnsupportedSection',
] as const;

/** A stable firmware error code. */
export type FirmwareErrorCode = (typeof FIRMWARE_ERROR_CODES)[number];

/**
 * A firmware image that cannot be read or lowered to launch steps, or an invalid argument
 * (GUID string, host parameter) to the firmware API.
 */
export class FirmwareError extends CodedError<FirmwareErrorCode> {
  override readonly name = 'FirmwareError';
}

