/**
 * The Arm CCA Realm Initial Measurement model (spec/cca.md §1): a realm's RIM, folded from the
 * neutral realm steps `realm_create`, `ripas`, `data` and `rec` with the realm hash algorithm
 * (RHA), under one of the three RMM rule sets of §1.1. It knows nothing about IGVM: the walker's
 * CCA lowering (spec/cca.md §2) and step lists (cca-steps.ts) both feed it these steps.
 *
 * The RIM is held as the 64-byte `RmmRealmMeasurement` (every hash left-aligned, zero-filled,
 * §1.2); `measurement()` reports it truncated to the hash size, as the realm token's RIM claim
 * does. Every RHA comes from the injected `HashBackend`.
 */
import { CodedError, type CodedErrorJson } from '../format/coded-error.js';
import { CcaHashAlgorithm } from '../format/index.js';
import type { HashBackend } from './hash.js';
import type { HashKernels } from './kernels.js';
import { defaultHashBackend } from './hash-default.js';
import type { ModelOptions, OpSource } from './steps.js';

// ---- errors -------------------------------------------------------------------------------

/** Every code a `CcaError` can carry. */
export const CCA_ERROR_CODES = [
  /** A hash algorithm name or RmiHashAlgorithm value that is not SHA-256/384/512. */
  'UnknownHashAlgorithm',
  /** A known algorithm the rule set does not allow (SHA-384 under RMM 1.0-rel0). */
  'UnsupportedHashAlgorithm',
  /** An RMM rule set name that is not one of the three of spec/cca.md §1.1. */
  'UnknownRuleSet',
  /** An IPA (or RIPAS bound) that is not granule aligned, or a RIPAS range that is no RTT entry. */
  'MisalignedIpa',
  /** An IPA outside the realm's IPA space (`2^s2sz`) or the 64-bit range. */
  'IpaOutOfRange',
  /** A field of the wrong type, outside its range, missing, or not known. */
  'BadField',
  /** A step-list operation that is not `realm_create`, `data`, `rec` or `ripas`. */
  'UnknownOp',
  /** Steps out of order: anything before `realm_create`, or a second `realm_create`. */
  'BadStepOrder',
  /** A step list that is not a JSON object with a `steps` array (or is too large). */
  'BadStepList',
] as const;

/** A stable CCA error code. */
export type CcaErrorCode = (typeof CCA_ERROR_CODES)[number];

/**
 * A CCA realm step that cannot be measured, or a step list that cannot be read. Like the
 * measurement layer's errors it points at a step (index, field), never at a byte.
 */
export class CcaError extends CodedError<CcaErrorCode> {
  override readonly name = 'CcaError';
  /** Index of the step at fault in its list, when there is one. */
  readonly stepIndex: number | undefined;
  /** Name of the field at fault, when there is one. */
  readonly field: string | undefined;
  /** The message without the step/field prefix (to re-locate an error in a list). */
  readonly detail: string;

  constructor(code: CcaErrorCode, message: string, where: { stepIndex?: number; field?: string } = {}) {
    const at = [where.stepIndex === undefined ? '' : `step ${where.stepIndex}`, where.field === undefined ? '' : `field ${where.field}`].filter((s) => s !== '').join(', ');
    super(code, at === '' ? message : `${at}: ${message}`);
    this.stepIndex = where.stepIndex;
    this.field = where.field;
    this.detail = message;
  }

  /** `{code, message}`: a CCA error points at a step, not at a byte. */
  override toJSON(): CodedErrorJson {
    return { code: this.code, message: this.message };
  }
}

// ---- algorithms and rule sets -------------------------------------------------------------

/** The realm hash algorithms (spec/cca.md §1.2), by the realm token's claim 44236 names. */
export type CcaRealmHash = 'sha-256' | 'sha-384' | 'sha-512';

/** RmiHashAlgorithm / `IGVM_VHS_CCA_POLICY.hash_algorithm` encoding (§1.2): 0 SHA-256, 1 SHA-512, 2 SHA-384. */
export const CCA_HASH_ALGORITHM_CODES: Readonly<Record<CcaRealmHash, number>> = { 'sha-256': CcaHashAlgorithm.SHA256, 'sha-512': CcaHashAlgorithm.SHA512, 'sha-384': CcaHashAlgorithm.SHA384 };

