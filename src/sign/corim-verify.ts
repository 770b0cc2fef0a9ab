/**
 * Checks of the CoRIM documents a file carries, for `verify` and `embed`: each
 * CORIM_DOCUMENT's reference values against the computed digests of the platforms its mask
 * names, and each CORIM_SIGNATURE's COSE_Sign1 over the document of its mask bits
 * (spec/igvm-format.md §6.5, spec/vbs-cca-corim.md §3.3–§3.4). A signed CoRIM (COSE_Sign1 with
 * the document attached, the CoRIM draft's signed-corim) is read too, in either header: its
 * payload is the document and its signature is checked over it. This signature is the
 * contract `verify` calls.
 *
 * Check names (stable): `corim-document` (the document decodes as the launch-measurement
 * profile), `corim-reference-value` (one per platform the document's mask names),
 * `corim-signature` (the COSE_Sign1 verifies over the document; `ok: null` when there is none,
 * `false` then when a signature is required), `corim-signer-trusted` (the signer's certificate
 * chains to a trusted certificate; `ok: null` when none was given: never passed without one),
 * `corim-present` (a signed CoRIM was required and the file has no CoRIM document).
 */
import type { Check } from '../pki/check.js';
import type { CorimHeader, IgvmFile } from '../format/index.js';
import type { MeasurementResult, PlatformMeasurement } from '../measure/index.js';
import { CorimError } from './corim-errors.js';
import { LAUNCH_MEASUREMENT_CLASSES, decodeLaunchMeasurementCorim, readUnsignedCorim, type LaunchMeasurementCorim } from './corim.js';
import { certificateChainTrusted, decodeCoseSign1, splitAttachedCoseSign1, verifyCoseSign1, type CoseAlgorithmName } from './cose.js';
import { bytesEqual, bytesToHex, hexNumber } from '../format/bytes.js';

/** How `verifyEmbeddedCorim` judges signatures. */
export interface EmbeddedCorimOptions {
  /**
   * A CoRIM document without a signature fails (`corim-signature` `ok: false` instead of
   * `null`), and so does a file without any CoRIM document (`corim-present`).
   */
  readonly requireSignature?: boolean;
}

/** What one CoRIM document of a file says and how its signatures fared (for structured output). */
export interface EmbeddedCorimSummary {
  readonly compatibilityMask: number;
  /** The platform the document describes; `undefined` when it cannot be decoded. */
  readonly platformType?: string;
  readonly svn?: bigint;
  /** The reference digest the document carries, lowercase hex. */
  readonly referenceDigest?: string;
  /** Whether the document came as a signed CoRIM (attached payload). */
  readonly attached: boolean;
  /** One entry per signature over the document. */
  readonly signatures: readonly {
    readonly valid: boolean;
    readonly algorithm?: CoseAlgorithmName;
    readonly signer?: string;
    /** `null` when no trusted certificate was given (the chain was not checked). */
    readonly signerTrusted: boolean | null;
  }[];
}

function why(e: unknown): string {
  if (e instanceof CorimError) return `${e.code}: ${e.message}`;
  throw e;
}

function referenceChecks(doc: LaunchMeasurementCorim, h: CorimHeader, platforms: readonly PlatformMeasurement[]): Check[] {
  const named = platforms.filter((p) => (p.compatibilityMask & h.compatibilityMask) !== 0);
  const cls = LAUNCH_MEASUREMENT_CLASSES[doc.platformType];
  const what = `CoRIM for mask ${hexNumber(h.compatibilityMask)} (${cls.vendor}/${cls.model})`;
  if (named.length === 0) {
    return [{ name: 'corim-reference-value', ok: null, detail: `not checked: ${what}: no measured platform has a bit of mask ${hexNumber(h.compatibilityMask)}` }];
  }
  return named.map((p): Check => {
    const on = `${what} vs ${p.platformType} mask ${hexNumber(p.compatibilityMask)}`;
    if (p.platformType !== doc.platformType) return { name: 'corim-reference-value', ok: false, detail: `${on}: the document describes ${doc.platformType}, not ${p.platformType}` };
    if ('error' in p) return { name: 'corim-reference-value', ok: false, detail: `${on}: the platform could not be measured (${p.error.code}: ${p.error.message})` };
    if (!('digest' in p)) return { name: 'corim-reference-value', ok: false, detail: `${on}: the platform is not measurable` };
    const reference = bytesToHex(doc.digest);
    const computed = bytesToHex(p.digest);
    // expected: what the file's pages give; actual: what the document claims.
    const values = { expected: computed, actual: reference };
    return reference === computed
      ? { name: 'corim-reference-value', ok: true, detail: `${on}: reference ${doc.algorithm} ${reference} (SVN ${doc.svn}) equals the computed digest`, ...values }
      : { name: 'corim-reference-value', ok: false, detail: `${on}: reference ${doc.algorithm} ${reference} differs from the computed digest ${computed}`, ...values };
  });
}

