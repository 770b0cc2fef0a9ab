/**
 * `igvm-measure inspect FILE [--json] [--headers] [--strict]`: what a file contains:
 * the fixed header, platform headers and every header by type (spec/igvm-format.md §2–§8).
 */
import { allHeaders, type IgvmFile, type IgvmHeader } from '../format/index.js';
import { onePath, type Command } from './command.js';
import { headerJson, headerLine } from './describe.js';
import { EXIT_OK } from './errors.js';
import { withIgvmFile } from './input.js';
import { stringify, toJson, u64Json, type Json } from './json.js';

const HELP = `Usage: igvm-measure inspect FILE [--json] [--headers] [--strict]

Show what an IGVM file contains: format revision, architecture, platforms,
header counts by type and data sizes.

Options:
  --headers   also list every header, one line each (index, file offset, type, fields)
  --json      print one JSON document on stdout instead (every header included)
  --strict    also apply the spec's checks that the reference implementation skips
              (reserved bits, masks naming no platform, zero padding, ...)
  -h, --help  show this help

JSON: {format_version, architecture, page_size, total_file_size, checksum,
counts: {platform, initialization, directive}, counts_by_type, platforms: [...],
initialization: [...], directives: [...]}. 64-bit values are JSON numbers below
2^53 and "0x..." strings above; byte arrays are lowercase hex strings.

Exit codes: 0 success, 1 the file is unreadable or invalid, 2 usage error.`;

/** The JSON document of `inspect --json`. */
export function inspectJson(path: string, file: IgvmFile): Json {
  const src = file.source;
  return {
    file: path,
    format_version: file.revision.formatVersion,
    architecture: file.revision.architecture,
    page_size: file.revision.pageSize,
    total_file_size: src?.totalFileSize ?? null,
    variable_header_offset: src?.variableHeaderOffset ?? null,
    variable_header_size: src?.variableHeaderSize ?? null,
    checksum: src ? `0x${src.checksum.toString(16).padStart(8, '0')}` : null,
    counts: {
      platform: file.platforms.length,
      initialization: file.initializations.length,
      directive: file.directives.length,
    },
    counts_by_type: countsByType(allHeaders(file)),
    data: toJson(dataSummary(file)),
    platforms: file.platforms.map((p) => ({
      compatibility_mask: p.compatibilityMask,
      platform_type: p.platformType,
      highest_vtl: p.highestVtl,
      platform_version: p.platformVersion,
      shared_gpa_boundary: u64Json(p.sharedGpaBoundary),
    })),
    initialization: file.initializations.map((h) => headerJson(file, h)),
    directives: file.directives.map((h) => headerJson(file, h)),
  };
}

function countsByType(headers: readonly IgvmHeader[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of headers) out[h.kind] = (out[h.kind] ?? 0) + 1;
  return out;
}

/** Sizes a reader wants at a glance: file data, pages with data, zero pages. */
function dataSummary(file: IgvmFile): { fileDataBytes: number | null; pagesWithData: number; zeroPages: number; parameterAreaBytes: bigint } {
  let pagesWithData = 0;
  let zeroPages = 0;
  let parameterAreaBytes = 0n;
  for (const h of file.directives) {
    if (h.kind === 'PAGE_DATA') {
      if (h.data.length === 0) zeroPages++;
      else pagesWithData++;
    } else if (h.kind === 'PARAMETER_AREA') {
      parameterAreaBytes += h.numberOfBytes;
    }
  }
  const src = file.source;
  return { fileDataBytes: src ? src.totalFileSize - src.dataStart : null, pagesWithData, zeroPages, parameterAreaBytes };
}

function summaryText(path: string, file: IgvmFile, withHeaders: boolean): string {
  const lines: string[] = [];
  const src = file.source;
  const r = file.revision;
  lines.push(`file:         ${path}${src ? ` (${src.totalFileSize} bytes)` : ''}`);
  lines.push(`format:       version ${r.formatVersion}, ${r.architecture}, page size ${r.pageSize}`);
  if (src) {
    lines.push(`headers at:   0x${src.variableHeaderOffset.toString(16)}, ${src.variableHeaderSize} bytes; file data from 0x${src.dataStart.toString(16)}`);
    lines.push(`checksum:     0x${src.checksum.toString(16).padStart(8, '0')}`);
  }
  lines.push(`platforms:    ${file.platforms.length}`);
  for (const p of file.platforms) {
    lines.push(
      `  mask 0x${p.compatibilityMask.toString(16).padEnd(8)} ${p.platformType.padEnd(14)} highest_vtl ${p.highestVtl}  version ${p.platformVersion}  shared_gpa_boundary 0x${p.sharedGpaBoundary.toString(16)}`,
    );
  }
  lines.push(`headers:      ${file.platforms.length} platform, ${file.initializations.length} initialization, ${file.directives.length} directive`);
  const counts = countsByType([...file.initializations, ...file.directives]);
  for (const [kind, n] of Object.entries(counts)) lines.push(`  ${kind.padEnd(28)} ${n}`);
  const d = dataSummary(file);
  lines.push(`page data:    ${d.pagesWithData} pages with data, ${d.zeroPages} zero pages`);
  if (d.parameterAreaBytes > 0n) lines.push(`parameters:   ${d.parameterAreaBytes} bytes of parameter areas`);
  if (d.fileDataBytes !== null) lines.push(`file data:    ${d.fileDataBytes} bytes`);
  if (withHeaders) {
    lines.push('', `${'index'.padStart(5)}  ${'offset'.padStart(10)}  ${'type'.padEnd(28)}fields`);
    for (const h of allHeaders(file)) lines.push(headerLine(h));
  }
  return `${lines.join('\n')}\n`;
}

export const inspectCommand: Command = {
  name: 'inspect',
  help: HELP,
  options: {
    json: { type: 'boolean' },
    headers: { type: 'boolean' },
    strict: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const path = onePath(positionals, 'inspect');
    return withIgvmFile(path, { strict: values.strict === true }, (file) => {
      if (values.json === true) io.stdout(stringify(inspectJson(path, file)));
      else io.stdout(summaryText(path, file, values.headers === true));
      return EXIT_OK;
    });
  },
};
