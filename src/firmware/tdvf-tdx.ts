/**
 * TDVF → TDX MRTD steps (spec/firmware-input.md §5): the TDH.MEM.PAGE.ADD and TDH.MR.EXTEND
 * operations a TDX host performs for the sections of a TDVF image's TDX metadata (§1.4), in
 * the order the host chooses (§5.3), as neutral launch steps (launch-steps.ts, §6.1) that
 * `TdxMrtd` folds into the MRTD (§5.1).
 *
 * What enters MRTD (§5.2, §0 item 4): the section table (GPAs, sizes, attributes) and the bytes
 * of MR.EXTEND sections (the BFV for OVMF). The VARS/CFV contents, the TD HOB the VMM builds,
 * vCPU count and RAM size do not. The one host parameter is the ordering, `single` (upstream
 * KVM / QEMU ≥ 9, td-shim, tdx-measure, gce-tcb-verifier) or `two-pass` (QEMU 8.x stacks,
 * dstack-mr for 8.x, Oak stage0).
 *
 * Not modelled: GCE's "measure all regions" quirk (§5.3, `LaunchOptionsDefaultTDHOBBug` in
 * gce-tcb-verifier), which MR.EXTENDs every region including a TD HOB built from the machine
 * shape's RAM banks; it needs the machine type and is off by default there too (§6.3).
 */
import { foldTdxSteps } from '../measure/fold.js';
import { defaultHashBackend } from '../measure/hash-default.js';
import type { HashBackend } from '../measure/hash.js';
import type { StepSource, TdxStep } from '../measure/launch-steps.js';
import { hexNumber } from '../format/bytes.js';
import { FirmwareError } from './errors.js';
import { FIRMWARE_PAGE_SIZE } from './footer.js';
import { TDX_METADATA_SECTION, parseTdxMetadata, tdxSectionRawData, type TdxMetadataSection } from './tdx-metadata.js';

/**
 * The host's page-add ordering (§5.3). `single`: for each section, for each page, PAGE.ADD then
 * (if MR.EXTEND) its 16 extends. `two-pass`: for each section, all its PAGE.ADDs, then all its
 * MR.EXTENDs.
 */
export type TdxOrder = 'single' | 'two-pass';

/** Orderings accepted by {@link tdvfTdxSteps}. */
export const TDX_ORDERS: readonly TdxOrder[] = ['single', 'two-pass'];

/**
 * Default cap on the pages a TDVF table may have the host add at build time: 0x40000 pages
 * (1 GiB). Stock OVMF adds about 1,050 (§1.4: BFV 0x37C pages, CFV 0x84, TempMem and TD_HOB a
 * few dozen); PAGE.AUG sections (td-shim's PermMem, §5.2) add none and do not count. The spec
 * sets no limit; this one only bounds the work and memory an untrusted table can demand.
 */
export const TDVF_DEFAULT_MAX_PAGES = 0x40000;

/** Options of the TDVF → TDX lowering (§6.3 "TDX page-add ordering"). */
export interface TdvfTdxOptions {
  /** Page-add ordering (§5.3); default `single` (upstream KVM / QEMU ≥ 9). */
  readonly order?: TdxOrder;
  /** Label for the steps' sources (`StepSource.file`); default `TDVF`. */
  readonly file?: string;
  /**
   * Refuse a table whose sections would add more than this many pages (PAGE.AUG sections do not
   * count) with `FirmwareError('ImageTooLarge')`, before any step is made. Default
   * {@link TDVF_DEFAULT_MAX_PAGES}.
   */
  readonly maxPages?: number;
  /** Also apply QEMU's per-type RawDataSize rules (§5.2), as `parseTdxMetadata`'s `strict`. */
  readonly strict?: boolean;
}

const PAGE = FIRMWARE_PAGE_SIZE;
const PAGE_N = BigInt(PAGE);

/** One section, checked and ready to lower. */
interface PlannedSection {
  readonly section: TdxMetadataSection;
  /** Pages to lower: MemoryDataSize / 4096, 0 for PAGE.AUG (the sum is bounded by `maxPages`). */
  readonly pages: number;
  /** The image bytes of an MR.EXTEND section (RawDataSize of them); empty otherwise. */
  readonly raw: Uint8Array;
  /** `TDX meta #i TYPE`, the prefix of every step reason. */
  readonly label: string;
}

