/**
 * The appraisal: policy checks over a loaded SEV-SNP report or TDX quote/TDREPORT, made after
 * (and independently of) its signature and chain checks. SEV-SNP: spec/snp.md §4 (GUEST POLICY
 * bits, VMPL, TCB_VERSION per product layout, GUEST_SVN, ID-block digests, FAMILY_ID/IMAGE_ID,
 * REPORT_DATA/HOST_DATA); TDX: spec/tdx.md §3 (TDATTRIBUTES DEBUG and SEPT_VE_DISABLE, XFAM, the
 * MR registers, RTMR0–3) and §4.2 (TEE_TCB_SVN).
 *
 * Each check is named; a check whose expected value was not given is `ok: null` ("not made"),
 * never `true`. Two checks are always made: `debug` (refused unless allowed, as go-sev-guest's
 * `validatePolicy`, go-tdx-guest's `validateTdAttributes` and dcap-qvl's `validate_attrs` do) and,
 * for TDX, `sept-ve-disable` (dcap-qvl `validate_attrs`).
 */
import { bytesEqual, bytesToHex } from '../format/bytes.js';
import type { Check } from '../pki/check.js';
import type { AppraisalPolicy, TcbMinimum, TcbParts } from './policy.js';
import { decodeTcbVersion, type SnpReport, type TcbVersion } from './snp-report.js';
import type { TdxEvidence } from './tdx-input.js';

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const hex64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/** A check that needs a value the policy does not give. */
function notMade(name: string, needs: string): Check {
  return { name, ok: null, detail: `not checked: no expected value (${needs})` };
}

/** A reported value against an expected one; `pad`: the expected value is zero-padded to the field. */
function bytesCheck(name: string, field: string, reported: Uint8Array, expected: Uint8Array | undefined, needs: string, pad = false): Check {
  if (expected === undefined) return notMade(name, needs);
  let want = expected;
  if (pad && expected.length < reported.length) {
    want = new Uint8Array(reported.length);
    want.set(expected);
  }
  const ok = bytesEqual(want, reported);
  const actual = bytesToHex(reported);
  return { name, ok, expected: bytesToHex(want), actual, detail: ok ? `${field} ${actual} as expected` : `${field} is ${actual}, expected ${bytesToHex(want)}` };
}

// ---- SEV-SNP ---------------------------------------------------------------------------------

/** GUEST POLICY bits (spec/snp.md §4; the ABI's bit numbers). */
const SNP_POLICY = { smt: 16, migrateMa: 18, debug: 19, singleSocket: 20, cxl: 21, memAes256Xts: 22, raplDis: 23, ciphertextHiding: 24, pageSwapDisable: 25 } as const;

function snpDebug(report: SnpReport, policy: AppraisalPolicy): Check {
  const name = 'debug';
  const actual = `POLICY ${hex64(report.policy)}, DEBUG (bit 19) ${bit(report.policy, SNP_POLICY.debug) ? 'set' : 'clear'}`;
  // go-sev-guest allows debug when the most permissive accepted POLICY has DEBUG set; an explicit
  // allow_debug: false still refuses, so that a copied GUEST_POLICY cannot lift it silently.
  const allowed = policy.allowDebug === true || (policy.allowDebug !== false && policy.policy !== undefined && bit(policy.policy, SNP_POLICY.debug));
  const expected = allowed ? 'DEBUG allowed' : 'DEBUG (bit 19) clear';
  if (!bit(report.policy, SNP_POLICY.debug)) return { name, ok: true, expected, actual, detail: `guest POLICY ${hex64(report.policy)}: DEBUG (bit 19) is clear` };
  if (allowed) return { name, ok: true, expected, actual, detail: `guest POLICY ${hex64(report.policy)} has DEBUG (bit 19) set: allowed by the policy (--allow-debug)` };
  return {
    name,
    ok: false,
    expected,
    actual,
    detail: `guest POLICY ${hex64(report.policy)} has DEBUG (bit 19) set: the host can read and write the guest's memory (SNP_DBG_DECRYPT/ENCRYPT); give --allow-debug to accept a debug guest`,
  };
}

