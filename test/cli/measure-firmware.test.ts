/**
 * `measure --firmware` (spec/firmware-input.md §2–§6). Expected digests from the spec only:
 * firmware-input.md §4.3 (the two hardware-captured COCONUT SVSM + OVMF digests) and snp.md §1.7
 * (`e1e1ca02…` for ovmf_AmdSev_suffix.bin, QEMU, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21, INIT2).
 * Usage and image errors run without ../shared.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedNotice } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-fw-'));
const zeroImage = join(dir, 'zero.fd');
writeFileSync(zeroImage, new Uint8Array(0x2000));
const oddImage = join(dir, 'odd.fd');
writeFileSync(oddImage, new Uint8Array(5000));

describe('measure --firmware: usage and image errors', () => {
  it('names the parameters that have no safe default (exit 2)', async () => {
    const r = await cli(['measure', '--firmware', zeroImage, '--vcpus', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vcpu-type');
    const s = await cli(['measure', '--firmware', zeroImage, '--vmm', 'coconut-qemu-2024', '--vcpus', '1', '--vcpu-type', 'EPYC']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--svsm and --vars-size');
  });
  it('refuses options that do not fit, and firmware options without --firmware (exit 2)', async () => {
    for (const args of [
      ['--vmm', 'xen'],
      ['--platform', 'cca'],
      ['--tdx-order', 'single'],
      ['--initrd', zeroImage],
      ['--append', 'quiet'],
      ['--platform', 'tdx'], // MRTD has no vCPU state: --vcpus does not apply
      ['--platform', 'sev'],
      ['--vmm', 'coconut-qemu-2024', '--svsm', zeroImage, '--vars-size', '0', '--kernel', zeroImage],
      ['--tdx-order', 'three-pass'],
      ['--vcpu-type', 'Skylake'],
      ['--fpu', 'x87'],
      ['--guest-features', 'zz'],
      ['--profile', 'qemu'],
      ['--native-zero'],
    ]) {
      const r = await cli(['measure', '--firmware', zeroImage, '--vcpus', '1', '--vcpu-type', 'EPYC', ...args]);
      expect([args, r.code]).toEqual([args, 2]);
    }
    expect((await cli(['measure', 'x.igvm', '--svsm', zeroImage])).code).toBe(2);
    const es = await cli(['measure', '--firmware', zeroImage, '--platform', 'sev-es', '--vcpus', '1']);
    expect([es.code, es.stderr.includes('--vcpu-type')]).toEqual([2, true]);
    const tdx = await cli(['measure', '--firmware', zeroImage, '--platform', 'tdx', '--tdx-order', 'two-pass', '--json']);
    expect(tdx.code).toBe(1); // a zero image has no TDX metadata
  });
  it('a kernel for an image that cannot carry kernel hashes is a typed error (exit 1, §2.2 step 4)', async () => {
    const r = await cli(['measure', '--firmware', zeroImage, '--vcpus', '1', '--vcpu-type', 'EPYC', '--kernel', zeroImage, '--json']);
    expect([r.code, JSON.parse(r.stdout).error.code]).toEqual([1, 'NoKernelHashesSection']);
  });
  it('reports a bad image as a typed error with exit 1 (firmware-input.md §6.3)', async () => {
    const r = await cli(['measure', '--firmware', oddImage, '--vcpus', '1', '--vcpu-type', 'EPYC', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NotMultipleOf4K');
    // A zero image has no footer table, so no SEV-ES reset block for the APs (§6.3).
    const ap = await cli(['measure', '--firmware', zeroImage, '--vcpus', '2', '--vcpu-type', 'EPYC']);
    expect(ap.code).toBe(1);
    expect(ap.stderr).toContain('NoApResetAddress');
  });
});

sharedNotice('measure-firmware');

describe.skipIf(!HAVE_SHARED)('measure --firmware on the spec fixtures', () => {
  const fw = (name: string): string => join(SHARED_VECTORS, 'firmware', name);
  const emptyFile = join(dir, 'empty');
  writeFileSync(emptyFile, new Uint8Array(0));
  const digestOf = async (args: string[]): Promise<string> => {
    const r = await cli(['measure', ...args, '--json']);
    expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
    return JSON.parse(r.stdout).platforms[0].digest;
  };
  it('other loaders, SEV, SEV-ES (cross-implementation vectors, not hardware; sources in test/firmware)', async () => {
    const amd = ['--firmware', fw('ovmf_AmdSev_suffix.bin'), '--kernel', emptyFile, '--initrd', emptyFile];
    // sev-snp-measure tests/test_guest.py test_snp_ec2_default (RDX 0x600).
    expect(await digestOf([...amd, '--vmm', 'ec2', '--vcpus', '1', '--guest-features', '0x21'])).toBe(
      '0ce9ccc06bab55eebe8abc234f3df6514883977a68a591b71052498ab52b2f1aa415db338033946ef93aa8278c0d67fb',
    );
    // sev-snp-measure test_snp_gce_with_multiple_vcpus_default.
    expect(await digestOf([...amd, '--vmm', 'gce', '--vcpus', '4'])).toBe(
      '5c5debf100fc339f90276e761ee1f1658d08922c3b20e2a2e6c7a6c3370b2452a15a00eae11886a93d6fd1e7ab81e29d',
    );
    // virtee/sev tests/measurement.rs test_sev / test_seves_with_multiple_vcpus.
    expect(await digestOf([...amd, '--platform', 'sev', '--append', 'console=ttyS0 loglevel=7'])).toBe(
      '82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff',
    );
    expect(await digestOf([...amd, '--platform', 'sev-es', '--vcpus', '4', '--vcpu-type', 'EPYC-v4'])).toBe(
      '0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91',
    );
  });
  it('TDX on the §5.5 stand-in image: single-pass e33f9524…, two-pass 849ad4d1… (not hardware)', async () => {
    const standIn = join(dir, 'tdx-stand-in.fd');
    writeFileSync(standIn, Buffer.concat([new Uint8Array(0x84000), readFileSync(fw('svsm_ovmf.fd'))]));
    expect(await digestOf(['--firmware', standIn, '--platform', 'tdx'])).toBe(
      'e33f9524ac332b8fc9e51169a45cf470c89efe090cd810699f0b6c248e9995a412891be7e5b47c3de6982be22fc58a23',
    );
    const r = await cli(['measure', '--firmware', standIn, '--platform', 'tdx', '--tdx-order', 'two-pass', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      host_parameters: { tdx_order: 'two-pass' },
      platforms: [{ platform_type: 'TDX', algorithm: 'sha384', digest: '849ad4d151fe593f40086cb5b6a476c18536bc8b5c525c37fa644f85ea40b1350399a80cca4ce7a62254d2a099ebabe2' }],
    });
  });
  it('COCONUT SVSM + OVMF reproduces the hardware-captured digests (firmware-input.md §4.3)', async () => {
    const expected: Record<string, string> = {
      2: '4ae03ca013690e956bc1eb16bc1c6465788dba64ad88a650db09216fa9cdddf06167bfce810eba8988108e71458dd68b',
      4: '265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f',
    };
    for (const vcpus of ['2', '4']) {
      const r = await cli([
        'measure', '--firmware', fw('svsm_ovmf.fd'), '--svsm', fw('svsm.bin'), '--vars-size', '540672',
        '--vmm', 'coconut-qemu-2024', '--vcpus', vcpus, '--vcpu-type', 'EPYC-v4', '--json',
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.platforms[0].digest).toBe(expected[vcpus]);
      expect(out.host_parameters).toMatchObject({ vmm: 'coconut-qemu-2024', vcpu_signature: '0x800f12', fpu: 'legacy', vars_size: 540672 });
      // Same top-level shape as for IGVM files; the SHA-256 values are the spec's fixture table.
      expect(out).toMatchObject({
        file: fw('svsm_ovmf.fd'),
        sha256: '50d1bf8676c7fb2ff6b8e50cf8fc0491534de27c12d6345a2dcefef51cbac97e',
        profile: 'coconut-qemu-2024',
        svsm: { sha256: '287fcee67b501b072e4953b5006059d088b454e9197bc318885385acb233d5d1' },
      });
    }
  });
  it('OVMF under QEMU: snp.md §1.7 e1e1ca02…, and --trace ends on the same digest after 33 steps', async () => {
    const args = ['measure', '--firmware', fw('ovmf_AmdSev_suffix.bin'), '--vcpus', '1', '--vcpu-type', '0x800f12', '--guest-features', '0x21'];
    const want = 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b';
    const text = await cli(args);
    expect([text.code, text.stdout.trim().split(/\s+/).at(-1)]).toEqual([0, want]);
    const trace = await cli([...args, '--trace']);
    const lines = trace.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(33);
    expect(lines.at(-2).digest).toBe(want);
    expect(lines.at(-1)).toMatchObject({ type: 'result', digest: want });
  });
});
