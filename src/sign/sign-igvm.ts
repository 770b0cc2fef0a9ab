/**
 * Signing an IGVM file for SEV-SNP (spec/snp.md §3): `signIgvm` computes each SEV_SNP
 * platform's launch digest itself, takes the policy from the platform's GUEST_POLICY (the IGVM
 * header has no policy field; loaders take it from there, §3.3 and §2.5), signs the 96-byte ID
 * block (§3.1) and the ID key (§3.2), and puts one SNP_ID_BLOCK directive per SEV_SNP platform
 * into the file. `idBlocksToBeSigned` gives the bytes to sign elsewhere (an HSM, a cloud KMS).
 *
 * Where the directive goes: an existing SNP_ID_BLOCK of the platform is replaced in place
 * (further ones of the same platform are dropped: a loader keeps only one); otherwise the new
 * one is appended after the last directive. No loader measures it — the igvm crate skips ID
 * blocks (spec/snp.md §2.2 item 7), coconut and QEMU read it aside and hand it to the PSP at
 * LAUNCH_FINISH (§2.3, §2.5) — so its position cannot change any digest; appending keeps every
 * other directive in its order and at its index, so header indices in traces and error
 * messages still point at the same headers after signing.
 */
import { validateFile, type DirectiveHeader, type IgvmFile, type SnpIdBlockHeader, type SupportedPlatformHeader } from '../format/index.js';
import { measure, type MeasurementResult, type ProfileName } from '../measure/index.js';
import { SignError } from './errors.js';
import { ID_BLOCK_VERSION, authorToBeSigned, buildIdBlockHeader, decodeIdBlock, encodeIdBlock, type IdBlockFields } from './id-block.js';
import type { P384KeyPair, P384Point, P384PublicKey } from './keys.js';
import { acceptExternalSignature, signP384, type EcdsaSignature } from './signature.js';
import { idBlockApplies, launchDigestOf, pointOf, requireGuestPolicy, requireSnpPlatforms } from './snp-platform.js';

/** The ID block fields a signer chooses (the launch digest and the policy come from the file). */
export interface IdBlockOptions {
  /** FAMILY_ID, 16 bytes (default zeros). */
  readonly familyId?: Uint8Array;
  /** IMAGE_ID, 16 bytes (default zeros). */
  readonly imageId?: Uint8Array;
  /** VERSION; only 1 is accepted, the one value the SEV-SNP ABI defines and QEMU forces (§3.1, §2.5). */
  readonly version?: number;
  /** GUEST_SVN, u32 (default 0). */
  readonly guestSvn?: number;
  /** The loader profile whose launch digest goes into the ID block (default `igvm`). */
  readonly profile?: ProfileName;
  /**
   * The file's measurement under `profile`, when the caller has it already (e.g. from the
   * CLI's parallel pipeline); computed with `measure` otherwise.
   */
  readonly measured?: MeasurementResult;
}

/** A signature made elsewhere and the public key it should verify with. */
export interface ExternalSignature {
  /** DER ECDSA-Sig-Value, raw r‖s (96 bytes), AMD's layout (144 or 512 bytes), or decoded. */
  readonly signature: Uint8Array | EcdsaSignature;
  readonly publicKey: P384PublicKey | P384Point;
}

/** Options of `signIgvm`: the ID key as a key pair or as an external signature; the author key likewise, or none. */
export interface SignOptions extends IdBlockOptions {
  /** The ID key, to sign here. Give this or `idSignature`. */
  readonly idKey?: P384KeyPair;
  /** The ID block signed out of band (see `idBlockToBeSigned`). Give this or `idKey`. */
  readonly idSignature?: ExternalSignature;
  /** The author key, to sign the ID key here (optional). */
  readonly authorKey?: P384KeyPair;
  /** The ID key signed out of band by the author key (see `authorToBeSigned`). */
  readonly authorSignature?: ExternalSignature;
}

/** One SEV_SNP platform's ID block before signing. */
export interface IdBlockToBeSigned {
  readonly platform: SupportedPlatformHeader;
  readonly compatibilityMask: number;
  /** The launch digest we computed under the profile. */
  readonly launchDigest: Uint8Array;
  /** The GUEST_POLICY value. */
  readonly policy: bigint;
  /** All fields of the ID block. */
  readonly fields: Required<IdBlockFields>;
  /** The exact 96 bytes the ID key signs (spec/snp.md §3.1). */
  readonly bytes: Uint8Array;
}

/** A signed file and, per SEV_SNP platform, the ID block that was signed and the header that carries it. */
export interface SignedIgvm {
  readonly file: IgvmFile;
  readonly idBlocks: readonly { readonly block: IdBlockToBeSigned; readonly header: SnpIdBlockHeader }[];
}

