/**
 * `igvm-measure measure --steps FILE.json`: the launch measurement of a launch given as an
 * ordered list of steps rather than an IGVM file. Today the lists are Arm CCA realm launches
 * (`realm_create`, `data`, `rec`, `ripas`; the format of the shared vectors/cca step lists,
 * folded by measure/cca.ts under the RMM rule set each list names), so that a realm's RIM can be
 * computed, edited and replayed step by step. The output follows `measure`: a text line,
 * `--json` with the digest in `platforms[].digest`, or `--trace` lines.
 */
import { bytesToHex } from '../format/bytes.js';
import { foldCcaStepList, parseCcaStepListText } from '../measure/cca-steps.js';
import type { TraceStep } from '../measure/index.js';
import type { CliIo } from './command.js';
import { digestOutputOf, digestText } from './digest-output.js';
import { EXIT_OK, UsageError } from './errors.js';
import { readInput } from './input.js';
import { stringify, type Json } from './json.js';

/** The `algorithm` field of the JSON, as `measure` spells SHA-2 names. */
const ALGORITHM: Record<string, string> = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/** Runs `measure --steps`; `traceJson` is `measure`'s trace line shape. */
export function runMeasureSteps(values: Record<string, unknown>, positionals: readonly string[], io: CliIo, traceJson: (s: TraceStep) => Json): number {
  const path = values.steps as string;
  if (positionals.length > 0) throw new UsageError(`--steps replaces FILE; remove '${positionals[0]}'`);
  for (const k of ['platform', 'profile', 'vcpus', 'ap-vmsa', 'native-zero', 'max-pages']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} applies to IGVM files; a step list says what is measured`);
  }
  const output = digestOutputOf(values);
  const trace = values.trace === true ? (s: TraceStep): void => io.stdout(`${JSON.stringify(traceJson(s))}\n`) : undefined;
  const list = parseCcaStepListText(new TextDecoder().decode(readInput(path, '--steps', 'steps')));
  const r = foldCcaStepList(list, { platform: 'CCA', ...(trace === undefined ? {} : { trace }) });
  const algorithm = ALGORITHM[r.hashAlgorithm] ?? r.hashAlgorithm;
  const entry = {
    platform_type: 'CCA',
    algorithm,
    digest: bytesToHex(r.measurement),
    rim: bytesToHex(r.rim),
  };
  if (trace !== undefined) {
    io.stdout(`${JSON.stringify({ type: 'result', ...entry })}\n`);
  } else if (values.json === true) {
    io.stdout(stringify({ file: path, steps: list.steps.length, platforms: [entry] }));
  } else if (output.digestOnly) {
    io.stdout(`${digestText(r.measurement, output.format)}\n`);
  } else {
    io.stdout(`${'CCA'.padEnd(14)} ${`${list.steps.length} steps`.padEnd(13)} ${algorithm} ${digestText(r.measurement, output.format)}\n`);
  }
  return EXIT_OK;
}
