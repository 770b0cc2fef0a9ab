/**
 * TDX collateral that fails closed (src/evidence/tdx-collateral-checks.ts, tdx-crl.ts, tdx-tcb.ts):
 * collateral issued after the verification time, collateral without its CRLs, and the accepted
 * TCB statuses, on dcap-qvl's sample quote and its own collateral (vectors/SOURCES.md), copied
 * and mutated in memory. Each refusal cites the verifier whose decision it follows; next to each
 * refusal the same evidence, unmodified and at a time inside its window, still verifies.
 *
 * The collateral's dates (read from the file, they are inputs, not expectations): root CA CRL
 * issued 2025-03-20T11:21:57Z; PCK CRL 2025-06-19T10:00:35Z; TCB info 2025-06-19T10:16:03Z (next
 * update 2025-07-19T10:16:03Z); QE identity 2025-06-19T10:32:27Z.
 */
import { describe, expect, it } from 'vitest';
import { loadTdxEvidence, type TdxEvidence } from '../../src/evidence/tdx-input.js';
import { verifyTdxEvidence, type TdxVerification, type TdxVerifyOptions } from '../../src/evidence/tdx-verify.js';
import { runCli } from '../../src/cli/run.js';
import { parseCertificateList } from '../../src/evidence/intel-chain.js';
import { x509 } from '../../src/pki/x509.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { findCheck as check } from '../helpers/checks.js';

const DIR = 'evidence/tdx';
const QUOTE = `${DIR}/dcapqvl-tdx_quote`;
const COLLATERAL = `${DIR}/dcapqvl-tdx_quote_collateral.json`;

/** The time dcap-qvl's sample was reported to verify at: before its TCB info was issued. */
const BEFORE_ISSUE = new Date('2025-06-15T15:06:40Z');
/** Inside every part's window (after the QE identity's issue, before the TCB info's next update). */
const INSIDE = new Date('2025-06-20T00:00:00Z');

type Json = Record<string, unknown>;

function quote(): TdxEvidence {
  return loadTdxEvidence(sharedBytes(QUOTE));
}

function collateral(): Json {
  return sharedJson<Json>(COLLATERAL);
}

function verify(c: unknown, now: Date, options: TdxVerifyOptions = {}): Promise<TdxVerification> {
  return verifyTdxEvidence(quote(), { ...options, collateral: c, now });
}

function failed(r: TdxVerification): string[] {
  return r.checks.filter((c) => c.ok === false).map((c) => c.name);
}

/** The hex of an ASCII string, as it appears inside hex DER. */
function asciiHex(s: string): string {
  return Buffer.from(s, 'ascii').toString('hex');
}

sharedNotice('TDX collateral appraisal');

describe.skipIf(!HAVE_SHARED)('collateral issued after the verification time', () => {
  // dcap-qvl (Phala-Network/dcap-qvl src/verify.rs, verify_tcb_info_signature and
  // verify_qe_identity_signature) refuses `now < issue_date` with "TCBInfo issue date is in the
  // future" / "QE Identity issue date is in the future"; an issue date equal to `now` passes.
  // OpenSSL refuses a CRL whose thisUpdate is after the verification time (crypto/x509/x509_vfy.c
  // check_crl_time, X509_V_ERR_CRL_NOT_YET_VALID).

  it("refuses dcap-qvl's sample at 2025-06-15T15:06:40Z with collateral-issued, naming each part", async () => {
    const r = await verify(collateral(), BEFORE_ISSUE);
    const issued = check(r.checks, 'collateral-issued');
    expect(issued.ok).toBe(false);
    expect(issued.detail).toMatch(/TCB info issued at 2025-06-19T10:16:03/);
    expect(issued.detail).toMatch(/QE identity issued at 2025-06-19T10:32:27/);
    expect(issued.detail).toMatch(/PCK CRL issued at 2025-06-19T10:00:35/);
    expect(issued.detail).not.toMatch(/root CA CRL/);
    expect(failed(r)).toEqual(['collateral-issued']);
    expect(r.verified).toBe(false);
  });

  it('positive control: the same evidence inside its window verifies, collateral-issued passing', async () => {
    for (const now of [INSIDE, new Date('2025-07-01T00:00:00Z')]) {
      const r = await verify(collateral(), now);
      expect(check(r.checks, 'collateral-issued').ok, now.toISOString()).toBe(true);
      expect(r.verified, now.toISOString()).toBe(true);
    }
  });

  it('between the TCB info and QE identity issue dates only the QE identity is not yet issued', async () => {
    const r = await verify(collateral(), new Date('2025-06-19T10:20:00Z'));
    const issued = check(r.checks, 'collateral-issued');
    expect(issued.ok).toBe(false);
    expect(issued.detail).toMatch(/QE identity issued/);
    expect(issued.detail).not.toMatch(/TCB info issued|CRL issued/);
  });

  it('at exactly the last issue date (the QE identity\'s) the collateral is issued (dcap-qvl: `now < issue_date` refuses)', async () => {
    const r = await verify(collateral(), new Date('2025-06-19T10:32:27Z'));
    expect(check(r.checks, 'collateral-issued').ok).toBe(true);
    expect(r.verified).toBe(true);
  });

  it('a PCK CRL whose thisUpdate is after the verification time fails collateral-issued (OpenSSL CRL_NOT_YET_VALID)', async () => {
    const json = collateral();
    const crl = json['pck_crl'] as string;
    // thisUpdate 2025-06-19T10:00:35Z is the UTCTime "250619100035Z", the first of its
    // occurrences (revocation entries, after nextUpdate, may repeat it); make it 2026 (same length).
    const thisUpdate = asciiHex('250619100035Z');
    expect(crl.indexOf(thisUpdate)).toBeGreaterThan(0);
    expect(crl.indexOf(thisUpdate)).toBeLessThan(crl.indexOf(asciiHex('250719100035Z')));
    const later = { ...json, pck_crl: crl.replace(thisUpdate, asciiHex('260619100035Z')) };
    const r = await verify(later, INSIDE);
    const issued = check(r.checks, 'collateral-issued');
    expect(issued.ok).toBe(false);
    expect(issued.detail).toMatch(/PCK CRL issued at 2026-06-19T10:00:35/);
    expect(r.verified).toBe(false);
    // The changed CRL no longer carries its issuer's signature either.
    expect(check(r.checks, 'crl').ok).toBe(false);
  });
});

