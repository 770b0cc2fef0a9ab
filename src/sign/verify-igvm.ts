/**
 * Checking the signatures an IGVM file carries against the digests we compute for it
 * (spec/snp.md §3; the CoRIM part is spec/vbs-cca-corim.md §3 via `verifyEmbeddedCorim`): per
 * SNP_ID_BLOCK the launch digest, the fields the firmware and loaders require, the ID-key
 * and author-key signatures, and the trusted keys when given; per CoRIM the reference values,
 * the signature and, against trusted certificates, its signer. A failed check is a `Check`
 * with `ok: false`, never an error. Besides the checks, the values compared (the ld an ID block
 * carries and the launch digest computed, the ID_KEY_DIGEST / AUTHOR_KEY_DIGEST of spec/snp.md
 * §3.2) come back as fields for structured output.
 */
import type { Check } from '../pki/check.js';
import type { IgvmFile, SnpIdBlockHeader, SupportedPlatformHeader } from '../format/index.js';
import { bytesToHex } from '../format/bytes.js';
import { measure, type MeasurementResult, type ProfileName } from '../measure/index.js';
import { verifyEmbeddedCorimDetailed, type EmbeddedCorimSummary } from './corim-verify.js';
import { SignError } from './errors.js';
import { ID_BLOCK_VERSION, authorToBeSigned, idBlockOfHeader } from './id-block.js';
import { SNP_ALGO_ECDSA_P384_SHA384, SNP_CURVE_P384, pointFromIgvmPublicKey, samePoint, snpKeyDigest, type P384Point, type P384PublicKey } from './keys.js';
import { signatureFromAmd, verifyP384, type EcdsaSignature } from './signature.js';
import { guestPolicyOf, idBlockApplies, idBlockHeadersOf, maskText, platformMeasurement, pointOf, snpPlatformsOf } from './snp-platform.js';

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
  /**
   * Certificates (DER) a CoRIM signer must chain to (`corim-signer-trusted`); without them that
   * check is not made (`ok: null`), never passed.
   */
  readonly trustedCertificates?: readonly Uint8Array[];
  /** Every CoRIM document must be signed, and the file must carry one (`verifyEmbeddedCorim`). */
  readonly requireCorimSignature?: boolean;
}

/** The values of one SNP_ID_BLOCK that `verifyIgvmSignatures` compared (hex lowercase). */
export interface IdBlockSummary {
  /** The SEV_SNP platform's compatibility mask. */
  readonly compatibilityMask: number;
  /** The header's index in the file, when known. */
  readonly headerIndex?: number;
  /** The launch digest the ID block carries (LD). */
  readonly reportedLd: string;
  /** The launch digest computed here under `profile`; `null` when it could not be computed. */
  readonly expectedLd: string | null;
  readonly profile: ProfileName;
  readonly familyId: string;
  readonly imageId: string;
  readonly version: number;
  readonly guestSvn: number;
  /** The POLICY the block is signed with (the platform's GUEST_POLICY); `null` when unknown. */
  readonly policy: bigint | null;
  /** ID_KEY_DIGEST: SHA-384 of the ID key in AMD's layout (spec/snp.md §3.2); `null` when the key is unusable. */
  readonly idKeyDigest: string | null;
  /** AUTHOR_KEY_DIGEST, `null` when there is no (usable) author key. */
  readonly authorKeyDigest: string | null;
}

/** Everything `verifyIgvmSignatures` found, with the compared values as fields. */
export interface SignatureVerification {
  readonly checks: Check[];
  readonly idBlocks: IdBlockSummary[];
  readonly corims: EmbeddedCorimSummary[];
}

/**
 * Checks everything the file carries (spec/snp.md §3, spec/vbs-cca-corim.md §3): per SNP_ID_BLOCK, that `ld` is the
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
  return (await verifyIgvmSignaturesDetailed(file, options)).checks;
}

/**
 * `verifyIgvmSignatures` with the values it compared: per SNP_ID_BLOCK the carried and the
 * computed ld and the key digests, per CoRIM document its reference digest and signatures.
 */
