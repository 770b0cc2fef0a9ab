/**
 * ECDSA P-384 keys for SNP ID blocks (spec/snp.md §3.2–§3.3): loading them from PEM (read by
 * the certificate layer's one PEM reader, src/pki/pem.ts) or DER (PKCS#8 and SEC1 private keys,
 * SPKI public keys) into WebCrypto keys, and laying out their
 * public point the two ways the ID block needs — the IGVM header's 152-byte form (with its
 * reserved u32) and AMD's 0x404-byte form that the PSP receives and that the ID_KEY_DIGEST /
 * AUTHOR_KEY_DIGEST of every attestation report hash.
 *
 * ASN.1 is decoded and encoded with @peculiar's asn1 schemas (the ones @peculiar/x509 is built
 * on), never by hand: they read the key's algorithm and curve, so a key that is not P-384 is
 * refused by name rather than by an opaque WebCrypto error, and they re-wrap a SEC1 key as the
 * PKCS#8 that WebCrypto imports. Everything else is WebCrypto (`globalThis.crypto.subtle`), so
 * this file runs in browsers too.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters, ECPrivateKey, id_ecPublicKey, id_secp384r1 } from '@peculiar/asn1-ecc';
import { PrivateKey, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { toAmdPublicKey, type SnpIdBlockPublicKey } from '../format/index.js';
import { defaultHashBackend } from '../measure/index.js';
import { SignError } from './errors.js';
import { decodePem, type PemBlock } from '../pki/pem.js';
import { PkiError } from '../pki/errors.js';
import { bytesEqual } from '../format/bytes.js';

/** WebCrypto's key type, named without the DOM library (the core must not depend on it). */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** AMD's CURVE value for P-384 in a public key structure (spec/snp.md §3.2). */
export const SNP_CURVE_P384 = 2;

/** AMD's algorithm code for ECDSA P-384 with SHA-384 (ID_KEY_ALGO, AUTH_KEY_ALGO; spec/snp.md §3.2). */
export const SNP_ALGO_ECDSA_P384_SHA384 = 1;

/** Bytes of a P-384 coordinate or scalar. */
export const P384_BYTES = 48;

/** Bytes AMD reserves for each key coordinate and signature component (spec/snp.md §3.2). */
export const SNP_COMPONENT_BYTES = 72;

const ECDSA_P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;

/** A P-384 public point: the affine coordinates, 48 bytes each, big-endian (as in SEC 1 and JWK). */
export interface P384Point {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

/** A P-384 public key: its point, and a WebCrypto key that verifies ECDSA/SHA-384 with it. */
export interface P384PublicKey {
  readonly point: P384Point;
  readonly publicKey: WebCryptoKey;
}

/** A P-384 key pair: a WebCrypto signing key, and the public half as a point and a key. */
export interface P384KeyPair extends P384PublicKey {
  readonly privateKey: WebCryptoKey;
}

// ---- PEM / DER ----------------------------------------------------------------------------------

function base64UrlBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function base64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The PEM blocks of `input` (src/pki/pem.ts), or `undefined` when it is not PEM text (then it
 * may be DER). A damaged block, or text without any block, is `SignError('BadKey')`.
 */
function pemBlocks(input: string | Uint8Array, what: string): PemBlock[] | undefined {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    // DER starts with a SEQUENCE tag (0x30); anything else is read as text.
    if (input[0] === 0x30) return undefined;
    text = new TextDecoder('utf-8', { fatal: false }).decode(input);
  }
  let blocks: PemBlock[];
  try {
    blocks = decodePem(text);
  } catch (e) {
    if (e instanceof PkiError) throw new SignError('BadKey', `${what}: ${e.message}`);
    throw e;
  }
  if (blocks.length === 0) throw new SignError('BadKey', `${what}: not a PEM key (no -----BEGIN ...----- block) and not DER`);
  return blocks;
}

/** OIDs of key algorithms that are not EC, to name them in the refusal. */
const KEY_TYPE_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'an RSA key',
  '1.2.840.113549.1.1.10': 'an RSA-PSS key',
  '1.2.840.10040.4.1': 'a DSA key',
  '1.3.101.110': 'an X25519 key',
  '1.3.101.111': 'an X448 key',
  '1.3.101.112': 'an Ed25519 key',
  '1.3.101.113': 'an Ed448 key',
};

/** Named curves a key might be on, to name them in the refusal. */
const CURVE_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.3.132.0.33': 'P-224',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
};

const NOT_P384 = 'SNP ID and author keys must be ECDSA P-384 (AMD SEV-SNP ABI, pub. 56860, ID_AUTH_INFO: CURVE 2, ECDSA P-384 with SHA-384)';

