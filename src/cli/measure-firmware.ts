/**
 * `igvm-measure measure --firmware OVMF.fd …`: launch measurements of a firmware image instead
 * of an IGVM file (spec/firmware-input.md; the library's `measureFirmware` decides the adapter
 * and the fold, §2–§6). This file only parses the firmware options — parameters without a safe
 * default are required (§6.3), options that do not apply are refused, input files are read —
 * calls `measureFirmware`, and prints its result. Shared with `compare --firmware`. Numbers are
 * read as everywhere on the command line (numbers.ts: decimal unless 0x/0o/0b), sev-snp-measure's
 * spellings are translated first (measure-firmware-peer.ts), and the digest is printed as
 * digest-output.ts says (`--output-format`, `--quiet`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIRMWARE_PLATFORMS,
  FIRMWARE_VMMS,
  SVSM_VMM,
  TDX_ORDERS,
  measureFirmware,
  measureSnpFirmwarePages,
  type DirectBootInputs,
  type FirmwareMeasureOptions,
  type FirmwareMeasurement,
  type FirmwarePlatform,
  type FpuInit,
  type TdxOrder,
} from '../firmware/index.js';
import type { TraceStep } from '../measure/index.js';
import '../node/backends.js';
import type { CliIo } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { readInput, choice, sha256Hex } from './input.js';
import { stringify, type Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';
import { digestOutputOf, digestText } from './digest-output.js';
import { integerOption, smallIntegerOption } from './numbers.js';
import { MAX_VCPUS } from './firmware-options.js';
import { FIXED_RDX_VMMS, canonicalFirmwareValues, type CanonicalFirmwareValues } from './measure-firmware-peer.js';

export { FIRMWARE_PLATFORMS, type FirmwarePlatform } from '../firmware/index.js';

export { FIRMWARE_HELP, FIRMWARE_MEASURE_OPTIONS, FIRMWARE_OPTION_HELP } from './firmware-options.js';

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Record<string, unknown>, names: string[], why: string): void {
  const missing = names.filter((n) => str(values, n) === undefined);
  if (missing.length > 0) {
    throw new UsageError(`${why} needs ${missing.map((n) => `--${n}`).join(' and ')}: there is no safe default`);
  }
}

/** Options that make no sense for this platform / VMM: a usage error naming them. */
function refuse(values: Record<string, unknown>, names: string[], why: string): void {
  for (const n of names) if (str(values, n) !== undefined) throw new UsageError(`--${n} does not apply to ${why}`);
}

function fpuOf(values: Record<string, unknown>): { fpu?: FpuInit } {
  const v = str(values, 'fpu');
  return v === undefined ? {} : { fpu: choice<FpuInit>('--fpu', v, ['init2', 'legacy'], 'init2') };
}

/** The direct-boot inputs of `--kernel/--initrd/--append`, with the files recorded for the JSON. */
function directBoot(values: Record<string, unknown>, inputs: Record<string, Json>): { directBoot?: DirectBootInputs } {
  const kernelPath = str(values, 'kernel');
  if (kernelPath === undefined) {
    if (str(values, 'initrd') !== undefined || str(values, 'append') !== undefined) {
      throw new UsageError('--initrd and --append need --kernel: QEMU measures kernel hashes only for a direct kernel boot');
    }
    return {};
  }
  const kernel = readInput(kernelPath, '--kernel');
  inputs.kernel = { file: kernelPath, sha256: sha256Hex(kernel) };
  const initrdPath = str(values, 'initrd');
  const initrd = initrdPath === undefined ? undefined : readInput(initrdPath, '--initrd');
  if (initrdPath !== undefined && initrd !== undefined) inputs.initrd = { file: initrdPath, sha256: sha256Hex(initrd) };
  const append = str(values, 'append');
  if (append !== undefined) inputs.append = append;
  return { directBoot: { kernel, ...(initrd === undefined ? {} : { initrd }), ...(append === undefined ? {} : { append }) } };
}

/** A firmware measurement from the `--firmware` options, with the inputs (files, SHA-256) for the JSON. */
export interface FirmwareMeasurementWithInputs extends FirmwareMeasurement {
  readonly inputs: Record<string, Json>;
}

