/**
 * The struct codec behind the on-disk tables: a layout lists every field with its byte offset
 * and size, and the same table drives both the reader and the writer so they cannot drift
 * apart (DESIGN.md "One table per on-disk structure"). All integers are little-endian
 * (spec/igvm-format.md, the preamble before §1); the tables themselves are in layouts.ts.
 */
import { IgvmFormatError } from './errors.js';

/** A field of an on-disk structure: an unsigned little-endian integer or a byte array. */
export type FieldSpec =
  | { readonly offset: number; readonly kind: 'u8' | 'u16' | 'u32' }
  | { readonly offset: number; readonly kind: 'u64' }
  | { readonly offset: number; readonly kind: 'bytes'; readonly length: number };

/** The decoded value of one field: `number` for u8–u32, `bigint` for u64, bytes otherwise. */
export type FieldValue<F extends FieldSpec> = F extends { kind: 'u64' }
  ? bigint
  : F extends { kind: 'bytes' }
    ? Uint8Array
    : number;

/** A structure layout: its total size and its named fields. */
export interface StructLayout<F extends Record<string, FieldSpec>> {
  readonly name: string;
  readonly size: number;
  readonly fields: F;
  /** The fields as an array, for the reader's loop (headers are read by the million). */
  readonly entries: ReadonlyArray<readonly [string, FieldSpec]>;
}

/** The decoded record of a layout. */
export type StructValue<L> = L extends StructLayout<infer F> ? { [K in keyof F]: FieldValue<F[K]> } : never;

export const u8 = (offset: number) => ({ offset, kind: 'u8' }) as const;
export const u16 = (offset: number) => ({ offset, kind: 'u16' }) as const;
export const u32 = (offset: number) => ({ offset, kind: 'u32' }) as const;
export const u64 = (offset: number) => ({ offset, kind: 'u64' }) as const;
export const bytes = (offset: number, length: number) => ({ offset, kind: 'bytes', length }) as const;

/** Byte width of a field. */
export function fieldSize(f: FieldSpec): number {
  switch (f.kind) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
      return 4;
    case 'u64':
      return 8;
    case 'bytes':
      return f.length;
  }
}

/** Declares a layout. Fields must lie inside `size`; this is checked once, at module load. */
export function defineStruct<const F extends Record<string, FieldSpec>>(
  name: string,
  size: number,
  fields: F,
): StructLayout<F> {
  for (const [key, f] of Object.entries(fields)) {
    if (f.offset < 0 || f.offset + fieldSize(f) > size) {
      throw new Error(`layout ${name}: field ${key} lies outside ${size} bytes`);
    }
  }
  return { name, size, fields, entries: Object.entries(fields) };
}

/** A DataView over exactly `buf`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Reads a structure at `offset`. The caller guarantees `offset + layout.size <= buf.length`
 * (every caller checks this against the real input first). Byte fields are copies, so a
 * decoded header never pins a large file buffer.
 */
export function readStruct<F extends Record<string, FieldSpec>>(
  buf: Uint8Array,
  offset: number,
  layout: StructLayout<F>,
  /** A view of `buf`, for callers that read many structures from one buffer. */
  view: DataView = viewOf(buf),
): { [K in keyof F]: FieldValue<F[K]> } {
  const out: Record<string, number | bigint | Uint8Array> = {};
  for (const [key, f] of layout.entries) {
    const at = offset + f.offset;
    switch (f.kind) {
      case 'u8':
        out[key] = view.getUint8(at);
        break;
      case 'u16':
        out[key] = view.getUint16(at, true);
        break;
      case 'u32':
        out[key] = view.getUint32(at, true);
        break;
      case 'u64':
        out[key] = view.getBigUint64(at, true);
        break;
      case 'bytes':
        out[key] = buf.slice(at, at + f.length);
        break;
    }
  }
  return out as { [K in keyof F]: FieldValue<F[K]> };
}

/**
 * Writes a structure at `offset`. Fields absent from `values` are left as they are in `buf`
 * (callers pass a zeroed buffer, so absent reserved fields are written as zero). Integer
 * values are range-checked so that a too-large value cannot be silently truncated
 * (`InvalidFieldValue`).
 */
export function writeStruct<F extends Record<string, FieldSpec>>(
  buf: Uint8Array,
  offset: number,
  layout: StructLayout<F>,
  values: Partial<{ [K in keyof F]: FieldValue<F[K]> }>,
): void {
  const view = viewOf(buf);
  for (const [key, f] of layout.entries) {
    const v = (values as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const at = offset + f.offset;
    if (f.kind === 'bytes') {
      const b = v as Uint8Array;
      if (b.length > f.length) {
        throw new IgvmFormatError('InvalidFieldValue', `${layout.name}.${key}: ${b.length} bytes do not fit in ${f.length}`);
      }
      buf.fill(0, at, at + f.length);
      buf.set(b, at);
    } else if (f.kind === 'u64') {
      const n = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v as number) : -1n;
      if (n < 0n || n > 0xffff_ffff_ffff_ffffn) {
        throw new IgvmFormatError('InvalidFieldValue', `${layout.name}.${key}: ${n} is not a u64`);
      }
      view.setBigUint64(at, n, true);
    } else {
      const n = v as number;
      const max = f.kind === 'u8' ? 0xff : f.kind === 'u16' ? 0xffff : 0xffff_ffff;
      if (!Number.isInteger(n) || n < 0 || n > max) {
        throw new IgvmFormatError('InvalidFieldValue', `${layout.name}.${key}: ${String(n)} is not a ${f.kind}`);
      }
      if (f.kind === 'u8') view.setUint8(at, n);
      else if (f.kind === 'u16') view.setUint16(at, n, true);
      else view.setUint32(at, n, true);
    }
  }
}

/** A structure's bytes: `layout.size` zero bytes with `values` written in. */
export function encodeStruct<F extends Record<string, FieldSpec>>(
  layout: StructLayout<F>,
  values: Partial<{ [K in keyof F]: FieldValue<F[K]> }>,
): Uint8Array {
  const out = new Uint8Array(layout.size);
  writeStruct(out, 0, layout, values);
  return out;
}
