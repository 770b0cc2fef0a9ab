/**
 * The checks TDX collateral makes possible (spec/tdx.md §4.5 "With collateral you can then do
 * the following"): `collateral-signature` (TCB info and QE identity signed by Intel SGX TCB
 * Signing, chained to the pinned root), `collateral-expiry` (`nextUpdate` of each part),
 * `collateral-issued` (no part issued after the verification time), `tcb-status` (the converged
 * status and each component's status among the accepted ones) and `qe-identity` (tdx-tcb.ts), and
 * `crl` (tdx-crl.ts), in that report order. Given collateral must be complete: a missing CRL fails
 * `crl` rather than leaving it unmade.
 */
import type { Check } from '../pki/check.js';
import { crlExpiredAt } from '../pki/crl.js';
import type { x509 } from '../pki/x509.js';
import { commonName, errorText, readPckExtensions, verifyIntelChain, type PckExtensions } from './intel-chain.js';
import type { TdxCollateral } from './tdx-collateral.js';
import { crlCheck, readCollateralCrl } from './tdx-crl.js';
import type { TdxQuote } from './tdx-quote.js';
import { certificateKey, verifyRaw } from './tdx-signature.js';
import { evaluateQeIdentity, evaluateTcb, type TcbEvaluation } from './tdx-tcb.js';

/** The verification options the collateral checks read (see `TdxVerifyOptions`). */
export interface CollateralCheckOptions {
  readonly root?: Uint8Array;
  readonly acceptedTcbStatuses?: readonly string[];
}

