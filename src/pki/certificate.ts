/**
 * Loading X.509 certificates (RFC 5280 §4.1) through @peculiar/x509: one DER certificate with a
 * typed error, and certificate inputs as they arrive in evidence and signing options — PEM text
 * with one or more `CERTIFICATE` blocks, or one or more concatenated DER certificates (AMD KDS
 * serves `cert_chain` as PEM; SNP certificate tables and CoRIM x5chain carry DER). A certificate
 * must be DER (RFC 5280 §4.1), also outside the signed part: definite, minimal lengths (X.690
 * §10.1, §8.1.3.5) that frame every constructed element exactly, and nothing after the
 * Certificate SEQUENCE; the X.509 parser alone would take a BER variant of a valid certificate.
 */
import { x509 } from './x509.js';
import { PkiError, errorMessage } from './errors.js';
import { latin1, pemCertificates } from './pem.js';
import { elementLength, isSequence } from './asn1.js';
import { bytesEqual } from '../format/bytes.js';

/** How `loadCertificate` names the certificate in its error. */
export interface LoadCertificateOptions {
  /** Names the certificate in the error message (default `certificate`). */
  readonly what?: string;
  /** The error's offset: where the certificate starts in the caller's input. */
  readonly offset?: number;
  /**
   * Also decode, now, the fields @peculiar/x509 decodes on first use (names, validity, public
   * key, signature algorithm), so that a certificate it would fail on later is rejected here
   * rather than failing a check (the Intel chain reads them all). Default: the certificate's
   * structure is parsed and the fields are decoded when read.
   */
  readonly eager?: boolean;
}

/**
 * Parsed certificates by input array. Verification looks at the same few certificates many
 * times (classification, extensions, each chain link) and an X.509 parse costs about a
 * millisecond; the entry keeps a copy of the bytes so a caller that reuses its array for other
 * content gets a fresh parse.
 */
const parsedCache = new WeakMap<Uint8Array, { copy: Uint8Array; cert: x509.X509Certificate }>();

/**
 * Parses one DER certificate (RFC 5280 §4.1 structure; with `eager`, also its fields). Throws
 * `PkiError('BadCertificate')` naming `options.what`.
 */
export function loadCertificate(der: Uint8Array, options: LoadCertificateOptions = {}): x509.X509Certificate {
  const notDer = derFramingProblem(der);
  if (notDer !== undefined) {
    throw new PkiError('BadCertificate', `${options.what ?? 'certificate'}: not a readable X.509 certificate (not DER, RFC 5280 §4.1: ${notDer.message} at its byte ${notDer.offset})`, options.offset);
  }
  try {
    const hit = parsedCache.get(der);
    const cert = hit && bytesEqual(hit.copy, der) ? hit.cert : new x509.X509Certificate(der);
    if (cert !== hit?.cert) parsedCache.set(der, { copy: der.slice(), cert });
    if (options.eager) {
      void cert.subject;
      void cert.issuer;
      void cert.notBefore;
      void cert.notAfter;
      void cert.publicKey;
      void cert.signatureAlgorithm;
    }
    return cert;
  } catch (e) {
    throw new PkiError('BadCertificate', `${options.what ?? 'certificate'}: not a readable X.509 certificate (${errorMessage(e)})`, options.offset);
  }
}

/** Deepest nesting walked; X.509 certificates nest about ten levels. */
const MAX_DEPTH = 64;

/**
 * The first place where `der` is not one DER element framed exactly (X.690 §8.1.2–§8.1.3,
 * §10.1): a long-form tag, an indefinite length, a length in more octets than needed or in the
 * long form below 128, a length past its parent, bytes after the element, or constructed
 * contents that are not a whole number of elements. Primitive contents are not looked into.
 */
