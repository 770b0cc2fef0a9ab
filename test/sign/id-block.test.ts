/**
 * The SNP ID block, ID_AUTH_INFO, key layouts and signature encodings (spec/snp.md §3.1–§3.3,
 * spec/igvm-format.md §7.8).
 *
 * Expected values come from outside our code: virtee/sev's test data in
 * ../shared/vectors/evidence/idblock (expected.json: the ID block, both key digests; the
 * recorded signatures and the 4096-byte auth block), the spec's layout tables (assembled by
 * hand below with node:crypto and Buffer, sharing no code with src/sign), and signatures made
 * and checked by node:crypto (OpenSSL) as the independent ECDSA implementation.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IgvmBuilder, parseIgvm, serializeIgvm, toAmdPublicKey, type SnpIdBlockHeader } from '../../src/index.js';
import { SignError } from '../../src/sign/errors.js';
import { ID_AUTH_INFO, ID_BLOCK, buildIdBlockHeader, decodeIdBlock, encodeIdAuthInfo, encodeIdBlock, verifyAuthorSignature, verifyIdBlockSignature } from '../../src/sign/id-block.js';
import { fieldSize, type FieldSpec } from '../../src/format/struct.js';
import {
  amdSignature,
  derSignature,
  igvmSignature,
  rawSignature,
  signP384,
  signatureCandidates,
  signatureFromAmd,
  signatureFromDer,
  signatureFromRaw,
  verifyP384,
} from '../../src/sign/signature.js';
import { amdPublicKey, igvmPublicKey, loadPrivateKey, loadPublicKey, pointFromIgvmPublicKey, snpKeyDigest } from '../../src/sign/keys.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Expected {
  launch_digest_hex: string;
  expected_id_block_base64: string;
  expected_id_key_digest_hex: string;
  expected_author_key_digest_hex: string;
}

/** The public point of a node:crypto key, big-endian (from its JWK). */
function nodePoint(key: KeyObject): { x: Buffer; y: Buffer } {
  const jwk = key.export({ format: 'jwk' });
  return { x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') };
}

/** spec/snp.md §3.2 by hand: CURVE u32 LE 2 at 0, QX LE at 4, QY LE at 0x4C, zeros to 0x404. */
function amdKeyByHand(p: { x: Buffer; y: Buffer }): Uint8Array {
  const out = Buffer.alloc(0x404);
  out.writeUInt32LE(2, 0);
  Buffer.from(p.x).reverse().copy(out, 0x04);
  Buffer.from(p.y).reverse().copy(out, 0x4c);
  return new Uint8Array(out);
}

async function signError(p: Promise<unknown> | (() => unknown)): Promise<SignError> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SignError);
    return e as SignError;
  }
  throw new Error('expected a SignError');
}

// ---- virtee/sev test data ------------------------------------------------------------------------------

