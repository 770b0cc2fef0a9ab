/**
 * The directive walker: replays a file's directives for ONE platform header under ONE set of
 * walk rules (a loader profile) and returns the measurement operations, in the order the
 * loader performs them. Everything that can fail is checked here, before any hashing starts:
 * unknown parameter areas, oversized page data, and page counts beyond `maxPages` (a 16 TiB
 * parameter area fails in microseconds instead of hashing for days).
 */
import {
  PageDataFlags,
  EMPTY_DATA,
  decodeSevVmsa,
  type IgvmFile,
  type SupportedPlatformHeader,
  type VpContextHeader,
} from '../format/index.js';
import { MeasurementError } from './errors.js';
import { KVM_VMSA_GPA, type WalkRules } from './profiles.js';
import type { MeasureOp, OpSource, PagesOp, VmsaOp } from './steps.js';

/** The default `maxPages`: 2^24 pages of 4 KiB, i.e. 64 GiB of guest memory. */
export const DEFAULT_MAX_PAGES = 2 ** 24;

const PAGE = 4096n;
const LARGE_PAGE_STEPS = 512;
const U64_END = 1n << 64n;
const HALF_U64 = 1n << 63n;
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Options of one walk. */
export interface WalkOptions {
  /** Upper bound on the 4 KiB steps the walk may imply (default 2^24). */
  readonly maxPages?: number;
  /** vCPUs the host starts (KVM placement only; default 1). */
  readonly vcpus?: number;
  /** The VMSA for vCPUs the file has none for (KVM placement only). */
  readonly apVmsa?: Uint8Array;
}

/**
 * A checked walk. Creating it runs the whole walk once without keeping the operations, so
 * every error is raised before any hashing; `ops()` then replays it lazily, so that a file
 * with millions of pages never has millions of operation objects alive at once.
 */
export interface Walk {
  /** The operations, in loader order; each call walks again. */
  ops(): Iterable<MeasureOp>;
  /** Number of 4 KiB page steps the operations describe (VMSAs included). */
  readonly pageSteps: number;
  /** Loader rules the file breaks that a host would refuse (KVM checks). */
  readonly warnings: readonly string[];
}

function sourceOf(h: { index?: number; offset?: number }, reason: string): OpSource {
  const s: { headerIndex?: number; fileOffset?: number; reason: string } = { reason };
  if (h.index !== undefined) s.headerIndex = h.index;
  if (h.offset !== undefined) s.fileOffset = h.offset;
  return s;
}

/** Pages the loader imports without their contents (parameter areas, error ranges). */
function unmeasuredPages(gpa: bigint, count: number, acceptance: number, origin: PagesOp['origin'], source: OpSource): PagesOp {
  return { op: 'pages', gpa, count, dataType: 'NORMAL', unmeasured: true, data: EMPTY_DATA, acceptance, origin, source };
}

/** Walks `file`'s directives for `platform` under `rules`. Throws `MeasurementError`. */
export function walkDirectives(file: IgvmFile, platform: SupportedPlatformHeader, rules: WalkRules, options: WalkOptions = {}): Walk {
  const counts = { pageSteps: 0 };
  const warnings: string[] = [];
  for (const _ of generateOps(file, platform, rules, options, counts, warnings)) {
    // The first pass only checks and counts.
  }
  return {
    ops: () => generateOps(file, platform, rules, options, { pageSteps: 0 }, []),
    pageSteps: counts.pageSteps,
    warnings,
  };
}

