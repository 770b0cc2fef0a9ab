/**
 * `measureFirmware`: the launch measurement of a firmware image under given host parameters
 * (spec/firmware-input.md §6.3) — which adapter lowers the image, which model folds its steps,
 * and the host parameters that were used. It is what `measure --firmware` prints and what
 * `compare --firmware` compares:
 * - `snp`: OVMF under QEMU/KVM, EC2, GCE or krun (§2, §3) with optional kernel hashes (§2.3),
 *   or COCONUT SVSM + OVMF under the early-2024 coconut QEMU fork (§4); SEV-SNP launch digest;
 * - `sev`, `sev-es`: the SHA-256 launch digests of OVMF (§6.2 item 5);
 * - `tdx`: the MRTD of a TDVF image in either host ordering (§5);
 * and `measureSnpFirmwarePages`, the SEV-SNP digest after the firmware pages alone (§2.2 step 1).
 * The adapters produce launch steps; measure's folds (measure/fold.ts) hash them.
 */
import { foldSevChunks, foldSnpSteps, foldTdxSteps } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { SnpStep } from '../measure/launch-steps.js';
import type { TraceSink } from '../measure/steps.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { sevKernelHashes, type DirectBootInputs } from './kernel-hashes.js';
import { SEV_ES_DEFAULT_FPU, ovmfSevChunks, ovmfSevEsChunks } from './ovmf-sev.js';
import { checkFirmwareImageLength } from './footer.js';
import { OVMF_SNP_LOADERS, flashPageSteps, ovmfSnpSteps, type OvmfSnpLoaderName } from './ovmf-snp.js';
import type { FirmwareSearchInput, FirmwareSetting } from './search.js';
import { SVSM_SEV_FEATURES, svsmSnpSteps } from './svsm-snp.js';
import { TDX_ORDERS, tdvfTdxStepIter, type TdxOrder } from './tdvf-tdx.js';
import { qemuVcpuSignature, type FpuInit } from './vmsa-qemu.js';

/** The platforms a firmware image is measured for. */
export const FIRMWARE_PLATFORMS = ['snp', 'sev', 'sev-es', 'tdx'] as const;
export type FirmwarePlatform = (typeof FIRMWARE_PLATFORMS)[number];

/** The VMM of COCONUT SVSM + OVMF (§4): the coconut QEMU fork of early 2024. */
export const SVSM_VMM = 'coconut-qemu-2024';
/** SNP VMMs: the OVMF loaders (§2.2 table), plus COCONUT SVSM + OVMF. */
export const FIRMWARE_VMMS = [...(Object.keys(OVMF_SNP_LOADERS) as OvmfSnpLoaderName[]), SVSM_VMM] as const;
export type FirmwareVmm = (typeof FIRMWARE_VMMS)[number];

/** Host parameters of a firmware launch (§6.3 "host parameter" column); which apply depends on the platform and VMM. */
export interface FirmwareMeasureOptions {
  /** Default `snp`. */
  readonly platform?: FirmwarePlatform;
  /** snp: default `qemu`; sev-es: `qemu` only. */
  readonly vmm?: FirmwareVmm;
  /** vCPUs the host starts (snp, sev-es; required there). */
  readonly vcpus?: number;
  /**
   * QEMU `-cpu` model (EPYC-v4, …) or its CPUID(1).EAX signature as `0x…` hex (§3.2). Required
   * where the VMSA holds it: snp under qemu and coconut-qemu-2024, and sev-es.
   */
  readonly vcpuType?: string;
  /** SEV_FEATURES (OVMF snp; default 0x1). COCONUT SVSM's VMSA fixes 0x1 (§4.2) and ignores it. */
  readonly sevFeatures?: bigint;
  /** FPU state of the VMSAs (default: init2 for qemu and sev-es, legacy for the others). */
  readonly fpu?: FpuInit;
  /** OVMF snp: the VMSA page GPA (default: the VMM's, §3.2). */
  readonly vmsaGpa?: bigint;
  /** A direct kernel boot, measured as the kernel-hashes table (§2.3; snp with OVMF, sev, sev-es). */
  readonly directBoot?: DirectBootInputs;
  /** coconut-qemu-2024: svsm.bin (required). */
  readonly svsm?: Uint8Array;
  /** coconut-qemu-2024: bytes of OVMF_VARS between svsm.bin and OVMF_CODE (required; §4.1 step 2). */
  readonly varsSize?: number;
  /** tdx: the page-add ordering (§5.3; default `single`). */
  readonly tdxOrder?: TdxOrder;
  /**
   * Receives each measured VMSA page (snp, sev-es), vCPU 0 first: what sev-snp-measure's
   * `--dump-vmsa` writes to `vmsa<N>.bin`.
   */
  readonly onVmsa?: (vcpu: number, page: Uint8Array) => void;
  /** Receives every primitive step (SEV / SEV-ES: one `launch_update` per chunk hashed). */
  readonly trace?: TraceSink;
  readonly hash?: HashBackend;
}

