/**
 * Finds the SNP attestation report, and any certificates that travel with it, in the forms
 * evidence comes in (spec/snp.md §4–§7):
 *
 *  - a raw 1184-byte report (spec/snp.md §4), optionally followed by an extended-report
 *    certificate table (spec/snp.md §5: 24-byte GUID/offset/length entries, zero-terminated);
 *  - hex text of any of these (whitespace and a `0x` prefix tolerated), or base64 text of any
 *    of these (standard alphabet with line breaks anywhere, or base64url);
 *  - an Azure HCL report: "HCLA" magic, SNP report at byte 0x20 (spec/snp.md §6, §7 item 9);
 *  - JSON evidence such as trustee's Azure `evidence-genoa.json` (`report`: the HCL report as a
 *    byte array; `vcek`: a PEM string), and trustee's Azure evidence v1 and v2 (`hcl_report` and
 *    `vcek` in base64url; azure-evidence.ts).
 *
 * Everything that goes wrong is an `EvidenceError` with a code and, where it applies, a byte
 * offset in the input (DESIGN.md "Errors").
 */
import { describeAmdCertificate, parseCertificates } from './amd-chain.js';
import { EvidenceError } from './errors.js';
import { SNP_REPORT_SIZE, parseSnpReport, type SnpReport } from './snp-report.js';
import { decodeBase64, decodeByteArray, decodeHex, latin1 } from './encoding.js';
import { HCL_OFFSETS, HCL_REPORT_TYPE, HCL_RUNTIME_DATA_HEADER, isHcl, readHclReport, type HclReport } from './azure-hcl.js';
import { decodeBase64Url, parseEvidenceJson, readTrusteeAzureEvidence } from './azure-evidence.js';
import { bytesToHex } from '../format/bytes.js';

/** How the report was found. */
export type SnpEvidenceEncoding = 'raw' | 'hex' | 'base64' | 'azure-hcl' | 'json' | 'trustee-azure-json';

/** Certificates carried by the evidence itself, DER, by role (spec/snp.md §5). */
export interface SnpCertificates {
  vcek?: Uint8Array;
  vlek?: Uint8Array;
  ask?: Uint8Array;
  asvk?: Uint8Array;
  ark?: Uint8Array;
}

/** A report and what came with it. */
export interface SnpEvidence {
  /** The outermost encoding: hex text of an HCL report is `hex`, JSON around one is `json`. */
  readonly encoding: SnpEvidenceEncoding;
  readonly report: SnpReport;
  readonly certificates: SnpCertificates;
  /**
   * Azure HCL reports only: the runtime-claims data after the SNP report, the JSON whose
   * SHA-256 Azure puts in REPORT_DATA[0..32] (spec/tdx.md §3 and §5.2 for the TDX form; it
   * holds for trustee's SNP sample too).
   */
  readonly hclRuntimeData?: Uint8Array;
  /**
   * Azure HCL reports only: the HCL report's own parts (azure-hcl.ts), for the runtime-data
   * binding check (hcl-binding.ts). Set whenever the report came in an HCL report, in any
   * encoding, also when the HCL report ends before its runtime data.
   */
  readonly hcl?: HclReport;
}

// ---- helpers; the Azure HCL report ---------------------------------------------------------

const u32At = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** Re-raises a report error with the offset shifted to the enclosing input. */
function shifted(e: unknown, base: number, what: string): never {
  if (e instanceof EvidenceError) throw new EvidenceError(e.code, `${what}: ${e.message}`, (e.offset ?? 0) + base);
  throw e;
}

/**
 * The SNP report in an Azure HCL report (spec/snp.md §6, §7 item 9; layout in azure-hcl.ts), and
 * the runtime data after it when it is there and fits.
 */
function loadHcl(b: Uint8Array): { report: SnpReport; hcl: HclReport } {
  const at = HCL_OFFSETS.hardwareReport;
  if (b.length < at + SNP_REPORT_SIZE) {
    throw new EvidenceError('Truncated', `an Azure HCL report needs ${at + SNP_REPORT_SIZE} bytes (SNP report at 0x20), got ${b.length}`, b.length);
  }
  const hcl = readHclReport(b);
  if (hcl.runtimeDataHeader?.reportType === HCL_REPORT_TYPE.tdx) {
    throw new EvidenceError(
      'UnknownEvidence',
      'this Azure HCL report carries a TDX TDREPORT, not an SNP report',
      HCL_OFFSETS.runtimeDataHeader + HCL_RUNTIME_DATA_HEADER.fields.reportType.offset,
    );
  }
  if (hcl.runtimeDataHeader && !hcl.runtimeClaims) {
    // As for TDX (tdx-input.ts): a size that runs past the end is a truncated report.
    throw new EvidenceError(
      'Truncated',
      `HCL runtime data size ${hcl.runtimeDataHeader.variableDataSize} runs past the end of the input`,
      HCL_OFFSETS.runtimeDataHeader + HCL_RUNTIME_DATA_HEADER.fields.variableDataSize.offset,
    );
  }
  try {
    return { report: parseSnpReport(b.subarray(at, at + SNP_REPORT_SIZE)), hcl };
  } catch (e) {
    shifted(e, at, 'SNP report inside the HCL report');
  }
}

