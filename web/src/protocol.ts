/**
 * The messages between the page, its session worker and the session's hash workers (all
 * structured-cloned; page buffers are transferred, never shared: a page opened from file://
 * is not cross-origin isolated, so SharedArrayBuffer is not available).
 */
import type { SlotHash } from 'igvm-measure/measure';

/** The CLI's measure options that the page offers. */
export interface PageMeasureOptions {
  readonly platform: 'snp' | 'tdx' | 'vbs' | 'sev' | 'sev-es' | 'cca' | 'all';
  readonly profile: 'igvm' | 'qemu' | 'igvmmeasure';
  readonly vcpus: number;
  readonly nativeZero: boolean;
  readonly apVmsa?: Uint8Array;
  /** Hash workers to use (default: navigator.hardwareConcurrency); 1 hashes on the session worker. */
  readonly threads?: number;
}

/** A file the user gave, by name. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Evidence and what verifies it (the certificate and policy options of `compare`). */
export interface CompareInputs {
  readonly evidence: NamedBytes;
  readonly vcek?: NamedBytes;
  readonly chain?: NamedBytes;
  readonly crl?: NamedBytes;
  readonly collateral?: NamedBytes;
  readonly policy?: NamedBytes;
  readonly allowDebug: boolean;
  /** ISO time to verify at (default now). */
  readonly time?: string;
  readonly profile: PageMeasureOptions['profile'];
}

/** Page → session worker. */
export type SessionRequest =
  | { type: 'open'; file: Blob; name: string }
  | { type: 'measure'; options: PageMeasureOptions }
  | { type: 'sha256' }
  | { type: 'compare'; inputs: CompareInputs; evidenceSource?: string };

/** Session worker → page. */
export type SessionReply =
  | { type: 'opened'; size: number; platforms: { platformType: string; compatibilityMask: number }[] }
  | { type: 'progress'; done: number; total: number }
  | { type: 'measured'; json: unknown; ms: number; backend: string; threads: number; stats: { fillMs: number; dispatchMs: number; waitMs: number } }
  | { type: 'sha256'; hex: string }
  | { type: 'compared'; json: unknown; text: string }
  | { type: 'error'; code?: string; message: string };

/** Session worker → hash worker (ids pair requests with replies). */
export type KernelRequest =
  | { id: number; cmd: 'slots'; algorithm: SlotHash; pages: Uint8Array; slots: Int32Array }
  | { id: number; cmd: 'tdx'; pages: Uint8Array; slots: Int32Array; gpas: BigUint64Array; measured: Uint8Array }
  | { id: number; cmd: 'vbs'; pages: Uint8Array; slots: Int32Array; gpas: BigUint64Array; metadata: Uint8Array }
  | { id: number; cmd: 'tdxDigest' | 'vbsDigest' | 'reset' };

/** Hash worker → session worker. */
export interface KernelReply {
  readonly id: number;
  readonly out?: Uint8Array;
  /** The request's page buffer, handed back for reuse. */
  readonly pages?: Uint8Array;
  readonly error?: string;
}
