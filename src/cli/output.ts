/**
 * What commands write besides their own summaries (DESIGN.md "Command line"): output files,
 * written atomically and safely by the Node layer (src/node/atomic-write.ts: never over an input
 * of the command, never over a device, FIFO or directory, permission bits kept, the temporary
 * file removed on errors and signals; README "Files: inputs and outputs"); the lines that print
 * `Check`s and measurement warnings; and the report of a typed library error with its exit code.
 */
import { writeFileAtomic, type AtomicWriteOptions } from '../node/atomic-write.js';
import type { CodedError } from '../format/coded-error.js';
import type { PlatformMeasurement } from '../measure/index.js';
import type { CliIo } from './command.js';
import { cliInputError } from './input.js';
import { stringify } from './json.js';

/**
 * Writes `chunks` to `path` atomically: a temporary file in the same directory (so the rename
 * stays within one file system), flushed, checked by `options.check` when given, then renamed
 * over `path`. On failure the temporary file is removed and `path` is untouched. Refuses (exit
 * 1) an output that is one of the command's inputs or exists and is not a regular file. Throws
 * `InputReadError` (exit 1) on I/O errors; what `chunks` or `check` throw is rethrown as it is.
 * Must be awaited: the write yields to the event loop so that a signal can clean up.
 */
export async function writeFileAtomically(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeFileAtomic(path, chunks, options);
  } catch (e) {
    throw cliInputError(e);
  }
}

/** Checks as text lines (one layout everywhere: pki/check.ts). */
export { checkLines } from '../pki/check.js';

/**
 * Reports a typed library error as the dispatcher (run.ts) reports the others: `igvm-measure
 * COMMAND: CODE: message` on stderr and, with `--json`, `{error: {code, message, offset}}` on
 * stdout. Returns `exitCode`.
 */
export function reportCodedError(e: CodedError<string>, command: string, json: boolean, io: CliIo, exitCode: number): number {
  io.stderr(`igvm-measure ${command}: ${e.code}: ${e.message}\n`);
  if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: e.offset ?? null } }));
  return exitCode;
}

/** The loader-rule warnings of a measured platform on stderr, one `warning: TYPE: text` line each. */
export function printWarnings(io: CliIo, p: PlatformMeasurement): void {
  for (const w of 'warnings' in p ? p.warnings : []) io.stderr(`warning: ${p.platformType}: ${w}\n`);
}
