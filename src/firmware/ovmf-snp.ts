/**
 * OVMF → SEV-SNP launch steps (spec/firmware-input.md §2, §3): the PAGE_INFO steps a host's
 * launch of a plain OVMF image performs, in order, and the launch digest they fold to
 * (spec/snp.md §1, worked example §1.7), for QEMU/KVM, EC2, GCE and krun.
 *
 * Order (§2.2): (1) the whole image as NORMAL pages ending at 4 GiB; (2) the SEV metadata
 * sections in table order, each lowered to page steps by the loader table below; (3) EC2 only:
 * the CPUID pages; (4) kernel hashes given but no SNP_KERNEL_HASHES section is an error; (5) one
 * VMSA per vCPU at the loader's VMSA GPA, BSP first. Steps are the neutral launch steps of
 * src/measure/launch-steps.ts, so the same SNP model folds them as IGVM directives.
 */
import { foldSnpSteps } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { SnpPageStep, SnpStep, StepSource } from '../measure/launch-steps.js';
import type { SnpPageTypeName } from '../measure/snp.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE, apResetEipFor, checkFirmwareImageLength } from './footer.js';
import { sevHashTableGpa, sevHashTablePage, type SevKernelHashes } from './kernel-hashes.js';
import { findSevMetadata, type SevMetadataSection, type SevSectionType } from './sev-metadata.js';
import { VMM_VMSA_PROFILES, resetStateVmsa, type FpuInit, type VmmVmsaProfile } from './vmsa-qemu.js';
import { KVM_VMSA_GPA } from '../measure/profiles.js';

type PageType = Exclude<SnpPageTypeName, 'VMSA'>;

/** How a loader lowers one SEV metadata section type (§2.2 step 2 table). */
export type SectionLowering =
  /** Every 4 KiB page of [gpa, gpa + size) as this page type. */
  | { readonly kind: 'pages'; readonly pageType: PageType }
  /** One page of this type at the section's GPA, whatever its size. */
  | { readonly kind: 'one-page'; readonly pageType: PageType }
  /** One page of this type at the section's GPA, emitted after all sections (EC2 CPUID, §2.2 step 3). */
  | { readonly kind: 'deferred'; readonly pageType: PageType }
  /** §2.3: the hash-table page as NORMAL when kernel hashes are given, else ZERO pages. */
  | { readonly kind: 'kernel-hashes' }
  /** The loader refuses the section (GCE and SNP_KERNEL_HASHES). */
  | { readonly kind: 'reject'; readonly why: string };

/** What one VMM does with an OVMF image for SNP (§2.2 table column, §3.2 VMSA GPA). */
export interface OvmfSnpLoader {
  /** Loader name. */
  readonly name: string;
  /** Section type → page steps. */
  readonly sections: Readonly<Record<SevSectionType, SectionLowering>>;
  /** The VMSA page GPA used when the caller gives none (§3.2 "VMSA GPA"). */
  readonly vmsaGpa: bigint;
  /** The reset-state VMSA profile (§3.1 column). */
  readonly vmsa: VmmVmsaProfile;
  /** Section rules that replace `sections` with the `strict` option (where two tools disagree). */
  readonly strictSections?: Readonly<Partial<Record<SevSectionType, SectionLowering>>>;
}

const QEMU_SECTIONS = {
  SNP_SEC_MEM: { kind: 'pages', pageType: 'ZERO' },
  SNP_SECRETS: { kind: 'one-page', pageType: 'SECRETS' },
  CPUID: { kind: 'one-page', pageType: 'CPUID' },
  SVSM_CAA: { kind: 'pages', pageType: 'ZERO' },
  SNP_KERNEL_HASHES: { kind: 'kernel-hashes' },
} as const satisfies Record<SevSectionType, SectionLowering>;

const EC2_SECTIONS = { ...QEMU_SECTIONS, CPUID: { kind: 'deferred', pageType: 'CPUID' } } as const satisfies Record<SevSectionType, SectionLowering>;

/**
 * Loader data per VMM (§2.2 table columns, §3.2 VMSA GPA):
 * - `qemu` (QEMU/KVM): SEC_MEM and SVSM_CAA as ZERO pages, one SECRETS and one CPUID page at the
 *   section GPA, the kernel-hashes section per §2.3, VMSAs at KVM's `INITIAL_VMSA_GPA`.
 * - `ec2`, `ec2-v1`: as QEMU, but the CPUID page after all other sections (§2.2 step 3); the two
 *   differ only in the VMSA's RDX (vmsa-qemu.ts).
 * - `gce`: SEC_MEM as UNMEASURED pages; VMSAs at 0xFFFFFFFFF000 (Milan, 48-bit) unless the caller
 *   passes Genoa's 52-bit 0xFFFFFFFFFF000 as `vmsaGpa` (§3.2). The kernel-hashes section is
 *   lowered as under QEMU, as sev-snp-measure does (its GCE vectors reproduce only that way);
 *   gce-tcb-verifier instead rejects section type 0x10 (§2.2 table), which the `strict` option
 *   follows.
 * - `krun` (virtee/sev): QEMU's sections (virtee/sev has no EC2 CPUID rule) with the KRUN VMSA.
 */
