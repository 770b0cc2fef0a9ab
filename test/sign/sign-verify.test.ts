/**
 * `igvm-measure sign` and `igvm-measure verify` (spec/snp.md §3): sign → verify
 * round trips, tampering that `verify` must catch (exit 3, naming the check), keys that are
 * not P-384, and the out-of-band flow (`--emit-tbs`, signatures made elsewhere).
 *
 * Expected values are independent of src/: launch digests from upstream's JSON in
 * ../shared/vectors/igvm or from the hand-written PAGE_INFO reference in
 * test/helpers/page-info.ts; the 96 bytes to be signed and the AMD key layout assembled by
 * hand from spec/snp.md §3.1–§3.2; signatures made and checked with node:crypto (OpenSSL) and
 * WebCrypto playing the HSM; key digests from expected.json (virtee/sev).
 */
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signCommand } from '../../src/cli/sign.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { IgvmBuilder, measure, parseIgvm, serializeIgvm, type DirectiveHeader, type IgvmFile, type PageDataHeader, type SnpIdBlockHeader } from '../../src/index.js';
import { bytesData } from '../../src/format/source.js';
import { loadPrivateKey, loadPublicKey } from '../../src/sign/keys.js';
import { signIgvm } from '../../src/sign/sign-igvm.js';
import { verifyIgvmSignatures } from '../../src/sign/verify-igvm.js';
import { expectedLaunchDigest, page4k, vmsaPage } from '../helpers/page-info.js';
import { runCommand } from '../helpers/run-command.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedJson, sharedNotice, upstreamIgvmVectors, type UpstreamPlatform } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-sign-'));
let counter = 0;
function put(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
const out = (name: string): string => join(dir, `${counter++}-${name}`);

const sign = (args: string[]) => runCommand(signCommand, args);
const verify = (args: string[]) => runCommand(verifyCommand, args);

// ---- keys (generated here; OpenSSL is the independent ECDSA implementation) ---------------------------

function keyFiles(name: string, curve: string, format: 'pkcs8' | 'sec1' = 'pkcs8'): { key: KeyObject; priv: string; pub: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return {
    key: privateKey,
    priv: put(`${name}.pem`, privateKey.export({ format: 'pem', type: format }) as string),
    pub: put(`${name}.pub.pem`, createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }) as string),
  };
}
const ID = keyFiles('id', 'P-384');
const AUTHOR = keyFiles('author', 'P-384', 'sec1');
const OTHER = keyFiles('other', 'P-384');
const P256 = keyFiles('p256', 'P-256');
const P521 = keyFiles('p521', 'P-521', 'sec1');

/** spec/snp.md §3.2 by hand: CURVE 2 at 0, QX LE at 4, QY LE at 0x4C, zeros to 0x404. */
function amdKeyByHand(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  const out = Buffer.alloc(0x404);
  out.writeUInt32LE(2, 0);
  Buffer.from(jwk.x!, 'base64url').reverse().copy(out, 0x04);
  Buffer.from(jwk.y!, 'base64url').reverse().copy(out, 0x4c);
  return out;
}

/** spec/snp.md §3.1 by hand: LD ‖ FAMILY_ID ‖ IMAGE_ID ‖ VERSION 1 ‖ GUEST_SVN ‖ POLICY, little-endian. */
function idBlockByHand(ld: string, familyId: string, imageId: string, svn: number, policy: bigint): Buffer {
  const b = Buffer.alloc(0x60);
  Buffer.from(ld, 'hex').copy(b, 0);
  Buffer.from(familyId.padEnd(32, '0'), 'hex').copy(b, 0x30);
  Buffer.from(imageId.padEnd(32, '0'), 'hex').copy(b, 0x40);
  b.writeUInt32LE(1, 0x50);
  b.writeUInt32LE(svn, 0x54);
  b.writeBigUInt64LE(policy, 0x58);
  return b;
}

/** (r, s) of an IGVM header signature as OpenSSL's raw r‖s (72-byte LE components, spec §7.8). */
function rawOf(sig: SnpIdBlockHeader['idKeySignature']): Buffer {
  return Buffer.concat([Buffer.from(sig.rComp.subarray(0, 48)).reverse(), Buffer.from(sig.sComp.subarray(0, 48)).reverse()]);
}

