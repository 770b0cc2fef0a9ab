/**
 * Byte and number helpers every layer needs: lowercase hex for output and messages, equality
 * of public values. No spec section of its own (DESIGN.md "Conventions": lowercase hex in all
 * output); kept here at the bottom of the one-way design so the layers above share one copy.
 */

/** Lowercase hex of `b`, two digits per byte. */
export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * A number as `0x…` text in lowercase hex (DESIGN.md: lowercase hex in all output), for
 * messages and display: `hexNumber(4096)` is `0x1000`; `digits` pads with leading zeros
 * (`hexNumber(1, 8)` is `0x00000001`). Callers pass non-negative values.
 */
export function hexNumber(n: number | bigint, digits = 0): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

/** True when `a` and `b` hold the same bytes. Not constant-time: for public values (digests, IDs). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