/** go-sev-guest `validatePolicy`: `policy` is the most permissive guest policy accepted. */
function snpPolicyBits(report: SnpReport, policy: AppraisalPolicy): Check {
  const name = 'policy-bits';
  if (policy.policy === undefined) return notMade(name, '--guest-policy or policy');
  const want = policy.policy;
  const got = report.policy;
  const why: string[] = [];
  const abi = (v: bigint): number => Number((v >> 8n) & 0xffn) * 256 + Number(v & 0xffn);
  if (abi(want) > abi(got)) why.push(`ABI ${(want >> 8n) & 0xffn}.${want & 0xffn} required, the guest's is ${(got >> 8n) & 0xffn}.${got & 0xffn}`);
  for (const [label, b] of [['SMT', SNP_POLICY.smt], ['MIGRATE_MA', SNP_POLICY.migrateMa], ['CXL_ALLOW', SNP_POLICY.cxl]] as const) {
    if (bit(got, b) && !bit(want, b)) why.push(`${label} (bit ${b}) is set but not allowed`);
  }
  for (const [label, b] of [
    ['SINGLE_SOCKET', SNP_POLICY.singleSocket],
    ['MEM_AES_256_XTS', SNP_POLICY.memAes256Xts],
    ['RAPL_DIS', SNP_POLICY.raplDis],
    ['CIPHERTEXT_HIDING_DRAM', SNP_POLICY.ciphertextHiding],
    ['PAGE_SWAP_DISABLE', SNP_POLICY.pageSwapDisable],
  ] as const) {
    if (bit(want, b) && !bit(got, b)) why.push(`${label} (bit ${b}) is required but clear`);
  }
  const ok = why.length === 0;
  return {
    name,
    ok,
    expected: `at most ${hex64(want)}`,
    actual: hex64(got),
    detail: ok ? `guest POLICY ${hex64(got)} is within ${hex64(want)}` : `guest POLICY ${hex64(got)} against ${hex64(want)}: ${why.join('; ')}`,
  };
}

const TCB_NAMES: ReadonlyArray<readonly [keyof TcbParts, keyof TcbVersion, string]> = [
  ['fmcSpl', 'fmc', 'FMC'],
  ['blSpl', 'bootLoader', 'BOOT_LOADER'],
  ['teeSpl', 'tee', 'TEE'],
  ['snpSpl', 'snp', 'SNP'],
  ['ucodeSpl', 'microcode', 'MICROCODE'],
];

/** Component-wise `minimum <= tcb`, in the report's product layout (spec/snp.md §4 TCB_VERSION). */
function tcbCheck(name: string, field: string, tcb: TcbVersion, minimum: TcbMinimum | undefined, report: SnpReport, needs: string): Check {
  if (minimum === undefined) return notMade(name, needs);
  const layout = report.product === 'Turin' ? 'Turin' : 'Milan/Genoa';
  const parts: TcbParts = 'parts' in minimum ? minimum.parts : partsOf(decodeTcbVersion(minimum.raw, report.product));
  const low: string[] = [];
  const shown: string[] = [];
  for (const [key, comp, label] of TCB_NAMES) {
    const want = parts[key];
    if (want === undefined) continue;
    const got = (tcb[comp] as number | undefined) ?? 0;
    shown.push(`${label} ${got} >= ${want}`);
    if (got < want) low.push(`${label} ${got} < ${want}`);
  }
  const ok = low.length === 0;
  const expected = `${'raw' in minimum ? `${hex64(minimum.raw)}: ` : ''}${TCB_NAMES.filter(([k]) => parts[k] !== undefined).map(([k, , l]) => `${l} ${parts[k]}`).join(', ')}`;
  return {
    name,
    ok,
    expected: `at least ${expected}`,
    actual: hex64(tcb.raw),
    detail: ok ? `${field} ${hex64(tcb.raw)} (${layout} layout): ${shown.join(', ')}` : `${field} ${hex64(tcb.raw)} (${layout} layout) is below the minimum: ${low.join(', ')}`,
  };
}

function partsOf(t: TcbVersion): TcbParts {
  return { blSpl: t.bootLoader, teeSpl: t.tee, snpSpl: t.snp, ucodeSpl: t.microcode, ...(t.fmc !== undefined ? { fmcSpl: t.fmc } : {}) };
}

