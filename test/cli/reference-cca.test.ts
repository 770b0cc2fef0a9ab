/**
 * `igvm-measure reference` for Arm CCA platforms: the JSON reference value (the RIM claim as
 * digest, rule, the 64-byte RIM, the note) for each realm hash algorithm, and --format corim,
 * which skips CCA with a note (no CCA CoRIM encoding to check against). Expected RIMs are those
 * of hand-written step lists folded by the step-list path (test/helpers/cca-igvm.ts), never
 * `measure`'s.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder } from '../../src/format/builder.js';
import { CCA_HASHES, ccaIgvmBytes, expectedCcaRim, page } from '../helpers/cca-igvm.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-reference-cca-'));
const temp = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('reference: CCA reference values (JSON)', () => {
  for (const h of CCA_HASHES) {
    it(`${h.name}: digest is the RIM claim (${h.bytes} bytes), with rule, the 64-byte rim and the note`, async () => {
      const path = temp(`cca-${h.name}.igvm`, ccaIgvmBytes(h.code));
      const want = expectedCcaRim(h.name, 'rmm-2.0');
      const r = await cli(['reference', path, '--platform', 'cca']);
      expect(r.code).toBe(0);
      const [v] = JSON.parse(r.stdout).reference_values;
      expect(v).toMatchObject({ platform_type: 'CCA', compatibility_mask: 1, algorithm: h.algorithm, digest: want.claim, rule: 'rmm-2.0', rim: want.rim, profile: 'igvm' });
      expect(v.digest).toHaveLength(2 * h.bytes);
      expect(v.rim).toHaveLength(128);
      expect(v.note).toMatch(/no loader confirms/);
    });
  }

  it('the CCA options apply: --rmm tfrmm-2026 --cca-data-order ascending', async () => {
    const path = temp('cca-opts.igvm', ccaIgvmBytes(0));
    const want = expectedCcaRim('sha-256', 'tfrmm-2026', { ascending: true });
    const r = await cli(['reference', path, '--rmm', 'tfrmm-2026', '--cca-data-order', 'ascending']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).reference_values[0]).toMatchObject({ digest: want.claim, rule: 'tfrmm-2026', rim: want.rim });
  });

  it('other platforms keep their JSON shape (no rule, rim or note)', async () => {
    const path = temp('vbs.igvm', new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION', sharedGpaBoundary: 0n }).pageData({ gpa: 0x1000, compatibilityMask: 1, data: page(1) }).toBytes());
    const r = await cli(['reference', path]);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).reference_values[0]).sort()).toEqual(['algorithm', 'compatibility_mask', 'digest', 'platform_type', 'profile']);
  });
});

describe('reference --format corim: CCA has no CoRIM', () => {
  it('a CCA-only file: nothing written, a note and "no CoRIM can be made", exit 3 (asked for CoRIMs, got none)', async () => {
    const path = temp('cca-only.igvm', ccaIgvmBytes(0));
    const out = join(dir, 'cca-only-out');
    const r = await cli(['reference', path, '--format', 'corim', '-o', join(out, 'ref.cbor')]);
    expect(r.stderr).toMatch(/note: no CoRIM for CCA mask 0x1/);
    expect(r.stderr).toMatch(/no CoRIM can be made for .*cca-only\.igvm: its measured platforms \(CCA\)/);
    expect(r.code).toBe(3);
    expect(existsSync(out)).toBe(false);
  });

  it('a file with CCA and VBS platforms: the VBS CoRIM is written, CCA skipped with a note', async () => {
    const vbsAndCca = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
      .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
      .platform({ compatibilityMask: 2, platformType: 'VSM_ISOLATION', sharedGpaBoundary: 0n })
      .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: 0 })
      .pageData({ gpa: 0x8000_0000, compatibilityMask: 3, data: page(1) })
      .toBytes();
    const path = temp('vbs-cca.igvm', vbsAndCca);
    const outDir = mkdtempSync(join(dir, 'corims-'));
    const r = await cli(['reference', path, '--format', 'corim', '-o', outDir, '--json']);
    expect(r.stderr).toMatch(/note: no CoRIM for CCA mask 0x1/);
    expect(r.stderr).not.toMatch(/no CoRIM can be made/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.corims.map((c: { platform_type: string }) => c.platform_type)).toEqual(['VSM_ISOLATION']);
    expect(readdirSync(outDir)).toEqual(['vbs-cca-vbs.cbor']);
  });
});
