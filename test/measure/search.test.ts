/**
 * The configuration search of `compare`: a target digest written as an explicit PAGE_INFO list
 * for one host configuration (spec/snp.md §1.6, §2.5: KVM measures one VMSA per vCPU after all
 * pages, at 0xFFFFFFFFF000; §2.3: native zero pages) must be found under exactly that
 * configuration. The targets come from the independent reference in test/helpers/page-info.ts.
 */
import { describe, expect, it } from 'vitest';
import { IgvmBuilder, parseIgvm, searchConfigurations, snpVcpuSweep } from '../../src/index.js';
import { expectedLaunchDigest, page4k, vmsaPage, type PageInfoStep } from '../helpers/page-info.js';

const KVM = 0xffff_ffff_f000n;
const BSP = vmsaPage(0x31n, 0xfff0n);
const AP = vmsaPage(0x31n, 0x8000n);
const DATA = page4k([1, 2, 3]);

function file() {
  return parseIgvm(
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
      .guestPolicy({ policy: 0x30000, compatibilityMask: 1 })
      .pageData({ gpa: 0x1000, compatibilityMask: 1, data: DATA })
      .pageData({ gpa: 0x2000, compatibilityMask: 1 })
      .vmsa({ compatibilityMask: 1, gpa: KVM, vpIndex: 0, vmsa: BSP })
      .toBytes(),
  );
}
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const pages = (zero: 'NORMAL' | 'ZERO'): PageInfoStep[] => [
  { type: 'NORMAL', gpa: 0x1000n, contents: DATA },
  zero === 'NORMAL' ? { type: 'NORMAL', gpa: 0x2000n } : { type: 'ZERO', gpa: 0x2000n },
];

describe('configuration search', () => {
  it('finds "qemu with 3 vCPUs": pages, then the BSP VMSA and two AP VMSAs at KVM\'s GPA', () => {
    const target = expectedLaunchDigest([
      ...pages('NORMAL'),
      { type: 'VMSA', gpa: KVM, contents: BSP },
      { type: 'VMSA', gpa: KVM, contents: AP },
      { type: 'VMSA', gpa: KVM, contents: AP },
    ]);
    const f = file();
    const r = searchConfigurations(f, f.platforms[0]!, hex(target), { apVmsa: AP, maxVcpus: 8 });
    expect(r.matches).toEqual([{ profile: 'qemu', nativeZero: false, vcpus: 3 }]);
    expect(r.tried).toBeGreaterThan(8);
  });

  it('finds the igvm profile (VMSA in file order at its GPA) and the native-zero variant of igvmmeasure', () => {
    const f = file();
    const igvm = expectedLaunchDigest([...pages('NORMAL'), { type: 'VMSA', gpa: KVM, contents: BSP }]);
    // With one vCPU and the VMSA already last at KVM's GPA, igvm, igvmmeasure and qemu(1) agree.
    expect(searchConfigurations(f, f.platforms[0]!, hex(igvm)).matches).toEqual([
      { profile: 'igvm', nativeZero: false },
      { profile: 'qemu', nativeZero: false, vcpus: 1 },
      { profile: 'igvmmeasure', nativeZero: false },
    ]);
    const nz = expectedLaunchDigest([...pages('ZERO'), { type: 'VMSA', gpa: KVM, contents: BSP }]);
    expect(searchConfigurations(f, f.platforms[0]!, hex(nz)).matches).toEqual([
      { profile: 'igvm', nativeZero: true },
      { profile: 'qemu', nativeZero: true, vcpus: 1 },
      { profile: 'igvmmeasure', nativeZero: true },
    ]);
  });

  it('finds nothing for an unrelated value, and sweeps only as many vCPUs as have a VMSA', () => {
    const f = file();
    expect(searchConfigurations(f, f.platforms[0]!, new Uint8Array(48)).matches).toEqual([]);
    expect(snpVcpuSweep(f, f.platforms[0]!, 'qemu', false)).toHaveLength(1);
    expect(snpVcpuSweep(f, f.platforms[0]!, 'qemu', false, { apVmsa: AP, maxVcpus: 64 })).toHaveLength(64);
  });
});
