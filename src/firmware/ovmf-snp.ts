/**
 * OVMF → SEV-SNP launch steps for QEMU/KVM (spec/firmware-input.md §2, §3): the PAGE_INFO
 * steps a QEMU launch of a plain OVMF image performs, in order, and the launch digest they fold
 * to (spec/snp.md §1, worked example §1.7).
 *
 * Order (§2.2): (1) the whole image as NORMAL pages ending at 4 GiB; (2) the SEV metadata
 * sections in table order, each lowered to page steps by the loader table below; (5) one VMSA
 * per vCPU at the KVM VMSA GPA, BSP first. Kernel hashes (§2.3) are not handled: the
 * SNP_KERNEL_HASHES section is lowered as ZERO pages, which is what QEMU does when no kernel is
 * given, so step 4 of §2.2 ("kernel but no KERNEL_HASHES section") cannot arise here.
 */
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { TraceSink } from '../measure/steps.js';
import { SnpLaunchDigest, type SnpPageTypeName } from '../measure/snp.js';
import { FirmwareError, hex } from './errors.js';
import { FIRMWARE_PAGE_SIZE, checkFirmwareImageLength, findFooterTable, sevEsResetBlock } from './footer.js';
import { findSevMetadata, type SevMetadataSection, type SevSectionType } from './sev-metadata.js';
import { VMM_VMSA_PROFILES, resetStateVmsa, type FpuInit, type VmmVmsaProfile } from './vmsa-qemu.js';
import { KVM_VMSA_GPA } from '../measure/walker.js';

/** How a loader lowers one SEV metadata section type (§2.2 step 2 table). */
export type SectionLowering =
  /** Every 4 KiB page of [gpa, gpa + size) as this page type. */
  | { readonly kind: 'pages'; readonly pageType: SnpPageTypeName }
  /** One page of this type at the section's GPA, whatever its size. */
  | { readonly kind: 'one-page'; readonly pageType: SnpPageTypeName };

/** What one VMM does with an OVMF image for SNP (§2.2 table column, §3.2 VMSA GPA). */
export interface OvmfSnpLoader {
  /** Loader name. */
  readonly name: string;
  /** Section type → page steps. SNP_KERNEL_HASHES here is the no-kernel case (§2.3). */
  readonly sections: Readonly<Record<SevSectionType, SectionLowering>>;
  /** The VMSA page GPA used when the caller gives none (§3.2 "VMSA GPA"). */
  readonly vmsaGpa: bigint;
  /** The reset-state VMSA profile (§3.1 column). */
  readonly vmsa: VmmVmsaProfile;
}

/**
 * Loader data per VMM. QEMU/KVM (§2.2 "QEMU" column): SEC_MEM and SVSM_CAA as ZERO pages, one
 * SECRETS page and one CPUID page at the section GPA, the kernel-hashes page as ZERO pages when
 * no kernel is given (§2.3), and VMSAs at KVM's `INITIAL_VMSA_GPA` 0xFFFFFFFFF000 (§3.2).
 * EC2 (CPUID deferred) and GCE (UNMEASURED SEC_MEM) would be further entries.
 */
export const OVMF_SNP_LOADERS = {
  qemu: {
    name: 'qemu',
    sections: {
      SNP_SEC_MEM: { kind: 'pages', pageType: 'ZERO' },
      SNP_SECRETS: { kind: 'one-page', pageType: 'SECRETS' },
      CPUID: { kind: 'one-page', pageType: 'CPUID' },
      SVSM_CAA: { kind: 'pages', pageType: 'ZERO' },
      SNP_KERNEL_HASHES: { kind: 'pages', pageType: 'ZERO' },
    },
    vmsaGpa: KVM_VMSA_GPA,
    vmsa: VMM_VMSA_PROFILES.qemu,
  },
} as const satisfies Record<string, OvmfSnpLoader>;

/** KVM's `INITIAL_VMSA_GPA` (§3.2, snp.md §1.5). */

