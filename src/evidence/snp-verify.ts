/**
 * Offline verification of SEV-SNP evidence (spec/snp.md §4 "Signature", §5): the report's
 * ECDSA P-384 signature by the VCEK or VLEK, the certificate chain up to AMD's pinned ARK, every
 * certificate's validity at the verification time, AMD's CRL when one is given or fetched, and
 * the certificate's claims (TCB extensions against REPORTED_TCB, hwID against CHIP_ID).
 *
 * The result is a list of named checks (src/pki/check.ts). A missing certificate is not an
 * exception: it is a failed `<role>-available` check that names the certificate and the AMD
 * KDS URL it can be fetched from, unless `options.fetch` gets it. A missing ASK/ASVK or ARK is
 * taken from AMD's certificates bundled in amd-certs.ts once the product is known. Only
 * `EvidenceError` escapes (for certificate options that cannot be parsed at all).
 */
import {
  AMD_KDS_BASE,
  decodeAmdExtensions,
  describeAmdCertificate,
  kdsUrls,
  parseCertificates,
  productFromName,
  verifyAmdChain,
  type AmdCertExtensions,
  type AmdCertRole,
} from './amd-chain.js';
import { bundledAmdChain } from './amd-certs.js';
import { amdCrlUrl, checkAmdCrl } from './amd-crl.js';
import { allPassed, type Check } from '../pki/check.js';
import { EvidenceError } from './errors.js';
import { asEvidenceError } from './pki-errors.js';
import type { SnpCertificates, SnpEvidence } from './snp-input.js';
import { snpHclChecks } from './hcl-binding.js';
import { decodeTcbVersion, type SnpProduct, type SnpReport } from './snp-report.js';
import { loadCertificate } from '../pki/certificate.js';
import { importCertificateKey } from '../pki/signature.js';
import { errorMessage as errText } from '../pki/errors.js';
import { bytesToHex } from '../format/bytes.js';

/** Where the certificates come from, besides the evidence itself. */
export interface SnpVerifyOptions {
  /** The VCEK or VLEK, DER or PEM; a PEM may carry the ASK/ASVK and ARK after it. */
  readonly vcek?: Uint8Array | undefined;
  /** The ASK (or ASVK) and ARK, PEM or concatenated DER (e.g. KDS `cert_chain`). */
  readonly chain?: Uint8Array | undefined;
  /**
   * Gets a URL's body; used only for certificates that are still missing, with AMD's
   * standard KDS URLs (node/kds.ts `kdsFetcher` provides one with a cache and a base URL).
   */
  readonly fetch?: ((url: string) => Promise<Uint8Array>) | undefined;
  /**
   * AMD's ARK-signed CRL for the report's chain (KDS `/vcek/v1/{product}/crl`, or
   * `/vlek/v1/{product}/crl` for a VLEK), DER or PEM. Without it, `fetch` gets it from KDS;
   * without either, the `crl` check is not made.
   */
  readonly crl?: Uint8Array | undefined;
  /** The time at which every certificate must be valid and the CRL current. Default: now. */
  readonly now?: Date | undefined;
}

/** The outcome of `verifySnpEvidence`. */
export interface SnpVerifyResult {
  /** Every check that was made passed (src/pki/check.ts `allPassed`). */
  readonly verified: boolean;
  readonly checks: Check[];
  /** The product the chain was checked against. */
  readonly product?: SnpProduct;
  /** The report's signing key, when it is one. */
  readonly signer?: 'vcek' | 'vlek';
}

/** Certificates by role with where each came from. */
type Pool = { [R in AmdCertRole]?: { der: Uint8Array; source: string } };

function addToPool(pool: Pool, ders: readonly Uint8Array[], source: string, leafRole: 'vcek' | 'vlek' | undefined): void {
  ders.forEach((der, i) => {
    let role = describeAmdCertificate(der).role;
    // A first certificate with a name we do not know, given as the VCEK, is taken as the leaf.
    if (!role && i === 0 && leafRole) role = leafRole;
    if (role && !pool[role]) pool[role] = { der, source };
  });
}

function addEvidenceCerts(pool: Pool, certs: SnpCertificates): void {
  for (const role of ['vcek', 'vlek', 'ask', 'asvk', 'ark'] as const) {
    const der = certs[role];
    if (der && !pool[role]) pool[role] = { der, source: 'the evidence' };
  }
}

