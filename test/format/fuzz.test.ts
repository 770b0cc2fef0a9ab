/**
 * Deterministic fuzzing of the reader and writer (DESIGN.md "Errors": bad input never escapes
 * as anything but `IgvmFormatError`, never hangs, never allocates what it has not checked).
 *
 * Inputs are derived from the upstream vectors in ../shared/vectors/igvm/upstream (when
 * present) plus files built with `IgvmBuilder` and crafted with test/helpers/craft.ts (always,
 * so that a fresh clone without ../shared still fuzzes meaningfully). Each iteration applies
 * one to three mutations, chosen by a fixed-seed PRNG: bit flips, byte overwrites,
 * truncations, extensions, fixed-header and TLV fields and header fields (file offsets, sizes,
 * GPAs, masks, indices) set to boundary values, and structural edits of the TLV list (with
 * the file offsets shifted to match). Most of the time the CRC is repaired (with Node's
 * zlib.crc32), otherwise almost every input would stop at the checksum.
 *
 * Properties, for every input:
 *  - `parseIgvm` returns or throws `IgvmFormatError` (a known code, an offset inside the input);
 *  - after a successful parse, reading every header's `data.bytes()` and `serializeIgvm` may
 *    only throw `IgvmFormatError`;
 *  - a serialized file carries the right size and checksum (checked with zlib.crc32), parses
 *    again with the same options (except the empty-data-section case of spec §12, which must
 *    fail with InvalidFixedHeader), and serializes again to the same bytes (a fixed point).
 *
 * Reproduce one failing input: the report names the seed and iteration; run with
 * IGVM_FUZZ_SEED=<seed> and look at that iteration; IGVM_FUZZ_DUMP=<dir> writes each failing
 * input there. IGVM_FUZZ_ITERATIONS scales the run.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IgvmBuilder } from '../../src/format/builder.js';
import { IGVM_ERROR_CODES, IgvmFormatError } from '../../src/format/errors.js';
import * as L from '../../src/format/layouts.js';
import { parseIgvm, type ParseOptions } from '../../src/format/reader.js';
import type { FieldSpec, StructLayout } from '../../src/format/struct.js';
import { allHeaders, type IgvmFile } from '../../src/format/types.js';
import { serializeIgvm } from '../../src/format/writer.js';
import * as C from '../helpers/craft.js';
import { PT, VHT, X64_REG, ARM64_REG } from '../helpers/craft.js';
import { mulberry32 } from '../helpers/prng.js';

const SEED = Number(process.env.IGVM_FUZZ_SEED ?? 0x1976_a11c) >>> 0;
const ITERATIONS = Number(process.env.IGVM_FUZZ_ITERATIONS ?? 3000);
const MAX_REPORTED = 20;

// ---- PRNG -----------------------------------------------------------------------------------


/** The seed of one iteration, so that any iteration can be replayed alone. */
function iterationSeed(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(i + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  u32(): number {
    return (this.int(0x10000) * 0x10000 + this.int(0x10000)) >>> 0;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

// ---- corpus ---------------------------------------------------------------------------------

interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Options the seed is meant to be parsed with. */
  readonly options: ParseOptions;
  /** Written as upstream's writer writes (serialize(parse(x)) === x, spec §12). */
  readonly canonical: boolean;
}

const UPSTREAM_DIR = fileURLToPath(new URL('../../../shared/vectors/igvm/upstream/', import.meta.url));

function upstreamSeeds(): Seed[] {
  if (process.env.IGVM_FUZZ_NO_SHARED === '1' || !existsSync(UPSTREAM_DIR)) {
    console.warn(
      `fuzz.test: shared vectors not found at ${UPSTREAM_DIR}; fuzzing only files built with IgvmBuilder and crafted ones`,
    );
    return [];
  }
  return readdirSync(UPSTREAM_DIR)
    .filter((n) => n.endsWith('.igvm'))
    .sort()
    .map((n) => ({ name: `upstream/${n}`, bytes: new Uint8Array(readFileSync(UPSTREAM_DIR + n)), options: {}, canonical: true }));
}

function pattern(length: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length }, () => r.int(256));
}

