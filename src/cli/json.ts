/**
 * JSON conventions of the CLI (README, "JSON output"): keys in snake_case; 64-bit values as
 * JSON numbers when below 2^53 and as `"0x..."` strings otherwise, so no value is ever
 * rounded; byte arrays as lowercase hex strings.
 */
import { bytesToHex } from '../format/bytes.js';
import type { JsonValue } from '../format/json-value.js';

/** A JSON value (format/json-value.ts, the type the library's JSON forms use too). */
export type Json = JsonValue;

/** A u64 as a JSON number when exact (< 2^53), else a lowercase `0x` hex string. */
export function u64Json(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`;
}

/** `camelCase` to `snake_case`; digits stay attached (`x87Dp` → `x87_dp`, `pl0Ssp` → `pl0_ssp`). */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Converts a plain value (objects, arrays, bigint, bytes) to JSON by the conventions above. */
export function toJson(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return u64Json(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return bytesToHex(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'function') continue;
      out[snakeCase(k)] = toJson(x);
    }
    return out;
  }
  return String(v);
}

/** Serializes a JSON document for stdout (two-space indentation, trailing newline). */
export function stringify(v: Json): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
