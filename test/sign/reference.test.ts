/**
 * Reference values, `igvm-measure reference`, `igvm-measure embed` and the verification of
 * embedded CoRIMs (spec/vbs-cca-corim.md §3). Expected digests come from the spec (openvmm's
 * vectors: snp.md §2.4, vbs-cca-corim.md §1.4, via test/helpers/openvmm.ts), the 306-byte
 * CoRIM of vbs-cca-corim.md §3.3, and upstream's JSON in ../shared/vectors/igvm/upstream.
 */
import { createHash, type webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, Tag } from 'cbor2';
import { bytesData, IgvmBuilder, PageDataFlags, parseIgvm, type CorimHeader, type IgvmFile } from '../../src/format/index.js';
import { measure } from '../../src/measure/index.js';
import { x509 } from '../../src/pki/x509.js';
import { embedCommand } from '../../src/cli/embed.js';
import { referenceCommand, corimPaths } from '../../src/cli/reference.js';
import { decodeLaunchMeasurementCorim, buildLaunchMeasurementCorim } from '../../src/sign/corim.js';
import { decodeCoseSign1, encodeCoseSign1, importRsaPrivateKey, signDetachedCoseSign1 } from '../../src/sign/cose.js';
import { verifyEmbeddedCorim } from '../../src/sign/corim-verify.js';
import { referenceCorims, referenceValues } from '../../src/sign/reference.js';
import type { Check } from '../../src/pki/check.js';
import { OPENVMM_DIGESTS, openvmmSnpVbsBytes } from '../helpers/openvmm.js';
import { runCommand } from '../helpers/run-command.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, upstreamIgvmVectors, type UpstreamJson } from '../helpers/shared.js';
import { CORIM_WORKED_EXAMPLE } from '../helpers/corim-example.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** vbs-cca-corim.md §3.3: the CoRIM of the VBS digest 30134c9b… (openvmm, §1.4) with SVN 1. */
const WORKED_EXAMPLE = CORIM_WORKED_EXAMPLE;

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-reference-'));
function put(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** openvmm's pattern: SEV-SNP mask 1 (889a1938…) and VBS mask 2 (30134c9b…). */
const OPENVMM = openvmmSnpVbsBytes();
const openvmmPath = put('openvmm.igvm', OPENVMM);

/** The same file with page 0 carrying other bytes: every digest changes. */
function changedPagesBytes(): Uint8Array {
  const b = new IgvmBuilder()
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 2, platformType: 'VSM_ISOLATION' })
    .guestPolicy({ policy: 0x3001f, compatibilityMask: 1 });
  for (let page = 0; page <= 10; page++) {
    const data = page === 0 ? Uint8Array.of(0x00, 0x06) : page === 5 || page === 10 ? Uint8Array.of(0x00, 0x05) : undefined;
    b.pageData({ gpa: page * 0x1000, compatibilityMask: 3, ...(data ? { data } : {}), flags: page >= 5 && page <= 9 ? PageDataFlags.UNMEASURED : 0 });
  }
  return b.pageData({ gpa: 0x14000, compatibilityMask: 3, data: Uint8Array.of(0x00, 0x05), flags: PageDataFlags.SHARED }).toBytes();
}

