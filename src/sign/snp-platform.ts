/**
 * What signing and verifying an IGVM file's SNP ID blocks both need to know about a SEV_SNP
 * platform (spec/snp.md §3.3): which platforms a file has, which SNP_ID_BLOCK headers apply to
 * one, the ID block's POLICY (the platform's GUEST_POLICY, since the IGVM header has none), and
 * the launch digest the measurement computed for it.
 */
import type { IgvmFile, SnpIdBlockHeader, SupportedPlatformHeader } from '../format/index.js';
import { guestPoliciesFor } from '../format/view.js';
import { hexNumber } from '../format/bytes.js';
import type { MeasurementResult, PlatformMeasurement } from '../measure/index.js';
import { SignError } from './errors.js';
import type { P384Point, P384PublicKey } from './keys.js';

/** A compatibility mask as messages print it. */
export const maskText = (m: number): string => hexNumber(m >>> 0);

/**
 * True when an SNP_ID_BLOCK with `mask` applies to the platform of mask `cm`: any shared bit,
 * as loaders pick the ID block of a platform (spec/snp.md §2.3, §2.5).
 */
export function idBlockApplies(mask: number, cm: number): boolean {
  return ((mask & cm) >>> 0) !== 0;
}

/** The SEV_SNP platforms of a file (possibly none). */
export function snpPlatformsOf(file: IgvmFile): SupportedPlatformHeader[] {
  return file.platforms.filter((p) => p.platformType === 'SEV_SNP');
}

/** The SEV_SNP platforms of a file; `SignError` `NoSnpPlatform` when there are none. */
export function requireSnpPlatforms(file: IgvmFile): SupportedPlatformHeader[] {
  const platforms = snpPlatformsOf(file);
  if (platforms.length === 0) {
    throw new SignError('NoSnpPlatform', `the file has no SEV_SNP platform (it has ${file.platforms.map((p) => p.platformType).join(', ') || 'none'}); an ID block is for SEV-SNP only`);
  }
  return platforms;
}

/** The file's SNP_ID_BLOCK directives (all platforms). */
export function idBlockHeadersOf(file: IgvmFile): SnpIdBlockHeader[] {
  return file.directives.filter((d): d is SnpIdBlockHeader => d.kind === 'SNP_ID_BLOCK');
}

/**
 * The ID block's POLICY for the platform: the value of the GUEST_POLICY covering it, matched
 * as the measurement does (`guestPoliciesFor`, spec/snp.md §2.2 item 1), since the IGVM
 * SNP_ID_BLOCK has no policy field (§3.3). Several headers with one value are fine; with
 * different values the loaders disagree (QEMU keeps the last), so that is refused. Returns the
 * `SignError` (`NoGuestPolicy`, `ConflictingGuestPolicy`) rather than throwing it, for the
 * checks of `verifyIgvmSignatures`.
 */
export function guestPolicyOf(file: IgvmFile, platform: SupportedPlatformHeader): bigint | SignError {
  const cm = platform.compatibilityMask >>> 0;
  const values = new Set(guestPoliciesFor(file, platform).map((h) => h.policy));
  if (values.size === 0) {
    return new SignError('NoGuestPolicy', `no GUEST_POLICY covers the SEV_SNP platform (mask ${maskText(cm)}), so the ID block's POLICY is unknown (it must equal the launch policy, AMD pub. 56860 SNP_LAUNCH_FINISH)`);
  }
  if (values.size > 1) {
    return new SignError('ConflictingGuestPolicy', `GUEST_POLICY headers with different policies (${[...values].map((v) => hexNumber(v)).join(', ')}) cover the SEV_SNP platform (mask ${maskText(cm)})`);
  }
  return [...values][0]!;
}

/** `guestPolicyOf`, throwing its `SignError`. */
export function requireGuestPolicy(file: IgvmFile, platform: SupportedPlatformHeader): bigint {
  const p = guestPolicyOf(file, platform);
  if (p instanceof SignError) throw p;
  return p;
}

/** The measurement of the platform in `result`, if it was measured. */
export function platformMeasurement(result: MeasurementResult, platform: SupportedPlatformHeader): PlatformMeasurement | undefined {
  return result.platforms.find((p) => p.platformType === platform.platformType && p.compatibilityMask === platform.compatibilityMask);
}

/** The platform's launch digest in `result`; `SignError` `NotMeasurable` when there is none. */
export function launchDigestOf(result: MeasurementResult, platform: SupportedPlatformHeader): Uint8Array {
  const m = platformMeasurement(result, platform);
  if (m === undefined) throw new SignError('NotMeasurable', `the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) was not measured`);
  if ('error' in m) {
    throw new SignError('NotMeasurable', `the launch digest of the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) cannot be computed under profile ${result.profile}: ${m.error.code}: ${m.error.message}`);
  }
  if (!('digest' in m)) throw new SignError('NotMeasurable', `the SEV_SNP platform (mask ${maskText(platform.compatibilityMask)}) has no launch measurement`);
  return m.digest;
}

/** The point of a public key given either way. */
export function pointOf(k: P384PublicKey | P384Point): P384Point {
  return 'point' in k ? k.point : k;
}
