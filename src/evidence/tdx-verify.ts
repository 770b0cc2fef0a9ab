/**
 * Offline verification of TDX evidence (spec/tdx.md §4.4, §4.5): the entry point and the checks
 * on the quote itself.
 *
 * Without collateral: the quote header, the PCK chain up to the pinned Intel SGX Root CA, the
 * QE report signature by the PCK key, the QE report data binding, the quote signature by the
 * attestation key, and the static QE identity (steps 1–7). With collateral in the JSON shape of
 * dcap-qvl's `QuoteCollateralV3` (tdx-collateral.ts): also the collateral signatures, expiry and
 * issue dates, the TCB status, the QE identity and the CRLs (tdx-collateral-checks.ts). Checks
 * that need collateral are reported with `ok: null` when none is given; given collateral must be
 * complete (a missing CRL fails `crl`). A TDREPORT gets its own hash checks
 * (§4.3a), and an event log its RTMR replay (ccel.ts).
 *
 * A failed check is a `Check` with `ok: false`; only unreadable input (a certificate or
 * collateral that cannot be parsed) throws, and then always an `EvidenceError`.
 */
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { allPassed, type Check } from '../pki/check.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';
import type { HclReport } from './azure-hcl.js';
import { hclReportDataCheck } from './hcl-binding.js';
import { rtmrReplayCheck } from './ccel.js';
import { chainChecks, verifyIntelChain } from './intel-chain.js';
import { isCollateral, parseCollateral } from './tdx-collateral.js';
import { verifyWithCollateral } from './tdx-collateral-checks.js';
import type { TdReport } from './tdreport.js';
import type { TdxEvidence } from './tdx-input.js';
import { INTEL_QE_VENDOR_ID, INTEL_TD_QE_ISVPRODID, INTEL_TD_QE_MRSIGNER, type TdxQuote } from './tdx-quote.js';
import { certificateKey, importRawP256, verifyRaw } from './tdx-signature.js';

/** Options of `verifyTdxEvidence`. */
export interface TdxVerifyOptions {
  /**
   * A root certificate (DER or PEM) to anchor the chains to instead of the root the quote
   * carries. It must still be the pinned production root: the pin cannot be overridden.
   */
  readonly root?: Uint8Array;
  /** Collateral: the parsed JSON (dcap-qvl shape), its text, or a `parseCollateral` result. */
  readonly collateral?: unknown;
  /** The time for certificate validity and collateral expiry and issue dates; default now. */
  readonly now?: Date;
  /**
   * TCB statuses that pass `tcb-status`; default `['UpToDate']`. Both the converged status and
   * each component's own status (TDX module, QE), where not UpToDate, must be in the list.
   */
  readonly acceptedTcbStatuses?: readonly string[];
  /**
   * A CC event log (the CCEL log area) to replay into RTMR0–3 and compare with the quote's
   * (`rtmr-replay`; tdx.md §3). Without it no replay check is reported.
   */
  readonly eventLog?: Uint8Array;
}

/** The result of `verifyTdxEvidence`. */
export interface TdxVerification {
  /** True when every check that was made passed (`allPassed`). */
  readonly verified: boolean;
  readonly checks: Check[];
  /** The TCB status, when collateral was given and a level matched. */
  readonly tcbStatus?: string;
  /** The advisory IDs of the matched TCB level. */
  readonly advisoryIds?: readonly string[];
}

/** Names of every check `verifyTdxEvidence` can report, in report order. */
export const TDX_CHECK_NAMES = [
  'quote-header',
  'root-pinned',
  'pck-chain',
  'qe-report-signature',
  'qe-report-data-binding',
  'quote-signature',
  'qe-static-identity',
  'collateral-signature',
  'collateral-expiry',
  'collateral-issued',
  'tcb-status',
  'qe-identity',
  'crl',
  'tdreport-tee-tcb-info-hash',
  'tdreport-tee-info-hash',
  'hcl-report-data',
  'rtmr-replay',
] as const;

