/**
 * The firmware search of `compare` (firmware-input.md §6.3 last bullets): given a reported
 * digest, which host setting (SEV_FEATURES, FPU, vCPUs, VMSA GPA, TDX order) reproduces it.
 *
 * Expected values come from the spec, never from our output:
 * - COCONUT SVSM + OVMF, hardware-captured (§4.3): 2 vCPUs 4ae03ca0…, 4 vCPUs 265aed64…
 *   (EPYC-v4, vars 540672, legacy FPU); the 1-vCPU value 3f9d0d4b… of §4.4 (sev-snp-measure
 *   0a1396f, not hardware); the HEAD synthetic 27d154c2… of §4.3 (MXCSR 0x1F80 with FCW 0, which
 *   "neither style reproduces", §0 item 1) as the value no setting gives;
 * - OVMF under QEMU (snp.md §1.7 and the sev-snp-measure tests listed in snp.md's source table):
 *   ovmf_AmdSev_suffix.bin, EPYC-v4, no kernel, 1 vCPU, 0x21 e1e1ca02…, 0x1 19358ba9…;
 *   kernel=initrd=empty, 4 vCPUs, 0x21 4953b1fb…;
 * - GCE, kernel=initrd=empty, 4 vCPUs 5c5debf1… (sev-snp-measure
 *   test_snp_gce_with_multiple_vcpus_default; GCE defaults: SEV_FEATURES 0x1, legacy FPU, 48-bit
 *   VMSA GPA);
 * - SEV-ES, kernel=initrd=empty, EPYC-v4, 4 vCPUs 0dccbcab… (virtee/sev tests/measurement.rs
 *   test_seves_with_multiple_vcpus; INIT2 FPU, as src/firmware/ovmf-sev.ts documents);
 * - TDX on the §5.5 stand-in image: single e33f9524…, two-pass 849ad4d1….
 * The expected result is the setting the source names. Tests without fixtures check the axes
 * and the search against the direct fold of one chosen setting.
 */
import { catchFirmwareError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import { sevKernelHashes } from '../../src/firmware/kernel-hashes.js';
import { ovmfSevEsLaunchDigest } from '../../src/firmware/ovmf-sev.js';
import { ovmfSnpLaunchDigest } from '../../src/firmware/ovmf-snp.js';
import {
  FIRMWARE_SEARCH_GCE_VMSA_GPAS,
  searchFirmwareSettings,
  type FirmwareSearchInput,
} from '../../src/firmware/search.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const EPYC_V4 = 0x800f12; // firmware-input.md §3.2 table, §4.3
const VARS_SIZE = 540672; // §4.3
const KVM_GPA = 0xffff_ffff_f000n; // §3.2 "VMSA GPA", 48-bit
const GENOA_GPA = 0xf_ffff_ffff_f000n; // §3.2, gce-tcb-verifier on Genoa (52-bit)
const EMPTY = new Uint8Array(0);

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));


