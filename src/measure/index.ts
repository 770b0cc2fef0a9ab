/** The measurement layer: walker, loader profiles, and the SNP, TDX and VBS models. */
export * from './errors.js';
export * from './hash.js';
export { defaultHashBackend } from './hash-default.js';
export * from './steps.js';
export * from './profiles.js';
export { walkDirectives, DEFAULT_MAX_PAGES, KVM_VMSA_GPA, type Walk, type WalkOptions } from './walker.js';
export { SnpLaunchDigest, SnpPageType, PAGE_INFO_SIZE, type SnpPageTypeName, type SnpModelOptions } from './snp.js';
export { TdxMrtd } from './tdx.js';
export { VbsBootDigest } from './vbs.js';
export * from './measure.js';