function* generateOps(
  file: IgvmFile,
  platform: SupportedPlatformHeader,
  rules: WalkRules,
  options: WalkOptions,
  counts: { pageSteps: number },
  warnings: string[],
): Generator<MeasureOp> {
  const cm = platform.compatibilityMask >>> 0;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const applies = (mask: number): boolean =>
    rules.maskMatch === 'all-bits' ? ((mask & cm) >>> 0) === cm : (mask & cm) !== 0;
  const areas = new Map<number, bigint>();
  const deferredVmsas: VpContextHeader[] = [];
  let sawVmsa = false;

  // Counts steps before they exist, so that no size field can make us loop for long. Plain
  // numbers where they are exact: this runs once per directive, twice per measurement.
  const addSteps = (gpa: bigint, count: bigint, index: number | undefined): number => {
    const n = count <= MAX_EXACT ? Number(count) : Number.POSITIVE_INFINITY;
    if (counts.pageSteps + n > maxPages) {
      throw new MeasurementError(
        'TooManyPages',
        `the file implies more than ${maxPages} page steps for ${platform.platformType} (header ${index ?? '?'} adds ${count}); raise --max-pages if this is intended`,
        index,
      );
    }
    // n ≤ maxPages ≤ 2^53 here, so only GPAs in the top half of the space can overflow.
    if (gpa >= HALF_U64 && gpa + count * PAGE > U64_END) {
      throw new MeasurementError('GpaOverflow', `pages from 0x${gpa.toString(16)} run past the end of the 64-bit address space`, index);
    }
    counts.pageSteps += n;
    return n;
  };

  for (const h of file.directives) {
    switch (h.kind) {
      case 'PARAMETER_AREA':
        // Mask-less: every platform sees every area (spec/igvm-format.md §4).
        if (areas.has(h.parameterAreaIndex)) {
          throw new MeasurementError('InvalidParameterAreaIndex', `parameter area ${h.parameterAreaIndex} is declared twice`, h.index);
        }
        areas.set(h.parameterAreaIndex, h.numberOfBytes);
        break;
      case 'PAGE_DATA': {
        if (!applies(h.compatibilityMask)) break;
        if (rules.requireNormalPages && h.dataType !== 'NORMAL') {
          // Upstream asserts here and crashes (vbs-cca-corim.md §1.2).
          throw new MeasurementError(
            'NonNormalPageForVbs',
            `a ${h.dataType} page at 0x${h.gpa.toString(16)} is visible to the VBS platform, which measures NORMAL pages only`,
            h.index,
          );
        }
        if (rules.honourShared && (h.flags & PageDataFlags.SHARED) !== 0) break;
        const data = h.data;
        if (data.length > 4096) {
          throw new MeasurementError('UnsupportedPageSize', `page data of ${data.length} bytes at 0x${h.gpa.toString(16)} is larger than 4 KiB`, h.index);
        }
        const large = (h.flags & PageDataFlags.IS_2MB_PAGE) !== 0 && rules.largePages !== 'single';
        if (large && rules.largePages === 'expand-empty-only' && data.length !== 0) {
          // igvmmeasure requires a 2 MiB page's data to be empty or 2 MiB long, and panics
          // otherwise (snp.md §2.3); a parsed file carries at most 4 KiB.
          throw new MeasurementError('UnsupportedLargePageData', `a 2 MiB page at 0x${h.gpa.toString(16)} carries ${data.length} bytes of data`, h.index);
        }
        const count = addSteps(h.gpa, large ? BigInt(LARGE_PAGE_STEPS) : 1n, h.index);
        yield {
          op: 'pages',
          gpa: h.gpa,
          count,
          dataType: h.dataType,
          unmeasured: (h.flags & PageDataFlags.UNMEASURED) !== 0,
          data,
          acceptance: 0,
          origin: 'page-data',
          source: sourceOf(h, large ? 'PAGE_DATA (2 MiB as 512 pages)' : 'PAGE_DATA'),
        };
        break;
      }
      case 'PARAMETER_INSERT': {
        if (!applies(h.compatibilityMask)) break;
        const size = areas.get(h.parameterAreaIndex);
        if (size === undefined) {
          throw new MeasurementError('InvalidParameterAreaIndex', `invalid parameter area index ${h.parameterAreaIndex}`, h.index);
        }
        if (rules.kvmChecks && sawVmsa) warnings.push(`header ${h.index ?? '?'}: a PARAMETER_INSERT after the VMSA (KVM requires the VMSA to be the final page directive)`);
        const pages = rules.parameterInsert === 'first-page' ? 1n : (size + PAGE - 1n) / PAGE;
        const count = addSteps(h.gpa, pages, h.index);
        if (count > 0) yield unmeasuredPages(h.gpa, count, 0, 'parameter-insert', sourceOf(h, `PARAMETER_INSERT of area ${h.parameterAreaIndex}`));
        break;
      }
      case 'ERROR_RANGE': {
        if (!rules.errorRanges || !applies(h.compatibilityMask)) break;
        const count = addSteps(h.gpa, (BigInt(h.sizeBytes) + PAGE - 1n) / PAGE, h.index);
        // Error ranges are readable and writable by the guest: VBS acceptance 3 (vbs-cca-corim.md §1.2).
        if (count > 0) yield unmeasuredPages(h.gpa, count, 3, 'error-range', sourceOf(h, 'ERROR_RANGE'));
        break;
      }
      case 'VP_CONTEXT': {
        const p = h.payload;
        if (p.format === 'sev-vmsa') {
          if (rules.vpContextMask === 'checked' && !applies(h.compatibilityMask)) break;
          sawVmsa = true;
          if (rules.vmsaPlacement === 'kvm-launch-finish') {
            deferredVmsas.push(h);
            break;
          }
          addSteps(h.gpa, 1n, h.index);
          yield { op: 'vmsa', gpa: h.gpa, vpIndex: h.vpIndex, vmsa: p.vmsa, source: sourceOf(h, `VMSA of vp ${h.vpIndex}`) };
        } else if (p.format === 'vbs' && rules.vbsRegisters && applies(h.compatibilityMask)) {
          yield {
            op: 'registers',
            architecture: p.architecture,
            vtl: p.registers[0]?.vtl ?? 0,
            registers: p.registers,
            source: sourceOf(h, `VP_CONTEXT registers, VTL ${p.registers[0]?.vtl ?? 0}`),
          };
        }
        break;
      }
      default:
        break;
    }
  }

  if (rules.vmsaPlacement === 'kvm-launch-finish') {
    const vmsas = kvmVmsas(deferredVmsas, options, warnings, rules.kvmChecks);
    addSteps(KVM_VMSA_GPA, BigInt(vmsas.length), undefined);
    yield* vmsas;
  }
}

