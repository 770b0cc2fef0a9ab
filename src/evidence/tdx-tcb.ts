/**
 * The TDX TCB status (spec/tdx.md §4.5 "TCB level matching", "Match the TDX module identity",
 * "Check the QE identity"): which TCB level of the TCB info the platform and TDX module are at,
 * the TDX module identity's own status, the QE identity's, and how Intel's QVL converges them
 * into one status. The rules follow Intel's QVL (`TcbLevelCheck.cpp`, `TdxModuleCheck.cpp`) where
 * tdx.md §4.5 step 2 differs from it (see `evaluateTcb`).
 *
 * Exported for tests that pin these rules to QVL's decisions; not part of the package API.
 */
import { bytesEqual, bytesToHex } from '../format/bytes.js';
import type { PckExtensions } from './intel-chain.js';
import type { QeIdentity, TdxModuleIdentity, TdxTcbInfo } from './tdx-collateral.js';
import type { QeReport, TdReportBody } from './tdx-quote.js';

/** What TCB matching reads from the quote's TD report body. */
export type TcbBody = Pick<TdReportBody, 'teeTcbSvn' | 'mrSignerSeam' | 'seamAttributes'>;
/** What TCB matching reads from the PCK certificate's SGX extension. */
export type TcbPck = Pick<PckExtensions, 'fmspc' | 'pceId' | 'sgxTcbComponentSvns' | 'pceSvn'>;

function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

function masked(value: Uint8Array, mask: Uint8Array): Uint8Array {
  return value.map((x, i) => x & (mask[i] ?? 0));
}

/**
 * Converges a platform status with a TDX-module or QE status: an out-of-date component makes an
 * up-to-date (or SW-hardening) platform OutOfDate and a configuration-needed one
 * OutOfDateConfigurationNeeded; a revoked component revokes; anything else leaves the platform
 * status (Intel QVL `TdxModuleCheck.cpp` `convergeTcbStatusWithTdxModuleStatus` and
 * `TcbLevelCheck.cpp` `convergeTcbStatusWithQeTcbStatus`, which are the same table).
 */
export function converge(platform: string, component: string | undefined): string {
  if (component === undefined) return platform;
  if (component === 'Revoked') return 'Revoked';
  if (component === 'OutOfDate') {
    if (platform === 'UpToDate' || platform === 'SWHardeningNeeded') return 'OutOfDate';
    if (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded') {
      return 'OutOfDateConfigurationNeeded';
    }
  }
  return platform;
}

/**
 * The outcome of TCB matching: `status` is set whenever a status could be named; it is the
 * converged status. `componentStatuses` are the TDX module's and the QE's own statuses that were
 * converged into it (absent ones left out), so that a caller can hold each of them to its list of
 * accepted statuses too: `converge` only reacts to OutOfDate and Revoked.
 */
export interface TcbEvaluation {
  readonly ok: boolean;
  readonly detail: string;
  readonly status: string | undefined;
  readonly advisoryIds: readonly string[];
  readonly componentStatuses?: readonly { readonly what: string; readonly status: string }[];
}

/**
 * TCB-level matching (tdx.md §4.5): the first level, in listed order, whose SGX components and
 * PCESVN are ≤ the PCK certificate's and whose TDX components are ≤ TEE_TCB_SVN. When
 * TEE_TCB_SVN[1] (the TDX module major version) is non-zero, bytes 0 and 1 are left out of the
 * comparison and judged by the `TDX_<ver>` module identity instead — this is what Intel's QVL
 * does (`isTdxTcbHigherOrEqual`), and it is the only reading under which the dcap-qvl sample
 * matches its own collateral (tdx.md §4.5 step 2 says to require TEE_TCB_SVN[1] to equal the
 * level's component 1, which would fail there: the quote has 1, every level 0).
 */
