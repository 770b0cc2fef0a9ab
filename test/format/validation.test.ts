/**
 * One test per validation rule of spec/igvm-format.md §10 (with the per-header tables of §2.6,
 * §3.3, §3.5, §5, §6.1–6.5, §7.1–7.5, §7.10, §8.1–8.5), the panic cases of §10.5, the strict
 * checks of §10.4 and the optional-bit modes of §3.4/§17.1.
 *
 * Method: every rule test crafts a valid base with test/helpers/craft.ts (which does not use
 * our writer or validator), asserts that the base parses, then changes exactly one thing and
 * asserts the error. Expected codes come from the spec tables cited in each test's name; the
 * `upstream` strings are the wrapped names of §10.1 step 2 / §10.3. Where our error carries a
 * header index it must be the offending header's (counting every variable header from 0, in
 * file order), and its byte offset must lie inside that header's entry.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IgvmFormatError, type IgvmErrorCode } from '../../src/format/errors.js';
import { parseIgvm, type ParseOptions } from '../../src/format/reader.js';
import { serializeIgvm } from '../../src/format/writer.js';
import type { IgvmFile } from '../../src/format/types.js';
import * as C from '../helpers/craft.js';
import { ARM64_REG, PT, VHT, X64_REG, type CraftHeader, type Crafted, type RawVbsRegister } from '../helpers/craft.js';

// ---- helpers --------------------------------------------------------------------------------

/** The wrapped names of §10.1 step 2. */
const plat = (inner: string): string => `InvalidBinaryPlatformHeader(${inner})`;
const init = (inner: string): string => `InvalidBinaryInitializationHeader(${inner})`;
const dir = (inner: string): string => `InvalidBinaryDirectiveHeader(${inner})`;

interface Expected {
  readonly code: IgvmErrorCode;
  /** Upstream's (wrapped) error name. */
  readonly upstream?: string;
  /** Index of the offending header; its entry must also contain the error's offset. */
  readonly headerIndex?: number;
  /** Exact byte offset (only where the spec names the field, e.g. the fixed header). */
  readonly offset?: number;
}

function describeError(e: unknown): string {
  return e instanceof IgvmFormatError ? `${e.upstream} (code ${e.code}): ${e.message}` : String(e);
}

/** Parses `bytes`, failing the test with the error's code if it is rejected. */
function accept(bytes: Uint8Array, options?: ParseOptions): IgvmFile {
  try {
    return parseIgvm(bytes, options);
  } catch (e) {
    throw new Error(`expected the file to be accepted, but it was rejected: ${describeError(e)}`);
  }
}

/** The IgvmFormatError that parsing `bytes` throws; anything else fails the test. */
function parseError(bytes: Uint8Array, options?: ParseOptions): IgvmFormatError {
  try {
    parseIgvm(bytes, options);
  } catch (e) {
    if (e instanceof IgvmFormatError) return e;
    throw new Error(`expected IgvmFormatError, got ${describeError(e)}`);
  }
  throw new Error('expected the file to be rejected, but it was accepted');
}

function reject(input: Crafted | Uint8Array, exp: Expected, options?: ParseOptions): IgvmFormatError {
  const crafted = input instanceof Uint8Array ? undefined : input;
  const e = parseError(crafted?.bytes ?? (input as Uint8Array), options);
  const actual: Record<string, unknown> = { code: e.code };
  const want: Record<string, unknown> = { code: exp.code };
  if (exp.upstream !== undefined) {
    actual.upstream = e.upstream;
    want.upstream = exp.upstream;
  }
  if (exp.headerIndex !== undefined) {
    actual.headerIndex = e.headerIndex;
    want.headerIndex = exp.headerIndex;
    if (crafted !== undefined) {
      const start = crafted.entryOffsets[exp.headerIndex]!;
      const end = start + crafted.entrySizes[exp.headerIndex]!;
      actual.offsetInsideEntry = e.offset !== undefined && e.offset >= start && e.offset < end;
      want.offsetInsideEntry = true;
    }
  }
  if (exp.offset !== undefined) {
    actual.offset = e.offset;
    want.offset = exp.offset;
  }
  expect(actual, e.message).toEqual(want);
  return e;
}

/**
 * One rule: `make(false)` is the valid base and must parse; `make(true)` changes one thing and
 * must fail as `exp` says.
 */
function rule(title: string, make: (bad: boolean) => Crafted, exp: Expected, options?: ParseOptions): void {
  it(title, () => {
    accept(make(false).bytes, options);
    reject(make(true), exp, options);
  });
}

/** A rule that only strict mode enforces (§10.4): the bad file parses by default and fails strictly. */
function strictRule(title: string, make: (bad: boolean) => Crafted, exp: Expected): void {
  it(title, () => {
    accept(make(false).bytes, { strict: true });
    accept(make(true).bytes);
    reject(make(true), exp, { strict: true });
  });
}

function xorByte(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = (bytes[at] ?? 0) ^ mask;
}

