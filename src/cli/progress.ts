/**
 * Progress on stderr for long work (DESIGN.md, "Command line"): only when stderr is a terminal
 * and the input is large enough for it to matter, so that logs and pipes stay clean.
 */
import type { CliIo } from './command.js';

/** Inputs above this size show progress: below it, a whole run takes well under a second. */
export const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

/** A progress line that rewrites itself, and `end()` to clear it. */
export interface Progress {
  update(done: number, total: number): void;
  end(): void;
}

const NONE: Progress = { update: () => {}, end: () => {} };

/** A progress reporter for `label`, or a silent one when progress should not show. */
export function progressFor(io: CliIo, label: string, inputBytes: number): Progress {
  if (!io.stderrIsTty || inputBytes <= PROGRESS_MIN_BYTES) return NONE;
  let last = -1;
  let shown = false;
  return {
    update(done, total) {
      const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
      if (pct === last) return;
      last = pct;
      shown = true;
      io.stderr(`\r${label}: ${pct}%`);
    },
    end() {
      if (shown) io.stderr('\r\x1b[K');
    },
  };
}
