/**
 * Intel's chain rules for SGX/TDX: the PCK chain in a quote (PCK leaf ← PCK Platform or
 * Processor CA ← Intel SGX Root CA) and the issuer chains of the collateral (Intel SGX TCB
 * Signing ← root), anchored by pinning the root's SHA-256 fingerprint (spec/tdx.md §4.4, §4.5
 * step 3, §6 item 9): every certificate ECDSA P-256 with SHA-256, valid at the verification
 * time, the ones above the leaf CAs. The PCK certificate's SGX extension (OID
 * 1.2.840.113741.1.13.1) that TCB-level matching needs (tdx.md §4.5, "Needs Intel collateral")
 * is decoded by src/pki/sgx-extensions.ts.
 *
 * The pin is by fingerprint and never by name: Intel's pre-production root has exactly the
 * production root's subject (tdx.md §5.3, §6 item 9).
 *
 * Certificates, fingerprints and the chain walk are the certificate layer's (src/pki/); its
 * errors leave here as `EvidenceError('BadCertificate')`.
 */
import type { Check } from '../pki/check.js';
import type { x509 } from '../pki/x509.js';
import { loadCertificate } from '../pki/certificate.js';
import { certificateFingerprint, matchPin } from '../pki/fingerprint.js';
import { publicKeyAlgorithmOf, signatureAlgorithmOf } from '../pki/signature.js';
import { validityPeriod } from '../pki/validity.js';
import { walkChain } from '../pki/chain.js';
import { commonName } from '../pki/certificate.js';
import { readPckExtensions as readSgxExtension, type PckExtensions } from '../pki/sgx-extensions.js';
import { EvidenceError } from './errors.js';
import { withEvidenceErrors } from './pki-errors.js';
import { decodePemCertificates, latin1 } from './encoding.js';

export { certificateFingerprint, commonName, type PckExtensions };
export { SGX_EXTENSION_OID } from '../pki/sgx-extensions.js';
export { errorMessage as errorText } from '../pki/errors.js';

/** SHA-256 fingerprint of Intel's production "Intel SGX Root CA" (tdx.md §4.5 "Trust anchor"). */
export const INTEL_SGX_ROOT_CA_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

/**
 * SHA-256 fingerprint of Intel's *pre-production* root, which carries the same subject
 * "Intel SGX Root CA" (tdx.md §5.3). Known only so that a rejection can name it.
 */
export const INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256 =
  '56b1732d595908e540ad6ecc845e29438dff560c63b83ea90d3b57154858fef3';

/** Which Intel root a certificate is, by fingerprint. */
export type IntelRootKind = 'production' | 'pre-production' | 'other';

const INTEL_ROOTS: Readonly<Record<Exclude<IntelRootKind, 'other'>, string>> = {
  production: INTEL_SGX_ROOT_CA_SHA256,
  'pre-production': INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256,
};

/** Classifies a root certificate by its fingerprint (tdx.md §4.5, §5.3). */
export function classifyIntelRoot(der: Uint8Array): IntelRootKind {
  return matchPin(der, INTEL_ROOTS).pin ?? 'other';
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

/**
 * Parses one DER certificate and decodes the fields the chain checks read (src/pki/certificate.ts),
 * so an unreadable one is an error here; `what` names it in the error.
 */
export function parseCertificate(der: Uint8Array, what: string): x509.X509Certificate {
  return withEvidenceErrors(() => loadCertificate(der, { what, eager: true }));
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
  const sig = signatureAlgorithmOf(c);
  if (sig.name !== 'ECDSA' || sig.hash !== 'SHA-256') {
    return `is signed with ${sig.name ?? '?'}/${sig.hash ?? '?'}, not ECDSA with SHA-256`;
  }
  const key = publicKeyAlgorithmOf(c);
  if (key.name !== 'ECDSA' || key.namedCurve !== 'P-256') {
    return `has a ${key.name ?? '?'} ${key.namedCurve ?? ''} key, not ECDSA P-256`;
  }
  return null;
}

/** Describes a root that is not the pinned production root. */
function pinFailure(fp: string, kind: IntelRootKind): string {
  if (kind === 'pre-production') {
    return (
      `the root is Intel's PRE-PRODUCTION SGX root (SHA-256 ${fp}), which has the same subject ` +
      `"Intel SGX Root CA" as the production root; only the production root ${INTEL_SGX_ROOT_CA_SHA256} ` +
      `is trusted (pinned by key: Intel's sample root has the same subject)`
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
    const { fingerprint: fp, pin } = matchPin(rootDer, INTEL_ROOTS);
    const kind = pin ?? 'other';
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
  // Leaf first, the anchor last (checked against itself); without an anchor the top of the path has no issuer.
  const walk = await walkChain([...path, root], { at: now });
  const all = root ? [...path, root] : path;
  const names = all.map((c) => commonName(c.subject));
  for (let i = 0; i < all.length; i++) {
    const link = walk.links[i];
    const c = all[i] as x509.X509Certificate;
    const what = `"${names[i]}"`;
    const alg = algorithmProblem(c);
    if (alg) problems.push(`${what} ${alg}`);
    if (link?.validAt === false) problems.push(`${what} is not valid at ${now.toISOString()} (${validityPeriod(c)})`);
    if (i > 0 && !link?.isCa) problems.push(`${what} is not a CA certificate`);
    if (!link?.issuer) {
      problems.push(`${what} has no issuer certificate (no root)`);
      continue;
    }
    if (!link.issuerNameMatches) {
      problems.push(`${what} is issued by "${commonName(c.issuer)}", not by "${commonName(link.issuer.subject)}"`);
    } else if (!link.signatureVerifies) {
      problems.push(
        root !== undefined && i === path.length
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

// ---- the PCK certificate's SGX extension ----------------------------------------------------------

/** Reads the SGX extension of a PCK certificate (src/pki/sgx-extensions.ts). Throws `EvidenceError('BadCertificate')`. */
export function readPckExtensions(pck: Uint8Array | x509.X509Certificate): PckExtensions {
  const cert = pck instanceof Uint8Array ? parseCertificate(pck, 'PCK certificate') : pck;
  return withEvidenceErrors(() => readSgxExtension(cert));
}
