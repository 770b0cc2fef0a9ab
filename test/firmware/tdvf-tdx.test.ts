/**
 * TDVF → TDX MRTD steps (firmware-input.md §5). Expected values:
 * - on small TDVF images built here: the step kinds, GPAs and order of §5.3 / §5.4, and MRTDs
 *   computed in this file with node:crypto straight from the §5.1 byte definitions (not from
 *   the code under test);
 * - on the §5.5 stand-in image (0x84000 zero bytes + svsm_ovmf.fd): its sha256 and the two
 *   MRTDs of §5.5. These are NOT hardware values: single-pass is a cross-implementation value
 *   (td-shim's reference script prints it), two-pass is derived from the algorithm only.
 * Without ../shared only the built-image tests run.
 */
import { createHash } from 'node:crypto';
import { FIRMWARE_GUIDS, efiGuid, type TdxSectionSpec } from '../helpers/firmware-image.js';
import { fwError } from '../helpers/firmware-error.js';
import { describe, expect, it } from 'vitest';
import { FirmwareError } from '../../src/firmware/errors.js';
import {
  TDVF_DEFAULT_MAX_PAGES,
  tdvfMrtd,
  tdvfTdxStepIter,
  tdvfTdxSteps,
  type TdvfTdxOptions,
} from '../../src/firmware/tdvf-tdx.js';
import * as firmwareIndex from '../../src/firmware/index.js';
import { foldTdxSteps } from '../../src/measure/fold.js';
import type { TdxStep } from '../../src/measure/launch-steps.js';
import type { TraceStep } from '../../src/measure/steps.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { mulberry32 } from '../helpers/prng.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

// ---- Image builder (firmware-input.md §1.1, §1.2, §1.4), written from the spec's layouts ----

const G = FIRMWARE_GUIDS;

type Sec = TdxSectionSpec;

const IMAGE_SIZE = 0x4000;
/** Where the built images put the metadata GUID; the `TDVF` descriptor follows at +16. */
const META_AT = 0x800;
/** Offset from the image start of section i's 32-byte entry. */
const entryOffset = (i: number): number => META_AT + 16 + 16 + 32 * i;

/**
 * A TDVF image (§1.4): random bytes (seeded), the metadata GUID + descriptor + sections at
 * META_AT, and a footer table at the end (§1.1) whose only entry is the TDX metadata offset
 * (§1.2), or, with `fallback`, no table but td-shim's u32 at end−0x20 (§5.4 step 1).
 */
function tdvfImage(sections: Sec[], o: { size?: number; fallback?: boolean; seed?: number } = {}): Uint8Array {
  const size = o.size ?? IMAGE_SIZE;
  const img = new Uint8Array(size);
  const rnd = mulberry32(o.seed ?? 7);
  for (let i = 0; i < size; i++) img[i] = Math.floor(rnd() * 256);
  const v = new DataView(img.buffer);
  // Metadata: GUID, then signature 'TDVF', length 16 + 32n, version 1, n, then the sections.
  img.set(efiGuid(G.tdxGuid), META_AT);
  const d = META_AT + 16;
  v.setUint32(d, 0x46564454, true);
  v.setUint32(d + 4, 16 + 32 * sections.length, true);
  v.setUint32(d + 8, 1, true);
  v.setUint32(d + 12, sections.length, true);
  sections.forEach((s, i) => {
    const e = entryOffset(i);
    v.setUint32(e, s.dataOffset ?? 0, true);
    v.setUint32(e + 4, s.raw ?? 0, true);
    v.setBigUint64(e + 8, s.addr, true);
    v.setBigUint64(e + 16, s.size, true);
    v.setUint32(e + 24, s.type, true);
    v.setUint32(e + 28, s.attr ?? 0, true);
  });
  if (o.fallback === true) {
    img.fill(0, size - 0x30, size - 0x20); // no footer GUID at end−0x30
    v.setUint32(size - 0x20, d, true); // td-shim: the descriptor's offset from the start
  } else {
    // Footer GUID at end−0x30, u16 total length at end−0x32, then one entry below it:
    // [u32 distance from the end to the descriptor][u16 22][GUID e47a6535-…].
    img.set(efiGuid(G.footer), size - 0x30);
    v.setUint16(size - 0x32, 18 + 22, true);
    img.set(efiGuid(G.tdxMeta), size - 0x32 - 16);
    v.setUint16(size - 0x32 - 18, 22, true);
    v.setUint32(size - 0x32 - 22, size - d, true);
  }
  return img;
}

