/**
 * The CCA lowering of IGVM files (src/measure/cca-igvm.ts). Each IGVM file is built with the
 * builder, and its expected RIM is that of the step list the mapping of spec/cca.md §2.2–§2.3
 * gives for it, written out by hand here in the vectors/cca format and folded by the step-list
 * path (whose RIMs reproduce veraison's published values, test/measure/cca.test.ts):
 *   measured page → data measure:true with the page; zero page → data with a zero granule;
 *   unmeasured page and parameter insert (one per area page) → data measure:false;
 *   shared page → nothing; vp_index 0's context → rec flags 1 (KVM makes vCPU 0 alone runnable)
 *   after all data; RIM₀ by the rule set, s2sz = log2(shared_gpa_boundary) + 1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IgvmBuilder } from '../../src/format/builder.js';
import { IgvmFormatError } from '../../src/format/errors.js';
import { parseIgvm } from '../../src/format/reader.js';
import { CcaError } from '../../src/measure/cca.js';
import { measureCcaIgvm } from '../../src/measure/cca-igvm.js';
import { foldCcaStepList, readCcaStepList } from '../../src/measure/cca-steps.js';
import { measure } from '../../src/measure/measure.js';
import { measureParallel } from '../../src/node/measure-file.js';
import { REPO_ROOT } from '../helpers/shared.js';

const page = (seed: number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + seed) & 0xff);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const ZERO = new Uint8Array(4096);
const HASHES = [
  [0, 'sha-256'],
  [1, 'sha-512'],
  [2, 'sha-384'],
] as const;

function built(hashCode: number, options: { sharedPage?: boolean } = {}) {
  const b = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
    .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
    .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: hashCode })
    .pageData({ gpa: 0x8000_0000, compatibilityMask: 1, data: page(1) })
    .pageData({ gpa: 0x8000_1000, compatibilityMask: 1 }) // zero page
    .pageData({ gpa: 0x8000_2000, compatibilityMask: 1, data: page(2), flags: 2 }) // unmeasured
    .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x2000 })
    .parameterUsage('MEMORY_MAP', { parameterAreaIndex: 0 })
    .parameterInsert({ gpa: 0x8010_0000, compatibilityMask: 1, parameterAreaIndex: 0 })
    .ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x8000_0000n, x0: 0x8800_0000n, flags: 0n } })
    .ccaContext({ compatibilityMask: 1, vpIndex: 1, context: { pc: 0x1234n } });
  if (options.sharedPage === true) b.pageData({ gpa: 0x9000_0000, compatibilityMask: 1, data: page(3), flags: 4 });
  return parseIgvm(b.toBytes());
}

/** The step list of `built` by spec/cca.md §2.2–§2.3. */
function expectedSteps(hash: string, rule: string, extra: object[] = []) {
  return {
    hash_algorithm: hash,
    steps: [
      rule === 'rmm-2.0' ? { op: 'realm_create', rule } : { op: 'realm_create', rule, flags: 0, s2sz: 48, sve_vl: 0, num_bps: 5, num_wps: 5, pmu_num_ctrs: 0 },
      ...extra,
      { op: 'data', ipa: 0x8000_0000, measure: true, content_b64: b64(page(1)) },
      { op: 'data', ipa: 0x8000_1000, measure: true, content_b64: b64(ZERO) },
      { op: 'data', ipa: 0x8000_2000, measure: false },
      { op: 'data', ipa: 0x8010_0000, measure: false },
      { op: 'data', ipa: 0x8010_1000, measure: false },
      { op: 'rec', flags: 1, pc: 0x8000_0000, gprs: [0x8800_0000] },
    ],
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('measureCcaIgvm: an IGVM file folds to the RIM of its step list', () => {
  for (const [code, name] of HASHES) {
    it(`${name}, rmm-2.0 (default rule set)`, () => {
      const file = built(code, { sharedPage: true });
      const r = measureCcaIgvm(file, file.platforms[0]!);
      const want = foldCcaStepList(readCcaStepList(expectedSteps(name, 'rmm-2.0')));
      expect(r.hashAlgorithm).toBe(name);
      expect(hex(r.measurement)).toBe(hex(want.measurement));
      expect(hex(r.rim)).toBe(hex(want.rim));
    });
  }

  it('tfrmm-2026 measures the realm parameters, with s2sz from shared_gpa_boundary (2^47 → 48)', () => {
    const file = built(0);
    const r = measureCcaIgvm(file, file.platforms[0]!, { rule: 'tfrmm-2026' });
    expect(hex(r.measurement)).toBe(hex(foldCcaStepList(readCcaStepList(expectedSteps('sha-256', 'tfrmm-2026'))).measurement));
  });

  it('rmm-1.0 adds the RIPAS of the RAM ranges first, and needs them', () => {
    const file = built(0);
    const ram = [[0x8000_0000n, 0x8020_0000n]] as const;
    const r = measureCcaIgvm(file, file.platforms[0]!, { rule: 'rmm-1.0', ramRanges: ram });
    const want = foldCcaStepList(readCcaStepList(expectedSteps('sha-256', 'rmm-1.0', [{ op: 'ripas', base: 0x8000_0000, top: 0x8020_0000 }])));
    expect(hex(r.measurement)).toBe(hex(want.measurement));
    expect(() => measureCcaIgvm(file, file.platforms[0]!, { rule: 'rmm-1.0' })).toThrow(CcaError);
  });

  it('the options change the RIM as the spec says they would', () => {
    const file = built(0);
    const base = hex(measureCcaIgvm(file, file.platforms[0]!).measurement);
    expect(hex(measureCcaIgvm(file, file.platforms[0]!, { unmeasured: 'skip' }).measurement)).not.toBe(base);
    expect(hex(measureCcaIgvm(file, file.platforms[0]!, { zeroPages: 'skip' }).measurement)).not.toBe(base);
    const ascending = measureCcaIgvm(file, file.platforms[0]!, { dataOrder: 'ascending' });
    // These pages are already in ascending IPA order: the same RIM.
    expect(hex(ascending.measurement)).toBe(base);
  });

  it('refuses a file without CCA_POLICY, a non-CCA platform, and SECRETS pages', () => {
    const noPolicy = parseIgvm(new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' }).platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n }).pageData({ gpa: 0, compatibilityMask: 1, data: page(1) }).toBytes());
    expect(() => measureCcaIgvm(noPolicy, noPolicy.platforms[0]!)).toThrow(/CCA_POLICY/);
    const snp = parseIgvm(new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'SEV_SNP', sharedGpaBoundary: 1n << 46n }).toBytes());
    expect(() => measureCcaIgvm(snp, snp.platforms[0]!)).toThrow(CcaError);
    const secrets = parseIgvm(
      new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
        .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
        .ccaPolicy({ compatibilityMask: 1 })
        .pageData({ gpa: 0, compatibilityMask: 1, dataType: 'SECRETS' })
        .toBytes(),
    );
    expect(() => measureCcaIgvm(secrets, secrets.platforms[0]!)).toThrow(/SECRETS/);
  });
});

/** A file whose directives are out of IPA order, with a 2 MiB page and vp 0's context between pages. */
function shuffled(hashCode: number) {
  return parseIgvm(
    new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
      .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
      .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: hashCode })
      .pageData({ gpa: 0x8040_0000, compatibilityMask: 1, data: page(5) })
      .ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x8040_0000n, x1: 7n } })
      .pageData({ gpa: 0x8000_0000, compatibilityMask: 1, data: page(6), flags: 1 }) // a 2 MiB page
      .toBytes(),
  );
}

