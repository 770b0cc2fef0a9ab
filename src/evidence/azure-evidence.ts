/**
 * trustee's Azure vTPM evidence JSON (the documents its attester sends for Azure confidential
 * VMs; the HCL report inside is spec/snp.md §6, §7 item 9 for SEV-SNP and spec/tdx.md §4.3a,
 * §5.2 for TDX): which document it is, and its byte fields decoded. The HCL report, the quote and
 * the certificate inside are parsed by snp-input.ts and tdx-input.ts.
 *
 * The field names and encodings are those of confidential-containers/trustee:
 *  - SEV-SNP, deps/verifier/src/az_snp_vtpm/compat.rs `EvidenceV1` / `EvidenceV2`:
 *    `{"version": 1 | 2, "tpm_quote": {...}, "hcl_report": <base64url>, "vcek": <base64url of
 *    the VCEK's DER>}` (serde_with `Base64<UrlSafe>`; `VersionCheck<1>` / `VersionCheck<2>`
 *    refuse any other version). The legacy `EvidenceV0` (`quote`, `report` as a byte array,
 *    `vcek` as PEM text) has no version and is read by snp-input.ts's general JSON reader.
 *  - TDX, deps/verifier/src/az_tdx_vtpm/compat.rs `EvidenceV1` (`version`, `tpm_quote`,
 *    `hcl_report` and `td_quote` in base64url) and `EvidenceV0` (no version; `hcl_report` and
 *    `td_quote` as byte arrays).
 * The TPM quote (`tpm_quote`) is the vTPM's, signed by a key in the HCL runtime data; this
 * project does not verify it, so it is not required.
 *
 * Everything that goes wrong with a recognised document is an `EvidenceError` (`BadField` for a
 * field that cannot be decoded, `UnsupportedVersion` for a version trustee does not read).
 */
import { decodeBase64, decodeByteArray } from './encoding.js';
import { EvidenceError } from './errors.js';

/** A trustee Azure SEV-SNP vTPM document, v1 or v2. */
export interface TrusteeAzureSnp {
  readonly platform: 'SEV_SNP';
  readonly version: 1 | 2;
  /** The HCL report (spec/snp.md §6): SNP report at 0x20, runtime data at 0x4D4. */
  readonly hclReport: Uint8Array;
  /** The `vcek` field's bytes: DER (trustee's `X509::from_der`), or PEM text. */
  readonly vcek: Uint8Array;
}

/** A trustee Azure TDX vTPM document, v0 or v1. */
export interface TrusteeAzureTdx {
  readonly platform: 'TDX';
  readonly version: number;
  /** The HCL report carrying the TDREPORT (spec/tdx.md §4.3a) and the runtime data (§5.2). */
  readonly hclReport: Uint8Array;
  /** The TD quote (spec/tdx.md §4.1). */
  readonly tdQuote: Uint8Array;
}

/** Either platform's document. */
export type TrusteeAzureEvidence = TrusteeAzureSnp | TrusteeAzureTdx;

/**
 * Decodes base64url (RFC 4648 §5), padded or not, as serde_with's `Base64<UrlSafe>` writes it;
 * `null` when the text is not base64url. The standard alphabet's `+` and `/` are refused.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (/[+/\s]/.test(text)) return null;
  const std = text.replace(/-/g, '+').replace(/_/g, '/');
  const unpadded = std.replace(/=+$/, '');
  if (unpadded.length % 4 === 1 || unpadded.includes('=')) return null;
  if (std.length !== unpadded.length && std.length % 4 !== 0) return null;
  return decodeBase64(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A base64url string field, decoded and non-empty. */
function base64UrlField(doc: Record<string, unknown>, name: string, what: string): Uint8Array {
  const v = doc[name];
  if (typeof v !== 'string') throw new EvidenceError('BadField', `${what}: "${name}" is not a string (base64url expected)`, 0);
  const bytes = decodeBase64Url(v);
  if (!bytes) throw new EvidenceError('BadField', `${what}: "${name}" is not base64url`, 0);
  if (bytes.length === 0) throw new EvidenceError('BadField', `${what}: "${name}" is empty`, 0);
  return bytes;
}

/** The `version` word: a u32 as serde reads one. */
function versionOf(doc: Record<string, unknown>, what: string): number {
  const v = doc.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new EvidenceError('BadField', `${what}: "version" is not an unsigned 32-bit integer`, 0);
  }
  return v;
}

/**
 * Recognises a parsed JSON value as one of trustee's Azure documents; `null` when it has not
 * their shape (an object with `hcl_report` and `vcek`, or `hcl_report` and `td_quote`). A
 * recognised document whose fields cannot be decoded throws `EvidenceError`.
 */
export function readTrusteeAzureEvidence(root: unknown): TrusteeAzureEvidence | null {
  if (!isObject(root) || !('hcl_report' in root)) return null;
  if ('td_quote' in root) {
    if (!('version' in root)) {
      // az_tdx_vtpm EvidenceV0: byte arrays.
      const what = 'trustee Azure TDX evidence v0';
      const hclReport = decodeByteArray(root.hcl_report);
      const tdQuote = decodeByteArray(root.td_quote);
      if (!hclReport) throw new EvidenceError('BadField', `${what}: "hcl_report" is not a byte array`, 0);
      if (!tdQuote) throw new EvidenceError('BadField', `${what}: "td_quote" is not a byte array`, 0);
      return { platform: 'TDX', version: 0, hclReport, tdQuote };
    }
    // az_tdx_vtpm EvidenceV1: `version: u32` (any value), base64url fields.
    const what = 'trustee Azure TDX evidence';
    const version = versionOf(root, what);
    return { platform: 'TDX', version, hclReport: base64UrlField(root, 'hcl_report', what), tdQuote: base64UrlField(root, 'td_quote', what) };
  }
  if (!('vcek' in root) || !('version' in root)) return null;
  const what = 'trustee Azure SEV-SNP evidence';
  const version = versionOf(root, what);
  if (version !== 1 && version !== 2) {
    throw new EvidenceError('UnsupportedVersion', `${what}: version ${version}; trustee reads versions 1 and 2 (and v0 without a version field)`, 0);
  }
  return { platform: 'SEV_SNP', version, hclReport: base64UrlField(root, 'hcl_report', what), vcek: base64UrlField(root, 'vcek', what) };
}

/**
 * Parses text as JSON for the readers of both platforms; `UnknownEvidence` when it is not JSON.
 */
export function parseEvidenceJson(text: string, platform: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new EvidenceError(
      'UnknownEvidence',
      `not ${platform} evidence: text starting with "{" or "[" is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      0,
    );
  }
}
