/**
 * Writing an output file so that no input is lost and no reader sees half a file (README
 * "Files: inputs and outputs"): the target must be a regular file or a new name (a device, a
 * FIFO, a directory or a link to one is refused, never replaced), must not be one of the run's
 * inputs (same device and inode, or the same resolved path: input-registry.ts), and is written
 * to a temporary file in its own directory, flushed, optionally checked, then renamed over it.
 * An existing target keeps its permission bits; a symbolic link to a regular file is written
 * through. The temporary file is removed on any error and on SIGINT / SIGTERM / SIGHUP (the
 * handlers exist only while the write runs and re-raise the signal after cleaning up).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, fsReason } from './input-error.js';
import { recordOutput, runInputs } from './input-registry.js';

/** How `writeFileAtomic` writes. */
export interface AtomicWriteOptions {
  /**
   * Runs on the complete, flushed temporary file before it is renamed over the target (e.g.
   * re-parsing a written IGVM file). Whatever it throws is rethrown after the temporary file is
   * removed; the target is then untouched.
   */
  readonly check?: (temporaryPath: string) => void | Promise<void>;
  /** Names the output in messages (default `output`). */
  readonly label?: string;
}

/** Where an output really goes, and the mode it keeps. */
interface Target {
  readonly path: string;
  readonly existing: Stats | undefined;
}