export const OVMF_SNP_LOADERS = {
  qemu: { name: 'qemu', sections: QEMU_SECTIONS, vmsaGpa: KVM_VMSA_GPA, vmsa: VMM_VMSA_PROFILES.qemu },
  ec2: { name: 'ec2', sections: EC2_SECTIONS, vmsaGpa: KVM_VMSA_GPA, vmsa: VMM_VMSA_PROFILES.ec2 },
  'ec2-v1': { name: 'ec2-v1', sections: EC2_SECTIONS, vmsaGpa: KVM_VMSA_GPA, vmsa: VMM_VMSA_PROFILES['ec2-v1'] },
  gce: {
    name: 'gce',
    sections: {
      ...QEMU_SECTIONS,
      SNP_SEC_MEM: { kind: 'pages', pageType: 'UNMEASURED' },
    },
    vmsaGpa: KVM_VMSA_GPA,
    vmsa: VMM_VMSA_PROFILES.gce,
    strictSections: { SNP_KERNEL_HASHES: { kind: 'reject', why: 'gce-tcb-verifier does not accept an SNP_KERNEL_HASHES section (strict)' } },
  },
  krun: { name: 'krun', sections: QEMU_SECTIONS, vmsaGpa: KVM_VMSA_GPA, vmsa: VMM_VMSA_PROFILES.krun },
} as const satisfies Record<string, OvmfSnpLoader>;

/** A loader name of {@link OVMF_SNP_LOADERS}. */
export type OvmfSnpLoaderName = keyof typeof OVMF_SNP_LOADERS;

/** GCE's VMSA GPA on Genoa and later (52-bit physical addresses, §3.2 "VMSA GPA"). */
export const GCE_GENOA_VMSA_GPA = 0xf_ffff_ffff_f000n;

/** Host parameters of an OVMF SNP launch (§6.3). */
export interface OvmfSnpOptions {
  /** Number of vCPUs (one VMSA each, §3.2 "Per-vCPU order"); a positive integer. */
  readonly vcpus: number;
  /** CPUID(1).EAX of the `-cpu` model, e.g. EPYC-v4 0x800F12 (§3.2; see `qemuVcpuSignature`). Only QEMU's VMSA uses it. */
  readonly vcpuSignature: number;
  /** SEV_FEATURES (§3.2): 0x1, or 0x21 on hosts 6.6–6.7. */
  readonly sevFeatures: bigint;
  /** The VMM (default `qemu`). */
  readonly vmm?: OvmfSnpLoaderName;
  /** FPU-init style (§3.2); default: the VMM's (`init2` for QEMU, `legacy` for the others). */
  readonly fpu?: FpuInit;
  /** VMSA page GPA (§3.2); default: the VMM's (0xFFFFFFFFF000). */
  readonly vmsaGpa?: bigint;
  /** Kernel hashes (§2.3), when the host boots a kernel directly with `kernel-hashes=on`. */
  readonly kernelHashes?: SevKernelHashes;
  /** Label of the image in step sources (default `OVMF`). */
  readonly file?: string;
  /** Apply the loader's `strictSections` (GCE: refuse SNP_KERNEL_HASHES like gce-tcb-verifier). */
  readonly strict?: boolean;
}

const FOUR_GIB = 0x1_0000_0000n;

function checkOptions(options: OvmfSnpOptions): OvmfSnpLoader {
  if (!Number.isSafeInteger(options.vcpus) || options.vcpus < 1) {
    throw new FirmwareError('InvalidHostParameter', `vCPU count ${options.vcpus} is not a positive integer`);
  }
  const gpa = options.vmsaGpa;
  if (gpa !== undefined && (typeof gpa !== 'bigint' || gpa < 0n || gpa > 0xffff_ffff_ffff_ffffn || gpa % 4096n !== 0n)) {
    throw new FirmwareError('InvalidHostParameter', `VMSA GPA ${String(gpa)} is not a page-aligned u64 bigint`);
  }
  const name = options.vmm ?? 'qemu';
  if (!Object.hasOwn(OVMF_SNP_LOADERS, name)) {
    throw new FirmwareError('InvalidHostParameter', `unknown VMM ${JSON.stringify(name)}; known: ${Object.keys(OVMF_SNP_LOADERS).join(', ')}`);
  }
  return OVMF_SNP_LOADERS[name];
}