/**
 * The ECDSA signature in WebCrypto's form: R ‖ S, 48 bytes each, big-endian. The report
 * stores each as 72 little-endian bytes (spec/snp.md §4); the top 24 must be zero for P-384.
 */
function rawEcdsaSignature(report: SnpReport): Uint8Array | undefined {
  const out = new Uint8Array(96);
  for (const [i, v] of [report.signatureR, report.signatureS].entries()) {
    if (v.subarray(48).some((b) => b !== 0)) return undefined;
    for (let k = 0; k < 48; k++) out[i * 48 + k] = v[47 - k]!;
  }
  return out;
}

async function checkReportSignature(report: SnpReport, leaf: Uint8Array, role: string): Promise<Check> {
  const name = 'report-signature';
  if (report.signatureAlgo !== 1) {
    return { name, ok: false, detail: `SIGNATURE_ALGO is ${report.signatureAlgo}; only 1 (ECDSA P-384 with SHA-384) is defined` };
  }
  const sig = rawEcdsaSignature(report);
  if (!sig) return { name, ok: false, detail: 'R or S has non-zero bytes above the 48 a P-384 signature can use' };
  try {
    const key = await importCertificateKey(loadCertificate(leaf), { name: 'ECDSA', namedCurve: 'P-384' });
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, key, sig, report.signedBytes);
    return ok
      ? { name, ok, detail: `ECDSA P-384/SHA-384 over bytes 0x000–0x29F verifies with the ${role.toUpperCase()}'s key` }
      : { name, ok, detail: `ECDSA P-384/SHA-384 over bytes 0x000–0x29F does not verify with the ${role.toUpperCase()}'s key` };
  } catch (e) {
    return { name, ok: false, detail: `the ${role.toUpperCase()}'s key cannot be used as an ECDSA P-384 key: ${errText(e)}` };
  }
}

/** REPORTED_TCB against the certificate's SPL extensions (spec/snp.md §5 matching rules). */
function checkTcb(report: SnpReport, ext: AmdCertExtensions, product: SnpProduct | undefined): Check {
  const name = 'tcb-matches-reported-tcb';
  const tcb = decodeTcbVersion(report.reportedTcb.raw, product);
  const pairs: Array<[string, number | undefined, number]> = [
    ['blSPL', ext.blSPL, tcb.bootLoader],
    ['teeSPL', ext.teeSPL, tcb.tee],
    ['snpSPL', ext.snpSPL, tcb.snp],
    ['ucodeSPL', ext.ucodeSPL, tcb.microcode],
  ];
  if (product === 'Turin') pairs.unshift(['fmcSPL', ext.fmcSPL, tcb.fmc ?? 0]);
  const bad = pairs.filter(([, c, r]) => c !== r);
  const list = pairs.map(([n, c, r]) => `${n} ${c ?? 'missing'}${c === r ? '' : ` vs ${r}`}`).join(', ');
  const raw = `0x${report.reportedTcb.raw.toString(16).padStart(16, '0')}`;
  return bad.length === 0
    ? { name, ok: true, detail: `certificate TCB equals REPORTED_TCB ${raw}: ${list}` }
    : { name, ok: false, detail: `certificate TCB differs from REPORTED_TCB ${raw} (${product ?? 'Milan/Genoa'} layout): ${list}` };
}

/** The VCEK's hwID against CHIP_ID (spec/snp.md §5; Turin: the first 8 bytes). */
function checkHwId(report: SnpReport, role: 'vcek' | 'vlek', ext: AmdCertExtensions, product: SnpProduct | undefined): Check {
  const name = 'hwid-matches-chip-id';
  if (role === 'vlek') return { name, ok: null, detail: 'not checked: a VLEK is not tied to a chip (no hwID)' };
  if (report.signerInfo.maskChipKey) return { name, ok: null, detail: 'not checked: MASK_CHIP_KEY is set, CHIP_ID is not reported' };
  if (report.chipId.every((b) => b === 0)) return { name, ok: null, detail: 'not checked: CHIP_ID is zero (masked)' };
  if (!ext.hwId) return { name, ok: false, detail: 'the VCEK has no hwID extension (1.3.6.1.4.1.3704.1.4)' };
  const want = product === 'Turin' || ext.hwId.length === 8 ? report.chipId.subarray(0, 8) : report.chipId;
  const rest = report.chipId.subarray(want.length);
  const ok = bytesToHex(ext.hwId) === bytesToHex(want) && rest.every((b) => b === 0);
  return ok
    ? { name, ok, detail: `hwID equals CHIP_ID ${bytesToHex(want)}` }
    : { name, ok, detail: `hwID ${bytesToHex(ext.hwId)} is not CHIP_ID ${bytesToHex(report.chipId)}` };
}

