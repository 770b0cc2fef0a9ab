/**
 * The SEV-SNP step-list reader: a launch written as its SNP_LAUNCH_UPDATE PAGE_INFO steps
 * (spec/snp.md §1.2: page type, GPA, CONTENTS), read and folded with the PAGE_INFO chain of the
 * SNP model (the `snpChain` kernel, the same primitive `SnpBatchRunner` folds IGVM files with),
 * so that a launch can be edited and replayed to explain a mismatch. Two inputs, one result:
 *
 * - a step list, the JSON family of the CCA lists (cca-steps.ts):
 *   `{platform: "SEV_SNP", steps: [{op: "page_info", page_type, gpa, contents, digest?}...]}`
 *   with optional `initial_digest` (the LD the list starts from, default 48 zero bytes: a list
 *   may resume a launch, spec/snp.md §1.1 item 4) and informational `case`, `source`, `note`,
 *   `expected_digest`;
 * - the JSON lines `measure --trace --platform snp` prints: every `page_info` step line becomes
 *   one step (its `digest` kept as the recorded running digest, its header index, file offset
 *   and reason kept as the step's source), the result line gives `expected_digest`.
 *
 * Every field's type and range is checked; anything else is an `SnpStepError` naming the step
 * index (and, for a trace, the line) and the field. Nothing is allocated from a size the input
 * claims; the text length and the step count are bounded.
 *
 * Page types are spelled as the trace spells them (spec/snp.md §1.3 names, `NORMAL`, `VMSA`,
 * `ZERO`, `UNMEASURED`, `SECRETS`, `CPUID`), in any letter case, or given as their PAGE_INFO
 * numbers 1–6. CONTENTS is required for NORMAL and VMSA steps; for the other types the firmware
 * hashes 48 zero bytes (§1.2), so `contents` may be left out and, when given, must be zeros.
 */
import { bytesToHex } from '../format/bytes.js';
import { CodedError, type CodedErrorJson } from '../format/coded-error.js';
import { defaultKernels } from './hash-default.js';
import type { HashKernels } from './kernels.js';
import { SnpPageType, type SnpPageTypeName } from './snp.js';
import { jsonTypeOf, jsonU64, parseStepListJson } from './step-list-json.js';
import type { ModelOptions, OpSource } from './steps.js';

// ---- errors -------------------------------------------------------------------------------

/** Every code an `SnpStepError` can carry. */
export const SNP_STEP_ERROR_CODES = [
  /** Not a JSON object with `platform: "SEV_SNP"` and a `steps` array, not JSON, or too large. */
  'BadStepList',
  /** JSON lines that are not one SEV-SNP launch's `measure --trace` output. */
  'BadTrace',
  /** A step operation other than `page_info`. */
  'UnknownOp',
  /** A field of the wrong type, outside its range, missing, or not known. */
  'BadField',
  /** A page type that is neither a PAGE_INFO type name nor its number (1–6). */
  'UnknownPageType',
  /** A GPA that is not 4 KiB aligned. */
  'MisalignedGpa',
] as const;

/** A stable SNP step-list error code. */
export type SnpStepErrorCode = (typeof SNP_STEP_ERROR_CODES)[number];

/** Where in a list or trace an error is: step index (0-based), field, trace line (1-based). */
export interface SnpStepWhere {
  readonly stepIndex?: number;
  readonly field?: string;
  readonly line?: number;
}

/** An SNP step list or trace that cannot be read. Like `CcaError` it points at a step, not a byte. */
export class SnpStepError extends CodedError<SnpStepErrorCode> {
  override readonly name = 'SnpStepError';
  readonly stepIndex: number | undefined;
  readonly field: string | undefined;
  readonly line: number | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(code: SnpStepErrorCode, message: string, where: SnpStepWhere = {}) {
    const at = [
      where.line === undefined ? '' : `line ${where.line}`,
      where.stepIndex === undefined ? '' : `step ${where.stepIndex}`,
      where.field === undefined ? '' : `field ${where.field}`,
    ]
      .filter((s) => s !== '')
      .join(', ');
    super(code, at === '' ? message : `${at}: ${message}`);
    this.stepIndex = where.stepIndex;
    this.field = where.field;
    this.line = where.line;
    this.detail = message;
  }

  override toJSON(): CodedErrorJson {
    return { code: this.code, message: this.message };
  }
}

