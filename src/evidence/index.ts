/** The evidence layer: SEV-SNP reports and TDX quotes, offline verification, comparison. */
export * from './errors.js';
export { loadEvidence, verifyEvidence, evidenceValues, reportedMeasurement, type Evidence, type VerifyOptions, type EvidenceVerification } from './load.js';
export { compareEvidence, type CompareOptions, type EvidenceValues } from './compare.js';
export { parseSnpReport, SNP_REPORT, SNP_REPORT_SIZE, type SnpReport, type TcbVersion, type SnpProduct } from './snp-report.js';
export { loadSnpEvidence, type SnpEvidence, type SnpCertificates } from './snp-input.js';
export { verifySnpEvidence, type SnpVerifyOptions, type SnpVerifyResult } from './snp-verify.js';
export { AMD_ARK_SHA256, kdsUrls, parseCertificates, decodeAmdExtensions } from './amd-chain.js';
export { AMD_BUNDLED_CERTIFICATES, AMD_ASK_SHA256, AMD_ASVK_SHA256, type AmdBundledCertificates } from './amd-certs.js';
export { parseTdxQuote, type TdxQuote } from './tdx-quote.js';
export { parseTdReport, type TdReport } from './tdreport.js';
export { loadTdxEvidence, type TdxEvidence } from './tdx-input.js';
export { verifyTdxEvidence } from './tdx-verify.js';
export { parseCollateral } from './tdx-collateral.js';
export { replayCcelEventLog } from './ccel.js';
export { INTEL_SGX_ROOT_CA_SHA256, INTEL_SGX_PREPRODUCTION_ROOT_CA_SHA256 } from './intel-chain.js';
export { parsePolicy, readPolicyFile, mergePolicies, PolicyError, POLICY_FIELDS, TCB_STATUSES, type AppraisalPolicy, type TcbMinimum, type TcbParts } from './policy.js';
export { appraiseSnp, appraiseTdx } from './appraise.js';
export { bestMatch, evidenceKind, evidenceKindJson, igvmSearchJson, measurementLabel } from './comparison-json.js';
