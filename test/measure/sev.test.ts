/**
 * The IGVM SEV / SEV-ES launch digest model (src/measure/sev.ts).
 *
 * The rule comes from spec/snp.md §2.3 (COCONUT igvmmeasure "also does SEV and SEV-ES (SHA-256
 * over page bytes then VMSA bytes)") and the igvmmeasure behaviour it summarises: one SHA-256,
 * in directive order, over the data of every PAGE_DATA page whose mask intersects the
 * platform's (empty pages, parameter inserts, data type and the unmeasured flag add nothing /
 * change nothing) and over every SEV VMSA page whatever its mask.
 *
 * No reference output exists for IGVM SEV/SEV-ES (no published digest, no vector): every
 * expectation below is computed here with node:crypto, straight from that rule, over files
 * built here — not with the model or its hash backend.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IgvmBuilder,
  KVM_VMSA_GPA,
  MeasurementError,
  PROFILES,
  PageDataFlags,
  SevLaunchDigest,
  defaultHashBackend,
  nobleHashBackend,
  parseIgvm,
  walkDirectives,
  walkRulesFor,
  type IgvmFile,
  type PlatformTypeName,
  type TraceStep,
  type WalkRules,
} from '../../src/index.js';

const sha256Hex = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fill = (byte: number, n = 4096): Uint8Array => new Uint8Array(n).fill(byte);
/** A 4096-byte VMSA-shaped page; its contents do not matter to SEV/SEV-ES (opaque bytes). */
const vmsaOf = (seed: number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => (i * 13 + seed) & 0xff);

/** igvmmeasure's walk (snp.md §2.3): any-bit masks, VP context masks ignored, one page per insert. */
const IGVMMEASURE: WalkRules = walkRulesFor(PROFILES.igvmmeasure, 'SEV_SNP');

const SEV = 0x1;
const SEV_ES = 0x2;
const SNP = 0x4;

const A = fill(0xa1);
const B = fill(0xb2);
const C = fill(0xc3);
const D = fill(0xd4);
const E = fill(0xe5);
const X = fill(0x99);
const V1 = vmsaOf(1);
const V2 = vmsaOf(2);

/**
 * One file for the three platforms. Per page: which platforms see it and why.
 */
function threePlatformFile(): IgvmFile {
  const b = new IgvmBuilder()
    .platform({ compatibilityMask: SEV, platformType: 'SEV' })
    .platform({ compatibilityMask: SEV_ES, platformType: 'SEV_ES' })
    .platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' })
    .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 4096 })
    // SEV only.
    .pageData({ gpa: 0x1000, compatibilityMask: SEV, data: A })
    // SEV-ES only.
    .pageData({ gpa: 0x2000, compatibilityMask: SEV_ES, data: B })
    // Both; the unmeasured flag is ignored (the bytes are still hashed).
    .pageData({ gpa: 0x3000, compatibilityMask: SEV | SEV_ES, data: C, flags: PageDataFlags.UNMEASURED })
    // SNP only: excluded from both.
    .pageData({ gpa: 0x4000, compatibilityMask: SNP, data: X })
    // Both, but no data: contributes nothing.
    .pageData({ gpa: 0x5000, compatibilityMask: SEV | SEV_ES })
    // Both; the data type is ignored.
    .pageData({ gpa: 0x6000, compatibilityMask: SEV | SEV_ES | SNP, data: D, dataType: 'CPUID_DATA' })
    // A data-less 2 MiB page: contributes nothing (igvmmeasure hashes empty data for each 4 KiB).
    .pageData({ gpa: 0x200000, compatibilityMask: SEV | SEV_ES, flags: PageDataFlags.IS_2MB_PAGE })
    // Parameter insert: contributes nothing.
    .parameterInsert({ gpa: 0x7000, compatibilityMask: SEV | SEV_ES, parameterAreaIndex: 0 })
    // VMSAs of the SEV-ES and the SNP platform: hashed for every platform, masks not checked.
    .vmsa({ compatibilityMask: SEV_ES, gpa: KVM_VMSA_GPA, vpIndex: 0, vmsa: V1 })
    .vmsa({ compatibilityMask: SNP, gpa: KVM_VMSA_GPA, vpIndex: 1, vmsa: V2 })
    // After the VMSAs: file order is kept (VMSAs are not moved to the end).
    .pageData({ gpa: 0x8000, compatibilityMask: SEV, data: E });
  return parseIgvm(b.toBytes());
}

function platformOf(file: IgvmFile, type: PlatformTypeName) {
  const p = file.platforms.find((h) => h.platformType === type);
  if (p === undefined) throw new Error(`no ${type} platform`);
  return p;
}

function measureSev(file: IgvmFile, type: PlatformTypeName, rules: WalkRules = IGVMMEASURE, options: ConstructorParameters<typeof SevLaunchDigest>[1] = {}, hash = defaultHashBackend) {
  const model = new SevLaunchDigest(hash, options);
  for (const op of walkDirectives(file, platformOf(file, type), rules).ops()) model.apply(op);
  return { model, digest: toHex(model.finish()) };
}

