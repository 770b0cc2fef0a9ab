/**
 * The evidence layer's boundary with the certificate layer (DESIGN.md "Errors"): a `PkiError`
 * from src/pki/ leaves the evidence layer as an `EvidenceError` with the same message and
 * offset, so callers (and the CLI's exit codes) see one error class per area. Unreadable PEM,
 * certificates and extensions are `BadCertificate`; an unreadable CRL is `BadCollateral` (CRLs
 * come with Intel's collateral, spec/tdx.md §4.5).
 */
import { PkiError } from '../pki/errors.js';
import { EvidenceError } from './errors.js';

/** `e` as the evidence layer reports it: a `PkiError` becomes an `EvidenceError`, anything else is unchanged. */
export function asEvidenceError(e: unknown): unknown {
  if (!(e instanceof PkiError)) return e;
  return new EvidenceError(e.code === 'BadCrl' ? 'BadCollateral' : 'BadCertificate', e.message, e.offset);
}

/** Runs `read`, rethrowing a `PkiError` as an `EvidenceError`. */
export function withEvidenceErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw asEvidenceError(e);
  }
}
