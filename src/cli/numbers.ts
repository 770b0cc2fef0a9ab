/**
 * How the command line reads numbers and hex byte strings, one rule everywhere: an integer is
 * decimal unless it carries a `0x`, `0o` or `0b` prefix (as sev-snp-measure, snpguest and the
 * shells read them: `--guest-features 21` is 21, not 0x21), and a value that must be bytes
 * (a digest, a report field) is hex of exactly the expected length, so that a truncated paste is
 * a usage error rather than a silent mismatch.
 */
import { UsageError } from './errors.js';

// A decimal with a leading zero (`021`) is refused, as Python's int(x, 0) refuses it: it is
// ambiguous between decimal and C's octal.
const INTEGER = /^(?:0x[0-9a-f]+|0o[0-7]+|0b[01]+|0|[1-9][0-9]*)$/i;

/**
 * An integer option (`name` as the user types it, e.g. `--vcpus`): decimal, or `0x`/`0o`/`0b`
 * prefixed; `_` separators are not accepted. Throws `UsageError` outside `[min, max]`.
 */
export function integerOption(name: string, text: string, min = 0n, max = 0xffff_ffff_ffff_ffffn): bigint {
  const t = text.trim();
  if (!INTEGER.test(t)) throw new UsageError(`${name} takes a number (decimal, or 0x/0o/0b prefixed), not '${text}'`);
  const v = BigInt(t.toLowerCase());
  if (v < min || v > max) throw new UsageError(`${name} must be between ${min} and ${max === 0xffff_ffff_ffff_ffffn ? '2^64-1' : max}, not ${text}`);
  return v;
}

/** `integerOption` as a JS number, for options bounded well below 2^53 (counts, sizes). */
export function smallIntegerOption(name: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  return Number(integerOption(name, text, BigInt(min), BigInt(max)));
}

/**
 * A byte-string option given as hex (`0x` prefix and whitespace allowed). With `length`, the
 * value must be exactly that many bytes: `--measurement 7a1e5c26` for a 48-byte measurement is a
 * usage error naming both lengths.
 */
export function hexBytesOption(name: string, text: string, length?: number): Uint8Array {
  const s = text.replace(/^0x/i, '').replace(/\s+/g, '');
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new UsageError(`${name} takes hex digits, not '${text}'`);
  if (length !== undefined && s.length !== 2 * length) {
    throw new UsageError(`${name} takes ${length} bytes (${2 * length} hex digits), not ${s.length / 2} byte${s.length === 2 ? '' : 's'}`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
