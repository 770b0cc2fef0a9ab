/**
 * The one certificate-chain walker (RFC 5280 §6.1, reduced to what attestation and release
 * signing need): a chain given leaf first, each certificate followed by its issuer, the last
 * one the root. For every certificate it finds whether the next one's subject is its issuer
 * name, whether its signature verifies with the next one's key (the root: with its own), whether
 * it is a CA, and — when a time is given — whether it is valid then; and it looks the root's
 * SHA-256 fingerprint up in the caller's pins.
 *
 * It returns facts, not a verdict: which of them a chain must satisfy, in which order they are
 * reported and in whose words, are the callers' rules (AMD: evidence/amd-chain.ts, spec/snp.md
 * §5; Intel: evidence/intel-chain.ts, spec/tdx.md §4.4–§4.5; CoRIM signers: sign/cose.ts,
 * spec/vbs-cca-corim.md §3.4). It never throws.
 */
import type { x509 } from './x509.js';
import { matchPin, type PinMatch } from './fingerprint.js';
import { checkSignature } from './signature.js';
import { isCaCertificate } from './extensions.js';
import { validAt } from './validity.js';

/** What the walk found about one certificate and the certificate above it. */
export interface ChainLink {
  readonly certificate: x509.X509Certificate;
  /** The certificate that should have issued it: the next one, the root itself; `undefined` when missing. */
  readonly issuer: x509.X509Certificate | undefined;
  /** Its issuer name is `issuer`'s subject name (false without an issuer). */
  readonly issuerNameMatches: boolean;
  /** Its signature verifies with `issuer`'s key (false without an issuer). */
  readonly signatureVerifies: boolean;
  /** Why the signature could not be checked at all, when it could not (e.g. a key of another kind). */
  readonly signatureError: string | undefined;
  /** It has basicConstraints cA. */
  readonly isCa: boolean;
  /** Valid at `ChainWalkOptions.at`; `undefined` when no time was given. */
  readonly validAt: boolean | undefined;
}

/** How `walkChain` walks. */
export interface ChainWalkOptions<K extends string = string> {
  /** Check validity periods at this time; not checked when absent. */
  readonly at?: Date;
  /**
   * Whether the last certificate is checked against itself (a self-signed root, the default),
   * or is trusted as it is (a pinned anchor that need not be self-signed): then it gets no link.
   */
  readonly checkRootSignature?: boolean;
  /** Pinned SHA-256 fingerprints (lowercase hex) by name, to look the root up in. */
  readonly pins?: Readonly<Record<K, string>>;
}

/** The outcome of `walkChain`. */
export interface ChainWalk<K extends string = string> {
  /**
   * One entry per position of the chain given, leaf first; `undefined` where the certificate is
   * missing (and for the root when `checkRootSignature` is false).
   */
  readonly links: ReadonlyArray<ChainLink | undefined>;
  /** The last certificate of the chain, when it is there, and how it matches the pins. */
  readonly root: (PinMatch<K> & { readonly certificate: x509.X509Certificate }) | undefined;
}

/** `fact()`, or `false` when a field it reads cannot be decoded (@peculiar/x509 decodes on first use). */
function safely(fact: () => boolean): boolean {
  try {
    return fact();
  } catch {
    return false;
  }
}

/** Checks one certificate against the certificate that should have issued it. Never throws. */
export async function checkLink(cert: x509.X509Certificate, issuer: x509.X509Certificate | undefined, at?: Date): Promise<ChainLink> {
  const signature = issuer ? await checkSignature(cert, issuer) : { verifies: false, error: undefined };
  return {
    certificate: cert,
    issuer,
    issuerNameMatches: issuer !== undefined && safely(() => cert.issuer === issuer.subject),
    signatureVerifies: signature.verifies,
    signatureError: signature.error,
    isCa: isCaCertificate(cert),
    validAt: at === undefined ? undefined : safely(() => validAt(cert, at)),
  };
}

/**
 * Walks `chain` (leaf first, root last; `undefined` marks a certificate that is missing, and the
 * links across it are then not made). See the file comment for what is checked.
 */
export async function walkChain<K extends string = string>(
  chain: ReadonlyArray<x509.X509Certificate | undefined>,
  options: ChainWalkOptions<K> = {},
): Promise<ChainWalk<K>> {
  const last = chain.length - 1;
  const links: Array<ChainLink | undefined> = [];
  for (let i = 0; i <= last; i++) {
    const cert = chain[i];
    if (!cert || (i === last && options.checkRootSignature === false)) {
      links.push(undefined);
      continue;
    }
    links.push(await checkLink(cert, i === last ? cert : chain[i + 1], options.at));
  }
  const rootCert = chain[last];
  const root = rootCert ? { certificate: rootCert, ...matchPin(rootCert, options.pins ?? ({} as Record<K, string>)) } : undefined;
  return { links, root };
}