sharedNotice('SNP ID block (virtee/sev vectors)');
describe.skipIf(!HAVE_SHARED)('virtee/sev test data (vectors/evidence/idblock)', () => {
  const dir = 'evidence/idblock';
  const expected = HAVE_SHARED ? sharedJson<Expected>(`${dir}/expected.json`) : undefined;
  const idPem = (): string => text(sharedBytes(`${dir}/virtee-test_id_key.pem`));
  const authorPem = (): string => text(sharedBytes(`${dir}/virtee-test_auth_key.pem`));

  it('our 96-byte ID block for the launch digest and defaults (policy 0x30000) is expected_id_block_base64', () => {
    const block = encodeIdBlock({ ld: new Uint8Array(Buffer.from(expected!.launch_digest_hex, 'hex')), policy: 0x30000n });
    expect(Buffer.from(block).toString('base64')).toBe(expected!.expected_id_block_base64);
  });

  it('the ID-key and author-key digests are the expected values (SHA-384 over the AMD layout)', async () => {
    const id = await loadPrivateKey(idPem(), 'id key');
    const author = await loadPrivateKey(authorPem(), 'author key');
    expect(hex(snpKeyDigest(id.point))).toBe(expected!.expected_id_key_digest_hex);
    expect(hex(snpKeyDigest(author.point))).toBe(expected!.expected_author_key_digest_hex);
    // The same through the IGVM layout (§3.3: converted before hashing).
    expect(hex(snpKeyDigest(igvmPublicKey(id.point)))).toBe(expected!.expected_id_key_digest_hex);
  });

  it('the same keys as SEC1 PEM, as DER, and their SPKI public keys give the same digests', async () => {
    for (const [pem, digest] of [
      [idPem(), expected!.expected_id_key_digest_hex],
      [authorPem(), expected!.expected_author_key_digest_hex],
    ] as const) {
      const key = createPrivateKey(pem);
      const sec1 = key.export({ format: 'pem', type: 'sec1' }) as string;
      expect(sec1).toMatch(/BEGIN EC PRIVATE KEY/);
      expect(hex(snpKeyDigest((await loadPrivateKey(sec1)).point))).toBe(digest);
      const sec1Der = new Uint8Array(key.export({ format: 'der', type: 'sec1' }));
      expect(hex(snpKeyDigest((await loadPrivateKey(sec1Der)).point))).toBe(digest);
      const pkcs8Der = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
      expect(hex(snpKeyDigest((await loadPrivateKey(pkcs8Der)).point))).toBe(digest);
      const spki = createPublicKey(key).export({ format: 'pem', type: 'spki' }) as string;
      expect(hex(snpKeyDigest((await loadPublicKey(spki)).point))).toBe(digest);
      // A private key where a public one is expected: its public half.
      expect(hex(snpKeyDigest((await loadPublicKey(pem)).point))).toBe(digest);
    }
  });

  it('the recorded ID-block signature (virtee-test_id_sig.bin) verifies over the 96 bytes with the ID key', async () => {
    const id = await loadPrivateKey(idPem());
    const block = b64(expected!.expected_id_block_base64);
    const sig = signatureFromAmd(sharedBytes(`${dir}/virtee-test_id_sig.bin`));
    expect(await verifyIdBlockSignature(block, sig, id.point)).toBe(true);
    expect(await verifyIdBlockSignature(block, sig, igvmPublicKey(id.point))).toBe(true);
    // Independently: OpenSSL accepts the same (r, s) over the same bytes.
    expect(nodeVerify('sha384', block, { key: createPrivateKey(idPem()), dsaEncoding: 'ieee-p1363' }, rawSignature(sig))).toBe(true);
    const tampered = block.slice();
    tampered[0x54] = tampered[0x54]! ^ 1; // GUEST_SVN
    expect(await verifyIdBlockSignature(tampered, sig, id.point)).toBe(false);
    const author = await loadPrivateKey(authorPem());
    expect(await verifyIdBlockSignature(block, sig, author.point)).toBe(false);
  });

  it('the recorded author signature (virtee-test_auth_sig.bin) verifies over the ID key in AMD layout', async () => {
    const id = await loadPrivateKey(idPem());
    const author = await loadPrivateKey(authorPem());
    const sig = signatureFromAmd(sharedBytes(`${dir}/virtee-test_auth_sig.bin`));
    expect(await verifyAuthorSignature(id.point, sig, author.point)).toBe(true);
    expect(await verifyAuthorSignature(igvmPublicKey(id.point), igvmSignature(sig), igvmPublicKey(author.point))).toBe(true);
    // Over the IGVM layout verbatim it must not verify (§3.3).
    expect(await verifyP384(author.point, sig, new Uint8Array(0x404))).toBe(false);
    expect(await verifyAuthorSignature(author.point, sig, author.point)).toBe(false);
  });

  it('our ID_AUTH_INFO from the recorded signatures and the two keys equals virtee-test_auth_block.bin byte for byte', async () => {
    const id = await loadPrivateKey(idPem());
    const author = await loadPrivateKey(authorPem());
    const auth = encodeIdAuthInfo({
      idBlockSignature: signatureFromAmd(sharedBytes(`${dir}/virtee-test_id_sig.bin`)),
      idKey: id.point,
      authorKeySignature: signatureFromAmd(sharedBytes(`${dir}/virtee-test_auth_sig.bin`)),
      authorKey: author.point,
    });
    const golden = sharedBytes(`${dir}/virtee-test_auth_block.bin`);
    expect(auth.length).toBe(4096);
    expect(hex(auth)).toBe(hex(golden));
  });

  it('the IGVM SNP_ID_BLOCK header carries the same key and signature in the §7.8 layout', async () => {
    const id = await loadPrivateKey(idPem());
    const author = await loadPrivateKey(authorPem());
    const golden = sharedBytes(`${dir}/virtee-test_auth_block.bin`);
    const header = buildIdBlockHeader({
      compatibilityMask: 0x1,
      idBlock: { ld: new Uint8Array(Buffer.from(expected!.launch_digest_hex, 'hex')) },
      idBlockSignature: signatureFromAmd(sharedBytes(`${dir}/virtee-test_id_sig.bin`)),
      idKey: id.point,
      authorKeySignature: signatureFromAmd(sharedBytes(`${dir}/virtee-test_auth_sig.bin`)),
      authorKey: author.point,
    });
    const bytes = serializeIgvm(
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
        .guestPolicy({ policy: 0x30000n, compatibilityMask: 0x1 })
        // upstream rejects a file without file data (igvm-format.md), so one page with data.
        .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: Uint8Array.of(1) })
        .add(header)
        .build(),
    );
    const parsed = parseIgvm(bytes).directives.find((d): d is SnpIdBlockHeader => d.kind === 'SNP_ID_BLOCK')!;
    const at = parsed.offset! + 8; // past the 8-byte TLV header
    const payload = bytes.subarray(at, at + 0x2b8);
    // spec/igvm-format.md §7.8 offsets, against the AMD-layout bytes of the golden auth block (§3.2).
    expect(Buffer.from(payload.subarray(0x000, 0x004)).readUInt32LE(0)).toBe(1); // mask
    expect(payload[0x004]).toBe(1); // author_key_enabled
    expect(hex(payload.subarray(0x008, 0x038))).toBe(expected!.launch_digest_hex);
    expect(Buffer.from(payload.subarray(0x058, 0x068)).toString('hex')).toBe('01000000' + '00000000' + '01000000' + '01000000');
    expect(hex(payload.subarray(0x068, 0x0f8))).toBe(hex(golden.subarray(0x040, 0x040 + 144))); // id signature r, s
    expect(hex(payload.subarray(0x0f8, 0x100))).toBe('0200000000000000'); // curve 2, reserved 0
    expect(hex(payload.subarray(0x100, 0x190))).toBe(hex(golden.subarray(0x244, 0x244 + 144))); // qx, qy
    expect(hex(payload.subarray(0x190, 0x220))).toBe(hex(golden.subarray(0x680, 0x680 + 144)));
    expect(hex(payload.subarray(0x220, 0x228))).toBe('0200000000000000');
    expect(hex(payload.subarray(0x228, 0x2b8))).toBe(hex(golden.subarray(0x884, 0x884 + 144)));
    expect(hex(toAmdPublicKey(parsed.idPublicKey))).toBe(hex(golden.subarray(0x240, 0x644)));
  });
});

