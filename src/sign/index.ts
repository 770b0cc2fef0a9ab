/**
 * The sign layer's public API, for release pipelines: SNP ID blocks (sign, verify; spec/snp.md
 * §3), reference values, CoRIM and COSE_Sign1 (spec/vbs-cca-corim.md §3).
 */
export * from './errors.js';
export * from './corim-errors.js';
export { loadPrivateKey, loadPublicKey, snpKeyDigest, amdPublicKey, igvmPublicKey, type P384KeyPair, type P384PublicKey } from './keys.js';
export { encodeIdBlock, decodeIdBlock, encodeIdAuthInfo, buildIdBlockHeader, verifyIdBlockSignature, verifyAuthorSignature } from './id-block.js';
export { signP384, verifyP384 } from './signature.js';
export { signIgvm, idBlockToBeSigned, idBlocksToBeSigned, type SignOptions } from './sign-igvm.js';
export { verifyIgvmSignatures, verifyIgvmSignaturesDetailed, type IdBlockSummary, type SignatureVerification } from './verify-igvm.js';
export { buildLaunchMeasurementCorim, decodeLaunchMeasurementCorim, LAUNCH_MEASUREMENT_PROFILE } from './corim.js';
export {
  signDetachedCoseSign1,
  verifyDetachedCoseSign1,
  decodeCoseSign1,
  COSE_ALG_PS384,
  COSE_ALG_ES384,
  signCoseSign1,
  prepareCoseSign1,
  completeCoseSign1,
  verifyCoseSign1,
  type CoseAlgorithmName,
  type PreparedCoseSign1,
} from './cose.js';
export { importCoseSigningKey, type CoseSigningKey } from './cose-algorithms.js';
export { verifyEmbeddedCorim, verifyEmbeddedCorimDetailed, type EmbeddedCorimSummary } from './corim-verify.js';
export { referenceValues, referenceCorims } from './reference.js';
