/**
 * The JSON text of a step list (cca-steps.ts, snp-steps.ts), parsed with its length bounded
 * first, so that a list never costs memory beyond the limit its reader sets; each reader turns
 * a failure into its own typed error.
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
