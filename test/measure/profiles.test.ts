/**
 * Loader profiles (`igvm`, `qemu`, `igvmmeasure`): one small crafted file per row of the
 * spec/snp.md §2.6 checklist that the profiles handle differently, measured with our code and
 * compared with an explicit, hand-written list of PAGE_INFO steps fed to the independent
 * reference in test/helpers/page-info.ts. Each list cites the spec rule it comes from.
 * Also: the KVM-check warnings of `qemu`, TDX/VBS measured with igvm rules (and a note) under
 * the SNP-only profiles, and the `maxPages` guard.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IgvmBuilder,
  IgvmFormatError,
  MeasurementError,
  PageDataFlags,
  measure,
  measureSnp,
  measureTdx,
  measureVbs,
  parseIgvm,
  type IgvmFile,
  type MeasureOptions,
  type PlatformMeasurement,
  type ProfileName,
} from '../../src/index.js';
import {
  ZERO_PAGE_SHA384,
  expectedLaunchDigest,
  expectedLaunchDigestFromHashes,
  page4k,
  pageInfoRecord,
  run,
  vmsaPage,
  type PageInfoStep,
} from '../helpers/page-info.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

const SNP = 0x1;
/** KVM measures every VMSA at this GPA (spec/snp.md §1.5). */
const KVM_GPA = 0xffff_ffff_f000n;
const POLICY = 0x30000n;
const DATA = Uint8Array.of(0x00, 0x05);
const DATA2 = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
const DATA3 = new Uint8Array(4096).fill(0x5a);
const PROFILES: readonly ProfileName[] = ['igvm', 'qemu', 'igvmmeasure'];

/**
 * A 4096-byte VMSA page written by hand at the offsets of spec/snp.md §1.6 (cr0 0x158,
 * rip 0x178, sev_features 0x3B0), independent of our VMSA codec.
 */
const BSP = vmsaPage(0x31n, 0xfff0n);
const AP1 = vmsaPage(0x31n, 0x1111n);
const AP_EXTRA = vmsaPage(0x30n, 0x2222n);
const ES_VMSA = vmsaPage(0x31n, 0x3333n);

/** An SNP platform (mask 1), with a GUEST_POLICY for it unless told otherwise. */
function snpBase(policy = true): IgvmBuilder {
  const b = new IgvmBuilder().platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' });
  return policy ? b.guestPolicy({ policy: POLICY, compatibilityMask: SNP }) : b;
}

/** Serialized and parsed back, as a real file would be measured. */
const load = (b: IgvmBuilder): IgvmFile => parseIgvm(b.toBytes());

function snp(file: IgvmFile, profile: ProfileName, extra: MeasureOptions = {}): string {
  return hex(measureSnp(file, { ...extra, profile }));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MeasurementError || e instanceof IgvmFormatError) return e.code;
    throw e;
  }
  return 'no error';
}

function entry(file: IgvmFile, type: string, options: MeasureOptions): PlatformMeasurement {
  const e = measure(file, options).platforms.find((p) => p.platformType === type);
  if (e === undefined) throw new Error(`no ${type} entry`);
  return e;
}

function warningsOf(file: IgvmFile, options: MeasureOptions): readonly string[] {
  const e = entry(file, 'SEV_SNP', options);
  if (!('digest' in e)) throw new Error(`SEV_SNP was not measured: ${'error' in e ? e.error.code : 'not measurable'}`);
  return e.warnings;
}

// ---------------------------------------------------------------------------------------------

describe('the independent PAGE_INFO reference (test/helpers/page-info.ts) reproduces the spec', () => {
  it('the worked single step of snp.md §1.2: LD 0, NORMAL 0xFFFFF000, contents 161ace08… ⇒ 086e2e91…', () => {
    const contents = '161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894';
    expect(expectedLaunchDigestFromHashes([{ type: 'NORMAL', gpa: 0xfffff000n, contentsHash: contents }])).toBe(
      '086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74',
    );
    // §1.2: PAGE_INFO = 48×00 ‖ hash ‖ 70 00 01 00 00 00 00 00 ‖ 00 f0 ff ff 00 00 00 00.
    const record = pageInfoRecord(new Uint8Array(48), 'NORMAL', 0xfffff000n, fromHex(contents));
    expect(hex(record)).toBe(`${'00'.repeat(48)}${contents}7000010000000000${'00f0ffff00000000'}`);
  });

  it('the zero-page hash of snp.md §1.3 is c0e59a3e…', () => {
    expect(ZERO_PAGE_SHA384).toBe('c0e59a3e3ffbd3b5c75428fb36432facabc745944296ff515f737c4fef4efc64586809f7a16f56354a1eaecf2aa8d774');
  });

  it('the 33-step chain of snp.md §1.7 ends in e1e1ca02…', () => {
    const steps = [
      { type: 'NORMAL' as const, gpa: 0xfffff000n, contentsHash: '161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894' },
      ...run('ZERO', 0x800000n, 9),
      ...run('ZERO', 0x80a000n, 3),
      { type: 'SECRETS' as const, gpa: 0x80d000n },
      { type: 'CPUID' as const, gpa: 0x80e000n },
      { type: 'ZERO' as const, gpa: 0x80f000n },
      { type: 'ZERO' as const, gpa: 0x810000n },
      ...run('ZERO', 0x811000n, 15),
      { type: 'VMSA' as const, gpa: KVM_GPA, contentsHash: 'ae79efa6efbe1594a2717dfd42af495a0e4ed37b00e529a5fdf349bea04c3513962ffb0c74cf65b0d9a1857271833d6e' },
    ];
    expect(steps).toHaveLength(33);
    expect(expectedLaunchDigestFromHashes(steps)).toBe('e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b');
  });

  it("openvmm's test vector of snp.md §2.4 (from page contents) gives 889a1938…", () => {
    const steps: PageInfoStep[] = [
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      ...run('NORMAL', 0x1000n, 4),
      ...run('UNMEASURED', 0x5000n, 5),
      { type: 'NORMAL', gpa: 0xa000n, contents: page4k(DATA) },
    ];
    expect(expectedLaunchDigest(steps)).toBe('889a19386c82e2219bded3e92a764e8c00c29b966d04a662bca6cfdfec647b9051995653390783846557913263d71c4f');
  });
});