function builtSeeds(): Seed[] {
  const out: Seed[] = [];
  const add = (name: string, b: IgvmBuilder): void => {
    out.push({ name: `built/${name}`, bytes: b.toBytes(), options: {}, canonical: true });
  };

  add(
    'snp-v1',
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP', highestVtl: 0, sharedGpaBoundary: 1n << 46n })
      .guestPolicy({ policy: 0x30000n, compatibilityMask: 1 })
      .pageData({ gpa: 0, compatibilityMask: 1, data: pattern(4096, 1) })
      .pageData({ gpa: 0x1000, compatibilityMask: 1 })
      .pageData({ gpa: 0x2000, compatibilityMask: 1, data: pattern(100, 2), dataType: 'CPUID_DATA' })
      .pageData({ gpa: 0x3000, compatibilityMask: 1, dataType: 'SECRETS', flags: 2 })
      .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x1000 })
      .parameterUsage('VP_COUNT_PARAMETER', { parameterAreaIndex: 0 })
      .parameterUsage('MEMORY_MAP', { parameterAreaIndex: 0, byteOffset: 8 })
      .parameterInsert({ gpa: 0x1_0000, compatibilityMask: 1, parameterAreaIndex: 0 })
      .parameterArea({ parameterAreaIndex: 1, numberOfBytes: 0x2000, data: pattern(300, 3) })
      .parameterUsage('COMMAND_LINE', { parameterAreaIndex: 1 })
      .parameterInsert({ gpa: 0x2_0000, compatibilityMask: 1, parameterAreaIndex: 1 })
      .vmsa({ compatibilityMask: 1, gpa: 0xffff_f000, vmsa: pattern(4096, 4) })
      .requiredMemory({ gpa: 0x10_0000, compatibilityMask: 1, numberOfBytes: 0x2000, vtl2Protectable: true })
      .snpIdBlock({ compatibilityMask: 1, ld: pattern(48, 5), idKeyAlgorithm: 1 })
      .errorRange({ gpa: 0x30_0000, compatibilityMask: 1, sizeBytes: 0x1000 }),
  );

  add(
    'vbs-x64-v2',
    new IgvmBuilder({ formatVersion: 2, architecture: 'x64' })
      .platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION', highestVtl: 2 })
      .relocatableRegion({
        compatibilityMask: 1,
        vtl: 2,
        flags: 3,
        relocationAlignment: 0x20_0000,
        relocationRegionGpa: 0x20_0000,
        relocationRegionSize: 0x20_0000,
        minimumRelocationGpa: 0x20_0000,
        maximumRelocationGpa: 0x1_0000_0000,
      })
      .pageTableRelocation({ compatibilityMask: 1, vtl: 2, gpa: 0x1000, size: 0x4000, usedSize: 0x1000 })
      .pageData({ gpa: 0x1000, compatibilityMask: 1, data: pattern(4096, 6) })
      .pageData({ gpa: 0x20_0000, compatibilityMask: 1, data: pattern(4096, 7), flags: 2 })
      .parameterArea({ parameterAreaIndex: 5, numberOfBytes: 0x1000 })
      .parameterUsage('DEVICE_TREE', { parameterAreaIndex: 5 })
      .parameterInsert({ gpa: 0x40_0000, compatibilityMask: 1, parameterAreaIndex: 5 })
      .vbsRegisters({
        compatibilityMask: 1,
        registers: [
          { vtl: 2, name: 0x0002_0010, value: { kind: 'u64', value: 0x20_1000n } },
          { vtl: 2, name: 0x0004_0002, value: { kind: 'u64', value: 0x1000n } },
          { vtl: 2, name: 0x0006_0001, value: { kind: 'segment', base: 0n, limit: 0xffff_ffff, selector: 8, attributes: 0xa09b } },
          { vtl: 2, name: 0x0007_0001, value: { kind: 'table', base: 0x2000n, limit: 0x17 } },
        ],
      })
      .pageData({ gpa: 0x5000, compatibilityMask: 1, data: pattern(4096, 8) })
      .add({
        kind: 'VBS_MEASUREMENT',
        compatibilityMask: 1,
        version: 1,
        productId: 2,
        moduleId: 3,
        securityVersion: 4,
        policyFlags: 5,
        bootDigestAlgo: 1,
        signingAlgo: 1,
        bootMeasurementDigest: pattern(64, 9),
        signature: pattern(256, 10),
        publicKey: pattern(512, 11),
      }),
  );

  add(
    'cca-vbs-aarch64',
    new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
      .platform({ compatibilityMask: 1, platformType: 'CCA' })
      .platform({ compatibilityMask: 2, platformType: 'VSM_ISOLATION' })
      .ccaPolicy({ compatibilityMask: 1, attributesRequiredZeroes: 2n, attributesRequiredOnes: 1n, hashAlgorithm: 1, lfaPolicy: 1 })
      .corim('CORIM_DOCUMENT', { compatibilityMask: 3, data: pattern(40, 12) })
      .corim('CORIM_SIGNATURE', { compatibilityMask: 3, data: pattern(90, 13) })
      .pageData({ gpa: 0x8000_0000, compatibilityMask: 3, data: pattern(4096, 14) })
      .pageData({ gpa: 0x8000_1000, compatibilityMask: 1 })
      .ccaContext({ compatibilityMask: 1, vpIndex: 0xabcd, context: { pc: 0x8000_0000n, x0: 0x1234n } })
      .vbsRegisters({
        compatibilityMask: 2,
        registers: [
          { vtl: 0, name: 0x0002_0022, value: { kind: 'u64', value: 0x8000_0000n } },
          { vtl: 0, name: 0x0002_0007, value: { kind: 'u64', value: 7n } },
        ],
      }),
  );

  add(
    'multi-v1',
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
      .platform({ compatibilityMask: 2, platformType: 'TDX' })
      .platform({ compatibilityMask: 4, platformType: 'NATIVE' })
      .platform({ compatibilityMask: 8, platformType: 'SEV' })
      .platform({ compatibilityMask: 16, platformType: 'SEV_ES' })
      .guestPolicy({ policy: 0x30000n, compatibilityMask: 1 })
      .guestPolicy({ policy: 0x2n, compatibilityMask: 2 })
      .pageData({ gpa: 0, compatibilityMask: 31, data: pattern(4096, 15) })
      .pageData({ gpa: 0x1000, compatibilityMask: 3, data: pattern(4096, 15) })
      .pageData({ gpa: 0x2000, compatibilityMask: 1, dataType: 'CPUID_XF', data: pattern(64, 16) })
      .nativeContext({ compatibilityMask: 4, context: { rip: 0xfff0n, cr0: 0x11n } })
      .nativeContext({ compatibilityMask: 8, context: { rip: 0xfff0n } })
      .vmsa({ compatibilityMask: 16, gpa: 0x7000, vmsa: pattern(4096, 17) })
      .vmsa({ compatibilityMask: 1, gpa: 0x7000, vpIndex: 1, vmsa: pattern(4096, 17) })
      .requiredMemory({ gpa: 0, compatibilityMask: 31, numberOfBytes: 0x10_0000 }),
  );
  return out;
}