describe('firmware search: axes and the incremental sweep (no fixtures)', () => {
  // A 2-page image with no footer table: no SEV metadata and no AP reset address, so it launches
  // with one vCPU only (§6.3 "vCPUs > 1 with a zero AP EIP").
  const plain = new Uint8Array(0x2000).fill(0x5a);

  it('without an AP reset address the vCPU sweep stops at 1; the other axes are §6.3 lists', () => {
    const r = searchFirmwareSettings({ kind: 'ovmf-snp', image: plain, vcpuSignature: EPYC_V4 }, new Uint8Array(48));
    expect(r.matches).toEqual([]);
    expect(r.axes).toEqual({ maxVcpus: 1, sevFeatures: [0x1n, 0x21n], fpus: ['init2', 'legacy'], vmsaGpas: [KVM_GPA] });
    expect(r.tried).toBe(4);
    const gce = searchFirmwareSettings({ kind: 'ovmf-snp', image: plain, vmm: 'gce', vcpuSignature: 0 }, new Uint8Array(48));
    expect(gce.axes.vmsaGpas).toEqual([KVM_GPA, GENOA_GPA]);
    expect(FIRMWARE_SEARCH_GCE_VMSA_GPAS).toEqual([KVM_GPA, GENOA_GPA]);
    expect(gce.tried).toBe(8);
  });

  it('finds the one setting a direct fold was made with, among all others', () => {
    // The expectation is the chosen setting; the digest is the plain fold of ovmf-snp.ts.
    const target = ovmfSnpLaunchDigest(plain, { vmm: 'gce', vcpus: 1, vcpuSignature: 0, sevFeatures: 0x21n, fpu: 'init2', vmsaGpa: GENOA_GPA });
    const r = searchFirmwareSettings({ kind: 'ovmf-snp', image: plain, vmm: 'gce', vcpuSignature: 0 }, target, { hash: nodeHashBackend });
    expect(r.matches).toEqual([{ vcpus: 1, sevFeatures: 0x21n, fpu: 'init2', vmsaGpa: GENOA_GPA }]);
  });

  it("adds the host's given values to the axes (a SEV_FEATURES outside §6.3's list)", () => {
    const target = ovmfSnpLaunchDigest(plain, { vcpus: 1, vcpuSignature: EPYC_V4, sevFeatures: 0x3n, fpu: 'legacy' });
    const r = searchFirmwareSettings({ kind: 'ovmf-snp', image: plain, vcpuSignature: EPYC_V4 }, target, { given: { sevFeatures: 0x3n, fpu: 'legacy', vcpus: 1 } });
    expect(r.axes.sevFeatures).toEqual([0x1n, 0x21n, 0x3n]);
    expect(r.matches).toEqual([{ vcpus: 1, sevFeatures: 0x3n, fpu: 'legacy', vmsaGpa: KVM_GPA }]);
  });

  it('refuses a vCPU bound that is not a positive integer, and passes image errors through', () => {
    expect(catchFirmwareError(() => searchFirmwareSettings({ kind: 'ovmf-snp', image: plain, vcpuSignature: 0 }, EMPTY, { maxVcpus: 0 })).code).toBe(
      'InvalidHostParameter',
    );
    expect(catchFirmwareError(() => searchFirmwareSettings({ kind: 'ovmf-snp', image: new Uint8Array(5000), vcpuSignature: 0 }, EMPTY)).code).toBe(
      'NotMultipleOf4K',
    );
    expect(catchFirmwareError(() => searchFirmwareSettings({ kind: 'tdvf-tdx', image: plain }, EMPTY)).code).toBe('NoTdxMetadata');
  });

  it('SEV-ES: FPU × vCPUs from one SHA-256 state; a single vCPU without an AP reset address', () => {
    const target = ovmfSevEsLaunchDigest(plain, { vcpus: 1, vcpuSignature: EPYC_V4, fpu: 'legacy' });
    const r = searchFirmwareSettings({ kind: 'ovmf-sev-es', image: plain, vcpuSignature: EPYC_V4 }, target);
    expect(r).toEqual({ matches: [{ vcpus: 1, fpu: 'legacy' }], tried: 2, axes: { maxVcpus: 1, fpus: ['init2', 'legacy'] } });
  });
});

sharedNotice('firmware search');

