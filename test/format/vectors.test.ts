/**
 * The reference implementation's own files (../shared/vectors/igvm, see vectors/SOURCES.md):
 * each parses, its header counts, revision and platform headers equal what upstream reported
 * in the `.json` beside it, and re-serializing it reproduces it byte for byte
 * (spec/igvm-format.md §12: files upstream wrote round-trip exactly).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseIgvm, serializeIgvm, type IgvmFile } from '../../src/index.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice, upstreamIgvmVectors, type UpstreamJson } from '../helpers/shared.js';

sharedNotice('upstream IGVM vectors');

describe.skipIf(!HAVE_SHARED)('upstream IGVM vectors', () => {
  const vectors = upstreamIgvmVectors();

  it('finds the vectors SOURCES.md lists (16 seed files, the C-API file and the COCONUT file)', () => {
    expect(vectors.length).toBe(18);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      const bytes = sharedBytes(v.igvm);
      const expected = sharedJson<UpstreamJson>(v.json);
      let file: IgvmFile;

      it('is the file upstream measured (size and SHA-256 from its JSON)', () => {
        expect(bytes.length).toBe(expected.file_size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(expected.file_sha256);
      });

      it('parses, with upstream revision and header counts', () => {
        file = parseIgvm(bytes);
        expect({
          format_version: file.revision.formatVersion,
          arch: file.revision.architecture === 'x64' ? 'X64' : 'AArch64', // upstream's Debug spelling
          page_size: file.revision.pageSize,
        }).toEqual(expected.revision);
        expect({
          platform: file.platforms.length,
          initialization: file.initializations.length,
          directive: file.directives.length,
        }).toEqual(expected.counts);
      });

      it('has upstream platform headers, in file order', () => {
        expect(
          file.platforms.map((p) => ({
            compatibility_mask: p.compatibilityMask,
            platform_type: p.platformType,
            highest_vtl: p.highestVtl,
            platform_version: p.platformVersion,
            shared_gpa_boundary: Number(p.sharedGpaBoundary),
          })),
        ).toEqual(
          expected.platforms.map((p) => ({
            compatibility_mask: p.compatibility_mask,
            platform_type: p.platform_type,
            highest_vtl: p.highest_vtl,
            platform_version: p.platform_version,
            shared_gpa_boundary: p.shared_gpa_boundary,
          })),
        );
      });

      it('re-serializes byte for byte', () => {
        const out = serializeIgvm(file);
        expect(out.length).toBe(bytes.length);
        const firstDiff = out.findIndex((b, i) => b !== bytes[i]);
        expect(firstDiff).toBe(-1);
      });

      it('parses in strict mode too, or fails only with a Strict* code', () => {
        try {
          parseIgvm(bytes, { strict: true });
        } catch (e) {
          expect((e as { code: string }).code).toMatch(/^Strict/);
        }
      });
    });
  }
});
