/**
 * `measureFirmware` (src/firmware/measure-firmware.ts): the library entry point behind
 * `measure --firmware` picks the adapter and the fold per platform and VMM. Expected digests
 * from independent sources only:
 * - snp.md §1.7: ovmf_AmdSev_suffix.bin, QEMU, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21 → e1e1ca02…;
 * - firmware-input.md §4.3 (hardware-captured): COCONUT SVSM + OVMF, EPYC-v4, vars 540672,
 *   2 vCPUs → 4ae03ca0…;
 * - virtee/sev tests/measurement.rs test_sev (kernel = initrd = empty, append
 *   "console=ttyS0 loglevel=7") → 82a3ee5d…; test_seves_with_multiple_vcpus (4 vCPUs,
 *   EPYC-v4) → 0dccbcab…;
 * - firmware-input.md §5.5 stand-in TDVF image, single-pass → e33f9524… (cross-implementation).
 * Errors for missing host parameters run without ../shared.
 */
import { describe, expect, it } from 'vitest';
import { measureFirmware } from '../../src/firmware/measure-firmware.js';
import type { TraceStep } from '../../src/measure/steps.js';
import { fwError } from '../helpers/firmware-error.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const EMPTY = new Uint8Array(0);

describe('measureFirmware: host parameters without a safe default (firmware-input.md §6.3)', () => {
  const image = new Uint8Array(0x2000);
  it('refuses a missing vCPU count or vCPU type where the VMSA needs them', () => {
    fwError(() => measureFirmware(image, { vcpuType: 'EPYC' }), 'InvalidHostParameter');
    fwError(() => measureFirmware(image, { vcpus: 1 }), 'InvalidHostParameter');
    fwError(() => measureFirmware(image, { platform: 'sev-es', vcpus: 1 }), 'InvalidHostParameter');
    fwError(() => measureFirmware(image, { vmm: 'coconut-qemu-2024', vcpus: 1, vcpuType: 'EPYC' }), 'InvalidHostParameter');
  });
  it('an unknown vCPU model is UnknownVcpuType; an image without TDX metadata is NoTdxMetadata', () => {
    fwError(() => measureFirmware(image, { vcpus: 1, vcpuType: 'Skylake' }), 'UnknownVcpuType');
    fwError(() => measureFirmware(image, { platform: 'tdx' }), 'NoTdxMetadata');
  });
});

sharedNotice('measureFirmware');

describe.skipIf(!HAVE_SHARED)('measureFirmware on the spec fixtures', () => {
  const fw = (name: string): Uint8Array => sharedBytes(`firmware/${name}`);

  it('OVMF under QEMU: snp.md §1.7 e1e1ca02…, with the host parameters used; the trace ends on it after 33 steps', () => {
    const steps: TraceStep[] = [];
    const r = measureFirmware(fw('ovmf_AmdSev_suffix.bin'), { vcpus: 1, vcpuType: 'EPYC-v4', sevFeatures: 0x21n, trace: (s) => steps.push(s) });
    const want = 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b';
    expect([r.platformType, r.algorithm, toHex(r.digest)]).toEqual(['SEV_SNP', 'sha384', want]);
    expect(r.host).toEqual({
      vmm: 'qemu',
      vcpus: 1,
      vcpu_type: 'EPYC-v4',
      vcpu_signature: '0x800f12',
      fpu: 'init2',
      sev_features: '0x21',
      vmsa_gpa: '0xfffffffff000',
      kernel_hashes: false,
    });
    expect(steps).toHaveLength(33);
    expect(toHex(steps.at(-1)!.digest)).toBe(want);
  });

  it('COCONUT SVSM + OVMF, 2 vCPUs: 4ae03ca0… (firmware-input.md §4.3, hardware)', () => {
    const r = measureFirmware(fw('svsm_ovmf.fd'), { vmm: 'coconut-qemu-2024', svsm: fw('svsm.bin'), varsSize: 540672, vcpus: 2, vcpuType: '0x800f12' });
    expect(toHex(r.digest)).toBe('4ae03ca013690e956bc1eb16bc1c6465788dba64ad88a650db09216fa9cdddf06167bfce810eba8988108e71458dd68b');
    expect(r.host).toMatchObject({ vmm: 'coconut-qemu-2024', fpu: 'legacy', sev_features: '0x1', vars_size: 540672 });
  });

  it('SEV 82a3ee5d… and SEV-ES 0dccbcab… (virtee/sev tests/measurement.rs)', () => {
    const image = fw('ovmf_AmdSev_suffix.bin');
    const sev = measureFirmware(image, { platform: 'sev', directBoot: { kernel: EMPTY, initrd: EMPTY, append: 'console=ttyS0 loglevel=7' } });
    expect([sev.platformType, sev.algorithm, toHex(sev.digest), sev.search]).toEqual([
      'SEV',
      'sha256',
      '82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff',
      undefined,
    ]);
    const es = measureFirmware(image, { platform: 'sev-es', vcpus: 4, vcpuType: 'EPYC-v4', directBoot: { kernel: EMPTY, initrd: EMPTY } });
    expect([es.platformType, toHex(es.digest)]).toEqual(['SEV_ES', '0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91']);
  });

  it('TDX on the §5.5 stand-in image: e33f9524… single-pass', () => {
    const ovmf = fw('svsm_ovmf.fd');
    const standIn = new Uint8Array(0x84000 + ovmf.length);
    standIn.set(ovmf, 0x84000);
    const r = measureFirmware(standIn, { platform: 'tdx' });
    expect([r.platformType, toHex(r.digest), r.host]).toEqual([
      'TDX',
      'e33f9524ac332b8fc9e51169a45cf470c89efe090cd810699f0b6c248e9995a412891be7e5b47c3de6982be22fc58a23',
      { tdx_order: 'single' },
    ]);
  });
});