const idBlocksOf = (f: IgvmFile): SnpIdBlockHeader[] => f.directives.filter((d): d is SnpIdBlockHeader => d.kind === 'SNP_ID_BLOCK');

/** No temporary files of the atomic writer left behind. */
const noTempFiles = (): void => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

// ---- a file built here (no ../shared needed) -----------------------------------------------------------

const KVM_GPA = 0xffff_ffff_f000n; // spec/snp.md §1.5
const DATA = Uint8Array.of(0x00, 0x05);
const BSP = vmsaPage(0x31n, 0xfff0n);
const POLICY = 0x3001fn;
const builtBytes = new IgvmBuilder()
  .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
  .platform({ compatibilityMask: 0x8, platformType: 'NATIVE' })
  .guestPolicy({ policy: POLICY, compatibilityMask: 0x1 })
  .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
  .pageData({ gpa: 0x1000, compatibilityMask: 0x1 })
  .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
  .toBytes();
const builtPath = put('built.igvm', builtBytes);
// spec/snp.md §2.2: file order, data-less NORMAL page hashes 4 KiB of zeros, VMSA at its gpa.
const BUILT_LD = expectedLaunchDigest([
  { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
  { type: 'NORMAL', gpa: 0x1000n },
  { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
]);

const FAMILY = '0102030405060708090a0b0c0d0e0f10';
const IMAGE = 'aabbcc';

describe('sign → verify on a file built here', () => {
  const signedPath = out('signed.igvm');
  const before = sha256(readFileSync(builtPath));

  it('signs with an ID key and a SEC1 author key; FILE is untouched and OUT is FILE plus one ID block', async () => {
    const r = await sign([builtPath, '-o', signedPath, '--id-key', ID.priv, '--author-key', AUTHOR.priv, '--family-id', FAMILY, '--image-id', IMAGE, '--svn', '7']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(BUILT_LD);
    expect(sha256(readFileSync(builtPath))).toBe(before);
    noTempFiles();

    const original = parseIgvm(builtBytes);
    const signed = parseIgvm(new Uint8Array(readFileSync(signedPath)));
    // Appended after the last directive; everything else in order and unchanged.
    expect(signed.directives.map((d) => d.kind)).toEqual([...original.directives.map((d) => d.kind), 'SNP_ID_BLOCK']);
    const [block] = idBlocksOf(signed);
    expect(hex(block!.ld)).toBe(BUILT_LD);
    expect(block!.compatibilityMask).toBe(1);
    expect(block!.authorKeyEnabled).toBe(1);
    expect(block!.version).toBe(1);
    expect(block!.guestSvn).toBe(7);
    expect(hex(block!.familyId)).toBe(FAMILY);
    expect(hex(block!.imageId)).toBe(IMAGE.padEnd(32, '0'));
    // The digest is unchanged by the ID block (snp.md §2.2 item 7).
    const m = measure(signed).platforms[0]!;
    expect('digest' in m && hex(m.digest)).toBe(BUILT_LD);

    // OpenSSL accepts the signatures over the bytes of §3.1 / §3.2 assembled by hand.
    const tbs = idBlockByHand(BUILT_LD, FAMILY, IMAGE, 7, POLICY);
    expect(nodeVerify('sha384', tbs, { key: createPublicKey(ID.key), dsaEncoding: 'ieee-p1363' }, rawOf(block!.idKeySignature))).toBe(true);
    expect(nodeVerify('sha384', amdKeyByHand(ID.key), { key: createPublicKey(AUTHOR.key), dsaEncoding: 'ieee-p1363' }, rawOf(block!.authorKeySignature))).toBe(true);
  });

  it('verify passes every check, with and without the trusted keys (text and JSON)', async () => {
    const text = await verify([signedPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/all \d+ checks passed/);
    // A check that was not made (`--`) is named as such in the verdict, never counted as passed.
    const notMade = [...text.stdout.matchAll(/^-- {4}(\S+)/gm)].map((m) => m[1]!);
    const head = text.stdout.split('\n')[0]!;
    if (notMade.length > 0) expect(head).toContain(`; ${notMade.length} not made (${notMade.join(', ')})`);
    else expect(head).not.toMatch(/not made/);
    const r = await verify([signedPath, '--trusted-id-key', ID.pub, '--trusted-author-key', AUTHOR.pub, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { file: string; checks: Array<{ name: string; ok: boolean | null; detail: string }>; ok: boolean };
    expect(Object.keys(doc)).toEqual(['file', 'checks', 'ok', 'profile', 'id_blocks', 'corims']);
    expect(doc.file).toBe(signedPath);
    expect(doc.ok).toBe(true);
    const byName = Object.fromEntries(doc.checks.map((c) => [c.name, c.ok]));
    expect(byName).toEqual({
      'snp-id-block-ld': true,
      'snp-id-block-fields': true,
      'snp-id-key-signature': true,
      'snp-author-key-signature': true,
      'snp-trusted-id-key': true,
      'snp-trusted-author-key': true,
    });
  });

  /** The signed file with one change, written for `verify`. */
  function tampered(name: string, change: (f: IgvmFile) => DirectiveHeader[]): string {
    const f = parseIgvm(new Uint8Array(readFileSync(signedPath)));
    return put(name, serializeIgvm({ ...f, directives: change(f) }));
  }
  const failing = (stdout: string): string[] => (JSON.parse(stdout) as { checks: Array<{ name: string; ok: boolean | null }> }).checks.filter((c) => c.ok === false).map((c) => c.name);

  it('a flipped bit in the ID block fails the ID-key signature (exit 3)', async () => {
    const p = tampered('flip-family.igvm', (f) => f.directives.map((d) => (d.kind === 'SNP_ID_BLOCK' ? { ...d, familyId: d.familyId.map((b, i) => (i === 3 ? b ^ 0x10 : b)) } : d)));
    const r = await verify([p, '--json']);
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['snp-id-key-signature']);
    const t = await verify([p]);
    expect(t.code).toBe(3);
    expect(t.stdout).toMatch(/FAIL\s+snp-id-key-signature/);
  });

  it('a flipped bit in ld fails the digest check and the signature', async () => {
    const p = tampered('flip-ld.igvm', (f) => f.directives.map((d) => (d.kind === 'SNP_ID_BLOCK' ? { ...d, ld: d.ld.map((b, i) => (i === 0 ? b ^ 1 : b)) } : d)));
    const r = await verify([p, '--json']);
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['snp-id-block-ld', 'snp-id-key-signature']);
  });

  it('a flipped bit in the author signature fails the author check', async () => {
    const p = tampered('flip-author.igvm', (f) =>
      f.directives.map((d) => (d.kind === 'SNP_ID_BLOCK' ? { ...d, authorKeySignature: { ...d.authorKeySignature, sComp: d.authorKeySignature.sComp.map((b, i) => (i === 5 ? b ^ 4 : b)) } } : d)),
    );
    const r = await verify([p, '--json']);
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['snp-author-key-signature']);
  });

  it('a changed page makes ld differ from the recomputed digest (the signature itself still verifies)', async () => {
    const p = tampered('changed-page.igvm', (f) =>
      f.directives.map((d) => (d.kind === 'PAGE_DATA' && d.gpa === 0n ? ({ ...d, data: bytesData(Uint8Array.of(0x00, 0x06)) } as PageDataHeader) : d)),
    );
    const r = await verify([p, '--json']);
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['snp-id-block-ld']);
  });

  it('a different trusted ID or author key fails snp-trusted-id-key / snp-trusted-author-key', async () => {
    const r = await verify([signedPath, '--trusted-id-key', OTHER.pub, '--json']);
    expect(r.code).toBe(3);
    expect(failing(r.stdout)).toEqual(['snp-trusted-id-key']);
    const a = await verify([signedPath, '--trusted-author-key', ID.pub, '--json']);
    expect(a.code).toBe(3);
    expect(failing(a.stdout)).toEqual(['snp-trusted-author-key']);
    const t = await verify([signedPath, '--trusted-id-key', OTHER.priv]);
    expect(t.stdout).toMatch(/FAIL\s+snp-trusted-id-key/);
  });

  it('re-signing replaces the ID block in place', async () => {
    const again = out('resigned.igvm');
    const r = await sign([signedPath, '-o', again, '--id-key', OTHER.priv]);
    expect(r.code).toBe(0);
    const f = parseIgvm(new Uint8Array(readFileSync(again)));
    expect(idBlocksOf(f)).toHaveLength(1);
    expect(f.directives.length).toBe(parseIgvm(new Uint8Array(readFileSync(signedPath))).directives.length);
    expect(idBlocksOf(f)[0]!.authorKeyEnabled).toBe(0);
    const v = await verify([again, '--trusted-id-key', OTHER.pub]);
    expect(v.code).toBe(0);
    // No author key (author_key_enabled 0, snp.md §3.2): its signature check cannot be made,
    // and the verdict says so rather than counting it as passed.
    expect(v.stdout.split('\n')[0]).toMatch(/: all \d+ checks passed; 1 not made \(snp-author-key-signature\)$/);
  });

  it('an unsigned file has nothing to verify (exit 0), unless trusted keys are given', async () => {
    const r = await verify([builtPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nothing to verify/);
    const j = await verify([builtPath, '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ file: builtPath, checks: [], ok: true, profile: 'igvm', id_blocks: [], corims: [] });
    const t = await verify([builtPath, '--trusted-id-key', ID.pub, '--json']);
    expect(t.code).toBe(3);
    expect(failing(t.stdout)).toEqual(['snp-id-block-present']);
  });

  it('an invalid file exits 1', async () => {
    const b = new Uint8Array(readFileSync(signedPath));
    b[0x14] = b[0x14]! ^ 0xff; // the header checksum (igvm-format.md §2.4)
    expect((await verify([put('bad.igvm', b)])).code).toBe(1);
    expect((await sign([put('bad2.igvm', b), '-o', out('x.igvm'), '--id-key', ID.priv])).code).toBe(1);
  });
});

describe('sign: keys and options that are refused', () => {
  it('keys that are not P-384 are refused (exit 1) and nothing is written', async () => {
    for (const key of [P256.priv, P521.priv]) {
      const o = out('wrong-curve.igvm');
      const r = await sign([builtPath, '-o', o, '--id-key', key]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/WrongCurve/);
      expect(r.stderr).toMatch(/P-384/);
      expect(existsSync(o)).toBe(false);
    }
    const rsa = put('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const a = await sign([builtPath, '-o', out('x.igvm'), '--id-key', ID.priv, '--author-key', rsa]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/RSA/);
    expect((await verify([builtPath, '--trusted-id-key', P256.pub])).code).toBe(1);
    noTempFiles();
  });

  it('usage errors exit 2', async () => {
    const o = out('u.igvm');
    expect((await sign([builtPath, '--id-key', ID.priv])).code).toBe(2); // no -o
    expect((await sign([builtPath, '-o', builtPath, '--id-key', ID.priv])).code).toBe(2); // OUT is FILE
    expect((await sign([builtPath, '-o', o])).code).toBe(2); // no key
    expect((await sign([builtPath, '-o', o, '--id-key', ID.priv, '--id-signature', ID.pub, '--id-public-key', ID.pub])).code).toBe(2);
    expect((await sign([builtPath, '-o', o, '--id-signature', ID.pub])).code).toBe(2); // without --id-public-key
    expect((await sign([builtPath, '-o', o, '--id-key', ID.priv, '--family-id', '00'.repeat(17)])).code).toBe(2);
    expect((await sign([builtPath, '-o', o, '--id-key', ID.priv, '--svn', '-1'])).code).toBe(2);
    expect((await sign([builtPath, '-o', o, '--id-key', ID.priv, '--profile', 'hyperv'])).code).toBe(2);
    const v = await sign([builtPath, '-o', o, '--id-key', ID.priv, '--version', '2']);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/VERSION must be 1/);
    expect((await sign([builtPath, '--emit-tbs', out('t.bin'), '-o', o])).code).toBe(2);
    expect(existsSync(o)).toBe(false);
    expect((await verify([])).code).toBe(2);
  });

  it('files that cannot be signed: no SEV_SNP platform (1), no GUEST_POLICY (3), not measurable (3)', async () => {
    const tdx = put(
      'tdx.igvm',
      new IgvmBuilder().platform({ compatibilityMask: 0x1, platformType: 'TDX' }).pageData({ gpa: 0, compatibilityMask: 0x1, data: DATA }).toBytes(),
    );
    const r = await sign([tdx, '-o', out('x.igvm'), '--id-key', ID.priv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/NoSnpPlatform/);
    // Without a GUEST_POLICY the ID block's POLICY is unknown under every profile (snp.md §3.3).
    const noPolicy = put(
      'nopolicy.igvm',
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
        .pageData({ gpa: 0, compatibilityMask: 0x1, data: DATA })
        .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
        .toBytes(),
    );
    for (const profile of ['igvm', 'qemu']) {
      const p = await sign([noPolicy, '-o', out('x.igvm'), '--id-key', ID.priv, '--profile', profile]);
      expect(p.code).toBe(3);
      expect(p.stderr).toMatch(/NoGuestPolicy/);
    }
    // The qemu profile needs a VMSA for vCPU 0 (snp.md §2.5); without one there is no digest.
    const noVmsa = put(
      'novmsa.igvm',
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
        .guestPolicy({ policy: POLICY, compatibilityMask: 0x1 })
        .pageData({ gpa: 0, compatibilityMask: 0x1, data: DATA })
        .toBytes(),
    );
    const q = await sign([noVmsa, '-o', out('x.igvm'), '--id-key', ID.priv, '--profile', 'qemu']);
    expect(q.code).toBe(3);
    expect(q.stderr).toMatch(/NotMeasurable.*MissingVmsa/);
    expect((await sign([noVmsa, '-o', out('x.igvm'), '--id-key', ID.priv])).code).toBe(0);
    noTempFiles();
  });

  it('--help describes every option', async () => {
    const s = await sign(['--help']);
    expect(s.code).toBe(0);
    for (const o of ['-o, --output', '--id-key', '--author-key', '--family-id', '--image-id', '--version', '--svn', '--profile', '--emit-tbs', '--id-signature', '--id-public-key', '--author-signature', '--author-public-key']) {
      expect(s.stdout).toContain(o);
    }
    const v = await verify(['--help']);
    expect(v.code).toBe(0);
    for (const o of ['--trusted-id-key', '--trusted-author-key', '--profile', '--json']) expect(v.stdout).toContain(o);
  });
});

// ---- out-of-band signing -----------------------------------------------------------------------------------

describe('out-of-band signing (--emit-tbs, --id-signature, --author-signature)', () => {
  const tbsPath = out('id.tbs');
  const authorTbsPath = out('author.tbs');

  /** WebCrypto playing the HSM: raw r‖s over the bytes. */
  async function hsmSign(key: KeyObject, data: Uint8Array): Promise<Uint8Array> {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    const k = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, k, data));
  }

  it('--emit-tbs writes exactly the 96 bytes of §3.1 and --emit-author-tbs the ID key of §3.2', async () => {
    const r = await sign([builtPath, '--emit-tbs', tbsPath, '--emit-author-tbs', authorTbsPath, '--id-public-key', ID.pub, '--family-id', FAMILY, '--svn', '3', '--json']);
    expect(r.code).toBe(0);
    expect(hex(readFileSync(tbsPath))).toBe(idBlockByHand(BUILT_LD, FAMILY, '', 3, POLICY).toString('hex'));
    expect(hex(readFileSync(authorTbsPath))).toBe(amdKeyByHand(ID.key).toString('hex'));
    const doc = JSON.parse(r.stdout) as { platforms: Array<{ launch_digest: string; policy: number }> };
    expect(doc.platforms[0]!.launch_digest).toBe(BUILT_LD);
    expect(doc.platforms[0]!.policy).toBe(Number(POLICY));
    noTempFiles();
  });

  it('signatures made elsewhere (raw r‖s from WebCrypto, DER from OpenSSL) are accepted and verify', async () => {
    const tbs = new Uint8Array(readFileSync(tbsPath));
    const authorTbs = new Uint8Array(readFileSync(authorTbsPath));
    const rawSig = put('id.raw.sig', await hsmSign(ID.key, tbs));
    const derSig = put('id.der.sig', nodeSign('sha384', tbs, { key: ID.key, dsaEncoding: 'der' }));
    const authorSig = put('author.der.sig', nodeSign('sha384', authorTbs, { key: AUTHOR.key, dsaEncoding: 'der' }));
    for (const sig of [rawSig, derSig]) {
      const o = out('oob.igvm');
      const r = await sign([
        builtPath, '-o', o, '--family-id', FAMILY, '--svn', '3',
        '--id-signature', sig, '--id-public-key', ID.pub,
        '--author-signature', authorSig, '--author-public-key', AUTHOR.pub,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const v = await verify([o, '--trusted-id-key', ID.pub, '--trusted-author-key', AUTHOR.pub]);
      expect(v.code).toBe(0);
      // The signature in the file is the one given (r, s), re-encoded little-endian.
      const block = idBlocksOf(parseIgvm(new Uint8Array(readFileSync(o))))[0]!;
      expect(nodeVerify('sha384', tbs, { key: createPublicKey(ID.key), dsaEncoding: 'ieee-p1363' }, rawOf(block.idKeySignature))).toBe(true);
    }
    // An external author signature with a local ID key.
    const mixed = out('mixed.igvm');
    expect((await sign([builtPath, '-o', mixed, '--id-key', ID.priv, '--author-signature', authorSig, '--author-public-key', AUTHOR.pub])).code).toBe(0);
    expect((await verify([mixed])).code).toBe(0);
  });

  it('a signature that does not verify is refused before anything is written (exit 3)', async () => {
    const tbs = new Uint8Array(readFileSync(tbsPath));
    const cases: Array<[string, string[]]> = [
      // Made by another key.
      ['wrong key', ['--id-signature', put('other.sig', await hsmSign(OTHER.key, tbs)), '--id-public-key', ID.pub, '--family-id', FAMILY, '--svn', '3']],
      // Right key, but the ID block options differ from those of --emit-tbs (no --svn 3).
      ['other block', ['--id-signature', put('good.sig', await hsmSign(ID.key, tbs)), '--id-public-key', ID.pub, '--family-id', FAMILY]],
      // An author signature over something else.
      ['author', ['--id-key', ID.priv, '--author-signature', put('bad-author.sig', await hsmSign(AUTHOR.key, tbs)), '--author-public-key', AUTHOR.pub]],
    ];
    for (const [, args] of cases) {
      const o = out('refused.igvm');
      const r = await sign([builtPath, '-o', o, ...args]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/SignatureDoesNotVerify/);
      expect(existsSync(o)).toBe(false);
    }
    const garbage = await sign([builtPath, '-o', out('g.igvm'), '--id-signature', put('garbage.sig', new Uint8Array(50)), '--id-public-key', ID.pub]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/BadSignature/);
    noTempFiles();
  });
});

describe('library API', () => {
  it('signIgvm leaves its input alone; verifyIgvmSignatures reports on the result', async () => {
    const file = parseIgvm(builtBytes);
    const count = file.directives.length;
    const idKey = await loadPrivateKey(readFileSync(ID.priv, 'utf8'));
    const signed = await signIgvm(file, { idKey, guestSvn: 1 });
    expect(file.directives.length).toBe(count);
    expect(signed.directives.length).toBe(count + 1);
    const checks = await verifyIgvmSignatures(signed, { trustedIdKey: await loadPublicKey(readFileSync(ID.pub, 'utf8')) });
    expect(checks.filter((c) => c.ok === false)).toEqual([]);
    expect(await verifyIgvmSignatures(file)).toEqual([]);
  });
});

// ---- every SEV_SNP file of ../shared/vectors/igvm ------------------------------------------------------

sharedNotice('sign/verify round trips (../shared/vectors/igvm)');
describe.skipIf(!HAVE_SHARED)('sign → verify round trips on ../shared/vectors/igvm', () => {
  const vectors = upstreamIgvmVectors().filter((v) => sharedJson<{ platforms?: UpstreamPlatform[] }>(v.json).platforms?.some((p) => p.platform_type === 'SEV_SNP'));
  const expected = HAVE_SHARED
    ? sharedJson<{ expected_id_key_digest_hex: string; expected_author_key_digest_hex: string }>('evidence/idblock/expected.json')
    : undefined;
  const virteeId = join(SHARED_VECTORS, 'evidence/idblock/virtee-test_id_key.pem');
  const virteeAuthor = join(SHARED_VECTORS, 'evidence/idblock/virtee-test_auth_key.pem');

  it('finds the SEV_SNP vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
  });

  for (const v of vectors) {
    const platforms = HAVE_SHARED ? sharedJson<{ platforms: UpstreamPlatform[] }>(v.json).platforms : [];
    const snp = platforms.find((p) => p.platform_type === 'SEV_SNP')!;
    if (snp.error !== undefined) {
      // Upstream cannot measure this platform (these files have no GUEST_POLICY for it), so
      // there is no launch digest and no policy to sign: sign must refuse. Skipped as a round trip.
      it(`${v.name}: skipped as a round trip — upstream cannot measure its SEV_SNP platform (${snp.error}); sign refuses (exit 3)`, async () => {
        const o = out(`${v.name}.signed`);
        const r = await sign([join(SHARED_VECTORS, v.igvm), '-o', o, '--id-key', virteeId]);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/NoGuestPolicy/);
        expect(existsSync(o)).toBe(false);
      });
      continue;
    }
    it(`${v.name}: signed with virtee's keys, verifies, and every digest is upstream's`, async () => {
      const input = join(SHARED_VECTORS, v.igvm);
      const before = sha256(sharedBytes(v.igvm));
      const o = out(`${v.name}.signed`);
      const r = await sign([input, '-o', o, '--id-key', virteeId, '--author-key', virteeAuthor, '--svn', '2', '--json']);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { platforms: Array<{ launch_digest: string; id_key_digest: string; author_key_digest: string }> };
      expect(doc.platforms).toHaveLength(1);
      expect(doc.platforms[0]!.launch_digest).toBe(snp.snp_launch_digest);
      expect(doc.platforms[0]!.id_key_digest).toBe(expected!.expected_id_key_digest_hex);
      expect(doc.platforms[0]!.author_key_digest).toBe(expected!.expected_author_key_digest_hex);
      expect(sha256(sharedBytes(v.igvm))).toBe(before);

      const v0 = await verify([o, '--trusted-id-key', virteeId, '--trusted-author-key', virteeAuthor, '--json']);
      expect(v0.code).toBe(0);
      expect(JSON.parse(v0.stdout).ok).toBe(true);

      // The signed file parses; every platform's digest is still upstream's.
      const original = parseIgvm(sharedBytes(v.igvm));
      const signed = parseIgvm(new Uint8Array(readFileSync(o)));
      const result = measure(signed);
      for (const p of platforms) {
        const want = p.snp_launch_digest ?? p.tdx_mrtd ?? p.vbs_digest;
        if (want === undefined) continue;
        const got = result.platforms.find((x) => x.compatibilityMask === p.compatibility_mask);
        expect(got && 'digest' in got ? hex(got.digest) : got).toBe(want);
      }
      // One ID block; an existing one was replaced where it stood, else appended.
      const blocks = idBlocksOf(signed);
      expect(blocks).toHaveLength(1);
      expect(hex(blocks[0]!.ld)).toBe(snp.snp_launch_digest);
      const old = original.directives.findIndex((d) => d.kind === 'SNP_ID_BLOCK');
      const now = signed.directives.findIndex((d) => d.kind === 'SNP_ID_BLOCK');
      expect(now).toBe(old >= 0 ? old : original.directives.length);
      expect(signed.directives.filter((d) => d.kind !== 'SNP_ID_BLOCK').map((d) => d.kind)).toEqual(
        original.directives.filter((d) => d.kind !== 'SNP_ID_BLOCK').map((d) => d.kind),
      );
    });
  }

  it('the fuzzed ID blocks of the *_04_multi vectors do not verify (exit 3)', async () => {
    for (const name of ['seed1_04_multi', 'seed2_04_multi']) {
      const r = await verify([join(SHARED_VECTORS, `igvm/upstream/${name}.igvm`), '--json']);
      expect(r.code).toBe(3);
      const failed = (JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean | null }> }).checks.filter((c) => c.ok === false).map((c) => c.name);
      expect(failed).toContain('snp-id-block-ld');
      expect(failed).toContain('snp-id-key-signature');
    }
  });

  it('a changed page in the signed COCONUT file fails snp-id-block-ld', async () => {
    const o = out('coconut.signed');
    expect((await sign([join(SHARED_VECTORS, 'igvm/real/coconut-svsm-test.igvm'), '-o', o, '--id-key', virteeId])).code).toBe(0);
    const f = parseIgvm(new Uint8Array(readFileSync(o)));
    const i = f.directives.findIndex((d) => d.kind === 'PAGE_DATA' && d.data.length > 0 && (d.compatibilityMask & 1) !== 0);
    const page = f.directives[i] as PageDataHeader;
    const changed = page.data.bytes().slice();
    changed[100] = changed[100]! ^ 0x01;
    const directives = f.directives.map((d, k) => (k === i ? ({ ...page, data: bytesData(changed) } as PageDataHeader) : d));
    const p = put('coconut-changed.igvm', serializeIgvm({ ...f, directives }));
    const r = await verify([p, '--json']);
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean | null }> }).checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['snp-id-block-ld']);
  });
});
