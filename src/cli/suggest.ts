/**
 * "Did you mean …?" for the command line: the closest known name to a mistyped command, action
 * or option, by edit distance (as git and cargo suggest), so that a typo gets a usable message
 * instead of `util.parseArgs`' raw text.
 */

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
 * adjacent characters each cost 1 (`--plaform` → `--platform` is 1, `--jsno` → `--json` is 1).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The known name closest to `given`, or `undefined` when none is close: a unique name that
 * `given` is a prefix of (`--plat` → `--platform`), else the nearest within a third of the
 * longer name's length (at least 1, at most 3), the first listed on a tie.
 */
export function closest(given: string, known: Iterable<string>): string | undefined {
  const names = [...new Set(known)];
  if (given.length >= 2) {
    const prefixed = names.filter((n) => n.startsWith(given));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const n of names) {
    const d = editDistance(given.toLowerCase(), n.toLowerCase());
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(given.length, n.length) / 3)));
    if (d <= limit && d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean 'x'?` for `given` among `known` (as `quote` spells a name), or the empty string. */
export function didYouMean(given: string, known: Iterable<string>, quote: (name: string) => string = (n) => `'${n}'`): string {
  const c = closest(given, known);
  return c === undefined ? '' : `; did you mean ${quote(c)}?`;
}
