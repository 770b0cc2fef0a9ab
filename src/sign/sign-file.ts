/**
 * Signing an IGVM file for SEV-SNP and checking the signatures a file carries (issue:
 * release pipelines, "SNP ID block" and the `sign` / `verify` commands).
 *
 * `signIgvm` computes each SEV_SNP platform's launch digest itself, takes the policy from the
 * platform's GUEST_POLICY (the IGVM header has no policy field; loaders take it from there,
 * spec/snp.md §3.3 and §2.5), signs the 96-byte ID block (§3.1) and the ID key (§3.2), and
 * puts one SNP_ID_BLOCK directive per SEV_SNP platform into the file.
 *
 * Where the directive goes: an existing SNP_ID_BLOCK of the platform is replaced in place
 * (further ones of the same platform are dropped: a loader keeps only one); otherwise the new
 * one is appended after the last directive. No loader measures it — the igvm crate skips ID
 * blocks (spec/snp.md §2.2 item 7), coconut and QEMU read it aside and hand it to the PSP at
 * LAUNCH_FINISH (§2.3, §2.5) — so its position cannot change any digest; appending keeps every
 * other directive in its order and at its index, so header indices in traces and error
 * messages still point at the same headers after signing.
 */
import type { Check } from '../pki/check.js';
import {
  validateFile,
  type DirectiveHeader,
  type IgvmFile,
  type SnpIdBlockHeader,
  type SupportedPlatformHeader,
} from '../format/index.js';
import { measure, type MeasurementResult, type PlatformMeasurement, type ProfileName } from '../measure/index.js';
import { verifyEmbeddedCorim } from './corim-verify.js';
import { SignError } from './errors.js';
import { ID_BLOCK_VERSION, authorToBeSigned, buildIdBlockHeader, encodeIdBlock, idBlockOfHeader, type IdBlockFields } from './id-block.js';
import { acceptExternalSignature, signP384, signatureFromAmd, verifyP384, type EcdsaSignature } from './signature.js';
import {
  SNP_ALGO_ECDSA_P384_SHA384,
  SNP_CURVE_P384,
  pointFromIgvmPublicKey,
  samePoint,
  snpKeyDigest,
  type P384KeyPair,
  type P384Point,
  type P384PublicKey,
} from './keys.js';
import { bytesToHex } from '../format/bytes.js';
import { guestPoliciesFor } from '../format/view.js';

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

// ---- helpers ------------------------------------------------------------------------------------

const maskText = (m: number): string => `0x${(m >>> 0).toString(16)}`;

/** The SEV_SNP platforms of a file; `NoSnpPlatform` when there are none. */
function snpPlatforms(file: IgvmFile): SupportedPlatformHeader[] {
  const platforms = file.platforms.filter((p) => p.platformType === 'SEV_SNP');
  if (platforms.length === 0) {
    throw new SignError('NoSnpPlatform', `the file has no SEV_SNP platform (it has ${file.platforms.map((p) => p.platformType).join(', ') || 'none'}); an ID block is for SEV-SNP only`);
  }
  return platforms;
}

/**
 * The policy of the GUEST_POLICY covering the platform, matched as the measurement does
 * (all the platform's mask bits, spec/snp.md §2.2 item 1). Several headers with one value are
 * fine; with different values the loaders disagree (QEMU keeps the last), so that is refused.
 */
function policyResult(file: IgvmFile, platform: SupportedPlatformHeader): bigint | SignError {
  const cm = platform.compatibilityMask >>> 0;
  const values = new Set(guestPoliciesFor(file, platform).map((h) => h.policy));
  if (values.size === 0) {
    return new SignError('NoGuestPolicy', `no GUEST_POLICY covers the SEV_SNP platform (mask ${maskText(cm)}), so the ID block's POLICY is unknown (spec/snp.md §3.3)`);
  }
  if (values.size > 1) {
    return new SignError('ConflictingGuestPolicy', `GUEST_POLICY headers with different policies (${[...values].map((v) => `0x${v.toString(16)}`).join(', ')}) cover the SEV_SNP platform (mask ${maskText(cm)})`);
  }
  return [...values][0]!;
}