function craftedSeeds(): Seed[] {
  return [
    { name: 'crafted/minimal', bytes: C.minimalIgvm(), options: {}, canonical: true },
    {
      name: 'crafted/gap',
      bytes: C.craftIgvm({ ...C.minimalSpec(), gap: new Uint8Array(8).fill(0xee) }),
      options: {},
      canonical: false,
    },
    {
      name: 'crafted/optional-headers',
      bytes: C.craftIgvm({
        formatVersion: 1,
        data: C.concat(C.page(), C.vbsRegisterList([{ name: X64_REG.Rip, value: 0x1000n }])),
        headers: (ds) => [
          C.platform({ platformType: PT.VSM_ISOLATION }),
          C.raw(0x8000_0107, Uint8Array.of(1, 2, 3)),
          C.pageData({ fileOffset: ds }),
          C.raw(0x8000_0399, new Uint8Array(20).fill(9)),
          C.vpContext({ fileOffset: ds + C.PAGE }),
        ],
      }),
      options: { optionalHeaders: 'skip' },
      canonical: true,
    },
    {
      name: 'crafted/vbs-aarch64-reloc',
      bytes: C.craftIgvm({
        formatVersion: 2,
        architecture: C.ARCH.AARCH64,
        data: C.concat(C.page(), C.vbsRegisterList([{ name: ARM64_REG.XPc, value: 0x1000n }, { name: ARM64_REG.X0, value: 1n }])),
        headers: (ds) => [
          C.platform({ platformType: PT.VSM_ISOLATION }),
          C.relocatableRegion({}),
          C.pageData({ fileOffset: ds }),
          C.parameterArea({ fileOffset: 0 }),
          C.parameterUsage(VHT.ENVIRONMENT_INFO_PARAMETER),
          C.parameterInsert({ gpa: 0x30_0000n }),
          C.vpContext({ fileOffset: ds + C.PAGE }),
        ],
      }),
      options: {},
      canonical: true,
    },
  ];
}

// ---- structure-aware helpers ----------------------------------------------------------------

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u32At = (b: Uint8Array, at: number): number => (at + 4 <= b.length ? view(b).getUint32(at, true) : 0);

type AnyLayout = StructLayout<Record<string, FieldSpec>>;

