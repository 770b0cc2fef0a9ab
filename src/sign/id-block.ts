/**
 * The SEV-SNP ID block and its authentication (spec/snp.md §3): the 96-byte ID_BLOCK the ID
 * key signs (§3.1), the 4096-byte ID_AUTH_INFO the PSP receives (§3.2), and the IGVM
 * SNP_ID_BLOCK header that carries both inside a file (§3.3, spec/igvm-format.md §7.8).
 * ID_BLOCK and ID_AUTH_INFO are one `defineStruct` table each, used by encoder and decoder
 * alike; the IGVM header's own table is `SNP_ID_BLOCK` in src/format/layouts.ts, and the
 * 0x404-byte public key inside ID_AUTH_INFO is src/format/snp-id-block.ts. The signature
 * encodings are src/sign/signature.ts.
 */
import type { SnpIdBlockHeader, SnpIdBlockPublicKey, SnpIdBlockSignature } from '../format/index.js';
import { AMD_PUBLIC_KEY_SIZE, toAmdPublicKey } from '../format/index.js';
import { bytes, defineStruct, encodeStruct, readStruct, u32, u64 } from '../format/struct.js';
import { SignError } from './errors.js';
import {
  SNP_ALGO_ECDSA_P384_SHA384,
  SNP_COMPONENT_BYTES,
  igvmPublicKey,
  pointFromIgvmPublicKey,
  type P384Point,
  type P384PublicKey,
} from './keys.js';
import { AMD_SIGNATURE_SIZE, amdSignature, igvmSignature, signatureFromAmd, verifyP384, type EcdsaSignature } from './signature.js';

/** ID_BLOCK, the 96 bytes the ID key signs (spec/snp.md §3.1). */
export const ID_BLOCK = defineStruct('ID_BLOCK', 0x60, {
  /** LD: the expected launch digest. */
  ld: bytes(0x00, 48),
  familyId: bytes(0x30, 16),
  imageId: bytes(0x40, 16),
  /** VERSION: must be 1. */
  version: u32(0x50),
  guestSvn: u32(0x54),
  /** POLICY: must equal the policy given at LAUNCH_START. */
  policy: u64(0x58),
});

/** ID_AUTH_INFO, the 4096 bytes of signatures and keys next to the ID block (spec/snp.md §3.2). */
export const ID_AUTH_INFO = defineStruct('ID_AUTH_INFO', 0x1000, {
  /** ID_KEY_ALGO: 1 = ECDSA P-384 with SHA-384. */
  idKeyAlgo: u32(0x000),
  /** AUTH_KEY_ALGO: 1 with an author key; openvmm writes 0 without one. */
  authKeyAlgo: u32(0x004),
  reserved008: bytes(0x008, 0x040 - 0x008),
  /** ID_BLOCK_SIG: the ID key's signature over ID_BLOCK (AMD's SIGNATURE structure). */
  idBlockSig: bytes(0x040, AMD_SIGNATURE_SIZE),
  /** ID_KEY: the ID key in AMD's 0x404-byte public key layout. */
  idKey: bytes(0x240, AMD_PUBLIC_KEY_SIZE),
  reserved644: bytes(0x644, 0x680 - 0x644),
  /** ID_KEY_SIG: the author key's signature over ID_KEY. */
  idKeySig: bytes(0x680, AMD_SIGNATURE_SIZE),
  /** AUTHOR_KEY: the author key in AMD's layout. */
  authorKey: bytes(0x880, AMD_PUBLIC_KEY_SIZE),
  reservedC84: bytes(0xc84, 0x1000 - 0xc84),
});

/** Size of the ID block (spec/snp.md §3.1). */
export const ID_BLOCK_SIZE = ID_BLOCK.size;

/** Size of ID_AUTH_INFO (spec/snp.md §3.2). */
export const ID_AUTH_INFO_SIZE = ID_AUTH_INFO.size;

/** The only ID block VERSION the SEV-SNP ABI defines; QEMU forces it (spec/snp.md §3.1, §2.5). */
export const ID_BLOCK_VERSION = 1;

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
  const ld = requireLength(fields.ld, ID_BLOCK.fields.ld.length, 'LD');
  const familyId = requireLength(fields.familyId, ID_BLOCK.fields.familyId.length, 'FAMILY_ID');
  const imageId = requireLength(fields.imageId, ID_BLOCK.fields.imageId.length, 'IMAGE_ID');
  const version = requireU32(fields.version, ID_BLOCK_VERSION, 'VERSION');
  const guestSvn = requireU32(fields.guestSvn, 0, 'GUEST_SVN');
  if (fields.policy < 0n || fields.policy > 0xffff_ffff_ffff_ffffn) throw new SignError('BadOption', `POLICY is a u64, not ${fields.policy}`);
  return encodeStruct(ID_BLOCK, { ld, familyId, imageId, version, guestSvn, policy: fields.policy });
}

/** The fields of a 96-byte ID block. Throws `SignError` `BadOption` when it is not 96 bytes. */
export function decodeIdBlock(block: Uint8Array): Required<IdBlockFields> {
  if (block.length !== ID_BLOCK_SIZE) throw new SignError('BadOption', `an ID block is ${ID_BLOCK_SIZE} bytes, not ${block.length}`);
  return readStruct(block, 0, ID_BLOCK);
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
 * The 4096-byte ID_AUTH_INFO (spec/snp.md §3.2): ID_KEY_ALGO 1, AUTH_KEY_ALGO 1 with an
 * author key and 0 without (as openvmm writes it), the signatures in AMD's layout, the keys in
 * AMD's 0x404-byte layout; reserved bytes and an absent author's fields zero.
 */
export function encodeIdAuthInfo(auth: IdAuthentication): Uint8Array {
  const author = authorOf(auth);
  return encodeStruct(ID_AUTH_INFO, {
    idKeyAlgo: SNP_ALGO_ECDSA_P384_SHA384,
    authKeyAlgo: author !== undefined ? SNP_ALGO_ECDSA_P384_SHA384 : 0,
    idBlockSig: amdSignature(auth.idBlockSignature),
    idKey: toAmdPublicKey(igvmPublicKey(auth.idKey)),
    ...(author !== undefined ? { idKeySig: amdSignature(author.sig), authorKey: toAmdPublicKey(igvmPublicKey(author.key)) } : {}),
  });
}

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
