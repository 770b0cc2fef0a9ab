/**
 * Reading the variable header section (spec/igvm-format.md §3): the walk over its TLV entries
 * with the section state machine (§3.3) and the optional bit (§3.4), the match of each entry's
 * type and length against the one type → layout table (§3.5, header-layouts.ts), and one
 * decoder per header type with upstream's per-header checks in upstream's order (§5–§7,
 * §17 item 12). VP context payloads are read by vp-context-reader.ts (§8), data ranges are
 * checked by file-data-reader.ts (§9). A per-header problem leaves here as an
 * `IgvmFormatError` with the file offset of the faulty field, the header index and the
 * section (§10.2).
 */
import {
  IGVM_VHT_OPTIONAL_BIT,
  PAGE_SIZE_4K,
  PARAMETER_USAGE_TYPES,
  pageDataTypeName,
  platformTypeName,
  sectionOfType,
  variableHeaderTypeName,
  type ParameterUsageType,
} from './constants.js';
import { hexNumber } from './bytes.js';
import { IgvmFormatError } from './errors.js';
import { FileDataSection } from './file-data-reader.js';
import { SECTION_CHUNK } from './fixed-header.js';
import { HEADER_LAYOUTS, HEADER_LAYOUT_BY_TYPE, isCorimType, tlvPayloadSpan, type HeaderLayoutName } from './header-layouts.js';
import { HeaderProblem, checkHeader, checkPadding, problem, reservedZero } from './header-problem.js';
import { SNP_ID_BLOCK_PUBLIC_KEY, SNP_ID_BLOCK_SIGNATURE, VARIABLE_HEADER } from './layouts.js';
import { parsedPageDataClass, readPageDataFields, type ParsedPageDataClass } from './page-data-record.js';
import type { ByteSource } from './source.js';
import { readStruct, viewOf } from './struct.js';
import type {
  DirectiveHeader,
  IgvmRevision,
  IgvmSourceInfo,
  InitializationHeader,
  OptionalUnknownHeader,
  SupportedPlatformHeader,
} from './types.js';
import { validateHeader } from './validate.js';
import { readVpContextPayload } from './vp-context-reader.js';

/** The reader's choices, resolved from `ParseOptions` (reader.ts). */
export interface HeaderReaderOptions {
  /** Also apply the spec's checks that upstream skips (§10.4). */
  readonly strict: boolean;
  /** Keep unknown headers with the optional bit as `OPTIONAL_UNKNOWN` (§3.4) instead of rejecting them. */
  readonly skipOptional: boolean;
  /** Accept CORIM_DOCUMENT / CORIM_SIGNATURE (§6.5). */
  readonly corim: boolean;
}

type SectionName = 'platform' | 'initialization' | 'directive';

type Loc = { offset: number; index: number };

const H = HEADER_LAYOUTS;

const PARAMETER_USAGE = new Set<string>(PARAMETER_USAGE_TYPES);

/** The most bytes one known header occupies (TLV header, payload and padding): what the window must cover. */
const MAX_HEADER_SPAN = VARIABLE_HEADER.size + Math.max(...Object.values(HEADER_LAYOUTS).map((l) => tlvPayloadSpan(l.size)));

/** The walk over the variable-header section (§3.3) and the per-type decoders. */
export class HeaderReader {
  readonly platforms: SupportedPlatformHeader[] = [];
  readonly initializations: InitializationHeader[] = [];
  readonly directives: DirectiveHeader[] = [];
  readonly platformOptionals: { after: number; header: OptionalUnknownHeader }[] = [];
  private readonly data: FileDataSection;
  private readonly PageData: ParsedPageDataClass;
  private sectionView: DataView = viewOf(new Uint8Array(0));

  constructor(
    private readonly source: ByteSource,
    private readonly revision: IgvmRevision,
    private readonly info: IgvmSourceInfo,
    private readonly options: HeaderReaderOptions,
  ) {
    this.data = new FileDataSection(source, info);
    this.PageData = parsedPageDataClass(source);
  }

