/**
 * When a hardware value differs from a firmware image's measurement, which host setting
 * reproduces it? (the search of `compare --firmware`; spec/firmware-input.md §6.3 last bullets: "The mismatch
 * search of `compare` can enumerate the same axes: SEV_FEATURES {0x1, 0x21}, FPU {init2,
 * legacy}, vCPUs 1…N, VMSA GPA {48, 52}, TDX order {single, two-pass}").
 *
 * The image decides everything else (§6.3 table, "from image" column); the fixed host inputs
 * (vCPU signature, VMM, kernel hashes, vars size) are the caller's. The axes per firmware:
 *
 * | firmware | SEV_FEATURES | FPU | vCPUs | VMSA GPA | TDX order |
 * |---|---|---|---|---|---|
 * | OVMF, SNP (§2, §3) | 0x1, 0x21 | init2, legacy | 1…64 | gce: 48- and 52-bit (§3.2) | — |
 * | COCONUT SVSM + OVMF (§4) | fixed 0x1 (§4.2) | init2, legacy | 1…64 | fixed (KVM) | — |
 * | OVMF, SEV-ES (§6.2 item 5) | fixed 0 | init2, legacy | 1…64 | — | — |
 * | TDVF, TDX (§5) | — | — | — (§5.1: no vCPU state) | — | single, two-pass (§5.3) |
 *
 * The vCPU axis costs one step per extra vCPU, not one launch: the VMSAs come after every page
 * (§3.2 "Per-vCPU order": BSP first, then identical APs; snp.md §1.6), so the SNP digest for
 * n vCPUs continues the one for n − 1 with one more PAGE_INFO, and the SEV-ES SHA-256 for n
 * vCPUs continues the one for n − 1 with one more VMSA. The pages before the VMSAs do not depend
 * on any axis, so their contents are hashed once and only the 112-byte PAGE_INFO chain is replayed
 * per (SEV_FEATURES, FPU, GPA); SEV-ES copies one SHA-256 state. The hashing and the sweep are
 * measure's (measure/vcpu-sweep.ts, which measure/search.ts uses for IGVM files too): this file
 * only makes the steps of each setting.
 *
 * Browser-usable: imports no `node:` module.
 */
import { foldTdxSteps, hashSevChunks } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { SnpPageStep, SnpStep, SnpVmsaStep } from '../measure/launch-steps.js';
import { KVM_VMSA_GPA } from '../measure/profiles.js';
import { bspThenAps, hashSnpPages, replaySnpPages, sweepSnpVcpus, sweepSevVcpus, type HashedSnpPage } from '../measure/vcpu-sweep.js';
import { FirmwareError } from './errors.js';
import type { SevKernelHashes } from './kernel-hashes.js';
import { ovmfSevChunks, ovmfSevEsChunks } from './ovmf-sev.js';
import { GCE_GENOA_VMSA_GPA, OVMF_SNP_LOADERS, ovmfSnpSteps, type OvmfSnpLoaderName } from './ovmf-snp.js';
import { svsmSnpSteps } from './svsm-snp.js';
import { TDX_ORDERS, tdvfTdxStepIter, type TdxOrder } from './tdvf-tdx.js';
import type { FpuInit } from './vmsa-qemu.js';
import { bytesEqual } from '../format/bytes.js';

/** The firmware and its fixed inputs: what the search does not vary. */
export type FirmwareSearchInput =
  /** An OVMF image under one of the SNP loaders (§2, §3). */
  | {
      readonly kind: 'ovmf-snp';
      readonly image: Uint8Array;
      /** The VMM (default `qemu`). */
      readonly vmm?: OvmfSnpLoaderName;
      /** CPUID(1).EAX of the `-cpu` model (§3.2); only QEMU's VMSA holds it. */
      readonly vcpuSignature: number;
      /** Kernel hashes (§2.3) of a direct kernel boot. */
      readonly kernelHashes?: SevKernelHashes;
    }
  /** COCONUT SVSM + OVMF under the early-2024 coconut QEMU fork (§4). */
  | {
      readonly kind: 'svsm-snp';
      /** OVMF_CODE. */
      readonly code: Uint8Array;
      readonly svsm: Uint8Array;
      /** Bytes of OVMF_VARS between svsm.bin and OVMF_CODE (§4.1 step 2). */
      readonly varsSize: number;
      readonly vcpuSignature: number;
    }
  /** An OVMF image under SEV-ES, QEMU (§6.2 item 5). */
  | {
      readonly kind: 'ovmf-sev-es';
      readonly image: Uint8Array;
      readonly vcpuSignature: number;
      readonly kernelHashes?: SevKernelHashes;
    }
  /** A TDVF image, TDX MRTD (§5). */
  | {
      readonly kind: 'tdvf-tdx';
      readonly image: Uint8Array;
      /** As `TdvfTdxOptions.maxPages`. */
      readonly maxPages?: number;
      /** As `TdvfTdxOptions.strict`. */
      readonly strict?: boolean;
    };

