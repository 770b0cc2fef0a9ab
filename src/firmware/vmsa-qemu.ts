/**
 * The reset-state VMSA that KVM measures for an OVMF launch (spec/firmware-input.md §3,
 * spec/snp.md §1.6). Under KVM the measured VMSA is KVM's own, synthesised from the vCPU's
 * reset registers at SNP_LAUNCH_FINISH (snp.md §1.6), so it is rebuilt here from host
 * parameters: the VMM profile, the vCPU signature, SEV_FEATURES, the FPU-init style and, for
 * APs, the SEV-ES reset address from the OVMF footer.
 *
 * What differs between VMMs is data (one object per loader in {@link VMM_VMSA_PROFILES}, in
 * line with firmware-input.md §6.3 "Profiles should be data"): the QEMU, EC2, GCE and KRUN
 * columns of §3.1.
 */
import { FirmwareError } from './errors.js';
import { encodeSevVmsa, type SevSelector, type SevVmsaInput } from '../format/vmsa.js';

/** FPU-init style (firmware-input.md §3.2 "FPU init"). */
export type FpuInit = 'legacy' | 'init2';

/**
 * The x87/SSE control words each FPU-init style leaves in the VMSA (§3.2): KVM_SEV_INIT2 VMs get
 * the guest FPU defaults copied in by `sev_es_sync_vmsa` (FCW 0x037F, MXCSR 0x1F80, everything
 * else 0); legacy KVM_SEV_INIT/ES_INIT leaves them zero.
 */
export const FPU_INIT_STATE: Readonly<Record<FpuInit, { readonly mxcsr: number; readonly x87Fcw: number }>> = {
  legacy: { mxcsr: 0, x87Fcw: 0 },
  init2: { mxcsr: 0x1f80, x87Fcw: 0x037f },
};

/** Where a profile's RDX comes from (§3.1 row 0x310). */
export type RdxSource = { readonly kind: 'vcpu-signature' } | { readonly kind: 'fixed'; readonly value: bigint };

/**
 * What one VMM puts in the reset-state VMSA where VMMs differ (§3.1 table, one column per
 * VMM). Fields every column shares ("=" in the table) are in {@link RESET_STATE_COMMON}.
 */
export interface VmmVmsaProfile {
  /** Profile name, as used in `VMM_VMSA_PROFILES`. */
  readonly name: string;
  /** CS attributes for the BSP and for APs (§3.1 row 0x010; EC2 differs between the two). */
  readonly csAttrib: { readonly bsp: number; readonly ap: number };
  /** SS attributes (§3.1 row 0x020). */
  readonly ssAttrib: number;
  /** TR attributes (§3.1 row 0x090). */
  readonly trAttrib: number;
  /** Guest PAT (§3.1 row 0x268). */
  readonly gPat: bigint;
  /** RDX at reset (§3.1 row 0x310). */
  readonly rdx: RdxSource;
  /** The FPU-init style to use when the caller names none (§6.3 "FPU init" default). */
  readonly defaultFpu: FpuInit;
}

/**
 * Reset-state VMSA data per VMM (§3.1, one column each):
 * - `qemu`: CS 0x9B, SS 0x93, TR 0x8B, G_PAT 0x0007040600070406, RDX = vCPU signature, INIT2 FPU
 *   state by default (sev-snp-measure uses INIT2 values for QEMU, §3.2; upstream SNP always uses
 *   INIT2).
 * - `ec2`: CS 0x9A on the BSP and 0x9B on APs, SS 0x92, TR 0x83, RDX 0x600 (sev-snp-measure
 *   ≥ 0.0.13), FPU state zero.
 * - `ec2-v1`: the same with RDX 0 — what sev-snp-measure computed before 0.0.13 and virtee/sev
 *   still computes (§3.1 row 0x310, §6.4 item 3), kept so those tools' values can be reproduced.
 * - `gce`: QEMU's segment attributes, G_PAT 0x00070106, RDX 0x600, FPU state zero
 *   (gce-tcb-verifier `sev/ld_from_ovmf.go`).
 * - `krun`: the effective virtee/sev KRUN VMSA (§3.1 "KRUN" note): CS 0x9A on all vCPUs, SS
 *   0x92, TR 0x83, RDX 0, FPU state zero; the intended RSI/RBP/RSP presets never reach it.
 */
const VMM_VMSA_PROFILES_BASE = {
  qemu: {
    name: 'qemu',
    csAttrib: { bsp: 0x9b, ap: 0x9b },
    ssAttrib: 0x93,
    trAttrib: 0x8b,
    gPat: 0x0007040600070406n,
    rdx: { kind: 'vcpu-signature' },
    defaultFpu: 'init2',
  },
  ec2: {
    name: 'ec2',
    csAttrib: { bsp: 0x9a, ap: 0x9b },
    ssAttrib: 0x92,
    trAttrib: 0x83,
    gPat: 0x0007040600070406n,
    rdx: { kind: 'fixed', value: 0x600n },
    defaultFpu: 'legacy',
  },
  gce: {
    name: 'gce',
    csAttrib: { bsp: 0x9b, ap: 0x9b },
    ssAttrib: 0x93,
    trAttrib: 0x8b,
    gPat: 0x00070106n,
    rdx: { kind: 'fixed', value: 0x600n },
    defaultFpu: 'legacy',
  },
  krun: {
    name: 'krun',
    csAttrib: { bsp: 0x9a, ap: 0x9a },
    ssAttrib: 0x92,
    trAttrib: 0x83,
    gPat: 0x0007040600070406n,
    rdx: { kind: 'fixed', value: 0n },
    defaultFpu: 'legacy',
  },
} as const satisfies Record<string, VmmVmsaProfile>;