/**
 * The synthetic table: a 2-page BFV (MR.EXTEND) over the image's last two pages, a 2-page CFV
 * over the first two (PAGE.ADD only) and a 1-page TempMem, as in stock OVMF's order (§1.4).
 */
const BFV: Sec = { dataOffset: 0x2000, raw: 0x2000, addr: 0xffffe000n, size: 0x2000n, type: 0, attr: 1 };
const CFV: Sec = { dataOffset: 0, raw: 0x2000, addr: 0xffffc000n, size: 0x2000n, type: 1 };
const TEMP: Sec = { addr: 0x800000n, size: 0x1000n, type: 3 };
const SYNTH = [BFV, CFV, TEMP];

// ---- The §5.1 primitives, independently of src/ ------------------------------------------

type Op = { add: bigint } | { ext: bigint; page: Uint8Array };

/** MRTD = one SHA-384 over the 128-byte buffers of §5.1. */
function expectedMrtd(ops: Op[]): string {
  const h = createHash('sha384');
  for (const op of ops) {
    if ('add' in op) {
      const b = Buffer.alloc(128); // "MEM.PAGE.ADD" at 0, GPA u64 LE at 16, the rest zero
      b.write('MEM.PAGE.ADD', 0, 'ascii');
      b.writeBigUInt64LE(op.add, 16);
      h.update(b);
    } else {
      expect(op.page.length).toBe(4096);
      for (let c = 0; c < 16; c++) {
        const hdr = Buffer.alloc(128); // "MR.EXTEND" at 0, chunk GPA at 16
        hdr.write('MR.EXTEND', 0, 'ascii');
        hdr.writeBigUInt64LE(op.ext + BigInt(256 * c), 16);
        h.update(hdr);
        h.update(op.page.subarray(256 * c, 256 * c + 128));
        h.update(op.page.subarray(256 * c + 128, 256 * c + 256));
      }
    }
  }
  return h.digest('hex');
}

