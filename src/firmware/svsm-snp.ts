/**
 * COCONUT SVSM + OVMF under the coconut-svsm QEMU fork of early 2024 (firmware-input.md §4,
 * sev-snp-measure's `--mode snp:svsm`): the SNP launch steps of OVMF_CODE and svsm.bin loaded
 * as flash below 4 GiB, svsm.bin's own SEV metadata, and the SVSM's 32-bit protected-mode VMSA.
 *
 * This is the only firmware path whose digests were captured on real AMD hardware (§4.3), so it
 * is what checks our SNP model against silicon.
 */
import { foldSnpSteps } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import { KVM_VMSA_GPA } from '../measure/profiles.js';
import { encodeSevVmsa } from '../format/vmsa.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE, checkFirmwareImageLength, findFooterTable, svsmInfoOffset } from './footer.js';
import type { SnpStep } from '../measure/launch-steps.js';
import { OVMF_SNP_LOADERS, appendSteps, flashPageSteps, sevSectionSteps } from './ovmf-snp.js';
import { findSevMetadata } from './sev-metadata.js';
import { checkU32, fpuState, type FpuInit } from './vmsa-qemu.js';

/** Host parameters of a COCONUT SVSM + OVMF launch (§4.1, §4.3). */
export interface SvsmSnpOptions {
  /** Number of vCPUs; a positive integer. */
  readonly vcpus: number;
  /** CPUID(1).EAX of the `-cpu` model, passed in RDX (§4.2; EPYC-v4 = 0x800F12). */
  readonly vcpuSignature: number;
  /**
   * Size in bytes of OVMF_VARS, mapped between svsm.bin and OVMF_CODE but never measured
   * (§4.1 step 2); a multiple of 4 KiB. 540672 in the hardware vectors.
   */
  readonly varsSize: number;
  /**
   * FPU state in the VMSA (§4.2 "MXCSR / FCW"). Default `legacy` (zeros): the hardware capture.
   * sev-snp-measure at HEAD uses MXCSR 0x1F80 with FCW 0, which neither style reproduces; see
   * §0 item 1.
   */
  readonly fpu?: FpuInit;
  /**
   * Which vCPUs get a measured VMSA (§4.1 step 4): `all` in the 2024 fork (default), `bsp`
   * when QEMU's `init-flags` has the SVSM bit (coconut-svsm #349 / PR #353).
   */
  readonly measuredVmsas?: 'all' | 'bsp';
}

const FOUR_GIB = 0x1_0000_0000;

/** §4.2: SEV_FEATURES of the SVSM VMSA is fixed at SNPActive; the host's value is ignored. */
export const SVSM_SEV_FEATURES = 0x1n;

/**
 * The SVSM VMSA page (§4.2): flat 32-bit protected mode (CR0 = PE | ET), code selector 0x08 and
 * data selector 0x10 with 4 GiB limits, RIP the SVSM entry point. Identical for BSP and APs.
 */
export function svsmVmsa(entry: number, vcpuSignature: number, fpu: FpuInit = 'legacy'): Uint8Array {
  const flat = (selector: number, attrib: number) => ({ selector, attrib, limit: 0xffff_ffff, base: 0n });
  const small = (attrib: number) => ({ selector: 0, attrib, limit: 0xffff, base: 0n });
  const data = flat(0x10, 0x0c93);
  const state = fpuState(fpu);
  return encodeSevVmsa({
    es: data,
    cs: flat(0x08, 0x0c9b),
    ss: data,
    ds: data,
    fs: data,
    gs: small(0x0093),
    gdtr: small(0),
    idtr: small(0),
    ldtr: small(0x0082),
    tr: small(0x008b),
    efer: 0x1000n,
    cr4: 0x40n,
    cr0: 0x11n,
    dr7: 0x400n,
    dr6: 0xffff0ff0n,
    rflags: 0x2n,
    rip: BigInt(entry >>> 0),
    pat: 0x0007040600070406n,
    rdx: BigInt(vcpuSignature >>> 0),
    sevFeatures: SVSM_SEV_FEATURES,
    xcr0: 0x1n,
    mxcsr: state.mxcsr,
    x87Fcw: state.x87Fcw,
  });
}

