/**
 * sev-snp-measure's command-line spellings for the firmware options of `measure` and `compare`:
 * each is translated to our option with the same meaning before the options are checked, so a
 * command line pasted from sev-snp-measure gives its digest or a usage error, never a different
 * value without a word. The spellings, their values and their precedence are read from
 * virtee/sev-snp-measure `sevsnpmeasure/cli.py` (the argparse table, `get_vcpu_sig`, the
 * `--vars-size | --vars-file` group), `vmm_types.py` (the `--vmm-type` names) and `guest.py`
 * (what each mode measures, `--dump-vmsa`'s `vmsa<N>.bin` files).
 *
 * Where sev-snp-measure silently picks one of two spellings (`--vcpu-family` over `--vcpu-sig`
 * over `--vcpu-type`), values that disagree are a usage error here; where it ignores an option
 * (a vCPU type under a VMM whose RDX is fixed, vCPU options in SEV mode), we ignore it too and
 * say so on stderr.
 */
import { hexNumber } from '../format/bytes.js';
import { SVSM_VMM, vcpuSignatureFromFms, vcpuSignatureOf } from '../firmware/index.js';
import type { CliIo } from './command.js';
import { UsageError } from './errors.js';
import { integerOption, smallIntegerOption } from './numbers.js';

import { PEER_FIRMWARE_OPTIONS } from './firmware-options.js';
export { PEER_FIRMWARE_HELP, PEER_FIRMWARE_OPTIONS } from './firmware-options.js';

/** The `--mode` values of sev-snp-measure's cli.py. */
const PEER_MODES = ['snp', 'seves', 'sev', 'snp:svsm', 'snp:ovmf-hash'] as const;
type PeerMode = (typeof PEER_MODES)[number];

/** `--vmm-type` names (vmm_types.py `VMMType` members, matched case-sensitively as cli.py does) → `--vmm`. */
const PEER_VMMS: Readonly<Record<string, string>> = { QEMU: 'qemu', ec2: 'ec2', gce: 'gce' };

/** VMMs whose VMSA has a fixed RDX (firmware-input.md §3.1): a vCPU signature does not enter the digest. */
export const FIXED_RDX_VMMS: readonly string[] = ['ec2', 'ec2-v1', 'gce', 'krun'];

/** The options that say which vCPU signature QEMU puts in RDX. */
const SIGNATURE_OPTIONS = ['vcpu-type', 'vcpu-sig', 'vcpu-family', 'vcpu-model', 'vcpu-stepping'] as const;

/** The firmware options after translation, plus what only the aliases can ask for. */
export interface CanonicalFirmwareValues {
  /** Our option names only (`firmware`, `platform`, `vmm`, `vcpu-type`, `vars-size`, …). */
  readonly values: Record<string, unknown>;
  /** `--mode snp:ovmf-hash`: the digest after the firmware pages only (firmware-input.md §2.2 step 1). */
  readonly firmwarePagesOnly: boolean;
  /** `--dump-vmsa`. */
  readonly dumpVmsa: boolean;
}

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** One option's value from several spellings: all given ones must agree. */
function agree(name: string, given: Array<[string, string | undefined]>): string | undefined {
  const set = given.filter((g): g is [string, string] => g[1] !== undefined);
  for (const [other, v] of set.slice(1)) {
    if (v !== set[0]![1]) throw new UsageError(`${set[0]![0]} and ${other} disagree (${set[0]![1]} vs ${v}); give one`);
  }
  return set[0]?.[1];
}

/**
 * Translates sev-snp-measure's spellings in `values` (parsed with `FIRMWARE_MEASURE_OPTIONS`) to
 * ours; notes on stderr what sev-snp-measure would ignore and so do we.
 * @throws UsageError for an unknown `--mode` or `--vmm-type`, spellings that disagree, SEV-ES under
 *   a VMM other than QEMU, `--snp-ovmf-hash`, and `--dump-vmsa` where no VMSA is measured.
 */