// ---------------------------------------------------------------------------------------------

/** openvmm's page pattern (snp.md §2.4, vbs-cca-corim.md §1.4): pages 0–4, 5–9 unmeasured, 10, 20 shared. */
function openvmmPages(b: IgvmBuilder, mask: number): IgvmBuilder {
  for (let p = 0; p <= 10; p++) {
    const unmeasured = p >= 5 && p <= 9;
    const withData = p === 0 || p === 5 || p === 10;
    b.pageData({ gpa: p * 0x1000, compatibilityMask: mask, ...(withData ? { data: DATA } : {}), flags: unmeasured ? PageDataFlags.UNMEASURED : 0 });
  }
  return b.pageData({ gpa: 20 * 0x1000, compatibilityMask: mask, data: DATA, flags: PageDataFlags.SHARED });
}
const OPENVMM_PRIVATE_STEPS: PageInfoStep[] = [
  { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
  ...run('NORMAL', 0x1000n, 4),
  ...run('UNMEASURED', 0x5000n, 5),
  { type: 'NORMAL', gpa: 0xa000n, contents: page4k(DATA) },
];

describe('§2.6 row "data-less NORMAL page"', () => {
  const file = load(
    snpBase()
      .pageData({ gpa: 0x1000, compatibilityMask: SNP })
      .pageData({ gpa: 0x2000, compatibilityMask: SNP, data: DATA })
      .pageData({ gpa: 0x3000, compatibilityMask: SNP, dataType: 'SECRETS' })
      .pageData({ gpa: 0x4000, compatibilityMask: SNP, dataType: 'CPUID_DATA' })
      .pageData({ gpa: 0x5000, compatibilityMask: SNP, dataType: 'CPUID_XF' })
      .pageData({ gpa: 0x6000, compatibilityMask: SNP, flags: PageDataFlags.UNMEASURED })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );

  // §2.2 step 4 / §2.3 / §2.5: a data-less NORMAL page is NORMAL + SHA-384(4K zeros) under all
  // three (QEMU's "ZERO" region goes through the normal launch-update path); SECRETS ⇒ 5,
  // CPUID_DATA and CPUID_XF ⇒ 6; unmeasured ⇒ UNMEASURED. The VMSA is last and at 0xFFFFFFFFF000,
  // so file order and KVM order agree.
  const normalZero: PageInfoStep[] = [
    { type: 'NORMAL', gpa: 0x1000n },
    { type: 'NORMAL', gpa: 0x2000n, contents: page4k(DATA) },
    { type: 'SECRETS', gpa: 0x3000n },
    { type: 'CPUID', gpa: 0x4000n },
    { type: 'CPUID', gpa: 0x5000n },
    { type: 'UNMEASURED', gpa: 0x6000n },
    { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
  ];
  // §2.3 `--native-zero` (and Vanadium, §2.6 row 1): the data-less NORMAL page becomes ZERO
  // (type 3). Only that page changes: SECRETS/CPUID/UNMEASURED keep their types.
  const nativeZero: PageInfoStep[] = [
    { type: 'ZERO', gpa: 0x1000n },
    { type: 'NORMAL', gpa: 0x2000n, contents: page4k(DATA) },
    { type: 'SECRETS', gpa: 0x3000n },
    { type: 'CPUID', gpa: 0x4000n },
    { type: 'CPUID', gpa: 0x5000n },
    { type: 'UNMEASURED', gpa: 0x6000n },
    { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
  ];

  it.each(PROFILES)('%s: NORMAL + zero-page hash by default', (profile) => {
    expect(snp(file, profile)).toBe(expectedLaunchDigest(normalZero));
  });

  it('igvmmeasure with nativeZero: the native ZERO page type', () => {
    expect(snp(file, 'igvmmeasure', { nativeZero: true })).toBe(expectedLaunchDigest(nativeZero));
  });

  it('qemu with nativeZero (a Vanadium-like host): the native ZERO page type', () => {
    expect(snp(file, 'qemu', { nativeZero: true })).toBe(expectedLaunchDigest(nativeZero));
  });

  it('the two lists really differ (the test can tell them apart)', () => {
    expect(expectedLaunchDigest(normalZero)).not.toBe(expectedLaunchDigest(nativeZero));
  });
});

describe('§2.6 row "shared flag"', () => {
  const file = load(
    snpBase()
      .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
      .pageData({ gpa: 0x1000, compatibilityMask: SNP, data: DATA2, flags: PageDataFlags.SHARED })
      .pageData({ gpa: 0x2000, compatibilityMask: SNP, flags: PageDataFlags.SHARED })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );

  it('igvm: shared pages are skipped entirely (§2.2 step 4)', () => {
    expect(snp(file, 'igvm')).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  // §2.3 "the shared flag is NOT looked at"; §2.5 "The shared flag is NOT considered".
  it.each(['qemu', 'igvmmeasure'] as const)('%s: shared pages are measured like any page', (profile) => {
    expect(snp(file, profile)).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'NORMAL', gpa: 0x1000n, contents: page4k(DATA2) },
        { type: 'NORMAL', gpa: 0x2000n },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  it("openvmm's vector: igvm gives 889a1938… (§2.4); igvmmeasure adds the shared page 0x14000", () => {
    const f = load(openvmmPages(snpBase(), SNP));
    expect(snp(f, 'igvm')).toBe('889a19386c82e2219bded3e92a764e8c00c29b966d04a662bca6cfdfec647b9051995653390783846557913263d71c4f');
    // §2.3: file order, shared measured, no VMSA in the file so none measured.
    expect(snp(f, 'igvmmeasure')).toBe(expectedLaunchDigest([...OPENVMM_PRIVATE_STEPS, { type: 'NORMAL', gpa: 0x14000n, contents: page4k(DATA) }]));
    // §2.5: the same pages, then one VMSA per vCPU at 0xFFFFFFFFF000 (here from apVmsa).
    expect(snp(f, 'qemu', { apVmsa: AP_EXTRA })).toBe(
      expectedLaunchDigest([...OPENVMM_PRIVATE_STEPS, { type: 'NORMAL', gpa: 0x14000n, contents: page4k(DATA) }, { type: 'VMSA', gpa: KVM_GPA, contents: AP_EXTRA }]),
    );
  });
});

describe('§2.6 row "IS_2MB_PAGE"', () => {
  const withFlags = (flags: number, data?: Uint8Array): IgvmFile =>
    load(
      snpBase()
        .pageData({ gpa: 0x200000, compatibilityMask: SNP, flags, ...(data === undefined ? {} : { data }) })
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
    );
  const empty = withFlags(PageDataFlags.IS_2MB_PAGE);
  const withData = withFlags(PageDataFlags.IS_2MB_PAGE, DATA);
  const unmeasured = withFlags(PageDataFlags.IS_2MB_PAGE | PageDataFlags.UNMEASURED);

  it('igvm: one 4K step, whatever the flag (§2.2 step 4)', () => {
    expect(snp(empty, 'igvm')).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x200000n }, { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
    expect(snp(withData, 'igvm')).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x200000n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
    expect(snp(unmeasured, 'igvm')).toBe(expectedLaunchDigest([{ type: 'UNMEASURED', gpa: 0x200000n }, { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
  });

  // §1.4 / §2.3 / §2.5: 512 × 4K steps at gpa, gpa+0x1000, … .
  it.each(['qemu', 'igvmmeasure'] as const)('%s: empty data ⇒ 512 zero-page NORMAL steps', (profile) => {
    expect(snp(empty, profile)).toBe(expectedLaunchDigest([...run('NORMAL', 0x200000n, 512), { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
  });

  it.each(['qemu', 'igvmmeasure'] as const)('%s: unmeasured ⇒ 512 UNMEASURED steps', (profile) => {
    expect(snp(unmeasured, profile)).toBe(expectedLaunchDigest([...run('UNMEASURED', 0x200000n, 512), { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
  });

  it('igvmmeasure with nativeZero: 512 ZERO steps', () => {
    expect(snp(empty, 'igvmmeasure', { nativeZero: true })).toBe(expectedLaunchDigest([...run('ZERO', 0x200000n, 512), { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
  });

  it('qemu with data: the first 4K page has the data, the other 511 are zero (§2.5: a 2 MiB region, measured 4K at a time)', () => {
    expect(snp(withData, 'qemu')).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x200000n, contents: page4k(DATA) },
        ...run('NORMAL', 0x201000n, 511),
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  it('igvmmeasure with data: UnsupportedLargePageData (§2.3: data must be empty or 2 MiB, else it panics)', () => {
    expect(codeOf(() => measureSnp(withData, { profile: 'igvmmeasure' }))).toBe('UnsupportedLargePageData');
    const e = entry(withData, 'SEV_SNP', { profile: 'igvmmeasure' });
    expect('error' in e && e.error.code).toBe('UnsupportedLargePageData');
  });
});

describe('§2.6 row "ParameterInsert" (a 3-page area)', () => {
  const file = load(
    snpBase()
      .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x3000 })
      .parameterUsage('VP_COUNT_PARAMETER', { parameterAreaIndex: 0 })
      .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
      .parameterInsert({ gpa: 0x10000, compatibilityMask: SNP, parameterAreaIndex: 0 })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );

  // §2.2 step 5: one UNMEASURED per 4K of the area; §2.5: the whole area UNMEASURED.
  it.each(['igvm', 'qemu'] as const)('%s: one UNMEASURED step per page of the area', (profile) => {
    expect(snp(file, profile)).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'UNMEASURED', gpa: 0x10000n },
        { type: 'UNMEASURED', gpa: 0x11000n },
        { type: 'UNMEASURED', gpa: 0x12000n },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  // §2.3: exactly ONE UNMEASURED 4 KiB step at param.gpa, whatever the area size.
  it('igvmmeasure: exactly one UNMEASURED step', () => {
    expect(snp(file, 'igvmmeasure')).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'UNMEASURED', gpa: 0x10000n },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });
});

describe('§2.6 row "VP context compat mask"', () => {
  // A VP context's mask must equal one platform header's mask exactly to be parsed, so the
  // "other" VMSA belongs to an SEV_ES platform (mask 2) of the same file. It comes first, the
  // SNP VMSA last.
  const file = load(
    new IgvmBuilder()
      .platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' })
      .platform({ compatibilityMask: 0x2, platformType: 'SEV_ES' })
      .guestPolicy({ policy: POLICY, compatibilityMask: SNP })
      .vmsa({ compatibilityMask: 0x2, gpa: KVM_GPA, vmsa: ES_VMSA })
      .pageData({ gpa: 0x0, compatibilityMask: SNP | 0x2, data: DATA })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );

  // §2.2 step 2 (igvm) and §2.5 (QEMU selects directives by mask): the SEV_ES VMSA is not SNP's.
  it.each(['igvm', 'qemu'] as const)('%s: the SEV_ES VMSA is not measured', (profile) => {
    expect(snp(file, profile)).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  // §2.3: "the VP context is measured WITHOUT checking its compat mask", in file order.
  it('igvmmeasure: both VMSAs, in file order', () => {
    expect(snp(file, 'igvmmeasure')).toBe(
      expectedLaunchDigest([
        { type: 'VMSA', gpa: KVM_GPA, contents: ES_VMSA },
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  it('the SEV_ES platform itself gets an SHA-256 digest under the igvmmeasure rule in every profile (snp.md §2.3)', () => {
    for (const profile of PROFILES) {
      const e = entry(file, 'SEV_ES', { profile });
      expect(e).toMatchObject({ algorithm: 'sha256', compatibilityMask: 2 });
      expect('digest' in e ? e.digest.length : 0).toBe(32);
      expect('note' in e && e.note !== undefined).toBe(profile !== 'igvmmeasure');
    }
  });
});

describe('§2.6 rows "VMSA position", "VMSA GPA", "number of VMSAs"', () => {
  it('a VMSA before the pages: igvm/igvmmeasure in file order, qemu after all pages (§1.6, §2.5)', () => {
    const file = load(
      snpBase()
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP })
        .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
        .pageData({ gpa: 0x1000, compatibilityMask: SNP, data: DATA2 }),
    );
    const fileOrder: PageInfoStep[] = [
      { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      { type: 'NORMAL', gpa: 0x1000n, contents: page4k(DATA2) },
    ];
    const kvmOrder: PageInfoStep[] = [
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      { type: 'NORMAL', gpa: 0x1000n, contents: page4k(DATA2) },
      { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
    ];
    expect(snp(file, 'igvm')).toBe(expectedLaunchDigest(fileOrder));
    expect(snp(file, 'igvmmeasure')).toBe(expectedLaunchDigest(fileOrder));
    expect(snp(file, 'qemu')).toBe(expectedLaunchDigest(kvmOrder));
  });

  it('a VMSA at gpa 0x5000: igvm/igvmmeasure at the directive gpa, qemu at 0xFFFFFFFFF000 (§1.5)', () => {
    const file = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: 0x5000, vmsa: BSP }));
    const atDirective = expectedLaunchDigest([
      { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
      { type: 'VMSA', gpa: 0x5000n, contents: BSP },
    ]);
    expect(snp(file, 'igvm')).toBe(atDirective);
    expect(snp(file, 'igvmmeasure')).toBe(atDirective);
    expect(snp(file, 'qemu')).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  describe('qemu: one VMSA per vCPU, in vCPU order, after all pages (§1.6, §2.5)', () => {
    // vp_index 1 first in the file, then vp_index 0.
    const file = load(
      snpBase()
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vpIndex: 1, vmsa: AP1 })
        .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vpIndex: 0, vmsa: BSP }),
    );

    it('igvm and igvmmeasure: one VMSA per directive, in file order; vcpus is irrelevant (§2.2 step 6)', () => {
      const expected = expectedLaunchDigest([
        { type: 'VMSA', gpa: KVM_GPA, contents: AP1 },
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]);
      for (const profile of ['igvm', 'igvmmeasure'] as const) {
        expect(snp(file, profile)).toBe(expected);
        expect(snp(file, profile, { vcpus: 4 })).toBe(expected);
      }
    });

    it('vcpus 2: BSP (vp 0) then vp 1', () => {
      expect(snp(file, 'qemu', { vcpus: 2 })).toBe(
        expectedLaunchDigest([
          { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
          { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
          { type: 'VMSA', gpa: KVM_GPA, contents: AP1 },
        ]),
      );
    });

    it('vcpus 1 (default): only vCPU 0', () => {
      const bspOnly = expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]);
      expect(snp(file, 'qemu')).toBe(bspOnly);
      expect(snp(file, 'qemu', { vcpus: 1 })).toBe(bspOnly);
    });

    it('vcpus 4 with apVmsa: the file has vCPUs 0 and 1, apVmsa fills 2 and 3', () => {
      expect(snp(file, 'qemu', { vcpus: 4, apVmsa: AP_EXTRA })).toBe(
        expectedLaunchDigest([
          { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
          { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
          { type: 'VMSA', gpa: KVM_GPA, contents: AP1 },
          { type: 'VMSA', gpa: KVM_GPA, contents: AP_EXTRA },
          { type: 'VMSA', gpa: KVM_GPA, contents: AP_EXTRA },
        ]),
      );
    });

    it('vcpus 3 without apVmsa: MissingVmsa', () => {
      expect(codeOf(() => measureSnp(file, { profile: 'qemu', vcpus: 3 }))).toBe('MissingVmsa');
      const e = entry(file, 'SEV_SNP', { profile: 'qemu', vcpus: 3 });
      expect('error' in e && e.error.code).toBe('MissingVmsa');
    });

    it('an apVmsa that is not 4096 bytes is refused', () => {
      expect(codeOf(() => measureSnp(file, { profile: 'qemu', vcpus: 3, apVmsa: new Uint8Array(100) }))).toBe('InvalidOption');
    });
  });

  it('a file without a VMSA: igvm measures none; qemu needs one (MissingVmsa) or takes apVmsa', () => {
    const file = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }));
    expect(snp(file, 'igvm')).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) }]));
    expect(snp(file, 'igvmmeasure')).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) }]));
    expect(codeOf(() => measureSnp(file, { profile: 'qemu' }))).toBe('MissingVmsa');
    expect(snp(file, 'qemu', { apVmsa: AP_EXTRA })).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'VMSA', gpa: KVM_GPA, contents: AP_EXTRA },
      ]),
    );
  });

  it('qemu: vcpus 0 is refused', () => {
    const file = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }));
    expect(codeOf(() => measureSnp(file, { profile: 'qemu', vcpus: 0 }))).toBe('InvalidOption');
  });
});

describe('mask matching: all-bits (igvm) vs any-bit (qemu, igvmmeasure)', () => {
  // Platform masks have exactly one bit (igvm-format.md §5), so for a platform mask `cm` with
  // one bit, `(m & cm) == cm` ⇔ `(m & cm) != 0`: the two rules select the same headers. What
  // all profiles must agree on: a header naming the SNP bit among others is SNP's; a header
  // naming only other bits is not.
  it('a two-bit platform mask is not a valid file, so the rules cannot diverge on a platform', () => {
    expect(codeOf(() => new IgvmBuilder().platform({ compatibilityMask: 0x3, platformType: 'SEV_SNP' }).pageData({ gpa: 0, compatibilityMask: 3, data: DATA }).build())).toBe(
      'InvalidCompatibilityMask',
    );
  });

  const file = load(
    new IgvmBuilder()
      .platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' })
      .platform({ compatibilityMask: 0x2, platformType: 'TDX' })
      // A policy naming both platforms covers SNP for the igvm crate (§2.2 step 1).
      .guestPolicy({ policy: POLICY, compatibilityMask: SNP | 0x2 })
      .pageData({ gpa: 0x0, compatibilityMask: SNP | 0x2, data: DATA })
      .pageData({ gpa: 0x1000, compatibilityMask: 0x2, data: DATA2 })
      .pageData({ gpa: 0x2000, compatibilityMask: SNP, data: DATA3 })
      .pageData({ gpa: 0x3000, compatibilityMask: 0xffff_fffe, data: DATA2 })
      .pageData({ gpa: 0x4000, compatibilityMask: 0xffff_ffff, data: DATA2 })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );

  it.each(PROFILES)('%s: pages naming the SNP bit (alone or with others) are measured, the others not', (profile) => {
    expect(snp(file, profile)).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'NORMAL', gpa: 0x2000n, contents: DATA3 },
        { type: 'NORMAL', gpa: 0x4000n, contents: page4k(DATA2) },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });
});

describe('§2.6 row "missing GUEST_POLICY"', () => {
  const noPolicy = load(snpBase(false).pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }));
  const steps: PageInfoStep[] = [
    { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
    { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
  ];

  it('igvm: MissingGuestPolicy (§2.2 step 1), from measureSnp and as a per-platform error of measure()', () => {
    expect(codeOf(() => measureSnp(noPolicy, { profile: 'igvm' }))).toBe('MissingGuestPolicy');
    const e = entry(noPolicy, 'SEV_SNP', { profile: 'igvm' });
    expect('error' in e && e.error.code).toBe('MissingGuestPolicy');
  });

  it('igvm: a policy for another platform only does not count', () => {
    const other = load(
      new IgvmBuilder()
        .platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' })
        .platform({ compatibilityMask: 0x2, platformType: 'TDX' })
        .guestPolicy({ policy: 0n, compatibilityMask: 0x2 })
        .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }),
    );
    expect(codeOf(() => measureSnp(other, { profile: 'igvm' }))).toBe('MissingGuestPolicy');
  });

  it.each(['qemu', 'igvmmeasure'] as const)('%s: no policy needed (§2.6 "fine")', (profile) => {
    expect(snp(noPolicy, profile)).toBe(expectedLaunchDigest(steps));
  });

  it('the policy value does not change the digest (§1.1 step 3)', () => {
    const a = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }));
    const b = load(
      new IgvmBuilder()
        .platform({ compatibilityMask: SNP, platformType: 'SEV_SNP' })
        .guestPolicy({ policy: 0xffn << 16n, compatibilityMask: SNP })
        .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
    );
    for (const profile of PROFILES) {
      expect(snp(a, profile)).toBe(expectedLaunchDigest(steps));
      expect(snp(b, profile)).toBe(expectedLaunchDigest(steps));
    }
  });
});