// ---- the list ------------------------------------------------------------------------------

/** One PAGE_INFO step of a list. */
export interface SnpPageInfoStep {
  readonly pageType: SnpPageTypeName;
  readonly gpa: bigint;
  /** The 48-byte CONTENTS field (zeros for types other than NORMAL and VMSA). */
  readonly contents: Uint8Array;
  /** The running digest recorded after this step (a trace's `digest`, a list step's `digest`). */
  readonly digest?: Uint8Array;
  /** Where the step came from: a trace line's header index, file offset and reason. */
  readonly source?: OpSource;
  /** The trace line the step was read from (1-based). */
  readonly line?: number;
}

/** A step list or trace, read and checked. */
export interface SnpStepList {
  /** The launch digest the steps start from (48 bytes; zeros at SNP_LAUNCH_START). */
  readonly initialDigest: Uint8Array;
  readonly steps: readonly SnpPageInfoStep[];
  /** `case` as given. */
  readonly caseName?: string;
  /** `expected_digest` as given (lower-case hex), or the digest of a trace's result line. */
  readonly expectedDigest?: string;
  /** True when the input was `measure --trace` JSON lines. */
  readonly fromTrace: boolean;
}

/** Limits of the reader. */
export interface SnpStepListOptions {
  /** Most steps accepted (default 1 048 576). */
  readonly maxSteps?: number;
  /** Longest text `parseSnpStepListText` accepts, in characters (default 256 MiB). */
  readonly maxTextLength?: number;
}

export const DEFAULT_SNP_MAX_STEPS = 1 << 20;
const DEFAULT_MAX_TEXT = 256 * 1024 * 1024;
const DIGEST_HEX = 96;
/** The platform name of the lists and of the trace lines, the IGVM platform type. */
const PLATFORM = 'SEV_SNP';

const INFO_KEYS = new Set(['case', 'source', 'note', 'expected_digest']);
const TOP_KEYS = new Set([...INFO_KEYS, 'platform', 'initial_digest', 'steps']);
const STEP_KEYS = new Set(['op', 'page_type', 'gpa', 'contents', 'digest']);
/** The keys of a trace step line (cli/measure.ts `traceJson`). */
const TRACE_STEP_KEYS = new Set(['type', 'step', 'platform', 'record', 'gpa', 'page_type', 'contents', 'digest', 'file', 'header_index', 'file_offset', 'reason']);

function bad(message: string, where: SnpStepWhere): never {
  throw new SnpStepError('BadField', message, where);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: SnpStepWhere): string {
  if (typeof v !== 'string') bad(`expected a string, got ${jsonTypeOf(v)}`, where);
  return v;
}

function u64(v: unknown, where: SnpStepWhere): bigint {
  return jsonU64(v, (m) => bad(m, where));
}

function gpaOf(v: unknown, where: SnpStepWhere): bigint {
  const n = u64(v, where);
  if ((n & 0xfffn) !== 0n) throw new SnpStepError('MisalignedGpa', `GPA 0x${n.toString(16)} is not 4 KiB aligned`, where);
  return n;
}

