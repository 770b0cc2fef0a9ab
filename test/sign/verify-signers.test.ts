/**
 * `igvm-measure verify` on the signers of a file: `--trusted-cert` for CoRIM signers (the
 * chain check is made only with it, never passed without it), `--require-signature`, signed
 * CoRIMs (attached payload) inside the IGVM headers, and the structured JSON fields (the ld an
 * ID block carries and the launch digest expected, the ID / author key digests).
 *
 * Independent expectations: the launch digests of openvmm's test pattern (spec/snp.md §2.4,
 * spec/vbs-cca-corim.md §1.4, test/helpers/openvmm.ts); the key digests as spec/snp.md §3.2
 * defines them (SHA-384 over AMD's 0x404-byte layout, assembled here by hand from the key's
 * JWK); certificate chains made by the `openssl` command, whose `openssl verify` verdict is
 * the cross-check of ours.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, type webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesData, parseIgvm, serializeIgvm, type IgvmFile } from '../../src/format/index.js';
import { x509 } from '../../src/pki/x509.js';
import { referenceCommand } from '../../src/cli/reference.js';
import { embedCommand } from '../../src/cli/embed.js';
import { signCommand } from '../../src/cli/sign.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { buildLaunchMeasurementCorim } from '../../src/sign/corim.js';
import { importCoseSigningKey } from '../../src/sign/cose-algorithms.js';
import { decodeCoseSign1, encodeCoseSign1, signCoseSign1 } from '../../src/sign/cose.js';
import { OPENVMM_DIGESTS, openvmmSnpVbsBytes } from '../helpers/openvmm.js';
import { runCommand } from '../helpers/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-verify-signers-'));
const put = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) console.warn('openssl is not installed: the OpenSSL certificate chain cases are skipped');
const withOpenssl = HAVE_OPENSSL ? it : it.skip;

const verify = (args: string[]) => runCommand(verifyCommand, args);
const OPENVMM_BYTES = openvmmSnpVbsBytes();
const OPENVMM = put('openvmm.igvm', OPENVMM_BYTES);

interface Json {
  checks: { name: string; ok: boolean | null; detail: string; expected?: string; actual?: string }[];
  ok: boolean;
  id_blocks: Record<string, unknown>[];
  corims: { compatibility_mask: number; platform_type: string | null; svn: number | null; reference_digest: string | null; attached: boolean; signatures: { valid: boolean; algorithm: string | null; signer: string | null; signer_trusted: boolean | null }[] }[];
}
const parse = (stdout: string): Json => JSON.parse(stdout) as Json;
const okOf = (j: Json, name: string): (boolean | null)[] => j.checks.filter((c) => c.name === name).map((c) => c.ok);

/** A P-384 key and self-signed certificate made by node:crypto and @peculiar/x509. */
async function selfSigned(name: string): Promise<{ keyPath: string; certPath: string; certDer: Uint8Array }> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } as unknown as webcrypto.Algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPath: put(`${name}.key`, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')), certPath: put(`${name}.crt`, cert.toString('pem')), certDer: new Uint8Array(cert.rawData) };
}

/** reference --sign for both platforms, then embed both: the signed IGVM file. */
async function signedFile(name: string, keyPath: string, certPath: string): Promise<string> {
  const base = join(dir, `${name}.cbor`);
  const r = await runCommand(referenceCommand, [OPENVMM, '--format', 'corim', '-o', base, '--sign', keyPath, '--cert', certPath]);
  expect(r.code, r.stderr).toBe(0);
  const step = join(dir, `${name}-1.igvm`);
  const out = join(dir, `${name}.igvm`);
  expect((await runCommand(embedCommand, [OPENVMM, '--corim', join(dir, `${name}-snp.cbor`), '--corim-signature', join(dir, `${name}-snp.cose`), '-o', step])).code).toBe(0);
  expect((await runCommand(embedCommand, [step, '--corim', join(dir, `${name}-vbs.cbor`), '--corim-signature', join(dir, `${name}-vbs.cose`), '-o', out])).code).toBe(0);
  return out;
}

let signer: Awaited<ReturnType<typeof selfSigned>>;
let other: Awaited<ReturnType<typeof selfSigned>>;
let signedPath: string;

