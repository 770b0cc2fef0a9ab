/**
 * The error type of the certificate layer (DESIGN.md "Errors"): PEM text, certificates,
 * certificate extensions and CRLs that cannot be read at all. A signature that does not verify
 * or a chain that does not reach a pin is not an error: the chain walker reports it as a
 * result. The layers above (evidence, sign) catch `PkiError` at their boundary and rethrow it
 * as their own error type with the same message and offset, so callers see one error class per
 * area.
 */
import { CodedError } from '../format/coded-error.js';

/** Every code a `PkiError` can carry. */
export const PKI_ERROR_CODES = [
  'BadPem', // a PEM block without its END line, or whose body is not base64 (RFC 7468)
  'BadCertificate', // bytes that are not a readable X.509 certificate, or no certificate at all
  'BadExtension', // a certificate extension whose value does not have its documented structure
  'BadCrl', // bytes that are not a readable X.509 CRL
] as const;

export type PkiErrorCode = (typeof PKI_ERROR_CODES)[number];

/** PEM, a certificate, an extension or a CRL that cannot be read. */
export class PkiError extends CodedError<PkiErrorCode> {
  override readonly name = 'PkiError';
}

/** The message of anything thrown, for error messages and check details. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