/** 48 bytes as 96 hex digits. */
function digestOf(v: unknown, where: SnpStepWhere): Uint8Array {
  const s = str(v, where);
  if (s.length !== DIGEST_HEX || !/^[0-9a-fA-F]+$/.test(s)) bad(`expected ${DIGEST_HEX} hex digits (48 bytes), got ${s.length} characters`, where);
  const out = new Uint8Array(48);
  for (let i = 0; i < 48; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const NAMES = Object.keys(SnpPageType) as SnpPageTypeName[];

/** A page type: a §1.3 name in any case, or its number. */
function pageTypeOf(v: unknown, where: SnpStepWhere): SnpPageTypeName {
  if (typeof v === 'number') {
    const name = NAMES.find((n) => SnpPageType[n] === v);
    if (name === undefined) throw new SnpStepError('UnknownPageType', `${String(v)} is not a PAGE_INFO page type (1-6)`, where);
    return name;
  }
  if (typeof v === 'string') {
    const name = NAMES.find((n) => n === v.toUpperCase());
    if (name === undefined) throw new SnpStepError('UnknownPageType', `'${v.slice(0, 40)}' is not a page type (${NAMES.join(', ')})`, where);
    return name;
  }
  return bad(`expected a page type name or number, got ${jsonTypeOf(v)}`, where);
}

/** The fields every step has, whether from a list or a trace line. */
function pageInfoFields(s: Record<string, unknown>, at: (field: string) => SnpStepWhere): Omit<SnpPageInfoStep, 'source' | 'line'> {
  const pageType = pageTypeOf(s.page_type, at('page_type'));
  const gpa = gpaOf(s.gpa, at('gpa'));
  let contents: Uint8Array;
  if (pageType === 'NORMAL' || pageType === 'VMSA') {
    if (s.contents === undefined) bad(`a ${pageType} step needs the SHA-384 of its page`, at('contents'));
    contents = digestOf(s.contents, at('contents'));
  } else {
    // The firmware puts 48 zero bytes in CONTENTS for these types: other contents would give a
    // digest no launch can produce.
    contents = s.contents === undefined ? new Uint8Array(48) : digestOf(s.contents, at('contents'));
    if (contents.some((b) => b !== 0)) bad(`a ${pageType} page's CONTENTS are 48 zero bytes`, at('contents'));
  }
  return { pageType, gpa, contents, ...(s.digest === undefined ? {} : { digest: digestOf(s.digest, at('digest')) }) };
}

function readStep(s: unknown, i: number): SnpPageInfoStep {
  if (!isObject(s)) bad(`a step is an object, got ${jsonTypeOf(s)}`, { stepIndex: i, field: 'op' });
  if (typeof s.op !== 'string') bad(`expected a string, got ${jsonTypeOf(s.op)}`, { stepIndex: i, field: 'op' });
  if (s.op !== 'page_info') throw new SnpStepError('UnknownOp', `unknown op '${s.op.slice(0, 40)}' (page_info)`, { stepIndex: i, field: 'op' });
  for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) bad(`unknown field for op 'page_info'`, { stepIndex: i, field: k });
  return pageInfoFields(s, (field) => ({ stepIndex: i, field }));
}

function stepCountLimit(n: number, options: SnpStepListOptions, code: 'BadStepList' | 'BadTrace'): void {
  const max = options.maxSteps ?? DEFAULT_SNP_MAX_STEPS;
  if (n > max) throw new SnpStepError(code, `${n} steps, more than the limit ${max}`, { field: 'steps' });
}

/** Reads a parsed step list (any JSON value); throws `SnpStepError` on anything it does not accept. */
export function readSnpStepList(value: unknown, options: SnpStepListOptions = {}): SnpStepList {
  if (!isObject(value)) throw new SnpStepError('BadStepList', `a step list is a JSON object, got ${jsonTypeOf(value)}`);
  for (const k of Object.keys(value)) if (!TOP_KEYS.has(k)) bad('unknown top-level field', { field: k });
  if (value.platform !== PLATFORM) throw new SnpStepError('BadStepList', `an SEV-SNP step list has platform "${PLATFORM}"`, { field: 'platform' });
  const steps = value.steps;
  if (!Array.isArray(steps)) throw new SnpStepError('BadStepList', `'steps' is an array, got ${jsonTypeOf(steps)}`, { field: 'steps' });
  stepCountLimit(steps.length, options, 'BadStepList');
  const out = steps.map((s: unknown, i: number) => readStep(s, i));
  const initialDigest = value.initial_digest === undefined ? new Uint8Array(48) : digestOf(value.initial_digest, { field: 'initial_digest' });
  const info: { caseName?: string; expectedDigest?: string } = {};
  if (value.case !== undefined) info.caseName = str(value.case, { field: 'case' });
  if (value.source !== undefined) str(value.source, { field: 'source' });
  if (value.note !== undefined) str(value.note, { field: 'note' });
  if (value.expected_digest !== undefined) info.expectedDigest = bytesToHex(digestOf(value.expected_digest, { field: 'expected_digest' }));
  return { initialDigest, steps: out, ...info, fromTrace: false };
}

// ---- the trace -----------------------------------------------------------------------------

/** An optional trace field of one JSON type (null where the trace writes null). */
function optional<T>(v: unknown, type: 'string' | 'number', where: SnpStepWhere): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type || (type === 'number' && (!Number.isSafeInteger(v) || (v as number) < 0))) bad(`expected ${type === 'number' ? 'a non-negative integer' : 'a string'} or null, got ${jsonTypeOf(v)}`, where);
  return v as T;
}

