/**
 * Certificate revocation lists (RFC 5280 §5) through @peculiar/x509: reading one, whether its
 * issuer signed it, whether it lists a certificate, and whether it is past its nextUpdate.
 * Which CRLs apply to which certificates is the caller's rule (Intel: the root CA CRL for the
 * PCK CA, the PCK CRL for the PCK certificate, spec/tdx.md §4.5).
 */
import { x509 } from './x509.js';
import { PkiError, errorMessage } from './errors.js';

/**
 * Parses one DER CRL, decoding the fields the checks read (issuer, thisUpdate, nextUpdate) so that a CRL
 * @peculiar/x509 would only fail on later is rejected now. Throws `PkiError('BadCrl')` with the
 * message `not a readable CRL (reason)`.
 */
export function parseCrl(der: Uint8Array): x509.X509Crl {
  try {
    const crl = new x509.X509Crl(der);
    void crl.issuer;
    void crl.thisUpdate;
    void crl.nextUpdate;
    return crl;
  } catch (e) {
    throw new PkiError('BadCrl', `not a readable CRL (${errorMessage(e)})`);
  }
}

/**
 * True when `issuer` issued the CRL: the CRL's issuer name is `issuer`'s subject and its
 * signature verifies with `issuer`'s key. Never throws.
 */
export async function crlSignedBy(crl: x509.X509Crl, issuer: x509.X509Certificate): Promise<boolean> {
  if (crl.issuer !== issuer.subject) return false;
  try {
    return await crl.verify({ publicKey: issuer.publicKey });
  } catch {
    return false;
  }
}

/**
 * True when the CRL lists `cert`'s serial number. A CRL whose entries cannot be read counts as
 * listing it (an unreadable list cannot clear a certificate).
 */
export function isRevoked(crl: x509.X509Crl, cert: x509.X509Certificate): boolean {
  try {
    return crl.findRevoked(cert) !== null;
  } catch {
    return true;
  }
}

/** True when the CRL has a nextUpdate and `at` is after it (RFC 5280 §5.1.2.5). */
export function crlExpiredAt(crl: x509.X509Crl, at: Date): boolean {
  const next = crl.nextUpdate;
  return next !== undefined && at > next;
}
