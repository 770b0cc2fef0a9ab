/**
 * The shape every CLI command has: its options for `util.parseArgs`, its help text, and a
 * `run` that writes to the given streams and returns the exit code. Commands are thin: they
 * parse arguments, call the library and print (DESIGN.md, "Shape").
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Where a command writes. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress output is shown only then). */
  readonly stderrIsTty: boolean;
}

/** Parsed options and positionals of one command. */
export interface CommandArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** The single FILE argument of a command, or a usage error. */
export function onePath(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? `${command} needs a FILE` : `${command} takes one FILE`);
  return positionals[0]!;
}

/** One `igvm-measure <command>`. */
export interface Command {
  readonly name: string;
  /** Full `--help` text. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  run(args: CommandArgs, io: CliIo): Promise<number> | number;
}