/** Digest size in bytes of each algorithm. */
export const CCA_HASH_SIZES: Readonly<Record<CcaRealmHash, number>> = { 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };

/** The algorithm of an RmiHashAlgorithm value (0, 1, 2); anything else is `UnknownHashAlgorithm`. */
export function ccaHashAlgorithmFromCode(code: number): CcaRealmHash {
  for (const [name, value] of Object.entries(CCA_HASH_ALGORITHM_CODES)) if (value === code) return name as CcaRealmHash;
  throw new CcaError('UnknownHashAlgorithm', `RmiHashAlgorithm ${String(code)} is not 0 (SHA-256), 1 (SHA-512) or 2 (SHA-384)`);
}

/** The algorithm of a name (`sha-256`, `sha256`, `SHA-256`, ...); anything else is `UnknownHashAlgorithm`. */
export function ccaHashAlgorithmFromName(name: string): CcaRealmHash {
  const n = name.toLowerCase().replace(/^sha-?/, 'sha-');
  if (n === 'sha-256' || n === 'sha-384' || n === 'sha-512') return n;
  throw new CcaError('UnknownHashAlgorithm', `unknown hash algorithm '${name}' (sha-256, sha-384 or sha-512)`);
}

/**
 * The RMM generations of spec/cca.md §1.1: `rmm-1.0` (RIM₀ from the params page, RIPAS
 * measured, SHA-256/512 only), `tfrmm-2026` (TF-RMM main: RIM₀ from the params page with
 * `flags0` whole, RIPAS not measured) and `rmm-2.0` (draft: RIM₀ zero, RIPAS not measured).
 */
export type CcaRuleSet = 'rmm-1.0' | 'tfrmm-2026' | 'rmm-2.0';

export const CCA_RULE_SETS: readonly CcaRuleSet[] = ['rmm-1.0', 'tfrmm-2026', 'rmm-2.0'];

/**
 * The rule set to assume when the caller names none: `rmm-2.0`, spec/cca.md §1.1's
 * recommendation (an inferred convention: it matches IGVM's policy-header design, and needs no
 * host-chosen realm parameters; no loader confirms it yet).
 */
export const DEFAULT_CCA_RULE_SET: CcaRuleSet = 'rmm-2.0';

/** The rule set of a name: the canonical names and the short `1.0`, `2.0`, `tfrmm` forms. */
export function ccaRuleSetFromName(name: string): CcaRuleSet {
  const n = name.toLowerCase();
  if (n === 'rmm-1.0' || n === '1.0') return 'rmm-1.0';
  if (n === 'rmm-2.0' || n === '2.0') return 'rmm-2.0';
  if (n === 'tfrmm-2026' || n === 'tfrmm') return 'tfrmm-2026';
  throw new CcaError('UnknownRuleSet', `unknown RMM rule set '${name}' (rmm-1.0, tfrmm-2026 or rmm-2.0)`);
}

// ---- steps --------------------------------------------------------------------------------

/**
 * The measured fields of the host's RmiRealmParams (spec/cca.md §1.3), as encoded RMI values:
 * `numBps`/`numWps` are count − 1, `sveVl` is VL/128 − 1, `flags` is copied whole.
 */
export interface CcaRealmParams {
  readonly flags: bigint;
  /** IPA width in bits. */
  readonly s2sz: number;
  readonly sveVl: number;
  readonly numBps: number;
  readonly numWps: number;
  readonly pmuNumCtrs: number;
}

/** RMI_REALM_CREATE: sets RIM₀. `params` is required except under `rmm-2.0`, whose RIM₀ is zero. */
export interface CcaRealmCreateStep {
  readonly op: 'realm_create';
  readonly rule: CcaRuleSet;
  readonly params?: CcaRealmParams;
}

/** One RTT entry of RMI_RTT_INIT_RIPAS, `[base, top)` (measured under `rmm-1.0` only). */
export interface CcaRipasStep {
  readonly op: 'ripas';
  readonly base: bigint;
  readonly top: bigint;
}