type Signature = EmbeddedCorimSummary['signatures'][number];

/** The checks of one COSE_Sign1 (`envelope`) over `document`; `where` says where it came from. */
async function signatureChecks(where: string, envelope: Uint8Array, document: Uint8Array, trusted: readonly Uint8Array[] | undefined, out: Signature[]): Promise<Check[]> {
  let result;
  try {
    const cose = decodeCoseSign1(envelope);
    // An attached payload must be this very document (a bundled CORIM_SIGNATURE).
    if (cose.payload !== null && !bytesEqual(cose.payload, document)) {
      out.push({ valid: false, signerTrusted: trusted === undefined || trusted.length === 0 ? null : false });
      return [{ name: 'corim-signature', ok: false, detail: `${where}: its attached payload (${cose.payload.length} bytes) is not the document (${document.length} bytes)` }];
    }
    result = await verifyCoseSign1(envelope, document);
  } catch (e) {
    out.push({ valid: false, signerTrusted: trusted === undefined || trusted.length === 0 ? null : false });
    return [{ name: 'corim-signature', ok: false, detail: `${where}: ${why(e)}` }];
  }
  const info = { ...(result.algorithm === undefined ? {} : { algorithm: result.algorithm }), ...(result.signer === undefined ? {} : { signer: result.signer }) };
  if (!result.valid) {
    out.push({ valid: false, ...info, signerTrusted: trusted === undefined || trusted.length === 0 ? null : false });
    return [{ name: 'corim-signature', ok: false, detail: `${where}: ${result.reason ?? 'does not verify'}` }];
  }
  // openvmm's loader takes PS384 only (§3.4); an ES384 signature is good here but not there.
  const note = result.algorithm === 'ES384' ? " (openvmm's loader accepts only PS384)" : '';
  const checks: Check[] = [{ name: 'corim-signature', ok: true, detail: `${where}: ${result.algorithm ?? '?'} signature by ${result.signer ?? '?'} verifies${note}` }];
  if (trusted === undefined || trusted.length === 0) {
    checks.push({
      name: 'corim-signer-trusted',
      ok: null,
      detail: `not established: ${result.signer ?? 'the signer'} is the certificate the envelope itself carries; give trusted certificates (verify --trusted-cert) to check it`,
    });
    out.push({ valid: true, ...info, signerTrusted: null });
  } else {
    try {
      const t = await certificateChainTrusted(result.certificates, trusted);
      checks.push({ name: 'corim-signer-trusted', ok: t.trusted, detail: `${where}: ${t.detail}` });
      out.push({ valid: true, ...info, signerTrusted: t.trusted });
    } catch (e) {
      checks.push({ name: 'corim-signer-trusted', ok: false, detail: `${where}: ${why(e)}` });
      out.push({ valid: true, ...info, signerTrusted: false });
    }
  }
  return checks;
}

/** The document of a CORIM_DOCUMENT header, and its signature when it holds a signed CoRIM. */
function documentOf(bytes: Uint8Array): { document: Uint8Array; attachedSignature?: Uint8Array } {
  try {
    readUnsignedCorim(bytes);
  } catch (e) {
    if (e instanceof CorimError && e.code === 'SignedCorim') {
      const split = splitAttachedCoseSign1(bytes);
      if (split !== undefined) return { document: split.document, attachedSignature: bytes };
    }
  }
  return { document: bytes };
}

/**
 * The checks for every CORIM_DOCUMENT / CORIM_SIGNATURE in `file`; empty when it has none
 * (unless `options.requireSignature`). See `verifyEmbeddedCorimDetailed`.
 */
export async function verifyEmbeddedCorim(file: IgvmFile, measured: MeasurementResult, trustedCertificates?: readonly Uint8Array[], options: EmbeddedCorimOptions = {}): Promise<Check[]> {
  return (await verifyEmbeddedCorimDetailed(file, measured, trustedCertificates, options)).checks;
}

