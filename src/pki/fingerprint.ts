/**
 * Certificate fingerprints and pins: the SHA-256 of a certificate's DER, lowercase hex, is how
 * roots are trusted (AMD's ARK per product, spec/snp.md §5; Intel's SGX Root CA, spec/tdx.md
 * §4.5 "Trust anchor") — by fingerprint and never by name, since a look-alike root can carry
 * exactly the trusted root's subject (spec/tdx.md §5.3).
 *
 * Synchronous (@noble/hashes), so a pin can be looked up where no promise can be awaited.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { x509 } from './x509.js';
import { bytesToHex } from '../format/bytes.js';

/** Lowercase hex SHA-256 of a certificate's DER (given as DER or as a parsed certificate). */
export function certificateFingerprint(cert: Uint8Array | x509.X509Certificate): string {
  return bytesToHex(sha256(cert instanceof Uint8Array ? cert : new Uint8Array(cert.rawData)));
}

/** A certificate's fingerprint and the name of the pin it matches, if any. */
export interface PinMatch<K extends string> {
  readonly fingerprint: string;
  /** The key of `pins` whose fingerprint this is; `undefined` when none is. */
  readonly pin: K | undefined;
}

/** Looks a certificate up in a table of pinned SHA-256 fingerprints (lowercase hex). */
export function matchPin<K extends string>(cert: Uint8Array | x509.X509Certificate, pins: Readonly<Record<K, string>>): PinMatch<K> {
  const fingerprint = certificateFingerprint(cert);
  const pin = (Object.keys(pins) as K[]).find((k) => pins[k] === fingerprint);
  return { fingerprint, pin };
}
