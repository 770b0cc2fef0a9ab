/**
 * `measure`: each platform header of a file, walked under a loader profile and folded by its
 * platform model. One platform's failure is reported for that platform; the others are still
 * measured (issue: launch measurements, "The command").
 */
import type { IgvmFile, PlatformTypeName, SupportedPlatformHeader } from '../format/index.js';
import { MeasurementError } from './errors.js';
import type { HashBackend } from './hash.js';
import { defaultHashBackend } from './hash-default.js';
import { PROFILES, walkRulesFor, type LoaderProfile, type ProfileName } from './profiles.js';
import { SnpLaunchDigest } from './snp.js';
import type { TraceSink } from './steps.js';
import { TdxMrtd } from './tdx.js';
import { VbsBootDigest } from './vbs.js';
import { walkDirectives, type WalkOptions } from './walker.js';

/** Platform selectors of `measure`. */
export const PLATFORM_SELECTORS = ['snp', 'tdx', 'vbs', 'all'] as const;
export type PlatformSelector = (typeof PLATFORM_SELECTORS)[number];

const SELECTOR_TYPE: Record<Exclude<PlatformSelector, 'all'>, PlatformTypeName> = {
  snp: 'SEV_SNP',
  tdx: 'TDX',
  vbs: 'VSM_ISOLATION',
};

/** Platform types we compute a launch measurement for, and their algorithms. */
const ALGORITHM: Partial<Record<PlatformTypeName, 'sha384' | 'sha256'>> = {
  SEV_SNP: 'sha384',
  TDX: 'sha384',
  VSM_ISOLATION: 'sha256',
};

/** Options of `measure` and the per-platform functions. */
export interface MeasureOptions extends WalkOptions {
  /** Which platforms (default `all`). */
  readonly platform?: PlatformSelector;
  /** Loader profile (default `igvm`). */
  readonly profile?: ProfileName;
  /** SNP: data-less NORMAL pages as native ZERO pages (overrides the profile). */
  readonly nativeZero?: boolean;
  /** Hash backend (default `node:crypto` on Node). */
  readonly hash?: HashBackend;
  /** Receives every primitive measurement step. */
  readonly trace?: TraceSink;
}

interface PlatformBase {
  readonly compatibilityMask: number;
  readonly platformType: PlatformTypeName;
}

/** A measured platform. */
export interface PlatformDigest extends PlatformBase {
  readonly algorithm: 'sha384' | 'sha256';
  readonly digest: Uint8Array;
  /** Loader rules the file breaks that the profile's host would refuse. */
  readonly warnings: readonly string[];
  /** Set when the profile defines no rules for this platform and igvm rules were used. */
  readonly note?: string;
}

/** A platform that could not be measured. */
export interface PlatformFailure extends PlatformBase {
  readonly error: MeasurementError;
}

/** A platform type with no launch measurement here (NATIVE, SEV, SEV_ES, CCA). */
export interface PlatformNotMeasurable extends PlatformBase {
  readonly measurable: false;
}

export type PlatformMeasurement = PlatformDigest | PlatformFailure | PlatformNotMeasurable;

/** The result of `measure`: one entry per selected platform header, in file order. */
export interface MeasurementResult {
  readonly profile: ProfileName;
  readonly platforms: readonly PlatformMeasurement[];
}

function profileOf(name: ProfileName | undefined): LoaderProfile {
  const p = PROFILES[name ?? 'igvm'];
  if (p === undefined) throw new MeasurementError('InvalidOption', `unknown profile '${String(name)}' (igvm, qemu, igvmmeasure)`);
  return p;
}

/** Measures every selected platform header of `file`. Never throws for a platform's failure. */
export function measure(file: IgvmFile, options: MeasureOptions = {}): MeasurementResult {
  const profile = profileOf(options.profile);
  const selector = options.platform ?? 'all';
  const wanted = selector === 'all' ? undefined : SELECTOR_TYPE[selector];
  if (selector !== 'all' && wanted === undefined) {
    throw new MeasurementError('InvalidOption', `unknown platform '${selector}' (snp, tdx, vbs, all)`);
  }
  const platforms: PlatformMeasurement[] = [];
  for (const p of file.platforms) {
    if (wanted !== undefined && p.platformType !== wanted) continue;
    const base = { compatibilityMask: p.compatibilityMask, platformType: p.platformType };
    const algorithm = ALGORITHM[p.platformType];
    if (algorithm === undefined) {
      platforms.push({ ...base, measurable: false });
      continue;
    }
    try {
      const { digest, warnings } = measurePlatformWith(file, p, profile, options);
      const note = profile.platforms.includes(p.platformType)
        ? undefined
        : `profile ${profile.name} defines ${profile.platforms.join(', ')} rules only; ${p.platformType} was measured with igvm rules`;
      platforms.push({ ...base, algorithm, digest, warnings, ...(note === undefined ? {} : { note }) });
    } catch (e) {
      if (!(e instanceof MeasurementError)) throw e;
      platforms.push({ ...base, error: e });
    }
  }
  return { profile: profile.name, platforms };
}

