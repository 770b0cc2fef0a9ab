/**
 * The per-platform view of a file (spec/igvm-format.md §13.1, §14): the headers that apply to
 * one platform header's compatibility mask. A header with a mask applies when every bit of the
 * platform's mask is set in it (`(mask & cm) == cm`, the measurement module's rule; for the
 * single-bit masks of platform headers this is upstream's `(mask & filter) != 0` too). Headers
 * without a mask (parameter areas and usages) apply to every platform.
 */
import { compatibilityMaskOf, type DirectiveHeader, type GuestPolicyHeader, type IgvmFile, type InitializationHeader, type SupportedPlatformHeader } from './types.js';

/** The headers of one platform. */
export interface PlatformView {
  readonly platform: SupportedPlatformHeader;
  /** The first GUEST_POLICY that applies, if any. */
  readonly guestPolicy: GuestPolicyHeader | undefined;
  readonly initializations: readonly InitializationHeader[];
  readonly directives: readonly DirectiveHeader[];
}

/** True when a header with `mask` (undefined: no mask) applies to platform mask `cm`. */
export function appliesTo(mask: number | undefined, cm: number): boolean {
  return mask === undefined || ((mask & cm) >>> 0) === cm >>> 0;
}

/** The view of the platform header at `platform` (its index in `file.platforms`, or the header itself). */
export function platformView(file: IgvmFile, platform: number | SupportedPlatformHeader): PlatformView {
  const p = typeof platform === 'number' ? file.platforms[platform] : platform;
  if (p === undefined) throw new RangeError(`no platform header ${String(platform)}`);
  const cm = p.compatibilityMask;
  const initializations = file.initializations.filter((h) => appliesTo(compatibilityMaskOf(h), cm));
  const directives = file.directives.filter((h) => appliesTo(compatibilityMaskOf(h), cm));
  const guestPolicy = initializations.find((h): h is GuestPolicyHeader => h.kind === 'GUEST_POLICY');
  return { platform: p, guestPolicy, initializations, directives };
}