// ---- extended-report certificate table ------------------------------------------------------

/** Certificate-table GUIDs (spec/snp.md §5). */
const CERT_TABLE_GUIDS: ReadonlyArray<readonly [keyof SnpCertificates | 'ask-or-asvk', string]> = [
  ['vcek', '63da758d-e664-4564-adc5-f4b93be8accd'],
  ['vlek', 'a8074bc2-a25a-483e-aae6-39c045a0b8a1'],
  ['ask-or-asvk', '4ab7b379-bbac-4fe4-a02f-05aef327c782'],
  ['ark', 'c0b406a4-a803-4952-9743-3fb6014cd0ae'],
];


/**
 * The GUID's bytes in both orders that occur in practice: the textual order and the
 * little-endian-first-three-fields order of the kernel's `guid_t`. spec/snp.md does not say
 * which one the table uses, and accepting both costs nothing.
 */
function guidForms(text: string): [string, string] {
  const h = text.replace(/-/g, '');
  const sw = (s: string): string => s.match(/../g)!.reverse().join('');
  return [h, sw(h.slice(0, 8)) + sw(h.slice(8, 12)) + sw(h.slice(12, 16)) + h.slice(16)];
}

const MAX_TABLE_ENTRIES = 64;

/**
 * Reads an extended-report certificate table (spec/snp.md §5): 24-byte entries (GUID,
 * offset u32, length u32) up to an all-zero entry, offsets relative to the table's start.
 * `base` is the table's offset in the whole input, for error offsets. Unknown GUIDs are
 * skipped; the ASK/ASVK entry is filed by the certificate's CN.
 */
export function parseSnpCertificateTable(table: Uint8Array, base = 0): SnpCertificates {
  const out: SnpCertificates = {};
  for (let i = 0; ; i++) {
    const at = i * 24;
    if (i >= MAX_TABLE_ENTRIES) throw new EvidenceError('BadField', `certificate table has more than ${MAX_TABLE_ENTRIES} entries`, base + at);
    if (at + 24 > table.length) throw new EvidenceError('Truncated', 'certificate table ends without its all-zero terminator', base + table.length);
    const entry = table.subarray(at, at + 24);
    if (entry.every((b) => b === 0)) break;
    const offset = u32At(entry, 16);
    const length = u32At(entry, 20);
    if (offset > table.length || length > table.length - offset || length === 0) {
      throw new EvidenceError('BadField', `certificate table entry ${i}: offset ${offset} + length ${length} lies outside the ${table.length}-byte table`, base + at + 16);
    }
    const guid = bytesToHex(entry.subarray(0, 16));
    const kind = CERT_TABLE_GUIDS.find(([, g]) => guidForms(g).includes(guid))?.[0];
    if (!kind) continue;
    let der: Uint8Array;
    try {
      const certs = parseCertificates(table.subarray(offset, offset + length));
      der = certs[0]!;
    } catch (e) {
      shifted(e, base + offset, `certificate table entry ${i}`);
    }
    if (kind === 'ask-or-asvk') {
      const role = describeAmdCertificate(der).role;
      if (role === 'asvk') out.asvk ??= der;
      else out.ask ??= der;
    } else {
      out[kind] ??= der;
    }
  }
  return out;
}

// ---- binary forms --------------------------------------------------------------------------

/** A plausible report start: VERSION 2–5 (spec/snp.md §4). */
function looksLikeReport(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const v = u32At(b, 0);
  return v >= 2 && v <= 5;
}

interface Found {
  kind: 'raw' | 'azure-hcl';
  report: SnpReport;
  certificates: SnpCertificates;
  hcl?: HclReport;
}