/** One setting of the searched axes; a candidate carries the axes of its firmware kind only. */
export interface FirmwareSetting {
  readonly vcpus?: number;
  readonly sevFeatures?: bigint;
  readonly fpu?: FpuInit;
  readonly vmsaGpa?: bigint;
  readonly tdxOrder?: TdxOrder;
}

/** The values each axis took in a search (absent: not an axis of this firmware). */
export interface FirmwareSearchAxes {
  /** The sweep covered 1…`maxVcpus` vCPUs (1 when the image has no AP reset address, §6.3). */
  readonly maxVcpus?: number;
  readonly sevFeatures?: readonly bigint[];
  readonly fpus?: readonly FpuInit[];
  readonly vmsaGpas?: readonly bigint[];
  readonly tdxOrders?: readonly TdxOrder[];
}

/** What the search found. */
export interface FirmwareSearchResult {
  /** Every setting whose digest equals the target, in search order (possibly none). */
  readonly matches: readonly FirmwareSetting[];
  /** How many settings were computed. */
  readonly tried: number;
  /** The axes searched. */
  readonly axes: FirmwareSearchAxes;
}

/** Options of the search: axis values (defaults: §6.3's lists) and the hash backend. */
export interface FirmwareSearchOptions {
  /** Largest vCPU count to try (default {@link FIRMWARE_SEARCH_MAX_VCPUS}). */
  readonly maxVcpus?: number;
  /** SEV_FEATURES values (OVMF SNP; default {@link FIRMWARE_SEARCH_SEV_FEATURES}). */
  readonly sevFeatures?: readonly bigint[];
  /** FPU styles (SNP and SEV-ES; default {@link FIRMWARE_SEARCH_FPUS}). */
  readonly fpus?: readonly FpuInit[];
  /** VMSA GPAs (OVMF SNP; default: both of {@link FIRMWARE_SEARCH_GCE_VMSA_GPAS} under gce, the loader's GPA otherwise). */
  readonly vmsaGpas?: readonly bigint[];
  /** TDX orderings (default both, {@link TDX_ORDERS}). */
  readonly tdxOrders?: readonly TdxOrder[];
  /**
   * The host's own setting (what was measured). Its values join the axes, so a value outside the
   * default lists (e.g. `--guest-features 0x3`, 96 vCPUs) is still combined with the others.
   */
  readonly given?: FirmwareSetting;
  readonly hash?: HashBackend;
}

/** §3.2: KVM's SEV_FEATURES before 6.6 and from 6.8 (0x1), and on 6.6–6.7 hosts (0x21, DebugSwap). */
export const FIRMWARE_SEARCH_SEV_FEATURES: readonly bigint[] = [0x1n, 0x21n];
/** §3.2 "FPU init": KVM_SEV_INIT2 VMs (init2) and legacy KVM_SEV_INIT / pre-upstream SNP trees. */
export const FIRMWARE_SEARCH_FPUS: readonly FpuInit[] = ['init2', 'legacy'];
/** §3.2 "VMSA GPA": gce-tcb-verifier truncates to the product's width, 48 (Milan) or 52 bits (Genoa). */
export const FIRMWARE_SEARCH_GCE_VMSA_GPAS: readonly bigint[] = [KVM_VMSA_GPA, GCE_GENOA_VMSA_GPA];
/** The vCPU sweep's default end; GCE endorses counts to 240 (§3.2), pass `maxVcpus` for more. */
export const FIRMWARE_SEARCH_MAX_VCPUS = 64;

/** The list with `extra` appended when it is not in it already. */
function withGiven<T>(list: readonly T[], extra: T | undefined): T[] {
  const out = [...new Set(list)];
  if (extra !== undefined && !out.includes(extra)) out.push(extra);
  return out;
}

/**
 * Searches the host settings of a firmware launch for those whose measurement equals `target`
 * (SEV-SNP launch digest, SEV-ES SHA-256 or TDX MRTD). Every match is returned; `tried` counts
 * the settings computed.
 * @throws FirmwareError as the firmware's own steps function does (bad image, bad fixed inputs),
 *   or `InvalidHostParameter` for a `maxVcpus` that is not a positive integer.
 */
