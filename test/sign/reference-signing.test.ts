/**
 * `igvm-measure reference --format corim` signing: `--sign` with a P-384 key (ES384) as well
 * as RSA (PS384), `--attached` (the CoRIM draft's signed-corim: tag 18 with the CoRIM as
 * payload), and signing elsewhere: `--emit-tbs` writes the COSE Sig_structure, `--signature`
 * brings the signature back (as `sign --emit-tbs` / `--id-signature` do for ID blocks).
 *
 * Independent expectations: the VBS CoRIM with SVN 1 is the 306-byte worked example of
 * spec/vbs-cca-corim.md §3.3; the Sig_structure layout `["Signature1", protected, h'',
 * payload]` is RFC 9052 §4.4, rebuilt here with cbor2; ES384 = -35 with r‖s signatures
 * (RFC 9053 §2.1), checked with node:crypto (`dsaEncoding: 'ieee-p1363'`); PS384 = -38
 * (RFC 8230). Keys and certificates come from the `openssl` command (when installed) and
 * node:crypto; external signatures are made by node:crypto and `openssl dgst`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject, type webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, type Tag } from 'cbor2';
import { parseIgvm } from '../../src/format/index.js';
import { measure } from '../../src/measure/index.js';
import { x509 } from '../../src/pki/x509.js';
import { referenceCommand } from '../../src/cli/reference.js';
import { embedCommand } from '../../src/cli/embed.js';
import { verifyEmbeddedCorim } from '../../src/sign/corim-verify.js';
import { CORIM_WORKED_EXAMPLE } from '../helpers/corim-example.js';
import { openvmmSnpVbsBytes } from '../helpers/openvmm.js';
import { runCommand } from '../helpers/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-reference-signing-'));
const put = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) console.warn('openssl is not installed: P-384 keys come from node:crypto instead');

const OPENVMM = put('openvmm.igvm', openvmmSnpVbsBytes());
/** The VBS CoRIM of the openvmm file with SVN 1 (§3.3). */
const VBS = ['--format', 'corim', '--platform', 'vbs', '--svn', '1'];

