/**
 * Reading a certificate's extensions (RFC 5280 §4.2) by OID: the raw `extnValue` of one
 * extension or of every extension under an OID arc (the vendor extensions of AMD's VCEK/VLEK
 * and Intel's PCK certificates are decoded from these in amd-extensions.ts and
 * sgx-extensions.ts), and the basicConstraints cA flag (RFC 5280 §4.2.1.9).
 */
import { x509 } from './x509.js';

/** The extensions of `cert`; `[]` when they cannot be decoded. */
function extensionsOf(cert: x509.X509Certificate): readonly x509.Extension[] {
  try {
    return cert.extensions;
  } catch {
    return [];
  }
}

/**
 * The `extnValue` of `cert`'s extension `oid` (the DER inside the OCTET STRING), or
 * `undefined` when it has none. Throws @peculiar/x509's error when the extensions cannot be
 * decoded.
 */
export function extensionValue(cert: x509.X509Certificate, oid: string): Uint8Array | undefined {
  const ext = cert.getExtension(oid);
  return ext ? new Uint8Array(ext.value) : undefined;
}

/**
 * The extensions under `arc` (OIDs `arc.*`), in certificate order, keyed by the OID's suffix
 * after `arc.` (e.g. `3.1` for `arc.3.1`). `[]` when the extensions cannot be decoded.
 */
export function extensionsUnder(cert: x509.X509Certificate, arc: string): Array<{ readonly suffix: string; readonly value: Uint8Array }> {
  const prefix = `${arc}.`;
  return extensionsOf(cert)
    .filter((e) => e.type.startsWith(prefix))
    .map((e) => ({ suffix: e.type.slice(prefix.length), value: new Uint8Array(e.value) }));
}

/** True when `cert` has basicConstraints with cA set (RFC 5280 §4.2.1.9); false when unreadable. */
export function isCaCertificate(cert: x509.X509Certificate): boolean {
  try {
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    return bc !== null && bc.ca;
  } catch {
    return false;
  }
}
