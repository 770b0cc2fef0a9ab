/**
 * A certificate's validity period (RFC 5280 §4.1.2.5) at a given time. Which checks apply a
 * time is the callers' policy: the Intel chain (spec/tdx.md §4.5 step 3) and AMD's chain
 * (spec/snp.md §5, as go-sev-guest does) check it; CoRIM signer chains do not (a release
 * signature stays meaningful after its certificate expires).
 */
import type { x509 } from './x509.js';

/** True when `at` lies within notBefore..notAfter, both inclusive (RFC 5280 §4.1.2.5). */
export function validAt(cert: x509.X509Certificate, at: Date): boolean {
  // Written as two inclusive comparisons so that an invalid date (NaN) is never "valid".
  return at >= cert.notBefore && at <= cert.notAfter;
}

/** `notBefore to notAfter`, ISO 8601, for details. */
export function validityPeriod(cert: x509.X509Certificate): string {
  return `${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`;
}