  /**
   * Walks the section through a window of `SECTION_CHUNK` bytes, so that a large file's
   * section (8 MiB for 1 GiB of pages) is never held whole; every header is decoded from the
   * window, which always covers the whole of the header at hand.
   */
  walk(): void {
    const size = this.info.variableHeaderSize;
    const base = this.info.variableHeaderOffset;
    let win: Uint8Array = new Uint8Array(0);
    let winStart = 0;
    const cover = (pos: number, need: number): number => {
      if (pos < winStart || pos + need > winStart + win.length) {
        winStart = pos;
        win = this.source.read(base + pos, Math.min(Math.max(need, SECTION_CHUNK), size - pos));
        this.sectionView = viewOf(win);
      }
      return pos - winStart;
    };
    let state: SectionName = 'platform';
    let pos = 0;
    let index = 0;
    while (pos < size) {
      const offset = base + pos;
      if (size - pos < VARIABLE_HEADER.size) {
        throw new IgvmFormatError(
          'InvalidBinaryVariableHeaderSection',
          `${size - pos} trailing bytes at the end of the variable header section are too few for a header`,
          { offset, headerIndex: index, section: 'file' },
        );
      }
      const w = cover(pos, Math.min(size - pos, MAX_HEADER_SPAN));
      // Read field by field: this runs once per header, millions of times for large files.
      const tlv = {
        type: this.sectionView.getUint32(w + VARIABLE_HEADER.fields.type.offset, true),
        length: this.sectionView.getUint32(w + VARIABLE_HEADER.fields.length.offset, true),
      };
      let type = tlv.type;
      let opaque = false;
      if ((type & IGVM_VHT_OPTIONAL_BIT) !== 0 && this.options.skipOptional) {
        // Spec mode (§17 item 1): classify by the type without the optional bit.
        type = (type & ~IGVM_VHT_OPTIONAL_BIT) >>> 0;
        opaque = !this.knownType(type, tlv.length);
      }
      const sectionOfEntry = sectionOfType(type);
      if (
        sectionOfEntry === undefined ||
        (sectionOfEntry === 'platform' && state !== 'platform') ||
        (sectionOfEntry === 'initialization' && state === 'directive')
      ) {
        const why =
          sectionOfEntry === undefined
            ? `type ${hexNumber(tlv.type)} is outside every header type range`
            : `a ${sectionOfEntry} header cannot follow ${state} headers`;
        throw new IgvmFormatError('InvalidBinaryVariableHeaderSection', `header ${index}: ${why}`, {
          offset,
          headerIndex: index,
          section: 'file',
        });
      }
      state = sectionOfEntry;
      const payloadStart = pos + VARIABLE_HEADER.size;
      const available = size - payloadStart;
      let consumed: number;
      try {
        if (opaque) {
          consumed = tlvPayloadSpan(tlv.length);
          if (consumed > available) problem('InvalidVariableHeaderSize', `optional header of ${tlv.length} bytes overruns the section`);
          // An opaque payload can be larger than the window: read it on its own (a copy).
          const bytes = this.source.read(base + payloadStart, consumed);
          const h = { kind: 'OPTIONAL_UNKNOWN', type: tlv.type, payload: bytes.slice(0, tlv.length), offset, index } as const;
          if (state === 'platform') this.platformOptionals.push({ after: this.platforms.length, header: h });
          else if (state === 'initialization') this.initializations.push(h);
          else this.directives.push(h);
          if (this.options.strict) checkPadding(bytes, 0, tlv.length, consumed);
        } else {
          consumed = this.decode(type, tlv.length, win, w + VARIABLE_HEADER.size, available, offset, index, state);
          if (this.options.strict) checkPadding(win, w + VARIABLE_HEADER.size, tlv.length, consumed);
        }
      } catch (e) {
        if (e instanceof HeaderProblem) {
          const at = e.fieldOffset === undefined ? offset : offset + VARIABLE_HEADER.size + e.fieldOffset;
          const name = variableHeaderTypeName(type) ?? hexNumber(type);
          throw new IgvmFormatError(e.code, `header ${index} (${name}): ${e.message}`, {
            offset: at,
            headerIndex: index,
            section: state,
          });
        }
        throw e;
      }
      pos = payloadStart + consumed;
      index++;
    }
  }

  private knownType(type: number, length: number): boolean {
    const layout = HEADER_LAYOUT_BY_TYPE.get(type);
    return layout !== undefined && layout.size === length && (this.options.corim || !isCorimType(type));
  }

