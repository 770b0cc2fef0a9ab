/**
 * Firmware image parsing: the OVMF GUIDed footer table, SEV metadata (ASEV) and TDX metadata
 * (TDVF), spec/firmware-input.md §1.
 *
 * Expected values come only from the spec: the fixture values of §1.2–§1.4 (reproduced there
 * independently from the fixture files), the byte layouts of §1.1/§1.3/§1.4 for the images built
 * here, and §5.5 for the TDX stand-in image. Images built here are written with this file's own
 * little encoder (not the library's layout tables), so a layout mistake in `src/` cannot cancel
 * out. A fresh clone without ../shared runs everything except the fixture suite.
 */
import { OVMF_SNP_LOADERS, ovmfSnpSteps, type OvmfSnpLoaderName } from '../../src/firmware/ovmf-snp.js';
import { ovmfSevEsChunks } from '../../src/firmware/ovmf-sev.js';
import { sevKernelHashes } from '../../src/firmware/kernel-hashes.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { createHash } from 'node:crypto';
import { FIRMWARE_GUIDS, efiGuid, type TdxSectionSpec } from '../helpers/firmware-image.js';
import { fwError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import {
  FIRMWARE_ERROR_CODES,
  FirmwareError,
  OVMF_TABLE_FOOTER_GUID,
  SEV_ES_RESET_BLOCK_GUID,
  SEV_HASH_TABLE_RV_GUID,
  SEV_METADATA_OFFSET_GUID,
  SEV_SECRET_BLOCK_GUID,
  SVSM_INFO_GUID,
  TDX_METADATA_GUID,
  TDX_METADATA_OFFSET_GUID,
  encodeGuid,
  findFooterTable,
  findSevMetadata,
  normalizeGuid,
  parseFooterTable,
  parseGuid,
  parseSevMetadata,
  parseTdxMetadata,
  sevEsResetBlock,
  sevHashTableBlock,
  sevMetadataOffset,
  sevSecretBlock,
  svsmInfoOffset,
  tdxMetadataOffset,
  tdxSectionRawData,
  type TdxMetadata,
} from '../../src/firmware/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

// ---- A small encoder for the spec's byte layouts ------------------------------------------

/** The GUIDs of §1.1/§1.2, spelled out here (not imported) so a typo in src/ is caught. */
const G = FIRMWARE_GUIDS;


function u16le(n: number): Uint8Array {
  return Uint8Array.from([n & 0xff, (n >>> 8) & 0xff]);
}
function u32le(...ns: number[]): Uint8Array {
  const out = new Uint8Array(4 * ns.length);
  const v = new DataView(out.buffer);
  ns.forEach((n, i) => v.setUint32(4 * i, n >>> 0, true));
  return out;
}
function u64le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface Entry {
  guid: string;
  data: Uint8Array;
  /** Override the entry's u16 length (default data + 18). */
  length?: number;
}

/**
 * An image with a footer table (§1.1): the last 0x20 bytes are the reset area, the footer GUID
 * at end−0x30, the u16 total length at end−0x32, then the entries downwards, the first one in
 * `entries` directly below the footer, each `[data][u16 length][GUID]`.
 */
function buildImage(opts: { size?: number; entries?: Entry[]; totalLength?: number; blobs?: Array<[number, Uint8Array]> }): Uint8Array {
  const size = opts.size ?? 0x2000;
  const img = new Uint8Array(size);
  for (const [at, b] of opts.blobs ?? []) img.set(b, at);
  img.set(cat(u32le(0x00465456)), size - 0x14); // "VTF\0" (§1.1); not required by the parser
  img.set(efiGuid(G.footer), size - 0x30);
  let p = size - 0x32;
  let total = 18;
  for (const e of opts.entries ?? []) {
    img.set(efiGuid(e.guid), p - 16);
    img.set(u16le(e.length ?? e.data.length + 18), p - 18);
    img.set(e.data, p - 18 - e.data.length);
    p -= e.data.length + 18;
    total += e.data.length + 18;
  }
  img.set(u16le(opts.totalLength ?? total), size - 0x32);
  return img;
}

/** ASEV header + sections (§1.3). */
function asev(sections: Array<[number, number, number]>, o: { sig?: number; length?: number; version?: number; n?: number } = {}): Uint8Array {
  return cat(
    u32le(o.sig ?? 0x56455341, o.length ?? 16 + 12 * sections.length, o.version ?? 1, o.n ?? sections.length),
    ...sections.map(([gpa, size, type]) => u32le(gpa, size, type)),
  );
}

type TdxSec = TdxSectionSpec;

/** The metadata GUID then the TDVF descriptor and sections (§1.4); the descriptor is at +16. */
function tdvf(sections: TdxSec[], o: { guid?: string; sig?: number; length?: number; version?: number; n?: number } = {}): Uint8Array {
  return cat(
    efiGuid(o.guid ?? G.tdxGuid),
    u32le(o.sig ?? 0x46564454, o.length ?? 16 + 32 * sections.length, o.version ?? 1, o.n ?? sections.length),
    ...sections.map((s) => cat(u32le(s.dataOffset ?? 0, s.raw ?? 0), u64le(s.addr), u64le(s.size), u32le(s.type, s.attr ?? 0))),
  );
}

// The stock OVMF values (§1.2 AmdSev fixture values, §1.3 AmdSev section list, §1.4 table).
const AMDSEV_SEV_SECTIONS: Array<[number, number, number]> = [
  [0x800000, 0x9000, 1],
  [0x80a000, 0x3000, 1],
  [0x80d000, 0x1000, 2],
  [0x80e000, 0x1000, 3],
  [0x80f000, 0x1000, 4],
  [0x810000, 0x1000, 0x10],
  [0x811000, 0xf000, 1],
];
const STOCK_TDX: TdxSec[] = [
  { dataOffset: 0x84000, raw: 0x37c000, addr: 0xffc84000n, size: 0x37c000n, type: 0, attr: 1 },
  { dataOffset: 0, raw: 0x84000, addr: 0xffc00000n, size: 0x84000n, type: 1 },
  { addr: 0x812000n, size: 0xe000n, type: 3 },
  { addr: 0x80b000n, size: 0x2000n, type: 3 },
  { addr: 0x809000n, size: 0x2000n, type: 2 },
  { addr: 0x800000n, size: 0x6000n, type: 3 },
];

const SEV_AT = 0x1000; // where the built images put the ASEV header
const TDX_AT = 0x1400; // where they put the TDX metadata GUID (descriptor at +16)

/** An 8 KiB image shaped like stock AmdSev OVMF, with overridable metadata. */
function stockLike(o: { sev?: Uint8Array | null; tdx?: Uint8Array | null; extra?: Entry[]; size?: number } = {}): Uint8Array {
  const size = o.size ?? 0x2000;
  const sev = o.sev === undefined ? asev(AMDSEV_SEV_SECTIONS) : o.sev;
  const tdx = o.tdx === undefined ? tdvf(STOCK_TDX) : o.tdx;
  const entries: Entry[] = [
    ...(tdx !== null ? [{ guid: G.tdxMeta, data: u32le(size - (TDX_AT + 16)) }] : []),
    ...(sev !== null ? [{ guid: G.sevMeta, data: u32le(size - SEV_AT) }] : []),
    { guid: G.hashTable, data: u32le(0x810c00, 0x400) },
    { guid: G.secret, data: u32le(0x810000, 0xc00) },
    { guid: G.esReset, data: u32le(0x0080b004) },
    ...(o.extra ?? []),
  ];
  const blobs: Array<[number, Uint8Array]> = [];
  if (sev !== null) blobs.push([SEV_AT, sev]);
  if (tdx !== null) blobs.push([TDX_AT, tdx]);
  return buildImage({ size, entries, blobs });
}


function sevList(image: Uint8Array): Array<[number, number, string]> {
  return parseSevMetadata(image).sections.map((s) => [s.gpa, s.size, s.type]);
}

// ---- GUIDs ----------------------------------------------------------------------------------

describe('GUIDs (firmware-input.md §1.1 step 4, §1.2)', () => {
  it('stores the first three fields little-endian and the last 8 bytes as written', () => {
    // 96b582de-1fb2-45f7-baea-a366c55a082d → de 82 b5 96 | b2 1f | f7 45 | ba ea a3 66 c5 5a 08 2d
    const stored = Uint8Array.from([0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d]);
    expect(encodeGuid(G.footer)).toEqual(stored);
    expect(parseGuid(stored)).toBe(G.footer);
    expect(parseGuid(cat(new Uint8Array(3), stored), 3)).toBe(G.footer);
  });

  it('exports the §1.2 GUIDs', () => {
    expect(OVMF_TABLE_FOOTER_GUID).toBe(G.footer);
    expect(SEV_METADATA_OFFSET_GUID).toBe(G.sevMeta);
    expect(SEV_HASH_TABLE_RV_GUID).toBe(G.hashTable);
    expect(SEV_SECRET_BLOCK_GUID).toBe(G.secret);
    expect(SEV_ES_RESET_BLOCK_GUID).toBe(G.esReset);
    expect(TDX_METADATA_OFFSET_GUID).toBe(G.tdxMeta);
    expect(TDX_METADATA_GUID).toBe(G.tdxGuid);
    expect(SVSM_INFO_GUID).toBe(G.svsmInfo);
  });

  it("accepts edk2's capitalisation (…-A75e-…) and rejects non-GUIDs", () => {
    expect(normalizeGuid('DC886566-984A-4798-A75e-5585A7BF67CC')).toBe(G.sevMeta);
    const t = parseFooterTable(stockLike());
    expect(t.get('DC886566-984A-4798-A75e-5585A7BF67CC')?.guid).toBe(G.sevMeta);
    fwError(() => encodeGuid('not-a-guid'), 'InvalidGuid');
    fwError(() => t.get('96b582de1fb245f7baeaa366c55a082d'), 'InvalidGuid');
  });
});

// ---- Footer table on built images -------------------------------------------------------------

describe('footer table on images built from the §1.1 layout', () => {
  it('walks the table backwards and finds every entry with its data and offset', () => {
    const size = 0x2000;
    const img = stockLike({ size });
    const t = parseFooterTable(img);
    // 5 entries: 3 × (4 + 18) + 2 × (8 + 18) + the footer's own 18 bytes.
    expect(t.length).toBe(3 * 22 + 2 * 26 + 18);
    expect(t.footerOffset).toBe(size - 0x32);
    expect(t.offset).toBe(size - 0x32 - (t.length - 18));
    expect(t.entries.map((e) => e.guid)).toEqual([G.tdxMeta, G.sevMeta, G.hashTable, G.secret, G.esReset]);
    // The entry nearest the footer: data is the 4 bytes below its 18-byte trailer.
    expect(t.entries[0]?.offset).toBe(size - 0x32 - 22);
    expect(t.entries[0]?.length).toBe(22);
    expect(t.get(G.esReset)?.data).toEqual(u32le(0x0080b004));
    expect([...t.toMap().keys()]).toEqual(t.entries.map((e) => e.guid));
  });

  it('decodes the §1.2 values: reset block, hash and secret blocks, metadata offsets', () => {
    const t = parseFooterTable(stockLike());
    // §1.2: bits 31:16 CS base, bits 15:0 IP; §3.1: 0x0080B004 → CS.base 0x800000, RIP 0xB004.
    expect(sevEsResetBlock(t)).toMatchObject({ apResetEip: 0x0080b004, csBase: 0x800000, ip: 0xb004 });
    expect(sevHashTableBlock(t)).toMatchObject({ gpa: 0x810c00, size: 0x400 });
    expect(sevSecretBlock(t)).toMatchObject({ gpa: 0x810000, size: 0xc00 });
    expect(sevMetadataOffset(t)).toBe(0x2000 - SEV_AT);
    expect(tdxMetadataOffset(t)).toBe(0x2000 - TDX_AT - 16);
    expect(svsmInfoOffset(t)).toBeUndefined();
  });

  it('reads a value from the first u32 when the data is longer (gce-tcb-verifier keeps the trailer, §1.2)', () => {
    const img = buildImage({ entries: [{ guid: G.esReset, data: cat(u32le(0xfffffff0), new Uint8Array(18)) }] });
    const r = sevEsResetBlock(parseFooterTable(img));
    expect(r).toMatchObject({ apResetEip: 0xfffffff0, csBase: 0xffff0000, ip: 0xfff0 });
  });

  it('an image without the footer GUID has no table (§1.1 step 1)', () => {
    const img = new Uint8Array(0x1000);
    expect(findFooterTable(img)).toBeNull();
    const e = fwError(() => parseFooterTable(img), 'NoFooterTable');
    expect(e.offset).toBe(0x1000 - 0x30);
    expect(findSevMetadata(img)).toBeNull();
    fwError(() => parseSevMetadata(img), 'NoSevMetadata');
    fwError(() => parseTdxMetadata(img), 'NoTdxMetadata');
  });

  it('an empty table (total length 18) has no entries', () => {
    const t = parseFooterTable(buildImage({ entries: [] }));
    expect(t.entries).toEqual([]);
    expect(findSevMetadata(buildImage({ entries: [] }))).toBeNull();
  });

  it('ignores fewer than 18 bytes left at the bottom of the body (§1.1 step 3)', () => {
    // Total length claims 17 more bytes than the one entry uses.
    const img = buildImage({ entries: [{ guid: G.esReset, data: u32le(0x80b004) }], totalLength: 18 + 22 + 17 });
    expect(parseFooterTable(img).entries.map((e) => e.guid)).toEqual([G.esReset]);
  });

  for (const size of [0, 0x800, 0xfff, 0x1001, 0x1800, 0x2004]) {
    it(`rejects an image of ${size} bytes: not a positive multiple of 4 KiB (§2.2 step 1, §6.3)`, () => {
      const img = new Uint8Array(size);
      fwError(() => findFooterTable(img), 'NotMultipleOf4K');
      fwError(() => parseFooterTable(img), 'NotMultipleOf4K');
      fwError(() => findSevMetadata(img), 'NotMultipleOf4K');
      fwError(() => parseTdxMetadata(img), 'NotMultipleOf4K');
    });
  }

  it('rejects a total length below 18 (§1.1 step 3)', () => {
    for (const total of [0, 1, 17]) {
      const e = fwError(() => parseFooterTable(buildImage({ entries: [], totalLength: total })), 'BadFooterTable');
      expect(e.offset).toBe(0x2000 - 0x32);
    }
  });

  it('rejects a total length that reaches past the image start', () => {
    fwError(() => parseFooterTable(buildImage({ size: 0x1000, entries: [], totalLength: 0xffff })), 'BadFooterTable');
  });

  it('rejects an entry length below 18 or past the table body (§1.1 step 3)', () => {
    for (const length of [0, 17]) {
      fwError(() => parseFooterTable(buildImage({ entries: [{ guid: G.esReset, data: u32le(1), length }] })), 'BadFooterTable');
    }
    // The entry says 23 bytes, the table holds 22.
    fwError(() => parseFooterTable(buildImage({ entries: [{ guid: G.esReset, data: u32le(1), length: 23 }] })), 'BadFooterTable');
    // The entry fits the image but not the body the total length declares.
    const img = buildImage({ entries: [{ guid: G.esReset, data: u32le(1) }], totalLength: 18 + 21 });
    fwError(() => parseFooterTable(img), 'BadFooterTable');
  });

  it('rejects duplicate GUIDs (gce-tcb-verifier, §1.1 step 3; §6.2 item 1)', () => {
    const img = buildImage({ entries: [{ guid: G.esReset, data: u32le(1) }, { guid: G.esReset, data: u32le(2) }] });
    fwError(() => parseFooterTable(img), 'DuplicateFooterEntry');
  });

  it('rejects entry data too short for its value (§1.2 layouts)', () => {
    const short = buildImage({
      entries: [
        { guid: G.esReset, data: new Uint8Array(3) },
        { guid: G.hashTable, data: u32le(0x810c00) },
        { guid: G.sevMeta, data: new Uint8Array(2) },
        { guid: G.tdxMeta, data: new Uint8Array(0) },
      ],
    });
    const t = parseFooterTable(short);
    fwError(() => sevEsResetBlock(t), 'BadFooterEntry');
    fwError(() => sevHashTableBlock(t), 'BadFooterEntry');
    fwError(() => sevMetadataOffset(t), 'BadFooterEntry');
    fwError(() => tdxMetadataOffset(t), 'BadFooterEntry');
    fwError(() => findSevMetadata(short), 'BadFooterEntry');
    fwError(() => parseTdxMetadata(short), 'BadFooterEntry');
  });
});

// ---- SEV metadata on built images -------------------------------------------------------------

describe('SEV metadata (ASEV, §1.3) on built images', () => {
  it('parses the header and sections in table order', () => {
    const m = parseSevMetadata(stockLike());
    expect(m.offset).toBe(SEV_AT);
    expect(m.offsetFromEnd).toBe(0x2000 - SEV_AT);
    expect(m.version).toBe(1);
    expect(m.length).toBe(16 + 12 * 7);
    expect(m.sections.map((s) => [s.gpa, s.size, s.type])).toEqual([
      [0x800000, 0x9000, 'SNP_SEC_MEM'],
      [0x80a000, 0x3000, 'SNP_SEC_MEM'],
      [0x80d000, 0x1000, 'SNP_SECRETS'],
      [0x80e000, 0x1000, 'CPUID'],
      [0x80f000, 0x1000, 'SVSM_CAA'],
      [0x810000, 0x1000, 'SNP_KERNEL_HASHES'],
      [0x811000, 0xf000, 'SNP_SEC_MEM'],
    ]);
    expect(m.sections[5]?.typeCode).toBe(0x10);
    expect(m.sections.map((s) => s.offset)).toEqual(AMDSEV_SEV_SECTIONS.map((_, i) => SEV_AT + 16 + 12 * i));
    // Stock sections satisfy gce-tcb-verifier's rules too.
    expect(parseSevMetadata(stockLike(), { strict: true }).sections).toHaveLength(7);
  });

  it('no SEV metadata entry: find → null, parse → NoSevMetadata', () => {
    const img = stockLike({ sev: null });
    expect(findSevMetadata(img)).toBeNull();
    fwError(() => parseSevMetadata(img), 'NoSevMetadata');
  });

  it('rejects a wrong signature, version or length (§1.3)', () => {
    let e = fwError(() => parseSevMetadata(stockLike({ sev: asev(AMDSEV_SEV_SECTIONS, { sig: 0x56455342 }) })), 'BadSevMetadata');
    expect(e.offset).toBe(SEV_AT);
    e = fwError(() => parseSevMetadata(stockLike({ sev: asev(AMDSEV_SEV_SECTIONS, { version: 2 }) })), 'BadSevMetadata');
    expect(e.offset).toBe(SEV_AT + 8);
    e = fwError(() => parseSevMetadata(stockLike({ sev: asev(AMDSEV_SEV_SECTIONS, { length: 16 + 12 * 6 }) })), 'BadSevMetadata');
    expect(e.offset).toBe(SEV_AT + 4);
  });

  it('rejects a header or section list outside the image (Truncated)', () => {
    for (const fromEnd of [0, 15, 0x2001, 0xffffffff]) {
      const img = buildImage({ entries: [{ guid: G.sevMeta, data: u32le(fromEnd) }] });
      fwError(() => parseSevMetadata(img), 'Truncated');
    }
    // n = 1000 sections with a consistent length: 12 016 bytes do not fit in 8 KiB.
    const img = stockLike({ sev: asev([], { n: 1000, length: 16 + 12 * 1000 }) });
    fwError(() => parseSevMetadata(img), 'Truncated');
    // A huge n never allocates: its length cannot be 16 + 12n in a u32, so it stops there.
    fwError(() => parseSevMetadata(stockLike({ sev: asev([], { n: 0xffffffff, length: 0xffffffff }) })), 'BadSevMetadata');
  });

  it('rejects an unknown section type (§1.3 table; §2.2 "other → error")', () => {
    for (const type of [0, 5, 0xf, 0x11, 0xffffffff]) {
      const secs: Array<[number, number, number]> = [...AMDSEV_SEV_SECTIONS.slice(0, 6), [0x811000, 0xf000, type]];
      const e = fwError(() => parseSevMetadata(stockLike({ sev: asev(secs) })), 'UnknownSectionType');
      expect(e.offset).toBe(SEV_AT + 16 + 12 * 6 + 8);
    }
  });

  it('rejects overlapping sections and accepts adjacent ones (§1.3, §6.3)', () => {
    const base: Array<[number, number, number]> = [
      [0x80d000, 0x1000, 2],
      [0x80e000, 0x1000, 3],
    ];
    // Partial overlap.
    let e = fwError(() => parseSevMetadata(stockLike({ sev: asev([...base, [0x800000, 0x9000, 1], [0x808000, 0x2000, 1]]) })), 'OverlappingSections');
    expect(e.offset).toBe(SEV_AT + 16 + 12 * 3);
    // Containment, listed the other way round.
    e = fwError(() => parseSevMetadata(stockLike({ sev: asev([[0x802000, 0x1000, 4], ...base, [0x800000, 0x9000, 1]]) })), 'OverlappingSections');
    expect(e.message).toMatch(/sections 0 .* and 3 /);
    // Identical ranges.
    fwError(() => parseSevMetadata(stockLike({ sev: asev([...base, [0x80e000, 0x1000, 1]]) })), 'OverlappingSections');
    // A long section reaching over a later short one, past an intermediate one.
    fwError(
      () => parseSevMetadata(stockLike({ sev: asev([[0x100000, 0x100000, 1], [0x110000, 0x1000, 2], [0x1f0000, 0x1000, 3]]) })),
      'OverlappingSections',
    );
    // Adjacent (end == next start) is fine, as in stock OVMF.
    expect(sevList(stockLike({ sev: asev([[0x800000, 0x9000, 1], ...base, [0x809000, 0x1000, 1]]) }))).toHaveLength(4);
  });

  it('strict mode applies gce-tcb-verifier rules (§1.3); default mode does not', () => {
    const cases: Array<Array<[number, number, number]>> = [
      [[0x800000, 0x800, 1], [0x80d000, 0x1000, 2], [0x80e000, 0x1000, 3]], // size not a 4 KiB multiple
      [[0x800000, 0, 1], [0x80d000, 0x1000, 2], [0x80e000, 0x1000, 3]], // size zero
      [[0x800000, 0x1000, 1], [0x80d000, 0x1000, 2], [0x80c000, 0x1000, 2], [0x80e000, 0x1000, 3]], // two SECRETS
      [[0x800000, 0x1000, 1], [0x80d000, 0x1000, 2]], // no CPUID
      [[0x80d000, 0x1000, 2], [0x80e000, 0x1000, 3]], // no SEC_MEM
    ];
    for (const secs of cases) {
      const img = stockLike({ sev: asev(secs) });
      expect(parseSevMetadata(img).sections).toHaveLength(secs.length);
      fwError(() => parseSevMetadata(img, { strict: true }), 'BadSevMetadata');
    }
  });
});

// ---- TDX metadata on built images -------------------------------------------------------------

describe('TDX metadata (TDVF, §1.4) on built images', () => {
  function expectStockTdx(m: TdxMetadata, tempMem: [bigint, bigint]): void {
    expect(m.version).toBe(1);
    expect(m.length).toBe(16 + 32 * 6);
    expect(
      m.sections.map((s) => [s.type, s.dataOffset, s.rawDataSize, s.memoryAddress, s.memoryDataSize, s.attributes]),
    ).toEqual([
      ['BFV', 0x84000, 0x37c000, 0xffc84000n, 0x37c000n, 1],
      ['CFV', 0, 0x84000, 0xffc00000n, 0x84000n, 0],
      ['TempMem', 0, 0, tempMem[0], tempMem[1], 0],
      ['TempMem', 0, 0, 0x80b000n, 0x2000n, 0],
      ['TD_HOB', 0, 0, 0x809000n, 0x2000n, 0],
      ['TempMem', 0, 0, 0x800000n, 0x6000n, 0],
    ]);
    expect(m.sections.map((s) => [s.mrExtend, s.pageAug])).toEqual([[true, false], ...Array(5).fill([false, false])]);
  }

  it('parses the descriptor and sections found through the footer entry', () => {
    const m = parseTdxMetadata(stockLike(), { strict: true });
    expect(m.source).toBe('footer-table');
    expect(m.guidOffset).toBe(TDX_AT);
    expect(m.offset).toBe(TDX_AT + 16);
    expectStockTdx(m, [0x812000n, 0xe000n]);
    // Data offsets refer to the unified 4 MiB image, not this one (§1.4).
    expect(m.sections[0]?.rawDataInImage).toBe(false);
    fwError(() => tdxSectionRawData(stockLike(), m.sections[0]!), 'Truncated');
    fwError(() => parseTdxMetadata(stockLike(), { requireRawData: true }), 'Truncated');
  });

  it('reads the attribute bits MR.EXTEND (0x1) and PAGE.AUG (0x2) (§1.4)', () => {
    const secs: TdxSec[] = [
      { addr: 0x100000n, size: 0x1000n, type: 4, attr: 2 },
      { dataOffset: 0, raw: 0x1000, addr: 0x200000n, size: 0x2000n, type: 5, attr: 3 },
      { addr: 0n, size: 0n, type: 7 },
      { addr: 0x300000n, size: 0x1000n, type: 8, attr: 1 },
    ];
    const img = stockLike({ tdx: tdvf(secs) });
    const m = parseTdxMetadata(img, { requireRawData: true });
    expect(m.sections.map((s) => [s.type, s.mrExtend, s.pageAug])).toEqual([
      ['PermMem', false, true],
      ['Payload', true, true],
      ['TdInfo', false, false],
      ['TdParams', true, false],
    ]);
    // Raw data is a view of the image at DataOffset.
    expect(tdxSectionRawData(img, m.sections[1]!)).toEqual(img.subarray(0, 0x1000));
  });

  it('no footer table: td-shim reads the u32 at end−0x20, minus 16, as the GUID position (§1.4, §5.4 step 1)', () => {
    const img = new Uint8Array(0x2000);
    img.set(tdvf(STOCK_TDX), 0x800);
    img.set(u32le(0x800 + 16), 0x2000 - 0x20);
    const m = parseTdxMetadata(img);
    expect(m.source).toBe('td-shim-fallback');
    expect(m.guidOffset).toBe(0x800);
    expectStockTdx(m, [0x812000n, 0xe000n]);
  });

  it("no footer table and no td-shim pointer (Fraunhofer's end−0x30 reading is not used, §1.4)", () => {
    const img = new Uint8Array(0x2000);
    img.set(tdvf(STOCK_TDX), 0x800);
    img.set(u32le(0x800), 0x2000 - 0x30);
    fwError(() => parseTdxMetadata(img), 'NoTdxMetadata');
    for (const ptr of [0, 15, 0x2000, 0xffffffff, 0x900]) {
      img.set(u32le(ptr), 0x2000 - 0x20);
      fwError(() => parseTdxMetadata(img), 'NoTdxMetadata');
    }
  });

  it('a table without the TDX entry has no TDX metadata', () => {
    fwError(() => parseTdxMetadata(stockLike({ tdx: null })), 'NoTdxMetadata');
  });

  it('rejects an entry pointing outside the image, or a wrong GUID before the descriptor', () => {
    for (const fromEnd of [0, 15, 0x2000 - 15, 0x2001, 0xffffffff]) {
      fwError(() => parseTdxMetadata(buildImage({ entries: [{ guid: G.tdxMeta, data: u32le(fromEnd) }] })), 'Truncated');
    }
    const e = fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf(STOCK_TDX, { guid: G.footer }) })), 'BadTdxMetadata');
    expect(e.offset).toBe(TDX_AT);
  });

  it('rejects a wrong signature, version, section count or length (§5.4 step 2)', () => {
    const D = TDX_AT + 16;
    expect(fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf(STOCK_TDX, { sig: 0x46564455 }) })), 'BadTdxMetadata').offset).toBe(D);
    expect(fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf(STOCK_TDX, { version: 0 }) })), 'BadTdxMetadata').offset).toBe(D + 8);
    expect(fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf([]) })), 'BadTdxMetadata').offset).toBe(D + 12);
    expect(fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf(STOCK_TDX, { length: 16 + 32 * 5 }) })), 'BadTdxMetadata').offset).toBe(D + 4);
    // Consistent but too many sections for the image.
    fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf([], { n: 1000, length: 16 + 32 * 1000 }) })), 'Truncated');
  });

  it('rejects an unknown section type (§1.4: 0–8)', () => {
    for (const type of [9, 0x10, 0xffffffff]) {
      const secs = [...STOCK_TDX.slice(0, 5), { addr: 0x800000n, size: 0x6000n, type }];
      const e = fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf(secs) })), 'UnknownSectionType');
      expect(e.offset).toBe(TDX_AT + 16 + 16 + 32 * 5 + 24);
    }
  });

  it('rejects unknown attribute bits, unaligned ranges, MemoryDataSize < RawDataSize, a range past 2^64 (§1.4, §5.2)', () => {
    const bad: TdxSec[] = [
      { addr: 0x800000n, size: 0x6000n, type: 3, attr: 0x4 },
      { addr: 0x800000n, size: 0x6000n, type: 3, attr: 0x80000000 },
      { addr: 0x800800n, size: 0x6000n, type: 3 },
      { addr: 0x800000n, size: 0x6001n, type: 3 },
      { dataOffset: 0, raw: 0x7000, addr: 0x800000n, size: 0x6000n, type: 0, attr: 1 },
      { addr: 0xfffffffffffff000n, size: 0x2000n, type: 3 },
    ];
    for (const s of bad) {
      fwError(() => parseTdxMetadata(stockLike({ tdx: tdvf([...STOCK_TDX.slice(0, 5), s]) })), 'BadTdxMetadata');
    }
    // The last page below 2^64 is fine.
    const top = parseTdxMetadata(stockLike({ tdx: tdvf([{ addr: 0xfffffffffffff000n, size: 0x1000n, type: 3 }]) }));
    expect(top.sections[0]?.memoryAddress).toBe(0xfffffffffffff000n);
  });

  it('rejects overlapping memory ranges (§6.3); empty and adjacent ranges are fine', () => {
    const e = fwError(
      () => parseTdxMetadata(stockLike({ tdx: tdvf([...STOCK_TDX, { addr: 0x805000n, size: 0x1000n, type: 3 }]) })),
      'OverlappingSections',
    );
    expect(e.message).toMatch(/sections 5 .* and 6 /);
    fwError(
      () => parseTdxMetadata(stockLike({ tdx: tdvf([...STOCK_TDX, { addr: 0xffd00000n, size: 0x1000n, type: 3 }]) })),
      'OverlappingSections',
    );
    const ok = parseTdxMetadata(stockLike({ tdx: tdvf([...STOCK_TDX, { addr: 0x806000n, size: 0x3000n, type: 3 }, { addr: 0x800000n, size: 0n, type: 7 }]) }));
    expect(ok.sections).toHaveLength(8);
  });

  it("strict mode applies QEMU's per-type RawDataSize rules (§5.2)", () => {
    const cases: TdxSec[][] = [
      [{ dataOffset: 0, raw: 0x1000, addr: 0x809000n, size: 0x2000n, type: 2 }], // TD_HOB with raw data
      [{ dataOffset: 0, raw: 0x1000, addr: 0x800000n, size: 0x6000n, type: 3 }], // TempMem with raw data
      [{ dataOffset: 0, raw: 0x1000, addr: 0x100000n, size: 0x1000n, type: 4, attr: 2 }], // PermMem with raw data
      [{ addr: 0xffc84000n, size: 0x1000n, type: 0, attr: 1 }], // BFV without raw data
      [{ addr: 0xffc00000n, size: 0x1000n, type: 1 }], // CFV without raw data
    ];
    for (const secs of cases) {
      const img = stockLike({ tdx: tdvf(secs) });
      expect(parseTdxMetadata(img).sections).toHaveLength(1);
      fwError(() => parseTdxMetadata(img, { strict: true }), 'BadTdxMetadata');
    }
  });
});