function view64(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// ---- bases ----------------------------------------------------------------------------------

const snp = (v: Parameters<typeof C.platform>[0] = {}): CraftHeader => C.platform({ platformType: PT.SEV_SNP, compatibilityMask: 1, ...v });
const tdx = (mask = 2): CraftHeader => C.platform({ platformType: PT.TDX, compatibilityMask: mask });
const vsm = (v: Parameters<typeof C.platform>[0] = {}): CraftHeader => C.platform({ platformType: PT.VSM_ISOLATION, compatibilityMask: 1, ...v });
const cca = (mask = 1): CraftHeader => C.platform({ platformType: PT.CCA, compatibilityMask: mask });

/** The minimal base with its headers replaced: `headers(ds)` after the data start. */
function snpFile(headers: (ds: number) => CraftHeader[], extra: Partial<C.CraftSpec> = {}): Crafted {
  return C.craft({ formatVersion: 1, data: C.page(), headers, ...extra });
}

/** V2 AArch64 file with the given headers and one data page. */
function armFile(headers: (ds: number) => CraftHeader[], data: Uint8Array = C.page()): Crafted {
  return C.craft({ formatVersion: 2, architecture: C.ARCH.AARCH64, data, headers });
}

interface VbsOptions {
  /** Initialization headers after the VSM platform (indices 1..). */
  readonly init?: CraftHeader[];
  /** Directives between the page and the VP context. */
  readonly extra?: (ds: number) => CraftHeader[];
  readonly regs?: RawVbsRegister[];
  /** Overrides the register count field. */
  readonly count?: number;
  readonly vpIndex?: number;
  readonly aarch64?: boolean;
  /** VP_CONTEXT.file_offset; default the register list right after the page. */
  readonly ctxOffset?: (ds: number) => number;
  readonly noContext?: boolean;
  readonly ctxPadding?: Uint8Array;
}

/**
 * A VBS file: VSM platform (mask 1), `init`, one page at GPA 0, `extra`, and a VBS VP context
 * (mask 1) whose register list follows the page in the file data section (§8.4).
 */
function vbsFile(o: VbsOptions = {}): Crafted {
  const regs = o.regs ?? [{ vtl: 0, name: o.aarch64 === true ? ARM64_REG.XPc : X64_REG.Rip, value: 0x1000n }];
  const list = C.vbsRegisterList(regs, o.count);
  return C.craft({
    formatVersion: o.aarch64 === true ? 2 : 1,
    architecture: o.aarch64 === true ? C.ARCH.AARCH64 : C.ARCH.X64,
    data: C.concat(C.page(), list),
    headers: (ds) => [
      vsm(),
      ...(o.init ?? []),
      C.pageData({ fileOffset: ds }),
      ...(o.extra?.(ds) ?? []),
      ...(o.noContext === true
        ? []
        : [
            {
              ...C.vpContext({ fileOffset: o.ctxOffset?.(ds) ?? ds + C.PAGE, vpIndex: o.vpIndex ?? 0 }),
              ...(o.ctxPadding !== undefined ? { padding: o.ctxPadding } : {}),
            },
          ]),
    ],
  });
}

/** An SNP file with a VMSA VP context (§8.2): [platforms..., page, VP_CONTEXT]. */
function snpVmsaFile(
  o: {
    platforms?: CraftHeader[];
    ctx?: Parameters<typeof C.vpContext>[0];
    ctxOffset?: (ds: number) => number;
    vmsa?: Uint8Array;
    padding?: Uint8Array;
  } = {},
): Crafted {
  const vmsa = o.vmsa ?? C.page(0x11);
  return C.craft({
    formatVersion: 1,
    data: C.concat(C.page(), vmsa),
    headers: (ds) => [
      ...(o.platforms ?? [snp()]),
      C.pageData({ fileOffset: ds }),
      {
        ...C.vpContext({ gpa: 0x8000n, compatibilityMask: 1, fileOffset: o.ctxOffset?.(ds) ?? ds + C.PAGE, vpIndex: 0, ...o.ctx }),
        ...(o.padding !== undefined ? { padding: o.padding } : {}),
      },
    ],
  });
}

/** A 4096-byte context blob whose first `structSize` bytes are non-zero-ish and the rest zero. */
function contextBlob(structSize: number, tailByte?: number): Uint8Array {
  const blob = new Uint8Array(C.PAGE);
  blob.fill(0x5a, 0, structSize);
  if (tailByte !== undefined) blob[tailByte] = 1;
  return blob;
}

// ---- the minimal base itself ----------------------------------------------------------------

describe('test helper: craft', () => {
  it('the minimal base parses and is exactly what the upstream writer would emit (§12)', () => {
    const bytes = C.minimalIgvm();
    const file = accept(bytes);
    expect(file.platforms).toHaveLength(1);
    expect(file.directives).toHaveLength(1);
    expect(equalBytes(serializeIgvm(file), bytes)).toBe(true);
  });

  it('fixCrc recomputes the checksum after a patch', () => {
    const bytes = C.minimalIgvm();
    const before = C.getU32(bytes, 0x14);
    xorByte(bytes, C.FHS_V1 + 8 + 8, 1); // platform shared_gpa_boundary: not checked for SEV_SNP (§5)
    expect(C.headerCrc(bytes)).not.toBe(before);
    C.fixCrc(bytes);
    accept(bytes);
  });
});

// ---- §2.6 fixed header ----------------------------------------------------------------------

describe('§2.6 fixed header', () => {
  it('step 1: a buffer shorter than 24 bytes → InvalidFixedHeader', () => {
    const bytes = C.minimalIgvm();
    accept(bytes);
    reject(bytes.slice(0, 23), { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' });
    reject(new Uint8Array(0), { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' });
  });

  rule(
    'step 2: magic ≠ 0x4D564749 → InvalidFixedHeader (at offset 0)',
    (bad) => C.craft({ ...C.minimalSpec(), patchFixed: bad ? { magic: 0x4d564748 } : {} }),
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader', offset: 0 },
  );

  for (const version of [0, 3, 0xffffffff]) {
    rule(
      `step 3: format_version ${version} → InvalidFixedHeader (at offset 4)`,
      (bad) => C.craft({ ...C.minimalSpec(), patchFixed: bad ? { formatVersion: version } : {} }),
      { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader', offset: 4 },
    );
  }

  it('step 3: format_version 2 needs a 32-byte header; a 28-byte buffer → InvalidFixedHeader', () => {
    const v2 = C.craftIgvm({ ...C.minimalSpec(), formatVersion: 2 });
    accept(v2);
    reject(v2.slice(0, 28), { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' });
  });

  rule(
    'step 3: V2 architecture ∉ {0, 1} → InvalidFixedHeader, not InvalidFixedHeaderArch (at offset 0x18)',
    (bad) => C.craft({ ...C.minimalSpec(), formatVersion: 2, architecture: bad ? 2 : 0 }),
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader', offset: 0x18 },
  );

  for (const pageSize of [0, 2048, 8192, 0x10000]) {
    rule(
      `step 3: V2 page_size ${pageSize} → UnsupportedPageSize (at offset 0x1c)`,
      (bad) => C.craft({ ...C.minimalSpec(), formatVersion: 2, pageSize: bad ? pageSize : 4096 }),
      { code: 'UnsupportedPageSize', upstream: 'UnsupportedPageSize', offset: 0x1c },
    );
  }

  rule(
    'step 4: total_file_size ≠ buffer length (field says one more byte) → InvalidFixedHeader',
    (bad) => {
      const c = C.craft(C.minimalSpec());
      return bad ? C.craft({ ...C.minimalSpec(), patchFixed: { totalFileSize: c.bytes.length + 1 } }) : c;
    },
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' },
  );

  it('step 4: a trailing byte after total_file_size, or a truncated file → InvalidFixedHeader (§2.5)', () => {
    const bytes = C.minimalIgvm();
    accept(bytes);
    reject(C.concat(bytes, Uint8Array.of(0)), { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' });
    reject(bytes.slice(0, bytes.length - 1), { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' });
  });

  rule(
    'step 5: variable_header_offset ≥ total_file_size → InvalidFixedHeader',
    (bad) => {
      const len = C.minimalIgvm().length;
      return C.craft({ ...C.minimalSpec(), patchFixed: bad ? { variableHeaderOffset: len } : {} });
    },
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' },
  );

  rule(
    'step 6: variable headers reaching past the end of the file → InvalidFixedHeader',
    (bad) => {
      const c = C.craft(C.minimalSpec());
      return C.craft({ ...C.minimalSpec(), patchFixed: bad ? { variableHeaderSize: c.variableHeaderSize + C.PAGE + 8 } : {} });
    },
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' },
  );

  rule(
    'step 6 / §17.2: an empty file data section (offset + size == total_file_size) → InvalidFixedHeader',
    // The same headers (a zero page, so no data is referenced), with and without one data byte.
    (bad) => snpFile(() => [snp(), C.pageData({ fileOffset: 0 })], { data: bad ? new Uint8Array(0) : Uint8Array.of(0) }),
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' },
  );

  rule(
    '§10.5: variable_header_offset + variable_header_size overflowing u32 → InvalidFixedHeader (upstream wraps)',
    // 24 + 0xFFFFFFF0 wraps to 8 in u32, which upstream would compare as "< total".
    (bad) => C.craft({ ...C.minimalSpec(), patchFixed: bad ? { variableHeaderSize: 0xffff_fff0, checksum: 0 } : {} }),
    { code: 'InvalidFixedHeader', upstream: 'InvalidFixedHeader' },
  );

  rule(
    'step 7 / §2.4: a wrong checksum → InvalidChecksum',
    (bad) => {
      const good = C.minimalIgvm();
      return C.craft({ ...C.minimalSpec(), patchFixed: bad ? { checksum: (C.getU32(good, 0x14) ^ 1) >>> 0 } : {} });
    },
    { code: 'InvalidChecksum', upstream: 'InvalidChecksum' },
  );

  it('§2.4: the checksum covers the variable header section (a changed byte there → InvalidChecksum)', () => {
    const bytes = C.minimalIgvm();
    xorByte(bytes, C.FHS_V1 + 8 + 8, 0x40); // SEV_SNP shared_gpa_boundary: no other rule checks it (§5)
    reject(bytes, { code: 'InvalidChecksum', upstream: 'InvalidChecksum' });
    accept(C.fixCrc(bytes));
  });

  it('§2.4: the checksum covers the V2 fields of the fixed header (architecture changed → InvalidChecksum)', () => {
    const bytes = C.craftIgvm({ ...C.minimalSpec(), formatVersion: 2, headers: (ds) => [vsm(), C.pageData({ fileOffset: ds })] });
    accept(bytes);
    C.setU32(bytes, 0x18, C.ARCH.AARCH64); // VSM is allowed on both architectures (§5)
    reject(bytes, { code: 'InvalidChecksum', upstream: 'InvalidChecksum' });
    accept(C.fixCrc(bytes));
  });
});

// ---- §3.3 section state machine -------------------------------------------------------------

describe('§3.3 section order and type ranges', () => {
  rule(
    'an initialization header after a directive → InvalidBinaryVariableHeaderSection',
    (bad) =>
      snpFile((ds) =>
        bad ? [snp(), C.pageData({ fileOffset: ds }), C.guestPolicy()] : [snp(), C.guestPolicy(), C.pageData({ fileOffset: ds })],
      ),
    { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 2 },
  );

  rule(
    'a platform header after an initialization header → InvalidBinaryVariableHeaderSection',
    (bad) =>
      snpFile((ds) => (bad ? [snp(), C.guestPolicy(), tdx()] : [snp(), tdx(), C.guestPolicy()]).concat(C.pageData({ fileOffset: ds }))),
    { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 2 },
  );

  rule(
    'a platform header after a directive → InvalidBinaryVariableHeaderSection',
    (bad) => snpFile((ds) => (bad ? [snp(), C.pageData({ fileOffset: ds }), tdx()] : [snp(), tdx(), C.pageData({ fileOffset: ds })])),
    { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 2 },
  );

  for (const [label, type] of [
    ['0 (INVALID)', 0],
    ['0x201 (the unassigned gap)', 0x201],
    ['0x300 (end of the gap)', 0x300],
    ['0x401 (above the directive range)', 0x401],
    ['0x80000302 (PAGE_DATA with the optional bit, default mode §3.4)', 0x8000_0302],
  ] as const) {
    rule(
      `type ${label} is outside every range → InvalidBinaryVariableHeaderSection`,
      (bad) => snpFile((ds) => [snp(), { ...C.pageData({ fileOffset: ds }), type: bad ? type : VHT.PAGE_DATA }]),
      { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 1 },
    );
  }

  for (const n of [1, 4, 7]) {
    it(`${n} trailing byte(s) in the section, fewer than a TLV header → InvalidBinaryVariableHeaderSection`, () => {
      accept(C.craftIgvm(C.minimalSpec()));
      const c = C.craft({ ...C.minimalSpec(), trailing: new Uint8Array(n) });
      reject(c.bytes, {
        code: 'InvalidBinaryVariableHeaderSection',
        upstream: 'InvalidBinaryVariableHeaderSection',
        offset: c.variableHeaderOffset + c.variableHeaderSize - n,
      });
    });
  }

  it('empty sections are fine: platform then directives, and platform then initialization only', () => {
    accept(C.minimalIgvm());
    accept(snpFile(() => [snp(), C.guestPolicy()], { data: Uint8Array.of(0) }).bytes);
  });
});

// ---- §3.5 type and length -------------------------------------------------------------------

describe('§3.5 type and length', () => {
  rule(
    'a known type with a longer ("extended") length → InvalidVariableHeaderType',
    (bad) =>
      snpFile((ds) => {
        const p = C.pageData({ fileOffset: ds });
        return [snp(), bad ? C.raw(VHT.PAGE_DATA, C.concat(p.payload, new Uint8Array(8))) : p];
      }),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 1 },
  );

  rule(
    'a known type with a shorter length → InvalidVariableHeaderType',
    (bad) => snpFile((ds) => [snp(), C.guestPolicy(), bad ? { ...C.pageData({ fileOffset: ds }), length: 16 } : C.pageData({ fileOffset: ds })]),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 2 },
  );

  rule(
    'VP_CONTEXT with length 24 (its padded size) instead of 20 → InvalidVariableHeaderType',
    (bad) =>
      bad
        ? C.craft({
            formatVersion: 1,
            data: C.concat(C.page(), C.page(0x11)),
            headers: (ds) => [
              snp(),
              C.pageData({ fileOffset: ds }),
              C.raw(VHT.VP_CONTEXT, C.concat(C.vpContext({ gpa: 0x8000n, fileOffset: ds + C.PAGE }).payload, new Uint8Array(4))),
            ],
          })
        : snpVmsaFile(),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 2 },
  );

  rule(
    'platform-range type other than 0x001 (0x002) → InvalidVariableHeaderType',
    (bad) => snpFile((ds) => [bad ? { ...snp(), type: 0x002 } : snp(), C.pageData({ fileOffset: ds })]),
    { code: 'InvalidVariableHeaderType', upstream: plat('InvalidVariableHeaderType'), headerIndex: 0 },
  );

  rule(
    'an unknown initialization-range type (0x107) → InvalidVariableHeaderType',
    (bad) => snpFile((ds) => [snp(), { ...C.guestPolicy(), type: bad ? 0x107 : VHT.GUEST_POLICY }, C.pageData({ fileOffset: ds })]),
    { code: 'InvalidVariableHeaderType', upstream: init('InvalidVariableHeaderType'), headerIndex: 1 },
  );

  rule(
    '§7.6: RESERVED_DO_NOT_USE (0x306) → InvalidVariableHeaderType',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), { ...C.requiredMemory(), type: bad ? VHT.RESERVED_DO_NOT_USE : VHT.REQUIRED_MEMORY }]),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 2 },
  );

  rule(
    'an unknown directive-range type (0x314) → InvalidVariableHeaderType',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), { ...C.parameterArea(), type: bad ? 0x314 : VHT.PARAMETER_AREA }]),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 2 },
  );

  for (const type of [VHT.CORIM_DOCUMENT, VHT.CORIM_SIGNATURE]) {
    it(`§6.5: type 0x${type.toString(16)} without the corim feature → InvalidVariableHeaderType`, () => {
      const c = snpFile((ds) => [
        snp(),
        C.corim(VHT.CORIM_DOCUMENT, { fileOffset: ds + C.PAGE, sizeBytes: 4 }),
        ...(type === VHT.CORIM_SIGNATURE ? [C.corim(VHT.CORIM_SIGNATURE, { fileOffset: ds + C.PAGE + 4, sizeBytes: 4 })] : []),
        C.pageData({ fileOffset: ds }),
      ], { data: C.concat(C.page(), new Uint8Array(8).fill(0xc0)) });
      accept(c.bytes);
      reject(c, { code: 'InvalidVariableHeaderType', upstream: init('InvalidVariableHeaderType'), headerIndex: 1 }, { corim: false });
    });
  }

  rule(
    'not enough bytes left in the section for the payload → InvalidVariableHeaderSize',
    (bad) =>
      snpFile((ds) => {
        const p = C.pageData({ fileOffset: ds });
        // length says 24, but the section ends 16 bytes into the payload.
        return [snp(), bad ? C.raw(VHT.PAGE_DATA, p.payload.slice(0, 16), { length: 24 }) : p];
      }),
    { code: 'InvalidVariableHeaderSize', upstream: dir('InvalidVariableHeaderSize'), headerIndex: 1 },
  );

  rule(
    'VP_CONTEXT needs 24 bytes: a last entry without its 4 padding bytes → InvalidVariableHeaderSize',
    (bad) => snpVmsaFile({ padding: bad ? new Uint8Array(0) : undefined }),
    { code: 'InvalidVariableHeaderSize', upstream: dir('InvalidVariableHeaderSize'), headerIndex: 2 },
  );
});

// ---- §5 platform header ---------------------------------------------------------------------

describe('§5 platform header', () => {
  for (const mask of [0, 3, 0x8000_0001]) {
    rule(
      `compatibility_mask 0x${mask.toString(16)} (popcount ≠ 1) → InvalidCompatibilityMask`,
      (bad) => snpFile((ds) => [snp({ compatibilityMask: bad ? mask : 1 }), C.pageData({ fileOffset: ds })]),
      { code: 'InvalidCompatibilityMask', upstream: plat('InvalidCompatibilityMask'), headerIndex: 0 },
    );
  }

  for (const vtl of [1, 3, 0xff]) {
    rule(
      `highest_vtl ${vtl} ∉ {0, 2} → InvalidVtl`,
      (bad) => snpFile((ds) => [snp({ highestVtl: bad ? vtl : 2 }), C.pageData({ fileOffset: ds })]),
      { code: 'InvalidVtl', upstream: plat('InvalidVtl'), headerIndex: 0 },
    );
  }

  for (const version of [0, 2, 0xffff]) {
    rule(
      `platform_version ${version} → InvalidPlatformVersion`,
      (bad) => snpFile((ds) => [snp({ platformVersion: bad ? version : 1 }), C.pageData({ fileOffset: ds })]),
      { code: 'InvalidPlatformVersion', upstream: plat('InvalidPlatformVersion'), headerIndex: 0 },
    );
  }

  for (const [name, type] of [
    ['NATIVE', PT.NATIVE],
    ['VSM_ISOLATION', PT.VSM_ISOLATION],
  ] as const) {
    rule(
      `${name} with shared_gpa_boundary ≠ 0 → InvalidSharedGpaBoundary`,
      (bad) =>
        snpFile((ds) => [
          C.platform({ platformType: type, sharedGpaBoundary: bad ? 0x8000_0000_0000n : 0n }),
          C.pageData({ fileOffset: ds }),
        ]),
      { code: 'InvalidSharedGpaBoundary', upstream: plat('InvalidSharedGpaBoundary'), headerIndex: 0 },
    );
  }

  for (const type of [7, 0x80, 0xff]) {
    rule(
      `platform_type ${type} → InvalidPlatformType`,
      (bad) => snpFile((ds) => [snp({ platformType: bad ? type : PT.SEV_SNP }), C.pageData({ fileOffset: ds })]),
      { code: 'InvalidPlatformType', upstream: plat('InvalidPlatformType'), headerIndex: 0 },
    );
  }

  it('order: mask, then VTL, then version, then boundary, then type (§5 "in this order")', () => {
    const p = (v: Parameters<typeof C.platform>[0]): Uint8Array => snpFile((ds) => [C.platform(v), C.pageData({ fileOffset: ds })]).bytes;
    reject(p({ compatibilityMask: 3, highestVtl: 1 }), { code: 'InvalidCompatibilityMask' });
    reject(p({ highestVtl: 1, platformVersion: 2 }), { code: 'InvalidVtl' });
    reject(p({ platformType: PT.NATIVE, platformVersion: 2, sharedGpaBoundary: 1n }), { code: 'InvalidPlatformVersion' });
    reject(p({ highestVtl: 3, platformType: 9 }), { code: 'InvalidVtl' });
  });

  it('§10.1 3b / §5: no platform header at all → NoPlatformHeaders', () => {
    accept(C.minimalIgvm());
    reject(snpFile((ds) => [C.pageData({ fileOffset: ds })]), { code: 'NoPlatformHeaders', upstream: 'NoPlatformHeaders' });
    reject(snpFile(() => [], { data: Uint8Array.of(0) }), { code: 'NoPlatformHeaders', upstream: 'NoPlatformHeaders' });
  });

  for (const [name, type] of [
    ['NATIVE', PT.NATIVE],
    ['SEV_SNP', PT.SEV_SNP],
    ['TDX', PT.TDX],
    ['SEV', PT.SEV],
    ['SEV_ES', PT.SEV_ES],
  ] as const) {
    rule(
      `§5: ${name} on AArch64 → PlatformArchUnsupported`,
      (bad) =>
        C.craft({
          formatVersion: 2,
          architecture: bad ? C.ARCH.AARCH64 : C.ARCH.X64,
          data: C.page(),
          headers: (ds) => [C.platform({ platformType: type }), C.pageData({ fileOffset: ds })],
        }),
      { code: 'PlatformArchUnsupported', upstream: 'PlatformArchUnsupported', headerIndex: 0 },
    );
  }

  rule(
    '§5: CCA on x64 (V2) → PlatformArchUnsupported',
    (bad) =>
      C.craft({ formatVersion: 2, architecture: bad ? C.ARCH.X64 : C.ARCH.AARCH64, data: C.page(), headers: (ds) => [cca(), C.pageData({ fileOffset: ds })] }),
    { code: 'PlatformArchUnsupported', upstream: 'PlatformArchUnsupported', headerIndex: 0 },
  );

  rule(
    '§5/§11: CCA in a V1 file (implicitly x64) → PlatformArchUnsupported',
    (bad) => C.craft({ formatVersion: bad ? 1 : 2, architecture: C.ARCH.AARCH64, data: C.page(), headers: (ds) => [cca(), C.pageData({ fileOffset: ds })] }),
    { code: 'PlatformArchUnsupported', upstream: 'PlatformArchUnsupported', headerIndex: 0 },
  );

  rule(
    '§5: two platform headers of the same type → MultiplePlatformHeadersWithSameIsolation',
    (bad) => snpFile((ds) => [snp(), bad ? snp({ compatibilityMask: 2 }) : tdx(2), C.pageData({ fileOffset: ds })]),
    { code: 'MultiplePlatformHeadersWithSameIsolation', upstream: 'MultiplePlatformHeadersWithSameIsolation', headerIndex: 1 },
  );
});

// ---- §6 initialization headers --------------------------------------------------------------

describe('§6.1 GUEST_POLICY', () => {
  rule(
    'reserved ≠ 0 → ReservedNotZero',
    (bad) => snpFile((ds) => [snp(), C.guestPolicy({ reserved: bad ? 1 : 0 }), C.pageData({ fileOffset: ds })]),
    { code: 'ReservedNotZero', upstream: init('ReservedNotZero'), headerIndex: 1 },
  );
});

describe('§6.2 CCA_POLICY', () => {
  const base = (p: Parameters<typeof C.ccaPolicy>[0]): Crafted =>
    armFile((ds) => [cca(), C.ccaPolicy({ attributesRequiredZeroes: 2n, attributesRequiredOnes: 1n, hashAlgorithm: 1, lfaPolicy: 1, ...p }), C.pageData({ fileOffset: ds })]);

  rule('reserved ≠ 0 → ReservedNotZero', (bad) => base({ reserved: bad ? 1 : 0 }), {
    code: 'ReservedNotZero',
    upstream: init('ReservedNotZero'),
    headerIndex: 1,
  });

  for (const i of [0, 5]) {
    rule(
      `reserved2[${i}] ≠ 0 → ReservedNotZero`,
      (bad) => {
        const r = new Uint8Array(6);
        if (bad) r[i] = 1;
        return base({ reserved2: r });
      },
      { code: 'ReservedNotZero', upstream: init('ReservedNotZero'), headerIndex: 1 },
    );
  }

  rule(
    'attributes_required_zeroes & attributes_required_ones ≠ 0 → InvalidOnesZeroesMasks',
    (bad) => base({ attributesRequiredZeroes: bad ? 3n : 2n }),
    { code: 'InvalidOnesZeroesMasks', upstream: init('InvalidOnesZeroesMasks'), headerIndex: 1 },
  );

  it('hash_algorithm and lfa_policy are not validated (§6.2)', () => {
    accept(base({ hashAlgorithm: 0xff, lfaPolicy: 0xff }).bytes);
  });

  rule(
    'a CCA policy in an x64 file → InvalidHeaderArch (checked before the mask bits)',
    // A CCA platform cannot exist in an x64 file (PlatformArchUnsupported comes first, §10.1),
    // so the bad file drops it along with switching the architecture; the arch check comes
    // before the mask check in §6.2's order, so InvalidHeaderArch is the error.
    (bad) =>
      C.craft({
        formatVersion: 2,
        architecture: bad ? C.ARCH.X64 : C.ARCH.AARCH64,
        data: C.page(),
        headers: (ds) => [vsm(), ...(bad ? [] : [cca(2)]), C.ccaPolicy({ compatibilityMask: 2 }), C.pageData({ fileOffset: ds })],
      }),
    { code: 'InvalidHeaderArch', upstream: 'InvalidHeaderArch', headerIndex: 1 },
  );

  rule(
    'a mask bit that is a VSM platform, not CCA → InvalidCcaPolicyCompatibilityMask',
    (bad) => armFile((ds) => [vsm(), cca(2), C.ccaPolicy({ compatibilityMask: bad ? 3 : 2 }), C.pageData({ fileOffset: ds })]),
    { code: 'InvalidCcaPolicyCompatibilityMask', upstream: 'InvalidCcaPolicyCompatibilityMask', headerIndex: 2 },
  );

  rule(
    'a mask bit that names no platform → InvalidCcaPolicyCompatibilityMask',
    (bad) => armFile((ds) => [cca(1), C.ccaPolicy({ compatibilityMask: bad ? 5 : 1 }), C.pageData({ fileOffset: ds })]),
    { code: 'InvalidCcaPolicyCompatibilityMask', upstream: 'InvalidCcaPolicyCompatibilityMask', headerIndex: 1 },
  );
});

describe('§6.3 RELOCATABLE_REGION', () => {
  const reloc = (v: Parameters<typeof C.relocatableRegion>[0] = {}): CraftHeader =>
    C.relocatableRegion({ relocationAlignment: 0x2000n, relocationRegionGpa: 0x10_0000n, relocationRegionSize: 0x2000n, minimumRelocationGpa: 0n, maximumRelocationGpa: 0x1000_0000n, ...v });
  const withReloc = (v: Parameters<typeof C.relocatableRegion>[0]): Crafted => vbsFile({ init: [reloc(v)] });

  it('the base (VBS with a matching VP context) parses', () => {
    accept(withReloc({}).bytes);
  });

  rule('vtl > 2 → InvalidVtl', (bad) => withReloc({ vtl: bad ? 3 : 0 }), { code: 'InvalidVtl', upstream: init('InvalidVtl'), headerIndex: 1 });
  rule('size % 4096 ≠ 0 → RelocationSize', (bad) => withReloc({ relocationRegionSize: bad ? 0x2800n : 0x2000n }), {
    code: 'RelocationSize',
    upstream: init('RelocationSize'),
    headerIndex: 1,
  });
  rule('alignment % 4096 ≠ 0 → RelocationAlignment', (bad) => withReloc({ relocationAlignment: bad ? 0x1800n : 0x2000n }), {
    code: 'RelocationAlignment',
    upstream: init('RelocationAlignment'),
    headerIndex: 1,
  });
  rule('region_gpa % alignment ≠ 0 → RelocationAddress', (bad) => withReloc({ relocationRegionGpa: bad ? 0x10_1000n : 0x10_0000n }), {
    code: 'RelocationAddress',
    upstream: init('RelocationAddress'),
    headerIndex: 1,
  });
  rule('minimum_relocation_gpa % alignment ≠ 0 → RelocationAddress', (bad) => withReloc({ minimumRelocationGpa: bad ? 0x1000n : 0n }), {
    code: 'RelocationAddress',
    upstream: init('RelocationAddress'),
    headerIndex: 1,
  });
  rule(
    'maximum_relocation_gpa % alignment ≠ 0 → RelocationAddress',
    (bad) => withReloc({ maximumRelocationGpa: bad ? 0x1000_1000n : 0x1000_0000n }),
    { code: 'RelocationAddress', upstream: init('RelocationAddress'), headerIndex: 1 },
  );

  rule('§10.5: relocation_alignment == 0 (upstream divides by zero) → RelocationAlignment', (bad) => withReloc({ relocationAlignment: bad ? 0n : 0x2000n }), {
    code: 'RelocationAlignment',
    headerIndex: 1,
  });

  rule('§10.5: relocation_region_size == 0 (upstream underflows) → RelocationSize', (bad) => withReloc({ relocationRegionGpa: 0n, relocationRegionSize: bad ? 0n : 0x2000n }), {
    code: 'RelocationSize',
    headerIndex: 1,
  });

  rule(
    'two regions overlapping on a common mask bit → RelocationRegionsOverlap (inclusive ranges: adjacent is fine)',
    (bad) =>
      vbsFile({
        init: [
          reloc({ relocationAlignment: 0x1000n, relocationRegionGpa: 0x10_0000n }),
          reloc({ relocationAlignment: 0x1000n, relocationRegionGpa: bad ? 0x10_1000n : 0x10_2000n }),
        ],
      }),
    { code: 'RelocationRegionsOverlap', upstream: 'RelocationRegionsOverlap', headerIndex: 2 },
  );

  rule(
    'a region overlapping a page-table region → RelocationRegionsOverlap',
    (bad) => vbsFile({ init: [C.pageTableRelocation({ gpa: 0x20_0000n, size: 0x4000n }), reloc({ relocationRegionGpa: bad ? 0x20_2000n : 0x20_4000n })] }),
    { code: 'RelocationRegionsOverlap', upstream: 'RelocationRegionsOverlap', headerIndex: 2 },
  );

  rule('no VBS VP context for its vp_index → NoMatchingVpContext', (bad) => withReloc({ vpIndex: bad ? 1 : 0 }), {
    code: 'NoMatchingVpContext',
    upstream: 'NoMatchingVpContext',
    headerIndex: 1,
  });

  rule('no VBS VP context for its VTL → NoMatchingVpContext', (bad) => withReloc({ vtl: bad ? 2 : 0 }), {
    code: 'NoMatchingVpContext',
    upstream: 'NoMatchingVpContext',
    headerIndex: 1,
  });

  rule(
    '§10.1 consequence: a relocation header on an SNP platform (only VBS contexts match) → NoMatchingVpContext',
    (bad) =>
      C.craft({
        formatVersion: 1,
        data: C.concat(C.page(), C.page(0x11)),
        headers: (ds) => [
          snp(),
          ...(bad ? [reloc({})] : []),
          C.pageData({ fileOffset: ds }),
          C.vpContext({ gpa: 0x8000n, fileOffset: ds + C.PAGE }),
        ],
      }),
    { code: 'NoMatchingVpContext', upstream: 'NoMatchingVpContext', headerIndex: 1 },
  );
});

describe('§6.4 PAGE_TABLE_RELOCATION_REGION', () => {
  const withPt = (v: Parameters<typeof C.pageTableRelocation>[0], extra?: VbsOptions['extra']): Crafted =>
    vbsFile({ init: [C.pageTableRelocation({ gpa: 0x20_0000n, size: 0x4000n, usedSize: 0x1000n, ...v })], extra });

  rule('reserved ≠ 0 → ReservedNotZero', (bad) => withPt({ reserved: bad ? 1 : 0 }), { code: 'ReservedNotZero', upstream: init('ReservedNotZero'), headerIndex: 1 });
  rule('vtl > 2 → InvalidVtl', (bad) => withPt({ vtl: bad ? 3 : 0 }), { code: 'InvalidVtl', upstream: init('InvalidVtl'), headerIndex: 1 });
  rule('gpa % 4096 ≠ 0 → UnalignedAddress', (bad) => withPt({ gpa: bad ? 0x20_0800n : 0x20_0000n }), {
    code: 'UnalignedAddress',
    upstream: init('UnalignedAddress'),
    headerIndex: 1,
  });
  rule('size % 4096 ≠ 0 → UnalignedSize', (bad) => withPt({ size: bad ? 0x4800n : 0x4000n }), { code: 'UnalignedSize', upstream: init('UnalignedSize'), headerIndex: 1 });
  rule('used_size % 4096 ≠ 0 → UnalignedSize', (bad) => withPt({ usedSize: bad ? 0x1800n : 0x1000n }), {
    code: 'UnalignedSize',
    upstream: init('UnalignedSize'),
    headerIndex: 1,
  });
  rule('used_size > size → InvalidPageTableRegionSize', (bad) => withPt({ usedSize: bad ? 0x5000n : 0x4000n }), {
    code: 'InvalidPageTableRegionSize',
    upstream: init('InvalidPageTableRegionSize'),
    headerIndex: 1,
  });

  rule(
    'a second page-table region sharing a mask bit → MultiplePageTableRelocationHeaders',
    (bad) =>
      vbsFile({
        init: [
          C.pageTableRelocation({ gpa: 0x20_0000n, size: 0x4000n }),
          ...(bad ? [C.pageTableRelocation({ gpa: 0x40_0000n, size: 0x4000n })] : []),
        ],
      }),
    { code: 'MultiplePageTableRelocationHeaders', upstream: 'MultiplePageTableRelocationHeaders', headerIndex: 2 },
  );

  rule(
    'a page-table region overlapping a relocatable region → RelocationRegionsOverlap',
    (bad) =>
      vbsFile({
        init: [
          C.relocatableRegion({ relocationRegionGpa: 0x20_0000n, relocationRegionSize: 0x2000n }),
          C.pageTableRelocation({ gpa: bad ? 0x20_1000n : 0x20_2000n, size: 0x4000n }),
        ],
      }),
    { code: 'RelocationRegionsOverlap', upstream: 'RelocationRegionsOverlap', headerIndex: 2 },
  );

  rule('no VBS VP context for its vp_index → NoMatchingVpContext', (bad) => withPt({ vpIndex: bad ? 1 : 0 }), {
    code: 'NoMatchingVpContext',
    upstream: 'NoMatchingVpContext',
    headerIndex: 1,
  });

  // Headers: 0 VSM, 1 PT, 2 page, 3 area, 4 insert, 5 VP context.
  const withInsert = (gpa: bigint, mask = 1): Crafted =>
    withPt({}, () => [C.parameterArea({ parameterAreaIndex: 0 }), C.parameterInsert({ gpa, compatibilityMask: mask, parameterAreaIndex: 0 })]);

  rule(
    'a PARAMETER_INSERT inside the region ([gpa, gpa+size), intersecting mask) → ParameterInsertInsidePageTableRegion',
    (bad) => withInsert(bad ? 0x20_3000n : 0x20_4000n),
    { code: 'ParameterInsertInsidePageTableRegion', upstream: 'ParameterInsertInsidePageTableRegion', headerIndex: 4 },
  );

  it('a PARAMETER_INSERT inside the region with a disjoint mask is accepted (§6.4 "whose mask intersects")', () => {
    accept(withInsert(0x20_0000n, 2).bytes);
  });

  it('§10.5: a zero-size page-table region (upstream underflows at gpa 0) → RelocationSize, or the overlap check is skipped', () => {
    // The spec offers two behaviours for this panic; either is acceptable here.
    accept(withPt({ gpa: 0n, size: 0x4000n, usedSize: 0n }).bytes);
    let error: unknown;
    try {
      parseIgvm(withPt({ gpa: 0n, size: 0n, usedSize: 0n }).bytes);
    } catch (e) {
      error = e;
    }
    if (error !== undefined) {
      expect(error).toBeInstanceOf(IgvmFormatError);
      expect((error as IgvmFormatError).code, describeError(error)).toBe('RelocationSize');
    }
  });
});

describe('§6.5 CORIM_DOCUMENT / CORIM_SIGNATURE', () => {
  const DOC = Uint8Array.of(0xd9, 0x01, 0xf5, 0xa1, 0x00, 0x01, 0x02, 0x03);
  const SIG = Uint8Array.of(0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40, 0x00, 0x01);
  /** [SNP, init..., page]; data = page, DOC at ds+4096, SIG at ds+4104. */
  const corimFile = (init: (ds: number) => CraftHeader[]): Crafted =>
    snpFile((ds) => [snp(), ...init(ds), C.pageData({ fileOffset: ds })], { data: C.concat(C.page(), DOC, SIG) });
  const doc = (ds: number, v: Parameters<typeof C.corim>[1] = {}): CraftHeader =>
    C.corim(VHT.CORIM_DOCUMENT, { fileOffset: ds + C.PAGE, sizeBytes: 8, ...v });
  const sig = (ds: number, v: Parameters<typeof C.corim>[1] = {}): CraftHeader =>
    C.corim(VHT.CORIM_SIGNATURE, { fileOffset: ds + C.PAGE + 8, sizeBytes: 8, ...v });

  it('the base (document then signature) parses and exposes the payloads', () => {
    const f = accept(corimFile((ds) => [doc(ds), sig(ds)]).bytes);
    const [d, s] = f.initializations;
    expect(d?.kind === 'CORIM_DOCUMENT' && equalBytes(d.data.bytes(), DOC)).toBe(true);
    expect(s?.kind === 'CORIM_SIGNATURE' && equalBytes(s.data.bytes(), SIG)).toBe(true);
  });

  rule('reserved ≠ 0 → ReservedNotZero', (bad) => corimFile((ds) => [doc(ds, { reserved: bad ? 1 : 0 })]), {
    code: 'ReservedNotZero',
    upstream: init('ReservedNotZero'),
    headerIndex: 1,
  });

  rule('payload reaching past the end of the file → InvalidDataSize', (bad) => corimFile((ds) => [doc(ds), sig(ds, { sizeBytes: bad ? 9 : 8 })]), {
    code: 'InvalidDataSize',
    upstream: init('InvalidDataSize'),
    headerIndex: 2,
  });

  rule(
    '§10.5: a non-zero file_offset before the data section → InvalidDataSize',
    (bad) => corimFile((ds) => [doc(ds, bad ? { fileOffset: C.FHS_V1 } : {})]),
    { code: 'InvalidDataSize', upstream: init('InvalidDataSize'), headerIndex: 1 },
  );

  rule('a second document for a mask bit → MultipleCorimDocuments', (bad) => corimFile((ds) => [doc(ds), ...(bad ? [doc(ds)] : []), sig(ds)]), {
    code: 'MultipleCorimDocuments',
    upstream: init('MultipleCorimDocuments'),
    headerIndex: 2,
  });

  rule('a second signature for a mask bit → MultipleCorimSignatures', (bad) => corimFile((ds) => [doc(ds), sig(ds), ...(bad ? [sig(ds)] : [])]), {
    code: 'MultipleCorimSignatures',
    upstream: init('MultipleCorimSignatures'),
    headerIndex: 3,
  });

  rule('a signature without any document → MissingCorimDocument', (bad) => corimFile((ds) => [...(bad ? [] : [doc(ds)]), sig(ds)]), {
    code: 'MissingCorimDocument',
    upstream: init('MissingCorimDocument'),
    headerIndex: 1,
  });

  rule('a signature before its document → MissingCorimDocument', (bad) => corimFile((ds) => (bad ? [sig(ds), doc(ds)] : [doc(ds), sig(ds)])), {
    code: 'MissingCorimDocument',
    upstream: init('MissingCorimDocument'),
    headerIndex: 1,
  });

  rule(
    'a signature whose mask has a bit without a document → MissingCorimDocument',
    (bad) => corimFile((ds) => [doc(ds), sig(ds, { compatibilityMask: bad ? 3 : 1 })]),
    { code: 'MissingCorimDocument', upstream: init('MissingCorimDocument'), headerIndex: 2 },
  );
});

// ---- §7 directive headers -------------------------------------------------------------------

describe('§7.1 PARAMETER_AREA and the parameter-area lifecycle', () => {
  const area = (v: Parameters<typeof C.parameterArea>[0] = {}): CraftHeader => C.parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x1000n, ...v });
  const usage = (index = 0): CraftHeader => C.parameterUsage(VHT.VP_COUNT_PARAMETER, { parameterAreaIndex: index });
  const insert = (index = 0, mask = 1): CraftHeader => C.parameterInsert({ gpa: 0x1_0000n, compatibilityMask: mask, parameterAreaIndex: index });
  /** [SNP, page, ...directives]; data = page + 4096 bytes of area contents at ds + 4096. */
  const areaFile = (directives: (ds: number) => CraftHeader[]): Crafted =>
    snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), ...directives(ds)], { data: C.concat(C.page(), C.page(0x33)) });

  rule('number_of_bytes % 4096 ≠ 0 (1234, §15.4) → UnalignedSize', (bad) => areaFile(() => [area({ numberOfBytes: bad ? 1234n : 0x1000n })]), {
    code: 'UnalignedSize',
    upstream: dir('UnalignedSize'),
    headerIndex: 2,
  });

  rule(
    'initial data of number_of_bytes not inside the data section → InvalidDataSize',
    (bad) => areaFile((ds) => [area({ fileOffset: ds + C.PAGE, numberOfBytes: bad ? 0x2000n : 0x1000n })]),
    { code: 'InvalidDataSize', upstream: dir('InvalidDataSize'), headerIndex: 2 },
  );

  rule(
    'a huge number_of_bytes (2^64 − 4096) with initial data → InvalidDataSize',
    (bad) => areaFile((ds) => [area({ fileOffset: ds + C.PAGE, numberOfBytes: bad ? 0xffff_ffff_ffff_f000n : 0x1000n })]),
    { code: 'InvalidDataSize', upstream: dir('InvalidDataSize'), headerIndex: 2 },
  );

  rule('§10.5: file_offset before the data section → InvalidDataSize', (bad) => areaFile((ds) => [area({ fileOffset: bad ? 8 : ds + C.PAGE })]), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 2,
  });

  it('order: the data is extracted before the size alignment is checked (§7.1 "Parse order")', () => {
    reject(areaFile((ds) => [area({ fileOffset: ds + C.PAGE, numberOfBytes: 0x1234n })]), { code: 'InvalidDataSize' });
  });

  rule('a parameter usage before its area is declared → InvalidParameterAreaIndex', (bad) => areaFile(() => (bad ? [usage(), area(), insert()] : [area(), usage(), insert()])), {
    code: 'InvalidParameterAreaIndex',
    upstream: 'InvalidParameterAreaIndex',
    headerIndex: 2,
  });

  rule('an insert of an undeclared index → InvalidParameterAreaIndex', (bad) => areaFile(() => [area(), usage(), insert(bad ? 1 : 0)]), {
    code: 'InvalidParameterAreaIndex',
    upstream: 'InvalidParameterAreaIndex',
    headerIndex: 4,
  });

  rule(
    'declaring an allocated index again → InvalidParameterAreaIndex',
    (bad) => areaFile(() => [area(), area({ parameterAreaIndex: bad ? 0 : 1 }), insert(0), insert(1)]),
    { code: 'InvalidParameterAreaIndex', upstream: 'InvalidParameterAreaIndex', headerIndex: 3 },
  );

  rule(
    'declaring an already inserted index again → InvalidParameterAreaIndex',
    (bad) => areaFile(() => [area(), insert(0), area({ parameterAreaIndex: bad ? 0 : 1 })]),
    { code: 'InvalidParameterAreaIndex', upstream: 'InvalidParameterAreaIndex', headerIndex: 4 },
  );

  rule('a parameter usage after the insert → InvalidParameterAreaIndex', (bad) => areaFile(() => (bad ? [area(), insert(), usage()] : [area(), usage(), insert()])), {
    code: 'InvalidParameterAreaIndex',
    upstream: 'InvalidParameterAreaIndex',
    headerIndex: 4,
  });

  rule(
    'a second insert of the same index, even with another mask → InvalidParameterAreaIndex',
    (bad) => areaFile(() => [area(), area({ parameterAreaIndex: 1 }), insert(0, 1), insert(bad ? 0 : 1, 2)]),
    { code: 'InvalidParameterAreaIndex', upstream: 'InvalidParameterAreaIndex', headerIndex: 5 },
  );

  for (const type of [VHT.SRAT, VHT.MADT, VHT.MMIO_RANGES, VHT.MEMORY_MAP, VHT.COMMAND_LINE, VHT.SLIT, VHT.PPTT, VHT.DEVICE_TREE, VHT.ENVIRONMENT_INFO_PARAMETER]) {
    rule(
      `parameter usage 0x${type.toString(16)} naming an undeclared area → InvalidParameterAreaIndex`,
      (bad) => areaFile(() => [area(), C.parameterUsage(type, { parameterAreaIndex: bad ? 7 : 0, byteOffset: 0xffff_ffff }), insert()]),
      { code: 'InvalidParameterAreaIndex', upstream: 'InvalidParameterAreaIndex', headerIndex: 3 },
    );
  }
});

