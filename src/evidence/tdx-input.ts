/**
 * Finds TDX evidence in the forms it comes in (spec/tdx.md §4.1, §4.3a): a quote v4/v5, a bare
 * 1024-byte TDREPORT, an Azure HCL report carrying a TDREPORT (azure-hcl.ts), or any of these
 * as hex text. Recognising the form is this file's concern; the quote (tdx-quote.ts) and the
 * TDREPORT (tdreport.ts) have their own parsers.
 */
import { viewOf } from '../format/struct.js';
import { HCL_OFFSETS, HCL_REPORT_HEADER, HCL_RUNTIME_DATA_HEADER, isHcl, readHclReport, type HclReport } from './azure-hcl.js';
import { decodeHex, latin1 } from './encoding.js';
import { EvidenceError } from './errors.js';
import { parseTdReport, TDREPORT_SIZE, type TdReport } from './tdreport.js';
import { needBytes, parseTdxQuote, TEE_TYPE_SGX, TEE_TYPE_TDX, type TdxQuote } from './tdx-quote.js';

/** How the evidence was given: raw bytes or hex text. */
export type TdxEvidenceEncoding = 'binary' | 'hex';
/** What the evidence is. */
export type TdxEvidenceKind = 'quote' | 'hcl-report' | 'tdreport';

/** Loaded TDX evidence: a quote, or a TDREPORT (bare or in an Azure HCL report). */
export interface TdxEvidence {
  readonly encoding: TdxEvidenceEncoding;
  readonly kind: TdxEvidenceKind;
  readonly quote?: TdxQuote;
  readonly tdReport?: TdReport;
  readonly hcl?: HclReport;
}

/**
 * Parses an Azure HCL report carrying a TDREPORT (tdx.md §4.3a: TDREPORT at offset 32; §5.2:
 * runtime-claims JSON at offset 1236). The runtime data is optional: a wrapper cut right after
 * the TDREPORT still yields the report; runtime data that runs past the end is `Truncated`.
 */
export function parseHclTdReport(input: Uint8Array): { hcl: HclReport; tdReport: TdReport } {
  needBytes(input, 0, HCL_REPORT_HEADER.size, 'the HCL report header');
  if (!isHcl(input)) throw new EvidenceError('BadField', 'no "HCLA" magic', 0);
  const tdReport = parseTdReport(input, HCL_OFFSETS.hardwareReport);
  const hcl = readHclReport(input);
  if (hcl.runtimeDataHeader && !hcl.runtimeClaims) {
    throw new EvidenceError(
      'Truncated',
      `HCL runtime data size ${hcl.runtimeDataHeader.variableDataSize} runs past the end of the input`,
      HCL_OFFSETS.runtimeDataHeader + HCL_RUNTIME_DATA_HEADER.fields.variableDataSize.offset,
    );
  }
  return { hcl, tdReport };
}

function loadBinary(b: Uint8Array, encoding: TdxEvidenceEncoding): TdxEvidence | null {
  if (isHcl(b)) {
    // An HCL report also wraps SNP reports (snp.md §7 item 9); only a TDREPORT is ours.
    if (b.length >= HCL_OFFSETS.hardwareReport + 1 && b[HCL_OFFSETS.hardwareReport] !== TEE_TYPE_TDX) {
      throw new EvidenceError('UnknownEvidence', 'this HCL report does not carry a TDX TDREPORT (an SNP report?)', 0x20);
    }
    const { hcl, tdReport } = parseHclTdReport(b);
    return { encoding, kind: 'hcl-report', tdReport, hcl };
  }
  if (b.length >= 8) {
    const view = viewOf(b);
    const version = view.getUint16(0, true);
    const teeType = view.getUint32(4, true);
    // A quote: version word then TEE type 0x81 (tdx.md §4.1). Other versions with a TDX TEE
    // type are reported as unsupported rather than unknown.
    if (teeType === TEE_TYPE_TDX && version < 0x100) {
      return { encoding, kind: 'quote', quote: parseTdxQuote(b) };
    }
    if (teeType === TEE_TYPE_SGX && (version === 3 || version === 4)) {
      throw new EvidenceError('UnknownEvidence', `this is an SGX quote (version ${version}), not a TDX quote`, 0x04);
    }
  }
  if (b.length === TDREPORT_SIZE && b[0] === TEE_TYPE_TDX && b[1] === 0) {
    return { encoding, kind: 'tdreport', tdReport: parseTdReport(b) };
  }
  return null;
}

/**
 * Detects and parses TDX evidence: a raw quote v4/v5, the same as hex text (optional `0x`
 * prefix, whitespace allowed), an Azure HCL report carrying a TDREPORT (tdx.md §4.3a), or a bare
 * 1024-byte TDREPORT. Anything else is `EvidenceError('UnknownEvidence')`; recognised but
 * malformed evidence throws the specific code (`Truncated`, `BadField`, ...). For hex text, an
 * error's offset is in the decoded bytes.
 */
export function loadTdxEvidence(input: Uint8Array): TdxEvidence {
  const direct = loadBinary(input, 'binary');
  if (direct) return direct;
  const decoded = decodeHex(latin1(input));
  if (decoded) {
    const fromHex = loadBinary(decoded, 'hex');
    if (fromHex) return fromHex;
  }
  throw new EvidenceError(
    'UnknownEvidence',
    'not a TDX quote (v4/v5), an Azure HCL report with a TDREPORT, a TDREPORT, or any of these as hex text',
    0,
  );
}
