/**
 * The parallel, streaming hot loop (DESIGN.md "Performance"; spec/snp.md §1.2 for the chain
 * that must stay in order). The main thread reads page data once,
 * with positional reads, into a small ring of shared batches, and lowers every platform's
 * operations into steps; worker threads do the hashing:
 *  - SEV-SNP: page-content SHA-384s are independent, so they are spread over workers; the
 *    PAGE_INFO chain, which is sequential and cheap, stays on the main thread, in order;
 *  - Arm CCA: the same split: granule hashes (SHA-256/384/512) on workers, the chain of DATA
 *    descriptors on the main thread, in order (spec/cca.md §1.4);
 *  - TDX and VBS: one sequential hash each, so each runs whole on its own worker, which keeps
 *    its state between batches.
 * The ring bounds memory (and so the read-ahead): a batch is refilled only when every worker
 * is done with it. Without worker threads (one core, or running from TypeScript sources) the
 * same lanes run on this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PageBatch, fillBatch, runLanes } from '../measure/batch.js';
import type { Lane } from '../measure/measure.js';
import { hashSlotsOf, type SnpBatchRunner } from '../measure/snp.js';
import { ccaHashSlotsOf, type CcaBatchRunner } from '../measure/cca-batch.js';
import { hashSlots, SLOT_HASH_SIZES, type SlotHash } from '../measure/kernels.js';
import type { TdxBatchRunner, TdxJob } from '../measure/tdx.js';
import type { VbsBatchRunner, VbsJob } from '../measure/vbs.js';
import { nodeKernels } from './backends.js';
import type { KernelReply, KernelRequest } from './kernel-worker.js';

/** Options of `runLanesParallel`. */
export interface PipelineOptions {
  /** Threads to use (default: the machine's available parallelism); 1 runs on this thread. */
  readonly threads?: number;
  /**
   * Workers started ahead of time (`KernelPool.start`), e.g. while the file is being parsed,
   * so that their start-up does not add to the measurement. Default: started here.
   */
  readonly pool?: KernelPool;
  /** Called after each batch with the page steps done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Page slots per batch (default `PIPELINE_BATCH_SLOTS`). */
  readonly batchSlots?: number;
  /** Batches in flight (default `PIPELINE_RING_SIZE`). */
  readonly ringSize?: number;
}

const WORKER_URL = new URL('./kernel-worker.js', import.meta.url);

/** True when the compiled worker script exists (not when running from TypeScript sources). */
export function workersAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

