/**
 * How a digest is printed for scripts: `--output-format hex|base64` (sev-snp-measure's option
 * and its two spellings) and `--quiet` / `--digest-only`, which print only the digest(s), one
 * per line, so that `$(igvm-measure measure ...)` captures just the value.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** The options every digest-printing command takes. */
export const DIGEST_OUTPUT_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  'output-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'digest-only': { type: 'boolean' },
};

/** The `--help` lines of `DIGEST_OUTPUT_OPTIONS`. */
export const DIGEST_OUTPUT_HELP = `  --output-format hex|base64
                    how digests are printed (default hex), as sev-snp-measure
  -q, --quiet, --digest-only
                    print only the digest(s), one per line`;

export type DigestFormat = 'hex' | 'base64';

/** What the user asked for; `--quiet` with `--json` or `--trace` is a usage error the caller checks. */
export interface DigestOutput {
  readonly format: DigestFormat;
  readonly digestOnly: boolean;
}

/** Reads `--output-format`, `--quiet` and `--digest-only` from parsed values. */
export function digestOutputOf(values: Record<string, unknown>): DigestOutput {
  const f = values['output-format'];
  if (f !== undefined && f !== 'hex' && f !== 'base64') throw new UsageError(`--output-format must be hex or base64, not '${String(f)}'`);
  return { format: (f as DigestFormat | undefined) ?? 'hex', digestOnly: values.quiet === true || values['digest-only'] === true };
}

/** A digest in the chosen format. */
export function digestText(digest: Uint8Array, format: DigestFormat): string {
  if (format === 'base64') return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('base64');
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex');
}