/** Refuses a curve other than P-384, naming it. */
function requireP384Curve(params: ECParameters | undefined, what: string): void {
  const oid = params?.namedCurve;
  if (oid === undefined) {
    throw new SignError('BadKey', `${what}: the key does not name its curve (explicit or implicit curve parameters are not supported); ${NOT_P384}`);
  }
  if (oid !== id_secp384r1) {
    throw new SignError('WrongCurve', `${what}: the key is on ${CURVE_NAMES[oid] ?? `the curve with OID ${oid}`}; ${NOT_P384}`);
  }
}

/** Refuses an algorithm identifier that is not id-ecPublicKey on P-384. */
function requireP384Algorithm(alg: AlgorithmIdentifier, what: string): void {
  if (alg.algorithm !== id_ecPublicKey) {
    throw new SignError('WrongCurve', `${what}: this is ${KEY_TYPE_NAMES[alg.algorithm] ?? `a key of algorithm ${alg.algorithm}`}, not an EC key; ${NOT_P384}`);
  }
  let params: ECParameters | undefined;
  if (alg.parameters) {
    try {
      params = AsnConvert.parse(alg.parameters, ECParameters);
    } catch {
      throw new SignError('BadKey', `${what}: the EC key's curve parameters cannot be read`);
    }
  }
  requireP384Curve(params, what);
}

function tryParse<T>(der: Uint8Array, type: new () => T): T | undefined {
  try {
    const value = AsnConvert.parse(der, type);
    // Trailing bytes or a non-canonical encoding: not the structure we were asked for.
    return bytesEqual(new Uint8Array(AsnConvert.serialize(value)), der) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The algorithm OID of a PKCS#8 PrivateKeyInfo (DER), or `undefined` when `der` is not one: lets
 * the CoRIM signer (src/sign/cose-algorithms.ts) tell an RSA key from an EC one before loading it.
 */
export function pkcs8AlgorithmOid(der: Uint8Array): string | undefined {
  return tryParse(der, PrivateKeyInfo)?.privateKeyAlgorithm.algorithm;
}

/** PKCS#8 DER of a private key, from PKCS#8 or SEC1 DER, with its algorithm checked. */
function pkcs8Of(der: Uint8Array, label: 'PRIVATE KEY' | 'EC PRIVATE KEY' | undefined, what: string): Uint8Array {
  if (label !== 'EC PRIVATE KEY') {
    const pki = tryParse(der, PrivateKeyInfo);
    if (pki !== undefined) {
      requireP384Algorithm(pki.privateKeyAlgorithm, what);
      return der;
    }
    if (label === 'PRIVATE KEY') throw new SignError('BadKey', `${what}: the PRIVATE KEY block is not a PKCS#8 PrivateKeyInfo`);
  }
  const sec1 = tryParse(der, ECPrivateKey);
  if (sec1 === undefined) throw new SignError('BadKey', `${what}: not a PKCS#8 or SEC1 (EC PRIVATE KEY) private key`);
  requireP384Curve(sec1.parameters, what);
  // WebCrypto imports PKCS#8 only: wrap the SEC1 structure (RFC 5915) in a PrivateKeyInfo
  // whose algorithm is id-ecPublicKey on the same named curve (RFC 5208, RFC 5480).
  const info = new PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new AlgorithmIdentifier({
      algorithm: id_ecPublicKey,
      parameters: AsnConvert.serialize(new ECParameters({ namedCurve: id_secp384r1 })),
    }),
    privateKey: new PrivateKey(der),
  });
  return new Uint8Array(AsnConvert.serialize(info));
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- loading --------------------------------------------------------------------------------------

/**
 * Loads an ECDSA P-384 private key: PEM (`PRIVATE KEY` = PKCS#8, `EC PRIVATE KEY` = SEC1, as
 * `openssl ecparam -genkey` writes it, with or without the `EC PARAMETERS` block before it)
 * or the DER of either. `what` names the key in error messages (e.g. `--id-key key.pem`).
 * Throws `SignError` `BadKey` or `WrongCurve`.
 */
export async function loadPrivateKey(input: string | Uint8Array, what = 'private key'): Promise<P384KeyPair> {
  const blocks = pemBlocks(input, what);
  let pkcs8: Uint8Array;
  if (blocks === undefined) {
    pkcs8 = pkcs8Of(input as Uint8Array, undefined, what);
  } else {
    const keys = blocks.filter((b) => b.label !== 'EC PARAMETERS');
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      throw new SignError('BadKey', `${what}: expected one private key block, found ${keys.length === 0 ? 'none' : keys.map((b) => b.label).join(', ')}`);
    }
    if (key.label === 'ENCRYPTED PRIVATE KEY') {
      throw new SignError('BadKey', `${what}: the key is encrypted; decrypt it first (e.g. openssl pkey -in KEY -out PLAIN.pem) or sign out of band`);
    }
    if (key.label === 'PUBLIC KEY') throw new SignError('BadKey', `${what}: this is a public key; signing needs the private key`);
    if (key.label !== 'PRIVATE KEY' && key.label !== 'EC PRIVATE KEY') {
      throw new SignError(key.label.endsWith('PRIVATE KEY') ? 'WrongCurve' : 'BadKey', `${what}: a ${key.label} block is not an EC private key; ${NOT_P384}`);
    }
    pkcs8 = pkcs8Of(key.der, key.label, what);
  }
  let jwk: { x?: string; y?: string };
  let privateKey: WebCryptoKey;
  try {
    // Import once extractable to read the public point, then keep a non-extractable key.
    const extractable = await crypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P384, true, ['sign']);
    jwk = await crypto.subtle.exportKey('jwk', extractable);
    privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P384, false, ['sign']);
  } catch (e) {
    throw new SignError('BadKey', `${what}: not a valid P-384 private key (${errText(e)})`);
  }
  if (jwk.x === undefined || jwk.y === undefined) throw new SignError('BadKey', `${what}: the public point of the key cannot be derived`);
  const point = { x: base64UrlBytes(jwk.x), y: base64UrlBytes(jwk.y) };
  const { publicKey } = await publicKeyFromPoint(point, what);
  return { privateKey, publicKey, point };
}