describe('§7.2 PAGE_DATA', () => {
  const pageFile = (v: (ds: number) => Parameters<typeof C.pageData>[0]): Crafted => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, ...v(ds) })]);

  rule('4096 bytes not available at file_offset (one byte short) → InvalidDataSize', (bad) => pageFile((ds) => ({ fileOffset: bad ? ds + 1 : ds })), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 1,
  });

  rule('file_offset 0xFFFFFFFF → InvalidDataSize', (bad) => pageFile((ds) => ({ fileOffset: bad ? 0xffff_ffff : ds })), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 1,
  });

  rule('§10.5: a file_offset inside the headers (before the data start) → InvalidDataSize', (bad) => pageFile((ds) => ({ fileOffset: bad ? C.FHS_V1 : ds })), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 1,
  });

  rule('reserved ≠ 0 → ReservedNotZero', (bad) => pageFile(() => ({ reserved: bad ? 1 : 0 })), { code: 'ReservedNotZero', upstream: dir('ReservedNotZero'), headerIndex: 1 });

  rule('gpa % 4096 ≠ 0 → UnalignedAddress', (bad) => pageFile(() => ({ gpa: bad ? 0x1234n : 0x1000n })), {
    code: 'UnalignedAddress',
    upstream: dir('UnalignedAddress'),
    headerIndex: 1,
  });

  for (const t of [4, 0xffff]) {
    rule(`data_type ${t} → InvalidPageDataType`, (bad) => pageFile(() => ({ dataType: bad ? t : 3 })), {
      code: 'InvalidPageDataType',
      upstream: dir('InvalidPageDataType'),
      headerIndex: 1,
    });
  }

  it('order: data, then reserved, then gpa alignment, then data type (§7.2 "Upstream parse order")', () => {
    reject(pageFile((ds) => ({ fileOffset: ds + 1, reserved: 1, gpa: 1n, dataType: 9 })), { code: 'InvalidDataSize' });
    reject(pageFile(() => ({ reserved: 1, gpa: 1n, dataType: 9 })), { code: 'ReservedNotZero' });
    reject(pageFile(() => ({ gpa: 1n, dataType: 9 })), { code: 'UnalignedAddress' });
  });
});