/**
 * The page steps of one SEV metadata section under a loader's lowering (§2.2 step 2 table).
 * `kernelPage` is the §2.3 hash-table page when kernel hashes are in use. Deferred sections
 * (EC2 CPUID) yield nothing here; {@link deferredSectionSteps} emits them later.
 * @throws FirmwareError `MisalignedSection` for a section not on 4 KiB boundaries,
 *   `UnsupportedSection` for a section the loader refuses, `NoKernelHashesSection` for a
 *   kernel-hashes section that is not exactly one page while kernel hashes are in use.
 */
export function sevSectionSteps(
  section: SevMetadataSection,
  lowering: SectionLowering,
  kernelPage?: Uint8Array,
  file = 'OVMF',
): SnpPageStep[] {
  const source: StepSource = { file, fileOffset: section.offset, reason: `SEV metadata #${section.index} ${section.type}` };
  const why = source.reason;
  // Page-granular launch updates (snp.md §1.4): a section off a page boundary has no meaning.
  if (section.gpa % FIRMWARE_PAGE_SIZE !== 0 || section.size % FIRMWARE_PAGE_SIZE !== 0) {
    throw new FirmwareError('MisalignedSection', `${why} (${hexNumber(section.gpa)}+${hexNumber(section.size)}) is not 4 KiB aligned`, section.offset);
  }
  const base = BigInt(section.gpa);
  const pages = (pageType: PageType): SnpPageStep[] => {
    const out: SnpPageStep[] = [];
    for (let off = 0; off < section.size; off += FIRMWARE_PAGE_SIZE) out.push({ kind: 'page', type: pageType, gpa: base + BigInt(off), source });
    return out;
  };
  switch (lowering.kind) {
    case 'pages':
      return pages(lowering.pageType);
    case 'one-page':
      return [{ kind: 'page', type: lowering.pageType, gpa: base, source }];
    case 'deferred':
      return [];
    case 'reject':
      throw new FirmwareError('UnsupportedSection', `${why}: ${lowering.why}`, section.offset);
    case 'kernel-hashes':
      if (kernelPage === undefined) return pages('ZERO'); // §2.3: no kernel (or kernel-hashes off) → ZERO pages
      if (section.size !== FIRMWARE_PAGE_SIZE) {
        throw new FirmwareError('NoKernelHashesSection', `${why} is ${hexNumber(section.size)} bytes; the kernel-hashes page must be exactly one page (§2.3)`, section.offset);
      }
      return [{ kind: 'page', type: 'NORMAL', gpa: base, bytes: kernelPage, source: { ...source, reason: `${why} (kernel hashes)` } }];
  }
}

/** The deferred sections' pages (EC2 CPUID, §2.2 step 3), in table order. */
export function deferredSectionSteps(sections: readonly SevMetadataSection[], loader: OvmfSnpLoader, file = 'OVMF'): SnpPageStep[] {
  const out: SnpPageStep[] = [];
  for (const section of sections) {
    const lowering = loader.sections[section.type];
    if (lowering.kind !== 'deferred') continue;
    const reason = `SEV metadata #${section.index} ${section.type} (after all sections)`;
    out.push({ kind: 'page', type: lowering.pageType, gpa: BigInt(section.gpa), source: { file, fileOffset: section.offset, reason } });
  }
  return out;
}

/**
 * Appends `more` to `steps` one by one: `push(...more)` passes every element as an argument and
 * overflows the stack for a few hundred thousand pages (a large flash or metadata section).
 */
export function appendSteps<T>(steps: T[], more: readonly T[]): void {
  for (const s of more) steps.push(s);
}

/** A flash image as ascending NORMAL pages from `base` (§2.2 step 1, §4.1 steps 1–2). */
export function flashPageSteps(image: Uint8Array, base: bigint, file: string): SnpPageStep[] {
  const out: SnpPageStep[] = [];
  for (let off = 0; off < image.length; off += FIRMWARE_PAGE_SIZE) {
    out.push({
      kind: 'page',
      type: 'NORMAL',
      gpa: base + BigInt(off),
      bytes: image.subarray(off, off + FIRMWARE_PAGE_SIZE),
      source: { file, fileOffset: off, reason: `${file} page ${off / FIRMWARE_PAGE_SIZE}` },
    });
  }
  return out;
}

/**
 * The §2.3 kernel-hashes page of an image, or undefined without kernel hashes.
 * @throws FirmwareError `NoKernelHashesSection` when the footer has no (or a zero) SEV hash-table GPA.
 */