beforeAll(async () => {
  signer = await selfSigned('corim-signer');
  other = await selfSigned('someone-else');
  signedPath = await signedFile('signed', signer.keyPath, signer.certPath);
});

describe('verify --trusted-cert', () => {
  it('without it the signer check is not made (never passed); the signature still verifies', async () => {
    const r = await verify([signedPath, '--json']);
    expect(r.code).toBe(0);
    const j = parse(r.stdout);
    expect(okOf(j, 'corim-signature')).toEqual([true, true]);
    expect(okOf(j, 'corim-signer-trusted')).toEqual([null, null]);
    expect(j.checks.find((c) => c.name === 'corim-signer-trusted')!.detail).toMatch(/--trusted-cert/);
    expect(j.corims.map((c) => c.signatures.map((s) => [s.valid, s.algorithm, s.signer, s.signer_trusted]))).toEqual([
      [[true, 'ES384', 'CN=corim-signer', null]],
      [[true, 'ES384', 'CN=corim-signer', null]],
    ]);
    // The reference values are the spec's digests (snp.md §2.4, vbs-cca-corim.md §1.4).
    expect(j.corims.map((c) => [c.compatibility_mask, c.platform_type, c.reference_digest, c.svn, c.attached])).toEqual([
      [1, 'SEV_SNP', OPENVMM_DIGESTS[0], 0, false],
      [2, 'VSM_ISOLATION', OPENVMM_DIGESTS[1], 0, false],
    ]);
    const t = await verify([signedPath]);
    expect(t.stdout).toMatch(/--\s+corim-signer-trusted/);
  });

  it('with the signer’s certificate it passes; with another it fails (exit 3); garbage exits 1', async () => {
    const ok = await verify([signedPath, '--trusted-cert', signer.certPath, '--json']);
    expect(ok.code).toBe(0);
    expect(okOf(parse(ok.stdout), 'corim-signer-trusted')).toEqual([true, true]);
    expect(parse(ok.stdout).corims.map((c) => c.signatures[0]!.signer_trusted)).toEqual([true, true]);
    const bad = await verify([signedPath, '--trusted-cert', other.certPath, '--json']);
    expect(bad.code).toBe(3);
    expect(okOf(parse(bad.stdout), 'corim-signer-trusted')).toEqual([false, false]);
    // A file with both certificates trusts either.
    const both = put('both.pem', readFileSync(other.certPath, 'utf8') + readFileSync(signer.certPath, 'utf8'));
    expect((await verify([signedPath, '--trusted-cert', both])).code).toBe(0);
    const junk = await verify([signedPath, '--trusted-cert', put('junk.pem', 'not a certificate')]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/BadCertificate/);
  });

  withOpenssl('a signer issued by an OpenSSL CA: trusted through the CA when OpenSSL agrees the chain holds', async () => {
    const caKey = join(dir, 'ca.key');
    const caCrt = join(dir, 'ca.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', caKey, '-out', caCrt, '-subj', '/CN=release CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], { stdio: 'ignore' });
    const leafKey = join(dir, 'leaf.key');
    const csr = join(dir, 'leaf.csr');
    const leafCrt = join(dir, 'leaf.crt');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', '/CN=release signer'], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-out', leafCrt, '-days', '2', '-sha384'], { stdio: 'ignore' });
    expect(execFileSync('openssl', ['verify', '-CAfile', caCrt, leafCrt], { encoding: 'utf8' })).toMatch(/OK/);
    const path = await signedFile('ca-signed', leafKey, leafCrt); // RSA leaf: PS384
    const r = await verify([path, '--trusted-cert', caCrt, '--json']);
    expect(r.code).toBe(0);
    const j = parse(r.stdout);
    expect(okOf(j, 'corim-signer-trusted')).toEqual([true, true]);
    expect(j.corims[0]!.signatures[0]!.algorithm).toBe('PS384');
    expect((await verify([path, '--trusted-cert', other.certPath])).code).toBe(3);
  });
});

