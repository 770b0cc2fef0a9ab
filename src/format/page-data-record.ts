/**
 * The parsed form of PAGE_DATA (spec/igvm-format.md §7.2; its data, §9), the one header a
 * file can have millions of (a 1 GiB guest image is 262,144 of them). Each keeps only its
 * fields: the data is made on demand from the file offset (an accessor, so `{...header}` does
 * not copy it; read `header.data`), and the source sits on the class (one class per parsed
 * file). The fields are read straight from the header section through the PAGE_DATA table
 * (layouts.ts). Everything else sees an ordinary `PageDataHeader`.
 */
import { PAGE_SIZE_4K, type PageDataTypeName } from './constants.js';
import { PAGE_DATA } from './layouts.js';
import { EMPTY_DATA, sourceData, type ByteSource } from './source.js';
import type { IgvmData, PageDataHeader } from './types.js';

const F = PAGE_DATA.fields;

/** The raw PAGE_DATA fields at `at` in a view of the header section (GPA as two halves). */
export function readPageDataFields(view: DataView, at: number): { gpaLow: number; gpaHigh: number; compatibilityMask: number; fileOffset: number; flags: number; dataType: number; reserved: number } {
  return {
    gpaLow: view.getUint32(at + F.gpa.offset, true),
    gpaHigh: view.getUint32(at + F.gpa.offset + 4, true),
    compatibilityMask: view.getUint32(at + F.compatibilityMask.offset, true),
    fileOffset: view.getUint32(at + F.fileOffset.offset, true),
    flags: view.getUint32(at + F.flags.offset, true),
    dataType: view.getUint16(at + F.dataType.offset, true),
    reserved: view.getUint16(at + F.reserved.offset, true),
  };
}

/** Constructs parsed PAGE_DATA headers whose data is read from `source`. */
export type ParsedPageDataClass = new (
  offset: number,
  index: number,
  gpa: bigint,
  compatibilityMask: number,
  fileOffset: number,
  flags: number,
  dataType: PageDataTypeName,
) => PageDataHeader;

/** A class of parsed PAGE_DATA headers for one source. */
export function parsedPageDataClass(source: ByteSource): ParsedPageDataClass {
  return class ParsedPageData implements PageDataHeader {
    readonly kind = 'PAGE_DATA' as const;

    constructor(
      readonly offset: number,
      readonly index: number,
      readonly gpa: bigint,
      readonly compatibilityMask: number,
      readonly fileOffset: number,
      readonly flags: number,
      readonly dataType: PageDataTypeName,
    ) {}

    /** The page's data (upstream reads exactly 4 KiB, spec §9); empty for a zero page. */
    get data(): IgvmData {
      return this.fileOffset === 0 ? EMPTY_DATA : sourceData(source, this.fileOffset, PAGE_SIZE_4K);
    }
  };
}