  /** Decodes one header; returns the bytes its payload occupies (with padding). */
  private decode(
    type: number,
    length: number,
    section: Uint8Array,
    at: number,
    available: number,
    offset: number,
    index: number,
    state: SectionName,
  ): number {
    const layout = HEADER_LAYOUT_BY_TYPE.get(type);
    // Upstream matches the type and the exact payload length together (§3.5).
    if (layout === undefined || layout.size !== length || (!this.options.corim && isCorimType(type))) {
      const name = variableHeaderTypeName(type);
      problem(
        'InvalidVariableHeaderType',
        name === undefined || layout === undefined
          ? `unknown ${state} header type ${hexNumber(type)}`
          : `length ${length} is not the ${layout.size} bytes of ${layout.name}`,
        -4,
      );
    }
    // It then reads the struct, and for VP_CONTEXT skips 24 bytes (20 rounded up to 8).
    const consumed = tlvPayloadSpan(layout.size);
    if (available < consumed) {
      problem('InvalidVariableHeaderSize', `needs ${consumed} bytes but only ${available} remain in the section`);
    }
    const loc = { offset, index };
    // Every type in the layout table has a name (§3.5).
    const kind = variableHeaderTypeName(type) as HeaderLayoutName;
    if (state === 'platform') {
      this.platforms.push(this.decodePlatform(section, at, loc));
    } else if (state === 'initialization') {
      this.initializations.push(this.decodeInitialization(kind, section, at, loc));
    } else {
      this.directives.push(this.decodeDirective(kind, section, at, loc));
    }
    return consumed;
  }

  private decodePlatform(section: Uint8Array, at: number, loc: Loc): SupportedPlatformHeader {
    const raw = readStruct(section, at, H.SUPPORTED_PLATFORM, this.sectionView);
    const platformType = platformTypeName(raw.platformType);
    // The mask and VTL checks come before the type check (§5); validateHeader stops after
    // them when the type is unknown.
    const h: SupportedPlatformHeader = { kind: 'SUPPORTED_PLATFORM', ...loc, ...raw, platformType: platformType! };
    checkHeader(validateHeader(h, this.revision));
    if (platformType === undefined) {
      problem('InvalidPlatformType', `unknown platform type ${raw.platformType}`, H.SUPPORTED_PLATFORM.fields.platformType.offset);
    }
    return h;
  }