function policyOf(file: IgvmFile, platform: SupportedPlatformHeader): bigint {
  const p = policyResult(file, platform);
  if (p instanceof SignError) throw p;
  return p;
}

function measuredFor(result: MeasurementResult, platform: SupportedPlatformHeader): PlatformMeasurement | undefined {
  return result.platforms.find((p) => p.platformType === platform.platformType && p.compatibilityMask === platform.compatibilityMask);
}

function snpMeasurement(file: IgvmFile, options: IdBlockOptions): MeasurementResult {
  if (options.measured !== undefined) {
    if (options.profile !== undefined && options.measured.profile !== options.profile) {
      throw new SignError('BadOption', `the given measurement is for profile ${options.measured.profile}, not ${options.profile}`);
    }
    return options.measured;
  }
  return measure(file, { platform: 'snp', ...(options.profile !== undefined ? { profile: options.profile } : {}) });
}

function launchDigestOf(result: MeasurementResult, platform: SupportedPlatformHeader): Uint8Array {
  const m = measuredFor(result, platform);
  if (m === undefined) throw new SignError('NotMeasurable', `the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) was not measured`);
  if ('error' in m) {
    throw new SignError('NotMeasurable', `the launch digest of the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) cannot be computed under profile ${result.profile}: ${m.error.code}: ${m.error.message}`);
  }
  if (!('digest' in m)) throw new SignError('NotMeasurable', `the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) has no launch measurement`);
  return m.digest;
}

// ---- signing ------------------------------------------------------------------------------------------

/**
 * The ID block of every SEV_SNP platform of `file`, ready to sign: our launch digest under the
 * profile, the GUEST_POLICY value, and the chosen fields. Throws `SignError` (`NoSnpPlatform`,
 * `NotMeasurable`, `NoGuestPolicy`, `ConflictingGuestPolicy`, `BadOption`).
 */
export function idBlocksToBeSigned(file: IgvmFile, options: IdBlockOptions = {}): IdBlockToBeSigned[] {
  const version = options.version ?? ID_BLOCK_VERSION;
  if (version !== ID_BLOCK_VERSION) {
    throw new SignError('BadOption', `VERSION must be ${ID_BLOCK_VERSION}: the SEV-SNP ABI defines only ID block version 1, and QEMU rebuilds the block with version 1, so any other value would not verify at launch (spec/snp.md §3.1, §2.5)`);
  }
  const platforms = snpPlatforms(file);
  // Check the cheap things (policies, field sizes) before measuring.
  const policies = platforms.map((p) => policyOf(file, p));
  encodeIdBlock({ ld: new Uint8Array(48), ...fieldOptions(options), policy: 0n });
  const measured = snpMeasurement(file, options);
  return platforms.map((platform, i) => {
    const launchDigest = launchDigestOf(measured, platform);
    const policy = policies[i]!;
    const bytes = encodeIdBlock({ ld: launchDigest, ...fieldOptions(options), policy });
    return {
      platform,
      compatibilityMask: platform.compatibilityMask,
      launchDigest,
      policy,
      fields: { ld: launchDigest, familyId: bytes.slice(0x30, 0x40), imageId: bytes.slice(0x40, 0x50), version, guestSvn: options.guestSvn ?? 0, policy },
      bytes,
    };
  });
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
 * The exact 96 bytes to sign out of band for the file's SEV_SNP platform (an IGVM file has at
 * most one: spec/igvm-format.md, `MultiplePlatformHeadersWithSameIsolation`). Throws
 * `SignError` as `idBlocksToBeSigned`.
 */
export function idBlockToBeSigned(file: IgvmFile, options: IdBlockOptions = {}): Uint8Array {
  const all = idBlocksToBeSigned(file, options);
  if (all.length !== 1) throw new SignError('BadOption', `the file has ${all.length} SEV_SNP platforms; out-of-band signing takes one ID block`);
  return all[0]!.bytes;
}

function oneOf<A, B>(a: A | undefined, b: B | undefined, names: string, required: boolean): void {
  if (a !== undefined && b !== undefined) throw new SignError('BadOption', `give ${names}, not both`);
  if (required && a === undefined && b === undefined) throw new SignError('BadOption', `give ${names}`);
}

