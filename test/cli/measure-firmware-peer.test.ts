/**
 * `measure --firmware` with command lines pasted from sev-snp-measure (virtee/sev-snp-measure
 * `sevsnpmeasure/cli.py`): its spellings give its digest, or a usage error (exit 2).
 *
 * Expected digests, each from a source independent of this project:
 * - [2.4] spec/firmware-input.md §2.4 (sev-snp-measure 8f2b337 reaches these LDs):
 *   `snp:ovmf-hash` of ovmf_AmdSev_suffix.bin 086e2e91…, and `test_snp_default` 803f6910…
 *   (QEMU, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21, kernel = initrd = empty, append
 *   "console=ttyS0 loglevel=7");
 * - [1.7] spec/snp.md §1.7: e1e1ca02… (the same without a kernel);
 * - [ec2] sev-snp-measure tests/test_guest.py `test_snp_ec2_default` 0ce9ccc0… (RDX 0x600,
 *   0x21, kernel = initrd = empty), [gce] `test_snp_gce_with_multiple_vcpus_default`
 *   5c5debf1… (4 vCPUs, 0x1, kernel = initrd = empty), as test/cli/measure-firmware.test.ts;
 * - [sev] virtee/sev tests/measurement.rs `test_sev` 82a3ee5d… and
 *   `test_seves_with_multiple_vcpus` 0dccbcab…, on the same fixture;
 * - [4.3] firmware-input.md §4.3: the hardware-captured COCONUT SVSM digest 265aed64… (4 vCPUs),
 *   and the value sev-snp-measure HEAD prints instead, 27d154c2… (§4.4);
 * - [3.2] firmware-input.md §3.2: SHA-384 of the QEMU BSP VMSA ae79efa6… and AP VMSA 180ef267…
 *   (EPYC-v4, 0x21, reset EIP 0x80B004), and §4.4: of the SVSM VMSA of the hardware capture
 *   3d579a08…, for `--dump-vmsa`;
 * - sev-snp-measure's README "Choosing guest CPU type": `--vcpu-type=EPYC-v4`,
 *   `--vcpu-sig=0x800f12` and `--vcpu-family=23 --vcpu-model=1 --vcpu-stepping=2` are identical;
 * - tests/test_guest.py `test_seves_dump_vmsa` / `test_snp_dump_vmsa`: files vmsa0.bin … vmsa<N-1>.bin.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DIGEST_OUTPUT_OPTIONS } from '../../src/cli/digest-output.js';
import { UsageError } from '../../src/cli/errors.js';
import { FIRMWARE_MEASURE_OPTIONS, runMeasureFirmware } from '../../src/cli/measure-firmware.js';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedNotice } from '../helpers/shared.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

/**
 * `measure --firmware` with the digest-output options in its table, as `measure` takes them for
 * every input (digest-output.ts); `dumpDir` stands for the current directory of `--dump-vmsa`.
 */
function measureFw(args: string[], dumpDir?: string): Run {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), stderrIsTty: false };
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...FIRMWARE_MEASURE_OPTIONS, ...DIGEST_OUTPUT_OPTIONS, platform: { type: 'string' }, vcpus: { type: 'string' }, json: { type: 'boolean' }, trace: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const code = runMeasureFirmware(values, positionals, io, () => null, dumpDir === undefined ? {} : { dumpDir });
    return { code, stdout, stderr };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout, stderr: stderr + e.message };
    throw e;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-peer-'));
const zeroImage = join(dir, 'zero.fd');
writeFileSync(zeroImage, new Uint8Array(0x2000));
const empty = join(dir, 'empty');
writeFileSync(empty, new Uint8Array(0));

const E1E1 = 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b'; // [1.7]