/**
 * One 4 KiB DATA granule at `ipa`. Measured (RMI_MEASURE_CONTENT): `content` is the granule (at
 * most 4096 bytes, zero-padded), or `contentHash` its RHA digest, precomputed. Unmeasured:
 * neither; the descriptor still extends the RIM with a zero content field (§1.4).
 */
export interface CcaDataStep {
  readonly op: 'data';
  readonly ipa: bigint;
  readonly measure: boolean;
  readonly content?: Uint8Array;
  readonly contentHash?: Uint8Array;
}

/** RMI_REC_CREATE: measured only when `flags` bit 0 (RUNNABLE) is set (§1.6). `gprs` are x0.. (at most 8; missing ones zero). */
export interface CcaRecStep {
  readonly op: 'rec';
  readonly flags: bigint;
  readonly pc: bigint;
  readonly gprs: readonly bigint[];
}

/** One neutral realm step. */
export type CcaStep = CcaRealmCreateStep | CcaRipasStep | CcaDataStep | CcaRecStep;

// ---- the model ----------------------------------------------------------------------------

const GRANULE = 4096;
const DESCRIPTOR = 0x100;
const RIM_SIZE = 64;
const U64_MAX = (1n << 64n) - 1n;
/** Descriptor types (§1.4–§1.6). */
const DESC_DATA = 0;
const DESC_REC = 1;
const DESC_RIPAS = 2;
/** Block sizes an RTT entry can have with a 4 KiB granule (levels 3, 2, 1, 0), largest first. */
const RTT_BLOCKS = [1n << 39n, 1n << 30n, 1n << 21n, 1n << 12n];

/** Options of a `CcaRealm`. */
export interface CcaRealmOptions extends ModelOptions {
  readonly hashAlgorithm: CcaRealmHash;
  /** The realm hash algorithm's implementation (default: the installed default backend). */
  readonly hash?: HashBackend;
}

function checkU64(value: bigint, field: string): void {
  if (value < 0n || value > U64_MAX) throw new CcaError('BadField', `${value} is not a u64`, { field });
}

function checkU8(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new CcaError('BadField', `${value} is not an integer 0..255`, { field });
}

/** Folds realm steps into a Realm Initial Measurement. */
export class CcaRealm {
  readonly hashAlgorithm: CcaRealmHash;
  /** The digest size of the realm hash algorithm (32, 48 or 64). */
  readonly hashSize: number;
  private readonly rha: (data: Uint8Array) => Uint8Array;
  private current: Uint8Array = new Uint8Array(RIM_SIZE);
  private ruleSet: CcaRuleSet | undefined;
  private params: CcaRealmParams | undefined;
  private readonly descriptor = new Uint8Array(DESCRIPTOR);
  private readonly descView = new DataView(this.descriptor.buffer);
  private readonly page = new Uint8Array(GRANULE);
  private readonly pageView = new DataView(this.page.buffer);
  private steps = 0;

  constructor(private readonly options: CcaRealmOptions) {
    const alg = options.hashAlgorithm;
    if (!Object.hasOwn(CCA_HASH_SIZES, alg)) throw new CcaError('UnknownHashAlgorithm', `unknown hash algorithm '${String(alg)}'`);
    this.hashAlgorithm = alg;
    this.hashSize = CCA_HASH_SIZES[alg];
    const hash = options.hash ?? defaultHashBackend;
    this.rha = alg === 'sha-256' ? (d) => hash.sha256(d) : alg === 'sha-384' ? (d) => hash.sha384(d) : (d) => hash.sha512(d);
  }

  /** The rule set `realm_create` chose (undefined before it). */
  get rule(): CcaRuleSet | undefined {
    return this.ruleSet;
  }

  /** The RIM in its 64-byte form (hash left-aligned, zero-filled; veraison prints this). */
  rim(): Uint8Array {
    return this.current.slice();
  }

  /** The RIM as the realm token reports it (claim 44238): the first `hashSize` bytes. */
  measurement(): Uint8Array {
    return this.current.slice(0, this.hashSize);
  }

  /** RHA of `data`, widened to 64 bytes (§1.2). */
  private widened(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(RIM_SIZE);
    out.set(this.rha(data));
    return out;
  }

