/**
 * `measure`: each platform header of a file, walked under a loader profile and folded by its
 * platform model. One platform's failure is reported for that platform; the others are still
 * measured (DESIGN.md "Shape"; spec/snp.md §2, tdx.md §2.1, vbs-cca-corim.md §1.2).
 */
import { guestPoliciesFor, type IgvmFile, type PlatformTypeName, type SupportedPlatformHeader } from '../format/index.js';
import { MeasurementError } from './errors.js';
import type { HashBackend } from './hash.js';
import { OpCursor, PageBatch, runLanes, type BatchRunner } from './batch.js';
import { defaultHashBackend, defaultKernels } from './hash-default.js';
import { jsKernels, type HashKernels } from './kernels.js';
import { PROFILES, walkRulesFor, type LoaderProfile, type ProfileName } from './profiles.js';
import { CcaError, type CcaRealm, type CcaRealmHash, type CcaRuleSet } from './cca.js';
import { CcaBatchRunner } from './cca-batch.js';
import { measureCcaIgvm, planCcaLaunch, startCcaRealm, type CcaLaunchPlan, type CcaLoadOptions } from './cca-igvm.js';
import { SevLaunchDigest } from './sev.js';
import { SnpBatchRunner, SnpLaunchDigest } from './snp.js';
import type { TraceSink } from './steps.js';
import { TdxBatchRunner, TdxMrtd } from './tdx.js';
import { VbsBatchRunner, VbsBootDigest } from './vbs.js';
import { walkDirectives, type WalkOptions } from './walker.js';

/** Platform selectors of `measure`. */
export const PLATFORM_SELECTORS = ['snp', 'tdx', 'vbs', 'sev', 'sev-es', 'cca', 'all'] as const;
export type PlatformSelector = (typeof PLATFORM_SELECTORS)[number];

const SELECTOR_TYPE: Record<Exclude<PlatformSelector, 'all'>, PlatformTypeName> = {
  snp: 'SEV_SNP',
  tdx: 'TDX',
  vbs: 'VSM_ISOLATION',
  sev: 'SEV',
  'sev-es': 'SEV_ES',
  cca: 'CCA',
};

/** The digest algorithms of launch measurements (CCA's is the realm's, from its policy). */
export type DigestAlgorithm = 'sha384' | 'sha256' | 'sha512';

/** Platform types with one launch-measurement algorithm (CCA's is its realm's: `CCA_DIGEST_ALGORITHM`). */
const ALGORITHM: Partial<Record<PlatformTypeName, DigestAlgorithm>> = {
  SEV_SNP: 'sha384',
  TDX: 'sha384',
  VSM_ISOLATION: 'sha256',
  SEV: 'sha256',
  SEV_ES: 'sha256',
};

/** The digest algorithm of a CCA realm hash, as `measure` spells it. */
export const CCA_DIGEST_ALGORITHM: Readonly<Record<CcaRealmHash, DigestAlgorithm>> = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/**
 * Said with every CCA digest: the conventions of spec/cca.md §2 that no loader confirms yet
 * (openvmm's CCA path is unfinished) are options, and these are the ones used.
 */
export function ccaConventionNote(plan: { readonly rule: CcaRuleSet }, options: CcaLoadOptions = {}): string {
  return (
    `Arm CCA: no loader confirms these inferred conventions yet: RMM rules ${plan.rule}, ` +
    `DATA in ${options.dataOrder ?? 'directive'} order, zero pages ${options.zeroPages ?? 'measured'}, ` +
    `unmeasured pages and parameter areas as ${options.unmeasured === 'skip' ? 'nothing (skipped)' : 'unmeasured DATA'}, ` +
    `the REC of vCPU 0 alone, ${options.recOrder === 'directive' ? 'at its VP context directive' : 'after all DATA'}`
  );
}

/**
 * SEV and SEV-ES have one digest rule in the sources: coconut igvmmeasure's (snp.md §2.3), which
 * microsoft/igvm and QEMU's IGVM path do not compute. Every profile measures them with it.
 */
