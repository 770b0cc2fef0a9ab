/**
 * Per-header errors while reading (spec/igvm-format.md §10.2, upstream's `BinaryHeaderError`)
 * and the field checks that raise them. A decoder throws a `HeaderProblem` with the offset of
 * the faulty field inside the payload; the section walk (header-reader.ts) turns it into an
 * `IgvmFormatError` located by file offset, header index and section. `HeaderProblem` never
 * leaves the reader.
 */
import { CodedError } from './coded-error.js';
import { IgvmFormatError, type IgvmErrorCode } from './errors.js';
import type { FieldSpec } from './struct.js';

/** Thrown inside a decoder for a per-header error; the walker adds where it happened. */
export class HeaderProblem extends CodedError<IgvmErrorCode> {
  override readonly name = 'HeaderProblem';

  constructor(
    code: IgvmErrorCode,
    message: string,
    /** Offset of the faulty field relative to the payload, when known. */
    readonly fieldOffset?: number,
  ) {
    super(code, message);
  }
}

/** Throws a `HeaderProblem`. */
export function problem(code: IgvmErrorCode, message: string, fieldOffset?: number): never {
  throw new HeaderProblem(code, message, fieldOffset);
}

/** A reserved field must be zero (`ReservedNotZero`, §10.2). */
export function reservedZero(value: number | Uint8Array, field: FieldSpec): void {
  const nonZero = typeof value === 'number' ? value !== 0 : value.some((b) => b !== 0);
  if (nonZero) problem('ReservedNotZero', `reserved field at payload offset ${field.offset} is not zero`, field.offset);
}

/** Rethrows a shared per-header check (validate.ts `validateHeader`) as a problem. */
export function checkHeader(err: IgvmFormatError | undefined): void {
  if (err !== undefined) problem(err.code, err.message);
}

/**
 * Runs a context decoder (native-context.ts), which throws `IgvmFormatError`, and turns such
 * an error into a problem located at the field that points to the context (`fieldOffset`).
 */
export function asHeaderProblem<T>(decode: () => T, fieldOffset: number): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof IgvmFormatError) problem(e.code, e.message, fieldOffset);
    throw e;
  }
}

/** Strict mode: TLV padding must be zero (§3.2; upstream never checks it). */
export function checkPadding(section: Uint8Array, payloadStart: number, length: number, consumed: number): void {
  for (let i = payloadStart + length; i < payloadStart + consumed; i++) {
    if (section[i] !== 0) problem('StrictNonZeroPadding', `padding byte at payload offset ${i - payloadStart} is not zero`, i - payloadStart);
  }
}
