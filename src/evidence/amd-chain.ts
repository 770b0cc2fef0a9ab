/**
 * AMD's certificate chain for SEV-SNP (spec/snp.md §5): ARK (root, self-signed) → ASK (signs
 * VCEKs) or ASVK (signs VLEKs) → VCEK/VLEK (signs reports). Every link is RSASSA-PSS with
 * SHA-384, MGF1-SHA-384 and a 48-byte salt.
 *
 * Trust is anchored by pinning: the SHA-256 of each product's ARK (spec/snp.md §5) is compiled
 * in, and a chain is accepted only when its ARK hashes to the pin of the report's product. No
 * certificate file is bundled.
 *
 * Certificates are parsed with @peculiar/x509 (through ../pki/x509.js, which loads reflect-metadata
 * first); it tolerates the VCEK's serial number 0. Signatures are checked with WebCrypto
 * directly over the DER bytes of tbsCertificate as they appear in the certificate, so nothing
 * depends on how the library re-encodes or maps the PSS parameters.
 */
import type { Check } from '../pki/check.js';
import { EvidenceError } from './errors.js';
import { decodeTcbVersion, type SnpProduct, type SnpReport } from './snp-report.js';
import { x509 } from '../pki/x509.js';
import { decodePemCertificates, latin1 } from './encoding.js';
import { bytesToHex } from '../format/bytes.js';

/** The standard base URL of AMD's Key Distribution Service (spec/snp.md §5). */
export const AMD_KDS_BASE = 'https://kdsintf.amd.com';

/** SHA-256 (lowercase hex) of each product's ARK certificate, DER (spec/snp.md §5). */
export const AMD_ARK_SHA256: Readonly<Record<SnpProduct, string>> = {
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  Genoa: '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  Turin: '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
};

/** What an AMD certificate is, from its subject CN (spec/snp.md §5). */
export type AmdCertRole = 'ark' | 'ask' | 'asvk' | 'vcek' | 'vlek';

/** The most certificates `parseCertificates` reads from one input (a chain has at most four). */
const MAX_CERTIFICATES = 16;

// ---- small DER reader ----------------------------------------------------------------------

/** One DER element: tag, where its content starts and ends. */
interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the DER element header at `at` (definite lengths only); `undefined` when malformed. */
function derElement(buf: Uint8Array, at: number, limit: number = buf.length): DerElement | undefined {
  if (at + 2 > limit) return undefined;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags do not occur in certificates
  const first = buf[at + 1]!;
  let len: number;
  let contentStart: number;
  if (first < 0x80) {
    len = first;
    contentStart = at + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i]!;
    contentStart = at + 2 + n;
  }
  const end = contentStart + len;
  if (end > limit) return undefined;
  return { tag, start: at, contentStart, end };
}

/** The tbsCertificate bytes and the signature value of a DER certificate. */
function certificateParts(der: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } | undefined {
  const cert = derElement(der, 0);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = derElement(der, cert.contentStart, cert.end);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const alg = derElement(der, tbs.end, cert.end);
  if (!alg || alg.tag !== 0x30) return undefined;
  const sig = derElement(der, alg.end, cert.end);
  // BIT STRING whose first content byte (unused bits) is 0.
  if (!sig || sig.tag !== 0x03 || sig.end <= sig.contentStart || der[sig.contentStart] !== 0) return undefined;
  return { tbs: der.subarray(tbs.start, tbs.end), signature: der.subarray(sig.contentStart + 1, sig.end) };
}

// ---- parsing -------------------------------------------------------------------------------



/**
 * Parsed certificates by input array. Verification looks at the same few certificates many
 * times (classification, extensions, each chain link) and an X.509 parse costs about a
 * millisecond; the entry keeps a copy of the bytes so a caller that reuses its array for other
 * content gets a fresh parse.
 */