describe('§7.3 PARAMETER_INSERT', () => {
  rule(
    'gpa % 4096 ≠ 0 → UnalignedAddress',
    (bad) =>
      snpFile((ds) => [
        snp(),
        C.pageData({ fileOffset: ds }),
        C.parameterArea(),
        C.parameterInsert({ gpa: bad ? 0x1234n : 0x1000n }),
      ]),
    { code: 'UnalignedAddress', upstream: dir('UnalignedAddress'), headerIndex: 3 },
  );
});

describe('§7.4 / §8.1 VP_CONTEXT', () => {
  rule(
    'a mask with two bits (not exactly one platform mask) → InvalidVpContextPlatformType',
    (bad) => snpVmsaFile({ platforms: [snp(), tdx(2)], ctx: { compatibilityMask: bad ? 3 : 1 } }),
    { code: 'InvalidVpContextPlatformType', upstream: dir('InvalidVpContextPlatformType'), headerIndex: 3 },
  );

  rule('a mask naming no platform → InvalidVpContextPlatformType', (bad) => snpVmsaFile({ ctx: { compatibilityMask: bad ? 2 : 1 } }), {
    code: 'InvalidVpContextPlatformType',
    upstream: dir('InvalidVpContextPlatformType'),
    headerIndex: 2,
  });

  rule(
    '§8.6: a VP context for a TDX platform → InvalidVpContextPlatformType',
    (bad) => snpVmsaFile({ platforms: [snp(), tdx(2)], ctx: { compatibilityMask: bad ? 2 : 1 } }),
    { code: 'InvalidVpContextPlatformType', upstream: dir('InvalidVpContextPlatformType'), headerIndex: 3 },
  );

  rule('§17.7: file_offset 0 is not "no data" → InvalidDataSize', (bad) => snpVmsaFile({ ctx: bad ? { fileOffset: 0 } : {} }), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 2,
  });

  rule('§8.1: fewer than 4096 bytes at file_offset → InvalidDataSize', (bad) => snpVmsaFile({ ctxOffset: (ds) => ds + C.PAGE + (bad ? 8 : 0) }), {
    code: 'InvalidDataSize',
    upstream: dir('InvalidDataSize'),
    headerIndex: 2,
  });

  rule('§10.2: an SNP VMSA gpa % 4096 ≠ 0 → UnalignedAddress', (bad) => snpVmsaFile({ ctx: { gpa: bad ? 0x8800n : 0x8000n } }), {
    code: 'UnalignedAddress',
    upstream: dir('UnalignedAddress'),
    headerIndex: 2,
  });

  /** [platform, page, VP_CONTEXT] with a 4 KiB context blob (native x64 or CCA). */
  const blobFile = (type: number, structSize: number, tail: number | undefined, aarch64 = false): Crafted =>
    C.craft({
      formatVersion: aarch64 ? 2 : 1,
      architecture: aarch64 ? C.ARCH.AARCH64 : C.ARCH.X64,
      data: C.concat(C.page(), contextBlob(structSize, tail)),
      headers: (ds) => [C.platform({ platformType: type }), C.pageData({ fileOffset: ds }), C.vpContext({ fileOffset: ds + C.PAGE, vpIndex: 0 })],
    });

  for (const [name, type] of [
    ['NATIVE', PT.NATIVE],
    ['SEV', PT.SEV],
  ] as const) {
    for (const tail of [232, 4095]) {
      rule(
        `§8.1/§8.3: ${name} native context with a non-zero byte at ${tail} of its 4 KiB blob → InvalidContext`,
        (bad) => blobFile(type, 232, bad ? tail : undefined),
        { code: 'InvalidContext', upstream: dir('InvalidContext'), headerIndex: 2 },
      );
    }
  }

  for (const tail of [80, 4095]) {
    rule(
      `§8.1/§8.5: CCA context with a non-zero byte at ${tail} of its 4 KiB blob → InvalidContext`,
      (bad) => blobFile(PT.CCA, 80, bad ? tail : undefined, true),
      { code: 'InvalidContext', upstream: dir('InvalidContext'), headerIndex: 2 },
    );
  }

  rule('§8.1: a native context with fewer than 4096 bytes available → InvalidDataSize', (bad) => {
    const c = blobFile(PT.NATIVE, 232, undefined);
    if (!bad) return c;
    return C.craft({
      formatVersion: 1,
      data: C.concat(C.page(), new Uint8Array(4000)),
      headers: (ds) => [C.platform({ platformType: PT.NATIVE }), C.pageData({ fileOffset: ds }), C.vpContext({ fileOffset: ds + C.PAGE })],
    });
  }, { code: 'InvalidDataSize', upstream: dir('InvalidDataSize'), headerIndex: 2 });
});

