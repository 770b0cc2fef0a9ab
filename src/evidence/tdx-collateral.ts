/**
 * Intel collateral for TDX (spec/tdx.md §4.5 "Needs Intel collateral"): the TDX TCB info, the
 * TD QE identity, their signatures and issuer chains, and the CRLs, read from the JSON shape of
 * dcap-qvl's `QuoteCollateralV3` (`tdx_quote_collateral.json`). This file only reads and types
 * the collateral; checking it is tdx-collateral-checks.ts, TCB-level matching tdx-tcb.ts.
 *
 * Unreadable collateral is always `EvidenceError('BadCollateral')` naming the JSON path.
 */
import { EvidenceError } from './errors.js';
import { errorText, parseCertificateList } from './intel-chain.js';

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
  /** `tcbType` when present (0, the only type Intel defines, is what TCB matching needs). */
  readonly tcbType?: number | undefined;
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

/** The error for unreadable collateral at a JSON path (`$` is the top level). */
export function badCollateral(path: string, message: string): EvidenceError {
  return new EvidenceError('BadCollateral', `collateral ${path}: ${message}`, undefined);
}

const bad = badCollateral;

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
    tcbType: o['tcbType'] === undefined ? undefined : int(o, 'tcbType', p),
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
 * or its text. A CRL that is absent here is still read as absent (`undefined`) so that the
 * verification can name it: it fails the `crl` check (tdx-crl.ts), since given collateral must be
 * complete. The PCK CRL issuer chain may be absent: the PCK CRL is checked against the quote's
 * verified PCK CA instead. Throws `EvidenceError('BadCollateral')`.
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

/** True for a `parseCollateral` result (as opposed to collateral JSON still to be read). */
export function isCollateral(v: unknown): v is TdxCollateral {
  return isObject(v) && typeof v['tcbInfoText'] === 'string' && v['tcbInfoSignature'] instanceof Uint8Array;
}