/** The EC2 column with sev-snp-measure < 0.0.13's and virtee/sev's RDX 0 (§3.1 row 0x310). */
const EC2_V1: VmmVmsaProfile = { ...VMM_VMSA_PROFILES_BASE.ec2, name: 'ec2-v1', rdx: { kind: 'fixed', value: 0n } };

/** Every reset-state VMSA profile by name. */
export const VMM_VMSA_PROFILES = { ...VMM_VMSA_PROFILES_BASE, 'ec2-v1': EC2_V1 } as const;

/** A VMM profile name. */
export type VmmVmsaProfileName = keyof typeof VMM_VMSA_PROFILES;

/**
 * The reset-state fields every VMM in §3.1 shares: ES/DS/FS/GS data segments (attrib 0x93),
 * GDTR/IDTR, LDTR (0x82), EFER.SVME, CR4.MCE, CR0.ET, DR7/DR6/RFLAGS reset values and XCR0 = x87.
 */
export const RESET_STATE_COMMON = {
  dataSegment: { selector: 0, attrib: 0x0093, limit: 0xffff, base: 0n },
  descriptorTable: { selector: 0, attrib: 0, limit: 0xffff, base: 0n },
  ldtr: { selector: 0, attrib: 0x0082, limit: 0xffff, base: 0n },
  csSelector: 0xf000,
  efer: 0x1000n,
  cr4: 0x40n,
  cr0: 0x10n,
  dr7: 0x400n,
  dr6: 0xffff0ff0n,
  rflags: 0x2n,
  xcr0: 0x1n,
} as const;

/** The BSP always starts at the x86 reset vector 0xFFFFFFF0 (§3.1 "BSP"). */
export const BSP_RESET_EIP = 0xfffffff0;

/**
 * CPUID Fn0000_0001 EAX of QEMU's AMD models (firmware-input.md §3.2 table); QEMU passes it in
 * RDX at reset.
 */
export const QEMU_VCPU_SIGNATURES: Readonly<Record<string, number>> = {
  EPYC: 0x800f12,
  'EPYC-v1': 0x800f12,
  'EPYC-v2': 0x800f12,
  'EPYC-v3': 0x800f12,
  'EPYC-v4': 0x800f12,
  'EPYC-IBPB': 0x800f12,
  'EPYC-Rome': 0x830f10,
  'EPYC-Rome-v1': 0x830f10,
  'EPYC-Rome-v2': 0x830f10,
  'EPYC-Rome-v3': 0x830f10,
  'EPYC-Milan': 0xa00f11,
  'EPYC-Milan-v1': 0xa00f11,
  'EPYC-Milan-v2': 0xa00f11,
  'EPYC-Genoa': 0xa10f10,
  'EPYC-Genoa-v1': 0xa10f10,
  'EPYC-Turin': 0xb00f00,
};

/**
 * The signature of a QEMU `-cpu` model (§3.2 table), matched case-insensitively.
 * @throws FirmwareError `UnknownVcpuType` for a model the table does not list.
 */
export function qemuVcpuSignature(model: string): number {
  const want = model.toLowerCase();
  for (const [name, sig] of Object.entries(QEMU_VCPU_SIGNATURES)) {
    if (name.toLowerCase() === want) return sig;
  }
  throw new FirmwareError(
    'UnknownVcpuType',
    `unknown vCPU type ${JSON.stringify(model)}; known: ${Object.keys(QEMU_VCPU_SIGNATURES).join(', ')} (or give the signature)`,
  );
}

/**
 * CPUID(1).EAX from family/model/stepping, encoded as §3.2 says: family > 0xF puts 0xF in bits
 * 11:8 and family − 0xF in bits 27:20; model low nibble in 7:4, high nibble in 19:16; stepping in 3:0.
 * @throws FirmwareError `InvalidHostParameter` for values outside their fields.
 */
export function vcpuSignatureFromFms(family: number, model: number, stepping: number): number {
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(family, 0xf + 0xff) || !ok(model, 0xff) || !ok(stepping, 0xf)) {
    throw new FirmwareError(
      'InvalidHostParameter',
      `family ${family}, model ${model}, stepping ${stepping} do not fit CPUID(1).EAX (family <= 0x10E, model <= 0xFF, stepping <= 0xF)`,
    );
  }
  const [base, ext] = family > 0xf ? [0xf, family - 0xf] : [family, 0];
  return ((ext << 20) | ((model >> 4) << 16) | (base << 8) | ((model & 0xf) << 4) | stepping) >>> 0;
}

