/**
 * Offline verification of TDX evidence (spec/tdx.md §4.4, §4.5).
 *
 * Without collateral: the quote header, the PCK chain up to the pinned Intel SGX Root CA, the
 * QE report signature by the PCK key, the QE report data binding, the quote signature by the
 * attestation key, and the static QE identity (steps 1–7). With collateral in the JSON shape of
 * dcap-qvl's `QuoteCollateralV3` (`tdx_quote_collateral.json`): also the collateral signatures
 * and expiry, the TCB status (TCB-level matching and the TDX module identity), the QE identity
 * and the CRLs. Checks that need collateral are reported with `ok: null` when none is given.
 *
 * A failed check is a `Check` with `ok: false`; only unreadable input (a certificate or
 * collateral that cannot be parsed) throws, and then always an `EvidenceError`.
 */
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { allPassed, type Check } from '../pki/check.js';
import { EvidenceError } from './errors.js';
import {
  certificateFingerprint,
  chainChecks,
  classifyIntelRoot,
  commonName,
  errorText,
  parseCertificate,
  parseCertificateList,
  readPckExtensions,
  verifyIntelChain,
  type PckExtensions,
} from './intel-chain.js';
import {
  INTEL_QE_VENDOR_ID,
  INTEL_TD_QE_ISVPRODID,
  INTEL_TD_QE_MRSIGNER,
  type HclReport,
  type TdReport,
  type TdxEvidence,
  type TdxQuote,
} from './tdx-quote.js';
import { x509 } from '../pki/x509.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';

// ---- collateral --------------------------------------------------------------------------------

/** One TCB component of a TCB level (Intel PCS TCB info v3). */
export interface TcbComponent {
  readonly svn: number;
  readonly category?: string;
  readonly type?: string;
}

/** One TCB level of the TDX TCB info. */
export interface TdxTcbLevel {
  readonly sgxTcbComponents: readonly TcbComponent[];
  readonly pceSvn: number;
  /** Absent in SGX TCB info; 16 entries in TDX TCB info v3. */
  readonly tdxTcbComponents: readonly TcbComponent[] | undefined;
  readonly tcbDate: string;
  readonly tcbStatus: string;
  readonly advisoryIds: readonly string[];
}

/** A TCB level of an enclave or TDX-module identity: an ISVSVN and its status. */
export interface IsvSvnTcbLevel {
  readonly isvSvn: number;
  readonly tcbDate: string;
  readonly tcbStatus: string;
  readonly advisoryIds: readonly string[];
}

/** The TDX module identity (`tdxModule`, or one entry of `tdxModuleIdentities`). */
export interface TdxModuleIdentity {
  readonly id: string | undefined;
  readonly mrSigner: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly tcbLevels: readonly IsvSvnTcbLevel[];
}

/** TDX TCB info (`tcbInfo`, tdx.md §4.5). */
export interface TdxTcbInfo {
  readonly id: string;
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: Uint8Array;
  readonly pceId: Uint8Array;
  readonly tdxModule: TdxModuleIdentity | undefined;
  readonly tdxModuleIdentities: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TdxTcbLevel[];
}

/** The QE identity (`enclaveIdentity`, id "TD_QE"). */
export interface QeIdentity {
  readonly id: string;
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly miscSelect: Uint8Array;
  readonly miscSelectMask: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly tcbLevels: readonly IsvSvnTcbLevel[];
}

/** Parsed collateral (dcap-qvl `QuoteCollateralV3` JSON shape). */
export interface TdxCollateral {
  /** The exact `tcb_info` JSON text, which the signature covers (tdx.md §4.5). */
  readonly tcbInfoText: string;
  readonly tcbInfo: TdxTcbInfo;
  /** Raw r‖s. */
  readonly tcbInfoSignature: Uint8Array;
  /** DER, signing certificate first. */
  readonly tcbInfoIssuerChain: readonly Uint8Array[];
  readonly qeIdentityText: string;
  readonly qeIdentity: QeIdentity;
  readonly qeIdentitySignature: Uint8Array;
  readonly qeIdentityIssuerChain: readonly Uint8Array[];
  readonly pckCrlIssuerChain: readonly Uint8Array[] | undefined;
  /** DER. */
  readonly rootCaCrl: Uint8Array | undefined;
  /** DER. */
  readonly pckCrl: Uint8Array | undefined;
}

