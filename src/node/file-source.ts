/**
 * A `ByteSource` over a file on disk, read with positional reads (`fs.readSync` at an offset),
 * so that parsing a file reads only its headers and the page data is read when it is used.
 * This is the Node adapter of the format layer's source interface (DESIGN.md: the core imports
 * no `node:` module; this file is the one place that does for file access).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ByteSource } from '../format/source.js';

/** A file source that must be closed when its data is no longer needed. */
export interface FileSource extends ByteSource {
  readonly path: string;
  close(): void;
}

/** Opens `path` for positional reads. Throws the usual Node `fs` errors (ENOENT, EISDIR, ...). */
export function openFileSource(path: string): FileSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTFILE' });
    size = st.size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    path,
    size,
    read(offset: number, length: number): Uint8Array {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw Object.assign(new Error(`${path}: unexpected end of file at ${offset + done}`), { code: 'ESHORTREAD' });
        done += n;
      }
      return buf;
    },
    readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): void {
      let done = 0;
      while (done < length) {
        const n = readSync(fd, target, targetOffset + done, length - done, offset + done);
        if (n === 0) throw Object.assign(new Error(`${path}: unexpected end of file at ${offset + done}`), { code: 'ESHORTREAD' });
        done += n;
      }
    },
    close(): void {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