function checkOptions(options: TdvfTdxOptions): { order: TdxOrder; file: string; maxPages: number } {
  const order = options.order ?? 'single';
  if (!TDX_ORDERS.includes(order)) {
    throw new FirmwareError('InvalidHostParameter', `TDX page-add ordering ${String(order)} is not 'single' or 'two-pass' (§5.3)`);
  }
  const maxPages = options.maxPages ?? TDVF_DEFAULT_MAX_PAGES;
  if (!Number.isSafeInteger(maxPages) || maxPages < 0) {
    throw new FirmwareError('InvalidHostParameter', `maxPages ${String(maxPages)} is not a non-negative integer`);
  }
  return { order, file: options.file ?? 'TDVF', maxPages };
}

/**
 * Reads and checks the table, and bounds the work, before any step exists: everything that can
 * be wrong with the image is reported here, so the step generator itself cannot fail.
 */
function planSections(image: Uint8Array, options: TdvfTdxOptions, maxPages: number): PlannedSection[] {
  // §5.4 steps 1–2 and the §5.2 rules (4 KiB alignment of MemoryAddress / MemoryDataSize,
  // MemoryDataSize ≥ RawDataSize, no overlap) are parseTdxMetadata's; its section count is
  // bounded by the image length (32 bytes each).
  const meta = parseTdxMetadata(image, { strict: options.strict === true });

  let total = 0n;
  for (const s of meta.sections) {
    if (s.pageAug && s.mrExtend) {
      // §5.4 step 3 read literally would extend pages that were never added. TDH.MR.EXTEND
      // works only on pages added at build time, and PAGE.AUG pages arrive after MRTD is
      // finalised (§1.4), so no host can perform this launch: refuse it rather than invent a
      // digest for it.
      throw new FirmwareError(
        'BadTdxMetadata',
        `TDX metadata section ${s.index} (${s.type}): attributes ${hexNumber(s.attributes)} ask for MR.EXTEND of PAGE.AUG pages, which are never added at build time`,
        s.offset + TDX_METADATA_SECTION.fields.attributes.offset,
      );
    }
    if (!s.pageAug) total += s.memoryDataSize / PAGE_N;
    // Checked as the sum grows, so a single absurd u64 size is refused before any allocation.
    if (total > BigInt(maxPages)) {
      throw new FirmwareError(
        'ImageTooLarge',
        `TDX metadata sections 0–${s.index} add ${total} pages at build time; the limit is ${maxPages} (${hexNumber(maxPages * PAGE)} bytes)`,
        s.offset + TDX_METADATA_SECTION.fields.memoryDataSize.offset,
      );
    }
  }

  return meta.sections.map((section) => ({
    section,
    // PAGE.AUG pages are not added (nor, as checked above, extended): none to walk, and their
    // count is the one `maxPages` does not bound.
    pages: section.pageAug ? 0 : Number(section.memoryDataSize / PAGE_N),
    // Only MR.EXTEND sections are read (§5.2: the others' bytes are not in MRTD), so a CFV whose
    // offsets point outside a CODE-only image is not an error; a BFV's is (`Truncated`).
    raw: section.mrExtend && section.rawDataSize > 0 ? tdxSectionRawData(image, section) : new Uint8Array(0),
    label: `TDX meta #${section.index} ${section.type}`,
  }));
}

/** The PAGE.ADD of page `p` of a section (§5.1); its source is the section's 32-byte entry. */
function addStep(s: PlannedSection, p: number, file: string): TdxStep {
  const source: StepSource = { file, fileOffset: s.section.offset, reason: `${s.label} page ${p}` };
  return { kind: 'tdx-add', gpa: s.section.memoryAddress + BigInt(p) * PAGE_N, source };
}

/**
 * The 16 MR.EXTENDs of page `p` of an MR.EXTEND section (§5.1, §5.4 step 3): the bytes at
 * DataOffset + 4096p, cut at RawDataSize. The step's `bytes` are then shorter than 4096 (empty
 * for a page wholly past RawDataSize) and the model zero-pads them (launch-steps.ts
 * `TdxExtendStep`): td-shim's reading, which §5.2 calls the safe one. virtee/tdx-measure and
 * dstack-mr would instead read the image bytes that follow the section; they agree with this
 * whenever RawDataSize = MemoryDataSize, as in stock OVMF. `bytes` is a view of the image.
 */
