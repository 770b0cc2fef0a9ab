/**
 * Checks of the CoRIM documents a file carries, for `verify` and `embed`: each
 * CORIM_DOCUMENT's reference values against the computed digests of the platforms its mask
 * names, and each CORIM_SIGNATURE's COSE_Sign1 over the document of its mask bits
 * (spec/igvm-format.md §6.5, spec/vbs-cca-corim.md §3.3–§3.4). This signature is the
 * contract `verify` calls.
 *
 * Check names (stable): `corim-document` (the document decodes as the launch-measurement
 * profile), `corim-reference-value` (one per platform the document's mask names),
 * `corim-signature` (the COSE_Sign1 verifies over the document), `corim-signer-trusted` (the
 * signer's certificate chains to a trusted certificate; `ok: null` when none was given).
 */
import type { Check } from '../pki/check.js';
import type { CorimHeader, IgvmFile } from '../format/index.js';
import type { MeasurementResult, PlatformMeasurement } from '../measure/index.js';
import { CorimError } from './corim-errors.js';
import { LAUNCH_MEASUREMENT_CLASSES, decodeLaunchMeasurementCorim, readUnsignedCorim, type LaunchMeasurementCorim } from './corim.js';
import { certificateChainTrusted, verifyDetachedCoseSign1 } from './cose.js';
import { bytesToHex, hexNumber } from '../format/bytes.js';


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
    const expected = bytesToHex(doc.digest);
    const actual = bytesToHex(p.digest);
    return expected === actual
      ? { name: 'corim-reference-value', ok: true, detail: `${on}: reference ${doc.algorithm} ${expected} (SVN ${doc.svn}) equals the computed digest` }
      : { name: 'corim-reference-value', ok: false, detail: `${on}: reference ${doc.algorithm} ${expected} differs from the computed digest ${actual}` };
  });
}

async function signatureChecks(sig: CorimHeader, docHeader: CorimHeader, document: Uint8Array, trusted: readonly Uint8Array[] | undefined): Promise<Check[]> {
  const what = `CoRIM signature for mask ${hexNumber(sig.compatibilityMask)} over the document for mask ${hexNumber(docHeader.compatibilityMask)}`;
  let result;
  try {
    result = await verifyDetachedCoseSign1(sig.data.bytes(), document);
  } catch (e) {
    return [{ name: 'corim-signature', ok: false, detail: `${what}: ${why(e)}` }];
  }
  if (!result.valid) return [{ name: 'corim-signature', ok: false, detail: `${what}: ${result.reason ?? 'does not verify'}` }];
  const checks: Check[] = [{ name: 'corim-signature', ok: true, detail: `${what}: PS384 signature by ${result.signer ?? '?'} verifies` }];
  if (trusted === undefined || trusted.length === 0) {
    checks.push({ name: 'corim-signer-trusted', ok: null, detail: `not established: ${result.signer ?? 'the signer'} is the certificate the envelope itself carries; give trusted certificates to check it` });
  } else {
    try {
      const t = await certificateChainTrusted(result.certificates, trusted);
      checks.push({ name: 'corim-signer-trusted', ok: t.trusted, detail: `${what}: ${t.detail}` });
    } catch (e) {
      checks.push({ name: 'corim-signer-trusted', ok: false, detail: `${what}: ${why(e)}` });
    }
  }
  return checks;
}

/**
 * The checks for every CORIM_DOCUMENT / CORIM_SIGNATURE in `file`; empty when it has none.
 *
 * For each document: it must decode as the launch-measurement profile (a document of another
 * profile gets an `ok: null` check: its reference values cannot be interpreted), and its digest
 * must equal the computed digest of every platform in `measured` that has a bit of its mask,
 * which must be of the document's platform type. Each signature is verified over the document
 * of every bit it covers (a signature for mask bit b signs b's document, §6.5); the signer's
 * public key comes from the envelope's x5chain, so that only proves integrity. Trust in the
 * signer is established only against `trustedCertificates` (DER), else reported `ok: null`.
 */
export async function verifyEmbeddedCorim(file: IgvmFile, measured: MeasurementResult, trustedCertificates?: readonly Uint8Array[]): Promise<Check[]> {
  const headers = file.initializations.filter((h): h is CorimHeader => h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE');
  const docs = headers.filter((h) => h.kind === 'CORIM_DOCUMENT');
  if (docs.length === 0) return [];
  const checks: Check[] = [];
  for (const doc of docs) {
    const bytes = doc.data.bytes().slice();
    const what = `CoRIM document for mask ${hexNumber(doc.compatibilityMask)} (${bytes.length} bytes)`;
    try {
      const decoded = decodeLaunchMeasurementCorim(bytes);
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
    const sigs = headers.filter((h) => h.kind === 'CORIM_SIGNATURE' && (h.compatibilityMask & doc.compatibilityMask) !== 0);
    if (sigs.length === 0) {
      checks.push({ name: 'corim-signature', ok: null, detail: `not checked: the CoRIM document for mask ${hexNumber(doc.compatibilityMask)} has no CORIM_SIGNATURE` });
    }
    for (const sig of sigs) checks.push(...(await signatureChecks(sig, doc, bytes, trustedCertificates)));
  }
  return checks;
}
