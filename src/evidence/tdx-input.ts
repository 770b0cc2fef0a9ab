/**
 * Finds TDX evidence in the forms it comes in (spec/tdx.md §4.1, §4.3a): a quote v4/v5, a bare
 * 1024-byte TDREPORT, an Azure HCL report carrying a TDREPORT (azure-hcl.ts), any of these as
 * hex text, or trustee's Azure TDX evidence JSON (a quote and the HCL report whose runtime data
 * its REPORTDATA binds; azure-evidence.ts). Recognising the form is this file's concern; the
 * quote (tdx-quote.ts) and the TDREPORT (tdreport.ts) have their own parsers.
 */
import { viewOf } from '../format/struct.js';
import { HCL_OFFSETS, HCL_REPORT_HEADER, HCL_RUNTIME_DATA_HEADER, isHcl, readHclReport, type HclReport } from './azure-hcl.js';
import { parseEvidenceJson, readTrusteeAzureEvidence } from './azure-evidence.js';
import { decodeHex, latin1 } from './encoding.js';
import { EvidenceError } from './errors.js';
import { parseTdReport, TDREPORT_SIZE, type TdReport } from './tdreport.js';
import { needBytes, parseTdxQuote, TEE_TYPE_SGX, TEE_TYPE_TDX, type TdxQuote } from './tdx-quote.js';

/** How the evidence was given: raw bytes, hex text, or trustee's Azure JSON. */
export type TdxEvidenceEncoding = 'binary' | 'hex' | 'trustee-azure-json';
/** What the evidence is. */
export type TdxEvidenceKind = 'quote' | 'hcl-report' | 'tdreport';

/**
 * Loaded TDX evidence: a quote, or a TDREPORT (bare or in an Azure HCL report). A quote from
 * trustee's Azure JSON comes with the HCL report (`hcl`) whose runtime data its REPORTDATA must
 * bind (hcl-binding.ts).
 */
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
 * prefix, whitespace allowed), an Azure HCL report carrying a TDREPORT (tdx.md §4.3a), a bare
 * 1024-byte TDREPORT, or trustee's Azure TDX JSON (kind `quote`, with `hcl`). Anything else is
 * `EvidenceError('UnknownEvidence')`; recognised but malformed evidence throws the specific code
 * (`Truncated`, `BadField`, ...). For hex text and JSON fields, an error's offset is in the
 * decoded bytes.
 */
export function loadTdxEvidence(input: Uint8Array): TdxEvidence {
  const fromJson = loadJson(input);
  if (fromJson) return fromJson;
  const direct = loadBinary(input, 'binary');
  if (direct) return direct;
  const decoded = decodeHex(latin1(input));
  if (decoded) {
    const fromHex = loadBinary(decoded, 'hex');
    if (fromHex) return fromHex;
  }
  throw new EvidenceError(
    'UnknownEvidence',
    'not a TDX quote (v4/v5), an Azure HCL report with a TDREPORT, a TDREPORT, any of these as hex text, or trustee Azure TDX JSON',
    0,
  );
}

/** Re-raises an error of a JSON field with the field's name. */
function inField<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    // Inside a recognised document, bytes that are not the evidence they must be are a bad field.
    if (e instanceof EvidenceError) throw new EvidenceError(e.code === 'UnknownEvidence' ? 'BadField' : e.code, `JSON $.${field}: ${e.message}`, e.offset);
    throw new EvidenceError('BadField', `JSON $.${field}: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
}

/**
 * trustee's Azure TDX evidence (azure-evidence.ts: az_tdx_vtpm `EvidenceV0` / `EvidenceV1`): the
 * quote, and the HCL report for the binding of its REPORTDATA. `null` when the input is not a
 * JSON object; JSON of another shape is `UnknownEvidence`.
 */
function loadJson(input: Uint8Array): TdxEvidence | null {
  let i = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  while (i < input.length && (input[i] === 0x20 || input[i] === 0x09 || input[i] === 0x0a || input[i] === 0x0d)) i++;
  if (input[i] !== 0x7b) return null;
  const root = parseEvidenceJson(new TextDecoder('utf-8').decode(input), 'TDX');
  const azure = readTrusteeAzureEvidence(root);
  if (!azure) throw new EvidenceError('UnknownEvidence', 'JSON that is not trustee Azure TDX evidence (hcl_report and td_quote)', 0);
  if (azure.platform !== 'TDX') throw new EvidenceError('UnknownEvidence', 'this is trustee Azure SEV-SNP evidence, not TDX evidence', 0);
  const quote = inField('td_quote', () => parseTdxQuote(azure.tdQuote));
  const { hcl } = inField('hcl_report', () => parseHclTdReport(azure.hclReport));
  return { encoding: 'trustee-azure-json', kind: 'quote', quote, hcl };
}