function loadBinary(b: Uint8Array): Found {
  if (isHcl(b)) {
    const { report, hcl } = loadHcl(b);
    return { kind: 'azure-hcl', report, certificates: {}, hcl };
  }
  if (b.length === SNP_REPORT_SIZE) return { kind: 'raw', report: parseSnpReport(b), certificates: {} };
  if (looksLikeReport(b)) {
    if (b.length < SNP_REPORT_SIZE) {
      throw new EvidenceError('Truncated', `an SNP attestation report is ${SNP_REPORT_SIZE} bytes, got ${b.length}`, b.length);
    }
    const report = parseSnpReport(b.subarray(0, SNP_REPORT_SIZE));
    const rest = b.subarray(SNP_REPORT_SIZE);
    // Zero padding after a report (a page-sized buffer) carries nothing.
    if (rest.every((x) => x === 0)) return { kind: 'raw', report, certificates: {} };
    return { kind: 'raw', report, certificates: parseSnpCertificateTable(rest, SNP_REPORT_SIZE) };
  }
  throw new EvidenceError('UnknownEvidence', `not SNP evidence: ${b.length} bytes, neither an 1184-byte report, an HCL report, hex text nor JSON`, 0);
}

// ---- text forms ----------------------------------------------------------------------------

/** True when every byte is printable ASCII or whitespace (and there is at least one). */
function isText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (const x of b) {
    if (!(x === 0x09 || x === 0x0a || x === 0x0d || (x >= 0x20 && x < 0x7f))) return false;
  }
  return true;
}




// ---- JSON ----------------------------------------------------------------------------------

const MAX_JSON_DEPTH = 32;
const MAX_JSON_NODES = 200_000;

/** Bytes from a JSON value: a byte array, hex text or base64 text. */
function jsonBytes(v: unknown): Uint8Array | undefined {
  const arr = decodeByteArray(v);
  if (arr) return arr;
  if (typeof v !== 'string') return undefined;
  return decodeHex(v) ?? decodeBase64(v) ?? undefined;
}

const REPORT_KEY = /report/i;
const CERT_KEY = /vcek|vlek|ask|ark|asvk|cert|chain/i;

function addCertificates(out: SnpCertificates, ders: readonly Uint8Array[]): void {
  for (const der of ders) {
    const role = describeAmdCertificate(der).role;
    if (role) out[role] ??= der;
  }
}

/**
 * Walks parsed JSON (bounded depth and size) collecting report candidates (byte values under
 * a key containing "report") and certificates (PEM strings anywhere; DER bytes or base64
 * under certificate-like keys).
 */
function walkJson(root: unknown): { reports: Array<{ path: string; bytes: Uint8Array }>; certs: SnpCertificates } {
  const reports: Array<{ path: string; bytes: Uint8Array }> = [];
  const certs: SnpCertificates = {};
  let nodes = 0;
  const visit = (v: unknown, key: string, path: string, depth: number): void => {
    if (++nodes > MAX_JSON_NODES) throw new EvidenceError('BadField', `JSON evidence has more than ${MAX_JSON_NODES} values`, 0);
    if (depth > MAX_JSON_DEPTH) throw new EvidenceError('BadField', `JSON evidence is nested deeper than ${MAX_JSON_DEPTH}`, 0);
    if (typeof v === 'string' && v.includes('-----BEGIN CERTIFICATE-----')) {
      addCertificates(certs, parseCertificates(new TextEncoder().encode(v)));
      return;
    }
    if (REPORT_KEY.test(key)) {
      const b = jsonBytes(v);
      if (b) {
        reports.push({ path, bytes: b });
        return;
      }
    } else if (CERT_KEY.test(key)) {
      const b = jsonBytes(v);
      if (b && b[0] === 0x30) {
        addCertificates(certs, parseCertificates(b));
        return;
      }
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, key, `${path}[${i}]`, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) visit(x, k, `${path}.${k}`, depth + 1);
    }
  };
  visit(root, '', '$', 0);
  return { reports, certs };
}

/**
 * trustee's Azure SEV-SNP evidence v1/v2 (azure-evidence.ts): the HCL report from `hcl_report`,
 * and the `vcek` field as the report's certificate (trustee's `compat::Evidence::vcek`).
 */
function loadTrusteeAzure(hclReport: Uint8Array, vcek: Uint8Array): { found: Found; certs: SnpCertificates } {
  if (!isHcl(hclReport)) throw new EvidenceError('BadField', 'trustee Azure SEV-SNP evidence: "hcl_report" does not start with the "HCLA" magic', 0);
  let found: Found;
  try {
    found = loadBinary(hclReport);
  } catch (e) {
    // Inside a recognised document, an HCL report that is not SNP evidence is a bad field.
    if (e instanceof EvidenceError) throw new EvidenceError(e.code === 'UnknownEvidence' ? 'BadField' : e.code, `JSON $.hcl_report: ${e.message}`, e.offset);
    throw e;
  }
  const certs: SnpCertificates = {};
  let ders: Uint8Array[];
  try {
    ders = parseCertificates(vcek);
  } catch (e) {
    if (e instanceof EvidenceError) throw new EvidenceError(e.code, `JSON $.vcek: ${e.message}`);
    throw e;
  }
  const der = ders[0];
  if (der) {
    // Filed by its name; a certificate of an unknown name in this field is the VCEK, as trustee takes it.
    const role = describeAmdCertificate(der).role;
    if (role === 'vlek') certs.vlek = der;
    else certs.vcek = der;
  }
  return { found, certs };
}

