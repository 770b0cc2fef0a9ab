/** Catching the firmware layer's typed errors in tests. */
import { expect } from 'vitest';
import { FirmwareError, type FirmwareErrorCode } from '../../src/firmware/errors.js';

/** The FirmwareError `f` throws; anything else it throws is rethrown, and no error fails the test. */
export function catchFirmwareError(f: () => unknown): FirmwareError {
  try {
    f();
  } catch (e) {
    if (e instanceof FirmwareError) return e;
    throw e;
  }
  throw new Error('expected a FirmwareError, got a result');
}

/** The FirmwareError `f` throws, which must carry `code`. */
export function fwError(f: () => unknown, code: FirmwareErrorCode): FirmwareError {
  const e = catchFirmwareError(f);
  expect(e.code, e.message).toBe(code);
  return e;
}