/** Measures one platform header; throws `MeasurementError`. */
function measurePlatformWith(
  file: IgvmFile,
  platform: SupportedPlatformHeader,
  profile: LoaderProfile,
  options: MeasureOptions,
): { digest: Uint8Array; warnings: readonly string[] } {
  const hash = options.hash ?? defaultHashBackend;
  const cm = platform.compatibilityMask;
  const label = platform.platformType;
  if (platform.platformType === 'SEV_SNP' && profile.snp.requireGuestPolicy) {
    // The igvm crate requires a GUEST_POLICY covering the platform; its value is not hashed (§2.2).
    const policy = file.initializations.find((h) => h.kind === 'GUEST_POLICY' && ((h.compatibilityMask & cm) >>> 0) === cm >>> 0);
    if (policy === undefined) throw new MeasurementError('MissingGuestPolicy', 'no SNP guest policy found in initialization headers');
  }
  const walk = walkDirectives(file, platform, walkRulesFor(profile, platform.platformType), options);
  switch (platform.platformType) {
    case 'SEV_SNP': {
      const model = new SnpLaunchDigest(hash, { nativeZero: options.nativeZero ?? profile.snp.nativeZero, trace: options.trace, platform: label });
      for (const op of walk.ops()) model.apply(op);
      return { digest: model.launchDigest, warnings: walk.warnings };
    }
    case 'TDX': {
      const model = new TdxMrtd(hash, { trace: options.trace, platform: label });
      for (const op of walk.ops()) model.apply(op);
      return { digest: model.finish(), warnings: walk.warnings };
    }
    case 'VSM_ISOLATION': {
      const model = new VbsBootDigest(hash, { trace: options.trace, platform: label });
      for (const op of walk.ops()) model.apply(op);
      return { digest: model.finish(), warnings: walk.warnings };
    }
    default:
      throw new MeasurementError('UnknownPlatform', `${platform.platformType} has no launch measurement here`);
  }
}

function onePlatform(file: IgvmFile, type: PlatformTypeName, platform: number | SupportedPlatformHeader | undefined): SupportedPlatformHeader {
  const p =
    typeof platform === 'object'
      ? platform
      : typeof platform === 'number'
        ? file.platforms[platform]
        : file.platforms.find((x) => x.platformType === type);
  if (p === undefined || p.platformType !== type) {
    throw new MeasurementError('UnknownPlatform', `the file has no ${type} platform header${typeof platform === 'number' ? ` at index ${platform}` : ''}`);
  }
  return p;
}

/** The SEV-SNP launch digest of the file's SEV_SNP platform (48 bytes). Throws `MeasurementError`. */
export function measureSnp(file: IgvmFile, options: MeasureOptions & { platformHeader?: number | SupportedPlatformHeader } = {}): Uint8Array {
  return measurePlatformWith(file, onePlatform(file, 'SEV_SNP', options.platformHeader), profileOf(options.profile), options).digest;
}

/** The TDX MRTD of the file's TDX platform (48 bytes). Throws `MeasurementError`. */
export function measureTdx(file: IgvmFile, options: MeasureOptions & { platformHeader?: number | SupportedPlatformHeader } = {}): Uint8Array {
  return measurePlatformWith(file, onePlatform(file, 'TDX', options.platformHeader), profileOf(options.profile), options).digest;
}

/** The VBS boot digest of the file's VSM_ISOLATION platform (32 bytes). Throws `MeasurementError`. */
export function measureVbs(file: IgvmFile, options: MeasureOptions & { platformHeader?: number | SupportedPlatformHeader } = {}): Uint8Array {
  return measurePlatformWith(file, onePlatform(file, 'VSM_ISOLATION', options.platformHeader), profileOf(options.profile), options).digest;
}
