/**
 * COCONUT SVSM + OVMF (firmware-input.md §4). Expected values, all from the spec:
 * - the two digests captured on real AMD hardware (§4.3; sev-snp-measure 0a1396f fixtures,
 *   QEMU coconut fork, EPYC-v4, vars 540672, legacy FPU): 2 vCPUs 4ae03ca0…, 4 vCPUs 265aed64…;
 * - the §4.4 checkpoints after OVMF_CODE, svsm.bin and svsm.bin's metadata (sev-snp-measure
 *   8f2b337), the SHA-384 of the legacy and HEAD VMSA templates, and the 1-vCPU values
 *   (sev-snp-measure, not hardware);
 * - the layout of §4.1 (sizes, GPAs, 158 ZERO pages, SECRETS 0x9E000, CPUID 0x9F000).
 * Without ../shared only the parameter checks run.
 */
import { createHash } from 'node:crypto';
import { catchFirmwareError as catchError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import { foldSnpSteps } from '../../src/measure/fold.js';
import { svsmSnpLaunchDigest, svsmSnpSteps, svsmVmsa, type SvsmSnpOptions } from '../../src/firmware/svsm-snp.js';
import { decodeSevVmsa, encodeSevVmsa } from '../../src/format/vmsa.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const EPYC_V4 = 0x800f12; // §4.3 "vCPU type EPYC-v4 (signature 0x800F12)"
const VARS_SIZE = 540672; // §4.3
const VMSA_GPA = 0xffff_ffff_f000n; // §4.1 step 4

// §4.3, hardware-captured.
const HW_2VCPU =
  '4ae03ca013690e956bc1eb16bc1c6465788dba64ad88a650db09216fa9cdddf06167bfce810eba8988108e71458dd68b';
const HW_4VCPU =
  '265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f';
// §4.4, sev-snp-measure 0a1396f (legacy template), not hardware.
const SW_1VCPU =
  '3f9d0d4bca27e2ce3c7685bc0a90a76e87438d6a449767139d2ef48acae0384e67764ec7aa7c72d26929a7d1026ca27e';
// §4.3 "HEAD test value (synthetic, ae95e59)" — MXCSR 0x1F80, FCW 0 — not hardware.
const HEAD_2VCPU =
  '9b94745036aafddf4f7f8b00c7513abb5b7703178cb95aaa57928bd963d68d3bfcb715d6019b9167ee2517b11b0d9be7';
const HEAD_4VCPU =
  '27d154c27b7b359c935e250ec6fee72aa0ae8c1225e3b0e1cf46a9567e938066d7d6f94bbdc4a857818bdb79277a44b2';
// §4.4 checkpoints.
const LD_AFTER_CODE =
  'd6e9418b28aaf60734ea40a3bc0d422450010b288679a6a9ce8cef868476cb57252ae843f4220d7f7b2cbe91fc0ee131';
const LD_AFTER_SVSM =
  'ebf48785b708f9397dd8098fd64ba2d961aa6fcb15ee55616d19208f236a2828c50ebee83800be4d54bb3ac0ae1fcc7e';
const LD_AFTER_METADATA =
  '910042a5b636113ee88a264b32a455c00a4c72205e96db8da5d9d5f94891e2cf364495800fc8d1f7429c44c329289ca2';
// §4.4 VMSA templates.
const VMSA_LEGACY_SHA384 =
  '3d579a0870fe8f7baebc71486381db8d17e753cde021a1cc4d1122d6dfbf3b98e52b539c0e1eacd72ba6a37ee56d676b';
const VMSA_HEAD_SHA384 =
  '9bcd6592450e93e379ffe14e5e9d4102377d162fddcfaa991c06b2c278e0057836e2c8b6b8617641587b3acfd378eb7d';

const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');


describe('svsmSnpSteps host parameters', () => {
  const page = new Uint8Array(0x1000);
  const ok: SvsmSnpOptions = { vcpus: 1, vcpuSignature: EPYC_V4, varsSize: 0 };
  it('rejects bad vCPU counts, signatures, vars sizes and VMSA modes with InvalidHostParameter', () => {
    for (const bad of [
      { ...ok, vcpus: 0 },
      { ...ok, vcpus: 1.5 },
      { ...ok, vcpuSignature: -1 },
      { ...ok, vcpuSignature: 2 ** 32 },
      { ...ok, varsSize: 100 },
      { ...ok, varsSize: -4096 },
      { ...ok, measuredVmsas: 'ap' as never },
    ]) {
      expect(catchError(() => svsmSnpSteps(page, page, bad)).code).toBe('InvalidHostParameter');
    }
  });
  it('rejects a layout that does not fit below 4 GiB, and an svsm.bin without SVSM info', () => {
    expect(catchError(() => svsmSnpSteps(page, page, { ...ok, varsSize: 2 ** 32 })).code).toBe('ImageTooLarge');
    // A zero page has no footer table (§1.1 step 1), so no SVSM info entry.
    expect(catchError(() => svsmSnpSteps(page, page, ok)).code).toBe('NoSvsmInfo');
    expect(catchError(() => svsmSnpSteps(new Uint8Array(100), page, ok)).code).toBe('NotMultipleOf4K');
  });
  it('svsmVmsa has the §4.2 fields', () => {
    const v = decodeSevVmsa(svsmVmsa(0xffaea000, EPYC_V4));
    expect(v.cs).toEqual({ selector: 0x08, attrib: 0x0c9b, limit: 0xffffffff, base: 0n });
    expect(v.ss).toEqual({ selector: 0x10, attrib: 0x0c93, limit: 0xffffffff, base: 0n });
    expect(v.gs).toEqual({ selector: 0, attrib: 0x0093, limit: 0xffff, base: 0n });
    expect(v.tr).toEqual({ selector: 0, attrib: 0x008b, limit: 0xffff, base: 0n });
    expect([v.cr0, v.rip, v.rdx, v.sevFeatures, v.pat]).toEqual([0x11n, 0xffaea000n, 0x800f12n, 0x1n, 0x0007040600070406n]);
    expect([v.mxcsr, v.x87Fcw]).toEqual([0, 0]);
  });
});

sharedNotice('svsm-snp');

describe.skipIf(!HAVE_SHARED)('svsm.bin + svsm_ovmf.fd (firmware-input.md §4.3–4.4)', () => {
  const code = (): Uint8Array => sharedBytes('firmware/svsm_ovmf.fd');
  const svsm = (): Uint8Array => sharedBytes('firmware/svsm.bin');
  const opts = (vcpus: number): SvsmSnpOptions => ({ vcpus, vcpuSignature: EPYC_V4, varsSize: VARS_SIZE });

  it('lays the images out as §4.1 says and passes the §4.4 checkpoints', () => {
    const steps = svsmSnpSteps(code(), svsm(), opts(2));
    // §4.1 table: 892 code pages @0xFFC84000, 278 svsm pages @0xFFAEA000, 158 ZERO + SECRETS + CPUID.
    expect(steps).toHaveLength(892 + 278 + 160 + 2);
    expect(steps[0]?.gpa).toBe(0xffc84000n);
    expect(steps[892]?.gpa).toBe(0xffaea000n);
    const meta = steps.slice(892 + 278, 892 + 278 + 160);
    expect(meta.filter((s) => s.kind === 'page' && s.type === 'ZERO').map((s) => s.gpa)).toEqual(Array.from({ length: 158 }, (_, i) => BigInt(i * 0x1000)));
    expect(meta.slice(158).map((s) => [s.kind === 'page' ? s.type : s.kind, s.gpa])).toEqual([
      ['SECRETS', 0x9e000n],
      ['CPUID', 0x9f000n],
    ]);
    expect(toHex(foldSnpSteps(steps.slice(0, 892)))).toBe(LD_AFTER_CODE);
    expect(toHex(foldSnpSteps(steps.slice(0, 892 + 278)))).toBe(LD_AFTER_SVSM);
    expect(toHex(foldSnpSteps(steps.slice(0, 892 + 278 + 160)))).toBe(LD_AFTER_METADATA);
    const vmsas = steps.slice(-2);
    for (const v of vmsas) {
      expect([v.kind, v.gpa]).toEqual(['vmsa', VMSA_GPA]);
      expect(sha384(v.bytes as Uint8Array)).toBe(VMSA_LEGACY_SHA384);
    }
  });

  it('reproduces the hardware-captured digests: 2 vCPUs 4ae03ca0…, 4 vCPUs 265aed64…', () => {
    expect(toHex(svsmSnpLaunchDigest(code(), svsm(), opts(2)))).toBe(HW_2VCPU);
    expect(toHex(svsmSnpLaunchDigest(code(), svsm(), opts(4), nodeHashBackend))).toBe(HW_4VCPU);
  });

  it('1 vCPU (sev-snp-measure 0a1396f, not hardware) and BSP-only measurement equal each other', () => {
    expect(toHex(svsmSnpLaunchDigest(code(), svsm(), opts(1)))).toBe(SW_1VCPU);
    expect(toHex(svsmSnpLaunchDigest(code(), svsm(), { ...opts(4), measuredVmsas: 'bsp' }))).toBe(SW_1VCPU);
  });

  it("sev-snp-measure HEAD's template (MXCSR 0x1F80, FCW 0; not hardware): only the VMSA differs", () => {
    // Neither FPU style is HEAD's template (§0 item 1); patch MXCSR in our VMSA and check that
    // page hash and both HEAD digests (§4.3, §4.4) come out of the same step list.
    const steps = svsmSnpSteps(code(), svsm(), opts(4));
    const legacy = decodeSevVmsa(steps.at(-1)?.bytes as Uint8Array);
    const head = encodeSevVmsa({ ...legacy, mxcsr: 0x1f80 });
    expect(sha384(head)).toBe(VMSA_HEAD_SHA384);
    const patched = steps.map((s) => (s.kind === 'vmsa' ? { ...s, bytes: head } : s));
    expect(toHex(foldSnpSteps(patched))).toBe(HEAD_4VCPU);
    expect(toHex(foldSnpSteps(patched.slice(0, -2)))).toBe(HEAD_2VCPU);
  });
});
