/**
 * PEM text (RFC 7468): the one reader of `-----BEGIN label-----` blocks for every layer
 * (evidence certificates and chains, ID-block keys, CoRIM signer keys and certificates).
 *
 * Parsing is "lax" in RFC 7468 §3's sense, as the readers it replaces were: text around and
 * between blocks is ignored (a TDX quote's chain may end with a NUL, spec/tdx.md §4.3; a PEM may
 * sit in JSON or follow explanatory text) and whitespace anywhere in the body is skipped. The
 * body itself must be strict base64 (RFC 4648 §4, padded). @peculiar/x509's `PemConverter`
 * only matches bodies laid out in newline-terminated lines and silently skips a block that does
 * not match, so a damaged block would read as "no block"; here it is a `PkiError('BadPem')`
 * that says which block is bad.
 */
import { PkiError } from './errors.js';

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, ...) and the DER it holds. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
  /** Where the block's BEGIN line starts, in the caller's input (`baseOffset` added). */
  readonly offset: number;
}

/** Bytes as a string of the same code units (Latin-1), in chunks to stay within call limits. */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return s;
}

/** RFC 7468 §3 labels: printable characters other than the hyphen (and spaces between words). */
const ANY_BEGIN = /-----BEGIN ([\x20-\x2c\x2e-\x7e]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 with whitespace skipped, padding optional (as `atob`, which the key readers used
 * before this module, accepts it); `undefined` when it is not base64 (or is empty).
 */
function base64Body(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\t\n\v\f\r ]+/g, '');
  if (clean.length === 0 || clean.length % 4 === 1 || !BASE64_BODY.test(clean)) return undefined;
  try {
    return Uint8Array.from(atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** How `decodePem` reads. */
export interface PemOptions {
  /** Read only blocks with this label; blocks with other labels are skipped unread. */
  readonly label?: string;
  /** Where `text` starts in the caller's input, for error offsets. */
  readonly baseOffset?: number;
}

/**
 * The blocks of PEM text, in order. A block without its END line, or whose body is not base64,
 * is `PkiError('BadPem')` at the block's offset. Text that holds no block gives `[]`.
 */
export function decodePem(text: string, options: PemOptions = {}): PemBlock[] {
  const base = options.baseOffset ?? 0;
  const out: PemBlock[] = [];
  let at = 0;
  for (;;) {
    let begin: number;
    let label: string;
    let bodyStart: number;
    if (options.label !== undefined) {
      label = options.label;
      const line = `-----BEGIN ${label}-----`;
      begin = text.indexOf(line, at);
      bodyStart = begin + line.length;
    } else {
      ANY_BEGIN.lastIndex = at;
      const m = ANY_BEGIN.exec(text);
      begin = m ? m.index : -1;
      label = m?.[1] ?? '';
      bodyStart = begin + (m?.[0].length ?? 0);
    }
    if (begin < 0) break;
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, bodyStart);
    const noun = `a PEM ${label.toLowerCase()} block`;
    if (end < 0) throw new PkiError('BadPem', `${noun} has no END line`, base + begin);
    const der = base64Body(text.slice(bodyStart, end));
    if (der === undefined) throw new PkiError('BadPem', `${noun} is not valid base64`, base + begin);
    out.push({ label, der, offset: base + begin });
    at = end + endLine.length;
  }
  return out;
}

/**
 * The DER of the `CERTIFICATE` blocks of PEM text, in order (other blocks are skipped).
 * `baseOffset` is where the text starts in the caller's input, for error offsets.
 */
export function pemCertificates(text: string, baseOffset = 0): Uint8Array[] {
  return decodePem(text, { label: 'CERTIFICATE', baseOffset }).map((b) => b.der);
}
