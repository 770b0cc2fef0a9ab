/**
 * The `igvm` profile reproduces every digest and every per-platform error that the upstream
 * measurement module reported for the reference files (../shared/vectors/igvm/*.json; see
 * vectors/SOURCES.md). Where upstream crashed ("panic: ..."), we must give a clear error.
 */
import { describe, expect, it } from 'vitest';
import { measure, parseIgvm, type PlatformMeasurement } from '../../src/index.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice, upstreamIgvmVectors, type UpstreamPlatform } from '../helpers/shared.js';

/** What upstream's error text maps to: its own MeasurementError message, or our code for its panics. */
function expectedOutcome(p: UpstreamPlatform): string {
  const digest = p.snp_launch_digest ?? p.tdx_mrtd ?? p.vbs_digest;
  if (digest !== undefined) return `digest ${digest}`;
  // microsoft/igvm has no SEV/SEV-ES digest; we measure them with igvmmeasure's rule (snp.md §2.3)
  // and say so in a note. Their values are checked in test/measure/sev.test.ts.
  if (p.not_measurable === true && (p.platform_type === 'SEV' || p.platform_type === 'SEV_ES')) return 'sha256 digest, igvmmeasure note';
  if (p.not_measurable === true) return 'not measurable';
  if (p.error === 'no SNP guest policy found in initialization headers') return 'error MissingGuestPolicy';
  // Upstream's VBS code asserts that every page it sees is NORMAL (vbs-cca-corim.md §1.2).
  if (p.error?.startsWith('panic: assertion `left == right` failed') === true && p.error.includes('right: NORMAL')) return 'error NonNormalPageForVbs';
  return `unmapped upstream error: ${p.error}`;
}

function outcome(p: PlatformMeasurement): string {
  if ('digest' in p && p.algorithm === 'sha256' && p.note?.includes('igvmmeasure') === true && p.digest.length === 32) return 'sha256 digest, igvmmeasure note';
  if ('digest' in p) return `digest ${Buffer.from(p.digest).toString('hex')}`;
  if ('error' in p) return `error ${p.error.code}`;
  return 'not measurable';
}

sharedNotice('upstream measurements');

describe.skipIf(!HAVE_SHARED)('igvm profile = upstream measurement module', () => {
  for (const v of upstreamIgvmVectors()) {
    it(v.name, () => {
      const expected = sharedJson<{ platforms: UpstreamPlatform[] }>(v.json).platforms;
      const result = measure(parseIgvm(sharedBytes(v.igvm)));
      expect(result.profile).toBe('igvm');
      expect(result.platforms.map((p) => [p.platformType, p.compatibilityMask, outcome(p)])).toEqual(
        expected.map((p) => [p.platform_type, p.compatibility_mask, expectedOutcome(p)]),
      );
    });
  }

  it('the COCONUT file gives SNP a6af498e…f389 and TDX 312edd42…052b (vectors/SOURCES.md)', () => {
    const r = measure(parseIgvm(sharedBytes('igvm/real/coconut-svsm-test.igvm')));
    const hex = (t: string): string | undefined => {
      const p = r.platforms.find((x) => x.platformType === t);
      return p && 'digest' in p ? Buffer.from(p.digest).toString('hex') : undefined;
    };
    expect(hex('SEV_SNP')).toMatch(/^a6af498e.*f389$/);
    expect(hex('TDX')).toMatch(/^312edd42.*052b$/);
  });
});
