/**
 * The verdict vocabulary shared by every layer that checks something (pki chains, evidence,
 * ID-block and CoRIM signatures): a verification result is a list of named checks, each
 * passed, failed, or not made, with a detail line (`report verify --json` prints them as
 * `checks: [{name, ok, detail}]`).
 */

/** One named check. `ok: null` means the check was not made (e.g. no collateral given). */
export interface Check {
  readonly name: string;
  readonly ok: boolean | null;
  readonly detail: string;
}

/** True when every check that was made passed and at least one was made. */
export function allPassed(checks: readonly Check[]): boolean {
  return checks.some((c) => c.ok === true) && checks.every((c) => c.ok !== false);
}
