/**
 * The Azure HCL runtime-data binding (src/evidence/hcl-binding.ts; spec/snp.md §6, §7 item 9,
 * spec/tdx.md §3, §5.2): REPORT_DATA[0..32] of the SNP report in an HCL report must be the
 * SHA-256 of the HCL runtime data, or the check `hcl-report-data` fails and the evidence is not
 * verified (exit 3 in `report verify`).
 *
 * Expected verdicts are trustee's (confidential-containers/trustee), on the same files:
 *  - deps/verifier/src/az_snp_vtpm/mod.rs `test_verify_report_data` accepts
 *    test_data/az-snp-vtpm/hcl-report.bin, and `test_verify_report_data_failure` refuses it with
 *    byte 0x6e0 incremented ("SNP report report_data mismatch", from `verify_report_data`);
 *  - az-cvm-vtpm's `HclReport::var_data_sha256` hashes the `variable_data_size` bytes after the
 *    20-byte request data, and `HclReport::new` refuses report types other than 2 and 4;
 *  - `test_verify_snp_report` verifies the same report with test_data/az-snp-vtpm/vcek.pem.
 * Before this check existed, every mutated report below verified (the runtime data is outside the
 * signed region).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvidence, verifyEvidence } from '../../src/evidence/load.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { verifySnpEvidence } from '../../src/evidence/snp-verify.js';
import { runCli } from '../../src/cli/run.js';
import type { Check } from '../../src/pki/check.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { findCheck as check } from '../helpers/checks.js';

sharedNotice('evidence/hcl-binding');
const SNP = 'evidence/snp';
const HCL = `${SNP}/trustee-az-snp-vtpm-hcl-report.bin`;
const VCEK_PEM = `${SNP}/trustee-az-snp-vtpm-vcek.pem`; // VCEK + ASK + ARK (spec/snp.md §6)
const GENOA_JSON = `${SNP}/trustee-az-snp-vtpm-evidence-genoa.json`;
/** The offset trustee's `test_verify_report_data_failure` increments: inside the runtime data (0x4D4…). */
const TRUSTEE_FLIP = 0x6e0;
/** The request-data words (openvmm `IgvmAttestRequestData`) at 0x4C0: report type +8, hash type +12, size +16. */
const REQUEST_DATA = 0x4c0;

const dir = mkdtempSync(join(tmpdir(), 'igvm-hcl-binding-'));
const temp = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

function mutated(bytes: Uint8Array, f: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = bytes.slice();
  f(b, new DataView(b.buffer, b.byteOffset, b.byteLength));
  return b;
}

async function verifyHcl(bytes: Uint8Array) {
  return verifySnpEvidence(loadSnpEvidence(bytes), { vcek: sharedBytes(VCEK_PEM) });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: () => undefined, stderrIsTty: false });
  return { code, stdout };
}