describe('§8.4 VBS VP context', () => {
  rule('register_count == 0 → NoVbsVpContextRegisters', (bad) => vbsFile(bad ? { regs: [], count: 0 } : {}), {
    code: 'NoVbsVpContextRegisters',
    upstream: dir('NoVbsVpContextRegisters'),
    headerIndex: 2,
  });

  rule(
    'a truncated register list (count 2, one record present) → InvalidDataSize',
    (bad) => vbsFile({ regs: [{ name: X64_REG.Rip, value: 0x1000n }], count: bad ? 2 : 1 }),
    { code: 'InvalidDataSize', upstream: dir('InvalidDataSize'), headerIndex: 2 },
  );

  rule(
    'register_count 0xFFFFFFFF → InvalidDataSize (never allocated)',
    (bad) => vbsFile({ regs: [{ name: X64_REG.Rip, value: 0x1000n }], count: bad ? 0xffff_ffff : 1 }),
    { code: 'InvalidDataSize', upstream: dir('InvalidDataSize'), headerIndex: 2 },
  );

  rule('a register VTL > 2 → InvalidVtl', (bad) => vbsFile({ regs: [{ vtl: bad ? 3 : 2, name: X64_REG.Rip }] }), {
    code: 'InvalidVtl',
    upstream: dir('InvalidVtl'),
    headerIndex: 2,
  });

  rule(
    'an x64 register name upstream does not accept (Rax) → UnsupportedX64Register',
    (bad) => vbsFile({ regs: [{ name: X64_REG.Rip }, { name: bad ? X64_REG.Rax : X64_REG.Rsp }] }),
    { code: 'UnsupportedX64Register', upstream: dir('UnsupportedX64Register'), headerIndex: 2 },
  );

  rule(
    'an AArch64 register name upstream does not accept (X8) → UnsupportedAArch64Register; X7 (added 2026) is accepted',
    (bad) => vbsFile({ aarch64: true, regs: [{ name: ARM64_REG.XPc }, { name: bad ? ARM64_REG.X8 : ARM64_REG.X7 }] }),
    { code: 'UnsupportedAArch64Register', upstream: dir('UnsupportedAArch64Register'), headerIndex: 2 },
  );

  rule(
    'the register namespace follows the file architecture: XPc (0x20022) in an x64 file → UnsupportedX64Register',
    (bad) => vbsFile({ regs: [{ name: bad ? ARM64_REG.XPc : X64_REG.Rip }] }),
    { code: 'UnsupportedX64Register', upstream: dir('UnsupportedX64Register'), headerIndex: 2 },
  );

  rule(
    '§10.5: registers with different VTLs (upstream assert) → InvalidVtl',
    (bad) => vbsFile({ regs: [{ vtl: 2, name: X64_REG.Rip }, { vtl: bad ? 0 : 2, name: X64_REG.Rsp }] }),
    { code: 'InvalidVtl', headerIndex: 2 },
  );

  rule('§10.5: a VBS VP context with vp_index ≠ 0 (upstream assert) → InvalidContext', (bad) => vbsFile({ vpIndex: bad ? 1 : 0 }), {
    code: 'InvalidContext',
    headerIndex: 2,
  });

  rule('§10.5: file_offset before the data start → InvalidDataSize', (bad) => vbsFile({ ctxOffset: (ds) => (bad ? 16 : ds + C.PAGE) }), {
    code: 'InvalidDataSize',
    headerIndex: 2,
  });
});

