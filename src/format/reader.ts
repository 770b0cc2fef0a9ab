/**
 * The IGVM reader: fixed header (spec/igvm-format.md §2.6), the variable-header state machine
 * (§3.3), one decoder per header type with upstream's per-header checks in upstream's order
 * (§5–§8, §17 item 12), then the file-level validation of validate.ts (§10.1).
 *
 * Robustness (issue: foundation): every size and offset read from the input is checked
 * against the real input size before anything is read or allocated, so a hostile file can
 * neither make us allocate more than the input's own size nor throw anything but
 * `IgvmFormatError`. Page data is never read here; headers refer to it through `IgvmData`.
 */
import {
  FIXED_HEADER_V1_SIZE,
  FIXED_HEADER_V2_SIZE,
  IGVM_MAGIC,
  IGVM_VHT_OPTIONAL_BIT,
  PAGE_SIZE_4K,
  PARAMETER_USAGE_TYPES,
  VariableHeaderType,
  pageDataTypeName,
  platformTypeName,
  sectionOfType,
  variableHeaderTypeName,
  type ParameterUsageType,
} from './constants.js';
import { hexNumber } from './bytes.js';
import { crc32 } from './crc32.js';
import { IgvmFormatError, type IgvmErrorCode } from './errors.js';
import { HEADER_LAYOUT_BY_TYPE, isCorimType, tlvPayloadSpan } from './header-layouts.js';
import {
  CCA_POLICY,
  CORIM_DATA,
  ERROR_RANGE,
  FIXED_HEADER_V1,
  FIXED_HEADER_V2,
  GUEST_POLICY,
  PAGE_DATA,
  PAGE_TABLE_RELOCATION,
  PARAMETER,
  PARAMETER_AREA,
  PARAMETER_INSERT,
  RELOCATABLE_REGION,
  REQUIRED_MEMORY,
  SNP_ID_BLOCK,
  SNP_ID_BLOCK_PUBLIC_KEY,
  SNP_ID_BLOCK_SIGNATURE,
  SUPPORTED_PLATFORM,
  VARIABLE_HEADER,
  VBS_MEASUREMENT,
  VP_CONTEXT,
} from './layouts.js';
import { CONTEXT_BLOB_SIZE, decodeCcaContext, decodeNativeX64Context } from './native-context.js';
import { EMPTY_DATA, bufferSource, sourceData, type ByteSource } from './source.js';
import { parsedPageDataClass, readPageDataFields, type ParsedPageDataClass } from './page-data-record.js';
import { readStruct, viewOf, writeStruct, type FieldSpec, type StructLayout } from './struct.js';
import type {
  DirectiveHeader,
  IgvmData,
  IgvmFile,
  IgvmRevision,
  IgvmSourceInfo,
  InitializationHeader,
  OptionalUnknownHeader,
  SupportedPlatformHeader,
  VpContextPayload,
} from './types.js';
import { validateFile, validateHeader } from './validate.js';
import {
  AARCH64_VBS_REGISTERS,
  VBS_REGISTER_RECORD,
  X64_VBS_REGISTERS,
  decodeVbsRegisterValue,
  type VbsRegister,
} from './vbs-registers.js';

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
  const section = source.read(fixed.info.variableHeaderOffset, fixed.info.variableHeaderSize);
  const reader = new HeaderReader(source, fixed.revision, fixed.info, options);
  reader.walk(section);
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

function fixedError(message: string, offset: number, code: IgvmErrorCode = 'InvalidFixedHeader'): IgvmFormatError {
  return new IgvmFormatError(code, message, { offset, section: 'fixed' });
}

