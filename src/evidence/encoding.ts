/**
 * Text encodings of evidence, shared by the SEV-SNP and TDX readers: hex, base64, and bytes as
 * Latin-1 text (for sniffing hex, PEM and JSON). PEM certificate blocks are read by the
 * certificate layer (src/pki/pem.ts); `decodePemCertificates` is its evidence-side name, with
 * its errors as `EvidenceError('BadCertificate')`.
 */
import { latin1, pemCertificates } from '../pki/pem.js';
import { withEvidenceErrors } from './pki-errors.js';

export { latin1 };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = (() => {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Decodes standard base64, skipping whitespace; `null` when it is not valid base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const clean: number[] = [];
  let pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (c === 0x3d) {
      pad++;
      continue;
    }
    if (pad > 0) return null; // data after padding
    const v = c < 256 ? (B64_INDEX[c] as number) : -1;
    if (v < 0) return null;
    clean.push(v);
  }
  if (pad > 2 || (clean.length + pad) % 4 !== 0 || clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const a = clean[i] as number;
    const b = clean[i + 1] ?? 0;
    const c = clean[i + 2] ?? 0;
    const d = clean[i + 3] ?? 0;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/**
 * Splits PEM text into the DER of its CERTIFICATE blocks, in order (src/pki/pem.ts). Text
 * between blocks is ignored, a trailing NUL is allowed (tdx.md §4.3: the quote's chain "may end
 * with a NUL"). `baseOffset` is where the text starts in the caller's input, for error offsets.
 * Throws `EvidenceError('BadCertificate')` for a block without its END line or not base64.
 */
export function decodePemCertificates(text: string, baseOffset = 0): Uint8Array[] {
  return withEvidenceErrors(() => pemCertificates(text, baseOffset));
}

/**
 * Decodes hex text (an optional 0x prefix; whitespace anywhere); `null` when it is not hex
 * text of whole bytes.
 */
export function decodeHex(text: string): Uint8Array | null {
  let t = text.replace(/\s+/g, '');
  if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2);
  if (t.length === 0 || t.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(t)) return null;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A non-empty JSON array of byte values, as serde serializes `Vec<u8>` (trustee's evidence
 * JSON); `undefined` for anything else.
 */
export function decodeByteArray(v: unknown): Uint8Array | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) return undefined;
    out[i] = x;
  }
  return out;
}
