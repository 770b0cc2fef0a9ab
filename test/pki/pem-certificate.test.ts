/**
 * PEM (RFC 7468) and certificate loading (src/pki/pem.ts, certificate.ts, fingerprint.ts,
 * validity.ts).
 *
 * Expected values come from outside our code: PEM bodies are built with Node's own base64
 * encoder; fingerprints are the pins documented in spec/snp.md §5 (AMD ARKs) and spec/tdx.md
 * §4.5 / §5.3 (Intel roots) and, for every certificate, Node's `X509Certificate.fingerprint256`
 * (OpenSSL); names, serials and validity periods are compared with what OpenSSL reads through
 * `node:crypto`; the order of `cert_chain` (ASK then ARK) is spec/snp.md §5.
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodePem, pemCertificates } from '../../src/pki/pem.js';
import { commonName, loadCertificate, readCertificates } from '../../src/pki/certificate.js';
import { certificateFingerprint, matchPin } from '../../src/pki/fingerprint.js';
import { validAt, validityPeriod } from '../../src/pki/validity.js';
import { PkiError } from '../../src/pki/errors.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/prng.js';

const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('pki/pem-certificate');

const pkiError = (f: () => unknown): PkiError => {
  try {
    f();
  } catch (e) {
    if (e instanceof PkiError) return e;
    throw e;
  }
  throw new Error('no PkiError');
};

/** SHA-256 of each ARK's DER (spec/snp.md §5). */
const ARK_PINS = {
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  Genoa: '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  Turin: '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
} as const;
/** Intel's production root (spec/tdx.md §4.5 "Trust anchor") and pre-production root (§5.3 table). */
const INTEL_PRODUCTION = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';
const INTEL_PREPRODUCTION = '56b1732d595908e540ad6ecc845e29438dff560c63b83ea90d3b57154858fef3';

/** The lowercase-hex form of Node's colon-separated upper-case fingerprint256. */
const nodeFingerprint = (der: Uint8Array): string => new NodeCertificate(der).fingerprint256.replace(/:/g, '').toLowerCase();