const LAYOUT_BY_TYPE = new Map<number, AnyLayout>([
  [VHT.SUPPORTED_PLATFORM, L.SUPPORTED_PLATFORM],
  [VHT.GUEST_POLICY, L.GUEST_POLICY],
  [VHT.RELOCATABLE_REGION, L.RELOCATABLE_REGION],
  [VHT.PAGE_TABLE_RELOCATION_REGION, L.PAGE_TABLE_RELOCATION],
  [VHT.CORIM_DOCUMENT, L.CORIM_DATA],
  [VHT.CORIM_SIGNATURE, L.CORIM_DATA],
  [VHT.CCA_POLICY, L.CCA_POLICY],
  [VHT.PARAMETER_AREA, L.PARAMETER_AREA],
  [VHT.PAGE_DATA, L.PAGE_DATA],
  [VHT.PARAMETER_INSERT, L.PARAMETER_INSERT],
  [VHT.VP_CONTEXT, L.VP_CONTEXT],
  [VHT.REQUIRED_MEMORY, L.REQUIRED_MEMORY],
  [VHT.SNP_ID_BLOCK, L.SNP_ID_BLOCK],
  [VHT.VBS_MEASUREMENT, L.VBS_MEASUREMENT],
  [VHT.ERROR_RANGE, L.ERROR_RANGE],
  ...[
    VHT.VP_COUNT_PARAMETER,
    VHT.SRAT,
    VHT.MADT,
    VHT.MMIO_RANGES,
    VHT.MEMORY_MAP,
    VHT.COMMAND_LINE,
    VHT.SLIT,
    VHT.PPTT,
    VHT.DEVICE_TREE,
    VHT.ENVIRONMENT_INFO_PARAMETER,
  ].map((t) => [t, L.PARAMETER] as [number, AnyLayout]),
]);

const KNOWN_TYPES = [...LAYOUT_BY_TYPE.keys(), VHT.RESERVED_DO_NOT_USE];

/** Fields whose values drive reads and allocations: preferred targets. */
const HOT_FIELDS = /fileOffset|numberOfBytes|size|Size|usedSize|gpa|Gpa|compatibilityMask|parameterAreaIndex|relocationAlignment|vpIndex|vtl|platformType/;

interface Tlv {
  readonly off: number;
  readonly type: number;
  readonly length: number;
  readonly entry: number;
}

/** The TLV entries as a loader would walk them (§3.2), as far as they stay inside the section. */
function walk(b: Uint8Array): Tlv[] {
  if (b.length < 24) return [];
  const vho = u32At(b, 8);
  const end = Math.min(b.length, vho + u32At(b, 12));
  const out: Tlv[] = [];
  let pos = vho;
  while (pos + 8 <= end && out.length < 100_000) {
    const type = u32At(b, pos);
    const length = u32At(b, pos + 4);
    const masked = (type & 0x7fff_ffff) >>> 0;
    const entry = masked === VHT.VP_CONTEXT && length === 20 ? 32 : 8 + Math.ceil(length / 8) * 8;
    if (pos + entry > end) break;
    out.push({ off: pos, type, length, entry });
    pos += entry;
  }
  return out;
}

const U32_VALUES = [0, 1, 7, 8, 0xfff, 0x1000, 0x1001, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_f000, 0xffff_fff0, 0xffff_ffff];
const U64_VALUES = [
  0n,
  1n,
  0xfffn,
  0x1000n,
  0x1001n,
  0xffff_ffffn,
  0x1_0000_0000n,
  (1n << 53n) + 1n,
  0x7fff_ffff_ffff_ffffn,
  0x8000_0000_0000_0000n,
  0xffff_ffff_ffff_f000n,
  0xffff_ffff_ffff_ffffn,
];

/** A boundary value for a u32 field, including values relative to this file. */
function u32Value(r: Rng, b: Uint8Array): number {
  const vho = u32At(b, 8);
  const ds = vho + u32At(b, 12);
  const rel = [b.length, b.length - 1, b.length + 1, ds, ds - 1, ds + 1, b.length - 4096, b.length - 4095, vho, 24, 32];
  const x = r.float();
  if (x < 0.5) return r.pick(U32_VALUES);
  if (x < 0.85) return r.pick(rel) >>> 0;
  return r.u32();
}

function u64Value(r: Rng, b: Uint8Array): bigint {
  const x = r.float();
  if (x < 0.6) return r.pick(U64_VALUES);
  if (x < 0.8) return BigInt(u32Value(r, b));
  return r.u64();
}

function writeField(b: Uint8Array, at: number, f: FieldSpec, r: Rng): void {
  const dv = view(b);
  switch (f.kind) {
    case 'u8':
      dv.setUint8(at, r.pick([0, 1, 2, 3, 6, 7, 0x80, 0xff, r.int(256)]));
      break;
    case 'u16':
      dv.setUint16(at, r.pick([0, 1, 2, 3, 4, 0x8000, 0xffff, r.int(0x10000)]), true);
      break;
    case 'u32':
      dv.setUint32(at, u32Value(r, b), true);
      break;
    case 'u64':
      dv.setBigUint64(at, u64Value(r, b), true);
      break;
    case 'bytes':
      for (let i = 0; i < f.length; i++) if (r.chance(0.1)) dv.setUint8(at + i, r.int(256));
      break;
  }
}

