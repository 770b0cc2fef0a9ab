/**
 * An output file built in place, for commands that rewrite an IGVM file (`sign`, `embed`):
 * like `writeFileAtomically` (output.ts) the file is made as a temporary file in the target's
 * directory and renamed over the target only once it is complete, checked and flushed, so that
 * a reader, a crash or a kill -9 at any moment sees the old target or the new one, never part
 * of one. Unlike it, the temporary file is open for positional reads and writes while it is
 * built: its header is written after its data, and it is parsed and measured before the
 * rename. A failure, a refusal by the caller, SIGINT or SIGTERM remove the temporary file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputReadError } from './errors.js';

/** The temporary file being built. */
export interface OutputInProgress {
  /** Open for reading and writing. */
  readonly fd: number;
  /** Its path, in the target's directory. */
  readonly path: string;
}

/** What the builder of an output decides: keep it (rename over the target) or drop it. */
export interface OutputDecision<T> {
  readonly keep: boolean;
  readonly value: T;
}

/**
 * Builds `path` through `build`, atomically: `build` fills the temporary file; when it returns
 * `keep`, the file is flushed and renamed over `path` (keeping the mode bits of a file it
 * replaces), otherwise removed. Errors of `build` propagate after the temporary file is
 * removed; file-system errors become `InputReadError` (exit 1) naming `path`.
 */
export async function buildFileAtomically<T>(path: string, build: (out: OutputInProgress) => Promise<OutputDecision<T>>): Promise<T> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    const st = statSync(target);
    if (st.isFile()) mode = st.mode & 0o7777;
  } catch {
    // No file there yet.
  }
  let fd: number | undefined;
  let created = false;
  const cleanUp = (): void => {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      fd = undefined;
    }
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // Already renamed or removed.
      }
      created = false;
    }
  };
  // Interrupted by a signal: remove the partial file, then die of the signal as before.
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    try {
      fd = openSync(tmp, 'wx+', mode ?? 0o644);
      created = true;
      if (mode !== undefined) fchmodSync(fd, mode);
    } catch (e) {
      throw ioError(e, path);
    }
    const decision = await build({ fd, path: tmp });
    if (!decision.keep) {
      cleanUp();
      return decision.value;
    }
    try {
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, target);
      created = false;
    } catch (e) {
      throw ioError(e, path);
    }
    return decision.value;
  } catch (e) {
    cleanUp();
    throw isSystemError(e) ? ioError(e, path) : e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** A Node system error (ENOSPC, EACCES, ...), as opposed to the typed errors of the library. */
function isSystemError(e: unknown): boolean {
  return e instanceof Error && typeof (e as { syscall?: unknown }).syscall === 'string';
}

function ioError(e: unknown, path: string): InputReadError {
  if (e instanceof InputReadError) return e;
  const code = (e as { code?: string }).code;
  const why =
    code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code === 'ENOSPC' ? 'no space left on the device' : (e as Error).message;
  return new InputReadError(`cannot write ${path}: ${why}`, path);
}