/** A 4 KiB page: `bytes` followed by zeros. */
function page(bytes: Uint8Array): Uint8Array {
  const p = new Uint8Array(4096);
  p.set(bytes);
  return p;
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const shape = (steps: TdxStep[]): Array<[string, bigint]> => steps.map((s) => [s.kind, s.gpa]);


// ---- Built images ------------------------------------------------------------------------

describe('tdvfTdxSteps on a built TDVF image (firmware-input.md §5.3–5.4)', () => {
  const img = tdvfImage(SYNTH);
  const bfv0 = img.slice(0x2000, 0x3000);
  const bfv1 = img.slice(0x3000, 0x4000);

  it('single-pass: per page PAGE.ADD then its extends; CFV and TempMem are added only (§5.2, §5.3)', () => {
    const steps = tdvfTdxSteps(img);
    expect(shape(steps)).toEqual([
      ['tdx-add', 0xffffe000n],
      ['tdx-extend', 0xffffe000n],
      ['tdx-add', 0xfffff000n],
      ['tdx-extend', 0xfffff000n],
      ['tdx-add', 0xffffc000n],
      ['tdx-add', 0xffffd000n],
      ['tdx-add', 0x800000n],
    ]);
    expect(tdvfTdxSteps(img, { order: 'single' })).toEqual(steps);
    const ext = steps.filter((s) => s.kind === 'tdx-extend');
    expect(ext.map((s) => s.kind === 'tdx-extend' && toHex(s.bytes))).toEqual([toHex(bfv0), toHex(bfv1)]);
  });

  it('two-pass: per section all PAGE.ADDs, then all extends (§5.3)', () => {
    expect(shape(tdvfTdxSteps(img, { order: 'two-pass' }))).toEqual([
      ['tdx-add', 0xffffe000n],
      ['tdx-add', 0xfffff000n],
      ['tdx-extend', 0xffffe000n],
      ['tdx-extend', 0xfffff000n],
      ['tdx-add', 0xffffc000n],
      ['tdx-add', 0xffffd000n],
      ['tdx-add', 0x800000n],
    ]);
  });

  it('sources: file label, the section entry for adds, the page bytes for extends', () => {
    const steps = tdvfTdxSteps(img);
    expect(steps[0]?.source).toEqual({ file: 'TDVF', fileOffset: entryOffset(0), reason: 'TDX meta #0 BFV page 0' });
    expect(steps[3]?.source).toEqual({ file: 'TDVF', fileOffset: 0x3000, reason: 'TDX meta #0 BFV page 1' });
    expect(steps[5]?.source).toEqual({ file: 'TDVF', fileOffset: entryOffset(1), reason: 'TDX meta #1 CFV page 1' });
    expect(steps[6]?.source).toEqual({ file: 'TDVF', fileOffset: entryOffset(2), reason: 'TDX meta #2 TempMem page 0' });
    expect(tdvfTdxSteps(img, { file: 'OVMF.fd' }).every((s) => s.source.file === 'OVMF.fd')).toBe(true);
  });

  it('MRTD equals SHA-384 over the §5.1 buffers, computed independently, for both orderings', () => {
    const single = expectedMrtd([
      { add: 0xffffe000n },
      { ext: 0xffffe000n, page: bfv0 },
      { add: 0xfffff000n },
      { ext: 0xfffff000n, page: bfv1 },
      { add: 0xffffc000n },
      { add: 0xffffd000n },
      { add: 0x800000n },
    ]);
    const twoPass = expectedMrtd([
      { add: 0xffffe000n },
      { add: 0xfffff000n },
      { ext: 0xffffe000n, page: bfv0 },
      { ext: 0xfffff000n, page: bfv1 },
      { add: 0xffffc000n },
      { add: 0xffffd000n },
      { add: 0x800000n },
    ]);
    expect(single).not.toBe(twoPass);
    expect(toHex(tdvfMrtd(img))).toBe(single);
    expect(toHex(tdvfMrtd(img, { order: 'two-pass' }, nodeHashBackend))).toBe(twoPass);
    expect(toHex(foldTdxSteps(tdvfTdxSteps(img)))).toBe(single);
    expect(toHex(foldTdxSteps(tdvfTdxStepIter(img, { order: 'two-pass' })))).toBe(twoPass);
    // The CFV's bytes are not in MRTD (§5.2): changing them changes nothing.
    const other = img.slice();
    other.fill(0x5a, 0, META_AT);
    expect(toHex(tdvfMrtd(other))).toBe(single);
  });

  it('foldTdxSteps traces every primitive step; the last digest is the MRTD', () => {
    const seen: TraceStep[] = [];
    const mrtd = foldTdxSteps(tdvfTdxSteps(img), nodeHashBackend, (s) => seen.push(s));
    expect(seen.map((s) => [s.record, s.gpa])).toEqual([
      ['mem_page_add', 0xffffe000n],
      ['mr_extend', 0xffffe000n],
      ['mem_page_add', 0xfffff000n],
      ['mr_extend', 0xfffff000n],
      ['mem_page_add', 0xffffc000n],
      ['mem_page_add', 0xffffd000n],
      ['mem_page_add', 0x800000n],
    ]);
    expect(seen.every((s) => s.platform === 'TDX')).toBe(true);
    expect(toHex(seen.at(-1)!.digest)).toBe(toHex(mrtd));
    expect(seen[1]?.source.reason).toBe('TDX meta #0 BFV page 0');
  });

  it('td-shim images without a footer table: the u32 at end−0x20 leads to the table (§5.4 step 1)', () => {
    const shim = tdvfImage(SYNTH, { fallback: true });
    expect(shape(tdvfTdxSteps(shim))).toEqual(shape(tdvfTdxSteps(img)));
  });

  it('a CFV whose data lies outside the image is fine: only MR.EXTEND bytes are read (§1.4, §5.2)', () => {
    const codeOnly = tdvfImage([BFV, { ...CFV, dataOffset: 0x7c000 }, TEMP]);
    expect(shape(tdvfTdxSteps(codeOnly))).toEqual(shape(tdvfTdxSteps(img)));
  });

  it('is exported from the firmware index', () => {
    expect(firmwareIndex.tdvfTdxSteps).toBe(tdvfTdxSteps);
    expect(firmwareIndex.tdvfMrtd).toBe(tdvfMrtd);
  });
});

describe('tdvfTdxSteps section rules and errors (firmware-input.md §5.2)', () => {
  it('a PAGE.AUG section produces no steps and leaves MRTD as without it', () => {
    const permMem: Sec = { addr: 0x1_0000_0000n, size: 0x100_0000_0000n, type: 4, attr: 2 };
    const img = tdvfImage([...SYNTH, permMem]);
    const steps = tdvfTdxSteps(img);
    expect(steps).toHaveLength(7);
    expect(steps.some((s) => s.gpa >= 0x1_0000_0000n)).toBe(false);
    expect(toHex(tdvfMrtd(img))).toBe(toHex(tdvfMrtd(tdvfImage(SYNTH))));
  });

  it('a section with MR.EXTEND and PAGE.AUG is refused (pages never added cannot be extended)', () => {
    const e = fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, attr: 3 }])), 'BadTdxMetadata');
    expect(e.offset).toBe(entryOffset(0) + 28);
  });

  it('MR.EXTEND raw data past the image end is Truncated', () => {
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, dataOffset: 0x3000 }])), 'Truncated');
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, dataOffset: 0xfffff000 }])), 'Truncated');
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, dataOffset: 0xffffffff, raw: 0x1000_0000, size: 0x1000_0000n }])), 'Truncated');
  });

  it('misaligned MemoryAddress / MemoryDataSize and RawDataSize > MemoryDataSize are BadTdxMetadata', () => {
    fwError(() => tdvfTdxSteps(tdvfImage([BFV, CFV, { ...TEMP, addr: 0x800800n }])), 'BadTdxMetadata');
    fwError(() => tdvfTdxSteps(tdvfImage([BFV, CFV, { ...TEMP, size: 0x1800n }])), 'BadTdxMetadata');
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, raw: 0x2001 }])), 'BadTdxMetadata');
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...BFV, raw: 0x3000 }])), 'BadTdxMetadata');
  });

  it('RawDataSize < MemoryDataSize on an MR.EXTEND section: zero-padded, as td-shim (§5.2)', () => {
    // 3 pages in memory, 1.5 pages of image bytes; the image bytes after 0x3800 are not zero.
    const sec: Sec = { dataOffset: 0x2000, raw: 0x1800, addr: 0x900000n, size: 0x3000n, type: 0, attr: 1 };
    const img = tdvfImage([sec]);
    expect(img.subarray(0x3800, 0x3900).some((b) => b !== 0)).toBe(true);
    const steps = tdvfTdxSteps(img);
    expect(shape(steps)).toEqual([
      ['tdx-add', 0x900000n],
      ['tdx-extend', 0x900000n],
      ['tdx-add', 0x901000n],
      ['tdx-extend', 0x901000n],
      ['tdx-add', 0x902000n],
      ['tdx-extend', 0x902000n],
    ]);
    const ext = steps.filter((s): s is Extract<TdxStep, { kind: 'tdx-extend' }> => s.kind === 'tdx-extend');
    expect(toHex(ext[0]!.bytes)).toBe(toHex(img.subarray(0x2000, 0x3000)));
    // Only the RawDataSize bytes; the model pads the rest with zeros (TdxExtendStep).
    expect(toHex(ext[1]!.bytes)).toBe(toHex(img.subarray(0x3000, 0x3800)));
    expect(ext[2]!.bytes.length).toBe(0);
    expect(ext.map((s) => s.source.fileOffset)).toEqual([0x2000, 0x3000, undefined]);
    expect(ext[2]!.source.reason).toBe('TDX meta #0 BFV page 2 (zero, past RawDataSize)');
    const expected = expectedMrtd([
      { add: 0x900000n },
      { ext: 0x900000n, page: img.slice(0x2000, 0x3000) },
      { add: 0x901000n },
      { ext: 0x901000n, page: page(img.subarray(0x3000, 0x3800)) },
      { add: 0x902000n },
      { ext: 0x902000n, page: new Uint8Array(4096) },
    ]);
    expect(toHex(tdvfMrtd(img))).toBe(expected);
    // Not the "read the following image bytes" reading of tdx-measure / dstack-mr.
    const following = expectedMrtd([
      { add: 0x900000n },
      { ext: 0x900000n, page: img.slice(0x2000, 0x3000) },
      { add: 0x901000n },
      { ext: 0x901000n, page: img.slice(0x3000, 0x4000) },
      { add: 0x902000n },
      { ext: 0x902000n, page: new Uint8Array(4096) },
    ]);
    expect(toHex(tdvfMrtd(img))).not.toBe(following);
  });

  it('an MR.EXTEND section with no image bytes extends zero pages', () => {
    const img = tdvfImage([{ dataOffset: 0xfffff000, raw: 0, addr: 0x900000n, size: 0x1000n, type: 5, attr: 1 }]);
    expect(toHex(tdvfMrtd(img))).toBe(expectedMrtd([{ add: 0x900000n }, { ext: 0x900000n, page: new Uint8Array(4096) }]));
  });

  it('refuses absurd page totals before making any step (ImageTooLarge), PAGE.AUG excluded', () => {
    const huge: Sec = { addr: 0x1_0000_0000n, size: 0x10_0000_0000_0000n, type: 3 };
    const e = fwError(() => tdvfTdxStepIter(tdvfImage([BFV, huge])), 'ImageTooLarge');
    expect(e.offset).toBe(entryOffset(1) + 16);
    // Exactly at the limit is fine (adds only, no hashing needed to count them).
    const atLimit: Sec = { addr: 0x1_0000_0000n, size: BigInt(TDVF_DEFAULT_MAX_PAGES - 2) * 4096n, type: 3 };
    let n = 0;
    for (const s of tdvfTdxStepIter(tdvfImage([BFV, atLimit]))) if (s.kind === 'tdx-add') n++;
    expect(n).toBe(TDVF_DEFAULT_MAX_PAGES);
    fwError(() => tdvfTdxStepIter(tdvfImage([BFV, { ...atLimit, size: atLimit.size + 4096n }])), 'ImageTooLarge');
    // The limit is an option; the synthetic table adds 5 pages.
    expect(tdvfTdxSteps(tdvfImage(SYNTH), { maxPages: 5 })).toHaveLength(7);
    fwError(() => tdvfTdxSteps(tdvfImage(SYNTH), { maxPages: 4 }), 'ImageTooLarge');
    // PAGE.AUG pages are never added, so they do not count.
    expect(tdvfTdxSteps(tdvfImage([BFV, { ...huge, type: 4, attr: 2 }]))).toHaveLength(4);
  });

  it('reports every error when called, not while iterating', () => {
    const bad = tdvfImage([{ ...BFV, dataOffset: 0x3000 }]);
    fwError(() => tdvfTdxStepIter(bad), 'Truncated');
  });

  it('other image errors come from parseTdxMetadata (§1.4, §5.4 steps 1–2)', () => {
    fwError(() => tdvfTdxSteps(new Uint8Array(0x1234)), 'NotMultipleOf4K');
    fwError(() => tdvfTdxSteps(new Uint8Array(0x2000)), 'NoTdxMetadata');
    fwError(() => tdvfTdxSteps(tdvfImage([BFV, { ...TEMP, addr: 0xfffff000n }])), 'OverlappingSections');
    fwError(() => tdvfTdxSteps(tdvfImage([{ ...TEMP, type: 9 }])), 'UnknownSectionType');
    fwError(() => tdvfTdxSteps(tdvfImage([])), 'BadTdxMetadata');
    // `strict` passes QEMU's per-type RawDataSize rules through (§5.2).
    const rawTemp = tdvfImage([BFV, { ...TEMP, dataOffset: 0, raw: 0x1000 }]);
    expect(tdvfTdxSteps(rawTemp)).toHaveLength(5);
    fwError(() => tdvfTdxSteps(rawTemp, { strict: true }), 'BadTdxMetadata');
  });

  it('rejects bad options with InvalidHostParameter', () => {
    const img = tdvfImage(SYNTH);
    for (const bad of [{ order: 'three-pass' }, { maxPages: -1 }, { maxPages: 1.5 }, { maxPages: Number.NaN }] as TdvfTdxOptions[]) {
      fwError(() => tdvfTdxSteps(img, bad), 'InvalidHostParameter');
    }
  });
});