/**
 * KVM measures one VMSA per vCPU at LAUNCH_FINISH, after every page, at KVM_VMSA_GPA, in vCPU
 * order (spec/snp.md §1.6, §2.5). vCPU i takes the file's VMSA with vp_index i; others take
 * `apVmsa`, else there is nothing to measure and that is an error.
 */
function kvmVmsas(contexts: readonly VpContextHeader[], options: WalkOptions, warnings: string[], kvmChecks: boolean): VmsaOp[] {
  const vcpus = options.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1) throw new MeasurementError('InvalidOption', `--vcpus must be a whole number of at least 1, not ${vcpus}`);
  if (kvmChecks) {
    if (contexts.length > 1) warnings.push(`the file has ${contexts.length} VMSAs; QEMU/KVM accepts one (the BSP's)`);
    for (const c of contexts) {
      if (c.gpa !== KVM_VMSA_GPA) warnings.push(`header ${c.index ?? '?'}: VMSA gpa 0x${c.gpa.toString(16)} is not KVM's 0x${KVM_VMSA_GPA.toString(16)}; QEMU refuses it`);
      if (c.payload.format === 'sev-vmsa') {
        const cr0 = decodeSevVmsa(c.payload.vmsa).cr0;
        if (cr0 !== 0x31n && cr0 !== 0x30n) warnings.push(`header ${c.index ?? '?'}: VMSA CR0 0x${cr0.toString(16)} is not 0x31 or 0x30; KVM overrides it, so the hardware digest will differ`);
      }
    }
  }
  const ops: VmsaOp[] = [];
  for (let vcpu = 0; vcpu < vcpus; vcpu++) {
    const ctx = contexts.find((c) => c.vpIndex === vcpu);
    let vmsa: Uint8Array;
    let source: OpSource;
    if (ctx !== undefined && ctx.payload.format === 'sev-vmsa') {
      vmsa = ctx.payload.vmsa;
      source = sourceOf(ctx, `VMSA of vCPU ${vcpu} (KVM: after all pages, at 0xfffffffff000)`);
    } else if (options.apVmsa !== undefined) {
      vmsa = options.apVmsa;
      source = { reason: `VMSA of vCPU ${vcpu} from --ap-vmsa (KVM: after all pages)` };
    } else {
      throw new MeasurementError(
        'MissingVmsa',
        `vCPU ${vcpu} has no VMSA: the file has ${contexts.length === 0 ? 'none' : `VMSAs for vp_index ${contexts.map((c) => c.vpIndex).join(', ')}`}; give one with --ap-vmsa FILE or lower --vcpus`,
      );
    }
    if (vmsa.length !== 4096) throw new MeasurementError('InvalidOption', `a VMSA must be 4096 bytes, not ${vmsa.length}`);
    ops.push({ op: 'vmsa', gpa: KVM_VMSA_GPA, vpIndex: vcpu, vmsa, source });
  }
  return ops;
}
