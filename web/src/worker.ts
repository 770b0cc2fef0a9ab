/**
 * The page's worker script, in one of two roles chosen by its first message: the session worker
 * (holds the opened IGVM file, parses it, plans the measurement, drives the hash workers of
 * pipeline.ts, and runs the lazily loaded evidence code), or a hash worker (runs the batch
 * kernels of src/measure/kernels.ts over hash-wasm, as src/node/kernel-worker.ts does on Node).
 * Cancelling is terminating the session worker, which ends its hash workers with it.
 */
import { bytesToHex, parseIgvmSource, type IgvmFile } from 'igvm-measure/format';
import {
  hashSlots,
  jsKernels,
  SLOT_HASH_SIZES,
  lanesOf,
  PageBatch,
  planMeasurement,
  profileOf,
  resultOf,
  runLanes,
  setDefaultHashBackend,
  type HashBackend,
  type HashKernels,
  type TdxState,
} from 'igvm-measure/measure';
import { blobSource } from './blob-source.js';
import { createWasmBackend } from './hash-wasm-backend.js';
import { platformJson } from './json.js';
import { KernelWorker, runLanesInWorkers } from './pipeline.js';
import type { CompareInputs, KernelReply, KernelRequest, SessionReply, SessionRequest } from './protocol.js';