/** Rebuilds the file with a new list of TLV entries, fixing the sizes and shifting file offsets. */
function rebuild(b: Uint8Array, entries: Uint8Array[], r: Rng): Uint8Array {
  const vho = u32At(b, 8);
  const vhs = u32At(b, 12);
  if (vho + vhs > b.length) return b;
  const newVhs = C.concat(...entries);
  const delta = newVhs.length - vhs;
  const out = C.concat(b.subarray(0, vho), newVhs, b.subarray(vho + vhs));
  C.setU32(out, 12, newVhs.length);
  if (r.chance(0.9)) C.setU32(out, 0x10, out.length);
  if (r.chance(0.85)) {
    // Keep file offsets pointing at the same data: shift every non-zero `fileOffset`.
    for (const t of walk(out)) {
      const layout = LAYOUT_BY_TYPE.get((t.type & 0x7fff_ffff) >>> 0);
      const fo = layout?.fields.fileOffset;
      if (layout === undefined || fo === undefined || t.length < layout.size) continue;
      const at = t.off + 8 + fo.offset;
      const v = u32At(out, at);
      if (v !== 0) C.setU32(out, at, v + delta);
    }
  }
  return out;
}

// ---- mutations ------------------------------------------------------------------------------

type Mutation = (b: Uint8Array, r: Rng, corpus: readonly Seed[]) => Uint8Array;

/** A position biased towards the headers (the file data section is opaque). */
function position(b: Uint8Array, r: Rng): number {
  const headerEnd = Math.min(b.length, u32At(b, 8) + u32At(b, 12));
  return r.chance(0.75) && headerEnd > 0 ? r.int(headerEnd) : r.int(b.length);
}

