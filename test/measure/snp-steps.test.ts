/**
 * The SEV-SNP step-list reader and fold (src/measure/snp-steps.ts): the worked examples of
 * spec/snp.md §1.2 (one PAGE_INFO step) and §1.7 (the 33-step chain of sev-snp-measure's
 * `test_snp_without_kernel_default`), also resumed mid-launch from an `initial_digest` (§1.1
 * item 4), written as hand-made step lists and trace lines; typed errors naming step and field
 * for bad lists and traces; and a seeded fuzz of both readers.
 */
import { describe, expect, it } from 'vitest';
import {
  foldSnpStepList,
  jsKernels,
  nobleHashBackend,
  parseSnpStepListText,
  readSnpStepList,
  SNP_STEP_ERROR_CODES,
  SnpStepError,
  type TraceStep,
} from '../../src/measure/index.js';
import { mulberry32 } from '../helpers/prng.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// spec/snp.md §1.2: SHA-384 of virtee/sev-snp-measure's tests/fixtures/ovmf_AmdSev_suffix.bin.
const OVMF_SUFFIX_HASH = '161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894';
// spec/snp.md §1.2: the LD after that one NORMAL step at 0xFFFFF000 from LD = 0 ("OVMF hash").
const LD_AFTER_OVMF = '086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74';
// spec/snp.md §1.6: SHA-384 of the BSP VMSA (EPYC-v4, features 0x21).
const BSP_VMSA_HASH = 'ae79efa6efbe1594a2717dfd42af495a0e4ed37b00e529a5fdf349bea04c3513962ffb0c74cf65b0d9a1857271833d6e';
// spec/snp.md §1.7: the final LD of the 33-step chain.
const LD_FINAL = 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b';

const page = (page_type: string | number, gpa: number | string, contents?: string): Record<string, unknown> => ({
  op: 'page_info',
  page_type,
  gpa,
  ...(contents === undefined ? {} : { contents }),
});

/** spec/snp.md §1.7 items 2–6: everything after the first (OVMF) page, written as the list says. */
function afterOvmf(): Array<Record<string, unknown>> {
  const zeros = (from: number, n: number): Array<Record<string, unknown>> => Array.from({ length: n }, (_, i) => page('zero', `0x${(from + i * 0x1000).toString(16)}`));
  return [
    ...zeros(0x800000, 9),
    ...zeros(0x80a000, 3),
    page('SECRETS', 0x80d000),
    page('cpuid', 0x80e000),
    page('ZERO', 0x80f000),
    page(3, 0x810000),
    ...zeros(0x811000, 15),
    page('VMSA', '0xfffffffff000', BSP_VMSA_HASH),
  ];
}

const fullList = (): { platform: string; steps: Array<Record<string, unknown>> } => ({
  platform: 'SEV_SNP',
  steps: [page('NORMAL', '0xfffff000', OVMF_SUFFIX_HASH), ...afterOvmf()],
});

