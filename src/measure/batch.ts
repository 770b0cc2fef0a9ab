/**
 * The batched hot loop: page data is read straight into a bounded buffer of 4 KiB slots (a
 * `PageBatch`), each platform lowers its walker operations into flat step arrays, and one
 * kernel call per batch and platform hashes them (kernels.ts). Platforms advance in lockstep
 * through the directives, so a page that several platforms load is read once per batch.
 * Memory is bounded by the batch size, whatever the file size (DESIGN.md "Performance";
 * the step meanings are spec/snp.md §1.2, tdx.md §1.2, vbs-cca-corim.md §1.2).
 */
import type { IgvmData } from '../format/index.js';
import { SLOT_SIZE } from './kernels.js';
import type { MeasureOp } from './steps.js';

/** Page slots per batch: 1024 × 4 KiB = 4 MiB. */
export const DEFAULT_BATCH_SLOTS = 1024;
/** Steps per platform per batch (unmeasured runs need no slot, so steps can outnumber slots). */
export const DEFAULT_BATCH_STEPS = 4096;

/** A buffer of page slots, filled by coalesced positional reads. */
export class PageBatch {
  readonly pages: Uint8Array;
  private used = 0;
  private readonly slotOf = new Map<unknown, number>();
  /** A pending read of consecutive file bytes into consecutive slots. */
  private run: { data: IgvmData; fileOffset: number; slot: number; count: number } | undefined;

  constructor(
    readonly capacity: number = DEFAULT_BATCH_SLOTS,
    shared = false,
  ) {
    const bytes = capacity * SLOT_SIZE;
    this.pages = new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  /** Slots in use. */
  get size(): number {
    return this.used;
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.used = 0;
    this.slotOf.clear();
    this.run = undefined;
  }

  /**
   * The slot holding `data` (at most 4 KiB, zero-padded), reading it if this batch does not
   * have it yet; -1 for empty data (a zero page); undefined when the batch is full.
   */
  slotFor(data: IgvmData): number | undefined {
    if (data.length === 0) return -1;
    const key = data.source !== undefined ? data.sourceOffset : data;
    const known = this.slotOf.get(key);
    if (known !== undefined) return known;
    if (this.used === this.capacity) return undefined;
    const slot = this.used++;
    this.slotOf.set(key, slot);
    const src = data.source;
    if (src?.readInto !== undefined && data.sourceOffset !== undefined && data.length === SLOT_SIZE) {
      const r = this.run;
      if (r !== undefined && r.data.source === src && r.fileOffset + r.count * SLOT_SIZE === data.sourceOffset && r.slot + r.count === slot) {
        r.count++;
      } else {
        this.flush();
        this.run = { data, fileOffset: data.sourceOffset, slot, count: 1 };
      }
    } else {
      const bytes = data.bytes();
      const at = slot * SLOT_SIZE;
      this.pages.set(bytes.subarray(0, SLOT_SIZE), at);
      this.pages.fill(0, at + Math.min(bytes.length, SLOT_SIZE), at + SLOT_SIZE);
    }
    return slot;
  }

  /** Performs the pending read; call before the slots are hashed. */
  flush(): void {
    const r = this.run;
    if (r === undefined) return;
    this.run = undefined;
    r.data.source!.readInto!(r.fileOffset, this.pages, r.slot * SLOT_SIZE, r.count * SLOT_SIZE);
  }
}

/**
 * Flat per-step arrays of one platform within one batch: the GPA, the page slot, and one byte
 * per step whose meaning is the lane's own and which its job names (`SnpJob.pageTypes`: the
 * PAGE_INFO page type; `TdxJob.measured`: 1 when the page is extended; `VbsJob.metadata`: the
 * page record's metadata). It is what each lane's kernel takes (kernels.ts).
 */
export class StepArrays {
  readonly gpas: BigUint64Array;
  readonly slots: Int32Array;
  /** The lane's per-step byte (see the class comment); read it through the lane's job name. */
  readonly tags: Uint8Array;
  count = 0;