function bad(path: string, message: string): EvidenceError {
  return new EvidenceError('BadCollateral', `collateral ${path}: ${message}`, undefined);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(o: Json, key: string, path: string): unknown {
  if (!(key in o)) throw bad(`${path}.${key}`, 'missing');
  return o[key];
}

function str(o: Json, key: string, path: string): string {
  const v = field(o, key, path);
  if (typeof v !== 'string') throw bad(`${path}.${key}`, 'not a string');
  return v;
}

function int(o: Json, key: string, path: string): number {
  const v = field(o, key, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(`${path}.${key}`, 'not a non-negative integer');
  return v;
}

function list(o: Json, key: string, path: string): unknown[] {
  const v = field(o, key, path);
  if (!Array.isArray(v)) throw bad(`${path}.${key}`, 'not an array');
  return v;
}

function date(o: Json, key: string, path: string): Date {
  const s = str(o, key, path);
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw bad(`${path}.${key}`, `"${s}" is not a date`);
  return d;
}

function hex(text: string, path: string, size?: number): Uint8Array {
  const t = text.startsWith('0x') ? text.slice(2) : text;
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) throw bad(path, 'not hex');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  if (size !== undefined && out.length !== size) throw bad(path, `expected ${size} bytes, found ${out.length}`);
  return out;
}

function hexField(o: Json, key: string, path: string, size?: number): Uint8Array {
  return hex(str(o, key, path), `${path}.${key}`, size);
}

/** Bytes given as hex text or as an array of byte values (both occur in dcap-qvl JSON). */
function bytesField(o: Json, key: string, path: string): Uint8Array {
  const v = field(o, key, path);
  if (typeof v === 'string') return hex(v, `${path}.${key}`);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255)) {
    return Uint8Array.from(v as number[]);
  }
  throw bad(`${path}.${key}`, 'neither hex text nor a byte array');
}

function chainField(o: Json, key: string, path: string): Uint8Array[] {
  const text = str(o, key, path);
  try {
    return parseCertificateList(text);
  } catch (e) {
    throw bad(`${path}.${key}`, errorText(e));
  }
}

function components(v: unknown, path: string): TcbComponent[] {
  if (!Array.isArray(v) || v.length !== 16) throw bad(path, 'expected 16 TCB components');
  return v.map((c, i) => {
    if (!isObject(c)) throw bad(`${path}[${i}]`, 'not an object');
    const out: { svn: number; category?: string; type?: string } = { svn: int(c, 'svn', `${path}[${i}]`) };
    if (typeof c['category'] === 'string') out.category = c['category'];
    if (typeof c['type'] === 'string') out.type = c['type'];
    return out;
  });
}

function advisories(o: Json, path: string): string[] {
  const v = o['advisoryIDs'];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`${path}.advisoryIDs`, 'not a list of strings');
  return v as string[];
}

function isvSvnLevels(o: Json, path: string): IsvSvnTcbLevel[] {
  return list(o, 'tcbLevels', path).map((l, i) => {
    const p = `${path}.tcbLevels[${i}]`;
    if (!isObject(l)) throw bad(p, 'not an object');
    const tcb = field(l, 'tcb', p);
    if (!isObject(tcb)) throw bad(`${p}.tcb`, 'not an object');
    return {
      isvSvn: int(tcb, 'isvsvn', `${p}.tcb`),
      tcbDate: str(l, 'tcbDate', p),
      tcbStatus: str(l, 'tcbStatus', p),
      advisoryIds: advisories(l, p),
    };
  });
}

function moduleIdentity(v: unknown, path: string, withLevels: boolean): TdxModuleIdentity {
  if (!isObject(v)) throw bad(path, 'not an object');
  return {
    id: typeof v['id'] === 'string' ? v['id'] : undefined,
    mrSigner: hexField(v, 'mrsigner', path, 48),
    attributes: hexField(v, 'attributes', path, 8),
    attributesMask: hexField(v, 'attributesMask', path, 8),
    tcbLevels: withLevels ? isvSvnLevels(v, path) : [],
  };
}

