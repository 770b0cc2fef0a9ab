/**
 * Constants of the IGVM format: spec/igvm-format.md §2.3 (fixed header), §3.3–3.5 (variable
 * header types and ranges), §5 (platform types), §7.2 (page data flags and types).
 */

/** `IGVM_MAGIC_VALUE`: the bytes "IGVM" read as a little-endian u32 (§2.1). */
export const IGVM_MAGIC = 0x4d564749;
/** Size of the V1 fixed header (§2.1). */
export const FIXED_HEADER_V1_SIZE = 24;
/** Size of the V2 fixed header (§2.2). */
export const FIXED_HEADER_V2_SIZE = 32;
/** The only page size upstream accepts (§2.2). */
export const PAGE_SIZE_4K = 4096;
/** Size of the TLV header that precedes every variable header (§3.1). */
export const VARIABLE_HEADER_TLV_SIZE = 8;
/** `IGVM_VHT_OPTIONAL_BIT` (§3.4). */
export const IGVM_VHT_OPTIONAL_BIT = 0x8000_0000;

/** `IgvmArchitecture` as a name; V1 files are always x64 (§2.2, §11). */
export type IgvmArchitecture = 'x64' | 'aarch64';
/** On-disk values of `IgvmArchitecture` (§2.3). */
export const ARCHITECTURE_VALUE: Readonly<Record<IgvmArchitecture, number>> = { x64: 0, aarch64: 1 };

/** `IgvmVariableHeaderType` values (§3.5). */
export const VariableHeaderType = {
  SUPPORTED_PLATFORM: 0x001,
  GUEST_POLICY: 0x101,
  RELOCATABLE_REGION: 0x102,
  PAGE_TABLE_RELOCATION_REGION: 0x103,
  CORIM_DOCUMENT: 0x104,
  CORIM_SIGNATURE: 0x105,
  CCA_POLICY: 0x106,
  PARAMETER_AREA: 0x301,
  PAGE_DATA: 0x302,
  PARAMETER_INSERT: 0x303,
  VP_CONTEXT: 0x304,
  REQUIRED_MEMORY: 0x305,
  RESERVED_DO_NOT_USE: 0x306,
  VP_COUNT_PARAMETER: 0x307,
  SRAT: 0x308,
  MADT: 0x309,
  MMIO_RANGES: 0x30a,
  SNP_ID_BLOCK: 0x30b,
  MEMORY_MAP: 0x30c,
  ERROR_RANGE: 0x30d,
  COMMAND_LINE: 0x30e,
  SLIT: 0x30f,
  PPTT: 0x310,
  VBS_MEASUREMENT: 0x311,
  DEVICE_TREE: 0x312,
  ENVIRONMENT_INFO_PARAMETER: 0x313,
} as const;
export type VariableHeaderTypeName = keyof typeof VariableHeaderType;

/** The ten parameter-usage types, which share `IGVM_VHS_PARAMETER` and carry no mask (§7.7). */
export const PARAMETER_USAGE_TYPES = [
  'VP_COUNT_PARAMETER',
  'SRAT',
  'MADT',
  'MMIO_RANGES',
  'MEMORY_MAP',
  'COMMAND_LINE',
  'SLIT',
  'PPTT',
  'DEVICE_TREE',
  'ENVIRONMENT_INFO_PARAMETER',
] as const;
export type ParameterUsageType = (typeof PARAMETER_USAGE_TYPES)[number];

/** Reverse lookup of a value-to-name table, as a Map (these run once per header). */
function reverse<K extends string>(table: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
}

const VARIABLE_HEADER_TYPE_NAMES = reverse(VariableHeaderType);

/** Name of a variable header type value, or undefined when the value is not defined. */
export function variableHeaderTypeName(value: number): VariableHeaderTypeName | undefined {
  return VARIABLE_HEADER_TYPE_NAMES.get(value);
}

/** The section a type value belongs to, by range (§3.3); undefined outside every range. */
export function sectionOfType(value: number): 'platform' | 'initialization' | 'directive' | undefined {
  if (value >= 0x001 && value <= 0x100) return 'platform';
  if (value >= 0x101 && value <= 0x200) return 'initialization';
  if (value >= 0x301 && value <= 0x400) return 'directive';
  return undefined;
}

/** `IgvmPlatformType` (§5), spelled as upstream spells it. */
export const PlatformType = {
  NATIVE: 0x00,
  VSM_ISOLATION: 0x01,
  SEV_SNP: 0x02,
  TDX: 0x03,
  SEV: 0x04,
  SEV_ES: 0x05,
  CCA: 0x06,
} as const;
export type PlatformTypeName = keyof typeof PlatformType;

const PLATFORM_TYPE_NAMES = reverse(PlatformType);

/** Name of a platform type value, or undefined for an unknown value. */
export function platformTypeName(value: number): PlatformTypeName | undefined {
  return PLATFORM_TYPE_NAMES.get(value);
}

/** Architectures each platform type is allowed on, as upstream enforces (§5). */
export const PLATFORM_ARCHITECTURES: Readonly<Record<PlatformTypeName, readonly IgvmArchitecture[]>> = {
  NATIVE: ['x64'],
  VSM_ISOLATION: ['x64', 'aarch64'],
  SEV_SNP: ['x64'],
  TDX: ['x64'],
  SEV: ['x64'],
  SEV_ES: ['x64'],
  CCA: ['aarch64'],
};

/** `IgvmPageDataType` (§7.2). */
export const PageDataType = {
  NORMAL: 0,
  SECRETS: 1,
  CPUID_DATA: 2,
  CPUID_XF: 3,
} as const;
export type PageDataTypeName = keyof typeof PageDataType;

const PAGE_DATA_TYPE_NAMES = reverse(PageDataType);

/** Name of a page data type, or undefined for an unknown value. */
export function pageDataTypeName(value: number): PageDataTypeName | undefined {
  return PAGE_DATA_TYPE_NAMES.get(value);
}

/** `IgvmPageDataFlags` bits (§7.2). Bits 3–31 are reserved and round-trip unchanged. */
export const PageDataFlags = {
  IS_2MB_PAGE: 1 << 0,
  UNMEASURED: 1 << 1,
  SHARED: 1 << 2,
} as const;

/** `IGVM_VHF_RELOCATABLE_REGION_*` flags (§6.3). Upstream keeps only these three bits. */
export const RelocatableRegionFlags = {
  IS_VTL2: 0x01,
  APPLY_PC: 0x02,
  APPLY_GDTR: 0x04,
} as const;

/** `RequiredMemoryFlags` (§7.5). Upstream keeps only bit 0. */
export const RequiredMemoryFlags = {
  VTL2_PROTECTABLE: 0x01,
} as const;

/** `CCA_POLICY_ATTR_*` bits (§6.2). */
export const CcaPolicyAttributes = {
  DEBUG: 1n << 0n,
  MEC: 1n << 1n,
} as const;

/** `CcaHashAlgorithm` (§6.2), RMM numbering. */
export const CcaHashAlgorithm = { SHA256: 0, SHA512: 1, SHA384: 2 } as const;

/** `CcaLfaPolicy` (§6.2). */
export const CcaLfaPolicy = { LFA_DISALLOW: 0, LFA_ALLOW: 1 } as const;

/** `MemoryMapEntryType` (§7.7); values the loader deposits, listed for display. */
export const MemoryMapEntryType = {
  MEMORY: 0,
  PLATFORM_RESERVED: 1,
  PERSISTENT: 2,
  VTL2_PROTECTABLE: 3,
  SPECIFIC_PURPOSE: 4,
  HIDDEN: 5,
} as const;
