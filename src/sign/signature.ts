/**
 * ECDSA P-384/SHA-384 signatures of the SNP ID block and ID key (spec/snp.md §3.2), in every
 * encoding they travel in: WebCrypto's raw r‖s, DER (openssl, cloud KMS, HSMs), AMD's
 * 512-byte SIGNATURE structure of ID_AUTH_INFO and the IGVM header's 144-byte form of it
 * (spec/igvm-format.md §7.8); signing and verifying them with WebCrypto, and accepting a
 * signature made elsewhere only once it verifies.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import type { SnpIdBlockSignature } from '../format/index.js';
import { bytes as byteField, defineStruct, encodeStruct } from '../format/struct.js';
import { SignError } from './errors.js';
import { P384_BYTES, SNP_COMPONENT_BYTES, publicKeyFromPoint, toLittleEndian, type P384Point, type P384PublicKey, type WebCryptoKey } from './keys.js';

/**
 * AMD's 512-byte signature structure inside ID_AUTH_INFO (spec/snp.md §3.2): R at 0x00 and S
 * at 0x48, each a 72-byte little-endian integer (48 significant bytes for P-384), rest zero.
 * The IGVM header's `IGVM_VHS_SNP_ID_BLOCK_SIGNATURE` is its first 144 bytes.
 */
export const AMD_SIGNATURE = defineStruct('SIGNATURE', 0x200, {
  r: byteField(0x00, SNP_COMPONENT_BYTES),
  s: byteField(0x48, SNP_COMPONENT_BYTES),
  reserved: byteField(0x90, 0x200 - 0x90),
});

/** Size of AMD's signature structure inside ID_AUTH_INFO (spec/snp.md §3.2). */
export const AMD_SIGNATURE_SIZE = AMD_SIGNATURE.size;

const ECDSA_SHA384 = { name: 'ECDSA', hash: 'SHA-384' } as const;

/** An ECDSA P-384 signature: r and s as 48-byte big-endian integers. */
export interface EcdsaSignature {
  readonly r: Uint8Array;
  readonly s: Uint8Array;
}

/** A big-endian integer of any length as exactly 48 bytes; `undefined` when it does not fit. */
function fit48(be: Uint8Array): Uint8Array | undefined {
  let start = 0;
  while (start < be.length && be[start] === 0) start++;
  if (be.length - start > P384_BYTES) return undefined;
  const out = new Uint8Array(P384_BYTES);
  out.set(be.subarray(start), P384_BYTES - (be.length - start));
  return out;
}

/** From WebCrypto's raw form r ‖ s (96 bytes, big-endian). Throws `SignError` `BadSignature`. */
export function signatureFromRaw(raw: Uint8Array): EcdsaSignature {
  if (raw.length !== 2 * P384_BYTES) throw new SignError('BadSignature', `a raw P-384 signature r‖s is ${2 * P384_BYTES} bytes, not ${raw.length}`);
  return { r: raw.slice(0, P384_BYTES), s: raw.slice(P384_BYTES) };
}

/** WebCrypto's raw form r ‖ s (96 bytes, big-endian). */
export function rawSignature(sig: EcdsaSignature): Uint8Array {
  const out = new Uint8Array(2 * P384_BYTES);
  out.set(sig.r, 0);
  out.set(sig.s, P384_BYTES);
  return out;
}

/**
 * From a DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE { r INTEGER, s INTEGER }), the form
 * `openssl dgst -sign`, cloud KMS and PKCS#11 wrappers return. Strict: the input must be the
 * canonical DER of the structure. Throws `SignError` `BadSignature`.
 */
