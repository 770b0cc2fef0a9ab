/**
 * COSE_Sign1 with a detached payload, PS384 (spec/vbs-cca-corim.md §3.4; RFC 9052 §4.2/§4.4).
 * Keys and certificates are made here with WebCrypto and @peculiar/x509. The independent
 * check is node:crypto's RSA-PSS verify over a Sig_structure built here with cbor2 (§3.5),
 * not through our code.
 */
import { X509Certificate, constants, createPublicKey, verify as nodeVerify, type webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, Tag } from 'cbor2';
import { x509 } from '../../src/pki/x509.js';
import { CorimError } from '../../src/sign/corim-errors.js';
import {
  COSE_ALG_PS384,
  CORIM_CONTENT_TYPE,
  certificateChainTrusted,
  decodeCoseSign1,
  encodeCoseSign1,
  importRsaPrivateKey,
  readCertificates,
  sigStructure1,
  signDetachedCoseSign1,
  splitAttachedCoseSign1,
  verifyDetachedCoseSign1,
  type RsaCryptoKey,
} from '../../src/sign/cose.js';
import { CORIM_WORKED_EXAMPLE } from '../helpers/corim-example.js';


/** The 306-byte worked example of vbs-cca-corim.md §3.3: the payload signed here. */
const DOCUMENT = CORIM_WORKED_EXAMPLE;

