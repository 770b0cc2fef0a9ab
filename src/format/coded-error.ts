/**
 * The common shape of the layers' typed errors that point into an input by byte offset
 * (DESIGN.md "Errors"): a stable `code`, a message, the offset where one applies, and
 * `{code, message, offset}` for JSON output. Each layer subclasses it with its own code list
 * and `name`, so `instanceof` still tells the layers apart (the CLI maps them to exit codes).
 * It implements no spec section of its own; each layer's codes cite theirs (for this layer,
 * spec/igvm-format.md §10.2–§10.5 in errors.ts).
 */
/** The JSON form of a coded error. */
export type CodedErrorJson = { code: string; message: string; offset?: number | null };

export class CodedError<C extends string> extends Error {
  readonly code: C;
  /** Byte offset in the input of the structure or field at fault, where one applies. */
  readonly offset: number | undefined;

  constructor(code: C, message: string, offset?: number) {
    super(message);
    this.code = code;
    this.offset = offset;
  }

  /**
   * `{code, message, offset}` for JSON output. Layers whose errors never point at a byte
   * (measurement, signing) leave `offset` out of their JSON, hence optional in the type.
   */
  toJSON(): CodedErrorJson {
    return { code: this.code, message: this.message, offset: this.offset ?? null };
  }
}