export async function verifyIgvmSignaturesDetailed(file: IgvmFile, options: VerifySignaturesOptions = {}): Promise<SignatureVerification> {
  const idBlocks = idBlockHeadersOf(file);
  const trusted = options.trustedIdKey !== undefined || options.trustedAuthorKey !== undefined;
  const corimWanted = options.requireCorimSignature === true || (options.trustedCertificates !== undefined && options.trustedCertificates.length > 0);
  const hasCorim = file.initializations.some((h) => h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE');
  if (idBlocks.length === 0 && !hasCorim && !trusted && !corimWanted) return { checks: [], idBlocks: [], corims: [] };

  const profile = options.profile ?? 'igvm';
  const measured = options.measured ?? (options.measurer !== undefined ? await options.measurer(file, profile) : measure(file, { profile }));
  const checks: Check[] = [];
  const summaries: IdBlockSummary[] = [];
  const snp = snpPlatformsOf(file);
  if (snp.length === 0 && trusted) checks.push({ name: 'snp-id-block-present', ok: false, detail: 'the file has no SEV_SNP platform, but trusted keys were given' });

  for (const platform of snp) {
    const cm = platform.compatibilityMask >>> 0;
    const mine = idBlocks.filter((b) => idBlockApplies(b.compatibilityMask, cm));
    const where = `SEV_SNP mask ${maskText(cm)}`;
    if (mine.length === 0) {
      if (trusted) checks.push({ name: 'snp-id-block-present', ok: false, detail: `${where}: no SNP_ID_BLOCK, but trusted keys were given` });
      continue;
    }
    if (mine.length > 1) {
      checks.push({ name: 'snp-id-block-unique', ok: false, detail: `${where}: ${mine.length} SNP_ID_BLOCK directives apply (headers ${mine.map((b) => b.index ?? '?').join(', ')}); a loader uses one` });
    }
    for (const block of mine) checks.push(...(await checkIdBlock(file, platform, block, measured, options, summaries)));
  }
  for (const block of idBlocks) {
    if (!snp.some((p) => idBlockApplies(block.compatibilityMask, p.compatibilityMask))) {
      checks.push({ name: 'snp-id-block-platform', ok: false, detail: `the SNP_ID_BLOCK (header ${block.index ?? '?'}, mask ${maskText(block.compatibilityMask)}) applies to no SEV_SNP platform` });
    }
  }
  const corim = await verifyEmbeddedCorimDetailed(file, measured, options.trustedCertificates, { requireSignature: options.requireCorimSignature === true });
  // A trusted certificate was given for a file without CoRIM: like trusted keys without an ID block.
  if (corim.documents.length === 0 && options.requireCorimSignature !== true && corimWanted) {
    checks.push({ name: 'corim-present', ok: false, detail: 'the file carries no CoRIM document, but trusted CoRIM signer certificates were given' });
  }
  checks.push(...corim.checks);
  return { checks, idBlocks: summaries, corims: corim.documents };
}

async function checkIdBlock(
  file: IgvmFile,
  platform: SupportedPlatformHeader,
  block: SnpIdBlockHeader,
  measured: MeasurementResult,
  options: VerifySignaturesOptions,
  summaries: IdBlockSummary[],
): Promise<Check[]> {
  const checks: Check[] = [];
  const where = `SEV_SNP mask ${maskText(platform.compatibilityMask)}`;

  // ld against our digest (coconut igvmmeasure makes the same comparison, spec/snp.md §2.3).
  const m = platformMeasurement(measured, platform);
  const ld = bytesToHex(block.ld);
  let expectedLd: string | null = null;
  if (m === undefined || !('digest' in m)) {
    const why = m !== undefined && 'error' in m ? `${m.error.code}: ${m.error.message}` : 'not measured';
    checks.push({ name: 'snp-id-block-ld', ok: false, detail: `${where}: the launch digest cannot be computed under profile ${measured.profile} (${why})`, actual: ld });
  } else {
    expectedLd = bytesToHex(m.digest);
    const values = { expected: expectedLd, actual: ld };
    checks.push(
      expectedLd === ld
        ? { name: 'snp-id-block-ld', ok: true, detail: `${where}: ld ${ld} is the launch digest (profile ${measured.profile})`, ...values }
        : { name: 'snp-id-block-ld', ok: false, detail: `${where}: ld ${ld} differs from the launch digest ${expectedLd} (profile ${measured.profile})`, ...values },
    );
  }

  // The fields the firmware and the loaders require.
  const policy = guestPolicyOf(file, platform);
  const problems: string[] = [];
  if (block.version !== ID_BLOCK_VERSION) problems.push(`VERSION is ${block.version}; the ABI defines 1 and QEMU forces 1, so the signed block differs from the one the PSP checks (AMD pub. 56860 SNP_LAUNCH_FINISH; QEMU target/i386/sev.c)`);
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
      detail: `${where}: author_key_enabled is ${block.authorKeyEnabled} but the author key's CURVE is ${block.authorPublicKey.curve}; QEMU decides from the curve, other loaders from the flag (QEMU target/i386/sev.c)`,
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

  const idKeyDigest = idPoint !== undefined ? bytesToHex(snpKeyDigest(idPoint)) : null;
  const authorKeyDigest = authorPoint !== undefined ? bytesToHex(snpKeyDigest(authorPoint)) : null;
  if (options.trustedIdKey !== undefined) {
    const t = pointOf(options.trustedIdKey);
    const ok = idPoint !== undefined && samePoint(idPoint, t);
    const trustedDigest = bytesToHex(snpKeyDigest(t));
    checks.push({
      name: 'snp-trusted-id-key',
      ok,
      detail: `${where}: ${ok ? 'the ID key is the trusted one' : 'the ID key is NOT the trusted one'} (trusted ${trustedDigest}${idKeyDigest !== null ? `, file ${idKeyDigest}` : ''})`,
      expected: trustedDigest,
      ...(idKeyDigest !== null ? { actual: idKeyDigest } : {}),
    });
  }
  if (options.trustedAuthorKey !== undefined) {
    const t = pointOf(options.trustedAuthorKey);
    const ok = authorPoint !== undefined && samePoint(authorPoint, t);
    const trustedDigest = bytesToHex(snpKeyDigest(t));
    const file = authorKeyDigest !== null ? `, file ${authorKeyDigest}` : ', the file has no usable author key';
    checks.push({
      name: 'snp-trusted-author-key',
      ok,
      detail: `${where}: ${ok ? 'the author key is the trusted one' : 'the author key is NOT the trusted one'} (trusted ${trustedDigest}${file})`,
      expected: trustedDigest,
      ...(authorKeyDigest !== null ? { actual: authorKeyDigest } : {}),
    });
  }
  summaries.push({
    compatibilityMask: platform.compatibilityMask >>> 0,
    ...(block.index !== undefined ? { headerIndex: block.index } : {}),
    reportedLd: ld,
    expectedLd,
    profile: measured.profile,
    familyId: bytesToHex(block.familyId),
    imageId: bytesToHex(block.imageId),
    version: block.version,
    guestSvn: block.guestSvn,
    policy: policy instanceof SignError ? null : policy,
    idKeyDigest,
    authorKeyDigest,
  });
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
