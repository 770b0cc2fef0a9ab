/**
 * Reference values of an IGVM file for release pipelines and verifiers: the launch digest of
 * every measurable platform, as plain values (the CLI's JSON) or as one launch-measurement
 * CoRIM per platform (spec/vbs-cca-corim.md §3.2–§3.3, spec/igvm-format.md §14).
 */
import type { IgvmFile, PlatformTypeName } from '../format/index.js';
import type { CcaRuleSet, DigestAlgorithm, MeasurementResult, PlatformDigest, ProfileName } from '../measure/index.js';
import { CorimError } from './corim-errors.js';
import { buildLaunchMeasurementCorim, isLaunchMeasurementPlatform, type LaunchMeasurementPlatform } from './corim.js';

/**
 * One reference value. The CLI writes it as `{platform_type, compatibility_mask, algorithm,
 * digest, profile}` (snake_case keys, digest in lowercase hex), and for Arm CCA also `rule`,
 * `rim` and `note`.
 */
export interface ReferenceValue {
  readonly platformType: PlatformTypeName;
  readonly compatibilityMask: number;
  readonly algorithm: DigestAlgorithm;
  /** The launch digest; for CCA the RIM as the realm token's claim 44238 reports it (hash-size bytes). */
  readonly digest: Uint8Array;
  /** The loader profile the digest was computed under (`igvm`, `qemu`, `igvmmeasure`). */
  readonly profile: ProfileName;
  /** CCA only: the RMM rule set the RIM was computed under. */
  readonly rule?: CcaRuleSet;
  /** CCA only: the 64-byte `RmmRealmMeasurement` (the RIM zero-filled, as veraison prints it). */
  readonly rim?: Uint8Array;
  /** CCA only: the inferred conventions used, which no loader confirms yet (spec/cca.md §2). */
  readonly note?: string;
}

function measuredPlatforms(file: IgvmFile, result: MeasurementResult): PlatformDigest[] {
  const out: PlatformDigest[] = [];
  for (const p of result.platforms) {
    // The result must be of this file: every platform it names is one of the file's headers.
    if (!file.platforms.some((h) => h.compatibilityMask === p.compatibilityMask && h.platformType === p.platformType)) {
      throw new CorimError('NoMatchingPlatform', `the measurement names ${p.platformType} mask 0x${p.compatibilityMask.toString(16)}, which the file does not have`);
    }
    if ('digest' in p) out.push(p);
  }
  return out;
}

/**
 * The reference values of `file`: one per platform of `result` (a `measure` result of that
 * file) that has a digest, in file order. Platforms that failed or are not measurable are left
 * out; the caller decides whether that is an error.
 */
export function referenceValues(file: IgvmFile, result: MeasurementResult): ReferenceValue[] {
  return measuredPlatforms(file, result).map((p) => ({
    platformType: p.platformType,
    compatibilityMask: p.compatibilityMask,
    algorithm: p.algorithm,
    digest: p.digest,
    profile: result.profile,
    // Only CCA adds fields: the other platforms' values keep their shape.
    ...(p.cca === undefined ? {} : { rule: p.cca.rule, rim: p.cca.rim, ...(p.note === undefined ? {} : { note: p.note }) }),
  }));
}

/** One platform's launch-measurement CoRIM. */
export interface ReferenceCorim {
  readonly platformType: LaunchMeasurementPlatform;
  readonly compatibilityMask: number;
  /** The unsigned CoRIM (#6.501), deterministically encoded. */
  readonly corim: Uint8Array;
}

/**
 * The launch-measurement CoRIM of every measured platform of `result` (§3.3), each endorsing
 * `svn` (default 0). SEV, SEV-ES and CCA digests are left out: the launch-measurement profile
 * does not define them, and upstream's serializer rejects them too (vbs-cca-corim.md §3); the Arm
 * CCA realm endorsement profile (§2.4) is given only as cocli JSON templates, with no CBOR
 * encoding to check an encoder against, so CCA values are JSON only.
 */
export function referenceCorims(file: IgvmFile, result: MeasurementResult, options: { readonly svn?: number | bigint } = {}): ReferenceCorim[] {
  return measuredPlatforms(file, result).flatMap((p) => {
    const platformType = p.platformType;
    if (!isLaunchMeasurementPlatform(platformType)) return [];
    return [{ platformType, compatibilityMask: p.compatibilityMask, corim: buildLaunchMeasurementCorim({ platformType, digest: p.digest, svn: options.svn ?? 0 }) }];
  });
}