/**
 * The checks for every CORIM_DOCUMENT / CORIM_SIGNATURE in `file`, and a summary per document.
 *
 * For each document: it must decode as the launch-measurement profile (a document of another
 * profile gets an `ok: null` check: its reference values cannot be interpreted), and its digest
 * must equal the computed digest of every platform in `measured` that has a bit of its mask,
 * which must be of the document's platform type. Each signature is verified over the document
 * of every bit it covers (a signature for mask bit b signs b's document, §6.5); a
 * CORIM_DOCUMENT holding a signed CoRIM carries its own signature. The signer's public key
 * comes from the envelope's x5chain, so that only proves integrity. Trust in the signer is
 * established only against `trustedCertificates` (DER), else reported `ok: null`.
 */
export async function verifyEmbeddedCorimDetailed(
  file: IgvmFile,
  measured: MeasurementResult,
  trustedCertificates?: readonly Uint8Array[],
  options: EmbeddedCorimOptions = {},
): Promise<{ readonly checks: Check[]; readonly documents: EmbeddedCorimSummary[] }> {
  const headers = file.initializations.filter((h): h is CorimHeader => h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE');
  const docs = headers.filter((h) => h.kind === 'CORIM_DOCUMENT');
  const required = options.requireSignature === true;
  if (docs.length === 0) {
    return {
      checks: required ? [{ name: 'corim-present', ok: false, detail: 'the file carries no CoRIM document, but a signed CoRIM is required' }] : [],
      documents: [],
    };
  }
  const checks: Check[] = [];
  const documents: EmbeddedCorimSummary[] = [];
  for (const doc of docs) {
    const { document: bytes, attachedSignature } = documentOf(doc.data.bytes().slice());
    const what = `CoRIM document for mask ${hexNumber(doc.compatibilityMask)} (${bytes.length} bytes${attachedSignature !== undefined ? ', from a signed CoRIM' : ''})`;
    let decoded: LaunchMeasurementCorim | undefined;
    try {
      decoded = decodeLaunchMeasurementCorim(bytes);
      checks.push({
        name: 'corim-document',
        ok: true,
        detail: `${what}: launch-measurement profile, ${decoded.vendor}/${decoded.model}, SVN ${decoded.svn}${decoded.canonical ? '' : ' (not in the canonical encoding)'}`,
      });
      checks.push(...referenceChecks(decoded, doc, measured.platforms));
    } catch (e) {
      let otherProfile: string | undefined;
      if (e instanceof CorimError && e.code === 'UnsupportedProfile') {
        try {
          otherProfile = readUnsignedCorim(bytes).profile ?? '(none)';
        } catch {
          otherProfile = undefined;
        }
      }
      checks.push(
        otherProfile !== undefined
          ? { name: 'corim-document', ok: null, detail: `not checked: ${what}: profile ${otherProfile} is not the launch-measurement profile; its reference values cannot be compared` }
          : { name: 'corim-document', ok: false, detail: `${what}: ${why(e)}` },
      );
    }
    const signatures: Signature[] = [];
    const mask = hexNumber(doc.compatibilityMask);
    if (attachedSignature !== undefined) {
      checks.push(...(await signatureChecks(`signed CoRIM in the CORIM_DOCUMENT for mask ${mask}`, attachedSignature, bytes, trustedCertificates, signatures)));
    }
    const sigs = headers.filter((h) => h.kind === 'CORIM_SIGNATURE' && (h.compatibilityMask & doc.compatibilityMask) !== 0);
    for (const sig of sigs) {
      const where = `CoRIM signature for mask ${hexNumber(sig.compatibilityMask)} over the document for mask ${mask}`;
      checks.push(...(await signatureChecks(where, sig.data.bytes(), bytes, trustedCertificates, signatures)));
    }
    if (signatures.length === 0) {
      checks.push(
        required
          ? { name: 'corim-signature', ok: false, detail: `the CoRIM document for mask ${mask} has no CORIM_SIGNATURE, but a signature is required` }
          : { name: 'corim-signature', ok: null, detail: `not checked: the CoRIM document for mask ${mask} has no CORIM_SIGNATURE` },
      );
    }
    documents.push({
      compatibilityMask: doc.compatibilityMask,
      ...(decoded === undefined ? {} : { platformType: decoded.platformType, svn: decoded.svn, referenceDigest: bytesToHex(decoded.digest) }),
      attached: attachedSignature !== undefined,
      signatures,
    });
  }
  return { checks, documents };
}
