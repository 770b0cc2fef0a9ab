/**
 * When a realm token's RIM claim differs from the RIM computed for an IGVM file's CCA platform,
 * which of the inferred conventions of spec/cca.md §2 (the RMM rule set, the DATA and REC order,
 * zero pages, unmeasured pages) reproduces it? The search of `compare --platform cca`, as
 * search.ts is for SEV-SNP host configurations. No loader confirms these conventions yet, so a
 * match says which choice the realm's host made; the realm parameters and RAM ranges are kept as
 * given (they are the host's, not conventions).
 */
import type { IgvmFile, SupportedPlatformHeader } from '../format/index.js';
import { CcaError, DEFAULT_CCA_RULE_SET, type CcaRuleSet } from './cca.js';
import { planCcaLaunch, startCcaRealm, type CcaLaunchPlan, type CcaLoadOptions } from './cca-igvm.js';
import type { HashBackend } from './hash.js';
import { defaultHashBackend, defaultKernels } from './hash-default.js';
import { jsKernels, type HashKernels } from './kernels.js';
import { EMPTY_DATA } from '../format/source.js';
import { bytesEqual } from '../format/bytes.js';

/** One choice of the inferred conventions (CcaLoadOptions' fields of the same names). */
export interface CcaConvention {
  readonly rule: CcaRuleSet;
  readonly dataOrder: 'directive' | 'ascending';
  readonly recOrder: 'last' | 'directive';
  readonly zeroPages: 'measured' | 'skip';
  readonly unmeasured: 'descriptor' | 'skip';
}

/** The values searched on each axis. */
export interface CcaSearchAxes {
  readonly rules: readonly CcaRuleSet[];
  readonly dataOrders: readonly CcaConvention['dataOrder'][];
  readonly recOrders: readonly CcaConvention['recOrder'][];
  readonly zeroPages: readonly CcaConvention['zeroPages'][];
  readonly unmeasured: readonly CcaConvention['unmeasured'][];
}

/** What the search found. */
export interface CcaSearchResult {
  /** The conventions whose RIM claim equals the target, in search order. */
  readonly matches: readonly CcaConvention[];
  /** How many conventions were computed (combinations the rules refuse are not counted). */
  readonly tried: number;
  readonly axes: CcaSearchAxes;
}

/** Options of the search. */
export interface CcaSearchOptions {
  /**
   * The load options the claim was first compared under: their realm parameters and RAM ranges
   * are kept for every candidate. `rmm-1.0` is searched only when RAM ranges are given (it
   * measures their RIPAS, which the file does not tell).
   */
  readonly given?: CcaLoadOptions;
  readonly hash?: HashBackend;
  /** The chain kernel (default: the installed default kernels, native on Node). */
  readonly kernels?: HashKernels;
}

/** Granules chained per kernel call. */
const CHUNK = 4096;

/**
 * The RIM claim of `plan` with every granule's hash taken from `hashes` (filled on first use):
 * the conventions only reorder granules or leave some out, so each granule is hashed once for
 * the whole search, and each candidate costs one pass of the descriptor chain kernel.
 */
function claimWithHashes(plan: CcaLaunchPlan, hash: HashBackend, kernels: HashKernels, hashes: Map<unknown, Uint8Array>): Uint8Array {
  const realm = startCcaRealm(plan, { hash });
  const size = realm.hashSize;
  const zero = hashes.get(EMPTY_DATA) ?? realm.granuleHash(new Uint8Array(0));
  hashes.set(EMPTY_DATA, zero);
  const gpas = new BigUint64Array(CHUNK);
  const measured = new Uint8Array(CHUNK);
  const contents = new Uint8Array(CHUNK * size);
  let n = 0;
  let m = 0;
  const flush = (): void => {
    if (n > 0) realm.dataBatch(kernels, gpas.subarray(0, n), measured.subarray(0, n), contents.subarray(0, m * size));
    n = 0;
    m = 0;
  };
  for (const op of plan.ops()) {
    if (op.op === 'rec') {
      flush();
      realm.rec(op.flags, op.pc, op.gprs, op.source);
      continue;
    }
    for (let i = 0; i < op.count; i++) {
      if (n === CHUNK) flush();
      gpas[n] = op.gpa + BigInt(i) * 4096n;
      measured[n] = op.unmeasured ? 0 : 1;
      if (!op.unmeasured) {
        const data = i === 0 ? op.data : EMPTY_DATA;
        // A file read in windows yields new directive objects on each pass: key file-backed data
        // by its offset in the file (as PageBatch does), other data by identity.
        const key = data.source !== undefined ? data.sourceOffset : data;
        let h = data.length === 0 ? zero : hashes.get(key);
        if (h === undefined) {
          h = realm.granuleHash(data.bytes());
          hashes.set(key, h);
        }
        contents.set(h, m++ * size);
      }
      n++;
    }
  }
  flush();
  return realm.measurement();
}

/** The conventions `options` selects, with the defaults of cca-igvm.ts filled in. */
export function ccaConventionOf(options: CcaLoadOptions = {}): CcaConvention {
  return {
    rule: options.rule ?? DEFAULT_CCA_RULE_SET,
    dataOrder: options.dataOrder ?? 'directive',
    recOrder: options.recOrder ?? 'last',
    zeroPages: options.zeroPages ?? 'measured',
    unmeasured: options.unmeasured ?? 'descriptor',
  };
}

/**
 * Searches the convention choices under which `platform` (a CCA platform header of `file`) has
 * the RIM claim `claim` (hash-size bytes, claim 44238 of the realm token). A combination the
 * rules refuse (a REC at its directive with DATA sorted by IPA, rmm-1.0 with SHA-384) is skipped.
 * At most 36 candidates; each granule is hashed once, and each candidate is one descriptor chain.
 */
export function searchCcaConventions(file: IgvmFile, platform: SupportedPlatformHeader, claim: Uint8Array, options: CcaSearchOptions = {}): CcaSearchResult {
  const given = options.given ?? {};
  const axes: CcaSearchAxes = {
    rules: given.ramRanges !== undefined ? ['rmm-2.0', 'tfrmm-2026', 'rmm-1.0'] : ['rmm-2.0', 'tfrmm-2026'],
    dataOrders: ['directive', 'ascending'],
    recOrders: ['last', 'directive'],
    zeroPages: ['measured', 'skip'],
    unmeasured: ['descriptor', 'skip'],
  };
  const matches: CcaConvention[] = [];
  let tried = 0;
  const hash = options.hash ?? defaultHashBackend;
  const kernels = options.kernels ?? (options.hash === undefined ? defaultKernels : jsKernels(hash));
  const hashes = new Map<unknown, Uint8Array>();
  for (const rule of axes.rules) {
    for (const dataOrder of axes.dataOrders) {
      for (const recOrder of axes.recOrders) {
        if (dataOrder === 'ascending' && recOrder === 'directive') continue; // sorted DATA has no directive positions
        for (const zeroPages of axes.zeroPages) {
          for (const unmeasured of axes.unmeasured) {
            const c: CcaConvention = { rule, dataOrder, recOrder, zeroPages, unmeasured };
            let measurement: Uint8Array;
            try {
              measurement = claimWithHashes(planCcaLaunch(file, platform, { ...given, ...c }), hash, kernels, hashes);
            } catch (e) {
              // A combination these rules refuse for this file (e.g. rmm-1.0 has no SHA-384) is no candidate.
              if (e instanceof CcaError) continue;
              throw e;
            }
            tried++;
            if (bytesEqual(measurement, claim)) matches.push(c);
          }
        }
      }
    }
  }
  return { matches, tried, axes };
}
