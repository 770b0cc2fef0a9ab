/**
 * The two COSE signature algorithms a CoRIM signer may use, and the keys for them: PS384
 * (COSE alg -38, RFC 8230 §2: RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt; the only
 * one openvmm's loader accepts, spec/vbs-cca-corim.md §3.4) and ES384 (COSE alg -35,
 * RFC 9053 §2.1: ECDSA P-384 with SHA-384, the signature the fixed-length r‖s of 96 bytes, not
 * DER). The algorithm follows the key: an RSA key signs PS384, a P-384 key ES384, anything
 * else is refused by name. Private keys are read in the formats SNP ID keys are
 * (src/sign/keys.ts: PEM or DER, PKCS#8 or SEC1); a certificate's key must be of the kind its
 * algorithm needs. Signatures made elsewhere (an HSM, a cloud KMS, openssl) are converted to
 * COSE's form here: DER ECDSA-Sig-Value to r‖s, RSA-PSS as it is.
 *
 * WebCrypto only (no `node:` import): WebCrypto's ECDSA already produces and expects r‖s.
 */
import { CorimError } from './corim-errors.js';
import { SignError } from './errors.js';
import { loadPrivateKey, pkcs8AlgorithmOid, type WebCryptoKey } from './keys.js';
import { derSignature, rawSignature, signatureFromDer, signatureFromRaw } from './signature.js';
import { decodePem, latin1 } from '../pki/pem.js';
import { loadCertificate } from '../pki/certificate.js';
import { PkiError, errorMessage } from '../pki/errors.js';
import { importCertificateKey, publicKeyAlgorithmOf } from '../pki/signature.js';
import type { x509 } from '../pki/x509.js';

/** COSE algorithm ES384 (RFC 9053 §2.1): ECDSA on P-384 with SHA-384. */
export const COSE_ALG_ES384 = -35;

/** COSE algorithm PS384 (RFC 8230 §2): RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt. */
export const COSE_ALG_PS384_ID = -38;

/** The signature algorithms of a CoRIM COSE_Sign1, by their COSE names. */
export type CoseAlgorithmName = 'PS384' | 'ES384';

/** How WebCrypto does each algorithm, and its COSE id. */
const ALGORITHMS = {
  PS384: {
    id: COSE_ALG_PS384_ID,
    importParams: { name: 'RSA-PSS', hash: 'SHA-384' },
    signParams: { name: 'RSA-PSS', saltLength: 48 },
    keyKind: 'an RSA key',
  },
  ES384: {
    id: COSE_ALG_ES384,
    importParams: { name: 'ECDSA', namedCurve: 'P-384' },
    signParams: { name: 'ECDSA', hash: 'SHA-384' },
    keyKind: 'an ECDSA P-384 key',
  },
} as const;

/** Bytes of an ES384 signature: r ‖ s, 48 bytes each, big-endian (RFC 9053 §2.1). */
export const ES384_SIGNATURE_BYTES = 96;

/** The COSE id of an algorithm. */
export function coseAlgorithmId(alg: CoseAlgorithmName): number {
  return ALGORITHMS[alg].id;
}

/** The algorithm of a COSE id, or `undefined` for one a CoRIM signer may not use. */
export function coseAlgorithmOf(id: unknown): CoseAlgorithmName | undefined {
  if (id === COSE_ALG_PS384_ID) return 'PS384';
  if (id === COSE_ALG_ES384) return 'ES384';
  return undefined;
}

const ALLOWED = 'CoRIM signing keys are RSA (PS384, COSE alg -38) or ECDSA P-384 (ES384, COSE alg -35)';

/** A private key with the algorithm it signs with. */
export interface CoseSigningKey {
  readonly algorithm: CoseAlgorithmName;
  readonly privateKey: WebCryptoKey;
}

/** The algorithm a WebCrypto private key signs with; `CorimError('BadKey')` for another kind. */
export function algorithmOfCryptoKey(key: WebCryptoKey): CoseAlgorithmName {
  const a = key.algorithm as { name?: string; namedCurve?: string };
  if (a.name === 'RSA-PSS') return 'PS384';
  if (a.name === 'ECDSA' && a.namedCurve === 'P-384') return 'ES384';
  throw new CorimError('BadKey', `the key is ${a.name ?? 'of an unknown algorithm'}${a.namedCurve ? ` on ${a.namedCurve}` : ''}; ${ALLOWED}`);
}

/** OIDs of PKCS#8 key algorithms (RFC 8017 A.1, RFC 5480 §2.1.1). */
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
const OTHER_KEYS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.10': 'an RSASSA-PSS-restricted key (convert it to a plain rsaEncryption PKCS#8 key)',
  '1.2.840.10040.4.1': 'a DSA key',
  '1.3.101.112': 'an Ed25519 key',
  '1.3.101.113': 'an Ed448 key',
  '1.3.101.110': 'an X25519 key',
  '1.3.101.111': 'an X448 key',
};

