/**
 * How `report show` prints evidence: every field of an SEV-SNP attestation report (AMD SEV-SNP
 * firmware ABI specification, pub. 56860, "ATTESTATION_REPORT Structure"), a TDX quote v4/v5
 * (Intel TDX DCAP Quoting Library API, "Quote Format") or a TDREPORT (Intel TDX Module ABI,
 * "TDREPORT_STRUCT"), named as those specifications name them, with the guest policy and the TD
 * attributes decoded bit by bit; and the evidence's kind and encoding as two JSON fields.
 * Reserved bytes are not printed (the JSON lists them with the raw structures).
 */
import type { Evidence } from '../evidence/index.js';
import type { SnpReport, TcbVersion } from '../evidence/snp-report.js';
import { decodeTdAttributes, type TdReportBody, type TdxQuote } from '../evidence/tdx-quote.js';
import type { TdReport } from '../evidence/tdreport.js';
import { decodeSnpPolicy } from '../format/policy.js';
import { bytesToHex } from '../format/bytes.js';
import { toJson, type Json } from './json.js';

import { evidenceKindJson } from '../evidence/comparison-json.js';
export { evidenceKindJson };

/**
 * SNP guest POLICY bits 16–25 by name (AMD pub. 56860, "Guest Policy"; bit 17 is reserved and
 * must be 1, so it is not a flag). Bits 26–63 are reserved: a set one is named `BIT<n>`.
 */
export const SNP_POLICY_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [16, 'SMT'],
  [18, 'MIGRATE_MA'],
  [19, 'DEBUG'],
  [20, 'SINGLE_SOCKET'],
  [21, 'CXL_ALLOW'],
  [22, 'MEM_AES_256_XTS'],
  [23, 'RAPL_DIS'],
  [24, 'CIPHERTEXT_HIDING'],
  [25, 'PAGE_SWAP_DISABLE'],
];

/** The names of the flags set in an SNP guest policy, `BIT<n>` for a reserved bit (26–63). */
export function snpPolicyFlags(policy: bigint): string[] {
  const names = new Map(SNP_POLICY_FLAGS);
  const out: string[] = [];
  for (let bit = 16; bit < 64; bit++) {
    if (bit === 17 || ((policy >> BigInt(bit)) & 1n) === 0n) continue;
    out.push(names.get(bit) ?? `BIT${bit}`);
  }
  return out;
}

/** An SNP guest policy in words: `0x30000 (ABI 0.0; SMT)`, saying so when bit 17 is clear. */
export function snpPolicyText(policy: bigint): string {
  const d = decodeSnpPolicy(policy);
  const flags = snpPolicyFlags(policy);
  const mbo = d.reservedMustBeOne ? '' : '; bit 17 clear (must be 1)';
  return `${hex64(policy)} (ABI ${d.abiMajor}.${d.abiMinor}; ${flags.length > 0 ? flags.join(', ') : 'no flags'}${mbo})`;
}

/** TD attributes in words: `0x10000000 (SEPT_VE_DISABLE)`. */
export function tdAttributesText(attributes: bigint): string {
  const names = decodeTdAttributes(attributes);
  return `${hex64(attributes)} (${names.length > 0 ? names.join(', ') : 'none'})`;
}

function hex64(v: bigint): string {
  return `0x${v.toString(16)}`;
}

// ---- JSON ----------------------------------------------------------------------------------

