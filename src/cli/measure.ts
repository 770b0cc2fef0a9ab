/**
 * `igvm-measure measure FILE... [--platform snp|tdx|vbs|sev|sev-es|all] [--profile igvm|qemu|igvmmeasure]
 * [--vcpus N] [--ap-vmsa FILE] [--native-zero] [--max-pages N] [--json] [--trace] [--quiet]
 * [--output-format hex|base64]` (DESIGN.md "Command line"): the launch measurements of one or
 * more IGVM files (the loader profiles are measure/profiles.ts; --firmware is measure-firmware.ts).
 */
import {
  DEFAULT_MAX_PAGES,
  PLATFORM_SELECTORS,
  PROFILE_NAMES,
  type MeasurementResult,
  type PlatformMeasurement,
  type PlatformSelector,
  type ProfileName,
  type TraceStep,
} from '../measure/index.js';
import { platformJson } from '../measure/result-json.js';
import { KernelPool, measureFile, workersFor, WORKER_THRESHOLD_BYTES, type FileMeasurement } from '../node/measure-file.js';
import { progressFor } from './progress.js';
import type { CliIo, Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_INVALID_INPUT, EXIT_OK, InputReadError, UsageError } from './errors.js';
import { DIGEST_OUTPUT_HELP, DIGEST_OUTPUT_OPTIONS, digestOutputOf, digestText, type DigestOutput } from './digest-output.js';
import { IgvmFormatError } from '../format/errors.js';

