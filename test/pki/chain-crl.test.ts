/**
 * Signatures, the chain walker and CRLs (src/pki/signature.ts, chain.ts, crl.ts).
 *
 * Which certificate names which as its issuer, and whether its signature verifies, is
 * cross-checked with OpenSSL through `node:crypto` (`issuer`/`subject`, `verify`); the algorithms are the ones
 * spec/snp.md §5 (RSASSA-PSS/SHA-384/salt 48, EC P-384 VCEK key) and spec/tdx.md §4.4 (ECDSA
 * P-256/SHA-256) name. The CRLs are Intel's, from dcap-qvl's collateral for its sample quote
 * (spec/tdx.md §5.1): the root CA CRL is issued by the Intel SGX Root CA and the PCK CRL by the
 * certificate Intel's PCS serves as `pck_crl_issuer_chain` (spec/tdx.md §4.5); dcap-qvl accepts
 * that quote with that collateral, so neither its PCK certificate nor its CA is revoked.
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadCertificate, readCertificates, commonName } from '../../src/pki/certificate.js';
import { checkSignature, publicKeyAlgorithmOf, signatureAlgorithmOf } from '../../src/pki/signature.js';
import { checkLink, walkChain } from '../../src/pki/chain.js';
import { crlExpiredAt, crlSignedBy, isRevoked, parseCrl } from '../../src/pki/crl.js';
import { PkiError } from '../../src/pki/errors.js';
import { x509 } from '../../src/pki/x509.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice, whenShared } from '../helpers/shared.js';

const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('pki/chain-crl');
const node = (c: x509.X509Certificate): NodeCertificate => new NodeCertificate(new Uint8Array(c.rawData));

describeShared('the AMD Milan chain (spec/snp.md §5)', () => {
  const [ask, ark] = whenShared(() => readCertificates(sharedBytes('evidence/snp/virtee-cert_chain_milan')).map((d) => loadCertificate(d))) ?? [];
  const vcek = whenShared(() => loadCertificate(sharedBytes('evidence/snp/virtee-vcek_milan.der')));

  it('every link is RSASSA-PSS/SHA-384/salt 48; the VCEK key is EC P-384', () => {
    for (const c of [vcek, ask!, ark!]) expect(signatureAlgorithmOf(c)).toEqual({ name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 });
    expect(publicKeyAlgorithmOf(vcek)).toEqual({ name: 'ECDSA', namedCurve: 'P-384' });
  });

  it('walks VCEK → ASK → ARK as OpenSSL does', async () => {
    const walk = await walkChain([vcek, ask, ark], { pins: { Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd' } });
    const pairs: Array<[x509.X509Certificate, x509.X509Certificate]> = [[vcek, ask!], [ask!, ark!], [ark!, ark!]];
    walk.links.forEach((l, i) => {
      const [c, p] = pairs[i]!;
      expect(l).toMatchObject({ issuerNameMatches: node(c).issuer === node(p).subject, signatureVerifies: node(c).verify(node(p).publicKey), signatureError: undefined });
      expect(l!.signatureVerifies).toBe(true);
      expect(l!.validAt).toBeUndefined();
    });
    expect(walk.links.map((l) => l!.isCa)).toEqual([node(vcek).ca, node(ask!).ca, node(ark!).ca]);
    expect(walk.root).toMatchObject({ pin: 'Milan', certificate: ark });
  });

  it('a wrong issuer fails as OpenSSL says; a missing certificate leaves its links unmade', async () => {
    const wrong = await checkLink(vcek, ark!);
    expect(wrong.issuerNameMatches).toBe(node(vcek).issuer === node(ark!).subject);
    expect(wrong.signatureVerifies).toBe(node(vcek).verify(node(ark!).publicKey));
    expect(wrong.signatureVerifies).toBe(false);
    const gap = await walkChain([vcek, undefined, ark]);
    expect(gap.links[0]).toMatchObject({ issuer: undefined, signatureVerifies: false, issuerNameMatches: false });
    expect(gap.links[1]).toBeUndefined();
    expect(gap.links[2]!.signatureVerifies).toBe(true);
    const anchored = await walkChain([vcek, ask], { checkRootSignature: false });
    expect(anchored.links[1]).toBeUndefined();
    expect(anchored.root?.pin).toBeUndefined();
  });

  it('a signature that cannot be checked says why (an ARK checked with the VCEK’s EC key)', async () => {
    const r = await checkSignature(ark!, vcek);
    expect(r.verifies).toBe(false);
    expect(r.error).toBeTruthy();
  });
});

describeShared('the Intel PCK chain and CRLs (spec/tdx.md §4.4–§4.5)', () => {
  const DIR = 'evidence/tdx';
  // vitest runs a skipped suite's body to collect it: read the fixtures only when they exist.
  if (!HAVE_SHARED) {
    it.skip('needs the shared vectors', () => {});
    return;
  }
  const [pck, ca, root] = loadTdxEvidence(sharedBytes(`${DIR}/dcapqvl-tdx_quote`)).quote!.pckChainDer.map((d) => loadCertificate(d));
  const collateral = sharedJson<Record<string, string>>(`${DIR}/dcapqvl-tdx_quote_collateral.json`);
  const rootCrl = parseCrl(new Uint8Array(Buffer.from(collateral.root_ca_crl!, 'hex')));
  const pckCrl = parseCrl(new Uint8Array(Buffer.from(collateral.pck_crl!, 'hex')));
  const pckCrlIssuer = loadCertificate(readCertificates(new TextEncoder().encode(collateral.pck_crl_issuer_chain!))[0]!);

  it('ECDSA P-256 with SHA-256 throughout; validity at a time as OpenSSL reads it', async () => {
    for (const c of [pck!, ca!, root!]) {
      expect(signatureAlgorithmOf(c)).toMatchObject({ name: 'ECDSA', hash: 'SHA-256' });
      expect(publicKeyAlgorithmOf(c)).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
    }
    const at = new Date(node(pck!).validFrom);
    const walk = await walkChain([pck, ca, root], { at });
    expect(walk.links.map((l) => [l!.issuerNameMatches, l!.signatureVerifies, l!.validAt])).toEqual([
      [true, true, true],
      [true, true, true],
      [true, true, true],
    ]);
    const late = await walkChain([pck, ca, root], { at: new Date(new Date(node(pck!).validTo).getTime() + 1000) });
    expect(late.links[0]!.validAt).toBe(false);
  });

  it('the root CA CRL is the root’s, the PCK CRL is its issuer’s, and not the other way round', async () => {
    expect(commonName(rootCrl.issuer)).toBe('Intel SGX Root CA');
    expect(await crlSignedBy(rootCrl, root!)).toBe(true);
    expect(await crlSignedBy(pckCrl, pckCrlIssuer)).toBe(true);
    expect(pckCrlIssuer.subject).toBe(ca!.subject);
    expect(await crlSignedBy(pckCrl, root!)).toBe(false);
    expect(await crlSignedBy(rootCrl, ca!)).toBe(false);
  });

  it('neither the PCK certificate nor its CA is revoked; a certificate with a listed serial is', async () => {
    expect(isRevoked(rootCrl, ca!)).toBe(false);
    expect(isRevoked(pckCrl, pck!)).toBe(false);
    const listed = pckCrl.entries[0];
    if (!listed) return;
    // A throwaway certificate that carries a serial number the PCK CRL lists, under the CRL's issuer name.
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as { privateKey: never; publicKey: never };
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: listed.serialNumber,
      issuer: pckCrl.issuer,
      subject: 'CN=listed',
      notBefore: new Date('2020-01-01'),
      notAfter: new Date('2030-01-01'),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
    });
    expect(isRevoked(pckCrl, cert)).toBe(true);
  });

  it('a CRL is expired only after its nextUpdate (RFC 5280 §5.1.2.5)', () => {
    const next = rootCrl.nextUpdate!;
    expect(crlExpiredAt(rootCrl, next)).toBe(false);
    expect(crlExpiredAt(rootCrl, new Date(next.getTime() + 1000))).toBe(true);
    expect(crlExpiredAt(rootCrl, rootCrl.thisUpdate)).toBe(false);
  });

  it('bytes that are not a CRL are BadCrl', () => {
    let err: unknown;
    try {
      parseCrl(new Uint8Array([0x30, 0x03, 1, 2, 3]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PkiError);
    expect(err).toMatchObject({ code: 'BadCrl' });
    expect((err as Error).message).toMatch(/^not a readable CRL \(/);
  });
});