/** The host parameters used, as `measure --firmware --json` lists them (`host_parameters`). */
export type FirmwareHostParameters = Readonly<Record<string, string | number | boolean>>;

/** A firmware image's launch measurement: one platform, its digest, and the host parameters used. */
export interface FirmwareMeasurement {
  readonly platform: FirmwarePlatform;
  readonly platformType: 'SEV_SNP' | 'SEV' | 'SEV_ES' | 'TDX';
  readonly algorithm: 'sha256' | 'sha384';
  readonly digest: Uint8Array;
  readonly host: FirmwareHostParameters;
  /**
   * What `searchFirmwareSettings` needs to look for the host setting behind another value: the
   * fixed inputs, and the given value of each searched axis. Absent for SEV, which has no host
   * setting to search (§6.2 item 5).
   */
  readonly search?: { readonly input: FirmwareSearchInput; readonly given: FirmwareSetting };
}

/**
 * The CPUID(1).EAX signature of a vCPU type: `0x…` hex as given, else the QEMU model's (§3.2).
 * @throws FirmwareError `UnknownVcpuType` for a model the table does not list.
 */
export function vcpuSignatureOf(vcpuType: string): number {
  if (/^0x[0-9a-f]{1,8}$/i.test(vcpuType)) return Number(vcpuType);
  return qemuVcpuSignature(vcpuType);
}

function need<T>(value: T | undefined, what: string, why: string): T {
  if (value === undefined) throw new FirmwareError('InvalidHostParameter', `${why} needs ${what}: there is no safe default (the host chooses it; the image cannot tell)`);
  return value;
}

/**
 * Measures a firmware image (OVMF.fd, OVMF_CODE with `svsm`, or a TDVF image) for one platform
 * under the given host parameters.
 * @throws FirmwareError for an image that cannot be read or lowered (§1, §6.3), and
 *   `InvalidHostParameter` / `UnknownVcpuType` for host parameters that are missing or invalid.
 */
export function measureFirmware(image: Uint8Array, options: FirmwareMeasureOptions = {}): FirmwareMeasurement {
  const platform = options.platform ?? 'snp';
  const hash = options.hash ?? defaultHashBackend;
  switch (platform) {
    case 'tdx': {
      // MRTD depends on the TDVF metadata and BFV bytes only (§0 item 4): no vCPU or VMM inputs.
      const order = options.tdxOrder ?? 'single';
      if (!TDX_ORDERS.includes(order)) throw new FirmwareError('InvalidHostParameter', `TDX page-add ordering ${String(order)} is not 'single' or 'two-pass' (§5.3)`);
      const digest = foldTdxSteps(tdvfTdxStepIter(image, { order, file: 'TDVF' }), hash, options.trace);
      const search = { input: { kind: 'tdvf-tdx', image }, given: { tdxOrder: order } } as const;
      return { platform, platformType: 'TDX', algorithm: 'sha384', digest, host: { tdx_order: order }, search };
    }
    case 'snp':
      return measureSnp(image, options, hash);
    case 'sev':
    case 'sev-es':
      return measureSev(platform, image, options, hash);
    default:
      throw new FirmwareError('InvalidHostParameter', `unknown platform ${JSON.stringify(platform)}; known: ${FIRMWARE_PLATFORMS.join(', ')}`);
  }
}