describe('SNP step lists: spec/snp.md worked examples', () => {
  it('§1.2: one NORMAL step from LD = 0 gives 086e2e91…', () => {
    const list = readSnpStepList({ platform: 'SEV_SNP', steps: [page('normal', 0xfffff000, OVMF_SUFFIX_HASH)] });
    const r = foldSnpStepList(list);
    expect(hex(r.digest)).toBe(LD_AFTER_OVMF);
    expect(r.steps).toBe(1);
    expect(r.firstDivergence).toBeUndefined();
  });

  it('§1.7: the 33-step chain gives e1e1ca02…, with the default kernels and with the JS kernels over @noble/hashes', () => {
    const list = readSnpStepList(fullList());
    expect(list.steps).toHaveLength(33); // §1.7: "exactly this 33-step chain"
    expect(hex(foldSnpStepList(list).digest)).toBe(LD_FINAL);
    expect(hex(foldSnpStepList(list, { kernels: jsKernels(nobleHashBackend) }).digest)).toBe(LD_FINAL);
  });

  it('§1.1 item 4: the chain resumed from the LD after the OVMF page (initial_digest) ends at the same LD', () => {
    const list = readSnpStepList({ platform: 'SEV_SNP', initial_digest: LD_AFTER_OVMF, steps: afterOvmf() });
    expect(hex(foldSnpStepList(list).digest)).toBe(LD_FINAL);
  });

  it('reads informational keys and expected_digest; traces every step with its running digest', () => {
    const list = readSnpStepList({ ...fullList(), case: 'snp.md 1.7', source: 'spec', note: 'n', expected_digest: LD_FINAL.toUpperCase() });
    expect(list.caseName).toBe('snp.md 1.7');
    expect(list.expectedDigest).toBe(LD_FINAL);
    const seen: TraceStep[] = [];
    foldSnpStepList(list, { trace: (s) => seen.push(s) });
    expect(seen).toHaveLength(33);
    expect(seen[0]).toMatchObject({ step: 1, platform: 'SEV_SNP', record: 'page_info', gpa: 0xfffff000n, pageType: 'NORMAL' });
    expect(hex(seen[0]!.digest)).toBe(LD_AFTER_OVMF);
    expect(seen.map((s) => s.pageType).slice(12, 16)).toEqual(['ZERO', 'SECRETS', 'CPUID', 'ZERO']);
    expect(hex(seen[32]!.digest)).toBe(LD_FINAL);
  });

  it('steps carrying recorded digests: the first that differs is firstDivergence', () => {
    const steps = fullList().steps;
    steps[0] = { ...steps[0], digest: LD_AFTER_OVMF };
    steps[32] = { ...steps[32], digest: LD_FINAL };
    expect(foldSnpStepList(readSnpStepList({ platform: 'SEV_SNP', steps })).firstDivergence).toBeUndefined();
    // A different VMSA (an AP's, §1.6) at the last step: the recorded final LD no longer follows.
    steps[32] = { ...steps[32], contents: '180ef2675dc01615d31b3e84ef27a0a69d08bfbbb58ea4f6a0188f08884ab6407591ada42f99749ce9a406fb4e5d8355' };
    const r = foldSnpStepList(readSnpStepList({ platform: 'SEV_SNP', steps }));
    expect(r.firstDivergence).toMatchObject({ index: 32, step: 33 });
    expect(hex(r.firstDivergence!.expected)).toBe(LD_FINAL);
    expect(hex(r.firstDivergence!.actual)).toBe(hex(r.digest));
  });
});

/** The line `measure --trace` prints for a step (cli/measure.ts traceJson). */
function traceLine(step: number, page_type: string, gpa: number | string, contents: string, digest: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'step', step, platform: 'SEV_SNP', record: 'page_info', gpa, page_type, contents, digest, header_index: null, file_offset: null, reason: 'r', ...extra });
}

