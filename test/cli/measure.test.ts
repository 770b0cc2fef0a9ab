/**
 * `igvm-measure measure`: the command-line contract (DESIGN.md "Command line") — text and
 * JSON output, `--trace`, `--platform`, the profile options, and the exit codes of DESIGN.md
 * ("Command line": 0 ok, 1 invalid input, 2 usage, 3 a platform could not be measured).
 * Expected digests come from the spec's worked values, upstream's JSON in ../shared, or a
 * hand-written PAGE_INFO list fed to the independent reference in test/helpers/page-info.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder, PageDataFlags } from '../../src/index.js';
import { expectedLaunchDigest, page4k, vmsaPage, type PageInfoStep } from '../helpers/page-info.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, type UpstreamJson } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const KVM_GPA = 0xffff_ffff_f000n; // spec/snp.md §1.5
const DATA = Uint8Array.of(0x00, 0x05);

/** A VMSA page written by hand at spec/snp.md §1.6 offsets (cr0 0x158, rip 0x178, sev_features 0x3B0). */
const BSP = vmsaPage(0x31n, 0xfff0n);
const AP = vmsaPage(0x30n, 0x8000n);

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-cli-'));
function put(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** SNP (mask 1) with a policy: page 0 with data, data-less page 0x1000, the VMSA last at KVM's GPA. */
const simplePath = put(
  'simple.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .guestPolicy({ policy: 0x30000n, compatibilityMask: 0x1 })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .pageData({ gpa: 0x1000, compatibilityMask: 0x1 })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes(),
);
// spec/snp.md §2.2: file order; data-less NORMAL ⇒ zero-page hash; VMSA at the directive gpa.
const SIMPLE_STEPS: PageInfoStep[] = [
  { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
  { type: 'NORMAL', gpa: 0x1000n },
  { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
];
const SIMPLE_LD = expectedLaunchDigest(SIMPLE_STEPS);
// spec/snp.md §2.3 --native-zero: the data-less page as ZERO.
const SIMPLE_LD_NATIVE_ZERO = expectedLaunchDigest([SIMPLE_STEPS[0]!, { type: 'ZERO', gpa: 0x1000n }, SIMPLE_STEPS[2]!]);

/**
 * SNP (mask 1), TDX (mask 2) and NATIVE (mask 8). TDX sees one data-less page at GPA 0 and a
 * shared page: tdx.md §2.1 skips the shared page, so its MRTD is "one measured zero page at
 * GPA 0" = 236f0efa… (tdx.md §1.3).
 */
const multiPath = put(
  'multi.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 0x2, platformType: 'TDX' })
    .platform({ compatibilityMask: 0x8, platformType: 'NATIVE' })
    .guestPolicy({ policy: 0x30000n, compatibilityMask: 0x1 })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .pageData({ gpa: 0x1000, compatibilityMask: 0x1 })
    .pageData({ gpa: 0x0, compatibilityMask: 0x2 })
    .pageData({ gpa: 0x400000, compatibilityMask: 0x2, data: DATA, flags: PageDataFlags.SHARED })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes(),
);
const TDX_ZERO_PAGE_AT_0 = '236f0efa607ff8843f1855d7ef80dc3dda8fb455787a186b8787212951eab0096e3193bb26f817c2b63c21f5e10f9938';

/** SNP without a GUEST_POLICY: igvm cannot measure it (spec/snp.md §2.2 step 1). */
const noPolicyPath = put(
  'nopolicy.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes(),
);

/** A VMSA at gpa 0x5000: QEMU refuses it (snp.md §1.5), the qemu profile warns. */
const wrongGpaPath = put(
  'wronggpa.igvm',
  new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
    .vmsa({ compatibilityMask: 0x1, gpa: 0x5000, vmsa: BSP })
    .toBytes(),
);

const apPath = put('ap.vmsa', AP);
const shortApPath = put('short.vmsa', new Uint8Array(4095));

const badPath = (() => {
  const b = new Uint8Array(readFileSync(simplePath));
  b[0x14] = b[0x14]! ^ 0xff; // break the header checksum (igvm-format.md §2.4)
  return put('bad.igvm', b);
})();

const HEX96 = /^[0-9a-f]{96}$/;

// ---------------------------------------------------------------------------------------------

describe('measure: text output', () => {
  it('one line per platform header: type, mask, algorithm, lowercase hex digest', async () => {
    const r = await cli(['measure', multiPath]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const [snp, tdx, native] = lines as [string, string, string];
    expect(snp).toMatch(/SEV_SNP/);
    expect(snp).toMatch(/0x1\b/);
    expect(snp).toMatch(/sha384/);
    expect(snp.split(/\s+/)).toContain(SIMPLE_LD);
    expect(tdx).toMatch(/TDX/);
    expect(tdx).toMatch(/0x2\b/);
    expect(tdx).toMatch(/sha384/);
    expect(tdx.split(/\s+/)).toContain(TDX_ZERO_PAGE_AT_0);
    expect(native).toMatch(/NATIVE/);
    expect(native).toMatch(/0x8\b/);
    expect(native.split(/\s+/).some((t) => /^[0-9a-f]{32,}$/.test(t))).toBe(false);
    // Digests are lowercase hex.
    const hexTokens = r.stdout.split(/\s+/).filter((t) => /^[0-9a-fA-F]{96}$/.test(t));
    expect(hexTokens).toHaveLength(2);
    for (const t of hexTokens) expect(t).toMatch(HEX96);
  });

  it('--platform snp lists only the SNP header', async () => {
    const r = await cli(['measure', multiPath, '--platform', 'snp']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SEV_SNP/);
    expect(lines[0]!.split(/\s+/)).toContain(SIMPLE_LD);
  });

  it('--platform tdx lists only the TDX header', async () => {
    const r = await cli(['measure', multiPath, '--platform', 'tdx', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.platforms).toEqual([{ compatibility_mask: 2, platform_type: 'TDX', algorithm: 'sha384', digest: TDX_ZERO_PAGE_AT_0 }]);
  });
});

describe('measure --json', () => {
  it('{file, sha256, profile, platforms} with digest and not-measurable entries', async () => {
    const r = await cli(['measure', multiPath, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['file', 'platforms', 'profile', 'sha256']);
    expect(j.file).toBe(multiPath);
    expect(j.sha256).toBe(createHash('sha256').update(readFileSync(multiPath)).digest('hex'));
    expect(j.profile).toBe('igvm');
    expect(j.platforms).toEqual([
      { compatibility_mask: 1, platform_type: 'SEV_SNP', algorithm: 'sha384', digest: SIMPLE_LD },
      { compatibility_mask: 2, platform_type: 'TDX', algorithm: 'sha384', digest: TDX_ZERO_PAGE_AT_0 },
      { compatibility_mask: 8, platform_type: 'NATIVE', measurable: false },
    ]);
  });

  it('a platform that cannot be measured: {error: {code, message}} and exit 3', async () => {
    const r = await cli(['measure', noPolicyPath, '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.platforms).toHaveLength(1);
    expect(j.platforms[0]).toMatchObject({ compatibility_mask: 1, platform_type: 'SEV_SNP', error: { code: 'MissingGuestPolicy' } });
    expect(typeof j.platforms[0].error.message).toBe('string');
    expect(j.platforms[0].digest).toBeUndefined();
  });

  it('--profile qemu / igvmmeasure measure the file without a policy (snp.md §2.6), exit 0', async () => {
    for (const profile of ['qemu', 'igvmmeasure']) {
      const r = await cli(['measure', noPolicyPath, '--json', '--profile', profile]);
      expect(r.code, profile).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.profile).toBe(profile);
      expect(j.platforms[0]).toMatchObject({
        platform_type: 'SEV_SNP',
        algorithm: 'sha384',
        digest: expectedLaunchDigest([
          { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
          { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
        ]),
      });
    }
  });

  sharedNotice('measure --json on seed1_05');
  it.skipIf(!HAVE_SHARED)('seed1_05_snp_nopolicy_sev_native: SNP error, SEV_ES/SEV igvmmeasure digests, NATIVE not measurable, TDX f89433db… (upstream JSON)', async () => {
    const path = join(SHARED_VECTORS, 'igvm/upstream/seed1_05_snp_nopolicy_sev_native.igvm');
    const up = sharedJson<UpstreamJson>('igvm/upstream/seed1_05_snp_nopolicy_sev_native.json');
    const r = await cli(['measure', path, '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.file).toBe(path);
    expect(j.sha256).toBe(up.file_sha256);
    expect(j.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
    expect(j.profile).toBe('igvm');
    expect(j.platforms).toHaveLength(up.platforms.length);
    up.platforms.forEach((u, i) => {
      const p = j.platforms[i];
      expect(p.compatibility_mask).toBe(u.compatibility_mask);
      expect(p.platform_type).toBe(u.platform_type);
      if (u.error !== undefined) {
        expect(p.error).toEqual({ code: 'MissingGuestPolicy', message: u.error });
        expect(p.digest).toBeUndefined();
      } else if (u.not_measurable === true && (u.platform_type === 'SEV' || u.platform_type === 'SEV_ES')) {
        // Upstream has no SEV/SEV-ES digest; we give igvmmeasure's (snp.md §2.3) and say so.
        expect(p).toMatchObject({ compatibility_mask: u.compatibility_mask, platform_type: u.platform_type, algorithm: 'sha256' });
        expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
        expect(p.note).toContain('igvmmeasure');
      } else if (u.not_measurable === true) {
        expect(p).toEqual({ compatibility_mask: u.compatibility_mask, platform_type: u.platform_type, measurable: false });
      } else {
        expect(p).toEqual({ compatibility_mask: u.compatibility_mask, platform_type: u.platform_type, algorithm: 'sha384', digest: u.tdx_mrtd });
      }
    });
    // upstream's platform list and TDX digest for this file, spelled out.
    expect(j.platforms.map((p: { platform_type: string }) => p.platform_type)).toEqual(['SEV_SNP', 'SEV_ES', 'SEV', 'NATIVE', 'TDX']);
    expect(j.platforms[4].digest).toBe('f89433dbdbf57ae0b5101bff86b1f5e363122b0470e88e0ebb1e607d42ecfd3d80dc00259f0af080a2568cb05a46f19e');

    // --platform snp on the same file: only the failing SNP entry, still exit 3.
    const s = await cli(['measure', path, '--json', '--platform', 'snp']);
    expect(s.code).toBe(3);
    expect(JSON.parse(s.stdout).platforms).toHaveLength(1);
    // --platform tdx: only TDX, which succeeds.
    const t = await cli(['measure', path, '--platform', 'tdx']);
    expect(t.code).toBe(0);
    expect(t.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(t.stdout).toContain('f89433dbdbf57ae0b5101bff86b1f5e363122b0470e88e0ebb1e607d42ecfd3d80dc00259f0af080a2568cb05a46f19e');
  });

  it('qemu warnings appear in the JSON entry and on stderr; TDX under qemu carries a note', async () => {
    const r = await cli(['measure', wrongGpaPath, '--json', '--profile', 'qemu']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.platforms[0].digest).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
    expect(j.platforms[0].warnings).toHaveLength(1);
    expect(j.platforms[0].warnings[0]).toMatch(/0x5000/);
    expect(r.stderr).toMatch(/warning/i);
    const t = JSON.parse((await cli(['measure', multiPath, '--json', '--profile', 'qemu', '--platform', 'tdx'])).stdout);
    expect(t.platforms[0]).toMatchObject({ platform_type: 'TDX', digest: TDX_ZERO_PAGE_AT_0 });
    expect(t.platforms[0].note).toMatch(/igvm/);
  });
});

describe('measure options', () => {
  it('--native-zero measures data-less pages as ZERO (snp.md §2.3)', async () => {
    const r = await cli(['measure', simplePath, '--json', '--profile', 'igvmmeasure', '--native-zero']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).platforms[0].digest).toBe(SIMPLE_LD_NATIVE_ZERO);
  });

  it('--profile qemu --vcpus 2 --ap-vmsa FILE: the AP VMSA after the BSP, at 0xFFFFFFFFF000 (snp.md §1.6)', async () => {
    const r = await cli(['measure', simplePath, '--json', '--profile', 'qemu', '--vcpus', '2', '--ap-vmsa', apPath]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).platforms[0].digest).toBe(expectedLaunchDigest([...SIMPLE_STEPS, { type: 'VMSA', gpa: KVM_GPA, contents: AP }]));
  });

  it('--profile qemu --vcpus 2 without --ap-vmsa: the SNP platform fails (MissingVmsa), exit 3', async () => {
    const r = await cli(['measure', simplePath, '--json', '--profile', 'qemu', '--vcpus', '2']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).platforms[0].error.code).toBe('MissingVmsa');
  });

  it('--max-pages: 3 steps pass with 3, fail with 2 (TooManyPages, exit 3)', async () => {
    const ok = await cli(['measure', simplePath, '--json', '--max-pages', '3']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).platforms[0].digest).toBe(SIMPLE_LD);
    const r = await cli(['measure', simplePath, '--json', '--max-pages', '2']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).platforms[0].error.code).toBe('TooManyPages');
  });
});

describe('measure --trace', () => {
  it('JSON lines: every step, then the results; the SNP steps follow the PAGE_INFO chain', async () => {
    const r = await cli(['measure', simplePath, '--trace']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const types = lines.map((l) => l.type);
    const firstResult = types.indexOf('result');
    expect(firstResult).toBeGreaterThan(0);
    expect(types.slice(0, firstResult).every((t) => t === 'step')).toBe(true);
    expect(types.slice(firstResult).every((t) => t === 'result')).toBe(true);
    const steps = lines.slice(0, firstResult);
    const results = lines.slice(firstResult);
    // One PAGE_INFO per step of SIMPLE_STEPS.
    expect(steps).toHaveLength(SIMPLE_STEPS.length);
    steps.forEach((s, i) => {
      expect(s.platform).toBe('SEV_SNP');
      expect(s.digest).toBe(expectedLaunchDigest(SIMPLE_STEPS.slice(0, i + 1)));
      expect(s.gpa).toBe(Number(SIMPLE_STEPS[i]!.gpa));
    });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ type: 'result', platform_type: 'SEV_SNP', compatibility_mask: 1, algorithm: 'sha384', digest: SIMPLE_LD });
    expect(steps[steps.length - 1]!.digest).toBe(results[0]!.digest);
  });

  it('with several platforms, the last SNP step digest is the reported SNP digest', async () => {
    const r = await cli(['measure', multiPath, '--trace']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const firstResult = lines.findIndex((l) => l.type === 'result');
    expect(lines.slice(0, firstResult).every((l) => l.type === 'step')).toBe(true);
    const snpSteps = lines.filter((l) => l.type === 'step' && l.platform === 'SEV_SNP');
    expect(snpSteps).toHaveLength(SIMPLE_STEPS.length);
    const results = lines.filter((l) => l.type === 'result');
    expect(results.map((l) => l.platform_type)).toEqual(['SEV_SNP', 'TDX', 'NATIVE']);
    expect(snpSteps[snpSteps.length - 1]!.digest).toBe(results[0]!.digest);
    expect(results[0]!.digest).toBe(SIMPLE_LD);
    expect(results[1]!.digest).toBe(TDX_ZERO_PAGE_AT_0);
    for (const l of lines.filter((x) => x.type === 'step')) expect(l.digest).toMatch(HEX96);
    expect(results[2]).toMatchObject({ platform_type: 'NATIVE', measurable: false });
  });
});

describe('measure exit codes', () => {
  it('1: an invalid file (bad checksum) and a missing file', async () => {
    const r = await cli(['measure', badPath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('InvalidChecksum');
    const j = await cli(['measure', badPath, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error.code).toBe('InvalidChecksum');
    expect((await cli(['measure', join(dir, 'missing.igvm')])).code).toBe(1);
  });

  it('2: usage errors', async () => {
    const usage: string[][] = [
      ['measure'],
      ['measure', simplePath, '--platform', 'arm'],
      ['measure', simplePath, '--platform', 'SNP'],
      ['measure', simplePath, '--profile', 'hyperv'],
      ['measure', simplePath, '--vcpus', '0'],
      ['measure', simplePath, '--vcpus', 'two'],
      ['measure', simplePath, '--max-pages', '0'],
      ['measure', simplePath, '--json', '--trace'],
      ['measure', simplePath, '--profile', 'qemu', '--ap-vmsa', shortApPath],
      ['measure', simplePath, '--frobnicate'],
    ];
    for (const args of usage) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toBe('');
    }
  });

  it('0: --help', async () => {
    const h = await cli(['measure', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: igvm-measure measure');
    expect(h.stdout).toContain('--profile');
    expect((await cli(['--help'])).stdout).toContain('measure');
  });
});