  /** The RHA digest of one granule (at most 4096 bytes, zero-padded), as `data` steps take it. */
  granuleHash(content: Uint8Array): Uint8Array {
    if (content.length > GRANULE) throw new CcaError('BadField', `granule content is ${content.length} bytes, more than 4096`, { field: 'content' });
    if (content.length === GRANULE) return this.rha(content);
    this.page.fill(0);
    this.page.set(content);
    return this.rha(this.page);
  }

  private requireCreated(op: string): CcaRuleSet {
    if (this.ruleSet === undefined) throw new CcaError('BadStepOrder', `'${op}' before 'realm_create'`);
    return this.ruleSet;
  }

  private checkIpa(ipa: bigint, field: string): void {
    checkU64(ipa, field);
    if ((ipa & BigInt(GRANULE - 1)) !== 0n) throw new CcaError('MisalignedIpa', `IPA 0x${ipa.toString(16)} is not 4 KiB aligned`, { field });
  }

  /** Rejects an IPA range outside the realm's IPA space, when `s2sz` is known. */
  private checkIpaSpace(end: bigint, field: string): void {
    if (this.params !== undefined && end > 1n << BigInt(this.params.s2sz)) {
      throw new CcaError('IpaOutOfRange', `0x${end.toString(16)} is beyond the ${this.params.s2sz}-bit IPA space`, { field });
    }
  }

  /** Starts a new descriptor: type, len, current RIM (§1.4–§1.6 common header). */
  private startDescriptor(type: number): void {
    this.descriptor.fill(0);
    this.descriptor[0] = type;
    this.descView.setBigUint64(8, BigInt(DESCRIPTOR), true);
    this.descriptor.set(this.current, 0x10);
  }

  private extend(record: string, gpa: bigint | undefined, contents: Uint8Array | undefined, source: OpSource, detail?: string): void {
    this.current = this.widened(this.descriptor);
    this.traceStep(record, gpa, contents, source, detail);
  }

  /** RMI_REALM_CREATE (§1.3): RIM₀ = widen(RHA(measured params page)), or zero under `rmm-2.0`. */
  realmCreate(rule: CcaRuleSet, params?: CcaRealmParams, source: OpSource = { reason: 'realm_create' }): void {
    if (this.ruleSet !== undefined) throw new CcaError('BadStepOrder', 'a second realm_create');
    if (!CCA_RULE_SETS.includes(rule)) throw new CcaError('UnknownRuleSet', `unknown RMM rule set '${String(rule)}'`, { field: 'rule' });
    if (rule === 'rmm-1.0' && this.hashAlgorithm === 'sha-384') {
      throw new CcaError('UnsupportedHashAlgorithm', 'RMM 1.0-rel0 has no SHA-384 (RmiHashAlgorithm 0 or 1 only)', { field: 'hash_algorithm' });
    }
    if (params === undefined) {
      if (rule !== 'rmm-2.0') throw new CcaError('BadField', `rule set ${rule} measures the realm parameters; none given`, { field: 'params' });
    } else {
      checkU64(params.flags, 'flags');
      checkU8(params.s2sz, 's2sz');
      checkU8(params.sveVl, 'sve_vl');
      checkU8(params.numBps, 'num_bps');
      checkU8(params.numWps, 'num_wps');
      checkU8(params.pmuNumCtrs, 'pmu_num_ctrs');
      if (params.s2sz < 12 || params.s2sz > 64) throw new CcaError('BadField', `s2sz ${params.s2sz} is not an IPA width (12..64)`, { field: 's2sz' });
    }
    this.ruleSet = rule;
    this.params = params;
    if (rule === 'rmm-2.0') {
      this.current = new Uint8Array(RIM_SIZE);
    } else {
      const p = this.page;
      const v = this.pageView;
      const q = params!;
      p.fill(0);
      v.setBigUint64(0x00, q.flags, true);
      v.setBigUint64(0x08, BigInt(q.s2sz), true);
      v.setBigUint64(0x10, BigInt(q.sveVl), true);
      v.setBigUint64(0x18, BigInt(q.numBps), true);
      v.setBigUint64(0x20, BigInt(q.numWps), true);
      v.setBigUint64(0x28, BigInt(q.pmuNumCtrs), true);
      p[0x30] = CCA_HASH_ALGORITHM_CODES[this.hashAlgorithm];
      this.current = this.widened(p);
    }
    this.traceStep('realm_create', undefined, undefined, source, rule);
  }

