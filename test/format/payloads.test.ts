import { describe, it, expect } from 'vitest';
import { IgvmFormatError } from '../../src/format/errors.js';
import { HEADER_LAYOUT_BY_TYPE, tlvPayloadSpan } from '../../src/format/header-layouts.js';
import * as layouts from '../../src/format/layouts.js';
import { fieldSize } from '../../src/format/struct.js';
import type { FieldSpec, StructLayout } from '../../src/format/struct.js';
import {
  SEV_SELECTOR,
  SEV_VMSA,
  SEV_VMSA_SIZE,
  SevFeatures,
  decodeEventInject,
  decodeSevFeatures,
  decodeSevVmsa,
  decodeVIntrCntrl,
  encodeSevVmsa,
} from '../../src/format/vmsa.js';
import {
  CCA_CONTEXT,
  CONTEXT_BLOB_SIZE,
  NATIVE_X64_CONTEXT,
  decodeCcaContext,
  decodeNativeX64Context,
  encodeCcaContext,
  encodeNativeX64Context,
} from '../../src/format/native-context.js';
import {
  AARCH64_REGISTER_NAMES_FOR_DISPLAY,
  AARCH64_VBS_REGISTERS,
  HV_X64_SEGMENT_REGISTER,
  HV_X64_TABLE_REGISTER,
  VBS_CONTEXT_HEADER,
  VBS_REGISTER_RECORD,
  X64_REGISTER_NAMES_FOR_DISPLAY,
  X64_VBS_REGISTERS,
  decodeVbsRegisterValue,
  encodeVbsRegisterList,
  encodeVbsRegisterValue,
  vbsRegisterName,
} from '../../src/format/vbs-registers.js';

type AnyLayout = StructLayout<Record<string, FieldSpec>>;

/** Fields sorted by offset must abut one another and end exactly at the struct size. */
function expectTiles(layout: AnyLayout): void {
  const fields = Object.entries(layout.fields).sort(([, a], [, b]) => a.offset - b.offset);
  let at = 0;
  for (const [name, f] of fields) {
    expect(f.offset, `${layout.name}.${name} starts at 0x${f.offset.toString(16)}, expected 0x${at.toString(16)}`).toBe(at);
    at = f.offset + fieldSize(f);
  }
  expect(at, `${layout.name} fields end at ${at}, size is ${layout.size}`).toBe(layout.size);
}

function isLayout(v: unknown): v is AnyLayout {
  return typeof v === 'object' && v !== null && 'fields' in v && 'size' in v && 'name' in v;
}

function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function expectFormatError(fn: () => unknown, code: string): IgvmFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IgvmFormatError);
    expect((e as IgvmFormatError).code).toBe(code);
    return e as IgvmFormatError;
  }
  throw new Error(`expected IgvmFormatError ${code}`);
}