/** go-sev-guest `validateTcb`/`validateVersion`: committed firmware against current. */
function provisional(report: SnpReport, policy: AppraisalPolicy): Check {
  const name = 'committed-tcb';
  if (policy.permitProvisionalFirmware === undefined) return notMade(name, '--permit-provisional-firmware true|false or permit_provisional_firmware');
  const c = report.committedTcb;
  const u = report.currentTcb;
  const v = (x: { major: number; minor: number; build: number }): number => x.major * 65536 + x.minor * 256 + x.build;
  const comps = TCB_NAMES.map(([, comp]) => [(c[comp] as number | undefined) ?? 0, (u[comp] as number | undefined) ?? 0] as const);
  const ok = policy.permitProvisionalFirmware
    ? comps.every(([a, b]) => a <= b) && v(report.committedVersion) <= v(report.currentVersion)
    : c.raw === u.raw && v(report.committedVersion) === v(report.currentVersion);
  const fw = (x: { major: number; minor: number; build: number }): string => `${x.major}.${x.minor} build ${x.build}`;
  const actual = `COMMITTED_TCB ${hex64(c.raw)} (${fw(report.committedVersion)}), CURRENT_TCB ${hex64(u.raw)} (${fw(report.currentVersion)})`;
  return {
    name,
    ok,
    expected: policy.permitProvisionalFirmware ? 'committed <= current' : 'committed = current',
    actual,
    detail: `${actual}: ${ok ? 'as required' : policy.permitProvisionalFirmware ? 'committed firmware is newer than current' : 'provisional firmware is running (committed differs from current; permit_provisional_firmware accepts it)'}`,
  };
}

function numberCheck(name: string, field: string, got: number, want: number | undefined, cmp: 'eq' | 'ge', needs: string): Check {
  if (want === undefined) return notMade(name, needs);
  const ok = cmp === 'eq' ? got === want : got >= want;
  const expected = cmp === 'eq' ? String(want) : `at least ${want}`;
  return { name, ok, expected, actual: String(got), detail: ok ? `${field} ${got} ${cmp === 'eq' ? 'as expected' : `>= ${want}`}` : `${field} is ${got}, expected ${expected}` };
}

/** go-sev-guest `validateKeys`: the ID key (or the author key that signed it) is trusted. */
function idKeyChecks(report: SnpReport, policy: AppraisalPolicy): Check[] {
  const has = (list: readonly Uint8Array[] | undefined, d: Uint8Array): boolean => (list ?? []).some((h) => bytesEqual(h, d));
  const authorEn = report.signerInfo.authorKeyEn;
  const authorTrusted = authorEn && has(policy.trustedAuthorKeyHashes, report.authorKeyDigest);
  const checks: Check[] = [];
  const idGiven = policy.trustedIdKeyHashes !== undefined || policy.requireIdBlock === true || policy.requireAuthorKey === true;
  if (!idGiven) {
    checks.push(notMade('id-key-digest', '--trusted-id-key-hashes or trusted_id_key_hashes, require_id_block'));
  } else {
    const ok = authorTrusted || has(policy.trustedIdKeyHashes, report.idKeyDigest);
    const actual = bytesToHex(report.idKeyDigest);
    checks.push({
      name: 'id-key-digest',
      ok,
      expected: [...(policy.trustedIdKeyHashes ?? [])].map(bytesToHex).join(',') || '(none trusted)',
      actual,
      detail: ok
        ? authorTrusted
          ? `ID_KEY_DIGEST ${actual} is signed by a trusted author key`
          : `ID_KEY_DIGEST ${actual} is a trusted ID key`
        : `ID_KEY_DIGEST ${actual} is not a trusted ID key${authorEn ? ' and the author key is not trusted' : ''}`,
    });
  }
  if (policy.trustedAuthorKeyHashes === undefined && policy.requireAuthorKey !== true) {
    checks.push(notMade('author-key-digest', '--trusted-author-key-hashes or trusted_author_key_hashes, require_author_key'));
  } else {
    const actual = authorEn ? bytesToHex(report.authorKeyDigest) : 'AUTHOR_KEY_EN 0';
    const ok = authorTrusted || (!authorEn && policy.requireAuthorKey !== true && policy.trustedIdKeyHashes !== undefined && has(policy.trustedIdKeyHashes, report.idKeyDigest));
    checks.push({
      name: 'author-key-digest',
      ok,
      expected: [...(policy.trustedAuthorKeyHashes ?? [])].map(bytesToHex).join(',') || '(none trusted)',
      actual,
      detail: ok
        ? authorTrusted
          ? `AUTHOR_KEY_DIGEST ${actual} is a trusted author key`
          : 'no author key (AUTHOR_KEY_EN 0), and the ID key itself is trusted'
        : authorEn
          ? `AUTHOR_KEY_DIGEST ${actual} is not a trusted author key`
          : 'AUTHOR_KEY_EN is 0: the report has no author key',
    });
  }
  return checks;
}

