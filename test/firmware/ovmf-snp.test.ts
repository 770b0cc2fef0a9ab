/**
 * OVMF → SEV-SNP launch steps and digest under QEMU/KVM (spec/firmware-input.md §2, §3;
 * spec/snp.md §1.6–§1.7).
 *
 * Expected values come only from the spec: the 33-step list of snp.md §1.7 (written out below),
 * the fixture page hash of snp.md §1.2, the VMSA hashes of snp.md §1.6 / firmware-input.md §3.2,
 * the LD checkpoints of firmware-input.md §2.4 and the final LD of snp.md §1.7. Where the spec
 * gives no value (other vCPU counts, SEV_FEATURES 0x1, the image built here) the expectation is
 * computed by test/helpers/page-info.ts (an independent PAGE_INFO reference) over VMSA pages
 * written here byte by byte from the §3.1 table, a builder that is itself checked against the
 * spec's VMSA hashes. A fresh clone without ../shared runs everything but the fixture suite.
 */
import { createHash } from 'node:crypto';
import { FIRMWARE_GUIDS, efiGuid } from '../helpers/firmware-image.js';
import { catchFirmwareError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import {
  OVMF_SNP_LOADERS,
  ovmfSnpLaunchDigest,
  ovmfSnpSteps,
  type OvmfSnpOptions,
} from '../../src/firmware/ovmf-snp.js';
import {
  QEMU_VCPU_SIGNATURES,
  VMM_VMSA_PROFILES,
  qemuVcpuSignature,
  qemuVmsa,
  vcpuSignatureFromFms,
} from '../../src/firmware/vmsa-qemu.js';
import { decodeSevVmsa } from '../../src/format/vmsa.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { foldSnpSteps } from '../../src/measure/fold.js';
import type { SnpStep } from '../../src/measure/launch-steps.js';
import { expectedLaunchDigest, expectedLaunchDigestFromHashes, type PageInfoHashStep, type PageInfoStep } from '../helpers/page-info.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { KVM_VMSA_GPA } from '../../src/measure/profiles.js';

// ---- Values from the spec ------------------------------------------------------------------

/** snp.md §1.6 / firmware-input.md §3.2: EPYC-v4, SEV_FEATURES 0x21, AP reset 0x80B004, QEMU. */
const BSP_VMSA_SHA384 =
  'ae79efa6efbe1594a2717dfd42af495a0e4ed37b00e529a5fdf349bea04c3513962ffb0c74cf65b0d9a1857271833d6e';
const AP_VMSA_SHA384 =
  '180ef2675dc01615d31b3e84ef27a0a69d08bfbbb58ea4f6a0188f08884ab6407591ada42f99749ce9a406fb4e5d8355';
/** snp.md §1.2: SHA-384 of ovmf_AmdSev_suffix.bin (4096 bytes). */
const FIXTURE_SHA384 =
  '161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894';
/** firmware-input.md §2.4 checkpoints (QEMU, EPYC-v4, 0x21). */
const LD_AFTER_FIRMWARE =
  '086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74';
const LD_AFTER_METADATA_NO_KERNEL =
  '2a436bb1f7bd08b3888d20579f83961e6cd34b45f10bfa96bfb8086d15e258e407b2b04f62e1e6536aa64ba1b16dd65c';
/** snp.md §1.7 final LD (1 vCPU). */
const LD_FINAL_1VCPU =
  'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b';

const EPYC_V4 = 0x800f12;
const AP_EIP = 0x0080b004;
const VMSA_GPA = 0xffff_ffff_f000n;

/** snp.md §1.7, written out: the 33 steps of `test_snp_without_kernel_default`. */
function section17Steps(): PageInfoHashStep[] {
  const s: PageInfoHashStep[] = [];
  const run = (type: PageInfoHashStep['type'], from: number, count: number): void => {
    for (let i = 0; i < count; i++) s.push({ type, gpa: BigInt(from + 0x1000 * i) });
  };
  s.push({ type: 'NORMAL', gpa: 0xfffff000n, contentsHash: FIXTURE_SHA384 }); // 1.
  run('ZERO', 0x800000, 9); // 2. 0x800000..0x808000
  run('ZERO', 0x80a000, 3); //    0x80A000..0x80C000
  s.push({ type: 'SECRETS', gpa: 0x80d000n }); // 3.
  s.push({ type: 'CPUID', gpa: 0x80e000n });
  s.push({ type: 'ZERO', gpa: 0x80f000n }); // 4. SVSM CAA
  s.push({ type: 'ZERO', gpa: 0x810000n }); //    kernel-hashes page, no kernel
  run('ZERO', 0x811000, 15); // 5. 0x811000..0x81F000
  s.push({ type: 'VMSA', gpa: VMSA_GPA, contentsHash: BSP_VMSA_SHA384 }); // 6.
  return s;
}

// ---- Independent helpers -------------------------------------------------------------------

const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * The QEMU reset-state VMSA written at the raw offsets of the firmware-input.md §3.1 table
 * ("QEMU BSP" / "QEMU AP" columns) and §3.2 (FPU init), without the library's VMSA codec.
 */
function handVmsa(o: { eip: number; sig: number; features: bigint; fpu?: 'legacy' | 'init2' }): Uint8Array {
  const p = new Uint8Array(4096);
  const v = new DataView(p.buffer);
  const seg = (off: number, sel: number, attrib: number, limit: number, base: number): void => {
    v.setUint16(off, sel, true);
    v.setUint16(off + 2, attrib, true);
    v.setUint32(off + 4, limit, true);
    v.setBigUint64(off + 8, BigInt(base), true);
  };
  seg(0x000, 0, 0x93, 0xffff, 0); // ES
  seg(0x010, 0xf000, 0x9b, 0xffff, (o.eip & 0xffff0000) >>> 0); // CS
  seg(0x020, 0, 0x93, 0xffff, 0); // SS
  for (const off of [0x030, 0x040, 0x050]) seg(off, 0, 0x93, 0xffff, 0); // DS FS GS
  seg(0x060, 0, 0, 0xffff, 0); // GDTR
  seg(0x070, 0, 0x82, 0xffff, 0); // LDTR
  seg(0x080, 0, 0, 0xffff, 0); // IDTR
  seg(0x090, 0, 0x8b, 0xffff, 0); // TR
  v.setBigUint64(0x0d0, 0x1000n, true); // EFER
  v.setBigUint64(0x148, 0x40n, true); // CR4
  v.setBigUint64(0x158, 0x10n, true); // CR0
  v.setBigUint64(0x160, 0x400n, true); // DR7
  v.setBigUint64(0x168, 0xffff0ff0n, true); // DR6
  v.setBigUint64(0x170, 0x2n, true); // RFLAGS
  v.setBigUint64(0x178, BigInt(o.eip & 0xffff), true); // RIP
  v.setBigUint64(0x268, 0x0007040600070406n, true); // G_PAT
  v.setBigUint64(0x310, BigInt(o.sig), true); // RDX
  v.setBigUint64(0x3b0, o.features, true); // SEV_FEATURES
  v.setBigUint64(0x3e8, 0x1n, true); // XCR0
  if ((o.fpu ?? 'init2') === 'init2') {
    v.setUint32(0x408, 0x1f80, true); // MXCSR
    v.setUint16(0x410, 0x037f, true); // X87_FCW
  }
  return p;
}

/** A step's page type, VMSA for VMSA steps (the neutral step stream keeps them apart by `kind`). */
const typeOf = (s: SnpStep | { type: string }): string => ('kind' in s ? (s.kind === 'vmsa' ? 'VMSA' : s.type) : s.type);
const typesAndGpas = (steps: readonly (SnpStep | { type: string; gpa: bigint })[]): string[] =>
  steps.map((s) => `${typeOf(s)}@${s.gpa.toString(16)}`);

// ---- VMSA synthesis ------------------------------------------------------------------------

describe('qemuVmsa (firmware-input.md §3, snp.md §1.6)', () => {
  it('BSP and AP pages hash to the spec values for EPYC-v4, 0x21, AP eip 0x80B004', () => {
    const bsp = qemuVmsa({ bsp: true, vcpuSignature: EPYC_V4, sevFeatures: 0x21n });
    const ap = qemuVmsa({ bsp: false, apResetEip: AP_EIP, vcpuSignature: EPYC_V4, sevFeatures: 0x21n });
    expect(bsp.length).toBe(4096);
    expect(sha384(bsp)).toBe(BSP_VMSA_SHA384);
    expect(sha384(ap)).toBe(AP_VMSA_SHA384);
  });

  it("the test's hand-written §3.1 VMSA matches the spec hashes (so it can stand in where the spec has none)", () => {
    expect(sha384(handVmsa({ eip: 0xfffffff0, sig: EPYC_V4, features: 0x21n }))).toBe(BSP_VMSA_SHA384);
    expect(sha384(handVmsa({ eip: AP_EIP, sig: EPYC_V4, features: 0x21n }))).toBe(AP_VMSA_SHA384);
  });

  it('equals the hand-written §3.1 page byte for byte across host parameters', () => {
    // Compared as hex strings: vitest's deep equality on 4 KiB arrays is slow.
    for (const sig of new Set(Object.values(QEMU_VCPU_SIGNATURES))) {
      for (const features of [0x1n, 0x21n, 0xc0ffeen]) {
        for (const fpu of ['legacy', 'init2'] as const) {
          expect(toHex(qemuVmsa({ bsp: true, vcpuSignature: sig, sevFeatures: features, fpu }))).toBe(
            toHex(handVmsa({ eip: 0xfffffff0, sig, features, fpu })),
          );
          expect(toHex(qemuVmsa({ bsp: false, apResetEip: AP_EIP, vcpuSignature: sig, sevFeatures: features, fpu }))).toBe(
            toHex(handVmsa({ eip: AP_EIP, sig, features, fpu })),
          );
        }
      }
    }
  });

  it('decodes to the §3.1 QEMU fields (BSP CS 0xF000/0x9B base 0xFFFF0000 RIP 0xFFF0; AP base 0x800000 RIP 0xB004)', () => {
    const bsp = decodeSevVmsa(qemuVmsa({ bsp: true, vcpuSignature: EPYC_V4, sevFeatures: 0x21n }));
    expect(bsp.cs).toEqual({ selector: 0xf000, attrib: 0x9b, limit: 0xffff, base: 0xffff0000n });
    expect(bsp.rip).toBe(0xfff0n);
    expect(bsp.rdx).toBe(0x800f12n);
    expect(bsp.sevFeatures).toBe(0x21n);
    expect([bsp.mxcsr, bsp.x87Fcw]).toEqual([0x1f80, 0x037f]);
    const ap = decodeSevVmsa(qemuVmsa({ bsp: false, apResetEip: AP_EIP, vcpuSignature: EPYC_V4, sevFeatures: 0x1n, fpu: 'legacy' }));
    expect(ap.cs.base).toBe(0x800000n);
    expect(ap.rip).toBe(0xb004n);
    expect(ap.sevFeatures).toBe(0x1n);
    // §3.2: legacy KVM_SEV_INIT leaves MXCSR and FCW zero.
    expect([ap.mxcsr, ap.x87Fcw]).toEqual([0, 0]);
  });

  it('QEMU is one data entry of the VMM profile table (§6.3)', () => {
    expect(VMM_VMSA_PROFILES.qemu).toMatchObject({ csAttrib: { bsp: 0x9b, ap: 0x9b }, ssAttrib: 0x93, trAttrib: 0x8b, gPat: 0x0007040600070406n, defaultFpu: 'init2' });
    expect(OVMF_SNP_LOADERS.qemu.vmsa).toBe(VMM_VMSA_PROFILES.qemu);
  });

  it('maps the §3.2 QEMU models to their signatures', () => {
    const table: Array<[string, number]> = [
      ['EPYC', 0x800f12], ['EPYC-v1', 0x800f12], ['EPYC-v4', 0x800f12], ['EPYC-IBPB', 0x800f12],
      ['EPYC-Rome', 0x830f10], ['EPYC-Rome-v3', 0x830f10],
      ['EPYC-Milan', 0xa00f11], ['EPYC-Milan-v2', 0xa00f11],
      ['EPYC-Genoa', 0xa10f10], ['EPYC-Genoa-v1', 0xa10f10],
      ['EPYC-Turin', 0xb00f00],
    ];
    for (const [model, sig] of table) expect(qemuVcpuSignature(model), model).toBe(sig);
    expect(qemuVcpuSignature('epyc-v4')).toBe(0x800f12);
    expect(catchFirmwareError(() => qemuVcpuSignature('Skylake')).code).toBe('UnknownVcpuType');
  });

  it('encodes family/model/stepping as §3.2 describes', () => {
    // Family 0x17 model 0x01 stepping 2: base 0xF, ext 0x8 → 0x800F12 (EPYC, §3.2 table).
    expect(vcpuSignatureFromFms(0x17, 0x01, 2)).toBe(0x800f12);
    // Family 0x17 model 0x31 stepping 0 → 0x830F10 (EPYC-Rome); family 0x19 model 0x11 → 0xA10F10 (Genoa).
    expect(vcpuSignatureFromFms(0x17, 0x31, 0)).toBe(0x830f10);
    expect(vcpuSignatureFromFms(0x19, 0x11, 0)).toBe(0xa10f10);
    expect(vcpuSignatureFromFms(0x1a, 0x00, 0)).toBe(0xb00f00);
    // Family <= 0xF: no extended family.
    expect(vcpuSignatureFromFms(0x6, 0x3a, 9)).toBe(0x306a9);
    expect(catchFirmwareError(() => vcpuSignatureFromFms(0x17, 0x100, 0)).code).toBe('InvalidHostParameter');
  });

  it('rejects an AP without reset address and out-of-range parameters', () => {
    expect(catchFirmwareError(() => qemuVmsa({ bsp: false, vcpuSignature: EPYC_V4, sevFeatures: 1n })).code).toBe('NoApResetAddress');
    for (const bad of [-1, 2 ** 32, 1.5]) {
      expect(catchFirmwareError(() => qemuVmsa({ bsp: true, vcpuSignature: bad, sevFeatures: 1n })).code).toBe('InvalidHostParameter');
    }
    expect(catchFirmwareError(() => qemuVmsa({ bsp: true, vcpuSignature: EPYC_V4, sevFeatures: -1n })).code).toBe('InvalidHostParameter');
    expect(catchFirmwareError(() => qemuVmsa({ bsp: true, vcpuSignature: EPYC_V4, sevFeatures: 1n, fpu: 'x' as never })).code).toBe('InvalidHostParameter');
  });
});

// ---- The §1.7 list itself ------------------------------------------------------------------

describe('snp.md §1.7 step list (as written out here)', () => {
  it('has 33 steps and folds, with the reference PAGE_INFO chain, to the §2.4 checkpoints and e1e1ca02…', () => {
    const steps = section17Steps();
    expect(steps).toHaveLength(33);
    expect(expectedLaunchDigestFromHashes(steps.slice(0, 1))).toBe(LD_AFTER_FIRMWARE);
    expect(expectedLaunchDigestFromHashes(steps.slice(0, 32))).toBe(LD_AFTER_METADATA_NO_KERNEL);
    expect(expectedLaunchDigestFromHashes(steps)).toBe(LD_FINAL_1VCPU);
  });
});

// ---- The AmdSev suffix fixture -------------------------------------------------------------

sharedNotice('ovmf-snp');

describe.skipIf(!HAVE_SHARED)('ovmf_AmdSev_suffix.bin under QEMU (snp.md §1.7, firmware-input.md §2.4)', () => {
  const image = (): Uint8Array => sharedBytes('firmware/ovmf_AmdSev_suffix.bin');
  const opts: OvmfSnpOptions = { vcpus: 1, vcpuSignature: EPYC_V4, sevFeatures: 0x21n };

  it('gives exactly the 33 steps of §1.7, with the spec page and VMSA hashes', () => {
    const img = image();
    expect(sha384(img)).toBe(FIXTURE_SHA384);
    const steps = ovmfSnpSteps(img, opts);
    expect(typesAndGpas(steps)).toEqual(typesAndGpas(section17Steps()));
    expect(sha384(steps[0]?.bytes as Uint8Array)).toBe(FIXTURE_SHA384);
    expect(sha384(steps[32]?.bytes as Uint8Array)).toBe(BSP_VMSA_SHA384);
    for (const s of steps.slice(1, 32)) expect(s.bytes).toBeUndefined();
    expect(steps.map((s) => s.source.reason)).toContain('SEV metadata #2 SNP_SECRETS');
  });

  it('folds to the §2.4 checkpoints and the §1.7 final LD e1e1ca02…', () => {
    const steps = ovmfSnpSteps(image(), opts);
    expect(toHex(foldSnpSteps(steps.slice(0, 1)))).toBe(LD_AFTER_FIRMWARE);
    expect(toHex(foldSnpSteps(steps.slice(0, 32)))).toBe(LD_AFTER_METADATA_NO_KERNEL);
    expect(toHex(ovmfSnpLaunchDigest(image(), opts))).toBe(LD_FINAL_1VCPU);
    expect(toHex(ovmfSnpLaunchDigest(image(), opts, nodeHashBackend))).toBe(LD_FINAL_1VCPU);
  });

  it('4 vCPUs: BSP then three AP VMSAs (180ef267…), LD from the spec hashes via the reference chain', () => {
    const steps = ovmfSnpSteps(image(), { ...opts, vcpus: 4 });
    expect(steps).toHaveLength(36);
    expect(steps.slice(32).map((s) => [typeOf(s), s.gpa, sha384(s.bytes as Uint8Array)])).toEqual([
      ['VMSA', VMSA_GPA, BSP_VMSA_SHA384],
      ['VMSA', VMSA_GPA, AP_VMSA_SHA384],
      ['VMSA', VMSA_GPA, AP_VMSA_SHA384],
      ['VMSA', VMSA_GPA, AP_VMSA_SHA384],
    ]);
    const expected = expectedLaunchDigestFromHashes(
      [{ type: 'VMSA', gpa: VMSA_GPA, contentsHash: AP_VMSA_SHA384 }, { type: 'VMSA', gpa: VMSA_GPA, contentsHash: AP_VMSA_SHA384 }, { type: 'VMSA', gpa: VMSA_GPA, contentsHash: AP_VMSA_SHA384 }],
      LD_FINAL_1VCPU,
    );
    expect(toHex(ovmfSnpLaunchDigest(image(), { ...opts, vcpus: 4 }))).toBe(expected);
  });

  it('SEV_FEATURES 0x1, legacy FPU and another VMSA GPA change only the VMSA steps', () => {
    for (const o of [
      { features: 0x1n, fpu: 'init2' as const, gpa: VMSA_GPA },
      { features: 0x21n, fpu: 'legacy' as const, gpa: VMSA_GPA },
      { features: 0x1n, fpu: 'init2' as const, gpa: 0xf_ffff_ffff_f000n },
    ]) {
      const got = ovmfSnpLaunchDigest(image(), { vcpus: 2, vcpuSignature: EPYC_V4, sevFeatures: o.features, fpu: o.fpu, vmsaGpa: o.gpa });
      // §2.4's no-kernel metadata checkpoint does not depend on VMSA parameters, so the chain
      // resumes from it (snp.md §1.1 item 4) with the hand-written §3.1 VMSAs.
      const fromCheckpoint = expectedLaunchDigestFromHashes(
        [
          { type: 'VMSA', gpa: o.gpa, contentsHash: sha384(handVmsa({ eip: 0xfffffff0, sig: EPYC_V4, features: o.features, fpu: o.fpu })) },
          { type: 'VMSA', gpa: o.gpa, contentsHash: sha384(handVmsa({ eip: AP_EIP, sig: EPYC_V4, features: o.features, fpu: o.fpu })) },
        ],
        LD_AFTER_METADATA_NO_KERNEL,
      );
      expect(toHex(got)).toBe(fromCheckpoint);
    }
  });
});

// ---- A small image built from the spec's byte layouts --------------------------------------


const GUID = FIRMWARE_GUIDS;

/**
 * An image of `size` bytes: a recognisable byte pattern, the footer table of §1.1 holding a
 * SEV-ES reset block (§1.2, unless `resetEip` is null) and a SEV metadata offset entry, and the
 * ASEV table of §1.3 at image offset 0x100 with `sections` (gpa, size, type).
 */
function buildImage(o: { size?: number; resetEip?: number | null; sections?: Array<[number, number, number]> | null }): Uint8Array {
  const size = o.size ?? 0x2000;
  const img = new Uint8Array(size);
  for (let i = 0; i < size; i++) img[i] = (i * 7 + (i >> 12)) & 0xff;
  img.fill(0, size - 0x200); // clear the tail where the table goes
  const v = new DataView(img.buffer);
  const entries: Array<[string, number]> = [];
  if (o.resetEip !== null) entries.push([GUID.esReset, o.resetEip ?? AP_EIP]);
  const asevAt = 0x100;
  if (o.sections !== null) {
    const secs = o.sections ?? [];
    entries.push([GUID.sevMeta, size - asevAt]);
    v.setUint32(asevAt, 0x56455341, true); // 'ASEV'
    v.setUint32(asevAt + 4, 16 + 12 * secs.length, true);
    v.setUint32(asevAt + 8, 1, true);
    v.setUint32(asevAt + 12, secs.length, true);
    secs.forEach(([gpa, sz, type], i) => {
      v.setUint32(asevAt + 16 + 12 * i, gpa, true);
      v.setUint32(asevAt + 20 + 12 * i, sz, true);
      v.setUint32(asevAt + 24 + 12 * i, type, true);
    });
  }
  // §1.1: footer GUID at end−0x30, u16 total length (incl. its 18 bytes) at end−0x32, then
  // entries downwards, each [u32 data][u16 length = 22][GUID].
  const footer = size - 0x32;
  img.set(efiGuid(GUID.footer), size - 0x30);
  v.setUint16(footer, 18 + 22 * entries.length, true);
  let p = footer;
  for (const [guid, value] of entries) {
    img.set(efiGuid(guid), p - 16);
    v.setUint16(p - 18, 22, true);
    v.setUint32(p - 22, value, true);
    p -= 22;
  }
  return img;
}

/** §1.3 type codes. */
const T = { SEC_MEM: 1, SECRETS: 2, CPUID: 3, CAA: 4, HASHES: 0x10 } as const;

describe('ovmfSnpSteps on an image built here (§1.1–§1.3 layouts, §2.2 order)', () => {
  const sections: Array<[number, number, number]> = [
    [0x800000, 0x2000, T.SEC_MEM],
    [0x802000, 0x1000, T.SECRETS],
    [0x803000, 0x1000, T.CPUID],
    [0x804000, 0x1000, T.CAA],
    [0x805000, 0x2000, T.HASHES],
    [0x900000, 0x1000, T.SEC_MEM],
  ];
  const opts: OvmfSnpOptions = { vcpus: 3, vcpuSignature: 0xa00f11, sevFeatures: 0x1n };

  it('emits firmware pages to 4 GiB, sections in table order, then BSP + AP VMSAs', () => {
    const img = buildImage({ sections, resetEip: 0x0080b004 });
    const steps = ovmfSnpSteps(img, opts);
    expect(typesAndGpas(steps)).toEqual([
      'NORMAL@ffffe000', 'NORMAL@fffff000',
      'ZERO@800000', 'ZERO@801000',
      'SECRETS@802000',
      'CPUID@803000',
      'ZERO@804000',
      'ZERO@805000', 'ZERO@806000',
      'ZERO@900000',
      'VMSA@fffffffff000', 'VMSA@fffffffff000', 'VMSA@fffffffff000',
    ]);
    expect(steps[0]?.bytes).toEqual(img.subarray(0, 0x1000));
    expect(steps[1]?.bytes).toEqual(img.subarray(0x1000, 0x2000));
    const bsp = handVmsa({ eip: 0xfffffff0, sig: 0xa00f11, features: 0x1n });
    const ap = handVmsa({ eip: 0x0080b004, sig: 0xa00f11, features: 0x1n });
    expect(steps.slice(10).map((s) => s.bytes)).toEqual([bsp, ap, ap]);
    expect(KVM_VMSA_GPA).toBe(VMSA_GPA);

    const reference: PageInfoStep[] = [
      { type: 'NORMAL', gpa: 0xfffff000n - 0x1000n, contents: img.slice(0, 0x1000) },
      { type: 'NORMAL', gpa: 0xfffff000n, contents: img.slice(0x1000) },
      { type: 'ZERO', gpa: 0x800000n }, { type: 'ZERO', gpa: 0x801000n },
      { type: 'SECRETS', gpa: 0x802000n }, { type: 'CPUID', gpa: 0x803000n },
      { type: 'ZERO', gpa: 0x804000n }, { type: 'ZERO', gpa: 0x805000n }, { type: 'ZERO', gpa: 0x806000n },
      { type: 'ZERO', gpa: 0x900000n },
      { type: 'VMSA', gpa: VMSA_GPA, contents: bsp }, { type: 'VMSA', gpa: VMSA_GPA, contents: ap }, { type: 'VMSA', gpa: VMSA_GPA, contents: ap },
    ];
    expect(toHex(ovmfSnpLaunchDigest(img, opts))).toBe(expectedLaunchDigest(reference));
  });

  it('takes the AP start from the footer reset block', () => {
    const img = buildImage({ sections, resetEip: 0x00123456 });
    const steps = ovmfSnpSteps(img, { ...opts, vcpus: 2 });
    const ap = decodeSevVmsa(steps[steps.length - 1]?.bytes as Uint8Array);
    expect([ap.cs.base, ap.rip]).toEqual([0x120000n, 0x3456n]);
  });

  it('one vCPU needs no reset block; an image without SEV metadata adds no section steps', () => {
    expect(ovmfSnpSteps(buildImage({ sections, resetEip: null }), { ...opts, vcpus: 1 })).toHaveLength(2 + 8 + 1);
    const bare = ovmfSnpSteps(buildImage({ sections: null }), { ...opts, vcpus: 1 });
    expect(typesAndGpas(bare)).toEqual(['NORMAL@ffffe000', 'NORMAL@fffff000', 'VMSA@fffffffff000']);
    // No footer at all: the image is still measured as flash (§1.1 step 1).
    const noFooter = new Uint8Array(0x1000).fill(0xaa);
    expect(typesAndGpas(ovmfSnpSteps(noFooter, { ...opts, vcpus: 1 }))).toEqual(['NORMAL@fffff000', 'VMSA@fffffffff000']);
  });

  it('rejects what §6.3 says to reject', () => {
    const ok = buildImage({ sections });
    // vCPUs > 1 without (or with a zero) AP reset address.
    expect(catchFirmwareError(() => ovmfSnpSteps(buildImage({ sections, resetEip: null }), opts)).code).toBe('NoApResetAddress');
    expect(catchFirmwareError(() => ovmfSnpSteps(buildImage({ sections, resetEip: 0 }), opts)).code).toBe('NoApResetAddress');
    // Image length not a multiple of 4 KiB, unknown section type: the parsers' FirmwareErrors.
    expect(catchFirmwareError(() => ovmfSnpSteps(ok.subarray(0, 0x1800), opts)).code).toBe('NotMultipleOf4K');
    expect(catchFirmwareError(() => ovmfSnpSteps(buildImage({ sections: [[0x800000, 0x1000, 5]] }), opts)).code).toBe('UnknownSectionType');
    // Sections off page boundaries cannot be launched page by page.
    for (const bad of [[0x800800, 0x1000, T.SEC_MEM], [0x800000, 0x1800, T.CAA]] as Array<[number, number, number]>) {
      const e = catchFirmwareError(() => ovmfSnpSteps(buildImage({ sections: [bad] }), opts));
      expect(e.code).toBe('MisalignedSection');
      expect(e.offset).toBe(0x100 + 16);
    }
    // Host parameters.
    for (const vcpus of [0, -1, 1.5, Number.NaN]) {
      expect(catchFirmwareError(() => ovmfSnpSteps(ok, { ...opts, vcpus })).code).toBe('InvalidHostParameter');
    }
    expect(catchFirmwareError(() => ovmfSnpSteps(ok, { ...opts, vmsaGpa: 0x123n })).code).toBe('InvalidHostParameter');
  });
});
