/**
 * `igvm-measure measure --firmware OVMF.fd …`: the SEV-SNP launch digest of a firmware image
 * instead of an IGVM file (issue 7, spec/firmware-input.md §2–§4). Supported so far: OVMF under
 * QEMU/KVM (`--vmm qemu`, §2.2 without kernel hashes) and COCONUT SVSM + OVMF under the early-2024
 * coconut QEMU fork (`--vmm coconut-qemu-2024`, §4). The other VMMs, kernel hashes, TDX and
 * SEV/SEV-ES are usage errors that say so.
 */
import { createHash } from 'node:crypto';
import {
  foldSnpSteps,
  ovmfSnpSteps,
  qemuVcpuSignature,
  svsmSnpSteps,
  SVSM_SEV_FEATURES,
  type FpuInit,
  type OvmfSnpStep,
} from '../firmware/index.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { TraceStep } from '../measure/index.js';
import type { CliIo } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { readInput } from './input.js';
import { hexBytes, stringify, type Json } from './json.js';

/** The `--vmm` values we accept; the others of the issue are named in the error. */
const FIRMWARE_VMMS = ['qemu', 'coconut-qemu-2024'] as const;
const PLANNED_VMMS = ['ec2', 'gce', 'krun'];

/** Options of `measure` that only apply to firmware inputs. */
export const FIRMWARE_MEASURE_OPTIONS = {
  firmware: { type: 'string' },
  svsm: { type: 'string' },
  'vars-size': { type: 'string' },
  'vcpu-type': { type: 'string' },
  vmm: { type: 'string' },
  'guest-features': { type: 'string' },
  fpu: { type: 'string' },
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  append: { type: 'string' },
} as const;

export const FIRMWARE_HELP = `
Firmware inputs (instead of FILE):
  --firmware F     an OVMF image (OVMF.fd, or OVMF_CODE with --svsm); SEV-SNP only
  --vmm V          qemu (OVMF under QEMU/KVM, default) or coconut-qemu-2024 (COCONUT
                   SVSM + OVMF under the coconut QEMU fork of early 2024)
  --vcpus N        vCPUs the host starts (required)
  --vcpu-type T    QEMU -cpu model (EPYC, EPYC-v4, EPYC-Milan, EPYC-Genoa, …) or its
                   CPUID(1).EAX signature as hex, e.g. 0x800f12 (required)
  --guest-features HEX  SEV_FEATURES (qemu; default 0x1; 0x21 on Linux 6.6–6.7 hosts).
                   Ignored by coconut-qemu-2024, whose SVSM VMSA has 0x1.
  --fpu S          init2 or legacy FPU state in the VMSAs (default: init2 for qemu,
                   legacy for coconut-qemu-2024)
  --svsm F         svsm.bin (coconut-qemu-2024, required)
  --vars-size N    bytes of OVMF_VARS between svsm.bin and OVMF_CODE (coconut-qemu-2024,
                   required; not measured)`;

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Record<string, unknown>, names: string[]): void {
  const missing = names.filter((n) => str(values, n) === undefined);
  if (missing.length > 0) {
    throw new UsageError(`measuring firmware needs ${missing.map((n) => `--${n}`).join(' and ')}: there is no safe default`);
  }
}

function wholeNumber(name: string, v: string, min: number): number {
  if (!/^(\d+|0x[0-9a-f]+)$/i.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    throw new UsageError(`--${name} takes a whole number of at least ${min}, not '${v}'`);
  }
  return Number(v);
}

function vcpuSignature(v: string): number {
  if (/^0x[0-9a-f]{1,8}$/i.test(v)) return Number(v);
  return qemuVcpuSignature(v);
}

/** SHA-256 of each input, for the JSON output. */
function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Runs `measure` on a firmware image. `formatTrace` is the IGVM path's trace-line formatter,
 * so both inputs share one `--trace` format.
 */
