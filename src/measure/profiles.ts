/**
 * Loader profiles: how a real host turns a file's directives into measured operations. They
 * are data, in one place (DESIGN.md "Shape"), so that the walker and the models hold
 * no host-specific conditionals. Sources: spec/snp.md §2.2 (igvm crate), §2.3 (COCONUT
 * igvmmeasure), §2.5 (QEMU/KVM), and the §2.6 checklist; tdx.md §2.1; vbs-cca-corim.md §1.2.
 */
import type { PlatformTypeName } from '../format/index.js';

/**
 * QEMU/KVM measures every VMSA at this GPA, whatever the file or image says (spec/snp.md §1.5,
 * §2.5; spec/firmware-input.md §3.2 "VMSA GPA"): a loader fact, shared by the `qemu` profile's
 * walk and the firmware loaders.
 */
export const KVM_VMSA_GPA = 0xffff_ffff_f000n;

/** The profiles `measure` knows. */
export const PROFILE_NAMES = ['igvm', 'qemu', 'igvmmeasure'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The rules the walker applies for one platform under one profile. */
export interface WalkRules {
  /** `all-bits`: a header applies when `(mask & cm) == cm`; `any-bit`: when `mask & cm != 0`. */
  readonly maskMatch: 'all-bits' | 'any-bit';
  /** VP contexts: matched like other headers, or measured whatever their mask (igvmmeasure). */
  readonly vpContextMask: 'checked' | 'ignored';
  /** Skip pages with the `shared` flag (true), or load them like private pages (false). */
  readonly honourShared: boolean;
  /** `is_2mb_page`: one 4 KiB step (`single`), or 512 steps (`expand`); `expand-empty-only` fails on data. */
  readonly largePages: 'single' | 'expand' | 'expand-empty-only';
  /** PARAMETER_INSERT: every page of the area, or only its first page (igvmmeasure). */
  readonly parameterInsert: 'whole-area' | 'first-page';
  /** Fail on a page whose data type is not NORMAL, before anything else (upstream VBS asserts). */
  readonly requireNormalPages: boolean;
  /** Emit ERROR_RANGE pages (only VBS measures them). */
  readonly errorRanges: boolean;
  /** VMSAs: where the file puts them, or after all pages, one per vCPU at KVM's GPA. */
  readonly vmsaPlacement: 'file-order' | 'kvm-launch-finish';
  /** Registers of VBS VP contexts (only VBS measures them). */
  readonly vbsRegisters: boolean;
  /** Report what QEMU/KVM would refuse (coconut `--check-kvm`, snp.md §2.3) as warnings. */
  readonly kvmChecks: boolean;
}

/** SNP-model options a profile fixes. */
export interface SnpRules {
  /** Data-less NORMAL pages as the native ZERO page type (igvmmeasure `--native-zero`). */
  readonly nativeZero: boolean;
  /** A GUEST_POLICY covering the platform is required (igvm crate: `MissingGuestPolicy`). */
  readonly requireGuestPolicy: boolean;
}

/** A profile: the rules per platform type it defines, and where each comes from. */
export interface LoaderProfile {
  readonly name: ProfileName;
  readonly description: string;
  /** Platform types whose rules this profile defines; others are measured with `igvm` rules. */
  readonly platforms: readonly PlatformTypeName[];
  readonly walk: Partial<Record<PlatformTypeName, WalkRules>>;
  readonly snp: SnpRules;
}

/** The igvm crate's rules, shared by its three measurement functions (§2.2, tdx §2.1, vbs §1.2). */
const IGVM_BASE: WalkRules = {
  maskMatch: 'all-bits',
  vpContextMask: 'checked',
  honourShared: true,
  largePages: 'single',
  parameterInsert: 'whole-area',
  requireNormalPages: false,
  errorRanges: false,
  vmsaPlacement: 'file-order',
  vbsRegisters: false,
  kvmChecks: false,
};

const IGVM: LoaderProfile = {
  name: 'igvm',
  description: 'microsoft/igvm measurement module (Hyper-V / OpenHCL tooling)',
  platforms: ['SEV_SNP', 'TDX', 'VSM_ISOLATION'],
  walk: {
    SEV_SNP: IGVM_BASE,
    TDX: IGVM_BASE,
    // VBS asserts NORMAL pages before it looks at `shared`, measures error ranges, and
    // measures registers after all pages (vbs-cca-corim.md §1.2).
    VSM_ISOLATION: { ...IGVM_BASE, requireNormalPages: true, errorRanges: true, vbsRegisters: true },
  },
  snp: { nativeZero: false, requireGuestPolicy: true },
};

const QEMU: LoaderProfile = {
  name: 'qemu',
  description: 'QEMU/KVM (backends/igvm.c + KVM SNP_LAUNCH_UPDATE)',
  platforms: ['SEV_SNP'],
  walk: {
    SEV_SNP: {
      ...IGVM_BASE,
      maskMatch: 'any-bit',
      honourShared: false,
      largePages: 'expand',
      vmsaPlacement: 'kvm-launch-finish',
      kvmChecks: true,
    },
  },
  snp: { nativeZero: false, requireGuestPolicy: false },
};

/** igvmmeasure's directive rules; it applies the same walk to SEV_SNP, SEV and SEV_ES (snp.md §2.3). */
const IGVMMEASURE_RULES: WalkRules = {
  ...IGVM_BASE,
  maskMatch: 'any-bit',
  vpContextMask: 'ignored',
  honourShared: false,
  largePages: 'expand-empty-only',
  parameterInsert: 'first-page',
};

const IGVMMEASURE: LoaderProfile = {
  name: 'igvmmeasure',
  description: 'COCONUT-SVSM tools/igvmmeasure',
  platforms: ['SEV_SNP', 'SEV', 'SEV_ES'],
  walk: { SEV_SNP: IGVMMEASURE_RULES, SEV: IGVMMEASURE_RULES, SEV_ES: IGVMMEASURE_RULES },
  snp: { nativeZero: false, requireGuestPolicy: false },
};

/** Every profile by name. */
export const PROFILES: Readonly<Record<ProfileName, LoaderProfile>> = { igvm: IGVM, qemu: QEMU, igvmmeasure: IGVMMEASURE };

/** The walk rules for a platform type under a profile (falling back to the igvm crate's). */
export function walkRulesFor(profile: LoaderProfile, platformType: PlatformTypeName): WalkRules {
  return profile.walk[platformType] ?? IGVM.walk[platformType] ?? IGVM_BASE;
}