// ---- The shared fixtures ----------------------------------------------------------------------

const FW = 'firmware';
const fixture = (name: string): Uint8Array => sharedBytes(`${FW}/${name}`);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!HAVE_SHARED)('fixtures (firmware-input.md §1.2–§1.4)', () => {
  sharedNotice('firmware fixtures');

  it('are the files the spec describes (sizes and sha256 from the fixture table)', () => {
    const want: Record<string, [number, string]> = {
      'svsm.bin': [1138688, '287fcee67b501b072e4953b5006059d088b454e9197bc318885385acb233d5d1'],
      'svsm_ovmf.fd': [3653632, '50d1bf8676c7fb2ff6b8e50cf8fc0491534de27c12d6345a2dcefef51cbac97e'],
      'ovmf_AmdSev_suffix.bin': [4096, '8f765dfabc127fc0a938a0744a3103ec15864d7d794eb4c398aa976b6d6ab16c'],
      'ovmf_OvmfX64_suffix.bin': [4096, 'b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da'],
    };
    for (const [name, [size, hash]] of Object.entries(want)) {
      const b = fixture(name);
      expect(b.length, name).toBe(size);
      expect(sha256(b), name).toBe(hash);
    }
  });

  it('AmdSev suffix: table length 0x88, reset 0x0080B004, hash block, secret block, metadata offsets (§1.2)', () => {
    const img = fixture('ovmf_AmdSev_suffix.bin');
    const t = parseFooterTable(img);
    expect(t.length).toBe(0x88);
    expect(new Set(t.entries.map((e) => e.guid))).toEqual(new Set([G.esReset, G.hashTable, G.secret, G.sevMeta, G.tdxMeta]));
    expect(sevEsResetBlock(t)).toMatchObject({ apResetEip: 0x0080b004, csBase: 0x800000, ip: 0xb004 }); // §3.1
    expect(sevHashTableBlock(t)).toMatchObject({ gpa: 0x810c00, size: 0x400 });
    expect(sevSecretBlock(t)).toMatchObject({ gpa: 0x810000, size: 0xc00 });
    expect(sevMetadataOffset(t)).toBe(0x554);
    expect(tdxMetadataOffset(t)).toBe(0x9d0);
    // §1.2: the reset block is 4 + 18 bytes, the metadata-offset block 4 + 18.
    expect(t.get(G.esReset)?.length).toBe(22);
    expect(t.get(G.sevMeta)?.length).toBe(22);
    expect(parseSevMetadata(img).offset).toBe(4096 - 0x554);
    expect(parseTdxMetadata(img).offset).toBe(4096 - 0x9d0);
  });

  it('OvmfX64 suffix: same reset address, zero hash and secret blocks, SEV at end−0x548, TDX at end−0x9C0 (§1.2)', () => {
    const img = fixture('ovmf_OvmfX64_suffix.bin');
    const t = parseFooterTable(img);
    expect(sevEsResetBlock(t)?.apResetEip).toBe(0x0080b004);
    expect(t.get(G.hashTable)?.data.every((b) => b === 0)).toBe(true);
    expect(t.get(G.secret)?.data.every((b) => b === 0)).toBe(true);
    expect(sevHashTableBlock(t)).toMatchObject({ gpa: 0, size: 0 });
    expect(sevSecretBlock(t)).toMatchObject({ gpa: 0, size: 0 });
    expect(sevMetadataOffset(t)).toBe(0x548);
    expect(tdxMetadataOffset(t)).toBe(0x9c0);
  });

  it('svsm.bin: reset 0xFFFFFFF0, secret 0xDEADBEEF, SVSM info 0, SEV metadata at end−0xC2 (§1.2)', () => {
    const img = fixture('svsm.bin');
    const t = parseFooterTable(img);
    // §1.2 lists these four entries for svsm.bin's table.
    expect(new Set(t.entries.map((e) => e.guid))).toEqual(new Set([G.esReset, G.secret, G.svsmInfo, G.sevMeta]));
    expect(sevEsResetBlock(t)?.apResetEip).toBe(0xfffffff0);
    expect(sevSecretBlock(t)?.gpa).toBe(0xdeadbeef);
    expect(svsmInfoOffset(t)).toBe(0);
    expect(sevMetadataOffset(t)).toBe(0xc2);
    expect(parseSevMetadata(img).offset).toBe(img.length - 0xc2);
    // No TDX entry in that list, so no TDX metadata.
    expect(tdxMetadataOffset(t)).toBeUndefined();
    fwError(() => parseTdxMetadata(img), 'NoTdxMetadata');
  });

  it('SEV metadata section lists (§1.3 table)', () => {
    const stockFive: Array<[number, number, string]> = [
      [0x800000, 0x9000, 'SNP_SEC_MEM'],
      [0x80a000, 0x3000, 'SNP_SEC_MEM'],
      [0x80d000, 0x1000, 'SNP_SECRETS'],
      [0x80e000, 0x1000, 'CPUID'],
      [0x80f000, 0x1000, 'SVSM_CAA'],
    ];
    expect(sevList(fixture('ovmf_AmdSev_suffix.bin'))).toEqual([
      ...stockFive,
      [0x810000, 0x1000, 'SNP_KERNEL_HASHES'],
      [0x811000, 0xf000, 'SNP_SEC_MEM'],
    ]);
    for (const name of ['ovmf_OvmfX64_suffix.bin', 'svsm_ovmf.fd']) {
      expect(sevList(fixture(name)), name).toEqual([...stockFive, [0x810000, 0x10000, 'SNP_SEC_MEM']]);
    }
    expect(sevList(fixture('svsm.bin'))).toEqual([
      [0x0, 0x9e000, 'SNP_SEC_MEM'],
      [0x9e000, 0x1000, 'SNP_SECRETS'],
      [0x9f000, 0x1000, 'CPUID'],
    ]);
    // §4.1: 158 ZERO pages at 0x0–0x9DFFF.
    expect(parseSevMetadata(fixture('svsm.bin')).sections[0]!.size / 4096).toBe(158);
    // Real images satisfy gce-tcb-verifier's rules as well (§1.3).
    for (const name of ['ovmf_AmdSev_suffix.bin', 'ovmf_OvmfX64_suffix.bin', 'svsm_ovmf.fd', 'svsm.bin']) {
      expect(() => parseSevMetadata(fixture(name), { strict: true }), name).not.toThrow();
    }
  });

  it('TDX metadata: the same 6-section table in all three OVMF images (§1.4)', () => {
    const tempMem: Record<string, [bigint, bigint]> = {
      'ovmf_AmdSev_suffix.bin': [0x812000n, 0xe000n],
      'ovmf_OvmfX64_suffix.bin': [0x811000n, 0xf000n],
      'svsm_ovmf.fd': [0x810000n, 0x10000n],
    };
    for (const [name, tm] of Object.entries(tempMem)) {
      const m = parseTdxMetadata(fixture(name), { strict: true });
      expect(m.source, name).toBe('footer-table');
      expect(m.sections.map((s) => [s.type, s.memoryAddress, s.memoryDataSize, s.attributes]), name).toEqual([
        ['BFV', 0xffc84000n, 0x37c000n, 1],
        ['CFV', 0xffc00000n, 0x84000n, 0],
        ['TempMem', tm[0], tm[1], 0],
        ['TempMem', 0x80b000n, 0x2000n, 0],
        ['TD_HOB', 0x809000n, 0x2000n, 0],
        ['TempMem', 0x800000n, 0x6000n, 0],
      ]);
      // BFV: data 0x84000, raw 0x37C000 (raw = mem in stock OVMF, §5.2); CFV: data 0, raw 0x84000.
      expect([m.sections[0]?.dataOffset, m.sections[0]?.rawDataSize], name).toEqual([0x84000, 0x37c000]);
      expect([m.sections[1]?.dataOffset, m.sections[1]?.rawDataSize], name).toEqual([0, 0x84000]);
      expect(m.sections.map((s) => s.mrExtend), name).toEqual([true, false, false, false, false, false]);
    }
  });

  it('svsm_ovmf.fd is CODE only: its BFV DataOffset lies past its end (§1.4)', () => {
    const code = fixture('svsm_ovmf.fd');
    const m = parseTdxMetadata(code);
    expect(m.sections[0]?.rawDataInImage).toBe(false);
    fwError(() => tdxSectionRawData(code, m.sections[0]!), 'Truncated');
    fwError(() => parseTdxMetadata(code, { requireRawData: true }), 'Truncated');
  });

  it('the §5.5 stand-in (0x84000 zero bytes + svsm_ovmf.fd) has a consistent TDX table', () => {
    const code = fixture('svsm_ovmf.fd');
    const standIn = cat(new Uint8Array(0x84000), code);
    expect(standIn.length).toBe(0x400000);
    expect(sha256(standIn)).toBe('4918f2b37b95e2b182d5dbef13e9a470d805eb449c6d74ec7648499d31d60da6');
    const m = parseTdxMetadata(standIn, { strict: true, requireRawData: true });
    // Read from the end, so the table is svsm_ovmf.fd's (TempMem 0x810000+0x10000).
    expect(m.sections[2]).toMatchObject({ type: 'TempMem', memoryAddress: 0x810000n, memoryDataSize: 0x10000n });
    // "the BFV's DataOffset 0x84000 points at the start of the svsm_ovmf.fd bytes, and the CFV
    // (DataOffset 0, raw 0x84000) covers the zero bytes" (§5.5).
    expect(Buffer.from(tdxSectionRawData(standIn, m.sections[0]!)).equals(Buffer.from(code))).toBe(true);
    expect(tdxSectionRawData(standIn, m.sections[1]!).every((b) => b === 0)).toBe(true);
    expect(m.sections.every((s) => s.rawDataInImage)).toBe(true);
  });
});