describe('SevLaunchDigest over the igvmmeasure walk (snp.md §2.3; no reference output exists)', () => {
  it('uses the igvmmeasure walk rules the rule assumes', () => {
    expect(IGVMMEASURE.maskMatch).toBe('any-bit');
    expect(IGVMMEASURE.vpContextMask).toBe('ignored');
  });

  it('SEV: its data pages, unmeasured and CPUID pages included, then both VMSAs, then the late page', () => {
    const { model, digest } = measureSev(threePlatformFile(), 'SEV');
    expect(digest).toBe(sha256Hex(A, C, D, V1, V2, E));
    expect(model.stepCount).toBe(6);
  });

  it('SEV-ES: its own pages, not SEV-only or SNP-only ones, and both VMSAs', () => {
    const { model, digest } = measureSev(threePlatformFile(), 'SEV_ES');
    expect(digest).toBe(sha256Hex(B, C, D, V1, V2));
    expect(model.stepCount).toBe(5);
  });

  it('the noble backend gives the same digest', () => {
    expect(measureSev(threePlatformFile(), 'SEV_ES', IGVMMEASURE, {}, nobleHashBackend).digest).toBe(sha256Hex(B, C, D, V1, V2));
  });

  it('a file with nothing measured gives the SHA-256 of the empty string', () => {
    const file = parseIgvm(
      new IgvmBuilder()
        .platform({ compatibilityMask: SEV, platformType: 'SEV' })
        .pageData({ gpa: 0, compatibilityMask: SEV })
        // A page for another mask, so the file has a data section (igvm-format.md §2.6).
        .pageData({ gpa: 0x1000, compatibilityMask: 2, data: Uint8Array.of(1) })
        .toBytes(),
    );
    expect(measureSev(file, 'SEV').digest).toBe(sha256Hex());
  });

  it('short in-memory data is zero-padded to 4 KiB, as the writer pads it', () => {
    const b = new IgvmBuilder()
      .platform({ compatibilityMask: SEV, platformType: 'SEV' })
      .pageData({ gpa: 0, compatibilityMask: SEV, data: Uint8Array.of(0xde, 0xad) });
    const expected = sha256Hex(new Uint8Array([0xde, 0xad, ...new Uint8Array(4094)]));
    expect(measureSev(b.build(), 'SEV').digest).toBe(expected);
    expect(measureSev(parseIgvm(b.toBytes()), 'SEV').digest).toBe(expected);
  });

  it('a 2 MiB page with data: an error under the igvmmeasure walk, 512 pages (data, then zeros) when the walk expands it', () => {
    const file = parseIgvm(
      new IgvmBuilder()
        .platform({ compatibilityMask: SEV_ES, platformType: 'SEV_ES' })
        .pageData({ gpa: 0x200000, compatibilityMask: SEV_ES, data: A, flags: PageDataFlags.IS_2MB_PAGE })
        .toBytes(),
    );
    // igvmmeasure asserts a 2 MiB page's data is empty or 2 MiB long; a parsed page has 4 KiB.
    expect(() => measureSev(file, 'SEV_ES')).toThrow(MeasurementError);
    // Under a walk that expands it, the range is the data page then 511 zero pages (steps.ts
    // PagesOp), and igvmmeasure would hash every 4 KiB chunk of that 2 MiB.
    const { model, digest } = measureSev(file, 'SEV_ES', { ...IGVMMEASURE, largePages: 'expand' });
    expect(model.stepCount).toBe(512);
    expect(digest).toBe(sha256Hex(A, new Uint8Array(511 * 4096)));
  });

  it('trace: one sev_update per 4 KiB hashed, with the running SHA-256 and the page hash', () => {
    const steps: TraceStep[] = [];
    const { digest } = measureSev(threePlatformFile(), 'SEV_ES', IGVMMEASURE, { trace: (s) => steps.push(s), platform: 'SEV_ES' });
    const pages = [B, C, D, V1, V2];
    expect(steps.map((s) => [s.step, s.platform, s.record, s.gpa, s.pageType])).toEqual([
      [1, 'SEV_ES', 'sev_update', 0x2000n, 'NORMAL'],
      [2, 'SEV_ES', 'sev_update', 0x3000n, 'NORMAL'],
      [3, 'SEV_ES', 'sev_update', 0x6000n, 'CPUID_DATA'],
      [4, 'SEV_ES', 'sev_update', KVM_VMSA_GPA, 'VMSA'],
      [5, 'SEV_ES', 'sev_update', KVM_VMSA_GPA, 'VMSA'],
    ]);
    steps.forEach((s, i) => {
      expect(toHex(s.digest)).toBe(sha256Hex(...pages.slice(0, i + 1)));
      expect(toHex(s.contents!)).toBe(sha256Hex(pages[i]!));
    });
    expect(toHex(steps[4]!.digest)).toBe(digest);
  });

  it('finish is idempotent and closes the model', () => {
    const m = new SevLaunchDigest(defaultHashBackend);
    m.update(A);
    const d = toHex(m.finish());
    expect(d).toBe(sha256Hex(A));
    expect(toHex(m.finish())).toBe(d);
    expect(() => m.update(B)).toThrow();
  });
});
