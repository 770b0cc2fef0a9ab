/**
 * searchCcaConventions (src/measure/cca-search.ts): which inferred conventions of spec/cca.md §2
 * reproduce a RIM claim. The claims are the RIMs of hand-written step lists (test/helpers/cca-igvm.ts,
 * folded by the step-list path that reproduces veraison's published RIMs), never `measure`'s.
 */
import { describe, expect, it } from 'vitest';
import { parseIgvm } from '../../src/format/reader.js';
import { searchCcaConventions, ccaConventionOf } from '../../src/measure/cca-search.js';
import { ccaIgvmBytes, expectedCcaRim } from '../helpers/cca-igvm.js';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe('searchCcaConventions', () => {
  const file = parseIgvm(ccaIgvmBytes(0));
  const header = file.platforms[0]!;

  it('a claim made with DATA sorted by IPA matches dataOrder ascending (every other axis as given)', () => {
    const claim = fromHex(expectedCcaRim('sha-256', 'rmm-2.0', { ascending: true }).claim);
    const r = searchCcaConventions(file, header, claim);
    // 2 rules × (directive × 2 REC orders + ascending × last) × 2 zero × 2 unmeasured = 24.
    expect(r.tried).toBe(24);
    expect(r.matches).toEqual([{ rule: 'rmm-2.0', dataOrder: 'ascending', recOrder: 'last', zeroPages: 'measured', unmeasured: 'descriptor' }]);
  });

  it('a claim under tfrmm-2026 (parameters measured) is found from the rmm-2.0 default; both REC orders match (the context is last in the file)', () => {
    const claim = fromHex(expectedCcaRim('sha-256', 'tfrmm-2026').claim);
    const r = searchCcaConventions(file, header, claim, { given: { rule: 'rmm-2.0' } });
    expect(r.matches.map((m) => [m.rule, m.dataOrder, m.recOrder, m.zeroPages, m.unmeasured])).toEqual([
      ['tfrmm-2026', 'directive', 'last', 'measured', 'descriptor'],
      ['tfrmm-2026', 'directive', 'directive', 'measured', 'descriptor'],
    ]);
  });

  it('zero pages left unpopulated, under SHA-512', () => {
    const f = parseIgvm(ccaIgvmBytes(1));
    const claim = fromHex(expectedCcaRim('sha-512', 'rmm-2.0', { zeroSkip: true }).claim);
    expect(claim.length).toBe(64);
    const r = searchCcaConventions(f, f.platforms[0]!, claim);
    expect(r.matches).toContainEqual({ rule: 'rmm-2.0', dataOrder: 'directive', recOrder: 'last', zeroPages: 'skip', unmeasured: 'descriptor' });
    expect(r.matches.every((m) => m.zeroPages === 'skip' && m.rule === 'rmm-2.0')).toBe(true);
  });

  it('rmm-1.0 is searched only with RAM ranges; a claim nothing reproduces matches none', () => {
    const claim = new Uint8Array(32).fill(0xaa);
    const without = searchCcaConventions(file, header, claim);
    expect(without.axes.rules).toEqual(['rmm-2.0', 'tfrmm-2026']);
    expect(without.matches).toEqual([]);
    const withRam = searchCcaConventions(file, header, claim, { given: { ramRanges: [[0x8000_0000n, 0x8020_0000n]] } });
    expect(withRam.axes.rules).toContain('rmm-1.0');
    expect(withRam.tried).toBe(36);
  });

  it('ccaConventionOf fills the defaults of spec/cca.md §2 (rmm-2.0, directive, last, measured, descriptor)', () => {
    expect(ccaConventionOf({})).toEqual({ rule: 'rmm-2.0', dataOrder: 'directive', recOrder: 'last', zeroPages: 'measured', unmeasured: 'descriptor' });
  });
});
