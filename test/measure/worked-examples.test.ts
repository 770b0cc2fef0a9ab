/**
 * The spec's worked examples, rebuilt with our builder from their descriptions, with the
 * expected values the spec gives: the openvmm vectors (snp.md §2.4, tdx.md §1.7,
 * vbs-cca-corim.md §1.4), the 33-step SNP chain of snp.md §1.7 driven through the SNP model
 * directly, and smaller values the spec derives.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IgvmBuilder,
  PageDataFlags,
  SnpLaunchDigest,
  defaultHashBackend,
  measure,
  measureSnp,
  measureTdx,
  measureVbs,
  parseIgvm,
} from '../../src/index.js';
import { buildCapiTestFile } from '../../vectors/samples.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');

/**
 * The page pattern of openvmm's `test_*_measurement` tests (snp.md §2.4, tdx.md §1.7,
 * vbs-cca-corim.md §1.4): pages 0–4 measured (page 0 carries `00 05`, 1–4 empty), pages 5–9
 * unmeasured (page 5 carries `00 05`), page 10 carries `00 05`, page 20 shared.
 */
function openvmmPages(b: IgvmBuilder, mask: number): IgvmBuilder {
  const data = Uint8Array.of(0x00, 0x05);
  for (let page = 0; page <= 10; page++) {
    const unmeasured = page >= 5 && page <= 9;
    const withData = page === 0 || page === 5 || page === 10;
    b.pageData({ gpa: page * 0x1000, compatibilityMask: mask, ...(withData ? { data } : {}), flags: unmeasured ? PageDataFlags.UNMEASURED : 0 });
  }
  return b.pageData({ gpa: 20 * 0x1000, compatibilityMask: mask, data, flags: PageDataFlags.SHARED });
}

/**
 * openvmm's TDX reset page (tdx.md §1.7): bytes 0x000..0x1C3, CC up to 0xFEF, then the jmp.
 * The spec's hex for 0x000..0x1C3 has 453 bytes for a 452-byte range: its long run of zeros
 * in the trampoline context has one zero too many (the spec itself says byte 0xA7 is 0x46,
 * which in its string stands at 0xA8). Dropping one zero of that run gives the page whose
 * SHA-384 the spec states, which the next test checks.
 */
const RESET_PAGE_HEAD =
  '000000000000000000000000000000000000000000000f0098f0ffff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ffff0000009ba0460f011516f0ffff8b0588f0ffff0f22e08b0590f0ffff0f22d88b0578f0ffff0f22c0ead1f0ffff0800488b05a8ffffff0f22d8668b0554ffffff6685c0743a0f011548ffffff668b0529ffffff6685c074070f011d1dffffff668b050cffffff8ed08ed88ec08ee08ee8668b0503ffffff6685c074030f00d885f6743631c0b9001c00004d31d241bb1f00000041bc02080000660f01cc8b05bffeffff4139c375f531db8b1daefeffffba0100000039d375e485f674184831c066890597feffff488b0598feffff488905b1feffff488b25c2feffff488b2dc3feffff8bce488b35c2feffff4c8b05c3feffff4c8b0dc4feffff4c8b15c5feffff4c8b1dc6feffff668b057ffeffff6685c0740748ff2d6bfeffff48ff2564feffff';
function resetPage(): Uint8Array {
  const page = new Uint8Array(4096).fill(0xcc);
  const head = fromHex(RESET_PAGE_HEAD);
  if (head.length !== 0x1c5 || head[0x1c] !== 0) throw new Error('the spec text changed; revisit this fixture');
  page.set(head.subarray(0, 0x1c), 0);
  page.set(head.subarray(0x1d), 0x1c);
  page.set(fromHex('e9b3f0ffffcccccccccccccccccccccc'), 0xff0);
  return page;
}

describe('openvmm test vectors', () => {
  it('SNP: 889a1938…1c4f (snp.md §2.4; policy 0x3001F as in the test)', () => {
    const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'SEV_SNP' }).guestPolicy({ policy: 0x3001f, compatibilityMask: 1 });
    const file = parseIgvm(openvmmPages(b, 1).toBytes());
    expect(hex(measureSnp(file))).toBe('889a19386c82e2219bded3e92a764e8c00c29b966d04a662bca6cfdfec647b9051995653390783846557913263d71c4f');
  });

  it('TDX: the reset page has the SHA-384 the spec gives (tdx.md §1.7)', () => {
    expect(resetPage()[0xa7]).toBe(0x46);
    expect(sha384(resetPage())).toBe('ab66909c57ac90f90b151e8f9333e975dfca41aabc89796ad711d94aca35008d9ca0b3f4cb60f99e137bedc6706e710f');
  });

  it('TDX: c8892e28…60eb (tdx.md §1.7: the page pattern, then the reset page at 0xFFFFF000)', () => {
    const b = openvmmPages(new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'TDX' }).guestPolicy({ policy: 0, compatibilityMask: 1 }), 1);
    const file = parseIgvm(b.pageData({ gpa: 0xfffff000, compatibilityMask: 1, data: resetPage() }).toBytes());
    expect(hex(measureTdx(file))).toBe('c8892e2858dae7075ae77df712f3299e2051311ea8a3dc1dd83497a4ff195800f63e938c22c946592220efb64da960eb');
  });

  it('VBS: 30134c9b…a64c (vbs-cca-corim.md §1.4; no VP context)', () => {
    const file = parseIgvm(openvmmPages(new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION' }), 1).toBytes());
    expect(hex(measureVbs(file))).toBe('30134c9bb89cd72d8a418d1e7afb75927f45e8571dda7ac7be87d4b6c72ca64c');
  });
});

