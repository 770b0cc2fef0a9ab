/**
 * Evidence of either platform behind one entry point: detect what the bytes are (an SEV-SNP
 * report in any of its encodings, or a TDX quote, TDREPORT or Azure HCL report), verify it
 * (signature and chain, spec/snp.md §4–§5, spec/tdx.md §4.4–§4.5), appraise it against the
 * policy (appraise.ts), and give the values `compare` needs.
 */
import { allPassed, requireAllChecks, type Check } from '../pki/check.js';
import { appraiseSnp, appraiseTdx } from './appraise.js';
import type { AppraisalPolicy } from './policy.js';
import type { EvidenceValues } from './compare.js';
import { EvidenceError } from './errors.js';
import { loadSnpEvidence, type SnpEvidence } from './snp-input.js';
import { verifySnpEvidence } from './snp-verify.js';
import { loadTdxEvidence, type TdxEvidence } from './tdx-input.js';
import { verifyTdxEvidence } from './tdx-verify.js';

/** Evidence of one platform. */
export type Evidence = { readonly platform: 'SEV_SNP'; readonly snp: SnpEvidence } | { readonly platform: 'TDX'; readonly tdx: TdxEvidence };

/** Certificates and collateral for verification; all optional. */
export interface VerifyOptions {
  /** SEV-SNP: the VCEK or VLEK (DER or PEM; a PEM may carry the ASK/ASVK and ARK after it). */
  readonly vcek?: Uint8Array;
  /** SEV-SNP: the ASK/ASVK and ARK (PEM). */
  readonly chain?: Uint8Array;
  /** SEV-SNP: AMD's ARK-signed CRL (DER or PEM); without it, `fetch` gets it from KDS. */
  readonly crl?: Uint8Array;
  /** SEV-SNP: fetches a missing certificate from AMD's KDS (node/kds.ts). */
  readonly fetch?: (url: string) => Promise<Uint8Array>;
  /** TDX: collateral JSON (the shape of dcap-qvl's `tdx_quote_collateral.json`). */
  readonly collateral?: unknown;
  /** TDX: the root certificate to anchor at (it must still match Intel's pinned root). */
  readonly root?: Uint8Array;
  /** The time for certificate validity and collateral expiry (default now). */
  readonly now?: Date;
  /**
   * The appraisal policy (policy.ts). Without one the defaults apply: debug guests are refused,
   * TDX needs SEPT_VE_DISABLE, and TCB status UpToDate only.
   */
  readonly policy?: AppraisalPolicy;
}

/** A verification result of either platform. */
export interface EvidenceVerification {
  readonly verified: boolean;
  readonly checks: readonly Check[];
}

/** Detects and parses evidence; `UnknownEvidence` when it is neither platform's. */
export function loadEvidence(bytes: Uint8Array): Evidence {
  let snpError: EvidenceError | undefined;
  try {
    return { platform: 'SEV_SNP', snp: loadSnpEvidence(bytes) };
  } catch (e) {
    if (!(e instanceof EvidenceError)) throw e;
    snpError = e;
  }
  try {
    return { platform: 'TDX', tdx: loadTdxEvidence(bytes) };
  } catch (e) {
    if (!(e instanceof EvidenceError)) throw e;
    // Report the error of the format that recognised the input, if one did.
    if (e.code !== 'UnknownEvidence') throw e;
    if (snpError.code !== 'UnknownEvidence') throw snpError;
    throw new EvidenceError('UnknownEvidence', 'not an SEV-SNP attestation report (raw, hex, base64, Azure HCL or JSON), a TDX quote (v4/v5, or Azure TDX JSON), a TDREPORT or an Azure HCL report');
  }
}

/**
 * Verifies evidence offline (or with `fetch`), then appraises it against `options.policy`
 * (appraise.ts); failed checks are results, not exceptions. `verified` is true only when every
 * check that was made passed; with the policy's `requireAll`, a check not made fails too.
 */
export async function verifyEvidence(evidence: Evidence, options: VerifyOptions = {}): Promise<EvidenceVerification> {
  const policy = options.policy ?? {};
  let checks: Check[];
  let verified: boolean;
  if (evidence.platform === 'SEV_SNP') {
    const r = await verifySnpEvidence(evidence.snp, {
      ...(options.vcek ? { vcek: options.vcek } : {}),
      ...(options.chain ? { chain: options.chain } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.crl ? { crl: options.crl } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    checks = [...r.checks, ...appraiseSnp(evidence.snp.report, policy)];
    verified = r.verified;
  } else {
    const r = await verifyTdxEvidence(evidence.tdx, {
      ...(options.collateral !== undefined ? { collateral: options.collateral as never } : {}),
      ...(options.root ? { root: options.root } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(policy.acceptedTcbStatuses ? { acceptedTcbStatuses: policy.acceptedTcbStatuses } : {}),
    });
    checks = [...r.checks, ...appraiseTdx(evidence.tdx, policy)];
    verified = r.verified;
  }
  if (policy.requireAll === true) checks = requireAllChecks(checks);
  return { verified: verified && allPassed(checks), checks };
}

/** The launch measurement the evidence reports: SNP MEASUREMENT or TDX MRTD. */
export function reportedMeasurement(evidence: Evidence): Uint8Array {
  const v = evidenceValues(evidence);
  return v.platform === 'SEV_SNP' ? v.measurement : v.mrtd;
}

/** The values `compareEvidence` compares. */
export function evidenceValues(evidence: Evidence): EvidenceValues {
  if (evidence.platform === 'SEV_SNP') {
    const r = evidence.snp.report;
    return {
      platform: 'SEV_SNP',
      measurement: r.measurement,
      policy: r.policy,
      familyId: r.familyId,
      imageId: r.imageId,
      guestSvn: r.guestSvn,
      idKeyDigest: r.idKeyDigest,
      authorKeyDigest: r.authorKeyDigest,
      authorKeyEnabled: r.signerInfo.authorKeyEn,
      reportData: r.reportData,
      hostData: r.hostData,
    };
  }
  const t = evidence.tdx;
  if (t.quote !== undefined) return { platform: 'TDX', mrtd: t.quote.body.mrTd, reportData: t.quote.body.reportData };
  if (t.tdReport !== undefined) return { platform: 'TDX', mrtd: t.tdReport.tdInfo.mrTd, reportData: t.tdReport.reportMacStruct.reportData };
  throw new EvidenceError('UnknownEvidence', 'the TDX evidence carries neither a quote nor a TDREPORT');
}