/**
 * `file` plus one signed SNP_ID_BLOCK directive per SEV_SNP platform (replacing the
 * platform's existing one; see the file comment for where it goes). Signatures made
 * elsewhere are checked before they are used. The input is not changed. Throws `SignError`.
 */
export async function signIgvm(file: IgvmFile, options: SignOptions): Promise<IgvmFile> {
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
  }
  // The parse facts (`source`) describe the input bytes, not the new file.
  const { source: _source, ...rest } = file;
  void _source;
  const signed: IgvmFile = { ...rest, directives };
  validateFile(signed);
  return signed;
}

function pointOf(k: P384PublicKey | P384Point): P384Point {
  return 'point' in k ? k.point : k;
}

/** Replaces the platform's first SNP_ID_BLOCK in place (dropping further ones), or appends. */
function placeIdBlock(directives: readonly DirectiveHeader[], header: SnpIdBlockHeader, cm: number): DirectiveHeader[] {
  const out: DirectiveHeader[] = [];
  let placed = false;
  for (const d of directives) {
    if (d.kind === 'SNP_ID_BLOCK' && ((d.compatibilityMask & cm) >>> 0) !== 0) {
      if (!placed) out.push(header);
      placed = true;
      continue;
    }
    out.push(d);
  }
  if (!placed) out.push(header);
  return out;
}

// ---- verification -----------------------------------------------------------------------------------------

/** Options of `verifyIgvmSignatures`. */
export interface VerifySignaturesOptions {
  /** The ID key the file must be signed with. */
  readonly trustedIdKey?: P384PublicKey | P384Point;
  /** The author key the file's ID key must be signed by. */
  readonly trustedAuthorKey?: P384PublicKey | P384Point;
  /** The loader profile whose launch digests the ID blocks must carry (default `igvm`). */
  readonly profile?: ProfileName;
  /** The file's measurement (all platforms) under `profile`, when the caller has it already. */
  readonly measured?: MeasurementResult;
  /**
   * Measures the file (all platforms) under `profile` when there is something to verify, e.g.
   * with the CLI's parallel pipeline; default `measure`. Not called for a file with nothing to verify.
   */
  readonly measurer?: (file: IgvmFile, profile: ProfileName) => MeasurementResult | Promise<MeasurementResult>;
}

/**
 * Checks everything the file carries (issue: `verify`): per SNP_ID_BLOCK, that `ld` is the
 * launch digest we compute (`snp-id-block-ld`), that VERSION, the algorithms and the policy
 * are usable (`snp-id-block-fields`), that the ID-key signature verifies over the 96-byte
 * block with the file's policy (`snp-id-key-signature`), that the author signature verifies
 * over the ID key's AMD layout when an author key is present (`snp-author-key-signature`),
 * and that the keys are the trusted ones when given (`snp-trusted-id-key`,
 * `snp-trusted-author-key`); then the CoRIM checks of `verifyEmbeddedCorim`. An empty list
 * means the file carries nothing to verify. Throws only for a measurement request that cannot
 * be made at all (an unknown profile).
 */
