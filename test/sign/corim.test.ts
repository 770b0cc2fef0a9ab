/**
 * The launch-measurement CoRIM (spec/vbs-cca-corim.md §3.2–§3.3) and the IGVM CORIM header
 * layout (spec/igvm-format.md §6.5, §12). Expected values: the 306-byte worked example and its
 * SHA-256 (§3.3), the tag-ids of §3.2 (the AMD one asserted by upstream's test), the writer
 * rules of §12. Needs nothing from ../shared.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode, encode, Tag } from 'cbor2';
import { IgvmBuilder, crc32, parseIgvm, serializeIgvm, type CorimHeader } from '../../src/format/index.js';
import { CorimError } from '../../src/sign/corim-errors.js';
import {
  LAUNCH_MEASUREMENT_CLASSES,
  LAUNCH_MEASUREMENT_PROFILE,
  buildLaunchMeasurementCorim,
  decodeLaunchMeasurementCorim,
  launchMeasurementCorimId,
  launchMeasurementTagId,
  readUnsignedCorim,
  uuidV5,
  type LaunchMeasurementPlatform,
} from '../../src/sign/corim.js';
import { OPENVMM_DIGESTS } from '../helpers/openvmm.js';
import { CORIM_WORKED_EXAMPLE_HEX } from '../helpers/corim-example.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const WORKED_EXAMPLE_SHA256 = '419a2032999497118516d93e504f81ec15136aa89bca0f214ee19f0c14e0c197';
const VBS_DIGEST = '30134C9BB89CD72D8A418D1E7AFB75927F45E8571DDA7AC7BE87D4B6C72CA64C';

describe('the worked example (vbs-cca-corim.md §3.3)', () => {
  const expected = fromHex(CORIM_WORKED_EXAMPLE_HEX);

  it('the spec text is the 306 bytes whose SHA-256 it gives', () => {
    expect(expected.length).toBe(306);
    expect(createHash('sha256').update(expected).digest('hex')).toBe(WORKED_EXAMPLE_SHA256);
  });

  it('buildLaunchMeasurementCorim reproduces it byte for byte', () => {
    const built = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: fromHex(VBS_DIGEST), svn: 1 });
    expect(built.length).toBe(306);
    expect(hex(built)).toBe(hex(expected));
    // The same with the SVN as a bigint and the digest as a Node Buffer (a Buffer must still be a bstr).
    expect(hex(buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: Buffer.from(VBS_DIGEST, 'hex'), svn: 1n }))).toBe(hex(expected));
  });

  it('the CoMID inside is 211 bytes (§3.3)', () => {
    const top = decode(expected, { ignoreGlobalTags: true, preferMap: true }) as Tag;
    const comid = ((top.contents as Map<number, unknown>).get(1) as Tag[])[0]!;
    expect(Number(comid.tag)).toBe(506);
    expect((comid.contents as Uint8Array).length).toBe(211);
  });

  it('decodes to what the diagnostic notation says', () => {
    const d = decodeLaunchMeasurementCorim(expected);
    expect(d).toMatchObject({
      platformType: 'VSM_ISOLATION',
      vendor: 'Microsoft',
      model: 'VBS',
      mkey: 'MEASUREMENT',
      algorithm: 'sha256',
      algorithmId: 1,
      svn: 1n,
      corimId: 'Microsoft/VBS/launch-measurement',
      tagId: '2e29068e-e0fa-59e6-b0ff-3bfe09132e13',
      profile: 'tag:microsoft.com,2026:launch-measurement/v1',
      canonical: true,
    });
    expect(hex(d.digest)).toBe(VBS_DIGEST.toLowerCase());
    // The openvmm vector the example was made from (helpers/openvmm.ts, §1.4).
    expect(hex(d.digest)).toBe(OPENVMM_DIGESTS[1]);
  });
});

describe('profile constants (vbs-cca-corim.md §3.2)', () => {
  it('tag-ids are UUIDv5 of "{vendor}/{model}" in the profile namespace', () => {
    expect(launchMeasurementTagId('SEV_SNP')).toBe('77e8061e-4634-5e53-a848-d1d09e996843'); // asserted upstream
    expect(launchMeasurementTagId('TDX')).toBe('e0510081-7b78-5b2a-97a6-d73d890e07b6');
    expect(launchMeasurementTagId('VSM_ISOLATION')).toBe('2e29068e-e0fa-59e6-b0ff-3bfe09132e13');
  });

  it('uuidV5 matches RFC 9562 Appendix A.4 (DNS namespace, "www.example.com")', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('corim-ids, vendors, models, mkeys and algorithms', () => {
    expect(launchMeasurementCorimId('SEV_SNP')).toBe('AMD/SEV-SNP/launch-measurement');
    expect(launchMeasurementCorimId('TDX')).toBe('Intel/TDX/launch-measurement');
    expect(launchMeasurementCorimId('VSM_ISOLATION')).toBe('Microsoft/VBS/launch-measurement');
    expect(LAUNCH_MEASUREMENT_CLASSES.TDX).toMatchObject({ vendor: 'Intel', model: 'TDX', mkey: 'MRTD', algorithmId: 7, digestLength: 48 });
    expect(LAUNCH_MEASUREMENT_CLASSES.SEV_SNP).toMatchObject({ vendor: 'AMD', model: 'SEV-SNP', mkey: 'MEASUREMENT', algorithmId: 7, digestLength: 48 });
    expect(LAUNCH_MEASUREMENT_CLASSES.VSM_ISOLATION).toMatchObject({ vendor: 'Microsoft', model: 'VBS', mkey: 'MEASUREMENT', algorithmId: 1, digestLength: 32 });
    expect(LAUNCH_MEASUREMENT_PROFILE).toBe('tag:microsoft.com,2026:launch-measurement/v1');
  });
});

describe('building and decoding every platform', () => {
  const cases: Array<[LaunchMeasurementPlatform, string]> = [
    ['SEV_SNP', OPENVMM_DIGESTS[0]!], // snp.md §2.4
    ['TDX', 'c8892e2858dae7075ae77df712f3299e2051311ea8a3dc1dd83497a4ff195800f63e938c22c946592220efb64da960eb'], // vbs-cca-corim.md §1.4
    ['VSM_ISOLATION', OPENVMM_DIGESTS[1]!],
  ];

  it.each(cases)('%s: the structure of §3.3 with that platform’s class, round trip', (platformType, digestHex) => {
    const c = LAUNCH_MEASUREMENT_CLASSES[platformType];
    const bytes = buildLaunchMeasurementCorim({ platformType, digest: fromHex(digestHex), svn: 7 });
    // The structure, read with cbor2 directly (not through our decoder).
    const top = decode(bytes, { ignoreGlobalTags: true, preferMap: true }) as Tag;
    expect(Number(top.tag)).toBe(501);
    const m = top.contents as Map<number, unknown>;
    expect([...m.keys()]).toEqual([0, 1, 3]);
    expect(m.get(0)).toBe(`${c.vendor}/${c.model}/launch-measurement`);
    const comid = decode((m.get(1) as Tag[])[0]!.contents as Uint8Array, { ignoreGlobalTags: true, preferMap: true }) as Map<number, Map<number, unknown>>;
    expect([...comid.keys()]).toEqual([1, 4]);
    const env = new Map([[0, new Map<number, unknown>([[1, c.vendor], [2, c.model]])]]);
    const meas = new Map<number, unknown>([[0, c.mkey], [1, new Map([[2, [[c.algorithmId, fromHex(digestHex)]]]])]]);
    const triples = comid.get(4)!;
    expect(triples.get(0)).toEqual([[env, [meas]]]);
    expect(triples.get(8)).toEqual([[[env, []], [[[meas], [new Map([[1, new Map([[1, new Tag(552, 7)]])]])]]]]]);
    // And back through ours.
    const d = decodeLaunchMeasurementCorim(bytes);
    expect(d.platformType).toBe(platformType);
    expect(hex(d.digest)).toBe(digestHex);
    expect(d.svn).toBe(7n);
    expect(d.tagId).toBe(launchMeasurementTagId(platformType));
    expect(d.canonical).toBe(true);
  });

  it('SVN 2^64-1 is the largest, written as a uint64', () => {
    const bytes = buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: fromHex(VBS_DIGEST), svn: (1n << 64n) - 1n });
    expect(decodeLaunchMeasurementCorim(bytes).svn).toBe((1n << 64n) - 1n);
    expect(hex(bytes)).toContain('d902281bffffffffffffffff');
    expect(() => buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: fromHex(VBS_DIGEST), svn: 1n << 64n })).toThrow(CorimError);
  });

  it('refuses bad input with CorimError codes', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof CorimError ? e.code : `not a CorimError: ${String(e)}`;
      }
      return undefined;
    };
    expect(code(() => buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(48), svn: 0 }))).toBe('BadDigest');
    expect(code(() => buildLaunchMeasurementCorim({ platformType: 'TDX', digest: new Uint8Array(32), svn: 0 }))).toBe('BadDigest');
    expect(code(() => buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(32), svn: -1 }))).toBe('BadSvn');
    expect(code(() => buildLaunchMeasurementCorim({ platformType: 'VSM_ISOLATION', digest: new Uint8Array(32), svn: 1.5 }))).toBe('BadSvn');
    expect(code(() => buildLaunchMeasurementCorim({ platformType: 'CCA' as LaunchMeasurementPlatform, digest: new Uint8Array(32), svn: 0 }))).toBe('UnsupportedPlatform');
  });
});

describe('decodeLaunchMeasurementCorim on other input', () => {
  const example = fromHex(CORIM_WORKED_EXAMPLE_HEX);
  const codeOf = (bytes: Uint8Array): string => {
    try {
      decodeLaunchMeasurementCorim(bytes);
      return 'ok';
    } catch (e) {
      if (e instanceof CorimError) return e.code;
      throw e;
    }
  };
  /** The example with one part of its CBOR changed (built with cbor2, not our encoder). */
  const variant = (edit: (corim: Map<number, unknown>, comid: Map<number, Map<number, unknown>>) => void): Uint8Array => {
    const top = decode(example, { ignoreGlobalTags: true, preferMap: true }) as Tag;
    const corim = top.contents as Map<number, unknown>;
    const wrapped = (corim.get(1) as Tag[])[0]!;
    const comid = decode(wrapped.contents as Uint8Array, { ignoreGlobalTags: true, preferMap: true }) as Map<number, Map<number, unknown>>;
    edit(corim, comid);
    const plain = (v: unknown): unknown =>
      v instanceof Uint8Array ? new Uint8Array(v) : Array.isArray(v) ? v.map(plain) : v instanceof Map ? new Map([...v].map(([k, x]) => [k, plain(x)])) : v instanceof Tag ? new Tag(v.tag, plain(v.contents)) : v;
    corim.set(1, [new Tag(506, encode(plain(comid), { cde: true }))]);
    return encode(plain(top), { cde: true });
  };

  it('a re-encoding of the example decodes (and is canonical)', () => {
    const same = variant(() => {});
    expect(hex(same)).toBe(hex(example));
  });

  it('names what is wrong', () => {
    expect(codeOf(example.subarray(0, 100))).toBe('BadCbor');
    expect(codeOf(Uint8Array.of(...example, 0x00))).toBe('BadCbor'); // trailing bytes
    expect(codeOf(encode(new Tag(18, [new Uint8Array(0), new Map(), example, new Uint8Array(1)])))).toBe('SignedCorim');
    expect(codeOf(encode(new Tag(500, new Map())))).toBe('NotCorim');
    expect(codeOf(variant((corim) => corim.set(3, new Tag(32, 'tag:arm.com,2025:endorsements/cca_realm#1.0.0'))))).toBe('UnsupportedProfile');
    expect(codeOf(variant((corim) => corim.delete(3)))).toBe('UnsupportedProfile');
    expect(codeOf(variant((_c, comid) => comid.get(4)!.delete(8)))).toBe('BadStructure');
    expect(
      codeOf(
        variant((_c, comid) => {
          const ces = comid.get(4)!.get(8) as unknown[][][][][];
          const addition = ces[0]![1]![0]![1] as unknown as Map<number, Map<number, unknown>>[];
          addition[0]!.get(1)!.set(1, new Tag(553, 1));
        }),
      ),
    ).toBe('BadSvn');
    expect(
      codeOf(
        variant((_c, comid) => {
          const ref = comid.get(4)!.get(0) as unknown[][];
          const env = ref[0]![0] as Map<number, Map<number, unknown>>;
          env.get(0)!.set(1, 'Arm');
        }),
      ),
    ).toBe('UnsupportedPlatform');
    // A digest entry with the SHA-384 id on the VBS (SHA-256) platform.
    expect(codeOf(variant((_c, comid) => (((comid.get(4)!.get(0) as unknown[][])[0]![1] as Map<number, Map<number, unknown[][]>>[])[0]!.get(1)!.get(2)![0]![0] = 7)))).toBe('BadDigest');
  });

  it('a corim-id other than the profile’s still decodes, but is not canonical', () => {
    const d = decodeLaunchMeasurementCorim(variant((corim) => corim.set(0, 'something else')));
    expect(d.corimId).toBe('something else');
    expect(d.canonical).toBe(false);
  });

  it('never throws anything but CorimError for a changed byte (all 306 positions, three values)', () => {
    for (let i = 0; i < example.length; i++) {
      for (const x of [0x01, 0x80, 0xff]) {
        const b = example.slice();
        b[i] = b[i]! ^ x;
        expect(() => codeOf(b)).not.toThrow();
      }
    }
  });

  it('readUnsignedCorim reads the envelope of any profile', () => {
    const other = encode(new Tag(501, new Map<number, unknown>([[0, 'x'], [1, []], [3, new Tag(32, 'tag:example.com,2026:p')]])), { cde: true });
    expect(readUnsignedCorim(other)).toMatchObject({ id: 'x', profile: 'tag:example.com,2026:p', tagCount: 0 });
  });
});