// ---- keys generated here (no ../shared needed) -----------------------------------------------------------

describe('P-384 keys', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const point = nodePoint(privateKey);
  const expectedDigest = sha384(amdKeyByHand(point));

  it('PKCS#8, SEC1 (with an EC PARAMETERS block before it), DER and SPKI all give the point and the §3.2 digest', async () => {
    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const sec1 = privateKey.export({ format: 'pem', type: 'sec1' }) as string;
    // What `openssl ecparam -name secp384r1 -genkey` writes: the parameters, then the key.
    const withParams = `-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n${sec1}`;
    const spki = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const spkiDer = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    for (const pair of [await loadPrivateKey(pkcs8), await loadPrivateKey(sec1), await loadPrivateKey(withParams), await loadPrivateKey(new TextEncoder().encode(sec1))]) {
      expect(hex(pair.point.x)).toBe(point.x.toString('hex'));
      expect(hex(pair.point.y)).toBe(point.y.toString('hex'));
      expect(hex(snpKeyDigest(pair.point))).toBe(expectedDigest);
    }
    for (const pub of [await loadPublicKey(spki), await loadPublicKey(spkiDer), await loadPublicKey(sec1)]) {
      expect(hex(snpKeyDigest(pub.point))).toBe(expectedDigest);
    }
  });

  it('the AMD layout is the §3.2 layout and the IGVM layout adds the reserved u32 (§7.8)', () => {
    expect(hex(amdPublicKey(point))).toBe(hex(amdKeyByHand(point)));
    const igvm = igvmPublicKey(point);
    expect(igvm.curve).toBe(2);
    expect(igvm.reserved).toBe(0);
    expect(hex(igvm.qx)).toBe(Buffer.concat([Buffer.from(point.x).reverse(), Buffer.alloc(24)]).toString('hex'));
    expect(hex(pointFromIgvmPublicKey(igvm).y)).toBe(point.y.toString('hex'));
  });

  it('a key signs with WebCrypto and OpenSSL accepts the signature', async () => {
    const pair = await loadPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const data = new TextEncoder().encode('the 96 bytes, or anything');
    const sig = await signP384(pair.privateKey, data);
    expect(nodeVerify('sha384', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rawSignature(sig))).toBe(true);
    expect(nodeVerify('sha384', data, { key: publicKey, dsaEncoding: 'der' }, derSignature(sig))).toBe(true);
  });

  it('keys that are not P-384 are refused by name', async () => {
    const cases: Array<[string, KeyObject, RegExp]> = [
      ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, /P-256/],
      ['P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey, /P-521/],
      ['secp256k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, /secp256k1/],
      ['RSA', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, /RSA/],
      ['Ed25519', generateKeyPairSync('ed25519').privateKey, /Ed25519/],
    ];
    for (const [name, key, pattern] of cases) {
      const pkcs8 = key.export({ format: 'pem', type: 'pkcs8' }) as string;
      const e = await signError(loadPrivateKey(pkcs8, name));
      expect(e.code).toBe('WrongCurve');
      expect(e.message).toMatch(pattern);
      expect(e.message).toMatch(/P-384/);
      const spki = createPublicKey(key).export({ format: 'pem', type: 'spki' }) as string;
      expect((await signError(loadPublicKey(spki, name))).code).toBe('WrongCurve');
      if (key.asymmetricKeyType === 'ec') {
        const sec1 = key.export({ format: 'pem', type: 'sec1' }) as string;
        const s = await signError(loadPrivateKey(sec1, name));
        expect(s.code).toBe('WrongCurve');
        expect(s.message).toMatch(pattern);
      }
    }
    const rsaTraditional = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect((await signError(loadPrivateKey(rsaTraditional))).code).toBe('WrongCurve');
  });

  it('unusable input is BadKey: encrypted keys, public keys for signing, not PEM, broken DER', async () => {
    const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    expect((await signError(loadPrivateKey(encrypted))).message).toMatch(/encrypted/);
    expect((await signError(loadPrivateKey(publicKey.export({ format: 'pem', type: 'spki' }) as string))).code).toBe('BadKey');
    expect((await signError(loadPrivateKey('hello'))).code).toBe('BadKey');
    expect((await signError(loadPrivateKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01)))).code).toBe('BadKey');
    expect((await signError(loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).code).toBe('BadKey');
  });
});

