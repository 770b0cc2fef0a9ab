/**
 * `igvm-measure inspect`: the JSON contract of the issue (field names, upstream spellings,
 * 64-bit encoding), exit codes (DESIGN.md "Command line"), and the built executable.
 * Expected values come from the spec's examples and upstream's JSON (../shared).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { buildCapiTestFile, buildSampleFile } from '../../vectors/samples.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_VECTORS, sharedJson, sharedNotice } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-inspect-'));
const capiPath = join(dir, 'capi.igvm');
writeFileSync(capiPath, buildCapiTestFile());
const samplePath = join(dir, 'sample.igvm');
writeFileSync(samplePath, buildSampleFile());

describe('inspect --json', () => {
  it('describes the §15.1 file with the fields the issue names', async () => {
    const r = await cli(['inspect', capiPath, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    // Values from spec/igvm-format.md §15.1.
    expect(j).toMatchObject({
      format_version: 1,
      architecture: 'x64',
      page_size: 4096,
      total_file_size: 16800,
      checksum: '0x2364c520',
      counts: { platform: 1, initialization: 2, directive: 11 },
      platforms: [{ compatibility_mask: 1, platform_type: 'VSM_ISOLATION', highest_vtl: 0, platform_version: 1, shared_gpa_boundary: 0 }],
    });
    expect(j.initialization).toHaveLength(2);
    expect(j.directives).toHaveLength(11);
    expect(j.directives[10]).toMatchObject({ type: 'PARAMETER_INSERT', gpa: 0x14000, compatibility_mask: 1, parameter_area_index: 0 });
    expect(j.directives[4]).toMatchObject({ type: 'PAGE_DATA', gpa: 0xa000, file_offset: 0x1a0, data_type: 'NORMAL' });
  });

  it('writes 64-bit values of 2^53 and above as 0x strings', async () => {
    const { IgvmBuilder } = await import('../../src/index.js');
    const big = new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP', sharedGpaBoundary: 1n << 60n })
      .guestPolicy({ policy: 0xffff_ffff_ffff_ffffn, compatibilityMask: 1 })
      .pageData({ gpa: (1n << 53n) - 4096n, compatibilityMask: 1, data: new Uint8Array(1) })
      .toBytes();
    const p = join(dir, 'big.igvm');
    writeFileSync(p, big);
    const j = JSON.parse((await cli(['inspect', p, '--json'])).stdout);
    expect(j.platforms[0].shared_gpa_boundary).toBe('0x1000000000000000');
    expect(j.initialization[0].policy).toBe('0xffffffffffffffff');
    expect(j.directives[0].gpa).toBe(2 ** 53 - 4096);
  });

  sharedNotice('inspect on upstream vectors');
  it.skipIf(!HAVE_SHARED)('spells platform types and counts as upstream does (seed1_05, seed1_04)', async () => {
    for (const name of ['seed1_05_snp_nopolicy_sev_native', 'seed1_04_multi', 'seed1_03_vbs_aarch64']) {
      const r = await cli(['inspect', join(SHARED_VECTORS, `igvm/upstream/${name}.igvm`), '--json']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      const up = sharedJson<{ counts: unknown; platforms: Array<Record<string, unknown>> }>(`igvm/upstream/${name}.json`);
      expect(j.counts).toEqual(up.counts);
      expect(j.platforms.map((p: { platform_type: string; compatibility_mask: number }) => [p.platform_type, p.compatibility_mask])).toEqual(
        up.platforms.map((p) => [p.platform_type, p.compatibility_mask]),
      );
    }
  });
});

describe('inspect text output', () => {
  it('summarizes, and lists every header with --headers', async () => {
    const r = await cli(['inspect', samplePath, '--headers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SEV_SNP');
    expect(r.stdout).toContain('VSM_ISOLATION');
    // 3 platforms + 2 policies + 13 directives, one line each after the column header.
    const lines = r.stdout.split('\n').filter((l) => /^\s+\d+\s+0x/.test(l));
    expect(lines).toHaveLength(18);
  });
});

describe('inspect errors and exit codes', () => {
  it('exits 1 with a one-line message on an invalid file, and a JSON error with --json', async () => {
    const bad = buildCapiTestFile();
    bad[0x14] = bad[0x14]! ^ 0xff; // break the checksum (§2.4)
    const p = join(dir, 'bad.igvm');
    writeFileSync(p, bad);
    const t = await cli(['inspect', p]);
    expect(t.code).toBe(1);
    expect(t.stdout).toBe('');
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
    expect(t.stderr).toContain('InvalidChecksum');
    const j = await cli(['inspect', p, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'InvalidChecksum', offset: 0x14 } });
  });

  it('exits 1 for a missing file', async () => {
    const r = await cli(['inspect', join(dir, 'nope.igvm'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('ReadError');
  });

  it('exits 2 on usage errors and 0 on --help', async () => {
    expect((await cli(['inspect'])).code).toBe(2);
    expect((await cli(['inspect', 'a', 'b'])).code).toBe(2);
    expect((await cli(['inspect', capiPath, '--frobnicate'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    const h = await cli(['inspect', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: igvm-measure inspect');
    expect((await cli(['--help'])).stdout).toContain('inspect');
    // `help <command>` prints the same text as `<command> --help`; an unknown name is a usage error.
    const viaHelp = await cli(['help', 'inspect']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(h.stdout);
    expect((await cli(['help', 'frobnicate'])).code).toBe(2);
  });

  it('--version and -V print the version, then the hash kernels in use', async () => {
    for (const flag of ['--version', '-V']) {
      const v = await cli([flag]);
      expect(v.code).toBe(0);
      const [version, kernels] = v.stdout.trimEnd().split('\n');
      // The version is package.json's, read independently of the CLI's constant.
      expect(version).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
      expect(kernels).toMatch(/^kernels: .+; hash: .+$/);
    }
  });
});

describe('the built executable', () => {
  const bin = join(REPO_ROOT, 'dist/src/cli/main.js');
  it.skipIf(!existsSync(bin))('runs as a process: inspect --json on the sample, exit 0', () => {
    const r = spawnSync(process.execPath, [bin, 'inspect', samplePath, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).counts).toEqual({ platform: 3, initialization: 2, directive: 13 });
  });
});
