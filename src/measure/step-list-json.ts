/**
 * The JSON of a step list (cca-steps.ts, snp-steps.ts): the text parsed with its length bounded
 * first, so that a list never costs memory beyond the limit its reader sets; each reader turns
 * a failure into its own typed error; and the field readers both share.
 */

/** `JSON.parse(text)` after checking `text.length <= max`; `fail(message)` makes the reader's error. */
export function parseStepListJson(text: string, max: number, fail: (message: string) => Error): unknown {
  if (text.length > max) throw fail(`${text.length} characters, more than the limit ${max}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw fail(`not JSON: ${(e as Error).message}`);
  }
}

/** How a JSON value's type is named in messages (`null`, `an array`, `string`, ...). */
export function jsonTypeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * A u64 field of a step list: a non-negative exact JSON integer or a `0x` hex string of 1–16
 * digits (as traces write GPAs); anything else is `fail(message)`.
 */
export function jsonU64(v: unknown, fail: (message: string) => never): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) fail(`${String(v)} is not a non-negative exact integer`);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    if (!/^0x[0-9a-fA-F]{1,16}$/.test(v)) fail(`'${v.slice(0, 40)}' is not a 0x-prefixed u64 in hex`);
    return BigInt(v);
  }
  return fail(`expected an integer or a 0x hex string, got ${jsonTypeOf(v)}`);
}