// ---- signature encodings ------------------------------------------------------------------------------------

describe('ECDSA signature encodings (spec/snp.md §3.2: R, S little-endian, zero-padded to 72)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const data = new Uint8Array(96).fill(7);
  const raw = new Uint8Array(nodeSign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  const der = new Uint8Array(nodeSign('sha384', data, { key: privateKey, dsaEncoding: 'der' }));

  it('raw r||s and OpenSSL DER decode to integers that verify', async () => {
    const fromRaw = signatureFromRaw(raw);
    const fromDer = signatureFromDer(der);
    const pub = await loadPublicKey(publicKey.export({ format: 'pem', type: 'spki' }) as string);
    expect(await verifyP384(pub, fromRaw, data)).toBe(true);
    expect(await verifyP384(pub, fromDer, data)).toBe(true);
    // DER of our making is what OpenSSL reads back.
    expect(nodeVerify('sha384', data, { key: publicKey, dsaEncoding: 'der' }, derSignature(fromDer))).toBe(true);
  });

  it("AMD's layout: R at 0 and S at 0x48, each the reversed big-endian integer, rest zero", () => {
    const sig = signatureFromRaw(raw);
    const amd = amdSignature(sig);
    expect(amd.length).toBe(512);
    expect(hex(amd.subarray(0, 48))).toBe(Buffer.from(raw.subarray(0, 48)).reverse().toString('hex'));
    expect(hex(amd.subarray(0x48, 0x48 + 48))).toBe(Buffer.from(raw.subarray(48)).reverse().toString('hex'));
    expect(amd.subarray(48, 0x48).every((b) => b === 0)).toBe(true);
    expect(amd.subarray(0x48 + 48).every((b) => b === 0)).toBe(true);
    expect(hex(rawSignature(signatureFromAmd(amd)))).toBe(hex(raw));
    expect(hex(rawSignature(signatureFromAmd(amd.subarray(0, 144))))).toBe(hex(raw));
    const igvm = igvmSignature(sig);
    expect(hex(igvm.rComp)).toBe(hex(amd.subarray(0, 72)));
    expect(hex(igvm.sComp)).toBe(hex(amd.subarray(72, 144)));
  });

  it('signatureCandidates reads all three encodings', () => {
    expect(signatureCandidates(raw).map((s) => hex(rawSignature(s)))).toContain(hex(raw));
    expect(signatureCandidates(der).map((s) => hex(rawSignature(s)))).toEqual([hex(rawSignature(signatureFromDer(der)))]);
    expect(signatureCandidates(amdSignature(signatureFromRaw(raw))).map((s) => hex(rawSignature(s)))).toEqual([hex(raw)]);
  });

  it('malformed signatures are BadSignature', async () => {
    const amd = amdSignature(signatureFromRaw(raw));
    amd[60] = 1; // above the 48 bytes of R
    expect((await signError(() => signatureFromAmd(amd))).code).toBe('BadSignature');
    expect((await signError(() => signatureFromDer(Uint8Array.from([...der, 0])))).code).toBe('BadSignature');
    expect((await signError(() => signatureCandidates(new Uint8Array(10)))).code).toBe('BadSignature');
    expect((await signError(() => signatureFromRaw(new Uint8Array(95)))).code).toBe('BadSignature');
  });
});

