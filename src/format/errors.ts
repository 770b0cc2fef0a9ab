/**
 * The one error type of the format layer. Every failure to read, validate or write an IGVM
 * file is an `IgvmFormatError` with a stable `code`; no other exception type escapes the
 * format API for any input (DESIGN.md "Errors").
 *
 * Codes are upstream's error names (spec/igvm-format.md §10.2, §10.3) so that a result can be
 * compared with what microsoft/igvm reports. For a per-header error upstream wraps the inner
 * error in `InvalidBinaryPlatformHeader(..)` / `InvalidBinaryInitializationHeader(..)` /
 * `InvalidBinaryDirectiveHeader(..)`; we keep the inner name as `code` and spell the wrapped
 * form in `upstream`. Codes that upstream does not have (its panics, §10.5, and our strict
 * checks, §10.4) are marked in the table below.
 */

/**
 * Codes that upstream raises from a single header (`BinaryHeaderError`, spec §10.2), and so
 * wraps by section in `upstream`.
 */
const PER_HEADER_CODES = [
  'UnalignedAddress',
  'UnalignedSize',
  'InvalidDataSize',
  'InvalidVariableHeaderSize',
  'InvalidVariableHeaderType',
  'InvalidPageDataType',
  'InvalidVpContextPlatformType',
  'InvalidContext',
  'InvalidCompatibilityMask',
  'InvalidVtl',
  'InvalidPlatformType',
  'InvalidPlatformVersion',
  'InvalidSharedGpaBoundary',
  'InvalidOnesZeroesMasks',
  'ReservedNotZero',
  'NoVbsVpContextRegisters',
  'RelocationSize',
  'RelocationAlignment',
  'RelocationAddress',
  'InvalidPageTableRegionSize',
  'UnsupportedX64Register',
  'UnsupportedAArch64Register',
  'MultipleCorimDocuments',
  'MultipleCorimSignatures',
  'MissingCorimDocument',
] as const;

/** Every code an `IgvmFormatError` can carry. */
export const IGVM_ERROR_CODES = [
  // File-level (spec §10.3)
  'InvalidFixedHeader',
  'UnsupportedPageSize',
  'InvalidChecksum',
  'InvalidBinaryVariableHeaderSection',
  'NoPlatformHeaders',
  'PlatformArchUnsupported',
  'MultiplePlatformHeadersWithSameIsolation',
  'InvalidParameterAreaIndex',
  'InvalidCcaPolicyCompatibilityMask',
  'InvalidHeaderArch',
  'MultiplePageTableRelocationHeaders',
  'RelocationRegionsOverlap',
  'ParameterInsertInsidePageTableRegion',
  'NoMatchingVpContext',
  'VariableHeaderSectionTooLarge',
  'TotalFileSizeTooLarge',
  // Per-header (spec §10.2)
  ...PER_HEADER_CODES,
  // Strict mode only (spec §10.4, §17): checks the spec states and upstream skips.
  'StrictVariableHeaderOffset',
  'StrictNonZeroPadding',
  'StrictCompatibilityMask',
  'StrictReservedBits',
  'StrictUnalignedLargePage',
  'StrictUnalignedSize',
  'StrictOverlappingPageData',
  'StrictGuestPolicyPlatform',
  // Ours: a value given to the writer or builder that the format cannot hold.
  'InvalidFieldValue',
] as const;

/** A stable error code: upstream's error name, or one of ours marked above. */
export type IgvmErrorCode = (typeof IGVM_ERROR_CODES)[number];

/** Which part of the file an error belongs to. */
export type IgvmSection = 'fixed' | 'platform' | 'initialization' | 'directive' | 'file';

/** Where an error applies; all optional. */
export interface IgvmErrorLocation {
  /** Byte offset in the file (of the structure or field at fault). */
  readonly offset?: number;
  /** Index of the header in file order, counting every variable header from 0. */
  readonly headerIndex?: number;
  /** The section the header belongs to. */
  readonly section?: IgvmSection;
}

const WRAPPER: Partial<Record<IgvmSection, string>> = {
  platform: 'InvalidBinaryPlatformHeader',
  initialization: 'InvalidBinaryInitializationHeader',
  directive: 'InvalidBinaryDirectiveHeader',
};

const PER_HEADER = new Set<IgvmErrorCode>(PER_HEADER_CODES);

/** A malformed or invalid IGVM file, or a value the format cannot represent. */
export class IgvmFormatError extends Error {
  override readonly name = 'IgvmFormatError';
  readonly code: IgvmErrorCode;
  readonly offset: number | undefined;
  readonly headerIndex: number | undefined;
  readonly section: IgvmSection | undefined;

  constructor(code: IgvmErrorCode, message: string, where: IgvmErrorLocation = {}) {
    super(message);
    this.code = code;
    this.offset = where.offset;
    this.headerIndex = where.headerIndex;
    this.section = where.section;
  }

  /** The error as upstream microsoft/igvm names it, e.g. `InvalidBinaryDirectiveHeader(UnalignedAddress)`. */
  get upstream(): string {
    const wrap = this.section !== undefined ? WRAPPER[this.section] : undefined;
    return wrap !== undefined && PER_HEADER.has(this.code) ? `${wrap}(${this.code})` : this.code;
  }

  /** A plain object for JSON output: `{code, message, offset, header_index}`. */
  toJSON(): { code: string; message: string; offset: number | null; header_index: number | null } {
    return {
      code: this.code,
      message: this.message,
      offset: this.offset ?? null,
      header_index: this.headerIndex ?? null,
    };
  }
}
