/**
 * The certificate layer below evidence and sign (DESIGN.md "pki/"): the verdict vocabulary,
 * PEM, X.509 certificates and their extensions, signatures, validity, fingerprint pins, CRLs
 * and the one chain walker.
 */
export * from './check.js';
export { PkiError, PKI_ERROR_CODES, type PkiErrorCode } from './errors.js';
export { decodePem, pemCertificates, type PemBlock, type PemOptions } from './pem.js';
export { loadCertificate, readCertificates, type LoadCertificateOptions, type ReadCertificatesOptions } from './certificate.js';
export { certificateFingerprint, matchPin, type PinMatch } from './fingerprint.js';
export { validAt, validityPeriod } from './validity.js';
export { signatureAlgorithmOf, publicKeyAlgorithmOf, checkSignature, importCertificateKey, type SignatureCheck, type SignatureAlgorithm, type PublicKeyAlgorithm } from './signature.js';
export { extensionValue, extensionsUnder, isCaCertificate } from './extensions.js';
export { AMD_EXTENSION_ARC, type AmdCertExtensions } from './amd-extensions.js';
export { SGX_EXTENSION_OID, type PckExtensions } from './sgx-extensions.js';
export { walkChain, checkLink, type ChainLink, type ChainWalk, type ChainWalkOptions } from './chain.js';
export { parseCrl, crlSignedBy, isRevoked, crlExpiredAt } from './crl.js';