async function loadEcKey(input: Uint8Array | string): Promise<CoseSigningKey> {
  try {
    return { algorithm: 'ES384', privateKey: (await loadPrivateKey(input, 'the CoRIM signing key')).privateKey };
  } catch (e) {
    if (e instanceof SignError) throw new CorimError('BadKey', `${e.message.replace(/; SNP ID and author keys must be .*$/, '')}; ${ALLOWED}`);
    throw e;
  }
}

async function loadRsaKey(pkcs8: Uint8Array): Promise<CoseSigningKey> {
  try {
    return { algorithm: 'PS384', privateKey: await crypto.subtle.importKey('pkcs8', pkcs8, ALGORITHMS.PS384.importParams, false, ['sign']) };
  } catch (e) {
    throw new CorimError('BadKey', `the key is not a usable RSA PKCS#8 private key: ${errorMessage(e)}`);
  }
}

/**
 * Loads a CoRIM signing key and picks its algorithm: an RSA key (PKCS#8 PEM `PRIVATE KEY` or
 * DER) signs PS384; an ECDSA P-384 key in any form an SNP ID key may take (PKCS#8 or SEC1
 * `EC PRIVATE KEY`, PEM or DER) signs ES384. PKCS#1 (`RSA PRIVATE KEY`), encrypted keys, other
 * curves and other key types are `CorimError('BadKey')` saying what the key is.
 */
export async function importCoseSigningKey(pemOrDer: Uint8Array | string): Promise<CoseSigningKey> {
  const text = typeof pemOrDer === 'string' ? pemOrDer : pemOrDer[0] === 0x30 ? undefined : latin1(pemOrDer.subarray(0, Math.min(pemOrDer.length, 1 << 20)));
  if (text !== undefined && text.includes('-----BEGIN')) {
    let labels: string[];
    let first: Uint8Array | undefined;
    try {
      const blocks = decodePem(text).filter((b) => b.label !== 'EC PARAMETERS');
      labels = blocks.map((b) => b.label);
      first = blocks.length === 1 ? blocks[0]!.der : undefined;
    } catch (e) {
      throw new CorimError('BadKey', `the key PEM cannot be read: ${errorMessage(e)}`);
    }
    if (labels.length !== 1) throw new CorimError('BadKey', `expected one private key PEM block, found ${labels.join(', ') || 'none'}`);
    const label = labels[0]!;
    if (label === 'EC PRIVATE KEY') return loadEcKey(text);
    if (label === 'RSA PRIVATE KEY') {
      throw new CorimError('BadKey', "the key is PKCS#1 ('RSA PRIVATE KEY'); convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.p8.pem");
    }
    if (label === 'ENCRYPTED PRIVATE KEY') throw new CorimError('BadKey', 'the key is encrypted; decrypt it to an unencrypted PKCS#8 PEM first, or sign elsewhere (--emit-tbs)');
    if (label !== 'PRIVATE KEY') throw new CorimError('BadKey', `a ${label} PEM block is not a private key; ${ALLOWED}`);
    return keyOfPkcs8(first!, text);
  }
  const der = typeof pemOrDer === 'string' ? new TextEncoder().encode(pemOrDer) : new Uint8Array(pemOrDer);
  return keyOfPkcs8(der, der);
}

async function keyOfPkcs8(der: Uint8Array, original: Uint8Array | string): Promise<CoseSigningKey> {
  const oid = pkcs8AlgorithmOid(der);
  if (oid === OID_RSA) return loadRsaKey(der);
  // An EC PKCS#8 key, or DER that is no PKCS#8 at all (perhaps SEC1): the ID-key reader decides.
  if (oid === OID_EC || oid === undefined) return loadEcKey(original);
  throw new CorimError('BadKey', `the key is ${OTHER_KEYS[oid] ?? `a key of algorithm ${oid}`}; ${ALLOWED}`);
}

// ---- certificates ----------------------------------------------------------------------------

function certificate(der: Uint8Array): x509.X509Certificate {
  try {
    return loadCertificate(der);
  } catch (e) {
    if (e instanceof PkiError) throw new CorimError('BadCertificate', e.message, e.offset);
    throw e;
  }
}

/**
 * The algorithm a certificate's key signs with: PS384 for an RSA key, ES384 for a P-384 key.
 * `CorimError('BadCertificate')` for any other key.
 */