/** Options of {@link resetStateVmsa} and {@link qemuVmsa}. */
export interface ResetVmsaOptions {
  /** True for vCPU 0 (starts at 0xFFFFFFF0), false for an AP (starts at `apResetEip`). */
  readonly bsp: boolean;
  /** The SEV-ES reset block's u32 AP reset address (§1.2; 0x0080B004 in stock OVMF). Required for APs. */
  readonly apResetEip?: number;
  /** CPUID(1).EAX of the vCPU model (§3.2; EPYC-v4 = 0x800F12). Used by profiles whose RDX is the signature. */
  readonly vcpuSignature: number;
  /** SEV_FEATURES (VMSA 0x3B0, §3.2): 0x1, or 0x21 with DebugSwap on hosts 6.6–6.7. */
  readonly sevFeatures: bigint;
  /** FPU-init style (§3.2); default: the profile's (`init2` for QEMU). */
  readonly fpu?: FpuInit;
}

/** @throws FirmwareError `InvalidHostParameter` unless `v` is a u32. */
export function checkU32(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new FirmwareError('InvalidHostParameter', `${what} ${v} is not a u32`);
  }
}

/**
 * MXCSR and x87 FCW of an FPU-init style (§3.2).
 * @throws FirmwareError `InvalidHostParameter` for a name that is not an {@link FpuInit}.
 */
export function fpuState(name: FpuInit): { readonly mxcsr: number; readonly x87Fcw: number } {
  const state = FPU_INIT_STATE[name];
  if (state === undefined) {
    throw new FirmwareError('InvalidHostParameter', `FPU init ${JSON.stringify(name)} is neither 'legacy' nor 'init2'`);
  }
  return state;
}

/**
 * The 4096-byte reset-state VMSA of one vCPU under a VMM profile (§3.1). Fields §3.1 does not
 * list are zero.
 * @throws FirmwareError for a parameter out of range, or an AP without `apResetEip`.
 */
export function resetStateVmsa(profile: VmmVmsaProfile, options: ResetVmsaOptions): Uint8Array {
  const { bsp, vcpuSignature, sevFeatures } = options;
  checkU32('vCPU signature', vcpuSignature);
  if (typeof sevFeatures !== 'bigint' || sevFeatures < 0n || sevFeatures > 0xffff_ffff_ffff_ffffn) {
    throw new FirmwareError('InvalidHostParameter', `SEV_FEATURES ${String(sevFeatures)} is not a u64 bigint`);
  }
  const fpu = fpuState(options.fpu ?? profile.defaultFpu);
  let eip: number;
  if (bsp) {
    eip = BSP_RESET_EIP;
  } else {
    if (options.apResetEip === undefined) {
      throw new FirmwareError('NoApResetAddress', 'an AP VMSA needs the SEV-ES reset block AP reset address (apResetEip)');
    }
    checkU32('AP reset address', options.apResetEip);
    eip = options.apResetEip;
  }

  const c = RESET_STATE_COMMON;
  const data: Partial<SevSelector> = c.dataSegment;
  const fields: SevVmsaInput = {
    es: data,
    // Real-mode CS: bits 31:16 of the reset address are the CS base, bits 15:0 the IP (§1.2, §3.1).
    cs: {
      selector: c.csSelector,
      attrib: bsp ? profile.csAttrib.bsp : profile.csAttrib.ap,
      limit: 0xffff,
      base: BigInt((eip & 0xffff0000) >>> 0),
    },
    ss: { ...data, attrib: profile.ssAttrib },
    ds: data,
    fs: data,
    gs: data,
    gdtr: c.descriptorTable,
    ldtr: c.ldtr,
    idtr: c.descriptorTable,
    tr: { ...data, attrib: profile.trAttrib },
    efer: c.efer,
    cr4: c.cr4,
    cr0: c.cr0,
    dr7: c.dr7,
    dr6: c.dr6,
    rflags: c.rflags,
    rip: BigInt(eip & 0xffff),
    pat: profile.gPat,
    rdx: profile.rdx.kind === 'vcpu-signature' ? BigInt(vcpuSignature) : profile.rdx.value,
    sevFeatures,
    xcr0: c.xcr0,
    mxcsr: fpu.mxcsr,
    x87Fcw: fpu.x87Fcw,
  };
  return encodeSevVmsa(fields);
}

/**
 * QEMU/KVM's reset-state VMSA (firmware-input.md §3.1 "QEMU BSP"/"QEMU AP" columns,
 * snp.md §1.6). For EPYC-v4 (0x800F12), SEV_FEATURES 0x21 and INIT2, the BSP page hashes to
 * `ae79efa6…` and the AP page (reset address 0x80B004) to `180ef267…` (§3.2).
 */
export function qemuVmsa(options: ResetVmsaOptions): Uint8Array {
  return resetStateVmsa(VMM_VMSA_PROFILES.qemu, options);
}
