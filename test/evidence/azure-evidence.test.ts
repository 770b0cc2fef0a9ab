/**
 * Evidence formats other verifiers read (src/evidence/azure-evidence.ts, snp-input.ts,
 * tdx-input.ts): base64 SEV-SNP reports, trustee's Azure SEV-SNP evidence JSON v1/v2 and its
 * Azure TDX evidence JSON v0/v1.
 *
 * The JSON documents are built here, from the real HCL reports, quote and VCEK of the shared
 * vectors, following trustee's structs (confidential-containers/trustee):
 *  - deps/verifier/src/az_snp_vtpm/compat.rs `EvidenceV1` / `EvidenceV2`: `version` (exactly 1 /
 *    exactly 2: `VersionCheck`), `tpm_quote` ({signature, message, pcrs} in hex), `hcl_report` and
 *    `vcek` (the DER, read with `X509::from_der`) as serde_with `Base64<UrlSafe>`;
 *  - deps/verifier/src/az_tdx_vtpm/compat.rs `EvidenceV1` (`version`, `tpm_quote`, `hcl_report`
 *    and `td_quote` in base64url) and `EvidenceV0` (no version; byte arrays).
 * The TPM quote is not read by this project; the documents carry a placeholder.
 *
 * Expected verdicts: trustee's az_snp_vtpm `test_verify_snp_report` verifies hcl-report.bin with
 * vcek.pem (Milan chain), and its `test_evaluate` accepts the v1 document of that struct;
 * az_tdx_vtpm `test_verify_hcl_var_data` accepts td-quote.bin with hcl-report.bin and
 * `test_verify_hcl_var_data_failure` refuses it with HCL byte 0x880 incremented ("TDX Quote report
 * data mismatch"); the quotes verify to Intel's root (spec/tdx.md §5). A base64 report is the
 * same bytes as the raw file, whose verdict go-sev-guest pins (verify/testdata/attestation.bin
 * with vcek.testcer; spec/snp.md §6).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { decodeBase64Url, readTrusteeAzureEvidence } from '../../src/evidence/azure-evidence.js';
import { loadEvidence, verifyEvidence } from '../../src/evidence/load.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { verifySnpEvidence } from '../../src/evidence/snp-verify.js';
import { verifyTdxEvidence } from '../../src/evidence/tdx-verify.js';
import { pemCertificates } from '../../src/pki/pem.js';
import type { Check } from '../../src/pki/check.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { findCheck as check, evidenceErrorOf as errorOf } from '../helpers/checks.js';

sharedNotice('evidence/azure-evidence');
const SNP = 'evidence/snp';
const TDX = 'evidence/tdx';
const NOW = new Date('2026-06-01T00:00:00Z'); // the newest sample PCK certificate is valid from 2026-01-27
const enc = new TextEncoder();
const b64url = (b: Uint8Array, padded = false): string => {
  const s = Buffer.from(b).toString('base64url');
  return padded ? s + '='.repeat((4 - (s.length % 4)) % 4) : s;
};
/** Placeholder for the vTPM quote (compat.rs `TpmQuote`: hex fields), which is not read here. */
const TPM_QUOTE = { signature: '00', message: '00', pcrs: ['00'.repeat(32)] };

const dir = mkdtempSync(join(tmpdir(), 'igvm-azure-evidence-'));
const temp = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: () => undefined, stderrIsTty: false });
  return { code, stdout };
}

const failedChecks = (stdout: string): string[] => (JSON.parse(stdout).checks as Check[]).filter((c) => c.ok === false).map((c) => c.name);
const milanChain = (): Uint8Array => new Uint8Array(Buffer.concat([sharedBytes(`${SNP}/milan-ask.pem`), sharedBytes(`${SNP}/milan-ark.pem`)]));
/** The VCEK alone: the first certificate of trustee's vcek.pem (VCEK + ASK + ARK). */
const azureVcekDer = (): Uint8Array => pemCertificates(new TextDecoder().decode(sharedBytes(`${SNP}/trustee-az-snp-vtpm-vcek.pem`)))[0]!;
const snpHcl = (): Uint8Array => sharedBytes(`${SNP}/trustee-az-snp-vtpm-hcl-report.bin`);
const tdxHcl = (): Uint8Array => sharedBytes(`${TDX}/trustee-az-tdx-vtpm-hcl-report.bin`);
const tdQuote = (): Uint8Array => sharedBytes(`${TDX}/trustee-az-tdx-vtpm-td-quote.bin`);
const bump = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at] = (c[at]! + 1) & 0xff;
  return c;
};

