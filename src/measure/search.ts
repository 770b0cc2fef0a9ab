/**
 * When a hardware value differs from the file's digest, which host configuration reproduces
 * it? (the search of `compare`; spec/snp.md §2.2–§2.6 for the profiles). For SEV-SNP the
 * candidates are the loader profiles, with and without native zero pages, and under QEMU/KVM
 * 1–64 vCPUs; for TDX the profiles. The vCPU sweep costs one PAGE_INFO step per extra vCPU: KVM measures the VMSAs after every page
 * (spec/snp.md §1.6), so the digest for n vCPUs continues the digest for n − 1 (vcpu-sweep.ts).
 */
import type { IgvmFile, SupportedPlatformHeader } from '../format/index.js';
import { MeasurementError } from './errors.js';
import type { HashBackend } from './hash.js';
import { defaultHashBackend } from './hash-default.js';
import { measure } from './measure.js';
import { PROFILES, PROFILE_NAMES, walkRulesFor, type ProfileName } from './profiles.js';
import { SnpLaunchDigest } from './snp.js';
import type { SnpVmsaStep } from './launch-steps.js';
import { sweepSnpVcpus } from './vcpu-sweep.js';
import { walkDirectives } from './walker.js';
import { bytesEqual } from '../format/bytes.js';

/** A configuration that was tried. */
export interface Candidate {
  readonly profile: ProfileName;
  readonly nativeZero: boolean;
  /** vCPUs (QEMU/KVM placement only). */
  readonly vcpus?: number;
}

/** What the search found. */
export interface SearchResult {
  /** Configurations whose digest equals the target. */
  readonly matches: readonly Candidate[];
  /** How many configurations were computed. */
  readonly tried: number;
}

/** Options of the search. */
export interface SearchOptions {
  /** Largest vCPU count to try under QEMU/KVM (default 64). */
  readonly maxVcpus?: number;
  /** VMSA for vCPUs the file has none for (else the sweep stops at the file's VMSAs). */
  readonly apVmsa?: Uint8Array;
  readonly maxPages?: number;
  readonly hash?: HashBackend;
}

/** Searches the configurations that give `target` for the platform header `platform`. */
export function searchConfigurations(file: IgvmFile, platform: SupportedPlatformHeader, target: Uint8Array, options: SearchOptions = {}): SearchResult {
  const matches: Candidate[] = [];
  let tried = 0;
  const selector = platform.platformType === 'SEV_SNP' ? 'snp' : platform.platformType === 'TDX' ? 'tdx' : platform.platformType === 'VSM_ISOLATION' ? 'vbs' : undefined;
  if (selector === undefined) return { matches, tried };
  for (const profile of PROFILE_NAMES) {
    for (const nativeZero of selector === 'snp' ? [false, true] : [false]) {
      if (selector === 'snp' && PROFILES[profile].walk.SEV_SNP?.vmsaPlacement === 'kvm-launch-finish') {
        const sweep = snpVcpuSweep(file, platform, profile, nativeZero, options);
        tried += sweep.length;
        sweep.forEach((d, i) => {
          if (bytesEqual(d, target)) matches.push({ profile, nativeZero, vcpus: i + 1 });
        });
        continue;
      }
      const r = measure(file, { platform: selector, profile, nativeZero, ...(options.maxPages ? { maxPages: options.maxPages } : {}), ...(options.hash ? { hash: options.hash } : {}) });
      const p = r.platforms.find((x) => x.compatibilityMask === platform.compatibilityMask);
      tried++;
      if (p !== undefined && 'digest' in p && bytesEqual(p.digest, target)) matches.push({ profile, nativeZero });
    }
  }
  return { matches, tried };
}

/**
 * The SNP digests under a KVM-placement profile for 1, 2, … vCPUs (as many as there are
 * VMSAs: the file's, then `apVmsa` up to `maxVcpus`), from one walk.
 */
export function snpVcpuSweep(file: IgvmFile, platform: SupportedPlatformHeader, profile: ProfileName, nativeZero: boolean, options: SearchOptions = {}): Uint8Array[] {
  const fileVmsas = file.directives.filter((d) => d.kind === 'VP_CONTEXT' && d.payload.format === 'sev-vmsa').length;
  const maxVcpus = Math.max(1, options.apVmsa !== undefined ? (options.maxVcpus ?? 64) : Math.min(options.maxVcpus ?? 64, Math.max(1, fileVmsas)));
  // The most vCPUs that have a VMSA; walking with more fails with MissingVmsa.
  for (let vcpus = maxVcpus; vcpus >= 1; vcpus--) {
    try {
      const walk = walkDirectives(file, platform, walkRulesFor(PROFILES[profile], platform.platformType), {
        vcpus,
        ...(options.apVmsa ? { apVmsa: options.apVmsa } : {}),
        ...(options.maxPages ? { maxPages: options.maxPages } : {}),
      });
      const hash = options.hash ?? defaultHashBackend;
      const model = new SnpLaunchDigest(hash, { nativeZero });
      const digests: Uint8Array[] = [];
      // Under KVM placement the VMSAs come last, one per vCPU: the pages go into the model as
      // the walk reaches them, and each VMSA is one more candidate (vcpu-sweep.ts).
      const vmsas = function* (): Generator<SnpVmsaStep> {
        for (const op of walk.ops()) {
          if (op.op === 'vmsa') yield { kind: 'vmsa', gpa: op.gpa, bytes: op.vmsa, source: op.source };
          else model.apply(op);
        }
      };
      sweepSnpVcpus(model, vmsas(), hash, (_, digest) => digests.push(digest));
      return digests;
    } catch (e) {
      if (e instanceof MeasurementError && e.code === 'MissingVmsa') continue;
      if (e instanceof MeasurementError) return [];
      throw e;
    }
  }
  return [];
}
