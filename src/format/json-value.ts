/**
 * The type of a JSON value, for the JSON forms the library itself produces (a measurement
 * result, a comparison) so that the CLI and the browser page print the same documents.
 */

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
