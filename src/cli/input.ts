/**
 * Opening and parsing an input IGVM file for a command: file-system errors become
 * `InputReadError` (exit 1), format errors stay `IgvmFormatError` (exit 1).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseIgvmSource, type IgvmFile, type ParseOptions } from '../format/index.js';
import { openFileSource, type FileSource } from '../node/file-source.js';
import { InputReadError, UsageError } from './errors.js';

/** Opens a file source, mapping Node's errors to a one-line `InputReadError`. */
export function openInput(path: string): FileSource {
  try {
    return openFileSource(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' || code === 'ENOTFILE' ? 'not a regular file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputReadError(`cannot read ${path}: ${why}`, path);
  }
}

/** Runs `use` on the parsed file, closing the file afterwards. */
export async function withIgvmFile<T>(path: string, options: ParseOptions, use: (file: IgvmFile, source: FileSource) => T | Promise<T>): Promise<T> {
  const source = openInput(path);
  try {
    return await use(parseIgvmSource(source, options), source);
  } finally {
    source.close();
  }
}

/** Reads a file named by an option, as bytes. */
export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InputReadError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, path);
  }
}

/** SHA-256 (hex) of an input's bytes, for the JSON outputs. */
export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** SHA-256 (hex) of a whole file, read in bounded chunks. */
export function fileSha256(source: FileSource): string {
  const h = createHash('sha256');
  const chunk = 8 * 1024 * 1024;
  for (let off = 0; off < source.size; off += chunk) h.update(source.read(off, Math.min(chunk, source.size - off)));
  return h.digest('hex');
}

/** An option that takes one of `allowed` (`name` as the user types it, e.g. `--platform`); `fallback` when absent. */
export function choice<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}, not '${v}'`);
  return v as T;
}
