/**
 * The browser's parallel hot loop, the counterpart of src/node/pipeline.ts for Web Workers
 * (DESIGN.md "Performance"; spec/snp.md §1.2 for the chain that must stay in order). The session
 * worker reads page data into a batch (FileReaderSync) and lowers every platform's operations
 * into steps; hash workers do the hashing:
 *  - SEV-SNP: page-content SHA-384s are independent, so they are spread over workers; the
 *    PAGE_INFO chain, sequential and cheap, stays on the session worker, in batch order;
 *  - TDX and VBS: one sequential hash each, so each runs whole on its own worker, which keeps
 *    its state between batches.
 * Without SharedArrayBuffer (a file:// page is not cross-origin isolated) each job carries its
 * own packed copy of the pages it needs, transferred; a bounded number of batches in flight
 * bounds memory.
 */
import { fillBatch, hashSlotsOf, PageBatch, type Lane, type SnpBatchRunner, type TdxBatchRunner, type TdxJob, type VbsBatchRunner, type VbsJob } from 'igvm-measure/measure';
import type { KernelReply, KernelRequest } from './protocol.js';

type Request = KernelRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const SLOT = 4096;
/** Page slots per batch: 512 × 4 KiB = 2 MiB. */
export const BATCH_SLOTS = 512;
/** Batches whose jobs may be in flight at once. */
const IN_FLIGHT = 6;

/** A hash worker with request/reply pairing. */
export class KernelWorker {
  private readonly pending = new Map<number, { resolve: (r: KernelReply) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<KernelReply>) => {
      const r = e.data;
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.error !== undefined) p?.reject(new Error(`hash worker: ${r.error}`));
      else p?.resolve(r);
    };
    worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`hash worker: ${e.message}`));
      this.pending.clear();
    };
  }

  call(req: Request, transfer: Transferable[] = []): Promise<KernelReply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

/** The pages `slots` name, packed in slot order of first use, and the slots renumbered (-1 stays). */
export function packPages(pages: Uint8Array, slots: Int32Array): { pages: Uint8Array; slots: Int32Array } {
  const map = new Map<number, number>();
  const out = new Int32Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s < 0) {
      out[i] = -1;
      continue;
    }
    let t = map.get(s);
    if (t === undefined) map.set(s, (t = map.size));
    out[i] = t;
  }
  const packed = new Uint8Array(map.size * SLOT);
  // Runs of consecutive slots (the usual case) are copied in one call.
  let from = -1;
  let to = -1;
  let len = 0;
  const flush = (): void => {
    if (len > 0) packed.set(pages.subarray(from * SLOT, (from + len) * SLOT), to * SLOT);
  };
  for (const [s, t] of map) {
    if (len > 0 && s === from + len && t === to + len) {
      len++;
      continue;
    }
    flush();
    from = s;
    to = t;
    len = 1;
  }
  flush();
  return { pages: packed, slots: out };
}

/** Options of `runLanesInWorkers`. */
export interface WorkerPipelineOptions {
  readonly onProgress?: (done: number, total: number) => void;
  /** Set to stop between batches. */
  readonly cancelled?: () => boolean;
}

/** Runs the lanes to the end over the given hash workers; each lane's digest, in lane order. */
export async function runLanesInWorkers(lanes: readonly Lane[], workers: readonly KernelWorker[], options: WorkerPipelineOptions = {}): Promise<Uint8Array[]> {
  const total = lanes.reduce((n, l) => n + l.pageSteps, 0);
  const sequential = lanes.filter((l) => l.platformType !== 'SEV_SNP');
  if (workers.length < Math.max(1, sequential.length)) throw new Error(`${sequential.length} sequential lanes need as many hash workers, not ${workers.length}`);
  const laneWorkers = new Map<Lane, KernelWorker>(sequential.map((l, i) => [l, workers[i]!]));
  // SEV-SNP page hashing gets the workers left over, or shares the last lane's (VBS, the lightest).
  const spare = workers.slice(sequential.length);
  const hashWorkers = spare.length > 0 ? spare : [workers[Math.max(0, sequential.length - 1)]!];
  await Promise.all(sequential.map((l) => laneWorkers.get(l)!.call({ cmd: 'reset' })));
  const batch = new PageBatch(BATCH_SLOTS);
  const inFlight: Promise<unknown>[] = [];
  let chain: Promise<void> = Promise.resolve();
  let done = 0;
  while (fillBatch(lanes, batch)) {
    if (options.cancelled?.() === true) throw new Error('cancelled');
    const waits: Promise<unknown>[] = [];
    for (const lane of lanes) {
      const runner = lane.runner;
      done += runner.steps.count;
      if (runner.steps.count === 0) continue;
      if (lane.platformType === 'SEV_SNP') {
        const snp = runner as SnpBatchRunner;
        const job = snp.takeJob();
        const hashes = hashOnWorkers(hashWorkers, batch.pages, hashSlotsOf(job));
        waits.push(hashes);
        // The chain must follow batch order; hashes may arrive in any order.
        chain = chain.then(async () => snp.chain(job, await hashes));
      } else {
        const job = lane.platformType === 'TDX' ? (runner as TdxBatchRunner).takeJob() : (runner as VbsBatchRunner).takeJob();
        waits.push(sequentialJob(laneWorkers.get(lane)!, batch.pages, job));
      }
    }
    inFlight.push(Promise.all(waits));
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    options.onProgress?.(done, total);
  }
  await Promise.all(inFlight);
  await chain;
  return Promise.all(
    lanes.map(async (lane) => {
      if (lane.platformType === 'SEV_SNP') return lane.runner.finish();
      const r = await laneWorkers.get(lane)!.call({ cmd: lane.platformType === 'TDX' ? 'tdxDigest' : 'vbsDigest' });
      return lane.platformType === 'TDX' ? r.out! : (lane.runner as VbsBatchRunner).finish(r.out!);
    }),
  );
}

/** A TDX or VBS job with its packed pages, handed over to the lane's worker. */
function sequentialJob(worker: KernelWorker, batchPages: Uint8Array, job: TdxJob | VbsJob): Promise<KernelReply> {
  const { pages, slots } = packPages(batchPages, job.slots);
  if ('measured' in job) {
    return worker.call({ cmd: 'tdx', pages, slots, gpas: job.gpas, measured: job.measured }, [pages.buffer, slots.buffer, job.gpas.buffer, job.measured.buffer]);
  }
  return worker.call({ cmd: 'vbs', pages, slots, gpas: job.gpas, metadata: job.metadata }, [pages.buffer, slots.buffer, job.gpas.buffer, job.metadata.buffer]);
}

/** SHA-384 of the given slots, split evenly over the workers; the hashes in slot order. */
async function hashOnWorkers(workers: readonly KernelWorker[], batchPages: Uint8Array, slots: Int32Array): Promise<Uint8Array> {
  if (slots.length === 0) return new Uint8Array(0);
  const per = Math.ceil(slots.length / workers.length);
  const pending = workers.flatMap((w, i) => {
    const part = slots.subarray(i * per, (i + 1) * per);
    if (part.length === 0) return [];
    const packed = packPages(batchPages, part);
    return [w.call({ cmd: 'sha384', pages: packed.pages, slots: packed.slots }, [packed.pages.buffer, packed.slots.buffer])];
  });
  const out = new Uint8Array(48 * slots.length);
  let at = 0;
  for (const p of await Promise.all(pending)) {
    out.set(p.out!, at);
    at += p.out!.length;
  }
  return out;
}
