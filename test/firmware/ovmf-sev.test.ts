/**
 * OVMF → SEV and SEV-ES launch digests (spec/firmware-input.md §2.3, §3, §6.2 item 5).
 *
 * The expected digests are cross-implementation vectors, not hardware captures: the
 * `ovmf_*_suffix.bin` fixtures are 4 KiB tails that no real launch measures (firmware-input.md
 * §0 item 2). Each value appears, identically, in
 * - virtee/sev `tests/measurement.rs` (`test_sev`, `test_sev_with_kernel_without_initrd_and_append`,
 *   `test_sev_with_ovmfx64_without_kernel`, `test_seves`, `test_seves_with_multiple_vcpus`), and
 * - virtee/sev-snp-measure `tests/test_guest.py` (`test_sev`, `test_sev_with_kernel_without_initrd_and_append`,
 *   `test_seves`, `test_seves_with_multiple_vcpus`, and the `*_with_ovmfx64_and_kernel_should_fail` tests).
 * Where those tests use kernel=/dev/null and initrd=/dev/null, the inputs here are empty byte arrays.
 */
import { createHash } from 'node:crypto';
import { catchFirmwareError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import { findFooterTable, sevEsResetBlock } from '../../src/firmware/footer.js';
import { SEV_HASH_TABLE_PADDED_LENGTH, sevHashTable, sevKernelHashes, type SevKernelHashes } from '../../src/firmware/kernel-hashes.js';
import {
  SEV_ES_DEFAULT_FPU,
  ovmfSevChunks,
  ovmfSevEsChunks,
  ovmfSevEsLaunchDigest,
  ovmfSevLaunchDigest,
  type OvmfSevEsOptions,
} from '../../src/firmware/ovmf-sev.js';
import { decodeSevVmsa } from '../../src/format/vmsa.js';
import { foldSevChunks } from '../../src/measure/fold.js';
import { nobleHashBackend } from '../../src/measure/hash-noble.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256Hex = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** QEMU EPYC-v4 (firmware-input.md §3.2 table). */
const EPYC_V4 = 0x800f12;
const EMPTY = new Uint8Array(0);

// Cross-implementation vectors (virtee/sev tests/measurement.rs = virtee/sev-snp-measure tests/test_guest.py).
/** SEV, AmdSev suffix, kernel=initrd=/dev/null, append "console=ttyS0 loglevel=7". */
const SEV_KERNEL_APPEND = '82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff';
/** SEV, AmdSev suffix, kernel=/dev/null, no initrd, no append. */
const SEV_KERNEL_ONLY = '77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898';
/** SEV, OvmfX64 suffix, no kernel: the file's own SHA-256 (firmware-input.md fixture table). */
const SEV_OVMFX64_NO_KERNEL = 'b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da';
/** SEV-ES, AmdSev suffix, 1 vCPU, EPYC-v4, kernel=initrd=/dev/null, no append. */
const SEV_ES_1VCPU = '13810ae661ea11e2bb205621f582fee268f0367c8f97bc297b7fadef3e12002c';
/** SEV-ES, the same with 4 vCPUs. */
const SEV_ES_4VCPU = '0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91';

const hashesOf = (inputs: { kernel: Uint8Array; initrd?: Uint8Array; append?: string }): SevKernelHashes => sevKernelHashes(inputs, nodeHashBackend);

// ---- Built images (no ../shared needed) ------------------------------------------------------

describe('ovmfSevChunks / ovmfSevEsChunks on images built here', () => {
  /** 8 KiB of a pattern, no footer table: no SEV hash table, no SEV-ES reset block. */
  const plain = (): Uint8Array => Uint8Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff);

  it('SEV without a kernel is the SHA-256 of the image (§6.2 item 5)', () => {
    const img = plain();
    expect(ovmfSevChunks(img)).toEqual([{ what: 'OVMF image (0x2000 bytes)', bytes: img }]);
    expect(toHex(ovmfSevLaunchDigest(img))).toBe(sha256Hex(img));
    expect(toHex(ovmfSevLaunchDigest(img, {}, nobleHashBackend))).toBe(sha256Hex(img));
  });

  it('SEV-ES with one vCPU needs no reset block: image then the BSP VMSA (SEV_FEATURES 0, INIT2 FPU)', () => {
    const img = plain();
    const chunks = ovmfSevEsChunks(img, { vcpus: 1, vcpuSignature: EPYC_V4 });
    expect(chunks.map((c) => [c.what, c.bytes.length])).toEqual([
      ['OVMF image (0x2000 bytes)', 8192],
      ['VMSA vCPU 0 (BSP)', 4096],
    ]);
    const bsp = decodeSevVmsa(chunks[1]!.bytes);
    expect(bsp.rip).toBe(0xfff0n);
    expect(bsp.cs.base).toBe(0xffff0000n);
    expect(bsp.rdx).toBe(BigInt(EPYC_V4));
    expect(bsp.sevFeatures).toBe(0n);
    expect([bsp.mxcsr, bsp.x87Fcw]).toEqual([0x1f80, 0x037f]);
    expect(SEV_ES_DEFAULT_FPU).toBe('init2');
    expect(toHex(ovmfSevEsLaunchDigest(img, { vcpus: 1, vcpuSignature: EPYC_V4 }))).toBe(sha256Hex(img, chunks[1]!.bytes));
  });

  it('a kernel given to an image without a SEV hash-table entry is NoKernelHashesSection', () => {
    const k = hashesOf({ kernel: EMPTY });
    expect(catchFirmwareError(() => ovmfSevLaunchDigest(plain(), { kernelHashes: k })).code).toBe('NoKernelHashesSection');
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus: 1, vcpuSignature: EPYC_V4, kernelHashes: k })).code).toBe(
      'NoKernelHashesSection',
    );
  });

  it('SEV-ES with vcpus > 1 and no reset block is NoApResetAddress', () => {
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus: 2, vcpuSignature: EPYC_V4 })).code).toBe('NoApResetAddress');
  });

  it('rejects bad lengths and host parameters', () => {
    expect(catchFirmwareError(() => ovmfSevLaunchDigest(new Uint8Array(100))).code).toBe('NotMultipleOf4K');
    expect(catchFirmwareError(() => ovmfSevLaunchDigest(EMPTY)).code).toBe('NotMultipleOf4K');
    for (const vcpus of [0, -1, 1.5, Number.NaN]) {
      expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus, vcpuSignature: EPYC_V4 })).code).toBe('InvalidHostParameter');
    }
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus: 1, vcpuSignature: 2 ** 32 })).code).toBe('InvalidHostParameter');
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus: 1, vcpuSignature: EPYC_V4, fpu: 'x' as never })).code).toBe(
      'InvalidHostParameter',
    );
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(plain(), { vcpus: 1, vcpuSignature: EPYC_V4, vmm: 'nope' as never })).code).toBe(
      'InvalidHostParameter',
    );
  });

  it('foldSevChunks is one SHA-256 over the chunks in order', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5);
    expect(toHex(foldSevChunks([{ what: 'a', bytes: a }, { what: 'b', bytes: b }]))).toBe(sha256Hex(Uint8Array.of(1, 2, 3, 4, 5)));
    expect(toHex(foldSevChunks([]))).toBe(sha256Hex(EMPTY));
  });
});

