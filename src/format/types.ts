/**
 * The typed model of an IGVM file: the three header sections as discriminated unions (on
 * `kind`, the spec's type name without the `IGVM_VHT_` prefix, spec/igvm-format.md §3.5), in
 * file order, with the headers of §5–§7 and the VP context payloads of §8. The fields
 * are those of the on-disk tables in layouts.ts, less the reserved fields that upstream
 * validates and drops (spec/igvm-format.md §10.2 `ReservedNotZero`); file offsets are kept
 * for display, but the writer recomputes them (§12).
 */
import type {
  CORIM_DATA,
  ERROR_RANGE,
  GUEST_POLICY,
  PAGE_TABLE_RELOCATION,
  PARAMETER,
  PARAMETER_INSERT,
  RELOCATABLE_REGION,
  SNP_ID_BLOCK_PUBLIC_KEY,
  SNP_ID_BLOCK_SIGNATURE,
  SUPPORTED_PLATFORM,
  VBS_MEASUREMENT,
  CCA_POLICY,
} from './layouts.js';
import type { IgvmArchitecture, PageDataTypeName, ParameterUsageType, PlatformTypeName } from './constants.js';
import type { StructValue } from './struct.js';
import type { ByteSource } from './source.js';
import type { CcaVpContext, NativeX64Context } from './native-context.js';
import type { VbsRegister } from './vbs-registers.js';

/**
 * Bytes that a header refers to in the file data section. For a parsed file `bytes()` is a
 * view into the input (or a positional read from a file source), never a copy made at parse
 * time; for a built file it is the caller's buffer.
 */
export interface IgvmData {
  /** Length in bytes. */
  readonly length: number;
  /** The bytes. Each call may read again from the source; keep the result if you need it twice. */
  bytes(): Uint8Array;
  /** For parsed data: the source it is read from and its offset there (lets readers batch reads). */
  readonly source?: ByteSource;
  readonly sourceOffset?: number;
}

/** Where a parsed header stood in the file. Absent on headers made by the builder. */
export interface HeaderLocation {
  /** File offset of the header's 8-byte TLV header. */
  readonly offset?: number;
  /** Index of the header in file order across all sections, from 0. */
  readonly index?: number;
}

type Fields<L, Drop extends string = never> = Omit<StructValue<L>, Drop>;

// ---- Platform section (§5) ----------------------------------------------------------------

/** `IGVM_VHT_SUPPORTED_PLATFORM` (§5). */
export interface SupportedPlatformHeader
  extends HeaderLocation,
    Fields<typeof SUPPORTED_PLATFORM, 'platformType'> {
  readonly kind: 'SUPPORTED_PLATFORM';
  readonly platformType: PlatformTypeName;
}

// ---- Initialization section (§6) ----------------------------------------------------------

/** `IGVM_VHT_GUEST_POLICY` (§6.1). Decode `policy` with `decodeSnpPolicy` / `decodeTdxPolicy`. */
export interface GuestPolicyHeader extends HeaderLocation, Fields<typeof GUEST_POLICY, 'reserved'> {
  readonly kind: 'GUEST_POLICY';
}

/**
 * `IGVM_VHT_RELOCATABLE_REGION` (§6.3). `flags` is kept as read; the writer keeps only the
 * three defined bits, as upstream rebuilds them from three booleans (§12 step 5).
 */
export interface RelocatableRegionHeader extends HeaderLocation, Fields<typeof RELOCATABLE_REGION> {
  readonly kind: 'RELOCATABLE_REGION';
}

/** `IGVM_VHT_PAGE_TABLE_RELOCATION_REGION` (§6.4). */
export interface PageTableRelocationHeader
  extends HeaderLocation,
    Fields<typeof PAGE_TABLE_RELOCATION, 'reserved'> {
  readonly kind: 'PAGE_TABLE_RELOCATION_REGION';
}

/** `IGVM_VHT_CORIM_DOCUMENT` / `IGVM_VHT_CORIM_SIGNATURE` (§6.5). */
export interface CorimHeader extends HeaderLocation, Fields<typeof CORIM_DATA, 'reserved' | 'sizeBytes'> {
  readonly kind: 'CORIM_DOCUMENT' | 'CORIM_SIGNATURE';
  /** The CBOR payload (`sizeBytes` long). */
  readonly data: IgvmData;
}