/** The file's measurement under the options' profile: the one given, or computed with `measure`. */
function snpMeasurement(file: IgvmFile, options: IdBlockOptions): MeasurementResult {
  if (options.measured !== undefined) {
    if (options.profile !== undefined && options.measured.profile !== options.profile) {
      throw new SignError('BadOption', `the given measurement is for profile ${options.measured.profile}, not ${options.profile}`);
    }
    return options.measured;
  }
  return measure(file, { platform: 'snp', ...(options.profile !== undefined ? { profile: options.profile } : {}) });
}

/**
 * The ID block of every SEV_SNP platform of `file`, ready to sign: our launch digest under the
 * profile, the GUEST_POLICY value, and the chosen fields. Throws `SignError` (`NoSnpPlatform`,
 * `NotMeasurable`, `NoGuestPolicy`, `ConflictingGuestPolicy`, `BadOption`).
 */
export function idBlocksToBeSigned(file: IgvmFile, options: IdBlockOptions = {}): IdBlockToBeSigned[] {
  // Check the cheap things (policies, field sizes) before measuring.
  const { platforms, policies } = checkIdBlockOptions(file, options);
  const measured = snpMeasurement(file, options);
  return platforms.map((platform, i) => {
    const launchDigest = launchDigestOf(measured, platform);
    const policy = policies[i]!;
    const bytes = encodeIdBlock({ ld: launchDigest, ...fieldOptions(options), policy });
    return { platform, compatibilityMask: platform.compatibilityMask, launchDigest, policy, fields: decodeIdBlock(bytes), bytes };
  });
}

/** The checks of `idBlocksToBeSigned` that need no measurement: the SEV_SNP platforms and their policies. */
function checkIdBlockOptions(file: IgvmFile, options: IdBlockOptions): { platforms: SupportedPlatformHeader[]; policies: bigint[] } {
  const version = options.version ?? ID_BLOCK_VERSION;
  if (version !== ID_BLOCK_VERSION) {
    throw new SignError('BadOption', `VERSION must be ${ID_BLOCK_VERSION}: the SEV-SNP ABI defines only ID block version 1, and QEMU rebuilds the block with version 1, so any other value would not verify at launch (AMD pub. 56860 SNP_LAUNCH_FINISH; QEMU target/i386/sev.c)`);
  }
  const platforms = requireSnpPlatforms(file);
  const policies = platforms.map((p) => requireGuestPolicy(file, p));
  encodeIdBlock({ ld: new Uint8Array(48), ...fieldOptions(options), policy: 0n });
  return { platforms, policies };
}

function fieldOptions(o: IdBlockOptions): Omit<IdBlockFields, 'ld' | 'policy'> {
  return {
    ...(o.familyId !== undefined ? { familyId: o.familyId } : {}),
    ...(o.imageId !== undefined ? { imageId: o.imageId } : {}),
    ...(o.version !== undefined ? { version: o.version } : {}),
    ...(o.guestSvn !== undefined ? { guestSvn: o.guestSvn } : {}),
  };
}

/**
 * The ID block to sign out of band for the file's SEV_SNP platform (an IGVM file has at most
 * one: spec/igvm-format.md, `MultiplePlatformHeadersWithSameIsolation`). Throws `SignError` as
 * `idBlocksToBeSigned`, and `BadOption` for a file with several.
 */
export function soleIdBlockToBeSigned(file: IgvmFile, options: IdBlockOptions = {}): IdBlockToBeSigned {
  const all = idBlocksToBeSigned(file, options);
  if (all.length !== 1) throw new SignError('BadOption', `the file has ${all.length} SEV_SNP platforms; out-of-band signing takes one ID block`);
  return all[0]!;
}

/** The exact 96 bytes of `soleIdBlockToBeSigned`. Throws `SignError` as it does. */
export function idBlockToBeSigned(file: IgvmFile, options: IdBlockOptions = {}): Uint8Array {
  return soleIdBlockToBeSigned(file, options).bytes;
}

function oneOf<A, B>(a: A | undefined, b: B | undefined, names: string, required: boolean): void {
  if (a !== undefined && b !== undefined) throw new SignError('BadOption', `give ${names}, not both`);
  if (required && a === undefined && b === undefined) throw new SignError('BadOption', `give ${names}`);
}

/**
 * `file` laid out as `signIgvm` will lay it out, before anything is measured or signed: an
 * all-zero SNP_ID_BLOCK stands where each SEV_SNP platform's block will go. An ID block carries
 * no file data and no loader measures it (see the file comment), so this file has the signed
 * file's size, layout and launch digests: it can be written, measured from what was written,
 * and then get its real blocks (`signIgvmDetailed` on the written file replaces these in
 * place). Makes every check of `signIgvmDetailed` that needs no measurement. Throws
 * `SignError`.
 */