// ---- Fuzz ------------------------------------------------------------------------------------

/**
 * Fixed-seed fuzz: mutated and truncated images through every parser; only FirmwareError may
 * escape (DESIGN.md "Errors"; spec/firmware-input.md §1, §6.3), with a
 * known code and an offset inside the image. On success, what was parsed lies inside the image.
 */
describe('fuzz: only FirmwareError escapes', () => {
  const SNP_LOADER_NAMES = Object.keys(OVMF_SNP_LOADERS) as OvmfSnpLoaderName[];
  const FUZZ_KERNEL_HASHES = sevKernelHashes({ kernel: new Uint8Array(1), append: 'x' }, nodeHashBackend);
  const SEED = Number(process.env.FIRMWARE_FUZZ_SEED ?? 0x0f1a_a7e5) >>> 0;
  const ITERATIONS = Number(process.env.FIRMWARE_FUZZ_ITERATIONS ?? 3000);
  const CODES = new Set<string>(FIRMWARE_ERROR_CODES);
  const BOUNDARY = [0, 1, 2, 15, 16, 17, 18, 19, 0x20, 0x32, 0xff, 0x1000, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

  function bases(): Array<{ name: string; bytes: Uint8Array }> {
    const out = [
      { name: 'built-stock', bytes: stockLike() },
      { name: 'built-4k', bytes: stockLike({ size: 0x2000 }).subarray(0x1000) }, // metadata offsets point before the start
      { name: 'built-svsm', bytes: stockLike({ extra: [{ guid: G.svsmInfo, data: u32le(0) }], tdx: null }) },
      {
        name: 'built-tdshim',
        bytes: (() => {
          const img = new Uint8Array(0x2000);
          img.set(tdvf(STOCK_TDX), 0x800);
          img.set(u32le(0x810), 0x2000 - 0x20);
          return img;
        })(),
      },
    ];
    if (HAVE_SHARED) {
      out.push({ name: 'AmdSev', bytes: fixture('ovmf_AmdSev_suffix.bin') });
      out.push({ name: 'OvmfX64', bytes: fixture('ovmf_OvmfX64_suffix.bin') });
      // The structures of the large images all lie in their last 4 KiB (§1.2 offsets).
      out.push({ name: 'svsm-tail', bytes: fixture('svsm.bin').slice(-0x1000) });
      out.push({ name: 'svsm_ovmf-tail', bytes: fixture('svsm_ovmf.fd').slice(-0x2000) });
    }
    return out;
  }

  function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
    const int = (n: number): number => Math.floor(rnd() * n);
    let img = Uint8Array.from(src);
    const nearEnd = (): number => Math.max(0, img.length - 1 - int(Math.min(img.length, 0xa00)));
    const steps = 1 + int(3);
    for (let k = 0; k < steps; k++) {
      const r = int(10);
      if (img.length === 0) break;
      if (r === 0) {
        // Truncate, usually to a 4 KiB multiple (keeps the end-relative structures reachable).
        const keep = rnd() < 0.5 ? 0x1000 * int(img.length / 0x1000 + 1) : int(img.length + 1);
        img = img.slice(img.length - Math.min(keep, img.length));
      } else if (r === 1) {
        // Grow at the front by whole or odd amounts: offsets from the end stay, from the start shift.
        const add = rnd() < 0.7 ? 0x1000 : 1 + int(0x100);
        const grown = new Uint8Array(img.length + add);
        grown.set(img, add);
        img = grown;
      } else if (r <= 4) {
        // A u16 or u32 boundary value somewhere in the structures near the end.
        const at = nearEnd();
        const v = BOUNDARY[int(BOUNDARY.length)] ?? 0;
        const width = rnd() < 0.5 ? 2 : 4;
        for (let i = 0; i < width && at + i < img.length; i++) img[at + i] = (v >>> (8 * i)) & 0xff;
      } else if (r <= 6) {
        const at = nearEnd();
        img[at] = (img[at] ?? 0) ^ (1 << int(8));
      } else if (r === 7) {
        // The footer length or the first entry's length.
        const at = img.length - (rnd() < 0.5 ? 0x32 : 0x32 + 18 * (1 + int(4)));
        if (at >= 0 && at + 1 < img.length) {
          const v = int(0x120);
          img[at] = v & 0xff;
          img[at + 1] = v >>> 8;
        }
      } else {
        // Random bytes over a short run.
        const at = nearEnd();
        for (let i = 0; i < 1 + int(16) && at + i < img.length; i++) img[at + i] = int(256);
      }
    }
    return img;
  }

  function attempt<T>(img: Uint8Array, f: () => T, tally: Map<string, number>, where: string): T | undefined {
    try {
      const v = f();
      tally.set('ok', (tally.get('ok') ?? 0) + 1);
      return v;
    } catch (e) {
      if (!(e instanceof FirmwareError)) throw new Error(`${where}: ${String(e)}`, { cause: e });
      if (!CODES.has(e.code)) throw new Error(`${where}: unknown code ${e.code}`);
      if (e.offset !== undefined && !(Number.isInteger(e.offset) && e.offset >= 0 && e.offset < img.length)) {
        throw new Error(`${where}: ${e.code} offset ${e.offset} outside ${img.length} bytes`);
      }
      tally.set(e.code, (tally.get(e.code) ?? 0) + 1);
      return undefined;
    }
  }

  it(`${ITERATIONS} mutated images (seed ${SEED.toString(16)})`, () => {
    const bs = bases();
    const rnd = mulberry32(SEED);
    const tally = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const base = bs[i % bs.length]!;
      const img = mutate(base.bytes, rnd);
      const where = `iteration ${i} (${base.name}, ${img.length} bytes)`;
      const table = attempt(img, () => findFooterTable(img), tally, where);
      if (table) {
        for (const e of table.entries) {
          expect(e.offset >= table.offset && e.offset + e.length <= img.length - 0x32).toBe(true);
          expect(e.data.length).toBe(e.length - 18);
        }
        attempt(img, () => sevEsResetBlock(table), tally, where);
        attempt(img, () => sevHashTableBlock(table), tally, where);
        attempt(img, () => sevSecretBlock(table), tally, where);
        attempt(img, () => svsmInfoOffset(table), tally, where);
      }
      attempt(img, () => parseFooterTable(img), tally, where);
      // The adapters on top of the parsers (§2, §6.2): steps only, no hashing needed to reach
      // every bounds check. Loaders and kernel hashes rotate with the iteration.
      const vmm = SNP_LOADER_NAMES[i % SNP_LOADER_NAMES.length]!;
      const kernelHashes = i % 3 === 0 ? FUZZ_KERNEL_HASHES : undefined;
      const host = { vmm, vcpus: 1 + (i % 3), vcpuSignature: 0x800f12, sevFeatures: 0x1n, ...(kernelHashes ? { kernelHashes } : {}) };
      const steps = attempt(img, () => ovmfSnpSteps(img, host), tally, where);
      for (const st of steps ?? []) if (st.kind === 'vmsa' || st.type === 'NORMAL') expect(st.bytes === undefined || st.bytes.length <= 0x1000).toBe(true);
      attempt(img, () => ovmfSevEsChunks(img, { vcpus: host.vcpus, vcpuSignature: 0x800f12, ...(kernelHashes ? { kernelHashes } : {}) }), tally, where);
      for (const strict of [false, true]) {
        const sev = attempt(img, () => findSevMetadata(img, { strict }), tally, where);
        for (const s of sev?.sections ?? []) expect(s.offset + 12 <= img.length).toBe(true);
        const tdx = attempt(img, () => parseTdxMetadata(img, { strict, requireRawData: !strict }), tally, where);
        for (const s of tdx?.sections ?? []) {
          expect(s.offset + 32 <= img.length).toBe(true);
          const raw = attempt(img, () => tdxSectionRawData(img, s), tally, where);
          if (raw) expect(raw.length).toBe(s.rawDataSize);
        }
      }
    }
    if (process.env.FIRMWARE_FUZZ_VERBOSE) console.log(Object.fromEntries([...tally].sort()));
    // The fuzz reached both outcomes and a spread of error codes (the real OVMF images of
    // ../shared reach more of them than the small images built here).
    expect(tally.get('ok') ?? 0).toBeGreaterThan(ITERATIONS);
    const codes = [...tally.keys()].filter((k) => k !== 'ok');
    expect(codes.length).toBeGreaterThanOrEqual(HAVE_SHARED ? 8 : 5);
  });
});
