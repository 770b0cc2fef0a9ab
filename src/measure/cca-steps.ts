/**
 * The CCA step-list reader (the JSON format of vectors/cca, spec/cca.md §3.1): a realm launch
 * written as ordered RMI operations, read into the neutral `CcaStep`s of cca.ts and folded with
 * `CcaRealm`. Every field's type and range is checked; an unknown op, an unknown field, a wrong
 * type or an out-of-range value is a `CcaError` naming the step index and the field. Nothing is
 * allocated from a size the input claims: granule contents are base64 of at most 4096 bytes (or
 * an RHA digest in hex), and the step count is bounded.
 *
 * Format: `{hash_algorithm, steps: [...]}` plus informational keys (`case`, `source`, `note`,
 * `published_rim`, `rim`). Steps: `realm_create` {rule, flags, s2sz, sve_vl, num_bps, num_wps,
 * pmu_num_ctrs}, `ripas` {base, top}, `data` {ipa, measure, content_b64 | content_hash}, `rec`
 * {flags, pc, gprs}. Integers are JSON numbers (non-negative, exact) or `0x` hex strings (u64).
 */
import {
  CcaError,
  CcaRealm,
  ccaHashAlgorithmFromName,
  ccaRuleSetFromName,
  CCA_HASH_SIZES,
  type CcaRealmHash,
  type CcaRealmOptions,
  type CcaRealmParams,
  type CcaStep,
} from './cca.js';
import { jsonTypeOf, jsonU64, parseStepListJson } from './step-list-json.js';

/** A step list, read and checked. */
export interface CcaStepList {
  readonly hashAlgorithm: CcaRealmHash;
  readonly steps: readonly CcaStep[];
  /** The `case` label, when given. */
  readonly caseName?: string;
  /** `published_rim` as given (lower-case hex, possibly a prefix), when given. */
  readonly publishedRim?: string;
  /** `rim` as given (lower-case hex), when given. */
  readonly rim?: string;
}

/** Limits of the reader. */
export interface CcaStepListOptions {
  /** Most steps accepted (default 1 048 576). */
  readonly maxSteps?: number;
  /** Longest JSON text `parseCcaStepListText` accepts, in characters (default 256 MiB). */
  readonly maxTextLength?: number;
}

export const DEFAULT_CCA_MAX_STEPS = 1 << 20;
const DEFAULT_MAX_TEXT = 256 * 1024 * 1024;
const GRANULE = 4096;
/** base64 of 4096 bytes. */
const MAX_B64 = 4 * Math.ceil(GRANULE / 3);

const INFO_KEYS = new Set(['case', 'source', 'note', 'published_rim', 'rim']);
const TOP_KEYS = new Set([...INFO_KEYS, 'hash_algorithm', 'steps']);
const PARAM_FIELDS = ['flags', 's2sz', 'sve_vl', 'num_bps', 'num_wps', 'pmu_num_ctrs'] as const;
const STEP_KEYS: Readonly<Record<CcaStep['op'], ReadonlySet<string>>> = {
  realm_create: new Set(['op', 'rule', ...PARAM_FIELDS]),
  ripas: new Set(['op', 'base', 'top']),
  data: new Set(['op', 'ipa', 'measure', 'content_b64', 'content_hash']),
  rec: new Set(['op', 'flags', 'pc', 'gprs']),
};

type Where = { stepIndex?: number; field: string };

