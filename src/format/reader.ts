/**
 * The IGVM reader's entry points (spec/igvm-format.md §10.1, upstream's
 * `IgvmFile::new_from_binary`): the fixed header (§2, fixed-header.ts), the variable header
 * section (§3, §5–§8, header-reader.ts), then the file-level validation of validate.ts.
 *
 * Robustness (DESIGN.md "Errors", spec §10.5): every size and offset read from the input is
 * checked against the real input size before anything is read or allocated, so a hostile
 * file can neither make us allocate more than the input's own size nor throw anything but
 * `IgvmFormatError`. Page data is never read here; headers refer to it through `IgvmData`.
 */
import { readFixedHeader } from './fixed-header.js';
import { HeaderReader } from './header-reader.js';
import { bufferSource, type ByteSource } from './source.js';
import type { IgvmFile } from './types.js';
import { validateFile } from './validate.js';

/** Options of `parseIgvm`. The defaults reproduce upstream microsoft/igvm exactly. */
export interface ParseOptions {
  /**
   * Also enforce what the spec states and upstream skips (§10.4): variable-header offset
   * after the fixed header and 8-aligned, zero padding, page-data reserved flag bits, 2 MiB
   * page alignment, masks that name existing, distinct, non-zero platform bits, ERROR_RANGE
   * sizes in whole pages, VBS `mbz` and VP_CONTEXT reserved fields zero, no page GPA loaded
   * twice for one platform, GUEST_POLICY only for SEV-SNP and TDX platforms. Default false.
   */
  readonly strict?: boolean;
  /**
   * Headers whose type has the optional bit (bit 31) set (§3.4, §17 item 1). `'reject'`
   * (default) is upstream: they are outside every type range and fail with
   * `InvalidBinaryVariableHeaderSection`. `'skip'` is the spec: an unknown optional header in
   * the initialization or directive range is kept opaque (`OPTIONAL_UNKNOWN`) and written
   * back unchanged; a known type with the bit set is read as that type.
   */
  readonly optionalHeaders?: 'reject' | 'skip';
  /**
   * Accept CORIM_DOCUMENT / CORIM_SIGNATURE (0x104/0x105), as upstream built with its `corim`
   * feature does (§6.5); the reference measurements come from such a build. Default true;
   * false rejects them with `InvalidVariableHeaderType` as a build without the feature does.
   */
  readonly corim?: boolean;
}

/** Parses and validates IGVM bytes held in memory. Page data stays a view into `bytes`. */
export function parseIgvm(bytes: Uint8Array, options: ParseOptions = {}): IgvmFile {
  return parseIgvmSource(bufferSource(bytes), options);
}

/**
 * Parses and validates an IGVM file read through `source`. Only the fixed header, the
 * variable-header section and VP-context payloads are read; page data is read when a
 * consumer calls `data.bytes()`.
 */
export function parseIgvmSource(source: ByteSource, options: ParseOptions = {}): IgvmFile {
  const fixed = readFixedHeader(source);
  const reader = new HeaderReader(source, fixed.revision, fixed.info, {
    strict: options.strict === true,
    skipOptional: options.optionalHeaders === 'skip',
    corim: options.corim !== false,
  });
  reader.walk();
  const file: IgvmFile = {
    revision: fixed.revision,
    platforms: reader.platforms,
    initializations: reader.initializations,
    directives: reader.directives,
    ...(reader.platformOptionals.length > 0 ? { platformOptionals: reader.platformOptionals } : {}),
    source: fixed.info,
  };
  // Each header passed its own checks as it was decoded; only the file-level rules remain.
  validateFile(file, { strict: options.strict === true, headersChecked: true });
  return file;
}
