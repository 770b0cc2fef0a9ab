/**
 * `igvm-measure measure --steps FILE`: the launch measurement of a launch given as an ordered
 * list of steps rather than an IGVM file, so that a launch can be computed, edited and replayed
 * step by step. Three inputs, told apart by their content:
 *
 * - an Arm CCA realm launch (`hash_algorithm`, no `platform` or `platform: "CCA"`; steps
 *   `realm_create`, `data`, `rec`, `ripas`, the format of the shared vectors/cca step lists),
 *   folded by measure/cca.ts under the RMM rule set the list names;
 * - an SEV-SNP launch (`platform: "SEV_SNP"`, `page_info` steps), folded by the SNP PAGE_INFO
 *   chain (measure/snp-steps.ts);
 * - the JSON lines `measure --trace --platform snp FILE.igvm` prints (first non-blank line a
 *   JSON object with a `type`), replayed as an SEV-SNP list. Where the input records running
 *   digests (trace lines always do), the first step whose replayed digest differs is reported
 *   as `first_divergence` (on stderr in text output): after an edit that is where the edited
 *   launch leaves the recorded one, and for a trace written by another tool, where our PAGE_INFO
 *   chain first disagrees with it. It is a diagnosis, not a failure: the exit code stays 0.
 *
 * The output follows `measure`: a text line, `--json` with the digest in `platforms[].digest`,
 * or `--trace` lines (which are themselves a replayable trace for SEV-SNP).
 */
import { bytesToHex } from '../format/bytes.js';
import { foldCcaStepList, parseCcaStepListText, readCcaStepList } from '../measure/cca-steps.js';
import { foldSnpStepList, isMeasureTraceText, parseSnpStepListText, readSnpStepList, SnpStepError, type SnpStepList } from '../measure/snp-steps.js';
import { CCA_DIGEST_ALGORITHM, type TraceStep } from '../measure/index.js';
import type { CliIo } from './command.js';
import { digestOutputOf, digestText, type DigestOutput } from './digest-output.js';
import { EXIT_OK, UsageError } from './errors.js';
import { readInput } from './input.js';
import { stringify, type Json } from './json.js';


type Trace = ((s: TraceStep) => void) | undefined;

/** How a list's result is printed. */
interface Print {
  readonly io: CliIo;
  readonly path: string;
  readonly json: boolean;
  readonly trace: boolean;
  readonly output: DigestOutput;
}

/** Runs `measure --steps`; `traceJson` is `measure`'s trace line shape. */
export function runMeasureSteps(values: Record<string, unknown>, positionals: readonly string[], io: CliIo, traceJson: (s: TraceStep) => Json): number {
  const path = values.steps as string;
  if (positionals.length > 0) throw new UsageError(`--steps replaces FILE; remove '${positionals[0]}'`);
  for (const k of ['platform', 'profile', 'vcpus', 'ap-vmsa', 'native-zero', 'max-pages']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} applies to IGVM files; a step list says what is measured`);
  }
  if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');
  const how: Print = { io, path, json: values.json === true, trace: values.trace === true, output: digestOutputOf(values) };
  const trace = how.trace ? (s: TraceStep): void => io.stdout(`${JSON.stringify(traceJson(s))}\n`) : undefined;
  const text = new TextDecoder().decode(readInput(path, '--steps', 'steps'));
  if (isMeasureTraceText(text)) return runSnp(parseSnpStepListText(text), how, trace);
  // One parse (the input is already bounded by readInput); the readers check the value.
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the CCA reader says so with its code, as before SEV-SNP lists existed.
    return runCca(parseCcaStepListText(text), how, trace);
  }
  const platform = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { platform?: unknown }).platform : undefined;
  if (platform === 'SEV_SNP') return runSnp(readSnpStepList(value), how, trace);
  if (platform === undefined) return runCca(readCcaStepList(value), how, trace);
  if (platform === 'CCA') {
    // A CCA list may name its platform; the CCA reader knows no `platform` key.
    const { platform: _, ...rest } = value as Record<string, unknown>;
    return runCca(readCcaStepList(rest), how, trace);
  }
  throw new SnpStepError('BadStepList', `platform ${JSON.stringify(platform).slice(0, 40)}: step lists are "SEV_SNP" or "CCA" (or CCA lists without platform)`, { field: 'platform' });
}

function runCca(list: ReturnType<typeof readCcaStepList>, how: Print, trace: Trace): number {
  const r = foldCcaStepList(list, { platform: 'CCA', ...(trace === undefined ? {} : { trace }) });
  const algorithm = CCA_DIGEST_ALGORITHM[r.hashAlgorithm];
  const entry = { platform_type: 'CCA', algorithm, digest: bytesToHex(r.measurement), rim: bytesToHex(r.rim) };
  print(how, list.steps.length, entry, r.measurement);
  return EXIT_OK;
}

function runSnp(list: SnpStepList, how: Print, trace: Trace): number {
  const r = foldSnpStepList(list, { platform: 'SEV_SNP', ...(trace === undefined ? {} : { trace }) });
  const digest = bytesToHex(r.digest);
  const d = r.firstDivergence;
  const entry: Record<string, Json> = {
    platform_type: 'SEV_SNP',
    algorithm: 'sha384',
    digest,
    ...(list.expectedDigest === undefined ? {} : { expected_digest: list.expectedDigest, matches_expected: list.expectedDigest === digest }),
    ...(d === undefined ? {} : { first_divergence: { step: d.step, index: d.index, ...(d.line === undefined ? {} : { line: d.line }), expected: bytesToHex(d.expected), actual: bytesToHex(d.actual) } }),
  };
  if (!how.json && !how.trace) {
    // Text output has no room for the diagnosis; say it on stderr.
    if (d !== undefined) {
      how.io.stderr(`note: step ${d.step}${d.line === undefined ? '' : ` (line ${d.line})`} is the first whose replayed digest ${bytesToHex(d.actual)} differs from the recorded ${bytesToHex(d.expected)}\n`);
    }
    if (list.expectedDigest !== undefined && list.expectedDigest !== digest) how.io.stderr(`note: the digest differs from the ${list.fromTrace ? "trace's result" : 'expected_digest'} ${list.expectedDigest}\n`);
  }
  print(how, list.steps.length, entry, r.digest);
  return EXIT_OK;
}

function print(how: Print, steps: number, entry: Record<string, Json>, digest: Uint8Array): void {
  const { io, output } = how;
  if (how.trace) {
    io.stdout(`${JSON.stringify({ type: 'result', ...entry })}\n`);
  } else if (how.json) {
    io.stdout(stringify({ file: how.path, steps, platforms: [entry] }));
  } else if (output.digestOnly) {
    io.stdout(`${digestText(digest, output.format)}\n`);
  } else {
    io.stdout(`${String(entry.platform_type).padEnd(14)} ${`${steps} steps`.padEnd(13)} ${String(entry.algorithm)} ${digestText(digest, output.format)}\n`);
  }
}
