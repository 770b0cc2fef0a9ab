/**
 * Intel's SGX/TDX certificate chains: the PCK chain in a quote (PCK leaf ← PCK Platform or
 * Processor CA ← Intel SGX Root CA) and the issuer chains of the collateral (Intel SGX TCB
 * Signing ← root), anchored by pinning the root's SHA-256 fingerprint (spec/tdx.md §4.4, §4.5
 * step 3, §6 item 9), plus the SGX extension of the PCK certificate (OID 1.2.840.113741.1.13.1)
 * that TCB-level matching needs (tdx.md §4.5, "Needs Intel collateral").
 *
 * The pin is by fingerprint and never by name: Intel's pre-production root has exactly the
 * production root's subject (tdx.md §5.3, §6 item 9).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Check } from '../pki/check.js';
import { EvidenceError } from './errors.js';
import { decodePemCertificates, latin1 } from './encoding.js';
import { bytesToHex } from '../format/bytes.js';
import { x509 } from '../pki/x509.js';

/** SHA-256 fingerprint of Intel's production "Intel SGX Root CA" (tdx.md §4.5 "Trust anchor"). */
export const INTEL_SGX_ROOT_CA_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

/**
 * SHA-256 fingerprint of Intel's *pre-production* root, which carries the same subject
 * "Intel SGX Root CA" (tdx.md §5.3). Known only so that a rejection can name it.
 */
export const INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256 =
  '56b1732d595908e540ad6ecc845e29438dff560c63b83ea90d3b57154858fef3';

/** OID of the SGX extension of PCK certificates. */
export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

/** Which Intel root a certificate is, by fingerprint. */
export type IntelRootKind = 'production' | 'pre-production' | 'other';

/** Lowercase hex SHA-256 of a certificate's DER. */
export function certificateFingerprint(der: Uint8Array): string {
  return bytesToHex(sha256(der));
}

/** Classifies a root certificate by its fingerprint (tdx.md §4.5, §5.3). */
export function classifyIntelRoot(der: Uint8Array): IntelRootKind {
  const fp = certificateFingerprint(der);
  if (fp === INTEL_SGX_ROOT_CA_SHA256) return 'production';
  if (fp === INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256) return 'pre-production';
  return 'other';
}

/**
 * Reads a list of certificates: PEM text with any number of CERTIFICATE blocks (as bytes or a
 * string), or one DER certificate. Returns the DER of each, in order. Throws
 * `EvidenceError('BadCertificate')` when there is none.
 */
export function parseCertificateList(input: Uint8Array | string): Uint8Array[] {
  if (typeof input === 'string') return nonEmpty(decodePemCertificates(input));
  // DER: a certificate is a SEQUENCE (0x30). PEM text starts with '-' or whitespace.
  if (input.length > 0 && input[0] === 0x30) return [input.slice()];
  return nonEmpty(decodePemCertificates(latin1(input)));
}

function nonEmpty(list: Uint8Array[]): Uint8Array[] {
  if (list.length === 0) throw new EvidenceError('BadCertificate', 'no certificate found (expected PEM or DER)', 0);
  return list;
}

/** Parses one DER certificate; `what` names it in the error. */
export function parseCertificate(der: Uint8Array, what: string): x509.X509Certificate {
  try {
    const cert = new x509.X509Certificate(der);
    // Touch the fields we rely on, so that a lazily reported parse error surfaces here.
    void cert.subject;
    void cert.issuer;
    void cert.notBefore;
    void cert.notAfter;
    void cert.publicKey;
    void cert.signatureAlgorithm;
    return cert;
  } catch (e) {
    throw new EvidenceError('BadCertificate', `${what}: not a readable X.509 certificate (${errorText(e)})`, undefined);
  }
}

/** The message of anything thrown, for details. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The CN of a distinguished name string (as @peculiar/x509 renders it), or the whole name. */
export function commonName(name: string): string {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(name);
  return m?.[1] ?? name;
}

// ---- chain verification ------------------------------------------------------------------------

/** What to verify a chain against. */
export interface IntelChainOptions {
  /** A root certificate (DER or PEM) to anchor to instead of the chain's own last certificate. */
  readonly root?: Uint8Array;
  /** The time at which validity periods are checked; default now. */
  readonly now?: Date;
  /** How many certificates below the root the chain must have (2 for PCK, 1 for signing chains). */
  readonly depth: number;
  /** Name of the chain in details ("PCK chain", "TCB info issuer chain"). */
  readonly label: string;
}

