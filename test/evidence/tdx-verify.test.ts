/**
 * Offline verification of TDX evidence (src/evidence/tdx-verify.ts and the tdx-*.ts, ccel.ts and
 * intel-chain.ts files it calls).
 *
 * Expected outcomes come from spec/tdx.md and vectors/SOURCES.md, cited at each use: every quote
 * of §5.1 verifies to the production root; the production root's fingerprint is §4.5's; the
 * pre-production root (§5.3) must be rejected; dcap-qvl's collateral signatures verify (§5.1);
 * the Azure TDREPORT's hashes and runtime-claims binding hold (§5.2); the COS-113 event log
 * replays to its quote's RTMRs (§5.2). Tampering makes the check named by §4.4 fail.
 *
 * The fuzz test (fixed seed) mutates real and crafted evidence and asserts that nothing but
 * `EvidenceError` escapes `loadTdxEvidence`, `verifyTdxEvidence`, `parseCollateral` and
 * `replayCcelEventLog`, and that a single flipped bit in the signed region never verifies.
 */
import { describe, expect, it } from 'vitest';
import { EVIDENCE_ERROR_CODES, EvidenceError } from '../../src/evidence/errors.js';
import {
  certificateFingerprint,
  classifyIntelRoot,
  INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256,
  INTEL_SGX_ROOT_CA_SHA256,
  parseCertificateList,
  readPckExtensions,
} from '../../src/evidence/intel-chain.js';
import { loadTdxEvidence, type TdxEvidence } from '../../src/evidence/tdx-input.js';
import { parseTdxQuote } from '../../src/evidence/tdx-quote.js';
import { bytesToHex as toHex } from '../../src/format/bytes.js';
import { replayCcelEventLog } from '../../src/evidence/ccel.js';
import { parseCollateral } from '../../src/evidence/tdx-collateral.js';
import { verifyTdxEvidence, type TdxVerification, type TdxVerifyOptions } from '../../src/evidence/tdx-verify.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/prng.js';
import { findCheck as check } from '../helpers/checks.js';

const DIR = 'evidence/tdx';

/** tdx.md §5.1: all of these verify offline to the production root. */
const QUOTE_FILES = [
  'gotdxguest-tdx_prod_quote_SPR_E4.dat',
  'gotdxguest-quote_v5_sample.dat',
  'gotdxguest-cos-113-tdx-quote.dat',
  'trustee-tdx_quote_4.dat',
  'trustee-tdx_quote_5.dat',
  'trustee-tdx_quote_6.dat',
  'trustee-az-tdx-vtpm-td-quote.bin',
  'dcapqvl-tdx_quote',
  'dcapqvl-tdx_quote_outdated',
  'dcapqvl-tdx-quote.hex',
] as const;

/** tdx.md §4.5 "Trust anchor (production)" and §5.3 (the pre-production root). */
const PRODUCTION_ROOT_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';
const PREPRODUCTION_ROOT_SHA256 = '56b1732d595908e540ad6ecc845e29438dff560c63b83ea90d3b57154858fef3';

const COLLATERAL_CHECKS = ['collateral-signature', 'collateral-expiry', 'collateral-issued', 'tcb-status', 'qe-identity', 'crl'];
/** The TCB statuses tdx.md §4.5 lists ("UpToDate / SWHardeningNeeded / OutOfDate / ConfigurationNeeded / Revoked …"). */
const TCB_STATUS_WORDS = /UpToDate|SWHardeningNeeded|OutOfDate|ConfigurationNeeded|ConfigurationAndSWHardeningNeeded|Revoked/;

/**
 * The time at which certificate validity is checked, unless a test says otherwise: inside the
 * validity of every sample's PCK certificate (the latest notBefore is the go-tdx-guest v5
 * sample's, 2026-01-27; the earliest notAfter the SPR E4 quote's, 2029-09-20), so that the
 * tests do not start failing when a sample certificate expires. It is an input, not an expectation.
 */
const CHAIN_NOW = new Date('2026-06-01T00:00:00Z');

function verifyAt(evidence: TdxEvidence, options: TdxVerifyOptions = {}): Promise<TdxVerification> {
  return verifyTdxEvidence(evidence, { now: CHAIN_NOW, ...options });
}

function load(file: string): TdxEvidence {
  return loadTdxEvidence(sharedBytes(`${DIR}/${file}`));
}

function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const c = bytes.slice();
  c[offset] = (c[offset] as number) ^ (1 << bit);
  return c;
}