function parseTcbInfo(text: string): TdxTcbInfo {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw bad('tcb_info', `not JSON (${errorText(e)})`);
  }
  const p = 'tcb_info';
  if (!isObject(o)) throw bad(p, 'not an object');
  const levels = list(o, 'tcbLevels', p).map((l, i): TdxTcbLevel => {
    const lp = `${p}.tcbLevels[${i}]`;
    if (!isObject(l)) throw bad(lp, 'not an object');
    const tcb = field(l, 'tcb', lp);
    if (!isObject(tcb)) throw bad(`${lp}.tcb`, 'not an object');
    return {
      sgxTcbComponents: components(field(tcb, 'sgxtcbcomponents', `${lp}.tcb`), `${lp}.tcb.sgxtcbcomponents`),
      pceSvn: int(tcb, 'pcesvn', `${lp}.tcb`),
      tdxTcbComponents:
        tcb['tdxtcbcomponents'] === undefined ? undefined : components(tcb['tdxtcbcomponents'], `${lp}.tcb.tdxtcbcomponents`),
      tcbDate: str(l, 'tcbDate', lp),
      tcbStatus: str(l, 'tcbStatus', lp),
      advisoryIds: advisories(l, lp),
    };
  });
  const identities = o['tdxModuleIdentities'];
  if (identities !== undefined && !Array.isArray(identities)) throw bad(`${p}.tdxModuleIdentities`, 'not an array');
  return {
    id: str(o, 'id', p),
    version: int(o, 'version', p),
    issueDate: date(o, 'issueDate', p),
    nextUpdate: date(o, 'nextUpdate', p),
    fmspc: hexField(o, 'fmspc', p, 6),
    pceId: hexField(o, 'pceId', p, 2),
    tdxModule: o['tdxModule'] === undefined ? undefined : moduleIdentity(o['tdxModule'], `${p}.tdxModule`, false),
    tdxModuleIdentities: (identities ?? []).map((m, i) => moduleIdentity(m, `${p}.tdxModuleIdentities[${i}]`, true)),
    tcbLevels: levels,
  };
}

function parseQeIdentity(text: string): QeIdentity {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw bad('qe_identity', `not JSON (${errorText(e)})`);
  }
  const p = 'qe_identity';
  if (!isObject(o)) throw bad(p, 'not an object');
  return {
    id: str(o, 'id', p),
    version: int(o, 'version', p),
    issueDate: date(o, 'issueDate', p),
    nextUpdate: date(o, 'nextUpdate', p),
    miscSelect: hexField(o, 'miscselect', p, 4),
    miscSelectMask: hexField(o, 'miscselectMask', p, 4),
    attributes: hexField(o, 'attributes', p, 16),
    attributesMask: hexField(o, 'attributesMask', p, 16),
    mrSigner: hexField(o, 'mrsigner', p, 32),
    isvProdId: int(o, 'isvprodid', p),
    tcbLevels: isvSvnLevels(o, p),
  };
}

/**
 * Reads collateral in the JSON shape of dcap-qvl's `tdx_quote_collateral.json`: `tcb_info` and
 * `qe_identity` as the exact signed JSON text, their signatures as hex r‖s, the issuer chains as
 * PEM, and `root_ca_crl` / `pck_crl` as hex DER (or byte arrays). Accepts the parsed JSON value,
 * or its text. The CRLs and their issuer chain are optional. Throws `EvidenceError('BadCollateral')`.
 */