describe('§7.5 REQUIRED_MEMORY', () => {
  const memFile = (v: Parameters<typeof C.requiredMemory>[0]): Crafted =>
    snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.requiredMemory({ gpa: 0x123_4000n, numberOfBytes: 0x456_7000, flags: 1, ...v })]);

  rule('reserved ≠ 0 → ReservedNotZero', (bad) => memFile({ reserved: bad ? 1 : 0 }), { code: 'ReservedNotZero', upstream: dir('ReservedNotZero'), headerIndex: 2 });
  rule('gpa % 4096 ≠ 0 (0x1234, §15.4) → UnalignedAddress', (bad) => memFile({ gpa: bad ? 0x1234n : 0x123_4000n }), {
    code: 'UnalignedAddress',
    upstream: dir('UnalignedAddress'),
    headerIndex: 2,
  });
  rule('number_of_bytes % 4096 ≠ 0 (0x4567, §15.4) → UnalignedSize', (bad) => memFile({ numberOfBytes: bad ? 0x4567 : 0x456_7000 }), {
    code: 'UnalignedSize',
    upstream: dir('UnalignedSize'),
    headerIndex: 2,
  });

  it('order: reserved, then gpa, then size (§7.5 table)', () => {
    reject(memFile({ reserved: 1, gpa: 1n, numberOfBytes: 1 }), { code: 'ReservedNotZero' });
    reject(memFile({ gpa: 1n, numberOfBytes: 1 }), { code: 'UnalignedAddress' });
  });
});

