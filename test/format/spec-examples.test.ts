/**
 * The spec's worked examples, rebuilt with our builder and compared with the values the spec
 * gives (spec/igvm-format.md §15.1, §15.2, §15.3), and with the upstream generator's real
 * output where ../shared has it (vectors/SOURCES.md: capi-test.igvm is byte-exact upstream).
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, parseIgvm } from '../../src/index.js';
import { buildCapiTestFile, buildSpec153File } from '../../vectors/samples.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const fromHex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

/** §15.1: the annotated hex of bytes 0x000–0x19F, copied from the spec (annotations removed). */
const CAPI_HEADER_HEX = `
49 47 56 4d 01 00 00 00 18 00 00 00 88 01 00 00 a0 41 00 00 20 c5 64 23
01 00 00 00 10 00 00 00
01 00 00 00 00 01 01 00 00 00 00 00 00 00 00 00
01 01 00 00 10 00 00 00
00 00 03 00 00 00 00 00 01 00 00 00 00 00 00 00
01 01 00 00 10 00 00 00
00 00 03 00 00 00 00 00 02 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 00 00 00 00 00 00 00 01 00 00 00 a0 01 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 10 00 00 00 00 00 00 01 00 00 00 a0 11 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 20 00 00 00 00 00 00 01 00 00 00 a0 21 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 40 00 00 00 00 00 00 01 00 00 00 a0 31 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 a0 00 00 00 00 00 00 01 00 00 00 a0 01 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 b0 00 00 00 00 00 00 01 00 00 00 a0 11 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 c0 00 00 00 00 00 00 01 00 00 00 a0 21 00 00 00 00 00 00 00 00 00 00
02 03 00 00 18 00 00 00
00 e0 00 00 00 00 00 00 01 00 00 00 a0 31 00 00 00 00 00 00 00 00 00 00
01 03 00 00 10 00 00 00
00 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00
07 03 00 00 08 00 00 00
00 00 00 00 00 00 00 00
03 03 00 00 10 00 00 00
00 40 01 00 00 00 00 00 01 00 00 00 00 00 00 00`;

describe('CRC-32 (spec §2.4)', () => {
  it('has the CRC-32/ISO-HDLC check value 0xCBF43926 for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('equals zlib.crc32 on assorted inputs, also when chained', () => {
    let seed = 1;
    for (const n of [0, 1, 7, 8, 255, 4096, 10_001]) {
      const b = new Uint8Array(n).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      expect(crc32(b)).toBe(zlibCrc32(b));
      const cut = n >> 1;
      expect(crc32(b.subarray(cut), crc32(b.subarray(0, cut)))).toBe(zlibCrc32(b));
    }
  });
});

describe('§15.1 C-API test file', () => {
  const bytes = buildCapiTestFile();
  it('is 16800 bytes with CRC 0x2364C520 and the SHA-256 the spec gives', () => {
    expect(bytes.length).toBe(16800);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0x14, true)).toBe(0x2364c520);
    expect(sha256(bytes)).toBe('effc7663b1f9669b6534453ad5e26f5f29d16cd9f3c953b24cd45858b23dd215');
  });
  it('has the annotated header bytes of the spec', () => {
    expect(Buffer.from(bytes.subarray(0, 0x1a0)).toString('hex')).toBe(Buffer.from(fromHex(CAPI_HEADER_HEX)).toString('hex'));
  });
  it('has the four de-duplicated data blobs at 0x1A0, 0x11A0, 0x21A0, 0x31A0', () => {
    for (const [i, byte] of [1, 2, 3, 4].entries()) {
      const blob = bytes.subarray(0x1a0 + i * 0x1000, 0x1a0 + (i + 1) * 0x1000);
      expect(blob.every((b) => b === byte)).toBe(true);
    }
  });
  it('satisfies the C tests\' assertions (§15.2)', () => {
    const file = parseIgvm(bytes);
    expect([file.platforms.length, file.initializations.length, file.directives.length]).toEqual([1, 2, 11]);
    expect(file.platforms[0]).toMatchObject({ compatibilityMask: 1, platformType: 'VSM_ISOLATION', platformVersion: 1, highestVtl: 0, sharedGpaBoundary: 0n });
    expect(file.initializations[0]).toMatchObject({ kind: 'GUEST_POLICY', policy: 0x30000n, compatibilityMask: 1 });
    expect(file.initializations[1]).toMatchObject({ kind: 'GUEST_POLICY', policy: 0x30000n, compatibilityMask: 2 });
    expect(file.directives[1]).toMatchObject({ kind: 'PAGE_DATA', dataType: 'NORMAL', compatibilityMask: 1, flags: 0, gpa: 0x1000n });
    expect(file.directives[8]).toMatchObject({ kind: 'PARAMETER_AREA', parameterAreaIndex: 0, fileOffset: 0, numberOfBytes: 4096n });
    expect(file.directives[9]).toMatchObject({ kind: 'VP_COUNT_PARAMETER', parameterAreaIndex: 0, byteOffset: 0 });
    expect(file.directives[10]).toMatchObject({ kind: 'PARAMETER_INSERT', parameterAreaIndex: 0, compatibilityMask: 1, gpa: 0x14000n });
    const d3 = file.directives[3]!;
    expect(d3.kind === 'PAGE_DATA' && d3.data.bytes().every((b) => b === 4) && d3.data.length === 4096).toBe(true);
  });
  it('rejects the 16-byte buffer 01 02 … 10 as an invalid fixed header (§15.2)', () => {
    expect(() => parseIgvm(Uint8Array.from({ length: 16 }, (_, i) => i + 1))).toThrow(expect.objectContaining({ code: 'InvalidFixedHeader' }));
  });
  sharedNotice('§15.1 against upstream capi-test.igvm');
  it.skipIf(!HAVE_SHARED)('is identical to the file upstream\'s generator wrote (vectors/igvm/upstream/capi-test.igvm)', () => {
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(sharedBytes('igvm/upstream/capi-test.igvm')))).toBe(0);
  });
});

describe('§15.3 V2 example with a VBS context and unaligned data', () => {
  const bytes = buildSpec153File();
  it('has the size, CRC and SHA-256 the spec gives', () => {
    expect(bytes.length).toBe(8412);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0x14, true)).toBe(0xb818a6fb);
    expect(sha256(bytes)).toBe('db25c99016bdf2664f8fcd8daf92599fc76e302e3c83b9429ba326dbc427a358');
  });
  it('puts the last page at the unaligned offset 0x10DC and the VBS list at 0x10B8', () => {
    const file = parseIgvm(bytes);
    const [p0, p1, ctx, p2] = file.directives;
    expect(p0).toMatchObject({ fileOffset: 0xb8 });
    expect(p1).toMatchObject({ fileOffset: 0 });
    expect(ctx).toMatchObject({ kind: 'VP_CONTEXT', fileOffset: 0x10b8 });
    expect(p2).toMatchObject({ fileOffset: 0x10dc });
  });
});
