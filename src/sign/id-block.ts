/**
 * The SEV-SNP ID block and its authentication: the 96-byte ID_BLOCK the ID key signs
 * (spec/snp.md §3.1), the 4096-byte ID_AUTH_INFO the PSP receives (§3.2), the IGVM
 * SNP_ID_BLOCK header that carries both inside a file (§3.3, spec/igvm-format.md §7.8), and
 * ECDSA P-384/SHA-384 signatures in every encoding they travel in: WebCrypto's raw r‖s,
 * DER (openssl, cloud KMS, HSMs) and AMD's little-endian 72-byte components.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import type { SnpIdBlockHeader, SnpIdBlockPublicKey, SnpIdBlockSignature } from '../format/index.js';
import { AMD_PUBLIC_KEY_SIZE, toAmdPublicKey } from '../format/index.js';
import { SignError } from './errors.js';
import {
  P384_BYTES,
  SNP_ALGO_ECDSA_P384_SHA384,
  SNP_COMPONENT_BYTES,
  igvmPublicKey,
  pointFromIgvmPublicKey,
  publicKeyFromPoint,
  toLittleEndian,
  type P384Point,
  type P384PublicKey,
  type WebCryptoKey,
} from './keys.js';

/** Size of the ID block (spec/snp.md §3.1). */
export const ID_BLOCK_SIZE = 0x60;

/** Size of ID_AUTH_INFO (spec/snp.md §3.2). */
export const ID_AUTH_INFO_SIZE = 0x1000;

/** Size of AMD's signature structure inside ID_AUTH_INFO (spec/snp.md §3.2). */
export const AMD_SIGNATURE_SIZE = 0x200;

/** The only ID block VERSION the SEV-SNP ABI defines; QEMU forces it (spec/snp.md §3.1, §2.5). */
export const ID_BLOCK_VERSION = 1;

const ECDSA_SHA384 = { name: 'ECDSA', hash: 'SHA-384' } as const;

// ---- the ID block (§3.1) ---------------------------------------------------------------------

/** The fields of the 96-byte ID block. */
export interface IdBlockFields {
  /** Expected launch digest, 48 bytes. */
  readonly ld: Uint8Array;
  /** 16 bytes (default zeros). */
  readonly familyId?: Uint8Array;
  /** 16 bytes (default zeros). */
  readonly imageId?: Uint8Array;
  /** Default 1, the only value the ABI defines (§3.1). */
  readonly version?: number;
  /** Guest security version number, u32 (default 0). */
  readonly guestSvn?: number;
  /** The guest policy; must equal the policy given at LAUNCH_START (§3.1, §3.4). */
  readonly policy: bigint;
}

function requireLength(b: Uint8Array | undefined, size: number, name: string): Uint8Array {
  if (b === undefined) return new Uint8Array(size);
  if (b.length !== size) throw new SignError('BadOption', `${name} is ${size} bytes, not ${b.length}`);
  return b;
}

function requireU32(v: number | undefined, fallback: number, name: string): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < 0 || x > 0xffff_ffff) throw new SignError('BadOption', `${name} is a u32 (0 to 4294967295), not ${x}`);
  return x;
}

/**
 * The 96-byte ID block, exactly the bytes the ID key signs (spec/snp.md §3.1): LD ‖ FAMILY_ID
 * ‖ IMAGE_ID ‖ VERSION (u32 LE) ‖ GUEST_SVN (u32 LE) ‖ POLICY (u64 LE). Throws `SignError`
 * `BadOption` for fields of the wrong size or range.
 */
export function encodeIdBlock(fields: IdBlockFields): Uint8Array {
  const out = new Uint8Array(ID_BLOCK_SIZE);
  const view = new DataView(out.buffer);
  out.set(requireLength(fields.ld, 48, 'LD'), 0x00);
  out.set(requireLength(fields.familyId, 16, 'FAMILY_ID'), 0x30);
  out.set(requireLength(fields.imageId, 16, 'IMAGE_ID'), 0x40);
  view.setUint32(0x50, requireU32(fields.version, ID_BLOCK_VERSION, 'VERSION'), true);
  view.setUint32(0x54, requireU32(fields.guestSvn, 0, 'GUEST_SVN'), true);
  if (fields.policy < 0n || fields.policy > 0xffff_ffff_ffff_ffffn) throw new SignError('BadOption', `POLICY is a u64, not ${fields.policy}`);
  view.setBigUint64(0x58, fields.policy, true);
  return out;
}