import { readInput, openInput, choice } from './input.js';
import { FIRMWARE_HELP, FIRMWARE_MEASURE_OPTIONS, firmwarePathOf } from './firmware-options.js';
import { CCA_HELP, CCA_OPTIONS, anyCcaOption, ccaLoadOptionsOf } from './cca-options.js';
import { stringify, u64Json, type Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure measure FILE... [options]
       igvm-measure measure --firmware OVMF.fd --vcpus N --vcpu-type T [options]

Compute the launch measurement each platform of an IGVM file will report:
the SEV-SNP launch digest (SHA-384), the TDX MRTD (SHA-384), the VBS boot
digest (SHA-256) and the SEV / SEV-ES launch digest (SHA-256; COCONUT
igvmmeasure's rule under every profile, as microsoft/igvm has none: page data
then VMSAs in file order, any-bit masks) and the Arm CCA Realm Initial
Measurement (the realm's hash algorithm; see the CCA options below). NATIVE
platforms are listed as not measurable. With several FILEs, each is measured in turn (text: one
block per file headed by its path). With --firmware, the same for an OVMF /
SVSM / TDVF image.

Options:
  --platform P     snp, tdx, vbs, sev, sev-es, cca or all (default all)
  --profile P      how the host loads the file (default igvm):
                     igvm         microsoft/igvm's measurement module (Hyper-V, OpenHCL)
                     qemu         QEMU/KVM: any-bit mask match, shared flag ignored, 2 MiB
                                  pages as 512 steps, VMSAs after all pages at
                                  0xfffffffff000, one per vCPU; KVM loader rules as warnings
                     igvmmeasure  COCONUT igvmmeasure: any-bit masks, VP-context mask not
                                  checked, shared ignored, one step per parameter insert
                   qemu and igvmmeasure define SEV-SNP rules; TDX and VBS use igvm rules.
  --vcpus N        vCPUs the host starts (qemu profile; default 1)
  --ap-vmsa FILE   4096-byte VMSA for vCPUs the file has none for (qemu profile)
  --native-zero    measure data-less pages as SNP ZERO pages (igvmmeasure --native-zero)
  --max-pages N    refuse files that imply more than N page steps per platform
                   (default ${DEFAULT_MAX_PAGES}, i.e. 64 GiB of guest memory)
  --json           one JSON document: {file, sha256, profile, platforms: [...]};
                   with several FILEs {files: [one such object per file]}, where a
                   file that cannot be read or parsed is {file, error: {code, message,
                   offset, header_index}}
  --trace          JSON lines on stdout: every measurement step ({"type":"step", step,
                   platform, record, gpa, page_type, contents, digest, header_index,
                   file_offset, reason}), then one {"type":"result", ...} line per platform
                   (with several FILEs each line also names its "file")
${DIGEST_OUTPUT_HELP}
  -h, --help       show this help
${CCA_HELP}
${FIRMWARE_HELP}

Launch step lists (instead of FILE):
  --steps F.json   a launch as an ordered step list, one of:
                   - an Arm CCA realm launch (hash_algorithm; realm_create with
                     its RMM rule set, data, rec, ripas; veraison's format): prints
                     the Realm Initial Measurement (RIM) the realm token reports;
                     with --json, platforms[0].rim is the RmmRealmMeasurement.
                   - an SEV-SNP launch: {"platform":"SEV_SNP", "steps":[{"op":
                     "page_info", "page_type", "gpa", "contents"}, ...]}, optional
                     initial_digest: prints the launch digest (SHA-384 chain).
                   - the output of 'measure --trace --platform snp FILE', edited
                     or not, replayed; with --json, first_divergence names the
                     first step whose replayed digest differs from the trace's.
                   --trace, --quiet and --output-format apply.

Exit codes: 0 every selected measurable platform was measured, 1 a file is
unreadable or invalid, 2 usage error, 3 a platform could not be measured. With
several FILEs the worst over the files: 1 if any file is unreadable or invalid,
else 3 if any platform could not be measured, else 0.`;

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new UsageError(`${name} takes a whole number of at least 1, not '${v}'`);
  return Number(v);
}

/** One platform entry of the JSON output (measure/result-json.ts, shared with the browser page). */
export { platformJson };

function traceJson(s: TraceStep): Json {
  return {
    type: 'step',
    step: s.step,
    platform: s.platform,
    record: s.record,
    gpa: s.gpa === undefined ? null : u64Json(s.gpa),
    page_type: s.pageType ?? null,
    contents: s.contents === undefined ? null : bytesToHex(s.contents),
    digest: bytesToHex(s.digest),
    ...(s.source.file === undefined ? {} : { file: s.source.file }),
    header_index: s.source.headerIndex ?? null,
    file_offset: s.source.fileOffset ?? null,
    reason: s.source.reason,
  };
}

function textLine(p: PlatformMeasurement): string {
  const head = `${p.platformType.padEnd(14)} mask 0x${p.compatibilityMask.toString(16).padEnd(8)}`;
  if ('digest' in p) return `${head} ${p.algorithm} ${bytesToHex(p.digest)}`;
  if ('error' in p) return `${head} error ${p.error.code}: ${p.error.message}`;
  return `${head} not measurable`;
}

/** How the results are printed. */
interface OutputMode {
  readonly trace: boolean;
  readonly json: boolean;
  readonly platform: PlatformSelector;
  readonly digest: DigestOutput;
  /** More than one FILE: text blocks get a heading, trace lines a `file`. */
  readonly several: boolean;
}

/**
 * The JSON object of one measured file, `{file, sha256, profile, platforms}`: the whole
 * single-file document, and one entry of `files` with several FILEs.
 */
function fileJson(path: string, result: FileMeasurement): Json {
  return { file: path, sha256: result.sha256 ?? null, profile: result.profile, platforms: result.platforms.map(platformJson) };
}

/** A measured platform's line of text output, its digest in the chosen format. */
function textLineIn(p: PlatformMeasurement, format: DigestOutput['format']): string {
  if (format === 'hex' || !('digest' in p)) return textLine(p);
  const head = `${p.platformType.padEnd(14)} mask 0x${p.compatibilityMask.toString(16).padEnd(8)}`;
  return `${head} ${p.algorithm} ${digestText(p.digest, format)}`;
}

/**
 * Warnings on stderr; the result as text (or only its digests), trace result lines, or (when
 * `json`) the file's JSON object, which the caller assembles into the document.
 */
function printResult(io: CliIo, path: string, result: FileMeasurement, how: OutputMode): Json | undefined {
  if (result.platforms.length === 0) {
    io.stderr(`igvm-measure measure: ${path} has no ${how.platform === 'all' ? '' : `${how.platform.toUpperCase()} `}platform to measure\n`);
  }
  for (const p of result.platforms) {
    for (const w of 'warnings' in p ? p.warnings : []) io.stderr(`warning: ${how.several ? `${path}: ` : ''}${p.platformType}: ${w}\n`);
  }
  if (how.trace) {
    for (const p of result.platforms) io.stdout(`${JSON.stringify({ type: 'result', ...(how.several ? { file: path } : {}), ...(platformJson(p) as object) })}\n`);
  } else if (how.json) {
    return fileJson(path, result);
  } else if (how.digest.digestOnly) {
    for (const p of result.platforms) {
      if ('digest' in p) io.stdout(`${digestText(p.digest, how.digest.format)}\n`);
      else if ('error' in p) io.stderr(`igvm-measure measure: ${how.several ? `${path}: ` : ''}${p.platformType}: ${p.error.code}: ${p.error.message}\n`);
    }
  } else {
    io.stdout(result.platforms.map((p) => `${textLineIn(p, how.digest.format)}\n`).join(''));
  }
  return undefined;
}

function failed(result: MeasurementResult): boolean {
  return result.platforms.some((p) => 'error' in p);
}

/** The exit codes from best to worst, for "the worst over the files". */
const SEVERITY = [EXIT_OK, EXIT_CHECK_FAILED, EXIT_INVALID_INPUT];
const worse = (a: number, b: number): number => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a);

/** A file that cannot be read or parsed, as an entry of `files` (the shape run.ts prints for one). */
function fileErrorJson(path: string, e: IgvmFormatError | InputReadError): Json {
  if (e instanceof InputReadError) return { file: path, error: { code: e.code, message: e.message, offset: null, header_index: null } };
  return { file: path, error: { code: e.code, message: e.message, offset: e.offset ?? null, header_index: e.headerIndex ?? null } };
}

export const measureCommand: Command = {
  name: 'measure',
  help: HELP,
  options: {
    platform: { type: 'string' },
    profile: { type: 'string' },
    vcpus: { type: 'string' },
    'ap-vmsa': { type: 'string' },
    'native-zero': { type: 'boolean' },
    'max-pages': { type: 'string' },
    json: { type: 'boolean' },
    trace: { type: 'boolean' },
    steps: { type: 'string' },
    ...DIGEST_OUTPUT_OPTIONS,
    ...FIRMWARE_MEASURE_OPTIONS,
    ...CCA_OPTIONS,
  },
  async run({ values, positionals }, io: CliIo) {
    const digest = digestOutputOf(values);
    if (digest.digestOnly && (values.json === true || values.trace === true)) throw new UsageError(`--${values.quiet === true ? 'quiet' : 'digest-only'} prints only the digests; it does not go with --json or --trace`);
    if (values['output-format'] !== undefined && (values.json === true || values.trace === true)) throw new UsageError('--output-format applies to text output; JSON always carries hex');
    const cca = anyCcaOption(values);
    if (cca !== undefined && (values.steps !== undefined || firmwarePathOf(values) !== undefined)) {
      throw new UsageError(`--${cca} applies to the CCA platforms of IGVM files${values.steps !== undefined ? '; a step list says what is measured' : ''}`);
    }
    if (values.steps !== undefined) {
      if (firmwarePathOf(values) !== undefined) throw new UsageError('--steps and --firmware both say what is measured; choose one');
      return (await import('./measure-steps.js')).runMeasureSteps(values, positionals, io, traceJson);
    }
    if (firmwarePathOf(values) !== undefined) {
      // measure-firmware.ts prints the firmware digest itself, --quiet and --output-format included.
      return (await import('./measure-firmware.js')).runMeasureFirmware(values, positionals, io, traceJson);
    }
    for (const k of Object.keys(FIRMWARE_MEASURE_OPTIONS)) {
      if (values[k] !== undefined) throw new UsageError(`--${k} applies to firmware inputs; give --firmware`);
    }
    if (positionals.length === 0) throw new UsageError('measure needs a FILE');
    const paths = positionals;
    const several = paths.length > 1;
    const platform = choice<PlatformSelector>('--platform', values.platform as string | undefined, PLATFORM_SELECTORS, 'all');
    const profile = choice<ProfileName>('--profile', values.profile as string | undefined, PROFILE_NAMES, 'igvm');
    const vcpus = positiveInt('--vcpus', values.vcpus as string | undefined, 1);
    const maxPages = positiveInt('--max-pages', values['max-pages'] as string | undefined, DEFAULT_MAX_PAGES);
    if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');
    const apPath = values['ap-vmsa'] as string | undefined;
    const apVmsa = apPath === undefined ? undefined : readInput(apPath, '--ap-vmsa');
    if (apVmsa !== undefined && apVmsa.length !== 4096) throw new UsageError(`--ap-vmsa ${apPath} is ${apVmsa.length} bytes; a VMSA is 4096`);
    const how: OutputMode = { trace: values.trace === true, json: values.json === true, platform, digest, several };
    // One pool of workers for all files, started with the first file large enough to need it
    // (measureFile measures smaller ones on this thread), before that file is parsed.
    let pool: KernelPool | undefined;
    const options = {
      platform,
      profile,
      vcpus,
      maxPages,
      ...(apVmsa === undefined ? {} : { apVmsa }),
      ...(values['native-zero'] === true ? { nativeZero: true } : {}),
      cca: ccaLoadOptionsOf(values),
    };
    const entries: Json[] = [];
    let code = EXIT_OK;
    try {
      for (const [i, path] of paths.entries()) {
        if (several && !how.json && !how.trace && !digest.digestOnly) io.stdout(`${i > 0 ? '\n' : ''}${path}:\n`);
        const trace = how.trace ? (s: TraceStep): void => io.stdout(`${JSON.stringify(several ? { ...(traceJson(s) as object), file: path } : traceJson(s))}\n`) : undefined;
        try {
          code = worse(
            code,
            await (async () => {
              const source = openInput(path);
              try {
                if (!how.trace && pool === undefined && source.size >= WORKER_THRESHOLD_BYTES) pool = KernelPool.start(workersFor(platform));
                const progress = progressFor(io, `measuring ${path}`, source.size);
                const result = await measureFile(source, {
                  ...options,
                  ...(pool === undefined ? {} : { pool }),
                  ...(trace === undefined ? {} : { trace }),
                  // The file's SHA-256 for --json comes from the measurement's own reads.
                  sha256: how.json,
                  onProgress: (done, total) => progress.update(done, total),
                });
                progress.end();
                const entry = printResult(io, path, result, how);
                if (entry !== undefined) entries.push(entry);
                return failed(result) || result.platforms.length === 0 ? EXIT_CHECK_FAILED : EXIT_OK;
              } finally {
                source.close();
              }
            })(),
          );
        } catch (e) {
          // One FILE: the dispatcher reports the error as for every command. Several: the
          // others are still measured, and the entry says what was wrong with this one.
          if (!several || !(e instanceof IgvmFormatError || e instanceof InputReadError)) throw e;
          const where = e instanceof IgvmFormatError && e.offset !== undefined ? ` (at byte 0x${e.offset.toString(16)})` : '';
          io.stderr(`igvm-measure measure: ${e instanceof IgvmFormatError ? `invalid IGVM file ${path}: ${e.code}: ` : ''}${e.message}${where}\n`);
          if (how.json) entries.push(fileErrorJson(path, e));
          code = worse(code, EXIT_INVALID_INPUT);
        }
      }
    } finally {
      await pool?.close();
    }
    if (how.json) io.stdout(stringify(several ? { files: entries } : entries[0]!));
    return code;
  },
};
