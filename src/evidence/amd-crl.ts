/**
 * AMD's certificate revocation lists for SEV-SNP (spec/snp.md §5): the ARK of each product signs
 * one CRL for the VCEK chain (`https://kdsintf.amd.com/vcek/v1/{Product}/crl`, the CRL
 * distribution point of the ARK and the ASK) and one for the VLEK chain (`/vlek/v1/{Product}/crl`,
 * the ASVK's). The `crl` check: the CRL is signed by the chain's ARK, is not past its nextUpdate
 * at the verification time, and lists neither the ASK/ASVK nor the VCEK/VLEK.
 *
 * This is go-sev-guest's rule (verify/verify.go `verifyCRL`: the CRL must verify with the ARK,
 * and a revoked ASK fails), extended to the VCEK/VLEK as spec/snp.md §5 allows; reading CRLs,
 * their signatures and entries is the certificate layer's (src/pki/crl.ts).
 */
import type { Check } from '../pki/check.js';
import { crlExpiredAt, crlSignedBy, isRevoked, parseCrl } from '../pki/crl.js';
import { loadCertificate, commonName } from '../pki/certificate.js';
import { decodePem, latin1 } from '../pki/pem.js';
import { errorMessage } from '../pki/errors.js';
import type { x509 } from '../pki/x509.js';
import type { SnpProduct } from './snp-report.js';

/** The KDS URL of the CRL that covers a VCEK (`vcek`) or VLEK (`vlek`) chain (spec/snp.md §5). */
export function amdCrlUrl(product: SnpProduct, signer: 'vcek' | 'vlek', base = 'https://kdsintf.amd.com'): string {
  return `${base.replace(/\/+$/, '')}/${signer}/v1/${product}/crl`;
}

/**
 * Reads one CRL, DER (as KDS serves it) or PEM (`X509 CRL` block). Throws `PkiError` when it
 * is neither (the `crl` check turns that into a failed check).
 */
export function readAmdCrl(bytes: Uint8Array): x509.X509Crl {
  const text = latin1(bytes.subarray(0, 64));
  if (text.includes('-----BEGIN')) {
    const [block] = decodePem(latin1(bytes), { label: 'X509 CRL' });
    if (block) return parseCrl(block.der);
  }
  return parseCrl(bytes);
}

/** The inputs of the `crl` check. */
export interface AmdCrlInput {
  readonly signer: 'vcek' | 'vlek';
  /** The CRL bytes (DER or PEM) and where they came from; `undefined` when none was given. */
  readonly crl: { readonly bytes: Uint8Array; readonly source: string } | undefined;
  /** Why there is no CRL, when there is none (e.g. where KDS serves it, or why fetching failed). */
  readonly missing?: string | undefined;
  /** The chain, DER; any may be missing. */
  readonly leaf?: Uint8Array | undefined;
  readonly intermediate?: Uint8Array | undefined;
  readonly ark?: Uint8Array | undefined;
  /** The verification time (the CRL must not be past its nextUpdate then). */
  readonly at: Date;
}

function tryLoad(der: Uint8Array | undefined): x509.X509Certificate | undefined {
  if (!der) return undefined;
  try {
    return loadCertificate(der);
  } catch {
    return undefined;
  }
}

/**
 * The `crl` check (see the file comment). Not made (`ok: null`) when no CRL was given or there
 * is no ARK to check its signature with; failed when the CRL cannot be read, is not the ARK's,
 * is stale, or revokes the ASK/ASVK or the VCEK/VLEK. Never throws.
 */
export async function checkAmdCrl(input: AmdCrlInput): Promise<Check> {
  const name = 'crl';
  const mid = input.signer === 'vcek' ? 'ASK' : 'ASVK';
  const leafName = input.signer.toUpperCase();
  if (!input.crl) return { name, ok: null, detail: `not checked: ${input.missing ?? 'no CRL given'}` };
  let crl: x509.X509Crl;
  try {
    crl = readAmdCrl(input.crl.bytes);
  } catch (e) {
    return { name, ok: false, detail: `the CRL from ${input.crl.source} cannot be read: ${errorMessage(e)}` };
  }
  const ark = tryLoad(input.ark);
  if (!ark) return { name, ok: null, detail: 'not checked: no readable ARK to check the CRL signature with' };
  const problems: string[] = [];
  if (!(await crlSignedBy(crl, ark))) {
    problems.push(`the CRL (issuer "${commonName(crl.issuer)}") is not signed by the ARK "${commonName(ark.subject)}"`);
  }
  // The same currency rules as TDX's CRLs (tdx-collateral-checks.ts): a CRL without nextUpdate
  // cannot be shown current (go-tdx-guest checkCollateralExpiration), and one issued after the
  // verification time is not yet valid (OpenSSL X509_V_ERR_CRL_NOT_YET_VALID).
  if (crl.nextUpdate === undefined) problems.push('the CRL has no nextUpdate, so it cannot be shown to be current');
  else if (crlExpiredAt(crl, input.at)) problems.push(`the CRL is past its nextUpdate ${crl.nextUpdate.toISOString()} at ${input.at.toISOString()}`);
  if (crl.thisUpdate > input.at) problems.push(`the CRL was issued (thisUpdate ${crl.thisUpdate.toISOString()}) after the verification time ${input.at.toISOString()}`);
  const intermediate = tryLoad(input.intermediate);
  const leaf = tryLoad(input.leaf);
  if (intermediate && isRevoked(crl, intermediate)) problems.push(`the ${mid} "${commonName(intermediate.subject)}" (serial ${intermediate.serialNumber}) is revoked`);
  if (leaf && isRevoked(crl, leaf)) problems.push(`the ${leafName} (serial ${leaf.serialNumber}) is revoked`);
  if (problems.length) return { name, ok: false, detail: `${problems.join('; ')} (CRL from ${input.crl.source})` };
  if (!intermediate || !leaf) {
    const absent = [!intermediate && mid, !leaf && leafName].filter(Boolean).join(' and ');
    return { name, ok: null, detail: `not checked: no ${absent} to look up in the ARK-signed CRL from ${input.crl.source}` };
  }
  const next = crl.nextUpdate ? `, nextUpdate ${crl.nextUpdate.toISOString()}` : '';
  return {
    name,
    ok: true,
    detail: `the CRL from ${input.crl.source} (thisUpdate ${crl.thisUpdate.toISOString()}${next}) is signed by the ARK and revokes neither the ${mid} nor the ${leafName}`,
  };
}
