/**
 * The CLI's JSON shapes, for the page's "Copy JSON": `measure --json` platform entries and
 * `compare --json` checks, verdict text and evidence kind. They are copied from src/cli
 * (measure.ts `platformJson`, evidence-input.ts `checkJson` / `verdictText`, report.ts
 * `evidenceKind`, output.ts `checkLines`) because those modules import `node:` modules; keep
 * them in step (the browser test compares the page's JSON with the CLI's).
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