/** Options of {@link firmwareMeasurement}. */
export interface FirmwareMeasurementOptions {
  /**
   * `--platform` when not given (`measure`: snp; `compare`: the evidence's). When given, a
   * `--mode` must agree with it: `compare` measures for the evidence's platform only.
   */
  readonly defaultPlatform?: FirmwarePlatform;
  /** `--trace`: each step, as the IGVM path's trace lines (SEV chunks: `launch_update` lines). */
  readonly trace?: (s: TraceStep) => void;
  /** Where `--dump-vmsa` writes `vmsa<N>.bin` (default: the current directory, as sev-snp-measure). */
  readonly dumpDir?: string;
}

/**
 * The measurement the firmware options (`--firmware`, `--platform`, `--vmm`, `--vcpus`, …, and
 * sev-snp-measure's spellings of them) describe, after the usage checks of each platform and
 * VMM. Shared by `measure --firmware` and `compare --firmware`.
 */
export function firmwareMeasurement(values: Record<string, unknown>, io: CliIo, options: FirmwareMeasurementOptions = {}): FirmwareMeasurementWithInputs {
  const canonical = canonicalFirmwareValues(values, io);
  if (canonical.firmwarePagesOnly) {
    throw new UsageError('--mode snp:ovmf-hash prints the digest after the firmware pages, which no report holds; use it with measure');
  }
  const mode = values.mode;
  if (options.defaultPlatform !== undefined && mode !== undefined && canonical.values.platform !== options.defaultPlatform) {
    throw new UsageError(`--mode ${String(mode)} does not fit the evidence, which reports ${options.defaultPlatform === 'snp' ? 'an SEV-SNP MEASUREMENT' : 'a TDX MRTD'}`);
  }
  return measureCanonical(canonical, io, options);
}

function measureCanonical(canonical: CanonicalFirmwareValues, io: CliIo, options: FirmwareMeasurementOptions): FirmwareMeasurementWithInputs {
  const values = canonical.values;
  const platform = choice<FirmwarePlatform>('--platform', str(values, 'platform'), FIRMWARE_PLATFORMS, options.defaultPlatform ?? 'snp');
  const trace = options.trace === undefined ? {} : { trace: options.trace };
  let fw: FirmwareMeasureOptions;
  let read: { bytes: Uint8Array; inputs: Record<string, Json> };
  if (platform === 'tdx') {
    // MRTD depends on the TDVF metadata and BFV bytes only (§0 item 4): no vCPU or VMM inputs.
    refuse(values, ['vmm', 'vcpus', 'vcpu-type', 'guest-features', 'fpu', 'vmsa-gpa', 'svsm', 'vars-size', 'vars-file'], '--platform tdx (MRTD has no vCPU state: only TDH.MEM.PAGE.ADD and TDH.MR.EXTEND extend it, Intel TDX Module ABI)');
    refuse(values, ['kernel', 'initrd', 'append'], '--platform tdx (a TD measures direct-boot inputs into RTMRs, not MRTD)');
    const tdxOrder = choice<TdxOrder>('--tdx-order', str(values, 'tdx-order'), TDX_ORDERS, 'single');
    read = readFirmware(values);
    fw = { platform, tdxOrder };
  } else {
    refuse(values, ['tdx-order'], `--platform ${platform} (TDX only)`);
    read = readFirmware(values);
    fw = platform === 'snp' ? snpOptions(values, read.inputs, io) : sevOptions(platform, values, read.inputs);
  }
  const dumped: string[] = [];
  const dump = canonical.dumpVmsa
    ? {
        onVmsa: (vcpu: number, page: Uint8Array): void => {
          // sev-snp-measure's file names (guest.py: vmsa{i}.bin, one per measured VMSA), overwritten as there.
          const path = join(options.dumpDir ?? process.cwd(), `vmsa${vcpu}.bin`);
          writeFileSync(path, page);
          dumped.push(path);
        },
      }
    : {};
  const result = { ...measureFirmware(read.bytes, { ...fw, ...trace, ...dump }), inputs: read.inputs };
  if (dumped.length > 0) io.stderr(`wrote ${dumped.length} VMSA page${dumped.length === 1 ? '' : 's'}: ${dumped.join(', ')}\n`);
  return result;
}

/**
 * Runs `measure` on a firmware image. `formatTrace` is the IGVM path's trace-line formatter,
 * so both inputs share one `--trace` format.
 */