export function parseCollateral(json: unknown): TdxCollateral {
  let o: unknown = json;
  if (typeof json === 'string' || json instanceof Uint8Array) {
    const text = typeof json === 'string' ? json : new TextDecoder().decode(json);
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw bad('', `not JSON (${errorText(e)})`);
    }
  }
  if (!isObject(o)) throw bad('', 'not a JSON object');
  const p = '$';
  const tcbInfoText = str(o, 'tcb_info', p);
  const qeIdentityText = str(o, 'qe_identity', p);
  const optional = <T>(key: string, read: () => T): T | undefined => (o as Json)[key] === undefined ? undefined : read();
  return {
    tcbInfoText,
    tcbInfo: parseTcbInfo(tcbInfoText),
    tcbInfoSignature: bytesField(o, 'tcb_info_signature', p),
    tcbInfoIssuerChain: chainField(o, 'tcb_info_issuer_chain', p),
    qeIdentityText,
    qeIdentity: parseQeIdentity(qeIdentityText),
    qeIdentitySignature: bytesField(o, 'qe_identity_signature', p),
    qeIdentityIssuerChain: chainField(o, 'qe_identity_issuer_chain', p),
    pckCrlIssuerChain: optional('pck_crl_issuer_chain', () => chainField(o as Json, 'pck_crl_issuer_chain', p)),
    rootCaCrl: optional('root_ca_crl', () => bytesField(o as Json, 'root_ca_crl', p)),
    pckCrl: optional('pck_crl', () => bytesField(o as Json, 'pck_crl', p)),
  };
}

// ---- crypto helpers ----------------------------------------------------------------------------

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** WebCrypto's key type, named without the DOM library (the core must not depend on it). */
type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Verifies a raw r‖s ECDSA P-256/SHA-256 signature with a CryptoKey; false on any failure. */
async function verifyRaw(key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ECDSA_SHA256, key, signature, data);
  } catch {
    return false;
  }
}

/** Imports a raw X‖Y P-256 point (tdx.md §4.5 "TS hints"); a string says why it failed. */
async function importRawP256(xy: Uint8Array): Promise<CryptoKey | string> {
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(xy, 1);
  try {
    return await crypto.subtle.importKey('raw', point, ECDSA_P256, false, ['verify']);
  } catch (e) {
    return `the attestation key is not a valid P-256 point (${errorText(e)})`;
  }
}

async function certificateKey(cert: x509.X509Certificate): Promise<CryptoKey | string> {
  try {
    return await cert.publicKey.export(ECDSA_P256, ['verify']);
  } catch (e) {
    return `the key of "${commonName(cert.subject)}" is not an ECDSA P-256 key (${errorText(e)})`;
  }
}

function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

function masked(value: Uint8Array, mask: Uint8Array): Uint8Array {
  return value.map((x, i) => x & (mask[i] ?? 0));
}

// ---- TCB status --------------------------------------------------------------------------------

/**
 * Converges a platform status with a TDX-module or QE status: an out-of-date component makes an
 * up-to-date (or SW-hardening) platform OutOfDate and a configuration-needed one
 * OutOfDateConfigurationNeeded; a revoked component revokes (Intel QVL `TcbLevelCheck.cpp`,
 * `convergeTcbStatusWith…`).
 */