/** A deterministic non-trivial byte pattern. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('layouts tile their structures (spec sizes)', () => {
  // Sizes stated by spec/igvm-format.md, section by section.
  const SPEC_SIZES: Record<string, number> = {
    FIXED_HEADER_V1: 24, // §2.1
    FIXED_HEADER_V2: 32, // §2.2
    VARIABLE_HEADER: 8, // §3.1
    SUPPORTED_PLATFORM: 16, // §5
    GUEST_POLICY: 16, // §6.1
    CCA_POLICY: 32, // §6.2
    RELOCATABLE_REGION: 48, // §6.3
    PAGE_TABLE_RELOCATION: 32, // §6.4
    CORIM_DATA: 16, // §6.5
    PARAMETER_AREA: 16, // §7.1
    PAGE_DATA: 24, // §7.2
    PARAMETER_INSERT: 16, // §7.3
    VP_CONTEXT: 20, // §7.4 (20 bytes plus 4 bytes TLV padding)
    REQUIRED_MEMORY: 24, // §7.5
    PARAMETER: 8, // §7.7
    MEMORY_RANGE: 16, // §7.7
    MEMORY_MAP_ENTRY: 24, // §7.7
    SNP_ID_BLOCK_SIGNATURE: 144, // §7.8
    SNP_ID_BLOCK_PUBLIC_KEY: 152, // §7.8
    SNP_ID_BLOCK: 696, // §7.8
    VBS_MEASUREMENT: 864, // §7.9
    ERROR_RANGE: 16, // §7.10
  };

  const exported = Object.entries(layouts as Record<string, unknown>).filter((e): e is [string, AnyLayout] => isLayout(e[1]));

  it('every layout in layouts.ts has a spec size in this test', () => {
    expect(exported.map(([k]) => k).sort()).toEqual(Object.keys(SPEC_SIZES).sort());
  });

  for (const [name, layout] of exported) {
    it(`${name} tiles ${SPEC_SIZES[name]} bytes`, () => {
      expect(layout.size).toBe(SPEC_SIZES[name]);
      expectTiles(layout);
    });
  }

  const ours: Array<[string, AnyLayout, number]> = [
    ['SEV_SELECTOR', SEV_SELECTOR, 16], // §8.2
    ['SEV_VMSA', SEV_VMSA, 4096], // §8.2 (full page since Mar 2026, §16)
    ['NATIVE_X64_CONTEXT', NATIVE_X64_CONTEXT, 232], // §8.3
    ['CCA_CONTEXT', CCA_CONTEXT, 80], // §8.5
    ['VBS_CONTEXT_HEADER', VBS_CONTEXT_HEADER, 4], // §8.4
    ['VBS_REGISTER_RECORD', VBS_REGISTER_RECORD, 32], // §8.4
    ['HV_X64_SEGMENT_REGISTER', HV_X64_SEGMENT_REGISTER, 16], // §8.4
    ['HV_X64_TABLE_REGISTER', HV_X64_TABLE_REGISTER, 16], // §8.4
  ];
  for (const [name, layout, size] of ours) {
    it(`${name} tiles ${size} bytes`, () => {
      expect(layout.size).toBe(size);
      expectTiles(layout);
    });
  }

  it('puts fields at the offsets of the spec tables', () => {
    const off = (l: AnyLayout, f: string): number | undefined => l.fields[f]?.offset;
    // §8.2 SevSelector and SevVmsa
    expect([off(SEV_SELECTOR, 'selector'), off(SEV_SELECTOR, 'attrib'), off(SEV_SELECTOR, 'limit'), off(SEV_SELECTOR, 'base')]).toEqual([0, 2, 4, 8]);
    expect(off(SEV_VMSA, 'tr')).toBe(0x090);
    expect(off(SEV_VMSA, 'vmpl')).toBe(0x0ca);
    expect(off(SEV_VMSA, 'efer')).toBe(0x0d0);
    expect(off(SEV_VMSA, 'rip')).toBe(0x178);
    expect(off(SEV_VMSA, 'rsp')).toBe(0x1d8);
    expect(off(SEV_VMSA, 'rax')).toBe(0x1f8);
    expect(off(SEV_VMSA, 'cr2')).toBe(0x240);
    expect(off(SEV_VMSA, 'rcx')).toBe(0x308);
    expect(off(SEV_VMSA, 'reserved8')).toBe(0x320);
    expect(off(SEV_VMSA, 'sevFeatures')).toBe(0x3b0);
    expect(off(SEV_VMSA, 'vIntrCntrl')).toBe(0x3b8);
    expect(off(SEV_VMSA, 'eventInject')).toBe(0x3e0);
    expect(off(SEV_VMSA, 'mxcsr')).toBe(0x408);
    expect(off(SEV_VMSA, 'x87Registers')).toBe(0x420);
    expect(off(SEV_VMSA, 'xmmRegisters')).toBe(0x470);
    expect(off(SEV_VMSA, 'ymmRegisters')).toBe(0x570);
    expect(off(SEV_VMSA, 'vmsaPadding')).toBe(0x670);
    // §8.3
    expect(off(NATIVE_X64_CONTEXT, 'rip')).toBe(0x80);
    expect(off(NATIVE_X64_CONTEXT, 'idtrLimit')).toBe(0x98);
    expect(off(NATIVE_X64_CONTEXT, 'reserved')).toBe(0x9a);
    expect(off(NATIVE_X64_CONTEXT, 'gdtrLimit')).toBe(0x9e);
    expect(off(NATIVE_X64_CONTEXT, 'gdtrBase')).toBe(0xa0);
    expect(off(NATIVE_X64_CONTEXT, 'efer')).toBe(0xe0);
    // §8.5
    expect(off(CCA_CONTEXT, 'pc')).toBe(0x40);
    expect(off(CCA_CONTEXT, 'flags')).toBe(0x48);
    // §8.4
    expect(off(VBS_REGISTER_RECORD, 'vtl')).toBe(0);
    expect(off(VBS_REGISTER_RECORD, 'registerName')).toBe(1);
    expect(off(VBS_REGISTER_RECORD, 'mbz')).toBe(5);
    expect(off(VBS_REGISTER_RECORD, 'registerValue')).toBe(16);
  });
});

describe('SEV VMSA (§8.2)', () => {
  it('encode(decode(b)) reproduces any 4096-byte page', () => {
    const page = pattern(SEV_VMSA_SIZE, 7);
    expect(encodeSevVmsa(decodeSevVmsa(page))).toEqual(page);
  });

  it('decode(encode(x)) round-trips, absent fields are zero', () => {
    const fields = {
      cs: { selector: 0x08, attrib: 0x9b, limit: 0xffff_ffff, base: 0n },
      ldtr: { attrib: 92 },
      rip: 0xfff0n,
      cr2: 42n,
      vmpl: 0,
      mxcsr: 0x1f80,
      sevFeatures: SevFeatures.SNP | SevFeatures.RESTRICT_INJECTION,
    };
    const page = encodeSevVmsa(fields);
    expect(page.length).toBe(4096);
    const v = decodeSevVmsa(page);
    expect(v.cs).toEqual(fields.cs);
    expect(v.ldtr).toEqual({ selector: 0, attrib: 92, limit: 0, base: 0n });
    expect(v.rip).toBe(0xfff0n);
    expect(v.cr2).toBe(42n);
    expect(v.mxcsr).toBe(0x1f80);
    expect(v.rax).toBe(0n);
    expect(v.vmsaPadding).toEqual(new Uint8Array(2448));
    expect(decodeSevVmsa(encodeSevVmsa(v))).toEqual(v);
    // rip is a little-endian u64 at 0x178 (§8.2)
    expect(page.subarray(0x178, 0x180)).toEqual(hex('f0ff000000000000'));
    // ldtr.attrib is the u16 at 0x070 + 2
    expect(page[0x72]).toBe(92);
  });

  it('rejects a buffer that is not 4096 bytes', () => {
    expectFormatError(() => decodeSevVmsa(new Uint8Array(0x670)), 'InvalidDataSize');
    expectFormatError(() => decodeSevVmsa(new Uint8Array(4097)), 'InvalidDataSize');
  });

  it('rejects values that do not fit', () => {
    expectFormatError(() => encodeSevVmsa({ rip: 1n << 64n }), 'InvalidFieldValue');
    expectFormatError(() => encodeSevVmsa({ cs: { selector: 0x10000 } }), 'InvalidFieldValue');
  });

  it('decodes sev_features bits (§8.2 table)', () => {
    const f = decodeSevFeatures(SevFeatures.SNP | SevFeatures.VMSA_REG_PROTECTION | (1n << 12n) | (1n << 40n));
    expect(f.snp).toBe(true);
    expect(f.vtom).toBe(false);
    expect(f.vmsaRegProtection).toBe(true);
    expect(f.smtProtection).toBe(false);
    expect(f.reserved).toBe((1n << 12n) | (1n << 40n));
    const all = decodeSevFeatures(0xffffn);
    expect(Object.entries(all).filter(([, v]) => v === true).length).toBe(12);
    expect(all.reserved).toBe(0x3c00n);
    expect(SevFeatures.SECURE_TSC).toBe(1n << 9n);
    expect(SevFeatures.SMT_PROTECTION).toBe(1n << 15n);
  });

  it('decodes event_inject and v_intr_cntrl (§8.2 tables)', () => {
    const e = decodeEventInject((0xdeadbeefn << 32n) | (1n << 31n) | (1n << 20n) | (1n << 11n) | (3n << 8n) | 0x0en);
    expect(e).toEqual({
      vector: 0x0e,
      interruptionType: 3,
      deliverErrorCode: true,
      valid: true,
      errorCode: 0xdeadbeef,
      reserved: 1n << 20n,
    });
    const c = decodeVIntrCntrl((1n << 63n) | (1n << 50n) | (0x41n << 32n) | (1n << 20n) | (0xan << 16n) | (1n << 12n) | 0x700n | 0x20n);
    expect(c).toEqual({
      tpr: 0x20,
      irq: true,
      gif: true,
      shadow: true,
      priority: 0xa,
      ignoreTpr: true,
      vector: 0x41,
      guestBusy: true,
      reserved: (1n << 50n) | (1n << 12n),
    });
    expectFormatError(() => decodeSevFeatures(-1n), 'InvalidFieldValue');
  });
});

describe('native x64 and CCA contexts (§8.3, §8.5)', () => {
  it('encodes into a 4096-byte blob with a zero tail and round-trips', () => {
    const ctx = { rip: 0xfff0n, gdtrBase: 0x1000n, gdtrLimit: 0x27, codeSelector: 8, cr0: 0x11n, efer: 0x500n };
    const blob = encodeNativeX64Context(ctx);
    expect(blob.length).toBe(CONTEXT_BLOB_SIZE);
    expect(blob.subarray(232).every((b) => b === 0)).toBe(true);
    expect(blob.subarray(0x80, 0x88)).toEqual(hex('f0ff000000000000'));
    const d = decodeNativeX64Context(blob);
    expect(d).toMatchObject(ctx);
    expect(d.rax).toBe(0n);
    expect(d.reserved).toEqual(new Uint8Array(4));
    expect(encodeNativeX64Context(d)).toEqual(blob);

    const struct = pattern(232, 3);
    const full = new Uint8Array(4096);
    full.set(struct);
    expect(encodeNativeX64Context(decodeNativeX64Context(full))).toEqual(full);

    const cca = { x0: 1n, x7: 7n, pc: 0x8000_0000n, flags: 1n };
    const cblob = encodeCcaContext(cca);
    expect(cblob.length).toBe(CONTEXT_BLOB_SIZE);
    expect(cblob.subarray(0x40, 0x48)).toEqual(hex('0000008000000000'));
    expect(decodeCcaContext(cblob)).toEqual({ x0: 1n, x1: 0n, x2: 0n, x3: 0n, x4: 0n, x5: 0n, x6: 0n, x7: 7n, pc: 0x8000_0000n, flags: 1n });
  });

  it('rejects a non-zero tail with InvalidContext naming the blob offset', () => {
    const blob = encodeNativeX64Context({ rip: 1n });
    blob[0x123] = 5;
    const e = expectFormatError(() => decodeNativeX64Context(blob), 'InvalidContext');
    expect(e.message).toContain('0x123');

    const first = encodeNativeX64Context({});
    first[232] = 1; // the first byte after the struct
    expect(expectFormatError(() => decodeNativeX64Context(first), 'InvalidContext').message).toContain('0xe8');

    const cblob = encodeCcaContext({});
    cblob[4095] = 0xff;
    expect(expectFormatError(() => decodeCcaContext(cblob), 'InvalidContext').message).toContain('0xfff');
    // A non-zero byte inside the 80-byte struct is data, not tail.
    const inside = encodeCcaContext({});
    inside[79] = 1;
    expect(decodeCcaContext(inside).flags).toBe(1n << 56n);
  });

  it('rejects a blob that is not 4096 bytes', () => {
    expectFormatError(() => decodeNativeX64Context(new Uint8Array(232)), 'InvalidDataSize');
    expectFormatError(() => decodeCcaContext(new Uint8Array(4095)), 'InvalidDataSize');
  });
});

describe('VBS register list (§8.4)', () => {
  it('has the accepted name tables of §8.4', () => {
    expect(X64_VBS_REGISTERS.size).toBe(41);
    expect(X64_VBS_REGISTERS.get(0x00020010)).toEqual({ name: 'Rip', kind: 'u64' });
    expect(X64_VBS_REGISTERS.get(0x00060007)).toEqual({ name: 'Tr', kind: 'segment' });
    expect(X64_VBS_REGISTERS.get(0x00070001)).toEqual({ name: 'Gdtr', kind: 'table' });
    expect(X64_VBS_REGISTERS.get(0x00080014)?.name).toBe('MsrMtrrPhysBase4');
    expect(X64_VBS_REGISTERS.get(0x00080040)?.name).toBe('MsrMtrrPhysMask0');
    expect(X64_VBS_REGISTERS.get(0x0008007a)?.name).toBe('MsrMtrrFix4kF8000');
    // Notably not accepted (§8.4): Rax, Rdi, R13, Ldtr, Cr2.
    for (const n of [0x20000, 0x20007, 0x2000d, 0x60006, 0x40001]) expect(X64_VBS_REGISTERS.has(n)).toBe(false);
    expect(AARCH64_VBS_REGISTERS.size).toBe(16);
    expect(AARCH64_VBS_REGISTERS.get(0x00020007)?.name).toBe('X7');
    expect(AARCH64_VBS_REGISTERS.get(0x00020022)?.name).toBe('XPc');
    expect([...AARCH64_VBS_REGISTERS.values()].every((r) => r.kind === 'u64')).toBe(true);
    // Display-only names do not overlap the accepted ones.
    for (const n of X64_REGISTER_NAMES_FOR_DISPLAY.keys()) expect(X64_VBS_REGISTERS.has(n)).toBe(false);
    for (const n of AARCH64_REGISTER_NAMES_FOR_DISPLAY.keys()) expect(AARCH64_VBS_REGISTERS.has(n)).toBe(false);
  });

  it('names registers for display', () => {
    expect(vbsRegisterName('x64', 0x00020010)).toBe('Rip');
    expect(vbsRegisterName('x64', 0x00020000)).toBe('Rax');
    expect(vbsRegisterName('x64', 0x0003000f)).toBe('Xmm15');
    expect(vbsRegisterName('x64', 0x0002000f)).toBe('R15');
    expect(vbsRegisterName('x64', 0x0008008b)).toBe('Xss');
    expect(vbsRegisterName('x64', 0x00090002)).toBe('GuestOsId');
    expect(vbsRegisterName('aarch64', 0x00020010)).toBe('X16');
    expect(vbsRegisterName('aarch64', 0x0002001c)).toBe('X28');
    expect(vbsRegisterName('aarch64', 0x00040015)).toBe('ElrEl1');
    expect(vbsRegisterName('aarch64', 0x00020022)).toBe('XPc');
    expect(vbsRegisterName('x64', 0x12345)).toBe('0x00012345');
  });

  it('normalizes a plain register to its low 64 bits', () => {
    const raw = hex('efcdab8967452301 ffeeddccbbaa9988');
    const v = decodeVbsRegisterValue('u64', raw);
    expect(v).toEqual({ kind: 'u64', value: 0x0123456789abcdefn });
    expect(encodeVbsRegisterValue(v)).toEqual(hex('efcdab8967452301 0000000000000000'));
  });

  it('decodes segment and table registers at the §8.4 offsets', () => {
    const seg = hex('0010000000000000 ffff0000 0800 9b20');
    const s = decodeVbsRegisterValue('segment', seg);
    expect(s).toEqual({ kind: 'segment', base: 0x1000n, limit: 0xffff, selector: 8, attributes: 0x209b });
    expect(encodeVbsRegisterValue(s)).toEqual(seg);

    // pad (bytes 0–5) is ignored on read and written as zero.
    const table = hex('aabbccddeeff 2700 0020000000000000');
    const t = decodeVbsRegisterValue('table', table);
    expect(t).toEqual({ kind: 'table', base: 0x2000n, limit: 0x27 });
    expect(encodeVbsRegisterValue(t)).toEqual(hex('000000000000 2700 0020000000000000'));

    expectFormatError(() => decodeVbsRegisterValue('u64', new Uint8Array(8)), 'InvalidDataSize');
    expectFormatError(() => encodeVbsRegisterValue({ kind: 'table', base: 0n, limit: 0x10000 }), 'InvalidFieldValue');
    expectFormatError(() => encodeVbsRegisterValue({ kind: 'u64', value: -1n }), 'InvalidFieldValue');
  });

  it('encodes the §15.3 example list: Rip = 0x1000 at VTL0', () => {
    const list = encodeVbsRegisterList([{ vtl: 0, name: 0x00020010, value: { kind: 'u64', value: 0x1000n } }]);
    // spec/igvm-format.md §15.3, offset 0x10B8: count 1, vtl 0, name 0x20010, mbz, value 0x1000
    const expected = hex('01000000' + '00' + '10000200' + '00'.repeat(11) + '00100000' + '00'.repeat(12));
    expect(expected.length).toBe(36);
    expect(list).toEqual(expected);
  });

  it('encodes records unpadded with mbz = 0', () => {
    const list = encodeVbsRegisterList([
      { vtl: 2, name: 0x00060001, value: { kind: 'segment', base: 0n, limit: 0xffffffff, selector: 8, attributes: 0xa09b } },
      { vtl: 2, name: 0x00070001, value: { kind: 'table', base: 0x1000n, limit: 0x17 } },
      { vtl: 2, name: 0x00020004, value: { kind: 'u64', value: 0xffff_ffff_ffff_ffffn } },
    ]);
    expect(list.length).toBe(4 + 3 * 32);
    expect(list.subarray(0, 4)).toEqual(hex('03000000'));
    for (let i = 0; i < 3; i++) {
      const rec = list.subarray(4 + i * 32, 36 + i * 32);
      expect(rec[0]).toBe(2);
      expect(rec.subarray(5, 16).every((b) => b === 0)).toBe(true);
    }
    // Second record's name is unaligned at file-blob offset 4 + 32 + 1.
    expect(list.subarray(37, 41)).toEqual(hex('01000700'));
    expect(list.subarray(4 + 64 + 16, 4 + 64 + 32)).toEqual(hex('ffffffffffffffff 0000000000000000'));
    expect(encodeVbsRegisterList([])).toEqual(hex('00000000'));
  });
});

describe('the one type → layout table (header-layouts.ts) is the master type table', () => {
  // Copied from spec/igvm-format.md §3.5: type value, payload struct, Len (the exact TLV
  // length), Entry (TLV header + payload + padding). 0x306 RESERVED_DO_NOT_USE has none.
  const MASTER: Array<[number, string, number, number]> = [
    [0x001, 'IGVM_VHS_SUPPORTED_PLATFORM', 16, 24],
    [0x101, 'IGVM_VHS_GUEST_POLICY', 16, 24],
    [0x102, 'IGVM_VHS_RELOCATABLE_REGION', 48, 56],
    [0x103, 'IGVM_VHS_PAGE_TABLE_RELOCATION', 32, 40],
    [0x104, 'IGVM_VHS_CORIM_DATA', 16, 24],
    [0x105, 'IGVM_VHS_CORIM_DATA', 16, 24],
    [0x106, 'IGVM_VHS_CCA_POLICY', 32, 40],
    [0x301, 'IGVM_VHS_PARAMETER_AREA', 16, 24],
    [0x302, 'IGVM_VHS_PAGE_DATA', 24, 32],
    [0x303, 'IGVM_VHS_PARAMETER_INSERT', 16, 24],
    [0x304, 'IGVM_VHS_VP_CONTEXT', 20, 32],
    [0x305, 'IGVM_VHS_REQUIRED_MEMORY', 24, 32],
    [0x307, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x308, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x309, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x30a, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x30b, 'IGVM_VHS_SNP_ID_BLOCK', 696, 704],
    [0x30c, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x30d, 'IGVM_VHS_ERROR_RANGE', 16, 24],
    [0x30e, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x30f, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x310, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x311, 'IGVM_VHS_VBS_MEASUREMENT', 864, 872],
    [0x312, 'IGVM_VHS_PARAMETER', 8, 16],
    [0x313, 'IGVM_VHS_PARAMETER', 8, 16],
  ];

  it('has exactly the types of §3.5 that carry a payload struct', () => {
    expect([...HEADER_LAYOUT_BY_TYPE.keys()].sort((a, b) => a - b)).toEqual(MASTER.map(([t]) => t));
    expect(HEADER_LAYOUT_BY_TYPE.has(0x306)).toBe(false);
  });

  for (const [type, struct, len, entry] of MASTER) {
    it(`0x${type.toString(16)}: ${struct}, length ${len}, entry ${entry}`, () => {
      const layout = HEADER_LAYOUT_BY_TYPE.get(type)!;
      expect(layout.name).toBe(struct);
      expect(layout.size).toBe(len);
      expect(8 + tlvPayloadSpan(layout.size)).toBe(entry);
    });
  }
});
