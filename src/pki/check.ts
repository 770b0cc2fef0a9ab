/**
 * The verdict vocabulary shared by every layer that checks something (pki chains, evidence,
 * appraisal policy, ID-block and CoRIM signatures): a verification result is a list of named
 * checks, each passed, failed, or not made, with a detail line and, where a value was compared
 * with an expected one, both values (`report verify --json` prints them as
 * `checks: [{name, ok, expected, actual, detail}]`), and the one text and JSON form of checks
 * and verdicts that the CLI and the browser page print.
 */

/** One named check. `ok: null` means the check was not made (e.g. no collateral given). */
export interface Check {
  readonly name: string;
  readonly ok: boolean | null;
  readonly detail: string;
  /** What the check required, when it compares a value (hex, a number, a list). */
  readonly expected?: string;
  /** What the evidence reported for it. */
  readonly actual?: string;
}

/** True when every check that was made passed and at least one was made. */
export function allPassed(checks: readonly Check[]): boolean {
  return checks.some((c) => c.ok === true) && checks.every((c) => c.ok !== false);
}

/** How many checks passed, failed and were not made, and the names of those not made. */
export interface CheckTally {
  readonly passed: number;
  readonly failed: number;
  readonly notMade: readonly string[];
}

/** Counts checks by outcome. */
export function tallyChecks(checks: readonly Check[]): CheckTally {
  return {
    passed: checks.filter((c) => c.ok === true).length,
    failed: checks.filter((c) => c.ok === false).length,
    notMade: checks.filter((c) => c.ok === null).map((c) => c.name),
  };
}

/**
 * Every check that was not made becomes a failure (`--require-all`): "verified" then means that
 * every check named was made and held.
 */
export function requireAllChecks(checks: readonly Check[]): Check[] {
  return checks.map((c) => (c.ok === null ? { ...c, ok: false, detail: `required but not made: ${c.detail}` } : c));
}

/** A check as the JSON outputs print it: `{name, ok, expected, actual, detail}`. */
export function checkJson(c: Check): { name: string; ok: boolean | null; expected: string | null; actual: string | null; detail: string } {
  return { name: c.name, ok: c.ok, expected: c.expected ?? null, actual: c.actual ?? null, detail: c.detail };
}

/**
 * Checks as text lines, the same in every command and in the browser page: `ok  ` / `FAIL` /
 * `--  ` (not made), the name padded to a column, the detail.
 */
export function checkLines(checks: readonly Check[]): string {
  return checks.map((c) => `${c.ok === true ? 'ok  ' : c.ok === false ? 'FAIL' : '--  '}  ${c.name.padEnd(26)} ${c.detail}\n`).join('');
}

/**
 * The verdict line: never "all passed" when some checks were not made, e.g. `verified: 7
 * checks passed, 3 not made (tcb-status, qe-identity, crl)`.
 */
export function verdictText(verified: boolean, checks: readonly Check[]): string {
  const t = tallyChecks(checks);
  const notMade = t.notMade.length === 0 ? '' : `, ${t.notMade.length} not made (${t.notMade.join(', ')})`;
  const plural = (n: number): string => `${n} check${n === 1 ? '' : 's'}`;
  if (verified) return t.notMade.length === 0 ? `verified: all ${plural(t.passed)} made and passed` : `verified: ${plural(t.passed)} passed${notMade}`;
  const failed = checks.filter((c) => c.ok === false).map((c) => c.name);
  if (failed.length === 0) return `NOT verified: no check was made${notMade}`;
  return `NOT verified: ${plural(t.failed)} failed (${failed.join(', ')}), ${t.passed} passed${notMade}`;
}