/**
 * Loads an ECDSA P-384 public key: PEM `PUBLIC KEY` (SPKI) or its DER; a private key (PEM or
 * DER, as for `loadPrivateKey`) is accepted too and its public half used. Throws `SignError`
 * `BadKey` or `WrongCurve`.
 */
export async function loadPublicKey(input: string | Uint8Array, what = 'public key'): Promise<P384PublicKey> {
  const blocks = pemBlocks(input, what);
  let spki: Uint8Array;
  if (blocks === undefined) {
    const der = input as Uint8Array;
    const info = tryParse(der, SubjectPublicKeyInfo);
    if (info === undefined) {
      if (tryParse(der, PrivateKeyInfo) === undefined && tryParse(der, ECPrivateKey) === undefined) {
        throw new SignError('BadKey', `${what}: not a SubjectPublicKeyInfo public key or a PKCS#8/SEC1 private key`);
      }
      const pair = await loadPrivateKey(der, what);
      return { point: pair.point, publicKey: pair.publicKey };
    }
    requireP384Algorithm(info.algorithm, what);
    spki = der;
  } else {
    const keys = blocks.filter((b) => b.label !== 'EC PARAMETERS');
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      throw new SignError('BadKey', `${what}: expected one key block, found ${keys.length === 0 ? 'none' : keys.map((b) => b.label).join(', ')}`);
    }
    if (key.label.endsWith('PRIVATE KEY')) {
      const pair = await loadPrivateKey(input, what);
      return { point: pair.point, publicKey: pair.publicKey };
    }
    if (key.label !== 'PUBLIC KEY') {
      throw new SignError('BadKey', `${what}: a ${key.label} block is not a public key (expected -----BEGIN PUBLIC KEY-----)`);
    }
    const info = tryParse(key.der, SubjectPublicKeyInfo);
    if (info === undefined) throw new SignError('BadKey', `${what}: the PUBLIC KEY block is not a SubjectPublicKeyInfo`);
    requireP384Algorithm(info.algorithm, what);
    spki = key.der;
  }
  let publicKey: WebCryptoKey;
  let raw: Uint8Array;
  try {
    publicKey = await crypto.subtle.importKey('spki', spki, ECDSA_P384, true, ['verify']);
    raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  } catch (e) {
    throw new SignError('BadKey', `${what}: not a valid P-384 public key (${errText(e)})`);
  }
  // The raw export is the uncompressed point 0x04 ‖ X ‖ Y (SEC 1 §2.3.3).
  if (raw.length !== 1 + 2 * P384_BYTES || raw[0] !== 0x04) throw new SignError('BadKey', `${what}: unexpected public point encoding`);
  return { point: { x: raw.slice(1, 1 + P384_BYTES), y: raw.slice(1 + P384_BYTES) }, publicKey };
}

/**
 * A verifying key for a P-384 point; WebCrypto checks that the point is on the curve.
 * Throws `SignError` `BadKey`.
 */
