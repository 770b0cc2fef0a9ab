/**
 * COSE_Sign1 (RFC 9052 §4.2) for CoRIMs: the detached form the IGVM CORIM_SIGNATURE header
 * holds (spec/vbs-cca-corim.md §3.4): `#6.18([protected bstr, unprotected map, nil, signature])`,
 * and the attached form, the CoRIM draft's signed-corim (`#6.18` with the CoRIM as payload),
 * both over `Sig_structure = ["Signature1", protected, h'', payload]` (RFC 9052 §4.4). Signed
 * with PS384 (COSE alg -38, RFC 8230), the only algorithm openvmm's verifier accepts (§3.4
 * "openvmm verification policy"), or ES384 (COSE alg -35, RFC 9053 §2.1) for P-384 keys; the
 * algorithm follows the key (src/sign/cose-algorithms.ts). The signer's certificate travels in
 * the protected header as an x5chain (label 33, RFC 9360). The Sig_structure can be written out
 * to be signed elsewhere and the envelope completed with the signature that comes back.
 *
 * CBOR through cbor2 (deterministic encoding), keys and signatures through WebCrypto, PEM,
 * certificates and the signer's chain through the certificate layer (src/pki/), whose errors
 * leave here as `CorimError`. No `node:` import.
 */
import { Tag } from 'cbor2';
import { CorimError } from './corim-errors.js';
import { CorimCborTag, decodeCbor, encodeDeterministic } from './corim.js';
import type { x509 } from '../pki/x509.js';
import { PkiError, errorMessage } from '../pki/errors.js';
import { decodePem, latin1, type PemBlock } from '../pki/pem.js';
import { loadCertificate as loadPkiCertificate, readCertificates as readPkiCertificates } from '../pki/certificate.js';
import { importCertificateKey } from '../pki/signature.js';
import { certificateFingerprint } from '../pki/fingerprint.js';
import { checkLink, walkChain, type ChainLink } from '../pki/chain.js';
import { isCaCertificate } from '../pki/extensions.js';
import {
  COSE_ALG_PS384_ID,
  algorithmOfCryptoKey,
  certificateAlgorithm,
  certificateKeyFor,
  coseAlgorithmId,
  coseAlgorithmOf,
  coseSign,
  coseVerify,
  externalSignatureCandidates,
  type CoseAlgorithmName,
} from './cose-algorithms.js';

export { COSE_ALG_ES384, type CoseAlgorithmName } from './cose-algorithms.js';

/** COSE algorithm PS384 (RFC 8230): RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt. */
export const COSE_ALG_PS384 = COSE_ALG_PS384_ID;

/** COSE header labels used here (RFC 9052 §3.1, RFC 9360, draft-ietf-rats-corim, RFC 9597). */
export const CoseHeader = {
  ALG: 1,
  CONTENT_TYPE: 3,
  KID: 4,
  /** corim-meta (draft-ietf-rats-corim §4.2.1). */
  CORIM_META: 8,
  /** CWT claims (RFC 9597). */
  CWT_CLAIMS: 15,
  X5BAG: 32,
  X5CHAIN: 33,
  X5T: 34,
  X5U: 35,
} as const;

/** The content type of a CoRIM payload (§3.4). */
export const CORIM_CONTENT_TYPE = 'application/rim+cbor';

/** A WebCrypto key (the DOM `CryptoKey`; this project compiles without the DOM lib). */
export type RsaCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const PS384_IMPORT = { name: 'RSA-PSS', hash: 'SHA-384' } as const;

