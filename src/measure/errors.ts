/**
 * The error type of the measurement layer. Per-platform failures (a file that upstream
 * cannot measure for one platform, or that would crash or never finish there) are reported
 * per platform with these codes, so the other platforms of the same file still get their
 * digests (issue: launch measurements).
 */

/** Every code a `MeasurementError` can carry. */
export const MEASUREMENT_ERROR_CODES = [
  // Upstream's MeasurementError variants (microsoft/igvm measurement/mod.rs).
  'MissingGuestPolicy',
  'InvalidParameterAreaIndex',
  'UnsupportedPageSize',
  // Where upstream panics or effectively never finishes, a clear error instead.
  'NonNormalPageForVbs',
  'TooManyPages',
  'GpaOverflow',
  // Profile-specific conditions.
  'UnsupportedLargePageData',
  'MissingVmsa',
  'InvalidOption',
  'UnknownPlatform',
] as const;

/** A stable measurement error code. */
export type MeasurementErrorCode = (typeof MEASUREMENT_ERROR_CODES)[number];

/** A platform that could not be measured, or an invalid measurement request. */
export class MeasurementError extends Error {
  override readonly name = 'MeasurementError';
  readonly code: MeasurementErrorCode;
  /** Index (file order) of the header at fault, when one is. */
  readonly headerIndex: number | undefined;

  constructor(code: MeasurementErrorCode, message: string, headerIndex?: number) {
    super(message);
    this.code = code;
    this.headerIndex = headerIndex;
  }

  /** `{code, message}` for JSON output. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}