declare const self: {
  postMessage(m: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  importScripts(...urls: string[]): void;
  navigator: { hardwareConcurrency?: number };
  igvmEvidence?: EvidenceModule;
};

/** What the lazily loaded evidence script (evidence-entry.ts) puts on the worker's global. */
export interface EvidenceModule {
  compare(file: IgvmFile, fileName: string, inputs: CompareInputs, hash: HashBackend): Promise<{ json: unknown; text: string }>;
}

/** Below this size a file is measured on the session worker alone (as measureFile on Node). */
const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;

const backendReady: Promise<{ hash: HashBackend; kernels: HashKernels }> = createWasmBackend().then((hash) => {
  const kernels = jsKernels(hash);
  setDefaultHashBackend(hash, kernels);
  return { hash, kernels };
});

function reply(m: SessionReply, transfer: Transferable[] = []): void {
  self.postMessage(m, transfer);
}

function errorReply(e: unknown): SessionReply {
  const code = (e as { code?: unknown }).code;
  return { type: 'error', ...(typeof code === 'string' ? { code } : {}), message: e instanceof Error ? e.message : String(e) };
}

// ---- session role ----

let blob: Blob | undefined;
let name = '';
let file: IgvmFile | undefined;

async function session(m: SessionRequest): Promise<void> {
  const { hash } = await backendReady;
  switch (m.type) {
    case 'open': {
      blob = m.file;
      name = m.name;
      file = parseIgvmSource(blobSource(blob));
      reply({ type: 'opened', size: blob.size, platforms: file.platforms.map((p) => ({ platformType: p.platformType, compatibilityMask: p.compatibilityMask })) });
      return;
    }
    case 'measure': {
      const f = requireFile();
      const o = m.options;
      const start = performance.now();
      const profile = profileOf(o.profile);
      const plans = planMeasurement(f, profile, {
        platform: o.platform,
        profile: o.profile,
        vcpus: o.vcpus,
        ...(o.nativeZero ? { nativeZero: true } : {}),
        ...(o.apVmsa !== undefined ? { apVmsa: o.apVmsa } : {}),
      });
      const lanes = lanesOf(plans);
      const sequential = lanes.filter((l) => l.platformType !== 'SEV_SNP').length;
      const wanted = o.threads ?? self.navigator.hardwareConcurrency ?? 2;
      const threads = blob!.size < WORKER_THRESHOLD_BYTES || wanted < 2 || lanes.length === 0 ? 1 : Math.max(wanted, sequential);
      let digests: Uint8Array[];
      const stats = { fillMs: 0, dispatchMs: 0, waitMs: 0 };
      if (threads === 1) {
        digests = runLanes(lanes, new PageBatch());
      } else {
        // Hash workers are kept for the next measurement; they end with this worker.
        while (hashWorkers.length < threads) hashWorkers.push(startHashWorker());
        digests = await runLanesInWorkers(lanes, hashWorkers.slice(0, threads), { stats, onProgress: (done, total) => reply({ type: 'progress', done, total }) });
      }
      const result = resultOf(profile, plans, digests);
      reply({
        type: 'measured',
        json: { file: name, profile: result.profile, platforms: result.platforms.map(platformJson) },
        ms: performance.now() - start,
        backend: hash.name,
        threads,
        stats,
      });
      return;
    }
    case 'sha256': {
      const b = requireBlob();
      const h = hash.createSha256();
      const src = blobSource(b);
      const step = 8 * 1024 * 1024;
      for (let at = 0; at < b.size; at += step) h.update(src.read(at, Math.min(step, b.size - at)));
      reply({ type: 'sha256', hex: bytesToHex(h.digest()) });
      return;
    }
    case 'compare': {
      const f = requireFile();
      if (self.igvmEvidence === undefined) {
        if (m.evidenceSource === undefined) throw new Error('the evidence code was not sent');
        self.importScripts(URL.createObjectURL(new Blob([m.evidenceSource], { type: 'text/javascript' })));
      }
      const r = await self.igvmEvidence!.compare(f, name, m.inputs, hash);
      reply({ type: 'compared', ...r });
      return;
    }
  }
}

function requireBlob(): Blob {
  if (blob === undefined) throw new Error('no file is open');
  return blob;
}

function requireFile(): IgvmFile {
  if (file === undefined) throw new Error('no file is open');
  return file;
}

/**
 * Hash workers start from a blob URL this worker makes of its own source (sent by the page): a
 * page on file:// has an opaque origin, and a worker may not start a worker from its parent's
 * blob URL there, only from its own.
 */
let ownUrl: string | undefined;
const hashWorkers: KernelWorker[] = [];

function startHashWorker(): KernelWorker {
  if (ownSource === undefined) throw new Error('the worker source was not sent');
  ownUrl ??= URL.createObjectURL(new Blob([ownSource], { type: 'text/javascript' }));
  const w = new Worker(ownUrl);
  w.postMessage({ role: 'hash' });
  return new KernelWorker(w);
}

// ---- hash role ----

let tdx: TdxState | undefined;
const vbs = new Uint8Array(32);

async function hashRole(m: KernelRequest): Promise<void> {
  const { kernels } = await backendReady;
  try {
    switch (m.cmd) {
      case 'slots': {
        const out = new Uint8Array(SLOT_HASH_SIZES[m.algorithm] * m.slots.length);
        hashSlots(kernels, m.algorithm, m.pages, m.slots, out);
        self.postMessage({ id: m.id, out, pages: m.pages } satisfies KernelReply, [out.buffer, m.pages.buffer]);
        return;
      }
      case 'tdx':
        tdx ??= kernels.tdxNew();
        kernels.tdxPages(tdx, m.pages, m.slots, m.gpas, m.measured);
        self.postMessage({ id: m.id, pages: m.pages } satisfies KernelReply, [m.pages.buffer]);
        return;
      case 'vbs':
        kernels.vbsPages(vbs, m.pages, m.slots, m.gpas, m.metadata);
        self.postMessage({ id: m.id, pages: m.pages } satisfies KernelReply, [m.pages.buffer]);
        return;
      case 'tdxDigest':
        self.postMessage({ id: m.id, out: kernels.tdxDigest((tdx ??= kernels.tdxNew())) } satisfies KernelReply);
        return;
      case 'vbsDigest':
        self.postMessage({ id: m.id, out: vbs.slice() } satisfies KernelReply);
        return;
      case 'reset':
        tdx = undefined;
        vbs.fill(0);
        break;
    }
    self.postMessage({ id: m.id } satisfies KernelReply);
  } catch (e) {
    self.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies KernelReply);
  }
}

// ---- dispatch ----

let role: 'session' | 'hash' | undefined;
let ownSource: string | undefined;
// Messages are handled one at a time, in order (the hash role's TDX state depends on it).
let queue: Promise<void> = Promise.resolve();

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { role?: 'hash' | 'session'; source?: string } & (SessionRequest | KernelRequest);
  if (role === undefined && m.role !== undefined) {
    role = m.role;
    ownSource = m.source;
    return;
  }
  role ??= 'session';
  if (role === 'hash') {
    queue = queue.then(() => hashRole(m as KernelRequest));
  } else {
    queue = queue.then(() => session(m as SessionRequest).catch((err: unknown) => reply(errorReply(err))));
  }
};