describe('tdvfTdxSteps fuzz (firmware-input.md §5.4)', () => {
  it('1,000 mutated images: steps or a FirmwareError, nothing else', () => {
    const base = tdvfImage(SYNTH);
    const rnd = mulberry32(0x7d5f);
    const int = (n: number): number => Math.floor(rnd() * n);
    // The bytes that steer the parser: the metadata GUID, descriptor and entries, and the
    // footer table; elsewhere a mutation only changes BFV/CFV contents.
    const hot = [
      [META_AT, entryOffset(SYNTH.length)],
      [IMAGE_SIZE - 0x60, IMAGE_SIZE],
    ] as const;
    const interesting = [0, 1, 0xff, 0x1000, 0xfff, 0x2000, 0x8000_0000, 0xffff_ffff];
    let ok = 0;
    let refused = 0;
    for (let iter = 0; iter < 1000; iter++) {
      const img = base.slice();
      const v = new DataView(img.buffer);
      for (let m = 1 + int(4); m > 0; m--) {
        const [lo, hi] = rnd() < 0.9 ? hot[int(2)]! : [0, IMAGE_SIZE];
        const at = lo + int(hi - lo);
        if (rnd() < 0.3 && at + 4 <= IMAGE_SIZE) v.setUint32(at, interesting[int(interesting.length)]!, true);
        else img[at] = int(256);
      }
      if (rnd() < 0.05) {
        // Truncate or grow by whole or odd amounts.
        const len = [0x1000, 0x3000, 0x3ffc, 0x5000][int(4)]!;
        const other = new Uint8Array(len);
        other.set(img.subarray(0, Math.min(len, IMAGE_SIZE)));
        tryOne(other);
      } else {
        tryOne(img);
      }
    }
    function tryOne(img: Uint8Array): void {
      const order = rnd() < 0.5 ? 'single' : 'two-pass';
      let steps: TdxStep[];
      try {
        steps = tdvfTdxSteps(img, { order });
      } catch (e) {
        if (!(e instanceof FirmwareError)) throw e;
        refused++;
        return;
      }
      ok++;
      expect(steps.length).toBeLessThanOrEqual(2 * TDVF_DEFAULT_MAX_PAGES);
      const odd = steps.find((s) => s.gpa % 4096n !== 0n || (s.kind === 'tdx-extend' && s.bytes.length > 4096));
      expect(odd).toBeUndefined();
      // The model accepts whatever the lowering produced (bounded, to stay quick).
      if (steps.length <= 4096) expect(foldTdxSteps(steps)).toHaveLength(48);
    }
    expect(ok).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});

// ---- The §5.5 stand-in image -------------------------------------------------------------

sharedNotice('tdvf-tdx');

describe.skipIf(!HAVE_SHARED)('§5.5 stand-in image: 0x84000 zero bytes + svsm_ovmf.fd (not hardware)', () => {
  const STANDIN_SHA256 = '4918f2b37b95e2b182d5dbef13e9a470d805eb449c6d74ec7648499d31d60da6';
  // Not hardware (cross-implementation): td-shim's td_shim_tee_info_hash.py at 125eeab prints it.
  const MRTD_SINGLE =
    'e33f9524ac332b8fc9e51169a45cf470c89efe090cd810699f0b6c248e9995a412891be7e5b47c3de6982be22fc58a23';
  // Not hardware, and derived: computed from the algorithm, not checked against another tool.
  const MRTD_TWO_PASS =
    '849ad4d151fe593f40086cb5b6a476c18536bc8b5c525c37fa644f85ea40b1350399a80cca4ce7a62254d2a099ebabe2';

  function standIn(): Uint8Array {
    const code = sharedBytes('firmware/svsm_ovmf.fd');
    const img = new Uint8Array(0x84000 + code.length);
    img.set(code, 0x84000);
    return img;
  }

  it('is the §5.5 image (4 MiB, sha256 4918f2b3…d60da6)', () => {
    const img = standIn();
    expect(img.length).toBe(0x400000);
    expect(createHash('sha256').update(img).digest('hex')).toBe(STANDIN_SHA256);
  });

  it('lowers the §1.4 table: 892 BFV pages added + extended, CFV 132, TempMem/TD_HOB adds', () => {
    const steps = tdvfTdxSteps(standIn());
    const adds = steps.filter((s) => s.kind === 'tdx-add');
    const exts = steps.filter((s) => s.kind === 'tdx-extend');
    // BFV 0x37C pages, CFV 0x84, TempMem 0x10 + 2, TD_HOB 2, TempMem 6 (svsm_ovmf.fd, §1.4).
    expect(adds).toHaveLength(0x37c + 0x84 + 0x10 + 2 + 2 + 6);
    expect(exts).toHaveLength(0x37c);
    expect(shape(steps.slice(0, 2))).toEqual([
      ['tdx-add', 0xffc84000n],
      ['tdx-extend', 0xffc84000n],
    ]);
    expect(steps[1]?.source.fileOffset).toBe(0x84000);
    expect(exts.every((s) => s.kind === 'tdx-extend' && s.bytes.length === 4096)).toBe(true);
    expect(adds.at(-1)?.gpa).toBe(0x805000n);
  });

  it('single-pass MRTD e33f9524… (not hardware: cross-implementation, td-shim reference script)', () => {
    expect(toHex(tdvfMrtd(standIn()))).toBe(MRTD_SINGLE);
    expect(toHex(tdvfMrtd(standIn(), { order: 'single' }, nodeHashBackend))).toBe(MRTD_SINGLE);
  });

  it('two-pass MRTD 849ad4d1… (not hardware: derived, not checked against another tool)', () => {
    expect(toHex(tdvfMrtd(standIn(), { order: 'two-pass' }))).toBe(MRTD_TWO_PASS);
  });

  it('svsm_ovmf.fd alone (CODE only): the BFV data offset is outside it, Truncated (§1.4)', () => {
    fwError(() => tdvfTdxSteps(sharedBytes('firmware/svsm_ovmf.fd')), 'Truncated');
  });
});