function extendStep(s: PlannedSection, p: number, file: string): TdxStep {
  const gpa = s.section.memoryAddress + BigInt(p) * PAGE_N;
  const start = p * PAGE;
  if (start >= s.raw.length) {
    return { kind: 'tdx-extend', gpa, bytes: s.raw.subarray(0, 0), source: { file, reason: `${s.label} page ${p} (zero, past RawDataSize)` } };
  }
  const bytes = s.raw.subarray(start, start + PAGE);
  const padded = bytes.length < PAGE ? ' (zero-padded past RawDataSize)' : '';
  return {
    kind: 'tdx-extend',
    gpa,
    bytes,
    source: { file, fileOffset: s.section.dataOffset + start, reason: `${s.label} page ${p}${padded}` },
  };
}

function* lower(plan: readonly PlannedSection[], order: TdxOrder, file: string): Generator<TdxStep, void, undefined> {
  // §5.3 / §5.4 step 3: sections in table order; PAGE.AUG pages are not added; MR.EXTEND pages
  // are extended, right after their add (single) or after all the section's adds (two-pass).
  for (const s of plan) {
    // A PAGE.AUG section yields nothing (planSections refused PAGE.AUG with MR.EXTEND).
    if (s.section.pageAug) continue;
    const extend = s.section.mrExtend;
    if (order === 'single') {
      for (let p = 0; p < s.pages; p++) {
        yield addStep(s, p, file);
        if (extend) yield extendStep(s, p, file);
      }
    } else {
      for (let p = 0; p < s.pages; p++) yield addStep(s, p, file);
      if (extend) for (let p = 0; p < s.pages; p++) yield extendStep(s, p, file);
    }
  }
}

/**
 * The TDX launch steps of a TDVF image, lazily (§5.4). All checks run when this is called, not
 * while iterating: the image and its table are validated and the page total bounded first, so
 * the iterator never throws and holds no per-page memory.
 *
 * @throws FirmwareError from `parseTdxMetadata` (`NotMultipleOf4K`, footer-table codes,
 *   `NoTdxMetadata`, `BadTdxMetadata` incl. misaligned MemoryAddress / MemoryDataSize and
 *   RawDataSize > MemoryDataSize, `UnknownSectionType`, `OverlappingSections`, `Truncated`);
 *   `Truncated` when an MR.EXTEND section's raw data lies past the image end; `BadTdxMetadata`
 *   for a section with both MR.EXTEND and PAGE.AUG; `ImageTooLarge` beyond `maxPages`;
 *   `InvalidHostParameter` for bad options.
 */
export function tdvfTdxStepIter(image: Uint8Array, options: TdvfTdxOptions = {}): Generator<TdxStep, void, undefined> {
  const { order, file, maxPages } = checkOptions(options);
  const plan = planSections(image, options, maxPages);
  return lower(plan, order, file);
}

/**
 * The TDX launch steps of a TDVF image as an array (§5.4): `tdx-add` per page of every section
 * not marked PAGE.AUG, `tdx-extend` (16 MR.EXTENDs) per page of MR.EXTEND sections, in the
 * chosen ordering (§5.3). Throws as {@link tdvfTdxStepIter}.
 */
export function tdvfTdxSteps(image: Uint8Array, options: TdvfTdxOptions = {}): TdxStep[] {
  return Array.from(tdvfTdxStepIter(image, options));
}

/**
 * The MRTD (48 bytes) of a TDVF image (§5.4 step 4). For the §5.5 stand-in image it is
 * `e33f9524…` single-pass and `849ad4d1…` two-pass (cross-implementation values, not hardware).
 * Throws as {@link tdvfTdxStepIter}.
 */
export function tdvfMrtd(image: Uint8Array, options: TdvfTdxOptions = {}, hash: HashBackend = defaultHashBackend): Uint8Array {
  return foldTdxSteps(tdvfTdxStepIter(image, options), hash);
}
