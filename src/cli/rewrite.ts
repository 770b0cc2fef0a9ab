/**
 * The one way a command rewrites an IGVM file (`sign`, `embed`): FILE is parsed, the command
 * turns it into the new file, and the new file is written to a temporary OUT with its data
 * copied from FILE in bounded chunks (node/igvm-rewrite.ts, spec/igvm-format.md §12). FILE is
 * then closed and forgotten, and the temporary file is parsed again as any reader would: what
 * the command checks, measures or signs from there on is the file as written. OUT is replaced
 * only when the command keeps it (atomic-output.ts).
 */
import { fsync } from 'node:fs';
import { parseIgvmSource, type IgvmFile } from '../format/index.js';
import type { FileSource } from '../node/file-source.js';
import { collectGarbage, reparseWritten, writeIgvmTo, type WrittenIgvm } from '../node/igvm-rewrite.js';
import { buildFileAtomically, type OutputDecision } from './atomic-output.js';
import { InputReadError } from './errors.js';
import { openInput } from './input.js';

/** The temporary output, written and parsed again. */
export interface WrittenOutput {
  /** The written file, parsed from the temporary file (its data is read from there). */
  readonly file: IgvmFile;
  /** The temporary file, open for reading. */
  readonly source: FileSource;
  /** The temporary file, open for writing (`rewriteIgvmHeaders`). */
  readonly fd: number;
  readonly written: WrittenIgvm;
}

/**
 * Writes `prepare(FILE)` to `output` and hands the written file to `finish`, which decides
 * whether OUT is kept; a kept file is parsed once more (after any header rewrite of `finish`)
 * before it replaces OUT. Nothing of FILE stays in memory or open while `finish` runs. Errors
 * of `prepare` and `finish` propagate (the temporary file is removed); a written file that
 * does not parse is `IgvmRewriteError` `WrittenFileInvalid`.
 */
export async function rewriteIgvmFile<T>(
  path: string,
  output: string,
  prepare: (file: IgvmFile) => IgvmFile,
  finish: (out: WrittenOutput) => Promise<OutputDecision<T>>,
): Promise<T> {
  return buildFileAtomically(output, async (out) => {
    const written = copyInto(out.fd, path, prepare);
    // The data is on its way to the disk while the file is checked and measured; the flush
    // before the rename then has only the header left to write.
    const flushed = new Promise<void>((done) => fsync(out.fd, () => done()));
    // FILE's parsed headers and the copy's keys are garbage now; reclaim them before the
    // written file is parsed and measured, so that the two are never in memory together.
    collectGarbage();
    const source = openInput(out.path);
    try {
      const decision = await finishWritten(source, out.fd, written, output, finish).finally(() => flushed);
      // `finish` may have rewritten headers: parse the final file once more before it is kept,
      // once the parse `finish` worked on is garbage too.
      if (decision.keep) {
        collectGarbage();
        reparseWritten(source, output);
      }
      return decision;
    } finally {
      source.close();
    }
  });
}

/** Parses the written file and runs `finish` on it; the parse is garbage once this returns. */
async function finishWritten<T>(source: FileSource, fd: number, written: WrittenIgvm, output: string, finish: (out: WrittenOutput) => Promise<OutputDecision<T>>): Promise<OutputDecision<T>> {
  return finish({ file: reparseWritten(source, output), source, fd, written });
}

/** Parses FILE, prepares the new file and writes it; FILE is closed when this returns. */
function copyInto(fd: number, path: string, prepare: (file: IgvmFile) => IgvmFile): WrittenIgvm {
  const source = openInput(path);
  try {
    return writeIgvmTo(fd, prepare(parseIgvmSource(source)), { source, what: path });
  } catch (e) {
    // A failed read is FILE's (the output's failures are writes, named for OUT by the caller).
    if ((e as { syscall?: string }).syscall === 'read') throw new InputReadError(`cannot read ${path}: ${(e as Error).message}`, path);
    throw e;
  } finally {
    source.close();
  }
}