/** `report show --json`: every field, with `policy_decoded` / `td_attributes_decoded` beside the raw values. */
export function showJson(e: Evidence): Json {
  const head = evidenceKindJson(e);
  if (e.platform === 'SEV_SNP') {
    const { raw: _raw, signedBytes: _signed, ...report } = e.snp.report;
    const json = toJson(report) as { [k: string]: Json };
    const policy = { ...(toJson(decodeSnpPolicy(e.snp.report.policy)) as { [k: string]: Json }), flags: snpPolicyFlags(e.snp.report.policy) };
    return { ...head, report: withAfter(json, 'policy', { policy_decoded: policy }), certificates: Object.keys(e.snp.certificates) };
  }
  const t = e.tdx;
  const quote =
    t.quote === undefined
      ? null
      : (() => {
          const { signedBytes: _s, pckChainDer: _d, pckChainPem: _p, ...q } = t.quote;
          const json = toJson({ ...q, pckChainCertificates: t.quote.pckChainDer.length }) as { [k: string]: Json };
          return { ...json, body: withAfter(json.body as { [k: string]: Json }, 'td_attributes', { td_attributes_decoded: decodeTdAttributes(t.quote.body.tdAttributes) }) };
        })();
  const tdReport =
    t.tdReport === undefined
      ? null
      : (() => {
          const json = toJson(t.tdReport) as { [k: string]: Json };
          return { ...json, td_info: withAfter(json.td_info as { [k: string]: Json }, 'td_attributes', { td_attributes_decoded: decodeTdAttributes(t.tdReport.tdInfo.tdAttributes) }) };
        })();
  return { ...head, quote, td_report: tdReport };
}

/** `o` with `extra` inserted right after the key `after` (so the decoded value sits beside the raw one). */
function withAfter(o: { [k: string]: Json }, after: string, extra: { [k: string]: Json }): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = v;
    if (k === after) Object.assign(out, extra);
  }
  return out;
}

// ---- text ----------------------------------------------------------------------------------

type Row = readonly [label: string, value: string];

function rowsText(rows: readonly Row[]): string {
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, v]) => `${`${l}:`.padEnd(width)}${v}\n`).join('');
}

function tcbText(t: TcbVersion): string {
  const fmc = t.fmc !== undefined ? `fmc ${t.fmc}, ` : '';
  return `0x${t.raw.toString(16).padStart(16, '0')} (${fmc}boot loader ${t.bootLoader}, tee ${t.tee}, snp ${t.snp}, microcode ${t.microcode})`;
}

function platformInfoText(r: SnpReport): string {
  const p = r.platformInfo;
  const names = [
    p.smtEnabled && 'SMT_EN',
    p.tsmeEnabled && 'TSME_EN',
    p.eccEnabled && 'ECC_EN',
    p.raplDisabled && 'RAPL_DIS',
    p.ciphertextHidingDramEnabled && 'CIPHERTEXT_HIDING_DRAM_EN',
    p.aliasCheckComplete && 'ALIAS_CHECK_COMPLETE',
    p.tioEnabled && 'TIO_EN',
  ].filter((n): n is string => n !== false);
  return `0x${p.raw.toString(16)} (${names.length > 0 ? names.join(', ') : 'none'})`;
}