/** The fields of a 96-byte ID block. Throws `SignError` `BadOption` when it is not 96 bytes. */
export function decodeIdBlock(bytes: Uint8Array): Required<IdBlockFields> {
  if (bytes.length !== ID_BLOCK_SIZE) throw new SignError('BadOption', `an ID block is ${ID_BLOCK_SIZE} bytes, not ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    ld: bytes.slice(0x00, 0x30),
    familyId: bytes.slice(0x30, 0x40),
    imageId: bytes.slice(0x40, 0x50),
    version: view.getUint32(0x50, true),
    guestSvn: view.getUint32(0x54, true),
    policy: view.getBigUint64(0x58, true),
  };
}

/**
 * The ID block a loader hands the PSP for an IGVM SNP_ID_BLOCK header: the header's fields
 * and the policy of the file's GUEST_POLICY for the platform, since the header has no policy
 * field (spec/snp.md §3.3, spec/igvm-format.md §7.8).
 */
export function idBlockOfHeader(header: SnpIdBlockHeader, policy: bigint): Uint8Array {
  return encodeIdBlock({
    ld: header.ld,
    familyId: header.familyId,
    imageId: header.imageId,
    version: header.version,
    guestSvn: header.guestSvn,
    policy,
  });
}

// ---- signatures ----------------------------------------------------------------------------------

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
    if (sig.subarray(2 * SNP_COMPONENT_BYTES).some((b) => b !== 0)) throw new SignError('BadSignature', 'the AMD signature has non-zero bytes after S (offset 0x90)');
    rComp = sig.subarray(0, SNP_COMPONENT_BYTES);
    sComp = sig.subarray(SNP_COMPONENT_BYTES, 2 * SNP_COMPONENT_BYTES);
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
  const out = new Uint8Array(AMD_SIGNATURE_SIZE);
  out.set(toLittleEndian(sig.r, SNP_COMPONENT_BYTES), 0);
  out.set(toLittleEndian(sig.s, SNP_COMPONENT_BYTES), SNP_COMPONENT_BYTES);
  return out;
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

// ---- checks of ID blocks -----------------------------------------------------------------------------

/** True when the ID-key signature verifies over the 96-byte ID block (spec/snp.md §3.2). */
export async function verifyIdBlockSignature(
  idBlock: Uint8Array,
  signature: EcdsaSignature | SnpIdBlockSignature,
  idKey: P384PublicKey | P384Point | SnpIdBlockPublicKey,
): Promise<boolean> {
  if (idBlock.length !== ID_BLOCK_SIZE) return false;
  try {
    const sig = 'r' in signature ? signature : signatureFromAmd(signature);
    const key = 'curve' in idKey ? pointFromIgvmPublicKey(idKey) : idKey;
    return await verifyP384(key, sig, idBlock);
  } catch (e) {
    if (e instanceof SignError) return false;
    throw e;
  }
}

/**
 * True when the author signature verifies over the ID key in AMD's 0x404-byte layout
 * (spec/snp.md §3.2: ID_KEY_SIG is "a signature over the 0x404-byte ID_KEY structure").
 */
export async function verifyAuthorSignature(
  idKey: P384Point | SnpIdBlockPublicKey,
  signature: EcdsaSignature | SnpIdBlockSignature,
  authorKey: P384PublicKey | P384Point | SnpIdBlockPublicKey,
): Promise<boolean> {
  try {
    const sig = 'r' in signature ? signature : signatureFromAmd(signature);
    const key = 'curve' in authorKey ? pointFromIgvmPublicKey(authorKey) : authorKey;
    return await verifyP384(key, sig, amdKeyBytes(idKey));
  } catch (e) {
    if (e instanceof SignError) return false;
    throw e;
  }
}

function amdKeyBytes(key: P384Point | SnpIdBlockPublicKey): Uint8Array {
  return toAmdPublicKey('curve' in key ? key : igvmPublicKey(key));
}

/** The bytes the author key signs: the ID key in AMD's 0x404-byte layout (spec/snp.md §3.2). */
export function authorToBeSigned(idKey: P384Point | SnpIdBlockPublicKey): Uint8Array {
  return amdKeyBytes(idKey);
}

// ---- ID_AUTH_INFO (§3.2) and the IGVM header (§3.3) --------------------------------------------------

/** What ID_AUTH_INFO and the IGVM header carry besides the ID block. */
export interface IdAuthentication {
  /** The ID key's signature over the 96-byte ID block. */
  readonly idBlockSignature: EcdsaSignature;
  readonly idKey: P384Point;
  /** The author key's signature over the ID key's AMD layout; with `authorKey`, or neither. */
  readonly authorKeySignature?: EcdsaSignature;
  readonly authorKey?: P384Point;
}

function authorOf(a: IdAuthentication): { sig: EcdsaSignature; key: P384Point } | undefined {
  if ((a.authorKey === undefined) !== (a.authorKeySignature === undefined)) {
    throw new SignError('BadOption', 'an author key and its signature go together: give both or neither');
  }
  return a.authorKey !== undefined && a.authorKeySignature !== undefined ? { sig: a.authorKeySignature, key: a.authorKey } : undefined;
}

/**
 * The 4096-byte ID_AUTH_INFO (spec/snp.md §3.2): ID_KEY_ALGO 1 at 0x000, AUTH_KEY_ALGO at
 * 0x004 (1 with an author key, else 0, as openvmm writes it), ID_BLOCK_SIG at 0x040, ID_KEY
 * at 0x240, ID_KEY_SIG at 0x680, AUTHOR_KEY at 0x880; reserved bytes zero.
 */
export function encodeIdAuthInfo(auth: IdAuthentication): Uint8Array {
  const out = new Uint8Array(ID_AUTH_INFO_SIZE);
  const view = new DataView(out.buffer);
  const author = authorOf(auth);
  view.setUint32(0x000, SNP_ALGO_ECDSA_P384_SHA384, true);
  view.setUint32(0x004, author !== undefined ? SNP_ALGO_ECDSA_P384_SHA384 : 0, true);
  out.set(amdSignature(auth.idBlockSignature), 0x040);
  out.set(toAmdPublicKey(igvmPublicKey(auth.idKey)), 0x240);
  if (author !== undefined) {
    out.set(amdSignature(author.sig), 0x680);
    out.set(toAmdPublicKey(igvmPublicKey(author.key)), 0x880);
  }
  return out;
}

/** Offsets of ID_AUTH_INFO's parts, for readers of the structure (spec/snp.md §3.2). */
export const ID_AUTH_INFO_LAYOUT = {
  idKeyAlgo: 0x000,
  authKeyAlgo: 0x004,
  idBlockSig: 0x040,
  idKey: 0x240,
  idKeySig: 0x680,
  authorKey: 0x880,
  keySize: AMD_PUBLIC_KEY_SIZE,
  signatureSize: AMD_SIGNATURE_SIZE,
} as const;

/** Everything of an IGVM SNP_ID_BLOCK header but its compatibility mask. */
export interface IdBlockHeaderInput extends IdAuthentication {
  readonly compatibilityMask: number;
  /** The ID block's fields; its `policy` is not stored (the header has no policy field, §3.3). */
  readonly idBlock: Omit<IdBlockFields, 'policy'>;
}

const EMPTY_SIGNATURE = (): SnpIdBlockSignature => ({ rComp: new Uint8Array(SNP_COMPONENT_BYTES), sComp: new Uint8Array(SNP_COMPONENT_BYTES) });
const EMPTY_KEY = (): SnpIdBlockPublicKey => ({ curve: 0, reserved: 0, qx: new Uint8Array(SNP_COMPONENT_BYTES), qy: new Uint8Array(SNP_COMPONENT_BYTES) });

/**
 * The IGVM `SNP_ID_BLOCK` header (spec/igvm-format.md §7.8, spec/snp.md §3.3): keys in the
 * IGVM layout (curve, reserved u32, qx, qy), signatures as little-endian r/s, algorithms 1,
 * `author_key_enabled` 1 exactly when an author key is given (its fields stay zero otherwise,
 * so QEMU, which looks at the author key's curve instead, agrees). Throws `SignError`
 * `BadOption` for fields of the wrong size.
 */
export function buildIdBlockHeader(input: IdBlockHeaderInput): SnpIdBlockHeader {
  const author = authorOf(input);
  // Validates sizes and ranges exactly as the signed block does (the policy is irrelevant here).
  const fields = decodeIdBlock(encodeIdBlock({ ...input.idBlock, policy: 0n }));
  return {
    kind: 'SNP_ID_BLOCK',
    compatibilityMask: input.compatibilityMask,
    authorKeyEnabled: author !== undefined ? 1 : 0,
    reserved: new Uint8Array(3),
    ld: fields.ld,
    familyId: fields.familyId,
    imageId: fields.imageId,
    version: fields.version,
    guestSvn: fields.guestSvn,
    idKeyAlgorithm: SNP_ALGO_ECDSA_P384_SHA384,
    authorKeyAlgorithm: author !== undefined ? SNP_ALGO_ECDSA_P384_SHA384 : 0,
    idKeySignature: igvmSignature(input.idBlockSignature),
    idPublicKey: igvmPublicKey(input.idKey),
    authorKeySignature: author !== undefined ? igvmSignature(author.sig) : EMPTY_SIGNATURE(),
    authorPublicKey: author !== undefined ? igvmPublicKey(author.key) : EMPTY_KEY(),
  };
}