describe('PEM (RFC 7468)', () => {
  it('decodes bodies written by Node’s base64 encoder, in any line layout, skipping text around blocks', () => {
    const rnd = mulberry32(3);
    for (let n = 0; n < 50; n++) {
      const der = new Uint8Array(1 + Math.floor(rnd() * 300)).map(() => Math.floor(rnd() * 256));
      const b64 = Buffer.from(der).toString('base64');
      const width = [64, 76, 16, 1_000][n % 4]!;
      const eol = n % 3 === 0 ? '\r\n' : '\n';
      const lines = b64.match(new RegExp(`.{1,${width}}`, 'g'))!.map((l) => (n % 5 === 0 ? `  ${l}\t` : l));
      const text = `preamble ${n}${eol}-----BEGIN TEST BLOB-----${eol}${lines.join(eol)}${eol}-----END TEST BLOB-----${eol}\0`;
      const [block, ...rest] = decodePem(text, { baseOffset: 100 });
      expect(rest).toEqual([]);
      expect(block!.label).toBe('TEST BLOB');
      expect(Buffer.from(block!.der).toString('base64')).toBe(b64);
      expect(block!.offset).toBe(100 + text.indexOf('-----BEGIN'));
    }
  });

  it('reads several blocks in order, and only the asked label', () => {
    const a = Buffer.from([1, 2, 3]).toString('base64');
    const b = Buffer.from([4, 5]).toString('base64');
    const text = `-----BEGIN CERTIFICATE-----\n${a}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n${b}\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`;
    expect(decodePem(text).map((x) => x.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY', 'CERTIFICATE']);
    expect(pemCertificates(text).map((d) => Array.from(d))).toEqual([[1, 2, 3], [4, 5]]);
    expect(decodePem('no PEM here')).toEqual([]);
  });

  it('a block without its END line, or whose body is not base64 (padding optional, as WHATWG forgiving-base64 / atob reads it), is BadPem at the block', () => {
    const missingEnd = pkiError(() => decodePem('xx-----BEGIN CERTIFICATE-----\nAAAA\n', { baseOffset: 10 }));
    expect(missingEnd).toMatchObject({ code: 'BadPem', offset: 12 });
    expect(missingEnd.message).toMatch(/no END line/);
    // Unpadded bodies read as padded ones (the key readers took them through atob before pki).
    const pem = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(decodePem(pem('AAA')).map((b) => Array.from(b.der))).toEqual(decodePem(pem('AAA=')).map((b) => Array.from(b.der)));
    expect(Array.from(decodePem(pem('AQID'))[0]!.der)).toEqual([1, 2, 3]);
    for (const body of ['!!!!', 'A', 'AAAAA', 'AA=A', 'A===', '']) {
      const e = pkiError(() => decodePem(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`));
      expect(e.code, body).toBe('BadPem');
      expect(e.message).toMatch(/not valid base64/);
    }
  });
});

describeShared('certificates in the shared vectors', () => {
  const snp = (f: string): Uint8Array => sharedBytes(`evidence/snp/${f}`);

  it('cert_chain holds the ASK then the ARK (spec/snp.md §5), as PEM or as concatenated DER', () => {
    const certs = readCertificates(snp('virtee-cert_chain_milan'));
    expect(certs.map((d) => commonName(loadCertificate(d).subject))).toEqual(['SEV-Milan', 'ARK-Milan']);
    const der = new Uint8Array(Buffer.concat(certs));
    expect(readCertificates(der).map(nodeFingerprint)).toEqual(certs.map(nodeFingerprint));
    // Trailing bytes that are not a certificate are an error at their offset.
    const tail = new Uint8Array([...der, 0x04, 0x00]);
    expect(pkiError(() => readCertificates(tail))).toMatchObject({ code: 'BadCertificate', offset: der.length });
    expect(pkiError(() => readCertificates(der, { max: 1 }))).toMatchObject({ code: 'BadCertificate' });
  });

  it.each(['milan', 'genoa', 'turin'] as const)('the %s ARK has its spec/snp.md §5 fingerprint, as OpenSSL computes it too', (p) => {
    const [ark] = readCertificates(snp(`${p}-ark.pem`));
    const product = (p[0]!.toUpperCase() + p.slice(1)) as keyof typeof ARK_PINS;
    expect(certificateFingerprint(ark!)).toBe(ARK_PINS[product]);
    expect(certificateFingerprint(loadCertificate(ark!))).toBe(nodeFingerprint(ark!));
    expect(matchPin(ark!, ARK_PINS)).toEqual({ fingerprint: ARK_PINS[product], pin: product });
  });

  it('Intel roots match their pins by fingerprint, never by name (spec/tdx.md §4.5, §5.3)', () => {
    const pins = { production: INTEL_PRODUCTION, 'pre-production': INTEL_PREPRODUCTION };
    const prod = readCertificates(sharedBytes('evidence/tdx/dcapqvl-TrustedRootCA.der'))[0]!;
    const pre = readCertificates(sharedBytes('evidence/tdx/intel-preproduction-root.pem'))[0]!;
    expect(matchPin(prod, pins).pin).toBe('production');
    expect(matchPin(pre, pins).pin).toBe('pre-production');
    expect(loadCertificate(pre).subject).toBe(loadCertificate(prod).subject);
    expect(matchPin(readCertificates(snp('milan-ark.pem'))[0]!, pins)).toMatchObject({ pin: undefined });
  });

  it('loads the VCEK with serial number 0 (spec/snp.md §5) and reads what OpenSSL reads', () => {
    const der = snp('virtee-vcek_milan.der');
    const cert = loadCertificate(der);
    const node = new NodeCertificate(der);
    expect(BigInt(`0x${cert.serialNumber}`)).toBe(BigInt(`0x${node.serialNumber}`));
    expect(BigInt(`0x${cert.serialNumber}`)).toBe(0n);
    expect(cert.notBefore.getTime()).toBe(new Date(node.validFrom).getTime());
    expect(cert.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
    expect(validityPeriod(cert)).toBe(`${new Date(node.validFrom).toISOString()} to ${new Date(node.validTo).toISOString()}`);
    // RFC 5280 §4.1.2.5: both ends of the period are inside it.
    expect(validAt(cert, cert.notBefore)).toBe(true);
    expect(validAt(cert, cert.notAfter)).toBe(true);
    expect(validAt(cert, new Date(cert.notBefore.getTime() - 1))).toBe(false);
    expect(validAt(cert, new Date(cert.notAfter.getTime() + 1))).toBe(false);
    expect(validAt(cert, new Date(Number.NaN))).toBe(false); // an invalid time is never inside a period
    expect(commonName(cert.subject)).toBe('SEV-VCEK');
  });

  it('bytes that are not a certificate are BadCertificate naming them, with the caller’s offset', () => {
    const e = pkiError(() => loadCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]), { what: 'the ASK', offset: 7 }));
    expect(e).toMatchObject({ code: 'BadCertificate', offset: 7 });
    expect(e.message).toMatch(/^the ASK: not a readable X\.509 certificate/);
    expect(pkiError(() => readCertificates(new Uint8Array(0))).code).toBe('BadCertificate');
    expect(pkiError(() => readCertificates(new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----'))).code).toBe('BadPem');
  });
});