const SEV_RULES_PROFILE: ProfileName = 'igvmmeasure';

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
  /** Batch kernels (default: native when built, else JS kernels over `hash`). */
  readonly kernels?: HashKernels;
  /** Receives every primitive measurement step. */
  readonly trace?: TraceSink;
  /** Arm CCA: the host's choices and the inferred conventions (cca-igvm.ts; defaults there). */
  readonly cca?: CcaLoadOptions;
}

interface PlatformBase {
  readonly compatibilityMask: number;
  readonly platformType: PlatformTypeName;
}

/** A measured platform. */
export interface PlatformDigest extends PlatformBase {
  readonly algorithm: DigestAlgorithm;
  /** The launch measurement (for CCA: the RIM as the realm token reports it, hash-size bytes). */
  readonly digest: Uint8Array;
  /** CCA: the RMM rule set and the 64-byte `RmmRealmMeasurement` (the RIM zero-filled, as veraison prints it). */
  readonly cca?: { readonly rule: CcaRuleSet; readonly rim: Uint8Array };
  /** Loader rules the file breaks that the profile's host would refuse. */
  readonly warnings: readonly string[];
  /** Set when the profile defines no rules for this platform and igvm rules were used. */
  readonly note?: string;
}

/** A platform that could not be measured. */
export interface PlatformFailure extends PlatformBase {
  readonly error: MeasurementError;
}

/** A platform type with no launch measurement here (NATIVE). */
export interface PlatformNotMeasurable extends PlatformBase {
  readonly measurable: false;
}

export type PlatformMeasurement = PlatformDigest | PlatformFailure | PlatformNotMeasurable;

/** The result of `measure`: one entry per selected platform header, in file order. */
export interface MeasurementResult {
  readonly profile: ProfileName;
  readonly platforms: readonly PlatformMeasurement[];
}

/** Measures every selected platform header of `file`. Never throws for a platform's failure. */
export function measure(file: IgvmFile, options: MeasureOptions = {}): MeasurementResult {
  const profile = profileOf(options.profile);
  const plans = planMeasurement(file, profile, options);
  const lanes = lanesOf(plans);
  const digests = options.trace === undefined ? runLanes(lanes, new PageBatch()) : lanes.map((l) => l.reference());
  return resultOf(profile, plans, digests);
}

/** The lanes of the platforms that are to be hashed, in plan order. */
export function lanesOf(plans: readonly PlatformPlan[]): Lane[] {
  return plans.flatMap((p) => ('lane' in p ? [p.lane] : []));
}

/** The result of a plan whose lanes produced `digests` (in `lanesOf` order). */
export function resultOf(profile: LoaderProfile, plans: readonly PlatformPlan[], digests: readonly Uint8Array[]): MeasurementResult {
  let i = 0;
  return { profile: profile.name, platforms: plans.map((p) => ('lane' in p ? p.result(digests[i++]!) : p)) };
}

/** The loader profile of a name, or `InvalidOption`. */
export function profileOf(name: ProfileName | undefined): LoaderProfile {
  const p = PROFILES[name ?? 'igvm'];
  if (p === undefined) throw new MeasurementError('InvalidOption', `unknown profile '${String(name)}' (igvm, qemu, igvmmeasure)`);
  return p;
}

/** One platform ready to hash: its walk lowered by a batch runner, or replayed by the reference model. */
export interface Lane {
  readonly cursor: OpCursor;
  readonly runner: BatchRunner;
  readonly platformType: PlatformTypeName;
  /** 4 KiB page steps the lane will hash (for progress). */
  readonly pageSteps: number;
  /** The digest by the per-step reference model (used for `trace`). */
  reference(): Uint8Array;
}

/** A selected platform: measured through a lane, or already settled (error, not measurable). */
export type PlatformPlan =
  | PlatformFailure
  | PlatformNotMeasurable
  | PlatformDigest
  | { readonly lane: Lane; result(digest: Uint8Array): PlatformDigest };

/**
 * Selects the platforms and walks each (every walk error surfaces here, before any hashing).
 * Used by `measure` and by the streaming pipeline of the CLI, which runs the lanes itself.
 */