/** trustee az_snp_vtpm `EvidenceV1`/`EvidenceV2` (v1 padded base64url as trustee's sample, v2 unpadded). */
function snpDoc(version: number, hcl: Uint8Array, vcek: Uint8Array): string {
  return JSON.stringify({ version, tpm_quote: TPM_QUOTE, hcl_report: b64url(hcl, version === 1), vcek: b64url(vcek, version === 1) }, null, 2);
}
/** trustee az_tdx_vtpm `EvidenceV1` (base64url) or `EvidenceV0` (byte arrays, no version). */
function tdxDoc(version: 0 | 1, hcl: Uint8Array, quote: Uint8Array): string {
  return version === 1
    ? JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(hcl, true), td_quote: b64url(quote, true) })
    : JSON.stringify({ tpm_quote: { signature: [0], message: [0], pcrs: [] }, hcl_report: Array.from(hcl), td_quote: Array.from(quote) });
}

describe('decodeBase64Url (RFC 4648 §5, as serde_with Base64<UrlSafe>)', () => {
  it('decodes padded and unpadded text and refuses the standard alphabet, whitespace and bad lengths', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64Url(Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
    expect(decodeBase64Url(b64url(bytes.subarray(0, 254), true))).toEqual(bytes.subarray(0, 254));
    expect(decodeBase64Url('-_8')).toEqual(Uint8Array.of(0xfb, 0xff));
    expect(decodeBase64Url('+/8=')).toBeNull();
    expect(decodeBase64Url('ab cd')).toBeNull();
    expect(decodeBase64Url('abcde')).toBeNull();
    expect(decodeBase64Url('ab=c')).toBeNull();
    expect(decodeBase64Url('abc==')).toBeNull();
  });

  it('readTrusteeAzureEvidence leaves other JSON alone', () => {
    for (const v of [null, [], 'x', {}, { report: [1] }, { hcl_report: 'SENMQQ' }, { hcl_report: 'SENMQQ', vcek: 'AA' }]) {
      expect(readTrusteeAzureEvidence(v)).toBeNull();
    }
  });
});

describe.skipIf(!HAVE_SHARED)('base64 SEV-SNP reports', () => {
  const raw = (): Uint8Array => sharedBytes(`${SNP}/gosevguest-attestation.bin`);
  // One verification time for every run, so that the validity checks' details compare equal.
  const opts = () => ({ vcek: sharedBytes(`${SNP}/gosevguest-vcek.testcer`), chain: milanChain(), now: new Date('2025-06-01T00:00:00Z') });

  it('one line, 64- and 76-column lines with LF or CRLF, and base64url: the same report as the raw file, verified', async () => {
    const b64 = Buffer.from(raw()).toString('base64');
    const wrap = (n: number, eol: string): string => b64.match(new RegExp(`.{1,${n}}`, 'g'))!.join(eol) + eol;
    const rawVerdict = await verifySnpEvidence(loadSnpEvidence(raw()), opts());
    expect(rawVerdict.verified).toBe(true);
    for (const text of [b64, wrap(64, '\n'), wrap(76, '\r\n'), Buffer.from(raw()).toString('base64url')]) {
      const ev = loadSnpEvidence(enc.encode(text));
      expect(ev.encoding).toBe('base64');
      expect(ev.report.raw).toEqual(raw());
      const r = await verifySnpEvidence(ev, opts());
      expect(r.verified).toBe(true);
      expect(r.checks).toEqual(rawVerdict.checks);
    }
  });

  it('base64 of an Azure HCL report: the HCL report is read and bound', async () => {
    const ev = loadSnpEvidence(enc.encode(Buffer.from(snpHcl()).toString('base64')));
    expect(ev.encoding).toBe('base64');
    expect(ev.hcl).toBeDefined();
    const r = await verifySnpEvidence(ev, { vcek: sharedBytes(`${SNP}/trustee-az-snp-vtpm-vcek.pem`) });
    expect(check(r.checks, 'hcl-report-data').ok).toBe(true);
    expect(r.verified).toBe(true);
  });

  it('report verify: exit 0; a bit flipped in the signed region exits 3 naming report-signature', async () => {
    // go-sev-guest's attestation.bin has POLICY 0xB0000 (DEBUG set), which go-sev-guest's
    // validatePolicy refuses by default: this test is about reading base64, so debug is allowed.
    const args = ['--vcek', join(SHARED_VECTORS, SNP, 'gosevguest-vcek.testcer'), '--chain', temp('milan.pem', milanChain()), '--allow-debug', '--json'];
    const good = await cli(['report', 'verify', temp('report.b64', Buffer.from(raw()).toString('base64')), ...args]);
    expect(good.code, good.stdout).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ kind: 'sev-snp-report', encoding: 'base64' });
    const flipped = raw().slice();
    flipped[0x90] = flipped[0x90]! ^ 1; // MEASUREMENT (spec/snp.md §4), signed
    const bad = await cli(['report', 'verify', temp('flipped.b64', Buffer.from(flipped).toString('base64')), ...args]);
    expect(bad.code).toBe(3);
    expect(failedChecks(bad.stdout)).toContain('report-signature');
  });

  it('a short report is Truncated; text in no known encoding is UnknownEvidence', () => {
    expect(errorOf(() => loadSnpEvidence(enc.encode(Buffer.from(raw().subarray(0, 1183)).toString('base64')))).code).toBe('Truncated');
    expect(errorOf(() => loadSnpEvidence(enc.encode('not @ base64!'))).code).toBe('UnknownEvidence');
  });
});

