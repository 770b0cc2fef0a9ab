/**
 * The Arm CCA lowering of an IGVM file (spec/cca.md §2): the directives that apply to one CCA
 * platform header become the RMI operations a loader performs, folded by the `CcaRealm` model
 * into the Realm Initial Measurement. No loader does this yet (openvmm's CCA VP context is a
 * `todo!()`, §2.1), so every convention the spec marks as inferred is an option here, with the
 * default the spec recommends:
 *  - the RMM rule set (`rmm-2.0`, whose RIM₀ is zero and which measures no RIPAS, §1.1);
 *  - DATA in directive order, as openvmm imports pages (`dataOrder: 'ascending'` sorts by IPA);
 *  - zero pages measured as zero granules (`zeroPages: 'skip'` leaves them unpopulated);
 *  - unmeasured pages and parameter inserts as unmeasured DATA descriptors (§1.4), which still
 *    change the RIM (`unmeasured: 'skip'`: as RMM 1.0's DATA_CREATE_UNKNOWN would);
 *  - RECs after all DATA, as KVM creates them (`recOrder: 'directive'` puts the REC where its VP
 *    context directive is); only vCPU 0 is runnable (KVM sets RUNNABLE for it alone, whatever
 *    the context's flags), so only vp_index 0's context is measured;
 *  - s2sz = log2(shared_gpa_boundary) + 1 where a rule set measures the realm parameters.
 * Relocation is assumed absent.
 */
import { PageDataFlags } from '../format/constants.js';
import type { IgvmFile, SupportedPlatformHeader } from '../format/index.js';
import { EMPTY_DATA } from '../format/source.js';
import { appliesTo } from '../format/view.js';
import { ccaHashAlgorithmFromCode, CcaError, CcaRealm, DEFAULT_CCA_RULE_SET, type CcaRealmHash, type CcaRealmOptions, type CcaRealmParams, type CcaRuleSet } from './cca.js';
import type { OpSource, PagesOp, RecOp } from './steps.js';

const GRANULE = 4096n;
const PAGES_PER_2MB = 512;

/** How a CCA loader would load the file; see the file comment for the defaults. */
export interface CcaLoadOptions extends Omit<CcaRealmOptions, 'hashAlgorithm'> {
  readonly rule?: CcaRuleSet;
  /** Realm parameters for `rmm-1.0` and `tfrmm-2026` (host-chosen; s2sz defaults from the platform header, the rest to no SVE/PMU/LPA2 and 6 breakpoints and watchpoints). */
  readonly params?: Partial<CcaRealmParams>;
  readonly dataOrder?: 'directive' | 'ascending';
  readonly zeroPages?: 'measured' | 'skip';
  readonly unmeasured?: 'descriptor' | 'skip';
  /** Where the REC of vCPU 0 is created: after all DATA (`last`, KVM) or at its VP context (`directive`). */
  readonly recOrder?: 'last' | 'directive';
  /** Guest RAM `[base, top)` ranges given RIPAS RAM (measured under `rmm-1.0` only, required there). */
  readonly ramRanges?: ReadonlyArray<readonly [bigint, bigint]>;
}

/** The RIM of a CCA platform of an IGVM file. */
export interface CcaIgvmMeasurement {
  readonly hashAlgorithm: CcaRealmHash;
  /** The RIM as the realm token reports it (hash-size bytes). */
  readonly measurement: Uint8Array;
  /** The 64-byte `RmmRealmMeasurement`. */
  readonly rim: Uint8Array;
  readonly rule: CcaRuleSet;
}

/**
 * One CCA platform of a file, checked and lowered: what RMI_REALM_CREATE and RIPAS take, then
 * `ops()` in load order: DATA granules as `pages` operations (the first page of each carries its
 * data, the others are zero granules; unmeasured operations are unmeasured DATA) and the `rec`
 * of vCPU 0. Every check runs when the plan is made; `ops()` then cannot fail.
 */
export interface CcaLaunchPlan {
  readonly hashAlgorithm: CcaRealmHash;
  readonly rule: CcaRuleSet;
  readonly params: CcaRealmParams | undefined;
  readonly ramRanges: ReadonlyArray<readonly [bigint, bigint]>;
  readonly createSource: OpSource;
  /** The runnable REC of vCPU 0, if the file has its context. */
  readonly rec: RecOp | undefined;
  /** DATA granules in all. */
  readonly pageSteps: number;
  ops(): Iterable<PagesOp | RecOp>;
}

/** log2(boundary) + 1 for a power-of-two shared GPA boundary (§2.2: the shared bit is the top IPA bit). */
function s2szOf(boundary: bigint): number | undefined {
  if (boundary <= 0n || (boundary & (boundary - 1n)) !== 0n) return undefined;
  return boundary.toString(2).length;
}