export function planMeasurement(file: IgvmFile, profile: LoaderProfile, options: MeasureOptions): PlatformPlan[] {
  const selector = options.platform ?? 'all';
  const wanted = selector === 'all' ? undefined : SELECTOR_TYPE[selector];
  if (selector !== 'all' && wanted === undefined) {
    throw new MeasurementError('InvalidOption', `unknown platform '${selector}' (${PLATFORM_SELECTORS.join(', ')})`);
  }
  const plans: PlatformPlan[] = [];
  for (const p of file.platforms) {
    if (wanted !== undefined && p.platformType !== wanted) continue;
    const base = { compatibilityMask: p.compatibilityMask, platformType: p.platformType };
    const algorithm = ALGORITHM[p.platformType];
    try {
      if (p.platformType === 'CCA') {
        plans.push(ccaLaneOf(file, p, options));
        continue;
      }
      if (algorithm === undefined) {
        plans.push({ ...base, measurable: false });
        continue;
      }
      if (p.platformType === 'SEV' || p.platformType === 'SEV_ES') {
        plans.push(measureSevPlatform(file, p, profile, options));
        continue;
      }
      const { lane, warnings } = laneFor(file, p, profile, options);
      const note = profile.platforms.includes(p.platformType)
        ? undefined
        : `profile ${profile.name} defines ${profile.platforms.join(', ')} rules only; ${p.platformType} was measured with igvm rules`;
      plans.push({ lane, result: (digest) => ({ ...base, algorithm, digest, warnings, ...(note === undefined ? {} : { note }) }) });
    } catch (e) {
      if (!(e instanceof MeasurementError)) throw e;
      plans.push({ ...base, error: e });
    }
  }
  return plans;
}

/**
 * SEV / SEV-ES (igvmmeasure rules, snp.md §2.3): one SHA-256 over page data and VMSAs. Hashed
 * here, while planning, rather than through a batch lane: these files are small (SEV guests
 * predate large IGVM images) and the hash is one stream with no per-page work to spread.
 */