/** The appraisal checks of an SEV-SNP report (spec/snp.md §4). */
export function appraiseSnp(report: SnpReport, policy: AppraisalPolicy = {}): Check[] {
  return [
    snpDebug(report, policy),
    snpPolicyBits(report, policy),
    numberCheck('vmpl', 'VMPL', report.vmpl, policy.vmpl, 'eq', '--vmpl or vmpl'),
    tcbCheck('minimum-tcb', 'REPORTED_TCB', report.reportedTcb, policy.minimumTcb, report, '--minimum-tcb or minimum_tcb'),
    tcbCheck('minimum-launch-tcb', 'LAUNCH_TCB', report.launchTcb, policy.minimumLaunchTcb, report, '--minimum-launch-tcb or minimum_launch_tcb'),
    provisional(report, policy),
    numberCheck('minimum-guest-svn', 'GUEST_SVN', report.guestSvn, policy.minimumGuestSvn, 'ge', '--minimum-guest-svn or minimum_guest_svn'),
    ...idKeyChecks(report, policy),
    bytesCheck('family-id', 'FAMILY_ID', report.familyId, policy.familyId, '--family-id or family_id'),
    bytesCheck('image-id', 'IMAGE_ID', report.imageId, policy.imageId, '--image-id or image_id'),
    bytesCheck('report-data', 'REPORT_DATA', report.reportData, policy.reportData, '--report-data or report_data', true),
    bytesCheck('host-data', 'HOST_DATA', report.hostData, policy.hostData, '--host-data or host_data', true),
  ];
}

// ---- TDX ---------------------------------------------------------------------------------------

/** TDATTRIBUTES bits (spec/tdx.md §3). */
const TD_DEBUG = 0;
const TD_SEPT_VE_DISABLE = 28;

/** The TD fields the appraisal reads, from a quote body or a TDREPORT. */
interface TdFields {
  readonly tdAttributes: bigint;
  readonly xfam: bigint;
  readonly mrSeam: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  readonly mrServiceTd: Uint8Array | undefined;
  readonly rtmrs: readonly Uint8Array[];
  readonly teeTcbSvn: Uint8Array;
  readonly reportData: Uint8Array;
}

function tdFields(e: TdxEvidence): TdFields | undefined {
  if (e.quote) {
    const b = e.quote.body;
    return { ...b, mrServiceTd: b.mrServiceTd, rtmrs: [b.rtmr0, b.rtmr1, b.rtmr2, b.rtmr3] };
  }
  if (e.tdReport) {
    const t = e.tdReport.tdInfo;
    const tcb = e.tdReport.teeTcbInfo;
    return { ...t, mrSeam: tcb.mrSeam, teeTcbSvn: tcb.teeTcbSvn, mrServiceTd: t.servTdHash, rtmrs: [t.rtmr0, t.rtmr1, t.rtmr2, t.rtmr3], reportData: e.tdReport.reportMacStruct.reportData };
  }
  return undefined;
}

function tdBit(name: string, attrs: bigint, b: number, label: string, wantSet: boolean, allowed: boolean, allowWith: string, risk: string): Check {
  const set = bit(attrs, b);
  const actual = `TD_ATTRIBUTES ${hex64(attrs)}, ${label} (bit ${b}) ${set ? 'set' : 'clear'}`;
  const expected = allowed ? `${label} allowed either way` : `${label} (bit ${b}) ${wantSet ? 'set' : 'clear'}`;
  if (set === wantSet) return { name, ok: true, expected, actual, detail: `${actual}` };
  if (allowed) return { name, ok: true, expected, actual, detail: `${actual}: allowed by the policy (${allowWith})` };
  return { name, ok: false, expected, actual, detail: `${actual}: ${risk}; give ${allowWith} to accept it` };
}

function u64Check(name: string, field: string, got: bigint, want: bigint | undefined, needs: string): Check {
  if (want === undefined) return notMade(name, needs);
  const ok = got === want;
  return { name, ok, expected: hex64(want), actual: hex64(got), detail: ok ? `${field} ${hex64(got)} as expected` : `${field} is ${hex64(got)}, expected ${hex64(want)}` };
}