/** Host parameters of an OVMF SNP launch under QEMU/KVM (§6.3). */
export interface OvmfSnpOptions {
  /** Number of vCPUs (one VMSA each, §3.2 "Per-vCPU order"); a positive integer. */
  readonly vcpus: number;
  /** CPUID(1).EAX of the `-cpu` model, e.g. EPYC-v4 0x800F12 (§3.2; see `qemuVcpuSignature`). */
  readonly vcpuSignature: number;
  /** SEV_FEATURES (§3.2): 0x1, or 0x21 on hosts 6.6–6.7. */
  readonly sevFeatures: bigint;
  /** FPU-init style (§3.2); default `init2`. */
  readonly fpu?: FpuInit;
  /** VMSA page GPA (§3.2); default 0xFFFFFFFFF000. */
  readonly vmsaGpa?: bigint;
}

/** One SNP_LAUNCH_UPDATE (or LAUNCH_FINISH VMSA) step. */
export interface OvmfSnpStep {
  /** PAGE_INFO page type (snp.md §1.3). */
  readonly type: SnpPageTypeName;
  /** Guest-physical address of the page. */
  readonly gpa: bigint;
  /** The 4096-byte page for NORMAL (a view into the image) and VMSA steps; absent otherwise. */
  readonly contents?: Uint8Array;
  /** Why the step exists, e.g. `OVMF page 3`, `SEV metadata #2 SNP_SECRETS`, `VMSA vCPU 0 (BSP)`. */
  readonly source: string;
}

const FOUR_GIB = 0x1_0000_0000n;

function checkOptions(options: OvmfSnpOptions): void {
  if (!Number.isSafeInteger(options.vcpus) || options.vcpus < 1) {
    throw new FirmwareError('InvalidHostParameter', `vCPU count ${options.vcpus} is not a positive integer`);
  }
  const gpa = options.vmsaGpa;
  if (gpa !== undefined && (typeof gpa !== 'bigint' || gpa < 0n || gpa > 0xffff_ffff_ffff_ffffn || gpa % 4096n !== 0n)) {
    throw new FirmwareError('InvalidHostParameter', `VMSA GPA ${String(gpa)} is not a page-aligned u64 bigint`);
  }
}

/**
 * The page steps of one SEV metadata section under a loader's lowering (§2.2 step 2 table).
 * @throws FirmwareError `MisalignedSection` for a section not on 4 KiB boundaries.
 */
export function sevSectionSteps(section: SevMetadataSection, lowering: SectionLowering): OvmfSnpStep[] {
  const why = `SEV metadata #${section.index} ${section.type}`;
  // Page-granular launch updates (snp.md §1.4): a section off a page boundary has no meaning.
  if (section.gpa % FIRMWARE_PAGE_SIZE !== 0 || section.size % FIRMWARE_PAGE_SIZE !== 0) {
    throw new FirmwareError(
      'MisalignedSection',
      `${why} (${hex(section.gpa)}+${hex(section.size)}) is not 4 KiB aligned`,
      section.offset,
    );
  }
  const base = BigInt(section.gpa);
  if (lowering.kind === 'one-page') return [{ type: lowering.pageType, gpa: base, source: why }];
  const out: OvmfSnpStep[] = [];
  for (let off = 0; off < section.size; off += FIRMWARE_PAGE_SIZE) {
    out.push({ type: lowering.pageType, gpa: base + BigInt(off), source: why });
  }
  return out;
}

/** A flash image as ascending NORMAL pages from `base` (§2.2 step 1, §4.1 steps 1–2). */
export function flashPageSteps(image: Uint8Array, base: bigint, what: string): OvmfSnpStep[] {
  const out: OvmfSnpStep[] = [];
  for (let off = 0; off < image.length; off += FIRMWARE_PAGE_SIZE) {
    out.push({
      type: 'NORMAL',
      gpa: base + BigInt(off),
      contents: image.subarray(off, off + FIRMWARE_PAGE_SIZE),
      source: `${what} page ${off / FIRMWARE_PAGE_SIZE} (image offset ${hex(off)})`,
    });
  }
  return out;
}

/**
 * The ordered SNP launch steps of an OVMF image under QEMU/KVM (firmware-input.md §2.2, §3):
 * the image as NORMAL pages from `4 GiB − length`, the SEV metadata sections in table order (an
 * image without SEV metadata adds none, as sev-snp-measure, §1.1 step 1), then `vcpus` VMSA
 * pages at the VMSA GPA: vCPU 0 with the BSP VMSA, the others with the AP VMSA whose start is
 * the footer's SEV-ES reset address.
 *
 * For `ovmf_AmdSev_suffix.bin`, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21 these are the 33 steps of
 * snp.md §1.7.
 *
 * @throws FirmwareError for an unreadable image (length, footer table, SEV metadata; §1).
 * @throws FirmwareError `MisalignedSection` for a section not on 4 KiB boundaries.
 * @throws FirmwareError for bad options, or `NoApResetAddress` when `vcpus > 1` and the
 *   image has no (or a zero) SEV-ES reset address (§6.3 "vCPUs > 1 with a zero AP EIP").
 */