describe.skipIf(!HAVE_SHARED)('collateral without its CRLs', () => {
  // Given collateral must be complete. dcap-qvl's `QuoteCollateralV3` has `root_ca_crl` and
  // `pck_crl` as required fields and checks every chain against them (src/lib.rs, src/verify.rs
  // verify_impl); Intel's QVL refuses without them (intel/SGX-TDX-DCAP-QuoteVerificationLibrary
  // Src/AttestationLibrary/src/QuoteVerification.cpp: sgxAttestationVerifyPCKCertificate returns
  // STATUS_UNSUPPORTED_CERT_FORMAT when crls[0] or crls[1] is missing, sgxAttestationVerifyQuote
  // STATUS_MISSING_PARAMETERS without the PCK CRL); go-tdx-guest (verify/verify.go
  // verifyCollateral) returns ErrMissingRootCaCrl / ErrMissingPckCrl when revocations are checked.

  const without = (...keys: string[]): Json => {
    const json = collateral();
    for (const k of keys) delete json[k];
    return json;
  };

  it('without root_ca_crl: crl fails, naming the root CA CRL', async () => {
    const r = await verify(without('root_ca_crl'), INSIDE);
    const crl = check(r.checks, 'crl');
    expect(crl.ok).toBe(false);
    expect(crl.detail).toMatch(/no root CA CRL/);
    expect(crl.detail).not.toMatch(/PCK CRL/);
    expect(failed(r)).toEqual(['crl']);
    expect(r.verified).toBe(false);
  });

  it('without pck_crl: crl fails, naming the PCK CRL', async () => {
    const r = await verify(without('pck_crl'), INSIDE);
    const crl = check(r.checks, 'crl');
    expect(crl.ok).toBe(false);
    expect(crl.detail).toMatch(/no PCK CRL/);
    expect(failed(r)).toEqual(['crl']);
    expect(r.verified).toBe(false);
  });

  it('without both (and without the PCK CRL issuer chain): crl fails, naming both', async () => {
    const r = await verify(without('root_ca_crl', 'pck_crl', 'pck_crl_issuer_chain'), INSIDE);
    const crl = check(r.checks, 'crl');
    expect(crl.ok).toBe(false);
    expect(crl.detail).toMatch(/root CA CRL.*PCK CRL/);
    expect(r.verified).toBe(false);
    // The date checks say what they covered instead of claiming CRLs they never saw.
    expect(check(r.checks, 'collateral-expiry').detail).not.toMatch(/CRL are|CRLs are/);
  });

  it('positive control: the complete collateral passes crl and verifies', async () => {
    const r = await verify(collateral(), INSIDE);
    expect(check(r.checks, 'crl').ok).toBe(true);
    expect(r.verified).toBe(true);
  });

  it('no collateral at all: the collateral checks are not made (ok: null), not failed', async () => {
    const r = await verifyTdxEvidence(quote(), { now: INSIDE });
    for (const name of ['collateral-signature', 'collateral-expiry', 'collateral-issued', 'tcb-status', 'qe-identity', 'crl']) {
      expect(check(r.checks, name).ok, name).toBeNull();
    }
  });
});