function measureSevPlatform(file: IgvmFile, platform: SupportedPlatformHeader, profile: LoaderProfile, options: MeasureOptions): PlatformDigest {
  const rulesProfile = PROFILES[SEV_RULES_PROFILE];
  const walk = walkDirectives(file, platform, walkRulesFor(rulesProfile, platform.platformType), options);
  const model = new SevLaunchDigest(options.hash ?? defaultHashBackend, { trace: options.trace, platform: platform.platformType });
  for (const op of walk.ops()) model.apply(op);
  const note = profile.name === SEV_RULES_PROFILE ? undefined : `${platform.platformType} is measured with igvmmeasure rules (the only SEV/SEV-ES rule there is: COCONUT-SVSM tools/igvmmeasure)`;
  return {
    compatibilityMask: platform.compatibilityMask,
    platformType: platform.platformType,
    algorithm: 'sha256',
    digest: model.finish(),
    warnings: walk.warnings,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * An Arm CCA platform (spec/cca.md §2): its plan, checked now, lowered into DATA granules for a
 * batch lane whose granule hashes can run in parallel; the REC comes last. A `CcaError` in the
 * plan is this platform's failure (`InvalidCcaLaunch`, the CCA code first in the message).
 */
function ccaLaneOf(file: IgvmFile, platform: SupportedPlatformHeader, options: MeasureOptions): PlatformPlan {
  const hash = options.hash ?? defaultHashBackend;
  const kernels = options.kernels ?? (options.hash === undefined ? defaultKernels : jsKernels(hash));
  const cca = options.cca ?? {};
  let plan: CcaLaunchPlan;
  let realm: CcaRealm;
  try {
    plan = planCcaLaunch(file, platform, cca);
    realm = startCcaRealm(plan, { hash });
  } catch (e) {
    if (!(e instanceof CcaError)) throw e;
    throw new MeasurementError('InvalidCcaLaunch', `${e.code}: ${e.message}`, platform.index);
  }
  const runner = new CcaBatchRunner(plan, realm, kernels);
  const algorithm = CCA_DIGEST_ALGORITHM[plan.hashAlgorithm];
  const note = ccaConventionNote(plan, cca);
  const lane: Lane = {
    cursor: new OpCursor(plan.ops()),
    runner,
    platformType: 'CCA',
    pageSteps: plan.pageSteps,
    reference: () => measureCcaIgvm(file, platform, { ...cca, hash, trace: options.trace, platform: 'CCA' }).measurement,
  };
  const base = { compatibilityMask: platform.compatibilityMask, platformType: platform.platformType };
  return {
    lane,
    result: (digest) => {
      // The 64-byte form is the measurement zero-filled (§1.2), whichever path produced it.
      const rim = new Uint8Array(64);
      rim.set(digest);
      return { ...base, algorithm, digest, cca: { rule: plan.rule, rim }, warnings: [], note };
    },
  };
}

/** Walks one platform and pairs the walk with its model; throws `MeasurementError`. */
function laneFor(file: IgvmFile, platform: SupportedPlatformHeader, profile: LoaderProfile, options: MeasureOptions): { lane: Lane; warnings: readonly string[] } {
  const hash = options.hash ?? defaultHashBackend;
  const kernels = options.kernels ?? (options.hash === undefined ? defaultKernels : jsKernels(hash));
  const label = platform.platformType;
  if (platform.platformType === 'SEV_SNP' && profile.snp.requireGuestPolicy) {
    // The igvm crate requires a GUEST_POLICY covering the platform; its value is not hashed (§2.2).
    if (guestPoliciesFor(file, platform).length === 0) throw new MeasurementError('MissingGuestPolicy', 'no SNP guest policy found in initialization headers');
  }
  const walk = walkDirectives(file, platform, walkRulesFor(profile, platform.platformType), options);
  const nativeZero = options.nativeZero ?? profile.snp.nativeZero;
  const trace = { trace: options.trace, platform: label };
  let runner: BatchRunner;
  let reference: () => Uint8Array;
  switch (platform.platformType) {
    case 'SEV_SNP':
      runner = new SnpBatchRunner(kernels, hash, { nativeZero });
      reference = () => {
        const model = new SnpLaunchDigest(hash, { ...trace, nativeZero });
        for (const op of walk.ops()) model.apply(op);
        return model.launchDigest;
      };
      break;
    case 'TDX':
      runner = new TdxBatchRunner(kernels);
      reference = () => {
        const model = new TdxMrtd(hash, trace);
        for (const op of walk.ops()) model.apply(op);
        return model.finish();
      };
      break;
    case 'VSM_ISOLATION':
      runner = new VbsBatchRunner(kernels, hash);
      reference = () => {
        const model = new VbsBootDigest(hash, trace);
        for (const op of walk.ops()) model.apply(op);
        return model.finish();
      };
      break;
    default:
      throw new MeasurementError('UnknownPlatform', `${platform.platformType} has no launch measurement here`);
  }
  const lane = { cursor: new OpCursor(walk.ops()), runner, platformType: platform.platformType, pageSteps: walk.pageSteps, reference };
  return { lane, warnings: walk.warnings };
}

/** Measures one platform header; throws `MeasurementError`. */
function measurePlatformWith(file: IgvmFile, platform: SupportedPlatformHeader, profile: LoaderProfile, options: MeasureOptions): Uint8Array {
  const { lane } = laneFor(file, platform, profile, options);
  return options.trace === undefined ? runLanes([lane], new PageBatch())[0]! : lane.reference();
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
  return measurePlatformWith(file, onePlatform(file, 'SEV_SNP', options.platformHeader), profileOf(options.profile), options);
}

/** The TDX MRTD of the file's TDX platform (48 bytes). Throws `MeasurementError`. */
export function measureTdx(file: IgvmFile, options: MeasureOptions & { platformHeader?: number | SupportedPlatformHeader } = {}): Uint8Array {
  return measurePlatformWith(file, onePlatform(file, 'TDX', options.platformHeader), profileOf(options.profile), options);
}

/** The VBS boot digest of the file's VSM_ISOLATION platform (32 bytes). Throws `MeasurementError`. */
export function measureVbs(file: IgvmFile, options: MeasureOptions & { platformHeader?: number | SupportedPlatformHeader } = {}): Uint8Array {
  return measurePlatformWith(file, onePlatform(file, 'VSM_ISOLATION', options.platformHeader), profileOf(options.profile), options);
}