function snpRows(r: SnpReport): Row[] {
  const version = (v: { major: number; minor: number; build: number }): string => `${v.major}.${v.minor}.${v.build}`;
  const rows: Row[] = [
    ['VERSION', `${r.version}${r.product ? ` (${r.product})` : ''}`],
    ['GUEST_SVN', `${r.guestSvn}`],
    ['POLICY', snpPolicyText(r.policy)],
    ['FAMILY_ID', bytesToHex(r.familyId)],
    ['IMAGE_ID', bytesToHex(r.imageId)],
    ['VMPL', `${r.vmpl}`],
    ['SIGNATURE_ALGO', `${r.signatureAlgo}${r.signatureAlgo === 1 ? ' (ECDSA P-384 with SHA-384)' : ''}`],
    ['CURRENT_TCB', tcbText(r.currentTcb)],
    ['PLATFORM_INFO', platformInfoText(r)],
    ['AUTHOR_KEY_EN', `${r.signerInfo.authorKeyEn ? 1 : 0}`],
    ['MASK_CHIP_KEY', `${r.signerInfo.maskChipKey ? 1 : 0}`],
    ['SIGNING_KEY', `${r.signerInfo.signingKeyCode} (${r.signerInfo.signingKey.toUpperCase()})`],
    ['REPORT_DATA', bytesToHex(r.reportData)],
    ['MEASUREMENT', bytesToHex(r.measurement)],
    ['HOST_DATA', bytesToHex(r.hostData)],
    ['ID_KEY_DIGEST', bytesToHex(r.idKeyDigest)],
    ['AUTHOR_KEY_DIGEST', bytesToHex(r.authorKeyDigest)],
    ['REPORT_ID', bytesToHex(r.reportId)],
    ['REPORT_ID_MA', bytesToHex(r.reportIdMa)],
    ['REPORTED_TCB', tcbText(r.reportedTcb)],
  ];
  if (r.cpuid !== undefined) {
    rows.push(['CPUID_FAM_ID', `0x${r.cpuid.family.toString(16)}`], ['CPUID_MOD_ID', `0x${r.cpuid.model.toString(16)}`], ['CPUID_STEP', `0x${r.cpuid.stepping.toString(16)}`]);
  }
  rows.push(
    ['CHIP_ID', bytesToHex(r.chipId)],
    ['COMMITTED_TCB', tcbText(r.committedTcb)],
    ['CURRENT (major.minor.build)', version(r.currentVersion)],
    ['COMMITTED (major.minor.build)', version(r.committedVersion)],
    ['LAUNCH_TCB', tcbText(r.launchTcb)],
  );
  if (r.launchMitVector !== undefined) rows.push(['LAUNCH_MIT_VECTOR', `0x${r.launchMitVector.toString(16)}`]);
  if (r.currentMitVector !== undefined) rows.push(['CURRENT_MIT_VECTOR', `0x${r.currentMitVector.toString(16)}`]);
  rows.push(['SIGNATURE R (little-endian)', bytesToHex(r.signatureR)], ['SIGNATURE S (little-endian)', bytesToHex(r.signatureS)]);
  return rows;
}

function bodyRows(b: TdReportBody): Row[] {
  const rows: Row[] = [
    ['TEE_TCB_SVN', bytesToHex(b.teeTcbSvn)],
    ['MRSEAM', bytesToHex(b.mrSeam)],
    ['MRSIGNERSEAM', bytesToHex(b.mrSignerSeam)],
    ['SEAMATTRIBUTES', hex64(b.seamAttributes)],
    ['TDATTRIBUTES', tdAttributesText(b.tdAttributes)],
    ['XFAM', hex64(b.xfam)],
    ['MRTD', bytesToHex(b.mrTd)],
    ['MRCONFIGID', bytesToHex(b.mrConfigId)],
    ['MROWNER', bytesToHex(b.mrOwner)],
    ['MROWNERCONFIG', bytesToHex(b.mrOwnerConfig)],
    ['RTMR0', bytesToHex(b.rtmr0)],
    ['RTMR1', bytesToHex(b.rtmr1)],
    ['RTMR2', bytesToHex(b.rtmr2)],
    ['RTMR3', bytesToHex(b.rtmr3)],
    ['REPORTDATA', bytesToHex(b.reportData)],
  ];
  if (b.teeTcbSvn2 !== undefined) rows.push(['TEE_TCB_SVN_2', bytesToHex(b.teeTcbSvn2)]);
  if (b.mrServiceTd !== undefined) rows.push(['MRSERVICETD', bytesToHex(b.mrServiceTd)]);
  return rows;
}

