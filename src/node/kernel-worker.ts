/**
 * A worker thread that runs batch kernels for the pipeline (pipeline.ts): the hashes of page
 * slots (SHA-384 for SEV-SNP, the realm's hash for Arm CCA), and the whole TDX or VBS hash of
 * one platform, whose state it keeps between batches. Pages arrive as a SharedArrayBuffer (no copy); step arrays are transferred
 * (DESIGN.md "Performance"; the kernels' steps are those of measure/kernels.ts).
 */
import { parentPort } from 'node:worker_threads';
import { nodeKernels as kernels } from './backends.js';
import { hashSlots, SLOT_HASH_SIZES, type SlotHash, type TdxState } from '../measure/kernels.js';

/** A request to the worker; `id` pairs it with its reply. */
export type KernelRequest =
  | { id: number; cmd: 'slots'; algorithm: SlotHash; pages: SharedArrayBuffer; slots: Int32Array }
  | { id: number; cmd: 'tdx'; pages: SharedArrayBuffer; slots: Int32Array; gpas: BigUint64Array; measured: Uint8Array }
  | { id: number; cmd: 'vbs'; pages: SharedArrayBuffer; slots: Int32Array; gpas: BigUint64Array; metadata: Uint8Array }
  | { id: number; cmd: 'tdxDigest' | 'vbsDigest' | 'reset' }
  | { id: number; cmd: 'touch'; pages: SharedArrayBuffer };

/** The worker's reply: hashes or a digest, or an error message. */
export type KernelReply = { id: number; out?: Uint8Array; error?: string };

let tdx: TdxState | undefined;
const vbs = new Uint8Array(32);

parentPort?.on('message', (m: KernelRequest) => {
  try {
    switch (m.cmd) {
      case 'slots': {
        const out = new Uint8Array(SLOT_HASH_SIZES[m.algorithm] * m.slots.length);
        hashSlots(kernels, m.algorithm, new Uint8Array(m.pages), m.slots, out);
        parentPort!.postMessage({ id: m.id, out } satisfies KernelReply, [out.buffer]);
        return;
      }
      case 'tdx':
        tdx ??= kernels.tdxNew();
        kernels.tdxPages(tdx, new Uint8Array(m.pages), m.slots, m.gpas, m.measured);
        break;
      case 'vbs':
        kernels.vbsPages(vbs, new Uint8Array(m.pages), m.slots, m.gpas, m.metadata);
        break;
      case 'tdxDigest':
        parentPort!.postMessage({ id: m.id, out: kernels.tdxDigest((tdx ??= kernels.tdxNew())) } satisfies KernelReply);
        return;
      case 'vbsDigest':
        parentPort!.postMessage({ id: m.id, out: vbs.slice() } satisfies KernelReply);
        return;
      case 'touch':
        // Fault the batch's pages in now, off the main thread: first touches are slow (and in
        // a VM much slower), and the main thread is parsing meanwhile.
        new Uint8Array(m.pages).fill(0);
        break;
      case 'reset':
        // A pooled worker starts each measurement afresh.
        tdx = undefined;
        vbs.fill(0);
        break;
    }
    parentPort!.postMessage({ id: m.id } satisfies KernelReply);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies KernelReply);
  }
});