/** `IGVM_VHT_CCA_POLICY` (§6.2). */
export interface CcaPolicyHeader extends HeaderLocation, Fields<typeof CCA_POLICY, 'reserved' | 'reserved2'> {
  readonly kind: 'CCA_POLICY';
}

/** A header kept opaque because its type has the optional bit set and is not understood (§3.4). */
export interface OptionalUnknownHeader extends HeaderLocation {
  readonly kind: 'OPTIONAL_UNKNOWN';
  /** The full type value, bit 31 included. */
  readonly type: number;
  /** The payload (`length` bytes, without padding). */
  readonly payload: Uint8Array;
}

/** Every initialization header. */
export type InitializationHeader =
  | GuestPolicyHeader
  | RelocatableRegionHeader
  | PageTableRelocationHeader
  | CorimHeader
  | CcaPolicyHeader
  | OptionalUnknownHeader;

// ---- Directive section (§7) ---------------------------------------------------------------

/** `IGVM_VHT_PARAMETER_AREA` (§7.1). `data` is empty when the area starts zero-filled. */
export interface ParameterAreaHeader extends HeaderLocation {
  readonly kind: 'PARAMETER_AREA';
  /** Size of the area; a u64 that may exceed 2^53. */
  readonly numberOfBytes: bigint;
  readonly parameterAreaIndex: number;
  readonly fileOffset: number;
  /** Initial contents: empty, or `numberOfBytes` bytes (the writer zero-pads shorter data). */
  readonly data: IgvmData;
}

/** `IGVM_VHT_PAGE_DATA` (§7.2). `data` is empty for a zero page, else 4096 bytes when parsed. */
export interface PageDataHeader extends HeaderLocation {
  readonly kind: 'PAGE_DATA';
  readonly gpa: bigint;
  readonly compatibilityMask: number;
  readonly fileOffset: number;
  /** `IgvmPageDataFlags`; reserved bits 3–31 round-trip (§7.2). */
  readonly flags: number;
  readonly dataType: PageDataTypeName;
  /** Parsed files make this on access (an accessor: `{...header}` does not copy it). */
  readonly data: IgvmData;
}

/** `IGVM_VHT_PARAMETER_INSERT` (§7.3). */
export interface ParameterInsertHeader extends HeaderLocation, Fields<typeof PARAMETER_INSERT> {
  readonly kind: 'PARAMETER_INSERT';
}

/** The payload of a VP context, by the format its platform selects (§8.1). */
export type VpContextPayload =
  /** SEV_SNP and SEV_ES platforms: the 4096-byte VMSA, opaque (decode with `decodeSevVmsa`). */
  | { readonly format: 'sev-vmsa'; readonly vmsa: Uint8Array }
  /** NATIVE and SEV platforms (x64 only). */
  | { readonly format: 'native-x64'; readonly context: NativeX64Context }
  /** VSM_ISOLATION: a register list in the file architecture's namespace. */
  | { readonly format: 'vbs'; readonly architecture: IgvmArchitecture; readonly registers: readonly VbsRegister[] }
  /** CCA platforms (AArch64 only). */
  | { readonly format: 'cca'; readonly context: CcaVpContext };

/** `IGVM_VHT_VP_CONTEXT` (§7.4). */
export interface VpContextHeader extends HeaderLocation {
  readonly kind: 'VP_CONTEXT';
  /** VMSA GPA for SEV-ES/SNP; written as 0 for the other formats (§12). */
  readonly gpa: bigint;
  readonly compatibilityMask: number;
  readonly fileOffset: number;
  readonly vpIndex: number;
  readonly payload: VpContextPayload;
}

/** `IGVM_VHT_REQUIRED_MEMORY` (§7.5). `flags` bit 0 is `vtl2_protectable`. */
export interface RequiredMemoryHeader extends HeaderLocation {
  readonly kind: 'REQUIRED_MEMORY';
  readonly gpa: bigint;
  readonly compatibilityMask: number;
  readonly numberOfBytes: number;
  readonly flags: number;
}

