/**
 * The JSON of the page's "Copy JSON": the shapes the CLI prints, from the library
 * (measure/result-json.ts, pki/check.ts, evidence/comparison-json.ts). The browser test compares
 * the page's JSON with the CLI's.
 */
export type { JsonValue as Json } from 'igvm-measure/format';
export { platformJson } from 'igvm-measure/measure';
