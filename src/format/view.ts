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

/**
 * The GUEST_POLICY headers that cover a platform, in file order: the one place of the rule
 * "a policy applies when its mask holds every bit of the platform's mask" (spec/snp.md §2.2
 * item 1, igvm-format.md §14). The measurement requires one, the ID block takes its value,
 * and `compare` checks the reported POLICY against it.
 */
export function guestPoliciesFor(file: IgvmFile, platform: SupportedPlatformHeader): GuestPolicyHeader[] {
  const cm = platform.compatibilityMask;
  return file.initializations.filter((h): h is GuestPolicyHeader => h.kind === 'GUEST_POLICY' && appliesTo(h.compatibilityMask, cm));
}

/** The view of the platform header at `platform` (its index in `file.platforms`, or the header itself). */
export function platformView(file: IgvmFile, platform: number | SupportedPlatformHeader): PlatformView {
  const p = typeof platform === 'number' ? file.platforms[platform] : platform;
  if (p === undefined) throw new RangeError(`no platform header ${String(platform)}`);
  const cm = p.compatibilityMask;
  const initializations = file.initializations.filter((h) => appliesTo(compatibilityMaskOf(h), cm));
  const directives = file.directives.filter((h) => appliesTo(compatibilityMaskOf(h), cm));
  const guestPolicy = guestPoliciesFor(file, p)[0];
  return { platform: p, guestPolicy, initializations, directives };
}