/** One of the ten parameter-usage headers (§7.7). */
export interface ParameterUsageHeader extends HeaderLocation, Fields<typeof PARAMETER> {
  readonly kind: ParameterUsageType;
}

/** `IGVM_VHS_SNP_ID_BLOCK_SIGNATURE` (§7.8). */
export type SnpIdBlockSignature = StructValue<typeof SNP_ID_BLOCK_SIGNATURE>;
/** `IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY` (§7.8), IGVM layout. */
export type SnpIdBlockPublicKey = StructValue<typeof SNP_ID_BLOCK_PUBLIC_KEY>;

/** `IGVM_VHT_SNP_ID_BLOCK` (§7.8). Upstream validates nothing here and keeps `reserved`. */
export interface SnpIdBlockHeader extends HeaderLocation {
  readonly kind: 'SNP_ID_BLOCK';
  readonly compatibilityMask: number;
  readonly authorKeyEnabled: number;
  /** 3 bytes, not validated, preserved on round trip. */
  readonly reserved: Uint8Array;
  /** Expected launch digest, 48 bytes. */
  readonly ld: Uint8Array;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  readonly idKeyAlgorithm: number;
  readonly authorKeyAlgorithm: number;
  readonly idKeySignature: SnpIdBlockSignature;
  readonly idPublicKey: SnpIdBlockPublicKey;
  readonly authorKeySignature: SnpIdBlockSignature;
  readonly authorPublicKey: SnpIdBlockPublicKey;
}

/** `IGVM_VHT_VBS_MEASUREMENT` (§7.9). */
export interface VbsMeasurementHeader extends HeaderLocation, Fields<typeof VBS_MEASUREMENT> {
  readonly kind: 'VBS_MEASUREMENT';
}

/** `IGVM_VHT_ERROR_RANGE` (§7.10). */
export interface ErrorRangeHeader extends HeaderLocation, Fields<typeof ERROR_RANGE> {
  readonly kind: 'ERROR_RANGE';
}

/** Every directive header. */
export type DirectiveHeader =
  | ParameterAreaHeader
  | PageDataHeader
  | ParameterInsertHeader
  | VpContextHeader
  | RequiredMemoryHeader
  | ParameterUsageHeader
  | SnpIdBlockHeader
  | VbsMeasurementHeader
  | ErrorRangeHeader
  | OptionalUnknownHeader;

/** Every header of any section. */
export type IgvmHeader = SupportedPlatformHeader | InitializationHeader | DirectiveHeader;

/** The fixed-header facts of a file: format version, architecture, page size (§2, §11). */
export interface IgvmRevision {
  readonly formatVersion: 1 | 2;
  /** Always `'x64'` for V1. */
  readonly architecture: IgvmArchitecture;
  /** Always 4096 (the only value upstream accepts). */
  readonly pageSize: number;
}

/** Facts about the bytes a file was parsed from (absent on built files). */
export interface IgvmSourceInfo {
  readonly totalFileSize: number;
  readonly variableHeaderOffset: number;
  readonly variableHeaderSize: number;
  readonly checksum: number;
  /** Start of the file data section (`variableHeaderOffset + variableHeaderSize`). */
  readonly dataStart: number;
}

/** A parsed or built IGVM file. Each section's headers are in file order. */
export interface IgvmFile {
  readonly revision: IgvmRevision;
  readonly platforms: readonly SupportedPlatformHeader[];
  readonly initializations: readonly InitializationHeader[];
  readonly directives: readonly DirectiveHeader[];
  /**
   * Unknown headers with the optional bit that stood in the platform section (read with
   * `optionalHeaders: 'skip'`), each with the number of platform headers before it, so that
   * the writer puts them back where they were.
   */
  readonly platformOptionals?: readonly { readonly after: number; readonly header: OptionalUnknownHeader }[];
  readonly source?: IgvmSourceInfo;
}

/** All headers of a file in file order (platforms, then initializations, then directives). */
export function allHeaders(file: IgvmFile): IgvmHeader[] {
  return [...file.platforms, ...file.initializations, ...file.directives];
}

/** The compatibility mask of a header, or undefined for mask-less headers (§4). */
export function compatibilityMaskOf(h: IgvmHeader): number | undefined {
  return 'compatibilityMask' in h ? h.compatibilityMask : undefined;
}