/** Checks and lowers `platform` (a `CCA` platform header of `file`) as spec/cca.md §2 describes; throws `CcaError`. */
export function planCcaLaunch(file: IgvmFile, platform: SupportedPlatformHeader, options: CcaLoadOptions = {}): CcaLaunchPlan {
  if (platform.platformType !== 'CCA') throw new CcaError('BadField', `platform header mask 0x${platform.compatibilityMask.toString(16)} is ${platform.platformType}, not CCA`, { field: 'platform' });
  const cm = platform.compatibilityMask;
  const policy = file.initializations.find((h) => h.kind === 'CCA_POLICY' && appliesTo(h.compatibilityMask, cm));
  if (policy === undefined || policy.kind !== 'CCA_POLICY') throw new CcaError('BadField', `no CCA_POLICY applies to mask 0x${cm.toString(16)}: the realm hash algorithm is unknown`, { field: 'CCA_POLICY' });
  const hashAlgorithm = ccaHashAlgorithmFromCode(policy.hashAlgorithm);
  const rule = options.rule ?? DEFAULT_CCA_RULE_SET;

  let params: CcaRealmParams | undefined;
  if (rule !== 'rmm-2.0') {
    const s2sz = options.params?.s2sz ?? s2szOf(platform.sharedGpaBoundary);
    if (s2sz === undefined) throw new CcaError('BadField', `shared_gpa_boundary 0x${platform.sharedGpaBoundary.toString(16)} is no power of two; give the IPA width`, { field: 's2sz' });
    // Defaults: no SVE, PMU or LPA2; 6 breakpoints and 6 watchpoints (encoded 5), as the published KVM launches of vectors/cca.
    params = { flags: 0n, sveVl: 0, numBps: 5, numWps: 5, pmuNumCtrs: 0, ...options.params, s2sz };
  }
  if (options.recOrder === 'directive' && options.dataOrder === 'ascending') {
    throw new CcaError('BadField', 'with DATA in ascending IPA order a REC has no directive position; use recOrder last', { field: 'recOrder' });
  }
  if (rule === 'rmm-1.0' && options.ramRanges === undefined) throw new CcaError('BadField', 'rmm-1.0 measures RIPAS: give the RAM ranges of the realm', { field: 'ramRanges' });

  // One pass to check every directive and count the granules; `ops()` repeats it without checks.
  // The IPA checks are `CcaRealm.data`'s, made here once per directive because the batched
  // lane chains granules through a kernel that does not check them.
  const ipaLimit = params === undefined ? 1n << 64n : 1n << BigInt(params.s2sz);
  const checkIpas = (gpa: bigint, count: number, index: number | undefined): void => {
    if ((gpa & (GRANULE - 1n)) !== 0n) throw new CcaError('MisalignedIpa', `IPA 0x${gpa.toString(16)} is not 4 KiB aligned (header ${index})`, { field: 'ipa' });
    const end = gpa + BigInt(count) * GRANULE;
    if (end > ipaLimit) throw new CcaError('IpaOutOfRange', `[0x${gpa.toString(16)}, 0x${end.toString(16)}) is beyond the ${params === undefined ? 64 : params.s2sz}-bit IPA space (header ${index})`, { field: 'ipa' });
  };
  const areas = new Map<number, bigint>();
  let pageSteps = 0;
  let rec: RecOp | undefined;
  for (const d of file.directives) {
    if (d.kind === 'PARAMETER_AREA') areas.set(d.parameterAreaIndex, d.numberOfBytes);
    if (!('compatibilityMask' in d) || !appliesTo(d.compatibilityMask, cm)) continue;
    if (d.kind === 'PAGE_DATA') {
      if ((d.flags & PageDataFlags.SHARED) !== 0) continue;
      if (d.dataType !== 'NORMAL') throw new CcaError('BadField', `${d.dataType} pages have no CCA import type (header ${d.index})`, { field: 'data_type' });
      const count = (d.flags & PageDataFlags.IS_2MB_PAGE) !== 0 ? PAGES_PER_2MB : 1;
      checkIpas(d.gpa, count, d.index);
      pageSteps += count;
    } else if (d.kind === 'PARAMETER_INSERT') {
      const size = areas.get(d.parameterAreaIndex);
      if (size === undefined) throw new CcaError('BadField', `parameter area ${d.parameterAreaIndex} is not declared before its insert (header ${d.index})`, { field: 'parameter_area_index' });
      const count = Number((size + GRANULE - 1n) / GRANULE);
      checkIpas(d.gpa, count, d.index);
      pageSteps += count;
    } else if (d.kind === 'VP_CONTEXT' && d.payload.format === 'cca' && d.vpIndex === 0) {
      const c = d.payload.context;
      // KVM makes vCPU 0 alone runnable, whatever the context's flags (§2.3).
      rec = { op: 'rec', flags: 1n, pc: c.pc, gprs: [c.x0, c.x1, c.x2, c.x3, c.x4, c.x5, c.x6, c.x7], source: { headerIndex: d.index, fileOffset: d.offset, reason: d.kind } };
    }
  }

  const recAt = options.recOrder === 'directive' ? rec?.source.headerIndex : undefined;

  function* directiveOps(): Generator<PagesOp | RecOp> {
    const sizes = new Map<number, bigint>();
    for (const d of file.directives) {
      if (d.kind === 'PARAMETER_AREA') sizes.set(d.parameterAreaIndex, d.numberOfBytes);
      if (!('compatibilityMask' in d) || !appliesTo(d.compatibilityMask, cm)) continue;
      const source: OpSource = { headerIndex: d.index, fileOffset: d.offset, reason: d.kind };
      if (d.index === recAt) yield rec!;
      if (d.kind === 'PAGE_DATA') {
        if ((d.flags & PageDataFlags.SHARED) !== 0) continue; // not realm memory: no RIM effect (§2.2)
        const measured = (d.flags & PageDataFlags.UNMEASURED) === 0;
        if (!measured && options.unmeasured === 'skip') continue;
        if (measured && d.data.length === 0 && options.zeroPages === 'skip') continue;
        const count = (d.flags & PageDataFlags.IS_2MB_PAGE) !== 0 ? PAGES_PER_2MB : 1;
        yield { op: 'pages', gpa: d.gpa, count, dataType: 'NORMAL', unmeasured: !measured, data: measured ? d.data : EMPTY_DATA, acceptance: 0, origin: 'page-data', source };
      } else if (d.kind === 'PARAMETER_INSERT') {
        if (options.unmeasured === 'skip') continue;
        // The host writes the area, so it cannot be content-measured: unmeasured DATA (§2.2).
        const count = Number((sizes.get(d.parameterAreaIndex)! + GRANULE - 1n) / GRANULE);
        yield { op: 'pages', gpa: d.gpa, count, dataType: 'NORMAL', unmeasured: true, data: EMPTY_DATA, acceptance: 0, origin: 'parameter-insert', source };
      }
    }
    if (rec !== undefined && recAt === undefined) yield rec;
  }

  /** Granule by granule, sorted by IPA (stable: equal IPAs keep directive order), then the REC. */
  function ascendingOps(): Array<PagesOp | RecOp> {
    const granules: PagesOp[] = [];
    for (const op of directiveOps()) {
      if (op.op === 'rec') continue;
      for (let i = 0; i < op.count; i++) granules.push({ ...op, gpa: op.gpa + BigInt(i) * GRANULE, count: 1, data: i === 0 ? op.data : EMPTY_DATA });
    }
    granules.sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0));
    return rec === undefined ? granules : [...granules, rec];
  }

  return {
    hashAlgorithm,
    rule,
    params,
    ramRanges: options.ramRanges ?? [],
    createSource: { headerIndex: platform.index, reason: 'CCA platform header' },
    rec,
    pageSteps,
    ops: () => (options.dataOrder === 'ascending' ? ascendingOps() : directiveOps()),
  };
}