  private decodeInitialization(kind: HeaderLayoutName, section: Uint8Array, at: number, loc: Loc): InitializationHeader {
    let h: InitializationHeader;
    switch (kind) {
      case 'GUEST_POLICY': {
        const { reserved, ...raw } = readStruct(section, at, H.GUEST_POLICY, this.sectionView);
        reservedZero(reserved, H.GUEST_POLICY.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'RELOCATABLE_REGION': {
        const raw = readStruct(section, at, H.RELOCATABLE_REGION, this.sectionView);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'PAGE_TABLE_RELOCATION_REGION': {
        const { reserved, ...raw } = readStruct(section, at, H.PAGE_TABLE_RELOCATION_REGION, this.sectionView);
        reservedZero(reserved, H.PAGE_TABLE_RELOCATION_REGION.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'CORIM_DOCUMENT':
      case 'CORIM_SIGNATURE': {
        const layout = H[kind];
        const { reserved, sizeBytes, ...raw } = readStruct(section, at, layout, this.sectionView);
        const data = this.data.extract(raw.fileOffset, sizeBytes, layout.fields.fileOffset.offset);
        reservedZero(reserved, layout.fields.reserved);
        h = { kind, ...loc, ...raw, data };
        break;
      }
      case 'CCA_POLICY': {
        const { reserved, reserved2, ...raw } = readStruct(section, at, H.CCA_POLICY, this.sectionView);
        reservedZero(reserved, H.CCA_POLICY.fields.reserved);
        reservedZero(reserved2, H.CCA_POLICY.fields.reserved2);
        h = { kind, ...loc, ...raw };
        break;
      }
      default:
        return problem('InvalidVariableHeaderType', `${kind} is not an initialization header`);
    }
    checkHeader(validateHeader(h, this.revision));
    return h;
  }

  private decodeDirective(kind: HeaderLayoutName, section: Uint8Array, at: number, loc: Loc): DirectiveHeader {
    let h: DirectiveHeader;
    if (PARAMETER_USAGE.has(kind)) {
      const usage = kind as ParameterUsageType;
      h = { kind: usage, ...loc, ...readStruct(section, at, H[usage], this.sectionView) };
      return h;
    }
    switch (kind) {
      case 'PARAMETER_AREA': {
        const raw = readStruct(section, at, H.PARAMETER_AREA, this.sectionView);
        // Upstream extracts the data before it checks the size's alignment (§7.1).
        const data = this.data.extract(raw.fileOffset, raw.numberOfBytes, H.PARAMETER_AREA.fields.fileOffset.offset);
        h = { kind, ...loc, ...raw, data };
        break;
      }
      case 'PAGE_DATA': {
        const F = H.PAGE_DATA.fields;
        const raw = readPageDataFields(this.sectionView, at);
        // Upstream reads exactly 4096 bytes whatever `is_2mb_page` says (§9, §17 item 8).
        this.data.checkRange(raw.fileOffset, PAGE_SIZE_4K, F.fileOffset.offset);
        reservedZero(raw.reserved, F.reserved);
        const typeName = pageDataTypeName(raw.dataType);
        // Alignment before the data type, as upstream (§7.2); the low half decides alignment.
        const gpa = (BigInt(raw.gpaHigh) << 32n) | BigInt(raw.gpaLow);
        if (raw.gpaLow % PAGE_SIZE_4K !== 0) problem('UnalignedAddress', `gpa ${hexNumber(gpa)} is not 4 KiB aligned`, F.gpa.offset);
        if (typeName === undefined) problem('InvalidPageDataType', `unknown page data type ${raw.dataType}`, F.dataType.offset);
        // All of validateHeader's PAGE_DATA rules are checked above (a parsed page is 4 KiB).
        const page = new this.PageData(loc.offset, loc.index, gpa, raw.compatibilityMask, raw.fileOffset, raw.flags, typeName);
        return page;
      }
      case 'PARAMETER_INSERT':
        h = { kind, ...loc, ...readStruct(section, at, H.PARAMETER_INSERT, this.sectionView) };
        break;
      case 'VP_CONTEXT': {
        const { reserved: _reserved, ...raw } = readStruct(section, at, H.VP_CONTEXT, this.sectionView);
        const payload = readVpContextPayload(raw, {
          platforms: this.platforms,
          data: this.data,
          architecture: this.revision.architecture,
          strict: this.options.strict,
        });
        h = { kind, ...loc, ...raw, payload };
        break;
      }
      case 'REQUIRED_MEMORY': {
        const { reserved, ...raw } = readStruct(section, at, H.REQUIRED_MEMORY, this.sectionView);
        reservedZero(reserved, H.REQUIRED_MEMORY.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'SNP_ID_BLOCK': {
        const raw = readStruct(section, at, H.SNP_ID_BLOCK, this.sectionView);
        h = {
          kind,
          ...loc,
          ...raw,
          idKeySignature: readStruct(raw.idKeySignature, 0, SNP_ID_BLOCK_SIGNATURE),
          idPublicKey: readStruct(raw.idPublicKey, 0, SNP_ID_BLOCK_PUBLIC_KEY),
          authorKeySignature: readStruct(raw.authorKeySignature, 0, SNP_ID_BLOCK_SIGNATURE),
          authorPublicKey: readStruct(raw.authorPublicKey, 0, SNP_ID_BLOCK_PUBLIC_KEY),
        };
        break;
      }
      case 'VBS_MEASUREMENT':
        h = { kind, ...loc, ...readStruct(section, at, H.VBS_MEASUREMENT, this.sectionView) };
        break;
      case 'ERROR_RANGE':
        h = { kind, ...loc, ...readStruct(section, at, H.ERROR_RANGE, this.sectionView) };
        break;
      default:
        return problem('InvalidVariableHeaderType', `${kind} is not a directive header`);
    }
    checkHeader(validateHeader(h, this.revision));
    if (this.options.strict && h.kind === 'VP_CONTEXT') {
      const reserved = readStruct(section, at, H.VP_CONTEXT, this.sectionView).reserved;
      if (reserved !== 0) problem('StrictReservedBits', `reserved field is ${hexNumber(reserved)}`, H.VP_CONTEXT.fields.reserved.offset);
    }
    return h;
  }
}