export async function verifyIgvmSignatures(file: IgvmFile, options: VerifySignaturesOptions = {}): Promise<Check[]> {
  const idBlocks = file.directives.filter((d): d is SnpIdBlockHeader => d.kind === 'SNP_ID_BLOCK');
  const trusted = options.trustedIdKey !== undefined || options.trustedAuthorKey !== undefined;
  const hasCorim = file.initializations.some((h) => h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE');
  if (idBlocks.length === 0 && !hasCorim && !trusted) return [];

  const profile = options.profile ?? 'igvm';
  const measured = options.measured ?? (options.measurer !== undefined ? await options.measurer(file, profile) : measure(file, { profile }));
  const checks: Check[] = [];
  const snp = file.platforms.filter((p) => p.platformType === 'SEV_SNP');
  if (snp.length === 0 && trusted) checks.push({ name: 'snp-id-block-present', ok: false, detail: 'the file has no SEV_SNP platform, but trusted keys were given' });

  for (const platform of snp) {
    const cm = platform.compatibilityMask >>> 0;
    const mine = idBlocks.filter((b) => ((b.compatibilityMask & cm) >>> 0) !== 0);
    const where = `SEV_SNP mask ${maskText(cm)}`;
    if (mine.length === 0) {
      if (trusted) checks.push({ name: 'snp-id-block-present', ok: false, detail: `${where}: no SNP_ID_BLOCK, but trusted keys were given` });
      continue;
    }
    if (mine.length > 1) {
      checks.push({ name: 'snp-id-block-unique', ok: false, detail: `${where}: ${mine.length} SNP_ID_BLOCK directives apply (headers ${mine.map((b) => b.index ?? '?').join(', ')}); a loader uses one` });
    }
    for (const block of mine) checks.push(...(await checkIdBlock(file, platform, block, measured, options)));
  }
  for (const block of idBlocks) {
    if (!snp.some((p) => ((block.compatibilityMask & p.compatibilityMask) >>> 0) !== 0)) {
      checks.push({ name: 'snp-id-block-platform', ok: false, detail: `the SNP_ID_BLOCK (header ${block.index ?? '?'}, mask ${maskText(block.compatibilityMask)}) applies to no SEV_SNP platform` });
    }
  }
  checks.push(...(await verifyEmbeddedCorim(file, measured)));
  return checks;
}

async function checkIdBlock(
  file: IgvmFile,
  platform: SupportedPlatformHeader,
  block: SnpIdBlockHeader,
  measured: MeasurementResult,
  options: VerifySignaturesOptions,
): Promise<Check[]> {
  const checks: Check[] = [];
  const where = `SEV_SNP mask ${maskText(platform.compatibilityMask)}`;

  // ld against our digest (coconut igvmmeasure makes the same comparison, spec/snp.md §2.3).
  const m = measuredFor(measured, platform);
  if (m === undefined || !('digest' in m)) {
    const why = m !== undefined && 'error' in m ? `${m.error.code}: ${m.error.message}` : 'not measured';
    checks.push({ name: 'snp-id-block-ld', ok: false, detail: `${where}: the launch digest cannot be computed under profile ${measured.profile} (${why})` });
  } else if (bytesToHex(m.digest) === bytesToHex(block.ld)) {
    checks.push({ name: 'snp-id-block-ld', ok: true, detail: `${where}: ld ${bytesToHex(block.ld)} is the launch digest (profile ${measured.profile})` });
  } else {
    checks.push({ name: 'snp-id-block-ld', ok: false, detail: `${where}: ld ${bytesToHex(block.ld)} differs from the launch digest ${bytesToHex(m.digest)} (profile ${measured.profile})` });
  }

  // The fields the firmware and the loaders require.
  const policy = policyResult(file, platform);
  const problems: string[] = [];
  if (block.version !== ID_BLOCK_VERSION) problems.push(`VERSION is ${block.version}; the ABI defines 1 and QEMU forces 1, so the signed block differs from the one the PSP checks (spec/snp.md §3.1, §2.5)`);
  if (block.idKeyAlgorithm !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`id_key_algorithm is ${block.idKeyAlgorithm}; only 1 (ECDSA P-384/SHA-384) is defined`);
  if (block.authorKeyEnabled !== 0 && block.authorKeyAlgorithm !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`author_key_algorithm is ${block.authorKeyAlgorithm}; only 1 is defined`);
  if (policy instanceof SignError) problems.push(policy.message);
  checks.push(
    problems.length === 0
      ? { name: 'snp-id-block-fields', ok: true, detail: `${where}: VERSION 1, ECDSA P-384/SHA-384, POLICY 0x${(policy as bigint).toString(16)} from GUEST_POLICY, GUEST_SVN ${block.guestSvn}` }
      : { name: 'snp-id-block-fields', ok: false, detail: `${where}: ${problems.join('; ')}` },
  );

  // The ID key's signature over the 96-byte block with the file's policy.
  let idPoint: P384Point | undefined;
  let idKeyText = '';
  try {
    idPoint = pointFromIgvmPublicKey(block.idPublicKey, 'the ID key');
    idKeyText = `ID key digest ${bytesToHex(snpKeyDigest(block.idPublicKey))}`;
  } catch (e) {
    if (!(e instanceof SignError)) throw e;
    checks.push({ name: 'snp-id-key-signature', ok: false, detail: `${where}: ${e.message}` });
  }
  if (idPoint !== undefined) {
    if (policy instanceof SignError) {
      checks.push({ name: 'snp-id-key-signature', ok: false, detail: `${where}: cannot be checked: ${policy.message}` });
    } else {
      const result = await verifySignature(block.idKeySignature, idPoint, idBlockOfHeader(block, policy));
      checks.push({
        name: 'snp-id-key-signature',
        ok: result === true,
        detail: `${where}: ${result === true ? 'verifies' : typeof result === 'string' ? result : 'does NOT verify'} over the 96-byte ID block (policy 0x${policy.toString(16)}); ${idKeyText}`,
      });
    }
  }

  // The author key: present when enabled, or when its curve is set (QEMU enables it from the curve, §2.5).
  const authorPresent = block.authorKeyEnabled !== 0 || block.authorPublicKey.curve !== 0;
  let authorPoint: P384Point | undefined;
  if (!authorPresent) {
    checks.push({ name: 'snp-author-key-signature', ok: null, detail: `${where}: no author key (author_key_enabled 0)` });
  } else if (block.authorKeyEnabled === 0 || block.authorPublicKey.curve !== SNP_CURVE_P384) {
    checks.push({
      name: 'snp-author-key-signature',
      ok: false,
      detail: `${where}: author_key_enabled is ${block.authorKeyEnabled} but the author key's CURVE is ${block.authorPublicKey.curve}; QEMU decides from the curve, other loaders from the flag (spec/snp.md §2.5)`,
    });
  } else {
    try {
      authorPoint = pointFromIgvmPublicKey(block.authorPublicKey, 'the author key');
    } catch (e) {
      if (!(e instanceof SignError)) throw e;
      checks.push({ name: 'snp-author-key-signature', ok: false, detail: `${where}: ${e.message}` });
    }
    if (authorPoint !== undefined) {
      const result = await verifySignature(block.authorKeySignature, authorPoint, authorToBeSigned(block.idPublicKey));
      checks.push({
        name: 'snp-author-key-signature',
        ok: result === true,
        detail: `${where}: ${result === true ? 'verifies' : typeof result === 'string' ? result : 'does NOT verify'} over the ID key (AMD layout); author key digest ${bytesToHex(snpKeyDigest(block.authorPublicKey))}`,
      });
    }
  }

  if (options.trustedIdKey !== undefined) {
    const t = pointOf(options.trustedIdKey);
    const ok = idPoint !== undefined && samePoint(idPoint, t);
    checks.push({
      name: 'snp-trusted-id-key',
      ok,
      detail: `${where}: ${ok ? 'the ID key is the trusted one' : 'the ID key is NOT the trusted one'} (trusted ${bytesToHex(snpKeyDigest(t))}${idPoint !== undefined ? `, file ${bytesToHex(snpKeyDigest(idPoint))}` : ''})`,
    });
  }
  if (options.trustedAuthorKey !== undefined) {
    const t = pointOf(options.trustedAuthorKey);
    const ok = authorPoint !== undefined && samePoint(authorPoint, t);
    const file = authorPoint !== undefined ? `, file ${bytesToHex(snpKeyDigest(authorPoint))}` : ', the file has no usable author key';
    checks.push({ name: 'snp-trusted-author-key', ok, detail: `${where}: ${ok ? 'the author key is the trusted one' : 'the author key is NOT the trusted one'} (trusted ${bytesToHex(snpKeyDigest(t))}${file})` });
  }
  return checks;
}

/** true, false, or why the signature could not even be read. */
async function verifySignature(sig: SnpIdBlockHeader['idKeySignature'], key: P384Point, data: Uint8Array): Promise<boolean | string> {
  let decoded: EcdsaSignature;
  try {
    decoded = signatureFromAmd(sig);
  } catch (e) {
    if (e instanceof SignError) return `the signature cannot be read (${e.message})`;
    throw e;
  }
  return verifyP384(key, decoded, data);
}