/** The first non-blank line of `text` when it is a JSON object with a string `type`: a trace line. */
function firstTraceLine(text: string): boolean {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return false;
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end < 0 ? undefined : end);
  // Trace lines are a few hundred characters; a longer first line is a one-line step list.
  if (line.length > 64 * 1024) return false;
  try {
    const v = JSON.parse(line) as unknown;
    return isObject(v) && typeof v.type === 'string';
  } catch {
    return false;
  }
}

/**
 * True when `text` is JSON lines as `measure --trace` prints them: its first non-blank line
 * is one JSON object with a `type` (a step list never has one; a pretty-printed list's first
 * line is not a whole object).
 */
export function isMeasureTraceText(text: string): boolean {
  return firstTraceLine(text);
}

/**
 * Reads `measure --trace` JSON lines of one SEV-SNP launch: `page_info` step lines in order,
 * result lines checked for their platform and otherwise only read for their digest. Lines of
 * another platform or record, a second launch (step numbers starting again at 1, a step after
 * the result line, a second result line) or a line that is not a JSON object are `BadTrace`.
 */
export function readSnpTraceText(text: string, options: SnpStepListOptions = {}): SnpStepList {
  const max = options.maxTextLength ?? DEFAULT_MAX_TEXT;
  if (text.length > max) throw new SnpStepError('BadTrace', `${text.length} characters, more than the limit ${max}`);
  const maxSteps = options.maxSteps ?? DEFAULT_SNP_MAX_STEPS;
  const steps: SnpPageInfoStep[] = [];
  let expectedDigest: string | undefined;
  let results = 0;
  let file: string | undefined;
  const lines = text.split('\n');
  for (const [n, raw] of lines.entries()) {
    const line = n + 1;
    if (raw.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new SnpStepError('BadTrace', `not a JSON line: ${(e as Error).message}`, { line });
    }
    if (!isObject(v)) throw new SnpStepError('BadTrace', `a trace line is a JSON object, got ${jsonTypeOf(v)}`, { line });
    // With several FILEs every line names its file; a replay is of one launch.
    const lineFile = optional<string>(v.file, 'string', { line, field: 'file' });
    if (lineFile !== undefined && file !== undefined && lineFile !== file) throw new SnpStepError('BadTrace', `a second file '${lineFile.slice(0, 80)}'; replay one launch at a time`, { line, field: 'file' });
    file ??= lineFile;
    if (v.type === 'result') {
      if (v.platform_type !== PLATFORM) throw new SnpStepError('BadTrace', `a result line of platform ${JSON.stringify(v.platform_type)?.slice(0, 40)}; replay takes ${PLATFORM} traces (measure --trace --platform snp)`, { line, field: 'platform_type' });
      if (++results > 1) throw new SnpStepError('BadTrace', `a second ${PLATFORM} result line; replay one launch at a time`, { line });
      if (v.digest !== undefined) expectedDigest = bytesToHex(digestOf(v.digest, { line, field: 'digest' }));
      continue;
    }
    if (v.type !== 'step') throw new SnpStepError('BadTrace', `unknown line type ${JSON.stringify(v.type)?.slice(0, 40)} (step, result)`, { line, field: 'type' });
    const stepIndex = steps.length;
    const at = (field: string): SnpStepWhere => ({ line, stepIndex, field });
    if (v.platform !== PLATFORM) throw new SnpStepError('BadTrace', `a step of platform ${JSON.stringify(v.platform)?.slice(0, 40)}; replay takes ${PLATFORM} traces (measure --trace --platform snp)`, at('platform'));
    if (v.record !== 'page_info') throw new SnpStepError('BadTrace', `a ${JSON.stringify(v.record)?.slice(0, 40)} record; an ${PLATFORM} launch is page_info steps`, at('record'));
    for (const k of Object.keys(v)) if (!TRACE_STEP_KEYS.has(k)) bad('unknown field of a trace step line', at(k));
    if (results > 0) throw new SnpStepError('BadTrace', 'a step after the result line; replay one launch at a time', at('type'));
    // Step numbers are 1-based per launch: a 1 after other steps is the next launch's first.
    // Otherwise they are not checked, so that lines may be deleted or inserted when editing.
    const number = optional<number>(v.step, 'number', at('step'));
    if (number === 1 && stepIndex > 0) throw new SnpStepError('BadTrace', 'step numbers start again at 1: a second launch; replay one launch at a time', at('step'));
    if (stepIndex >= maxSteps) throw new SnpStepError('BadTrace', `more than the limit of ${maxSteps} steps`, at('step'));
    const headerIndex = optional<number>(v.header_index, 'number', at('header_index'));
    const fileOffset = optional<number>(v.file_offset, 'number', at('file_offset'));
    const reason = optional<string>(v.reason, 'string', at('reason'));
    const source: OpSource = {
      reason: reason ?? `line ${line}`,
      ...(headerIndex === undefined ? {} : { headerIndex }),
      ...(fileOffset === undefined ? {} : { fileOffset }),
      ...(lineFile === undefined ? {} : { file: lineFile }),
    };
    steps.push({ ...pageInfoFields(v, at), source, line });
  }
  if (steps.length === 0) throw new SnpStepError('BadTrace', `no ${PLATFORM} page_info step lines`);
  return { initialDigest: new Uint8Array(48), steps, ...(expectedDigest === undefined ? {} : { expectedDigest }), fromTrace: true };
}

