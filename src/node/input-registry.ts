/**
 * What one command run has read and written, so that no output replaces one of its inputs
 * (README "Files: inputs and outputs"). The reader records the identity of every input it
 * opens (device and inode, and the resolved path); the atomic writer refuses a target with
 * the same identity, and a second write to one target. A run is an `AsyncLocalStorage` scope
 * (`withInputRegistry`, opened by the CLI dispatcher per command), so concurrent runs in one
 * process never see each other's files; outside a scope nothing is recorded. The dispatcher also
 * declares every file the command line names as an input up front, so that an output written
 * before an input is read cannot replace it either.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { realpathSync, statSync } from 'node:fs';
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

/** A file the command line names as an input, before it is read. */
export interface DeclaredInput {
  readonly label: string;
  readonly path: string;
}

/**
 * Runs `fn` as one command run: inputs and outputs recorded inside it are checked against each
 * other. `declared` inputs that exist as regular files are recorded at once.
 */
export function withInputRegistry<T>(fn: () => T, declared: readonly DeclaredInput[] = []): T {
  const inputs: InputRecord[] = [];
  for (const { label, path } of declared) {
    if (path === '-' || path === '') continue;
    try {
      const st = statSync(path);
      if (st.isFile()) inputs.push({ label, path, dev: st.dev, ino: st.ino, resolved: realpathSync(path) });
    } catch {
      // Not there (yet): the reader records it if it is read.
    }
  }
  return store.run({ inputs, outputs: new Set(), stdinLabel: undefined }, fn);
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