/** A decoded COSE_Sign1. */
export interface CoseSign1 {
  /** The protected header exactly as serialized (the bytes the signature covers). */
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: ReadonlyMap<unknown, unknown>;
  readonly unprotectedHeader: ReadonlyMap<unknown, unknown>;
  /** `null` for a detached payload. */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

function bad(message: string): never {
  throw new CorimError('BadCoseSign1', message);
}

/**
 * Decodes a COSE_Sign1: `#6.18([bstr, map, bstr / nil, bstr])` (the tag is optional, as in
 * RFC 9052 §2), with the protected header a bstr holding a map (or empty). Throws
 * `CorimError('BadCbor' | 'BadCoseSign1')`.
 */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  const top = decodeCbor(bytes, 'the COSE_Sign1');
  let body: unknown = top;
  if (top instanceof Tag) {
    if (Number(top.tag) !== CorimCborTag.COSE_SIGN1) bad(`tag ${String(top.tag)} is not COSE_Sign1 (18)`);
    body = top.contents;
  }
  if (!Array.isArray(body) || body.length !== 4) bad('a COSE_Sign1 is an array of 4 items');
  const [prot, unprot, payload, signature] = body as unknown[];
  if (!(prot instanceof Uint8Array)) bad('the protected header is not a byte string');
  if (!(unprot instanceof Map)) bad('the unprotected header is not a map');
  if (payload !== null && !(payload instanceof Uint8Array)) bad('the payload is neither a byte string nor nil');
  if (!(signature instanceof Uint8Array)) bad('the signature is not a byte string');
  // RFC 9052 §3: an empty protected header may be a zero-length bstr.
  let protectedHeader: Map<unknown, unknown> = new Map();
  if (prot.length > 0) {
    const decoded = decodeCbor(prot, 'the protected header');
    if (!(decoded instanceof Map)) bad('the protected header does not hold a map');
    protectedHeader = decoded;
  }
  return {
    protectedBytes: new Uint8Array(prot),
    protectedHeader,
    unprotectedHeader: unprot,
    payload: payload === null ? null : new Uint8Array(payload),
    signature: new Uint8Array(signature),
  };
}

/** Encodes a COSE_Sign1 as `#6.18([...])`, the protected bytes kept verbatim. */
export function encodeCoseSign1(parts: CoseSign1): Uint8Array {
  return encodeDeterministic(
    new Tag(CorimCborTag.COSE_SIGN1, [
      new Uint8Array(parts.protectedBytes),
      new Map(parts.unprotectedHeader),
      parts.payload === null ? null : new Uint8Array(parts.payload),
      new Uint8Array(parts.signature),
    ]),
  );
}

/** The bytes a COSE_Sign1 signs: `["Signature1", protected, external_aad, payload]` (RFC 9052 §4.4). */
export function sigStructure1(protectedBytes: Uint8Array, payload: Uint8Array, externalAad: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeDeterministic(['Signature1', new Uint8Array(protectedBytes), new Uint8Array(externalAad), new Uint8Array(payload)]);
}

// ---- Keys and certificates -----------------------------------------------------------------

function pemText(input: Uint8Array | string): string | undefined {
  const text = typeof input === 'string' ? input : latin1(input.subarray(0, Math.min(input.length, 1 << 20)));
  return text.includes('-----BEGIN') ? text : undefined;
}

/**
 * Imports an RSA private key for PS384 signing: PKCS#8 PEM (`PRIVATE KEY`) or PKCS#8 DER.
 * `RSA PRIVATE KEY` (PKCS#1), encrypted and non-RSA keys are refused with
 * `CorimError('BadKey')` saying how to convert.
 */
export async function importRsaPrivateKey(pemOrDer: Uint8Array | string): Promise<RsaCryptoKey> {
  let der: Uint8Array;
  const text = pemText(pemOrDer);
  if (text !== undefined) {
    let blocks: PemBlock[];
    try {
      blocks = decodePem(text);
    } catch (e) {
      throw new CorimError('BadKey', `the key PEM cannot be read: ${errorMessage(e)}`);
    }
    const block = blocks.find((b) => b.label === 'PRIVATE KEY');
    if (block === undefined) {
      const types = blocks.map((b) => b.label);
      if (types.includes('RSA PRIVATE KEY')) {
        throw new CorimError('BadKey', "the key is PKCS#1 ('RSA PRIVATE KEY'); convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.p8.pem");
      }
      if (types.includes('ENCRYPTED PRIVATE KEY')) throw new CorimError('BadKey', 'the key is encrypted; decrypt it to an unencrypted PKCS#8 PEM first');
      if (types.includes('EC PRIVATE KEY')) throw new CorimError('BadKey', 'the key is an EC key; importRsaPrivateKey reads RSA keys for PS384 (importCoseSigningKey reads P-384 keys for ES384 too)');
      throw new CorimError('BadKey', `no 'PRIVATE KEY' PEM block in the key (found: ${types.join(', ') || 'none'})`);
    }
    der = block.der;
  } else {
    der = typeof pemOrDer === 'string' ? new TextEncoder().encode(pemOrDer) : new Uint8Array(pemOrDer);
  }
  try {
    return await crypto.subtle.importKey('pkcs8', der, PS384_IMPORT, false, ['sign']);
  } catch (e) {
    throw new CorimError('BadKey', `the key is not an RSA PKCS#8 private key: ${errorMessage(e)}`);
  }
}