export function runMeasureFirmware(
  values: Record<string, unknown>,
  positionals: readonly string[],
  io: CliIo,
  formatTrace: (s: TraceStep) => Json,
  options: Pick<FirmwareMeasurementOptions, 'dumpDir'> = {},
): number {
  if (positionals.length > 0) throw new UsageError(`--firmware replaces FILE; remove '${positionals[0]}'`);
  refuse(values, ['profile', 'ap-vmsa', 'max-pages'], 'firmware inputs (IGVM files only)');
  if (values['native-zero'] === true) throw new UsageError('--native-zero applies to IGVM files, not --firmware');
  if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');
  const output = digestOutputOf(values);
  if (output.digestOnly && (values.json === true || values.trace === true)) throw new UsageError('--quiet prints the digest alone; it does not go with --json or --trace');
  if (output.format !== 'hex' && (values.json === true || values.trace === true)) {
    throw new UsageError('--output-format applies to text output; --json and --trace print digests as hex');
  }
  const trace = values.trace === true ? (s: TraceStep): void => io.stdout(`${JSON.stringify(s.record === 'launch_update' ? chunkTraceJson(s) : formatTrace(s))}\n`) : undefined;
  const canonical = canonicalFirmwareValues(values, io);
  let result: FirmwareMeasurementWithInputs;
  if (canonical.firmwarePagesOnly) {
    // sev-snp-measure's snp:ovmf-hash reads the image alone and ignores everything else; here the
    // host options are refused, since they could not change this digest.
    const others = Object.keys(canonical.values).filter((k) => canonical.values[k] !== undefined && HOST_OPTIONS.includes(k));
    if (others.length > 0) throw new UsageError(`--mode snp:ovmf-hash measures the firmware pages only; ${others.map((k) => `--${k}`).join(', ')} cannot change that digest`);
    const read = readFirmware(canonical.values);
    result = { ...measureSnpFirmwarePages(read.bytes, trace === undefined ? {} : { trace }), inputs: read.inputs };
  } else {
    result = measureCanonical(canonical, io, { ...options, ...(trace === undefined ? {} : { trace }) });
  }
  const inputs = result.inputs;

  const entry = { platform_type: result.platformType, algorithm: result.algorithm, digest: bytesToHex(result.digest) };
  if (values.trace === true) io.stdout(`${JSON.stringify({ type: 'result', ...entry })}\n`);
  else if (values.json === true) {
    // The IGVM output's shape ({file, sha256, profile, platforms}) plus the inputs and host
    // parameters; `profile` names the VMM, the nearest thing to a loader profile here.
    const fw = inputs.firmware as { file: string; sha256: string };
    const head = { file: fw.file, sha256: fw.sha256, profile: result.host.vmm ?? null };
    io.stdout(stringify({ ...head, ...inputs, host_parameters: { ...result.host }, platforms: [entry] }));
  } else if (output.digestOnly) {
    io.stdout(`${digestText(result.digest, output.format)}\n`);
  } else {
    io.stdout(`${result.platformType.padEnd(14)} ${hostSummary(result.host)} ${result.algorithm} ${digestText(result.digest, output.format)}\n`);
  }
  return EXIT_OK;
}

/** Options that describe the host or the guest's other inputs: none applies to `--mode snp:ovmf-hash`. */
const HOST_OPTIONS: readonly string[] = [
  'vcpus', 'vcpu-type', 'vmm', 'guest-features', 'fpu', 'vmsa-gpa', 'kernel', 'initrd', 'append', 'svsm', 'vars-size', 'vars-file', 'tdx-order',
];
/** SEV/SEV-ES `--trace`: one line per hashed piece, its length and SHA-256 (no running digest). */
function chunkTraceJson(s: TraceStep): Json {
  const sha256 = s.contents === undefined ? null : bytesToHex(s.contents);
  return { type: 'step', step: s.step, platform: s.platform, record: s.record, bytes: s.length ?? null, sha256, reason: s.source.reason };
}

