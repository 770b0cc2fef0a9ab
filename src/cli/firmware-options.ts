/**
 * The option table and help text of the firmware inputs of `measure` and `compare` (our
 * spellings and sev-snp-measure's), apart from the code that runs them: `measure` lists them in
 * its options and help but loads the firmware layer (measure-firmware.ts) only when a firmware
 * image is given, so measuring an IGVM file does not load it.
 */

/** sev-snp-measure's option names that `measure --firmware` also takes (cli.py). */
export const PEER_FIRMWARE_OPTIONS = {
  ovmf: { type: 'string' },
  mode: { type: 'string' },
  'vmm-type': { type: 'string' },
  'vcpu-sig': { type: 'string' },
  'vcpu-family': { type: 'string' },
  'vcpu-model': { type: 'string' },
  'vcpu-stepping': { type: 'string' },
  'vars-file': { type: 'string' },
  'dump-vmsa': { type: 'boolean' },
  'snp-ovmf-hash': { type: 'string' },
} as const;

/** The `--help` lines of the sev-snp-measure spellings. */
export const PEER_FIRMWARE_HELP = `sev-snp-measure spellings (same meaning; a value that disagrees with ours is a
usage error):
  --ovmf F         = --firmware F
  --mode M         snp (= --platform snp), seves (= --platform sev-es), sev
                   (= --platform sev), snp:svsm (= --vmm coconut-qemu-2024), or
                   snp:ovmf-hash (print the digest after the firmware pages only)
  --vmm-type T     QEMU (= --vmm qemu), ec2 or gce, spelt as sev-snp-measure does
  --vcpu-sig N     = --vcpu-type with the signature N (decimal or 0x/0o/0b)
  --vcpu-family N --vcpu-model N --vcpu-stepping N
                   the signature from family, model and stepping (CPUID Fn0000_0001_EAX)
  --vars-file F    --vars-size of the file F (coconut-qemu-2024)
  --dump-vmsa      write each measured VMSA to vmsa<N>.bin in the current directory
                   (snp, sev-es)
  --snp-ovmf-hash  refused: give the firmware image itself`;

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
  ...PEER_FIRMWARE_OPTIONS,
} as const;

/**
 * The most vCPUs accepted: no x86 KVM build allows more (KVM_MAX_VCPUS is 1024, or 4096 with
 * CONFIG_MAXSMP), and each one adds a VMSA step, so the bound keeps a typo from hashing for hours.
 */
export const MAX_VCPUS = 4096;

/** The help lines of the firmware options but `--firmware` and `--platform` (shared with `compare`). */
export const FIRMWARE_OPTION_HELP = `  Numbers are decimal unless prefixed 0x, 0o or 0b (as sev-snp-measure reads them):
  --guest-features 21 is 0x15.
  --vmm V          snp: qemu (QEMU/KVM, default), ec2, ec2-v1 (EC2 as sev-snp-measure
                   < 0.0.13 and virtee/sev compute it: RDX 0), gce, krun, or
                   coconut-qemu-2024 (COCONUT SVSM + OVMF under the coconut QEMU fork of
                   early 2024). sev-es: qemu only.
  --vcpus N        vCPUs the host starts (snp and sev-es; required; at most ${MAX_VCPUS})
  --vcpu-type T    QEMU -cpu model (EPYC, EPYC-v4, EPYC-Milan, EPYC-Genoa, …) or its
                   CPUID(1).EAX signature as hex, e.g. 0x800f12 (required where the VMSA
                   holds it: qemu, coconut-qemu-2024, and sev-es; ec2, ec2-v1, gce and krun
                   use a fixed RDX and ignore it, with a note on stderr)
  --guest-features N  SEV_FEATURES (snp; default 0x1; 0x21 on Linux 6.6–6.7 hosts).
                   Ignored by coconut-qemu-2024, whose SVSM VMSA has 0x1.
  --fpu S          init2 or legacy FPU state in the VMSAs (default: init2 for qemu and
                   sev-es, legacy for the others)
  --vmsa-gpa N     snp: the VMSA page GPA (default 0xfffffffff000; GCE on Genoa and
                   later: 0xffffffffff000)
  --kernel F, --initrd F, --append S
                   direct boot with kernel hashes (snp, sev, sev-es; not with --svsm):
                   the SHA-256 table of QEMU's kernel-hashes=on (sev-snp-measure
                   sev_hashes.py). --initrd and --append need --kernel.
  --svsm F         svsm.bin (coconut-qemu-2024, required)
  --vars-size N    bytes of OVMF_VARS between svsm.bin and OVMF_CODE (coconut-qemu-2024,
                   required unless --vars-file; not measured)
  --tdx-order O    tdx: single (per page: add, then extend; QEMU >= 9 / upstream KVM;
                   default) or two-pass (per section: all adds, then all extends; QEMU 8.x)
${PEER_FIRMWARE_HELP}`;

export const FIRMWARE_HELP = `
Firmware inputs (instead of FILE):
  --firmware F     an OVMF image (OVMF.fd, or OVMF_CODE with --svsm), or a TDVF image
                   (--ovmf F is the same)
  --platform P     snp (default), sev, sev-es or tdx
${FIRMWARE_OPTION_HELP}
  --output-format hex|base64, -q/--quiet/--digest-only
                   how the digest is printed; --quiet prints only the digest, as
                   sev-snp-measure does by default`;

/**
 * The firmware image the options name, under our spelling (`--firmware`) or sev-snp-measure's
 * (`--ovmf`); undefined when the input is not a firmware image. measure-firmware-peer.ts checks
 * that the two agree when both are given.
 */
export function firmwarePathOf(values: Record<string, unknown>): string | undefined {
  return (values.firmware ?? values.ovmf) as string | undefined;
}