export function ovmfSnpSteps(image: Uint8Array, options: OvmfSnpOptions): OvmfSnpStep[] {
  checkOptions(options);
  checkFirmwareImageLength(image);
  const loader = OVMF_SNP_LOADERS.qemu;
  const size = BigInt(image.length);
  if (size > FOUR_GIB) {
    throw new FirmwareError('ImageTooLarge', `a ${hex(size)}-byte image cannot end at 4 GiB`);
  }
  const steps: OvmfSnpStep[] = [];

  // §2.2 step 1: the flash image, ascending, ending at 4 GiB.
  steps.push(...flashPageSteps(image, FOUR_GIB - size, 'OVMF'));

  // §2.2 step 2: the metadata sections in table order.
  const meta = findSevMetadata(image);
  for (const section of meta?.sections ?? []) {
    steps.push(...sevSectionSteps(section, loader.sections[section.type]));
  }

  // §2.2 step 5 / §3.2 "Per-vCPU order": BSP first, then identical AP VMSAs.
  let apResetEip: number | undefined;
  if (options.vcpus > 1) {
    const table = findFooterTable(image);
    const block = table === null ? undefined : sevEsResetBlock(table);
    if (block === undefined || block.apResetEip === 0) {
      throw new FirmwareError(
        'NoApResetAddress',
        `${options.vcpus} vCPUs need the APs' start address, but the image has ${block === undefined ? 'no SEV-ES reset block' : 'a zero SEV-ES reset address'}`,
      );
    }
    apResetEip = block.apResetEip;
  }
  const vmsaGpa = options.vmsaGpa ?? loader.vmsaGpa;
  const common = { vcpuSignature: options.vcpuSignature, sevFeatures: options.sevFeatures, fpu: options.fpu };
  const bspVmsa = resetStateVmsa(loader.vmsa, { ...common, bsp: true });
  steps.push({ type: 'VMSA', gpa: vmsaGpa, contents: bspVmsa, source: 'VMSA vCPU 0 (BSP)' });
  if (apResetEip !== undefined) {
    const apVmsa = resetStateVmsa(loader.vmsa, { ...common, bsp: false, apResetEip });
    for (let i = 1; i < options.vcpus; i++) {
      steps.push({ type: 'VMSA', gpa: vmsaGpa, contents: apVmsa, source: `VMSA vCPU ${i} (AP, reset ${hex(apResetEip)})` });
    }
  }
  return steps;
}

/**
 * Folds OVMF SNP steps into a launch digest (snp.md §1.1): NORMAL and VMSA steps contribute
 * the SHA-384 of their page, the others 48 zero bytes. `trace` sees every PAGE_INFO step, as
 * for IGVM files.
 */
export function foldSnpSteps(steps: Iterable<OvmfSnpStep>, hash: HashBackend = defaultHashBackend, trace?: TraceSink): Uint8Array {
  const ld = new SnpLaunchDigest(hash, trace === undefined ? {} : { trace });
  for (const s of steps) {
    const measured = s.type === 'NORMAL' || s.type === 'VMSA';
    const contents = measured ? hash.sha384(s.contents ?? new Uint8Array(FIRMWARE_PAGE_SIZE)) : null;
    ld.pageInfo(s.type, s.gpa, contents, { reason: s.source });
  }
  return ld.launchDigest;
}

/**
 * The SNP launch digest (48 bytes) of an OVMF image launched by QEMU/KVM: `ovmfSnpSteps`
 * folded with `SnpLaunchDigest`. For the snp.md §1.7 example it is `e1e1ca02…0e2b`.
 * Throws as {@link ovmfSnpSteps}.
 */
export function ovmfSnpLaunchDigest(image: Uint8Array, options: OvmfSnpOptions, hash: HashBackend = defaultHashBackend): Uint8Array {
  return foldSnpSteps(ovmfSnpSteps(image, options), hash);
}
