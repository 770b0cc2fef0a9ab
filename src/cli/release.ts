/**
 * What the release-pipeline commands `sign`, `verify`, `reference` and `embed` share: options
 * that name keys and input files, measuring the input with progress, and reporting the sign
 * layer's errors (`SignError` for SNP ID blocks, spec/snp.md §3; `CorimError` for CoRIM and
 * COSE_Sign1, spec/vbs-cca-corim.md §3) with their exit codes (DESIGN.md "Command line").
 */
import type { IgvmFile } from '../format/index.js';
import type { MeasureOptions, MeasurementResult } from '../measure/index.js';
import { measureParallel } from '../node/measure-file.js';
import type { InputKind } from '../node/read-input.js';
import type { CorimError } from '../sign/corim-errors.js';
import type { SignError, SignErrorCode } from '../sign/errors.js';
import { loadPrivateKey, loadPublicKey, type P384KeyPair, type P384PublicKey } from '../sign/keys.js';
import type { CliIo, CommandArgs } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_INVALID_INPUT, EXIT_USAGE } from './errors.js';
import { readInput } from './input.js';
import { reportCodedError } from './output.js';
import { progressFor } from './progress.js';

/** The value of a string option. */
export function stringOption(values: CommandArgs['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a whole input file named by an option (`what`, e.g. `--corim`), or `InputReadError` (input.ts `readInput`). */
export function readInputFile(path: string, what: string, kind?: InputKind): Uint8Array {
  return readInput(path, what, kind);
}

/** Reads the P-384 private key (PEM or DER) named by option `name`. */
export async function privateKeyOption(values: CommandArgs['values'], name: string): Promise<P384KeyPair | undefined> {
  const path = stringOption(values, name);
  return path === undefined ? undefined : loadPrivateKey(readInput(path, `--${name}`), `--${name} ${path}`);
}

/** Reads the P-384 public key named by option `name` (a private key's public half is accepted). */
export async function publicKeyOption(values: CommandArgs['values'], name: string): Promise<P384PublicKey | undefined> {
  const path = stringOption(values, name);
  return path === undefined ? undefined : loadPublicKey(readInput(path, `--${name}`), `--${name} ${path}`);
}

/** Measures `file` (read from `path`, `size` bytes) on worker threads, with progress on a terminal. */
export async function measureWithProgress(file: IgvmFile, path: string, size: number, options: MeasureOptions, io: CliIo): Promise<MeasurementResult> {
  const progress = progressFor(io, `measuring ${path}`, size);
  const result = await measureParallel(file, { ...options, onProgress: (done, total) => progress.update(done, total) });
  progress.end();
  return result;
}

/** The exit code of a signing error (DESIGN.md "Command line"). */
export function signErrorExitCode(code: SignErrorCode): number {
  switch (code) {
    case 'BadOption':
      return EXIT_USAGE;
    case 'SignatureDoesNotVerify':
    case 'NotMeasurable':
    case 'NoGuestPolicy':
    case 'ConflictingGuestPolicy':
      return EXIT_CHECK_FAILED;
    case 'BadKey':
    case 'WrongCurve':
    case 'BadSignature':
    case 'NoSnpPlatform':
      return EXIT_INVALID_INPUT;
  }
}

/** Prints a `SignError` the way run.ts prints the other errors, and returns its exit code. */
export function reportSignError(e: SignError, command: string, json: boolean, io: CliIo): number {
  return reportCodedError(e, command, json, io, signErrorExitCode(e.code));
}

/** Prints a `CorimError` like run.ts prints the other input errors; exit 1. */
export function reportCorimError(e: CorimError, command: string, json: boolean, io: CliIo): number {
  return reportCodedError(e, command, json, io, EXIT_INVALID_INPUT);
}
