/**
 * Writing output files: atomically (a temporary file in the same directory, flushed, then
 * renamed), so that a reader never sees half a file and a failed write leaves the target as it
 * was (DESIGN.md "Command line": outputs never half-written).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputReadError } from './errors.js';

/**
 * Writes `chunks` to `path` atomically: a temporary file in the same directory (so the rename
 * stays within one file system), flushed, then renamed over `path`. On failure the temporary
 * file is removed and `path` is untouched. Throws `InputReadError` (exit 1) on I/O errors.
 */
export function writeFileAtomically(path: string, chunks: Iterable<Uint8Array>): void {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Not created, or already renamed.
    }
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new InputReadError(`cannot write ${path}: ${why}`, path);
  }
}