export function draftSignedIgvm(file: IgvmFile, options: SignOptions): IgvmFile {
  oneOf(options.idKey, options.idSignature, 'the ID key or an external ID signature', true);
  oneOf(options.authorKey, options.authorSignature, 'the author key or an external author signature', false);
  const { platforms } = checkIdBlockOptions(file, options);
  if (options.idSignature !== undefined && platforms.length !== 1) {
    throw new SignError('BadOption', `the file has ${platforms.length} SEV_SNP platforms; an external ID signature covers one ID block`);
  }
  let directives: DirectiveHeader[] = [...file.directives];
  for (const p of platforms) directives = placeIdBlock(directives, placeholderIdBlock(p.compatibilityMask), p.compatibilityMask);
  const { source: _source, ...rest } = file;
  void _source;
  const draft: IgvmFile = { ...rest, directives };
  validateFile(draft);
  return draft;
}

function placeholderIdBlock(compatibilityMask: number): SnpIdBlockHeader {
  const signature = { rComp: new Uint8Array(72), sComp: new Uint8Array(72) };
  const key = { curve: 0, reserved: 0, qx: new Uint8Array(72), qy: new Uint8Array(72) };
  return {
    kind: 'SNP_ID_BLOCK',
    compatibilityMask,
    authorKeyEnabled: 0,
    reserved: new Uint8Array(3),
    ld: new Uint8Array(48),
    familyId: new Uint8Array(16),
    imageId: new Uint8Array(16),
    version: ID_BLOCK_VERSION,
    guestSvn: 0,
    idKeyAlgorithm: 0,
    authorKeyAlgorithm: 0,
    idKeySignature: signature,
    idPublicKey: key,
    authorKeySignature: signature,
    authorPublicKey: key,
  };
}

/**
 * `file` plus one signed SNP_ID_BLOCK directive per SEV_SNP platform (replacing the
 * platform's existing one; see the file comment for where it goes). Signatures made
 * elsewhere are checked before they are used. The input is not changed. Throws `SignError`.
 */
export async function signIgvm(file: IgvmFile, options: SignOptions): Promise<IgvmFile> {
  return (await signIgvmDetailed(file, options)).file;
}

/** `signIgvm`, also returning each platform's signed ID block and its new header (for summaries). */
export async function signIgvmDetailed(file: IgvmFile, options: SignOptions): Promise<SignedIgvm> {
  oneOf(options.idKey, options.idSignature, 'the ID key or an external ID signature', true);
  oneOf(options.authorKey, options.authorSignature, 'the author key or an external author signature', false);
  const blocks = idBlocksToBeSigned(file, options);
  if (options.idSignature !== undefined && blocks.length !== 1) {
    throw new SignError('BadOption', `the file has ${blocks.length} SEV_SNP platforms; an external ID signature covers one ID block`);
  }
  const idPoint = options.idKey?.point ?? pointOf(options.idSignature!.publicKey);

  // The author signature covers the ID key only, so it is the same for every platform (§3.2).
  let author: { key: P384Point; sig: EcdsaSignature } | undefined;
  const authorTbs = authorToBeSigned(idPoint);
  if (options.authorKey !== undefined) {
    author = { key: options.authorKey.point, sig: await signP384(options.authorKey.privateKey, authorTbs) };
  } else if (options.authorSignature !== undefined) {
    const key = pointOf(options.authorSignature.publicKey);
    const sig = await acceptExternalSignature(authorTbs, options.authorSignature.signature, options.authorSignature.publicKey, 'the author signature');
    author = { key, sig };
  }

  let directives: DirectiveHeader[] = [...file.directives];
  const idBlocks: { block: IdBlockToBeSigned; header: SnpIdBlockHeader }[] = [];
  for (const block of blocks) {
    const idBlockSignature =
      options.idKey !== undefined
        ? await signP384(options.idKey.privateKey, block.bytes)
        : await acceptExternalSignature(block.bytes, options.idSignature!.signature, options.idSignature!.publicKey, 'the ID block signature');
    const header = buildIdBlockHeader({
      compatibilityMask: block.compatibilityMask,
      idBlock: block.fields,
      idBlockSignature,
      idKey: idPoint,
      ...(author !== undefined ? { authorKey: author.key, authorKeySignature: author.sig } : {}),
    });
    directives = placeIdBlock(directives, header, block.compatibilityMask);
    idBlocks.push({ block, header });
  }
  // The parse facts (`source`) describe the input bytes, not the new file.
  const { source: _source, ...rest } = file;
  void _source;
  const signed: IgvmFile = { ...rest, directives };
  validateFile(signed);
  return { file: signed, idBlocks };
}

/** Replaces the platform's first SNP_ID_BLOCK in place (dropping further ones), or appends. */
function placeIdBlock(directives: readonly DirectiveHeader[], header: SnpIdBlockHeader, cm: number): DirectiveHeader[] {
  const out: DirectiveHeader[] = [];
  let placed = false;
  for (const d of directives) {
    if (d.kind === 'SNP_ID_BLOCK' && idBlockApplies(d.compatibilityMask, cm)) {
      if (!placed) out.push(header);
      placed = true;
      continue;
    }
    out.push(d);
  }
  if (!placed) out.push(header);
  return out;
}
