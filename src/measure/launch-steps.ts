/**
 * The neutral launch-step stream (spec/firmware-input.md §6.1): what a host's loader hands the
 * platform security processor, one primitive operation at a time, independent of where the
 * operation came from. IGVM directives (through the walker's operations, steps.ts) and firmware
 * images (src/firmware) both lower into these steps; the SNP and TDX models fold them with their
 * own primitives (`SnpLaunchDigest.pageInfo`, `TdxMrtd.pageAdd` / `extendPage`), whose interfaces
 * do not change.
 *
 * TDX page-add and extend are separate steps so that both host orderings of §5.3 (single-pass:
 * add then extend per page; two-pass: all adds of a section, then all extends) can be expressed.
 *
 * Every step carries its source (file label, byte offset) and a short reason, for `--trace`.
 * The batched hot loop (batch.ts) does not go through these objects: it lowers walker operations
 * straight into step arrays with the same meaning, and is tested against the same vectors.
 */
import type { MeasureOp, OpSource } from './steps.js';
import type { SnpPageTypeName } from './snp.js';

/** Where a step came from: input label, header index, byte offset and a short reason ({@link OpSource}). */
export type StepSource = OpSource;

/** An SNP page step (SNP_LAUNCH_UPDATE of one 4 KiB page, snp.md §1.4). */
export interface SnpPageStep {
  readonly kind: 'page';
  readonly gpa: bigint;
  /** PAGE_INFO page type; VMSA pages are {@link SnpVmsaStep}s. */
  readonly type: Exclude<SnpPageTypeName, 'VMSA'>;
  /** The page contents, NORMAL only: at most 4096 bytes, zero-padded; absent = a zero page. */
  readonly bytes?: Uint8Array;
  readonly source: StepSource;
}

/** An SNP VMSA step (a VMSA page, measured at LAUNCH_UPDATE or LAUNCH_FINISH, snp.md §1.5). */
export interface SnpVmsaStep {
  readonly kind: 'vmsa';
  readonly gpa: bigint;
  /** The VMSA page (4096 bytes, or fewer, zero-padded). */
  readonly bytes: Uint8Array;
  readonly source: StepSource;
}

/** One SNP launch step. */
export type SnpStep = SnpPageStep | SnpVmsaStep;

/** TDH.MEM.PAGE.ADD of one 4 KiB page (tdx.md §1.1, firmware-input.md §5.1). */
export interface TdxAddStep {
  readonly kind: 'tdx-add';
  readonly gpa: bigint;
  readonly source: StepSource;
}

/** The sixteen TDH.MR.EXTENDs of one 4 KiB page (the model splits it into 256-byte chunks). */
export interface TdxExtendStep {
  readonly kind: 'tdx-extend';
  readonly gpa: bigint;
  /** The page (at most 4096 bytes; zero-padded to 4096). */
  readonly bytes: Uint8Array;
  readonly source: StepSource;
}

/** One TDX launch step. */
export type TdxStep = TdxAddStep | TdxExtendStep;

/**
 * One piece of input to the SEV / SEV-ES launch SHA-256 (firmware-input.md §6.2 item 5): the
 * bytes the host encrypts with LAUNCH_UPDATE_DATA or LAUNCH_UPDATE_VMSA, in order. No GPA or
 * page type enters that hash, so a chunk is only its bytes and what they are.
 */
export interface SevChunk {
  /** What the bytes are, e.g. `OVMF image (0x1000 bytes)`, `kernel-hashes table`, `VMSA vCPU 0 (BSP)`. */
  readonly what: string;
  /** The bytes hashed (a view into the image for the image chunk). */
  readonly bytes: Uint8Array;
}

const PAGE = 4096;
const EMPTY = new Uint8Array(0);

/** Options of the IGVM → SNP step lowering. */
export interface SnpLoweringOptions {
  /** Data-less NORMAL pages as native ZERO pages (snp.md §2.3 `--native-zero`). */
  readonly nativeZero?: boolean;
}

/**
 * The SNP steps of one walker operation (snp.md §2.2): SECRETS and CPUID data types keep their
 * page types, unmeasured pages become UNMEASURED, NORMAL pages carry their data (only the first
 * page of an operation has any; 2 MiB pages are zero beyond it), data-less pages are NORMAL with
 * a zero page or, with `nativeZero`, ZERO. VMSAs are VMSA steps; error ranges and VBS registers
 * produce nothing.
 */
export function* snpStepsOfOp(op: MeasureOp, options: SnpLoweringOptions = {}): Generator<SnpStep> {
  if (op.op === 'vmsa') {
    yield { kind: 'vmsa', gpa: op.gpa, bytes: op.vmsa, source: op.source };
    return;
  }
  if (op.op !== 'pages' || op.origin === 'error-range') return;
  const type = snpPageTypeOf(op);
  for (let i = 0; i < op.count; i++) {
    const gpa = op.gpa + BigInt(i) * 4096n;
    if (type !== 'NORMAL') {
      yield { kind: 'page', gpa, type, source: op.source };
      continue;
    }
    const data = i === 0 ? op.data.bytes() : EMPTY;
    if (data.length === 0 && options.nativeZero === true) yield { kind: 'page', gpa, type: 'ZERO', source: op.source };
    else yield { kind: 'page', gpa, type: 'NORMAL', bytes: data, source: op.source };
  }
}

/**
 * The TDX steps of one walker operation (tdx.md §2.1): every page is added; measured pages are
 * then extended with their data (zero-padded; empty data extends a zero page, as upstream).
 * Single-pass order, as every IGVM loader does. Error ranges and VP contexts produce nothing.
 */
export function* tdxStepsOfOp(op: MeasureOp): Generator<TdxStep> {
  if (op.op !== 'pages' || op.origin === 'error-range') return;
  for (let i = 0; i < op.count; i++) {
    const gpa = op.gpa + BigInt(i) * 4096n;
    yield { kind: 'tdx-add', gpa, source: op.source };
    if (!op.unmeasured) yield { kind: 'tdx-extend', gpa, bytes: i === 0 ? op.data.bytes() : EMPTY, source: op.source };
  }
}

/** The SNP page type of a pages operation (snp.md §2.2), NORMAL when it carries contents. */
export function snpPageTypeOf(op: { readonly dataType: string; readonly unmeasured: boolean }): Exclude<SnpPageTypeName, 'VMSA'> {
  if (op.dataType === 'SECRETS') return 'SECRETS';
  if (op.dataType === 'CPUID_DATA' || op.dataType === 'CPUID_XF') return 'CPUID';
  return op.unmeasured ? 'UNMEASURED' : 'NORMAL';
}

/** `bytes` zero-padded to one page, in `scratch` unless it already is a full page. */
export function padToPage(bytes: Uint8Array, scratch: Uint8Array): Uint8Array {
  if (bytes.length === PAGE) return bytes;
  if (bytes.length > PAGE) throw new RangeError(`a page step carries ${bytes.length} bytes (at most ${PAGE})`);
  scratch.fill(0);
  scratch.set(bytes);
  return scratch;
}
