/**
 * `compare --firmware F --evidence EVIDENCE …` (spec/firmware-input.md §6.3): the firmware's measurement under the
 * given host parameters against the evidence, and on a mismatch the search of
 * firmware-input.md §6.3 naming the setting that reproduces the reported value.
 *
 * No real report carries the spec's firmware digests, and compare takes the hardware value
 * from evidence only, so the SEV-SNP evidence here is a report assembled from spec/snp.md §4
 * (0x4A0 bytes, VERSION 2 at 0x000, MEASUREMENT at 0x090) and the TDX evidence a real quote
 * (dcap-qvl, MRTD from tdx.md §5.1) with its MRTD replaced. Neither is signed, so both fail
 * verification (exit 3); the measurement check and the search are what is tested. Real,
 * verifying evidence (spec/snp.md §6, tdx.md §5.1) is used where no setting can match.
 *
 * Expected values from the spec only:
 * - COCONUT SVSM + OVMF, hardware-captured (firmware-input.md §4.3): 4 vCPUs 265aed64…
 *   (EPYC-v4, vars 540672, legacy FPU);
 * - OVMF under QEMU, snp.md §1.7: e1e1ca02… (ovmf_AmdSev_suffix.bin, 1 vCPU, EPYC-v4,
 *   SEV_FEATURES 0x21, INIT2, no kernel);
 * - TDX on the §5.5 stand-in image: two-pass 849ad4d1….
 * Usage errors run without ../shared.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-compare-fw-'));
const temp = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** An unsigned SEV-SNP report (spec/snp.md §4): VERSION 2 at 0x000, MEASUREMENT at 0x090. */
function snpReport(name: string, measurementHex: string): string {
  const b = new Uint8Array(0x4a0);
  new DataView(b.buffer).setUint32(0, 2, true);
  b.set(Buffer.from(measurementHex, 'hex'), 0x90);
  return temp(name, b);
}

interface CheckJson {
  name: string;
  ok: boolean | null;
  detail: string;
}
const check = (stdout: string, name: string): CheckJson => (JSON.parse(stdout).checks as CheckJson[]).find((c) => c.name === name)!;

const zeroImage = temp('zero.fd', new Uint8Array(0x2000));
const zeroReport = snpReport('zero-report.bin', '00'.repeat(48));