describe.skipIf(!HAVE_SHARED)('firmware search on the spec fixtures', () => {
  const svsmInput = (): FirmwareSearchInput => ({
    kind: 'svsm-snp',
    code: sharedBytes('firmware/svsm_ovmf.fd'),
    svsm: sharedBytes('firmware/svsm.bin'),
    varsSize: VARS_SIZE,
    vcpuSignature: EPYC_V4,
  });

  it('COCONUT SVSM + OVMF: the hardware 4-vCPU digest is exactly 4 vCPUs with legacy FPU (§4.3), in one sweep', () => {
    const input = svsmInput();
    const r = searchFirmwareSettings(
      input,
      hex('265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f'),
      { given: { vcpus: 1, fpu: 'init2' } }, // a wrong starting guess
    );
    expect(r.matches).toEqual([{ vcpus: 4, fpu: 'legacy' }]);
    expect(r.tried).toBe(128); // 2 FPU styles × 1–64 vCPUs
    expect(r.axes).toEqual({ maxVcpus: 64, fpus: ['init2', 'legacy'] });
  });

  it('COCONUT SVSM + OVMF: 2 vCPUs (§4.3 hardware), 1 vCPU (§4.4), and the HEAD synthetic value no setting gives (§0 item 1)', () => {
    const input = svsmInput();
    const find = (d: string) => searchFirmwareSettings(input, hex(d)).matches;
    expect(find('4ae03ca013690e956bc1eb16bc1c6465788dba64ad88a650db09216fa9cdddf06167bfce810eba8988108e71458dd68b')).toEqual([{ vcpus: 2, fpu: 'legacy' }]);
    expect(find('3f9d0d4bca27e2ce3c7685bc0a90a76e87438d6a449767139d2ef48acae0384e67764ec7aa7c72d26929a7d1026ca27e')).toEqual([{ vcpus: 1, fpu: 'legacy' }]);
    const head = searchFirmwareSettings(input, hex('27d154c27b7b359c935e250ec6fee72aa0ae8c1225e3b0e1cf46a9567e938066d7d6f94bbdc4a857818bdb79277a44b2'));
    expect(head).toMatchObject({ matches: [], tried: 128 });
    // A given count above 64 extends the sweep, and the 4-vCPU setting is still the only match.
    const wide = searchFirmwareSettings(input, hex('265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f'), { given: { vcpus: 96 } });
    expect(wide).toMatchObject({ matches: [{ vcpus: 4, fpu: 'legacy' }], tried: 192, axes: { maxVcpus: 96 } });
  });

  it('OVMF under QEMU: SEV_FEATURES 0x21 e1e1ca02… (snp.md §1.7) and 0x1 19358ba9…, 1 vCPU, INIT2', () => {
    const input: FirmwareSearchInput = { kind: 'ovmf-snp', image: sharedBytes('firmware/ovmf_AmdSev_suffix.bin'), vcpuSignature: EPYC_V4 };
    const from01 = searchFirmwareSettings(
      input,
      hex('e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b'),
      { given: { vcpus: 1, sevFeatures: 0x1n, fpu: 'init2', vmsaGpa: KVM_GPA } },
    );
    expect(from01.matches).toEqual([{ vcpus: 1, sevFeatures: 0x21n, fpu: 'init2', vmsaGpa: KVM_GPA }]);
    expect(from01.tried).toBe(256); // 2 × 2 × 64
    const with01 = searchFirmwareSettings(input, hex('19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d'));
    expect(with01.matches).toEqual([{ vcpus: 1, sevFeatures: 0x1n, fpu: 'init2', vmsaGpa: KVM_GPA }]);
  });

  it('OVMF under QEMU with kernel hashes: 4 vCPUs, 0x21 → 4953b1fb… (kernel=initrd=empty, no append)', () => {
    const kernelHashes = sevKernelHashes({ kernel: EMPTY, initrd: EMPTY }, nodeHashBackend);
    const input: FirmwareSearchInput = { kind: 'ovmf-snp', image: sharedBytes('firmware/ovmf_AmdSev_suffix.bin'), vcpuSignature: EPYC_V4, kernelHashes };
    const r = searchFirmwareSettings(input, hex('4953b1fb416fa874980e8442b3706d345926d5f38879134e00813c5d7abcbe78eafe7b422907be0b4698e2414a631942'));
    expect(r.matches).toEqual([{ vcpus: 4, sevFeatures: 0x21n, fpu: 'init2', vmsaGpa: KVM_GPA }]);
  });

  it('GCE: 4 vCPUs 5c5debf1… is SEV_FEATURES 0x1, legacy FPU, the 48-bit VMSA GPA (the GPA axis is searched)', () => {
    const kernelHashes = sevKernelHashes({ kernel: EMPTY, initrd: EMPTY }, nodeHashBackend);
    const input: FirmwareSearchInput = { kind: 'ovmf-snp', image: sharedBytes('firmware/ovmf_AmdSev_suffix.bin'), vmm: 'gce', vcpuSignature: 0, kernelHashes };
    const r = searchFirmwareSettings(input, hex('5c5debf100fc339f90276e761ee1f1658d08922c3b20e2a2e6c7a6c3370b2452a15a00eae11886a93d6fd1e7ab81e29d'));
    expect(r.axes.vmsaGpas).toEqual([KVM_GPA, GENOA_GPA]);
    expect(r.tried).toBe(2 * 2 * 2 * 64);
    expect(r.matches).toEqual([{ vcpus: 4, sevFeatures: 0x1n, fpu: 'legacy', vmsaGpa: KVM_GPA }]);
  });

  it('SEV-ES: 4 vCPUs 0dccbcab… (virtee/sev test_seves_with_multiple_vcpus) is 4 vCPUs with INIT2', () => {
    const kernelHashes = sevKernelHashes({ kernel: EMPTY, initrd: EMPTY }, nodeHashBackend);
    const r = searchFirmwareSettings(
      { kind: 'ovmf-sev-es', image: sharedBytes('firmware/ovmf_AmdSev_suffix.bin'), vcpuSignature: EPYC_V4, kernelHashes },
      hex('0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91'),
    );
    expect(r).toMatchObject({ matches: [{ vcpus: 4, fpu: 'init2' }], tried: 128 });
  });

  it('TDX on the §5.5 stand-in image: two-pass 849ad4d1…, single e33f9524…', () => {
    const image = new Uint8Array(0x84000 + 0x37c000);
    image.set(sharedBytes('firmware/svsm_ovmf.fd'), 0x84000);
    const input: FirmwareSearchInput = { kind: 'tdvf-tdx', image };
    const twoPass = searchFirmwareSettings(
      input,
      hex('849ad4d151fe593f40086cb5b6a476c18536bc8b5c525c37fa644f85ea40b1350399a80cca4ce7a62254d2a099ebabe2'),
      { given: { tdxOrder: 'single' } },
    );
    expect(twoPass).toEqual({ matches: [{ tdxOrder: 'two-pass' }], tried: 2, axes: { tdxOrders: ['single', 'two-pass'] } });
    const single = searchFirmwareSettings(input, hex('e33f9524ac332b8fc9e51169a45cf470c89efe090cd810699f0b6c248e9995a412891be7e5b47c3de6982be22fc58a23'));
    expect(single.matches).toEqual([{ tdxOrder: 'single' }]);
  });
});