/** Parses a step list (JSON) or a trace (JSON lines, `isMeasureTraceText`) and reads it. */
export function parseSnpStepListText(text: string, options: SnpStepListOptions = {}): SnpStepList {
  if (isMeasureTraceText(text)) return readSnpTraceText(text, options);
  const value = parseStepListJson(text, options.maxTextLength ?? DEFAULT_MAX_TEXT, (m) => new SnpStepError('BadStepList', m));
  return readSnpStepList(value, options);
}

// ---- the fold ------------------------------------------------------------------------------

/** Where a replay first leaves the running digests its input recorded. */
export interface SnpDivergence {
  /** Index of the step in the list (0-based, as errors count). */
  readonly index: number;
  /** Its 1-based position in the chain, as trace lines number steps. */
  readonly step: number;
  /** The trace line, for a trace. */
  readonly line?: number;
  /** The running digest the input recorded after the step. */
  readonly expected: Uint8Array;
  /** The running digest recomputed. */
  readonly actual: Uint8Array;
}

/** The launch digest of a step list. */
export interface SnpStepListResult {
  /** The final launch digest, the report's MEASUREMENT (48 bytes). */
  readonly digest: Uint8Array;
  readonly steps: number;
  /** The first step whose recomputed running digest differs from its recorded `digest`, if any. */
  readonly firstDivergence?: SnpDivergence;
}

/** Options of the fold. */
export interface SnpStepFoldOptions extends ModelOptions {
  /** The PAGE_INFO chain (default: the installed kernels, native or JS). */
  readonly kernels?: HashKernels;
}

/**
 * Folds a step list from its initial digest: LD := SHA-384(PAGE_INFO) per step, with the SNP
 * model's `snpChain` (spec/snp.md §1.2). Steps that carry a recorded digest are compared as they
 * go; the first that differs is `firstDivergence` (after it every digest differs, as it is a chain).
 */
export function foldSnpStepList(list: SnpStepList, options: SnpStepFoldOptions = {}): SnpStepListResult {
  const kernels = options.kernels ?? defaultKernels;
  const ld = list.initialDigest.slice();
  const types = new Uint8Array(1);
  const gpas = new BigUint64Array(1);
  let firstDivergence: SnpDivergence | undefined;
  list.steps.forEach((s, i) => {
    types[0] = SnpPageType[s.pageType];
    gpas[0] = s.gpa;
    kernels.snpChain(ld, s.contents, types, gpas);
    if (firstDivergence === undefined && s.digest !== undefined && !equal(s.digest, ld)) {
      firstDivergence = { index: i, step: i + 1, ...(s.line === undefined ? {} : { line: s.line }), expected: s.digest, actual: ld.slice() };
    }
    options.trace?.({
      step: i + 1,
      platform: options.platform ?? PLATFORM,
      record: 'page_info',
      gpa: s.gpa,
      pageType: s.pageType,
      contents: s.contents,
      digest: ld.slice(),
      source: s.source ?? { reason: `step ${i} page_info` },
    });
  });
  return { digest: ld, steps: list.steps.length, ...(firstDivergence === undefined ? {} : { firstDivergence }) };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
