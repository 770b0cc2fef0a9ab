/**
 * Opening and parsing an input IGVM file for a command, and reading the other inputs, through
 * the Node layer's one bounded reader (src/node/read-input.ts, README "Files: inputs and
 * outputs"): read errors become `InputReadError` (exit 1), a second `-` a `UsageError` (exit 2),
 * format errors stay `IgvmFormatError` (exit 1).
 */
import { createHash } from 'node:crypto';
import { parseIgvmSource, type IgvmFile, type ParseOptions } from '../format/index.js';
import { openFileSource, type FileSource } from '../node/file-source.js';
import { InputError } from '../node/input-error.js';
import { readInputBytes, type InputKind } from '../node/read-input.js';
import { InputReadError, UsageError } from './errors.js';

/** The Node layer's `InputError` as the CLI's errors; anything else unchanged. */
export function cliInputError(e: unknown): unknown {
  if (!(e instanceof InputError)) return e;
  if (e.code === 'StdinTwice') return new UsageError(e.message);
  return new InputReadError(e.message, e.path);
}

/** Runs `f`, turning the Node layer's `InputError` into the CLI's errors. */
export function asCliErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw cliInputError(e);
  }
}

/**
 * Opens an IGVM file (a regular file, a FIFO or `-`) for positional reads, mapping read errors
 * to a one-line `InputReadError`.
 */
export function openInput(path: string): FileSource {
  return asCliErrors(() => openFileSource(path));
}

/** Runs `use` on the parsed file, closing the file afterwards (a file that shrinks meanwhile is `InputReadError`). */
export async function withIgvmFile<T>(path: string, options: ParseOptions, use: (file: IgvmFile, source: FileSource) => T | Promise<T>): Promise<T> {
  const source = openInput(path);
  try {
    return await use(parseIgvmSource(source, options), source);
  } catch (e) {
    throw cliInputError(e);
  } finally {
    source.close();
  }
}

/**
 * Reads a whole file named by an option (`what`: `--vcek`, `evidence`, ...), a FIFO or `-`, up
 * to the cap of its kind (`kind`, or derived from `what`: read-input.ts `INPUT_CAPS`).
 */
export function readInput(path: string, what: string, kind?: InputKind): Uint8Array {
  return asCliErrors(() => readInputBytes(path, { label: what, ...(kind !== undefined ? { kind } : {}) }));
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