const RSA_PSS_384 = { name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

interface Signer {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly certDer: Uint8Array;
  readonly keyPem: string;
  readonly certPem: string;
}

/**
 * An RSA-2048 key and a certificate for it, self-signed or issued by `issuer` (as openvmm's
 * helper, §3.4). Self-signed ones are CAs (basicConstraints cA), issued ones are not unless `ca`.
 */
async function makeSigner(name: string, issuer?: Signer, ca = issuer === undefined): Promise<Signer> {
  const keys = (await crypto.subtle.generateKey(RSA_PSS_384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const common = {
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: { name: 'RSA-PSS', saltLength: 48 } as webcrypto.Algorithm,
    extensions: ca ? [new x509.BasicConstraintsExtension(true, undefined, true)] : [],
  };
  const cert =
    issuer === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject: name,
          issuer: new x509.X509Certificate(issuer.certDer).subject,
          publicKey: keys.publicKey,
          signingKey: issuer.keys.privateKey,
        });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keys, certDer: new Uint8Array(cert.rawData), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem') };
}

let signer: Signer;
let other: Signer;
let signingKey: RsaCryptoKey;
let envelope: Uint8Array;

beforeAll(async () => {
  signer = await makeSigner('CN=igvm-measure test signer');
  other = await makeSigner('CN=igvm-measure other signer');
  signingKey = await importRsaPrivateKey(signer.keyPem);
  envelope = await signDetachedCoseSign1(DOCUMENT, { privateKey: signingKey, certificates: readCertificates(signer.certPem), issuer: 'igvm-measure tests' });
});

/** node:crypto's PS384 verify of `signature` over a Sig_structure built here with cbor2. */
function independentVerify(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array, certDer: Uint8Array): boolean {
  const tbs = encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const spki = new Uint8Array(new x509.X509Certificate(certDer).publicKey.rawData);
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return nodeVerify('sha384', tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature);
}

describe('a COSE_Sign1 we make (§3.4)', () => {
  it('is #6.18([protected, {}, nil, signature]) with alg -38, content type, CWT iss and x5chain', () => {
    const top = decode(envelope, { ignoreGlobalTags: true, preferMap: true }) as Tag;
    expect(Number(top.tag)).toBe(18);
    const [prot, unprot, payload, sig] = top.contents as [Uint8Array, Map<unknown, unknown>, null, Uint8Array];
    expect(payload).toBeNull();
    expect(unprot.size).toBe(0);
    expect(sig.length).toBe(256); // RSA-2048
    const header = decode(prot, { ignoreGlobalTags: true, preferMap: true }) as Map<number, unknown>;
    expect([...header.keys()]).toEqual([1, 3, 15, 33]); // deterministic order
    expect(header.get(1)).toBe(-38);
    expect(header.get(3)).toBe('application/rim+cbor');
    expect(header.get(15)).toEqual(new Map([[1, 'igvm-measure tests']]));
    expect(Buffer.from(header.get(33) as Uint8Array).equals(Buffer.from(signer.certDer))).toBe(true);
  });

  it('verifies under node:crypto (RSA-PSS, SHA-384, salt 48) over the Sig_structure of RFC 9052 §4.4', () => {
    const cose = decodeCoseSign1(envelope);
    expect(independentVerify(cose.protectedBytes, DOCUMENT, cose.signature, signer.certDer)).toBe(true);
    expect(Buffer.from(sigStructure1(cose.protectedBytes, DOCUMENT)).equals(Buffer.from(encode(['Signature1', cose.protectedBytes, new Uint8Array(0), DOCUMENT])))).toBe(true);
  });

  it('verifies under ours, naming the signer', async () => {
    const v = await verifyDetachedCoseSign1(envelope, DOCUMENT);
    expect(v.valid).toBe(true);
    expect(v.signer).toBe('CN=igvm-measure test signer');
    expect(v.certificates).toHaveLength(1);
  });

  it('fails after any single byte of the payload changes (all 306 positions)', async () => {
    const failures: number[] = [];
    for (let i = 0; i < DOCUMENT.length; i++) {
      const changed = DOCUMENT.slice();
      changed[i] = changed[i]! ^ 0x01;
      const v = await verifyDetachedCoseSign1(envelope, changed);
      if (v.valid) failures.push(i);
      else expect(v.reason).toContain('does not verify');
    }
    expect(failures).toEqual([]);
  });

  it('fails for a payload one byte shorter or longer, or a different signature or protected header', async () => {
    expect((await verifyDetachedCoseSign1(envelope, DOCUMENT.subarray(0, 305))).valid).toBe(false);
    expect((await verifyDetachedCoseSign1(envelope, Uint8Array.of(...DOCUMENT, 0))).valid).toBe(false);
    const cose = decodeCoseSign1(envelope);
    for (const at of [0, 100, 255]) {
      const sig = cose.signature.slice();
      sig[at] = sig[at]! ^ 0x80;
      expect((await verifyDetachedCoseSign1(encodeCoseSign1({ ...cose, signature: sig }), DOCUMENT)).valid).toBe(false);
    }
    // The same header re-encoded with another issuer: the signature covers the protected bytes.
    const header = new Map(cose.protectedHeader);
    header.set(15, new Map([[1, 'someone else']]));
    const prot = encode(header, { cde: true });
    expect((await verifyDetachedCoseSign1(encodeCoseSign1({ ...cose, protectedBytes: prot, protectedHeader: header }), DOCUMENT)).valid).toBe(false);
  });

  it('the default issuer is the certificate subject; a chain goes in as an array', async () => {
    const leaf = await makeSigner('CN=leaf', signer);
    const key = await importRsaPrivateKey(leaf.keyPem);
    const env = await signDetachedCoseSign1(DOCUMENT, { privateKey: key, certificates: [leaf.certDer, signer.certDer] });
    const cose = decodeCoseSign1(env);
    expect(cose.protectedHeader.get(15)).toEqual(new Map([[1, 'CN=leaf']]));
    expect(Array.isArray(cose.protectedHeader.get(33))).toBe(true);
    const v = await verifyDetachedCoseSign1(env, DOCUMENT);
    expect(v.valid).toBe(true);
    expect(v.certificates).toHaveLength(2);
    expect(v.signer).toBe('CN=leaf');
  });
});

describe('openvmm’s verification policy (§3.4)', () => {
  /** Our envelope with its protected header changed and re-signed with the signer's key. */
  async function resigned(edit: (h: Map<unknown, unknown>) => void, payload: Uint8Array | null = null): Promise<Uint8Array> {
    const cose = decodeCoseSign1(envelope);
    const header = new Map(cose.protectedHeader);
    edit(header);
    const prot = encode(header, { cde: true });
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 48 }, signer.keys.privateKey, encode(['Signature1', prot, new Uint8Array(0), DOCUMENT])));
    return encodeCoseSign1({ protectedBytes: prot, protectedHeader: header, unprotectedHeader: new Map(), payload, signature: sig });
  }

  it('only PS384', async () => {
    const v = await verifyDetachedCoseSign1(await resigned((h) => h.set(1, -37)), DOCUMENT);
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/PS384/);
    expect((await verifyDetachedCoseSign1(await resigned((h) => h.delete(1)), DOCUMENT)).reason).toMatch(/no algorithm/);
  });

  it('content type, when present, is application/rim+cbor', async () => {
    expect((await verifyDetachedCoseSign1(await resigned((h) => h.set(3, 'application/cbor')), DOCUMENT)).valid).toBe(false);
    expect((await verifyDetachedCoseSign1(await resigned((h) => h.delete(3)), DOCUMENT)).valid).toBe(true);
    expect(CORIM_CONTENT_TYPE).toBe('application/rim+cbor');
    expect(COSE_ALG_PS384).toBe(-38);
  });

  it('the certificate may come from x5bag (32) when there is no x5chain', async () => {
    const env = await resigned((h) => {
      h.set(32, h.get(33));
      h.delete(33);
    });
    expect((await verifyDetachedCoseSign1(env, DOCUMENT)).valid).toBe(true);
    const none = await resigned((h) => h.delete(33));
    expect((await verifyDetachedCoseSign1(none, DOCUMENT)).reason).toMatch(/no signer certificate/);
  });

  it('the payload must be detached; an attached envelope splits into document + detached signature', async () => {
    const attached = await resigned(() => {}, DOCUMENT);
    expect((await verifyDetachedCoseSign1(attached, DOCUMENT)).valid).toBe(false);
    const parts = splitAttachedCoseSign1(attached)!;
    expect(Buffer.from(parts.document).equals(Buffer.from(DOCUMENT))).toBe(true);
    expect(decodeCoseSign1(parts.signature).payload).toBeNull();
    expect((await verifyDetachedCoseSign1(parts.signature, parts.document)).valid).toBe(true);
    expect(splitAttachedCoseSign1(envelope)).toBeUndefined();
  });

  it('another signer’s certificate in x5chain makes the signature fail', async () => {
    const env = await resigned((h) => h.set(33, other.certDer));
    expect((await verifyDetachedCoseSign1(env, DOCUMENT)).valid).toBe(false);
  });
});