// ---- The sev-snp-measure fixtures ----------------------------------------------------------

sharedNotice('ovmf-sev');

describe.skipIf(!HAVE_SHARED)('ovmf_*_suffix.bin (cross-implementation vectors, not hardware)', () => {
  const amdSev = (): Uint8Array => sharedBytes('firmware/ovmf_AmdSev_suffix.bin');
  const ovmfX64 = (): Uint8Array => sharedBytes('firmware/ovmf_OvmfX64_suffix.bin');
  /** kernel=initrd=/dev/null, no append: cmdline hash is SHA-256 of one NUL (§2.3). */
  const esKernel = (): SevKernelHashes => hashesOf({ kernel: EMPTY, initrd: EMPTY });
  const esOpts = (vcpus: number): OvmfSevEsOptions => ({ vcpus, vcpuSignature: EPYC_V4, kernelHashes: esKernel() });

  it('SEV, kernel=initrd=/dev/null, append "console=ttyS0 loglevel=7" → 82a3ee5d…', () => {
    const k = hashesOf({ kernel: EMPTY, initrd: EMPTY, append: 'console=ttyS0 loglevel=7' });
    expect(toHex(ovmfSevLaunchDigest(amdSev(), { kernelHashes: k }))).toBe(SEV_KERNEL_APPEND);
    expect(toHex(ovmfSevLaunchDigest(amdSev(), { kernelHashes: k }, nobleHashBackend))).toBe(SEV_KERNEL_APPEND);
    // §2.3: the same, spelled out — the image, then the 176-byte padded table.
    expect(sha256Hex(amdSev(), sevHashTable(k))).toBe(SEV_KERNEL_APPEND);
  });

  it('SEV, kernel=/dev/null, no initrd, no append → 77f613d7…', () => {
    expect(toHex(ovmfSevLaunchDigest(amdSev(), { kernelHashes: hashesOf({ kernel: EMPTY }) }))).toBe(SEV_KERNEL_ONLY);
    const chunks = ovmfSevChunks(amdSev(), { kernelHashes: hashesOf({ kernel: EMPTY }) });
    expect(chunks.map((c) => c.bytes.length)).toEqual([4096, SEV_HASH_TABLE_PADDED_LENGTH]);
    // The hash-table block of the AmdSev fixture is at 0x810C00 (firmware-input.md §1.2).
    expect(chunks[1]!.what).toContain('0x810c00');
  });

  it('SEV, OvmfX64, no kernel → b4c021e0… (the file SHA-256)', () => {
    expect(toHex(ovmfSevLaunchDigest(ovmfX64()))).toBe(SEV_OVMFX64_NO_KERNEL);
    expect(sha256Hex(ovmfX64())).toBe(SEV_OVMFX64_NO_KERNEL);
  });

  it('SEV and SEV-ES with OvmfX64 and a kernel fail: its hash-table block is all zero (§1.2)', () => {
    const e = catchFirmwareError(() => ovmfSevLaunchDigest(ovmfX64(), { kernelHashes: esKernel() }));
    expect(e.code).toBe('NoKernelHashesSection');
    // sev-snp-measure's message, in substance.
    expect(e.message).toContain('does not support kernel/initrd/cmdline measurement');
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(ovmfX64(), esOpts(1))).code).toBe('NoKernelHashesSection');
  });

  it('SEV-ES, 1 vCPU, EPYC-v4 → 13810ae6… (INIT2 FPU state, SEV_FEATURES 0)', () => {
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), esOpts(1)))).toBe(SEV_ES_1VCPU);
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), esOpts(1), nobleHashBackend))).toBe(SEV_ES_1VCPU);
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), { ...esOpts(1), fpu: 'init2' }))).toBe(SEV_ES_1VCPU);
  });

  it('SEV-ES, 4 vCPUs → 0dccbcab…: BSP then three AP VMSAs starting at the reset address 0x80B004', () => {
    const chunks = ovmfSevEsChunks(amdSev(), esOpts(4));
    expect(chunks.map((c) => c.bytes.length)).toEqual([4096, SEV_HASH_TABLE_PADDED_LENGTH, 4096, 4096, 4096, 4096]);
    const aps = chunks.slice(3).map((c) => decodeSevVmsa(c.bytes));
    for (const ap of aps) {
      // §3.1 "AP reset address": CS.base 0x800000, RIP 0xB004.
      expect([ap.cs.base, ap.rip, ap.sevFeatures]).toEqual([0x800000n, 0xb004n, 0n]);
    }
    expect(toHex(foldSevChunks(chunks))).toBe(SEV_ES_4VCPU);
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), esOpts(4)))).toBe(SEV_ES_4VCPU);
  });

  it('legacy (zero) FPU state does not reproduce the SEV-ES vectors', () => {
    // Why INIT2 is the default: with MXCSR = FCW = 0 both vectors are missed.
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), { ...esOpts(1), fpu: 'legacy' }))).not.toBe(SEV_ES_1VCPU);
    expect(toHex(ovmfSevEsLaunchDigest(amdSev(), { ...esOpts(4), fpu: 'legacy' }))).not.toBe(SEV_ES_4VCPU);
  });

  it('SEV-ES with vcpus > 1 and a zero SEV-ES reset address is NoApResetAddress', () => {
    const img = amdSev();
    const block = sevEsResetBlock(findFooterTable(img)!)!;
    expect(block.apResetEip).toBe(0x0080b004);
    img.fill(0, block.offset, block.offset + 4);
    expect(catchFirmwareError(() => ovmfSevEsLaunchDigest(img, esOpts(2))).code).toBe('NoApResetAddress');
    // One vCPU still works: the BSP does not use the reset block.
    expect(() => ovmfSevEsLaunchDigest(img, esOpts(1))).not.toThrow();
  });
});