// ---- the ID block and ID_AUTH_INFO layouts ---------------------------------------------------------------------

describe('ID block and ID_AUTH_INFO layouts', () => {
  // [offset, size] rows copied from the tables of spec/snp.md §3.1 and §3.2, reserved rows included.
  const table = (layout: { readonly fields: Record<string, FieldSpec> }): [number, number][] => Object.values(layout.fields).map((f) => [f.offset, fieldSize(f)]);
  it('the ID_BLOCK table is spec/snp.md §3.1 row for row', () => {
    expect(ID_BLOCK.size).toBe(0x60);
    expect(table(ID_BLOCK)).toEqual([[0x00, 48], [0x30, 16], [0x40, 16], [0x50, 4], [0x54, 4], [0x58, 8]]);
  });
  it('the ID_AUTH_INFO table is spec/snp.md §3.2 row for row, tiling 4096 bytes', () => {
    expect(ID_AUTH_INFO.size).toBe(0x1000);
    expect(table(ID_AUTH_INFO)).toEqual([[0x000, 4], [0x004, 4], [0x008, 56], [0x040, 512], [0x240, 1028], [0x644, 60], [0x680, 512], [0x880, 1028], [0xc84, 892]]);
  });

  it('every field at its §3.1 offset, little-endian', () => {
    const ld = new Uint8Array(48).map((_, i) => i + 1);
    const block = encodeIdBlock({ ld, familyId: new Uint8Array(16).fill(0xf1), imageId: new Uint8Array(16).fill(0x1a), guestSvn: 0x01020304, policy: 0x3001fn });
    // LD ‖ FAMILY_ID ‖ IMAGE_ID ‖ VERSION 1 ‖ GUEST_SVN ‖ POLICY, assembled from the table by hand.
    const expected = hex(ld) + 'f1'.repeat(16) + '1a'.repeat(16) + '01000000' + '04030201' + '1f00030000000000';
    expect(hex(block)).toBe(expected);
    expect(decodeIdBlock(block).guestSvn).toBe(0x01020304);
  });

  it('wrong field sizes and ranges are BadOption', async () => {
    expect((await signError(() => encodeIdBlock({ ld: new Uint8Array(47), policy: 0n }))).code).toBe('BadOption');
    expect((await signError(() => encodeIdBlock({ ld: new Uint8Array(48), familyId: new Uint8Array(15), policy: 0n }))).code).toBe('BadOption');
    expect((await signError(() => encodeIdBlock({ ld: new Uint8Array(48), guestSvn: 2 ** 32, policy: 0n }))).code).toBe('BadOption');
    expect((await signError(() => encodeIdBlock({ ld: new Uint8Array(48), policy: 1n << 64n }))).code).toBe('BadOption');
  });

  it('without an author key, AUTH_KEY_ALGO and the author fields stay zero', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const id = await loadPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const block = encodeIdBlock({ ld: new Uint8Array(48), policy: 0x30000n });
    const sig = await signP384(id.privateKey, block);
    const auth = encodeIdAuthInfo({ idBlockSignature: sig, idKey: id.point });
    const view = Buffer.from(auth);
    expect(view.readUInt32LE(0)).toBe(1);
    expect(view.readUInt32LE(4)).toBe(0);
    expect(hex(auth.subarray(0x240, 0x644))).toBe(hex(amdKeyByHand(nodePoint(privateKey))));
    expect(auth.subarray(0x644).every((b) => b === 0)).toBe(true);
    expect(await verifyIdBlockSignature(block, signatureFromAmd(auth.subarray(0x40, 0x240)), id.point)).toBe(true);
    const header = buildIdBlockHeader({ compatibilityMask: 1, idBlock: { ld: new Uint8Array(48) }, idBlockSignature: sig, idKey: id.point });
    expect(header.authorKeyEnabled).toBe(0);
    expect(header.authorKeyAlgorithm).toBe(0);
    expect(header.authorPublicKey.curve).toBe(0);
    expect(header.idKeyAlgorithm).toBe(1);
    expect(header.version).toBe(1);
  });
});
