/**
 * Byte helpers every layer needs (hex for output and messages, equality of public values), kept
 * here at the bottom of the one-way design so the layers above share one copy.
 */

/** Lowercase hex of `b`, two digits per byte. */
export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** True when `a` and `b` hold the same bytes. Not constant-time: for public values (digests, IDs). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