describe('qemu: KVM loader rules reported as warnings (snp.md §2.3 --check-kvm, §1.5, §1.6)', () => {
  const clean = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }));
  const wrongGpa = load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: 0x5000, vmsa: BSP }));
  const cr0 = (v: bigint): IgvmFile =>
    load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: vmsaPage(v, 0xfff0n) }));
  const twoVmsas = load(
    snpBase()
      .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vpIndex: 0, vmsa: BSP })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vpIndex: 1, vmsa: AP1 }),
  );
  const insertAfter = load(
    snpBase()
      .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x2000 })
      .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP })
      .parameterInsert({ gpa: 0x10000, compatibilityMask: SNP, parameterAreaIndex: 0 }),
  );

  it('a clean file has no warnings', () => {
    expect(warningsOf(clean, { profile: 'qemu' })).toEqual([]);
  });

  it('VMSA gpa not 0xFFFFFFFFF000', () => {
    const w = warningsOf(wrongGpa, { profile: 'qemu' });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/0x5000/);
    expect(w[0]!.toLowerCase()).toContain('fffffffff000');
  });

  it('CR0 not 0x31 or 0x30 (0x10 warns; 0x31 and 0x30 do not)', () => {
    const w = warningsOf(cr0(0x10n), { profile: 'qemu' });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/CR0/i);
    expect(warningsOf(cr0(0x31n), { profile: 'qemu' })).toEqual([]);
    expect(warningsOf(cr0(0x30n), { profile: 'qemu' })).toEqual([]);
  });

  it('more than one VMSA', () => {
    const w = warningsOf(twoVmsas, { profile: 'qemu', vcpus: 2 });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/VMSA/);
    expect(w[0]).toMatch(/\b2\b/);
  });

  it('ParameterInsert after the VMSA; the digest still puts the VMSA last', () => {
    const w = warningsOf(insertAfter, { profile: 'qemu' });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/PARAMETER_INSERT|ParameterInsert/);
    const e = entry(insertAfter, 'SEV_SNP', { profile: 'qemu' });
    expect('digest' in e && hex(e.digest)).toBe(
      expectedLaunchDigest([
        { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
        { type: 'UNMEASURED', gpa: 0x10000n },
        { type: 'UNMEASURED', gpa: 0x11000n },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
  });

  it('all four at once are all reported', () => {
    const all = load(
      snpBase()
        .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x1000 })
        .vmsa({ compatibilityMask: SNP, gpa: 0x7000, vpIndex: 0, vmsa: vmsaPage(0x11n, 0n) })
        .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vpIndex: 1, vmsa: AP1 })
        .parameterInsert({ gpa: 0x10000, compatibilityMask: SNP, parameterAreaIndex: 0 })
        .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }),
    );
    const list = warningsOf(all, { profile: 'qemu', vcpus: 2 });
    expect(list).toHaveLength(4);
    const w = list.join('\n');
    expect(w).toMatch(/0x7000/);
    expect(w).toMatch(/CR0/i);
    expect(w).toMatch(/PARAMETER_INSERT|ParameterInsert/);
  });

  it.each(['igvm', 'igvmmeasure'] as const)('%s: no KVM checks, so no warnings', (profile) => {
    for (const f of [wrongGpa, cr0(0x10n), twoVmsas, insertAfter]) expect(warningsOf(f, { profile })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

/** A minimal VBS boot-digest reference (vbs-cca-corim.md §1.2), pages only: D = SHA-256(D ‖ record). */
function vbsPagesDigest(pages: ReadonlyArray<{ gpa: bigint; metadata: number; contents?: Uint8Array }>): string {
  let d: Uint8Array = new Uint8Array(32);
  for (const p of pages) {
    const r = new Uint8Array(32 + 32 + 4096);
    const dv = new DataView(r.buffer);
    r.set(d, 0);
    dv.setUint32(32, 4128, true); // byte_count
    dv.setUint32(36, 2, true); // VP_GPA_PAGE
    dv.setBigUint64(48, BigInt(p.metadata), true);
    dv.setBigUint64(56, p.gpa >> 12n, true);
    if (p.contents !== undefined) r.set(p.contents, 64);
    d = sha256(r);
  }
  return hex(d);
}

describe('TDX and VBS under qemu / igvmmeasure: igvm rules, with a note', () => {
  // A TDX file: a data-less page at GPA 0 flagged IS_2MB_PAGE, a shared page with data.
  // tdx.md §2.1: shared skipped, is_2mb_page ignored ⇒ exactly "one measured zero page at
  // GPA 0" of tdx.md §1.3 = 236f0efa…. SNP-style qemu rules (shared measured, 512 pages) would
  // give something else.
  const tdx = load(
    new IgvmBuilder()
      .platform({ compatibilityMask: 0x1, platformType: 'TDX' })
      .pageData({ gpa: 0x0, compatibilityMask: 0x1, flags: PageDataFlags.IS_2MB_PAGE })
      .pageData({ gpa: 0x400000, compatibilityMask: 0x1, data: DATA, flags: PageDataFlags.SHARED }),
  );
  const tdxUnmeasured = load(
    new IgvmBuilder()
      .platform({ compatibilityMask: 0x1, platformType: 'TDX' })
      .pageData({ gpa: 0x0, compatibilityMask: 0x1, flags: PageDataFlags.UNMEASURED })
      .pageData({ gpa: 0x400000, compatibilityMask: 0x1, data: DATA, flags: PageDataFlags.SHARED }),
  );
  const TDX_ZERO_PAGE_AT_0 = '236f0efa607ff8843f1855d7ef80dc3dda8fb455787a186b8787212951eab0096e3193bb26f817c2b63c21f5e10f9938';
  const TDX_UNMEASURED_AT_0 = '8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570';

  // vbs-cca-corim.md §1.4: openvmm's test_vbs_digest, shared page 20 skipped ⇒ 30134c9b….
  const vbs = load(openvmmPages(new IgvmBuilder().platform({ compatibilityMask: 0x1, platformType: 'VSM_ISOLATION' }), 0x1));
  const VBS_OPENVMM = '30134c9bb89cd72d8a418d1e7afb75927f45e8571dda7ac7be87d4b6c72ca64c';

  it('the VBS reference here reproduces 30134c9b… from §1.2 (pages 0–4, 5–9 metadata 4, 10)', () => {
    const pages = [
      { gpa: 0x0n, metadata: 0, contents: page4k(DATA) },
      ...[1, 2, 3, 4].map((p) => ({ gpa: BigInt(p) * 0x1000n, metadata: 0 })),
      ...[5, 6, 7, 8, 9].map((p) => ({ gpa: BigInt(p) * 0x1000n, metadata: 4 })),
      { gpa: 0xa000n, metadata: 0, contents: page4k(DATA) },
    ];
    expect(vbsPagesDigest(pages)).toBe(VBS_OPENVMM);
  });

  it.each(PROFILES)('%s: TDX digests are the igvm ones (tdx.md §1.3 values)', (profile) => {
    expect(hex(measureTdx(tdx, { profile }))).toBe(TDX_ZERO_PAGE_AT_0);
    expect(hex(measureTdx(tdxUnmeasured, { profile }))).toBe(TDX_UNMEASURED_AT_0);
    const e = entry(tdx, 'TDX', { profile });
    expect('digest' in e && hex(e.digest)).toBe(TDX_ZERO_PAGE_AT_0);
  });

  it.each(PROFILES)('%s: VBS digest is the igvm one (30134c9b…)', (profile) => {
    expect(hex(measureVbs(vbs, { profile }))).toBe(VBS_OPENVMM);
    const e = entry(vbs, 'VSM_ISOLATION', { profile });
    expect('digest' in e && hex(e.digest)).toBe(VBS_OPENVMM);
  });

  it('a VBS parameter insert under igvmmeasure still covers the whole area (igvm rules, §1.2)', () => {
    const f = load(
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'VSM_ISOLATION' })
        .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 0x2000 })
        .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
        .parameterInsert({ gpa: 0x10000, compatibilityMask: 0x1, parameterAreaIndex: 0 }),
    );
    const expected = vbsPagesDigest([
      { gpa: 0x0n, metadata: 0, contents: page4k(DATA) },
      { gpa: 0x10000n, metadata: 4 },
      { gpa: 0x11000n, metadata: 4 },
    ]);
    for (const profile of PROFILES) expect(hex(measureVbs(f, { profile }))).toBe(expected);
  });

  it.each(['qemu', 'igvmmeasure'] as const)('%s: TDX and VBS entries carry a note; SNP does not', (profile) => {
    const t = entry(tdx, 'TDX', { profile });
    expect('note' in t && t.note).toMatch(/igvm/);
    const v = entry(vbs, 'VSM_ISOLATION', { profile });
    expect('note' in v && v.note).toMatch(/igvm/);
    const s = entry(load(snpBase().pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP })), 'SEV_SNP', {
      profile,
    });
    expect('digest' in s).toBe(true);
    expect('note' in s ? s.note : undefined).toBeUndefined();
  });

  it('igvm: no note on any platform', () => {
    for (const [f, type] of [
      [tdx, 'TDX'],
      [vbs, 'VSM_ISOLATION'],
    ] as const) {
      const e = entry(f, type, { profile: 'igvm' });
      expect('digest' in e).toBe(true);
      expect('note' in e ? e.note : undefined).toBeUndefined();
    }
  });

  sharedNotice('profiles on upstream TDX/VBS vectors');
  it.skipIf(!HAVE_SHARED)('upstream vectors: TDX and VBS values under qemu and igvmmeasure equal upstream JSON (seed1_01, seed1_02, seed1_04)', () => {
    type Up = { platforms: Array<{ platform_type: string; compatibility_mask: number; tdx_mrtd?: string; vbs_digest?: string }> };
    for (const name of ['seed1_01_tdx', 'seed1_02_vbs_x64', 'seed1_04_multi']) {
      const file = parseIgvm(sharedBytes(`igvm/upstream/${name}.igvm`));
      const up = sharedJson<Up>(`igvm/upstream/${name}.json`);
      for (const profile of ['qemu', 'igvmmeasure'] as const) {
        const got = measure(file, { profile, platform: 'all' }).platforms;
        for (const u of up.platforms) {
          const want = u.tdx_mrtd ?? u.vbs_digest;
          if (want === undefined) continue;
          const g = got.find((p) => p.compatibilityMask === u.compatibility_mask);
          expect(g && 'digest' in g ? hex(g.digest) : g, `${name} ${u.platform_type} ${profile}`).toBe(want);
          expect(g && 'note' in g ? g.note : undefined).toBeTruthy();
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('the maxPages guard', () => {
  // One 16 TiB parameter area (2^44 bytes = 2^32 pages, no data) inserted for all three
  // platforms. A page for no platform gives the file the data section the format requires.
  const hugeBytes = new IgvmBuilder()
    .platform({ compatibilityMask: 0x1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 0x2, platformType: 'TDX' })
    .platform({ compatibilityMask: 0x4, platformType: 'VSM_ISOLATION' })
    .guestPolicy({ policy: POLICY, compatibilityMask: 0x1 })
    .parameterArea({ parameterAreaIndex: 0, numberOfBytes: 1n << 44n })
    .parameterInsert({ gpa: 0x0, compatibilityMask: 0x7, parameterAreaIndex: 0 })
    .pageData({ gpa: 0x0, compatibilityMask: 0x8, data: DATA })
    .vmsa({ compatibilityMask: 0x1, gpa: KVM_GPA, vmsa: BSP })
    .toBytes();

  it('a 16 TiB parameter insert fails with TooManyPages for SNP, TDX and VBS, quickly', () => {
    // A hang (hashing 2^32 pages) would hit vitest's test timeout; no time is asserted here.
    const file = parseIgvm(hugeBytes);
    const r = measure(file, { profile: 'igvm' });
    expect(codeOf(() => measureSnp(file))).toBe('TooManyPages');
    expect(codeOf(() => measureTdx(file))).toBe('TooManyPages');
    expect(codeOf(() => measureVbs(file))).toBe('TooManyPages');
    expect(r.platforms.map((p) => [p.platformType, 'error' in p ? p.error.code : 'no error'])).toEqual([
      ['SEV_SNP', 'TooManyPages'],
      ['TDX', 'TooManyPages'],
      ['VSM_ISOLATION', 'TooManyPages'],
    ]);
  });

  it('qemu: SNP (whole area, §2.5) and TDX/VBS fail; igvmmeasure SNP measures one page (§2.3)', () => {
    const file = parseIgvm(hugeBytes);
    const q = measure(file, { profile: 'qemu' });
    const m = measure(file, { profile: 'igvmmeasure' });
    expect(q.platforms.map((p) => ('error' in p ? p.error.code : 'no error'))).toEqual(['TooManyPages', 'TooManyPages', 'TooManyPages']);
    const [s, t, v] = m.platforms;
    expect(s && 'digest' in s && hex(s.digest)).toBe(
      expectedLaunchDigest([
        { type: 'UNMEASURED', gpa: 0x0n },
        { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
      ]),
    );
    expect(t && 'error' in t && t.error.code).toBe('TooManyPages');
    expect(v && 'error' in v && v.error.code).toBe('TooManyPages');
  });

  const small = load(
    snpBase()
      .pageData({ gpa: 0x0, compatibilityMask: SNP, data: DATA })
      .pageData({ gpa: 0x1000, compatibilityMask: SNP, data: DATA2 })
      .pageData({ gpa: 0x2000, compatibilityMask: SNP })
      .vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }),
  );
  const smallSteps: PageInfoStep[] = [
    { type: 'NORMAL', gpa: 0x0n, contents: page4k(DATA) },
    { type: 'NORMAL', gpa: 0x1000n, contents: page4k(DATA2) },
    { type: 'NORMAL', gpa: 0x2000n },
    { type: 'VMSA', gpa: KVM_GPA, contents: BSP },
  ];

  it('SNP: 4 steps pass by default and with maxPages 4, fail with maxPages 3', () => {
    expect(snp(small, 'igvm')).toBe(expectedLaunchDigest(smallSteps));
    expect(snp(small, 'igvm', { maxPages: 4 })).toBe(expectedLaunchDigest(smallSteps));
    expect(codeOf(() => measureSnp(small, { profile: 'igvm', maxPages: 3 }))).toBe('TooManyPages');
    const e = entry(small, 'SEV_SNP', { maxPages: 3 });
    expect('error' in e && e.error.code).toBe('TooManyPages');
  });

  it('qemu: the VMSAs of every vCPU count (3 pages + 2 VMSAs = 5)', () => {
    expect(snp(small, 'qemu', { vcpus: 2, apVmsa: AP_EXTRA, maxPages: 5 })).toBe(expectedLaunchDigest([...smallSteps, { type: 'VMSA', gpa: KVM_GPA, contents: AP_EXTRA }]));
    expect(codeOf(() => measureSnp(small, { profile: 'qemu', vcpus: 2, apVmsa: AP_EXTRA, maxPages: 4 }))).toBe('TooManyPages');
  });

  it('qemu: a 2 MiB page counts 512 steps', () => {
    const f = load(snpBase().pageData({ gpa: 0x200000, compatibilityMask: SNP, flags: PageDataFlags.IS_2MB_PAGE }).vmsa({ compatibilityMask: SNP, gpa: KVM_GPA, vmsa: BSP }));
    expect(codeOf(() => measureSnp(f, { profile: 'qemu', maxPages: 512 }))).toBe('TooManyPages');
    expect(snp(f, 'qemu', { maxPages: 513 })).toBe(expectedLaunchDigest([...run('NORMAL', 0x200000n, 512), { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
    // igvm: one step.
    expect(snp(f, 'igvm', { maxPages: 2 })).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x200000n }, { type: 'VMSA', gpa: KVM_GPA, contents: BSP }]));
  });

  it('TDX and VBS: 3 pages fail with maxPages 2 and pass by default', () => {
    for (const type of ['TDX', 'VSM_ISOLATION'] as const) {
      const f = load(
        new IgvmBuilder()
          .platform({ compatibilityMask: 0x1, platformType: type })
          .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
          .pageData({ gpa: 0x1000, compatibilityMask: 0x1, data: DATA2 })
          .pageData({ gpa: 0x2000, compatibilityMask: 0x1 }),
      );
      const fn = type === 'TDX' ? measureTdx : measureVbs;
      expect(codeOf(() => fn(f, { maxPages: 2 })), type).toBe('TooManyPages');
      expect(codeOf(() => fn(f, { maxPages: 3 })), type).toBe('no error');
      expect(codeOf(() => fn(f)), type).toBe('no error');
    }
    // The VBS value from the reference above, to be sure the default run is not just "no error".
    const v = load(
      new IgvmBuilder()
        .platform({ compatibilityMask: 0x1, platformType: 'VSM_ISOLATION' })
        .pageData({ gpa: 0x0, compatibilityMask: 0x1, data: DATA })
        .pageData({ gpa: 0x1000, compatibilityMask: 0x1, data: DATA2 })
        .pageData({ gpa: 0x2000, compatibilityMask: 0x1 }),
    );
    expect(hex(measureVbs(v))).toBe(
      vbsPagesDigest([
        { gpa: 0x0n, metadata: 0, contents: page4k(DATA) },
        { gpa: 0x1000n, metadata: 0, contents: page4k(DATA2) },
        { gpa: 0x2000n, metadata: 0 },
      ]),
    );
  });
});
