/**
 * The TDX MRTD (spec/tdx.md §1): one running SHA-384 over a 128-byte MEM.PAGE.ADD buffer per
 * 4 KiB page and, for measured pages, sixteen 384-byte MR.EXTEND records (header + 256 data
 * bytes). Unmeasured pages are added only; shared pages never reach the model.
 */
import { StepArrays, pageGpa, type BatchRunner, type PageBatch, type StepJob } from './batch.js';
import type { HashBackend, Hasher } from './hash.js';
import type { HashKernels, TdxState } from './kernels.js';
import { padToPage, tdxStepsOfOp, type TdxStep } from './launch-steps.js';
import type { MeasureOp, ModelOptions, OpSource } from './steps.js';

const PAGE_ADD_SIZE = 128;
const EXTEND_HEADER_SIZE = 128;
const CHUNK = 256;
const ASCII = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Folds operations into an MRTD. */
export class TdxMrtd {
  private readonly hasher: Hasher;
  private readonly add = new Uint8Array(PAGE_ADD_SIZE);
  private readonly addView = new DataView(this.add.buffer);
  private readonly extend = new Uint8Array(EXTEND_HEADER_SIZE);
  private readonly extendView = new DataView(this.extend.buffer);
  private readonly page = new Uint8Array(4096);
  private steps = 0;

  constructor(
    private readonly hash: HashBackend,
    private readonly options: ModelOptions = {},
  ) {
    this.hasher = hash.createSha384();
    // "MEM.PAGE.ADD" and "MR.EXTEND", NUL-padded to 16 bytes; the rest of each header is zero
    // but for the GPA at offset 16 (spec/tdx.md §1.1).
    this.add.set(ASCII('MEM.PAGE.ADD'), 0);
    this.extend.set(ASCII('MR.EXTEND'), 0);
  }

  /** TDH.MEM.PAGE.ADD of the page at `gpa`. */
  pageAdd(gpa: bigint, source: OpSource = { reason: 'page' }): void {
    this.addView.setBigUint64(16, gpa, true);
    this.hasher.update(this.add);
    this.traceStep('mem_page_add', gpa, undefined, source);
  }

  /** The sixteen TDH.MR.EXTENDs of a 4 KiB page's contents (`page` is exactly 4096 bytes). */
  extendPage(gpa: bigint, page: Uint8Array, source: OpSource = { reason: 'page' }): void {
    for (let k = 0; k < 16; k++) {
      this.extendView.setBigUint64(16, gpa + BigInt(k * CHUNK), true);
      this.hasher.update(this.extend);
      this.hasher.update(page.subarray(k * CHUNK, (k + 1) * CHUNK));
    }
    this.traceStep('mr_extend', gpa, page, source);
  }

  /** One neutral launch step (launch-steps.ts): a page add, or the extends of one page. */
  step(s: TdxStep): void {
    if (s.kind === 'tdx-add') this.pageAdd(s.gpa, s.source);
    else this.extendPage(s.gpa, padToPage(s.bytes, this.page), s.source);
  }

  /** Applies one walker operation (spec/tdx.md §2.1; data types are ignored): its TDX steps. */
  apply(op: MeasureOp): void {
    for (const s of tdxStepsOfOp(op)) this.step(s);
  }

  /** The MRTD. Ends the hash: call once, after the last operation. */
  finish(): Uint8Array {
    return this.hasher.digest();
  }

  private traceStep(record: string, gpa: bigint, page: Uint8Array | undefined, source: OpSource): void {
    this.steps++;
    const trace = this.options.trace;
    if (trace === undefined) return;
    const step = {
      step: this.steps,
      platform: this.options.platform ?? 'TDX',
      record,
      gpa,
      digest: this.hasher.copy().digest(),
      source,
    };
    trace(page === undefined ? step : { ...step, pageType: 'x16', contents: this.hash.sha384(page) });
  }
}

/** One batch of TDX steps: `measured[i]` is 1 when page i is extended after it is added (spec/tdx.md §1.2). */
export interface TdxJob extends StepJob {
  readonly measured: Uint8Array;
}

/** The TDX model over batches (batch.ts): one `tdxPages` kernel call per batch. */
export class TdxBatchRunner implements BatchRunner {
  readonly steps = new StepArrays();
  private readonly state: TdxState;

  constructor(private readonly kernels: HashKernels) {
    this.state = kernels.tdxNew();
  }

  lower(op: MeasureOp, page: number, batch: PageBatch): boolean {
    // TDX has no VP context and does not measure error ranges (spec/tdx.md §2.1).
    if (op.op !== 'pages' || op.origin === 'error-range') return true;
    const gpa = pageGpa(op.gpa, page);
    if (op.unmeasured) {
      this.steps.push(gpa, -1, 0);
      return true;
    }
    const slot = page === 0 ? batch.slotFor(op.data) : -1;
    if (slot === undefined) return false;
    this.steps.push(gpa, slot, 1);
    return true;
  }

  run(batch: PageBatch): void {
    const n = this.steps.count;
    this.kernels.tdxPages(this.state, batch.pages, this.steps.slots.subarray(0, n), this.steps.gpas.subarray(0, n), this.steps.tags.subarray(0, n));
    this.steps.count = 0;
  }

  /** The batch's steps as a job for a worker that holds the MRTD state. */
  takeJob(): TdxJob {
    const { tags, ...steps } = this.steps.take();
    return { ...steps, measured: tags };
  }

  finish(): Uint8Array {
    return this.kernels.tdxDigest(this.state);
  }
}