describe.skipIf(!HAVE_SHARED)("trustee's Azure SEV-SNP evidence JSON v1 and v2", () => {
  for (const version of [1, 2]) {
    it(`v${version}: the HCL report's SNP report and the vcek field as the VCEK; verified with the Milan chain`, async () => {
      const ev = loadSnpEvidence(enc.encode(snpDoc(version, snpHcl(), azureVcekDer())));
      expect(ev.encoding).toBe('trustee-azure-json');
      expect(ev.report.raw).toEqual(snpHcl().subarray(0x20, 0x20 + 1184));
      expect(ev.certificates.vcek).toEqual(azureVcekDer());
      expect(ev.hcl?.runtimeDataHeader?.reportType).toBe(2);
      const r = await verifySnpEvidence(ev, { chain: milanChain() });
      expect(check(r.checks, 'vcek-available').detail).toContain('the evidence');
      expect(check(r.checks, 'hcl-report-data').ok).toBe(true);
      expect(r.verified).toBe(true);
    });
  }

  it('v2 with a runtime-data byte changed (trustee test_verify_report_data_failure, 0x6e0): hcl-report-data fails', async () => {
    const r = await verifySnpEvidence(loadSnpEvidence(enc.encode(snpDoc(2, bump(snpHcl(), 0x6e0), azureVcekDer()))), { chain: milanChain() });
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['hcl-report-data']);
    expect(r.verified).toBe(false);
  });

  it('a vcek field holding PEM text is read too', () => {
    const pem = sharedBytes(`${SNP}/trustee-az-snp-vtpm-vcek.pem`);
    const ev = loadSnpEvidence(enc.encode(snpDoc(1, snpHcl(), pem)));
    expect(ev.certificates.vcek).toEqual(azureVcekDer());
  });

  it('loadEvidence finds SEV-SNP; the TDX loader refuses it as UnknownEvidence', () => {
    const doc = enc.encode(snpDoc(1, snpHcl(), azureVcekDer()));
    expect(loadEvidence(doc).platform).toBe('SEV_SNP');
    expect(errorOf(() => loadTdxEvidence(doc)).code).toBe('UnknownEvidence');
  });

  it('refuses what trustee refuses: other versions, the standard alphabet, no HCLA magic, an unreadable VCEK', () => {
    const hcl = snpHcl();
    const vcek = azureVcekDer();
    expect(errorOf(() => loadSnpEvidence(enc.encode(snpDoc(3, hcl, vcek)))).code).toBe('UnsupportedVersion');
    expect(errorOf(() => loadSnpEvidence(enc.encode(snpDoc(0, hcl, vcek)))).code).toBe('UnsupportedVersion');
    const std = Buffer.from(hcl).toString('base64');
    expect(/[+/]/.test(std)).toBe(true);
    const doc = (o: Record<string, unknown>): Uint8Array => enc.encode(JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(hcl), vcek: b64url(vcek), ...o }));
    expect(errorOf(() => loadSnpEvidence(doc({ hcl_report: std }))).code).toBe('BadField');
    expect(errorOf(() => loadSnpEvidence(doc({ version: '1' }))).code).toBe('BadField');
    expect(errorOf(() => loadSnpEvidence(doc({ hcl_report: b64url(hcl.subarray(0x20)) }))).code).toBe('BadField');
    // The TDX HCL report where the SNP one must be (az-cvm-vtpm: `TryFrom<HclReport> for SnpReport` refuses ReportType::Tdx).
    expect(errorOf(() => loadEvidence(doc({ hcl_report: b64url(tdxHcl()) }))).code).toBe('BadField');
    expect(errorOf(() => loadSnpEvidence(doc({ vcek: b64url(enc.encode('not a certificate')) }))).code).toBe('BadCertificate');
    expect(errorOf(() => loadSnpEvidence(doc({ vcek: 7 }))).code).toBe('BadField');
  });

  it('report verify: exit 0; one runtime byte changed exits 3 naming hcl-report-data', async () => {
    const chain = temp('milan-chain.pem', milanChain());
    const good = await cli(['report', 'verify', temp('v1.json', snpDoc(1, snpHcl(), azureVcekDer())), '--chain', chain, '--json']);
    expect(good.code, good.stdout).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ kind: 'sev-snp-report', encoding: 'trustee-azure-json' });
    const bad = await cli(['report', 'verify', temp('v2-bad.json', snpDoc(2, bump(snpHcl(), 0x6e0), azureVcekDer())), '--chain', chain, '--json']);
    expect(bad.code).toBe(3);
    expect(failedChecks(bad.stdout)).toEqual(['hcl-report-data']);
  });
});

