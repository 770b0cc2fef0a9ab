/**
 * A `ByteSource` over an IGVM file, read with positional reads (`fs.readSync` at an offset), so
 * that parsing a file reads only its headers and the page data is read when it is used. This is
 * the Node adapter of the format layer's source interface (DESIGN.md: the core imports no
 * `node:` module; this file is the one place that does for IGVM file access).
 *
 * A regular file is never read whole. `-` (standard input) and a FIFO cannot be read at an
 * offset, so they are copied to an unlinked temporary file first — up to the `total_file_size`
 * their fixed header gives (spec/igvm-format.md §2.1), and not at all past a wrong magic — which
 * keeps memory flat whatever the pipe sends. Directories and devices are refused unopened
 * (read-input.ts), and a file that shrinks while it is read is `InputError('Truncated')`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IGVM_MAGIC } from '../format/constants.js';
import { FIXED_HEADER_V1 } from '../format/layouts.js';
import type { ByteSource } from '../format/source.js';
import { readStruct } from '../format/struct.js';
import { InputError, fsReason } from './input-error.js';
import { INPUT_CAPS, describeInput, openInputFd, readSome, tooLargeMessage } from './read-input.js';

/** A file source that must be closed when its data is no longer needed. */
export interface FileSource extends ByteSource {
  readonly path: string;
  close(): void;
}

/**
 * Opens an IGVM file for positional reads: a regular file in place; `-` or a FIFO copied to an
 * unlinked temporary file. `label` names it in messages (default `FILE`). Throws `InputError`
 * (`NotFound`, `PermissionDenied`, `NotAFile` for directories and devices, `TooLarge`,
 * `StdinTwice`, `ReadFailed`).
 */
export function openFileSource(path: string, label = 'FILE'): FileSource {
  const { fd, stat, owned } = openInputFd(path, label);
  if (stat.isFile()) return positionalSource(path, fd, stat.size, owned, label);
  try {
    const spool = spoolIgvm(fd, path, label);
    return positionalSource(path, spool.fd, spool.size, true, label);
  } finally {
    if (owned) closeSync(fd);
  }
}

function positionalSource(path: string, fd: number, size: number, owned: boolean, label: string): FileSource {
  let open = true;
  const readInto = (offset: number, target: Uint8Array, targetOffset: number, length: number): void => {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSome(fd, target, targetOffset + done, length - done, offset + done);
      } catch (e) {
        throw new InputError('ReadFailed', `cannot read ${describeInput(label, path)}: ${fsReason(e).why}`, path);
      }
      if (n === 0) {
        throw new InputError('Truncated', `${describeInput(label, path)} became shorter while it was read: it ends at byte ${offset + done}, it was ${size} bytes when opened`, path);
      }
      done += n;
    }
  };
  return {
    path,
    size,
    read(offset: number, length: number): Uint8Array {
      const buf = new Uint8Array(length);
      readInto(offset, buf, 0, length);
      return buf;
    },
    readInto,
    close(): void {
      if (open && owned) closeSync(fd);
      open = false;
    },
  };
}

const SPOOL_CHUNK = 1 << 20;

/**
 * Copies an IGVM stream to an unlinked temporary file: its fixed header first; a stream that
 * does not start with the IGVM magic is copied no further (the parser reports it); otherwise up
 * to the header's total_file_size, and a stream longer than that is refused.
 */
function spoolIgvm(fd: number, path: string, label: string): { fd: number; size: number } {
  const name = join(tmpdir(), `.igvm-measure-stdin.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let out: number;
  try {
    out = openSync(name, 'wx+', 0o600);
  } catch (e) {
    throw new InputError('ReadFailed', `cannot copy ${describeInput(label, path)} to a temporary file in ${tmpdir()}: ${fsReason(e).why}`, path);
  }
  // Unlinked at once: nothing is left behind however the process ends.
  unlinkSync(name);
  try {
    const buf = new Uint8Array(SPOOL_CHUNK);
    const fill = (want: number): number => {
      let got = 0;
      while (got < want) {
        let n: number;
        try {
          n = readSome(fd, buf, got, want - got, null);
        } catch (e) {
          throw new InputError('ReadFailed', `cannot read ${describeInput(label, path)}: ${fsReason(e).why}`, path);
        }
        if (n === 0) break;
        got += n;
      }
      return got;
    };
    const put = (n: number, at: number): void => {
      let done = 0;
      while (done < n) done += writeSync(out, buf, done, n - done, at + done);
    };
    let size = fill(FIXED_HEADER_V1.size);
    put(size, 0);
    if (size < FIXED_HEADER_V1.size) return { fd: out, size };
    const head = readStruct(buf, 0, FIXED_HEADER_V1);
    if (head.magic !== IGVM_MAGIC) return { fd: out, size };
    const limit = head.totalFileSize;
    if (limit > INPUT_CAPS.igvmStream) throw new InputError('TooLarge', tooLargeMessage(label, path, 'igvmStream'), path);
    for (;;) {
      // One byte more than the header says, to tell a longer stream from an exact one.
      const n = fill(Math.min(SPOOL_CHUNK, limit + 1 - size));
      if (n === 0) break;
      put(n, size);
      size += n;
      if (size > limit) {
        throw new InputError('TooLarge', `${describeInput(label, path)} runs past the ${limit} bytes of total_file_size in its IGVM fixed header`, path);
      }
    }
    return { fd: out, size };
  } catch (e) {
    closeSync(out);
    if (e instanceof InputError) throw e;
    throw new InputError('ReadFailed', `cannot copy ${describeInput(label, path)} to a temporary file: ${fsReason(e).why}`, path);
  }
}