describe('SNP 33-step chain (snp.md §1.7), through the model directly', () => {
  it('ends in e1e1ca02…0e2b', () => {
    const m = new SnpLaunchDigest(defaultHashBackend);
    // 1. NORMAL at 0xFFFFF000 with ovmf_AmdSev_suffix.bin, whose SHA-384 §1.2 gives.
    m.pageInfo('NORMAL', 0xfffff000n, fromHex('161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894'));
    // §1.2: the LD after that one step.
    expect(hex(m.launchDigest)).toBe('086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74');
    // 2. ZERO ×9 at 0x800000..0x808000, ZERO ×3 at 0x80A000..0x80C000.
    for (let i = 0; i < 9; i++) m.pageInfo('ZERO', 0x800000n + BigInt(i) * 0x1000n, null);
    for (let i = 0; i < 3; i++) m.pageInfo('ZERO', 0x80a000n + BigInt(i) * 0x1000n, null);
    // 3. SECRETS at 0x80D000, CPUID at 0x80E000.
    m.pageInfo('SECRETS', 0x80d000n, null);
    m.pageInfo('CPUID', 0x80e000n, null);
    // 4. ZERO at 0x80F000 and 0x810000; 5. ZERO ×15 at 0x811000..0x81F000.
    m.pageInfo('ZERO', 0x80f000n, null);
    m.pageInfo('ZERO', 0x810000n, null);
    for (let i = 0; i < 15; i++) m.pageInfo('ZERO', 0x811000n + BigInt(i) * 0x1000n, null);
    // 6. VMSA at 0xFFFFFFFFF000 with the BSP VMSA hash of §1.6.
    m.pageInfo('VMSA', 0xfffffffff000n, fromHex('ae79efa6efbe1594a2717dfd42af495a0e4ed37b00e529a5fdf349bea04c3513962ffb0c74cf65b0d9a1857271833d6e'));
    expect(m.stepCount).toBe(33);
    expect(hex(m.launchDigest)).toBe('e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b');
  });

  it('uses the zero-page hash c0e59a3e… for data-less NORMAL pages (snp.md §1.3)', () => {
    const zero = new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
      .guestPolicy({ policy: 0x30000, compatibilityMask: 1 })
      .pageData({ gpa: 0x1000, compatibilityMask: 1 })
      // A page for another mask, so the file has data: upstream rejects an empty data section (igvm-format.md §2.6).
      .pageData({ gpa: 0, compatibilityMask: 2, data: new Uint8Array(1) })
      .toBytes();
    const expected = new SnpLaunchDigest(defaultHashBackend);
    expected.pageInfo('NORMAL', 0x1000n, fromHex('c0e59a3e3ffbd3b5c75428fb36432facabc745944296ff515f737c4fef4efc64586809f7a16f56354a1eaecf2aa8d774'));
    expect(hex(measureSnp(parseIgvm(zero)))).toBe(hex(expected.launchDigest));
  });
});

describe('values the spec derives', () => {
  const tdxOnePage = (flags: number): Uint8Array =>
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'TDX' })
      .pageData({ gpa: 0, compatibilityMask: 1, flags })
      // Not for the TDX platform; it gives the file the data section upstream requires (igvm-format.md §2.6).
      .pageData({ gpa: 0, compatibilityMask: 2, data: new Uint8Array(1) })
      .toBytes();

  it('TDX: one measured zero page at GPA 0 gives 236f0efa… (tdx.md §1.3)', () => {
    expect(hex(measureTdx(parseIgvm(tdxOnePage(0))))).toBe('236f0efa607ff8843f1855d7ef80dc3dda8fb455787a186b8787212951eab0096e3193bb26f817c2b63c21f5e10f9938');
  });

  it('TDX: the same page unmeasured gives 8f3e9a8a… (tdx.md §1.3)', () => {
    expect(hex(measureTdx(parseIgvm(tdxOnePage(PageDataFlags.UNMEASURED))))).toBe('8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570');
  });

  it('TDX: no pages at all is SHA-384 of the empty string (tdx.md §1)', () => {
    const file = parseIgvm(
      new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'TDX' }).pageData({ gpa: 0, compatibilityMask: 2, data: new Uint8Array(1) }).toBytes(),
    );
    expect(hex(measureTdx(file))).toMatch(/^38b060a751ac9638.*98b95b$/);
  });

  it('VBS: upstream serializer make_vbs_file() gives aa9a1ac3… (vbs-cca-corim.md §1.4, registers measured last)', () => {
    const file = parseIgvm(
      new IgvmBuilder({ formatVersion: 2, architecture: 'x64' })
        .platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION' })
        .vbsRegisters({ compatibilityMask: 1, registers: [{ vtl: 0, name: 0x00020010, value: { kind: 'u64', value: 0x1000n } }] })
        .pageData({ gpa: 0, compatibilityMask: 1, data: new Uint8Array(4096).fill(0xaa) })
        .pageData({ gpa: 0x1000, compatibilityMask: 1, data: new Uint8Array(4096).fill(0xbb) })
        .toBytes(),
    );
    expect(hex(measureVbs(file))).toBe('aa9a1ac323dc94c90907328d2f60da581d543b071ff688e5b1e78a8a34ae469e');
  });

  it('VBS: the C-API test file, rebuilt, gives eadeac0d…2275 (confirmed by upstream, capi-test.json)', () => {
    const r = measure(parseIgvm(buildCapiTestFile()));
    const vbs = r.platforms[0]!;
    expect('digest' in vbs && hex(vbs.digest)).toBe('eadeac0d646af12097d798c06aae26f37a484c04482e88be2b81ed266f3e2275');
  });
});
