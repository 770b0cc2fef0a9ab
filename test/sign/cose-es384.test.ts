/**
 * COSE_Sign1 with ES384 besides PS384, the attached (signed-corim) form, and signatures made
 * elsewhere over the Sig_structure we write out (src/sign/cose.ts, src/sign/cose-algorithms.ts).
 *
 * Expected values come from the specifications, not from our output: the algorithm ids ES384
 * = -35 (RFC 9053 §2.1, table 1) and PS384 = -38 (RFC 8230 §2, table 1); the Sig_structure
 * `["Signature1", body_protected, external_aad, payload]` (RFC 9052 §4.4) built here with
 * cbor2; an ES384 signature is r ‖ s, 48 bytes each (RFC 9053 §2.1), which is node:crypto's
 * `dsaEncoding: 'ieee-p1363'`; the signed CoRIM is tag 18 with content type
 * `application/rim+cbor` (draft-ietf-rats-corim §4.2 "Signed CoRIM"). Keys and certificates
 * are made by OpenSSL (the `openssl` command, when installed) and node:crypto, independently
 * of our key readers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject, type webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, Tag } from 'cbor2';
import { x509 } from '../../src/pki/x509.js';
import { CorimError } from '../../src/sign/corim-errors.js';
import { COSE_ALG_ES384, importCoseSigningKey } from '../../src/sign/cose-algorithms.js';
import {
  COSE_ALG_PS384,
  completeCoseSign1,
  decodeCoseSign1,
  encodeCoseSign1,
  prepareCoseSign1,
  readCertificates,
  signCoseSign1,
  signDetachedCoseSign1,
  splitAttachedCoseSign1,
  verifyCoseSign1,
  verifyDetachedCoseSign1,
} from '../../src/sign/cose.js';
import { CORIM_WORKED_EXAMPLE } from '../helpers/corim-example.js';

const DOCUMENT = CORIM_WORKED_EXAMPLE;
const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-es384-'));
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const withOpenssl = HAVE_OPENSSL ? it : it.skip;
if (!HAVE_OPENSSL) console.warn('openssl is not installed: the OpenSSL cross-checks are skipped');

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** RFC 9052 §4.4, built here with cbor2: the bytes a COSE_Sign1 signs. */
function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

const codeOf = async (f: () => Promise<unknown> | unknown): Promise<string> => {
  try {
    await f();
    return 'ok';
  } catch (e) {
    if (e instanceof CorimError) return e.code;
    throw e;
  }
};

interface Signer {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certDer: Uint8Array;
  readonly publicKey: KeyObject;
}