const NO_COLLATERAL = 'not checked: no collateral given (Intel PCS TCB info, QE identity and CRLs)';

/**
 * Verifies TDX evidence offline (tdx.md §4.5). A quote gets the full list of checks; a bare
 * TDREPORT (or one in an Azure HCL report) gets its internal hash checks and a failed
 * `quote-signature` check, because nothing a remote verifier can check signs it (§4.3a: the MAC
 * is for the local CPU only). Throws `EvidenceError` only for unreadable certificates or
 * collateral.
 */
export async function verifyTdxEvidence(evidence: TdxEvidence, options: TdxVerifyOptions = {}): Promise<TdxVerification> {
  const checks: Check[] = [];
  let tcbStatus: string | undefined;
  let advisoryIds: readonly string[] | undefined;
  if (evidence.quote) {
    const r = await verifyQuote(evidence.quote, options, checks);
    tcbStatus = r.status;
    advisoryIds = r.advisoryIds;
    if (options.eventLog) checks.push(rtmrReplayCheck(evidence.quote, options.eventLog));
    // A quote that came with its Azure HCL report (trustee's Azure JSON) binds its runtime data.
    if (evidence.hcl) checks.push(hclReportDataCheck(evidence.hcl, evidence.quote.body.reportData, 'tdx'));
  } else {
    if (evidence.tdReport) checks.push(...tdReportChecks(evidence.tdReport, evidence.hcl));
    checks.push({
      name: 'quote-signature',
      ok: false,
      detail:
        'no quote: a TDREPORT is authenticated only by its MAC, which only the local CPU can check (Intel TDX Module ABI, TDG.MR.REPORT); ' +
        'verify the quote made from it',
    });
  }
  const out: { verified: boolean; checks: Check[]; tcbStatus?: string; advisoryIds?: readonly string[] } = {
    verified: allPassed(checks),
    checks,
  };
  if (tcbStatus !== undefined) out.tcbStatus = tcbStatus;
  if (advisoryIds !== undefined) out.advisoryIds = advisoryIds;
  return out;
}

/** TDREPORT self-consistency (tdx.md §4.3a) and the HCL runtime-claims binding (§3, §5.2). */
function tdReportChecks(report: TdReport, hcl: HclReport | undefined): Check[] {
  const checks: Check[] = [];
  const tcbOk = bytesEqual(sha384(report.teeTcbInfoBytes), report.reportMacStruct.teeTcbInfoHash);
  checks.push({
    name: 'tdreport-tee-tcb-info-hash',
    ok: tcbOk,
    detail: `SHA-384(TEE_TCB_INFO) ${tcbOk ? 'equals' : 'differs from'} TEE_TCB_INFO_HASH`,
  });
  const infoOk = bytesEqual(sha384(report.tdInfoBytes), report.reportMacStruct.teeInfoHash);
  checks.push({
    name: 'tdreport-tee-info-hash',
    ok: infoOk,
    detail: `SHA-384(TDINFO) ${infoOk ? 'equals' : 'differs from'} TEE_INFO_HASH`,
  });
  if (hcl) checks.push(hclReportDataCheck(hcl, report.reportMacStruct.reportData, 'tdx'));
  return checks;
}