/** Runs a certificate-layer read, rethrowing its `PkiError` as `CorimError('BadCertificate')`. */
function withCorimErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof PkiError) throw new CorimError('BadCertificate', e.message, e.offset);
    throw e;
  }
}

/**
 * Reads certificates (leaf first): PEM `CERTIFICATE` blocks or concatenated DER
 * (src/pki/certificate.ts). Each is parsed once. Throws `CorimError('BadCertificate')`.
 */
export function readCertificates(pemOrDer: Uint8Array | string): Uint8Array[] {
  const bytes = typeof pemOrDer === 'string' ? new TextEncoder().encode(pemOrDer) : pemOrDer;
  return withCorimErrors(() => readPkiCertificates(bytes));
}

function loadCertificate(der: Uint8Array): x509.X509Certificate {
  return withCorimErrors(() => loadPkiCertificate(der));
}

/** The PS384 verification key of a DER certificate; `CorimError('BadCertificate')` when it is not RSA. */
export async function certificateVerifyKey(der: Uint8Array): Promise<RsaCryptoKey> {
  const cert = loadCertificate(der);
  try {
    return await importCertificateKey(cert, PS384_IMPORT);
  } catch (e) {
    throw new CorimError('BadCertificate', `the certificate ${cert.subject} has no RSA public key usable for PS384: ${errorMessage(e)}`);
  }
}

/** The subject of a DER certificate, as text (`CN=...`). */
export function certificateSubject(der: Uint8Array): string {
  return loadCertificate(der).subject;
}

// ---- Signing -------------------------------------------------------------------------------

/** How `signCoseSign1` and `prepareCoseSign1` build the envelope. */
export interface CoseEnvelopeOptions {
  /** The signer's certificate chain, DER, leaf first; goes into x5chain (33). */
  readonly certificates: readonly Uint8Array[];
  /** CWT `iss` claim (label 15 → 1). Default: the leaf certificate's subject. */
  readonly issuer?: string;
  /** Content type (label 3). Default `application/rim+cbor`. */
  readonly contentType?: string;
}

/** How `signDetachedCoseSign1` signs. */
export interface CoseSignOptions extends CoseEnvelopeOptions {
  /**
   * The private key: RSA imported for RSA-PSS / SHA-384 (`importRsaPrivateKey`) signs PS384,
   * ECDSA P-384 signs ES384 (`importCoseSigningKey` reads either).
   */
  readonly privateKey: RsaCryptoKey;
}

/** A COSE_Sign1 ready to be signed: its protected header and the bytes to sign. */
export interface PreparedCoseSign1 {
  readonly algorithm: CoseAlgorithmName;
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: ReadonlyMap<unknown, unknown>;
  readonly payload: Uint8Array;
  /** The Sig_structure (RFC 9052 §4.4): what the signer signs (SHA-384 is taken over it). */
  readonly toBeSigned: Uint8Array;
  /** The signer's chain, DER, leaf first. */
  readonly certificates: readonly Uint8Array[];
}

/**
 * The protected header and Sig_structure of a COSE_Sign1 over `payload` (§3.4). Protected
 * header (in deterministic key order): alg (-38 PS384 for an RSA leaf certificate, -35 ES384
 * for a P-384 one), content-type, CWT claims `{1: iss}` (the CoRIM draft wants corim-meta or CWT
 * claims; openvmm's helper uses CWT claims), x5chain (a bstr for one certificate, an array for
 * several, RFC 9360 §2). The same inputs always give the same bytes, so the Sig_structure can
 * be signed elsewhere and the envelope completed later (`completeCoseSign1`).
 */
