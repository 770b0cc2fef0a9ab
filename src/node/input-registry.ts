/**
 * What one command run has read and written, so that no output replaces one of its inputs
 * (README "Files: inputs and outputs"). The reader records the identity of every input it
 * opens (device and inode, and the resolved path); the atomic writer refuses a target with
 * the same identity, and a second write to one target. A run is an `AsyncLocalStorage` scope
 * (`withInputRegistry`, opened by the CLI dispatcher per command), so concurrent runs in one
 * process never see each other's files; outside a scope nothing is recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InputError } from './input-error.js';

/** One input of the run: how the user named it and what it resolved to. */
export interface InputRecord {
  /** `--vcek`, `FILE`, `evidence`, ... */
  readonly label: string;
  /** The path as given (`-` for standard input). */
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** The path with every symbolic link resolved, when it could be resolved. */
  readonly resolved: string | undefined;
}

interface Run {
  readonly inputs: InputRecord[];
  readonly outputs: Set<string>;
  stdinLabel: string | undefined;
}

const store = new AsyncLocalStorage<Run>();

/** Runs `fn` as one command run: inputs and outputs recorded inside it are checked against each other. */
export function withInputRegistry<T>(fn: () => T): T {
  return store.run({ inputs: [], outputs: new Set(), stdinLabel: undefined }, fn);
}

/** Records an input of the current run (nothing outside a run). */
export function recordInput(record: InputRecord): void {
  store.getStore()?.inputs.push(record);
}

/** The inputs read so far in the current run. */
export function runInputs(): readonly InputRecord[] {
  return store.getStore()?.inputs ?? [];
}

/**
 * Standard input can be read once: a second `-` in one run is `InputError('StdinTwice')`
 * (the CLI's usage error), whichever inputs they are.
 */
export function claimStdin(label: string): void {
  const run = store.getStore();
  if (run === undefined) return;
  if (run.stdinLabel !== undefined) {
    throw new InputError('StdinTwice', `${label} and ${run.stdinLabel} both read standard input ('-'); only one input of a command can be '-'`, '-');
  }
  run.stdinLabel = label;
}

/** Records a written output (its resolved path); a second write to the same file in one run is refused. */
export function recordOutput(resolved: string, path: string): void {
  const run = store.getStore();
  if (run === undefined) return;
  if (run.outputs.has(resolved)) throw new InputError('OutputTwice', `${path} would be written twice by one command; give distinct outputs`, path);
  run.outputs.add(resolved);
}