describe('sev-snp-measure spellings: refusals are usage errors (exit 2)', () => {
  const base = ['measure', '--ovmf', zeroImage, '--vcpus', '1'];
  it.each([
    ['an unknown --mode', ['--mode', 'csv', '--vcpu-type', 'EPYC']],
    ['--vmm-type in another case than sev-snp-measure takes', ['--vmm-type', 'qemu', '--vcpu-type', 'EPYC']],
    ['an unknown --vmm-type', ['--vmm-type', 'xen', '--vcpu-type', 'EPYC']],
    ['--ovmf and --firmware naming different files', ['--firmware', empty, '--vcpu-type', 'EPYC']],
    ['--vcpu-sig disagreeing with --vcpu-type', ['--vcpu-type', 'EPYC-Milan', '--vcpu-sig', '0x800f12']],
    ['--vcpu-family without model and stepping', ['--vcpu-family', '23']],
    ['a family/model/stepping out of CPUID(1).EAX', ['--vcpu-family', '23', '--vcpu-model', '256', '--vcpu-stepping', '2']],
    ['SEV-ES under ec2', ['--mode', 'seves', '--vmm-type', 'ec2', '--vcpu-type', 'EPYC']],
    ['SEV-ES under gce (--vmm)', ['--platform', 'sev-es', '--vmm', 'gce', '--vcpu-type', 'EPYC']],
    ['--mode disagreeing with --platform', ['--mode', 'seves', '--platform', 'snp', '--vcpu-type', 'EPYC']],
    ['snp:svsm under ec2', ['--mode', 'snp:svsm', '--vmm-type', 'ec2', '--vcpu-type', 'EPYC', '--svsm', zeroImage, '--vars-size', '0']],
    ['--mode snp with the SVSM VMM', ['--mode', 'snp', '--vmm', 'coconut-qemu-2024', '--vcpu-type', 'EPYC']],
    ['--vars-size with --vars-file', ['--mode', 'snp:svsm', '--vcpu-type', 'EPYC', '--svsm', zeroImage, '--vars-size', '0', '--vars-file', empty]],
    ['--snp-ovmf-hash', ['--vcpu-type', 'EPYC', '--snp-ovmf-hash', '00']],
    ['--dump-vmsa in SEV mode', ['--mode', 'sev', '--dump-vmsa']],
    ['--mode snp:ovmf-hash with host options', ['--mode', 'snp:ovmf-hash']],
    ['a decimal with a leading zero (int(x, 0) refuses it)', ['--vcpu-type', 'EPYC', '--guest-features', '021']],
    ['bare hex where a number is due', ['--vcpu-type', 'EPYC', '--vmsa-gpa', 'fffffffff000']],
    ['more vCPUs than KVM starts', ['--vcpu-type', 'EPYC', '--vcpus', '5000']],
  ])('%s', async (_what, extra) => {
    // A repeated --vcpus is itself a usage error, so the base's is dropped for the last case.
    const args = extra.includes('--vcpus') ? ['measure', '--ovmf', zeroImage, ...extra] : [...base, ...extra];
    const r = await cli(args);
    expect([r.code, r.stdout]).toEqual([2, '']);
  });

  it('compare takes the aliases with --firmware, and a --mode that does not fit the evidence is a usage error', async () => {
    const report = join(dir, 'report.bin');
    const b = new Uint8Array(0x4a0); // spec/snp.md §4: VERSION 2 at 0x000, MEASUREMENT at 0x090
    new DataView(b.buffer).setUint32(0, 2, true);
    writeFileSync(report, b);
    for (const extra of [['--mode', 'seves'], ['--mode', 'snp:ovmf-hash'], ['--vmm-type', 'xen']]) {
      const r = await cli(['compare', '--evidence', report, '--firmware', zeroImage, '--vcpus', '1', '--vcpu-type', 'EPYC', ...extra]);
      expect([extra, r.code]).toEqual([extra, 2]);
    }
  });
});

sharedNotice('measure-firmware-peer');