describe.skipIf(!HAVE_SHARED)('SEV-SNP in an Azure HCL report: REPORT_DATA binds the runtime data', () => {
  it('positive control: trustee hcl-report.bin verifies and names the binding as made and held', async () => {
    const r = await verifyHcl(sharedBytes(HCL));
    expect(check(r.checks, 'hcl-report-data').ok).toBe(true);
    expect(r.verified).toBe(true);
  });

  it("trustee's test_verify_report_data_failure: byte 0x6e0 + 1 fails hcl-report-data, the signature still holds", async () => {
    const r = await verifyHcl(mutated(sharedBytes(HCL), (b) => void (b[TRUSTEE_FLIP] = (b[TRUSTEE_FLIP]! + 1) & 0xff)));
    expect(check(r.checks, 'hcl-report-data').ok).toBe(false);
    // Only the binding catches it: the runtime data lies outside the signed SNP report.
    expect(check(r.checks, 'report-signature').ok).toBe(true);
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['hcl-report-data']);
    expect(r.verified).toBe(false);
  });

  it('any one flipped runtime-data byte fails it (first, middle, last)', async () => {
    const bytes = sharedBytes(HCL);
    const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(REQUEST_DATA + 16, true);
    for (const at of [0x4d4, 0x4d4 + (size >> 1), 0x4d4 + size - 1]) {
      const r = await verifyHcl(mutated(bytes, (b) => void (b[at] = b[at]! ^ 0x01)));
      expect(check(r.checks, 'hcl-report-data').ok, `byte 0x${at.toString(16)}`).toBe(false);
      expect(r.verified).toBe(false);
    }
  });

  it('a shorter runtime-data size (dropping the last claim byte from the hash) fails it', async () => {
    const r = await verifyHcl(mutated(sharedBytes(HCL), (b, v) => v.setUint32(REQUEST_DATA + 16, v.getUint32(REQUEST_DATA + 16, true) - 1, true)));
    expect(check(r.checks, 'hcl-report-data').ok).toBe(false);
  });

  it('a hash type other than SHA-256, or a report type other than SNP (2), fails it (az-cvm-vtpm implements SHA-256 only)', async () => {
    for (const [at, value] of [[REQUEST_DATA + 12, 2], [REQUEST_DATA + 12, 0], [REQUEST_DATA + 8, 0], [REQUEST_DATA + 8, 3]] as const) {
      const r = await verifyHcl(mutated(sharedBytes(HCL), (_, v) => v.setUint32(at, value, true)));
      expect(check(r.checks, 'hcl-report-data').ok, `word 0x${at.toString(16)} = ${value}`).toBe(false);
      expect(r.verified).toBe(false);
    }
  });

  it('an HCL report cut before its runtime data fails it (HclReport::new cannot read it); one cut inside it is Truncated', async () => {
    const cut = await verifyHcl(sharedBytes(HCL).slice(0, 0x20 + 1184));
    expect(check(cut.checks, 'hcl-report-data').ok).toBe(false);
    expect(cut.verified).toBe(false);
    expect(() => loadSnpEvidence(sharedBytes(HCL).slice(0, 0x4d4 + 10))).toThrowError(expect.objectContaining({ code: 'Truncated', offset: REQUEST_DATA + 16 }));
  });

  it('the same holds for hex text of the HCL report', async () => {
    const flipped = mutated(sharedBytes(HCL), (b) => void (b[TRUSTEE_FLIP] = (b[TRUSTEE_FLIP]! + 1) & 0xff));
    const ok = await verifyHcl(new TextEncoder().encode(Buffer.from(sharedBytes(HCL)).toString('hex')));
    const bad = await verifyHcl(new TextEncoder().encode(Buffer.from(flipped).toString('hex')));
    expect(check(ok.checks, 'hcl-report-data').ok).toBe(true);
    expect(check(bad.checks, 'hcl-report-data').ok).toBe(false);
  });

  it("trustee's v0 JSON (evidence-genoa.json, HCL report as a byte array): control verifies, a runtime byte flipped fails", async () => {
    const chain = new Uint8Array(Buffer.concat([sharedBytes(`${SNP}/genoa-ask.pem`), sharedBytes(`${SNP}/genoa-ark.pem`)]));
    const doc = JSON.parse(new TextDecoder().decode(sharedBytes(GENOA_JSON))) as { report: number[] };
    const good = await verifySnpEvidence(loadSnpEvidence(sharedBytes(GENOA_JSON)), { chain });
    expect(check(good.checks, 'hcl-report-data').ok).toBe(true);
    expect(good.verified).toBe(true);
    doc.report[TRUSTEE_FLIP] = (doc.report[TRUSTEE_FLIP]! + 1) & 0xff;
    const bad = await verifySnpEvidence(loadSnpEvidence(new TextEncoder().encode(JSON.stringify(doc))), { chain });
    expect(check(bad.checks, 'hcl-report-data').ok).toBe(false);
    expect(bad.verified).toBe(false);
  });

  it('loadEvidence / verifyEvidence (the CLI path) report it too', async () => {
    const flipped = mutated(sharedBytes(HCL), (b) => void (b[TRUSTEE_FLIP] = (b[TRUSTEE_FLIP]! + 1) & 0xff));
    const r = await verifyEvidence(loadEvidence(flipped), { vcek: sharedBytes(VCEK_PEM) });
    expect(r.verified).toBe(false);
    expect(check(r.checks, 'hcl-report-data').ok).toBe(false);
  });

  it('report verify: exit 0 on the sample, exit 3 naming hcl-report-data with one runtime byte changed', async () => {
    const vcek = join(SHARED_VECTORS, VCEK_PEM);
    const good = await cli(['report', 'verify', join(SHARED_VECTORS, HCL), '--vcek', vcek, '--json']);
    expect(good.code, good.stdout).toBe(0);
    const flipped = mutated(sharedBytes(HCL), (b) => void (b[TRUSTEE_FLIP] = (b[TRUSTEE_FLIP]! + 1) & 0xff));
    const bad = await cli(['report', 'verify', temp('flipped-hcl.bin', flipped), '--vcek', vcek, '--json']);
    expect(bad.code).toBe(3);
    const failed = (JSON.parse(bad.stdout).checks as Check[]).filter((c) => c.ok === false).map((c) => c.name);
    expect(failed).toEqual(['hcl-report-data']);
  });
});

describe('reports that did not come in an HCL report get no binding check', () => {
  it.skipIf(!HAVE_SHARED)('a raw report', async () => {
    const r = await verifySnpEvidence(loadSnpEvidence(sharedBytes(`${SNP}/trustee-snp-test-report.bin`)), {
      vcek: sharedBytes(`${SNP}/trustee-snp-test-vcek.der`),
      chain: sharedBytes(`${SNP}/virtee-cert_chain_milan`),
    });
    expect(r.checks.some((c) => c.name === 'hcl-report-data')).toBe(false);
    expect(r.verified).toBe(true);
  });
});
