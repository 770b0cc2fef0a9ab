/**
 * The 1024-byte TDREPORT, what a TD gets from `TDG.MR.REPORT` and the input to the Quoting
 * Enclave (spec/tdx.md §4.3a): REPORTMACSTRUCT, TEE_TCB_INFO and TDINFO, each one `defineStruct`
 * table. Its hashes are checked by `verifyTdxEvidence`; its MAC only the local CPU can check.
 */
import { bytes, defineStruct, readStruct, u64, u8, viewOf, type StructValue } from '../format/struct.js';
import { EvidenceError } from './errors.js';
import { needBytes, TEE_TYPE_TDX } from './tdx-quote.js';

/** Size of a TDREPORT (tdx.md §4.3a). */
export const TDREPORT_SIZE = 1024;

/** REPORTMACSTRUCT, the first 256 bytes of a TDREPORT (tdx.md §4.3a). */
export const REPORT_MAC_STRUCT = defineStruct('ReportMacStruct', 256, {
  teeType: u8(0x00),
  subType: u8(0x01),
  reportVersion: u8(0x02),
  reportTypeReserved: u8(0x03),
  reserved1: bytes(0x04, 12),
  cpuSvn: bytes(0x10, 16),
  teeTcbInfoHash: bytes(0x20, 48),
  teeInfoHash: bytes(0x50, 48),
  reportData: bytes(0x80, 64),
  reserved2: bytes(0xc0, 32),
  mac: bytes(0xe0, 32),
});

/** TEE_TCB_INFO, 239 bytes at TDREPORT offset 0x100 (tdx.md §4.3a). */
export const TEE_TCB_INFO = defineStruct('TeeTcbInfo', 239, {
  valid: bytes(0, 8),
  teeTcbSvn: bytes(8, 16),
  mrSeam: bytes(24, 48),
  mrSignerSeam: bytes(72, 48),
  seamAttributes: u64(120),
  teeTcbSvn2: bytes(128, 16),
  reserved: bytes(144, 95),
});

/** TDINFO, 512 bytes at TDREPORT offset 0x200 (tdx.md §4.3a). */
export const TD_INFO = defineStruct('TdInfo', 512, {
  tdAttributes: u64(0),
  xfam: u64(8),
  mrTd: bytes(16, 48),
  mrConfigId: bytes(64, 48),
  mrOwner: bytes(112, 48),
  mrOwnerConfig: bytes(160, 48),
  rtmr0: bytes(208, 48),
  rtmr1: bytes(256, 48),
  rtmr2: bytes(304, 48),
  rtmr3: bytes(352, 48),
  servTdHash: bytes(400, 48),
  reserved: bytes(448, 64),
});

/** Where the parts of a TDREPORT lie (tdx.md §4.3a). */
export const TDREPORT_OFFSETS = { reportMacStruct: 0x000, teeTcbInfo: 0x100, reserved: 0x1ef, tdInfo: 0x200 } as const;

/** REPORTMACSTRUCT fields (tdx.md §4.3a). */
export type ReportMacStruct = StructValue<typeof REPORT_MAC_STRUCT>;
/** TEE_TCB_INFO fields (tdx.md §4.3a). */
export type TeeTcbInfo = StructValue<typeof TEE_TCB_INFO>;
/** TDINFO fields (tdx.md §4.3a). */
export type TdInfo = StructValue<typeof TD_INFO>;

/** A parsed 1024-byte TDREPORT (tdx.md §4.3a). */
export interface TdReport {
  readonly reportMacStruct: ReportMacStruct;
  readonly teeTcbInfo: TeeTcbInfo;
  readonly tdInfo: TdInfo;
  /** The 239 raw TEE_TCB_INFO bytes: SHA-384 of them is TEE_TCB_INFO_HASH. */
  readonly teeTcbInfoBytes: Uint8Array;
  /** The 512 raw TDINFO bytes: SHA-384 of them is TEE_INFO_HASH. */
  readonly tdInfoBytes: Uint8Array;
}

/**
 * Parses a 1024-byte TDREPORT (tdx.md §4.3a) at `offset` in `input`. Checks that REPORTTYPE
 * names TDX (TEE type 0x81, subtype 0); the hashes are checked by `verifyTdxEvidence`.
 */
export function parseTdReport(input: Uint8Array, offset = 0): TdReport {
  needBytes(input, offset, TDREPORT_SIZE, 'a TDREPORT');
  const view = viewOf(input);
  const reportMacStruct = readStruct(input, offset, REPORT_MAC_STRUCT, view);
  if (reportMacStruct.teeType !== TEE_TYPE_TDX || reportMacStruct.subType !== 0) {
    throw new EvidenceError(
      'BadField',
      `REPORTTYPE ${reportMacStruct.teeType.toString(16)}/${reportMacStruct.subType} is not a TDX TDREPORT (0x81/0)`,
      offset,
    );
  }
  const tcbAt = offset + TDREPORT_OFFSETS.teeTcbInfo;
  const infoAt = offset + TDREPORT_OFFSETS.tdInfo;
  return {
    reportMacStruct,
    teeTcbInfo: readStruct(input, tcbAt, TEE_TCB_INFO, view),
    tdInfo: readStruct(input, infoAt, TD_INFO, view),
    teeTcbInfoBytes: input.slice(tcbAt, tcbAt + TEE_TCB_INFO.size),
    tdInfoBytes: input.slice(infoAt, infoAt + TD_INFO.size),
  };
}

