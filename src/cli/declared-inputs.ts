/**
 * Which files a command line names as inputs (README "Files: inputs and outputs"): every
 * positional and every option value except the options that name outputs. The dispatcher
 * declares them to the run's registry (src/node/input-registry.ts) before the command runs, so
 * that an output written before an input is read cannot replace that input. Kept apart from
 * input.ts so the dispatcher loads no layer for it.
 */
import type { DeclaredInput } from '../node/input-registry.js';
import type { CommandArgs } from './command.js';

/** Options that name what a command writes; every other option value and positional may be an input. */
const OUTPUT_OPTIONS = new Set(['output', 'emit-tbs', 'emit-author-tbs']);

/**
 * The files a command line names as inputs (FILE, EVIDENCE and every option value except the
 * outputs), for the run's registry: an output is checked against them even when it is written
 * before they are read. A value that names no regular file is ignored.
 */
export function declaredInputs(args: CommandArgs): DeclaredInput[] {
  const out: DeclaredInput[] = args.positionals.map((path) => ({ label: 'FILE', path }));
  for (const [name, v] of Object.entries(args.values)) {
    if (OUTPUT_OPTIONS.has(name)) continue;
    for (const path of Array.isArray(v) ? v : [v]) if (typeof path === 'string') out.push({ label: `--${name}`, path });
  }
  return out;
}