describe('§7.10 ERROR_RANGE', () => {
  rule(
    'gpa % 4096 ≠ 0 → UnalignedAddress',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.errorRange({ gpa: bad ? 0x30_0010n : 0x30_0000n })]),
    { code: 'UnalignedAddress', upstream: dir('UnalignedAddress'), headerIndex: 2 },
  );
});

// ---- §10.4 strict mode ----------------------------------------------------------------------

describe('§10.4 strict mode (parseIgvm(bytes, { strict: true }))', () => {
  it('the minimal base passes strict mode', () => {
    accept(C.minimalIgvm(), { strict: true });
  });

  strictRule(
    'variable_header_offset not a multiple of 8 → StrictVariableHeaderOffset',
    (bad) => C.craft({ ...C.minimalSpec(), gap: new Uint8Array(bad ? 4 : 8) }),
    { code: 'StrictVariableHeaderOffset' },
  );

  strictRule(
    'non-zero TLV padding (§3.2) → StrictNonZeroPadding',
    (bad) => snpVmsaFile({ padding: Uint8Array.of(bad ? 1 : 0, 0, 0, 0) }),
    { code: 'StrictNonZeroPadding', headerIndex: 2 },
  );

  strictRule('a mask of 0 → StrictCompatibilityMask', (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, compatibilityMask: bad ? 0 : 1 })]), {
    code: 'StrictCompatibilityMask',
    headerIndex: 1,
  });

  strictRule(
    'a mask bit that names no platform → StrictCompatibilityMask',
    (bad) => snpFile((ds) => [snp(), C.guestPolicy({ compatibilityMask: bad ? 3 : 1 }), C.pageData({ fileOffset: ds })]),
    { code: 'StrictCompatibilityMask', headerIndex: 1 },
  );

  strictRule(
    'two platform headers with the same mask bit → StrictCompatibilityMask',
    (bad) => snpFile((ds) => [snp(), tdx(bad ? 1 : 2), C.pageData({ fileOffset: ds, compatibilityMask: 3 })]),
    { code: 'StrictCompatibilityMask', headerIndex: 1 },
  );

  strictRule('page-data reserved flag bits (bit 3) → StrictReservedBits', (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, flags: bad ? 0x8 : 0x2 })]), {
    code: 'StrictReservedBits',
    headerIndex: 1,
  });

  strictRule('VP_CONTEXT.reserved ≠ 0 → StrictReservedBits', (bad) => snpVmsaFile({ ctx: { reserved: bad ? 1 : 0 } }), {
    code: 'StrictReservedBits',
    headerIndex: 2,
  });

  strictRule('VBS register mbz bytes ≠ 0 → StrictReservedBits', (bad) => vbsFile({ regs: [{ name: X64_REG.Rip, mbz: bad ? 1 : 0 }] }), {
    code: 'StrictReservedBits',
    headerIndex: 2,
  });

  strictRule(
    'is_2mb_page with a GPA that is not 2 MiB aligned → StrictUnalignedLargePage',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, flags: 1, gpa: bad ? 0x1000n : 0x20_0000n })]),
    { code: 'StrictUnalignedLargePage', headerIndex: 1 },
  );

  strictRule(
    'ERROR_RANGE size_bytes not a multiple of 4096 → StrictUnalignedSize',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.errorRange({ sizeBytes: bad ? 0x123 : 0x1000 })]),
    { code: 'StrictUnalignedSize', headerIndex: 2 },
  );

  strictRule(
    'the same GPA loaded twice for one platform → StrictOverlappingPageData',
    (bad) => snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, gpa: 0n }), C.pageData({ fileOffset: ds, gpa: bad ? 0n : 0x1000n })]),
    { code: 'StrictOverlappingPageData', headerIndex: 2 },
  );

  strictRule(
    '§17.5: a GUEST_POLICY for a platform other than SEV_SNP / TDX → StrictGuestPolicyPlatform',
    (bad) => snpFile((ds) => [snp(), tdx(2), vsm({ compatibilityMask: 4 }), C.guestPolicy({ compatibilityMask: bad ? 4 : 2 }), C.pageData({ fileOffset: ds, compatibilityMask: 7 })]),
    { code: 'StrictGuestPolicyPlatform', headerIndex: 3 },
  );
});

// ---- §3.4 / §17.1 optional bit --------------------------------------------------------------

describe('§3.4 / §17.1 optional bit', () => {
  const OPT_PAYLOAD = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12); // 12 bytes: padded to 16
  /** [SNP, init..., page, directives...]. */
  const optFile = (initH: CraftHeader[], dirH: CraftHeader[]): Crafted => snpFile((ds) => [snp(), ...initH, C.pageData({ fileOffset: ds }), ...dirH]);
  const unknownDirective = C.raw(0x8000_0314, OPT_PAYLOAD);
  const unknownInit = C.raw(0x8000_0107, OPT_PAYLOAD);

  rule(
    'default (upstream): an unknown type with bit 31 → InvalidBinaryVariableHeaderSection',
    (bad) => optFile([], bad ? [unknownDirective] : []),
    { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 2 },
  );

  it("'skip': an unknown optional directive is kept as OPTIONAL_UNKNOWN and re-serialized unchanged", () => {
    const c = optFile([], [unknownDirective]);
    const f = accept(c.bytes, { optionalHeaders: 'skip' });
    const h = f.directives[1];
    expect(h?.kind).toBe('OPTIONAL_UNKNOWN');
    if (h?.kind !== 'OPTIONAL_UNKNOWN') return;
    expect(h.type >>> 0).toBe(0x8000_0314);
    expect(Array.from(h.payload)).toEqual(Array.from(OPT_PAYLOAD));
    // The crafted file is laid out as upstream's writer lays files out (§12), so the rewrite is identical.
    const out = serializeIgvm(f);
    expect(equalBytes(out, c.bytes)).toBe(true);
    const again = accept(out, { optionalHeaders: 'skip' });
    expect(again.directives.map((d) => d.kind)).toEqual(['PAGE_DATA', 'OPTIONAL_UNKNOWN']);
  });

  it("'skip': an unknown optional initialization header is kept in the initialization section", () => {
    const f = accept(optFile([unknownInit], []).bytes, { optionalHeaders: 'skip' });
    expect(f.initializations.map((h) => h.kind)).toEqual(['OPTIONAL_UNKNOWN']);
    const out = serializeIgvm(f);
    expect(accept(out, { optionalHeaders: 'skip' }).initializations.map((h) => h.kind)).toEqual(['OPTIONAL_UNKNOWN']);
  });

  it("'skip': an unknown optional platform-range header is skipped too (§17.1: any unknown type with bit 31)", () => {
    const c = snpFile((ds) => [snp(), C.raw(0x8000_0002, OPT_PAYLOAD), C.pageData({ fileOffset: ds })]);
    const f = accept(c.bytes, { optionalHeaders: 'skip' });
    expect(f.platforms).toHaveLength(1);
  });

  it("'skip': a known type with bit 31 is read as that type (§17.1 recommendation)", () => {
    const c = snpFile((ds) => [snp(), { ...C.pageData({ fileOffset: ds, gpa: 0x5000n }), type: 0x8000_0302 }]);
    const f = accept(c.bytes, { optionalHeaders: 'skip' });
    expect(f.directives[0]?.kind).toBe('PAGE_DATA');
  });

  rule(
    "'skip': an unknown type WITHOUT bit 31 is still an error → InvalidVariableHeaderType",
    (bad) => optFile([], [bad ? C.raw(0x314, OPT_PAYLOAD) : unknownDirective]),
    { code: 'InvalidVariableHeaderType', upstream: dir('InvalidVariableHeaderType'), headerIndex: 2 },
    { optionalHeaders: 'skip' },
  );

  rule(
    "'skip': skipped headers take part in section order (§17.1 recommendation): an init header after one → InvalidBinaryVariableHeaderSection",
    (bad) => snpFile((ds) => (bad ? [snp(), unknownDirective, C.guestPolicy()] : [snp(), C.guestPolicy(), unknownDirective]).concat(C.pageData({ fileOffset: ds }))),
    { code: 'InvalidBinaryVariableHeaderSection', upstream: 'InvalidBinaryVariableHeaderSection', headerIndex: 2 },
    { optionalHeaders: 'skip' },
  );
});

// ---- files upstream accepts although they look odd ------------------------------------------