const MUTATIONS: Record<string, Mutation> = {
  bitFlips(b, r) {
    if (b.length === 0) return b;
    const n = 1 + r.int(8);
    for (let i = 0; i < n; i++) {
      const at = position(b, r);
      b[at] = (b[at] ?? 0) ^ (1 << r.int(8));
    }
    return b;
  },
  byteOverwrite(b, r) {
    if (b.length === 0) return b;
    const at = position(b, r);
    const n = 1 + r.int(16);
    const fill = r.pick([0x00, 0xff, 0x80, 0x7f, -1]);
    for (let i = at; i < Math.min(b.length, at + n); i++) b[i] = fill < 0 ? r.int(256) : fill;
    return b;
  },
  truncate(b, r) {
    const headerEnd = Math.min(b.length, u32At(b, 8) + u32At(b, 12));
    const len = r.pick([r.int(b.length + 1), r.int(headerEnd + 64), b.length - 1 - r.int(8), r.int(40)]);
    const out = b.slice(0, Math.max(0, Math.min(b.length, len)));
    if (out.length >= 24 && r.chance(0.7)) C.setU32(out, 0x10, out.length);
    return out;
  },
  extend(b, r) {
    const n = r.pick([1, 7, 8, 4096, 1 + r.int(5000)]);
    const tail = r.chance(0.5) ? new Uint8Array(n) : Uint8Array.from({ length: n }, () => r.int(256));
    const out = C.concat(b, tail);
    if (out.length >= 24 && r.chance(0.7)) C.setU32(out, 0x10, out.length);
    return out;
  },
  fixedField(b, r) {
    if (b.length < 32) return b;
    const at = r.pick([0x04, 0x08, 0x0c, 0x10, 0x18, 0x1c]);
    if (at === 0x04) C.setU32(b, at, r.pick([0, 1, 2, 3, 0xffff_ffff]));
    else if (at === 0x18) C.setU32(b, at, r.pick([0, 1, 2, 0xffff_ffff]));
    else if (at === 0x1c) C.setU32(b, at, r.pick([0, 4096, 8192, 0x8000_0000, 0xffff_ffff]));
    else C.setU32(b, at, u32Value(r, b));
    return b;
  },
  tlvLength(b, r) {
    const tlvs = walk(b);
    if (tlvs.length === 0) return b;
    const t = r.pick(tlvs);
    C.setU32(b, t.off + 4, r.chance(0.5) ? u32Value(r, b) : r.pick([0, 4, 8, 12, 16, 20, 24, 32, 48, 696, 864]));
    return b;
  },
  tlvType(b, r) {
    const tlvs = walk(b);
    if (tlvs.length === 0) return b;
    const t = r.pick(tlvs);
    const known = r.pick(KNOWN_TYPES);
    C.setU32(b, t.off, r.pick([known, (known | 0x8000_0000) >>> 0, 0, 0x200, 0x314, 0x107, 0x8000_0314, 0xffff_ffff, r.u32()]));
    return b;
  },
  headerField(b, r) {
    const tlvs = walk(b).filter((t) => {
      const l = LAYOUT_BY_TYPE.get((t.type & 0x7fff_ffff) >>> 0);
      return l !== undefined && t.length >= l.size;
    });
    if (tlvs.length === 0) return b;
    const t = r.pick(tlvs);
    const layout = LAYOUT_BY_TYPE.get((t.type & 0x7fff_ffff) >>> 0)!;
    const fields = Object.entries(layout.fields);
    const hot = fields.filter(([name]) => HOT_FIELDS.test(name));
    const [, f] = hot.length > 0 && r.chance(0.8) ? r.pick(hot) : r.pick(fields);
    writeField(b, t.off + 8 + f.offset, f, r);
    return b;
  },
  contextData(b, r) {
    // The register list or context blob a VP_CONTEXT points at: count, VTLs, names, tails.
    const ctx = walk(b).filter((t) => (t.type & 0x7fff_ffff) === VHT.VP_CONTEXT && t.length >= 20);
    if (ctx.length === 0) return b;
    const fo = u32At(b, r.pick(ctx).off + 8 + 12);
    if (fo >= b.length) return b;
    const x = r.float();
    if (x < 0.3 && fo + 4 <= b.length) C.setU32(b, fo, r.pick([0, 1, 2, 0x7fff_ffff, 0xffff_ffff, r.int(300)]));
    else if (x < 0.6) {
      const rec = fo + 4 + 32 * r.int(4);
      if (rec + 5 <= b.length) {
        b[rec] = r.pick([0, 1, 2, 3, 0xff]);
        if (r.chance(0.5)) C.setU32(b, rec + 1, r.pick([0x2_0000, 0x2_0010, 0x2_0022, 0x6_0006, 0x9_0002, r.u32()]));
      }
    } else {
      const at = fo + r.pick([80, 232, 4095, r.int(4096)]);
      if (at < b.length) b[at] = (b[at] ?? 0) ^ 0xff;
    }
    return b;
  },
  duplicateEntry(b, r) {
    const tlvs = walk(b);
    if (tlvs.length === 0) return b;
    const entries = tlvs.map((t) => b.slice(t.off, t.off + t.entry));
    const copy = r.pick(entries);
    entries.splice(r.int(entries.length + 1), 0, copy);
    return rebuild(b, entries, r);
  },
  removeEntry(b, r) {
    const tlvs = walk(b);
    if (tlvs.length === 0) return b;
    const entries = tlvs.map((t) => b.slice(t.off, t.off + t.entry));
    entries.splice(r.int(entries.length), 1);
    return rebuild(b, entries, r);
  },
  moveEntry(b, r) {
    const tlvs = walk(b);
    if (tlvs.length < 2) return b;
    const entries = tlvs.map((t) => b.slice(t.off, t.off + t.entry));
    const [moved] = entries.splice(r.int(entries.length), 1);
    entries.splice(r.int(entries.length + 1), 0, moved!);
    return rebuild(b, entries, r);
  },
  spliceEntry(b, r, corpus) {
    // An entry from another seed file (its file offsets refer to that file).
    const other = r.pick(corpus).bytes;
    const src = walk(other);
    const tlvs = walk(b);
    if (src.length === 0 || tlvs.length === 0) return b;
    const s = r.pick(src);
    const entries = tlvs.map((t) => b.slice(t.off, t.off + t.entry));
    entries.splice(r.int(entries.length + 1), 0, other.slice(s.off, s.off + s.entry));
    return rebuild(b, entries, r);
  },
};

const MUTATION_WEIGHTS: ReadonlyArray<[string, number]> = [
  ['bitFlips', 14],
  ['byteOverwrite', 8],
  ['truncate', 6],
  ['extend', 4],
  ['fixedField', 6],
  ['tlvLength', 8],
  ['tlvType', 8],
  ['headerField', 24],
  ['contextData', 6],
  ['duplicateEntry', 6],
  ['removeEntry', 4],
  ['moveEntry', 4],
  ['spliceEntry', 3],
];
const TOTAL_WEIGHT = MUTATION_WEIGHTS.reduce((n, [, w]) => n + w, 0);

function pickMutation(r: Rng): string {
  let x = r.int(TOTAL_WEIGHT);
  for (const [name, w] of MUTATION_WEIGHTS) {
    if (x < w) return name;
    x -= w;
  }
  return MUTATION_WEIGHTS[0]![0];
}

