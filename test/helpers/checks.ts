/**
 * Test helpers for verdicts and evidence errors: find a named check in a verification result
 * (failing loudly when it is absent, so a renamed check cannot pass unnoticed), and catch the
 * `EvidenceError` a reader must throw.
 */
import { expect } from 'vitest';
import { EvidenceError } from '../../src/evidence/errors.js';
import type { Check } from '../../src/pki/check.js';

/** The check named `name`; throws, listing the names there are, when there is none. */
export function findCheck(checks: readonly Check[], name: string): Check {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${checks.map((x) => x.name).join(', ')}`);
  return c;
}

/** The `EvidenceError` that `f` throws; fails the test when it throws anything else or nothing. */
export function evidenceErrorOf(f: () => unknown): EvidenceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    return e as EvidenceError;
  }
  throw new Error('expected an EvidenceError');
}
