/**
 * The page's handle on its session worker (worker.ts): requests in, replies out, progress on
 * the side. The worker script is bundled into the page as a string and started from a blob URL,
 * which works from file:// too (a worker script file would be refused there). Cancelling
 * terminates the worker and starts a new one on the next request.
 */
import type { CompareInputs, PageMeasureOptions, SessionReply, SessionRequest } from './protocol.js';

declare const __WORKER_SOURCE__: string;
/** The worker script (inlined by build.mjs; named once so that the bundle carries it once). */
const WORKER_SOURCE: string = __WORKER_SOURCE__;

let workerUrl: string | undefined;

/** A session over one IGVM file. */
export class Session {
  private worker: Worker | undefined;
  private waiting: { resolve: (r: SessionReply) => void; reject: (e: Error) => void; progress?: (done: number, total: number) => void } | undefined;
  private file: { blob: Blob; name: string } | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Replies to drop: the re-open a fresh worker gets before its first request. */
  private swallow = 0;

  /** Opens `blob` (parses its headers in the worker). */
  open(blob: Blob, name: string): Promise<Extract<SessionReply, { type: 'opened' }>> {
    this.file = { blob, name };
    return this.request({ type: 'open', file: blob, name }) as Promise<Extract<SessionReply, { type: 'opened' }>>;
  }

  measure(options: PageMeasureOptions, progress: (done: number, total: number) => void): Promise<Extract<SessionReply, { type: 'measured' }>> {
    return this.request({ type: 'measure', options }, progress) as Promise<Extract<SessionReply, { type: 'measured' }>>;
  }

  async sha256(): Promise<string> {
    return ((await this.request({ type: 'sha256' })) as Extract<SessionReply, { type: 'sha256' }>).hex;
  }

  compare(inputs: CompareInputs, evidenceSource: string): Promise<Extract<SessionReply, { type: 'compared' }>> {
    return this.request({ type: 'compare', inputs, evidenceSource }) as Promise<Extract<SessionReply, { type: 'compared' }>>;
  }

  /** Stops the work in progress (its promise rejects with "cancelled"). */
  cancel(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.swallow = 0;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new Error('cancelled'));
  }

  /** Requests run one at a time, in order (a comparison asked for while measuring waits). */
  private request(m: SessionRequest, progress?: (done: number, total: number) => void): Promise<SessionReply> {
    const run = (): Promise<SessionReply> => {
      let w = this.worker;
      if (w === undefined) {
        w = this.worker = this.start();
        // After a cancel, the fresh worker opens the same file again first.
        if (m.type !== 'open' && this.file !== undefined) {
          this.swallow++;
          w.postMessage({ type: 'open', file: this.file.blob, name: this.file.name } satisfies SessionRequest);
        }
      }
      return new Promise((resolve, reject) => {
        this.waiting = { resolve, reject, ...(progress ? { progress } : {}) };
        w.postMessage(m);
      });
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private start(): Worker {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(workerUrl);
    w.postMessage({ role: 'session', source: WORKER_SOURCE });
    w.onmessage = (e: MessageEvent<SessionReply>) => {
      const r = e.data;
      if (r.type === 'progress') {
        this.waiting?.progress?.(r.done, r.total);
        return;
      }
      if (this.swallow > 0 && (r.type === 'opened' || r.type === 'error')) {
        this.swallow--;
        if (r.type === 'opened') return;
      }
      const p = this.waiting;
      this.waiting = undefined;
      if (r.type === 'error') p?.reject(Object.assign(new Error(r.message), r.code !== undefined ? { code: r.code } : {}));
      else p?.resolve(r);
    };
    w.onerror = (e) => {
      const p = this.waiting;
      this.waiting = undefined;
      p?.reject(new Error(e.message || 'the worker failed'));
    };
    return w;
  }
}
