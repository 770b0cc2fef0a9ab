/**
 * A worker thread that runs batch kernels for the pipeline (pipeline.ts): SHA-384 of page
 * slots for SEV-SNP, the realm hash of granule slots for Arm CCA, and the whole TDX or VBS hash of one platform, whose state it keeps
 * between batches. Pages arrive as a SharedArrayBuffer (no copy); step arrays are transferred
 * (DESIGN.md "Performance"; the kernels' steps are those of measure/kernels.ts).
 */
import { parentPort } from 'node:worker_threads';
import { nodeKernels as kernels } from './backends.js';
import type { TdxState } from '../measure/kernels.js';
import type { CcaRealmHash } from '../measure/cca.js';
import { ccaHashSlots } from '../measure/cca-batch.js';
import { CCA_HASH_SIZES } from '../measure/cca.js';

/** A request to the worker; `id` pairs it with its reply. */
export type KernelRequest =
  | { id: number; cmd: 'sha384'; pages: SharedArrayBuffer; slots: Int32Array }
  | { id: number; cmd: 'rha'; algorithm: CcaRealmHash; pages: SharedArrayBuffer; slots: Int32Array }
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
      case 'sha384': {
        const out = new Uint8Array(48 * m.slots.length);
        kernels.sha384Slots(new Uint8Array(m.pages), m.slots, out);
        parentPort!.postMessage({ id: m.id, out } satisfies KernelReply, [out.buffer]);
        return;
      }
      case 'rha': {
        const out = new Uint8Array(CCA_HASH_SIZES[m.algorithm] * m.slots.length);
        ccaHashSlots(m.algorithm, kernels, new Uint8Array(m.pages), m.slots, out);
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