  constructor(readonly capacity: number = DEFAULT_BATCH_STEPS) {
    this.gpas = new BigUint64Array(capacity);
    this.slots = new Int32Array(capacity);
    this.tags = new Uint8Array(capacity);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  push(gpa: bigint, slot: number, tag: number): void {
    const i = this.count++;
    this.gpas[i] = gpa;
    this.slots[i] = slot;
    this.tags[i] = tag;
  }

  /** The steps lowered so far, as a job that can travel to a worker (copies); empties the arrays. */
  take(): StepJob & { readonly tags: Uint8Array } {
    const n = this.count;
    this.count = 0;
    return { slots: this.slots.slice(0, n), gpas: this.gpas.slice(0, n), tags: this.tags.slice(0, n) };
  }
}

/** One batch's steps of one platform, detached from the lowering arrays; each lane's job adds its per-step byte under its own name. */
export interface StepJob {
  readonly slots: Int32Array;
  readonly gpas: BigUint64Array;
}

/** One platform's lowering of operations into steps and its kernels over them. */
export interface BatchRunner {
  readonly steps: StepArrays;
  /**
   * Lowers page `page` of `op` (for VMSA and register operations `page` is 0) into a step;
   * false when the batch has no slot left for its data.
   */
  lower(op: MeasureOp, page: number, batch: PageBatch): boolean;
  /** Hashes the steps lowered so far (the batch is flushed) and empties the step arrays. */
  run(batch: PageBatch): void;
  /** The digest, after the last batch. */
  finish(): Uint8Array;
}

/** The GPA of page `page` of a run starting at `gpa` (no bigint arithmetic for the first page). */
export function pageGpa(gpa: bigint, page: number): bigint {
  return page === 0 ? gpa : gpa + BigInt(page * 4096);
}

/** Steps of an operation: its page count, or one for VMSA and register operations. */
function stepsOf(op: MeasureOp): number {
  return op.op === 'pages' ? op.count : 1;
}

/** Walks one platform's operations page by page. */
export class OpCursor {
  private readonly it: Iterator<MeasureOp>;
  op: MeasureOp | undefined;
  page = 0;

  constructor(ops: Iterable<MeasureOp>) {
    this.it = ops[Symbol.iterator]();
    this.op = this.pull();
  }

  /** The directive the cursor stands at (operations without one, e.g. KVM VMSAs, come last). */
  get headerIndex(): number {
    return this.op?.source.headerIndex ?? Number.MAX_SAFE_INTEGER;
  }

  advance(): void {
    if (this.op === undefined) return;
    if (++this.page >= stepsOf(this.op)) {
      this.op = this.pull();
      this.page = 0;
    }
  }

  private pull(): MeasureOp | undefined {
    for (;;) {
      const r = this.it.next();
      if (r.done === true) return undefined;
      if (stepsOf(r.value) > 0) return r.value;
    }
  }
}

/**
 * Fills `batch` with the next steps of every platform, in lockstep by directive, until a
 * platform's step arrays or the batch's slots are full. Returns false when every cursor is done.
 */
export function fillBatch(lanes: ReadonlyArray<{ cursor: OpCursor; runner: BatchRunner }>, batch: PageBatch): boolean {
  batch.reset();
  let any = false;
  for (;;) {
    let next: { cursor: OpCursor; runner: BatchRunner } | undefined;
    for (const lane of lanes) {
      if (lane.cursor.op !== undefined && (next === undefined || lane.cursor.headerIndex < next.cursor.headerIndex)) next = lane;
    }
    if (next === undefined || next.runner.steps.full) break;
    if (!next.runner.lower(next.cursor.op!, next.cursor.page, batch)) break;
    next.cursor.advance();
    any = true;
  }
  batch.flush();
  return any;
}

/** Runs every lane to the end on this thread; returns each lane's digest. */
export function runLanes(lanes: ReadonlyArray<{ cursor: OpCursor; runner: BatchRunner }>, batch: PageBatch): Uint8Array[] {
  while (fillBatch(lanes, batch)) {
    for (const lane of lanes) if (lane.runner.steps.count > 0) lane.runner.run(batch);
  }
  return lanes.map((lane) => lane.runner.finish());
}
