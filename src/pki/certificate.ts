/**
 * Loading X.509 certificates (RFC 5280 §4.1) through @peculiar/x509: one DER certificate with a
 * typed error, and certificate inputs as they arrive in evidence and signing options — PEM text
 * with one or more `CERTIFICATE` blocks, or one or more concatenated DER certificates (AMD KDS
 * serves `cert_chain` as PEM; SNP certificate tables and CoRIM x5chain carry DER).
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
