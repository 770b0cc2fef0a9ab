/**
 * AMD's certificate chain rules for SEV-SNP (spec/snp.md §5): ARK (root, self-signed) → ASK
 * (signs VCEKs) or ASVK (signs VLEKs) → VCEK/VLEK (signs reports). Every link is RSASSA-PSS with
 * SHA-384, MGF1-SHA-384 and a 48-byte salt. Also the roles by subject CN, the product, and the
 * KDS URLs a report's certificates are served at.
 *
 * Trust is anchored by pinning: the SHA-256 of each product's ARK (spec/snp.md §5) is compiled
 * in, and a chain is accepted only when its ARK hashes to the pin of the report's product. AMD's
 * ASK/ASVK/ARK certificates themselves ship in amd-certs.ts, for verifying without a chain.
 * Every certificate of the chain must be valid at the verification time, as go-sev-guest
 * requires (verify/verify.go: `x509.Certificate.Verify` with `CurrentTime` = `Options.Now`).
 *
 * Reading certificates (PEM, DER, the VCEK/VLEK extensions), signatures, fingerprints and the
 * chain walk are the certificate layer's (src/pki/); its errors leave here as `EvidenceError`.
 */
import type { Check } from '../pki/check.js';
import { x509 } from '../pki/x509.js';
import { loadCertificate, readCertificates } from '../pki/certificate.js';
import { decodeAmdExtensions as decodeExtensions, type AmdCertExtensions } from '../pki/amd-extensions.js';
import { matchPin } from '../pki/fingerprint.js';
import { signatureAlgorithmOf } from '../pki/signature.js';
import { checkLink, walkChain, type ChainLink } from '../pki/chain.js';
import { errorMessage } from '../pki/errors.js';
import { validityPeriod } from '../pki/validity.js';
import { withEvidenceErrors } from './pki-errors.js';
import { decodeTcbVersion, type SnpProduct, type SnpReport } from './snp-report.js';
import { bytesToHex } from '../format/bytes.js';

export type { AmdCertExtensions };

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

/**
 * Splits a certificate input into DER certificates: PEM text with one or more
 * `CERTIFICATE` blocks (other PEM blocks are skipped), or one or more concatenated DER
 * certificates (src/pki/certificate.ts `readCertificates`). Every certificate is parsed once to
 * make sure it can be read. Throws `EvidenceError('BadCertificate')` for anything else.
 */