describe('verify --require-signature', () => {
  it('an unsigned CoRIM, or a file without any CoRIM, fails (exit 3); a signed one passes, with or without --trusted-cert', async () => {
    const unsigned = join(dir, 'unsigned.igvm');
    const doc = join(dir, 'unsigned-vbs.cbor');
    expect((await runCommand(referenceCommand, [OPENVMM, '--format', 'corim', '--platform', 'vbs', '-o', doc])).code).toBe(0);
    expect((await runCommand(embedCommand, [OPENVMM, '--corim', doc, '-o', unsigned])).code).toBe(0);
    expect((await verify([unsigned])).code).toBe(0); // not required: not made
    const u = await verify([unsigned, '--require-signature', '--json']);
    expect(u.code).toBe(3);
    expect(okOf(parse(u.stdout), 'corim-signature')).toEqual([false]);
    const none = await verify([OPENVMM, '--require-signature', '--json']);
    expect(none.code).toBe(3);
    expect(okOf(parse(none.stdout), 'corim-present')).toEqual([false]);
    expect((await verify([signedPath, '--require-signature'])).code).toBe(0);
    expect((await verify([signedPath, '--require-signature', '--trusted-cert', signer.certPath])).code).toBe(0);
    expect((await verify([signedPath, '--require-signature', '--trusted-cert', other.certPath])).code).toBe(3);
    // Trusted certificates for a file without CoRIM fail as trusted keys without an ID block do.
    expect((await verify([OPENVMM, '--trusted-cert', signer.certPath])).code).toBe(3);
  });
});

describe('signed CoRIMs (attached payload) inside the IGVM headers', () => {
  const VBS_DOC = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(Buffer.from(OPENVMM_DIGESTS[1]!, 'hex')), svn: 1 });
  const base = parseIgvm(OPENVMM_BYTES);
  const withHeaders = (name: string, doc: Uint8Array, sig?: Uint8Array): string => {
    const f: IgvmFile = {
      ...base,
      initializations: [
        ...base.initializations,
        { kind: 'CORIM_DOCUMENT', compatibilityMask: 2, fileOffset: 0, data: bytesData(doc) },
        ...(sig === undefined ? [] : [{ kind: 'CORIM_SIGNATURE' as const, compatibilityMask: 2, fileOffset: 0, data: bytesData(sig) }]),
      ],
    };
    return put(name, serializeIgvm(f));
  };
  let signedCorim: Uint8Array;
  beforeAll(async () => {
    const key = await importCoseSigningKey(readFileSync(signer.keyPath));
    signedCorim = await signCoseSign1(VBS_DOC, { privateKey: key.privateKey, certificates: [signer.certDer], attached: true });
  });

  it('a signed CoRIM as the CORIM_DOCUMENT: its payload is the document, its signature is checked', async () => {
    const r = await verify([withHeaders('attached-doc.igvm', signedCorim), '--json', '--require-signature', '--trusted-cert', signer.certPath]);
    expect(r.code).toBe(0);
    const j = parse(r.stdout);
    expect(okOf(j, 'corim-document')).toEqual([true]);
    expect(okOf(j, 'corim-reference-value')).toEqual([true]);
    expect(okOf(j, 'corim-signature')).toEqual([true]);
    expect(j.corims[0]).toMatchObject({ attached: true, svn: 1, reference_digest: OPENVMM_DIGESTS[1] });
    // Its payload changed: the signature fails.
    const cose = decodeCoseSign1(signedCorim);
    const changed = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(Buffer.from(OPENVMM_DIGESTS[1]!, 'hex')), svn: 2 });
    const t = await verify([withHeaders('attached-tampered.igvm', encodeCoseSign1({ ...cose, payload: changed })), '--json']);
    expect(t.code).toBe(3);
    expect(okOf(parse(t.stdout), 'corim-signature')).toEqual([false]);
    expect(okOf(parse(t.stdout), 'corim-reference-value')).toEqual([true]);
  });

  it('a signed CoRIM as the CORIM_SIGNATURE: accepted when its payload is the document, not otherwise', async () => {
    expect((await verify([withHeaders('attached-sig.igvm', VBS_DOC, signedCorim)])).code).toBe(0);
    const other = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(Buffer.from(OPENVMM_DIGESTS[1]!, 'hex')), svn: 0 });
    const r = await verify([withHeaders('attached-sig-other.igvm', other, signedCorim), '--json']);
    expect(r.code).toBe(3);
    expect(parse(r.stdout).checks.find((c) => c.name === 'corim-signature')!.detail).toMatch(/not the document/);
  });
});

