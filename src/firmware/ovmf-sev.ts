/**
 * OVMF → SEV and SEV-ES launch digests (spec/firmware-input.md §6.2 item 5). Unlike SNP's
 * PAGE_INFO chain, the SEV and SEV-ES launch measurement is one running SHA-256 over the bytes
 * the host encrypts with LAUNCH_UPDATE_DATA / LAUNCH_UPDATE_VMSA, in order:
 *
 * 1. the whole firmware image (the flash, as QEMU hands it over);
 * 2. if a kernel is booted directly, the 176-byte padded kernel-hashes table (§2.3: "SEV/SEV-ES
 *    use the same padded table appended to the SHA-256 launch hash");
 * 3. SEV-ES only: one full 4 KiB reset-state VMSA per vCPU, BSP first, then the APs, which start
 *    at the footer's SEV-ES reset address (§3.1, §3.2 "Per-vCPU order").
 *
 * The chunks ({@link ovmfSevChunks}, {@link ovmfSevEsChunks}) are measure's `SevChunk`s; its
 * `foldSevChunks` hashes them into the digest, the final SHA-256 (32 bytes).
 */
import { foldSevChunks } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { SevChunk } from '../measure/launch-steps.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { apResetEipFor, checkFirmwareImageLength } from './footer.js';
import { sevHashTable, sevHashTableGpa, type SevKernelHashes } from './kernel-hashes.js';
import { VMM_VMSA_PROFILES, resetStateVmsa, type FpuInit, type VmmVmsaProfileName } from './vmsa-qemu.js';

/** Options of an OVMF SEV launch (§6.3 host parameters that apply to SEV). */
export interface OvmfSevOptions {
  /** The §2.3 hashes of the directly booted kernel, initrd and command line; absent: no kernel. */
  readonly kernelHashes?: SevKernelHashes;
}

/** Options of an OVMF SEV-ES launch: those of SEV plus the VMSA inputs (§3, §6.3). */
export interface OvmfSevEsOptions extends OvmfSevOptions {
  /** Number of vCPUs, one VMSA each (§3.2 "Per-vCPU order"); a positive integer. */
  readonly vcpus: number;
  /** CPUID(1).EAX of the vCPU model, e.g. EPYC-v4 0x800F12 (§3.2; QEMU puts it in RDX). */
  readonly vcpuSignature: number;
  /**
   * FPU-init style (§3.2). Default `init2` (MXCSR 0x1F80, x87 FCW 0x037F): it is the one that
   * reproduces virtee/sev's and sev-snp-measure's SEV-ES vectors (test/firmware/ovmf-sev.test.ts);
   * `legacy` (zeros) gives different digests.
   */
  readonly fpu?: FpuInit;
  /** The VMSA profile (§3.1 column); default `qemu`, the only VMM the SEV-ES vectors cover. */
  readonly vmm?: VmmVmsaProfileName;
}

/**
 * SEV-ES guests get SEV_FEATURES 0: the feature word is an SNP-era VMSA field, and virtee/sev's
 * `seves_calc_launch_digest` builds its VMSA with `GuestFeatures(0)` (task brief; firmware-input.md
 * §3.2 lists the SNP values only).
 */
const SEV_ES_SEV_FEATURES = 0n;

/** The FPU style that reproduces the published SEV-ES vectors under QEMU (see {@link OvmfSevEsOptions.fpu}). */
export const SEV_ES_DEFAULT_FPU: FpuInit = 'init2';

/**
 * The SEV launch-measurement input (§6.2 item 5): the image, then the padded kernel-hashes table
 * if kernel hashes are given.
 * @throws FirmwareError `NotMultipleOf4K` for a bad image length (§6.3); a footer-table error
 *   when a kernel is given and the table cannot be read; `NoKernelHashesSection` when a kernel is
 *   given to an image without a (non-zero) SEV hash-table entry.
 */
export function ovmfSevChunks(image: Uint8Array, options: OvmfSevOptions = {}): SevChunk[] {
  // The flash is mapped as whole pages (§2.2 step 1); §6.3 asks that other lengths be rejected.
  checkFirmwareImageLength(image);
  const chunks: SevChunk[] = [{ what: `OVMF image (${hexNumber(image.length)} bytes)`, bytes: image }];
  if (options.kernelHashes !== undefined) {
    const gpa = sevHashTableGpa(image);
    chunks.push({ what: `kernel-hashes table (OVMF puts it at ${hexNumber(gpa)})`, bytes: sevHashTable(options.kernelHashes) });
  }
  return chunks;
}

/**
 * The SEV-ES launch-measurement input (§6.2 item 5): the SEV chunks, then one 4096-byte VMSA per
 * vCPU — vCPU 0 with the BSP VMSA (reset vector 0xFFFFFFF0), the others with the AP VMSA, which
 * starts at the footer's SEV-ES reset address (§3.1).
 * @throws as {@link ovmfSevChunks}; `InvalidHostParameter` for a bad vCPU count, signature or FPU
 *   style; `NoApResetAddress` when `vcpus > 1` and the image has no (or a zero) SEV-ES reset
 *   address (§6.3 "vCPUs > 1 with a zero AP EIP").
 */
export function ovmfSevEsChunks(image: Uint8Array, options: OvmfSevEsOptions): SevChunk[] {
  if (!Number.isSafeInteger(options.vcpus) || options.vcpus < 1) {
    throw new FirmwareError('InvalidHostParameter', `vCPU count ${options.vcpus} is not a positive integer`);
  }
  const profile = VMM_VMSA_PROFILES[options.vmm ?? 'qemu'];
  if (profile === undefined) {
    throw new FirmwareError('InvalidHostParameter', `unknown VMM profile ${JSON.stringify(options.vmm)}; known: ${Object.keys(VMM_VMSA_PROFILES).join(', ')}`);
  }
  const chunks = ovmfSevChunks(image, options);

  const apResetEip = apResetEipFor(image, options.vcpus);

  const common = {
    vcpuSignature: options.vcpuSignature,
    sevFeatures: SEV_ES_SEV_FEATURES,
    fpu: options.fpu ?? SEV_ES_DEFAULT_FPU,
  };
  chunks.push({ what: 'VMSA vCPU 0 (BSP)', bytes: resetStateVmsa(profile, { ...common, bsp: true }) });
  if (apResetEip !== undefined) {
    const ap = resetStateVmsa(profile, { ...common, bsp: false, apResetEip });
    for (let i = 1; i < options.vcpus; i++) {
      chunks.push({ what: `VMSA vCPU ${i} (AP, reset ${hexNumber(apResetEip)})`, bytes: ap });
    }
  }
  return chunks;
}

/**
 * The SEV launch digest of an OVMF image: SHA-256(image ‖ padded kernel-hashes table if a kernel
 * is given) (§6.2 item 5). Throws as {@link ovmfSevChunks}.
 */
export function ovmfSevLaunchDigest(image: Uint8Array, options: OvmfSevOptions = {}, hash: HashBackend = defaultHashBackend): Uint8Array {
  return foldSevChunks(ovmfSevChunks(image, options), hash);
}

/**
 * The SEV-ES launch digest of an OVMF image: the SEV input followed by every vCPU's full 4 KiB
 * VMSA (§6.2 item 5). Throws as {@link ovmfSevEsChunks}.
 */
export function ovmfSevEsLaunchDigest(image: Uint8Array, options: OvmfSevEsOptions, hash: HashBackend = defaultHashBackend): Uint8Array {
  return foldSevChunks(ovmfSevEsChunks(image, options), hash);
}