async function verifyQuote(
  quote: TdxQuote,
  options: TdxVerifyOptions,
  checks: Check[],
): Promise<{ status: string | undefined; advisoryIds: readonly string[] | undefined }> {
  const now = options.now ?? new Date();

  // Step 1 (header): version, key type and TEE type were enforced by the parser.
  const vendor = bytesToHex(quote.header.qeVendorId);
  checks.push({
    name: 'quote-header',
    ok: vendor === INTEL_QE_VENDOR_ID,
    detail:
      `v${quote.version} quote, body type ${quote.bodyType} (TDX ${quote.bodyType === 3 ? '1.5' : '1.0'}), ECDSA P-256 attestation key, TEE type TDX; ` +
      (vendor === INTEL_QE_VENDOR_ID ? 'QE vendor Intel' : `QE vendor ${vendor} is not Intel's ${INTEL_QE_VENDOR_ID}`),
  });

  // Step 3: the PCK chain, anchored by the pin.
  const chain = await verifyIntelChain(quote.pckChainDer, {
    ...(options.root ? { root: options.root } : {}),
    now,
    depth: 2,
    label: 'PCK chain',
  });
  checks.push(...chainChecks(chain, { pinned: 'root-pinned', chain: 'pck-chain' }));
  const leaf = chain.path[0];

  // Step 4: the QE report signature by the PCK leaf key (§4.4).
  if (!leaf) {
    checks.push({ name: 'qe-report-signature', ok: false, detail: 'the PCK chain has no leaf certificate' });
  } else {
    const key = await certificateKey(leaf);
    const ok = typeof key !== 'string' && (await verifyRaw(key, quote.qeReportSignature, quote.qeReportBytes));
    checks.push({
      name: 'qe-report-signature',
      ok,
      detail:
        typeof key === 'string'
          ? key
          : ok
            ? 'the QE report is signed by the PCK certificate key (ECDSA P-256/SHA-256)'
            : 'the QE report signature does not verify with the PCK certificate key',
    });
  }

  // Step 5: QE REPORTDATA = SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes (§4.4).
  const expected = new Uint8Array(64);
  const hasher = sha256.create();
  hasher.update(quote.attestationKey);
  hasher.update(quote.qeAuthData);
  expected.set(hasher.digest(), 0);
  const bound = bytesEqual(expected, quote.qeReport.reportData);
  checks.push({
    name: 'qe-report-data-binding',
    ok: bound,
    detail: bound
      ? 'QE REPORTDATA is SHA-256(attestation key ‖ QE auth data) followed by 32 zero bytes'
      : `QE REPORTDATA ${bytesToHex(quote.qeReport.reportData)} is not SHA-256(attestation key ‖ QE auth data) ‖ 0^32 = ${bytesToHex(expected)}`,
  });

  // Step 6: the quote signature by the attestation key over the signed bytes (§4.4).
  const ak = await importRawP256(quote.attestationKey);
  const sigOk = typeof ak !== 'string' && (await verifyRaw(ak, quote.signature, quote.signedBytes));
  checks.push({
    name: 'quote-signature',
    ok: sigOk,
    detail:
      typeof ak === 'string'
        ? ak
        : sigOk
          ? `the attestation key signs the header and body (bytes 0..0x${quote.signedBytes.length.toString(16)})`
          : `the quote signature over bytes 0..0x${quote.signedBytes.length.toString(16)} does not verify with the attestation key`,
  });

  // Step 7: the static QE identity.
  const mrSigner = bytesToHex(quote.qeReport.mrSigner);
  const staticOk = mrSigner === INTEL_TD_QE_MRSIGNER && quote.qeReport.isvProdId === INTEL_TD_QE_ISVPRODID;
  checks.push({
    name: 'qe-static-identity',
    ok: staticOk,
    detail: staticOk
      ? `the QE is Intel's TD QE (MRSIGNER ${mrSigner.slice(0, 8)}…, ISVPRODID 2, ISVSVN ${quote.qeReport.isvSvn})`
      : `the QE is not Intel's TD QE: MRSIGNER ${mrSigner}, ISVPRODID ${quote.qeReport.isvProdId}`,
  });

  if (options.collateral === undefined) {
    for (const name of ['collateral-signature', 'collateral-expiry', 'collateral-issued', 'tcb-status', 'qe-identity', 'crl']) {
      checks.push({ name, ok: null, detail: NO_COLLATERAL });
    }
    return { status: undefined, advisoryIds: undefined };
  }
  const collateral = isCollateral(options.collateral) ? options.collateral : parseCollateral(options.collateral);
  return verifyWithCollateral(quote, collateral, chain.path, chain.rootDer, options, now, checks);
}