/** `shuffled`'s DATA granules by spec/cca.md §2.2 (the 2 MiB page: its data, then 511 zero granules). */
function shuffledGranules(): Array<{ ipa: number; content: Uint8Array }> {
  const big = Array.from({ length: 512 }, (_, i) => ({ ipa: 0x8000_0000 + i * 4096, content: i === 0 ? page(6) : ZERO }));
  return [{ ipa: 0x8040_0000, content: page(5) }, ...big];
}

const dataStep = (g: { ipa: number; content: Uint8Array }) => ({ op: 'data', ipa: g.ipa, measure: true, content_b64: b64(g.content) });
const REC_SHUFFLED = { op: 'rec', flags: 1, pc: 0x8040_0000, gprs: [0, 7] };

describe('measure(): the batched CCA lane gives the RIM of the step list', () => {
  for (const [code, name] of HASHES) {
    it(`${name}: every rule set, through measure() and measureParallel() on this thread`, async () => {
      const file = built(code, { sharedPage: true });
      for (const rule of ['rmm-2.0', 'tfrmm-2026'] as const) {
        const want = foldCcaStepList(readCcaStepList(expectedSteps(name, rule)));
        const r = measure(file, { platform: 'cca', cca: { rule } }).platforms[0]!;
        expect('digest' in r && hex(r.digest), rule).toBe(hex(want.measurement));
        expect('digest' in r && r.algorithm).toBe(name.replace('-', ''));
        expect('digest' in r && r.cca !== undefined && hex(r.cca.rim)).toBe(hex(want.rim));
        expect('digest' in r && r.note).toMatch(/no loader confirms/);
        // One-page batches: the chain crosses every batch boundary.
        const p = (await measureParallel(file, { platform: 'cca', cca: { rule }, threads: 1, batchSlots: 1 })).platforms[0]!;
        expect('digest' in p && hex(p.digest)).toBe(hex(want.measurement));
      }
    });
  }

  it('DATA in directive order, the REC last (defaults), or at its directive, or DATA by IPA', () => {
    const file = shuffled(0);
    const g = shuffledGranules();
    const head = { op: 'realm_create', rule: 'rmm-2.0' };
    const fold = (steps: object[]) => hex(foldCcaStepList(readCcaStepList({ hash_algorithm: 'sha-256', steps: [head, ...steps] })).measurement);
    const digestOf = (cca: object) => {
      const r = measure(file, { platform: 'cca', cca }).platforms[0]!;
      return 'digest' in r ? hex(r.digest) : r;
    };
    expect(digestOf({})).toBe(fold([...g.map(dataStep), REC_SHUFFLED]));
    expect(digestOf({ recOrder: 'directive' })).toBe(fold([dataStep(g[0]!), REC_SHUFFLED, ...g.slice(1).map(dataStep)]));
    // The note says where the REC went (it names the conventions used).
    const directive = measure(file, { platform: 'cca', cca: { recOrder: 'directive' } }).platforms[0]!;
    expect('digest' in directive && directive.note).toMatch(/REC of vCPU 0 alone, at its VP context directive/);
    const byIpa = [...g].sort((a, b) => a.ipa - b.ipa);
    expect(digestOf({ dataOrder: 'ascending' })).toBe(fold([...byIpa.map(dataStep), REC_SHUFFLED]));
    // The reference model (used for --trace) agrees with the lane.
    let steps = 0;
    const traced = measure(file, { platform: 'cca', cca: { recOrder: 'directive' }, trace: () => void steps++ }).platforms[0]!;
    expect('digest' in traced && hex(traced.digest)).toBe(fold([dataStep(g[0]!), REC_SHUFFLED, ...g.slice(1).map(dataStep)]));
    expect(steps).toBe(1 + 513 + 1);
  });

  it('bad CCA platforms are that platform’s failure (InvalidCcaLaunch with the CCA code), not an exception', () => {
    const bad = parseIgvm(
      new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
        .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
        .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: 7 })
        .toBytes(),
    );
    const r = measure(bad).platforms[0]!;
    expect('error' in r && r.error.code).toBe('InvalidCcaLaunch');
    expect('error' in r && r.error.message).toMatch(/^UnknownHashAlgorithm/);
    const file = built(0);
    const both = measure(file, { cca: { recOrder: 'directive', dataOrder: 'ascending' } }).platforms[0]!;
    expect('error' in both && both.error.message).toMatch(/^BadField/);
    // 0x80000000 is the first byte beyond a 31-bit IPA space (spec/cca.md §1.3: s2sz is the IPA width).
    const narrow = measure(file, { cca: { rule: 'tfrmm-2026', params: { s2sz: 31 } } }).platforms[0]!;
    expect('error' in narrow && narrow.error.message).toMatch(/^IpaOutOfRange/);
    const wide = measure(file, { cca: { rule: 'tfrmm-2026', params: { s2sz: 33 } } }).platforms[0]!;
    expect('digest' in wide).toBe(true);
  });
});