export async function publicKeyFromPoint(point: P384Point, what = 'public key'): Promise<P384PublicKey> {
  if (point.x.length !== P384_BYTES || point.y.length !== P384_BYTES) {
    throw new SignError('BadKey', `${what}: P-384 coordinates are ${P384_BYTES} bytes each, not ${point.x.length} and ${point.y.length}`);
  }
  try {
    const publicKey = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-384', x: base64Url(point.x), y: base64Url(point.y) }, ECDSA_P384, true, ['verify']);
    return { point: { x: point.x.slice(), y: point.y.slice() }, publicKey };
  } catch (e) {
    throw new SignError('BadKey', `${what}: not a point on P-384 (${errText(e)})`);
  }
}

/**
 * A key pair from WebCrypto keys the caller already holds (e.g. generated in a browser). The
 * public point is read from `publicKey` when given, else from an extractable `privateKey`.
 * Throws `SignError` `WrongCurve` or `BadKey`.
 */
export async function keyPairFromCryptoKeys(privateKey: WebCryptoKey, publicKey?: WebCryptoKey): Promise<P384KeyPair> {
  const alg = privateKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-384') {
    throw new SignError('WrongCurve', `the key is ${alg.name ?? 'of an unknown algorithm'}${alg.namedCurve ? ` on ${alg.namedCurve}` : ''}; ${NOT_P384}`);
  }
  let jwk: { x?: string; y?: string };
  try {
    jwk = await crypto.subtle.exportKey('jwk', publicKey ?? privateKey);
  } catch (e) {
    throw new SignError('BadKey', `the public point cannot be read: pass the public key, or an extractable private key (${errText(e)})`);
  }
  if (jwk.x === undefined || jwk.y === undefined) throw new SignError('BadKey', 'the public point cannot be read from the key');
  const pub = await publicKeyFromPoint({ x: base64UrlBytes(jwk.x), y: base64UrlBytes(jwk.y) });
  return { privateKey, ...pub };
}

// ---- layouts and digests ------------------------------------------------------------------------------

/** A big-endian integer as `size` little-endian bytes, zero-extended (AMD's layout, spec/snp.md §3.2). */
export function toLittleEndian(bigEndian: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < bigEndian.length; i++) out[i] = bigEndian[bigEndian.length - 1 - i]!;
  return out;
}

/**
 * The point in the IGVM header's public-key layout (spec/igvm-format.md §7.8): curve 2,
 * reserved 0, qx and qy little-endian zero-extended to 72 bytes.
 */
export function igvmPublicKey(point: P384Point): SnpIdBlockPublicKey {
  return {
    curve: SNP_CURVE_P384,
    reserved: 0,
    qx: toLittleEndian(point.x, SNP_COMPONENT_BYTES),
    qy: toLittleEndian(point.y, SNP_COMPONENT_BYTES),
  };
}

/** The point in AMD's 0x404-byte public-key layout (spec/snp.md §3.2): what the author key signs and the digests hash. */
export function amdPublicKey(point: P384Point): Uint8Array {
  return toAmdPublicKey(igvmPublicKey(point));
}

/**
 * The P-384 point of an IGVM-layout key. Throws `SignError`: `WrongCurve` when CURVE is not 2,
 * `BadKey` when a coordinate has non-zero bytes above the 48 a P-384 coordinate can use.
 */
export function pointFromIgvmPublicKey(key: SnpIdBlockPublicKey, what = 'public key'): P384Point {
  if (key.curve !== SNP_CURVE_P384) {
    throw new SignError('WrongCurve', `${what}: CURVE is ${key.curve}${key.curve === 0 ? ' (no key)' : ''}; only 2 (P-384) is defined (AMD SEV-SNP ABI, pub. 56860, ECDSA public key format)`);
  }
  const be = (le: Uint8Array, name: string): Uint8Array => {
    if (le.subarray(P384_BYTES).some((b) => b !== 0)) throw new SignError('BadKey', `${what}: ${name} has non-zero bytes above the ${P384_BYTES} a P-384 coordinate uses`);
    return le.slice(0, P384_BYTES).reverse();
  };
  return { x: be(key.qx, 'QX'), y: be(key.qy, 'QY') };
}

/**
 * ID_KEY_DIGEST / AUTHOR_KEY_DIGEST: SHA-384 over the key's AMD 0x404-byte layout, as the
 * attestation report carries it (spec/snp.md §3.2). An IGVM-layout key is converted first —
 * hashing the IGVM layout verbatim gives a wrong digest (§3.3).
 */
export function snpKeyDigest(key: P384Point | SnpIdBlockPublicKey): Uint8Array {
  const amd = 'curve' in key ? toAmdPublicKey(key) : amdPublicKey(key);
  return defaultHashBackend.sha384(amd);
}

/** True when two points are the same key. */
export function samePoint(a: P384Point, b: P384Point): boolean {
  return bytesEqual(a.x, b.x) && bytesEqual(a.y, b.y);
}