/** A P-384 or RSA key and a self-signed certificate, made by node:crypto and @peculiar/x509. */
async function makeSigner(name: string, kind: 'P-384' | 'RSA' | 'P-256'): Promise<Signer> {
  const params =
    kind === 'RSA'
      ? { name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : { name: 'ECDSA', namedCurve: kind };
  const keys = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: (kind === 'RSA' ? { name: 'RSA-PSS', saltLength: 48 } : { name: 'ECDSA', hash: 'SHA-384' }) as unknown as webcrypto.Algorithm,
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const certDer = new Uint8Array(cert.rawData);
  return {
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    certPem: cert.toString('pem'),
    certDer,
    publicKey: createPublicKey({ key: Buffer.from(new x509.X509Certificate(certDer).publicKey.rawData), format: 'der', type: 'spki' }),
  };
}

let ec: Signer;
let ec2: Signer;
let rsa: Signer;

beforeAll(async () => {
  ec = await makeSigner('CN=es384 signer', 'P-384');
  ec2 = await makeSigner('CN=another es384 signer', 'P-384');
  rsa = await makeSigner('CN=ps384 signer', 'RSA');
});

describe('algorithm ids', () => {
  it('ES384 is -35 (RFC 9053 §2.1) and PS384 is -38 (RFC 8230 §2)', () => {
    expect(COSE_ALG_ES384).toBe(-35);
    expect(COSE_ALG_PS384).toBe(-38);
  });
});

describe('ES384 COSE_Sign1 made by us', () => {
  it('has alg -35 and a 96-byte r‖s signature that node:crypto verifies (ieee-p1363) over the RFC 9052 Sig_structure', async () => {
    const key = await importCoseSigningKey(ec.keyPem);
    expect(key.algorithm).toBe('ES384');
    const env = await signDetachedCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [ec.certDer] });
    const top = decode(env, { ignoreGlobalTags: true, preferMap: true }) as Tag;
    expect(Number(top.tag)).toBe(18);
    const [prot, , payload, sig] = top.contents as [Uint8Array, Map<unknown, unknown>, null, Uint8Array];
    expect(payload).toBeNull();
    expect(sig.length).toBe(96);
    const header = decode(prot, { ignoreGlobalTags: true, preferMap: true }) as Map<number, unknown>;
    expect(header.get(1)).toBe(-35);
    expect(header.get(3)).toBe('application/rim+cbor');
    expect(nodeVerify('sha384', sigStructure(prot, DOCUMENT), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    // The same signature read as DER must not verify: COSE does not use DER (RFC 9053 §2.1).
    expect(nodeVerify('sha384', sigStructure(prot, DOCUMENT), { key: ec.publicKey, dsaEncoding: 'der' }, sig)).toBe(false);
    const v = await verifyDetachedCoseSign1(env, DOCUMENT);
    expect(v).toMatchObject({ valid: true, algorithm: 'ES384', signer: 'CN=es384 signer' });
  });

  it('a changed payload, a changed signature or a changed protected header fails', async () => {
    const key = await importCoseSigningKey(ec.keyPem);
    const env = await signDetachedCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [ec.certDer] });
    for (const at of [0, 150, DOCUMENT.length - 1]) {
      const d = DOCUMENT.slice();
      d[at] = d[at]! ^ 0x01;
      const v = await verifyDetachedCoseSign1(env, d);
      expect(v.valid).toBe(false);
      expect(v.reason).toMatch(/ES384 signature does not verify/);
    }
    const cose = decodeCoseSign1(env);
    const s = cose.signature.slice();
    s[95] = s[95]! ^ 0x01;
    expect((await verifyDetachedCoseSign1(encodeCoseSign1({ ...cose, signature: s }), DOCUMENT)).valid).toBe(false);
    expect((await verifyDetachedCoseSign1(encodeCoseSign1({ ...cose, signature: s.subarray(0, 95) }), DOCUMENT)).valid).toBe(false);
    const header = new Map(cose.protectedHeader);
    header.set(15, new Map([[1, 'someone else']]));
    expect((await verifyDetachedCoseSign1(encodeCoseSign1({ ...cose, protectedBytes: encode(header, { cde: true }), protectedHeader: header }), DOCUMENT)).valid).toBe(false);
  });

  it('the certificate’s key must be the kind the algorithm needs: an RSA certificate with an ES384 header fails, and the other way round', async () => {
    // An ES384 envelope built here with cbor2 and signed by node:crypto, naming an RSA certificate.
    const prot = encode(new Map<number, unknown>([[1, -35], [3, 'application/rim+cbor'], [33, rsa.certDer]]), { cde: true });
    const ecPriv = createPrivateKey(ec.keyPem);
    const sig = nodeSign('sha384', sigStructure(prot, DOCUMENT), { key: ecPriv, dsaEncoding: 'ieee-p1363' });
    const env = encode(new Tag(18, [prot, new Map(), null, new Uint8Array(sig)]));
    const v = await verifyDetachedCoseSign1(env, DOCUMENT);
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/RSA key.*cannot make ES384/);
    // Positive control: the same envelope naming the P-384 certificate verifies.
    const good = encode(new Map<number, unknown>([[1, -35], [3, 'application/rim+cbor'], [33, ec.certDer]]), { cde: true });
    const goodSig = nodeSign('sha384', sigStructure(good, DOCUMENT), { key: ecPriv, dsaEncoding: 'ieee-p1363' });
    expect((await verifyDetachedCoseSign1(encode(new Tag(18, [good, new Map(), null, new Uint8Array(goodSig)])), DOCUMENT)).valid).toBe(true);
    // PS384 naming a P-384 certificate.
    const ps = encode(new Map<number, unknown>([[1, -38], [33, ec.certDer]]), { cde: true });
    const psSig = nodeSign('sha384', sigStructure(ps, DOCUMENT), { key: createPrivateKey(rsa.keyPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
    const r = await verifyDetachedCoseSign1(encode(new Tag(18, [ps, new Map(), null, new Uint8Array(psSig)])), DOCUMENT);
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/P-384 key.*cannot make PS384/);
  });

  it('a P-384 key with an RSA certificate, or with another P-384 certificate, is KeyCertificateMismatch', async () => {
    const key = await importCoseSigningKey(ec.keyPem);
    expect(await codeOf(() => signDetachedCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [rsa.certDer] }))).toBe('KeyCertificateMismatch');
    expect(await codeOf(() => signDetachedCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [ec2.certDer] }))).toBe('KeyCertificateMismatch');
    const rsaKey = await importCoseSigningKey(rsa.keyPem);
    expect(rsaKey.algorithm).toBe('PS384');
    expect(await codeOf(() => signDetachedCoseSign1(DOCUMENT, { privateKey: rsaKey.privateKey, certificates: [ec.certDer] }))).toBe('KeyCertificateMismatch');
  });

  withOpenssl('an ES384 COSE_Sign1 whose signature OpenSSL made (DER, converted to r‖s here) verifies; openssl verifies ours', async () => {
    const keyPath = join(dir, 'openssl-ec.pem');
    const certPath = join(dir, 'openssl-ec.crt');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=openssl es384', '-days', '2']);
    const certDer = readCertificates(readFileSync(certPath))[0]!;
    const prot = encode(new Map<number, unknown>([[1, -35], [3, 'application/rim+cbor'], [15, new Map([[1, 'openssl']])], [33, certDer]]), { cde: true });
    const tbsPath = join(dir, 'openssl.tbs');
    writeFileSync(tbsPath, sigStructure(prot, DOCUMENT));
    const sigPath = join(dir, 'openssl.sig');
    openssl(['dgst', '-sha384', '-sign', keyPath, '-out', sigPath, tbsPath]);
    const der = new Uint8Array(readFileSync(sigPath));
    // DER ECDSA-Sig-Value (RFC 3279 §2.2.3) → two 48-byte big-endian integers.
    const raw = new Uint8Array(96);
    const ints: Uint8Array[] = [];
    for (let i = 2 + (der[1]! & 0x80 ? der[1]! & 0x7f : 0); i < der.length; ) {
      const len = der[i + 1]!;
      ints.push(der.subarray(i + 2, i + 2 + len));
      i += 2 + len;
    }
    expect(ints).toHaveLength(2);
    ints.forEach((v, k) => {
      const t = v[0] === 0 ? v.subarray(1) : v;
      raw.set(t, k * 48 + 48 - t.length);
    });
    const env = encode(new Tag(18, [prot, new Map(), DOCUMENT, raw]));
    expect(await verifyCoseSign1(env)).toMatchObject({ valid: true, algorithm: 'ES384', signer: 'CN=openssl es384' });
    // And our signature with OpenSSL's key (SEC1 or PKCS#8, as openssl wrote it), checked by `openssl dgst -verify`.
    const key = await importCoseSigningKey(readFileSync(keyPath));
    const prepared = prepareCoseSign1(DOCUMENT, { certificates: [certDer] });
    const ours = decodeCoseSign1(await signCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [certDer], attached: true }));
    writeFileSync(tbsPath, prepared.toBeSigned);
    writeFileSync(join(dir, 'pub.pem'), createPublicKey(readFileSync(keyPath)).export({ type: 'spki', format: 'pem' }));
    writeFileSync(sigPath, nodeSignatureToDer(ours.signature));
    const out = execFileSync('openssl', ['dgst', '-sha384', '-verify', join(dir, 'pub.pem'), '-signature', sigPath, tbsPath], { encoding: 'utf8' });
    expect(out).toMatch(/Verified OK/);
  });

  withOpenssl('keys as `openssl ecparam -genkey` writes them (SEC1 with EC PARAMETERS, PEM and DER) sign ES384', async () => {
    const sec1 = join(dir, 'sec1.pem');
    openssl(['ecparam', '-name', 'secp384r1', '-genkey', '-out', sec1]);
    expect(readFileSync(sec1, 'utf8')).toMatch(/BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    const sec1Der = join(dir, 'sec1.der');
    openssl(['ec', '-in', sec1, '-outform', 'DER', '-out', sec1Der]);
    const p8Der = join(dir, 'p8.der');
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', sec1, '-outform', 'DER', '-out', p8Der]);
    const pub = createPublicKey(readFileSync(sec1));
    for (const input of [readFileSync(sec1, 'utf8'), new Uint8Array(readFileSync(sec1Der)), new Uint8Array(readFileSync(p8Der))]) {
      const key = await importCoseSigningKey(input);
      expect(key.algorithm).toBe('ES384');
      const prepared = prepareCoseSign1(DOCUMENT, { certificates: [ec.certDer] });
      const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, key.privateKey, prepared.toBeSigned));
      expect(nodeVerify('sha384', prepared.toBeSigned, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    }
  });
});