const parsedCache = new WeakMap<Uint8Array, { copy: Uint8Array; cert: x509.X509Certificate }>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses one DER certificate with @peculiar/x509; `BadCertificate` when it cannot be read. */
function loadCertificate(der: Uint8Array, what = 'certificate', offset?: number): x509.X509Certificate {
  const hit = parsedCache.get(der);
  if (hit && sameBytes(hit.copy, der)) return hit.cert;
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(der);
  } catch (e) {
    throw new EvidenceError('BadCertificate', `${what} cannot be parsed: ${e instanceof Error ? e.message : String(e)}`, offset);
  }
  parsedCache.set(der, { copy: der.slice(), cert });
  return cert;
}

/**
 * Splits a certificate input into DER certificates: PEM text with one or more
 * `CERTIFICATE` blocks (other PEM blocks are skipped), or one or more concatenated DER
 * certificates. Every certificate is parsed once to make sure it can be read. Throws
 * `EvidenceError('BadCertificate')` for anything else.
 */
export function parseCertificates(pemOrDer: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const text = latin1(pemOrDer.subarray(0, Math.min(pemOrDer.length, 1 << 20)));
  if (text.includes('-----BEGIN')) {
    for (const der of decodePemCertificates(text)) {
      if (out.length >= MAX_CERTIFICATES) throw new EvidenceError('BadCertificate', `more than ${MAX_CERTIFICATES} certificates in one PEM input`, 0);
      loadCertificate(der, `PEM certificate ${out.length + 1}`, 0);
      out.push(der);
    }
    if (out.length === 0) throw new EvidenceError('BadCertificate', 'the PEM input holds no CERTIFICATE block', 0);
    return out;
  }
  let at = 0;
  while (at < pemOrDer.length) {
    const el = derElement(pemOrDer, at);
    if (!el || el.tag !== 0x30) {
      throw new EvidenceError('BadCertificate', 'not a PEM or DER certificate (no DER SEQUENCE here)', at);
    }
    if (out.length >= MAX_CERTIFICATES) throw new EvidenceError('BadCertificate', `more than ${MAX_CERTIFICATES} DER certificates`, at);
    const der = pemOrDer.slice(at, el.end);
    loadCertificate(der, `DER certificate ${out.length + 1}`, at);
    out.push(der);
    at = el.end;
  }
  if (out.length === 0) throw new EvidenceError('BadCertificate', 'empty certificate input', 0);
  return out;
}

/** The product named by `Milan-B0`, `Genoa`, `Turin`, `ARK-Milan`, `SEV-VLEK-Genoa`, ... */
export function productFromName(name: string | undefined): SnpProduct | undefined {
  if (!name) return undefined;
  for (const part of name.split('-')) {
    if (part === 'Milan' || part === 'Genoa' || part === 'Turin') return part;
  }
  return undefined;
}

/** What `describeAmdCertificate` says about a certificate. */
export interface AmdCertificateInfo {
  /** From the subject CN; `undefined` when it is not one of AMD's names. */
  readonly role: AmdCertRole | undefined;
  /** From the CN (ARK, ASK, ASVK) or the product-name extension (VCEK, VLEK). */
  readonly product: SnpProduct | undefined;
  readonly commonName: string;
  readonly issuerCommonName: string;
}

/**
 * Classifies a DER certificate by its subject CN (spec/snp.md §5): `ARK-{P}`, `SEV-{P}` (ASK),
 * `SEV-VLEK-{P}` (ASVK), `SEV-VCEK`, `SEV-VLEK`. Throws `BadCertificate` when unreadable.
 */
export function describeAmdCertificate(der: Uint8Array): AmdCertificateInfo {
  const cert = loadCertificate(der);
  return describeParsed(cert);
}

function describeParsed(cert: x509.X509Certificate): AmdCertificateInfo {
  let cn = '';
  let issuerCn = '';
  try {
    cn = cert.subjectName.getField('CN')[0] ?? '';
    issuerCn = cert.issuerName.getField('CN')[0] ?? '';
  } catch {
    // An unreadable name leaves the role unknown.
  }
  let role: AmdCertRole | undefined;
  let product: SnpProduct | undefined;
  if (cn === 'SEV-VCEK' || cn === 'SEV-VLEK') {
    role = cn === 'SEV-VCEK' ? 'vcek' : 'vlek';
    product = productFromName(extensionsOf(cert).productName) ?? productFromName(issuerCn);
  } else if (cn.startsWith('ARK-')) {
    role = 'ark';
    product = productFromName(cn);
  } else if (cn.startsWith('SEV-VLEK-')) {
    role = 'asvk';
    product = productFromName(cn);
  } else if (cn.startsWith('SEV-')) {
    role = 'ask';
    product = productFromName(cn);
  }
  return { role, product, commonName: cn, issuerCommonName: issuerCn };
}

