/**
 * The error type of the Node file adapters (DESIGN.md "Errors"): an input that cannot be read
 * (missing, not a file, a device, larger than its cap, shrinking while read) or an output that
 * must not be written (it is one of the command's inputs, or not a regular file). The CLI maps
 * it to exit 1 (a second `-` to a usage error); the message names the file and the rule.
 */
import { CodedError } from '../format/coded-error.js';

/** Every code an `InputError` can carry. */
export const INPUT_ERROR_CODES = [
  'NotFound', // no such file (or a dangling symbolic link)
  'PermissionDenied', // the file system refused access
  'NotAFile', // a directory, a character or block device, a socket: never read or replaced
  'TooLarge', // more bytes than the cap of that kind of input
  'Truncated', // the file became shorter while it was being read
  'StdinTwice', // `-` given for more than one input of one command
  'OutputIsInput', // an output names (by path, link or hard link) one of the command's inputs
  'OutputTwice', // one command would write the same output file twice
  'ReadFailed', // any other read error
  'WriteFailed', // any other write error, or a `check` of the written file that failed
] as const;

export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** A file that cannot be read, or an output that must not be written. */
export class InputError extends CodedError<InputErrorCode> {
  override readonly name = 'InputError';
  constructor(
    code: InputErrorCode,
    message: string,
    /** The path as the user gave it. */
    readonly path: string,
  ) {
    super(code, message);
  }
}

/** A Node `fs` error as a one-line reason (`no such file`, `permission denied`, ...). */
export function fsReason(e: unknown): { code: InputErrorCode; why: string } {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return { code: 'NotFound', why: 'no such file' };
    case 'EACCES':
    case 'EPERM':
      return { code: 'PermissionDenied', why: 'permission denied' };
    case 'EISDIR':
      return { code: 'NotAFile', why: 'is a directory' };
    case 'ENOTDIR':
      return { code: 'NotFound', why: 'a part of the path is not a directory' };
    case 'ENXIO':
      return { code: 'NotAFile', why: 'not a regular file (a socket or a device without a reader)' };
    case 'ELOOP':
      return { code: 'NotFound', why: 'too many levels of symbolic links' };
    default:
      return { code: 'ReadFailed', why: e instanceof Error ? e.message : String(e) };
  }
}
