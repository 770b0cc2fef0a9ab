/**
 * CLI exit codes and the errors that map to them (DESIGN.md, "Command line"):
 * 0 success, 1 invalid input, 2 usage error, 3 a check failed.
 */
export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_CHECK_FAILED = 3;

/** A usage error: bad options or arguments. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An input that could not be read (missing file, directory, I/O error). Exit code 1. */
export class InputReadError extends Error {
  override readonly name = 'InputReadError';
  readonly code = 'ReadError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}