describe.skipIf(!HAVE_SHARED)('a root CA CRL made here (signed by a fresh key, so never Intel\'s)', () => {
  const ROOT_NAME = 'CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US';
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

  async function rootCrl(params: { nextUpdate?: Date; revoke?: string[] }): Promise<string> {
    const keys = (await webcrypto.subtle.generateKey(ecdsa, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const crl = await x509.X509CrlGenerator.create({
      issuer: ROOT_NAME,
      thisUpdate: new Date('2025-03-20T11:21:57Z'),
      ...(params.nextUpdate ? { nextUpdate: params.nextUpdate } : {}),
      entries: (params.revoke ?? []).map((serialNumber) => ({ serialNumber, revocationDate: new Date('2025-03-20T00:00:00Z') })),
      signingAlgorithm: ecdsa,
      signingKey: keys.privateKey,
    });
    return Buffer.from(crl.rawData).toString('hex');
  }

  it('a CRL without nextUpdate fails collateral-expiry (go-tdx-guest checkCollateralExpiration: expired against the zero time)', async () => {
    const r = await verify({ ...collateral(), root_ca_crl: await rootCrl({}) }, INSIDE);
    const expiry = check(r.checks, 'collateral-expiry');
    expect(expiry.ok).toBe(false);
    expect(expiry.detail).toMatch(/root CA CRL has no nextUpdate/);
    expect(check(r.checks, 'crl').detail).toMatch(/root CA CRL is not signed by the root/);
    expect(r.verified).toBe(false);
  });

  it('listing the TCB signing certificate, it names it as revoked in crl (dcap-qvl and Intel QVL check the TCB signing chain against the root CA CRL)', async () => {
    // dcap-qvl src/verify.rs verify_tcb_info_signature / verify_qe_identity_signature →
    // verify_certificate_chain(.., crls, ..); Intel QVL TCBInfoVerifier / EnclaveIdentityVerifier →
    // TCBSigningChain::verify(chain, rootCaCrl, ..).
    const json = collateral();
    const [signerDer] = parseCertificateList(json['tcb_info_issuer_chain'] as string);
    const signer = new x509.X509Certificate(signerDer as Uint8Array);
    const r = await verify({ ...json, root_ca_crl: await rootCrl({ nextUpdate: new Date('2026-04-03T11:21:57Z'), revoke: [signer.serialNumber] }) }, INSIDE);
    const crl = check(r.checks, 'crl');
    expect(crl.ok).toBe(false);
    expect(crl.detail).toMatch(/TCB info signing certificate "Intel SGX TCB Signing" \(serial [0-9a-f]+\) is revoked by the root CA CRL/);
    expect(r.verified).toBe(false);
  });
});

describe.skipIf(!HAVE_SHARED)('accepted TCB statuses (TdxVerifyOptions.acceptedTcbStatuses, default UpToDate)', () => {
  // dcap-qvl reports the sample UpToDate (tests/verify_quote.rs could_parse_tdx_quote). The QE's
  // status converges into the platform's: an OutOfDate QE makes an UpToDate platform OutOfDate
  // (Intel QVL TcbLevelCheck.cpp convergeTcbStatusWithQeTcbStatus; dcap-qvl src/tcb_info.rs
  // TcbStatusWithAdvisory::merge, which keeps the worse of the two).

  /** The sample's QE identity with its only TCB level's status replaced (its signature then fails). */
  const withQeStatus = (status: string): Json => {
    const json = collateral();
    const qe = json['qe_identity'] as string;
    expect(qe.split('"tcbStatus":"UpToDate"').length).toBe(2);
    return { ...json, qe_identity: qe.replace('"tcbStatus":"UpToDate"', `"tcbStatus":"${status}"`) };
  };

  it('the sample is UpToDate and passes by default; the detail names the status and the accepted list', async () => {
    const r = await verify(collateral(), INSIDE);
    const tcb = check(r.checks, 'tcb-status');
    expect(tcb.ok).toBe(true);
    expect(tcb.detail).toMatch(/^UpToDate/);
    expect(tcb.detail).toMatch(/accepted: UpToDate$/);
  });

  it('an accepted list without the platform status fails tcb-status, naming both', async () => {
    const r = await verify(collateral(), INSIDE, { acceptedTcbStatuses: ['OutOfDate', 'SWHardeningNeeded'] });
    const tcb = check(r.checks, 'tcb-status');
    expect(tcb.ok).toBe(false);
    expect(tcb.detail).toMatch(/TCB status UpToDate not accepted/);
    expect(tcb.detail).toMatch(/accepted: OutOfDate, SWHardeningNeeded/);
    expect(r.verified).toBe(false);
  });

  it('an OutOfDate QE identity makes the status OutOfDate: refused by default, passed when OutOfDate is accepted', async () => {
    const c = withQeStatus('OutOfDate');
    const refused = check((await verify(c, INSIDE)).checks, 'tcb-status');
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/TCB status OutOfDate/);
    expect(refused.detail).toMatch(/QE: OutOfDate/);
    expect(refused.detail).toMatch(/accepted: UpToDate$/);
    const allowed = await verify(c, INSIDE, { acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] });
    expect(check(allowed.checks, 'tcb-status').ok).toBe(true);
    expect(allowed.tcbStatus).toBe('OutOfDate');
    // The QE still matches its identity; only the edited JSON's signature is wrong.
    expect(check(allowed.checks, 'qe-identity').ok).toBe(true);
    expect(check(allowed.checks, 'collateral-signature').ok).toBe(false);
  });

  it('Revoked is refused even when listed (dcap-qvl verify_impl refuses it: TcbStatus::is_valid is false only for Revoked)', async () => {
    const json = collateral();
    // The platform level the sample matches is the first (UpToDate); make it Revoked.
    const info = JSON.parse(json['tcb_info'] as string) as { tcbLevels: Array<{ tcbStatus: string }> };
    expect(info.tcbLevels[0]?.tcbStatus).toBe('UpToDate');
    info.tcbLevels[0]!.tcbStatus = 'Revoked';
    const revoked = { ...json, tcb_info: JSON.stringify(info) };
    const r = await verify(revoked, INSIDE, { acceptedTcbStatuses: ['UpToDate', 'Revoked'] });
    expect(r.tcbStatus).toBe('Revoked');
    const tcb = check(r.checks, 'tcb-status');
    expect(tcb.ok).toBe(false);
    expect(tcb.detail).toMatch(/TCB status Revoked not accepted/);
  });

  it('a QE status the convergence passes over is still held to the accepted list (dcap-qvl keeps the worse status)', async () => {
    const c = withQeStatus('SWHardeningNeeded');
    const refused = check((await verify(c, INSIDE)).checks, 'tcb-status');
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/QE status SWHardeningNeeded not accepted/);
    const allowed = check((await verify(c, INSIDE, { acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'] })).checks, 'tcb-status');
    expect(allowed.ok).toBe(true);
  });
});

describe.skipIf(!HAVE_SHARED)('the QE identity version', () => {
  it('a TD_QE identity of a version other than 2 or 3 fails qe-identity (dcap-qvl verify_impl: "Unsupported QE Identity id/version")', async () => {
    const json = collateral();
    const qe = json['qe_identity'] as string;
    expect(qe).toContain('"version":2,');
    const r = await verify({ ...json, qe_identity: qe.replace('"version":2,', '"version":9,') }, INSIDE);
    expect(check(r.checks, 'qe-identity').ok).toBe(false);
    expect(check(r.checks, 'qe-identity').detail).toMatch(/version 9, not 2 or 3/);
    // Positive control: the sample's version 2.
    expect(check((await verify(json, INSIDE)).checks, 'qe-identity').ok).toBe(true);
  });
});

describe.skipIf(!HAVE_SHARED)('report verify: these refusals exit 3 naming their check', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: () => undefined, stderrIsTty: false });
    return { code, stdout };
  }
  const file = (f: string): string => join(SHARED_VECTORS, DIR, f);
  const failing = (stdout: string): string[] =>
    (JSON.parse(stdout).checks as Array<{ name: string; ok: boolean | null }>).filter((c) => c.ok === false).map((c) => c.name);
  const args = (time: string): string[] => [
    'report', 'verify', file('dcapqvl-tdx_quote'), '--collateral', file('dcapqvl-tdx_quote_collateral.json'), '--time', time, '--json',
  ];

  it('before the collateral was issued: exit 3, collateral-issued', async () => {
    const r = await cli(args(BEFORE_ISSUE.toISOString()));
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['collateral-issued']);
  });

  it('positive control: inside the window, exit 0', async () => {
    const r = await cli(args(INSIDE.toISOString()));
    expect(r.code, r.stdout).toBe(0);
  });
});
