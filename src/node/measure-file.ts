/**
 * `measureParallel`: `measure` with the streaming, multi-threaded pipeline (pipeline.ts), for
 * files parsed from a `ByteSource` on Node. Same result as `measure`; `trace` falls back to
 * the per-step reference models on this thread.
 */
import type { IgvmFile } from '../format/index.js';
import { lanesOf, planMeasurement, profileOf, resultOf, type MeasureOptions, type MeasurementResult } from '../measure/measure.js';
import { runLanesParallel, type PipelineOptions } from './pipeline.js';

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