export function prepareCoseSign1(payload: Uint8Array, options: CoseEnvelopeOptions): PreparedCoseSign1 {
  if (options.certificates.length === 0) throw new CorimError('BadCertificate', 'no signer certificate');
  const chain = options.certificates.map((c) => new Uint8Array(c));
  const leaf = chain[0]!;
  const algorithm = certificateAlgorithm(leaf);
  const protectedHeader = new Map<number, unknown>([
    [CoseHeader.ALG, coseAlgorithmId(algorithm)],
    [CoseHeader.CONTENT_TYPE, options.contentType ?? CORIM_CONTENT_TYPE],
    [CoseHeader.CWT_CLAIMS, new Map<number, unknown>([[1, options.issuer ?? certificateSubject(leaf)]])],
    [CoseHeader.X5CHAIN, chain.length === 1 ? leaf : chain],
  ]);
  const protectedBytes = encodeDeterministic(protectedHeader);
  const body = new Uint8Array(payload);
  return { algorithm, protectedBytes, protectedHeader, payload: body, toBeSigned: sigStructure1(protectedBytes, body), certificates: chain };
}

/**
 * The COSE_Sign1 of `prepared` with `signature`, attached (the CoRIM draft's signed-corim:
 * the payload inside) or detached (payload nil, as CORIM_SIGNATURE holds it). The signature is
 * checked against the leaf certificate first. `external` marks a signature made elsewhere: it
 * may be DER or raw r‖s for ES384 (the form that verifies is kept) and one that does not verify
 * is `CorimError('SignatureDoesNotVerify')`; our own signature that does not verify means the
 * key is not the certificate's, `CorimError('KeyCertificateMismatch')`. `BadSignature` for
 * bytes that are no signature of the algorithm at all.
 */
export async function completeCoseSign1(prepared: PreparedCoseSign1, signature: Uint8Array, options: { readonly attached: boolean; readonly external?: boolean }): Promise<Uint8Array> {
  const leaf = prepared.certificates[0]!;
  const key = await certificateKeyFor(leaf, prepared.algorithm);
  const candidates = options.external === true ? externalSignatureCandidates(prepared.algorithm, signature) : [signature];
  let good: Uint8Array | undefined;
  for (const c of candidates) {
    if (await coseVerify(prepared.algorithm, key, c, prepared.toBeSigned)) {
      good = c;
      break;
    }
  }
  if (good === undefined) {
    throw options.external === true
      ? new CorimError('SignatureDoesNotVerify', `the ${prepared.algorithm} signature does not verify over the ${prepared.toBeSigned.length}-byte Sig_structure with the key of ${certificateSubject(leaf)}`)
      : new CorimError('KeyCertificateMismatch', `the private key does not belong to the certificate ${certificateSubject(leaf)}`);
  }
  return encodeCoseSign1({
    protectedBytes: prepared.protectedBytes,
    protectedHeader: prepared.protectedHeader,
    unprotectedHeader: new Map(),
    payload: options.attached ? prepared.payload : null,
    signature: good,
  });
}

/**
 * Signs `payload` into a COSE_Sign1 (`prepareCoseSign1` for the header), attached or detached.
 * The key's algorithm must be the certificate's (an RSA key with an RSA certificate, a P-384
 * key with a P-384 one) and the key must belong to the leaf certificate (checked by verifying
 * the result); `CorimError('KeyCertificateMismatch')` otherwise.
 */
export async function signCoseSign1(payload: Uint8Array, options: CoseSignOptions & { readonly attached: boolean }): Promise<Uint8Array> {
  const prepared = prepareCoseSign1(payload, options);
  const keyAlg = algorithmOfCryptoKey(options.privateKey);
  if (keyAlg !== prepared.algorithm) {
    throw new CorimError(
      'KeyCertificateMismatch',
      `the private key signs ${keyAlg} but the certificate ${certificateSubject(prepared.certificates[0]!)} has a key for ${prepared.algorithm}: they are not a pair`,
    );
  }
  const signature = await coseSign({ algorithm: keyAlg, privateKey: options.privateKey }, prepared.toBeSigned);
  return completeCoseSign1(prepared, signature, { attached: options.attached });
}

/**
 * Signs `payload` into a COSE_Sign1 with a detached payload (§3.4), PS384 with an RSA key or
 * ES384 with a P-384 key; see `signCoseSign1`.
 */
export async function signDetachedCoseSign1(payload: Uint8Array, options: CoseSignOptions): Promise<Uint8Array> {
  return signCoseSign1(payload, { ...options, attached: false });
}