/** node:crypto's own r‖s → DER conversion (sign with 'der' is not deterministic, so re-encode by hand per X.690). */
function nodeSignatureToDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): number[] => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const t = [...b.subarray(i)];
    return t[0]! & 0x80 ? [0, ...t] : t;
  };
  const r = int(raw.subarray(0, 48));
  const s = int(raw.subarray(48));
  const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
  return Uint8Array.from([0x30, body.length, ...body]);
}

describe('the attached form (signed CoRIM)', () => {
  it('is #6.18 with the CoRIM as payload; verifies, splits into a detached signature that verifies, and fails when the payload changes', async () => {
    for (const s of [ec, rsa]) {
      const key = await importCoseSigningKey(s.keyPem);
      const env = await signCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [s.certDer], attached: true });
      const top = decode(env, { ignoreGlobalTags: true, preferMap: true }) as Tag;
      expect(Number(top.tag)).toBe(18);
      const [prot, , payload] = top.contents as [Uint8Array, Map<unknown, unknown>, Uint8Array];
      expect(Buffer.from(payload).equals(Buffer.from(DOCUMENT))).toBe(true);
      expect((decode(prot) as Map<number, unknown>).get(3)).toBe('application/rim+cbor');
      const v = await verifyCoseSign1(env);
      expect(v.valid).toBe(true);
      expect(Buffer.from(v.payload!).equals(Buffer.from(DOCUMENT))).toBe(true);
      const parts = splitAttachedCoseSign1(env)!;
      expect((await verifyDetachedCoseSign1(parts.signature, parts.document)).valid).toBe(true);
      // openvmm's rule for the IGVM header: an attached envelope is not a CORIM_SIGNATURE.
      expect((await verifyDetachedCoseSign1(env, DOCUMENT)).valid).toBe(false);
      const cose = decodeCoseSign1(env);
      const tampered = cose.payload!.slice();
      tampered[200] = tampered[200]! ^ 0x01;
      expect((await verifyCoseSign1(encodeCoseSign1({ ...cose, payload: tampered }))).valid).toBe(false);
    }
  });

  it('a detached envelope verifies only with the document given', async () => {
    const key = await importCoseSigningKey(ec.keyPem);
    const env = await signDetachedCoseSign1(DOCUMENT, { privateKey: key.privateKey, certificates: [ec.certDer] });
    expect((await verifyCoseSign1(env)).reason).toMatch(/no document/);
    expect((await verifyCoseSign1(env, DOCUMENT)).valid).toBe(true);
  });
});