// ---- the properties -------------------------------------------------------------------------

const KNOWN_CODES = new Set<string>(IGVM_ERROR_CODES);

interface Context {
  readonly iteration: number;
  readonly seed: string;
  readonly steps: string;
}

interface Stats {
  accepted: number;
  serialized: number;
  reparsed: number;
  rejected: Map<string, number>;
  serializeRejected: Map<string, number>;
}

class Failure extends Error {}

/** Throws Failure unless `e` is a well-formed IgvmFormatError for `input`. */
function checkError(e: unknown, phase: string, input: Uint8Array | undefined): IgvmFormatError {
  if (!(e instanceof IgvmFormatError)) {
    const what = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    throw new Failure(`${phase} threw something other than IgvmFormatError: ${what}`);
  }
  if (!KNOWN_CODES.has(e.code)) throw new Failure(`${phase}: unknown error code ${String(e.code)}`);
  if (typeof e.message !== 'string' || e.message.length === 0) throw new Failure(`${phase}: ${e.code} without a message`);
  if (input !== undefined && e.offset !== undefined && !(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= input.length)) {
    throw new Failure(`${phase}: ${e.code} has offset ${e.offset} outside the ${input.length}-byte input`);
  }
  return e;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads every header's data (page data stays unread until asked, so ask). */
function touchData(file: IgvmFile): void {
  for (const h of allHeaders(file)) {
    if ('data' in h) {
      const bytes = h.data.bytes();
      if (bytes.length !== h.data.length) throw new Failure(`${h.kind}: data.bytes() returned ${bytes.length} bytes, data.length is ${h.data.length}`);
    }
  }
}

/** The checks for one input; throws Failure on a property violation. */
function exercise(input: Uint8Array, options: ParseOptions, stats: Stats): void {
  let file: IgvmFile;
  try {
    file = parseIgvm(input, options);
  } catch (e) {
    bump(stats.rejected, checkError(e, 'parseIgvm', input).code);
    return;
  }
  stats.accepted++;
  try {
    touchData(file);
  } catch (e) {
    if (e instanceof Failure) throw e;
    checkError(e, 'data.bytes()', undefined);
  }
  let out: Uint8Array;
  try {
    out = serializeIgvm(file);
  } catch (e) {
    bump(stats.serializeRejected, checkError(e, 'serializeIgvm', undefined).code);
    return;
  }
  stats.serialized++;
  // The writer's output, checked independently: size field and zlib CRC (§2.4, §2.5).
  if (C.getU32(out, 0x10) !== out.length) throw new Failure(`serialized total_file_size ${C.getU32(out, 0x10)} ≠ length ${out.length}`);
  if (C.headerCrc(out) !== C.getU32(out, 0x14)) throw new Failure('serialized checksum does not match zlib.crc32');
  const dataStart = C.getU32(out, 8) + C.getU32(out, 12);
  if (dataStart === out.length) {
    // §12: upstream writes a file without file data but its parser rejects it (§2.6 step 6).
    let code: string | undefined;
    try {
      parseIgvm(out, options);
    } catch (e) {
      code = checkError(e, 're-parse (empty data section)', out).code;
    }
    if (code !== 'InvalidFixedHeader') throw new Failure(`a serialized file without file data should fail with InvalidFixedHeader, got ${code ?? 'success'}`);
    return;
  }
  let again: IgvmFile;
  try {
    again = parseIgvm(out, options);
  } catch (e) {
    const err = checkError(e, 're-parse', out);
    throw new Failure(`serializeIgvm(parseIgvm(x)) does not parse again: ${err.upstream}: ${err.message}`);
  }
  stats.reparsed++;
  touchData(again);
  const out2 = serializeIgvm(again);
  if (!sameBytes(out, out2)) throw new Failure('serialize(parse(serialize(parse(x)))) differs from serialize(parse(x)): the writer output is not a fixed point');
}

// ---- the test -------------------------------------------------------------------------------

describe('fuzz: parseIgvm / serializeIgvm on mutated files', () => {
  const corpus: Seed[] = [...upstreamSeeds(), ...builtSeeds(), ...craftedSeeds()];

  it('every corpus file parses, and canonical ones serialize back byte for byte (§12)', () => {
    for (const s of corpus) {
      let file: IgvmFile;
      try {
        file = parseIgvm(s.bytes, s.options);
      } catch (e) {
        throw new Error(`${s.name} does not parse: ${e instanceof IgvmFormatError ? `${e.upstream}: ${e.message}` : String(e)}`);
      }
      touchData(file);
      if (s.canonical) expect(sameBytes(serializeIgvm(file), s.bytes), `${s.name} round-trip`).toBe(true);
    }
  });

  it(`${ITERATIONS} mutated inputs (seed 0x${SEED.toString(16)}): only IgvmFormatError escapes, and accepted files re-serialize to a fixed point`, () => {
    const stats: Stats = { accepted: 0, serialized: 0, reparsed: 0, rejected: new Map(), serializeRejected: new Map() };
    const failures: string[] = [];
    const started = performance.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const iterSeed = iterationSeed(SEED, i);
      const r = new Rng(iterSeed);
      const base = r.pick(corpus);
      let bytes: Uint8Array = base.bytes.slice();
      const steps: string[] = [base.name];
      const n = 1 + (r.chance(0.6) ? 0 : r.int(3));
      for (let k = 0; k < n; k++) {
        const m = pickMutation(r);
        steps.push(m);
        bytes = MUTATIONS[m]!(bytes, r, corpus);
      }
      const crc = r.float();
      if (crc < 0.85) {
        C.fixCrc(bytes);
        steps.push('fixCrc');
      } else if (crc < 0.9 && bytes.length >= 24) {
        C.setU32(bytes, 0x14, r.u32());
        steps.push('randomCrc');
      }
      const o = r.float();
      const options: ParseOptions =
        o < 0.7 ? base.options : o < 0.82 ? { ...base.options, strict: true } : o < 0.95 ? { ...base.options, optionalHeaders: 'skip' } : { ...base.options, corim: false };
      const ctx: Context = { iteration: i, seed: `0x${iterSeed.toString(16)}`, steps: `${steps.join(' → ')} ${JSON.stringify(options)}` };
      try {
        exercise(bytes, options, stats);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (process.env.IGVM_FUZZ_DUMP !== undefined) {
          writeFileSync(`${process.env.IGVM_FUZZ_DUMP}/fuzz-${SEED.toString(16)}-${i}.igvm`, bytes);
        }
        failures.push(`iteration ${ctx.iteration} (iteration seed ${ctx.seed}, run seed 0x${SEED.toString(16)}): ${ctx.steps}\n  ${why}`);
        if (failures.length >= MAX_REPORTED) break;
      }
    }
    const ms = performance.now() - started;
    const top = (m: Map<string, number>): string =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    console.info(
      `fuzz: ${ITERATIONS} inputs from ${corpus.length} seed files in ${ms.toFixed(0)} ms; ` +
        `accepted ${stats.accepted}, serialized ${stats.serialized}, re-parsed ${stats.reparsed}; ` +
        `rejected by code: ${top(stats.rejected)}` +
        (stats.serializeRejected.size > 0 ? `; serializeIgvm rejected: ${top(stats.serializeRejected)}` : ''),
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    // The mutator must reach past the checksum and the fixed header, or the run proves little.
    expect(stats.accepted).toBeGreaterThan(ITERATIONS / 20);
    expect(stats.rejected.size).toBeGreaterThanOrEqual(15);
  }, Math.max(60_000, ITERATIONS * 5));
});

describe('fuzz: regressions (deterministic replays of what fuzzing found)', () => {
  // Found by the fixed-point property above (run seeds 3, 4, 5 at 100 000 iterations): two
  // headers whose data is identical, one at a 4-byte-aligned file offset and one not. Upstream's
  // writer shares identical blobs by exact content equality (spec §12 step 4), so both pages
  // must be written once; the file data section is then a single page.
  for (const order of ['aligned first', 'unaligned first'] as const) {
    it(`§12 step 4: identical page data is written once whatever its alignment in the input (${order})`, () => {
      const content = C.page(0x42);
      const c = C.craft({
        formatVersion: 1,
        data: C.concat(content, Uint8Array.of(0), content),
        headers: (ds) => {
          const offsets = order === 'aligned first' ? [ds, ds + C.PAGE + 1] : [ds + C.PAGE + 1, ds];
          return [
            C.platform({ platformType: PT.SEV_SNP }),
            C.pageData({ gpa: 0n, fileOffset: offsets[0]! }),
            C.pageData({ gpa: 0x1000n, fileOffset: offsets[1]! }),
          ];
        },
      });
      expect(c.dataStart % 4).toBe(0);
      const out = serializeIgvm(parseIgvm(c.bytes));
      expect(out.length).toBe(c.dataStart + C.PAGE);
      expect(C.getU32(out, c.entryOffsets[1]! + 8 + 12)).toBe(c.dataStart);
      expect(C.getU32(out, c.entryOffsets[2]! + 8 + 12)).toBe(c.dataStart);
    });
  }
});
