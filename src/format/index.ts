/**
 * The IGVM format layer's public surface: read (spec/igvm-format.md §2–§9), validate (§10),
 * write (§12) and build files, plus the VMSA, native, CCA and VBS context codecs (§8).
 */
export * from './constants.js';
export * from './errors.js';
export { CodedError, type CodedErrorJson } from './coded-error.js';
export { bytesEqual, bytesToHex } from './bytes.js';
export * from './types.js';
export * from './source.js';
export * from './crc32.js';
export * from './policy.js';
export * from './view.js';
export * from './vmsa.js';
export * from './native-context.js';
export * from './vbs-registers.js';
export * as layouts from './layouts.js';
export { defineStruct, readStruct, encodeStruct, type StructLayout, type StructValue, type FieldSpec } from './struct.js';
export { parseIgvm, parseIgvmSource, type ParseOptions } from './reader.js';
export { validateFile, validateHeader, type ValidateOptions } from './validate.js';
export { serializeIgvm, serializeIgvmChunks, type IgvmChunks } from './writer.js';
export { IgvmBuilder, type U64Input } from './builder.js';
export * from './snp-id-block.js';
export type { JsonValue } from './json-value.js';
