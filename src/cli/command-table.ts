/**
 * The commands as data for the generated documents (shell completion, the man page): each
 * command's name, summary, options (from the same `util.parseArgs` tables the dispatcher
 * parses with) and help text, and the fixed choices of the options that have them. One
 * source, so a new option reaches `--help`, completion and the man page together.
 */
import { PLATFORM_SELECTORS, PROFILE_NAMES } from '../measure/index.js';
import type { Command } from './command.js';
import type { CommandEntry } from './run.js';

/** One option of a command. */
export interface OptionInfo {
  /** The long name without dashes, e.g. `platform`. */
  readonly name: string;
  /** The one-letter short form, if any. */
  readonly short?: string;
  /** True when the option takes a value. */
  readonly takesValue: boolean;
  /** The values it accepts, when they are a fixed list. */
  readonly choices?: readonly string[];
  /** Its description, from the command's help text ('' when the help has no line of its own). */
  readonly description: string;
}

/** One command of the table. */
export interface CommandInfo {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly options: readonly OptionInfo[];
  /** Words the first positional argument can be (`report show|verify`), else a FILE. */
  readonly actions?: readonly string[];
}

/**
 * Options whose values are a fixed list (the same lists the commands check them against), as
 * `command --option` or, for every command, `--option`.
 */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  'measure --platform': PLATFORM_SELECTORS,
  '--profile': PROFILE_NAMES,
  '--output-format': ['hex', 'base64'],
};

function choicesOf(command: string, option: string): readonly string[] | undefined {
  return CHOICES[`${command} --${option}`] ?? CHOICES[`--${option}`];
}

/** First-positional words of the commands that take an action or a name. */
const ACTIONS: Readonly<Record<string, readonly string[]>> = {
  report: ['show', 'verify'],
  completion: ['bash', 'zsh'],
};

/**
 * The description of `--name` in a help text: the text after the option's line head (two or
 * more spaces after it), or the next line when the head fills its own line.
 */
export function optionDescription(help: string, name: string): string {
  const lines = help.split('\n');
  const head = new RegExp(`^\\s+(?:-\\w, )?--${name.replace(/[-]/g, '\\-')}(?![\\w-])`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!head.test(line)) continue;
    const rest = line.replace(head, '');
    const m = /\s{2,}(\S.*)$/.exec(rest);
    if (m !== null) return m[1]!.trim();
    const next = lines[i + 1];
    if (next !== undefined && /^\s{8,}\S/.test(next)) return next.trim();
    return '';
  }
  return '';
}

/** Loads every command and lists it with its options (`--help` / `-h` included, as the dispatcher adds them). */
export async function commandTable(entries: readonly CommandEntry[]): Promise<CommandInfo[]> {
  const out: CommandInfo[] = [];
  for (const entry of entries) {
    if (entry.hidden === true) continue;
    const command = await entry.load();
    const all: Command['options'] = { ...command.options, help: { type: 'boolean', short: 'h' } };
    const options: OptionInfo[] = Object.entries(all).map(([name, o]) => ({
      name,
      ...(o.short !== undefined ? { short: o.short } : {}),
      takesValue: o.type === 'string',
      ...(o.type === 'string' && choicesOf(entry.name, name) !== undefined ? { choices: choicesOf(entry.name, name)! } : {}),
      description: name === 'help' ? 'show this help' : optionDescription(command.help, name),
    }));
    out.push({ name: entry.name, summary: entry.summary, help: command.help, options, ...(ACTIONS[entry.name] !== undefined ? { actions: ACTIONS[entry.name] } : {}) });
  }
  return out;
}
