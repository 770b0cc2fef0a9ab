/**
 * The CLI's JSON shape of a measured platform (`measure --json`), for the page's "Copy JSON".
 * A copy of src/cli/measure.ts `platformJson`, whose module imports `node:` modules; the check,
 * verdict and evidence forms are shared from the library (pki/check.ts,
 * evidence/comparison-json.ts). The browser test compares the page's JSON with the CLI's.
 */
import { bytesToHex } from 'igvm-measure/format';
import type { PlatformMeasurement } from 'igvm-measure/measure';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One platform entry of `measure --json`. */
export function platformJson(p: PlatformMeasurement): Json {
  const base = { compatibility_mask: p.compatibilityMask, platform_type: p.platformType };
  if ('digest' in p) {
    return {
      ...base,
      algorithm: p.algorithm,
      digest: bytesToHex(p.digest),
      ...(p.warnings.length > 0 ? { warnings: [...p.warnings] } : {}),
      ...(p.note !== undefined ? { note: p.note } : {}),
    };
  }
  if ('error' in p) return { ...base, error: { code: p.error.code, message: p.error.message } };
  return { ...base, measurable: false };
}
