/**
 * `igvm-measure measure FILE [--platform snp|tdx|vbs|sev|sev-es|all] [--profile igvm|qemu|igvmmeasure]
 * [--vcpus N] [--ap-vmsa FILE] [--native-zero] [--max-pages N] [--json] [--trace]`
 * (DESIGN.md "Command line"; spec/snp.md §2 for the profiles, spec/firmware-input.md for --firmware).
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
import { measureFile, type FileMeasurement } from '../node/measure-file.js';
import { progressFor } from './progress.js';
import { onePath, type CliIo, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';

import { readInput, openInput, choice } from './input.js';
import { FIRMWARE_HELP, FIRMWARE_MEASURE_OPTIONS, runMeasureFirmware } from './measure-firmware.js';
import { stringify, u64Json, type Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure measure FILE [options]
       igvm-measure measure --firmware OVMF.fd --vcpus N --vcpu-type T [options]

Compute the launch measurement each platform of an IGVM file will report:
the SEV-SNP launch digest (SHA-384), the TDX MRTD (SHA-384), the VBS boot
digest (SHA-256) and the SEV / SEV-ES launch digest (SHA-256; COCONUT
igvmmeasure's rule under every profile, as microsoft/igvm has none: page data
then VMSAs in file order, any-bit masks). NATIVE and CCA platforms are listed
as not measurable. With --firmware, the same for an OVMF / SVSM / TDVF image.

Options:
  --platform P     snp, tdx, vbs, sev, sev-es or all (default all)
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
  --json           one JSON document: {file, sha256, profile, platforms: [...]}
  --trace          JSON lines on stdout: every measurement step ({"type":"step", step,
                   platform, record, gpa, page_type, contents, digest, header_index,
                   file_offset, reason}), then one {"type":"result", ...} line per platform
  -h, --help       show this help
${FIRMWARE_HELP}

Exit codes: 0 every selected measurable platform was measured, 1 the file is
unreadable or invalid, 2 usage error, 3 a platform could not be measured.`;

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new UsageError(`${name} takes a whole number of at least 1, not '${v}'`);
  return Number(v);
}

/** One platform entry of the JSON output. */
export function platformJson(p: PlatformMeasurement): Json {
  const base = { compatibility_mask: p.compatibilityMask, platform_type: p.platformType };
  if ('digest' in p) {
    return {
      ...base,
      algorithm: p.algorithm,
      digest: bytesToHex(p.digest),
      ...(p.warnings.length > 0 ? { warnings: [...p.warnings] } : {}),
      ...(p.note !== undefined ? { note: p.note } : {}),
    };
  }
  if ('error' in p) return { ...base, error: { code: p.error.code, message: p.error.message } };
  return { ...base, measurable: false };
}

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

/** Warnings on stderr; the result as text, JSON, or trace result lines on stdout. */
function printResult(io: CliIo, path: string, result: FileMeasurement, how: { trace: boolean; json: boolean; platform: PlatformSelector }): void {
  if (result.platforms.length === 0) {
    io.stderr(`igvm-measure measure: ${path} has no ${how.platform === 'all' ? '' : `${how.platform.toUpperCase()} `}platform to measure\n`);
  }
  for (const p of result.platforms) {
    for (const w of 'warnings' in p ? p.warnings : []) io.stderr(`warning: ${p.platformType}: ${w}\n`);
  }
  if (how.trace) {
    for (const p of result.platforms) io.stdout(`${JSON.stringify({ type: 'result', ...(platformJson(p) as object) })}\n`);
  } else if (how.json) {
    io.stdout(stringify({ file: path, sha256: result.sha256 ?? null, profile: result.profile, platforms: result.platforms.map(platformJson) }));
  } else {
    io.stdout(result.platforms.map((p) => `${textLine(p)}\n`).join(''));
  }
}

function failed(result: MeasurementResult): boolean {
  return result.platforms.some((p) => 'error' in p);
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
    ...FIRMWARE_MEASURE_OPTIONS,
  },
  async run({ values, positionals }, io: CliIo) {
    if (values.firmware !== undefined || values.ovmf !== undefined) return runMeasureFirmware(values, positionals, io, traceJson);
    for (const k of Object.keys(FIRMWARE_MEASURE_OPTIONS)) {
      if (values[k] !== undefined) throw new UsageError(`--${k} applies to firmware inputs; give --firmware`);
    }
    const path = onePath(positionals, 'measure');
    const platform = choice<PlatformSelector>('--platform', values.platform as string | undefined, PLATFORM_SELECTORS, 'all');
    const profile = choice<ProfileName>('--profile', values.profile as string | undefined, PROFILE_NAMES, 'igvm');
    const vcpus = positiveInt('--vcpus', values.vcpus as string | undefined, 1);
    const maxPages = positiveInt('--max-pages', values['max-pages'] as string | undefined, DEFAULT_MAX_PAGES);
    if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');
    const apPath = values['ap-vmsa'] as string | undefined;
    const apVmsa = apPath === undefined ? undefined : readInput(apPath, '--ap-vmsa');
    if (apVmsa !== undefined && apVmsa.length !== 4096) throw new UsageError(`--ap-vmsa ${apPath} is ${apVmsa.length} bytes; a VMSA is 4096`);
    const trace = values.trace === true ? (s: TraceStep): void => io.stdout(`${JSON.stringify(traceJson(s))}\n`) : undefined;
    const json = values.json === true;
    const source = openInput(path);
    try {
      const progress = progressFor(io, `measuring ${path}`, source.size);
      const result = await measureFile(source, {
        platform,
        profile,
        vcpus,
        maxPages,
        ...(apVmsa === undefined ? {} : { apVmsa }),
        ...(values['native-zero'] === true ? { nativeZero: true } : {}),
        ...(trace === undefined ? {} : { trace }),
        // The file's SHA-256 for --json comes from the measurement's own reads.
        sha256: json,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.end();
      printResult(io, path, result, { trace: trace !== undefined, json, platform });
      return failed(result) || result.platforms.length === 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    } finally {
      source.close();
    }
  },
};
