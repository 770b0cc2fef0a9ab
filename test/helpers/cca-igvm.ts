/**
 * A CCA IGVM file and its expected RIMs from an independent source: the step list spec/cca.md
 * §2.2–§2.3 gives for it, written out by hand in the vectors/cca format and folded by the
 * step-list path (whose RIMs reproduce veraison's published values, test/measure/cca.test.ts),
 * never by `measure`. The pages are out of IPA order, so the DATA order conventions give
 * different RIMs:
 *   measured page 0x8000_1000, then measured page 0x8000_0000, a zero page 0x8000_2000, an
 *   unmeasured page 0x8000_3000, vCPU 0's context (pc 0x8000_0000, x0 0x8800_0000).
 * Mapping: measured page → data measure:true; zero page → data with a zero granule; unmeasured
 * page → data measure:false; vp_index 0's context → rec flags 1 after all data (KVM); RIM₀ by the
 * rule set, s2sz = log2(shared_gpa_boundary) + 1 = 48.
 */
import { IgvmBuilder } from '../../src/format/builder.js';
import { foldCcaStepList, readCcaStepList } from '../../src/measure/cca-steps.js';

export const page = (seed: number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + seed) & 0xff);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const ZERO = new Uint8Array(4096);

/** CCA_POLICY hash_algorithm codes (0 SHA-256, 1 SHA-512, 2 SHA-384) and the claim 44236 names. */
export const CCA_HASHES = [
  { code: 0, name: 'sha-256', algorithm: 'sha256', bytes: 32 },
  { code: 1, name: 'sha-512', algorithm: 'sha512', bytes: 64 },
  { code: 2, name: 'sha-384', algorithm: 'sha384', bytes: 48 },
] as const;

/** The file's bytes; `withSnp` adds an SEV-SNP platform (mask 2) with one page. */
export function ccaIgvmBytes(hashCode: number, options: { withSnp?: boolean; ccaMask?: number } = {}): Uint8Array {
  const b = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
    .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
    .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: hashCode })
    .pageData({ gpa: 0x8000_1000, compatibilityMask: 1, data: page(2) })
    .pageData({ gpa: 0x8000_0000, compatibilityMask: 1, data: page(1) })
    .pageData({ gpa: 0x8000_2000, compatibilityMask: 1 }) // zero page
    .pageData({ gpa: 0x8000_3000, compatibilityMask: 1, data: page(3), flags: 2 }) // unmeasured
    .ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x8000_0000n, x0: 0x8800_0000n, flags: 0n } });
  return b.toBytes();
}

/** An IGVM file with no CCA platform: one SEV-SNP platform and page. */
export function snpOnlyBytes(): Uint8Array {
  return new IgvmBuilder()
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP', sharedGpaBoundary: 1n << 46n })
    .guestPolicy({ compatibilityMask: 1, policy: 0x30000n })
    .pageData({ gpa: 0x1000, compatibilityMask: 1, data: page(1) })
    .toBytes();
}

type Rule = 'rmm-2.0' | 'tfrmm-2026';

/**
 * The hand-written step list of `ccaIgvmBytes` under `rule`, with DATA in directive order or
 * sorted by IPA, and zero pages measured or skipped.
 */
export function expectedCcaSteps(hash: string, rule: Rule, o: { ascending?: boolean; zeroSkip?: boolean } = {}) {
  const d1000 = { op: 'data', ipa: 0x8000_1000, measure: true, content_b64: b64(page(2)) };
  const d0000 = { op: 'data', ipa: 0x8000_0000, measure: true, content_b64: b64(page(1)) };
  const d2000 = { op: 'data', ipa: 0x8000_2000, measure: true, content_b64: b64(ZERO) };
  const d3000 = { op: 'data', ipa: 0x8000_3000, measure: false };
  const data = o.ascending === true ? [d0000, d1000, d2000, d3000] : [d1000, d0000, d2000, d3000];
  return {
    hash_algorithm: hash,
    steps: [
      rule === 'rmm-2.0' ? { op: 'realm_create', rule } : { op: 'realm_create', rule, flags: 0, s2sz: 48, sve_vl: 0, num_bps: 5, num_wps: 5, pmu_num_ctrs: 0 },
      ...data.filter((s) => !(o.zeroSkip === true && s === d2000)),
      { op: 'rec', flags: 1, pc: 0x8000_0000, gprs: [0x8800_0000] },
    ],
  };
}

/** The expected RIM claim (hash-size bytes) and 64-byte RIM of a step list, as lowercase hex. */
export function expectedCcaRim(hash: string, rule: Rule, o: { ascending?: boolean; zeroSkip?: boolean } = {}): { claim: string; rim: string } {
  const r = foldCcaStepList(readCcaStepList(expectedCcaSteps(hash, rule, o)));
  return { claim: Buffer.from(r.measurement).toString('hex'), rim: Buffer.from(r.rim).toString('hex') };
}