const RSA_PSS_384 = { name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** A PKCS#8 PEM RSA key and a self-signed certificate (as openvmm's test helper, §3.4). */
async function makeSigner(name: string): Promise<{ keyPem: string; certPem: string; certDer: Uint8Array }> {
  const keys = (await crypto.subtle.generateKey(RSA_PSS_384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: { name: 'RSA-PSS', saltLength: 48 } as webcrypto.Algorithm,
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem'), certDer: new Uint8Array(cert.rawData) };
}

function byName(checks: readonly Check[], name: string): Check[] {
  return checks.filter((c) => c.name === name);
}

async function verifyFile(path: string, trusted?: Uint8Array[]): Promise<Check[]> {
  const file = parseIgvm(new Uint8Array(readFileSync(path)));
  return verifyEmbeddedCorim(file, measure(file), trusted);
}

describe('referenceValues / referenceCorims (spec vectors)', () => {
  const file = parseIgvm(OPENVMM);
  const result = measure(file);

  it('one value per measured platform, with the spec digests', () => {
    const values = referenceValues(file, result);
    expect(values.map((v) => ({ ...v, digest: hex(v.digest) }))).toEqual([
      { platformType: 'SEV_SNP', compatibilityMask: 1, algorithm: 'sha384', digest: OPENVMM_DIGESTS[0], profile: 'igvm' },
      { platformType: 'VSM_ISOLATION', compatibilityMask: 2, algorithm: 'sha256', digest: OPENVMM_DIGESTS[1], profile: 'igvm' },
    ]);
  });

  it('the VBS CoRIM with SVN 1 is the worked example of §3.3', () => {
    const corims = referenceCorims(file, result, { svn: 1 });
    expect(corims.map((c) => [c.platformType, c.compatibilityMask])).toEqual([
      ['SEV_SNP', 1],
      ['VSM_ISOLATION', 2],
    ]);
    expect(hex(corims[1]!.corim)).toBe(hex(WORKED_EXAMPLE));
    expect(hex(decodeLaunchMeasurementCorim(corims[0]!.corim).digest)).toBe(OPENVMM_DIGESTS[0]);
  });

  it('a result of another file is refused', () => {
    const other = parseIgvm(new IgvmBuilder().platform({ compatibilityMask: 4, platformType: 'TDX' }).pageData({ gpa: 0, compatibilityMask: 4, data: Uint8Array.of(1) }).toBytes());
    expect(() => referenceValues(other, result)).toThrow(/does not have/);
  });
});

describe('igvm-measure reference', () => {
  it('JSON: {file, sha256, reference_values: [{platform_type, compatibility_mask, algorithm, digest, profile}]}', async () => {
    const r = await runCommand(referenceCommand, [openvmmPath]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: openvmmPath,
      sha256: sha256(OPENVMM),
      reference_values: [
        { platform_type: 'SEV_SNP', compatibility_mask: 1, algorithm: 'sha384', digest: OPENVMM_DIGESTS[0], profile: 'igvm' },
        { platform_type: 'VSM_ISOLATION', compatibility_mask: 2, algorithm: 'sha256', digest: OPENVMM_DIGESTS[1], profile: 'igvm' },
      ],
    });
  });

  it('JSON to a file with -o; --platform selects', async () => {
    const out = join(dir, 'ref.json');
    const r = await runCommand(referenceCommand, [openvmmPath, '--platform', 'vbs', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { reference_values: { digest: string }[] };
    expect(doc.reference_values.map((v) => v.digest)).toEqual([OPENVMM_DIGESTS[1]]);
  });

  it('--format corim: several platforms get -snp / -vbs before the extension', async () => {
    const out = join(dir, 'several.cbor');
    const r = await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '--svn', '1', '-o', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { svn: number; corims: { platform_type: string; document: string; signature: null; document_sha256: string }[] };
    expect(doc.svn).toBe(1);
    expect(doc.corims.map((c) => c.document)).toEqual([join(dir, 'several-snp.cbor'), join(dir, 'several-vbs.cbor')]);
    expect(hex(new Uint8Array(readFileSync(join(dir, 'several-vbs.cbor'))))).toBe(hex(WORKED_EXAMPLE));
    expect(doc.corims[1]!.document_sha256).toBe('419a2032999497118516d93e504f81ec15136aa89bca0f214ee19f0c14e0c197'); // §3.3
    expect(hex(decodeLaunchMeasurementCorim(new Uint8Array(readFileSync(join(dir, 'several-snp.cbor')))).digest)).toBe(OPENVMM_DIGESTS[0]);
  });

  it('--format corim: one platform writes OUT itself; a directory gets <stem>-<platform>.cbor', async () => {
    const one = join(dir, 'one.corim');
    expect((await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '--platform', 'vbs', '--svn', '1', '-o', one])).code).toBe(0);
    expect(hex(new Uint8Array(readFileSync(one)))).toBe(hex(WORKED_EXAMPLE));
    const sub = mkdtempSync(join(dir, 'out-'));
    const r = await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '-o', sub]);
    expect(r.code).toBe(0);
    expect(readdirSync(sub).sort()).toEqual(['openvmm-snp.cbor', 'openvmm-vbs.cbor']);
    expect(r.stdout).toContain('openvmm-vbs.cbor (306 bytes)');
    expect(decodeLaunchMeasurementCorim(new Uint8Array(readFileSync(join(sub, 'openvmm-vbs.cbor')))).svn).toBe(0n); // default SVN 0
  });

  it('corimPaths: a mask suffix when a platform type repeats', () => {
    const c = [
      { platformType: 'SEV_SNP', compatibilityMask: 1 },
      { platformType: 'SEV_SNP', compatibilityMask: 4 },
      { platformType: 'TDX', compatibilityMask: 2 },
    ];
    expect(corimPaths('/x/ref', 'f.igvm', c)).toEqual(['/x/ref-snp-0x1.cbor', '/x/ref-snp-0x4.cbor', '/x/ref-tdx.cbor']);
    expect(corimPaths('/x/', 'a/b/f.igvm', c.slice(2))).toEqual(['/x/f-tdx.cbor']);
  });

  it('usage errors exit 2', async () => {
    const cases = [
      [openvmmPath, '--format', 'corim'], // no -o
      [openvmmPath, '--format', 'xml'],
      [openvmmPath, '--svn', '1'], // json
      [openvmmPath, '--format', 'corim', '-o', join(dir, 'u.cbor'), '--svn', '-1'],
      [openvmmPath, '--format', 'corim', '-o', join(dir, 'u.cbor'), '--svn', '18446744073709551616'],
      [openvmmPath, '--format', 'corim', '-o', join(dir, 'u.cbor'), '--sign', 'k.pem'], // no --cert
      [openvmmPath, '--profile', 'kvm'],
      [],
    ];
    for (const args of cases) expect((await runCommand(referenceCommand, args)).code, args.join(' ')).toBe(2);
  });

  it('unreadable input exits 1; a key that is neither RSA nor P-384, or not the certificate’s pair, exits 1 before measuring', async () => {
    expect((await runCommand(referenceCommand, [join(dir, 'missing.igvm')])).code).toBe(1);
    const { certPem } = await makeSigner('CN=x');
    // A P-256 key: CoRIM signers are RSA (PS384) or P-384 (ES384).
    const p256 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])) as webcrypto.CryptoKeyPair;
    const p256Key = put('p256.pem', x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', p256.privateKey), 'PRIVATE KEY'));
    const bad = await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '-o', join(dir, 'p256.cbor'), '--sign', p256Key, '--cert', put('x.pem', certPem)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/BadKey/);
    expect(existsSync(join(dir, 'p256.cbor'))).toBe(false);
    // A P-384 key with an RSA certificate: not a pair.
    const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign'])) as webcrypto.CryptoKeyPair;
    const ecKey = put('ec.pem', x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', ec.privateKey), 'PRIVATE KEY'));
    const r = await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '-o', join(dir, 'ec.cbor'), '--sign', ecKey, '--cert', put('x.pem', certPem)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/KeyCertificateMismatch/);
    expect(existsSync(join(dir, 'ec.cbor'))).toBe(false);
  });
});