export function searchFirmwareSettings(input: FirmwareSearchInput, target: Uint8Array, options: FirmwareSearchOptions = {}): FirmwareSearchResult {
  const hash = options.hash ?? defaultHashBackend;
  const given = options.given ?? {};
  const maxVcpus = Math.max(options.maxVcpus ?? FIRMWARE_SEARCH_MAX_VCPUS, given.vcpus ?? 0);
  if (!Number.isSafeInteger(maxVcpus) || maxVcpus < 1) {
    throw new FirmwareError('InvalidHostParameter', `the largest vCPU count to search, ${maxVcpus}, is not a positive integer`);
  }
  const fpus = withGiven(options.fpus ?? FIRMWARE_SEARCH_FPUS, given.fpu);
  switch (input.kind) {
    case 'ovmf-snp':
      return searchOvmfSnp(input, target, hash, maxVcpus, fpus, options);
    case 'svsm-snp':
      return searchSvsmSnp(input, target, hash, maxVcpus, fpus);
    case 'ovmf-sev-es':
      return searchOvmfSevEs(input, target, hash, maxVcpus, fpus);
    case 'tdvf-tdx':
      return searchTdvfTdx(input, target, hash, withGiven(options.tdxOrders ?? TDX_ORDERS, given.tdxOrder));
  }
}

/** The page steps before the first VMSA, and the VMSA steps after them. */
function splitSnpSteps(steps: readonly SnpStep[]): { pages: SnpPageStep[]; vmsas: SnpVmsaStep[] } {
  const pages: SnpPageStep[] = [];
  const vmsas: SnpVmsaStep[] = [];
  for (const s of steps) {
    if (s.kind === 'vmsa') {
      vmsas.push(s);
      continue;
    }
    // §2.2 step 5 / §4.1 step 4: every VMSA follows every page; a page after one would break the sweep.
    if (vmsas.length > 0) throw new Error('searchFirmwareSettings: a page step after a VMSA step');
    pages.push(s);
  }
  return { pages, vmsas };
}

/**
 * The SNP digests for 1…maxVcpus vCPUs (§3.2 "Per-vCPU order"): the hashed pages replayed, then
 * the BSP VMSA (1 vCPU) and one more AP VMSA per extra vCPU; without an AP VMSA only 1 vCPU.
 */
function snpSweep(
  pages: readonly HashedSnpPage[],
  bsp: SnpVmsaStep,
  ap: SnpVmsaStep | undefined,
  maxVcpus: number,
  hash: HashBackend,
  found: (vcpus: number, digest: Uint8Array) => void,
): void {
  sweepSnpVcpus(replaySnpPages(pages, hash), bspThenAps(bsp, ap, maxVcpus), hash, found);
}

/**
 * Steps for 2 vCPUs (the prefix, the BSP and the AP VMSA), or for 1 when only 1 is searched or
 * the image has no AP reset address (§6.3 "vCPUs > 1 with a zero AP EIP": such an image only
 * launches with one vCPU, so the sweep ends at 1).
 */
function stepsForSweep<T>(maxVcpus: number, make: (vcpus: number) => T): { value: T; apOk: boolean } {
  if (maxVcpus > 1) {
    try {
      return { value: make(2), apOk: true };
    } catch (e) {
      if (!(e instanceof FirmwareError && e.code === 'NoApResetAddress')) throw e;
    }
  }
  return { value: make(1), apOk: false };
}

function searchOvmfSnp(
  input: Extract<FirmwareSearchInput, { kind: 'ovmf-snp' }>,
  target: Uint8Array,
  hash: HashBackend,
  maxVcpus: number,
  fpus: readonly FpuInit[],
  options: FirmwareSearchOptions,
): FirmwareSearchResult {
  const vmm = input.vmm ?? 'qemu';
  const loader = OVMF_SNP_LOADERS[vmm];
  if (loader === undefined) throw new FirmwareError('InvalidHostParameter', `unknown VMM ${JSON.stringify(vmm)}`);
  const given = options.given ?? {};
  const sevFeatures = withGiven(options.sevFeatures ?? FIRMWARE_SEARCH_SEV_FEATURES, given.sevFeatures);
  // §3.2 "VMSA GPA": KVM always uses 0xFFFFFFFFF000; only GCE's verifier has a second value.
  const vmsaGpas = withGiven(options.vmsaGpas ?? (vmm === 'gce' ? FIRMWARE_SEARCH_GCE_VMSA_GPAS : [given.vmsaGpa ?? loader.vmsaGpa]), given.vmsaGpa);
  const matches: FirmwareSetting[] = [];
  let tried = 0;
  let prefix: HashedSnpPage[] | undefined;
  let sweepEnd = maxVcpus;
  for (const features of sevFeatures) {
    for (const fpu of fpus) {
      for (const vmsaGpa of vmsaGpas) {
        const { value: steps, apOk } = stepsForSweep(maxVcpus, (vcpus) =>
          ovmfSnpSteps(input.image, {
            vmm,
            vcpus,
            vcpuSignature: input.vcpuSignature,
            sevFeatures: features,
            fpu,
            vmsaGpa,
            ...(input.kernelHashes === undefined ? {} : { kernelHashes: input.kernelHashes }),
          }),
        );
        const split = splitSnpSteps(steps);
        // §2.2 steps 1–4 do not depend on the VMSA inputs: hash the pages of the first setting only.
        prefix ??= hashSnpPages(split.pages, hash);
        if (!apOk) sweepEnd = 1;
        snpSweep(prefix, split.vmsas[0]!, split.vmsas[1], sweepEnd, hash, (vcpus, digest) => {
          tried++;
          if (bytesEqual(digest, target)) matches.push({ vcpus, sevFeatures: features, fpu, vmsaGpa });
        });
      }
    }
  }
  return { matches, tried, axes: { maxVcpus: sweepEnd, sevFeatures, fpus, vmsaGpas } };
}

