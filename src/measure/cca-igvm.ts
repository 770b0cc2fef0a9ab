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
 *  - RECs after all DATA, as KVM creates them; only vCPU 0 is runnable (KVM sets RUNNABLE for it
 *    alone, whatever the context's flags), so only vp_index 0's context is measured;
 *  - s2sz = log2(shared_gpa_boundary) + 1 where a rule set measures the realm parameters.
 * Relocation is assumed absent.
 */
import { PageDataFlags } from '../format/constants.js';
import type { IgvmFile, SupportedPlatformHeader } from '../format/index.js';
import { appliesTo } from '../format/view.js';
import { ccaHashAlgorithmFromCode, CcaError, CcaRealm, DEFAULT_CCA_RULE_SET, type CcaRealmHash, type CcaRealmOptions, type CcaRealmParams, type CcaRuleSet } from './cca.js';
import type { OpSource } from './steps.js';

const GRANULE = 4096n;
const PAGES_PER_2MB = 512;

/** How a CCA loader would load the file; see the file comment for the defaults. */
export interface CcaLoadOptions extends Omit<CcaRealmOptions, 'hashAlgorithm'> {
  readonly rule?: CcaRuleSet;
  /** Realm parameters for `rmm-1.0` and `tfrmm-2026` (host-chosen; s2sz defaults from the platform header). */
  readonly params?: Partial<CcaRealmParams>;
  readonly dataOrder?: 'directive' | 'ascending';
  readonly zeroPages?: 'measured' | 'skip';
  readonly unmeasured?: 'descriptor' | 'skip';
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

/** One DATA granule to add, with where it came from. */
interface Granule {
  readonly ipa: bigint;
  readonly content: Uint8Array | null;
  readonly source: OpSource;
}

/** log2(boundary) + 1 for a power-of-two shared GPA boundary (§2.2: the shared bit is the top IPA bit). */
function s2szOf(boundary: bigint): number | undefined {
  if (boundary <= 0n || (boundary & (boundary - 1n)) !== 0n) return undefined;
  return boundary.toString(2).length;
}

/** Measures `platform` (a `CCA` platform header of `file`) as spec/cca.md §2 describes. */
export function measureCcaIgvm(file: IgvmFile, platform: SupportedPlatformHeader, options: CcaLoadOptions = {}): CcaIgvmMeasurement {
  if (platform.platformType !== 'CCA') throw new CcaError('BadField', `platform header mask 0x${platform.compatibilityMask.toString(16)} is ${platform.platformType}, not CCA`, { field: 'platform' });
  const cm = platform.compatibilityMask;
  const policy = file.initializations.find((h) => h.kind === 'CCA_POLICY' && appliesTo(h.compatibilityMask, cm));
  if (policy === undefined || policy.kind !== 'CCA_POLICY') throw new CcaError('BadField', `no CCA_POLICY applies to mask 0x${cm.toString(16)}: the realm hash algorithm is unknown`, { field: 'CCA_POLICY' });
  const hashAlgorithm = ccaHashAlgorithmFromCode(policy.hashAlgorithm);
  const rule = options.rule ?? DEFAULT_CCA_RULE_SET;
  const realm = new CcaRealm({ ...options, hashAlgorithm, platform: options.platform ?? 'CCA' });

  let params: CcaRealmParams | undefined;
  if (rule !== 'rmm-2.0') {
    const s2sz = options.params?.s2sz ?? s2szOf(platform.sharedGpaBoundary);
    if (s2sz === undefined) throw new CcaError('BadField', `shared_gpa_boundary 0x${platform.sharedGpaBoundary.toString(16)} is no power of two; give the IPA width`, { field: 's2sz' });
    params = { flags: 0n, sveVl: 0, numBps: 0, numWps: 0, pmuNumCtrs: 0, ...options.params, s2sz };
  }
  realm.realmCreate(rule, params, { headerIndex: platform.index, reason: 'CCA platform header' });
  if (rule === 'rmm-1.0') {
    if (options.ramRanges === undefined) throw new CcaError('BadField', 'rmm-1.0 measures RIPAS: give the RAM ranges of the realm', { field: 'ramRanges' });
    for (const [base, top] of options.ramRanges) realm.ripasRange(base, top, { reason: 'RAM range' });
  }

  const granules: Granule[] = [];
  const areas = new Map<number, bigint>();
  let vp0: { flags: bigint; pc: bigint; gprs: bigint[]; source: OpSource } | undefined;
  for (const d of file.directives) {
    if (d.kind === 'PARAMETER_AREA') areas.set(d.parameterAreaIndex, d.numberOfBytes);
    if (!('compatibilityMask' in d) || !appliesTo(d.compatibilityMask, cm)) continue;
    const source: OpSource = { headerIndex: d.index, fileOffset: d.offset, reason: d.kind };
    if (d.kind === 'PAGE_DATA') {
      if ((d.flags & PageDataFlags.SHARED) !== 0) continue; // not realm memory: no RIM effect (§2.2)
      if (d.dataType !== 'NORMAL') throw new CcaError('BadField', `${d.dataType} pages have no CCA import type (header ${d.index})`, { field: 'data_type' });
      const measured = (d.flags & PageDataFlags.UNMEASURED) === 0;
      const pages = (d.flags & PageDataFlags.IS_2MB_PAGE) !== 0 ? PAGES_PER_2MB : 1;
      const bytes = d.data.length === 0 ? null : d.data.bytes();
      if (!measured && options.unmeasured === 'skip') continue;
      if (measured && bytes === null && options.zeroPages === 'skip') continue;
      for (let i = 0; i < pages; i++) {
        const content = !measured ? null : i === 0 && bytes !== null ? bytes : new Uint8Array(0);
        granules.push({ ipa: d.gpa + BigInt(i) * GRANULE, content, source });
      }
    } else if (d.kind === 'PARAMETER_INSERT') {
      const size = areas.get(d.parameterAreaIndex);
      if (size === undefined) throw new CcaError('BadField', `parameter area ${d.parameterAreaIndex} is not declared before its insert (header ${d.index})`, { field: 'parameter_area_index' });
      if (options.unmeasured === 'skip') continue;
      // The host writes the area, so it cannot be content-measured: unmeasured DATA (§2.2).
      const pages = Number((size + GRANULE - 1n) / GRANULE);
      for (let i = 0; i < pages; i++) granules.push({ ipa: d.gpa + BigInt(i) * GRANULE, content: null, source });
    } else if (d.kind === 'VP_CONTEXT' && d.payload.format === 'cca' && d.vpIndex === 0) {
      const c = d.payload.context;
      vp0 = { flags: 1n, pc: c.pc, gprs: [c.x0, c.x1, c.x2, c.x3, c.x4, c.x5, c.x6, c.x7], source };
    }
  }
  const ordered = options.dataOrder === 'ascending' ? [...granules].sort((a, b) => (a.ipa < b.ipa ? -1 : a.ipa > b.ipa ? 1 : 0)) : granules;
  for (const g of ordered) realm.data(g.ipa, g.content === null ? null : { bytes: g.content }, g.source);
  if (vp0 !== undefined) realm.rec(vp0.flags, vp0.pc, vp0.gprs, vp0.source);
  return { hashAlgorithm, measurement: realm.measurement(), rim: realm.rim(), rule };
}
