/**
 * An output file built in place, for commands that rewrite an IGVM file (`sign`, `embed`): the
 * Node layer's `buildFileAtomic` (src/node/atomic-write.ts) with its output rules (never over an
 * input or a non-file, permission bits kept, temporary file removed on errors and signals, the
 * old target or the new one after a kill -9), its errors mapped to the CLI's exit codes. The
 * temporary file is open for positional reads and writes while it is built: its header is
 * written after its data, and it is parsed and measured before the rename.
 */
import { buildFileAtomic, type AtomicWriteOptions, type OutputDecision, type OutputInProgress } from '../node/atomic-write.js';
import { cliInputError } from './input.js';

export type { OutputDecision, OutputInProgress } from '../node/atomic-write.js';

/**
 * Builds `path` through `build` (see `buildFileAtomic`): kept outputs are flushed and renamed
 * over `path`, dropped ones removed. File-system errors and refusals become `InputReadError`
 * (exit 1); the typed errors of `build` propagate as they are.
 */
export async function buildFileAtomically<T>(path: string, build: (out: OutputInProgress) => Promise<OutputDecision<T>>, options: AtomicWriteOptions = {}): Promise<T> {
  try {
    return await buildFileAtomic(path, build, options);
  } catch (e) {
    throw cliInputError(e);
  }
}