describe('signing elsewhere: the Sig_structure out, the signature back', () => {
  it('the bytes to sign are RFC 9052 §4.4’s Sig_structure over the protected header', () => {
    const p = prepareCoseSign1(DOCUMENT, { certificates: [ec.certDer], issuer: 'release' });
    expect(p.algorithm).toBe('ES384');
    expect(Buffer.from(p.toBeSigned).equals(Buffer.from(sigStructure(p.protectedBytes, DOCUMENT)))).toBe(true);
    expect((decode(p.protectedBytes) as Map<number, unknown>).get(1)).toBe(-35);
    expect(prepareCoseSign1(DOCUMENT, { certificates: [rsa.certDer] }).algorithm).toBe('PS384');
  });

  it('ES384: node:crypto signatures, raw r‖s or DER, and WebCrypto ones complete an envelope that verifies', async () => {
    const p = prepareCoseSign1(DOCUMENT, { certificates: [ec.certDer] });
    const priv = createPrivateKey(ec.keyPem);
    const der = new Uint8Array(nodeSign('sha384', p.toBeSigned, { key: priv, dsaEncoding: 'der' }));
    const raw = new Uint8Array(nodeSign('sha384', p.toBeSigned, { key: priv, dsaEncoding: 'ieee-p1363' }));
    for (const sig of [der, raw]) {
      for (const attached of [false, true]) {
        const env = await completeCoseSign1(p, sig, { attached, external: true });
        const v = attached ? await verifyCoseSign1(env) : await verifyDetachedCoseSign1(env, DOCUMENT);
        expect(v.valid).toBe(true);
        const c = decodeCoseSign1(env);
        expect(c.signature.length).toBe(96);
        expect(nodeVerify('sha384', sigStructure(c.protectedBytes, DOCUMENT), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, c.signature)).toBe(true);
      }
    }
  });

  it('PS384: a node:crypto RSA-PSS signature (SHA-384, salt 48) completes an envelope that verifies', async () => {
    const p = prepareCoseSign1(DOCUMENT, { certificates: [rsa.certDer] });
    const sig = new Uint8Array(nodeSign('sha384', p.toBeSigned, { key: createPrivateKey(rsa.keyPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }));
    const env = await completeCoseSign1(p, sig, { attached: false, external: true });
    expect((await verifyDetachedCoseSign1(env, DOCUMENT)).valid).toBe(true);
  });

  it('a signature by another key, over other bytes, or that is no signature, is refused', async () => {
    const p = prepareCoseSign1(DOCUMENT, { certificates: [ec.certDer] });
    const otherKey = createPrivateKey(ec2.keyPem);
    expect(await codeOf(() => completeCoseSign1(p, new Uint8Array(nodeSign('sha384', p.toBeSigned, otherKey)), { attached: false, external: true }))).toBe('SignatureDoesNotVerify');
    // Signed over the bare document instead of the Sig_structure.
    expect(await codeOf(() => completeCoseSign1(p, new Uint8Array(nodeSign('sha384', DOCUMENT, createPrivateKey(ec.keyPem))), { attached: false, external: true }))).toBe('SignatureDoesNotVerify');
    expect(await codeOf(() => completeCoseSign1(p, Uint8Array.of(1, 2, 3), { attached: false, external: true }))).toBe('BadSignature');
    expect(await codeOf(() => completeCoseSign1(prepareCoseSign1(DOCUMENT, { certificates: [rsa.certDer] }), new Uint8Array(0), { attached: false, external: true }))).toBe('BadSignature');
  });
});

describe('importCoseSigningKey', () => {
  it('RSA → PS384, P-384 → ES384; other curves and key types are BadKey naming them', async () => {
    expect((await importCoseSigningKey(rsa.keyPem)).algorithm).toBe('PS384');
    expect((await importCoseSigningKey(new Uint8Array(x509.PemConverter.decodeFirst(rsa.keyPem)))).algorithm).toBe('PS384');
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect((await importCoseSigningKey(sec1)).algorithm).toBe('ES384');
    const p256 = (await makeSigner('CN=p256', 'P-256')).keyPem;
    expect(await codeOf(() => importCoseSigningKey(p256))).toBe('BadKey');
    await expect(importCoseSigningKey(p256)).rejects.toThrow(/P-256.*RSA \(PS384/);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(importCoseSigningKey(ed)).rejects.toThrow(/Ed25519/);
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    await expect(importCoseSigningKey(pkcs1)).rejects.toThrow(/openssl pkcs8 -topk8/);
    expect(await codeOf(() => importCoseSigningKey('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n'))).toBe('BadKey');
    expect(await codeOf(() => importCoseSigningKey(rsa.certPem))).toBe('BadKey');
    expect(await codeOf(() => importCoseSigningKey(new Uint8Array([0x30, 3, 1, 2, 3])))).toBe('BadKey');
  });
});
