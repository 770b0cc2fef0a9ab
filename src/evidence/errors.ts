/**
 * The error type of the evidence layer: malformed attestation reports, quotes, certificates
 * and collateral (DESIGN.md "Errors"). A failed *check* (a bad signature, a wrong chain) is not
 * an error: it is a `Check` with `ok: false`. Errors are for input that cannot be read at all.
 */
import { CodedError } from '../format/coded-error.js';

/** Every code an `EvidenceError` can carry. */
export const EVIDENCE_ERROR_CODES = [
  'UnknownEvidence', // not an SNP report, HCL report, TDX quote or TDREPORT in any known encoding
  'Truncated', // shorter than its structure or a length field says
  'UnsupportedVersion', // a report or quote version we do not know
  'BadField', // a field value that makes the structure unreadable (e.g. a length past the end)
  'BadCertificate', // a certificate or PEM/DER that cannot be parsed
  'BadCollateral', // collateral JSON that cannot be read
  'MissingCertificate', // a certificate needed for verification was not given (and not fetched)
  'FetchFailed', // a KDS request failed
] as const;

export type EvidenceErrorCode = (typeof EVIDENCE_ERROR_CODES)[number];

/** Evidence that cannot be read. */
export class EvidenceError extends CodedError<EvidenceErrorCode> {
  override readonly name = 'EvidenceError';
}