export function certificateAlgorithm(der: Uint8Array): CoseAlgorithmName {
  const cert = certificate(der);
  let k: ReturnType<typeof publicKeyAlgorithmOf>;
  try {
    // The key is decoded lazily: a damaged SubjectPublicKeyInfo only shows here.
    k = publicKeyAlgorithmOf(cert);
  } catch (e) {
    throw new CorimError('BadCertificate', `the public key of the certificate ${cert.subject} cannot be read: ${errorMessage(e)}`);
  }
  if (k.name === 'ECDSA') {
    if (k.namedCurve === 'P-384') return 'ES384';
    throw new CorimError('BadCertificate', `the certificate ${cert.subject} has an ECDSA key on ${k.namedCurve ?? 'an unnamed curve'}; ${ALLOWED}`);
  }
  if (k.name === 'RSASSA-PKCS1-v1_5' || k.name === 'RSA-PSS' || k.name === 'RSA-OAEP') return 'PS384';
  throw new CorimError('BadCertificate', `the certificate ${cert.subject} has a ${k.name ?? 'an unknown'} key; ${ALLOWED}`);
}

/**
 * The verification key of a DER certificate for `alg`. `CorimError('BadCertificate')` when the
 * certificate's key is not of the kind `alg` needs (an RSA certificate for an ES384 header, a
 * P-384 certificate for a PS384 one).
 */
export async function certificateKeyFor(der: Uint8Array, alg: CoseAlgorithmName): Promise<WebCryptoKey> {
  const cert = certificate(der);
  const has = certificateAlgorithm(der);
  if (has !== alg) throw new CorimError('BadCertificate', `the certificate ${cert.subject} has ${ALGORITHMS[has].keyKind}, which cannot make ${alg} signatures (${alg} needs ${ALGORITHMS[alg].keyKind})`);
  try {
    return await importCertificateKey(cert, ALGORITHMS[alg].importParams);
  } catch (e) {
    throw new CorimError('BadCertificate', `the key of the certificate ${cert.subject} cannot be used for ${alg}: ${errorMessage(e)}`);
  }
}

// ---- signing and verifying -------------------------------------------------------------------

/** Signs `tbs` with `key`'s algorithm; the signature in COSE's form (r‖s for ES384). */
export async function coseSign(key: CoseSigningKey, tbs: Uint8Array): Promise<Uint8Array> {
  try {
    return new Uint8Array(await crypto.subtle.sign(ALGORITHMS[key.algorithm].signParams, key.privateKey, tbs));
  } catch (e) {
    throw new CorimError('BadKey', `the key cannot sign with ${key.algorithm}: ${errorMessage(e)}`);
  }
}

/** True when `signature` (COSE's form) verifies over `tbs`; false on any failure. */
export async function coseVerify(alg: CoseAlgorithmName, key: WebCryptoKey, signature: Uint8Array, tbs: Uint8Array): Promise<boolean> {
  // RFC 9053 §2.1: an ES384 signature is exactly 96 bytes; WebCrypto would also reject others.
  if (alg === 'ES384' && signature.length !== ES384_SIGNATURE_BYTES) return false;
  try {
    return await crypto.subtle.verify(ALGORITHMS[alg].signParams, key, signature, tbs);
  } catch {
    return false;
  }
}

/**
 * The ways a signature made elsewhere can be read as a COSE signature of `alg`: for ES384 raw
 * r‖s (96 bytes) and DER ECDSA-Sig-Value (what `openssl dgst -sign` and most KMS return), both
 * when 96 bytes happen to be valid DER too; for PS384 the bytes as they are. Throws
 * `CorimError('BadSignature')` when there is none.
 */
export function externalSignatureCandidates(alg: CoseAlgorithmName, bytes: Uint8Array): Uint8Array[] {
  if (alg === 'PS384') {
    if (bytes.length === 0) throw new CorimError('BadSignature', 'the signature is empty');
    return [new Uint8Array(bytes)];
  }
  const out: Uint8Array[] = [];
  const reasons: string[] = [];
  for (const read of [signatureFromRaw, signatureFromDer]) {
    try {
      out.push(rawSignature(read(bytes)));
    } catch (e) {
      if (!(e instanceof SignError)) throw e;
      reasons.push(e.message);
    }
  }
  if (out.length === 0) throw new CorimError('BadSignature', `a ${bytes.length}-byte ES384 signature is neither raw r‖s (96 bytes) nor DER: ${reasons.join('; ')}`);
  return out;
}

/** DER ECDSA-Sig-Value of an ES384 signature, for tools that want DER (`openssl dgst -verify`). */
export function es384SignatureToDer(raw: Uint8Array): Uint8Array {
  try {
    return derSignature(signatureFromRaw(raw));
  } catch (e) {
    if (e instanceof SignError) throw new CorimError('BadSignature', e.message);
    throw e;
  }
}