// ---- VCEK / VLEK extensions ----------------------------------------------------------------

/** The AMD extensions of a VCEK or VLEK (arc 1.3.6.1.4.1.3704.1, spec/snp.md §5). */
export interface AmdCertExtensions {
  readonly structVersion?: number;
  /** e.g. `Milan-B0`, `Genoa`, `Turin`; a VLEK says `Milan`. */
  readonly productName?: string;
  readonly blSPL?: number;
  readonly teeSPL?: number;
  readonly snpSPL?: number;
  readonly ucodeSPL?: number;
  /** Turin only. */
  readonly fmcSPL?: number;
  /** 64 bytes (Milan/Genoa) or 8 bytes (Turin); VCEK only. */
  readonly hwId?: Uint8Array;
  /** VLEK only, e.g. `CN=cc-us-east-2.amazonaws.com`. */
  readonly cspId?: string;
}

const AMD_ARC = '1.3.6.1.4.1.3704.1';

/** A DER INTEGER that is a small non-negative number (SPLs ≥ 0x80 are `02 02 00 xx`). */
function derSmallUint(v: Uint8Array): number | undefined {
  const el = derElement(v, 0);
  if (!el || el.tag !== 0x02 || el.end !== v.length) return undefined;
  const len = el.end - el.contentStart;
  if (len < 1 || len > 6) return undefined;
  if (v[el.contentStart]! & 0x80) return undefined; // negative
  let n = 0;
  for (let i = el.contentStart; i < el.end; i++) n = n * 256 + v[i]!;
  return n;
}

/** A DER IA5String. */
function derIa5(v: Uint8Array): string | undefined {
  const el = derElement(v, 0);
  if (!el || el.tag !== 0x16 || el.end !== v.length) return undefined;
  return latin1(v.subarray(el.contentStart, el.end));
}

/**
 * hwID is raw bytes, with no inner OCTET STRING tag, in AMD's certificates (spec/snp.md §5).
 * trustee's `test-vcek-invalid-new.der` wraps it in an OCTET STRING (`04 40 …`); we accept
 * that form too when the wrapper is exact and the content has one of the two real sizes.
 */
function hwIdBytes(v: Uint8Array): Uint8Array {
  if (v.length === 66 || v.length === 10) {
    const el = derElement(v, 0);
    const len = el ? el.end - el.contentStart : -1;
    if (el && el.tag === 0x04 && el.end === v.length && (len === 64 || len === 8)) return v.slice(el.contentStart, el.end);
  }
  return v.slice();
}

/**
 * Reads the AMD extensions of a VCEK or VLEK (spec/snp.md §5 table). An extension that is
 * absent or malformed is left undefined (the TCB check then fails and says so). Throws
 * `BadCertificate` only when the certificate itself cannot be parsed.
 */
export function decodeAmdExtensions(der: Uint8Array): AmdCertExtensions {
  return extensionsOf(loadCertificate(der));
}

function extensionsOf(cert: x509.X509Certificate): AmdCertExtensions {
  const out: {
    -readonly [K in keyof AmdCertExtensions]: AmdCertExtensions[K];
  } = {};
  let exts: x509.Extension[] = [];
  try {
    exts = cert.extensions;
  } catch {
    return out;
  }
  for (const ext of exts) {
    if (!ext.type.startsWith(AMD_ARC + '.')) continue;
    const v = new Uint8Array(ext.value);
    switch (ext.type.slice(AMD_ARC.length + 1)) {
      case '1':
        out.structVersion = derSmallUint(v);
        break;
      case '2':
        out.productName = derIa5(v);
        break;
      case '3.1':
        out.blSPL = derSmallUint(v);
        break;
      case '3.2':
        out.teeSPL = derSmallUint(v);
        break;
      case '3.3':
        out.snpSPL = derSmallUint(v);
        break;
      case '3.8':
        out.ucodeSPL = derSmallUint(v);
        break;
      case '3.9':
        out.fmcSPL = derSmallUint(v);
        break;
      case '4':
        out.hwId = hwIdBytes(v);
        break;
      case '5':
        out.cspId = derIa5(v);
        break;
      default:
        break; // .3.4–.3.7 are reserved SPLs (spec/snp.md §5)
    }
  }
  return out;
}