describe.skipIf(!HAVE_SHARED)('sev-snp-measure command lines on its fixtures give its digests', () => {
  const fw = (name: string): string => join(SHARED_VECTORS, 'firmware', name);
  const amd = (): string => fw('ovmf_AmdSev_suffix.bin');
  const digestOf = async (args: string[]): Promise<string> => {
    const r = await cli(['measure', ...args, '--json']);
    expect([args, r.code]).toEqual([args, 0]);
    return JSON.parse(r.stdout).platforms[0].digest;
  };

  it('--guest-features 21 is decimal 21 (0x15), as int(s, 0); 33 and 0b100001 are 0x21 [1.7]', async () => {
    const snp = ['--ovmf', amd(), '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4'];
    expect(await digestOf([...snp, '--guest-features', '33'])).toBe(E1E1);
    expect(await digestOf([...snp, '--guest-features', '0b100001'])).toBe(E1E1);
    expect(await digestOf([...snp, '--guest-features', '0o41'])).toBe(E1E1);
    const d21 = await digestOf([...snp, '--guest-features', '21']);
    expect(d21).toBe(await digestOf([...snp, '--guest-features', '0x15']));
    expect(d21).not.toBe(E1E1);
  });

  it("the README's three identical CPU spellings, and --vcpus/--vcpu-sig in any base, give e1e1ca02… [1.7]", async () => {
    const snp = ['--ovmf', amd(), '--mode', 'snp', '--guest-features', '0x21'];
    for (const cpu of [
      ['--vcpu-type', 'EPYC-v4'],
      ['--vcpu-sig', '0x800f12'],
      ['--vcpu-sig', '8392466'],
      ['--vcpu-family', '23', '--vcpu-model', '1', '--vcpu-stepping', '2'],
      ['--vcpu-type', 'EPYC-v4', '--vcpu-sig', '0x800f12'], // agreeing spellings are fine
      ['--vcpu-type', '8392466'], // a signature as a number follows the number rule too
    ]) {
      expect(await digestOf([...snp, '--vcpus', '0b1', ...cpu])).toBe(E1E1);
    }
    // The canonical spelling, for comparison.
    expect(await digestOf(['--firmware', amd(), '--platform', 'snp', '--vmm', 'qemu', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--guest-features', '0x21'])).toBe(E1E1);
  });

  it('test_snp_default with --vmm-type QEMU and a kernel: 803f6910… [2.4]; snp:ovmf-hash 086e2e91… [2.4]', async () => {
    const args = ['--mode', 'snp', '--vmm-type', 'QEMU', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', amd()];
    const kernel = ['--kernel', empty, '--initrd', empty, '--append', 'console=ttyS0 loglevel=7', '--guest-features', '0x21'];
    expect(await digestOf([...args, ...kernel])).toBe('803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977');
    const r = await cli(['measure', '--mode', 'snp:ovmf-hash', '--ovmf', amd(), '--json']);
    expect([r.code, JSON.parse(r.stdout).platforms[0].digest]).toEqual([
      0,
      '086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74',
    ]);
  });

  it('ec2 and gce: --vmm-type with a --vcpu-type that is ignored, with a note [ec2, gce]', async () => {
    const boot = ['--ovmf', amd(), '--kernel', empty, '--initrd', empty, '--vcpu-type', 'EPYC-v4'];
    const ec2 = await cli(['measure', '--mode', 'snp', '--vmm-type', 'ec2', '--vcpus', '1', '--guest-features', '0x21', ...boot, '--json']);
    expect([ec2.code, JSON.parse(ec2.stdout).platforms[0].digest]).toEqual([0, '0ce9ccc06bab55eebe8abc234f3df6514883977a68a591b71052498ab52b2f1aa415db338033946ef93aa8278c0d67fb']);
    expect(ec2.stderr).toContain('ignored under --vmm ec2');
    expect(JSON.parse(ec2.stdout).host_parameters.vcpu_signature).toBeUndefined();
    const gce = await cli(['measure', '--vmm', 'gce', '--vcpus', '4', ...boot, '--vcpu-sig', '0x800f12', '--json']);
    expect([gce.code, JSON.parse(gce.stdout).platforms[0].digest]).toEqual([0, '5c5debf100fc339f90276e761ee1f1658d08922c3b20e2a2e6c7a6c3370b2452a15a00eae11886a93d6fd1e7ab81e29d']);
    expect(gce.stderr).toContain('ignored under --vmm gce');
  });

  it('--mode sev ignores the vCPU options as sev-snp-measure does; --mode seves is SEV-ES [sev]', async () => {
    const boot = ['--ovmf', amd(), '--kernel', empty, '--initrd', empty];
    const sev = await cli(['measure', '--mode', 'sev', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', ...boot, '--append', 'console=ttyS0 loglevel=7', '--json']);
    expect([sev.code, JSON.parse(sev.stdout).platforms[0].digest]).toEqual([0, '82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff']);
    expect(sev.stderr).toContain('ignored');
    expect(await digestOf(['--mode', 'seves', '--vcpus', '4', '--vcpu-sig', '0x800f12', ...boot])).toBe(
      '0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91',
    );
  });

  it('snp:svsm: the hardware-captured 265aed64…, not the 27d154c2… sev-snp-measure HEAD prints; --vars-file = --vars-size [4.3]', async () => {
    const vars = join(dir, 'OVMF_VARS.fd');
    writeFileSync(vars, new Uint8Array(540672));
    const svsm = ['--mode', 'snp:svsm', '--vmm-type', 'QEMU', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', fw('svsm_ovmf.fd'), '--svsm', fw('svsm.bin')];
    const hw = '265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f';
    expect(await digestOf([...svsm, '--vars-size', '540672'])).toBe(hw);
    expect(await digestOf([...svsm, '--vars-file', vars])).toBe(hw);
    expect(hw).not.toBe('27d154c27b7b359c935e250ec6fee72aa0ae8c1225e3b0e1cf46a9567e938066d7d6f94bbdc4a857818bdb79277a44b2');
  });

  it('compare --firmware takes the spellings: e1e1ca02… [1.7] matches with --vmm-type QEMU --vcpu-sig --guest-features 33', async () => {
    const report = join(dir, 'e1e1-report.bin');
    const b = new Uint8Array(0x4a0); // spec/snp.md §4: VERSION 2 at 0x000, MEASUREMENT at 0x090
    new DataView(b.buffer).setUint32(0, 2, true);
    b.set(Buffer.from(E1E1, 'hex'), 0x90);
    writeFileSync(report, b);
    const args = ['compare', '--evidence', report, '--firmware', amd(), '--mode', 'snp', '--vmm-type', 'QEMU', '--vcpus', '1', '--vcpu-sig', '0x800f12', '--guest-features', '33', '--json'];
    const r = await cli(args);
    // The report is unsigned, so the verdict is a failed verification (exit 3); the measurement matches.
    expect(r.code).toBe(3);
    const checks = JSON.parse(r.stdout).checks as Array<{ name: string; ok: boolean | null }>;
    expect(checks.find((c) => c.name === 'measurement')?.ok).toBe(true);
  });

  it('--quiet prints the digest alone, --output-format base64 as sev-snp-measure; neither with --json', () => {
    const snp = ['--ovmf', amd(), '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--guest-features', '0x21'];
    expect(measureFw([...snp, '--quiet'])).toMatchObject({ code: 0, stdout: `${E1E1}\n` });
    expect(measureFw([...snp, '-q', '--output-format', 'base64'])).toMatchObject({ code: 0, stdout: `${Buffer.from(E1E1, 'hex').toString('base64')}\n` });
    expect(measureFw([...snp, '--output-format', 'base64']).stdout).toContain(Buffer.from(E1E1, 'hex').toString('base64'));
    expect(measureFw([...snp, '--quiet', '--json']).code).toBe(2);
    expect(measureFw([...snp, '--output-format', 'base64', '--json']).code).toBe(2);
    expect(measureFw([...snp, '--output-format', 'b64']).code).toBe(2);
  });

  it('--dump-vmsa writes vmsa0.bin … vmsa<N-1>.bin, the §3.2 BSP and AP VMSAs [3.2]', () => {
    const out = mkdtempSync(join(tmpdir(), 'igvm-measure-dump-'));
    const snp = ['--ovmf', amd(), '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--guest-features', '0x21', '--dump-vmsa'];
    expect(measureFw(snp, out).code).toBe(0);
    const sha384 = (name: string): string => createHash('sha384').update(readFileSync(join(out, name))).digest('hex');
    expect(sha384('vmsa0.bin')).toBe('ae79efa6efbe1594a2717dfd42af495a0e4ed37b00e529a5fdf349bea04c3513962ffb0c74cf65b0d9a1857271833d6e');
    expect(sha384('vmsa1.bin')).toBe('180ef2675dc01615d31b3e84ef27a0a69d08bfbbb58ea4f6a0188f08884ab6407591ada42f99749ce9a406fb4e5d8355');
    expect(existsSync(join(out, 'vmsa2.bin'))).toBe(false);
    // SEV-ES, 4 vCPUs: four files (test_seves_dump_vmsa).
    const es = mkdtempSync(join(tmpdir(), 'igvm-measure-dump-es-'));
    expect(measureFw(['--ovmf', amd(), '--mode', 'seves', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--dump-vmsa'], es).code).toBe(0);
    expect([0, 1, 2, 3, 4].map((i) => existsSync(join(es, `vmsa${i}.bin`)))).toEqual([true, true, true, true, false]);
    // snp:svsm, 2 vCPUs: two copies of the SVSM VMSA of the hardware capture, SHA-384 3d579a08… (§4.4 table).
    const sv = mkdtempSync(join(tmpdir(), 'igvm-measure-dump-svsm-'));
    const svsm = ['--mode', 'snp:svsm', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', fw('svsm_ovmf.fd'), '--svsm', fw('svsm.bin'), '--vars-size', '540672', '--dump-vmsa'];
    expect(measureFw(svsm, sv).code).toBe(0);
    const svHash = (name: string): string => createHash('sha384').update(readFileSync(join(sv, name))).digest('hex');
    expect([svHash('vmsa0.bin'), svHash('vmsa1.bin')]).toEqual(Array(2).fill('3d579a0870fe8f7baebc71486381db8d17e753cde021a1cc4d1122d6dfbf3b98e52b539c0e1eacd72ba6a37ee56d676b'));
  });
});
