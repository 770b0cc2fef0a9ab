/**
 * DER given from outside must be DER: an ECDSA signature brought back for out-of-band signing
 * (`sign --id-signature`) with a non-minimal INTEGER (X.690 §8.3.2: the first nine bits of a
 * multi-octet INTEGER are neither all zero nor all one), an empty INTEGER (§8.3.1) or a
 * non-minimal length (§10.1) is refused; a certificate (RFC 5280 §4.1: DER) with bytes after its
 * SEQUENCE or a length in more octets than it needs is refused, although the X.509 parser alone
 * takes both. The well-formed originals come from WebCrypto and @peculiar/x509.
 */
import type { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { loadCertificate, readCertificates } from '../../src/pki/certificate.js';
import { x509 } from '../../src/pki/x509.js';
import { derSignature, signatureFromDer, signatureFromRaw } from '../../src/sign/signature.js';
import { buildSampleFile } from '../../vectors/samples.js';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe('ECDSA-Sig-Value must be canonical DER (X.690 §8.3, §10.1)', () => {
  const cases: Array<[string, string, RegExp | null]> = [
    ['minimal INTEGERs', '3006 020101 020102', null],
    ['a leading 0x00 that keeps a high bit positive is needed', '3007 02020080 020102', null],
    ['a needless leading 0x00 (first nine bits zero)', '3007 02020001 020102', /needless leading 0x00.*§8\.3\.2/],
    ['a needless leading 0x00 in s', '3008 020101 0203000001', /s is an INTEGER with a needless leading 0x00/],
    ['a needless leading 0xff (first nine bits one)', '3007 0202ff80 020102', /needless leading 0xff|negative/],
    ['an INTEGER with no content octets', '3005 0200 020102', /no content octets.*§8\.3\.1/],
    ['a length in the long form below 128', '308106 020101 020102', /canonical DER/],
    ['an INTEGER length in the long form', '3007 02810101 020102', /canonical DER/],
    ['a trailing byte', '3006 020101 020102 00', /canonical DER/],
  ];
  for (const [name, hex, refused] of cases) {
    it(name, () => {
      if (refused === null) expect(() => signatureFromDer(fromHex(hex))).not.toThrow();
      else expect(() => signatureFromDer(fromHex(hex))).toThrow(refused);
    });
  }

  it('sign --id-signature with a padded INTEGER is refused (exit 1) even though its value verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igvm-io-der-'));
    const igvm = join(dir, 'in.igvm');
    writeFileSync(igvm, buildSampleFile());
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const pub = join(dir, 'id.pub');
    writeFileSync(pub, x509.PemConverter.encode(await crypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY'));
    const tbsPath = join(dir, 'in.tbs');
    const emit = await runCli(['sign', igvm, '--emit-tbs', tbsPath], { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false });
    expect(emit).toBe(0);
    const tbs = new Uint8Array(readFileSync(tbsPath));
    const sig = signatureFromRaw(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, keys.privateKey, tbs)));
    const der = derSignature(sig);
    // The same r with one more (needless) 0x00 in front: r starts at byte 4 (30 LL 02 LL).
    const rLen = der[3]!;
    const padded = cat(Uint8Array.of(0x30, der[1]! + 1, 0x02, rLen + 1, 0x00), der.subarray(4));
    expect(padded.length).not.toBe(96);
    const good = join(dir, 'good.sig');
    const bad = join(dir, 'bad.sig');
    writeFileSync(good, der);
    writeFileSync(bad, padded);
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (s: string) => void (stderr += s), stderrIsTty: false };
    expect(await runCli(['sign', igvm, '-o', join(dir, 'good.igvm'), '--id-signature', good, '--id-public-key', pub], io)).toBe(0);
    expect(await runCli(['sign', igvm, '-o', join(dir, 'bad.igvm'), '--id-signature', bad, '--id-public-key', pub], io)).toBe(1);
    expect(stderr).toMatch(/BadSignature: .*needless leading 0x00/);
  });
});

describe('certificates must be DER outside the signed part too (RFC 5280 §4.1)', () => {
  let der = new Uint8Array(0);
  beforeAll(async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=der test', keys, serialNumber: '01', notBefore: new Date('2026-01-01'), notAfter: new Date('2027-01-01'), signingAlgorithm: alg });
    der = new Uint8Array(cert.rawData);
  });

  /** The certificate with its outer length re-encoded in one more octet than it needs. */
  function longerOuterLength(d: Uint8Array): Uint8Array {
    const n = d[1]! & 0x7f;
    const length = d.subarray(2, 2 + n);
    return cat(Uint8Array.of(0x30, 0x80 | (n + 1), 0x00), length, d.subarray(2 + n));
  }

  it('the well-formed certificate loads', () => {
    expect(() => loadCertificate(der)).not.toThrow();
  });

  it('a byte after the Certificate SEQUENCE is refused (the X.509 parser alone accepts it)', () => {
    const trailing = cat(der, Uint8Array.of(0));
    expect(() => new x509.X509Certificate(trailing)).not.toThrow();
    expect(() => loadCertificate(trailing, { what: '--vcek x' })).toThrow(/--vcek x: not a readable X\.509 certificate \(not DER.*bytes after/);
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(trailing).toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(() => readCertificates(new TextEncoder().encode(pem))).toThrow(/not DER/);
  });

  it('a length in more octets than it needs is refused (the X.509 parser alone accepts it)', () => {
    const longer = longerOuterLength(der);
    expect(() => new x509.X509Certificate(longer)).not.toThrow();
    expect(() => loadCertificate(longer)).toThrow(/more octets than it needs/);
    expect(() => readCertificates(longer)).toThrow(/not DER/);
  });
});
