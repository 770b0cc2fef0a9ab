/**
 * Measuring on Node with the streaming, multi-threaded pipeline (pipeline.ts):
 * `measureParallel` for a file already parsed from a `ByteSource`, and `measureFile`, the
 * CLI's whole path as a library call (open, parse, measure, and the file's SHA-256 from the
 * same reads). Same result as `measure`; `trace` falls back to the per-step reference models
 * on this thread.
 */
import { availableParallelism } from 'node:os';
import type { IgvmFile, ParseOptions } from '../format/index.js';
import { parseIgvmSource } from '../format/reader.js';
import { lanesOf, planMeasurement, profileOf, resultOf, type MeasureOptions, type MeasurementResult } from '../measure/measure.js';
import { openFileSource, type FileSource } from './file-source.js';
import { KernelPool, runLanesParallel, type PipelineOptions } from './pipeline.js';
import { hashWhileReading } from './read-sha256.js';

export { KernelPool, type PipelineOptions } from './pipeline.js';

/** Measures every selected platform header of `file`, hashing on worker threads. */
export async function measureParallel(file: IgvmFile, options: MeasureOptions & PipelineOptions = {}): Promise<MeasurementResult> {
  const profile = profileOf(options.profile);
  const plans = planMeasurement(file, profile, options);
  const lanes = lanesOf(plans);
  const custom = options.hash !== undefined || options.kernels !== undefined;
  const digests =
    options.trace !== undefined
      ? lanes.map((l) => l.reference())
      : await runLanesParallel(lanes, custom ? { ...options, threads: 1 } : options);
  return resultOf(profile, plans, digests);
}

/**
 * Below this size a file is measured on the calling thread: starting worker threads (tens of
 * milliseconds) costs more than they save on a few MiB of pages.
 */
export const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;

/**
 * Workers the pipeline can use for a platform selection (pipeline.ts): TDX or VBS alone is one
 * sequential hash, on one worker; SEV-SNP or CCA alone shares each batch between the main
 * thread and one worker fewer than the cores; several platforms use every core. Starting no more than
 * that matters on small machines: each worker's start-up takes CPU from the parse it overlaps.
 */
export function workersFor(platform: MeasureOptions['platform']): number {
  const cores = availableParallelism();
  if (platform === 'tdx' || platform === 'vbs') return 1;
  if (platform === 'snp' || platform === 'cca') return Math.max(1, cores - 1);
  return cores;
}

/** Options of `measureFile`: those of `measure`, of the pipeline, and of the parser. */
export interface MeasureFileOptions extends MeasureOptions, PipelineOptions {
  /** How the file is parsed (default: as upstream). */
  readonly parse?: ParseOptions;
  /** Also compute the file's SHA-256, from the reads the measurement makes (read-sha256.ts). */
  readonly sha256?: boolean;
}

/** `measure`'s result for one file, with its size and (when asked) its SHA-256. */
export interface FileMeasurement extends MeasurementResult {
  readonly size: number;
  /** Hex SHA-256 of the whole file, with `sha256: true`. */
  readonly sha256?: string;
}

/**
 * Opens, parses and measures an IGVM file (a path, or a `FileSource` the caller opened and
 * closes), hashing on worker threads for files of `WORKER_THRESHOLD_BYTES` or more. The
 * workers start before the file is parsed, so that their start-up overlaps the parse.
 * Throws Node's file errors, `IgvmFormatError` and `MeasurementError`.
 */
export async function measureFile(file: string | FileSource, options: MeasureFileOptions = {}): Promise<FileMeasurement> {
  const opened = typeof file === 'string' ? openFileSource(file) : undefined;
  const input = opened ?? (file as FileSource);
  const hashing = options.sha256 === true ? hashWhileReading(input) : undefined;
  const small = input.size < WORKER_THRESHOLD_BYTES;
  const threads = options.threads ?? (small ? 1 : undefined);
  const own = options.pool === undefined && options.trace === undefined && threads !== 1 ? KernelPool.start(threads ?? workersFor(options.platform)) : undefined;
  try {
    const parsed = parseIgvmSource(hashing?.source ?? input, options.parse ?? {});
    const result = await measureParallel(parsed, {
      ...options,
      ...(threads === undefined ? {} : { threads }),
      ...(own === undefined ? {} : { pool: own }),
    });
    return { ...result, size: input.size, ...(hashing === undefined ? {} : { sha256: hashing.sha256() }) };
  } finally {
    await own?.close();
    opened?.close();
  }
}
