/**
 * `measure --firmware` (issue 7 "Command"). Expected digests from the spec only:
 * firmware-input.md §4.3 (the two hardware-captured COCONUT SVSM + OVMF digests) and snp.md §1.7
 * (`e1e1ca02…` for ovmf_AmdSev_suffix.bin, QEMU, 1 vCPU, EPYC-v4, SEV_FEATURES 0x21, INIT2).
 * Usage and image errors run without ../shared.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  it('refuses what is not built yet, and firmware options without --firmware (exit 2)', async () => {
    for (const args of [
      ['--vmm', 'ec2'],
      ['--platform', 'tdx'],
      ['--kernel', zeroImage],
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