/**
 * Splits a COSE_Sign1 with an attached payload (a signed CoRIM) into the document and the
 * equivalent detached COSE_Sign1, keeping the protected bytes verbatim (§3.4: "A bundled
 * envelope can be split into document + detached signature"). Returns `undefined` when the
 * payload is already detached.
 */
export function splitAttachedCoseSign1(bytes: Uint8Array): { document: Uint8Array; signature: Uint8Array } | undefined {
  const cose = decodeCoseSign1(bytes);
  if (cose.payload === null) return undefined;
  return { document: cose.payload, signature: encodeCoseSign1({ ...cose, payload: null }) };
}

// ---- Verification --------------------------------------------------------------------------

/** The outcome of `verifyDetachedCoseSign1` / `verifyCoseSign1`. */
export interface CoseVerification {
  /** True when every rule of the policy holds and the signature verifies. */
  readonly valid: boolean;
  /** Why not, when `valid` is false. */
  readonly reason?: string;
  /** The certificates of x5chain (else x5bag), DER, leaf first; empty when there are none. */
  readonly certificates: readonly Uint8Array[];
  /** The leaf certificate's subject, when there is one. */
  readonly signer?: string;
  /** The algorithm of the protected header, when it is one of PS384 and ES384. */
  readonly algorithm?: CoseAlgorithmName;
}

function certificatesOf(header: ReadonlyMap<unknown, unknown>, label: number): Uint8Array[] | undefined {
  const v = header.get(label);
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) return [new Uint8Array(v)];
  if (Array.isArray(v) && v.length > 0 && v.every((c) => c instanceof Uint8Array)) return v.map((c: Uint8Array) => new Uint8Array(c));
  bad(`header ${label} is neither a certificate nor a non-empty array of certificates`);
}

/**
 * Verifies a COSE_Sign1 over its attached payload, or over `detachedPayload` when its payload
 * is nil (one of the two must be there). The rules are openvmm's (§3.4) with ES384 allowed
 * besides PS384: alg PS384 (-38) or ES384 (-35) in the protected header, content type (if any)
 * `application/rim+cbor`, a non-empty signature, the signer's certificate the first of x5chain
 * (33) else x5bag (32) — protected header first, then unprotected — with a key of the kind the
 * algorithm needs (RSA for PS384, P-384 for ES384). Policy failures and a bad signature give
 * `valid: false` with a reason; an envelope that cannot be decoded throws `CorimError`. Says
 * nothing about whether the certificate is trusted (see `certificateChainTrusted`).
 */
export async function verifyCoseSign1(envelope: Uint8Array, detachedPayload?: Uint8Array): Promise<CoseVerification & { readonly payload?: Uint8Array }> {
  return verifyDecoded(decodeCoseSign1(envelope), detachedPayload);
}

async function verifyDecoded(cose: CoseSign1, detachedPayload: Uint8Array | undefined): Promise<CoseVerification & { readonly payload?: Uint8Array }> {
  const p = cose.protectedHeader;
  const u = cose.unprotectedHeader;
  const certificates = certificatesOf(p, CoseHeader.X5CHAIN) ?? certificatesOf(u, CoseHeader.X5CHAIN) ?? certificatesOf(p, CoseHeader.X5BAG) ?? certificatesOf(u, CoseHeader.X5BAG) ?? [];
  const algorithm = coseAlgorithmOf(p.get(CoseHeader.ALG));
  const base = { certificates, ...(algorithm === undefined ? {} : { algorithm }) };
  const fail = (reason: string, signer?: string): CoseVerification => ({ valid: false, reason, ...base, ...(signer === undefined ? {} : { signer }) });
  const payload = cose.payload ?? detachedPayload;
  if (payload === undefined) return fail('the payload is detached (nil) and no document was given to verify it over');
  const alg = p.get(CoseHeader.ALG);
  if (algorithm === undefined) {
    return fail(alg === undefined ? 'the protected header names no algorithm' : `algorithm ${String(alg)} is neither PS384 (-38) nor ES384 (-35), the ones accepted`);
  }
  const ct = p.get(CoseHeader.CONTENT_TYPE);
  if (ct !== undefined && ct !== CORIM_CONTENT_TYPE) return fail(`content type ${JSON.stringify(ct)} is not '${CORIM_CONTENT_TYPE}'`);
  if (cose.signature.length === 0) return fail('the signature is empty');
  if (certificates.length === 0) return fail('no signer certificate (x5chain or x5bag)');
  const leaf = certificates[0]!;
  let signer: string;
  let key: RsaCryptoKey;
  try {
    signer = certificateSubject(leaf);
    key = await certificateKeyFor(leaf, algorithm);
  } catch (e) {
    if (e instanceof CorimError) return fail(e.message);
    throw e;
  }
  const ok = await coseVerify(algorithm, key, cose.signature, sigStructure1(cose.protectedBytes, payload));
  return ok ? { valid: true, ...base, signer, payload } : fail(`the ${algorithm} signature does not verify with the key of ${signer}`, signer);
}