export function measureFirmware(
  values: Record<string, unknown>,
  positionals: readonly string[],
  io: CliIo,
  formatTrace: (s: TraceStep) => Json,
): number {
  if (positionals.length > 0) throw new UsageError(`--firmware replaces FILE; remove '${positionals[0]}'`);
  const platform = str(values, 'platform') ?? 'snp';
  if (platform !== 'snp') throw new UsageError(`--firmware measures SEV-SNP only so far, not --platform ${platform}`);
  for (const k of ['profile', 'ap-vmsa', 'max-pages']) {
    if (str(values, k) !== undefined) throw new UsageError(`--${k} applies to IGVM files, not --firmware`);
  }
  if (values['native-zero'] === true) throw new UsageError('--native-zero applies to IGVM files, not --firmware');
  for (const k of ['kernel', 'initrd', 'append']) {
    if (str(values, k) !== undefined) throw new UsageError(`--${k} (kernel hashes, firmware-input.md §2.3) is not supported yet`);
  }
  const vmm = str(values, 'vmm') ?? 'qemu';
  if (PLANNED_VMMS.includes(vmm)) throw new UsageError(`--vmm ${vmm} is not supported yet; use ${FIRMWARE_VMMS.join(' or ')}`);
  if (!(FIRMWARE_VMMS as readonly string[]).includes(vmm)) throw new UsageError(`--vmm must be one of ${FIRMWARE_VMMS.join(', ')}, not '${vmm}'`);
  required(values, vmm === 'coconut-qemu-2024' ? ['vcpus', 'vcpu-type', 'svsm', 'vars-size'] : ['vcpus', 'vcpu-type']);
  if (values.json === true && values.trace === true) throw new UsageError('--json and --trace both write to stdout; choose one');

  const vcpus = wholeNumber('vcpus', str(values, 'vcpus') as string, 1);
  const typeName = str(values, 'vcpu-type') as string;
  const signature = vcpuSignature(typeName);
  const fpuArg = str(values, 'fpu');
  if (fpuArg !== undefined && fpuArg !== 'init2' && fpuArg !== 'legacy') throw new UsageError(`--fpu must be init2 or legacy, not '${fpuArg}'`);
  const fpu: FpuInit = (fpuArg as FpuInit | undefined) ?? (vmm === 'qemu' ? 'init2' : 'legacy');
  const featuresArg = str(values, 'guest-features');
  if (featuresArg !== undefined && !/^(0x)?[0-9a-f]{1,16}$/i.test(featuresArg)) {
    throw new UsageError(`--guest-features takes a hex u64 such as 0x1, not '${featuresArg}'`);
  }
  const firmwarePath = str(values, 'firmware') as string;
  const firmware = readInput(firmwarePath, '--firmware');

  let steps: OvmfSnpStep[];
  let host: Record<string, Json>;
  const inputs: Record<string, Json> = { firmware: { file: firmwarePath, sha256: sha256(firmware) } };
  if (vmm === 'qemu') {
    for (const k of ['svsm', 'vars-size']) if (str(values, k) !== undefined) throw new UsageError(`--${k} applies to --vmm coconut-qemu-2024 only`);
    const sevFeatures = BigInt(featuresArg === undefined ? '0x1' : featuresArg.startsWith('0x') ? featuresArg : `0x${featuresArg}`);
    steps = ovmfSnpSteps(firmware, { vcpus, vcpuSignature: signature, sevFeatures, fpu });
    host = { sev_features: `0x${sevFeatures.toString(16)}` };
  } else {
    const svsmPath = str(values, 'svsm') as string;
    const svsm = readInput(svsmPath, '--svsm');
    inputs.svsm = { file: svsmPath, sha256: sha256(svsm) };
    const varsSize = wholeNumber('vars-size', str(values, 'vars-size') as string, 0);
    if (featuresArg !== undefined) io.stderr(`warning: --guest-features is ignored by ${vmm}: its SVSM VMSA has SEV_FEATURES 0x1 (firmware-input.md §4.2)\n`);
    steps = svsmSnpSteps(firmware, svsm, { vcpus, vcpuSignature: signature, varsSize, fpu });
    host = { sev_features: `0x${SVSM_SEV_FEATURES.toString(16)}`, vars_size: varsSize };
  }
  host = { vmm, vcpus, vcpu_type: typeName, vcpu_signature: `0x${signature.toString(16)}`, fpu, ...host };

  const trace = values.trace === true ? (s: TraceStep): void => io.stdout(`${JSON.stringify(formatTrace(s))}\n`) : undefined;
  const digest = foldSnpSteps(steps, defaultHashBackend, trace);
  const platformEntry = { platform_type: 'SEV_SNP', algorithm: 'sha384', digest: hexBytes(digest) };
  if (values.trace === true) io.stdout(`${JSON.stringify({ type: 'result', ...platformEntry })}\n`);
  else if (values.json === true) io.stdout(stringify({ ...inputs, host_parameters: host, platforms: [platformEntry] }));
  else io.stdout(`SEV_SNP        ${vmm} ${vcpus} vCPU(s) sha384 ${hexBytes(digest)}\n`);
  return EXIT_OK;
}