describe('IGVM CORIM_DOCUMENT / CORIM_SIGNATURE headers (igvm-format.md §6.5, §12)', () => {
  const doc = fromHex(CORIM_WORKED_EXAMPLE_HEX);
  const sig = Uint8Array.of(0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x41, 0x00); // any bytes: contents are not validated (§6.5)
  const page = new Uint8Array(4096).fill(0x11);

  function build(docData: Uint8Array, sigData?: Uint8Array): Uint8Array {
    const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION' }).corim('CORIM_DOCUMENT', { compatibilityMask: 1, data: docData });
    if (sigData !== undefined) b.corim('CORIM_SIGNATURE', { compatibilityMask: 1, data: sigData });
    return b.pageData({ gpa: 0, compatibilityMask: 1, data: page }).toBytes();
  }

  it('the payloads are the first file data, unpadded, in header order; the file round trips', () => {
    const bytes = build(doc, sig);
    const file = parseIgvm(bytes);
    const [d, s] = file.initializations as CorimHeader[];
    // §12 step 2: dataStart = 24 (V1 fixed header) + 24 (platform) + 2 × (8 + 16) + (8 + 24).
    const dataStart = 24 + 24 + 24 + 24 + 32;
    expect(file.source!.dataStart).toBe(dataStart);
    // §12 steps 4–5: init-header data first, not aligned, not padded.
    expect(d!.fileOffset).toBe(dataStart);
    expect(s!.fileOffset).toBe(dataStart + doc.length);
    expect(hex(d!.data.bytes())).toBe(hex(doc));
    expect(hex(s!.data.bytes())).toBe(hex(sig));
    // The CORIM_DATA payload (§6.5): mask, offset, size, reserved 0.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const at = d!.offset! + 8;
    expect([view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), view.getUint32(at + 12, true)]).toEqual([1, dataStart, doc.length, 0]);
    expect(hex(serializeIgvm(file))).toBe(hex(bytes));
  });

  it('an empty payload gets the current end of the data as its offset, not 0, and round trips', () => {
    const bytes = build(new Uint8Array(0));
    const file = parseIgvm(bytes);
    const d = file.initializations[0] as CorimHeader;
    expect(d.data.length).toBe(0);
    expect(d.fileOffset).toBe(file.source!.dataStart); // §12 step 4: a zero-length write returns `next`
    expect(hex(serializeIgvm(file))).toBe(hex(bytes));
  });

  it('the one exception: an empty payload stored with offset 0 is re-written with the non-zero offset', () => {
    const upstream = build(new Uint8Array(0));
    const file = parseIgvm(upstream);
    const d = file.initializations[0] as CorimHeader;
    // Patch file_offset to 0 ("0 means empty", §6.5) and fix the checksum (§2.4: CRC32 of the
    // fixed header with checksum 0 and the variable headers).
    const patched = upstream.slice();
    const view = new DataView(patched.buffer);
    view.setUint32(d.offset! + 8 + 4, 0, true);
    view.setUint32(0x14, 0, true);
    const vhEnd = file.source!.dataStart;
    view.setUint32(0x14, crc32(patched.subarray(0, vhEnd)), true);
    const reparsed = parseIgvm(patched);
    expect((reparsed.initializations[0] as CorimHeader).fileOffset).toBe(0);
    expect((reparsed.initializations[0] as CorimHeader).data.length).toBe(0);
    const rewritten = serializeIgvm(reparsed);
    expect(hex(rewritten)).not.toBe(hex(patched));
    expect(hex(rewritten)).toBe(hex(upstream));
  });
});