/**
 * Rebuilds a quote with another PEM chain, recomputing the three sizes that depend on it
 * (tdx.md §4.3: signature_data_len, the outer certification data size and the chain size).
 * The signed region is untouched.
 */
function withChain(bytes: Uint8Array, pem: string): Uint8Array {
  const q = parseTdxQuote(bytes);
  const chain = new TextEncoder().encode(`${pem}\0`);
  const auth = q.qeAuthData;
  const certSize = 384 + 64 + 2 + auth.length + 6 + chain.length;
  const sigSize = 134 + certSize;
  const out = new Uint8Array(q.signedBytes.length + 4 + sigSize);
  const v = new DataView(out.buffer);
  out.set(q.signedBytes, 0);
  let p = q.signedBytes.length;
  v.setUint32(p, sigSize, true);
  p += 4;
  out.set(q.signature, p);
  out.set(q.attestationKey, p + 64);
  v.setUint16(p + 128, 6, true);
  v.setUint32(p + 130, certSize, true);
  out.set(q.qeReportBytes, p + 134);
  out.set(q.qeReportSignature, p + 518);
  v.setUint16(p + 582, auth.length, true);
  out.set(auth, p + 584);
  p += 584 + auth.length;
  v.setUint16(p, 5, true);
  v.setUint32(p + 2, chain.length, true);
  out.set(chain, p + 6);
  return out;
}

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

// ---- intel-chain -------------------------------------------------------------------------------

