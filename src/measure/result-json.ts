/**
 * One measured platform as `measure --json` prints it, shared by the CLI and the browser page:
 * `{compatibility_mask, platform_type}` and then the digest (`algorithm`, `digest` in hex, for CCA
 * `rule` and `rim`, any loader-rule `warnings` and `note`), the error (`{code, message}`), or `measurable: false`.
 */
import { bytesToHex } from '../format/bytes.js';
import type { JsonValue } from '../format/json-value.js';
import type { PlatformMeasurement } from './measure.js';

/** One platform entry of `measure --json`. */
export function platformJson(p: PlatformMeasurement): JsonValue {
  const base = { compatibility_mask: p.compatibilityMask, platform_type: p.platformType };
  if ('digest' in p) {
    return {
      ...base,
      algorithm: p.algorithm,
      digest: bytesToHex(p.digest),
      // CCA: the rule set and the 64-byte RmmRealmMeasurement, as `measure --steps` gives them.
      ...(p.cca !== undefined ? { rule: p.cca.rule, rim: bytesToHex(p.cca.rim) } : {}),
      ...(p.warnings.length > 0 ? { warnings: [...p.warnings] } : {}),
      ...(p.note !== undefined ? { note: p.note } : {}),
    };
  }
  if ('error' in p) return { ...base, error: { code: p.error.code, message: p.error.message } };
  return { ...base, measurable: false };
}
