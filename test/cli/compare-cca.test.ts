/**
 * `igvm-measure compare FILE --platform cca --measurement HEX`: a realm token's RIM claim (44238)
 * against the RIM of FILE's CCA platform, the convention search on a mismatch, the length rule,
 * and failing closed without a CCA platform. Claims are the RIMs of hand-written step lists
 * folded by the step-list path (test/helpers/cca-igvm.ts), never `measure`'s.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder } from '../../src/format/builder.js';
import { CCA_HASHES, ccaIgvmBytes, expectedCcaRim, page, snpOnlyBytes } from '../helpers/cca-igvm.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-compare-cca-'));
const temp = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('compare --platform cca: match', () => {
  for (const h of CCA_HASHES) {
    it(`${h.name}: the claim of the default conventions matches (exit 0), text and JSON`, async () => {
      const path = temp(`cca-${h.name}.igvm`, ccaIgvmBytes(h.code));
      const want = expectedCcaRim(h.name, 'rmm-2.0');
      const text = await cli(['compare', path, '--platform', 'cca', '--measurement', want.claim]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^cca-rim-claim vs .*: MATCH\n/);
      expect(text.stdout).toMatch(/ok {4}rim/);
      const j = JSON.parse((await cli(['compare', path, '--platform', 'cca', '--measurement', want.claim, '--json'])).stdout);
      expect(j).toMatchObject({ kind: 'cca-rim-claim', evidence: null, verified: null, match: true, reported: want.claim, expected: want.claim, algorithm: h.algorithm, rule: 'rmm-2.0', rim: want.rim, search: null });
      expect(j.checks).toEqual([expect.objectContaining({ name: 'rim', ok: true, expected: want.claim, actual: want.claim })]);
    });
  }

  it('the CCA options select the conventions compared under (--rmm tfrmm-2026 --cca-data-order ascending)', async () => {
    const path = temp('cca-opts.igvm', ccaIgvmBytes(0));
    const want = expectedCcaRim('sha-256', 'tfrmm-2026', { ascending: true });
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', want.claim, '--rmm', 'tfrmm-2026', '--cca-data-order', 'ascending']);
    expect(r.code).toBe(0);
  });
});

describe('compare --platform cca: mismatch and the convention search', () => {
  it('a claim made with DATA sorted by IPA: exit 3, the search names --cca-data-order ascending', async () => {
    const path = temp('cca-asc.igvm', ccaIgvmBytes(0));
    const claim = expectedCcaRim('sha-256', 'rmm-2.0', { ascending: true }).claim;
    const computed = expectedCcaRim('sha-256', 'rmm-2.0').claim;
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', claim]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/: MISMATCH\n/);
    expect(r.stdout).toContain(`claimed ${claim}, computed ${computed}`);
    expect(r.stdout).toContain('the claim matches --cca-data-order ascending');
    const j = JSON.parse((await cli(['compare', path, '--platform', 'cca', '--measurement', claim, '--json'])).stdout);
    expect(j).toMatchObject({ match: false, reported: claim, expected: computed });
    expect(j.search.matches).toEqual([{ rule: 'rmm-2.0', data_order: 'ascending', rec_order: 'last', zero_pages: 'measured', unmeasured: 'descriptor' }]);
    expect(j.search.best_match).toEqual(j.search.matches[0]);
    expect(j.search.tried).toBe(24);
  });

  it('a claim under tfrmm-2026 compared as rmm-2.0, and the reverse: the search names the other rule set', async () => {
    const path = temp('cca-rule.igvm', ccaIgvmBytes(2));
    const tf = expectedCcaRim('sha-384', 'tfrmm-2026').claim;
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', tf, '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    // Both REC orders match: vCPU 0's context is the file's last directive.
    expect(j.search.best_match).toEqual({ rule: 'tfrmm-2026', data_order: 'directive', rec_order: 'last', zero_pages: 'measured', unmeasured: 'descriptor' });
    expect(j.checks[0].detail).toContain('the claim matches --rmm tfrmm-2026');
    const rmm2 = expectedCcaRim('sha-384', 'rmm-2.0').claim;
    const back = await cli(['compare', path, '--platform', 'cca', '--measurement', rmm2, '--rmm', 'tfrmm-2026']);
    expect(back.code).toBe(3);
    expect(back.stdout).toContain('the claim matches --rmm rmm-2.0');
  });

  it('a claim no convention reproduces: says so, and that rmm-1.0 needs --cca-ram', async () => {
    const path = temp('cca-none.igvm', ccaIgvmBytes(0));
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', 'ab'.repeat(32)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/none of 24 convention choices .* reproduces it \(rmm-1.0 was not tried: it measures the RAM, give --cca-ram\)/);
  });
});

describe('compare --platform cca: usage and failing closed', () => {
  it('a claim of another length than the realm hash is a usage error naming both (exit 2)', async () => {
    const path = temp('cca-len.igvm', ccaIgvmBytes(0)); // SHA-256: 32 bytes
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', 'ab'.repeat(48)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--measurement is 48 bytes, but the CCA realm .* hashes with sha-256: its RIM claim is 32 bytes/);
    // The 64-byte zero-filled RmmRealmMeasurement veraison prints is refused too, with a hint.
    const padded = await cli(['compare', path, '--platform', 'cca', '--measurement', `${expectedCcaRim('sha-256', 'rmm-2.0').claim}${'00'.repeat(32)}`]);
    expect(padded.code).toBe(2);
    expect(padded.stderr).toMatch(/give its first 32 bytes/);
  });

  it('a file without a CCA platform: the check is not made, never passed (exit 3)', async () => {
    const path = temp('snp.igvm', snpOnlyBytes());
    const r = await cli(['compare', path, '--platform', 'cca', '--measurement', 'ab'.repeat(32), '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ match: null, expected: null, search: null });
    expect(j.checks).toEqual([expect.objectContaining({ name: 'rim', ok: null })]);
    expect(j.checks[0].detail).toMatch(/not made: .* has no CCA platform/);
    const text = await cli(['compare', path, '--platform', 'cca', '--measurement', 'ab'.repeat(32)]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/NOT compared/);
  });

  it('a CCA platform that cannot be measured (no CCA_POLICY): not made (exit 3)', async () => {
    const noPolicy = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
      .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
      .pageData({ gpa: 0x8000_0000, compatibilityMask: 1, data: page(1) })
      .toBytes();
    const r = await cli(['compare', temp('cca-nopolicy.igvm', noPolicy), '--platform', 'cca', '--measurement', 'ab'.repeat(32), '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.match).toBeNull();
    expect(j.checks[0]).toMatchObject({ name: 'rim', ok: null });
    expect(j.checks[0].detail).toMatch(/not made: the CCA platform mask 0x1 could not be measured/);
  });

  it('usage errors (exit 2): --evidence with cca, no --measurement, no FILE, evidence options, CCA options without --platform cca', async () => {
    const path = temp('cca-usage.igvm', ccaIgvmBytes(0));
    const claim = 'ab'.repeat(32);
    const cases: [string[], RegExp][] = [
      [[path, '--platform', 'cca', '--measurement', claim, '--evidence', join(dir, 'absent.bin')], /no CCA evidence is read here/],
      [[path, '--platform', 'cca'], /needs --measurement HEX/],
      [['--platform', 'cca', '--measurement', claim], /needs the IGVM FILE/],
      [[path, '--platform', 'cca', '--measurement', claim, '--profile', 'qemu'], /--profile applies to SEV-SNP and TDX evidence/],
      [[path, '--platform', 'cca', '--measurement', claim, '--vcek', 'x'], /--vcek applies to SEV-SNP and TDX evidence/],
      [[path, '--measurement', claim, '--rmm', 'tfrmm-2026'], /--rmm applies to --platform cca/],
      [[path, '--measurement', claim], /--platform cca --measurement HEX/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['compare', ...args]);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
    }
  });
});