describe('SNP traces (measure --trace JSON lines)', () => {
  const one = traceLine(1, 'NORMAL', 4294963200, OVMF_SUFFIX_HASH, LD_AFTER_OVMF);
  const result = JSON.stringify({ type: 'result', compatibility_mask: 1, platform_type: 'SEV_SNP', algorithm: 'sha384', digest: LD_AFTER_OVMF });

  it('replays step lines, keeps their sources and reads the result line as expected_digest', () => {
    const list = parseSnpStepListText(`${one}\n${result}\n`);
    expect(list.fromTrace).toBe(true);
    expect(list.expectedDigest).toBe(LD_AFTER_OVMF);
    expect(list.steps[0]!.source).toEqual({ reason: 'r' });
    expect(hex(foldSnpStepList(list).digest)).toBe(LD_AFTER_OVMF);
  });

  it('names the first line whose recorded digest the replay does not reach', () => {
    const bad = traceLine(1, 'NORMAL', 4294963200, OVMF_SUFFIX_HASH, LD_FINAL);
    const r = foldSnpStepList(parseSnpStepListText(`\n${bad}\n${result}`));
    expect(r.firstDivergence).toMatchObject({ index: 0, step: 1, line: 2 });
    expect(hex(r.firstDivergence!.actual)).toBe(LD_AFTER_OVMF);
  });

  const zero = '0'.repeat(96);
  const cases: Array<[string, string, RegExp, { stepIndex?: number; field?: string; line?: number }]> = [
    ['another platform', `${traceLine(1, 'x', 0, zero, zero, { platform: 'TDX', record: 'mem_page_add' })}\n`, /TDX/, { line: 1, field: 'platform' }],
    ['another record', `${traceLine(1, 'NORMAL', 0, zero, zero, { record: 'launch_update' })}\n`, /launch_update/, { line: 1, field: 'record' }],
    ['another platform\'s result', `${one}\n${JSON.stringify({ type: 'result', platform_type: 'TDX' })}\n`, /TDX/, { line: 2 }],
    ['a second launch', `${one}\n${one}\n`, /second launch/, { line: 2, stepIndex: 1, field: 'step' }],
    ['a step after the result', `${one}\n${result}\n${traceLine(2, 'ZERO', 0, zero, zero)}\n`, /after the result/, { line: 3 }],
    ['a line that is not JSON', `${one}\n{"type":\n`, /JSON line/, { line: 2 }],
    ['an unknown line type', `${one}\n{"type":"warning"}\n`, /line type/, { line: 2, field: 'type' }],
    ['no step lines', `${result}\n`, /no SEV_SNP/, {}],
  ];
  for (const [what, text, message, where] of cases) {
    it(`BadTrace: ${what}`, () => expectSnp(() => parseSnpStepListText(text), 'BadTrace', where, message));
  }

  it('checks trace step fields like list fields, naming the line', () => {
    expectSnp(() => parseSnpStepListText(traceLine(1, 'NORMAL', 4097, zero, zero)), 'MisalignedGpa', { line: 1, stepIndex: 0, field: 'gpa' });
    expectSnp(() => parseSnpStepListText(traceLine(1, 'BIG', 0, zero, zero)), 'UnknownPageType', { line: 1, field: 'page_type' });
    expectSnp(() => parseSnpStepListText(traceLine(1, 'NORMAL', 0, zero, zero, { extra: 1 })), 'BadField', { line: 1, field: 'extra' });
    expectSnp(() => parseSnpStepListText(traceLine(1, 'NORMAL', 0, 'abc', zero)), 'BadField', { line: 1, field: 'contents' });
  });

  it('bounds the steps and the text', () => {
    expectSnp(() => parseSnpStepListText(`${one}\n${traceLine(2, 'ZERO', 0, zero, zero)}\n`, { maxSteps: 1 }), 'BadTrace', { line: 2 });
    expectSnp(() => parseSnpStepListText(`${one}\n`, { maxTextLength: 10 }), 'BadTrace', {});
  });
});

/** Expects `f` to throw an `SnpStepError` with `code` and, where given, its location. */
function expectSnp(f: () => unknown, code: string, where: { stepIndex?: number; field?: string; line?: number } = {}, message?: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(SnpStepError);
  const e = thrown as SnpStepError;
  expect(e.code, e.message).toBe(code);
  if (where.stepIndex !== undefined) expect(e.stepIndex, e.message).toBe(where.stepIndex);
  if (where.field !== undefined) expect(e.field, e.message).toBe(where.field);
  if (where.line !== undefined) expect(e.line, e.message).toBe(where.line);
  if (message !== undefined) expect(e.message).toMatch(message);
  expect(e.toJSON()).toEqual({ code, message: e.message });
}