export function parseCertificates(pemOrDer: Uint8Array): Uint8Array[] {
  return withEvidenceErrors(() => readCertificates(pemOrDer, { max: MAX_CERTIFICATES }));
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
  return describeParsed(withEvidenceErrors(() => loadCertificate(der)));
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
    product = productFromName(decodeExtensions(cert).productName) ?? productFromName(issuerCn);
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

/**
 * Reads the AMD extensions of a VCEK or VLEK (spec/snp.md §5 table; src/pki/amd-extensions.ts).
 * An extension that is absent or malformed is left undefined (the TCB check then fails and
 * says so). Throws `BadCertificate` only when the certificate itself cannot be parsed.
 */
export function decodeAmdExtensions(der: Uint8Array): AmdCertExtensions {
  return decodeExtensions(withEvidenceErrors(() => loadCertificate(der)));
}

// ---- signatures ----------------------------------------------------------------------------

/** A link's verdict in AMD's terms: the algorithm first, then the signature, then the names. */
function linkVerdict(link: ChainLink): { ok: boolean; detail: string } {
  try {
    const c = link.certificate;
    const p = link.issuer ?? c;
    const cn = (n: x509.Name): string => n.getField('CN')[0] ?? '?';
    const who = `${cn(c.subjectName)} by ${cn(p.subjectName)}`;
    const alg = signatureAlgorithmOf(c);
    if (alg.name !== 'RSA-PSS' || alg.hash !== 'SHA-384' || alg.saltLength !== 48) {
      return { ok: false, detail: `${who}: signature algorithm is ${alg.name ?? '?'}/${alg.hash ?? '?'}/salt ${alg.saltLength ?? '?'}, not RSA-PSS/SHA-384/salt 48` };
    }
    if (link.signatureError !== undefined) return { ok: false, detail: `signature cannot be checked: ${link.signatureError}` };
    if (!link.signatureVerifies) return { ok: false, detail: `${who}: RSA-PSS/SHA-384 signature does not verify` };
    if (!link.issuerNameMatches) return { ok: false, detail: `${who}: signature verifies but the issuer name "${c.issuer}" is not the signer's subject "${p.subject}"` };
    return { ok: true, detail: `${who}: RSA-PSS/SHA-384/salt 48 signature verifies` };
  } catch (e) {
    return { ok: false, detail: `signature cannot be checked: ${errorMessage(e)}` };
  }
}

/** A certificate parsed for a link, or why it cannot be. */
type Loaded = { cert: x509.X509Certificate; error?: undefined } | { cert?: undefined; error: string };

function load(der: Uint8Array): Loaded {
  try {
    return { cert: loadCertificate(der) };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}

/**
 * Checks that `child` is signed by `parent`'s key with RSASSA-PSS/SHA-384/salt 48
 * (spec/snp.md §5) and names `parent` as its issuer. Never throws: every failure, including
 * an unreadable certificate or key, is a `{ ok: false }` with the reason.
 */
export async function verifyRsaPssLink(child: Uint8Array, parent: Uint8Array): Promise<{ ok: boolean; detail: string }> {
  const c = load(child);
  const p = load(parent);
  if (!c.cert || !p.cert) return { ok: false, detail: `signature cannot be checked: ${c.error ?? p.error}` };
  return linkVerdict(await checkLink(c.cert, p.cert));
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
  /** Check every certificate's validity period at this time; not checked when absent. */
  readonly at?: Date | undefined;
}

const notMade = (name: string, why: string): Check => ({ name, ok: null, detail: `not checked: ${why}` });

/**
 * Verifies ARK → ASK/ASVK → VCEK/VLEK (spec/snp.md §5). Returns, in order: `ark-pinned`,
 * `ark-self-signed`, `ask-signed-by-ark` (or `asvk-signed-by-ark`), `vcek-signed-by-ask` (or
 * `vlek-signed-by-asvk`), and with `at`: `vcek-validity` (or `vlek-validity`), `ask-validity`
 * (or `asvk-validity`), `ark-validity`. A check whose certificates are missing is `ok: null`.
 * Never throws.
 */
export async function verifyAmdChain(input: AmdChainInput): Promise<Check[]> {
  const mid = input.signer === 'vcek' ? 'ask' : 'asvk';
  const leafName = input.signer;
  const checks: Check[] = [];
  const { ark, intermediate, leaf, product } = input;
  // Leaf first, ARK last: each certificate is checked against the next, the ARK against itself.
  const loaded = [leaf, intermediate, ark].map((der) => (der ? load(der) : undefined));
  const walk = await walkChain(
    loaded.map((l) => l?.cert),
    input.at ? { at: input.at } : {},
  );
  const verdict = (i: number): { ok: boolean; detail: string } => {
    const error = loaded[i]?.error ?? loaded[Math.min(i + 1, 2)]?.error;
    const link = walk.links[i];
    return error !== undefined || !link ? { ok: false, detail: `signature cannot be checked: ${error ?? 'no certificate'}` } : linkVerdict(link);
  };

  if (!ark) {
    checks.push(notMade('ark-pinned', 'no ARK'));
    checks.push(notMade('ark-self-signed', 'no ARK'));
  } else {
    const { fingerprint: digest, pin: other } = matchPin(ark, AMD_ARK_SHA256);
    if (!product) {
      checks.push({ name: 'ark-pinned', ok: false, detail: `ARK SHA-256 ${digest}: the product is unknown, so there is no pin to compare with` });
    } else {
      const pin = AMD_ARK_SHA256[product];
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
    checks.push({ name: 'ark-self-signed', ...verdict(2) });
  }

  if (!intermediate || !ark) {
    checks.push(notMade(`${mid}-signed-by-ark`, !intermediate ? `no ${mid.toUpperCase()}` : 'no ARK'));
  } else {
    checks.push({ name: `${mid}-signed-by-ark`, ...verdict(1) });
  }

  if (!leaf || !intermediate) {
    checks.push(notMade(`${leafName}-signed-by-${mid}`, !leaf ? `no ${leafName.toUpperCase()}` : `no ${mid.toUpperCase()}`));
  } else {
    checks.push({ name: `${leafName}-signed-by-${mid}`, ...verdict(0) });
  }
  if (input.at) {
    const at = input.at;
    ([leafName, mid, 'ark'] as const).forEach((role, i) => checks.push(validityCheck(role, loaded[i], walk.links[i], at)));
  }
  return checks;
}

/** `<role>-validity`: the certificate's notBefore..notAfter holds `at` (RFC 5280 §4.1.2.5). */
function validityCheck(role: AmdCertRole, loaded: Loaded | undefined, link: ChainLink | undefined, at: Date): Check {
  const name = `${role}-validity`;
  const who = role.toUpperCase();
  if (!loaded) return notMade(name, `no ${who}`);
  if (!loaded.cert || !link) return { name, ok: false, detail: `the ${who} cannot be read: ${loaded.error ?? 'unknown'}` };
  let period: string;
  try {
    period = validityPeriod(loaded.cert);
  } catch (e) {
    return { name, ok: false, detail: `the ${who}'s validity period cannot be read: ${errorMessage(e)}` };
  }
  const when = at.toISOString();
  if (link.validAt === true) return { name, ok: true, detail: `${who} valid at ${when} (${period})` };
  const why = at < loaded.cert.notBefore ? 'not yet valid' : 'expired';
  return { name, ok: false, detail: `${who} is not valid at ${when}: ${why} (${period})` };
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