/** snp: OVMF under one of the loaders (§2, §3), or COCONUT SVSM + OVMF (§4). */
function measureSnp(image: Uint8Array, o: FirmwareMeasureOptions, hash: HashBackend): FirmwareMeasurement {
  const vmm = o.vmm ?? 'qemu';
  if (!(FIRMWARE_VMMS as readonly string[]).includes(vmm)) {
    throw new FirmwareError('InvalidHostParameter', `unknown VMM ${JSON.stringify(vmm)}; known: ${FIRMWARE_VMMS.join(', ')}`);
  }
  const vcpus = need(o.vcpus, 'a vCPU count', `snp under ${vmm}`);
  // Only QEMU's VMSAs hold the vCPU signature in RDX; the other VMMs' RDX is fixed (§3.1).
  const usesSignature = vmm === 'qemu' || vmm === SVSM_VMM;
  const vcpuType = usesSignature ? need(o.vcpuType, 'a vCPU type', `snp under ${vmm}`) : o.vcpuType;
  const signature = vcpuType === undefined ? 0 : vcpuSignatureOf(vcpuType);
  const cpu: FirmwareHostParameters = vcpuType === undefined ? {} : { vcpu_type: vcpuType, vcpu_signature: hexNumber(signature) };
  const trace = o.trace;

  if (vmm === SVSM_VMM) {
    const svsm = need(o.svsm, 'svsm.bin', `snp under ${vmm}`);
    const varsSize = need(o.varsSize, 'the OVMF_VARS size', `snp under ${vmm}`);
    const fpu = o.fpu ?? 'legacy';
    const steps = svsmSnpSteps(image, svsm, { vcpus, vcpuSignature: signature, varsSize, fpu });
    reportVmsas(steps, o.onVmsa);
    const host = { vmm, vcpus, ...cpu, fpu, sev_features: hexNumber(SVSM_SEV_FEATURES), vars_size: varsSize };
    const search = { input: { kind: 'svsm-snp', code: image, svsm, varsSize, vcpuSignature: signature }, given: { vcpus, fpu } } as const;
    return { platform: 'snp', platformType: 'SEV_SNP', algorithm: 'sha384', digest: foldSnpSteps(steps, hash, trace), host, search };
  }
  const loader = OVMF_SNP_LOADERS[vmm];
  const fpu = o.fpu ?? loader.vmsa.defaultFpu;
  const sevFeatures = o.sevFeatures ?? 0x1n;
  const vmsaGpa = o.vmsaGpa ?? loader.vmsaGpa;
  const kernelHashes = o.directBoot === undefined ? undefined : sevKernelHashes(o.directBoot, hash);
  const kh = kernelHashes === undefined ? {} : { kernelHashes };
  const steps = ovmfSnpSteps(image, { vmm, vcpus, vcpuSignature: signature, sevFeatures, fpu, vmsaGpa, ...kh });
  reportVmsas(steps, o.onVmsa);
  const host = { vmm, vcpus, ...cpu, fpu, sev_features: hexNumber(sevFeatures), vmsa_gpa: hexNumber(vmsaGpa), kernel_hashes: kernelHashes !== undefined };
  const search = {
    input: { kind: 'ovmf-snp', image, vmm, vcpuSignature: signature, ...kh },
    given: { vcpus, sevFeatures, fpu, vmsaGpa },
  } as const;
  return { platform: 'snp', platformType: 'SEV_SNP', algorithm: 'sha384', digest: foldSnpSteps(steps, hash, trace), host, search };
}

