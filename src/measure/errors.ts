/**
 * The error type of the measurement layer (DESIGN.md "Errors"). Per-platform failures (a file
 * that upstream cannot measure for one platform, or that would crash or never finish there) are
 * reported per platform with these codes, so the other platforms of the same file still get
 * their digests (spec/snp.md §2.2, tdx.md §2.1, vbs-cca-corim.md §1.2 for upstream's errors).
 */
import { CodedError, type CodedErrorJson } from '../format/coded-error.js';

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
  // An Arm CCA platform its plan rejects (cca-igvm.ts); the message starts with the CcaError code.
  'InvalidCcaLaunch',
] as const;

/** A stable measurement error code. */
export type MeasurementErrorCode = (typeof MEASUREMENT_ERROR_CODES)[number];

/**
 * A platform that could not be measured, or an invalid measurement request. It points at a
 * header (`headerIndex`, file order) rather than at a byte, so its `offset` is always undefined.
 */
export class MeasurementError extends CodedError<MeasurementErrorCode> {
  override readonly name = 'MeasurementError';
  /** Index (file order) of the header at fault, when one is. */
  readonly headerIndex: number | undefined;

  constructor(code: MeasurementErrorCode, message: string, headerIndex?: number) {
    super(code, message);
    this.headerIndex = headerIndex;
  }

  /** `{code, message}` for JSON output: a measurement error points at a header, never a byte. */
  override toJSON(): CodedErrorJson {
    return { code: this.code, message: this.message };
  }
}
