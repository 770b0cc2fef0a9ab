/**
 * `compare --json`'s structured fields (reported and expected values, the host-configuration
 * search's matches and best match) and `--measurement`'s length rule. Measurements are those
 * spec/snp.md §6 gives for the real reports of ../shared/vectors/evidence; the configuration
 * search's expected digest is a hand-written PAGE_INFO list (QEMU/KVM puts the VMSA after every
 * page at 0xfffffffff000, spec/snp.md §1.5, §2.5) fed to the independent reference in
 * test/helpers/page-info.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder } from '../../src/index.js';
import { expectedLaunchDigest, page4k, vmsaPage } from '../helpers/page-info.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-compare-json-'));
const temp = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const snp = (f: string): string => join(SHARED_VECTORS, 'evidence', 'snp', f);

// spec/snp.md §6: virtee's Milan report and its certificates.
const MILAN = '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f';
const milanArgs = (): string[] => ['--evidence', snp('virtee-report_milan.hex'), '--vcek', snp('virtee-vcek_milan.der'), '--chain', snp('virtee-cert_chain_milan')];

describe('compare --measurement', () => {
  it('refuses a value that is not 48 bytes as a usage error (exit 2), before reading the evidence', async () => {
    for (const v of ['7a1e5c26', MILAN.slice(0, 94), `${MILAN}00`]) {
      const r = await cli(['compare', '--measurement', v, '--evidence', join(dir, 'absent.bin')]);
      expect([v, r.code]).toEqual([v, 2]);
      expect(r.stderr).toContain('48 bytes');
    }
  });
});

describe.skipIf(!HAVE_SHARED)('compare --json: structured fields', () => {
  it('reported and expected values as fields; search null without a file', async () => {
    const ok = JSON.parse((await cli(['compare', '--measurement', MILAN, ...milanArgs(), '--json'])).stdout);
    expect(ok).toMatchObject({ match: true, reported: MILAN, expected: MILAN, search: null });
    expect(ok.checks.find((c: { name: string }) => c.name === 'measurement')).toMatchObject({ ok: true, expected: MILAN, actual: MILAN });
    const other = `00${MILAN.slice(2)}`;
    const bad = await cli(['compare', '--measurement', other, ...milanArgs(), '--json']);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout)).toMatchObject({ match: false, reported: MILAN, expected: other });
  });

  it('a file that mismatches: the search candidates that reproduce the report, and the best match', async () => {
    const DATA = Uint8Array.of(0x00, 0x05);
    const BSP = vmsaPage(0x31n, 0xfff0n);
    const KVM_GPA = 0xffff_ffff_f000n;
    // The VMSA directive at 0x5000: microsoft/igvm measures it there (snp.md §2.2), QEMU/KVM at
    // 0xfffffffff000 after every page (snp.md §1.5, §2.5).
    const file = temp(
      'vmsa-5000.igvm',
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
        .guestPolicy({ policy: 0x30000n, compatibilityMask: 0x1 })
        .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
        .vmsa({ compatibilityMask: 0x1, gpa: 0x5000, vmsa: BSP })
        .toBytes(),
    );
    const igvm = expectedLaunchDigest([
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      { type: 'VMSA', gpa: 0x5000n, contents: BSP },
    ]);
    const qemu = expectedLaunchDigest([
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
    ]);
    // A real report (spec/snp.md §6) with MEASUREMENT (offset 0x90, §4) replaced: its signature
    // no longer verifies, but the comparison and the search are made all the same.
    const report = sharedBytes('evidence/snp/trustee-snp-test-report.bin').slice();
    report.set(Buffer.from(qemu, 'hex'), 0x90);
    const r = await cli(['compare', file, '--evidence', temp('report.bin', report), '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ match: false, reported: qemu, expected: igvm });
    expect(doc.search.tried).toBeGreaterThan(1);
    // No data-less page: native zero pages change nothing, so qemu matches with and without.
    expect(doc.search.matches).toContainEqual({ profile: 'qemu', native_zero: false, vcpus: 1 });
    expect(doc.search.best_match).toEqual({ profile: 'qemu', native_zero: false, vcpus: 1 });
  });
});