export function canonicalFirmwareValues(values: Record<string, unknown>, io: CliIo): CanonicalFirmwareValues {
  const out: Record<string, unknown> = { ...values };
  for (const k of Object.keys(PEER_FIRMWARE_OPTIONS)) delete out[k];

  if (str(values, 'snp-ovmf-hash') !== undefined) {
    throw new UsageError('--snp-ovmf-hash is not supported: a precomputed firmware digest cannot be checked against an image; give the image with --ovmf/--firmware');
  }
  const firmware = agree('--firmware', [['--firmware', str(values, 'firmware')], ['--ovmf', str(values, 'ovmf')]]);
  if (firmware !== undefined) out.firmware = firmware;

  const modeArg = str(values, 'mode');
  if (modeArg !== undefined && !(PEER_MODES as readonly string[]).includes(modeArg)) {
    throw new UsageError(`--mode must be one of ${PEER_MODES.join(', ')} (sev-snp-measure's modes), not '${modeArg}'`);
  }
  const mode = modeArg as PeerMode | undefined;
  const modePlatform = mode === undefined ? undefined : mode === 'seves' ? 'sev-es' : mode === 'sev' ? 'sev' : 'snp';
  const platform = agree('--platform', [['--platform', str(values, 'platform')], [`--mode ${mode}`, modePlatform]]);
  if (platform !== undefined) out.platform = platform;
  const peerSev = mode === 'sev';

  // The VMM: --vmm, --vmm-type, and snp:svsm (sev-snp-measure measures COCONUT SVSM under QEMU only).
  const vmmTypeArg = str(values, 'vmm-type');
  if (vmmTypeArg !== undefined && PEER_VMMS[vmmTypeArg] === undefined) {
    throw new UsageError(`--vmm-type must be QEMU, ec2 or gce (sev-snp-measure's names, case as there), not '${vmmTypeArg}'; or use --vmm`);
  }
  if (mode === 'snp:svsm' && vmmTypeArg !== undefined && vmmTypeArg !== 'QEMU') {
    throw new UsageError(`--mode snp:svsm is measured under QEMU only (as sev-snp-measure), not --vmm-type ${vmmTypeArg}`);
  }
  if (mode === 'snp' && str(values, 'vmm') === SVSM_VMM) throw new UsageError(`--mode snp measures OVMF alone; COCONUT SVSM is --mode snp:svsm or --vmm ${SVSM_VMM}`);
  const vmmFromType = vmmTypeArg === undefined || peerSev ? undefined : mode === 'snp:svsm' ? SVSM_VMM : PEER_VMMS[vmmTypeArg];
  const vmm = agree('--vmm', [['--vmm', str(values, 'vmm')], ['--vmm-type', vmmFromType], ['--mode snp:svsm', mode === 'snp:svsm' ? SVSM_VMM : undefined]]);
  if (vmm !== undefined) out.vmm = vmm;
  if (platform === 'sev-es' && vmm !== undefined && vmm !== 'qemu') {
    // sev-snp-measure would build EC2/GCE-style VMSAs for SEV-ES, but no source gives a vector
    // for them and neither cloud runs SEV-ES guests: refuse rather than guess.
    throw new UsageError(`SEV-ES is measured under QEMU only here, not ${vmm} (no VMSA rule for SEV-ES under other VMMs is published)`);
  }

  const signature = vcpuSignature(values);
  if (signature !== undefined) out['vcpu-type'] = signature;
  for (const k of SIGNATURE_OPTIONS.slice(1)) delete out[k];

  if (peerSev) {
    // sev-snp-measure's SEV mode measures no vCPU state and skips these (cli.py get_vcpu_sig).
    const ignored = ['vcpus', 'vcpu-type', 'vmm-type'].filter((k) => values[k] !== undefined || (k === 'vcpu-type' && signature !== undefined));
    if (ignored.length > 0) io.stderr(`note: ${ignored.map((k) => `--${k}`).join(', ')} ignored: --mode sev measures no vCPU state\n`);
    delete out.vcpus;
    delete out['vcpu-type'];
  }
  if (mode === 'seves' && values['guest-features'] !== undefined) {
    // guest.py builds SEV-ES VMSAs with SEV_FEATURES 0 whatever --guest-features says.
    io.stderr('note: --guest-features ignored: SEV-ES VMSAs have SEV_FEATURES 0\n');
    delete out['guest-features'];
  }

  const varsFile = str(values, 'vars-file');
  if (varsFile !== undefined) {
    if (values['vars-size'] !== undefined) throw new UsageError('--vars-size and --vars-file both give the OVMF_VARS size; give one (as sev-snp-measure)');
    out['vars-file'] = varsFile;
  }

  const dumpVmsa = values['dump-vmsa'] === true;
  if (dumpVmsa && (platform === 'sev' || platform === 'tdx' || mode === 'snp:ovmf-hash')) {
    throw new UsageError(`--dump-vmsa applies to snp, snp:svsm and sev-es, which measure VMSAs; not to ${mode === undefined ? `--platform ${platform}` : `--mode ${mode}`}`);
  }
  return { values: out, firmwarePagesOnly: mode === 'snp:ovmf-hash', dumpVmsa };
}

