/**
 * `igvm-measure measure --firmware OVMF.fd …`: launch measurements of a firmware image instead
 * of an IGVM file (spec/firmware-input.md; the library's `measureFirmware` decides the adapter
 * and the fold, §2–§6). This file only parses the firmware options — parameters without a safe
 * default are required (§6.3), options that do not apply are refused, input files are read —
 * calls `measureFirmware`, and prints its result. Shared with `compare --firmware`.
 */
import {
  FIRMWARE_PLATFORMS,
  FIRMWARE_VMMS,
  SVSM_VMM,
  TDX_ORDERS,
  measureFirmware,
  vcpuSignatureOf,
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

export { FIRMWARE_PLATFORMS, type FirmwarePlatform } from '../firmware/index.js';

/** Options of `measure` that only apply to firmware inputs. */
export const FIRMWARE_MEASURE_OPTIONS = {
  firmware: { type: 'string' },
  svsm: { type: 'string' },
  'vars-size': { type: 'string' },
  'vcpu-type': { type: 'string' },
  vmm: { type: 'string' },
  'guest-features': { type: 'string' },
  fpu: { type: 'string' },
  'vmsa-gpa': { type: 'string' },
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  append: { type: 'string' },
  'tdx-order': { type: 'string' },
} as const;

/** The help lines of the firmware options but `--firmware` and `--platform` (shared with `compare`). */
export const FIRMWARE_OPTION_HELP = `  --vmm V          snp / sev-es: qemu (QEMU/KVM, default), ec2, ec2-v1 (EC2 as
                   sev-snp-measure < 0.0.13 and virtee/sev compute it: RDX 0), gce,
                   krun, or coconut-qemu-2024 (COCONUT SVSM + OVMF under the coconut QEMU
                   fork of early 2024; snp only)
  --vcpus N        vCPUs the host starts (snp and sev-es; required)
  --vcpu-type T    QEMU -cpu model (EPYC, EPYC-v4, EPYC-Milan, EPYC-Genoa, …) or its
                   CPUID(1).EAX signature as hex, e.g. 0x800f12 (required where the VMSA
                   holds it: qemu, coconut-qemu-2024, and sev-es; ec2, gce and krun use a
                   fixed RDX)
  --guest-features HEX  SEV_FEATURES (snp; default 0x1; 0x21 on Linux 6.6–6.7 hosts).
                   Ignored by coconut-qemu-2024, whose SVSM VMSA has 0x1.
  --fpu S          init2 or legacy FPU state in the VMSAs (default: init2 for qemu and
                   sev-es, legacy for the others)
  --vmsa-gpa HEX   snp: the VMSA page GPA (default 0xfffffffff000; GCE on Genoa and
                   later: 0xffffffffff000)
  --kernel F, --initrd F, --append S
                   direct boot with kernel hashes (snp, sev, sev-es; not with --svsm):
                   the SHA-256 table of QEMU's kernel-hashes=on (sev-snp-measure
                   sev_hashes.py). --initrd and --append need --kernel.
  --svsm F         svsm.bin (coconut-qemu-2024, required)
  --vars-size N    bytes of OVMF_VARS between svsm.bin and OVMF_CODE (coconut-qemu-2024,
                   required; not measured)
  --tdx-order O    tdx: single (per page: add, then extend; QEMU >= 9 / upstream KVM;
                   default) or two-pass (per section: all adds, then all extends; QEMU 8.x)`;

export const FIRMWARE_HELP = `
Firmware inputs (instead of FILE):
  --firmware F     an OVMF image (OVMF.fd, or OVMF_CODE with --svsm), or a TDVF image
  --platform P     snp (default), sev, sev-es or tdx
${FIRMWARE_OPTION_HELP}`;

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

function wholeNumber(name: string, v: string, min: number): number {
  if (!/^(\d+|0x[0-9a-f]+)$/i.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    throw new UsageError(`--${name} takes a whole number of at least ${min}, not '${v}'`);
  }
  return Number(v);
}

function hexU64(name: string, v: string): bigint {
  if (!/^(0x)?[0-9a-f]{1,16}$/i.test(v)) throw new UsageError(`--${name} takes a hex u64 such as 0x1, not '${v}'`);
  return BigInt(v.toLowerCase().startsWith('0x') ? v : `0x${v}`);
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
  /** `--platform` when not given (`measure`: snp; `compare`: the evidence's). */
  readonly defaultPlatform?: FirmwarePlatform;
  /** `--trace`: each step, as the IGVM path's trace lines (SEV chunks: `launch_update` lines). */
  readonly trace?: (s: TraceStep) => void;
}

/**
 * The measurement the firmware options (`--firmware`, `--platform`, `--vmm`, `--vcpus`, …)
 * describe, after the usage checks of each platform and VMM. Shared by `measure --firmware`
 * and `compare --firmware`.
 */
export function firmwareMeasurement(values: Record<string, unknown>, io: CliIo, options: FirmwareMeasurementOptions = {}): FirmwareMeasurementWithInputs {
  const platform = choice<FirmwarePlatform>('--platform', str(values, 'platform'), FIRMWARE_PLATFORMS, options.defaultPlatform ?? 'snp');
  const trace = options.trace === undefined ? {} : { trace: options.trace };
  let fw: FirmwareMeasureOptions;
  let read: { bytes: Uint8Array; inputs: Record<string, Json> };
  if (platform === 'tdx') {
    // MRTD depends on the TDVF metadata and BFV bytes only (§0 item 4): no vCPU or VMM inputs.
    refuse(values, ['vmm', 'vcpus', 'vcpu-type', 'guest-features', 'fpu', 'vmsa-gpa', 'svsm', 'vars-size'], '--platform tdx (MRTD has no vCPU state: only TDH.MEM.PAGE.ADD and TDH.MR.EXTEND extend it, Intel TDX Module ABI)');
    refuse(values, ['kernel', 'initrd', 'append'], '--platform tdx (a TD measures direct-boot inputs into RTMRs, not MRTD)');
    const tdxOrder = choice<TdxOrder>('--tdx-order', str(values, 'tdx-order'), TDX_ORDERS, 'single');
    read = readFirmware(values);
    fw = { platform, tdxOrder };
  } else {
    refuse(values, ['tdx-order'], `--platform ${platform} (TDX only)`);
    read = readFirmware(values);
    fw = platform === 'snp' ? snpOptions(values, read.inputs, io) : sevOptions(platform, values, read.inputs);
  }
  return { ...measureFirmware(read.bytes, { ...fw, ...trace }), inputs: read.inputs };
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
): number {
  if (positionals.length > 0) throw new UsageError(`--firmware replaces FILE; remove '${positionals[0]}'`);
  refuse(values, ['profile', 'ap-vmsa', 'max-pages'], 'firmware inputs (IGVM files only)');
  if (values['native-zero'] === true) throw new UsageError('--native-zero applies to IGVM files, not --firmware');
  if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');
  const trace = values.trace === true ? (s: TraceStep): void => io.stdout(`${JSON.stringify(s.record === 'launch_update' ? chunkTraceJson(s) : formatTrace(s))}\n`) : undefined;
  const result = firmwareMeasurement(values, io, trace === undefined ? {} : { trace });
  const inputs = result.inputs;

  const entry = { platform_type: result.platformType, algorithm: result.algorithm, digest: bytesToHex(result.digest) };
  if (values.trace === true) io.stdout(`${JSON.stringify({ type: 'result', ...entry })}\n`);
  else if (values.json === true) {
    // The IGVM output's shape ({file, sha256, profile, platforms}) plus the inputs and host
    // parameters; `profile` names the VMM, the nearest thing to a loader profile here.
    const fw = inputs.firmware as { file: string; sha256: string };
    const head = { file: fw.file, sha256: fw.sha256, profile: result.host.vmm ?? null };
    io.stdout(stringify({ ...head, ...inputs, host_parameters: { ...result.host }, platforms: [entry] }));
  } else {
    io.stdout(`${result.platformType.padEnd(14)} ${hostSummary(result.host)} ${result.algorithm} ${bytesToHex(result.digest)}\n`);
  }
  return EXIT_OK;
}

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

/** `--platform snp`: OVMF under one of the loaders, or COCONUT SVSM + OVMF. */
function snpOptions(values: Record<string, unknown>, inputs: Record<string, Json>, io: CliIo): FirmwareMeasureOptions {
  const vmm = choice('--vmm', str(values, 'vmm'), FIRMWARE_VMMS, 'qemu');
  const usesSignature = vmm === 'qemu' || vmm === SVSM_VMM;
  if (vmm === SVSM_VMM) {
    required(values, ['vcpus', 'vcpu-type', 'svsm', 'vars-size'], `--vmm ${vmm}`);
    refuse(values, ['kernel', 'initrd', 'append'], `--vmm ${vmm} (svsm.bin's metadata has no kernel-hashes section, as in sev-snp-measure's svsm mode)`);
    refuse(values, ['vmsa-gpa'], `--vmm ${vmm} (KVM's fixed VMSA GPA)`);
  } else {
    required(values, usesSignature ? ['vcpus', 'vcpu-type'] : ['vcpus'], `--platform snp --vmm ${vmm}`);
    refuse(values, ['svsm', 'vars-size'], `--vmm ${vmm} (COCONUT SVSM is --vmm ${SVSM_VMM})`);
    if (!usesSignature) refuse(values, ['vcpu-type'], `--vmm ${vmm} (its VMSA has a fixed RDX, as in sev-snp-measure vmsa.py)`);
  }
  const vcpus = wholeNumber('vcpus', str(values, 'vcpus') as string, 1);
  const vcpuType = str(values, 'vcpu-type');
  // An unknown vCPU type is reported before any other input file is read.
  if (vcpuType !== undefined) vcpuSignatureOf(vcpuType);
  const cpu = { platform: 'snp', vmm, vcpus, ...(vcpuType === undefined ? {} : { vcpuType }) } as const;
  const featuresArg = str(values, 'guest-features');

  if (vmm === SVSM_VMM) {
    const svsmPath = str(values, 'svsm') as string;
    const svsm = readInput(svsmPath, '--svsm');
    inputs.svsm = { file: svsmPath, sha256: sha256Hex(svsm) };
    const varsSize = wholeNumber('vars-size', str(values, 'vars-size') as string, 0);
    if (featuresArg !== undefined) io.stderr(`warning: --guest-features is ignored by ${vmm}: its SVSM VMSA has SEV_FEATURES 0x1 (sev-snp-measure's svsm mode)\n`);
    return { ...cpu, svsm, varsSize, ...fpuOf(values) };
  }
  const fpu = fpuOf(values);
  const sevFeatures = featuresArg === undefined ? {} : { sevFeatures: hexU64('guest-features', featuresArg) };
  const vmsaArg = str(values, 'vmsa-gpa');
  const vmsaGpa = vmsaArg === undefined ? {} : { vmsaGpa: hexU64('vmsa-gpa', vmsaArg) };
  return { ...cpu, ...fpu, ...sevFeatures, ...vmsaGpa, ...directBoot(values, inputs) };
}

/** `--platform sev|sev-es`: SHA-256 of the image, the kernel-hashes table and (SEV-ES) the VMSAs. */
function sevOptions(platform: 'sev' | 'sev-es', values: Record<string, unknown>, inputs: Record<string, Json>): FirmwareMeasureOptions {
  refuse(values, ['svsm', 'vars-size', 'guest-features', 'vmsa-gpa'], `--platform ${platform}`);
  const boot = directBoot(values, inputs);
  if (platform === 'sev') {
    refuse(values, ['vmm', 'vcpus', 'vcpu-type', 'fpu'], '--platform sev (SEV measures no vCPU state)');
    return { platform, ...boot };
  }
  const vmm = choice('--vmm', str(values, 'vmm'), ['qemu'] as const, 'qemu');
  required(values, ['vcpus', 'vcpu-type'], '--platform sev-es');
  const vcpus = wholeNumber('vcpus', str(values, 'vcpus') as string, 1);
  const vcpuType = str(values, 'vcpu-type') as string;
  vcpuSignatureOf(vcpuType);
  return { platform, vmm, vcpus, vcpuType, ...fpuOf(values), ...boot };
}