/** The outcome of a chain verification: the pin and the signatures/validity, separately. */
export interface IntelChainResult {
  /** Whether the anchor is the pinned production root. */
  readonly rootPinned: { readonly ok: boolean; readonly detail: string };
  /** Whether each certificate is signed by the next one, ECDSA P-256/SHA-256, and valid now. */
  readonly chain: { readonly ok: boolean; readonly detail: string };
  /** The certificates below the anchor, leaf first. */
  readonly path: readonly x509.X509Certificate[];
  /** The anchor (root) certificate, when one was found. */
  readonly root: x509.X509Certificate | undefined;
  /** DER of the anchor, when one was found. */
  readonly rootDer: Uint8Array | undefined;
}

function isSelfIssued(c: x509.X509Certificate): boolean {
  return c.subject === c.issuer;
}

/** ECDSA P-256 with SHA-256 (tdx.md §4.4: "every certificate is ECDSA-P256 with SHA-256"). */
function algorithmProblem(c: x509.X509Certificate): string | null {
  const sig = c.signatureAlgorithm as { name?: string; hash?: { name?: string } };
  if (sig.name !== 'ECDSA' || sig.hash?.name !== 'SHA-256') {
    return `is signed with ${sig.name ?? '?'}/${sig.hash?.name ?? '?'}, not ECDSA with SHA-256`;
  }
  const key = c.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (key.name !== 'ECDSA' || key.namedCurve !== 'P-256') {
    return `has a ${key.name ?? '?'} ${key.namedCurve ?? ''} key, not ECDSA P-256`;
  }
  return null;
}