/** Hands each VMSA step's page to `onVmsa`, numbered by vCPU in launch order. */
function reportVmsas(steps: readonly SnpStep[], onVmsa: FirmwareMeasureOptions['onVmsa']): void {
  if (onVmsa === undefined) return;
  let vcpu = 0;
  for (const s of steps) if (s.kind === 'vmsa') onVmsa(vcpu++, s.bytes);
}

/**
 * The SNP launch digest after the firmware pages alone (§2.2 step 1): what sev-snp-measure's
 * `--mode snp:ovmf-hash` prints, the image as NORMAL pages ending at 4 GiB, nothing else.
 * @throws FirmwareError `NotMultipleOf4K` or `ImageTooLarge` for an image that cannot be mapped so.
 */
export function measureSnpFirmwarePages(image: Uint8Array, options: { readonly hash?: HashBackend; readonly trace?: TraceSink } = {}): FirmwareMeasurement {
  checkFirmwareImageLength(image);
  if (image.length > FOUR_GIB) throw new FirmwareError('ImageTooLarge', `a ${hexNumber(image.length)}-byte image cannot end at 4 GiB`);
  const steps = flashPageSteps(image, BigInt(FOUR_GIB - image.length), 'OVMF');
  const digest = foldSnpSteps(steps, options.hash ?? defaultHashBackend, options.trace);
  return { platform: 'snp', platformType: 'SEV_SNP', algorithm: 'sha384', digest, host: { stage: 'firmware pages' } };
}

const FOUR_GIB = 0x1_0000_0000;

/** sev / sev-es: SHA-256 of the image, the kernel-hashes table and (SEV-ES) the VMSAs (§6.2 item 5). */
function measureSev(platform: 'sev' | 'sev-es', image: Uint8Array, o: FirmwareMeasureOptions, hash: HashBackend): FirmwareMeasurement {
  const kernelHashes = o.directBoot === undefined ? undefined : sevKernelHashes(o.directBoot, hash);
  const kh = kernelHashes === undefined ? {} : { kernelHashes };
  if (platform === 'sev') {
    const digest = foldSevChunks(ovmfSevChunks(image, kh), hash, { trace: o.trace, platform: 'SEV' });
    return { platform, platformType: 'SEV', algorithm: 'sha256', digest, host: { kernel_hashes: kernelHashes !== undefined } };
  }
  const vmm = o.vmm ?? 'qemu';
  if (vmm !== 'qemu') throw new FirmwareError('InvalidHostParameter', `sev-es is measured under qemu only, not ${JSON.stringify(vmm)}`);
  const vcpus = need(o.vcpus, 'a vCPU count', 'sev-es');
  const vcpuType = need(o.vcpuType, 'a vCPU type', 'sev-es');
  const signature = vcpuSignatureOf(vcpuType);
  const fpu = o.fpu ?? SEV_ES_DEFAULT_FPU;
  const chunks = ovmfSevEsChunks(image, { vcpus, vcpuSignature: signature, fpu, ...kh });
  // The VMSAs are the last `vcpus` chunks, one per vCPU in order (ovmf-sev.ts).
  if (o.onVmsa !== undefined) chunks.slice(chunks.length - vcpus).forEach((c, i) => o.onVmsa?.(i, c.bytes));
  const digest = foldSevChunks(chunks, hash, { trace: o.trace, platform: 'SEV_ES' });
  const host = { vmm, vcpus, vcpu_type: vcpuType, vcpu_signature: hexNumber(signature), fpu, kernel_hashes: kernelHashes !== undefined };
  const search = { input: { kind: 'ovmf-sev-es', image, vcpuSignature: signature, ...kh }, given: { vcpus, fpu } } as const;
  return { platform, platformType: 'SEV_ES', algorithm: 'sha256', digest, host, search };
}