const distModule = join(REPO_ROOT, 'dist/src/node/measure-file.js');
const HAVE_DIST = existsSync(distModule);
if (!HAVE_DIST) console.warn('[skip] CCA lane on worker threads: dist/ is not built (npm run build)');
describe.skipIf(!HAVE_DIST)('the CCA lane on worker threads (dist): granule hashes on workers, the chain in order', () => {
  it('each hash algorithm, small batches and a small ring, with and without the main thread’s share', async () => {
    const dist = (await import(pathToFileURL(distModule).href)) as { measureParallel: typeof measureParallel };
    const distIndex = (await import(pathToFileURL(join(REPO_ROOT, 'dist/src/index.js')).href)) as { parseIgvm: typeof parseIgvm };
    for (const [code, name] of HASHES) {
      const bytes = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
        .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
        .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: code });
      const steps: object[] = [{ op: 'realm_create', rule: 'rmm-2.0' }];
      for (let i = 0; i < 40; i++) {
        bytes.pageData({ gpa: 0x8000_0000 + i * 0x1000, compatibilityMask: 1, data: page(i) });
        steps.push({ op: 'data', ipa: 0x8000_0000 + i * 0x1000, measure: true, content_b64: b64(page(i)) });
      }
      const want = hex(foldCcaStepList(readCcaStepList({ hash_algorithm: name, steps })).measurement);
      const file = distIndex.parseIgvm(bytes.toBytes());
      for (const options of [{ threads: 2, batchSlots: 3, ringSize: 2 }, { threads: 3, batchSlots: 7 }]) {
        for (const share of ['0.35', '0']) {
          process.env.IGVM_MEASURE_MAIN_SHARE = share;
          try {
            const r = (await dist.measureParallel(file, { platform: 'cca', ...options })).platforms[0]!;
            expect('digest' in r && hex(r.digest), `${name} ${JSON.stringify(options)} main share ${share}`).toBe(want);
          } finally {
            delete process.env.IGVM_MEASURE_MAIN_SHARE;
          }
        }
      }
    }
  });
});

describe('a CCA VP context for a non-CCA mask', () => {
  it('is a typed format error in either architecture (the parser reads such a context as the platform’s own, spec/cca.md §2.1)', () => {
    for (const [architecture, platformType] of [
      ['x64', 'SEV_SNP'],
      ['aarch64', 'VSM_ISOLATION'],
    ] as const) {
      let error: unknown;
      try {
        // The builder checks what the parser checks, so either may refuse it.
        parseIgvm(new IgvmBuilder({ formatVersion: 2, architecture }).platform({ compatibilityMask: 1, platformType }).ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x1000n } }).toBytes());
      } catch (e) {
        error = e;
      }
      expect(error, architecture).toBeInstanceOf(IgvmFormatError);
      expect((error as IgvmFormatError).code).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });
});