function loadJson(text: string): { encoding: SnpEvidenceEncoding; found: Found; certs: SnpCertificates } {
  const root = parseEvidenceJson(text, 'SNP');
  const azure = readTrusteeAzureEvidence(root);
  if (azure?.platform === 'TDX') throw new EvidenceError('UnknownEvidence', 'this is trustee Azure TDX evidence (td_quote), not SEV-SNP evidence', 0);
  if (azure) return { encoding: 'trustee-azure-json', ...loadTrusteeAzure(azure.hclReport, azure.vcek) };
  const { reports, certs } = walkJson(root);
  let firstError: EvidenceError | undefined;
  for (const r of reports) {
    try {
      const found = loadBinary(r.bytes);
      return { encoding: 'json', found, certs: { ...certs, ...found.certificates } };
    } catch (e) {
      if (!(e instanceof EvidenceError)) throw e;
      firstError ??= new EvidenceError(e.code, `JSON ${r.path}: ${e.message}`, e.offset);
    }
  }
  throw firstError ?? new EvidenceError('UnknownEvidence', 'JSON evidence holds no SNP report (no byte value under a "report" key)', 0);
}

// ---- entry point ---------------------------------------------------------------------------

/**
 * Detects the encoding of `input` and returns the SNP report and any certificates found with
 * it. Throws `EvidenceError`: `UnknownEvidence` when the input is none of the supported forms,
 * otherwise the code of what is wrong inside it (`Truncated`, `UnsupportedVersion`,
 * `BadField`, `BadCertificate`).
 */
export function loadSnpEvidence(input: Uint8Array): SnpEvidence {
  try {
    return loadSnpEvidenceUnchecked(input);
  } catch (e) {
    if (e instanceof EvidenceError) throw e;
    // Last line of defence (DESIGN.md "Errors"): nothing but EvidenceError leaves this API.
    throw new EvidenceError('UnknownEvidence', `evidence cannot be read: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
}

/** The first byte that is not whitespace, after a UTF-8 byte-order mark. */
function firstSignificantByte(b: Uint8Array): number | undefined {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return b[i];
}

function loadSnpEvidenceUnchecked(input: Uint8Array): SnpEvidence {
  const first = firstSignificantByte(input);
  if (first === 0x7b || first === 0x5b) {
    // "{" or "[": JSON, which may hold any UTF-8 text besides the evidence.
    const { encoding, found, certs } = loadJson(new TextDecoder('utf-8', { ignoreBOM: false }).decode(input));
    return evidence(encoding, found, certs);
  }
  if (!isHcl(input) && isText(input)) {
    const text = latin1(input).trim();
    const bytes = decodeHex(text);
    if (bytes === null && /^(0[xX])?[0-9a-fA-F\s]+$/.test(text)) {
      throw new EvidenceError('BadField', 'hex text has an odd number of digits', 0);
    }
    if (bytes) {
      const found = loadBinary(bytes);
      return evidence('hex', found, found.certificates);
    }
    if (text.includes('-----BEGIN')) {
      throw new EvidenceError('UnknownEvidence', 'this is PEM text (a certificate?), not SNP evidence', 0);
    }
    const fromBase64 = decodeBase64(text) ?? decodeBase64Url(text.replace(/\s+/g, ''));
    if (fromBase64 && fromBase64.length > 0) {
      const found = loadBinary(fromBase64);
      return evidence('base64', found, found.certificates);
    }
    throw new EvidenceError('UnknownEvidence', 'text that is neither hex, base64 nor JSON', 0);
  }
  const found = loadBinary(input);
  return evidence(found.kind, found, found.certificates);
}

function evidence(encoding: SnpEvidenceEncoding, found: Found, certificates: SnpCertificates): SnpEvidence {
  const out: { -readonly [K in keyof SnpEvidence]: SnpEvidence[K] } = { encoding, report: found.report, certificates };
  if (found.hcl) out.hcl = found.hcl;
  if (found.hcl?.runtimeClaims) out.hclRuntimeData = found.hcl.runtimeClaims;
  return out;
}