export function derFramingProblem(der: Uint8Array): { message: string; offset: number } | undefined {
  const walk = (start: number, end: number, depth: number, single: boolean): { message: string; offset: number } | undefined => {
    let at = start;
    while (at < end) {
      if (end - at < 2) return { message: 'a truncated element header', offset: at };
      const tag = der[at]!;
      if ((tag & 0x1f) === 0x1f) return { message: 'a multi-octet tag', offset: at };
      const first = der[at + 1]!;
      let length: number;
      let header: number;
      if (first < 0x80) {
        length = first;
        header = 2;
      } else {
        const n = first & 0x7f;
        if (n === 0) return { message: 'an indefinite length', offset: at + 1 };
        if (n > 4 || end - at < 2 + n) return { message: 'a length that does not fit', offset: at + 1 };
        length = 0;
        for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i]!;
        if (der[at + 2] === 0 || length < 0x80) return { message: 'a length in more octets than it needs', offset: at + 1 };
        header = 2 + n;
      }
      const next = at + header + length;
      if (next > end) return { message: 'an element longer than what holds it', offset: at };
      if ((tag & 0x20) !== 0) {
        if (depth >= MAX_DEPTH) return { message: `elements nested deeper than ${MAX_DEPTH}`, offset: at };
        const inner = walk(at + header, next, depth + 1, false);
        if (inner !== undefined) return inner;
      }
      at = next;
      if (single && at < end) return { message: `${end - at} bytes after the certificate's SEQUENCE`, offset: at };
    }
    return undefined;
  };
  if (der[0] !== 0x30) return { message: 'not a SEQUENCE', offset: 0 };
  return walk(0, der.length, 0, true);
}

/** How many certificates `readCertificates` reads from one input unless told otherwise. */
export const MAX_CERTIFICATES = 16;

/** How `readCertificates` reads. */
export interface ReadCertificatesOptions {
  /** The most certificates accepted (default `MAX_CERTIFICATES`; an AMD chain has at most four). */
  readonly max?: number;
}

/**
 * Splits a certificate input into DER certificates, in order: PEM text with one or more
 * `CERTIFICATE` blocks (other PEM blocks are skipped; PEM is recognised by a BEGIN line in the
 * first MiB), or one or more concatenated DER certificates. Every certificate is parsed once
 * to make sure it can be read. Throws `PkiError` (`BadCertificate`, or `BadPem` for a damaged
 * PEM block) with the offset in `input`.
 */
export function readCertificates(input: Uint8Array, options: ReadCertificatesOptions = {}): Uint8Array[] {
  const max = options.max ?? MAX_CERTIFICATES;
  const out: Uint8Array[] = [];
  const text = latin1(input.subarray(0, Math.min(input.length, 1 << 20)));
  if (text.includes('-----BEGIN')) {
    for (const der of pemCertificates(text)) {
      if (out.length >= max) throw new PkiError('BadCertificate', `more than ${max} certificates in one PEM input`, 0);
      loadCertificate(der, { what: `PEM certificate ${out.length + 1}`, offset: 0 });
      out.push(der);
    }
    if (out.length === 0) throw new PkiError('BadCertificate', 'the PEM input holds no CERTIFICATE block', 0);
    return out;
  }
  let at = 0;
  while (at < input.length) {
    // The certificate's extent from its header; a damaged inside is then the parser's to report.
    const rest = input.subarray(at);
    const length = isSequence(rest) ? elementLength(rest) : undefined;
    if (length === undefined) {
      throw new PkiError('BadCertificate', 'not a PEM or DER certificate (no DER SEQUENCE here)', at);
    }
    if (out.length >= max) throw new PkiError('BadCertificate', `more than ${max} DER certificates`, at);
    const der = input.slice(at, at + length);
    loadCertificate(der, { what: `DER certificate ${out.length + 1}`, offset: at });
    out.push(der);
    at += length;
  }
  if (out.length === 0) throw new PkiError('BadCertificate', 'empty certificate input', 0);
  return out;
}

/** The CN of a distinguished name string (as @peculiar/x509 renders it), or the whole name. */
export function commonName(name: string): string {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(name);
  return m?.[1] ?? name;
}