/** A CRL's thisUpdate, or `undefined` when it cannot be read. */
function crlThisUpdate(crl: x509.X509Crl): Date | undefined {
  try {
    const d = crl.thisUpdate;
    return d instanceof Date && !Number.isNaN(d.getTime()) ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `tcb-status` check: the converged status must be accepted, and so must each component's
 * own status (TDX module, QE) that is not UpToDate — convergence only reacts to OutOfDate and
 * Revoked, so a component status it passes over must still be one the caller accepts. Revoked is
 * refused even when listed.
 */
function tcbStatusCheck(tcb: TcbEvaluation, accepted: readonly string[]): Check {
  const list = `accepted: ${accepted.length ? accepted.join(', ') : 'none'}`;
  if (!tcb.ok || tcb.status === undefined) return { name: 'tcb-status', ok: false, detail: tcb.detail };
  // Revoked is never accepted, whatever the list says (dcap-qvl verify_impl: `is_valid()` is false
  // only for Revoked; Intel's QVL reports STATUS_TCB_REVOKED as a failure).
  const ok = (status: string): boolean => status !== 'Revoked' && accepted.includes(status);
  const refused: string[] = [];
  if (!ok(tcb.status)) refused.push(`the TCB status ${tcb.status}`);
  for (const c of tcb.componentStatuses ?? []) {
    if (c.status !== 'UpToDate' && !ok(c.status)) refused.push(`the ${c.what} status ${c.status}`);
  }
  return {
    name: 'tcb-status',
    ok: refused.length === 0,
    detail: refused.length ? `${refused.join(' and ')} not accepted: ${tcb.detail}; ${list}` : `${tcb.detail}; ${list}`,
  };
}

/**
 * Problems with one signed collateral JSON text (none: it verifies; tdx.md §4.5), and its signing
 * certificate when the issuer chain has one (for the root CA CRL, tdx-crl.ts).
 */
async function verifySignedJson(
  label: string,
  text: string,
  signature: Uint8Array,
  issuerChain: readonly Uint8Array[],
  root: Uint8Array | undefined,
  now: Date,
): Promise<{ problems: string[]; signer: x509.X509Certificate | undefined }> {
  const problems: string[] = [];
  const r = await verifyIntelChain(issuerChain, {
    ...(root ? { root } : {}),
    now,
    depth: 1,
    label: `${label} issuer chain`,
  });
  if (!r.rootPinned.ok) problems.push(`${label} issuer chain: ${r.rootPinned.detail}`);
  if (!r.chain.ok) problems.push(`${label} issuer chain: ${r.chain.detail}`);
  const signer = r.path[0];
  if (!signer) return { problems: [...problems, `${label}: no signing certificate`], signer };
  if (commonName(signer.subject) !== 'Intel SGX TCB Signing') {
    problems.push(`${label} is signed by "${commonName(signer.subject)}", not "Intel SGX TCB Signing"`);
  }
  const key = await certificateKey(signer);
  if (typeof key === 'string') return { problems: [...problems, key], signer };
  // The signature covers the exact JSON text as served (tdx.md §4.5).
  if (!(await verifyRaw(key, signature, new TextEncoder().encode(text)))) {
    problems.push(`the ${label} signature does not verify with the "${commonName(signer.subject)}" key`);
  }
  return { problems, signer };
}

/**
 * Appends the collateral checks to `checks` for a quote whose PCK chain (`path`, leaf first, and
 * its root `rootDer`) was verified; returns the TCB status and advisories when a level matched.
 * Throws `EvidenceError('BadCollateral')` only for an unreadable CRL.
 */
export async function verifyWithCollateral(
  quote: TdxQuote,
  c: TdxCollateral,
  path: readonly x509.X509Certificate[],
  rootDer: Uint8Array | undefined,
  options: CollateralCheckOptions,
  now: Date,
  checks: Check[],
): Promise<{ status: string | undefined; advisoryIds: readonly string[] | undefined }> {
  // The anchor for the collateral chains: the given root, else each chain's own (both pinned).
  const root = options.root;

  // Collateral signatures (tdx.md §4.5 "Check collateral signatures").
  const tcbInfoSigned = await verifySignedJson('TCB info', c.tcbInfoText, c.tcbInfoSignature, c.tcbInfoIssuerChain, root, now);
  const qeIdentitySigned = await verifySignedJson(
    'QE identity',
    c.qeIdentityText,
    c.qeIdentitySignature,
    c.qeIdentityIssuerChain,
    root,
    now,
  );
  const sigProblems = [...tcbInfoSigned.problems, ...qeIdentitySigned.problems];
  checks.push({
    name: 'collateral-signature',
    ok: sigProblems.length === 0,
    detail: sigProblems.length
      ? sigProblems.join('; ')
      : 'TCB info and QE identity are signed by Intel SGX TCB Signing, which chains to the pinned root',
  });

  // Parse the CRLs once; unreadable CRLs are unreadable collateral.
  const rootCrl = readCollateralCrl(c.rootCaCrl, 'root_ca_crl');
  const pckCrl = readCollateralCrl(c.pckCrl, 'pck_crl');

  // Expiry (tdx.md §4.5 "and the nextUpdate expiry").
  const iso = now.toISOString();
  const crls = [
    ['root CA CRL', rootCrl],
    ['PCK CRL', pckCrl],
  ] as const;
  const present = crls.filter(([, l]) => l !== undefined).map(([what]) => what);
  const covered = ['TCB info', 'QE identity', ...present].join(', ');
  const absent = present.length === crls.length ? '' : ' (a missing CRL fails the crl check)';
  const expired: string[] = [];
  if (now > c.tcbInfo.nextUpdate) expired.push(`TCB info expired at ${c.tcbInfo.nextUpdate.toISOString()}`);
  if (now > c.qeIdentity.nextUpdate) expired.push(`QE identity expired at ${c.qeIdentity.nextUpdate.toISOString()}`);
  for (const [what, l] of crls) {
    // A CRL without nextUpdate never says when it stops speaking for the present (RFC 5280
    // §5.1.2.5: conforming issuers include it); go-tdx-guest's checkCollateralExpiration compares
    // against its zero time, so it counts as expired there too.
    if (l && l.nextUpdate === undefined) expired.push(`${what} has no nextUpdate`);
    else if (l && crlExpiredAt(l, now)) expired.push(`${what} expired at ${l.nextUpdate!.toISOString()}`);
  }
  checks.push({
    name: 'collateral-expiry',
    ok: expired.length === 0,
    detail: expired.length ? `at ${iso}: ${expired.join('; ')}` : `${covered} are not past their nextUpdate at ${iso}${absent}`,
  });

  // Not yet issued: collateral dated after the verification time cannot speak for that time.
  // dcap-qvl refuses a TCB info or QE identity whose issueDate is after `now` (src/verify.rs
  // verify_tcb_info_signature, verify_qe_identity_signature), OpenSSL a CRL whose thisUpdate is
  // (crypto/x509/x509_vfy.c check_crl_time, X509_V_ERR_CRL_NOT_YET_VALID).
  const early: string[] = [];
  if (now < c.tcbInfo.issueDate) early.push(`TCB info issued at ${c.tcbInfo.issueDate.toISOString()}`);
  if (now < c.qeIdentity.issueDate) early.push(`QE identity issued at ${c.qeIdentity.issueDate.toISOString()}`);
  for (const [what, l] of crls) {
    const issued = l ? crlThisUpdate(l) : undefined;
    if (l && issued === undefined) early.push(`${what} has no readable thisUpdate`);
    else if (issued !== undefined && now < issued) early.push(`${what} issued at ${issued.toISOString()}`);
  }
  checks.push({
    name: 'collateral-issued',
    ok: early.length === 0,
    detail: early.length
      ? `not yet issued at ${iso}: ${early.join('; ')}`
      : `${covered} were issued at or before ${iso}${absent}`,
  });

  // QE identity, then the TCB status (which converges the QE's status in).
  const qe = evaluateQeIdentity(quote.qeReport, c.qeIdentity);
  let tcb: TcbEvaluation;
  const leaf = path[0];
  if (!leaf) {
    tcb = { ok: false, detail: 'no PCK certificate', status: undefined, advisoryIds: [] };
  } else {
    // A leaf without a readable SGX extension cannot be matched; that fails the check rather
    // than the whole verification (the chain checks already say whether the leaf is Intel's).
    let pck: PckExtensions | string;
    try {
      pck = readPckExtensions(leaf);
    } catch (e) {
      pck = errorText(e);
    }
    tcb =
      typeof pck === 'string'
        ? { ok: false, detail: pck, status: undefined, advisoryIds: [] }
        : evaluateTcb(quote.body, pck, c.tcbInfo, qe.status, qe.advisoryIds);
  }
  checks.push(tcbStatusCheck(tcb, options.acceptedTcbStatuses ?? ['UpToDate']));
  checks.push({ name: 'qe-identity', ok: qe.ok, detail: qe.detail });

  // CRLs (tdx.md §4.5): the intermediate must not be in the root CRL, the leaf not in the PCK CRL,
  // and neither may the certificates that signed the TCB info and QE identity (root CA CRL).
  const signers = [
    ['TCB info', tcbInfoSigned.signer],
    ['QE identity', qeIdentitySigned.signer],
  ].flatMap(([what, cert]) => (cert ? [{ what: what as string, cert: cert as x509.X509Certificate }] : []));
  checks.push(await crlCheck(path, rootDer, rootCrl, pckCrl, signers));
  return { status: tcb.status, advisoryIds: tcb.advisoryIds };
}
