/**
 * The error type of the CoRIM / COSE part of the sign layer (spec/vbs-cca-corim.md §3;
 * DESIGN.md "Errors"): a CoRIM document, a COSE_Sign1 envelope, a key or a certificate that
 * cannot be read or used. A signature that does not verify or a digest that differs is not an
 * error: it is a `Check` with `ok: false` (src/sign/corim-verify.ts). Errors are for input
 * that cannot be read at all.
 */
import { CodedError } from '../format/coded-error.js';

/** Every code a `CorimError` can carry. */
export const CORIM_ERROR_CODES = [
  'BadCbor', // not well-formed CBOR (truncated, trailing bytes, duplicate map keys, ...)
  'NotCorim', // CBOR, but not a tagged-unsigned-corim-map (#6.501)
  'SignedCorim', // a COSE_Sign1 (#6.18) where the unsigned document was expected
  'UnsupportedProfile', // a CoRIM of another profile than the launch-measurement profile
  'BadStructure', // a field of the profile missing or of the wrong type or count (vbs-cca-corim.md §3.3)
  'UnsupportedPlatform', // a platform (or vendor/model) the launch-measurement profile does not define
  'BadDigest', // a digest of the wrong length or algorithm for its platform
  'BadSvn', // an SVN that is not an exact #6.552 unsigned integer
  'BadCoseSign1', // not a COSE_Sign1 as RFC 9052 §4.2 defines it
  'UnsupportedAlgorithm', // a COSE algorithm other than PS384 (-38) and ES384 (-35)
  'BadKey', // a private key that cannot be read, or is neither RSA nor ECDSA P-384
  'BadCertificate', // a certificate that cannot be read, or whose key is neither RSA nor P-384
  'KeyCertificateMismatch', // the private key does not belong to the certificate
  'BadSignature', // a signature made elsewhere that cannot be read (neither raw r‖s nor DER for ES384)
  'SignatureDoesNotVerify', // a signature made elsewhere that does not verify with the certificate
  'NoMatchingPlatform', // a CoRIM for a platform the IGVM file does not have
] as const;

export type CorimErrorCode = (typeof CORIM_ERROR_CODES)[number];

/** A CoRIM document, COSE_Sign1 envelope, key or certificate that cannot be read or used. */
export class CorimError extends CodedError<CorimErrorCode> {
  override readonly name = 'CorimError';
}