/** The appraisal checks of TDX evidence (spec/tdx.md §3, §4.2). */
export function appraiseTdx(evidence: TdxEvidence, policy: AppraisalPolicy = {}): Check[] {
  const f = tdFields(evidence);
  if (f === undefined) return [{ name: 'debug', ok: false, detail: 'the evidence carries neither a quote nor a TDREPORT' }];
  const checks: Check[] = [
    tdBit('debug', f.tdAttributes, TD_DEBUG, 'DEBUG', false, policy.allowDebug === true, '--allow-debug', 'a debug TD is not protected from the host (its state can be read and changed)'),
    tdBit(
      'sept-ve-disable',
      f.tdAttributes,
      TD_SEPT_VE_DISABLE,
      'SEPT_VE_DISABLE',
      true,
      policy.allowSeptVe === true,
      '--allow-sept-ve',
      'the host can inject #VE on pending-page access, which the guest must handle safely',
    ),
    u64Check('td-attributes', 'TD_ATTRIBUTES', f.tdAttributes, policy.tdAttributes, '--td-attributes or td_attributes'),
    u64Check('xfam', 'XFAM', f.xfam, policy.xfam, '--xfam or xfam'),
    bytesCheck('mr-seam', 'MRSEAM', f.mrSeam, policy.mrSeam, '--mr-seam or mr_seam'),
    bytesCheck('mr-config-id', 'MRCONFIGID', f.mrConfigId, policy.mrConfigId, '--mr-config-id or mr_config_id'),
    bytesCheck('mr-owner', 'MROWNER', f.mrOwner, policy.mrOwner, '--mr-owner or mr_owner'),
    bytesCheck('mr-owner-config', 'MROWNERCONFIG', f.mrOwnerConfig, policy.mrOwnerConfig, '--mr-owner-config or mr_owner_config'),
  ];
  if (policy.mrServiceTd !== undefined && f.mrServiceTd === undefined) {
    checks.push({ name: 'mr-service-td', ok: false, expected: bytesToHex(policy.mrServiceTd), detail: 'a TDX 1.0 quote body carries no MRSERVICETD (only the TDX 1.5 body of a v5 quote has it, Intel DCAP quote format): the expected value cannot be shown' });
  } else {
    checks.push(bytesCheck('mr-service-td', 'MRSERVICETD', f.mrServiceTd ?? new Uint8Array(48), policy.mrServiceTd, '--mr-service-td or mr_service_td'));
  }
  f.rtmrs.forEach((r, i) => checks.push(bytesCheck(`rtmr${i}`, `RTMR${i}`, r, policy.rtmrs?.[i], `--rtmr${i} or rtmrs[${i}]`)));
  checks.push(teeTcbSvnCheck(f.teeTcbSvn, policy.minimumTeeTcbSvn));
  checks.push(bytesCheck('report-data', 'REPORTDATA', f.reportData, policy.reportData, '--report-data or report_data', true));
  if (policy.hostData !== undefined) {
    checks.push({ name: 'host-data', ok: false, expected: bytesToHex(policy.hostData), detail: 'TDX evidence carries no HOST_DATA (an SEV-SNP field)' });
  }
  return checks;
}

/** go-tdx-guest `isSvnHigherOrEqual`: every byte of TEE_TCB_SVN at least the minimum's. */
function teeTcbSvnCheck(got: Uint8Array, want: Uint8Array | undefined): Check {
  const name = 'minimum-tee-tcb-svn';
  if (want === undefined) return notMade(name, '--minimum-tee-tcb-svn or minimum_tee_tcb_svn');
  const low = [...want].map((w, i) => [i, got[i] ?? 0, w] as const).filter(([, g, w]) => g < w);
  const ok = low.length === 0;
  return {
    name,
    ok,
    expected: `at least ${bytesToHex(want)}`,
    actual: bytesToHex(got),
    detail: ok ? `TEE_TCB_SVN ${bytesToHex(got)} >= ${bytesToHex(want)} byte by byte` : `TEE_TCB_SVN ${bytesToHex(got)} is below ${bytesToHex(want)} at byte${low.length > 1 ? 's' : ''} ${low.map(([i, g, w]) => `${i} (${g} < ${w})`).join(', ')}`,
  };
}
