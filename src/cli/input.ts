/**
 * Opening and parsing an input IGVM file for a command: file-system errors become
 * `InputReadError` (exit 1), format errors stay `IgvmFormatError` (exit 1).
 */
import { readFileSync } from 'node:fs';
import { parseIgvmSource, type IgvmFile, type ParseOptions } from '../format/index.js';
import { openFileSource, type FileSource } from '../node/file-source.js';
import { InputReadError } from './errors.js';

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