type Request = KernelRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A worker thread with request/reply pairing. */
class KernelWorker {
  // Kernel workers allocate little (step arrays, hashes); small heaps keep the process lean.
  private readonly worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 } });
  private readonly pending = new Map<number, { resolve: (r: KernelReply) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor() {
    this.worker.on('message', (r: KernelReply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.error !== undefined) p?.reject(new Error(`kernel worker: ${r.error}`));
      else p?.resolve(r);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closing && this.pending.size > 0) this.fail(new Error(`kernel worker exited with code ${code}`));
    });
  }

  call(req: Request, transfer: ArrayBuffer[] = []): Promise<KernelReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  terminate(): Promise<number> {
    this.closing = true;
    return this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** Page slots per batch: 256 × 4 KiB = 1 MiB (small batches stay in cache between threads). */
export const PIPELINE_BATCH_SLOTS = 256;
/** Batches in flight. */
export const PIPELINE_RING_SIZE = 6;

/**
 * Kernel workers and the ring of shared batches, started once and used for one measurement at
 * a time. The batches' pages are faulted in by the workers as soon as they start.
 */
export class KernelPool {
  private constructor(
    readonly workers: readonly KernelWorker[],
    readonly ring: readonly PageBatch[],
    readonly ready: Promise<unknown>,
  ) {}

  /** Starts `threads` workers, by default one per core (none when workers cannot run here). */
  static start(threads: number = availableParallelism()): KernelPool {
    const n = workersAvailable() ? Math.max(0, threads) : 0;
    const workers = Array.from({ length: n }, () => new KernelWorker());
    const ring = n === 0 ? [] : Array.from({ length: PIPELINE_RING_SIZE }, () => new PageBatch(PIPELINE_BATCH_SLOTS, true));
    const ready = Promise.all(ring.map((b, i) => workers[i % n]!.call({ cmd: 'touch', pages: b.pages.buffer as SharedArrayBuffer })));
    return new KernelPool(workers, ring, ready);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The buffers a TDX or VBS job hands over to its worker (its arrays are copies, see `StepArrays.take`). */
function transferOf(job: TdxJob | VbsJob): ArrayBuffer[] {
  return [job.slots.buffer, job.gpas.buffer, ('measured' in job ? job.measured : job.metadata).buffer] as ArrayBuffer[];
}

/** Runs the lanes to the end and returns each lane's digest, in lane order. */
export async function runLanesParallel(lanes: readonly Lane[], options: PipelineOptions = {}): Promise<Uint8Array[]> {
  const total = lanes.reduce((n, l) => n + l.pageSteps, 0);
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const slots = options.batchSlots ?? PIPELINE_BATCH_SLOTS;
  if (threads < 2 || lanes.length === 0 || !workersAvailable()) {
    return runInThread(lanes, slots, total, options.onProgress);
  }
  const own = options.pool === undefined ? KernelPool.start(threads) : undefined;
  const pool = (options.pool ?? own)!.workers;
  // TDX and VBS lanes get a worker each; SNP and CCA page hashing gets the workers left, or,
  // when there are none, shares the last lane's (VBS, the lightest sequential hash).
  const split = (l: Lane): boolean => l.platformType === 'SEV_SNP' || l.platformType === 'CCA';
  const sequential = lanes.filter((l) => !split(l));
  const hasSplit = lanes.some(split);
  if (pool.length < Math.max(1, sequential.length)) {
    await own?.close();
    return runInThread(lanes, slots, total, options.onProgress);
  }
  const laneWorkers = new Map<Lane, KernelWorker>(sequential.map((l, i) => [l, pool[i]!]));
  const spare = pool.slice(sequential.length, Math.max(sequential.length, threads));
  // SEV-SNP or CCA alone: the main thread hashes a share of each batch itself, with one worker fewer,
  // so that no more threads run than there are cores (env IGVM_MEASURE_MAIN_SHARE to tune).
  const mainShare = hasSplit && sequential.length === 0 ? Number(process.env.IGVM_MEASURE_MAIN_SHARE ?? 0.35) : 0;
  const hashPool = mainShare > 0 && spare.length > 1 ? spare.slice(0, spare.length - 1) : spare;
  const hashWorkers = !hasSplit ? [] : hashPool.length > 0 ? hashPool : [pool[sequential.length - 1]!];
  await Promise.all(sequential.map((l) => laneWorkers.get(l)!.call({ cmd: 'reset' })));
  const shared = options.pool !== undefined && options.batchSlots === undefined && options.ringSize === undefined ? options.pool.ring : undefined;
  await (options.pool ?? own)!.ready;
  const ring = (shared ?? Array.from({ length: options.ringSize ?? PIPELINE_RING_SIZE }, () => new PageBatch(slots, true))).map((batch) => ({
    batch,
    busy: Promise.resolve() as Promise<unknown>,
  }));
  let chain: Promise<void> = Promise.resolve();
  let done = 0;
  try {
    for (let k = 0; ; k++) {
      const entry = ring[k % ring.length]!;
      await entry.busy;
      if (!fillBatch(lanes, entry.batch)) break;
      const pages = entry.batch.pages.buffer as SharedArrayBuffer;
      const waits: Promise<unknown>[] = [];
      for (const lane of lanes) {
        const runner = lane.runner;
        done += runner.steps.count;
        if (runner.steps.count === 0) continue;
        if (lane.platformType === 'SEV_SNP') {
          const snp = runner as SnpBatchRunner;
          const job = snp.takeJob();
          const hashes = hashOnWorkers(hashWorkers, pages, hashSlotsOf(job), 'sha-384', mainShare > 0 ? { share: mainShare, pages: entry.batch.pages } : undefined);
          waits.push(hashes);
          // The chain must follow batch order; hashes may arrive in any order.
          chain = chain.then(async () => snp.chain(job, await hashes));
        } else if (lane.platformType === 'CCA') {
          const cca = runner as CcaBatchRunner;
          const job = cca.takeJob();
          const hashes = hashOnWorkers(hashWorkers, pages, ccaHashSlotsOf(job), cca.hashAlgorithm, mainShare > 0 ? { share: mainShare, pages: entry.batch.pages } : undefined);
          waits.push(hashes);
          chain = chain.then(async () => cca.chain(job, await hashes));
        } else if (lane.platformType === 'TDX') {
          const job = (runner as TdxBatchRunner).takeJob();
          waits.push(laneWorkers.get(lane)!.call({ cmd: 'tdx', pages, ...job }, transferOf(job)));
        } else {
          const job = (runner as VbsBatchRunner).takeJob();
          waits.push(laneWorkers.get(lane)!.call({ cmd: 'vbs', pages, ...job }, transferOf(job)));
        }
      }
      entry.busy = Promise.all(waits);
      options.onProgress?.(done, total);
    }
    await Promise.all(ring.map((e) => e.busy));
    await chain;
    return await Promise.all(
      lanes.map(async (lane) => {
        if (split(lane)) return lane.runner.finish();
        const r = await laneWorkers.get(lane)!.call({ cmd: lane.platformType === 'TDX' ? 'tdxDigest' : 'vbsDigest' });
        return lane.platformType === 'TDX' ? r.out! : (lane.runner as VbsBatchRunner).finish(r.out!);
      }),
    );
  } finally {
    await own?.close();
  }
}

/** The hashes (SHA-384, or a CCA realm's hash) of the given slots, split evenly over the workers; in slot order. */
async function hashOnWorkers(
  workers: readonly KernelWorker[],
  pages: SharedArrayBuffer,
  slots: Int32Array,
  algorithm: SlotHash,
  main?: { share: number; pages: Uint8Array },
): Promise<Uint8Array> {
  if (slots.length === 0) return new Uint8Array(0);
  const size = SLOT_HASH_SIZES[algorithm];
  const own = main === undefined ? 0 : Math.floor(slots.length * main.share);
  const rest = slots.subarray(own);
  const per = Math.ceil(rest.length / workers.length);
  const pending = workers.flatMap((w, i) => {
    const part = rest.slice(i * per, (i + 1) * per);
    if (part.length === 0) return [];
    return [w.call({ cmd: 'slots', algorithm, pages, slots: part }, [part.buffer])];
  });
  const out = new Uint8Array(size * slots.length);
  // The main thread's share, while the workers hash the rest.
  if (own > 0) hashSlots(nodeKernels, algorithm, main!.pages, slots.subarray(0, own), out.subarray(0, size * own));
  let at = size * own;
  for (const p of await Promise.all(pending)) {
    out.set(p.out!, at);
    at += p.out!.length;
  }
  return out;
}

/** The same lanes on this thread, batch by batch, with progress. */
function runInThread(lanes: readonly Lane[], slots: number, total: number, onProgress?: (done: number, total: number) => void): Uint8Array[] {
  if (onProgress === undefined) return runLanes(lanes, new PageBatch(slots));
  const batch = new PageBatch(slots);
  let done = 0;
  while (fillBatch(lanes, batch)) {
    for (const lane of lanes) {
      done += lane.runner.steps.count;
      if (lane.runner.steps.count > 0) lane.runner.run(batch);
    }
    onProgress(done, total);
  }
  return lanes.map((l) => l.runner.finish());
}
