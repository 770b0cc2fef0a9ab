/**
 * The project's own IGVM files, made with our builder. `vectors/build.ts` writes them to
 * `vectors/out/` (run by `npm run build`, so a fresh `npm ci` has them); tests build them in
 * memory. Expected values for the spec's examples are in `vectors/expected.json`, each with
 * its source; the sample file has no expected digest of its own (it is a demo input).
 */
import { IgvmBuilder, SevFeatures, encodeSevVmsa } from '../src/index.js';

const fill = (byte: number, length = 4096): Uint8Array => new Uint8Array(length).fill(byte);

/**
 * spec/igvm-format.md §15.1: the file upstream's C-API test-data generator writes
 * (microsoft/igvm `igvm_c/test_data`): V1, one VSM platform, two guest policies, eight pages
 * of which four repeat earlier contents, a parameter area with a VP-count usage and an insert.
 */
export function buildCapiTestFile(): Uint8Array {
  const b = new IgvmBuilder({ formatVersion: 1 })
    .platform({ compatibilityMask: 0x1, platformType: 'VSM_ISOLATION', highestVtl: 0 })
    .guestPolicy({ policy: 0x30000, compatibilityMask: 0x1 })
    .guestPolicy({ policy: 0x30000, compatibilityMask: 0x2 });
  const pages: Array<[number, number]> = [
    [0x0000, 1], [0x1000, 2], [0x2000, 3], [0x4000, 4],
    [0xa000, 1], [0xb000, 2], [0xc000, 3], [0xe000, 4],
  ];
  for (const [gpa, byte] of pages) b.pageData({ gpa, compatibilityMask: 0x1, data: fill(byte) });
  return b
    .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 4096 })
    .parameterUsage('VP_COUNT_PARAMETER', { parameterAreaIndex: 0, byteOffset: 0 })
    .parameterInsert({ gpa: 0x14000, compatibilityMask: 0x1, parameterAreaIndex: 0 })
    .toBytes();
}

/**
 * spec/igvm-format.md §15.3: V2 x64, one VSM platform, a 0xAA page, a zero page, a VBS VP
 * context with Rip = 0x1000 at VTL0, and a page whose 16 bytes of 0xBB are padded to 4 KiB.
 */
export function buildSpec153File(): Uint8Array {
  return new IgvmBuilder({ formatVersion: 2, architecture: 'x64' })
    .platform({ compatibilityMask: 0x1, platformType: 'VSM_ISOLATION' })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: fill(0xaa) })
    .pageData({ gpa: 0x1000, compatibilityMask: 0x1 })
    .vbsRegisters({ compatibilityMask: 0x1, registers: [{ vtl: 0, name: 0x00020010, value: { kind: 'u64', value: 0x1000n } }] })
    .pageData({ gpa: 0x2000, compatibilityMask: 0x1, data: fill(0xbb, 16) })
    .toBytes();
}

/** Platform masks of the sample file. */
export const SAMPLE_MASKS = { snp: 0x1, tdx: 0x2, vbs: 0x4 } as const;

/**
 * The demo input of the README: one file for SEV-SNP, TDX and VBS that exercises the
 * directives each platform measures differently (shared pages, unmeasured pages, a zero page,
 * an SNP CPUID and secrets page, a parameter area, an SNP VMSA and a VBS register context).
 */
export function buildSampleFile(): Uint8Array {
  const { snp, tdx, vbs } = SAMPLE_MASKS;
  const all = snp | tdx | vbs;
  const text = new TextEncoder().encode('igvm-measure sample: every platform loads this page\n');
  const kernel = new Uint8Array(4096);
  for (let i = 0; i < kernel.length; i++) kernel[i] = (i * 131 + 7) & 0xff;
  const vmsa = encodeSevVmsa({
    cs: { selector: 0xf000, attrib: 0x9b, limit: 0xffff, base: 0xffff0000n },
    rip: 0xfff0n,
    cr0: 0x10n,
    efer: 0x1000n,
    rflags: 0x2n,
    sevFeatures: SevFeatures.SNP,
  });
  return new IgvmBuilder({ formatVersion: 2, architecture: 'x64' })
    .platform({ compatibilityMask: snp, platformType: 'SEV_SNP', sharedGpaBoundary: 1n << 46n })
    .platform({ compatibilityMask: tdx, platformType: 'TDX', sharedGpaBoundary: 1n << 47n })
    .platform({ compatibilityMask: vbs, platformType: 'VSM_ISOLATION', highestVtl: 0 })
    .guestPolicy({ policy: 0x30000, compatibilityMask: snp })
    .guestPolicy({ policy: 0x0, compatibilityMask: tdx })
    .pageData({ gpa: 0x100000, compatibilityMask: all, data: text })
    .pageData({ gpa: 0x101000, compatibilityMask: all, data: kernel })
    .pageData({ gpa: 0x102000, compatibilityMask: all })
    .pageData({ gpa: 0x103000, compatibilityMask: snp | tdx, data: kernel, flags: 0x2 })
    .pageData({ gpa: 0x104000, compatibilityMask: snp | tdx, data: text, flags: 0x4 })
    .pageData({ gpa: 0x105000, compatibilityMask: snp, dataType: 'CPUID_DATA', data: fill(0) })
    .pageData({ gpa: 0x106000, compatibilityMask: snp, dataType: 'SECRETS' })
    .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 8192 })
    .parameterUsage('VP_COUNT_PARAMETER', { parameterAreaIndex: 0, byteOffset: 0 })
    .parameterUsage('MEMORY_MAP', { parameterAreaIndex: 0, byteOffset: 4096 })
    .parameterInsert({ gpa: 0x200000, compatibilityMask: all, parameterAreaIndex: 0 })
    .vmsa({ compatibilityMask: snp, gpa: 0xfffff000n, vpIndex: 0, vmsa })
    .vbsRegisters({
      compatibilityMask: vbs,
      registers: [
        { vtl: 0, name: 0x00020010, value: { kind: 'u64', value: 0x101000n } }, // Rip
        { vtl: 0, name: 0x00040000, value: { kind: 'u64', value: 0x80000011n } }, // Cr0
        { vtl: 0, name: 0x00060001, value: { kind: 'segment', base: 0n, limit: 0xffffffff, selector: 0x8, attributes: 0xa09b } }, // Cs
      ],
    })
    .toBytes();
}