/** A realm after RMI_REALM_CREATE and the RIPAS ranges of `plan`, ready for its DATA granules. */
export function startCcaRealm(plan: CcaLaunchPlan, options: Omit<CcaRealmOptions, 'hashAlgorithm'> = {}): CcaRealm {
  const realm = new CcaRealm({ ...options, hashAlgorithm: plan.hashAlgorithm, platform: options.platform ?? 'CCA' });
  realm.realmCreate(plan.rule, plan.params, plan.createSource);
  if (plan.rule === 'rmm-1.0') for (const [base, top] of plan.ramRanges) realm.ripasRange(base, top, { reason: 'RAM range' });
  return realm;
}

/** Measures `platform` (a `CCA` platform header of `file`) as spec/cca.md §2 describes, step by step. */
export function measureCcaIgvm(file: IgvmFile, platform: SupportedPlatformHeader, options: CcaLoadOptions = {}): CcaIgvmMeasurement {
  const plan = planCcaLaunch(file, platform, options);
  const realm = startCcaRealm(plan, options);
  for (const op of plan.ops()) {
    if (op.op === 'rec') {
      realm.rec(op.flags, op.pc, op.gprs, op.source);
      continue;
    }
    const bytes = op.unmeasured ? null : op.data.length === 0 ? new Uint8Array(0) : op.data.bytes();
    for (let i = 0; i < op.count; i++) {
      const content = bytes === null ? null : { bytes: i === 0 ? bytes : new Uint8Array(0) };
      realm.data(op.gpa + BigInt(i) * GRANULE, content, op.source);
    }
  }
  return { hashAlgorithm: plan.hashAlgorithm, measurement: realm.measurement(), rim: realm.rim(), rule: plan.rule };
}
