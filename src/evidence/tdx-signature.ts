/**
 * The ECDSA P-256/SHA-256 signatures of TDX evidence and collateral, which are raw r‖s (IEEE
 * P1363) rather than DER (spec/tdx.md §4.3, §4.4, §4.5 "TS hints"): verifying them with
 * WebCrypto, importing the quote's raw X‖Y attestation key, and exporting a certificate's key.
 * Every failure is a value (false, or a string saying why), never an exception.
 */
import { commonName, errorText } from './intel-chain.js';
import { x509 } from '../pki/x509.js';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** WebCrypto's key type, named without the DOM library (the core must not depend on it). */
export type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Verifies a raw r‖s ECDSA P-256/SHA-256 signature with a CryptoKey; false on any failure. */
export async function verifyRaw(key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ECDSA_SHA256, key, signature, data);
  } catch {
    return false;
  }
}

/** Imports a raw X‖Y P-256 point (tdx.md §4.5 "TS hints"); a string says why it failed. */
export async function importRawP256(xy: Uint8Array): Promise<CryptoKey | string> {
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(xy, 1);
  try {
    return await crypto.subtle.importKey('raw', point, ECDSA_P256, false, ['verify']);
  } catch (e) {
    return `the attestation key is not a valid P-256 point (${errorText(e)})`;
  }
}

/** A certificate's key as an ECDSA P-256 verify key; a string says why it is not one. */
export async function certificateKey(cert: x509.X509Certificate): Promise<CryptoKey | string> {
  try {
    return await cert.publicKey.export(ECDSA_P256, ['verify']);
  } catch (e) {
    return `the key of "${commonName(cert.subject)}" is not an ECDSA P-256 key (${errorText(e)})`;
  }
}
