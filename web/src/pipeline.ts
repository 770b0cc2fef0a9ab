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
import { SLOT_HASH_SIZES, ccaHashSlotsOf, fillBatch, hashSlotsOf, PageBatch, type CcaBatchRunner, type Lane, type SlotHash, type SnpBatchRunner, type TdxBatchRunner, type TdxJob, type VbsBatchRunner, type VbsJob } from 'igvm-measure/measure';
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

/**
 * Page buffers in circulation: each job's packed pages travel to a hash worker and come back
 * with its reply. Allocating a fresh buffer per job instead costs more than the copy into it
 * (large ArrayBuffers are zeroed and tracked as external memory, which drives garbage
 * collections), measured at about half the time of a three-platform measurement.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** A view of `bytes` bytes over a batch-sized buffer. */
  take(bytes: number): Uint8Array {
    const b = this.free.pop() ?? new ArrayBuffer(BATCH_SLOTS * SLOT);
    return new Uint8Array(b, 0, bytes);
  }

  /** Returns a buffer that came back from a worker. */
  give(pages: Uint8Array | undefined): void {
    if (pages !== undefined && pages.buffer.byteLength === BATCH_SLOTS * SLOT) this.free.push(pages.buffer as ArrayBuffer);
  }
}

/** The pages `slots` name, packed in slot order of first use, and the slots renumbered (-1 stays). */
export function packPages(pages: Uint8Array, slots: Int32Array, buffers: BufferPool): { pages: Uint8Array; slots: Int32Array } {
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
  const packed = buffers.take(map.size * SLOT);
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

/** Where the session worker's time went, in ms: reading and lowering, handing jobs out, waiting for workers. */
export interface PipelineStats {
  fillMs: number;
  dispatchMs: number;
  waitMs: number;
}

/** Options of `runLanesInWorkers`. */
export interface WorkerPipelineOptions {
  readonly onProgress?: (done: number, total: number) => void;
  /** Receives where the session worker's time went (for the benchmark). */
  readonly stats?: PipelineStats;
}

/** Runs the lanes to the end over the given hash workers; each lane's digest, in lane order. */
export async function runLanesInWorkers(lanes: readonly Lane[], workers: readonly KernelWorker[], options: WorkerPipelineOptions = {}): Promise<Uint8Array[]> {
  const total = lanes.reduce((n, l) => n + l.pageSteps, 0);
  // SEV-SNP and CCA lanes split page hashing over workers and chain in order here.
  const split = (l: Lane): boolean => l.platformType === 'SEV_SNP' || l.platformType === 'CCA';
  const sequential = lanes.filter((l) => !split(l));
  if (workers.length < Math.max(1, sequential.length)) throw new Error(`${sequential.length} sequential lanes need as many hash workers, not ${workers.length}`);
  const laneWorkers = new Map<Lane, KernelWorker>(sequential.map((l, i) => [l, workers[i]!]));
  // SEV-SNP page hashing gets the workers left over, or shares the last lane's (VBS, the lightest).
  const spare = workers.slice(sequential.length);
  const hashWorkers = spare.length > 0 ? spare : [workers[Math.max(0, sequential.length - 1)]!];
  await Promise.all(sequential.map((l) => laneWorkers.get(l)!.call({ cmd: 'reset' })));
  const batch = new PageBatch(BATCH_SLOTS);
  const buffers = new BufferPool();
  const inFlight: Promise<unknown>[] = [];
  let chain: Promise<void> = Promise.resolve();
  let done = 0;
  const stats = options.stats ?? { fillMs: 0, dispatchMs: 0, waitMs: 0 };
  let t: number;
  for (;;) {
    t = performance.now();
    const more = fillBatch(lanes, batch);
    stats.fillMs += performance.now() - t;
    if (!more) break;
    const waits: Promise<unknown>[] = [];
    const d0 = performance.now();
    for (const lane of lanes) {
      const runner = lane.runner;
      done += runner.steps.count;
      if (runner.steps.count === 0) continue;
      if (lane.platformType === 'SEV_SNP') {
        const snp = runner as SnpBatchRunner;
        const job = snp.takeJob();
        const hashes = hashOnWorkers(hashWorkers, batch.pages, hashSlotsOf(job), 'sha-384', buffers);
        waits.push(hashes);
        // The chain must follow batch order; hashes may arrive in any order.
        chain = chain.then(async () => snp.chain(job, await hashes));
      } else if (lane.platformType === 'CCA') {
        const cca = runner as CcaBatchRunner;
        const job = cca.takeJob();
        const hashes = hashOnWorkers(hashWorkers, batch.pages, ccaHashSlotsOf(job), cca.hashAlgorithm, buffers);
        waits.push(hashes);
        chain = chain.then(async () => cca.chain(job, await hashes));
      } else {
        const job = lane.platformType === 'TDX' ? (runner as TdxBatchRunner).takeJob() : (runner as VbsBatchRunner).takeJob();
        waits.push(sequentialJob(laneWorkers.get(lane)!, batch.pages, job, buffers));
      }
    }
    inFlight.push(Promise.all(waits));
    stats.dispatchMs += performance.now() - d0;
    t = performance.now();
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    stats.waitMs += performance.now() - t;
    options.onProgress?.(done, total);
  }
  t = performance.now();
  await Promise.all(inFlight);
  await chain;
  stats.waitMs += performance.now() - t;
  return Promise.all(
    lanes.map(async (lane) => {
      if (split(lane)) return lane.runner.finish();
      const r = await laneWorkers.get(lane)!.call({ cmd: lane.platformType === 'TDX' ? 'tdxDigest' : 'vbsDigest' });
      return lane.platformType === 'TDX' ? r.out! : (lane.runner as VbsBatchRunner).finish(r.out!);
    }),
  );
}

/** A TDX or VBS job with its packed pages, handed over to the lane's worker. */
async function sequentialJob(worker: KernelWorker, batchPages: Uint8Array, job: TdxJob | VbsJob, buffers: BufferPool): Promise<void> {
  const { pages, slots } = packPages(batchPages, job.slots, buffers);
  const r =
    'measured' in job
      ? await worker.call({ cmd: 'tdx', pages, slots, gpas: job.gpas, measured: job.measured }, [pages.buffer, slots.buffer, job.gpas.buffer, job.measured.buffer])
      : await worker.call({ cmd: 'vbs', pages, slots, gpas: job.gpas, metadata: job.metadata }, [pages.buffer, slots.buffer, job.gpas.buffer, job.metadata.buffer]);
  buffers.give(r.pages);
}

/** The hashes (SHA-384, or a CCA realm's hash) of the given slots, split evenly over the workers; in slot order. */
async function hashOnWorkers(workers: readonly KernelWorker[], batchPages: Uint8Array, slots: Int32Array, algorithm: SlotHash, buffers: BufferPool): Promise<Uint8Array> {
  if (slots.length === 0) return new Uint8Array(0);
  const per = Math.ceil(slots.length / workers.length);
  const pending = workers.flatMap((w, i) => {
    const part = slots.subarray(i * per, (i + 1) * per);
    if (part.length === 0) return [];
    const packed = packPages(batchPages, part, buffers);
    return [w.call({ cmd: 'slots', algorithm, pages: packed.pages, slots: packed.slots }, [packed.pages.buffer, packed.slots.buffer])];
  });
  const out = new Uint8Array(SLOT_HASH_SIZES[algorithm] * slots.length);
  let at = 0;
  for (const p of await Promise.all(pending)) {
    buffers.give(p.pages);
    out.set(p.out!, at);
    at += p.out!.length;
  }
  return out;
}
