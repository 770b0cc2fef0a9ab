/**
 * The error type of the SNP ID block part of the sign layer (spec/snp.md §3; DESIGN.md
 * "Errors"): keys that cannot be used, signatures that cannot be decoded or do not verify,
 * files that cannot be given an ID block, and option values the ID block cannot hold. A failed *check* of `verifyIgvmSignatures` is
 * not an error: it is a `Check` with `ok: false`. Errors are for requests that cannot be met.
 */
import { CodedError, type CodedErrorJson } from '../format/coded-error.js';

/** Every code a `SignError` can carry. */
export const SIGN_ERROR_CODES = [
  'BadKey', // not a readable private or public key (not PEM/DER, encrypted, wrong PEM label, not a valid point)
  'WrongCurve', // a readable key that is not ECDSA P-384 (another curve, or RSA/EdDSA/...) — spec/snp.md §3.2
  'BadSignature', // a signature that cannot be decoded (not DER, raw r||s, or the AMD layout; r or s too large)
  'SignatureDoesNotVerify', // a signature given from outside that does not verify over the bytes to be signed
  'NoSnpPlatform', // the file has no SEV_SNP platform, so there is no ID block to make
  'NoGuestPolicy', // no GUEST_POLICY covers the SEV_SNP platform, so the ID block's POLICY is unknown (§3.3)
  'ConflictingGuestPolicy', // several GUEST_POLICY headers with different values cover the platform
  'NotMeasurable', // the launch digest of the SEV_SNP platform cannot be computed under the profile
  'BadOption', // an option value the ID block cannot hold, or a contradictory combination of options
] as const;

/** A stable signing error code. */
export type SignErrorCode = (typeof SIGN_ERROR_CODES)[number];

/** A signing request that cannot be met. */
export class SignError extends CodedError<SignErrorCode> {
  override readonly name = 'SignError';

  /** A signing error points at no byte offset of an input, so it takes none. */
  constructor(code: SignErrorCode, message: string) {
    super(code, message);
  }

  /**
   * `{code, message}` for JSON output: without the `offset: null` of other `CodedError`s, as
   * the signing layer has always written it (the CLI adds `offset: null` itself).
   */
  override toJSON(): CodedErrorJson {
    return { code: this.code, message: this.message };
  }
}