/**
 * The vCPU type from `--vcpu-type`, `--vcpu-sig` and `--vcpu-family/--vcpu-model/--vcpu-stepping`:
 * a model name as given, otherwise the signature as `0x…`. Spellings that give different
 * signatures are a usage error (sev-snp-measure would take family, then sig, then type).
 */
function vcpuSignature(values: Record<string, unknown>): string | undefined {
  const type = str(values, 'vcpu-type');
  const sigArg = str(values, 'vcpu-sig');
  const fms = (['vcpu-family', 'vcpu-model', 'vcpu-stepping'] as const).map((k) => str(values, k));
  const given: Array<[string, number]> = [];
  // An unknown model is reported here, before any file is read (UnknownVcpuType, exit 2).
  // A signature given as a number follows the one number rule (decimal unless 0x/0o/0b).
  const typeSig = type === undefined ? undefined : /^[0-9]/.test(type) ? Number(integerOption('--vcpu-type', type, 0n, 0xffff_ffffn)) : vcpuSignatureOf(type);
  if (type !== undefined && typeSig !== undefined) given.push([`--vcpu-type ${type}`, typeSig]);
  if (sigArg !== undefined) given.push([`--vcpu-sig ${sigArg}`, Number(integerOption('--vcpu-sig', sigArg, 0n, 0xffff_ffffn))]);
  if (fms.some((v) => v !== undefined)) {
    if (fms.some((v) => v === undefined)) throw new UsageError('--vcpu-family, --vcpu-model and --vcpu-stepping go together: give all three');
    const [family, model, stepping] = fms as [string, string, string];
    const sig = vcpuSignatureFromFms(
      smallIntegerOption('--vcpu-family', family, 0, 0xf + 0xff),
      smallIntegerOption('--vcpu-model', model, 0, 0xff),
      smallIntegerOption('--vcpu-stepping', stepping, 0, 0xf),
    );
    given.push([`--vcpu-family/--vcpu-model/--vcpu-stepping ${family}/${model}/${stepping}`, sig]);
  }
  for (const [what, sig] of given.slice(1)) {
    if (sig !== given[0]![1]) {
      throw new UsageError(`${given[0]![0]} (${hexNumber(given[0]![1])}) and ${what} (${hexNumber(sig)}) give different vCPU signatures; give one`);
    }
  }
  if (given.length === 0) return undefined;
  return type !== undefined && !/^[0-9]/.test(type) ? type : hexNumber(given[0]![1]);
}