describe('embed, then verifyEmbeddedCorim', () => {
  let signer: { keyPem: string; certPem: string; certDer: Uint8Array };
  let other: { certDer: Uint8Array };
  let keyPath: string;
  let certPath: string;

  beforeAll(async () => {
    signer = await makeSigner('CN=igvm-measure release signer');
    other = await makeSigner('CN=someone else');
    keyPath = put('signer.key.pem', signer.keyPem);
    certPath = put('signer.cert.pem', signer.certPem);
  });

  it('the worked-example CoRIM embeds for the VBS platform (mask derived) and verifies; digests unchanged', async () => {
    const doc = put('example.cbor', WORKED_EXAMPLE);
    const out = join(dir, 'embedded-example.igvm');
    const r = await runCommand(embedCommand, [openvmmPath, '--corim', doc, '-o', out, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { compatibility_mask: number; platform_type: string; written: boolean; checks: Check[] };
    expect(j).toMatchObject({ compatibility_mask: 2, platform_type: 'VSM_ISOLATION', written: true });
    const file = parseIgvm(new Uint8Array(readFileSync(out)));
    const corim = file.initializations.filter((h) => h.kind === 'CORIM_DOCUMENT') as CorimHeader[];
    expect(corim).toHaveLength(1);
    expect(corim[0]!.compatibilityMask).toBe(2);
    expect(hex(corim[0]!.data.bytes())).toBe(hex(WORKED_EXAMPLE));
    // CoRIM headers are initialization headers: never measured (§3.1).
    expect(measure(file).platforms.map((p) => ('digest' in p ? hex(p.digest) : null))).toEqual(OPENVMM_DIGESTS);
    const checks = await verifyFile(out);
    expect(byName(checks, 'corim-document').map((c) => c.ok)).toEqual([true]);
    expect(byName(checks, 'corim-reference-value').map((c) => c.ok)).toEqual([true]);
    expect(byName(checks, 'corim-signature').map((c) => c.ok)).toEqual([null]); // unsigned
  });

  it('fails when the file’s pages change', async () => {
    const changed = put('changed.igvm', changedPagesBytes());
    const doc = put('example2.cbor', WORKED_EXAMPLE);
    // embed refuses to write it...
    const refused = join(dir, 'refused.igvm');
    const r = await runCommand(embedCommand, [changed, '--corim', doc, '-o', refused]);
    expect(r.code).toBe(3);
    // The table layout of verify and report (output.ts checkLines): the verdict, two spaces, the name.
    expect(r.stderr).toMatch(/^FAIL  corim-reference-value /m);
    expect(existsSync(refused)).toBe(false);
    // ...and with --no-verify it is written, and verifyEmbeddedCorim names the failure.
    const forced = join(dir, 'forced.igvm');
    expect((await runCommand(embedCommand, [changed, '--corim', doc, '-o', forced, '--no-verify'])).code).toBe(0);
    const checks = await verifyFile(forced);
    const ref = byName(checks, 'corim-reference-value');
    expect(ref.map((c) => c.ok)).toEqual([false]);
    expect(ref[0]!.detail).toContain(`reference sha256 ${OPENVMM_DIGESTS[1]} differs`);
  });

  it('reference --sign → embed both platforms → every check passes; trust only with a trusted certificate', async () => {
    const base = join(dir, 'signed.cbor');
    const r = await runCommand(referenceCommand, [openvmmPath, '--format', 'corim', '--svn', '3', '-o', base, '--sign', keyPath, '--cert', certPath]);
    expect(r.code).toBe(0);
    for (const p of ['snp', 'vbs']) expect(existsSync(join(dir, `signed-${p}.cose`))).toBe(true);
    const step1 = join(dir, 'signed-1.igvm');
    const step2 = join(dir, 'signed-2.igvm');
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', join(dir, 'signed-snp.cbor'), '--corim-signature', join(dir, 'signed-snp.cose'), '-o', step1])).code).toBe(0);
    expect((await runCommand(embedCommand, [step1, '--corim', join(dir, 'signed-vbs.cbor'), '--corim-signature', join(dir, 'signed-vbs.cose'), '-o', step2])).code).toBe(0);

    const checks = await verifyFile(step2);
    expect(byName(checks, 'corim-document').map((c) => c.ok)).toEqual([true, true]);
    expect(byName(checks, 'corim-reference-value').map((c) => c.ok)).toEqual([true, true]);
    expect(byName(checks, 'corim-signature').map((c) => c.ok)).toEqual([true, true]);
    expect(byName(checks, 'corim-signer-trusted').map((c) => c.ok)).toEqual([null, null]);
    expect(byName(checks, 'corim-signer-trusted')[0]!.detail).toMatch(/not established/);
    expect(byName(await verifyFile(step2, [signer.certDer]), 'corim-signer-trusted').map((c) => c.ok)).toEqual([true, true]);
    expect(byName(await verifyFile(step2, [other.certDer]), 'corim-signer-trusted').map((c) => c.ok)).toEqual([false, false]);
    // Header order: document then signature per mask, after the guest policy (§6.5, §14).
    const file = parseIgvm(new Uint8Array(readFileSync(step2)));
    expect(file.initializations.map((h) => `${h.kind}:${'compatibilityMask' in h ? h.compatibilityMask : ''}`)).toEqual([
      'GUEST_POLICY:1',
      'CORIM_DOCUMENT:1',
      'CORIM_SIGNATURE:1',
      'CORIM_DOCUMENT:2',
      'CORIM_SIGNATURE:2',
    ]);
  });

  it('fails when the signature is altered, or signs another document', async () => {
    const key = await importRsaPrivateKey(signer.keyPem);
    const sig = await signDetachedCoseSign1(WORKED_EXAMPLE, { privateKey: key, certificates: [signer.certDer] });
    const base = parseIgvm(OPENVMM);
    const withSig = (signature: Uint8Array, document: Uint8Array = WORKED_EXAMPLE): IgvmFile => ({
      ...base,
      initializations: [
        ...base.initializations,
        { kind: 'CORIM_DOCUMENT', compatibilityMask: 2, fileOffset: 0, data: bytesData(document) },
        { kind: 'CORIM_SIGNATURE', compatibilityMask: 2, fileOffset: 0, data: bytesData(signature) },
      ],
    });
    const result = measure(base);
    expect(byName(await verifyEmbeddedCorim(withSig(sig), result), 'corim-signature').map((c) => c.ok)).toEqual([true]);
    const cose = decodeCoseSign1(sig);
    for (const at of [0, 128, 255]) {
      const s = cose.signature.slice();
      s[at] = s[at]! ^ 0x01;
      const checks = await verifyEmbeddedCorim(withSig(encodeCoseSign1({ ...cose, signature: s })), result);
      expect(byName(checks, 'corim-signature').map((c) => c.ok)).toEqual([false]);
      expect(byName(checks, 'corim-reference-value').map((c) => c.ok)).toEqual([true]);
    }
    // The last byte of the header's payload (the signature's last byte) changed.
    const raw = sig.slice();
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x01;
    expect(byName(await verifyEmbeddedCorim(withSig(raw), result), 'corim-signature').map((c) => c.ok)).toEqual([false]);
    // A valid signature of another document (SVN 2) over the SVN-1 document.
    const svn2 = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: fromHex(OPENVMM_DIGESTS[1]!), svn: 2 });
    const sig2 = await signDetachedCoseSign1(svn2, { privateKey: key, certificates: [signer.certDer] });
    expect(byName(await verifyEmbeddedCorim(withSig(sig2), result), 'corim-signature').map((c) => c.ok)).toEqual([false]);
    // Garbage in the signature header is a failed check, not an exception.
    expect(byName(await verifyEmbeddedCorim(withSig(Uint8Array.of(1, 2, 3)), result), 'corim-signature').map((c) => c.ok)).toEqual([false]);
  });

  it('a CoRIM for the wrong platform, or an unreadable one, is a failed check', async () => {
    const base = parseIgvm(OPENVMM);
    const snpDoc = buildLaunchMeasurementCorim({ platformType: 'SEV_SNP', digest: fromHex(OPENVMM_DIGESTS[0]!), svn: 0 });
    const file = (doc: Uint8Array): IgvmFile => ({ ...base, initializations: [...base.initializations, { kind: 'CORIM_DOCUMENT', compatibilityMask: 2, fileOffset: 0, data: bytesData(doc) }] });
    const wrong = await verifyEmbeddedCorim(file(snpDoc), measure(base));
    expect(byName(wrong, 'corim-reference-value')[0]).toMatchObject({ ok: false });
    expect(byName(wrong, 'corim-reference-value')[0]!.detail).toMatch(/describes SEV_SNP, not VSM_ISOLATION/);
    const junk = await verifyEmbeddedCorim(file(Uint8Array.of(0xff)), measure(base));
    expect(byName(junk, 'corim-document')[0]).toMatchObject({ ok: false });
    expect(await verifyEmbeddedCorim(base, measure(base))).toEqual([]);
  });

  it('embed: a signed CoRIM (attached payload) is split; a second embed replaces the first', async () => {
    const key = await importRsaPrivateKey(signer.keyPem);
    const detached = decodeCoseSign1(await signDetachedCoseSign1(WORKED_EXAMPLE, { privateKey: key, certificates: [signer.certDer] }));
    const bundled = put('bundled.cose', encodeCoseSign1({ ...detached, payload: WORKED_EXAMPLE }));
    const out = join(dir, 'bundled.igvm');
    const r = await runCommand(embedCommand, [openvmmPath, '--corim', bundled, '-o', out]);
    expect(r.code).toBe(0);
    expect(byName(await verifyFile(out), 'corim-signature').map((c) => c.ok)).toEqual([true]);
    // Again, unsigned, into the output itself (atomic replace of OUT = FILE).
    const again = await runCommand(embedCommand, [out, '--corim', put('plain.cbor', WORKED_EXAMPLE), '-o', out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/replacing 2 CoRIM header/);
    const file = parseIgvm(new Uint8Array(readFileSync(out)));
    expect(file.initializations.filter((h) => h.kind.startsWith('CORIM')).map((h) => h.kind)).toEqual(['CORIM_DOCUMENT']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('embed: another profile needs --mask; errors exit 1 or 2 without writing', async () => {
    const foreign = put('foreign.cbor', encode(new Tag(501, new Map<number, unknown>([[0, 'x'], [1, []], [3, new Tag(32, 'tag:example.com,2026:other')]])), { cde: true }));
    const out = join(dir, 'foreign.igvm');
    const noMask = await runCommand(embedCommand, [openvmmPath, '--corim', foreign, '-o', out]);
    expect(noMask.code).toBe(1);
    expect(noMask.stderr).toMatch(/--mask/);
    expect(existsSync(out)).toBe(false);
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', foreign, '--mask', '0x2', '-o', out])).code).toBe(0);
    expect(byName(await verifyFile(out), 'corim-document').map((c) => c.ok)).toEqual([null]);

    const tdxOnly = put('tdx.cbor', buildLaunchMeasurementCorim({ platformType: 'TDX', digest: new Uint8Array(48), svn: 0 }));
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', tdxOnly, '-o', join(dir, 'x.igvm')])).code).toBe(1); // no TDX platform
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', put('bad.cbor', Uint8Array.of(0xff)), '--mask', '2', '-o', join(dir, 'x.igvm')])).code).toBe(1);
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', foreign, '--mask', '0x8', '-o', join(dir, 'x.igvm')])).code).toBe(2); // no platform bit 3
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', foreign, '--mask', '3', '-o', join(dir, 'x.igvm')])).code).toBe(0); // both platforms' bits: allowed (§6.5)
    expect((await runCommand(embedCommand, [out, '--corim', put('ex3.cbor', WORKED_EXAMPLE), '--mask', '3', '-o', join(dir, 'y.igvm')])).code).toBe(2); // overlaps 0x2 partly
    expect((await runCommand(embedCommand, [openvmmPath, '-o', join(dir, 'x.igvm')])).code).toBe(2);
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', foreign])).code).toBe(2);
    expect((await runCommand(embedCommand, [openvmmPath, '--corim', join(dir, 'nope.cbor'), '-o', join(dir, 'x.igvm')])).code).toBe(1);
    expect(existsSync(join(dir, 'y.igvm'))).toBe(false);
  });
});

describe('upstream vectors (../shared/vectors/igvm/upstream)', () => {
  sharedNotice('reference (upstream vectors)');
  const vectors = upstreamIgvmVectors();

  it.skipIf(!HAVE_SHARED).each(vectors)('$name: reference JSON equals upstream’s digests', async ({ igvm, json }) => {
    const expected = sharedJson<UpstreamJson>(json);
    const path = join(SHARED_VECTORS, igvm);
    const r = await runCommand(referenceCommand, [path]);
    const failed = expected.platforms.some((p) => p.error !== undefined);
    expect(r.code).toBe(failed ? 3 : 0);
    const out = JSON.parse(r.stdout) as { file: string; sha256: string; reference_values: unknown[] };
    expect(out.sha256).toBe(expected.file_sha256);
    const want = expected.platforms.flatMap((p) => {
      const digest = p.snp_launch_digest ?? p.tdx_mrtd ?? p.vbs_digest;
      // Upstream has no SEV/SEV-ES digest; ours follows igvmmeasure (snp.md §2.3; values in test/measure/sev.test.ts).
      if (p.not_measurable === true && (p.platform_type === 'SEV' || p.platform_type === 'SEV_ES')) {
        return [{ platform_type: p.platform_type, compatibility_mask: p.compatibility_mask, algorithm: 'sha256', digest: expect.stringMatching(/^[0-9a-f]{64}$/), profile: 'igvm' }];
      }
      if (digest === undefined) return [];
      return [{ platform_type: p.platform_type, compatibility_mask: p.compatibility_mask, algorithm: p.vbs_digest !== undefined ? 'sha256' : 'sha384', digest, profile: 'igvm' }];
    });
    expect(out.reference_values).toEqual(want);
  });

  it.skipIf(!HAVE_SHARED)('seed1_04_multi: one CoRIM per measurable platform, each embeds and verifies', async () => {
    const expected = sharedJson<UpstreamJson>('igvm/upstream/seed1_04_multi.json');
    const src = join(SHARED_VECTORS, 'igvm/upstream/seed1_04_multi.igvm');
    const sub = mkdtempSync(join(dir, 'multi-'));
    const r = await runCommand(referenceCommand, [src, '--format', 'corim', '-o', sub, '--json']);
    expect(r.code).toBe(0);
    const written = (JSON.parse(r.stdout) as { corims: { platform_type: string; compatibility_mask: number; document: string }[] }).corims;
    expect(written.map((c) => c.platform_type).sort()).toEqual(['SEV_SNP', 'TDX', 'VSM_ISOLATION']);
    let current = src;
    for (const [i, c] of written.entries()) {
      const up = expected.platforms.find((p) => p.compatibility_mask === c.compatibility_mask)!;
      const decoded = decodeLaunchMeasurementCorim(new Uint8Array(readFileSync(c.document)));
      expect(hex(decoded.digest)).toBe(up.snp_launch_digest ?? up.tdx_mrtd ?? up.vbs_digest);
      const next = join(sub, `step${i}.igvm`);
      expect((await runCommand(embedCommand, [current, '--corim', c.document, '-o', next])).code).toBe(0);
      current = next;
    }
    const checks = await verifyFile(current);
    expect(byName(checks, 'corim-reference-value').map((c) => c.ok)).toEqual([true, true, true]);
  });
});
