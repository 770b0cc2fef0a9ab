/**
 * The Intel CRLs of TDX collateral (spec/tdx.md §4.5 "Check the CRLs"): reading the root CA CRL
 * and the PCK CRL, and the `crl` check — both CRLs are present, each is signed by its issuer, the
 * PCK CA and the collateral's TCB signing certificates are not in the root CA CRL and the PCK
 * leaf is not in the PCK CRL.
 */
import type { Check } from '../pki/check.js';
import { crlSignedBy, isRevoked, parseCrl } from '../pki/crl.js';
import type { x509 } from '../pki/x509.js';
import { certificateFingerprint, classifyIntelRoot, commonName, errorText, parseCertificate } from './intel-chain.js';
import { badCollateral } from './tdx-collateral.js';

/**
 * Reads a DER CRL of the collateral (`what` names its JSON key); `undefined` when absent. An
 * unreadable CRL is unreadable collateral: `EvidenceError('BadCollateral')`.
 */
export function readCollateralCrl(der: Uint8Array | undefined, what: string): x509.X509Crl | undefined {
  if (!der) return undefined;
  try {
    return parseCrl(der);
  } catch (e) {
    // parseCrl's message already reads `not a readable CRL (reason)`.
    throw badCollateral(what, errorText(e));
  }
}

/**
 * The `crl` check over the verified PCK chain (leaf first) and its root, and over the certificates
 * that signed the TCB info and QE identity (`signers`), which the root CA CRL also covers: dcap-qvl
 * checks their chains against the CRLs (src/verify.rs verify_tcb_info_signature /
 * verify_qe_identity_signature → verify_certificate_chain with `crls`), Intel's QVL against the
 * root CA CRL (EnclaveIdentityVerifier / TCBInfoVerifier → TCBSigningChain::verify).
 *
 * Collateral that is given must be complete, so a missing CRL fails the check (it is not "not
 * made"): dcap-qvl's `QuoteCollateralV3` has no optional CRL field, Intel's QVL returns
 * STATUS_UNSUPPORTED_CERT_FORMAT / STATUS_MISSING_PARAMETERS without them (QuoteVerification.cpp),
 * and go-tdx-guest's `verifyCollateral` ErrMissingRootCaCrl / ErrMissingPckCrl when revocation is
 * checked.
 */
export async function crlCheck(
  path: readonly x509.X509Certificate[],
  rootDer: Uint8Array | undefined,
  rootCrl: x509.X509Crl | undefined,
  pckCrl: x509.X509Crl | undefined,
  signers: readonly { readonly what: string; readonly cert: x509.X509Certificate }[] = [],
): Promise<Check> {
  if (!rootCrl || !pckCrl) {
    const missing = [...(rootCrl ? [] : ['root CA CRL (root_ca_crl)']), ...(pckCrl ? [] : ['PCK CRL (pck_crl)'])];
    return {
      name: 'crl',
      ok: false,
      detail: `the collateral has no ${missing.join(' and no ')}, so revocation cannot be checked; given collateral must be complete`,
    };
  }
  const [leaf, intermediate] = path;
  if (!leaf || !intermediate || !rootDer) {
    return { name: 'crl', ok: false, detail: 'the PCK chain is incomplete, so the CRLs cannot be applied' };
  }
  const root = parseCertificate(rootDer, 'root');
  const problems: string[] = [];
  if (classifyIntelRoot(rootDer) !== 'production') {
    problems.push(`the root ${certificateFingerprint(rootDer)} is not the pinned root`);
  }
  if (!(await crlSignedBy(rootCrl, root))) {
    problems.push(`the root CA CRL is not signed by the root (issuer "${commonName(rootCrl.issuer)}")`);
  }
  if (!(await crlSignedBy(pckCrl, intermediate))) {
    problems.push(
      `the PCK CRL (issuer "${commonName(pckCrl.issuer)}") is not signed by the PCK certificate's issuer "${commonName(intermediate.subject)}"`,
    );
  }
  if (isRevoked(rootCrl, intermediate)) problems.push(`"${commonName(intermediate.subject)}" is revoked by the root CA CRL`);
  const seen = new Set<string>();
  for (const { what, cert } of signers) {
    const key = certificateFingerprint(new Uint8Array(cert.rawData));
    if (seen.has(key)) continue;
    seen.add(key);
    if (isRevoked(rootCrl, cert)) {
      const name = commonName(cert.subject);
      problems.push(`the ${what} signing certificate "${name}" (serial ${cert.serialNumber}) is revoked by the root CA CRL`);
    }
  }
  if (isRevoked(pckCrl, leaf)) problems.push(`the PCK certificate (serial ${leaf.serialNumber}) is revoked by the PCK CRL`);
  return {
    name: 'crl',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `neither "${commonName(intermediate.subject)}"${signers.length ? ', the collateral signing certificate' : ''} (root CA CRL) nor the PCK certificate (PCK CRL) is revoked`,
  };
}
