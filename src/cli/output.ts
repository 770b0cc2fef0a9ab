/**
 * What commands write besides their own summaries (DESIGN.md "Command line"): output files,
 * written atomically (a temporary file in the same directory, flushed, then renamed), so that
 * a reader never sees half a file and a failed write leaves the target as it was; the lines
 * that print `Check`s and measurement warnings; and the report of a typed library error with
 * its exit code.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CodedError } from '../format/coded-error.js';
import type { Check } from '../pki/check.js';
import type { PlatformMeasurement } from '../measure/index.js';
import type { CliIo } from './command.js';
import { InputReadError } from './errors.js';
import { stringify } from './json.js';

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

/**
 * Checks as text lines. `table` (report, compare, verify): `ok  ` / `FAIL` / `--  `, the name
 * padded to a column, the detail. `inline` (embed, on stderr): `ok  ` / `FAIL` / `skip`, then
 * `name: detail`.
 */
export function checkLines(checks: readonly Check[], layout: 'table' | 'inline' = 'table'): string {
  if (layout === 'inline') return checks.map((c) => `${c.ok === true ? 'ok  ' : c.ok === false ? 'FAIL' : 'skip'} ${c.name}: ${c.detail}\n`).join('');
  return checks.map((c) => `${c.ok === true ? 'ok  ' : c.ok === false ? 'FAIL' : '--  '}  ${c.name.padEnd(26)} ${c.detail}\n`).join('');
}

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