describe('SNP step lists: bad input is an SnpStepError naming the step and field', () => {
  const list = (...steps: unknown[]): unknown => ({ platform: 'SEV_SNP', steps });
  const ok = page('NORMAL', 0, OVMF_SUFFIX_HASH);
  const cases: Array<[string, unknown, string, { stepIndex?: number; field?: string }]> = [
    ['not an object', [], 'BadStepList', {}],
    ['no platform', { steps: [] }, 'BadStepList', { field: 'platform' }],
    ['another platform', { platform: 'TDX', steps: [] }, 'BadStepList', { field: 'platform' }],
    ['steps not an array', { platform: 'SEV_SNP', steps: {} }, 'BadStepList', { field: 'steps' }],
    ['an unknown top-level field', { platform: 'SEV_SNP', steps: [], hash_algorithm: 'sha-384' }, 'BadField', { field: 'hash_algorithm' }],
    ['an unknown op', list(ok, { op: 'launch_update' }), 'UnknownOp', { stepIndex: 1, field: 'op' }],
    ['op not a string', list({ op: 1 }), 'BadField', { stepIndex: 0, field: 'op' }],
    ['a step not an object', list(ok, 'page'), 'BadField', { stepIndex: 1, field: 'op' }],
    ['an unknown step field', list({ ...ok, vmpl: 0 }), 'BadField', { stepIndex: 0, field: 'vmpl' }],
    ['a misaligned GPA', list(ok, page('ZERO', '0x1001')), 'MisalignedGpa', { stepIndex: 1, field: 'gpa' }],
    ['a negative GPA', list(page('ZERO', -4096)), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['a fractional GPA', list(page('ZERO', 4096.5)), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['a GPA beyond 64 bits', list(page('ZERO', '0x10000000000000000')), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['a GPA beyond exact numbers', list(page('ZERO', 2 ** 53)), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['a GPA of the wrong type', list(page('ZERO', true as unknown as number)), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['a missing GPA', list({ op: 'page_info', page_type: 'ZERO' }), 'BadField', { stepIndex: 0, field: 'gpa' }],
    ['an unknown page type name', list(page('SHARED', 0)), 'UnknownPageType', { stepIndex: 0, field: 'page_type' }],
    ['page type 0 (reserved)', list(page(0, 0)), 'UnknownPageType', { stepIndex: 0, field: 'page_type' }],
    ['page type 7', list(page(7, 0)), 'UnknownPageType', { stepIndex: 0, field: 'page_type' }],
    ['a page type of the wrong type', list(page(null as unknown as string, 0)), 'BadField', { stepIndex: 0, field: 'page_type' }],
    ['NORMAL without contents', list(page('NORMAL', 0)), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['contents too short', list(page('NORMAL', 0, OVMF_SUFFIX_HASH.slice(2))), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['contents too long', list(page('VMSA', 0, `${OVMF_SUFFIX_HASH}00`)), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['contents not hex', list(page('NORMAL', 0, 'g'.repeat(96))), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['contents as a number', list({ ...page('NORMAL', 0), contents: 1 }), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['non-zero contents for a ZERO page', list(page('ZERO', 0, OVMF_SUFFIX_HASH)), 'BadField', { stepIndex: 0, field: 'contents' }],
    ['a recorded digest of the wrong length', list({ ...ok, digest: 'ab' }), 'BadField', { stepIndex: 0, field: 'digest' }],
    ['initial_digest of the wrong length', { platform: 'SEV_SNP', steps: [], initial_digest: '00' }, 'BadField', { field: 'initial_digest' }],
    ['expected_digest not a string', { platform: 'SEV_SNP', steps: [], expected_digest: 1 }, 'BadField', { field: 'expected_digest' }],
    ['case not a string', { platform: 'SEV_SNP', steps: [], case: 1 }, 'BadField', { field: 'case' }],
  ];
  for (const [what, value, code, where] of cases) {
    it(`${code}: ${what}`, () => expectSnp(() => readSnpStepList(value), code, where));
  }

  it('bounds the step count and the text; malformed JSON is BadStepList', () => {
    expectSnp(() => readSnpStepList(list(ok, ok, ok), { maxSteps: 2 }), 'BadStepList', { field: 'steps' });
    expectSnp(() => parseSnpStepListText(JSON.stringify(list(ok)), { maxTextLength: 20 }), 'BadStepList');
    expectSnp(() => parseSnpStepListText('{ "platform": "SEV_SNP", '), 'BadStepList');
    // A pretty-printed list is a list, not a trace.
    expect(parseSnpStepListText(JSON.stringify(list(ok), null, 2)).fromTrace).toBe(false);
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------

const FUZZ_SEED = Number(process.env.SNP_STEPS_FUZZ_SEED ?? 0x5e7_5eed) >>> 0;
const FUZZ_ITERATIONS = Number(process.env.SNP_STEPS_FUZZ_ITERATIONS ?? 1500);

/** Values a mutated field may take: boundary numbers, hex strings, page type names, wrong types. */
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 6, 7, 4096, 4097, 2 ** 53, Number.NaN, '', '0x', '0x0', '0x1000', '0xfff', '0xfffffffffffff000',
  '0x10000000000000000', 'NORMAL', 'normal', 'VMSA', 'ZERO', 'CPUID', 'SECRETS', 'UNMEASURED', 'bogus', 'SEV_SNP', 'TDX', [], {}, '0'.repeat(96),
  OVMF_SUFFIX_HASH, OVMF_SUFFIX_HASH.slice(1), LD_FINAL,
];
const KEYS = ['op', 'page_type', 'gpa', 'contents', 'digest', 'extra'];
const TOP = ['platform', 'initial_digest', 'expected_digest', 'case', 'steps', 'hash_algorithm'];
const pick = <T>(rnd: () => number, a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;

function mutate(rnd: () => number): unknown {
  const doc: Record<string, unknown> & { steps: unknown[] } = { ...fullList() };
  doc.steps = doc.steps.map((s) => ({ ...(s as object) }));
  const top: Record<string, unknown> = {};
  for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
    const what = rnd();
    const i = Math.floor(rnd() * Math.max(1, doc.steps.length));
    const at = doc.steps[i];
    const step = typeof at === 'object' && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>) : undefined;
    if (what < 0.45 && step !== undefined) step[pick(rnd, KEYS)] = pick(rnd, ODD_VALUES);
    else if (what < 0.6 && step !== undefined) delete step[pick(rnd, Object.keys(step))];
    else if (what < 0.7) doc.steps.splice(i, 0, pick(rnd, ODD_VALUES));
    else if (what < 0.8) doc.steps.splice(i, 1);
    else if (what < 0.9) top[pick(rnd, TOP)] = pick(rnd, ODD_VALUES);
    else if (step !== undefined) doc.steps.push({ ...step });
  }
  // Top-level edits last: one of them may replace `steps` itself.
  return { ...doc, ...top };
}

/** Trace text of the §1.7 chain with one to three line edits (fields replaced, lines dropped, duplicated, cut). */
function mutateTrace(rnd: () => number, lines: string[]): string {
  const out = [...lines];
  for (let m = 1 + Math.floor(rnd() * 3); m > 0 && out.length > 0; m--) {
    const i = Math.floor(rnd() * out.length);
    const what = rnd();
    if (what < 0.5) {
      // A line an earlier edit cut is no longer JSON: leave it as it is.
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(out[i]!) as Record<string, unknown>;
      } catch {
        continue;
      }
      v[pick(rnd, [...KEYS, 'type', 'step', 'platform', 'record', 'file', 'header_index', 'reason'])] = pick(rnd, ODD_VALUES);
      out[i] = JSON.stringify(v);
    } else if (what < 0.65) out.splice(i, 1);
    else if (what < 0.8) out.splice(i, 0, out[i]!);
    else out[i] = out[i]!.slice(0, Math.floor(rnd() * out[i]!.length));
  }
  return out.join('\n');
}

/** Runs a reader and the fold; anything thrown must be an SnpStepError with a known code. */
function onlyTyped(f: () => unknown): string | undefined {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SnpStepError)) return `not an SnpStepError: ${String(e)}`;
    if (!(SNP_STEP_ERROR_CODES as readonly string[]).includes(e.code)) return `unknown code ${e.code}`;
  }
  return undefined;
}

describe('SNP step-list and trace reader fuzz', () => {
  it(`only ever throws SnpStepError (seed ${FUZZ_SEED}, ${FUZZ_ITERATIONS} iterations)`, () => {
    const list = readSnpStepList(fullList());
    const lines: string[] = [];
    foldSnpStepList(list, { trace: (s) => lines.push(traceLine(s.step, s.pageType!, `0x${s.gpa!.toString(16)}`, hex(s.contents!), hex(s.digest))) });
    const rnd = mulberry32(FUZZ_SEED);
    const failures: string[] = [];
    let folded = 0;
    for (let i = 0; i < FUZZ_ITERATIONS && failures.length < 10; i++) {
      const value = mutate(rnd);
      const a = onlyTyped(() => foldSnpStepList(readSnpStepList(value, { maxSteps: 64 })));
      if (a === 'ok') folded++;
      else if (a !== undefined) failures.push(`list ${i}: ${a}: ${JSON.stringify(value).slice(0, 300)}`);
      const text = mutateTrace(rnd, lines);
      const b = onlyTyped(() => foldSnpStepList(parseSnpStepListText(text, { maxSteps: 64 })));
      if (b === 'ok') folded++;
      else if (b !== undefined) failures.push(`trace ${i}: ${b}: ${text.slice(0, 300)}`);
      if (i % 10 === 0) {
        const cut = JSON.stringify(value).slice(0, Math.floor(rnd() * 300));
        const c = onlyTyped(() => parseSnpStepListText(cut));
        if (c !== 'ok' && c !== undefined) failures.push(`text ${i}: ${c}`);
      }
    }
    expect(failures).toEqual([]);
    // Some mutations (a step dropped or duplicated, a valid value set) still fold: the fuzz reaches the fold.
    expect(folded).toBeGreaterThan(FUZZ_ITERATIONS / 20);
  });
});
