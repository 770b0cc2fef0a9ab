/**
 * The VBS boot digest (spec/vbs-cca-corim.md §1.2): a 32-byte digest, initially zero, and for
 * every record `D = SHA-256(D ‖ record)`. Page records are a 32-byte chunk header plus the
 * 4096-byte page; register records are 48 bytes and are hashed after all pages, in the order
 * their VP contexts appear.
 */
import { encodeVbsRegisterValue, vbsRegisterName, type VbsRegister } from '../format/index.js';
import { StepArrays, pageGpa, type BatchRunner, type PageBatch, type StepJob } from './batch.js';
import type { HashBackend } from './hash.js';
import type { HashKernels } from './kernels.js';
import type { MeasureOp, ModelOptions, OpSource, RegistersOp } from './steps.js';

const PAGE_CHUNK_HEADER = 32;
const REGISTER_CHUNK = 48;
/** Chunk types: VP_REGISTER 0, VP_VTL_ENABLED 1 (never emitted), VP_GPA_PAGE 2. */
const VP_REGISTER = 0;
const VP_GPA_PAGE = 2;
const UNMEASURED_BIT = 0x4;

/** One batch of VBS page steps: `metadata[i]` is page i's record metadata (acceptance, bit 2 = unmeasured; vbs-cca-corim.md §1.2). */
export interface VbsJob extends StepJob {
  readonly metadata: Uint8Array;
}

/** Folds operations into a VBS boot digest. */
export class VbsBootDigest {
  private digest: Uint8Array = new Uint8Array(32);
  private readonly record = new Uint8Array(32 + PAGE_CHUNK_HEADER + 4096);
  private readonly view = new DataView(this.record.buffer);
  private readonly deferred: RegistersOp[] = [];
  private steps = 0;

  constructor(
    private readonly hash: HashBackend,
    private readonly options: ModelOptions & { initialDigest?: Uint8Array } = {},
  ) {
    if (options.initialDigest !== undefined) this.digest = options.initialDigest.slice();
  }

  /** One GPA page record: byte_count 4128, type 2, metadata, page number, then the page. */
  gpaPage(pageNumber: bigint, metadata: number, page: Uint8Array | null, source: OpSource = { reason: 'page' }): void {
    const r = this.record;
    r.set(this.digest, 0);
    r.fill(0, 32, 32 + PAGE_CHUNK_HEADER);
    this.view.setUint32(32, PAGE_CHUNK_HEADER + 4096, true);
    this.view.setUint32(36, VP_GPA_PAGE, true);
    this.view.setBigUint64(48, BigInt(metadata), true);
    this.view.setBigUint64(56, pageNumber, true);
    if (page === null) r.fill(0, 64);
    else {
      r.fill(0, 64 + page.length);
      r.set(page, 64);
    }
    this.digest = this.hash.sha256(r);
    this.traceStep('gpa_page', pageNumber * 4096n, `metadata ${metadata}`, source);
  }

  /** One VP register record (48 bytes; not padded, whatever the upstream comment says). */
  vpRegister(vtl: number, register: VbsRegister, source: OpSource = { reason: 'register' }, architecture: 'x64' | 'aarch64' = 'x64'): void {
    const r = new Uint8Array(32 + REGISTER_CHUNK);
    const v = new DataView(r.buffer);
    r.set(this.digest, 0);
    v.setUint32(32, REGISTER_CHUNK, true);
    v.setUint32(36, VP_REGISTER, true);
    r[32 + 20] = vtl;
    v.setUint32(32 + 28, register.name, true);
    r.set(encodeVbsRegisterValue(register.value), 32 + 32);
    this.digest = this.hash.sha256(r);
    this.traceStep('vp_register', undefined, vbsRegisterName(architecture, register.name), source);
  }

  /** Applies one walker operation; registers wait until `finish`. */
  apply(op: MeasureOp): void {
    if (op.op === 'registers') {
      this.deferred.push(op);
      return;
    }
    if (op.op !== 'pages') return;
    const metadata = op.acceptance | (op.unmeasured ? UNMEASURED_BIT : 0);
    const first = op.unmeasured ? undefined : op.data.bytes();
    for (let i = 0; i < op.count; i++) {
      this.gpaPage(op.gpa / 4096n + BigInt(i), metadata, i === 0 && first !== undefined ? first : null, op.source);
    }
  }

  /** Hashes the deferred registers and returns the boot digest. Call once. */
  finish(): Uint8Array {
    for (const op of this.deferred) {
      for (const reg of op.registers) this.vpRegister(op.vtl, reg, op.source, op.architecture);
    }
    this.deferred.length = 0;
    return this.digest.slice();
  }

  private traceStep(record: string, gpa: bigint | undefined, pageType: string, source: OpSource): void {
    this.steps++;
    const trace = this.options.trace;
    if (trace === undefined) return;
    trace({
      step: this.steps,
      platform: this.options.platform ?? 'VSM_ISOLATION',
      record,
      ...(gpa === undefined ? {} : { gpa }),
      pageType,
      digest: this.digest.slice(),
      source,
    });
  }
}

/** The VBS model over batches (batch.ts): page records by `vbsPages`, registers at the end. */
export class VbsBatchRunner implements BatchRunner {
  readonly steps = new StepArrays();
  private readonly digest = new Uint8Array(32);
  private readonly deferred: RegistersOp[] = [];

  constructor(
    private readonly kernels: HashKernels,
    private readonly hash: HashBackend,
  ) {}

  lower(op: MeasureOp, page: number, batch: PageBatch): boolean {
    if (op.op === 'registers') {
      this.deferred.push(op);
      return true;
    }
    if (op.op !== 'pages') return true;
    const gpa = pageGpa(op.gpa, page);
    const metadata = op.acceptance | (op.unmeasured ? UNMEASURED_BIT : 0);
    const slot = !op.unmeasured && page === 0 ? batch.slotFor(op.data) : -1;
    if (slot === undefined) return false;
    this.steps.push(gpa, slot, metadata);
    return true;
  }

  run(batch: PageBatch): void {
    const n = this.steps.count;
    this.kernels.vbsPages(this.digest, batch.pages, this.steps.slots.subarray(0, n), this.steps.gpas.subarray(0, n), this.steps.tags.subarray(0, n));
    this.steps.count = 0;
  }

  /** The batch's steps as a job for a worker that holds the page digest. */
  takeJob(): VbsJob {
    const { tags, ...steps } = this.steps.take();
    return { ...steps, metadata: tags };
  }

  /** The boot digest: `pageDigest` (this runner's, or a worker's) followed by the registers. */
  finish(pageDigest: Uint8Array = this.digest): Uint8Array {
    // Registers are measured after all pages (vbs-cca-corim.md §1.2).
    const tail = new VbsBootDigest(this.hash, { initialDigest: pageDigest });
    for (const op of this.deferred) tail.apply(op);
    return tail.finish();
  }
}