function nonFileWhat(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/** Resolves the output: refuses what is not a regular file; follows a link to a regular file. */
function targetOf(path: string, label: string): Target {
  let l: Stats | undefined;
  try {
    l = lstatSync(path);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw new InputError(fsReason(e).code, `cannot write ${label} ${path}: ${fsReason(e).why}`, path);
  }
  if (l === undefined) {
    const dir = dirname(resolve(path));
    let realDir: string;
    try {
      realDir = realpathSync(dir);
    } catch (e) {
      const r = fsReason(e);
      throw new InputError(r.code === 'NotFound' ? 'NotFound' : r.code, `cannot write ${label} ${path}: ${r.code === 'NotFound' ? 'no such directory' : r.why}`, path);
    }
    return { path: join(realDir, basename(path)), existing: undefined };
  }
  let st = l;
  if (l.isSymbolicLink()) {
    try {
      st = statSync(path);
    } catch (e) {
      throw new InputError('NotAFile', `${label} ${path} is a symbolic link to nothing (${fsReason(e).why}); remove it or name a file`, path);
    }
  }
  if (!st.isFile()) {
    throw new InputError('NotAFile', `${label} ${path} ${l.isSymbolicLink() ? 'links to' : 'is'} ${nonFileWhat(st)}; outputs are written only to regular files, never replace one`, path);
  }
  return { path: realpathSync(path), existing: st };
}

/** Refuses a target that is one of the run's inputs. */
function refuseInputs(target: Target, path: string, label: string): void {
  for (const input of runInputs()) {
    const same = (target.existing !== undefined && target.existing.dev === input.dev && target.existing.ino === input.ino) || input.resolved === target.path;
    if (same) {
      const as = input.path === path ? `${input.label} ${input.path}` : `${input.label} ${input.path} (the same file)`;
      throw new InputError('OutputIsInput', `${label} ${path} is ${as}, an input of this command; write the output to another file`, path);
    }
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Writes are gathered to this size, and the event loop gets a turn (signals) after each. */
const BLOCK = 1 << 20;
const YIELD_EVERY = 16 << 20;

/** The temporary file an output is built in: open for positional reads and writes. */
export interface OutputInProgress {
  readonly fd: number;
  /** Its path, in the target's directory. */
  readonly path: string;
}

/** What the builder of an output decides: keep it (rename it over the target) or drop it. */
export interface OutputDecision<T> {
  readonly keep: boolean;
  readonly value: T;
}

/**
 * Builds the output `path` through `build`, atomically and under the output rules of this file:
 * `build` fills the temporary file (open read-write, so that a rewrite can write its header
 * after its data and parse what it wrote); when it returns `keep`, the file is flushed, checked
 * by `options.check`, the rules are checked again, and it is renamed over `path`; otherwise it
 * is removed. Throws `InputError` (`NotAFile`, `OutputIsInput`, `OutputTwice`, `NotFound`,
 * `PermissionDenied`, `WriteFailed`); what `build` or `check` throw is rethrown as it is. On any
 * failure the temporary file is gone and `path` is as it was.
 */
export async function buildFileAtomic<T>(path: string, build: (out: OutputInProgress) => Promise<OutputDecision<T>>, options: AtomicWriteOptions = {}): Promise<T> {
  const label = options.label ?? 'output';
  const target = targetOf(path, label);
  refuseInputs(target, path, label);
  recordOutput(target.path, path);
  const tmp = join(dirname(target.path), `.${basename(target.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const ioError = (e: unknown): InputError => {
    if (e instanceof InputError) return e;
    const r = fsReason(e);
    return new InputError(r.code === 'ReadFailed' ? 'WriteFailed' : r.code, `cannot write ${label} ${path}: ${r.why}`, path);
  };
  let fd: number | undefined;
  let created = false;
  const cleanup = (): void => {
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
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanup();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    try {
      // Readable by the owner only until it is complete; then the mode it keeps or gets.
      fd = openSync(tmp, 'wx+', target.existing === undefined ? 0o666 : 0o600);
      created = true;
      if (target.existing !== undefined) fchmodSync(fd, target.existing.mode & 0o777);
    } catch (e) {
      throw ioError(e);
    }
    let decision: OutputDecision<T>;
    try {
      decision = await build({ fd, path: tmp });
    } catch (e) {
      // A file-system error of the build (ENOSPC, ...) names the output; typed errors pass.
      throw isSystemError(e) ? ioError(e) : e;
    }
    if (!decision.keep) {
      cleanup();
      return decision.value;
    }
    try {
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
    } catch (e) {
      throw ioError(e);
    }
    if (options.check !== undefined) await options.check(tmp);
    // The target may have changed while the data was written (another process, a slow input):
    // the same rules again, just before the rename.
    const again = targetOf(path, label);
    if (again.path !== target.path) throw new InputError('WriteFailed', `cannot write ${label} ${path}: it now resolves to ${again.path}, not ${target.path}`, path);
    refuseInputs(again, path, label);
    try {
      renameSync(tmp, target.path);
      created = false;
    } catch (e) {
      throw ioError(e);
    }
    syncDirectory(dirname(target.path));
    return decision.value;
  } catch (e) {
    cleanup();
    throw e;
  } finally {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}

/** A Node system error (ENOSPC, EACCES, ...), as opposed to the typed errors of the library. */
function isSystemError(e: unknown): boolean {
  return e instanceof Error && typeof (e as { syscall?: unknown }).syscall === 'string';
}

/**
 * Writes `chunks` (a sync or async iterable) to `path` atomically (`buildFileAtomic`), gathered
 * into 1 MiB writes; the event loop gets a turn every 16 MiB, so that a signal can remove the
 * temporary file. An error thrown by `chunks` is rethrown as it is.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: AtomicWriteOptions = {}): Promise<void> {
  const label = options.label ?? 'output';
  await buildFileAtomic(
    path,
    async ({ fd }) => {
      const block = new Uint8Array(BLOCK);
      let pending = 0;
      let sinceYield = 0;
      const writeAll = (b: Uint8Array): void => {
        let done = 0;
        try {
          while (done < b.length) done += writeSync(fd, b, done, b.length - done);
        } catch (e) {
          const r = fsReason(e);
          throw new InputError(r.code === 'ReadFailed' ? 'WriteFailed' : r.code, `cannot write ${label} ${path}: ${r.why}`, path);
        }
      };
      const flush = (): void => {
        if (pending > 0) writeAll(block.subarray(0, pending));
        pending = 0;
      };
      const put = async (chunk: Uint8Array): Promise<void> => {
        if (pending + chunk.length <= BLOCK) {
          block.set(chunk, pending);
          pending += chunk.length;
        } else {
          flush();
          if (chunk.length >= BLOCK) writeAll(chunk);
          else {
            block.set(chunk, 0);
            pending = chunk.length;
          }
        }
        sinceYield += chunk.length;
        if (sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          // A turn of the event loop, so that a signal can remove the temporary file.
          await new Promise((r) => setImmediate(r));
        }
      };
      if (Symbol.asyncIterator in chunks) {
        for await (const chunk of chunks) await put(chunk);
      } else {
        for (const chunk of chunks) await put(chunk);
      }
      flush();
      return { keep: true, value: undefined };
    },
    options,
  );
}

/** Flushes the directory entry of the rename (best effort: not every file system allows it). */
function syncDirectory(dir: string): void {
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Durability of the rename is best effort; the file itself is flushed.
  }
}
