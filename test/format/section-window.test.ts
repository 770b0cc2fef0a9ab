/**
 * The variable header section is read through a window (header-reader.ts): a section larger
 * than the window parses to the same headers as the builder wrote, no read of the section is
 * larger than the window, and a bad header beyond the first window is reported at its own file
 * offset. Expected values come from the builder's input (what was written) and from the
 * format's layout (spec/igvm-format.md §3: 8-byte TLV header + 24-byte PAGE_DATA payload).
 */
import { describe, expect, it } from 'vitest';
import { IgvmBuilder } from '../../src/format/builder.js';
import { IgvmFormatError } from '../../src/format/errors.js';
import { SECTION_CHUNK } from '../../src/format/fixed-header.js';
import { parseIgvmSource } from '../../src/format/reader.js';
import { bufferSource } from '../../src/format/source.js';

const PAGES = 12_000; // 12,000 × 32 bytes = 375 KiB of PAGE_DATA headers: more than one window

function built(): Uint8Array {
  const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'SEV_SNP', highestVtl: 0, sharedGpaBoundary: 1n << 46n });
  for (let i = 0; i < PAGES; i++) b.pageData({ gpa: i * 0x1000, compatibilityMask: 1, ...(i % 3 === 0 ? { data: new Uint8Array([i & 0xff, 1]) } : {}) });
  return b.toBytes();
}

describe('windowed variable header section', () => {
  it('parses every header of a section larger than the window, with bounded reads', () => {
    const bytes = built();
    const inner = bufferSource(bytes);
    let largest = 0;
    const source = { size: inner.size, read: (o: number, n: number) => ((largest = Math.max(largest, n)), inner.read(o, n)) };
    const file = parseIgvmSource(source);
    const pages = file.directives.filter((d) => d.kind === 'PAGE_DATA');
    expect(pages.length).toBe(PAGES);
    expect(pages.map((p) => Number(p.gpa))).toEqual(Array.from({ length: PAGES }, (_, i) => i * 0x1000));
    expect(pages.filter((p) => p.data.length > 0).length).toBe(Math.ceil(PAGES / 3));
    expect(file.source!.variableHeaderSize).toBeGreaterThan(SECTION_CHUNK);
    expect(largest).toBeLessThanOrEqual(SECTION_CHUNK);
  });

  it('reports a bad header beyond the first window at its own offset', () => {
    const bytes = built();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const voff = view.getUint32(8, true); // variable_header_offset (§2.1)
    // Header 10,001: the platform header is 8 + 16 bytes, then 32 bytes per PAGE_DATA (§3, §7).
    const at = voff + 24 + 10_000 * 32;
    expect(at - voff).toBeGreaterThan(SECTION_CHUNK);
    view.setUint32(at + 4, 20, true); // a PAGE_DATA length that is not 24
    // Recompute nothing: the checksum now fails first, so patch it back in as the format says
    // (CRC-32 over the fixed header with a zero checksum, then the section, §2.4).
    const crcAt = 0x14;
    view.setUint32(crcAt, 0, true);
    const fixedSize = 24; // V1 fixed header (§2.4: 24 bytes for V1, 32 for V2)
    const crc = crc32(bytes.subarray(voff, voff + view.getUint32(12, true)), crc32(bytes.subarray(0, fixedSize)));
    view.setUint32(crcAt, crc, true);
    let err: unknown;
    try {
      parseIgvmSource(bufferSource(bytes));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IgvmFormatError);
    expect((err as IgvmFormatError).offset).toBe(at + 4);
  });
});

/** CRC-32 (ISO-HDLC), written from its definition for this test (reflected polynomial 0xEDB88320). */
function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