// ---- signatures ----------------------------------------------------------------------------


/** SHA-256 of `der`, lowercase hex. */
export async function sha256Hex(der: Uint8Array): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', der)));
}

/**
 * Checks that `child` is signed by `parent`'s key with RSASSA-PSS/SHA-384/salt 48
 * (spec/snp.md §5) and names `parent` as its issuer. Never throws: every failure, including
 * an unreadable certificate or key, is a `{ ok: false }` with the reason.
 */
export async function verifyRsaPssLink(child: Uint8Array, parent: Uint8Array): Promise<{ ok: boolean; detail: string }> {
  try {
    const c = loadCertificate(child);
    const p = loadCertificate(parent);
    const cn = (n: x509.Name): string => n.getField('CN')[0] ?? '?';
    const who = `${cn(c.subjectName)} by ${cn(p.subjectName)}`;
    const alg = c.signatureAlgorithm as { name?: string; hash?: { name?: string } | string; saltLength?: number };
    const hashName = typeof alg.hash === 'string' ? alg.hash : alg.hash?.name;
    if (alg.name !== 'RSA-PSS' || hashName !== 'SHA-384' || alg.saltLength !== 48) {
      return { ok: false, detail: `${who}: signature algorithm is ${alg.name ?? '?'}/${hashName ?? '?'}/salt ${alg.saltLength ?? '?'}, not RSA-PSS/SHA-384/salt 48` };
    }
    const parts = certificateParts(child);
    if (!parts) return { ok: false, detail: `${who}: the certificate's DER structure cannot be split into tbsCertificate and signature` };
    const key = await crypto.subtle.importKey('spki', new Uint8Array(p.publicKey.rawData), { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: 48 }, key, parts.signature, parts.tbs);
    if (!ok) return { ok: false, detail: `${who}: RSA-PSS/SHA-384 signature does not verify` };
    if (c.issuer !== p.subject) return { ok: false, detail: `${who}: signature verifies but the issuer name "${c.issuer}" is not the signer's subject "${p.subject}"` };
    return { ok: true, detail: `${who}: RSA-PSS/SHA-384/salt 48 signature verifies` };
  } catch (e) {
    return { ok: false, detail: `signature cannot be checked: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The certificates of one chain; any may be missing (the dependent checks are then not made). */
export interface AmdChainInput {
  /** The report's signer kind: a VCEK is signed by the ASK, a VLEK by the ASVK. */
  readonly signer: 'vcek' | 'vlek';
  /** The VCEK or VLEK, DER. */
  readonly leaf?: Uint8Array | undefined;
  /** The ASK (for a VCEK) or ASVK (for a VLEK), DER. */
  readonly intermediate?: Uint8Array | undefined;
  /** The ARK, DER. */
  readonly ark?: Uint8Array | undefined;
  /** The product whose pinned ARK the chain must end in. */
  readonly product: SnpProduct | undefined;
}

const notMade = (name: string, why: string): Check => ({ name, ok: null, detail: `not checked: ${why}` });

/**
 * Verifies ARK → ASK/ASVK → VCEK/VLEK (spec/snp.md §5). Returns, in order: `ark-pinned`,
 * `ark-self-signed`, `ask-signed-by-ark` (or `asvk-signed-by-ark`), `vcek-signed-by-ask` (or
 * `vlek-signed-by-asvk`). A check whose certificates are missing is `ok: null`. Never throws.
 */
export async function verifyAmdChain(input: AmdChainInput): Promise<Check[]> {
  const mid = input.signer === 'vcek' ? 'ask' : 'asvk';
  const leafName = input.signer;
  const checks: Check[] = [];
  const { ark, intermediate, leaf, product } = input;

  if (!ark) {
    checks.push(notMade('ark-pinned', 'no ARK'));
    checks.push(notMade('ark-self-signed', 'no ARK'));
  } else {
    const digest = await sha256Hex(ark);
    if (!product) {
      checks.push({ name: 'ark-pinned', ok: false, detail: `ARK SHA-256 ${digest}: the product is unknown, so there is no pin to compare with` });
    } else {
      const pin = AMD_ARK_SHA256[product];
      const other = (Object.keys(AMD_ARK_SHA256) as SnpProduct[]).find((p) => AMD_ARK_SHA256[p] === digest);
      checks.push(
        digest === pin
          ? { name: 'ark-pinned', ok: true, detail: `ARK SHA-256 ${digest} is AMD's pinned ${product} ARK` }
          : {
              name: 'ark-pinned',
              ok: false,
              detail: `ARK SHA-256 ${digest} is not AMD's pinned ${product} ARK (${pin})${other ? `; it is the ${other} ARK` : ''}`,
            },
      );
    }
    const self = await verifyRsaPssLink(ark, ark);
    checks.push({ name: 'ark-self-signed', ok: self.ok, detail: self.detail });
  }

  if (!intermediate || !ark) {
    checks.push(notMade(`${mid}-signed-by-ark`, !intermediate ? `no ${mid.toUpperCase()}` : 'no ARK'));
  } else {
    const r = await verifyRsaPssLink(intermediate, ark);
    checks.push({ name: `${mid}-signed-by-ark`, ok: r.ok, detail: r.detail });
  }

  if (!leaf || !intermediate) {
    checks.push(notMade(`${leafName}-signed-by-${mid}`, !leaf ? `no ${leafName.toUpperCase()}` : `no ${mid.toUpperCase()}`));
  } else {
    const r = await verifyRsaPssLink(leaf, intermediate);
    checks.push({ name: `${leafName}-signed-by-${mid}`, ok: r.ok, detail: r.detail });
  }
  return checks;
}