  /**
   * One RIPAS descriptor for the RTT entry `[base, top)` (§1.5). Under `rmm-1.0` the range must
   * be one RTT entry (4 KiB, 2 MiB, 1 GiB or 512 GiB, aligned to its size); the other rule sets
   * do not measure RIPAS, so the step only has its ranges checked.
   */
  ripas(base: bigint, top: bigint, source: OpSource = { reason: 'ripas' }): void {
    const rule = this.requireCreated('ripas');
    this.checkIpa(base, 'base');
    this.checkIpa(top, 'top');
    if (top <= base) throw new CcaError('BadField', `top 0x${top.toString(16)} is not above base 0x${base.toString(16)}`, { field: 'top' });
    this.checkIpaSpace(top, 'top');
    const size = top - base;
    if (!RTT_BLOCKS.includes(size) || base % size !== 0n) {
      throw new CcaError('MisalignedIpa', `[0x${base.toString(16)}, 0x${top.toString(16)}) is not one RTT entry (4 KiB, 2 MiB, 1 GiB or 512 GiB, size-aligned)`, { field: 'base' });
    }
    if (rule !== 'rmm-1.0') return;
    this.startDescriptor(DESC_RIPAS);
    this.descView.setBigUint64(0x50, base, true);
    this.descView.setBigUint64(0x58, top, true);
    this.extend('ripas', base, undefined, source, `top 0x${top.toString(16)}`);
  }

  /**
   * RMI_RTT_INIT_RIPAS over a RAM range, split into RTT entries the way veraison's KVM model does
   * (§1.5, [V]): at each step the largest block that is aligned at the cursor and fits below
   * `top`, among the block sizes the realm's `s2sz` allows. Needs the realm parameters.
   */
  ripasRange(base: bigint, top: bigint, source: OpSource = { reason: 'ripas' }): void {
    this.requireCreated('ripas');
    this.checkIpa(base, 'base');
    this.checkIpa(top, 'top');
    if (top <= base) throw new CcaError('BadField', `top 0x${top.toString(16)} is not above base 0x${base.toString(16)}`, { field: 'top' });
    if (this.params === undefined) throw new CcaError('BadField', 'a RIPAS range needs the realm parameters (s2sz)', { field: 'params' });
    const blocks = ccaRttBlockSizes(this.params.s2sz);
    for (let cursor = base; cursor < top; ) {
      const size = blocks.find((b) => cursor % b === 0n && cursor + b <= top)!;
      this.ripas(cursor, cursor + size, source);
      cursor += size;
    }
  }

  /**
   * One DATA granule (§1.4): DATA_CREATE / DATA_MAP_INIT with RMI_MEASURE_CONTENT (`content`
   * given, or its RHA digest `contentHash`) or without (both absent: flags 0, zero content field,
   * still measured).
   */
  data(ipa: bigint, content: { readonly bytes?: Uint8Array; readonly hash?: Uint8Array } | null, source: OpSource = { reason: 'data' }): void {
    this.requireCreated('data');
    this.checkIpa(ipa, 'ipa');
    this.checkIpaSpace(ipa + BigInt(GRANULE), 'ipa');
    let contentHash: Uint8Array | undefined;
    if (content !== null) {
      if (content.hash !== undefined) {
        if (content.hash.length !== this.hashSize) throw new CcaError('BadField', `content hash is ${content.hash.length} bytes, not ${this.hashSize}`, { field: 'content_hash' });
        contentHash = content.hash;
      } else if (content.bytes !== undefined) {
        contentHash = this.granuleHash(content.bytes);
      } else {
        throw new CcaError('BadField', 'a measured granule needs its content or content hash', { field: 'content' });
      }
    }
    this.startDescriptor(DESC_DATA);
    this.descView.setBigUint64(0x50, ipa, true);
    this.descView.setBigUint64(0x58, contentHash === undefined ? 0n : 1n, true);
    if (contentHash !== undefined) this.descriptor.set(contentHash, 0x60);
    this.extend('data', ipa, contentHash, source, contentHash === undefined ? 'unmeasured' : 'measured');
  }