describe('accepted although odd (upstream does not check these)', () => {
  it('§4: a GUEST_POLICY mask naming no platform (mask 2 with only platform mask 1), and mask 0', () => {
    accept(snpFile((ds) => [snp(), C.guestPolicy({ compatibilityMask: 2 }), C.pageData({ fileOffset: ds })]).bytes);
    accept(snpFile((ds) => [snp(), C.guestPolicy({ compatibilityMask: 0 }), C.pageData({ fileOffset: ds })]).bytes);
  });

  const capi = fileURLToPath(new URL('../../../shared/vectors/igvm/upstream/capi-test.igvm', import.meta.url));
  it.skipIf(!existsSync(capi))('§15.1: the upstream C-API test file (guest policy mask 2, platform mask 1) parses', () => {
    const f = accept(new Uint8Array(readFileSync(capi)));
    expect(f.platforms.map((p) => p.compatibilityMask)).toEqual([1]);
  });

  it('§4: PAGE_DATA with mask 0 or naming no platform', () => {
    accept(snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, compatibilityMask: 0 })]).bytes);
    accept(snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, compatibilityMask: 0xffff_ffff })]).bytes);
  });

  it('§4: two platform headers of different types sharing one mask bit', () => {
    accept(snpFile((ds) => [snp(), tdx(1), C.pageData({ fileOffset: ds })]).bytes);
  });

  it('§12: an empty CoRIM payload at a non-zero file_offset (what upstream writes) round-trips byte for byte', () => {
    // Upstream writes CoRIM data first; an empty write returns the current end (= data start).
    const c = snpFile((ds) => [snp(), C.corim(VHT.CORIM_DOCUMENT, { fileOffset: ds, sizeBytes: 0 }), C.pageData({ fileOffset: ds })]);
    const f = accept(c.bytes);
    expect(f.initializations[0]?.kind === 'CORIM_DOCUMENT' && f.initializations[0].data.length).toBe(0);
    expect(equalBytes(serializeIgvm(f), c.bytes)).toBe(true);
  });

  it('§12: an empty CoRIM payload at file_offset 0 is accepted and rewritten at the data start (the one non-identical case)', () => {
    const c = snpFile((ds) => [snp(), C.corim(VHT.CORIM_DOCUMENT, { fileOffset: 0, sizeBytes: 0 }), C.pageData({ fileOffset: ds })]);
    const out = serializeIgvm(accept(c.bytes));
    const corimPayload = c.entryOffsets[1]! + 8;
    expect(C.getU32(out, corimPayload + 4)).toBe(c.dataStart);
    expect(C.getU32(out, corimPayload + 8)).toBe(0);
    accept(out);
  });

  it('§2.4: a gap between the fixed header and the variable headers is not covered by the checksum', () => {
    const gap = new Uint8Array(8).fill(0xee);
    const c = C.craft({ ...C.minimalSpec(), gap });
    const bytes = c.bytes;
    accept(bytes);
    bytes[C.FHS_V1] = 0x11; // change the gap without fixing the CRC
    accept(bytes);
    // The writer never leaves a gap (§12 step 7).
    const out = serializeIgvm(parseIgvm(bytes));
    expect(C.getU32(out, 8)).toBe(C.FHS_V1);
    expect(equalBytes(out, C.minimalIgvm())).toBe(true);
  });

  it('§2.4: the file data section is not covered by the checksum', () => {
    const bytes = C.minimalIgvm();
    xorByte(bytes, bytes.length - 1, 0xff);
    accept(bytes);
  });

  it('§3.2: non-zero TLV padding (not strict)', () => {
    accept(snpVmsaFile({ padding: Uint8Array.of(0xff, 0xff, 0xff, 0xff) }).bytes);
  });

  it('§2.6: variable_header_offset after a gap that is not 8-aligned and upstream files of both revisions', () => {
    accept(C.craftIgvm({ ...C.minimalSpec(), gap: new Uint8Array(3) }));
    accept(C.craftIgvm({ ...C.minimalSpec(), formatVersion: 2 }));
  });

  it('§5: SEV_SNP with highest_vtl 2 and a non-zero shared_gpa_boundary', () => {
    accept(snpFile((ds) => [snp({ highestVtl: 2, sharedGpaBoundary: 0x8000_0000_0000n }), C.pageData({ fileOffset: ds })]).bytes);
  });

  it('§6.2: a CCA policy with mask 0 (no bit to check)', () => {
    accept(armFile((ds) => [cca(), C.ccaPolicy({ compatibilityMask: 0 }), C.pageData({ fileOffset: ds })]).bytes);
  });

  it('§6.3: relocation headers on AArch64 (accepted since 3c2247e) with an AArch64 VBS context', () => {
    accept(vbsFile({ aarch64: true, init: [C.relocatableRegion({})] }).bytes);
  });

  it('§6.3/§12: unknown relocatable flag bits are accepted and dropped on rewrite', () => {
    const c = vbsFile({ init: [C.relocatableRegion({ flags: 0xff })] });
    const out = serializeIgvm(accept(c.bytes));
    expect(out[c.entryOffsets[1]! + 8 + 7]).toBe(0x07);
  });

  it('§7.1: a zero-filled parameter area of 2^64 − 4096 bytes (no data to check)', () => {
    accept(
      snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.parameterArea({ numberOfBytes: 0xffff_ffff_ffff_f000n }), C.parameterInsert()]).bytes,
    );
  });

  it('§7.2: reserved page-data flag bits round-trip; is_2mb_page with a 4 KiB-aligned GPA reads 4096 bytes', () => {
    const c = snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, flags: 0xffff_fff9, gpa: 0x1000n })]);
    const f = accept(c.bytes);
    const p = f.directives[0];
    expect(p?.kind === 'PAGE_DATA' && p.data.bytes().length).toBe(4096);
    expect(equalBytes(serializeIgvm(f), c.bytes)).toBe(true);
  });

  it('§7.5/§12: required-memory flag bits 1–31 are accepted and only bit 0 is kept on rewrite', () => {
    const c = snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.requiredMemory({ flags: 0xffff_ffff })]);
    const out = serializeIgvm(accept(c.bytes));
    expect(C.getU32(out, c.entryOffsets[2]! + 8 + 0x10)).toBe(1);
  });

  it('§7.7: parameter byte_offset is not validated', () => {
    accept(
      snpFile((ds) => [
        snp(),
        C.pageData({ fileOffset: ds }),
        C.parameterArea(),
        C.parameterUsage(VHT.COMMAND_LINE, { byteOffset: 0xffff_ffff }),
        C.parameterInsert(),
      ]).bytes,
    );
  });

  it('§7.8: SNP_ID_BLOCK reserved bytes are not validated and are preserved on rewrite', () => {
    const c = snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.snpIdBlock({ reserved: Uint8Array.of(1, 2, 3), authorKeyEnabled: 7 })]);
    expect(equalBytes(serializeIgvm(accept(c.bytes)), c.bytes)).toBe(true);
  });

  it('§7.10: ERROR_RANGE with an unaligned size is accepted and written as a 24-byte entry', () => {
    const c = snpFile((ds) => [snp(), C.pageData({ fileOffset: ds }), C.errorRange({ sizeBytes: 0x123 })]);
    expect(equalBytes(serializeIgvm(accept(c.bytes)), c.bytes)).toBe(true);
  });

  it('§8.1: the SNP VMSA tail is not checked since the 4 KiB VMSA (all 4096 bytes round-trip)', () => {
    const vmsa = C.page(0x11);
    vmsa[4095] = 0x99;
    const c = snpVmsaFile({ vmsa });
    expect(equalBytes(serializeIgvm(accept(c.bytes)), c.bytes)).toBe(true);
  });

  it('§8.1: SEV_ES contexts are VMSAs; §8.3: native contexts are accepted in V1 files', () => {
    const es = accept(snpVmsaFile({ platforms: [C.platform({ platformType: PT.SEV_ES })] }).bytes);
    const ctx = es.directives[1];
    expect(ctx?.kind === 'VP_CONTEXT' && ctx.payload.format).toBe('sev-vmsa');
    const native = C.craft({
      formatVersion: 1,
      data: C.concat(C.page(), contextBlob(232)),
      headers: (ds) => [C.platform({ platformType: PT.NATIVE }), C.pageData({ fileOffset: ds }), C.vpContext({ fileOffset: ds + C.PAGE })],
    });
    const n = accept(native.bytes).directives[1];
    expect(n?.kind === 'VP_CONTEXT' && n.payload.format).toBe('native-x64');
  });

  it('§7.4: VP_CONTEXT.reserved ≠ 0 and several VP contexts per file (not strict)', () => {
    accept(snpVmsaFile({ ctx: { reserved: 0xffff } }).bytes);
    const two = C.craft({
      formatVersion: 1,
      data: C.concat(C.page(), C.page(0x11)),
      headers: (ds) => [snp(), C.pageData({ fileOffset: ds }), C.vpContext({ gpa: 0x8000n, fileOffset: ds + C.PAGE }), C.vpContext({ gpa: 0x9000n, fileOffset: ds + C.PAGE, vpIndex: 1 })],
    });
    accept(two.bytes);
  });

  it('§7.4: VP_CONTEXT.gpa is ignored for VBS and native contexts (even unaligned) and written back as 0', () => {
    const c = C.craft({
      formatVersion: 1,
      data: C.concat(C.page(), C.vbsRegisterList([{ name: X64_REG.Rip, value: 0x1000n }])),
      headers: (ds) => [vsm(), C.pageData({ fileOffset: ds }), C.vpContext({ gpa: 0x1234n, fileOffset: ds + C.PAGE })],
    });
    const out = serializeIgvm(accept(c.bytes));
    expect(view64(out, c.entryOffsets[2]! + 8)).toBe(0n);
    const native = C.craft({
      formatVersion: 1,
      data: C.concat(C.page(), contextBlob(232)),
      headers: (ds) => [C.platform({ platformType: PT.NATIVE }), C.pageData({ fileOffset: ds }), C.vpContext({ gpa: 0x1234n, fileOffset: ds + C.PAGE })],
    });
    expect(view64(serializeIgvm(accept(native.bytes)), native.entryOffsets[2]! + 8)).toBe(0n);
  });

  it('§9: blobs may be shared, and bytes no header refers to are allowed', () => {
    accept(
      snpFile((ds) => [snp(), C.pageData({ fileOffset: ds, gpa: 0n }), C.pageData({ fileOffset: ds, gpa: 0x1000n })], {
        data: C.concat(C.page(), new Uint8Array(100).fill(0x77)),
      }).bytes,
    );
  });

  it('§9: a page whose 4096 bytes end exactly at the end of the file', () => {
    accept(snpFile((ds) => [snp(), C.pageData({ fileOffset: ds + 5 })], { data: C.concat(new Uint8Array(5), C.page()) }).bytes);
  });
});

// ---- the upstream vectors, as a sanity check of the helpers ---------------------------------

describe('upstream vectors', () => {
  const vectorsDir = fileURLToPath(new URL('../../../shared/vectors/igvm/upstream/', import.meta.url));
  const present = existsSync(vectorsDir);
  if (!present) console.warn(`validation.test: ${vectorsDir} not found; skipping the upstream-vector checks`);
  it.skipIf(!present)('every upstream vector parses and its checksum agrees with zlib.crc32 (§2.4)', () => {
    for (const name of readdirSync(vectorsDir).filter((n) => n.endsWith('.igvm'))) {
      const bytes = new Uint8Array(readFileSync(vectorsDir + name));
      expect(C.headerCrc(bytes), name).toBe(C.getU32(bytes, 0x14));
      accept(bytes);
    }
  });
});