function converge(platform: string, component: string | undefined): string {
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

interface TcbEvaluation {
  readonly ok: boolean;
  readonly detail: string;
  readonly status: string | undefined;
  readonly advisoryIds: readonly string[];
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
function evaluateTcb(quote: TdxQuote, pck: PckExtensions, info: TdxTcbInfo, qeStatus: string | undefined): TcbEvaluation {
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
  const svn = quote.body.teeTcbSvn;
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
  if (moduleVersion > 0) {
    const id = `TDX_${moduleVersion.toString(16).toUpperCase().padStart(2, '0')}`;
    module = info.tdxModuleIdentities.find((m) => m.id?.toUpperCase() === id);
    if (!module) return fail(`the TCB info has no TDX module identity ${id} (TEE_TCB_SVN[1] = ${moduleVersion})`, 'TcbNotSupported');
    const ml = module.tcbLevels.find((l) => l.isvSvn <= (svn[0] as number));
    if (!ml) return fail(`no level of ${id} has an ISVSVN <= ${svn[0]}`, 'TcbNotSupported');
    moduleStatus = ml.tcbStatus;
    moduleText = `; TDX module ${id} ISVSVN ${svn[0]}: ${ml.tcbStatus}`;
  }
  if (module) {
    if (!bytesEqual(module.mrSigner, quote.body.mrSignerSeam)) {
      return fail(
        `MRSIGNERSEAM ${bytesToHex(quote.body.mrSignerSeam)} is not the TDX module signer ${bytesToHex(module.mrSigner)}`,
        'TdxModuleMismatch',
      );
    }
    const seam = masked(u64le(quote.body.seamAttributes), module.attributesMask);
    if (!bytesEqual(seam, module.attributes)) {
      return fail(`masked SEAMATTRIBUTES ${bytesToHex(seam)} are not ${bytesToHex(module.attributes)}`, 'TdxModuleMismatch');
    }
  }
  const status = converge(converge(level.tcbStatus, moduleStatus), qeStatus);
  const advisoryIds = [...level.advisoryIds];
  const detail =
    `${status} (TCB level ${level.tcbDate}: ${level.tcbStatus}${moduleText}` +
    `${qeStatus === undefined ? '' : `; QE: ${qeStatus}`})` +
    (advisoryIds.length ? `; advisories ${advisoryIds.join(', ')}` : '');
  return { ok: true, detail, status, advisoryIds };
}

/** The QE identity check (tdx.md §4.5): MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES, ISVSVN. */
function evaluateQeIdentity(quote: TdxQuote, id: QeIdentity): { ok: boolean; detail: string; status: string | undefined } {
  const qe = quote.qeReport;
  const problems: string[] = [];
  if (id.id !== 'TD_QE') problems.push(`the identity is "${id.id}", not "TD_QE"`);
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
  if (problems.length) return { ok: false, detail: problems.join('; '), status: level?.tcbStatus };
  return {
    ok: true,
    detail: `TD_QE: MRSIGNER, ISVPRODID ${qe.isvProdId}, MISCSELECT and ATTRIBUTES match; ISVSVN ${qe.isvSvn}: ${level?.tcbStatus}`,
    status: level?.tcbStatus,
  };
}

// ---- verification ------------------------------------------------------------------------------

/** Options of `verifyTdxEvidence`. */
export interface TdxVerifyOptions {
  /**
   * A root certificate (DER or PEM) to anchor the chains to instead of the root the quote
   * carries. It must still be the pinned production root: the pin cannot be overridden.
   */
  readonly root?: Uint8Array;
  /** Collateral: the parsed JSON (dcap-qvl shape), its text, or a `parseCollateral` result. */
  readonly collateral?: unknown;
  /** The time for certificate validity and collateral expiry; default now. */
  readonly now?: Date;
  /** TCB statuses that pass `tcb-status`; default `['UpToDate']`. */
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
  'tcb-status',
  'qe-identity',
  'crl',
  'tdreport-tee-tcb-info-hash',
  'tdreport-tee-info-hash',
  'hcl-report-data',
  'rtmr-replay',
] as const;

const NO_COLLATERAL = 'not checked: no collateral given (tdx.md §4.5 "Needs Intel collateral")';

function isCollateral(v: unknown): v is TdxCollateral {
  return isObject(v) && typeof v['tcbInfoText'] === 'string' && v['tcbInfoSignature'] instanceof Uint8Array;
}

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
  } else {
    if (evidence.tdReport) checks.push(...tdReportChecks(evidence.tdReport, evidence.hcl));
    checks.push({
      name: 'quote-signature',
      ok: false,
      detail:
        'no quote: a TDREPORT is authenticated only by its MAC, which only the local CPU can check (tdx.md §4.3a); ' +
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
  if (hcl?.runtimeClaims && hcl.runtimeDataHeader) {
    const type = hcl.runtimeDataHeader.reportDataHashType;
    if (type !== 1) {
      checks.push({
        name: 'hcl-report-data',
        ok: false,
        detail: `runtime-data hash type ${type} is not 1 (SHA-256), the only one known (tdx.md §3)`,
      });
    } else {
      const h = sha256(hcl.runtimeClaims);
      const ok = bytesEqual(h, report.reportMacStruct.reportData.subarray(0, 32));
      checks.push({
        name: 'hcl-report-data',
        ok,
        detail: ok
          ? 'REPORTDATA[0..32] is the SHA-256 of the HCL runtime claims (tdx.md §3)'
          : `REPORTDATA[0..32] ${bytesToHex(report.reportMacStruct.reportData.subarray(0, 32))} is not SHA-256 of the runtime claims ${bytesToHex(h)}`,
      });
    }
  }
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
    for (const name of ['collateral-signature', 'collateral-expiry', 'tcb-status', 'qe-identity', 'crl']) {
      checks.push({ name, ok: null, detail: NO_COLLATERAL });
    }
    return { status: undefined, advisoryIds: undefined };
  }
  const collateral = isCollateral(options.collateral) ? options.collateral : parseCollateral(options.collateral);
  return verifyWithCollateral(quote, collateral, chain.path, chain.rootDer, options, now, checks);
}

async function verifySignedJson(
  label: string,
  text: string,
  signature: Uint8Array,
  issuerChain: readonly Uint8Array[],
  root: Uint8Array | undefined,
  now: Date,
): Promise<string[]> {
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
  if (!signer) return [...problems, `${label}: no signing certificate`];
  if (commonName(signer.subject) !== 'Intel SGX TCB Signing') {
    problems.push(`${label} is signed by "${commonName(signer.subject)}", not "Intel SGX TCB Signing"`);
  }
  const key = await certificateKey(signer);
  if (typeof key === 'string') return [...problems, key];
  // The signature covers the exact JSON text as served (tdx.md §4.5).
  if (!(await verifyRaw(key, signature, new TextEncoder().encode(text)))) {
    problems.push(`the ${label} signature does not verify with the "${commonName(signer.subject)}" key`);
  }
  return problems;
}

async function verifyWithCollateral(
  quote: TdxQuote,
  c: TdxCollateral,
  path: readonly x509.X509Certificate[],
  rootDer: Uint8Array | undefined,
  options: TdxVerifyOptions,
  now: Date,
  checks: Check[],
): Promise<{ status: string | undefined; advisoryIds: readonly string[] | undefined }> {
  // The anchor for the collateral chains: the given root, else each chain's own (both pinned).
  const root = options.root;

  // Collateral signatures (tdx.md §4.5 "Check collateral signatures").
  const sigProblems = [
    ...(await verifySignedJson('TCB info', c.tcbInfoText, c.tcbInfoSignature, c.tcbInfoIssuerChain, root, now)),
    ...(await verifySignedJson('QE identity', c.qeIdentityText, c.qeIdentitySignature, c.qeIdentityIssuerChain, root, now)),
  ];
  checks.push({
    name: 'collateral-signature',
    ok: sigProblems.length === 0,
    detail: sigProblems.length
      ? sigProblems.join('; ')
      : 'TCB info and QE identity are signed by Intel SGX TCB Signing, which chains to the pinned root',
  });

  // Parse the CRLs once; unreadable CRLs are unreadable collateral.
  const crl = (der: Uint8Array | undefined, what: string): x509.X509Crl | undefined => {
    if (!der) return undefined;
    try {
      const parsed = new x509.X509Crl(der);
      void parsed.issuer;
      void parsed.nextUpdate;
      return parsed;
    } catch (e) {
      throw bad(what, `not a readable CRL (${errorText(e)})`);
    }
  };
  const rootCrl = crl(c.rootCaCrl, 'root_ca_crl');
  const pckCrl = crl(c.pckCrl, 'pck_crl');

  // Expiry (tdx.md §4.5 "and the nextUpdate expiry").
  const expired: string[] = [];
  const iso = now.toISOString();
  if (now > c.tcbInfo.nextUpdate) expired.push(`TCB info expired at ${c.tcbInfo.nextUpdate.toISOString()}`);
  if (now > c.qeIdentity.nextUpdate) expired.push(`QE identity expired at ${c.qeIdentity.nextUpdate.toISOString()}`);
  for (const [what, l] of [
    ['root CA CRL', rootCrl],
    ['PCK CRL', pckCrl],
  ] as const) {
    const next = l?.nextUpdate;
    if (next && now > next) expired.push(`${what} expired at ${next.toISOString()}`);
  }
  checks.push({
    name: 'collateral-expiry',
    ok: expired.length === 0,
    detail: expired.length ? `at ${iso}: ${expired.join('; ')}` : `TCB info, QE identity and CRLs are current at ${iso}`,
  });

  // QE identity, then the TCB status (which converges the QE's status in).
  const qe = evaluateQeIdentity(quote, c.qeIdentity);
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
        : evaluateTcb(quote, pck, c.tcbInfo, qe.status);
  }
  const accepted = options.acceptedTcbStatuses ?? ['UpToDate'];
  const tcbOk = tcb.ok && tcb.status !== undefined && accepted.includes(tcb.status);
  checks.push({
    name: 'tcb-status',
    ok: tcbOk,
    detail: tcb.ok && !tcbOk ? `${tcb.detail}; accepted: ${accepted.join(', ')}` : tcb.detail,
  });
  checks.push({ name: 'qe-identity', ok: qe.ok, detail: qe.detail });

  // CRLs (tdx.md §4.5): the intermediate must not be in the root CRL, the leaf not in the PCK CRL.
  checks.push(await crlCheck(path, rootDer, rootCrl, pckCrl));
  return { status: tcb.status, advisoryIds: tcb.advisoryIds };
}

async function crlCheck(
  path: readonly x509.X509Certificate[],
  rootDer: Uint8Array | undefined,
  rootCrl: x509.X509Crl | undefined,
  pckCrl: x509.X509Crl | undefined,
): Promise<Check> {
  if (!rootCrl || !pckCrl) {
    return { name: 'crl', ok: null, detail: 'not checked: the collateral carries no root CA CRL and PCK CRL' };
  }
  const [leaf, intermediate] = path;
  if (!leaf || !intermediate || !rootDer) {
    return { name: 'crl', ok: false, detail: 'the PCK chain is incomplete, so the CRLs cannot be applied' };
  }
  const root = parseCertificate(rootDer, 'root');
  const problems: string[] = [];
  const verifies = async (l: x509.X509Crl, issuer: x509.X509Certificate): Promise<boolean> => {
    try {
      return await l.verify({ publicKey: issuer.publicKey });
    } catch {
      return false;
    }
  };
  if (classifyIntelRoot(rootDer) !== 'production') {
    problems.push(`the root ${certificateFingerprint(rootDer)} is not the pinned root`);
  }
  if (rootCrl.issuer !== root.subject || !(await verifies(rootCrl, root))) {
    problems.push(`the root CA CRL is not signed by the root (issuer "${commonName(rootCrl.issuer)}")`);
  }
  if (pckCrl.issuer !== intermediate.subject || !(await verifies(pckCrl, intermediate))) {
    problems.push(
      `the PCK CRL (issuer "${commonName(pckCrl.issuer)}") is not signed by the PCK certificate's issuer "${commonName(intermediate.subject)}"`,
    );
  }
  const revoked = (l: x509.X509Crl, cert: x509.X509Certificate): boolean => {
    try {
      return l.findRevoked(cert) !== null;
    } catch {
      return true; // unreadable entries cannot clear the certificate
    }
  };
  if (revoked(rootCrl, intermediate)) problems.push(`"${commonName(intermediate.subject)}" is revoked by the root CA CRL`);
  if (revoked(pckCrl, leaf)) problems.push(`the PCK certificate (serial ${leaf.serialNumber}) is revoked by the PCK CRL`);
  return {
    name: 'crl',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `neither "${commonName(intermediate.subject)}" (root CA CRL) nor the PCK certificate (PCK CRL) is revoked`,
  };
}

// ---- CC event log replay -----------------------------------------------------------------------

/** The result of replaying a CC event log (tdx.md §3 "Replay algorithm"). */
export interface CcelReplay {
  /** RTMR0–3 after the replay. */
  readonly rtmrs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** Events replayed (the Spec ID event not counted). */
  readonly events: number;
  /** Byte offset where the replay stopped (terminator, zero padding or the end of the log). */
  readonly end: number;
}

const TPM_ALG_SHA384 = 0x000c;
const SPEC_ID_SIGNATURE = 'Spec ID Event03';

/**
 * Replays a CC event log (TCG2 crypto-agile format, as in the ACPI CCEL log area) into RTMR0–3
 * (tdx.md §3): start from zeros, skip the first (SHA-1 format "Spec ID Event03") event, and for
 * each following event with CC MR index 1..4 set RTMR[index-1] = SHA-384(RTMR ‖ the event's
 * SHA-384 digest); stop at event type 0xFFFFFFFF or at zero padding. Digest sizes come from the
 * Spec ID event's algorithm table. Throws `EvidenceError` for a malformed log.
 */
export function replayCcelEventLog(log: Uint8Array): CcelReplay {
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const need = (off: number, size: number, what: string, at = off): void => {
    if (off + size > log.length) throw new EvidenceError('Truncated', `event log: ${what} runs past the end`, at);
  };
  // The first event: pcrIndex, eventType, SHA-1 digest (20), eventSize, event (TCG PC Client spec).
  need(0, 32, 'the Spec ID event header');
  const specSize = view.getUint32(28, true);
  need(32, specSize, 'the Spec ID event', 28);
  const sig = String.fromCharCode(...log.subarray(32, 32 + Math.min(15, specSize)));
  if (sig !== SPEC_ID_SIGNATURE || specSize < 28) {
    throw new EvidenceError('BadField', 'event log: the first event is not "Spec ID Event03"', 32);
  }
  const algCount = view.getUint32(32 + 24, true);
  if (algCount > (specSize - 28) / 4) throw new EvidenceError('BadField', 'event log: bad algorithm count', 32 + 24);
  const digestSizes = new Map<number, number>();
  for (let i = 0; i < algCount; i++) {
    const at = 32 + 28 + 4 * i;
    digestSizes.set(view.getUint16(at, true), view.getUint16(at + 2, true));
  }
  if (digestSizes.get(TPM_ALG_SHA384) !== 48) {
    throw new EvidenceError('BadField', 'event log: the Spec ID event lists no SHA-384 digests', 32 + 28);
  }
  const rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [
    new Uint8Array(48),
    new Uint8Array(48),
    new Uint8Array(48),
    new Uint8Array(48),
  ];
  let off = 32 + specSize;
  let events = 0;
  while (off + 8 <= log.length) {
    const index = view.getUint32(off, true);
    const type = view.getUint32(off + 4, true);
    if (type === 0xffff_ffff || (index === 0 && type === 0)) break;
    need(off + 8, 4, 'an event digest count');
    const count = view.getUint32(off + 8, true);
    let p = off + 12;
    let digest: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      need(p, 2, 'an event digest');
      const alg = view.getUint16(p, true);
      const size = digestSizes.get(alg);
      if (size === undefined) {
        throw new EvidenceError('BadField', `event log: digest algorithm 0x${alg.toString(16)} is not in the Spec ID event`, p);
      }
      need(p + 2, size, 'an event digest', p);
      if (alg === TPM_ALG_SHA384) digest = log.subarray(p + 2, p + 2 + size);
      p += 2 + size;
    }
    need(p, 4, 'an event size');
    const size = view.getUint32(p, true);
    need(p + 4, size, 'an event', p);
    if (!digest) throw new EvidenceError('BadField', 'event log: an event has no SHA-384 digest', off);
    if (index >= 1 && index <= 4) {
      const i = index - 1;
      const h = sha384.create();
      h.update(rtmrs[i] as Uint8Array);
      h.update(digest);
      rtmrs[i] = h.digest();
    }
    events++;
    off = p + 4 + size;
  }
  return { rtmrs, events, end: off };
}

function rtmrReplayCheck(quote: TdxQuote, log: Uint8Array): Check {
  const replay = replayCcelEventLog(log);
  const quoted = [quote.body.rtmr0, quote.body.rtmr1, quote.body.rtmr2, quote.body.rtmr3];
  const differ: string[] = [];
  replay.rtmrs.forEach((r, i) => {
    const q = quoted[i] as Uint8Array;
    if (!bytesEqual(r, q)) differ.push(`RTMR${i}: replay ${bytesToHex(r)}, quote ${bytesToHex(q)}`);
  });
  return {
    name: 'rtmr-replay',
    ok: differ.length === 0,
    detail: differ.length === 0 ? `replaying ${replay.events} events gives the quote's RTMR0–3` : differ.join('; '),
  };
}