/** §2.6, in upstream's order; the offset addition is done without u32 overflow (§10.5). */
function readFixedHeader(source: ByteSource): { revision: IgvmRevision; info: IgvmSourceInfo } {
  if (source.size < FIXED_HEADER_V1_SIZE) {
    throw fixedError(`file is ${source.size} bytes, shorter than the ${FIXED_HEADER_V1_SIZE}-byte fixed header`, 0);
  }
  const head = source.read(0, Math.min(source.size, FIXED_HEADER_V2_SIZE));
  const v1 = readStruct(head, 0, FIXED_HEADER_V1);
  if (v1.magic !== IGVM_MAGIC) {
    throw fixedError(`bad magic ${hexNumber(v1.magic, 8)} (expected ${hexNumber(IGVM_MAGIC, 8)}, "IGVM")`, 0);
  }
  let revision: IgvmRevision;
  let fixedBytes: Uint8Array;
  if (v1.formatVersion === 1) {
    revision = { formatVersion: 1, architecture: 'x64', pageSize: PAGE_SIZE_4K };
    fixedBytes = head.slice(0, FIXED_HEADER_V1_SIZE);
  } else if (v1.formatVersion === 2) {
    if (head.length < FIXED_HEADER_V2_SIZE) {
      throw fixedError(`file is ${source.size} bytes, shorter than the ${FIXED_HEADER_V2_SIZE}-byte V2 fixed header`, 0);
    }
    const v2 = readStruct(head, 0, FIXED_HEADER_V2);
    if (v2.architecture !== 0 && v2.architecture !== 1) {
      throw fixedError(`unknown architecture ${v2.architecture} (0 = x64, 1 = aarch64)`, 0x18);
    }
    if (v2.pageSize !== PAGE_SIZE_4K) {
      throw fixedError(`page size ${v2.pageSize} is not supported (only 4096)`, 0x1c, 'UnsupportedPageSize');
    }
    revision = { formatVersion: 2, architecture: v2.architecture === 0 ? 'x64' : 'aarch64', pageSize: PAGE_SIZE_4K };
    fixedBytes = head.slice(0, FIXED_HEADER_V2_SIZE);
  } else {
    throw fixedError(`unsupported format version ${v1.formatVersion} (1 or 2)`, 4);
  }
  if (v1.totalFileSize !== source.size) {
    throw fixedError(`total_file_size says ${v1.totalFileSize} bytes but the file is ${source.size}`, 0x10);
  }
  if (v1.variableHeaderOffset >= v1.totalFileSize) {
    throw fixedError(`variable_header_offset ${v1.variableHeaderOffset} is not inside the file`, 0x08);
  }
  // Upstream requires a non-empty file data section: a strict `<` (§2.6 step 6, §17 item 2).
  if (v1.variableHeaderOffset + v1.variableHeaderSize >= v1.totalFileSize) {
    throw fixedError(
      `variable header section [${v1.variableHeaderOffset}, +${v1.variableHeaderSize}) must end before the end of the file (${v1.totalFileSize}); upstream rejects an empty file data section`,
      0x0c,
    );
  }
  // The checksum covers the structured fixed header with its checksum zeroed, then the
  // variable header section; not any gap before it, nor the file data (§2.4).
  writeStruct(fixedBytes, 0, FIXED_HEADER_V1, { checksum: 0 });
  const computed = crc32(
    source.read(v1.variableHeaderOffset, v1.variableHeaderSize),
    crc32(fixedBytes),
  );
  if (computed !== v1.checksum) {
    throw fixedError(
      `checksum mismatch: header says ${hexNumber(v1.checksum, 8)}, computed ${hexNumber(computed, 8)}`,
      0x14,
      'InvalidChecksum',
    );
  }
  return {
    revision,
    info: {
      totalFileSize: v1.totalFileSize,
      variableHeaderOffset: v1.variableHeaderOffset,
      variableHeaderSize: v1.variableHeaderSize,
      checksum: v1.checksum,
      dataStart: v1.variableHeaderOffset + v1.variableHeaderSize,
    },
  };
}

type SectionName = 'platform' | 'initialization' | 'directive';

/** Thrown inside a decoder for a per-header error; the walker adds where it happened. */
class HeaderProblem {
  constructor(
    readonly code: IgvmErrorCode,
    readonly message: string,
    /** Offset of the faulty field relative to the payload, when known. */
    readonly fieldOffset?: number,
  ) {}
}

function problem(code: IgvmErrorCode, message: string, fieldOffset?: number): never {
  throw new HeaderProblem(code, message, fieldOffset);
}

const PARAMETER_USAGE_BY_TYPE = new Map<number, ParameterUsageType>(
  PARAMETER_USAGE_TYPES.map((name) => [VariableHeaderType[name], name]),
);