function kernelHashesPage(image: Uint8Array, hashes: SevKernelHashes | undefined): Uint8Array | undefined {
  return hashes === undefined ? undefined : sevHashTablePage(hashes, sevHashTableGpa(image));
}

/**
 * The ordered SNP launch steps of an OVMF image (firmware-input.md §2.2, §3): the image as
 * NORMAL pages from `4 GiB − length`, the SEV metadata sections in table order (an image without
 * SEV metadata adds none, as sev-snp-measure, §1.1 step 1), EC2's deferred CPUID pages, then
 * `vcpus` VMSA pages at the VMSA GPA: vCPU 0 with the BSP VMSA, the others with the AP VMSA
 * whose start is the footer's SEV-ES reset address.
 *
 * For `ovmf_AmdSev_suffix.bin`, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21 under QEMU these are the 33
 * steps of snp.md §1.7.
 *
 * @throws FirmwareError for an unreadable image (length, footer table, SEV metadata; §1).
 * @throws FirmwareError `MisalignedSection`, `UnsupportedSection` or `NoKernelHashesSection`
 *   for sections the loader cannot lower (§2.2 steps 2 and 4, §2.3).
 * @throws FirmwareError for bad options, or `NoApResetAddress` when `vcpus > 1` and the
 *   image has no (or a zero) SEV-ES reset address (§6.3 "vCPUs > 1 with a zero AP EIP").
 */
export function ovmfSnpSteps(image: Uint8Array, options: OvmfSnpOptions): SnpStep[] {
  const loader = checkOptions(options);
  checkFirmwareImageLength(image);
  const file = options.file ?? 'OVMF';
  const size = BigInt(image.length);
  if (size > FOUR_GIB) {
    throw new FirmwareError('ImageTooLarge', `a ${hexNumber(size)}-byte image cannot end at 4 GiB`);
  }
  const steps: SnpStep[] = [];

  // §2.2 step 1: the flash image, ascending, ending at 4 GiB.
  appendSteps(steps, flashPageSteps(image, FOUR_GIB - size, file));

  // §2.2 steps 2–4: the metadata sections in table order, EC2's CPUID pages, the kernel check.
  const sections = findSevMetadata(image)?.sections ?? [];
  // §2.2 step 4 (checked first, so that an OvmfX64 build is told the reason that matters).
  if (options.kernelHashes !== undefined && !sections.some((s) => s.type === 'SNP_KERNEL_HASHES')) {
    throw new FirmwareError('NoKernelHashesSection', "kernel hashes were given but the image's SEV metadata has no SNP_KERNEL_HASHES section (§2.2 step 4)");
  }
  const kernelPage = kernelHashesPage(image, options.kernelHashes);
  const rules = options.strict === true ? { ...loader.sections, ...loader.strictSections } : loader.sections;
  for (const section of sections) appendSteps(steps, sevSectionSteps(section, rules[section.type], kernelPage, file));
  appendSteps(steps, deferredSectionSteps(sections, loader, file));

  // §2.2 step 5 / §3.2 "Per-vCPU order": BSP first, then identical AP VMSAs.
  const apResetEip = apResetEipFor(image, options.vcpus);
  const vmsaGpa = options.vmsaGpa ?? loader.vmsaGpa;
  const common = { vcpuSignature: options.vcpuSignature, sevFeatures: options.sevFeatures, fpu: options.fpu };
  const bspVmsa = resetStateVmsa(loader.vmsa, { ...common, bsp: true });
  steps.push({ kind: 'vmsa', gpa: vmsaGpa, bytes: bspVmsa, source: { file: `${loader.name} VMSA`, reason: 'VMSA vCPU 0 (BSP)' } });
  if (apResetEip !== undefined) {
    const apVmsa = resetStateVmsa(loader.vmsa, { ...common, bsp: false, apResetEip });
    for (let i = 1; i < options.vcpus; i++) {
      steps.push({ kind: 'vmsa', gpa: vmsaGpa, bytes: apVmsa, source: { file: `${loader.name} VMSA`, reason: `VMSA vCPU ${i} (AP, reset ${hexNumber(apResetEip)})` } });
    }
  }
  return steps;
}

/**
 * The SNP launch digest (48 bytes) of an OVMF image: `ovmfSnpSteps` folded with
 * `SnpLaunchDigest` (measure's `foldSnpSteps`). For the snp.md §1.7 example it is `e1e1ca02…0e2b`.
 * Throws as {@link ovmfSnpSteps}.
 */
export function ovmfSnpLaunchDigest(image: Uint8Array, options: OvmfSnpOptions, hash: HashBackend = defaultHashBackend): Uint8Array {
  return foldSnpSteps(ovmfSnpSteps(image, options), hash);
}