describe('compare --firmware: usage (no fixtures)', () => {
  it('refuses SEV and SEV-ES, which have no evidence here, before reading anything (exit 2)', async () => {
    for (const p of ['sev', 'sev-es']) {
      const r = await cli(['compare', '--evidence', join(dir, 'missing'), '--firmware', join(dir, 'missing.fd'), '--platform', p]);
      expect([p, r.code]).toEqual([p, 2]);
      expect(r.stderr).toContain('no evidence');
    }
  });

  it('refuses options that do not fit firmware mode, and firmware options without --firmware (exit 2)', async () => {
    const base = ['compare', '--evidence', zeroReport];
    for (const args of [
      ['--firmware', zeroImage, '--measurement', '00'],
      [zeroImage, '--firmware', zeroImage],
      ['--firmware', zeroImage, '--profile', 'qemu'],
      ['--firmware', zeroImage, '--platform', 'cca'],
      ['--firmware', zeroImage, '--platform', 'tdx', '--tdx-order', 'single'], // an SEV-SNP report has no MRTD
      ['--firmware', zeroImage, '--vcpus', '1', '--vcpu-type', 'EPYC', '--fpu', 'x87'],
      ['--measurement', '00', '--vcpus', '1'],
      ['--measurement', '00', '--svsm', zeroImage],
    ]) {
      const r = await cli([...base, ...args]);
      expect([args, r.code]).toEqual([args, 2]);
    }
  });

  it('still needs the host parameters that have no safe default, as measure --firmware does', async () => {
    const r = await cli(['compare', '--evidence', zeroReport, '--firmware', zeroImage, '--vcpus', '1']);
    expect([r.code, r.stderr.includes('--vcpu-type')]).toEqual([2, true]);
    const s = await cli(['compare', '--evidence', zeroReport, '--firmware', zeroImage, '--vmm', 'coconut-qemu-2024', '--vcpus', '1', '--vcpu-type', 'EPYC']);
    expect([s.code, s.stderr.includes('--svsm and --vars-size')]).toEqual([2, true]);
  });

  it('--help explains the firmware mode and its search axes', async () => {
    const h = await cli(['compare', '--help']);
    expect(h.code).toBe(0);
    for (const s of ['--firmware F', 'SEV_FEATURES 0x1 and 0x21', 'FPU init2 and', '1-64 vCPUs', '0xffffffffff000', 'two-pass', '--svsm F', '--tdx-order O']) {
      expect(h.stdout).toContain(s);
    }
  });

  it('no setting reproduces the value: the detail says so and how much was searched (exit 3)', async () => {
    // The zero image has no AP reset address, so the sweep is 1 vCPU × 2 SEV_FEATURES × 2 FPU styles.
    const r = await cli(['compare', '--evidence', zeroReport, '--firmware', zeroImage, '--vcpus', '1', '--vcpu-type', 'EPYC', '--json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ file: null, firmware: { file: zeroImage }, host_parameters: { vmm: 'qemu', vcpus: 1 }, match: false });
    expect(out.search).toEqual({ tried: 4, axes: { max_vcpus: 1, sev_features: ['0x1', '0x21'], fpu: ['init2', 'legacy'], vmsa_gpa: ['0xfffffffff000'] }, matches: [], best_match: null });
    expect(check(r.stdout, 'measurement')).toMatchObject({ ok: false });
    expect(check(r.stdout, 'measurement').detail).toContain('none of 4 firmware settings (SEV_FEATURES 0x1/0x21, FPU init2/legacy, 1 vCPU) reproduces it');
  });
});

sharedNotice('compare --firmware');

describe.skipIf(!HAVE_SHARED)('compare --firmware on the spec fixtures', () => {
  const fw = (name: string): string => join(SHARED_VECTORS, 'firmware', name);
  const svsmArgs = ['--firmware', fw('svsm_ovmf.fd'), '--svsm', fw('svsm.bin'), '--vars-size', '540672', '--vmm', 'coconut-qemu-2024', '--vcpu-type', 'EPYC-v4'];
  const HW_4VCPU = '265aed64f2454253f6b19e49e17041ef052dedf964dd8d2740794a06aee3a720c475e3643a1b7e26b9efce7a107bf77f';

  it('COCONUT SVSM + OVMF: from 1 vCPU and INIT2, the hardware 4-vCPU digest is --vcpus 4 --fpu legacy (§4.3)', async () => {
    const report = snpReport('svsm-4.bin', HW_4VCPU);
    const r = await cli(['compare', '--evidence', report, ...svsmArgs, '--vcpus', '1', '--fpu', 'init2', '--json']);
    expect(r.code).toBe(3); // a mismatch (and the assembled report is not signed)
    const out = JSON.parse(r.stdout);
    expect(out.verified).toBe(false);
    expect(out.search).toMatchObject({ tried: 128, matches: [{ vcpus: 4, fpu: 'legacy' }] });
    const m = check(r.stdout, 'measurement');
    expect(m.ok).toBe(false);
    expect(m.detail).toContain(`reported ${HW_4VCPU}`);
    expect(m.detail).toContain('the reported value matches --vcpus 4 --fpu legacy');
    const text = await cli(['compare', '--evidence', report, ...svsmArgs, '--vcpus', '1', '--fpu', 'init2']);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('vs firmware');
    expect(text.stdout).toContain('the reported value matches --vcpus 4 --fpu legacy');
    // With the right parameters the measurement check passes and nothing is searched.
    const right = await cli(['compare', '--evidence', report, ...svsmArgs, '--vcpus', '4', '--json']);
    expect(check(right.stdout, 'measurement')).toMatchObject({ ok: true });
    expect(JSON.parse(right.stdout).search).toBeNull();
  });

  it('OVMF under QEMU: from SEV_FEATURES 0x1, e1e1ca02… (snp.md §1.7) is --guest-features 0x21', async () => {
    const report = snpReport('ovmf-e1e1.bin', 'e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b');
    const r = await cli(['compare', '--evidence', report, '--firmware', fw('ovmf_AmdSev_suffix.bin'), '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--json']);
    expect(JSON.parse(r.stdout).search.matches).toEqual([{ vcpus: 1, sev_features: '0x21', fpu: 'init2', vmsa_gpa: '0xfffffffff000' }]);
    expect(check(r.stdout, 'measurement').detail).toContain('the reported value matches --vcpus 1 --guest-features 0x21 --fpu init2');
  });

  it('TDX: the platform follows the evidence; from single, the §5.5 two-pass MRTD is --tdx-order two-pass', async () => {
    const standIn = temp('tdx-stand-in.fd', Buffer.concat([new Uint8Array(0x84000), readFileSync(fw('svsm_ovmf.fd'))]));
    // dcap-qvl's quote with its MRTD (tdx.md §5.1) replaced by the two-pass value.
    const quote = Buffer.from(sharedBytes('evidence/tdx/dcapqvl-tdx_quote'));
    const at = quote.indexOf(Buffer.from('91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7', 'hex'));
    expect(at).toBeGreaterThan(0);
    Buffer.from('849ad4d151fe593f40086cb5b6a476c18536bc8b5c525c37fa644f85ea40b1350399a80cca4ce7a62254d2a099ebabe2', 'hex').copy(quote, at);
    const r = await cli(['compare', '--evidence', temp('two-pass-quote.bin', quote), '--firmware', standIn, '--json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.host_parameters).toEqual({ tdx_order: 'single' });
    expect(out.search).toEqual({ tried: 2, axes: { tdx_order: ['single', 'two-pass'] }, matches: [{ tdx_order: 'two-pass' }], best_match: { tdx_order: 'two-pass' } });
    expect(check(r.stdout, 'mrtd').detail).toContain('the reported value matches --tdx-order two-pass');
    // An SEV-SNP platform for a TDX quote is a usage error.
    expect((await cli(['compare', '--evidence', temp('q.bin', quote), '--firmware', standIn, '--platform', 'snp'])).code).toBe(2);
  });

  it('real, verifying evidence that no firmware setting reproduces: MISMATCH, said clearly, exit 3', async () => {
    // spec/snp.md §6: trustee's test report verifies with its VCEK and the Milan chain.
    const E = join(SHARED_VECTORS, 'evidence');
    const r = await cli([
      'compare', '--evidence', join(E, 'snp', 'trustee-snp-test-report.bin'),
      '--vcek', join(E, 'snp', 'trustee-snp-test-vcek.der'), '--chain', join(E, 'snp', 'virtee-cert_chain_milan'),
      ...svsmArgs, '--vcpus', '2',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(': MISMATCH');
    expect(r.stdout).toContain('none of 128 firmware settings (FPU init2/legacy, 1–64 vCPUs) reproduces it');
    // tdx.md §5.1: a verifying quote against the stand-in image; only the ordering is searched.
    // The quote's TD is a debug TD (TD_ATTRIBUTES bit 0), refused unless --allow-debug.
    const t = await cli(['compare', '--evidence', join(E, 'tdx', 'trustee-tdx_quote_4.dat'), '--time', '2026-06-01T00:00:00Z', '--allow-debug', '--firmware', temp('stand-in-2.fd', Buffer.concat([new Uint8Array(0x84000), readFileSync(fw('svsm_ovmf.fd'))])), '--json']);
    expect(t.code).toBe(3);
    expect(JSON.parse(t.stdout)).toMatchObject({ verified: true, match: false, search: { tried: 2, matches: [] } });
    expect(check(t.stdout, 'mrtd').detail).toContain('none of 2 firmware settings (TDX order single/two-pass) reproduces it');
  });
});