async function signedBy(c: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await c.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function isCa(c: x509.X509Certificate): boolean {
  try {
    const bc = c.getExtension(x509.BasicConstraintsExtension);
    return bc !== null && bc.ca;
  } catch {
    return false;
  }
}

/** Describes a root that is not the pinned production root. */
function pinFailure(fp: string, kind: IntelRootKind): string {
  if (kind === 'pre-production') {
    return (
      `the root is Intel's PRE-PRODUCTION SGX root (SHA-256 ${fp}), which has the same subject ` +
      `"Intel SGX Root CA" as the production root; only the production root ${INTEL_SGX_ROOT_CA_SHA256} ` +
      `is trusted (tdx.md §4.5, §6 item 9)`
    );
  }
  return `the root's SHA-256 fingerprint ${fp} is not the pinned Intel SGX Root CA ${INTEL_SGX_ROOT_CA_SHA256}`;
}

/**
 * Verifies an Intel chain (leaf first): the anchor — `options.root` if given, else the chain's
 * last, self-issued certificate — must be the pinned production root and self-signed; each
 * certificate must be issued and signed by the next, use ECDSA P-256 with SHA-256, and be valid
 * at `options.now`; certificates above the leaf must be CAs. Throws `EvidenceError` only for
 * certificates that cannot be parsed.
 */
export async function verifyIntelChain(
  chainDer: readonly Uint8Array[],
  options: IntelChainOptions,
): Promise<IntelChainResult> {
  const now = options.now ?? new Date();
  const label = options.label;
  const certs = chainDer.map((d, i) => parseCertificate(d, `${label} certificate ${i}`));
  const last = certs[certs.length - 1];
  const chainHasRoot = certs.length > 1 && last !== undefined && isSelfIssued(last);
  const path = chainHasRoot ? certs.slice(0, -1) : certs;

  let rootDer: Uint8Array | undefined;
  if (options.root) {
    const given = parseCertificateList(options.root);
    rootDer = given[given.length - 1];
  } else if (chainHasRoot) {
    rootDer = chainDer[chainDer.length - 1];
  }
  const root = rootDer ? parseCertificate(rootDer, `${label} root`) : undefined;

  // The pin (tdx.md §4.5 step 3): by fingerprint, never by name.
  let rootPinned: { ok: boolean; detail: string };
  if (!rootDer) {
    rootPinned = { ok: false, detail: `the ${label} carries no root certificate and none was given` };
  } else {
    const fp = certificateFingerprint(rootDer);
    const kind = classifyIntelRoot(rootDer);
    rootPinned =
      kind === 'production'
        ? { ok: true, detail: `the root is the pinned Intel SGX Root CA (SHA-256 ${fp})` }
        : { ok: false, detail: pinFailure(fp, kind) };
    if (options.root && chainHasRoot && last && certificateFingerprint(chainDer[chainDer.length - 1] as Uint8Array) !== fp) {
      rootPinned = { ...rootPinned, detail: `${rootPinned.detail}; the ${label}'s own root was replaced by the given one` };
    }
  }

  const problems: string[] = [];
  if (path.length !== options.depth) {
    problems.push(`expected ${options.depth} certificate(s) below the root, found ${path.length}`);
  }
  const all = root ? [...path, root] : path;
  const names = all.map((c) => commonName(c.subject));
  for (let i = 0; i < all.length; i++) {
    const c = all[i] as x509.X509Certificate;
    const what = `"${names[i]}"`;
    const alg = algorithmProblem(c);
    if (alg) problems.push(`${what} ${alg}`);
    if (now < c.notBefore || now > c.notAfter) {
      const period = `${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}`;
      problems.push(`${what} is not valid at ${now.toISOString()} (${period})`);
    }
    if (i > 0 && !isCa(c)) problems.push(`${what} is not a CA certificate`);
    const issuer = i + 1 < all.length ? (all[i + 1] as x509.X509Certificate) : root === c ? c : undefined;
    if (!issuer) {
      problems.push(`${what} has no issuer certificate (no root)`);
      continue;
    }
    if (c.issuer !== issuer.subject) {
      problems.push(`${what} is issued by "${commonName(c.issuer)}", not by "${commonName(issuer.subject)}"`);
    } else if (!(await signedBy(c, issuer))) {
      problems.push(
        issuer === c
          ? `${what}'s self-signature does not verify`
          : `${what}'s signature does not verify with the key of "${names[i + 1]}"`,
      );
    }
  }
  const chain =
    problems.length === 0
      ? { ok: true, detail: `${names.join(' <- ')}: signatures verify, ECDSA P-256/SHA-256, valid at ${now.toISOString()}` }
      : { ok: false, detail: problems.join('; ') };
  return { rootPinned, chain, path, root, rootDer };
}

/** Wraps a chain result into the two named checks of a report. */
export function chainChecks(result: IntelChainResult, names: { pinned: string; chain: string }): Check[] {
  return [
    { name: names.pinned, ok: result.rootPinned.ok, detail: result.rootPinned.detail },
    { name: names.chain, ok: result.chain.ok, detail: result.chain.detail },
  ];
}

// ---- minimal DER reading for the SGX extension --------------------------------------------------

interface Der {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function derBad(message: string): EvidenceError {
  return new EvidenceError('BadCertificate', `PCK certificate SGX extension: ${message}`, undefined);
}

/** One TLV at `off`, bounded by `limit` (short and long lengths up to 4 bytes). */
function derAt(b: Uint8Array, off: number, limit: number): Der {
  if (off + 2 > limit) throw derBad(`truncated element at ${off}`);
  const tag = b[off] as number;
  if ((tag & 0x1f) === 0x1f) throw derBad(`unsupported high tag number at ${off}`);
  let len = b[off + 1] as number;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw derBad(`bad length at ${off}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[p++] as number);
  }
  if (len > limit - p) throw derBad(`element at ${off} runs past its container`);
  return { tag, start: p, end: p + len };
}

function derChildren(b: Uint8Array, d: Der): Der[] {
  const out: Der[] = [];
  for (let p = d.start; p < d.end; ) {
    const c = derAt(b, p, d.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function derOid(b: Uint8Array, d: Der): string {
  if (d.tag !== 0x06 || d.end === d.start) throw derBad('expected an OBJECT IDENTIFIER');
  const first = b[d.start] as number;
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let v = 0;
  for (let p = d.start + 1; p < d.end; p++) {
    const x = b[p] as number;
    v = v * 128 + (x & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw derBad('OID arc too large');
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** A non-negative INTEGER or ENUMERATED that fits in 32 bits. */
function derUint(b: Uint8Array, d: Der): number {
  if (d.tag !== 0x02 && d.tag !== 0x0a) throw derBad('expected an INTEGER');
  const n = d.end - d.start;
  if (n === 0 || ((b[d.start] as number) & 0x80) !== 0) throw derBad('negative or empty INTEGER');
  let v = 0;
  for (let p = d.start; p < d.end; p++) {
    v = v * 256 + (b[p] as number);
    if (v > 0xffff_ffff) throw derBad('INTEGER too large');
  }
  return v;
}

function derOctets(b: Uint8Array, d: Der, size?: number): Uint8Array {
  if (d.tag !== 0x04) throw derBad('expected an OCTET STRING');
  if (size !== undefined && d.end - d.start !== size) throw derBad(`expected ${size} bytes, found ${d.end - d.start}`);
  return b.slice(d.start, d.end);
}

/** The PCK certificate's SGX extension values needed for TCB-level matching (tdx.md §4.5). */
export interface PckExtensions {
  /** PPID (…1.13.1.1), 16 bytes, when present. */
  readonly ppid: Uint8Array | undefined;
  /** SGX TCB component SVNs (…1.13.1.2.1 – .2.16), 16 numbers. */
  readonly sgxTcbComponentSvns: readonly number[];
  /** PCESVN (…1.13.1.2.17). */
  readonly pceSvn: number;
  /** CPUSVN (…1.13.1.2.18), 16 bytes. */
  readonly cpuSvn: Uint8Array;
  /** PCE-ID (…1.13.1.3), 2 bytes. */
  readonly pceId: Uint8Array;
  /** FMSPC (…1.13.1.4), 6 bytes (tdx.md §4.5: selects the TCB info). */
  readonly fmspc: Uint8Array;
  /** SGX type (…1.13.1.5): 0 standard, 1 scalable, 2 scalable with integrity; when present. */
  readonly sgxType: number | undefined;
}

/** Reads the SGX extension of a PCK certificate. Throws `EvidenceError('BadCertificate')`. */
export function readPckExtensions(pck: Uint8Array | x509.X509Certificate): PckExtensions {
  const cert = pck instanceof Uint8Array ? parseCertificate(pck, 'PCK certificate') : pck;
  let value: Uint8Array;
  try {
    const ext = cert.getExtension(SGX_EXTENSION_OID);
    if (!ext) throw derBad(`the certificate has no extension ${SGX_EXTENSION_OID}`);
    value = new Uint8Array(ext.value);
  } catch (e) {
    if (e instanceof EvidenceError) throw e;
    throw derBad(errorText(e));
  }
  const top = derAt(value, 0, value.length);
  if (top.tag !== 0x30) throw derBad('not a SEQUENCE');
  const fields = new Map<string, Der>();
  const pairs = (container: Der): void => {
    for (const item of derChildren(value, container)) {
      if (item.tag !== 0x30) throw derBad('an entry is not a SEQUENCE');
      const [oid, val] = derChildren(value, item);
      if (!oid || !val) throw derBad('an entry lacks its OID or value');
      fields.set(derOid(value, oid), val);
    }
  };
  pairs(top);
  const tcb = fields.get(`${SGX_EXTENSION_OID}.2`);
  if (!tcb || tcb.tag !== 0x30) throw derBad('no TCB (….2) sequence');
  pairs(tcb);
  const get = (suffix: string): Der => {
    const d = fields.get(`${SGX_EXTENSION_OID}.${suffix}`);
    if (!d) throw derBad(`missing ${SGX_EXTENSION_OID}.${suffix}`);
    return d;
  };
  const sgxTcbComponentSvns: number[] = [];
  for (let i = 1; i <= 16; i++) sgxTcbComponentSvns.push(derUint(value, get(`2.${i}`)));
  const ppid = fields.get(`${SGX_EXTENSION_OID}.1`);
  const sgxType = fields.get(`${SGX_EXTENSION_OID}.5`);
  return {
    ppid: ppid ? derOctets(value, ppid) : undefined,
    sgxTcbComponentSvns,
    pceSvn: derUint(value, get('2.17')),
    cpuSvn: derOctets(value, get('2.18'), 16),
    pceId: derOctets(value, get('3'), 2),
    fmspc: derOctets(value, get('4'), 6),
    sgxType: sgxType ? derUint(value, sgxType) : undefined,
  };
}