describe('verify --json: ID block values as fields', () => {
  /** spec/snp.md §3.2 by hand: CURVE 2 at 0, QX little-endian at 4, QY at 0x4C, zeros to 0x404; SHA-384 of that. */
  function keyDigestByHand(key: KeyObject): string {
    const jwk = key.export({ format: 'jwk' });
    const amd = Buffer.alloc(0x404);
    amd.writeUInt32LE(2, 0);
    Buffer.from(jwk.x!, 'base64url').reverse().copy(amd, 0x04);
    Buffer.from(jwk.y!, 'base64url').reverse().copy(amd, 0x4c);
    return createHash('sha384').update(amd).digest('hex');
  }
  const idKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const authorKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const pem = (k: KeyObject, name: string): string => put(name, k.export({ format: 'pem', type: 'pkcs8' }) as string);
  const pubPem = (k: KeyObject, name: string): string => put(name, createPublicKey(k).export({ format: 'pem', type: 'spki' }) as string);

  it('reported_ld, expected_ld and the key digests (snp.md §3.2); checks carry expected/actual', async () => {
    const out = join(dir, 'id-signed.igvm');
    expect((await runCommand(signCommand, [OPENVMM, '-o', out, '--id-key', pem(idKey, 'id.pem'), '--author-key', pem(authorKey, 'author.pem'), '--svn', '5'])).code).toBe(0);
    const r = await verify([out, '--json', '--trusted-id-key', pubPem(otherKey, 'other.pub')]);
    expect(r.code).toBe(3); // the trusted ID key is another one
    const j = parse(r.stdout);
    expect(j.id_blocks).toHaveLength(1);
    expect(j.id_blocks[0]).toMatchObject({
      compatibility_mask: 1,
      reported_ld: OPENVMM_DIGESTS[0],
      expected_ld: OPENVMM_DIGESTS[0],
      ld_matches: true,
      profile: 'igvm',
      guest_svn: 5,
      version: 1,
      policy: 0x3001f,
      id_key_digest: keyDigestByHand(idKey),
      author_key_digest: keyDigestByHand(authorKey),
    });
    const ld = j.checks.find((c) => c.name === 'snp-id-block-ld')!;
    expect([ld.expected, ld.actual]).toEqual([OPENVMM_DIGESTS[0], OPENVMM_DIGESTS[0]]);
    const trusted = j.checks.find((c) => c.name === 'snp-trusted-id-key')!;
    expect(trusted.ok).toBe(false);
    expect([trusted.expected, trusted.actual]).toEqual([keyDigestByHand(otherKey), keyDigestByHand(idKey)]);
  });

  it('a changed page: expected_ld is the new launch digest, reported_ld the signed one', async () => {
    const out = join(dir, 'id-signed-2.igvm');
    expect((await runCommand(signCommand, [OPENVMM, '-o', out, '--id-key', pem(idKey, 'id2.pem')])).code).toBe(0);
    const f = parseIgvm(new Uint8Array(readFileSync(out)));
    // Page 10 carries other bytes; the ID block still says the old digest.
    const changed = put('id-changed.igvm', serializeIgvm({ ...f, directives: f.directives.map((d) => (d.kind === 'PAGE_DATA' && d.gpa === 0xa000n ? { ...d, data: bytesData(Uint8Array.of(0x00, 0x06)) } : d)) }));
    const r = await verify([changed, '--json']);
    expect(r.code).toBe(3);
    const b = parse(r.stdout).id_blocks[0]!;
    expect(b.reported_ld).toBe(OPENVMM_DIGESTS[0]);
    expect(b.expected_ld).not.toBe(OPENVMM_DIGESTS[0]);
    expect(b.expected_ld).toMatch(/^[0-9a-f]{96}$/);
    expect(b.ld_matches).toBe(false);
    expect(b.author_key_digest).toBeNull();
  });
});