/** The walk over the variable-header section (§3.3) and the per-type decoders. */
class HeaderReader {
  readonly platforms: SupportedPlatformHeader[] = [];
  readonly initializations: InitializationHeader[] = [];
  readonly directives: DirectiveHeader[] = [];
  readonly platformOptionals: { after: number; header: OptionalUnknownHeader }[] = [];
  private readonly strict: boolean;
  private readonly skipOptional: boolean;
  private readonly corim: boolean;
  private readonly dataLength: number;
  private readonly PageData: ParsedPageDataClass;
  private sectionView: DataView = viewOf(new Uint8Array(0));

  constructor(
    private readonly source: ByteSource,
    private readonly revision: IgvmRevision,
    private readonly info: IgvmSourceInfo,
    options: ParseOptions,
  ) {
    this.strict = options.strict === true;
    this.skipOptional = options.optionalHeaders === 'skip';
    this.corim = options.corim !== false;
    this.dataLength = info.totalFileSize - info.dataStart;
    this.PageData = parsedPageDataClass(source);
  }

  walk(section: Uint8Array): void {
    this.sectionView = viewOf(section);
    let state: SectionName = 'platform';
    let pos = 0;
    let index = 0;
    while (pos < section.length) {
      const offset = this.info.variableHeaderOffset + pos;
      if (section.length - pos < VARIABLE_HEADER.size) {
        throw new IgvmFormatError(
          'InvalidBinaryVariableHeaderSection',
          `${section.length - pos} trailing bytes at the end of the variable header section are too few for a header`,
          { offset, headerIndex: index, section: 'file' },
        );
      }
      // Read field by field: this runs once per header, millions of times for large files.
      const tlv = {
        type: this.sectionView.getUint32(pos + VARIABLE_HEADER.fields.type.offset, true),
        length: this.sectionView.getUint32(pos + VARIABLE_HEADER.fields.length.offset, true),
      };
      let type = tlv.type;
      let opaque = false;
      if ((type & IGVM_VHT_OPTIONAL_BIT) !== 0 && this.skipOptional) {
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
      const available = section.length - payloadStart;
      let consumed: number;
      try {
        if (opaque) {
          consumed = tlvPayloadSpan(tlv.length);
          if (consumed > available) problem('InvalidVariableHeaderSize', `optional header of ${tlv.length} bytes overruns the section`);
          const payload = section.slice(payloadStart, payloadStart + tlv.length);
          const h = { kind: 'OPTIONAL_UNKNOWN', type: tlv.type, payload, offset, index } as const;
          if (state === 'platform') this.platformOptionals.push({ after: this.platforms.length, header: h });
          else if (state === 'initialization') this.initializations.push(h);
          else this.directives.push(h);
        } else {
          consumed = this.decode(type, tlv.length, section, payloadStart, available, offset, index, state);
        }
        if (this.strict) checkPadding(section, payloadStart, tlv.length, consumed);
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
    return layout !== undefined && layout.size === length && (this.corim || !isCorimType(type));
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
    if (layout === undefined || layout.size !== length || (!this.corim && isCorimType(type))) {
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
    const kind = variableHeaderTypeName(type)!;
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
    const raw = readStruct(section, at, SUPPORTED_PLATFORM, this.sectionView);
    const platformType = platformTypeName(raw.platformType);
    // The mask and VTL checks come before the type check (§5); validateHeader stops after
    // them when the type is unknown.
    const h: SupportedPlatformHeader = { kind: 'SUPPORTED_PLATFORM', ...loc, ...raw, platformType: platformType! };
    checkHeader(validateHeader(h, this.revision));
    if (platformType === undefined) {
      problem('InvalidPlatformType', `unknown platform type ${raw.platformType}`, SUPPORTED_PLATFORM.fields.platformType.offset);
    }
    return h;
  }

  private decodeInitialization(kind: string, section: Uint8Array, at: number, loc: Loc): InitializationHeader {
    let h: InitializationHeader;
    switch (kind) {
      case 'GUEST_POLICY': {
        const { reserved, ...raw } = readStruct(section, at, GUEST_POLICY, this.sectionView);
        reservedZero(reserved, GUEST_POLICY.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'RELOCATABLE_REGION': {
        const raw = readStruct(section, at, RELOCATABLE_REGION, this.sectionView);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'PAGE_TABLE_RELOCATION_REGION': {
        const { reserved, ...raw } = readStruct(section, at, PAGE_TABLE_RELOCATION, this.sectionView);
        reservedZero(reserved, PAGE_TABLE_RELOCATION.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'CORIM_DOCUMENT':
      case 'CORIM_SIGNATURE': {
        const { reserved, sizeBytes, ...raw } = readStruct(section, at, CORIM_DATA, this.sectionView);
        const data = this.extract(raw.fileOffset, sizeBytes, CORIM_DATA.fields.fileOffset.offset);
        reservedZero(reserved, CORIM_DATA.fields.reserved);
        h = { kind, ...loc, ...raw, data };
        break;
      }
      case 'CCA_POLICY': {
        const { reserved, reserved2, ...raw } = readStruct(section, at, CCA_POLICY, this.sectionView);
        reservedZero(reserved, CCA_POLICY.fields.reserved);
        reservedZero(reserved2, CCA_POLICY.fields.reserved2);
        h = { kind, ...loc, ...raw };
        break;
      }
      default:
        return problem('InvalidVariableHeaderType', `${kind} is not an initialization header`);
    }
    checkHeader(validateHeader(h, this.revision));
    return h;
  }

  private decodeDirective(kind: string, section: Uint8Array, at: number, loc: Loc): DirectiveHeader {
    let h: DirectiveHeader;
    const usage = PARAMETER_USAGE_BY_TYPE.get(VariableHeaderType[kind as keyof typeof VariableHeaderType]);
    if (usage !== undefined) {
      h = { kind: usage, ...loc, ...readStruct(section, at, PARAMETER, this.sectionView) };
      return h;
    }
    switch (kind) {
      case 'PARAMETER_AREA': {
        const raw = readStruct(section, at, PARAMETER_AREA, this.sectionView);
        // Upstream extracts the data before it checks the size's alignment (§7.1).
        const data = this.extract(raw.fileOffset, raw.numberOfBytes, PARAMETER_AREA.fields.fileOffset.offset);
        h = { kind, ...loc, ...raw, data };
        break;
      }
      case 'PAGE_DATA': {
        const raw = readPageDataFields(this.sectionView, at);
        // Upstream reads exactly 4096 bytes whatever `is_2mb_page` says (§9, §17 item 8).
        this.checkRange(raw.fileOffset, PAGE_SIZE_4K, PAGE_DATA.fields.fileOffset.offset);
        reservedZero(raw.reserved, PAGE_DATA.fields.reserved);
        const typeName = pageDataTypeName(raw.dataType);
        // Alignment before the data type, as upstream (§7.2); the low half decides alignment.
        const gpa = (BigInt(raw.gpaHigh) << 32n) | BigInt(raw.gpaLow);
        if (raw.gpaLow % PAGE_SIZE_4K !== 0) problem('UnalignedAddress', `gpa ${hexNumber(gpa)} is not 4 KiB aligned`, PAGE_DATA.fields.gpa.offset);
        if (typeName === undefined) problem('InvalidPageDataType', `unknown page data type ${raw.dataType}`, PAGE_DATA.fields.dataType.offset);
        // All of validateHeader's PAGE_DATA rules are checked above (a parsed page is 4 KiB).
        const page = new this.PageData(loc.offset, loc.index, gpa, raw.compatibilityMask, raw.fileOffset, raw.flags, typeName);
        return page;
      }
      case 'PARAMETER_INSERT':
        h = { kind, ...loc, ...readStruct(section, at, PARAMETER_INSERT, this.sectionView) };
        break;
      case 'VP_CONTEXT':
        h = this.decodeVpContext(section, at, loc);
        break;
      case 'REQUIRED_MEMORY': {
        const { reserved, ...raw } = readStruct(section, at, REQUIRED_MEMORY, this.sectionView);
        reservedZero(reserved, REQUIRED_MEMORY.fields.reserved);
        h = { kind, ...loc, ...raw };
        break;
      }
      case 'SNP_ID_BLOCK': {
        const raw = readStruct(section, at, SNP_ID_BLOCK, this.sectionView);
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
        h = { kind, ...loc, ...readStruct(section, at, VBS_MEASUREMENT, this.sectionView) };
        break;
      case 'ERROR_RANGE':
        h = { kind, ...loc, ...readStruct(section, at, ERROR_RANGE, this.sectionView) };
        break;
      default:
        return problem('InvalidVariableHeaderType', `${kind} is not a directive header`);
    }
    checkHeader(validateHeader(h, this.revision));
    if (this.strict && h.kind === 'VP_CONTEXT') {
      const reserved = readStruct(section, at, VP_CONTEXT, this.sectionView).reserved;
      if (reserved !== 0) problem('StrictReservedBits', `reserved field is ${hexNumber(reserved)}`, VP_CONTEXT.fields.reserved.offset);
    }
    return h;
  }

  /**
   * The payload format is chosen by the platform header whose mask equals the context's mask
   * exactly, among all platform headers (§8.1); the first such header wins, as upstream
   * searches in order.
   */
  private decodeVpContext(section: Uint8Array, at: number, loc: Loc): DirectiveHeader {
    const { reserved: _reserved, ...raw } = readStruct(section, at, VP_CONTEXT, this.sectionView);
    const platform = this.platforms.find((p) => p.compatibilityMask === raw.compatibilityMask);
    const fo = VP_CONTEXT.fields.fileOffset.offset;
    let payload: VpContextPayload;
    switch (platform?.platformType) {
      case 'SEV_SNP':
      case 'SEV_ES': {
        const vmsa = this.extract4k(raw.fileOffset, fo);
        // Upstream checks the VMSA GPA's alignment (§10.2 UnalignedAddress, "SNP only").
        if (raw.gpa % BigInt(PAGE_SIZE_4K) !== 0n) {
          problem('UnalignedAddress', `VMSA gpa ${hexNumber(raw.gpa)} is not 4 KiB aligned`, 0);
        }
        payload = { format: 'sev-vmsa', vmsa };
        break;
      }
      case 'NATIVE':
      case 'SEV':
        payload = { format: 'native-x64', context: decodeBlob(() => decodeNativeX64Context(this.extract4k(raw.fileOffset, fo))) };
        break;
      case 'CCA':
        payload = { format: 'cca', context: decodeBlob(() => decodeCcaContext(this.extract4k(raw.fileOffset, fo))) };
        break;
      case 'VSM_ISOLATION':
        payload = this.decodeVbsContext(raw.fileOffset, raw.vpIndex);
        break;
      default:
        return problem(
          'InvalidVpContextPlatformType',
          platform === undefined
            ? `compatibility mask ${hexNumber(raw.compatibilityMask)} is not exactly one platform header's mask`
            : `${platform.platformType} platforms have no VP context`,
          VP_CONTEXT.fields.compatibilityMask.offset,
        );
    }
    return { kind: 'VP_CONTEXT', ...loc, ...raw, payload };
  }

  /** The VBS register list (§8.4); its count is checked against the real data size first. */
  private decodeVbsContext(fileOffset: number, vpIndex: number): VpContextPayload {
    const fo = VP_CONTEXT.fields.fileOffset.offset;
    const countBytes = this.extract(fileOffset, 4, fo, true).bytes();
    const count = new DataView(countBytes.buffer, countBytes.byteOffset, 4).getUint32(0, true);
    if (count === 0) problem('NoVbsVpContextRegisters', 'the VBS register list is empty', fo);
    const list = this.extract(fileOffset + 4, count * VBS_REGISTER_RECORD.size, fo, true).bytes();
    // Upstream asserts vp_index == 0 (a panic); we report it (§10.5).
    if (vpIndex !== 0) problem('InvalidContext', `a VBS VP context must have vp_index 0, not ${vpIndex}`, VP_CONTEXT.fields.vpIndex.offset);
    const arch = this.revision.architecture;
    const accepted = arch === 'x64' ? X64_VBS_REGISTERS : AARCH64_VBS_REGISTERS;
    const registers: VbsRegister[] = [];
    for (let i = 0; i < count; i++) {
      const rec = readStruct(list, i * VBS_REGISTER_RECORD.size, VBS_REGISTER_RECORD);
      if (rec.vtl > 2) problem('InvalidVtl', `register ${i} has VTL ${rec.vtl}`, fo);
      // Upstream asserts that every register has the first one's VTL (a panic, §10.5).
      if (registers.length > 0 && rec.vtl !== registers[0]!.vtl) {
        problem('InvalidVtl', `register ${i} has VTL ${rec.vtl}, register 0 has VTL ${registers[0]!.vtl}`, fo);
      }
      const known = accepted.get(rec.registerName);
      if (known === undefined) {
        problem(
          arch === 'x64' ? 'UnsupportedX64Register' : 'UnsupportedAArch64Register',
          `register ${i}: name ${hexNumber(rec.registerName, 8)} is not accepted in a VBS VP context`,
          fo,
        );
      }
      if (this.strict && rec.mbz.some((b) => b !== 0)) problem('StrictReservedBits', `register ${i} has non-zero mbz bytes`, fo);
      registers.push({ vtl: rec.vtl, name: rec.registerName, value: decodeVbsRegisterValue(known.kind, rec.registerValue) });
    }
    return { format: 'vbs', architecture: arch, registers };
  }

  /**
   * Resolves `length` bytes at an absolute file offset inside the file data section (§9).
   * Offset 0 means "no data" unless `zeroIsOffset` (VP contexts, §17 item 7). An offset that
   * points before the data section is `InvalidDataSize` (upstream underflows, §10.5).
   */
  private extract(fileOffset: number, length: number | bigint, fieldOffset: number, zeroIsOffset = false): IgvmData {
    if (fileOffset === 0 && !zeroIsOffset) return EMPTY_DATA;
    this.checkRange(fileOffset, length, fieldOffset, zeroIsOffset);
    return sourceData(this.source, fileOffset, Number(length));
  }

  /** The range check of `extract` alone (offset 0 means "no data" unless `zeroIsOffset`). */
  private checkRange(fileOffset: number, length: number | bigint, fieldOffset: number, zeroIsOffset = false): void {
    if (fileOffset === 0 && !zeroIsOffset) return;
    const start = fileOffset - this.info.dataStart;
    const fits = typeof length === 'number' ? start + length <= this.dataLength : BigInt(start) + length <= BigInt(this.dataLength);
    if (start < 0 || !fits) {
      problem(
        'InvalidDataSize',
        `${length} bytes at file offset ${fileOffset} are not inside the file data section [${this.info.dataStart}, ${this.info.totalFileSize})`,
        fieldOffset,
      );
    }
  }

  private extract4k(fileOffset: number, fieldOffset: number): Uint8Array {
    return this.extract(fileOffset, CONTEXT_BLOB_SIZE, fieldOffset, true).bytes();
  }
}

type Loc = { offset: number; index: number };

function reservedZero(value: number | Uint8Array, field: FieldSpec): void {
  const nonZero = typeof value === 'number' ? value !== 0 : value.some((b) => b !== 0);
  if (nonZero) problem('ReservedNotZero', `reserved field at payload offset ${field.offset} is not zero`, field.offset);
}

/** Rethrows a shared per-header check as a located problem. */
function checkHeader(err: IgvmFormatError | undefined): void {
  if (err !== undefined) problem(err.code, err.message);
}

/** Context decoders throw IgvmFormatError; turn it into a located problem. */
function decodeBlob<T>(decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof IgvmFormatError) problem(e.code, e.message, VP_CONTEXT.fields.fileOffset.offset);
    throw e;
  }
}

/** Strict mode: TLV padding must be zero (§3.2; upstream never checks it). */
function checkPadding(section: Uint8Array, payloadStart: number, length: number, consumed: number): void {
  for (let i = payloadStart + length; i < payloadStart + consumed; i++) {
    if (section[i] !== 0) problem('StrictNonZeroPadding', `padding byte at payload offset ${i - payloadStart} is not zero`, i - payloadStart);
  }
}