describe('Intel root pins (tdx.md §4.5, §5.3)', () => {
  it('pins the production fingerprint from tdx.md §4.5 and names the pre-production one', () => {
    expect(INTEL_SGX_ROOT_CA_SHA256).toBe(PRODUCTION_ROOT_SHA256);
    expect(INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256).toBe(PREPRODUCTION_ROOT_SHA256);
  });

  it('rejects what is not a certificate list', () => {
    expect(() => parseCertificateList('no certificates here')).toThrow(EvidenceError);
    expect(() => parseCertificateList(new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----'))).toThrow(
      EvidenceError,
    );
  });
});

sharedNotice('TDX evidence verification');

describe.skipIf(!HAVE_SHARED)('Intel roots in the shared vectors (tdx.md §5.3)', () => {
  it('classifies go-tdx-guest trusted_root.pem and dcap-qvl TrustedRootCA.der as the production root', () => {
    for (const file of ['gotdxguest-trusted_root.pem', 'dcapqvl-TrustedRootCA.der']) {
      const [der] = parseCertificateList(sharedBytes(`${DIR}/${file}`));
      expect(certificateFingerprint(der as Uint8Array)).toBe(PRODUCTION_ROOT_SHA256);
      expect(classifyIntelRoot(der as Uint8Array)).toBe('production');
    }
  });

  it('classifies intel-preproduction-root.pem as the pre-production root', () => {
    const [der] = parseCertificateList(sharedBytes(`${DIR}/intel-preproduction-root.pem`));
    expect(certificateFingerprint(der as Uint8Array)).toBe(PREPRODUCTION_ROOT_SHA256);
    expect(classifyIntelRoot(der as Uint8Array)).toBe('pre-production');
  });

  it('reads the PCK SGX extension: 6-byte FMSPC equal to the dcap-qvl collateral TCB info FMSPC', () => {
    // tdx.md §5.1: the collateral is dcap-qvl's "full collateral" for sample/tdx_quote, so the
    // TCB info it carries is the one for this PCK certificate's FMSPC (tdx.md §4.5).
    const q = load('dcapqvl-tdx_quote').quote;
    const ext = readPckExtensions(q?.pckChainDer[0] as Uint8Array);
    const tcbInfo = JSON.parse(sharedJson<{ tcb_info: string }>(`${DIR}/dcapqvl-tdx_quote_collateral.json`).tcb_info) as {
      fmspc: string;
      pceId: string;
    };
    expect(toHex(ext.fmspc)).toBe(tcbInfo.fmspc.toLowerCase());
    expect(toHex(ext.pceId)).toBe(tcbInfo.pceId.toLowerCase());
    expect(ext.sgxTcbComponentSvns).toHaveLength(16);
    expect(ext.cpuSvn).toHaveLength(16);
    // CPUSVN and the 16 component SVNs are the same numbers (Intel PCK certificate profile).
    expect(Array.from(ext.cpuSvn)).toEqual(ext.sgxTcbComponentSvns);
  });
});

// ---- quotes ------------------------------------------------------------------------------------

describe.skipIf(!HAVE_SHARED)('every TDX quote verifies offline to the production root (tdx.md §4.5, §5.1)', () => {
  it.each(QUOTE_FILES)('%s', async (file) => {
    const r = await verifyAt(load(file));
    for (const name of ['quote-header', 'root-pinned', 'pck-chain', 'qe-report-signature', 'qe-report-data-binding', 'quote-signature', 'qe-static-identity']) {
      expect(check(r.checks, name), name).toMatchObject({ ok: true });
    }
    expect(check(r.checks, 'root-pinned').detail).toContain(PRODUCTION_ROOT_SHA256);
    // No collateral: those checks are reported as not made.
    for (const name of COLLATERAL_CHECKS) {
      const c = check(r.checks, name);
      expect(c.ok, name).toBeNull();
      expect(c.detail).toMatch(/no collateral/);
    }
    expect(r.verified).toBe(true);
    expect(r.tcbStatus).toBeUndefined();
  });

  it('verifies with the production root given explicitly (PEM or DER, tdx.md §5.3)', async () => {
    for (const rootFile of ['gotdxguest-trusted_root.pem', 'dcapqvl-TrustedRootCA.der']) {
      const r = await verifyAt(load('dcapqvl-tdx_quote'), { root: sharedBytes(`${DIR}/${rootFile}`) });
      expect(r.verified, rootFile).toBe(true);
    }
  });
});

describe.skipIf(!HAVE_SHARED)('rejections (tdx.md §4.4, §4.5, §6 item 9)', () => {
  const file = 'dcapqvl-tdx_quote';

  it('checking against the pre-production root fails root-pinned with a clear detail', async () => {
    const r = await verifyAt(load(file), { root: sharedBytes(`${DIR}/intel-preproduction-root.pem`) });
    const pinned = check(r.checks, 'root-pinned');
    expect(pinned.ok).toBe(false);
    expect(pinned.detail).toMatch(/PRE-PRODUCTION/);
    expect(pinned.detail).toContain(PREPRODUCTION_ROOT_SHA256);
    expect(pinned.detail).toContain(PRODUCTION_ROOT_SHA256);
    // The production-issued PCK CA is not signed by the pre-production root either.
    expect(check(r.checks, 'pck-chain').ok).toBe(false);
    expect(r.verified).toBe(false);
  });

  it('a chain whose root was swapped for the pre-production root fails root-pinned and pck-chain', async () => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    const q = parseTdxQuote(bytes);
    const [leaf, ca] = pemBlocks(q.pckChainPem);
    const preprod = new TextDecoder().decode(sharedBytes(`${DIR}/intel-preproduction-root.pem`));
    const swapped = withChain(bytes, `${leaf}\n${ca}\n${preprod.trim()}\n`);
    const r = await verifyAt(loadTdxEvidence(swapped));
    expect(check(r.checks, 'root-pinned')).toMatchObject({ ok: false });
    expect(check(r.checks, 'root-pinned').detail).toMatch(/PRE-PRODUCTION/);
    expect(check(r.checks, 'pck-chain').ok).toBe(false);
    // The chain is not in the signed region: the quote signature itself still verifies (§4.4).
    expect(check(r.checks, 'quote-signature').ok).toBe(true);
    expect(r.verified).toBe(false);
  });

  it('a PCK certificate outside its validity period fails pck-chain (tdx.md §4.5 step 3)', async () => {
    // The samples' PCK certificates expire between 2029 and 2033 (their notAfter dates).
    const r = await verifyAt(load(file), { now: new Date('2040-01-01T00:00:00Z') });
    expect(check(r.checks, 'pck-chain').ok).toBe(false);
    expect(check(r.checks, 'pck-chain').detail).toMatch(/not valid at 2040/);
    expect(r.verified).toBe(false);
  });

  it('a chain without its root fails unless the production root is given', async () => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    const [leaf, ca] = pemBlocks(parseTdxQuote(bytes).pckChainPem);
    const ev = loadTdxEvidence(withChain(bytes, `${leaf}\n${ca}\n`));
    expect((await verifyAt(ev)).verified).toBe(false);
    const withRoot = await verifyAt(ev, { root: sharedBytes(`${DIR}/gotdxguest-trusted_root.pem`) });
    expect(withRoot.verified).toBe(true);
  });

  it.each([
    ['the version word', 0x00, 1],
    ['the QE vendor ID', 0x0c, 0],
    ['MRTD', 0x30 + 0x88, 7],
    ['REPORTDATA (last byte of the signed region)', 0x277, 0],
  ] as const)('a flipped bit in %s fails quote-signature', async (_what, offset, bit) => {
    const bytes = flipBit(sharedBytes(`${DIR}/${file}`), offset, bit);
    let ev: TdxEvidence;
    try {
      ev = loadTdxEvidence(bytes);
    } catch (e) {
      // Flipping the version makes the quote unreadable, which is also a rejection.
      expect(e).toBeInstanceOf(EvidenceError);
      return;
    }
    const r = await verifyAt(ev);
    expect(check(r.checks, 'quote-signature').ok).toBe(false);
    expect(check(r.checks, 'qe-report-signature').ok).toBe(true);
    expect(r.verified).toBe(false);
  });

  it('a flipped bit in a v5 body fails quote-signature', async () => {
    const bytes = sharedBytes(`${DIR}/gotdxguest-quote_v5_sample.dat`);
    const r = await verifyAt(loadTdxEvidence(flipBit(bytes, 0xbe + 5, 3))); // MRTD, tdx.md §4.2
    expect(check(r.checks, 'quote-signature').ok).toBe(false);
    expect(r.verified).toBe(false);
  });

  it('a tampered QE report fails qe-report-signature (and the binding when REPORTDATA changes)', async () => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    const qeAt = 0x27c + 134; // tdx.md §4.3: QE report at signature data offset 134
    const isvSvn = await verifyAt(loadTdxEvidence(flipBit(bytes, qeAt + 258, 0)));
    expect(check(isvSvn.checks, 'qe-report-signature').ok).toBe(false);
    expect(check(isvSvn.checks, 'quote-signature').ok).toBe(true);
    expect(isvSvn.verified).toBe(false);
    const reportData = await verifyAt(loadTdxEvidence(flipBit(bytes, qeAt + 320, 0)));
    expect(check(reportData.checks, 'qe-report-signature').ok).toBe(false);
    expect(check(reportData.checks, 'qe-report-data-binding').ok).toBe(false);
  });

  it('tampered QE auth data fails the binding; a tampered attestation key fails binding and signature', async () => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    const sig = 0x27c;
    const auth = await verifyAt(loadTdxEvidence(flipBit(bytes, sig + 584, 0)));
    expect(check(auth.checks, 'qe-report-data-binding').ok).toBe(false);
    expect(check(auth.checks, 'qe-report-signature').ok).toBe(true);
    const key = await verifyAt(loadTdxEvidence(flipBit(bytes, sig + 64 + 10, 2)));
    expect(check(key.checks, 'qe-report-data-binding').ok).toBe(false);
    expect(check(key.checks, 'quote-signature').ok).toBe(false);
    const signature = await verifyAt(loadTdxEvidence(flipBit(bytes, sig + 3, 4)));
    expect(check(signature.checks, 'quote-signature').ok).toBe(false);
    const qeSignature = await verifyAt(loadTdxEvidence(flipBit(bytes, sig + 518 + 40, 1)));
    expect(check(qeSignature.checks, 'qe-report-signature').ok).toBe(false);
  });

  it('a PCK leaf taken from another quote fails qe-report-signature', async () => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    const other = parseTdxQuote(sharedBytes(`${DIR}/trustee-tdx_quote_4.dat`));
    const [, ca, root] = pemBlocks(parseTdxQuote(bytes).pckChainPem);
    const [otherLeaf] = pemBlocks(other.pckChainPem);
    const r = await verifyAt(loadTdxEvidence(withChain(bytes, `${otherLeaf}\n${ca}\n${root}\n`)));
    expect(check(r.checks, 'qe-report-signature').ok).toBe(false);
    expect(r.verified).toBe(false);
  });
});