function searchSvsmSnp(
  input: Extract<FirmwareSearchInput, { kind: 'svsm-snp' }>,
  target: Uint8Array,
  hash: HashBackend,
  maxVcpus: number,
  fpus: readonly FpuInit[],
): FirmwareSearchResult {
  const matches: FirmwareSetting[] = [];
  let tried = 0;
  let prefix: HashedSnpPage[] | undefined;
  for (const fpu of fpus) {
    // §4.1 step 4: one identical SVSM VMSA per vCPU, so 1 vCPU's steps give the prefix and the VMSA.
    const steps = svsmSnpSteps(input.code, input.svsm, { vcpus: 1, vcpuSignature: input.vcpuSignature, varsSize: input.varsSize, fpu });
    const split = splitSnpSteps(steps);
    prefix ??= hashSnpPages(split.pages, hash);
    const vmsa = split.vmsas[0]!;
    snpSweep(prefix, vmsa, vmsa, maxVcpus, hash, (vcpus, digest) => {
      tried++;
      if (bytesEqual(digest, target)) matches.push({ vcpus, fpu });
    });
  }
  return { matches, tried, axes: { maxVcpus, fpus } };
}

function searchOvmfSevEs(
  input: Extract<FirmwareSearchInput, { kind: 'ovmf-sev-es' }>,
  target: Uint8Array,
  hash: HashBackend,
  maxVcpus: number,
  fpus: readonly FpuInit[],
): FirmwareSearchResult {
  const kh = input.kernelHashes === undefined ? {} : { kernelHashes: input.kernelHashes };
  // §6.2 item 5: one SHA-256 over the image, the kernel-hashes table, then the VMSAs; hash the
  // part before the VMSAs once and copy its state per FPU style.
  const head = ovmfSevChunks(input.image, kh);
  const prefix = hashSevChunks(head, hash);
  const matches: FirmwareSetting[] = [];
  let tried = 0;
  let sweepEnd = maxVcpus;
  for (const fpu of fpus) {
    const { value: chunks, apOk } = stepsForSweep(maxVcpus, (vcpus) => ovmfSevEsChunks(input.image, { vcpus, vcpuSignature: input.vcpuSignature, fpu, ...kh }));
    if (!apOk) sweepEnd = 1;
    const [bsp, ap] = chunks.slice(head.length);
    sweepSevVcpus(prefix, bspThenAps(bsp!.bytes, ap?.bytes, sweepEnd), (vcpus, digest) => {
      tried++;
      if (bytesEqual(digest, target)) matches.push({ vcpus, fpu });
    });
  }
  return { matches, tried, axes: { maxVcpus: sweepEnd, fpus } };
}

function searchTdvfTdx(
  input: Extract<FirmwareSearchInput, { kind: 'tdvf-tdx' }>,
  target: Uint8Array,
  hash: HashBackend,
  tdxOrders: readonly TdxOrder[],
): FirmwareSearchResult {
  // §5.1, §0 item 4: MRTD has no vCPU or VMM input; the ordering (§5.3) is the one host choice.
  const matches: FirmwareSetting[] = [];
  for (const order of tdxOrders) {
    const steps = tdvfTdxStepIter(input.image, {
      order,
      ...(input.maxPages === undefined ? {} : { maxPages: input.maxPages }),
      ...(input.strict === undefined ? {} : { strict: input.strict }),
    });
    if (bytesEqual(foldTdxSteps(steps, hash), target)) matches.push({ tdxOrder: order });
  }
  return { matches, tried: tdxOrders.length, axes: { tdxOrders } };
}
