/**
 * Which payload layout each variable header type has (spec/igvm-format.md §3.5, the master
 * type table, with the layouts of §5–§7), and how much room a TLV entry's payload takes (§3.2).
 * This is the one type → layout table: the reader matches a TLV's type and length against it
 * and decodes the payload with it, the writer emits each header's TLV and payload from it, so
 * the two cannot drift apart (DESIGN.md "One table per on-disk structure").
 */
import { PARAMETER_USAGE_TYPES, VariableHeaderType, type ParameterUsageType, type VariableHeaderTypeName } from './constants.js';
import {
  CCA_POLICY,
  CORIM_DATA,
  ERROR_RANGE,
  GUEST_POLICY,
  PAGE_DATA,
  PAGE_TABLE_RELOCATION,
  PARAMETER,
  PARAMETER_AREA,
  PARAMETER_INSERT,
  RELOCATABLE_REGION,
  REQUIRED_MEMORY,
  SNP_ID_BLOCK,
  SUPPORTED_PLATFORM,
  VBS_MEASUREMENT,
  VP_CONTEXT,
} from './layouts.js';
import type { FieldSpec, StructLayout } from './struct.js';

/** Any structure layout. */
export type AnyLayout = StructLayout<Record<string, FieldSpec>>;

/** The ten parameter-usage types share `IGVM_VHS_PARAMETER` (§7.7). */
const PARAMETER_USAGE_LAYOUTS = Object.fromEntries(PARAMETER_USAGE_TYPES.map((name) => [name, PARAMETER])) as Record<
  ParameterUsageType,
  typeof PARAMETER
>;

/**
 * The payload layout of every defined header type, by the type's name (which is the `kind` of
 * its typed header). `RESERVED_DO_NOT_USE` (0x306, §7.6) has none: upstream rejects it.
 */
export const HEADER_LAYOUTS = {
  SUPPORTED_PLATFORM,
  GUEST_POLICY,
  RELOCATABLE_REGION,
  PAGE_TABLE_RELOCATION_REGION: PAGE_TABLE_RELOCATION,
  CORIM_DOCUMENT: CORIM_DATA,
  CORIM_SIGNATURE: CORIM_DATA,
  CCA_POLICY,
  PARAMETER_AREA,
  PAGE_DATA,
  PARAMETER_INSERT,
  VP_CONTEXT,
  REQUIRED_MEMORY,
  SNP_ID_BLOCK,
  VBS_MEASUREMENT,
  ERROR_RANGE,
  ...PARAMETER_USAGE_LAYOUTS,
} as const satisfies Record<Exclude<VariableHeaderTypeName, 'RESERVED_DO_NOT_USE'>, AnyLayout>;

/** The name of a header type that has a layout (every typed header's `kind` but `OPTIONAL_UNKNOWN`). */
export type HeaderLayoutName = keyof typeof HEADER_LAYOUTS;

/** `HEADER_LAYOUTS` by type value, for the reader (a Map: it is looked up once per header). */
export const HEADER_LAYOUT_BY_TYPE: ReadonlyMap<number, AnyLayout> = new Map(
  (Object.entries(HEADER_LAYOUTS) as Array<[HeaderLayoutName, AnyLayout]>).map(([name, layout]) => [VariableHeaderType[name], layout]),
);

/** CORIM_DOCUMENT and CORIM_SIGNATURE, which a build without upstream's `corim` feature rejects (§6.5). */
export function isCorimType(type: number): boolean {
  return type === VariableHeaderType.CORIM_DOCUMENT || type === VariableHeaderType.CORIM_SIGNATURE;
}

/** The bytes a TLV payload of `length` bytes occupies: padded with zeros to a multiple of 8 (§3.2). */
export function tlvPayloadSpan(length: number): number {
  return Math.ceil(length / 8) * 8;
}