/**
 * Verifies a detached COSE_Sign1 over `payload` under openvmm's policy (§3.4), with ES384
 * accepted besides PS384: the payload must be nil; the other rules are `verifyCoseSign1`'s.
 */
export async function verifyDetachedCoseSign1(envelope: Uint8Array, payload: Uint8Array): Promise<CoseVerification> {
  const cose = decodeCoseSign1(envelope);
  if (cose.payload !== null) {
    const certificates = certificatesOf(cose.protectedHeader, CoseHeader.X5CHAIN) ?? [];
    return { valid: false, reason: 'the payload is attached; an IGVM CoRIM signature has a detached (nil) payload', certificates };
  }
  const { payload: _, ...result } = await verifyDecoded(cose, payload);
  return result;
}

/** A link of x5chain holds when the next certificate issued it: its name and its signature. */
const holds = (link: ChainLink | undefined): boolean => link === undefined || (link.issuerNameMatches && link.signatureVerifies);

/**
 * Only a CA may issue (RFC 5280 §4.2.1.9, §6.1.4 (k)): without this, any end-entity certificate
 * under a trusted one could sign a signer certificate of its own making and be trusted.
 */
const issuerNotCa = (issuers: readonly x509.X509Certificate[]): x509.X509Certificate | undefined => issuers.find((c) => !isCaCertificate(c));

/**
 * Whether a signer's chain (DER, leaf first) ends in a trusted certificate: some certificate
 * of the chain is one of `trusted` (by SHA-256 fingerprint, i.e. byte for byte) and every link
 * before it is signed by the next, or the last certificate is signed by a trusted one. Validity
 * periods are not checked (a release signature stays meaningful after its certificate expires).
 * Throws `CorimError('BadCertificate')` for a certificate that cannot be parsed.
 */
export async function certificateChainTrusted(chain: readonly Uint8Array[], trusted: readonly Uint8Array[]): Promise<{ trusted: boolean; detail: string }> {
  if (chain.length === 0) return { trusted: false, detail: 'no signer certificate' };
  const certs = chain.map(loadCertificate);
  const anchors = trusted.map(loadCertificate);
  const pins = new Set(trusted.map((t) => certificateFingerprint(t)));
  const match = chain.findIndex((c) => pins.has(certificateFingerprint(c)));
  // Walk x5chain up to the trusted certificate (taken as it is), or to its end.
  const walked = match >= 0 ? certs.slice(0, match + 1) : certs;
  const walk = await walkChain(walked, { checkRootSignature: false });
  const broken = walk.links.findIndex((l) => !holds(l));
  if (broken >= 0) return { trusted: false, detail: `${certs[broken]!.subject} is not signed by ${certs[broken + 1]!.subject} in x5chain` };
  const notCa = issuerNotCa(walked.slice(1));
  if (notCa !== undefined) return { trusted: false, detail: `${notCa.subject} issues a certificate in x5chain but is not a CA (basicConstraints)` };
  if (match >= 0) {
    return { trusted: true, detail: match === 0 ? `the signer certificate ${certs[0]!.subject} is a trusted certificate` : `the signer ${certs[0]!.subject} chains to the trusted ${certs[match]!.subject}` };
  }
  const last = certs[certs.length - 1]!;
  for (const a of anchors) {
    if (issuerNotCa([a]) === undefined && holds(await checkLink(last, a))) return { trusted: true, detail: `the signer ${certs[0]!.subject} chains to the trusted ${a.subject}` };
  }
  return { trusted: false, detail: `the signer ${certs[0]!.subject} does not chain to any of the ${trusted.length} trusted certificate(s)` };
}