describe('keys, certificates and malformed envelopes', () => {
  const codeOf = async (f: () => Promise<unknown> | unknown): Promise<string> => {
    try {
      await f();
      return 'ok';
    } catch (e) {
      if (e instanceof CorimError) return e.code;
      throw e;
    }
  };

  it('a key that is not the certificate’s is refused before anything is written', async () => {
    const key = await importRsaPrivateKey(other.keyPem);
    expect(await codeOf(() => signDetachedCoseSign1(DOCUMENT, { privateKey: key, certificates: [signer.certDer] }))).toBe('KeyCertificateMismatch');
  });

  it('PKCS#1, encrypted, EC and garbage keys are BadKey with a hint', async () => {
    expect(await codeOf(() => importRsaPrivateKey('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n'))).toBe('BadKey');
    await expect(importRsaPrivateKey('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n')).rejects.toThrow(/openssl pkcs8 -topk8/);
    expect(await codeOf(() => importRsaPrivateKey('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n'))).toBe('BadKey');
    const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const ecPem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', ec.privateKey), 'PRIVATE KEY');
    expect(await codeOf(() => importRsaPrivateKey(ecPem))).toBe('BadKey');
    expect(await codeOf(() => importRsaPrivateKey(new Uint8Array([1, 2, 3])))).toBe('BadKey');
    // DER PKCS#8 works as well as PEM.
    expect(await codeOf(() => importRsaPrivateKey(new Uint8Array(x509.PemConverter.decodeFirst(signer.keyPem))))).toBe('ok');
  });

  it('certificates: PEM or DER; anything else is BadCertificate', () => {
    expect(readCertificates(signer.certPem)).toHaveLength(1);
    expect(readCertificates(signer.certDer)).toHaveLength(1);
    expect(() => readCertificates('not a certificate')).toThrow(CorimError);
  });

  it('malformed envelopes are BadCbor / BadCoseSign1, never another error', async () => {
    expect(await codeOf(() => verifyDetachedCoseSign1(envelope.subarray(0, 50), DOCUMENT))).toBe('BadCbor');
    expect(await codeOf(() => verifyDetachedCoseSign1(encode(new Tag(18, [1, 2, 3])), DOCUMENT))).toBe('BadCoseSign1');
    expect(await codeOf(() => verifyDetachedCoseSign1(encode(new Tag(98, [])), DOCUMENT))).toBe('BadCoseSign1');
    expect(await codeOf(() => verifyDetachedCoseSign1(encode([new Uint8Array([0xff]), new Map(), null, new Uint8Array(1)]), DOCUMENT))).toBe('BadCbor');
    // Every truncation, and a flipped byte at every 7th position of the envelope.
    for (let n = 0; n < envelope.length; n += 13) await codeOf(() => verifyDetachedCoseSign1(envelope.subarray(0, n), DOCUMENT));
    for (let i = 0; i < envelope.length; i += 7) {
      const b = envelope.slice();
      b[i] = b[i]! ^ 0xff;
      await codeOf(() => verifyDetachedCoseSign1(b, DOCUMENT));
    }
  });
});

