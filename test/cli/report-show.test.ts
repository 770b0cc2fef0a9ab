/**
 * `report show`: every field of an SEV-SNP report and of a TDX quote / TDREPORT, the guest
 * policy and TD attributes decoded by name, and `kind` / `encoding` as separate JSON fields.
 * Field names are those of the report and quote tables in spec/snp.md §4 and spec/tdx.md §4.1,
 * §4.2, §4.3a; policy bits from spec/snp.md §3.4 (its "Common values": 0x30000 = SMT + bit 17,
 * 0xB0000 = + DEBUG); TD attribute bits from spec/tdx.md §3 (openvmm TdAttributes, trustee
 * claims.rs: 0x10000000 = SEPT_VE_DISABLE; trustee's tdx_quote_4.dat has 0x10000001, DEBUG set,
 * which go-tdx-guest and dcap-qvl refuse as debug).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const snp = (f: string): string => join(SHARED_VECTORS, 'evidence', 'snp', f);
const tdx = (f: string): string => join(SHARED_VECTORS, 'evidence', 'tdx', f);

/** spec/snp.md §4's field names (the v2 report: no CPUID, no mitigation vectors). */
const SNP_FIELDS = [
  'VERSION', 'GUEST_SVN', 'POLICY', 'FAMILY_ID', 'IMAGE_ID', 'VMPL', 'SIGNATURE_ALGO', 'CURRENT_TCB', 'PLATFORM_INFO',
  'AUTHOR_KEY_EN', 'MASK_CHIP_KEY', 'SIGNING_KEY', 'REPORT_DATA', 'MEASUREMENT', 'HOST_DATA', 'ID_KEY_DIGEST',
  'AUTHOR_KEY_DIGEST', 'REPORT_ID', 'REPORT_ID_MA', 'REPORTED_TCB', 'CHIP_ID', 'COMMITTED_TCB', 'LAUNCH_TCB', 'SIGNATURE',
];
/** spec/tdx.md §4.2's TD report body fields. */
const TDX_BODY_FIELDS = ['TEE_TCB_SVN', 'MRSEAM', 'MRSIGNERSEAM', 'SEAMATTRIBUTES', 'TDATTRIBUTES', 'XFAM', 'MRTD', 'MRCONFIGID', 'MROWNER', 'MROWNERCONFIG', 'RTMR0', 'RTMR1', 'RTMR2', 'RTMR3', 'REPORTDATA'];
const labels = (text: string): string[] => text.split('\n').map((l) => l.split(':')[0]!.trim());

describe.skipIf(!HAVE_SHARED)('report show', () => {
  it('SEV-SNP text: every field of the report table, the policy decoded by name', async () => {
    const r = await cli(['report', 'show', snp('virtee-report_milan.hex')]);
    expect(r.code).toBe(0);
    const names = labels(r.stdout);
    for (const f of SNP_FIELDS) expect(names.some((n) => n === f || n.startsWith(`${f} `)), f).toBe(true);
    expect(r.stdout).toMatch(/^POLICY:\s+0x30000 \(ABI 0\.0; SMT\)$/m);
    // spec/snp.md §6: the measurement of virtee's Milan report; §4: v2, TCB 0x7308000000000003 = BL 3, TEE 0, SNP 8, UCODE 0x73.
    expect(r.stdout).toMatch(/^MEASUREMENT:\s+7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f$/m);
    expect(r.stdout).toMatch(/^REPORTED_TCB:\s+0x7308000000000003 \(boot loader 3, tee 0, snp 8, microcode 115\)$/m);
  });
  it('SEV-SNP JSON: kind and encoding apart; policy_decoded by name (0xB0000: SMT and DEBUG)', async () => {
    const doc = JSON.parse((await cli(['report', 'show', snp('gosevguest-attestation.bin'), '--json'])).stdout);
    expect(doc).toMatchObject({ kind: 'sev-snp-report', encoding: 'raw' });
    expect(doc.report.policy_decoded).toMatchObject({ smt: true, reserved_must_be_one: true, debug: true, migrate_ma: false, flags: ['SMT', 'DEBUG'] });
    const text = (await cli(['report', 'show', snp('gosevguest-attestation.bin')])).stdout;
    expect(text).toMatch(/^POLICY:\s+0xb0000 \(ABI 0\.0; SMT, DEBUG\)$/m);
  });
  it('TDX quote text: every body field, TD attributes decoded by name', async () => {
    const r = await cli(['report', 'show', tdx('trustee-tdx_quote_4.dat')]);
    expect(r.code).toBe(0);
    const names = labels(r.stdout);
    for (const f of TDX_BODY_FIELDS) expect(names, f).toContain(f);
    expect(r.stdout).toMatch(/^TDATTRIBUTES:\s+0x10000001 \(DEBUG, SEPT_VE_DISABLE\)$/m);
    // tdx.md §5.1: this quote's MRTD.
    expect(r.stdout).toMatch(/^MRTD:\s+705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031$/m);
  });
  it('TDX JSON: kind and encoding apart; td_attributes_decoded beside td_attributes', async () => {
    const doc = JSON.parse((await cli(['report', 'show', tdx('dcapqvl-tdx_quote'), '--json'])).stdout);
    expect(doc).toMatchObject({ kind: 'tdx-quote', encoding: 'binary' });
    expect(doc.quote.body.td_attributes_decoded).toEqual(['SEPT_VE_DISABLE']);
    const hcl = JSON.parse((await cli(['report', 'show', tdx('trustee-az-tdx-vtpm-hcl-report.bin'), '--json'])).stdout);
    expect(hcl.td_report.td_info).toHaveProperty('td_attributes_decoded');
  });
  it('report verify and compare --json: kind and encoding apart too', async () => {
    const v = JSON.parse((await cli(['report', 'verify', tdx('dcapqvl-tdx_quote'), '--json'])).stdout);
    expect(v).toMatchObject({ kind: 'tdx-quote', encoding: 'binary' });
    const c = JSON.parse((await cli(['compare', '--measurement', '00'.repeat(48), '--evidence', tdx('dcapqvl-tdx_quote'), '--json'])).stdout);
    expect(c).toMatchObject({ kind: 'tdx-quote', encoding: 'binary' });
  });
});

describe.skipIf(!HAVE_SHARED)('check lines', () => {
  it('report verify and compare print the evidence checks in the same table layout', async () => {
    const time = ['--time', '2025-06-01T00:00:00Z'];
    const checkLine = /^(ok  |FAIL|-- ) {2}\S/;
    const v = (await cli(['report', 'verify', tdx('dcapqvl-tdx_quote'), ...time])).stdout.split('\n').filter((l) => checkLine.test(l));
    const c = (await cli(['compare', '--measurement', '00'.repeat(48), '--evidence', tdx('dcapqvl-tdx_quote'), ...time])).stdout.split('\n').filter((l) => checkLine.test(l));
    expect(v.length).toBeGreaterThan(5);
    // compare adds its own mrtd check; the evidence's checks are the same lines.
    expect(c.filter((l) => !/^\S+\s+mrtd\s/.test(l))).toEqual(v);
  });
});

describe('report: usage', () => {
  it("an unknown action says which was meant (exit 2)", async () => {
    const r = await cli(['report', 'shwo', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'show'?");
  });
});
