/**
 * The Intel CRLs of TDX collateral (spec/tdx.md §4.5 "Check the CRLs"): reading the root CA CRL
 * and the PCK CRL, and the `crl` check — each CRL is signed by its issuer, the PCK CA is not in
 * the root CA CRL and the PCK leaf is not in the PCK CRL.
 */
import type { Check } from '../pki/check.js';
import { x509 } from '../pki/x509.js';
import { certificateFingerprint, classifyIntelRoot, commonName, errorText, parseCertificate } from './intel-chain.js';
import { badCollateral } from './tdx-collateral.js';

/**
 * Reads a DER CRL of the collateral (`what` names its JSON key); `undefined` when absent. An
 * unreadable CRL is unreadable collateral: `EvidenceError('BadCollateral')`.
 */
export function readCollateralCrl(der: Uint8Array | undefined, what: string): x509.X509Crl | undefined {
  if (!der) return undefined;
  try {
    const parsed = new x509.X509Crl(der);
    void parsed.issuer;
    void parsed.nextUpdate;
    return parsed;
  } catch (e) {
    throw badCollateral(what, `not a readable CRL (${errorText(e)})`);
  }
}

/** The `crl` check over the verified PCK chain (leaf first) and its root. */
export async function crlCheck(
  path: readonly x509.X509Certificate[],
  rootDer: Uint8Array | undefined,
  rootCrl: x509.X509Crl | undefined,
  pckCrl: x509.X509Crl | undefined,
): Promise<Check> {
  if (!rootCrl || !pckCrl) {
    return { name: 'crl', ok: null, detail: 'not checked: the collateral carries no root CA CRL and PCK CRL' };
  }
  const [leaf, intermediate] = path;
  if (!leaf || !intermediate || !rootDer) {
    return { name: 'crl', ok: false, detail: 'the PCK chain is incomplete, so the CRLs cannot be applied' };
  }
  const root = parseCertificate(rootDer, 'root');
  const problems: string[] = [];
  const verifies = async (l: x509.X509Crl, issuer: x509.X509Certificate): Promise<boolean> => {
    try {
      return await l.verify({ publicKey: issuer.publicKey });
    } catch {
      return false;
    }
  };
  if (classifyIntelRoot(rootDer) !== 'production') {
    problems.push(`the root ${certificateFingerprint(rootDer)} is not the pinned root`);
  }
  if (rootCrl.issuer !== root.subject || !(await verifies(rootCrl, root))) {
    problems.push(`the root CA CRL is not signed by the root (issuer "${commonName(rootCrl.issuer)}")`);
  }
  if (pckCrl.issuer !== intermediate.subject || !(await verifies(pckCrl, intermediate))) {
    problems.push(
      `the PCK CRL (issuer "${commonName(pckCrl.issuer)}") is not signed by the PCK certificate's issuer "${commonName(intermediate.subject)}"`,
    );
  }
  const revoked = (l: x509.X509Crl, cert: x509.X509Certificate): boolean => {
    try {
      return l.findRevoked(cert) !== null;
    } catch {
      return true; // unreadable entries cannot clear the certificate
    }
  };
  if (revoked(rootCrl, intermediate)) problems.push(`"${commonName(intermediate.subject)}" is revoked by the root CA CRL`);
  if (revoked(pckCrl, leaf)) problems.push(`the PCK certificate (serial ${leaf.serialNumber}) is revoked by the PCK CRL`);
  return {
    name: 'crl',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `neither "${commonName(intermediate.subject)}" (root CA CRL) nor the PCK certificate (PCK CRL) is revoked`,
  };
}