/** Product consistency: the report's CPUID, the certificates' names (spec/snp.md §4, §5). */
function resolveProduct(report: SnpReport, pool: Pool, leafRole: 'vcek' | 'vlek'): { product: SnpProduct | undefined; check: Check } {
  const midRole = leafRole === 'vcek' ? 'ask' : 'asvk';
  const claims: Array<[string, SnpProduct | undefined]> = [];
  if (report.product) {
    claims.push([report.cpuid ? `report CPUID ${[report.cpuid.family, report.cpuid.model, report.cpuid.stepping].map((n) => n.toString(16).padStart(2, '0')).join('/')}` : 'report CHIP_ID (8-byte Turin form)', report.product]);
  }
  const leaf = pool[leafRole];
  if (leaf) {
    const ext = decodeAmdExtensions(leaf.der);
    claims.push([`${leafRole.toUpperCase()} product name "${ext.productName ?? ''}"`, productFromName(ext.productName) ?? describeAmdCertificate(leaf.der).product]);
  }
  for (const role of [midRole, 'ark'] as const) {
    const c = pool[role];
    if (c) {
      const info = describeAmdCertificate(c.der);
      claims.push([`${role.toUpperCase()} "${info.commonName}"`, info.product]);
    }
  }
  const known = claims.filter((c): c is [string, SnpProduct] => c[1] !== undefined);
  // The report's CPUID wins over the certificate's claim (go-sev-guest, spec/snp.md §5 quirk).
  const product = known[0]?.[1];
  const name = 'product';
  if (!product) return { product, check: { name, ok: false, detail: 'the product (Milan, Genoa, Turin) cannot be told from the report or any certificate' } };
  const disagree = known.filter(([, p]) => p !== product);
  const detail = known.map(([w, p]) => `${w}: ${p}`).join('; ');
  return disagree.length === 0
    ? { product, check: { name, ok: true, detail: `${product} (${detail})` } }
    : { product, check: { name, ok: false, detail: `the report and the certificates name different products: ${detail}` } };
}

/** Fetches a URL and returns its certificates, or the reason it failed. */
async function fetchCertificates(fetch: (url: string) => Promise<Uint8Array>, url: string): Promise<Uint8Array[] | string> {
  try {
    return parseCertificates(await fetch(url));
  } catch (e) {
    return `fetching ${url} failed: ${errText(e)}`;
  }
}

/** The `crl` check with the CRL given, or fetched from KDS (spec/snp.md §5), or none. */
async function crlCheck(
  options: SnpVerifyOptions,
  signer: 'vcek' | 'vlek',
  product: SnpProduct | undefined,
  chain: { leaf?: Uint8Array | undefined; intermediate?: Uint8Array | undefined; ark?: Uint8Array | undefined },
  at: Date,
): Promise<Check> {
  const base = { signer, ...chain, at };
  if (options.crl) return checkAmdCrl({ ...base, crl: { bytes: options.crl, source: 'the given CRL file' } });
  if (!product) return checkAmdCrl({ ...base, crl: undefined, missing: 'no CRL given, and the product is unknown' });
  const url = amdCrlUrl(product, signer, AMD_KDS_BASE);
  if (!options.fetch) return checkAmdCrl({ ...base, crl: undefined, missing: `no CRL given; AMD KDS serves it at ${url}` });
  try {
    return await checkAmdCrl({ ...base, crl: { bytes: await options.fetch(url), source: `KDS ${url}` } });
  } catch (e) {
    return checkAmdCrl({ ...base, crl: undefined, missing: `no CRL given and fetching ${url} failed: ${errText(e)}` });
  }
}

