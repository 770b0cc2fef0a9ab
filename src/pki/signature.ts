/**
 * Certificate signatures over WebCrypto: which algorithm a certificate is signed with and
 * what key it holds (for the callers' algorithm rules: RSASSA-PSS/SHA-384 for AMD, spec/snp.md
 * §5; ECDSA P-256/SHA-256 for Intel, spec/tdx.md §4.4; RSA for CoRIM signers,
 * spec/vbs-cca-corim.md §3.4), whether a certificate's signature verifies with an issuer's key,
 * and a certificate's key imported for verifying other data (SNP reports, COSE_Sign1).
 *
 * Verification is @peculiar/x509's: it checks the signature over tbsCertificate exactly as
 * encoded in the certificate (asn1-x509 keeps those bytes), with the algorithm and parameters
 * (hash, PSS salt length) the certificate declares.
 */
import type { x509 } from './x509.js';
import { errorMessage } from './errors.js';

/** A WebCrypto key (the DOM `CryptoKey`; this project compiles without the DOM lib). */
export type PublicCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** WebCrypto import parameters for a public key. */
export type KeyImportParams = Parameters<typeof crypto.subtle.importKey>[2];

/** The algorithm a certificate is signed with, in WebCrypto's names (`RSA-PSS`, `ECDSA`, ...). */
export interface SignatureAlgorithm {
  readonly name: string | undefined;
  readonly hash: string | undefined;
  /** RSA-PSS only. */
  readonly saltLength: number | undefined;
}

/** The signature algorithm of `cert` (the one its issuer signed it with). */
export function signatureAlgorithmOf(cert: x509.X509Certificate): SignatureAlgorithm {
  const alg = cert.signatureAlgorithm as { name?: string; hash?: { name?: string } | string; saltLength?: number };
  return {
    name: alg.name,
    hash: typeof alg.hash === 'string' ? alg.hash : alg.hash?.name,
    saltLength: alg.saltLength,
  };
}

/** The algorithm of a certificate's own public key (`RSASSA-PKCS1-v1_5`, `ECDSA` and its curve, ...). */
export interface PublicKeyAlgorithm {
  readonly name: string | undefined;
  /** ECDSA only: `P-256`, `P-384`, ... */
  readonly namedCurve: string | undefined;
}

/** The algorithm of `cert`'s subject public key. */
export function publicKeyAlgorithmOf(cert: x509.X509Certificate): PublicKeyAlgorithm {
  const key = cert.publicKey.algorithm as { name?: string; namedCurve?: string };
  return { name: key.name, namedCurve: key.namedCurve };
}

/** Whether a certificate's signature verifies, and why it could not be checked when it could not. */
export interface SignatureCheck {
  readonly verifies: boolean;
  /** Set when the signature could not be checked at all (e.g. the issuer's key is of another kind). */
  readonly error?: string;
}

/**
 * Checks `cert`'s signature with `issuer`'s public key, under the algorithm `cert` declares.
 * Names are not compared (see chain.ts). Never throws: a key or signature that cannot be used
 * is `verifies: false` with the reason.
 */
export async function checkSignature(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<SignatureCheck> {
  let key: PublicCryptoKey;
  try {
    // The issuer's key as WebCrypto needs it for this signature (e.g. an RSA key for RSA-PSS/SHA-384).
    key = await issuer.publicKey.export({ ...issuer.publicKey.algorithm, ...cert.signatureAlgorithm }, ['verify']);
  } catch (e) {
    return { verifies: false, error: errorMessage(e) };
  }
  try {
    return { verifies: await cert.verify({ publicKey: key, signatureOnly: true }) };
  } catch (e) {
    return { verifies: false, error: errorMessage(e) };
  }
}

/**
 * `cert`'s subject public key imported into WebCrypto with `algorithm` (e.g. `{ name: 'ECDSA',
 * namedCurve: 'P-384' }` for an SNP report, `{ name: 'RSA-PSS', hash: 'SHA-384' }` for PS384).
 * Rejects with WebCrypto's error when the key is not of that kind.
 */
export async function importCertificateKey(cert: x509.X509Certificate, algorithm: KeyImportParams): Promise<PublicCryptoKey> {
  return crypto.subtle.importKey('spki', new Uint8Array(cert.publicKey.rawData), algorithm, false, ['verify']);
}
