/**
 * `measure FILE...`: several files in one run (one JSON document, one text block per file, the
 * worst exit code), and `--quiet` / `--digest-only` / `--output-format`. Expected digests come
 * from the hand-written PAGE_INFO lists fed to the independent reference in
 * test/helpers/page-info.ts (spec/snp.md §1), and tdx.md §1.3's "one measured zero page at GPA
 * 0" MRTD; base64 is RFC 4648 §4 of those bytes (Node's Buffer, not our code).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder, PageDataFlags } from '../../src/index.js';
import { expectedLaunchDigest, page4k, vmsaPage } from '../helpers/page-info.js';
import { HAVE_SHARED, SHARED_VECTORS } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-files-'));
function put(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const KVM_GPA = 0xffff_ffff_f000n; // spec/snp.md §1.5
const DATA = Uint8Array.of(0x00, 0x05);
const BSP = vmsaPage(0x31n, 0xfff0n);

/** SNP: page 0 with data, then the VMSA (spec/snp.md §2.2: file order). */
const snpPath = put(
  'snp.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .guestPolicy({ policy: 0x30000n, compatibilityMask: 0x1 })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes(),
);
const SNP_LD = expectedLaunchDigest([
  { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
  { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
]);

/** TDX: one data-less page at GPA 0 and a shared page, which tdx.md §2.1 skips (tdx.md §1.3). */
const tdxPath = put(
  'tdx.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x2, platformType: 'TDX' })
    .pageData({ gpa: 0x0, compatibilityMask: 0x2 })
    .pageData({ gpa: 0x400000, compatibilityMask: 0x2, data: DATA, flags: PageDataFlags.SHARED })
    .toBytes(),
);
const TDX_ZERO_PAGE_AT_0 = '236f0efa607ff8843f1855d7ef80dc3dda8fb455787a186b8787212951eab0096e3193bb26f817c2b63c21f5e10f9938';

/** SNP without a GUEST_POLICY: the igvm profile cannot measure it (spec/snp.md §2.2 step 1). */
const noPolicyPath = put(
  'nopolicy.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes(),
);
const junkPath = put('junk.igvm', new Uint8Array(64).fill(0x5a));
const missing = join(dir, 'missing.igvm');

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

describe('measure FILE...', () => {
  it('one FILE keeps the single-file JSON shape {file, sha256, profile, platforms}', async () => {
    const r = await cli(['measure', snpPath, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['file', 'sha256', 'profile', 'platforms']);
    expect(doc.platforms[0].digest).toBe(SNP_LD);
  });
  it('several FILEs: {files: [...]} with one entry per file, in order', async () => {
    const r = await cli(['measure', snpPath, tdxPath, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['files']);
    expect(doc.files.map((f: { file: string }) => f.file)).toEqual([snpPath, tdxPath]);
    expect(doc.files[0].platforms[0].digest).toBe(SNP_LD);
    expect(doc.files[1].platforms[0].digest).toBe(TDX_ZERO_PAGE_AT_0);
    expect(doc.files[1]).toHaveProperty('sha256');
  });
  it('text: one block per file headed by its path', async () => {
    const r = await cli(['measure', snpPath, tdxPath]);
    expect(r.code).toBe(0);
    const blocks = r.stdout.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.split('\n')[0]).toBe(`${snpPath}:`);
    expect(blocks[0]).toContain(SNP_LD);
    expect(blocks[1]!.split('\n')[0]).toBe(`${tdxPath}:`);
    expect(blocks[1]).toContain(TDX_ZERO_PAGE_AT_0);
  });
  it('the exit code is the worst over the files: invalid input (1) over a failed platform (3) over 0', async () => {
    const three = await cli(['measure', snpPath, noPolicyPath, '--json']);
    expect(three.code).toBe(3);
    expect(JSON.parse(three.stdout).files[1].platforms[0].error.code).toBeTypeOf('string');
    const one = await cli(['measure', noPolicyPath, junkPath, snpPath, missing, '--json']);
    expect(one.code).toBe(1);
    const files = JSON.parse(one.stdout).files;
    expect(files).toHaveLength(4);
    expect(files[1].error.code).toBeTypeOf('string');
    expect(files[2].platforms[0].digest).toBe(SNP_LD); // measured after the bad one
    expect(files[3]).toMatchObject({ file: missing, error: { code: 'ReadError' } });
    expect(one.stderr).toContain(missing);
  });
  it('--trace with several FILEs names the file on every line', async () => {
    const r = await cli(['measure', snpPath, tdxPath, '--trace']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((l) => l.file === snpPath || l.file === tdxPath)).toBe(true);
    expect(lines.filter((l) => l.type === 'result').map((l) => [l.file, l.digest])).toEqual([
      [snpPath, SNP_LD],
      [tdxPath, TDX_ZERO_PAGE_AT_0],
    ]);
  });
});

describe('measure --quiet / --digest-only / --output-format', () => {
  it('prints only the digests, one per line, in hex or base64', async () => {
    for (const flag of ['--quiet', '-q', '--digest-only']) {
      const r = await cli(['measure', snpPath, tdxPath, flag]);
      expect([flag, r.code, r.stdout]).toEqual([flag, 0, `${SNP_LD}\n${TDX_ZERO_PAGE_AT_0}\n`]);
    }
    const b = await cli(['measure', snpPath, '--quiet', '--output-format', 'base64']);
    expect(b.stdout).toBe(`${b64(SNP_LD)}\n`);
  });
  it('--output-format base64 in the text lines', async () => {
    const r = await cli(['measure', snpPath, '--output-format', 'base64']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(/\s+/).at(-1)).toBe(b64(SNP_LD));
  });
  it('a platform that cannot be measured: no line, the error on stderr, exit 3', async () => {
    const r = await cli(['measure', noPolicyPath, '-q']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('SEV_SNP');
  });
  it('usage errors (exit 2): with --json or --trace, an unknown format', async () => {
    for (const args of [['-q', '--json'], ['--digest-only', '--trace'], ['--output-format', 'base64', '--json'], ['--output-format', 'b64']]) {
      const r = await cli(['measure', snpPath, ...args]);
      expect([args, r.code]).toEqual([args, 2]);
    }
    expect((await cli(['measure', '-q'])).code).toBe(2);
  });
  it.skipIf(!HAVE_SHARED)('--firmware --quiet: the digest of snp.md §1.7 (e1e1ca02…) alone, and in base64', async () => {
    const fw = join(SHARED_VECTORS, 'firmware', 'ovmf_AmdSev_suffix.bin');
    const args = ['measure', '--firmware', fw, '--vcpus', '1', '--vcpu-type', '0x800f12', '--guest-features', '0x21'];
    const want = 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b';
    expect((await cli([...args, '--quiet'])).stdout).toBe(`${want}\n`);
    const t = await cli([...args, '--output-format', 'base64']);
    expect([t.code, t.stdout.trim().split(/\s+/).at(-1)]).toEqual([0, b64(want)]);
  });
});
