/**
 * The Arm CCA lane of the batched hot loop (batch.ts; spec/cca.md §1.4). A DATA descriptor holds
 * the RHA of its granule, and those granule hashes are independent of each other, so they are
 * computed per batch (spread over workers by the Node pipeline, like SEV-SNP's page hashes);
 * the descriptor chain (RIM = RHA(descriptor), each descriptor holding the RIM before it) is
 * sequential and cheap (one 256-byte hash per granule) and runs in batch order on the `CcaRealm` model itself, so the lane and the
 * step-by-step model hold the RIM in one place; the chain kernel (kernels.ts, native on Node)
 * writes the same descriptor bytes as `CcaRealm.data`, which tests check.
 */
import { PageBatch, StepArrays, pageGpa, type BatchRunner, type StepJob } from './batch.js';
import type { CcaRealm, CcaRealmHash } from './cca.js';
import { CCA_HASH_SIZES } from './cca.js';
import type { CcaLaunchPlan } from './cca-igvm.js';
import { hashSlots, type HashKernels } from './kernels.js';
import type { MeasureOp, RecOp } from './steps.js';

/** Step tags: an unmeasured DATA granule, a measured one, the REC (`recs` holds it). */
const UNMEASURED = 0;
const MEASURED = 1;
const REC = 2;

/** One batch of CCA steps: `measured[i]` is 1 when granule i is content-measured, 2 for a REC (in `recs`). */
export interface CcaJob extends StepJob {
  readonly measured: Uint8Array;
  readonly recs: readonly RecOp[];
}

/** The slots whose granules a CCA job needs hashed: those of its measured steps, in order (-1: a zero granule). */
export function ccaHashSlotsOf(job: CcaJob): Int32Array {
  let m = 0;
  for (let i = 0; i < job.measured.length; i++) if (job.measured[i] === MEASURED) m++;
  const out = new Int32Array(m);
  for (let i = 0, j = 0; i < job.measured.length; i++) if (job.measured[i] === MEASURED) out[j++] = job.slots[i]!;
  return out;
}

/** Lowers a CCA plan's `pages` operations into DATA steps and chains them on a started realm. */
export class CcaBatchRunner implements BatchRunner {
  readonly steps = new StepArrays();
  readonly hashSize: number;
  private recs: RecOp[] = [];

  constructor(
    private readonly plan: CcaLaunchPlan,
    /** A realm after `startCcaRealm(plan)`. */
    private readonly realm: CcaRealm,
    private readonly kernels: HashKernels,
  ) {
    this.hashSize = CCA_HASH_SIZES[plan.hashAlgorithm];
  }

  get hashAlgorithm(): CcaRealmHash {
    return this.plan.hashAlgorithm;
  }

  lower(op: MeasureOp, page: number, batch: PageBatch): boolean {
    if (op.op === 'rec') {
      this.recs.push(op);
      this.steps.push(0n, -1, REC);
      return true;
    }
    if (op.op !== 'pages') return true;
    const measured = !op.unmeasured;
    // Only the first page of an operation has data; the others are zero granules (slot -1).
    const slot = measured && page === 0 ? batch.slotFor(op.data) : -1;
    if (slot === undefined) return false;
    this.steps.push(pageGpa(op.gpa, page), slot, measured ? MEASURED : UNMEASURED);
    return true;
  }

  /** The batch's steps as a job (copies; empties the step arrays). */
  takeJob(): CcaJob {
    const { tags, ...steps } = this.steps.take();
    const recs = this.recs;
    this.recs = [];
    return { ...steps, measured: tags, recs };
  }

  /**
   * Chains a job's descriptors in order, given the RHA of each measured step's granule
   * (`ccaHashSlotsOf(job)`): runs of DATA through the chain kernel, each REC on the model.
   */
  chain(job: CcaJob, hashes: Uint8Array): void {
    const size = this.hashSize;
    const n = job.measured.length;
    let j = 0;
    let r = 0;
    for (let start = 0; start < n; ) {
      let end = start;
      let m = 0;
      while (end < n && job.measured[end] !== REC) m += job.measured[end++]!;
      if (end > start) {
        this.realm.dataBatch(this.kernels, job.gpas.subarray(start, end), job.measured.subarray(start, end), hashes.subarray(j * size, (j + m) * size));
        j += m;
      }
      if (end < n) {
        const rec = job.recs[r++]!;
        this.realm.rec(rec.flags, rec.pc, rec.gprs, rec.source);
      }
      start = end + 1;
    }
  }

  run(batch: PageBatch): void {
    const job = this.takeJob();
    const slots = ccaHashSlotsOf(job);
    const out = new Uint8Array(this.hashSize * slots.length);
    hashSlots(this.kernels, this.plan.hashAlgorithm, batch.pages, slots, out);
    this.chain(job, out);
  }

  /** The RIM as the realm token reports it. */
  finish(): Uint8Array {
    return this.realm.measurement();
  }
}