export function evaluateTcb(
  body: TcbBody,
  pck: TcbPck,
  info: TdxTcbInfo,
  qeStatus: string | undefined,
  qeAdvisoryIds: readonly string[] = [],
): TcbEvaluation {
  const fail = (detail: string, status?: string): TcbEvaluation => ({ ok: false, detail, status, advisoryIds: [] });
  if (info.id !== 'TDX' || info.version < 3) {
    return fail(`the TCB info is "${info.id}" version ${info.version}, not TDX TCB info version 3 or later`);
  }
  if (!bytesEqual(info.fmspc, pck.fmspc)) {
    return fail(`the TCB info is for FMSPC ${bytesToHex(info.fmspc)}, the PCK certificate has FMSPC ${bytesToHex(pck.fmspc)}`);
  }
  if (!bytesEqual(info.pceId, pck.pceId)) {
    return fail(`the TCB info is for PCE-ID ${bytesToHex(info.pceId)}, the PCK certificate has ${bytesToHex(pck.pceId)}`);
  }
  // TCB type 0 is the only one whose components compare as below (Intel QVL TcbInfo.cpp
  // parsePartV2: "TcbInfo TCB Type (…) is not supported. Supported types are: [0]").
  if (info.tcbType !== 0) {
    return fail(`the TCB info's tcbType is ${info.tcbType ?? 'missing'}, not 0, the only TCB type known`);
  }
  // A TDX TCB info always names its TDX module (Intel QVL TcbInfo.cpp parsePartV3 "TCB Info JSON
  // for TDX should have [tdxModule] field"; dcap-qvl match_tdx_module_identity bails without it):
  // without it MRSIGNERSEAM and SEAMATTRIBUTES would go unchecked for a module version 0 quote.
  if (!info.tdxModule) return fail('the TDX TCB info has no tdxModule, so the TDX module cannot be identified');
  const svn = body.teeTcbSvn;
  const moduleVersion = svn[1] as number;
  const start = moduleVersion > 0 ? 2 : 0;
  const level = info.tcbLevels.find(
    (l) =>
      l.sgxTcbComponents.every((c, i) => (pck.sgxTcbComponentSvns[i] ?? 0) >= c.svn) &&
      pck.pceSvn >= l.pceSvn &&
      l.tdxTcbComponents !== undefined &&
      l.tdxTcbComponents.every((c, i) => i < start || (svn[i] ?? 0) >= c.svn),
  );
  if (!level) {
    return fail(
      `no TCB level matches (PCK SGX SVNs ${pck.sgxTcbComponentSvns.join(',')}, PCESVN ${pck.pceSvn}, ` +
        `TEE_TCB_SVN ${bytesToHex(svn)})`,
      'TcbNotSupported',
    );
  }

  // The TDX module identity (tdx.md §4.5 "Match the TDX module identity").
  let module: TdxModuleIdentity | undefined = info.tdxModule;
  let moduleStatus: string | undefined;
  let moduleText = '';
  let moduleAdvisoryIds: readonly string[] = [];
  if (moduleVersion > 0) {
    const id = `TDX_${moduleVersion.toString(16).toUpperCase().padStart(2, '0')}`;
    module = info.tdxModuleIdentities.find((m) => m.id?.toUpperCase() === id);
    if (!module) return fail(`the TCB info has no TDX module identity ${id} (TEE_TCB_SVN[1] = ${moduleVersion})`, 'TcbNotSupported');
    const ml = module.tcbLevels.find((l) => l.isvSvn <= (svn[0] as number));
    if (!ml) return fail(`no level of ${id} has an ISVSVN <= ${svn[0]}`, 'TcbNotSupported');
    moduleStatus = ml.tcbStatus;
    moduleAdvisoryIds = ml.advisoryIds;
    moduleText = `; TDX module ${id} ISVSVN ${svn[0]}: ${ml.tcbStatus}`;
  }
  if (module) {
    if (!bytesEqual(module.mrSigner, body.mrSignerSeam)) {
      return fail(
        `MRSIGNERSEAM ${bytesToHex(body.mrSignerSeam)} is not the TDX module signer ${bytesToHex(module.mrSigner)}`,
        'TdxModuleMismatch',
      );
    }
    const seam = masked(u64le(body.seamAttributes), module.attributesMask);
    if (!bytesEqual(seam, module.attributes)) {
      return fail(`masked SEAMATTRIBUTES ${bytesToHex(seam)} are not ${bytesToHex(module.attributes)}`, 'TdxModuleMismatch');
    }
  }
  const status = converge(converge(level.tcbStatus, moduleStatus), qeStatus);
  const componentStatuses: { what: string; status: string }[] = [];
  if (moduleStatus !== undefined) componentStatuses.push({ what: 'TDX module', status: moduleStatus });
  if (qeStatus !== undefined) componentStatuses.push({ what: 'QE', status: qeStatus });
  // The advisories of the platform level, the TDX module level and the QE level, each once
  // (dcap-qvl src/verify.rs merges them with TcbStatusWithAdvisory::merge, src/tcb_info.rs).
  const advisoryIds = [...new Set([...level.advisoryIds, ...moduleAdvisoryIds, ...qeAdvisoryIds])];
  const detail =
    `${status} (TCB level ${level.tcbDate}: ${level.tcbStatus}${moduleText}` +
    `${qeStatus === undefined ? '' : `; QE: ${qeStatus}`})` +
    (advisoryIds.length ? `; advisories ${advisoryIds.join(', ')}` : '');
  return { ok: true, detail, status, advisoryIds, componentStatuses };
}