function quoteRows(q: TdxQuote): Row[] {
  const h = q.header;
  const qe = q.qeReport;
  return [
    ['version', `${q.version}`],
    ['attestation key type', `${h.attestationKeyType}${h.attestationKeyType === 2 ? ' (ECDSA-256-with-P-256)' : ''}`],
    ['TEE type', `0x${h.teeType.toString(16)}${h.teeType === 0x81 ? ' (TDX)' : ''}`],
    ['QE vendor ID', bytesToHex(h.qeVendorId)],
    ['user data', bytesToHex(h.userData)],
    ['body type', `${q.bodyType} (${q.bodyType === 3 ? 'TDX 1.5' : 'TDX 1.0'})`],
    ...bodyRows(q.body),
    ['signature', bytesToHex(q.signature)],
    ['attestation key', bytesToHex(q.attestationKey)],
    ['certification data type', `${q.certificationDataType}`],
    ['QE CPUSVN', bytesToHex(qe.cpuSvn)],
    ['QE MISCSELECT', `0x${qe.miscSelect.toString(16)}`],
    ['QE ISVEXTPRODID', bytesToHex(qe.isvExtProdId)],
    ['QE ATTRIBUTES', bytesToHex(qe.attributes)],
    ['QE MRENCLAVE', bytesToHex(qe.mrEnclave)],
    ['QE MRSIGNER', bytesToHex(qe.mrSigner)],
    ['QE CONFIGID', bytesToHex(qe.configId)],
    ['QE ISVPRODID', `${qe.isvProdId}`],
    ['QE ISVSVN', `${qe.isvSvn}`],
    ['QE CONFIGSVN', `${qe.configSvn}`],
    ['QE ISVFAMILYID', bytesToHex(qe.isvFamilyId)],
    ['QE REPORTDATA', bytesToHex(qe.reportData)],
    ['QE report signature', bytesToHex(q.qeReportSignature)],
    ['QE authentication data', bytesToHex(q.qeAuthData)],
    ['PCK chain', `type ${q.pckChainType}, ${q.pckChainDer.length} certificate${q.pckChainDer.length === 1 ? '' : 's'}`],
    ['trailing bytes', `${q.trailingBytes}`],
  ];
}

function tdReportRows(t: TdReport): Row[] {
  const m = t.reportMacStruct;
  const c = t.teeTcbInfo;
  const i = t.tdInfo;
  return [
    ['REPORTTYPE', `TEE type 0x${m.teeType.toString(16)}, subtype ${m.subType}, version ${m.reportVersion}`],
    ['CPUSVN', bytesToHex(m.cpuSvn)],
    ['TEE_TCB_INFO_HASH', bytesToHex(m.teeTcbInfoHash)],
    ['TEE_INFO_HASH', bytesToHex(m.teeInfoHash)],
    ['REPORTDATA', bytesToHex(m.reportData)],
    ['MAC', bytesToHex(m.mac)],
    ['TEE_TCB_INFO VALID', bytesToHex(c.valid)],
    ['TEE_TCB_SVN', bytesToHex(c.teeTcbSvn)],
    ['MRSEAM', bytesToHex(c.mrSeam)],
    ['MRSIGNERSEAM', bytesToHex(c.mrSignerSeam)],
    ['SEAMATTRIBUTES', hex64(c.seamAttributes)],
    ['TEE_TCB_SVN2', bytesToHex(c.teeTcbSvn2)],
    ['ATTRIBUTES', tdAttributesText(i.tdAttributes)],
    ['XFAM', hex64(i.xfam)],
    ['MRTD', bytesToHex(i.mrTd)],
    ['MRCONFIGID', bytesToHex(i.mrConfigId)],
    ['MROWNER', bytesToHex(i.mrOwner)],
    ['MROWNERCONFIG', bytesToHex(i.mrOwnerConfig)],
    ['RTMR0', bytesToHex(i.rtmr0)],
    ['RTMR1', bytesToHex(i.rtmr1)],
    ['RTMR2', bytesToHex(i.rtmr2)],
    ['RTMR3', bytesToHex(i.rtmr3)],
    ['SERVTD_HASH', bytesToHex(i.servTdHash)],
  ];
}

/** `report show`: the kind line, then every field of the report, quote and/or TDREPORT. */
export function showText(e: Evidence, kindText: string): string {
  let out = `kind: ${kindText}\n`;
  if (e.platform === 'SEV_SNP') {
    out += rowsText(snpRows(e.snp.report));
    const certs = Object.keys(e.snp.certificates);
    if (certs.length > 0) out += `certificates carried: ${certs.join(', ')}\n`;
    return out;
  }
  if (e.tdx.quote !== undefined) out += `\nquote\n${rowsText(quoteRows(e.tdx.quote))}`;
  if (e.tdx.tdReport !== undefined) out += `\nTDREPORT\n${rowsText(tdReportRows(e.tdx.tdReport))}`;
  return out;
}