/** Host parameters as `key=value` words, for text output. */
export function hostSummary(host: Readonly<Record<string, Json>>): string {
  return Object.entries(host)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

function readFirmware(values: Record<string, unknown>): { bytes: Uint8Array; inputs: Record<string, Json> } {
  const path = str(values, 'firmware') as string;
  const bytes = readInput(path, '--firmware');
  return { bytes, inputs: { firmware: { file: path, sha256: sha256Hex(bytes) } } };
}

/** `--vcpus`: required where it is used. */
function vcpusOf(values: Record<string, unknown>): number {
  return smallIntegerOption('--vcpus', str(values, 'vcpus') as string, 1, MAX_VCPUS);
}

/** `--vars-size N`, or the size of `--vars-file F` (sev-snp-measure's two spellings, one of them required). */
function varsSizeOf(values: Record<string, unknown>, inputs: Record<string, Json>): number {
  const file = str(values, 'vars-file');
  if (file === undefined) return smallIntegerOption('--vars-size', str(values, 'vars-size') as string, 0, 0xffff_ffff);
  const bytes = readInput(file, '--vars-file');
  inputs.vars_file = { file, bytes: bytes.length };
  return bytes.length;
}

/** `--platform snp`: OVMF under one of the loaders, or COCONUT SVSM + OVMF. */
function snpOptions(values: Record<string, unknown>, inputs: Record<string, Json>, io: CliIo): FirmwareMeasureOptions {
  const vmm = choice('--vmm', str(values, 'vmm'), FIRMWARE_VMMS, 'qemu');
  if (vmm === SVSM_VMM) {
    required(values, ['vcpus', 'vcpu-type', 'svsm', ...(str(values, 'vars-file') === undefined ? ['vars-size'] : [])], `--vmm ${vmm}`);
    refuse(values, ['kernel', 'initrd', 'append'], `--vmm ${vmm} (svsm.bin's metadata has no kernel-hashes section, as in sev-snp-measure's svsm mode)`);
    refuse(values, ['vmsa-gpa'], `--vmm ${vmm} (KVM's fixed VMSA GPA)`);
  } else {
    const usesSignature = !FIXED_RDX_VMMS.includes(vmm);
    required(values, usesSignature ? ['vcpus', 'vcpu-type'] : ['vcpus'], `--platform snp --vmm ${vmm}`);
    refuse(values, ['svsm', 'vars-size', 'vars-file'], `--vmm ${vmm} (COCONUT SVSM is --vmm ${SVSM_VMM})`);
    if (!usesSignature && str(values, 'vcpu-type') !== undefined) {
      // As sev-snp-measure: the vCPU type is accepted and has no effect (firmware-input.md §3.1).
      io.stderr(`note: the vCPU type is ignored under --vmm ${vmm}: its VMSA has a fixed RDX (as in sev-snp-measure vmsa.py)\n`);
      values = { ...values, 'vcpu-type': undefined };
    }
  }
  const vcpus = vcpusOf(values);
  const vcpuType = str(values, 'vcpu-type');
  const cpu = { platform: 'snp', vmm, vcpus, ...(vcpuType === undefined ? {} : { vcpuType }) } as const;
  const featuresArg = str(values, 'guest-features');

  if (vmm === SVSM_VMM) {
    const svsmPath = str(values, 'svsm') as string;
    const svsm = readInput(svsmPath, '--svsm');
    inputs.svsm = { file: svsmPath, sha256: sha256Hex(svsm) };
    const varsSize = varsSizeOf(values, inputs);
    if (featuresArg !== undefined) io.stderr(`warning: --guest-features is ignored by ${vmm}: its SVSM VMSA has SEV_FEATURES 0x1 (sev-snp-measure's svsm mode)\n`);
    return { ...cpu, svsm, varsSize, ...fpuOf(values) };
  }
  const fpu = fpuOf(values);
  const sevFeatures = featuresArg === undefined ? {} : { sevFeatures: integerOption('--guest-features', featuresArg) };
  const vmsaArg = str(values, 'vmsa-gpa');
  const vmsaGpa = vmsaArg === undefined ? {} : { vmsaGpa: integerOption('--vmsa-gpa', vmsaArg) };
  return { ...cpu, ...fpu, ...sevFeatures, ...vmsaGpa, ...directBoot(values, inputs) };
}

/** `--platform sev|sev-es`: SHA-256 of the image, the kernel-hashes table and (SEV-ES) the VMSAs. */
function sevOptions(platform: 'sev' | 'sev-es', values: Record<string, unknown>, inputs: Record<string, Json>): FirmwareMeasureOptions {
  refuse(values, ['svsm', 'vars-size', 'vars-file', 'guest-features', 'vmsa-gpa'], `--platform ${platform}`);
  const boot = directBoot(values, inputs);
  if (platform === 'sev') {
    refuse(values, ['vmm', 'vcpus', 'vcpu-type', 'fpu'], '--platform sev (SEV measures no vCPU state)');
    return { platform, ...boot };
  }
  const vmm = choice('--vmm', str(values, 'vmm'), ['qemu'] as const, 'qemu');
  required(values, ['vcpus', 'vcpu-type'], '--platform sev-es');
  const vcpus = vcpusOf(values);
  const vcpuType = str(values, 'vcpu-type') as string;
  return { platform, vmm, vcpus, vcpuType, ...fpuOf(values), ...boot };
}
