/**
 * The two fixed-size VP context payloads that live in a zero-padded 4 KiB blob:
 * `IgvmNativeVpContextX64` for NATIVE and SEV platforms (spec/igvm-format.md §8.3) and
 * `IgvmVpContextAArch64Cca` for CCA (§8.5). Upstream reads 4096 bytes at the VP_CONTEXT's
 * `file_offset` and rejects a non-zero tail with `InvalidContext` (§8.1); the writer emits
 * the struct followed by zeros (§12 step 6).
 */
import { hexNumber } from './bytes.js';
import { IgvmFormatError } from './errors.js';
import { defineStruct, readStruct, u16, u32, u64, writeStruct, bytes } from './struct.js';
import type { FieldSpec, StructLayout, StructValue } from './struct.js';

/** Size of the blob that holds a native x64 or CCA context (§8.1, §9). */
export const CONTEXT_BLOB_SIZE = 4096;

/** `IgvmNativeVpContextX64`, 232 bytes (§8.3 table). */
export const NATIVE_X64_CONTEXT = defineStruct('IgvmNativeVpContextX64', 232, {
  rax: u64(0x00),
  rcx: u64(0x08),
  rdx: u64(0x10),
  rbx: u64(0x18),
  rsp: u64(0x20),
  rbp: u64(0x28),
  rsi: u64(0x30),
  rdi: u64(0x38),
  r8: u64(0x40),
  r9: u64(0x48),
  r10: u64(0x50),
  r11: u64(0x58),
  r12: u64(0x60),
  r13: u64(0x68),
  r14: u64(0x70),
  r15: u64(0x78),
  rip: u64(0x80),
  rflags: u64(0x88),
  idtrBase: u64(0x90),
  idtrLimit: u16(0x98),
  // §8.3: u16×2 of C padding so that gdtr_limit sits next to gdtr_base; kept as bytes so
  // that whatever a producer left there round-trips.
  reserved: bytes(0x9a, 4),
  gdtrLimit: u16(0x9e),
  gdtrBase: u64(0xa0),
  codeSelector: u16(0xa8),
  codeAttributes: u16(0xaa),
  codeBase: u32(0xac),
  codeLimit: u32(0xb0),
  dataSelector: u16(0xb4),
  dataAttributes: u16(0xb6),
  dataBase: u32(0xb8),
  dataLimit: u32(0xbc),
  gsBase: u64(0xc0),
  cr0: u64(0xc8),
  cr3: u64(0xd0),
  cr4: u64(0xd8),
  efer: u64(0xe0),
});

/**
 * A decoded native x64 context (§8.3). `codeAttributes`/`dataAttributes` bits 11:8 "must be
 * 0" per the spec, but upstream does not check them, so they are returned as stored.
 */
export type NativeX64Context = StructValue<typeof NATIVE_X64_CONTEXT>;

/** `IgvmVpContextAArch64Cca`, 80 bytes, mirroring RMM `RmiRecParams` without `mpidr` (§8.5). */
export const CCA_CONTEXT = defineStruct('IgvmVpContextAArch64Cca', 80, {
  x0: u64(0x00),
  x1: u64(0x08),
  x2: u64(0x10),
  x3: u64(0x18),
  x4: u64(0x20),
  x5: u64(0x28),
  x6: u64(0x30),
  x7: u64(0x38),
  pc: u64(0x40),
  flags: u64(0x48),
});

/** A decoded Arm CCA REC context (§8.5). */
export type CcaVpContext = StructValue<typeof CCA_CONTEXT>;

function decodeBlob<F extends Record<string, FieldSpec>>(
  blob: Uint8Array,
  layout: StructLayout<F>,
): StructValue<StructLayout<F>> {
  if (blob.length !== CONTEXT_BLOB_SIZE) {
    throw new IgvmFormatError(
      'InvalidDataSize',
      `${layout.name} blob must be ${CONTEXT_BLOB_SIZE} bytes, got ${blob.length}`,
    );
  }
  // §8.1: the bytes after the struct must be zero (upstream: InvalidContext).
  for (let i = layout.size; i < CONTEXT_BLOB_SIZE; i++) {
    if (blob[i] !== 0) {
      throw new IgvmFormatError(
        'InvalidContext',
        `${layout.name}: non-zero byte ${hexNumber(blob[i] ?? 0, 2)} at offset ${hexNumber(i)} of the ${CONTEXT_BLOB_SIZE}-byte context blob (bytes ${hexNumber(layout.size)}.. must be zero)`,
      );
    }
  }
  return readStruct(blob, 0, layout) as StructValue<StructLayout<F>>;
}

function encodeBlob<F extends Record<string, FieldSpec>>(
  layout: StructLayout<F>,
  values: Partial<StructValue<StructLayout<F>>>,
): Uint8Array {
  const blob = new Uint8Array(CONTEXT_BLOB_SIZE);
  writeStruct(blob, 0, layout, values as Partial<{ [K in keyof F]: StructValue<StructLayout<F>>[K] }>);
  return blob;
}

/**
 * Decodes the 4096-byte blob of a NATIVE or SEV VP context (§8.1, §8.3).
 *
 * @throws IgvmFormatError `InvalidDataSize` when `blob` is not 4096 bytes; `InvalidContext`
 * when any byte after the 232-byte struct is non-zero (the message gives its blob offset).
 */
export function decodeNativeX64Context(blob: Uint8Array): NativeX64Context {
  return decodeBlob(blob, NATIVE_X64_CONTEXT);
}

/**
 * Encodes a native x64 context as its 4096-byte blob: the struct then zeros (§12 step 6).
 * Absent fields are zero.
 *
 * @throws IgvmFormatError `InvalidFieldValue` when a value does not fit its field.
 */
export function encodeNativeX64Context(ctx: Partial<NativeX64Context>): Uint8Array {
  return encodeBlob(NATIVE_X64_CONTEXT, ctx);
}

/**
 * Decodes the 4096-byte blob of a CCA VP context (§8.1, §8.5).
 *
 * @throws IgvmFormatError `InvalidDataSize` when `blob` is not 4096 bytes; `InvalidContext`
 * when any byte after the 80-byte struct is non-zero (the message gives its blob offset).
 */
export function decodeCcaContext(blob: Uint8Array): CcaVpContext {
  return decodeBlob(blob, CCA_CONTEXT);
}

/**
 * Encodes a CCA context as its 4096-byte blob: the struct then zeros (§12 step 6). Absent
 * fields are zero.
 *
 * @throws IgvmFormatError `InvalidFieldValue` when a value does not fit its field.
 */
export function encodeCcaContext(ctx: Partial<CcaVpContext>): Uint8Array {
  return encodeBlob(CCA_CONTEXT, ctx);
}