interface Signer {
  readonly keyPath: string;
  readonly certPath: string;
  readonly certDer: Uint8Array;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A P-384 key as `openssl ecparam -genkey` writes it (SEC1 with EC PARAMETERS) and a self-signed certificate from `openssl req`. */
async function p384Signer(name: string): Promise<Signer> {
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.crt`);
  if (HAVE_OPENSSL) {
    execFileSync('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-out', keyPath]);
    execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPath, '-sha384', '-out', certPath, '-subj', `/CN=${name}`, '-days', '2'], { stdio: 'ignore' });
  } else {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: `CN=${name}`, keys, serialNumber: '01', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z'), signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } as unknown as webcrypto.Algorithm });
    writeFileSync(keyPath, createPrivateKey({ key: Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' }).export({ type: 'sec1', format: 'pem' }));
    writeFileSync(certPath, cert.toString('pem'));
  }
  const pem = readFileSync(certPath, 'utf8');
  const certDer = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
  const privateKey = createPrivateKey(readFileSync(keyPath));
  return { keyPath, certPath, certDer, privateKey, publicKey: createPublicKey(privateKey) };
}

/** An RSA key (PKCS#8 PEM) and a self-signed certificate, by node:crypto and @peculiar/x509. */
async function rsaSigner(name: string): Promise<Signer> {
  const keys = (await crypto.subtle.generateKey({ name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: `CN=${name}`, keys, serialNumber: '01', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z'), signingAlgorithm: { name: 'RSA-PSS', saltLength: 48 } as webcrypto.Algorithm });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPath = put(`${name}.key.pem`, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  const certPath = put(`${name}.crt`, cert.toString('pem'));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return { keyPath, certPath, certDer: new Uint8Array(cert.rawData), privateKey, publicKey: createPublicKey(privateKey) };
}

/** [protected bstr, unprotected, payload, signature] of a tag-18 COSE_Sign1, decoded with cbor2. */
function coseParts(bytes: Uint8Array): { tag: number; prot: Uint8Array; header: Map<number, unknown>; payload: Uint8Array | null; signature: Uint8Array } {
  const top = decode(bytes, { ignoreGlobalTags: true, preferMap: true }) as Tag;
  const [prot, , payload, signature] = top.contents as [Uint8Array, unknown, Uint8Array | null, Uint8Array];
  return { tag: Number(top.tag), prot, header: decode(prot, { preferMap: true }) as Map<number, unknown>, payload, signature };
}

/** RFC 9052 §4.4. */
const sigStructure = (prot: Uint8Array, payload: Uint8Array): Uint8Array => encode(['Signature1', prot, new Uint8Array(0), payload]);

let ec: Signer;
let rsa: Signer;
beforeAll(async () => {
  ec = await p384Signer('es384-release');
  rsa = await rsaSigner('ps384-release');
});

describe('reference --sign with a P-384 key (ES384)', () => {
  it('writes the CoRIM and a detached ES384 COSE_Sign1 that node:crypto verifies; JSON names the algorithm', async () => {
    const out = join(dir, 'es.cbor');
    const r = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--sign', ec.keyPath, '--cert', ec.certPath, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/openvmm's loader accepts only PS384/);
    const j = JSON.parse(r.stdout) as { corims: { document: string; signature: string; signature_algorithm: string; signed_corim: null }[] };
    expect(j.corims[0]).toMatchObject({ document: out, signature: join(dir, 'es.cose'), signature_algorithm: 'ES384', signed_corim: null });
    expect(same(read(out), CORIM_WORKED_EXAMPLE)).toBe(true);
    const c = coseParts(read(join(dir, 'es.cose')));
    expect(c.tag).toBe(18);
    expect(c.payload).toBeNull();
    expect(c.header.get(1)).toBe(-35);
    expect(c.signature.length).toBe(96);
    expect(same(c.header.get(33) as Uint8Array, ec.certDer)).toBe(true);
    expect(nodeVerify('sha384', sigStructure(c.prot, CORIM_WORKED_EXAMPLE), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, c.signature)).toBe(true);
  });

  it('embeds, and the embedded ES384 signature verifies', async () => {
    const out = join(dir, 'es-embed.cbor');
    expect((await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--sign', ec.keyPath, '--cert', ec.certPath])).code).toBe(0);
    const igvm = join(dir, 'es-embedded.igvm');
    expect((await runCommand(embedCommand, [OPENVMM, '--corim', out, '--corim-signature', join(dir, 'es-embed.cose'), '-o', igvm])).code).toBe(0);
    const file = parseIgvm(read(igvm));
    const checks = await verifyEmbeddedCorim(file, measure(file));
    const sig = checks.filter((c) => c.name === 'corim-signature');
    expect(sig.map((c) => c.ok)).toEqual([true]);
    expect(sig[0]!.detail).toMatch(/ES384/);
  });
});

describe('reference --attached', () => {
  it('writes one signed CoRIM per platform: tag 18, content type application/rim+cbor, the CoRIM as payload (RSA and P-384)', async () => {
    for (const s of [rsa, ec]) {
      const out = join(dir, `attached-${s === rsa ? 'rsa' : 'ec'}.cbor`);
      const r = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--sign', s.keyPath, '--cert', s.certPath, '--attached', '--json']);
      expect(r.code).toBe(0);
      expect(existsSync(out.replace(/\.cbor$/, '.cose'))).toBe(false);
      const j = JSON.parse(r.stdout) as { corims: { document: null; signature: null; signed_corim: string; document_sha256: string }[] };
      expect(j.corims[0]).toMatchObject({ document: null, signature: null, signed_corim: out });
      expect(j.corims[0]!.document_sha256).toBe('419a2032999497118516d93e504f81ec15136aa89bca0f214ee19f0c14e0c197'); // §3.3
      const c = coseParts(read(out));
      expect(c.tag).toBe(18);
      expect(c.header.get(3)).toBe('application/rim+cbor');
      expect(same(c.payload!, CORIM_WORKED_EXAMPLE)).toBe(true);
      const tbs = sigStructure(c.prot, c.payload!);
      const ok =
        s === rsa
          ? nodeVerify('sha384', tbs, { key: s.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, c.signature)
          : nodeVerify('sha384', tbs, { key: s.publicKey, dsaEncoding: 'ieee-p1363' }, c.signature);
      expect(ok).toBe(true);
      expect(c.header.get(1)).toBe(s === rsa ? -38 : -35);
    }
  });

  it('several platforms: one signed CoRIM file each', async () => {
    const out = join(dir, 'both.cbor');
    expect((await runCommand(referenceCommand, [OPENVMM, '--format', 'corim', '-o', out, '--sign', rsa.keyPath, '--cert', rsa.certPath, '--attached'])).code).toBe(0);
    for (const p of ['snp', 'vbs']) {
      expect(coseParts(read(join(dir, `both-${p}.cbor`))).tag).toBe(18);
      expect(existsSync(join(dir, `both-${p}.cose`))).toBe(false);
    }
  });
});

describe('reference --emit-tbs / --signature (signing elsewhere)', () => {
  it('the TBS is RFC 9052’s Sig_structure over the CoRIM; a node:crypto signature (DER) brought back verifies, detached and attached', async () => {
    const out = join(dir, 'hsm.cbor');
    const tbsPath = join(dir, 'hsm.tbs');
    const r = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--emit-tbs', tbsPath, '--issuer', 'release pipeline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Sig_structure/);
    expect(existsSync(join(dir, 'hsm.cose'))).toBe(false);
    expect(same(read(out), CORIM_WORKED_EXAMPLE)).toBe(true);
    const tbs = read(tbsPath);
    const [context, prot, aad, payload] = decode(tbs) as [string, Uint8Array, Uint8Array, Uint8Array];
    expect(context).toBe('Signature1');
    expect(aad.length).toBe(0);
    expect(same(payload, CORIM_WORKED_EXAMPLE)).toBe(true);
    expect(same(tbs, sigStructure(prot, CORIM_WORKED_EXAMPLE))).toBe(true);
    const header = decode(prot, { preferMap: true }) as Map<number, unknown>;
    expect(header.get(1)).toBe(-35);
    expect(header.get(15)).toEqual(new Map([[1, 'release pipeline']]));

    const sigPath = put('hsm.sig', nodeSign('sha384', tbs, { key: ec.privateKey, dsaEncoding: 'der' }));
    const back = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--signature', sigPath, '--issuer', 'release pipeline']);
    expect(back.code).toBe(0);
    const c = coseParts(read(join(dir, 'hsm.cose')));
    expect(same(c.prot, prot)).toBe(true);
    expect(nodeVerify('sha384', tbs, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, c.signature)).toBe(true);

    // Raw r‖s works too, and --attached gives the signed CoRIM.
    const rawPath = put('hsm.raw', nodeSign('sha384', tbs, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    const signed = join(dir, 'hsm-signed.cbor');
    expect((await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', signed, '--cert', ec.certPath, '--signature', rawPath, '--issuer', 'release pipeline', '--attached'])).code).toBe(0);
    const a = coseParts(read(signed));
    expect(same(a.payload!, CORIM_WORKED_EXAMPLE)).toBe(true);
    expect(nodeVerify('sha384', sigStructure(a.prot, a.payload!), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, a.signature)).toBe(true);
  });

  (HAVE_OPENSSL ? it : it.skip)('PS384 with `openssl dgst -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48` over the TBS', async () => {
    const out = join(dir, 'pss.cbor');
    const tbsPath = join(dir, 'pss.tbs');
    expect((await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', rsa.certPath, '--emit-tbs', tbsPath])).code).toBe(0);
    const sigPath = join(dir, 'pss.sig');
    execFileSync('openssl', ['dgst', '-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48', '-sign', rsa.keyPath, '-out', sigPath, tbsPath]);
    const r = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', rsa.certPath, '--signature', sigPath, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { corims: { signature_algorithm: string }[] }).corims[0]!.signature_algorithm).toBe('PS384');
    const c = coseParts(read(join(dir, 'pss.cose')));
    expect(c.header.get(1)).toBe(-38);
    expect(nodeVerify('sha384', read(tbsPath), { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, c.signature)).toBe(true);
  });

  it('a signature that does not verify exits 3 and writes nothing; garbage exits 1', async () => {
    const out = join(dir, 'nope.cbor');
    const tbs = sigStructure(new Uint8Array(0), CORIM_WORKED_EXAMPLE); // not the TBS of this header
    const wrong = put('wrong.sig', nodeSign('sha384', tbs, { key: ec.privateKey, dsaEncoding: 'der' }));
    const r = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--signature', wrong]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SignatureDoesNotVerify/);
    expect(existsSync(out)).toBe(false);
    const junk = await runCommand(referenceCommand, [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--signature', put('junk.sig', Uint8Array.of(1, 2, 3))]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/BadSignature/);
    expect(existsSync(out)).toBe(false);
  });

  it('usage: one CoRIM at a time, --cert needed, --sign excludes the out-of-band options', async () => {
    const out = join(dir, 'usage.cbor');
    const cases = [
      [OPENVMM, '--format', 'corim', '-o', out, '--cert', ec.certPath, '--emit-tbs', join(dir, 'u.tbs')], // two platforms
      [OPENVMM, ...VBS, '-o', out, '--emit-tbs', join(dir, 'u.tbs')], // no --cert
      [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--sign', ec.keyPath, '--signature', join(dir, 'hsm.sig')],
      [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--emit-tbs', join(dir, 'u.tbs'), '--signature', join(dir, 'hsm.sig')],
      [OPENVMM, ...VBS, '-o', out, '--attached'],
      [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath],
      [OPENVMM, '--attached'],
      [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--emit-tbs', out], // the TBS over the CoRIM
      [OPENVMM, ...VBS, '-o', out, '--cert', ec.certPath, '--emit-tbs', OPENVMM], // over FILE
    ];
    for (const args of cases) expect((await runCommand(referenceCommand, args)).code, args.join(' ')).toBe(2);
    expect(existsSync(join(dir, 'u.tbs'))).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(read(OPENVMM).length).toBe(openvmmSnpVbsBytes().length);
  });
});