describe.skipIf(!HAVE_SHARED)("trustee's Azure TDX evidence JSON (td_quote + hcl_report)", () => {
  for (const version of [1, 0] as const) {
    it(`v${version}: the quote is verified and its REPORTDATA binds the HCL runtime data in the same run`, async () => {
      const ev = loadTdxEvidence(enc.encode(tdxDoc(version, tdxHcl(), tdQuote())));
      expect(ev).toMatchObject({ encoding: 'trustee-azure-json', kind: 'quote' });
      expect(ev.quote?.body.mrTd).toEqual(loadTdxEvidence(tdQuote()).quote?.body.mrTd);
      const r = await verifyTdxEvidence(ev, { now: NOW });
      expect(check(r.checks, 'quote-signature').ok).toBe(true);
      expect(check(r.checks, 'hcl-report-data').ok).toBe(true);
      expect(r.verified).toBe(true);
    });
  }

  it("HCL byte 0x880 incremented (trustee test_verify_hcl_var_data_failure): the quote verifies, hcl-report-data fails", async () => {
    const r = await verifyTdxEvidence(loadTdxEvidence(enc.encode(tdxDoc(1, bump(tdxHcl(), 0x880), tdQuote()))), { now: NOW });
    expect(check(r.checks, 'quote-signature').ok).toBe(true);
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['hcl-report-data']);
    expect(r.verified).toBe(false);
  });

  it('another quote with this HCL report (REPORTDATA not its runtime data) fails hcl-report-data', async () => {
    const other = sharedBytes(`${TDX}/trustee-tdx_quote_5.dat`);
    const r = await verifyTdxEvidence(loadTdxEvidence(enc.encode(tdxDoc(1, tdxHcl(), other))), { now: NOW });
    expect(check(r.checks, 'hcl-report-data').ok).toBe(false);
    expect(r.verified).toBe(false);
  });

  it('loadEvidence finds TDX; the SEV-SNP loader refuses it as UnknownEvidence; wrong contents are the TDX reader\'s errors', () => {
    const doc = enc.encode(tdxDoc(1, tdxHcl(), tdQuote()));
    expect(loadEvidence(doc).platform).toBe('TDX');
    expect(errorOf(() => loadSnpEvidence(doc)).code).toBe('UnknownEvidence');
    // An SNP report where the quote must be; an SNP HCL report where the TDX one must be.
    const notQuote = errorOf(() => loadEvidence(enc.encode(tdxDoc(1, tdxHcl(), sharedBytes(`${SNP}/trustee-snp-test-report.bin`)))));
    expect(notQuote.code).not.toBe('UnknownEvidence');
    expect(notQuote.message).toContain('$.td_quote');
    expect(errorOf(() => loadEvidence(enc.encode(tdxDoc(1, snpHcl(), tdQuote())))).code).not.toBe('UnknownEvidence');
  });

  it('report verify: exit 0; with HCL byte 0x880 changed, exit 3 naming hcl-report-data', async () => {
    // trustee's Azure td-quote.bin has SEPT_VE_DISABLE (TD_ATTRIBUTES bit 28) clear, which
    // dcap-qvl's validate_attrs refuses by default: this test is about the JSON and the binding.
    const time = ['--time', NOW.toISOString(), '--allow-sept-ve'];
    const good = await cli(['report', 'verify', temp('tdx-v1.json', tdxDoc(1, tdxHcl(), tdQuote())), ...time, '--json']);
    expect(good.code, good.stdout).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ kind: 'tdx-quote', encoding: 'trustee-azure-json' });
    const bad = await cli(['report', 'verify', temp('tdx-bad.json', tdxDoc(0, bump(tdxHcl(), 0x880), tdQuote())), ...time, '--json']);
    expect(bad.code).toBe(3);
    expect(failedChecks(bad.stdout)).toEqual(['hcl-report-data']);
  });

  it('verifyEvidence (the CLI path) passes the binding through', async () => {
    const r = await verifyEvidence(loadEvidence(enc.encode(tdxDoc(1, bump(tdxHcl(), 0x880), tdQuote()))), { now: NOW });
    expect(check(r.checks, 'hcl-report-data').ok).toBe(false);
    expect(r.verified).toBe(false);
  });
});