// ---- collateral --------------------------------------------------------------------------------

describe.skipIf(!HAVE_SHARED)('with dcap-qvl collateral (tdx.md §4.5 "Needs Intel collateral", §5.1)', () => {
  const file = 'dcapqvl-tdx_quote';
  const collateralFile = `${DIR}/dcapqvl-tdx_quote_collateral.json`;
  // A time inside the collateral's validity: its TCB info was issued 2025-06-19T10:16:03Z and is
  // next updated 2025-07-19 (the dates are in the file; the time is our input, not an expectation).
  const now = new Date('2025-06-20T00:00:00Z');

  it('makes the TCB status, QE identity and CRL checks; the collateral signatures verify', async () => {
    const r = await verifyAt(load(file), { collateral: sharedJson(collateralFile), now });
    for (const name of COLLATERAL_CHECKS) expect(check(r.checks, name).ok, name).not.toBeNull();
    // tdx.md §5.1: "TCB info and QE identity signatures verified".
    expect(check(r.checks, 'collateral-signature').ok).toBe(true);
    expect(check(r.checks, 'collateral-expiry').ok).toBe(true);
    expect(check(r.checks, 'tcb-status').detail).toMatch(TCB_STATUS_WORDS);
    expect(r.tcbStatus).toMatch(TCB_STATUS_WORDS);
    // The offline checks are unaffected by collateral.
    for (const name of ['root-pinned', 'pck-chain', 'qe-report-signature', 'qe-report-data-binding', 'quote-signature']) {
      expect(check(r.checks, name).ok, name).toBe(true);
    }
  });

  it('accepts the collateral as JSON text and as a parseCollateral result', async () => {
    const text = new TextDecoder().decode(sharedBytes(collateralFile));
    const a = await verifyAt(load(file), { collateral: text, now });
    const b = await verifyAt(load(file), { collateral: parseCollateral(text), now });
    expect(a.checks).toEqual(b.checks);
  });

  it('reports expired collateral after its nextUpdate', async () => {
    const r = await verifyAt(load(file), { collateral: sharedJson(collateralFile), now: new Date('2026-01-01T00:00:00Z') });
    const expiry = check(r.checks, 'collateral-expiry');
    expect(expiry.ok).toBe(false);
    expect(expiry.detail).toMatch(/TCB info expired/);
    expect(r.verified).toBe(false);
  });

  it('a tampered TCB info fails collateral-signature', async () => {
    const json = sharedJson<Record<string, string>>(collateralFile);
    const tcbInfo = json['tcb_info'] as string;
    const tampered = { ...json, tcb_info: tcbInfo.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18') };
    expect(tampered.tcb_info).not.toBe(tcbInfo);
    const r = await verifyAt(load(file), { collateral: tampered, now });
    expect(check(r.checks, 'collateral-signature').ok).toBe(false);
    expect(check(r.checks, 'collateral-signature').detail).toMatch(/TCB info signature/);
    expect(r.verified).toBe(false);
  });

  it('a QE identity for another ISVPRODID fails qe-identity (and its signature)', async () => {
    const json = sharedJson<Record<string, string>>(collateralFile);
    const qe = json['qe_identity'] as string;
    const tampered = { ...json, qe_identity: qe.replace('"isvprodid":2', '"isvprodid":3') };
    expect(tampered.qe_identity).not.toBe(qe);
    const r = await verifyAt(load(file), { collateral: tampered, now });
    expect(check(r.checks, 'qe-identity').ok).toBe(false);
    expect(check(r.checks, 'qe-identity').detail).toMatch(/ISVPRODID/);
    expect(check(r.checks, 'collateral-signature').ok).toBe(false);
  });

  it('TCB info for another FMSPC fails tcb-status', async () => {
    const json = sharedJson<Record<string, string>>(collateralFile);
    const tcbInfo = json['tcb_info'] as string;
    const fmspc = (JSON.parse(tcbInfo) as { fmspc: string }).fmspc;
    const tampered = { ...json, tcb_info: tcbInfo.replace(`"fmspc":"${fmspc}"`, '"fmspc":"000000000000"') };
    const r = await verifyAt(load(file), { collateral: tampered, now });
    expect(check(r.checks, 'tcb-status').ok).toBe(false);
    expect(check(r.checks, 'tcb-status').detail).toMatch(/FMSPC/);
  });

  it('collateral without CRLs fails crl (given collateral must be complete; tdx-collateral-appraisal.test.ts cites the peers)', async () => {
    const json = sharedJson<Record<string, string>>(collateralFile);
    const { root_ca_crl: _r, pck_crl: _p, ...rest } = json;
    const r = await verifyAt(load(file), { collateral: rest, now });
    expect(check(r.checks, 'crl').ok).toBe(false);
    expect(r.verified).toBe(false);
  });

  it('rejects unreadable collateral with BadCollateral', () => {
    const json = sharedJson<Record<string, unknown>>(collateralFile);
    const bad = (v: unknown): void => {
      try {
        parseCollateral(v);
      } catch (e) {
        expect(e).toBeInstanceOf(EvidenceError);
        expect((e as EvidenceError).code).toBe('BadCollateral');
        return;
      }
      throw new Error('expected BadCollateral');
    };
    bad('not json');
    bad(42);
    bad({ ...json, tcb_info: undefined });
    bad({ ...json, tcb_info: '{"id":"TDX"}' });
    bad({ ...json, tcb_info_signature: 'zz' });
    bad({ ...json, qe_identity: '[]' });
    bad({ ...json, tcb_info_issuer_chain: 'no pem' });
    bad({ ...json, pck_crl: [1, 2, 300] });
  });

  it('rejects an unreadable CRL with BadCollateral', async () => {
    const json = sharedJson<Record<string, unknown>>(collateralFile);
    await expect(verifyAt(load(file), { collateral: { ...json, pck_crl: '3003020100' }, now })).rejects.toMatchObject({
      code: 'BadCollateral',
    });
  });
});

// ---- TDREPORT, HCL, event log ----------------------------------------------------------------------

describe.skipIf(!HAVE_SHARED)('TDREPORT and Azure HCL report (tdx.md §4.3a, §5.2)', () => {
  it('the HCL report: both TDREPORT hashes verify and REPORTDATA binds the runtime claims, but nothing signs it', async () => {
    const r = await verifyAt(load('trustee-az-tdx-vtpm-hcl-report.bin'));
    expect(check(r.checks, 'tdreport-tee-tcb-info-hash').ok).toBe(true);
    expect(check(r.checks, 'tdreport-tee-info-hash').ok).toBe(true);
    expect(check(r.checks, 'hcl-report-data').ok).toBe(true);
    expect(check(r.checks, 'quote-signature').ok).toBe(false);
    expect(r.verified).toBe(false);
  });

  it('a flipped MRTD bit in the TDREPORT breaks TEE_INFO_HASH; a flipped claim breaks the binding', async () => {
    const hcl = sharedBytes(`${DIR}/trustee-az-tdx-vtpm-hcl-report.bin`);
    const mrtd = await verifyAt(loadTdxEvidence(flipBit(hcl, 32 + 0x210, 0)));
    expect(check(mrtd.checks, 'tdreport-tee-info-hash').ok).toBe(false);
    expect(check(mrtd.checks, 'tdreport-tee-tcb-info-hash').ok).toBe(true);
    const claim = await verifyAt(loadTdxEvidence(flipBit(hcl, 1236 + 20, 0)));
    expect(check(claim.checks, 'hcl-report-data').ok).toBe(false);
  });
});

describe.skipIf(!HAVE_SHARED)('CC event log replay (tdx.md §3, §5.2)', () => {
  const log = (): Uint8Array => sharedBytes(`${DIR}/gotdxguest-ccel_data.dat`);

  it('replays ccel_data.dat to the RTMR0–2 of cos-113-tdx-quote.dat', async () => {
    const replay = replayCcelEventLog(log());
    const rtmr = replay.rtmrs.map(toHex);
    // tdx.md §5.2 gives the replayed values abbreviated: 3fa2f61f…17f6, f62dbc07…22c1, 4969684d…e7c1.
    expect(rtmr[0]).toMatch(/^3fa2f61f.*17f6$/);
    expect(rtmr[1]).toMatch(/^f62dbc07.*22c1$/);
    expect(rtmr[2]).toMatch(/^4969684d.*e7c1$/);
    const q = load('gotdxguest-cos-113-tdx-quote.dat').quote;
    expect(rtmr[0]).toBe(toHex(q?.body.rtmr0 ?? new Uint8Array()));
    expect(rtmr[1]).toBe(toHex(q?.body.rtmr1 ?? new Uint8Array()));
    expect(rtmr[2]).toBe(toHex(q?.body.rtmr2 ?? new Uint8Array()));
    const r = await verifyAt(load('gotdxguest-cos-113-tdx-quote.dat'), { eventLog: log() });
    expect(check(r.checks, 'rtmr-replay').ok).toBe(true);
  });

  it('the same log does not match another quote', async () => {
    const r = await verifyAt(load('trustee-tdx_quote_4.dat'), { eventLog: log() });
    expect(check(r.checks, 'rtmr-replay').ok).toBe(false);
  });
});

// ---- fuzz --------------------------------------------------------------------------------------

const SEED = Number(process.env.TDX_FUZZ_SEED ?? 0x7d_c0de) >>> 0;
const ITERATIONS = Number(process.env.TDX_FUZZ_ITERATIONS ?? 1500);


/** A crafted v5 quote (tdx.md §4.1–§4.3 offsets) so that the fuzz runs without ../shared too. */
function craftedQuote(): Uint8Array {
  const pem = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n\0');
  const sigLenAt = 0x36 + 648;
  const certSize = 384 + 64 + 2 + 32 + 6 + pem.length;
  const b = new Uint8Array(sigLenAt + 4 + 134 + certSize);
  const v = new DataView(b.buffer);
  v.setUint16(0, 5, true);
  v.setUint16(2, 2, true);
  v.setUint32(4, 0x81, true);
  v.setUint16(0x30, 3, true);
  v.setUint32(0x32, 648, true);
  v.setUint32(sigLenAt, 134 + certSize, true);
  const s = sigLenAt + 4;
  v.setUint16(s + 128, 6, true);
  v.setUint32(s + 130, certSize, true);
  v.setUint16(s + 582, 32, true);
  v.setUint16(s + 616, 5, true);
  v.setUint32(s + 618, pem.length, true);
  b.set(pem, s + 622);
  return b;
}

/** Offsets of the length and type fields of a quote (tdx.md §4.2, §4.3), for targeted mutation. */
function lengthFields(bytes: Uint8Array): Array<{ at: number; size: 2 | 4 }> {
  try {
    const q = parseTdxQuote(bytes);
    const sigLen = q.signedBytes.length;
    const s = sigLen + 4;
    const inner = s + 584 + q.qeAuthData.length;
    const out: Array<{ at: number; size: 2 | 4 }> = [
      { at: sigLen, size: 4 },
      { at: s + 128, size: 2 },
      { at: s + 130, size: 4 },
      { at: s + 582, size: 2 },
      { at: inner, size: 2 },
      { at: inner + 2, size: 4 },
    ];
    if (q.version === 5) out.push({ at: 0x30, size: 2 }, { at: 0x32, size: 4 });
    return out;
  } catch {
    return [];
  }
}

function expectOnlyEvidenceError(e: unknown, inputLength: number, where: string): void {
  if (!(e instanceof EvidenceError)) {
    throw new Error(`${where}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} escaped`);
  }
  expect(EVIDENCE_ERROR_CODES).toContain(e.code);
  if (e.offset !== undefined) {
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(inputLength);
  }
}

describe('fuzz: only EvidenceError escapes (DESIGN.md "Errors")', () => {
  const seeds: Array<{ name: string; bytes: Uint8Array }> = [{ name: 'crafted-v5', bytes: craftedQuote() }];
  if (HAVE_SHARED) {
    for (const f of QUOTE_FILES) seeds.push({ name: f, bytes: sharedBytes(`${DIR}/${f}`) });
    const hcl = sharedBytes(`${DIR}/trustee-az-tdx-vtpm-hcl-report.bin`);
    seeds.push({ name: 'hcl-report', bytes: hcl }, { name: 'tdreport', bytes: hcl.slice(32, 32 + 1024) });
  }
  const collateral = HAVE_SHARED ? parseCollateral(sharedJson(`${DIR}/dcapqvl-tdx_quote_collateral.json`)) : undefined;
  const BOUNDARY = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fff_ffff, 0xffff_ffff];

  it(`loadTdxEvidence and verifyTdxEvidence over ${ITERATIONS} mutated inputs (seed 0x${SEED.toString(16)})`, async () => {
    const rnd = mulberry32(SEED);
    const int = (n: number): number => Math.floor(rnd() * n);
    let loaded = 0;
    let rejected = 0;
    let singleFlipsInSignedRegion = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = seeds[i % seeds.length] as { name: string; bytes: Uint8Array };
      let input = seed.bytes.slice();
      let singleFlipAt = -1;
      const kind = int(6);
      if (kind === 0) {
        input = input.slice(0, int(input.length));
      } else if (kind === 1) {
        const n = 1 + int(4);
        for (let k = 0; k < n; k++) {
          const at = int(input.length);
          input[at] = (input[at] as number) ^ (1 << int(8));
          if (n === 1) singleFlipAt = at;
        }
      } else if (kind === 2) {
        const fields = lengthFields(input);
        const f = fields[int(fields.length)];
        const v = new DataView(input.buffer);
        if (f) {
          const value = rnd() < 0.7 ? (BOUNDARY[int(BOUNDARY.length)] as number) : int(input.length * 2);
          if (f.size === 2) v.setUint16(f.at, value & 0xffff, true);
          else v.setUint32(f.at, value >>> 0, true);
        } else if (input.length >= 1236) {
          v.setUint32(1232, 0xffff_fff0, true); // HCL runtime data size (tdx.md §5.2)
        }
      } else if (kind === 3) {
        const at = int(input.length);
        const n = 1 + int(32);
        for (let k = 0; k < n && at + k < input.length; k++) input[at + k] = int(256);
      } else if (kind === 4) {
        const extra = new Uint8Array(1 + int(300)).map(() => int(256));
        const grown = new Uint8Array(input.length + extra.length);
        grown.set(input);
        grown.set(extra, input.length);
        input = grown;
      } else {
        // As hex text, sometimes with a bad character.
        let text = Buffer.from(input).toString('hex');
        if (rnd() < 0.3) text = `${text.slice(0, int(text.length))}g${text.slice(int(text.length))}`;
        input = new TextEncoder().encode(text);
      }

      let ev: TdxEvidence;
      try {
        ev = loadTdxEvidence(input);
      } catch (e) {
        expectOnlyEvidenceError(e, input.length, `${seed.name} #${i} load`);
        rejected++;
        continue;
      }
      loaded++;
      const options: TdxVerifyOptions =
        collateral && i % 5 === 0 ? { collateral, now: new Date('2025-06-20T00:00:00Z') } : {};
      try {
        const r = await verifyAt(ev, options);
        if (ev.quote && singleFlipAt >= 0 && singleFlipAt < ev.quote.signedBytes.length && seed.name !== 'crafted-v5') {
          singleFlipsInSignedRegion++;
          expect(r.verified, `${seed.name} #${i}: bit flip at ${singleFlipAt} verified`).toBe(false);
        }
      } catch (e) {
        expectOnlyEvidenceError(e, input.length, `${seed.name} #${i} verify`);
      }
    }
    expect(loaded + rejected).toBe(ITERATIONS);
    expect(loaded).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    if (HAVE_SHARED) expect(singleFlipsInSignedRegion).toBeGreaterThan(0);
  }, 180_000);

  it.skipIf(!HAVE_SHARED)('replayCcelEventLog over 400 truncated and mutated logs', () => {
    const rnd = mulberry32(SEED ^ 0x5a5a);
    const int = (n: number): number => Math.floor(rnd() * n);
    // The meaningful part of the log ends well before its 256 KiB of padding; mutate there.
    const base = sharedBytes(`${DIR}/gotdxguest-ccel_data.dat`).slice(0, 20_000);
    for (let i = 0; i < 400; i++) {
      let input = base.slice();
      if (i % 2 === 0) input = input.slice(0, int(input.length));
      else {
        const v = new DataView(input.buffer);
        const at = int(input.length - 4);
        if (rnd() < 0.5) v.setUint32(at, rnd() < 0.5 ? 0xffff_ffff : int(0x1_0000), true);
        else input[at] = (input[at] as number) ^ (1 << int(8));
      }
      try {
        replayCcelEventLog(input);
      } catch (e) {
        expectOnlyEvidenceError(e, input.length, `ccel #${i}`);
      }
    }
  });

  it.skipIf(!HAVE_SHARED)('parseCollateral over 300 mutated collateral documents', () => {
    const rnd = mulberry32(SEED ^ 0xc0c0);
    const int = (n: number): number => Math.floor(rnd() * n);
    const json = sharedJson<Record<string, unknown>>(`${DIR}/dcapqvl-tdx_quote_collateral.json`);
    const keys = Object.keys(json);
    const junk: unknown[] = [null, 0, -1, 1.5, '', 'zz', [], {}, [1, 2], { a: 1 }, '{"id":"TDX","tcbLevels":[{}]}'];
    for (let i = 0; i < 300; i++) {
      const doc: Record<string, unknown> = { ...json };
      const key = keys[int(keys.length)] as string;
      if (i % 3 === 0) delete doc[key];
      else if (i % 3 === 1) doc[key] = junk[int(junk.length)];
      else if (typeof doc[key] === 'string') {
        const s = doc[key] as string;
        const at = int(s.length);
        doc[key] = s.slice(0, at) + String.fromCharCode(32 + int(90)) + s.slice(at + 1);
      }
      try {
        parseCollateral(doc);
      } catch (e) {
        expectOnlyEvidenceError(e, Number.MAX_SAFE_INTEGER, `collateral #${i}`);
      }
    }
  });
});