export function signatureFromDer(der: Uint8Array): EcdsaSignature {
  let value: ECDSASigValue;
  try {
    value = AsnConvert.parse(der, ECDSASigValue);
  } catch (e) {
    throw new SignError('BadSignature', `not a DER ECDSA signature (${e instanceof Error ? e.message : String(e)})`);
  }
  const again = new Uint8Array(AsnConvert.serialize(value));
  if (again.length !== der.length || again.some((b, i) => b !== der[i])) throw new SignError('BadSignature', 'not a canonical DER ECDSA signature (trailing or non-minimal bytes)');
  const r = new Uint8Array(value.r);
  const s = new Uint8Array(value.s);
  // The re-encoding keeps an INTEGER's content octets as they came, so their minimality is
  // checked here (X.690 §8.3.1: at least one octet; §8.3.2: the first nine bits are neither all
  // zeros nor all ones), as openssl and BoringSSL refuse such signatures.
  for (const [name, v] of [['r', r], ['s', s]] as const) {
    if (v.length === 0) throw new SignError('BadSignature', `not a canonical DER ECDSA signature: ${name} is an INTEGER with no content octets (X.690 §8.3.1)`);
    if (v.length > 1 && ((v[0] === 0x00 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
      throw new SignError('BadSignature', `not a canonical DER ECDSA signature: ${name} is an INTEGER with a needless leading 0x${v[0].toString(16).padStart(2, '0')} byte (X.690 §8.3.2)`);
    }
  }
  // DER INTEGERs are signed: a negative r or s is not an ECDSA signature.
  if ((r[0] ?? 0) & 0x80 || (s[0] ?? 0) & 0x80) throw new SignError('BadSignature', 'a DER ECDSA signature with a negative r or s');
  const r48 = fit48(r);
  const s48 = fit48(s);
  if (r48 === undefined || s48 === undefined) throw new SignError('BadSignature', 'r or s of the DER signature is larger than a P-384 integer');
  return { r: r48, s: s48 };
}

/** DER ECDSA-Sig-Value of a signature (for tools that want DER). */
export function derSignature(sig: EcdsaSignature): Uint8Array {
  // INTEGERs are signed: a leading 0x00 keeps a high top bit positive (X.690 §8.3).
  const int = (be: Uint8Array): ArrayBuffer => {
    let start = 0;
    while (start < be.length - 1 && be[start] === 0) start++;
    const trimmed = be.subarray(start);
    const out = new Uint8Array(trimmed.length + ((trimmed[0]! & 0x80) !== 0 ? 1 : 0));
    out.set(trimmed, out.length - trimmed.length);
    return out.buffer;
  };
  return new Uint8Array(AsnConvert.serialize(new ECDSASigValue({ r: int(sig.r), s: int(sig.s) })));
}

/**
 * From AMD's layout: R then S as 72-byte little-endian integers, either the IGVM header's
 * 144-byte `IGVM_VHS_SNP_ID_BLOCK_SIGNATURE` or the 512-byte signature slot of ID_AUTH_INFO
 * (whose bytes after 144 must be zero). Throws `SignError` `BadSignature` when a component has
 * non-zero bytes above the 48 a P-384 integer uses (spec/snp.md §3.2).
 */
export function signatureFromAmd(sig: SnpIdBlockSignature | Uint8Array): EcdsaSignature {
  let rComp: Uint8Array;
  let sComp: Uint8Array;
  if (sig instanceof Uint8Array) {
    if (sig.length !== 2 * SNP_COMPONENT_BYTES && sig.length !== AMD_SIGNATURE_SIZE) {
      throw new SignError('BadSignature', `an AMD signature is ${2 * SNP_COMPONENT_BYTES} or ${AMD_SIGNATURE_SIZE} bytes, not ${sig.length}`);
    }
    const { r, s, reserved } = AMD_SIGNATURE.fields;
    if (sig.subarray(reserved.offset).some((b) => b !== 0)) throw new SignError('BadSignature', 'the AMD signature has non-zero bytes after S (offset 0x90)');
    rComp = sig.subarray(r.offset, r.offset + r.length);
    sComp = sig.subarray(s.offset, s.offset + s.length);
  } else {
    rComp = sig.rComp;
    sComp = sig.sComp;
  }
  const be = (le: Uint8Array, name: string): Uint8Array => {
    if (le.length !== SNP_COMPONENT_BYTES) throw new SignError('BadSignature', `${name} is ${SNP_COMPONENT_BYTES} bytes, not ${le.length}`);
    if (le.subarray(P384_BYTES).some((b) => b !== 0)) throw new SignError('BadSignature', `${name} has non-zero bytes above the ${P384_BYTES} a P-384 integer uses`);
    return le.slice(0, P384_BYTES).reverse();
  };
  return { r: be(rComp, 'R'), s: be(sComp, 'S') };
}

/** The IGVM header's signature layout: r and s little-endian, zero-extended to 72 bytes (§7.8). */
export function igvmSignature(sig: EcdsaSignature): SnpIdBlockSignature {
  return { rComp: toLittleEndian(sig.r, SNP_COMPONENT_BYTES), sComp: toLittleEndian(sig.s, SNP_COMPONENT_BYTES) };
}

/** AMD's 512-byte signature structure: R at 0, S at 0x48, 72 bytes each little-endian, rest zero (§3.2). */
export function amdSignature(sig: EcdsaSignature): Uint8Array {
  return encodeStruct(AMD_SIGNATURE, { r: toLittleEndian(sig.r, SNP_COMPONENT_BYTES), s: toLittleEndian(sig.s, SNP_COMPONENT_BYTES) });
}

/**
 * The ways `bytes` can be read as a signature, most specific first: AMD's 144/512-byte layout,
 * raw r‖s (96 bytes), DER. A 96-byte input that is also valid DER yields both readings (the
 * caller keeps the one that verifies). Throws `SignError` `BadSignature` when none applies.
 */
export function signatureCandidates(bytes: Uint8Array): EcdsaSignature[] {
  const out: EcdsaSignature[] = [];
  const reasons: string[] = [];
  const attempt = (f: () => EcdsaSignature): void => {
    try {
      out.push(f());
    } catch (e) {
      if (!(e instanceof SignError)) throw e;
      reasons.push(e.message);
    }
  };
  if (bytes.length === 2 * SNP_COMPONENT_BYTES || bytes.length === AMD_SIGNATURE_SIZE) attempt(() => signatureFromAmd(bytes));
  if (bytes.length === 2 * P384_BYTES) attempt(() => signatureFromRaw(bytes));
  if (bytes[0] === 0x30) attempt(() => signatureFromDer(bytes));
  if (out.length === 0) {
    throw new SignError(
      'BadSignature',
      `a ${bytes.length}-byte signature is none of DER, raw r‖s (96 bytes) or AMD's layout (144 or 512 bytes)${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`,
    );
  }
  return out;
}

function verifyingKey(key: P384PublicKey | WebCryptoKey | P384Point): Promise<WebCryptoKey> | WebCryptoKey {
  if ('x' in key) return publicKeyFromPoint(key).then((k) => k.publicKey);
  if ('point' in key) return key.publicKey;
  return key;
}

/** Signs `data` with ECDSA P-384/SHA-384 (WebCrypto; a fresh random nonce each time). */
export async function signP384(privateKey: WebCryptoKey, data: Uint8Array): Promise<EcdsaSignature> {
  return signatureFromRaw(new Uint8Array(await crypto.subtle.sign(ECDSA_SHA384, privateKey, data)));
}

/** True when `sig` is a valid ECDSA P-384/SHA-384 signature of `data` under `key`; false on any failure. */
export async function verifyP384(key: P384PublicKey | WebCryptoKey | P384Point, sig: EcdsaSignature, data: Uint8Array): Promise<boolean> {
  try {
    return await crypto.subtle.verify(ECDSA_SHA384, await verifyingKey(key), rawSignature(sig), data);
  } catch {
    return false;
  }
}

/**
 * Accepts a signature made elsewhere (an HSM, a cloud KMS, `openssl dgst -sha384 -sign`):
 * decodes it (DER, raw r‖s or AMD's layout) and checks that it verifies over `data` with
 * `publicKey` before anything uses it. Throws `SignError` `BadSignature` (undecodable) or
 * `SignatureDoesNotVerify`.
 */
export async function acceptExternalSignature(data: Uint8Array, signature: Uint8Array | EcdsaSignature, publicKey: P384PublicKey | P384Point, what = 'signature'): Promise<EcdsaSignature> {
  const candidates = signature instanceof Uint8Array ? signatureCandidates(signature) : [signature];
  // An invalid point is a bad key, not a signature that fails to verify.
  const key = 'point' in publicKey ? publicKey : await publicKeyFromPoint(publicKey);
  for (const c of candidates) if (await verifyP384(key, c, data)) return c;
  throw new SignError('SignatureDoesNotVerify', `${what} does not verify over the ${data.length} bytes to be signed with the given public key (ECDSA P-384/SHA-384)`);
}