// ---- KDS -----------------------------------------------------------------------------------

/** Where AMD's Key Distribution Service serves a report's certificates (spec/snp.md §5). */
export interface KdsUrls {
  /** The VCEK for this chip and REPORTED_TCB; `undefined` when CHIP_ID is zero (masked). */
  readonly vcek: string | undefined;
  /** ASK then ARK, PEM. */
  readonly vcekChain: string;
  /** ASVK then ARK, PEM. VLEKs themselves are not served publicly. */
  readonly vlekChain: string;
}

/** At least two decimal digits, as snpguest formats the SPLs (`{:02}`). */
const spl = (n: number): string => String(n).padStart(2, '0');

/**
 * The KDS URLs for a report (spec/snp.md §5): `/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=`
 * with the SPLs of REPORTED_TCB (decoded with `product`'s layout); on Turin the hwid is the
 * first 8 bytes of CHIP_ID and `fmcSPL` comes first, as in snpguest. `base` replaces the
 * standard `https://kdsintf.amd.com`.
 */
export function kdsUrls(report: SnpReport, product: SnpProduct, base: string = AMD_KDS_BASE): KdsUrls {
  const root = base.replace(/\/+$/, '');
  const chip = product === 'Turin' ? report.chipId.subarray(0, 8) : report.chipId;
  const tcb = decodeTcbVersion(report.reportedTcb.raw, product);
  const query =
    (product === 'Turin' ? `fmcSPL=${spl(tcb.fmc ?? 0)}&` : '') +
    `blSPL=${spl(tcb.bootLoader)}&teeSPL=${spl(tcb.tee)}&snpSPL=${spl(tcb.snp)}&ucodeSPL=${spl(tcb.microcode)}`;
  return {
    vcek: chip.some((b) => b !== 0) ? `${root}/vcek/v1/${product}/${bytesToHex(chip)}?${query}` : undefined,
    vcekChain: `${root}/vcek/v1/${product}/cert_chain`,
    vlekChain: `${root}/vlek/v1/${product}/cert_chain`,
  };
}
