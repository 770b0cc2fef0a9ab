/**
 * Azure's HCL report, the wrapper the Azure paravisor puts around a hardware report (spec/snp.md
 * §6 and §7 item 9 for SEV-SNP, spec/tdx.md §4.3a and §5.2 for TDX): a 32-byte header with the
 * "HCLA" magic, the hardware report (an SNP report or a TDREPORT) in a 1184-byte area at 0x20,
 * the runtime-data header at 0x4C0, and the runtime data (the runtime-claims JSON, whose hash is
 * the hardware report's REPORT_DATA[0..32]) at 0x4D4.
 *
 * This file owns the layout only; snp-input.ts and tdx-input.ts parse the hardware report in it.
 * The specs fix where the hardware report and the runtime data start; the names of the header
 * words, the report types (2 = SNP, 4 = TDX) and the hash types (1 = SHA-256) are those of
 * openvmm's IGVM attestation protocol (`IgvmAttestRequest`, `IgvmAttestRequestData`,
 * `IgvmAttestReportType`, `IgvmAttestHashType`), whose request is this report.
 */
import { bytes, defineStruct, readStruct, u32, viewOf, type StructValue } from '../format/struct.js';

/** "HCLA", the first four bytes of an HCL report (snp.md §6). */
export const HCL_MAGIC: readonly number[] = [0x48, 0x43, 0x4c, 0x41];

/** The HCL report header, 32 bytes. Only shown, never checked (beyond the magic). */
export const HCL_REPORT_HEADER = defineStruct('HclReportHeader', 32, {
  signature: bytes(0, 4),
  version: u32(4),
  reportSize: u32(8),
  requestType: u32(12),
  status: u32(16),
  reserved: bytes(20, 12),
});

/** Size of the hardware-report area: an SNP report fills it; a 1024-byte TDREPORT does not. */
export const HCL_HARDWARE_REPORT_AREA = 1184;

/**
 * The runtime-data header after the hardware-report area (at 0x20 + 1184 = 0x4C0); the runtime
 * data (the runtime-claims JSON) follows right after it, at 0x4D4 = 1236 (tdx.md §5.2).
 */
export const HCL_RUNTIME_DATA_HEADER = defineStruct('HclRuntimeDataHeader', 20, {
  dataSize: u32(0),
  version: u32(4),
  reportType: u32(8),
  reportDataHashType: u32(12),
  variableDataSize: u32(16),
});

/** Where the parts of an HCL report lie (snp.md §6; tdx.md §4.3a, §5.2). */
export const HCL_OFFSETS = {
  hardwareReport: HCL_REPORT_HEADER.size,
  runtimeDataHeader: HCL_REPORT_HEADER.size + HCL_HARDWARE_REPORT_AREA,
  runtimeData: HCL_REPORT_HEADER.size + HCL_HARDWARE_REPORT_AREA + HCL_RUNTIME_DATA_HEADER.size,
} as const;

/** `reportType` of the runtime-data header: which hardware report the HCL report carries. */
export const HCL_REPORT_TYPE = { snp: 2, tdx: 4 } as const;

/** `reportDataHashType`: how REPORT_DATA[0..32] hashes the runtime data (tdx.md §3). */
export const HCL_HASH_TYPE = { sha256: 1 } as const;

/** The HCL report header's words. */
export type HclReportHeader = StructValue<typeof HCL_REPORT_HEADER>;
/** The runtime-data header's words. */
export type HclRuntimeDataHeader = StructValue<typeof HCL_RUNTIME_DATA_HEADER>;

/** An HCL report's own parts (the hardware report inside it is parsed by its platform). */
export interface HclReport {
  readonly header: HclReportHeader;
  /** The runtime-data header, when the input is long enough to hold it and the runtime data. */
  readonly runtimeDataHeader?: HclRuntimeDataHeader;
  /** The runtime-claims JSON (its SHA-256 is REPORT_DATA[0..32]; tdx.md §3). */
  readonly runtimeClaims?: Uint8Array;
}

/** True when `b` starts with the "HCLA" magic. */
export function isHcl(b: Uint8Array): boolean {
  return b.length >= 4 && HCL_MAGIC.every((m, i) => b[i] === m);
}

/**
 * Reads the header of an HCL report and, when the input reaches the runtime data (0x4D4), the
 * runtime-data header and the runtime data. `runtimeClaims` is absent when the runtime data's
 * size runs past the end of the input; whether that is an error is the caller's to say. The
 * caller has checked that the input holds the 32-byte header.
 */
export function readHclReport(b: Uint8Array): HclReport {
  const view = viewOf(b);
  const header = readStruct(b, 0, HCL_REPORT_HEADER, view);
  if (b.length < HCL_OFFSETS.runtimeData) return { header };
  const runtimeDataHeader = readStruct(b, HCL_OFFSETS.runtimeDataHeader, HCL_RUNTIME_DATA_HEADER, view);
  const size = runtimeDataHeader.variableDataSize;
  if (size > b.length - HCL_OFFSETS.runtimeData) return { header, runtimeDataHeader };
  return { header, runtimeDataHeader, runtimeClaims: b.slice(HCL_OFFSETS.runtimeData, HCL_OFFSETS.runtimeData + size) };
}