function bad(message: string, where: Where): never {
  throw new CcaError('BadField', message, where);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function u64(v: unknown, where: Where): bigint {
  return jsonU64(v, (m) => bad(m, where));
}

function u8(v: unknown, where: Where): number {
  const n = u64(v, where);
  if (n > 255n) bad(`${n} is more than 255`, where);
  return Number(n);
}

function ipa(v: unknown, where: Where): bigint {
  const n = u64(v, where);
  if ((n & 0xfffn) !== 0n) throw new CcaError('MisalignedIpa', `IPA 0x${n.toString(16)} is not 4 KiB aligned`, where);
  return n;
}

function str(v: unknown, where: Where): string {
  if (typeof v !== 'string') bad(`expected a string, got ${jsonTypeOf(v)}`, where);
  return v;
}

function hexString(v: unknown, maxLength: number, where: Where): string {
  const s = str(v, where);
  if (s.length === 0 || s.length > maxLength || !/^[0-9a-fA-F]+$/.test(s)) bad(`expected up to ${maxLength} hex digits`, where);
  return s.toLowerCase();
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Strict base64 of at most one granule; decoded only after its length is checked. */
function granuleB64(v: unknown, where: Where): Uint8Array {
  const s = str(v, where);
  if (s.length > MAX_B64) bad(`${s.length} base64 characters, more than one 4 KiB granule`, where);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) bad('not canonical base64', where);
  const bin = atob(s);
  if (bin.length > GRANULE) bad(`${bin.length} bytes, more than one 4 KiB granule`, where);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function checkKeys(step: Record<string, unknown>, allowed: ReadonlySet<string>, stepIndex: number): void {
  for (const k of Object.keys(step)) if (!allowed.has(k)) bad(`unknown field for op '${String(step.op)}'`, { stepIndex, field: k });
}

function readRealmCreate(s: Record<string, unknown>, i: number): CcaStep {
  let rule;
  try {
    rule = ccaRuleSetFromName(str(s.rule, { stepIndex: i, field: 'rule' }));
  } catch (e) {
    if (e instanceof CcaError && e.code === 'UnknownRuleSet') throw new CcaError(e.code, e.detail, { stepIndex: i, field: 'rule' });
    throw e;
  }
  const present = PARAM_FIELDS.filter((f) => s[f] !== undefined);
  if (present.length === 0) {
    if (rule !== 'rmm-2.0') bad(`rule ${rule} measures the realm parameters; give ${PARAM_FIELDS.join(', ')}`, { stepIndex: i, field: 'flags' });
    return { op: 'realm_create', rule };
  }
  const missing = PARAM_FIELDS.find((f) => s[f] === undefined);
  if (missing !== undefined) bad('missing (give all realm parameters or none)', { stepIndex: i, field: missing });
  const at = (field: string): Where => ({ stepIndex: i, field });
  const params: CcaRealmParams = {
    flags: u64(s.flags, at('flags')),
    s2sz: u8(s.s2sz, at('s2sz')),
    sveVl: u8(s.sve_vl, at('sve_vl')),
    numBps: u8(s.num_bps, at('num_bps')),
    numWps: u8(s.num_wps, at('num_wps')),
    pmuNumCtrs: u8(s.pmu_num_ctrs, at('pmu_num_ctrs')),
  };
  if (params.s2sz < 12 || params.s2sz > 64) bad(`s2sz ${params.s2sz} is not an IPA width (12..64)`, at('s2sz'));
  return { op: 'realm_create', rule, params };
}

function readData(s: Record<string, unknown>, i: number, hashAlgorithm: CcaRealmHash): CcaStep {
  const at = (field: string): Where => ({ stepIndex: i, field });
  const at_ = ipa(s.ipa, at('ipa'));
  if (typeof s.measure !== 'boolean') bad(`expected a boolean, got ${jsonTypeOf(s.measure)}`, at('measure'));
  const hasB64 = s.content_b64 !== undefined;
  const hasHash = s.content_hash !== undefined;
  if (!s.measure) {
    if (hasB64 || hasHash) bad('an unmeasured granule has no content', at(hasB64 ? 'content_b64' : 'content_hash'));
    return { op: 'data', ipa: at_, measure: false };
  }
  if (hasB64 === hasHash) bad('a measured granule needs exactly one of content_b64 and content_hash', at('content_b64'));
  if (hasB64) return { op: 'data', ipa: at_, measure: true, content: granuleB64(s.content_b64, at('content_b64')) };
  const size = CCA_HASH_SIZES[hashAlgorithm];
  const hex = hexString(s.content_hash, 2 * size, at('content_hash'));
  if (hex.length !== 2 * size) bad(`expected ${2 * size} hex digits (${hashAlgorithm})`, at('content_hash'));
  return { op: 'data', ipa: at_, measure: true, contentHash: hexBytes(hex) };
}

function readRec(s: Record<string, unknown>, i: number): CcaStep {
  const at = (field: string): Where => ({ stepIndex: i, field });
  const flags = u64(s.flags, at('flags'));
  const pc = u64(s.pc, at('pc'));
  let gprs: bigint[] = [];
  if (s.gprs !== undefined) {
    if (!Array.isArray(s.gprs)) bad(`expected an array, got ${jsonTypeOf(s.gprs)}`, at('gprs'));
    if (s.gprs.length > 8) bad(`${s.gprs.length} registers, at most 8 (x0..x7)`, at('gprs'));
    gprs = s.gprs.map((g: unknown, k: number) => u64(g, at(`gprs[${k}]`)));
  }
  return { op: 'rec', flags, pc, gprs };
}

function readStep(s: unknown, i: number, hashAlgorithm: CcaRealmHash): CcaStep {
  if (!isObject(s)) bad(`a step is an object, got ${jsonTypeOf(s)}`, { stepIndex: i, field: 'op' });
  const op = s.op;
  if (typeof op !== 'string') bad(`expected a string, got ${jsonTypeOf(op)}`, { stepIndex: i, field: 'op' });
  if (!Object.hasOwn(STEP_KEYS, op)) throw new CcaError('UnknownOp', `unknown op '${op.slice(0, 40)}' (realm_create, ripas, data, rec)`, { stepIndex: i, field: 'op' });
  checkKeys(s, STEP_KEYS[op as CcaStep['op']], i);
  switch (op as CcaStep['op']) {
    case 'realm_create':
      return readRealmCreate(s, i);
    case 'ripas': {
      const base = ipa(s.base, { stepIndex: i, field: 'base' });
      const top = ipa(s.top, { stepIndex: i, field: 'top' });
      if (top <= base) bad(`top 0x${top.toString(16)} is not above base 0x${base.toString(16)}`, { stepIndex: i, field: 'top' });
      return { op: 'ripas', base, top };
    }
    case 'data':
      return readData(s, i, hashAlgorithm);
    case 'rec':
      return readRec(s, i);
  }
}

/** Reads a parsed step list (any JSON value); throws `CcaError` on anything it does not accept. */
export function readCcaStepList(value: unknown, options: CcaStepListOptions = {}): CcaStepList {
  if (!isObject(value)) throw new CcaError('BadStepList', `a step list is a JSON object, got ${jsonTypeOf(value)}`);
  for (const k of Object.keys(value)) if (!TOP_KEYS.has(k)) bad('unknown top-level field', { field: k });
  let hashAlgorithm: CcaRealmHash;
  try {
    hashAlgorithm = ccaHashAlgorithmFromName(str(value.hash_algorithm, { field: 'hash_algorithm' }));
  } catch (e) {
    if (e instanceof CcaError && e.code === 'UnknownHashAlgorithm') throw new CcaError(e.code, e.detail, { field: 'hash_algorithm' });
    throw e;
  }
  const steps = value.steps;
  if (!Array.isArray(steps)) throw new CcaError('BadStepList', `'steps' is an array, got ${jsonTypeOf(steps)}`, { field: 'steps' });
  const maxSteps = options.maxSteps ?? DEFAULT_CCA_MAX_STEPS;
  if (steps.length > maxSteps) throw new CcaError('BadStepList', `${steps.length} steps, more than the limit ${maxSteps}`, { field: 'steps' });
  const out = steps.map((s: unknown, i: number) => readStep(s, i, hashAlgorithm));
  const info: { caseName?: string; publishedRim?: string; rim?: string } = {};
  if (value.case !== undefined) info.caseName = str(value.case, { field: 'case' });
  if (value.source !== undefined) str(value.source, { field: 'source' });
  if (value.note !== undefined) str(value.note, { field: 'note' });
  if (value.published_rim !== undefined) info.publishedRim = hexString(value.published_rim, 128, { field: 'published_rim' });
  if (value.rim !== undefined) info.rim = hexString(value.rim, 128, { field: 'rim' });
  return { hashAlgorithm, steps: out, ...info };
}

/** Parses and reads a step list from JSON text; malformed JSON is `BadStepList`. */
export function parseCcaStepListText(text: string, options: CcaStepListOptions = {}): CcaStepList {
  const value = parseStepListJson(text, options.maxTextLength ?? DEFAULT_MAX_TEXT, (m) => new CcaError('BadStepList', m));
  return readCcaStepList(value, options);
}

/** The RIM of a step list. */
export interface CcaStepListResult {
  /** The 64-byte `RmmRealmMeasurement` (hash left-aligned, zero-filled). */
  readonly rim: Uint8Array;
  /** The RIM as the realm token reports it: the first hash-size bytes. */
  readonly measurement: Uint8Array;
  readonly hashAlgorithm: CcaRealmHash;
}

/**
 * Folds a step list with a `CcaRealm`. A step the model refuses (steps before `realm_create`,
 * an IPA outside the realm, a RIPAS range that is no RTT entry, SHA-384 under RMM 1.0) is a
 * `CcaError` carrying that step's index.
 */
export function foldCcaStepList(list: CcaStepList, options: Omit<CcaRealmOptions, 'hashAlgorithm'> = {}): CcaStepListResult {
  const realm = new CcaRealm({ ...options, hashAlgorithm: list.hashAlgorithm });
  list.steps.forEach((step, i) => {
    try {
      realm.apply(step, { reason: `step ${i} ${step.op}` });
    } catch (e) {
      if (e instanceof CcaError && e.stepIndex === undefined) throw new CcaError(e.code, e.detail, { stepIndex: i, ...(e.field === undefined ? {} : { field: e.field }) });
      throw e;
    }
  });
  if (realm.rule === undefined) throw new CcaError('BadStepOrder', 'no realm_create step', { field: 'steps' });
  return { rim: realm.rim(), measurement: realm.measurement(), hashAlgorithm: list.hashAlgorithm };
}