/**
 * Verifies SNP evidence offline (spec/snp.md §4, §5). Checks, in order: `<role>-available`
 * for each certificate, `signing-key` (the certificate is the kind SIGNING_KEY names),
 * `report-signature`, `product`, `ark-pinned`, `ark-self-signed`, `ask-signed-by-ark` (or
 * `asvk-signed-by-ark`), `vcek-signed-by-ask` (or `vlek-signed-by-asvk`), `vcek-validity`
 * (or `vlek-validity`), `ask-validity` (or `asvk-validity`), `ark-validity` (at
 * `options.now`, default now), `crl`, `tcb-matches-reported-tcb`, `hwid-matches-chip-id`.
 * Checks that could not be made are `ok: null`. Throws only `EvidenceError`
 * (`BadCertificate` for unreadable `vcek`/`chain`).
 */
export async function verifySnpEvidence(evidence: SnpEvidence, options: SnpVerifyOptions = {}): Promise<SnpVerifyResult> {
  try {
    return await verifyUnchecked(evidence, options);
  } catch (e) {
    const mapped = asEvidenceError(e);
    if (mapped instanceof EvidenceError) throw mapped;
    throw new EvidenceError('BadCertificate', `verification failed unexpectedly: ${errText(e)}`);
  }
}

async function verifyUnchecked(evidence: SnpEvidence, options: SnpVerifyOptions): Promise<SnpVerifyResult> {
  const report = evidence.report;
  const checks: Check[] = [];
  const key = report.signerInfo.signingKey;
  if (key !== 'vcek' && key !== 'vlek') {
    checks.push({
      name: 'report-signature',
      ok: false,
      detail: `SIGNING_KEY is ${report.signerInfo.signingKeyCode} (${key}): the report is not signed by a VCEK or VLEK`,
    });
    return { verified: false, checks };
  }
  const signer = key;
  const mid = signer === 'vcek' ? 'ask' : 'asvk';

  const pool: Pool = {};
  if (options.vcek) addToPool(pool, parseCertificates(options.vcek), 'the given VCEK/VLEK file', signer);
  if (options.chain) addToPool(pool, parseCertificates(options.chain), 'the given chain', undefined);
  addEvidenceCerts(pool, evidence.certificates);

  // A certificate of the other kind (a VCEK given for a VLEK-signed report) is reported, not used.
  const other = signer === 'vcek' ? 'vlek' : 'vcek';
  const signedBy = `the report is signed by its ${signer.toUpperCase()} (SIGNING_KEY ${report.signerInfo.signingKeyCode})`;
  const signingKeyCheck: Check = pool[signer]
    ? { name: 'signing-key', ok: true, detail: `${signedBy} and the certificate is a ${signer.toUpperCase()}` }
    : pool[other]
      ? { name: 'signing-key', ok: false, detail: `${signedBy} but the certificate given is a ${other.toUpperCase()}` }
      : { name: 'signing-key', ok: null, detail: `not checked: ${signedBy}; no certificate given` };

  let { product } = resolveProduct(report, pool, signer);
  // Which products to try when fetching: v2 reports without certificates cannot tell Milan from Genoa.
  const candidates: SnpProduct[] = product ? [product] : ['Milan', 'Genoa'];
  const urlsFor = (p: SnpProduct) => kdsUrls(report, p, AMD_KDS_BASE);

  const missingNotes: Partial<Record<AmdCertRole, string>> = {};
  if (!pool[signer]) {
    if (signer === 'vlek') {
      missingNotes.vlek = 'no VLEK given: AMD issues VLEKs to cloud providers and KDS does not serve them; get it from the provider or from the extended report';
    } else {
      const urls = candidates.map((p) => urlsFor(p).vcek).filter((u): u is string => u !== undefined);
      if (urls.length === 0) {
        missingNotes.vcek = 'no VCEK given, and CHIP_ID is zero (masked), so its KDS URL cannot be formed';
      } else if (!options.fetch) {
        missingNotes.vcek = `no VCEK given; AMD KDS serves it at ${urls.join(' or ')}`;
      } else {
        const reasons: string[] = [];
        for (const url of urls) {
          const got = await fetchCertificates(options.fetch, url);
          if (typeof got === 'string') {
            reasons.push(got);
            continue;
          }
          addToPool(pool, got, `KDS ${url}`, 'vcek');
          if (pool.vcek) break;
          reasons.push(`${url} returned no VCEK`);
        }
        if (!pool.vcek) missingNotes.vcek = `no VCEK given and none fetched: ${reasons.join('; ')}`;
      }
    }
  }
  // The product may be known now, from a fetched VCEK.
  ({ product } = resolveProduct(report, pool, signer));
  if (product && (!pool[mid] || !pool.ark)) {
    // AMD's own certificates, shipped with the package (amd-certs.ts); still pinned and checked.
    const bundled = bundledAmdChain(product, signer);
    const source = `the bundled AMD certificates (${product} ${mid.toUpperCase()}/ARK, as KDS serves at ${signer === 'vcek' ? urlsFor(product).vcekChain : urlsFor(product).vlekChain})`;
    if (!pool[mid]) pool[mid] = { der: bundled.intermediate, source };
    if (!pool.ark) pool.ark = { der: bundled.ark, source };
  }
  if (!pool[mid] || !pool.ark) {
    const chainUrls = (product ? [product] : candidates).map((p) => (signer === 'vcek' ? urlsFor(p).vcekChain : urlsFor(p).vlekChain));
    if (options.fetch) {
      const reasons: string[] = [];
      for (const url of chainUrls) {
        const got = await fetchCertificates(options.fetch, url);
        if (typeof got === 'string') {
          reasons.push(got);
          continue;
        }
        addToPool(pool, got, `KDS ${url}`, undefined);
        if (pool[mid] && pool.ark) break;
      }
      const why = reasons.length ? `: ${reasons.join('; ')}` : '';
      if (!pool[mid]) missingNotes[mid] = `no ${mid.toUpperCase()} given and none fetched${why}`;
      if (!pool.ark) missingNotes.ark = `no ARK given and none fetched${why}`;
    } else {
      const where = `AMD KDS serves it (with the ${mid === 'ask' ? 'ASK' : 'ASVK'}/ARK pair) at ${chainUrls.join(' or ')}`;
      if (!pool[mid]) missingNotes[mid] = `no ${mid.toUpperCase()} given (chain option, a PEM after the ${signer.toUpperCase()}, or the evidence); ${where}`;
      if (!pool.ark) missingNotes.ark = `no ARK given (chain option, a PEM after the ${signer.toUpperCase()}, or the evidence); ${where}`;
    }
  }

  for (const role of [signer, mid, 'ark'] as const) {
    const c = pool[role];
    checks.push(
      c
        ? { name: `${role}-available`, ok: true, detail: `${role.toUpperCase()} from ${c.source}` }
        : { name: `${role}-available`, ok: false, detail: missingNotes[role] ?? `no ${role.toUpperCase()}` },
    );
  }

  const leaf = pool[signer]?.der;
  checks.push(
    pool[signer] && !signingKeyCheck.ok ? { name: 'signing-key', ok: true, detail: `${signedBy} and the fetched certificate is a ${signer.toUpperCase()}` } : signingKeyCheck,
  );
  checks.push(leaf ? await checkReportSignature(report, leaf, signer) : { name: 'report-signature', ok: null, detail: `not checked: no ${signer.toUpperCase()}` });

  const resolved = resolveProduct(report, pool, signer);
  product = resolved.product;
  checks.push(resolved.check);

  const at = options.now ?? new Date();
  checks.push(...(await verifyAmdChain({ signer, leaf, intermediate: pool[mid]?.der, ark: pool.ark?.der, product, at })));
  checks.push(await crlCheck(options, signer, product, { leaf, intermediate: pool[mid]?.der, ark: pool.ark?.der }, at));

  if (leaf) {
    const ext = decodeAmdExtensions(leaf);
    checks.push(checkTcb(report, ext, product));
    checks.push(checkHwId(report, signer, ext, product));
  } else {
    checks.push({ name: 'tcb-matches-reported-tcb', ok: null, detail: `not checked: no ${signer.toUpperCase()}` });
    checks.push({ name: 'hwid-matches-chip-id', ok: null, detail: `not checked: no ${signer.toUpperCase()}` });
  }

  // Azure HCL reports: REPORT_DATA binds the runtime data (hcl-binding.ts, `hcl-report-data`).
  checks.push(...snpHclChecks(evidence));

  const result: SnpVerifyResult = { verified: allPassed(checks), checks, signer };
  return product ? { ...result, product } : result;
}