function checkOptions(o: SvsmSnpOptions): void {
  if (!Number.isSafeInteger(o.vcpus) || o.vcpus < 1) {
    throw new FirmwareError('InvalidHostParameter', `vCPU count ${o.vcpus} is not a positive integer`);
  }
  checkU32('vCPU signature', o.vcpuSignature);
  if (!Number.isSafeInteger(o.varsSize) || o.varsSize < 0 || o.varsSize % FIRMWARE_PAGE_SIZE !== 0) {
    throw new FirmwareError('InvalidHostParameter', `vars size ${o.varsSize} is not a non-negative multiple of 4 KiB`);
  }
  if (o.measuredVmsas !== undefined && o.measuredVmsas !== 'all' && o.measuredVmsas !== 'bsp') {
    throw new FirmwareError('InvalidHostParameter', `measured VMSAs ${JSON.stringify(o.measuredVmsas)} is neither 'all' nor 'bsp'`);
  }
}

/**
 * The ordered SNP launch steps of COCONUT SVSM + OVMF (§4.1): OVMF_CODE as NORMAL pages ending
 * at 4 GiB, svsm.bin as NORMAL pages below the (unmeasured) vars, svsm.bin's SEV metadata with
 * QEMU's lowering and no kernel hashes (OVMF's metadata is not used), then one SVSM VMSA per
 * measured vCPU at 0xFFFFFFFFF000.
 *
 * @throws FirmwareError for an unreadable image, `ImageTooLarge` when the layout does not fit
 *   below 4 GiB, `NoSvsmInfo` when svsm.bin has no SVSM info entry, or bad host parameters.
 */
export function svsmSnpSteps(code: Uint8Array, svsm: Uint8Array, options: SvsmSnpOptions): SnpStep[] {
  checkOptions(options);
  checkFirmwareImageLength(code);
  checkFirmwareImageLength(svsm);
  const codeBase = FOUR_GIB - code.length;
  const svsmBase = codeBase - options.varsSize - svsm.length;
  if (svsmBase < 0) {
    throw new FirmwareError(
      'ImageTooLarge',
      `OVMF_CODE (${hexNumber(code.length)}), vars (${hexNumber(options.varsSize)}) and svsm.bin (${hexNumber(svsm.length)}) do not fit below 4 GiB`,
    );
  }
  const table = findFooterTable(svsm);
  const infoOffset = table === null ? undefined : svsmInfoOffset(table);
  if (infoOffset === undefined) {
    throw new FirmwareError('NoSvsmInfo', 'svsm.bin has no SVSM info footer entry (a789a612-…), so its entry point is unknown');
  }

  const steps = flashPageSteps(code, BigInt(codeBase), 'OVMF_CODE') as SnpStep[];
  appendSteps(steps, flashPageSteps(svsm, BigInt(svsmBase), 'svsm.bin'));
  const loader = OVMF_SNP_LOADERS.qemu;
  for (const section of findSevMetadata(svsm)?.sections ?? []) {
    appendSteps(steps, sevSectionSteps(section, loader.sections[section.type], undefined, 'svsm.bin'));
  }
  // §4.2: RIP is the full 32-bit entry address (not a real-mode CS:IP split).
  const entry = svsmBase + infoOffset;
  const vmsa = svsmVmsa(entry, options.vcpuSignature, options.fpu ?? 'legacy');
  const count = options.measuredVmsas === 'bsp' ? 1 : options.vcpus;
  for (let i = 0; i < count; i++) {
    steps.push({ kind: 'vmsa', gpa: KVM_VMSA_GPA, bytes: vmsa, source: { file: 'SVSM VMSA', reason: `SVSM VMSA vCPU ${i} (entry ${hexNumber(entry)})` } });
  }
  return steps;
}

/** The SNP launch digest (48 bytes) of COCONUT SVSM + OVMF; throws as {@link svsmSnpSteps}. */
export function svsmSnpLaunchDigest(
  code: Uint8Array,
  svsm: Uint8Array,
  options: SvsmSnpOptions,
  hash: HashBackend = defaultHashBackend,
): Uint8Array {
  return foldSnpSteps(svsmSnpSteps(code, svsm, options), hash);
}
