/**
 * Runs one CLI `Command` the way src/cli/run.ts does — `util.parseArgs` with the command's
 * options plus `--help`, strict, positionals allowed; usage errors exit 2; invalid files,
 * unreadable inputs and invalid evidence exit 1; a refused measurement request exits 2 — for
 * commands that are tested before they are registered in run.ts. Anything else is rethrown,
 * so that a bug fails the test instead of becoming an exit code.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../../src/cli/command.js';
import { InputReadError, UsageError } from '../../src/cli/errors.js';
import { IgvmFormatError } from '../../src/format/index.js';
import { MeasurementError } from '../../src/measure/index.js';

/** What a command run produced. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `argv` (the arguments after the command name). */
export async function runCommand(command: Command, argv: readonly string[]): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), stderrIsTty: false };
  let code: number;
  try {
    let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (parsed.values.help === true) {
      io.stdout(`${command.help}\n`);
      code = 0;
    } else {
      code = await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof MeasurementError) {
      io.stderr(`igvm-measure ${command.name}: ${e.message}\n`);
      code = 2;
    } else if (e instanceof IgvmFormatError || e instanceof InputReadError) {
      io.stderr(`igvm-measure ${command.name}: ${e.message}\n`);
      code = 1;
    } else {
      throw e;
    }
  }
  return { code, stdout, stderr };
}