/** The QE identity check (tdx.md §4.5): MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES, ISVSVN. */
export function evaluateQeIdentity(
  qe: QeReport,
  id: QeIdentity,
): { ok: boolean; detail: string; status: string | undefined; advisoryIds: readonly string[] } {
  const problems: string[] = [];
  if (id.id !== 'TD_QE') problems.push(`the identity is "${id.id}", not "TD_QE"`);
  // dcap-qvl src/verify.rs verify_impl accepts TD_QE identity versions 2 and 3 only.
  if (id.version !== 2 && id.version !== 3) problems.push(`the TD_QE identity is version ${id.version}, not 2 or 3`);
  if (!bytesEqual(id.mrSigner, qe.mrSigner)) problems.push(`MRSIGNER ${bytesToHex(qe.mrSigner)} is not ${bytesToHex(id.mrSigner)}`);
  if (qe.isvProdId !== id.isvProdId) problems.push(`ISVPRODID ${qe.isvProdId} is not ${id.isvProdId}`);
  // MISCSELECT is a little-endian u32 in the report; the JSON gives its bytes in the same order
  // for value and mask, so the masked comparison is byte-wise.
  const misc = new Uint8Array(4);
  new DataView(misc.buffer).setUint32(0, qe.miscSelect, true);
  const miscMasked = masked(misc, id.miscSelectMask);
  if (!bytesEqual(miscMasked, id.miscSelect)) problems.push(`masked MISCSELECT ${bytesToHex(miscMasked)} is not ${bytesToHex(id.miscSelect)}`);
  const attrMasked = masked(qe.attributes, id.attributesMask);
  if (!bytesEqual(attrMasked, id.attributes)) problems.push(`masked ATTRIBUTES ${bytesToHex(attrMasked)} are not ${bytesToHex(id.attributes)}`);
  const level = id.tcbLevels.find((l) => l.isvSvn <= qe.isvSvn);
  if (!level) problems.push(`no QE TCB level has an ISVSVN <= ${qe.isvSvn}`);
  if (level?.tcbStatus === 'Revoked') problems.push(`QE ISVSVN ${qe.isvSvn} is revoked`);
  const advisoryIds = level?.advisoryIds ?? [];
  if (problems.length) return { ok: false, detail: problems.join('; '), status: level?.tcbStatus, advisoryIds };
  return {
    ok: true,
    detail: `TD_QE: MRSIGNER, ISVPRODID ${qe.isvProdId}, MISCSELECT and ATTRIBUTES match; ISVSVN ${qe.isvSvn}: ${level?.tcbStatus}`,
    status: level?.tcbStatus,
    advisoryIds,
  };
}
