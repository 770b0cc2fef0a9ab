/**
 * The measurement layer (DESIGN.md "Shape"): walker, loader profiles, the injected hash backend,
 * the SNP, TDX, VBS and SEV models, the folds of launch-step streams and the vCPU sweep.
 */
export * from './errors.js';
export * from './hash.js';
export { defaultHashBackend, defaultKernels, setDefaultHashBackend } from './hash-default.js';
export { nobleHashBackend } from './hash-noble.js';
export { jsKernels, hashSlots, SLOT_SIZE, SLOT_HASH_SIZES, type HashKernels, type SlotHash, type TdxState } from './kernels.js';
export { PageBatch, StepArrays, OpCursor, fillBatch, runLanes, DEFAULT_BATCH_SLOTS, DEFAULT_BATCH_STEPS, type BatchRunner, type StepJob } from './batch.js';
export * from './steps.js';
export * from './launch-steps.js';
export * from './profiles.js';
export { walkDirectives, DEFAULT_MAX_PAGES, type Walk, type WalkOptions } from './walker.js';
export { SnpLaunchDigest, SnpBatchRunner, SnpPageType, hashSlotsOf, type SnpJob, PAGE_INFO_SIZE, type SnpPageTypeName, type SnpModelOptions } from './snp.js';
export { TdxMrtd, TdxBatchRunner, type TdxJob } from './tdx.js';
export { VbsBootDigest, VbsBatchRunner, type VbsJob } from './vbs.js';
export * from './measure.js';
export { searchConfigurations, snpVcpuSweep, type Candidate, type SearchResult, type SearchOptions } from './search.js';
export * from './sev.js';
export * from './fold.js';
export * from './vcpu-sweep.js';
export * from './cca.js';
export * from './cca-steps.js';
export { measureCcaIgvm, planCcaLaunch, startCcaRealm, type CcaIgvmMeasurement, type CcaLaunchPlan, type CcaLoadOptions } from './cca-igvm.js';
export { CcaBatchRunner, ccaHashSlotsOf, type CcaJob } from './cca-batch.js';
export * from './snp-steps.js';
export { searchCcaConventions, ccaConventionOf, type CcaConvention, type CcaSearchAxes, type CcaSearchResult, type CcaSearchOptions } from './cca-search.js';
export { platformJson } from './result-json.js';