describe('certificateChainTrusted', () => {
  it('the signer itself, or a chain to a trusted certificate; not another one', async () => {
    expect((await certificateChainTrusted([signer.certDer], [signer.certDer])).trusted).toBe(true);
    expect((await certificateChainTrusted([signer.certDer], [other.certDer])).trusted).toBe(false);
    const leaf = await makeSigner('CN=leaf', signer);
    expect((await certificateChainTrusted([leaf.certDer], [signer.certDer])).trusted).toBe(true); // anchor not in the chain
    expect((await certificateChainTrusted([leaf.certDer, signer.certDer], [signer.certDer])).trusted).toBe(true);
    expect((await certificateChainTrusted([leaf.certDer], [other.certDer])).trusted).toBe(false);
    // A chain whose link is broken: leaf "issued by" other.
    expect((await certificateChainTrusted([leaf.certDer, other.certDer], [other.certDer])).trusted).toBe(false);
  });

  it('only a CA issues: a certificate signed by an end-entity certificate is not trusted (RFC 5280 §6.1.4 (k); OpenSSL refuses it as X509_V_ERR_INVALID_CA)', async () => {
    const leaf = await makeSigner('CN=leaf', signer); // cA false
    const forged = await makeSigner('CN=forged', leaf);
    // OpenSSL (node:crypto) agrees the links are signed, so only the CA rule can refuse them.
    expect(new X509Certificate(Buffer.from(forged.certDer)).verify(new X509Certificate(Buffer.from(leaf.certDer)).publicKey)).toBe(true);
    expect(new X509Certificate(Buffer.from(leaf.certDer)).ca).toBe(false);
    const inChain = await certificateChainTrusted([forged.certDer, leaf.certDer], [signer.certDer]);
    expect(inChain.trusted).toBe(false);
    expect(inChain.detail).toContain('not a CA');
    expect((await certificateChainTrusted([forged.certDer, leaf.certDer], [leaf.certDer])).trusted).toBe(false); // a trusted leaf issues nothing
    expect((await certificateChainTrusted([forged.certDer], [leaf.certDer])).trusted).toBe(false);
    // Positive control: the same shape with an intermediate that is a CA holds.
    const intermediate = await makeSigner('CN=intermediate', signer, true);
    const signed = await makeSigner('CN=signed', intermediate);
    expect((await certificateChainTrusted([signed.certDer, intermediate.certDer], [signer.certDer])).trusted).toBe(true);
  });
});