  /**
   * `measured.length` DATA granules at once through a batch kernel (the batched lane, which
   * checked the IPAs when it planned them): `hashes` holds the RHA of each measured granule in
   * order. Not traced; the per-step `data` is what `--trace` replays.
   */
  dataBatch(kernels: Pick<HashKernels, 'ccaDataChain'>, gpas: BigUint64Array, measured: Uint8Array, hashes: Uint8Array): void {
    this.requireCreated('data');
    kernels.ccaDataChain(this.current, (this.hashSize * 8) as 256 | 384 | 512, hashes, measured, gpas);
    this.steps += measured.length;
  }

  /** RMI_REC_CREATE (§1.6): measured only when `flags` bit 0 (RUNNABLE) is set; `mpidr` is not. */
  rec(flags: bigint, pc: bigint, gprs: readonly bigint[], source: OpSource = { reason: 'rec' }): void {
    this.requireCreated('rec');
    checkU64(flags, 'flags');
    checkU64(pc, 'pc');
    if (gprs.length > 8) throw new CcaError('BadField', `${gprs.length} general-purpose registers, at most 8 (x0..x7)`, { field: 'gprs' });
    gprs.forEach((g, i) => checkU64(g, `gprs[${i}]`));
    if ((flags & 1n) === 0n) return;
    const p = this.page;
    const v = this.pageView;
    p.fill(0);
    v.setBigUint64(0x000, flags, true);
    v.setBigUint64(0x200, pc, true);
    gprs.forEach((g, i) => v.setBigUint64(0x300 + 8 * i, g, true));
    const content = this.rha(p);
    this.startDescriptor(DESC_REC);
    this.descriptor.set(content, 0x50);
    this.extend('rec', undefined, content, source, `pc 0x${pc.toString(16)}`);
  }

  /** Applies one neutral step. */
  apply(step: CcaStep, source?: OpSource): void {
    switch (step.op) {
      case 'realm_create':
        return this.realmCreate(step.rule, step.params, source);
      case 'ripas':
        return this.ripas(step.base, step.top, source);
      case 'data': {
        const content = step.measure ? { ...(step.content === undefined ? {} : { bytes: step.content }), ...(step.contentHash === undefined ? {} : { hash: step.contentHash }) } : null;
        return this.data(step.ipa, content, source);
      }
      case 'rec':
        return this.rec(step.flags, step.pc, step.gprs, source);
      default:
        throw new CcaError('UnknownOp', `unknown op '${String((step as { op: unknown }).op)}'`);
    }
  }

  private traceStep(record: string, gpa: bigint | undefined, contents: Uint8Array | undefined, source: OpSource, detail?: string): void {
    this.steps++;
    const trace = this.options.trace;
    if (trace === undefined) return;
    trace({
      step: this.steps,
      platform: this.options.platform ?? 'CCA',
      record,
      ...(gpa === undefined ? {} : { gpa }),
      ...(detail === undefined ? {} : { pageType: detail }),
      ...(contents === undefined ? {} : { contents: contents.slice() }),
      digest: this.measurement(),
      source,
    });
  }
}

/**
 * The RTT entry sizes available with a 4 KiB granule and IPA width `s2sz` (§1.5, veraison's
 * `test_block_sizes`): levels `4 − L` to 3 with L = ceil((s2sz − 12) / 9), one level fewer when
 * the start level would have at most 16 entries (concatenated tables). Largest first.
 */
export function ccaRttBlockSizes(s2sz: number): bigint[] {
  if (!Number.isInteger(s2sz) || s2sz < 13 || s2sz > 64) throw new CcaError('BadField', `s2sz ${s2sz} is not an IPA width`, { field: 's2sz' });
  let levels = Math.ceil((s2sz - 12) / 9);
  const startBits = s2sz - 12 - 9 * (levels - 1);
  if (levels > 1 && startBits <= 4) levels -= 1;
  // Level 3 is 4 KiB, level 2 2 MiB, ...: a walk of `levels` levels has blocks at levels 4 − levels .. 3.
  return RTT_BLOCKS.slice(RTT_BLOCKS.length - Math.min(levels, RTT_BLOCKS.length));
}
