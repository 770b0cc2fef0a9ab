/**
 * The IGVM writer, byte-identical to upstream's `IgvmFile::serialize`
 * (spec/igvm-format.md §12): validate, lay out the platform, initialization and directive
 * headers with 8-byte TLV alignment (§3.2) from the one type → layout table
 * (header-layouts.ts), append file data through a de-duplicating sink shared by all headers
 * (in memory: file-data-writer.ts; the Node rewrite streams it to disk), then fill in the
 * fixed header and its CRC-32 (§2.4).
 *
 * One deliberate difference: upstream writes a file without any file data, which its own
 * parser then rejects (§12 "Consequences", §2.6 step 6, §17 item 2). Such a file gets one
 * unreferenced zero byte of file data instead (§9 permits unreferenced bytes), so every file
 * written here parses again, here and upstream.
 */
import {
  FIXED_HEADER_V1_SIZE,
  FIXED_HEADER_V2_SIZE,
  IGVM_MAGIC,
  PAGE_SIZE_4K,
  PageDataType,
  PlatformType,
  RelocatableRegionFlags,
  RequiredMemoryFlags,
  VariableHeaderType,
  ARCHITECTURE_VALUE,
} from './constants.js';
import { crc32 } from './crc32.js';
import { FileDataWriter, U32_LIMIT, type FileDataSink } from './file-data-writer.js';
import { IgvmFormatError } from './errors.js';
import { HEADER_LAYOUTS, tlvPayloadSpan, type AnyLayout, type HeaderLayoutName } from './header-layouts.js';
import { FIXED_HEADER_V1, FIXED_HEADER_V2, SNP_ID_BLOCK_PUBLIC_KEY, SNP_ID_BLOCK_SIGNATURE, VARIABLE_HEADER } from './layouts.js';
import { encodeCcaContext, encodeNativeX64Context } from './native-context.js';
import { encodeStruct, writeStruct, type StructValue } from './struct.js';
import type { DirectiveHeader, IgvmFile, IgvmHeader, InitializationHeader, VpContextHeader } from './types.js';
import { validateFile } from './validate.js';
import { encodeVbsRegisterList } from './vbs-registers.js';

/** The serialized file as pieces: the header part, then the file data blobs in order. */
export interface IgvmChunks {
  /** Total size in bytes (`header.length` plus every chunk's length). */
  readonly totalSize: number;
  /** Fixed header and variable header section. */
  readonly header: Uint8Array;
  /** The file data section, in order; write them one after another after `header`. */
  readonly data: readonly Uint8Array[];
}

/** Serializes a file to bytes identical to upstream's writer (§12). Validates it first. */
export function serializeIgvm(file: IgvmFile): Uint8Array {
  const chunks = serializeIgvmChunks(file);
  const out = new Uint8Array(chunks.totalSize);
  out.set(chunks.header, 0);
  let at = chunks.header.length;
  for (const c of chunks.data) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Serializes a file as pieces, so that a large file can be written to disk without first
 * being assembled in one buffer. The data chunks are views of the headers' data where
 * possible.
 */
export function serializeIgvmChunks(file: IgvmFile): IgvmChunks {
  const { header, totalSize, data } = serializeIgvmWith(file, (start) => new FileDataWriter(start));
  return { totalSize, header, data: data.chunks };
}

/** The header part of a serialized file, and the file data sink that took its blobs. */
export interface IgvmHeaderPart<S extends FileDataSink> {
  /** Total size in bytes: `header.length` plus the sink's data. */
  readonly totalSize: number;
  /** Fixed header and variable header section, offsets and checksum filled in. */
  readonly header: Uint8Array;
  readonly data: S;
}

/** The data that upstream's writer leaves out and its parser then requires (§2.6 step 6). */
const UNREFERENCED_BYTE = new Uint8Array(1);

/**
 * Serializes a file's headers (§12), handing every blob of file data, in upstream's order,
 * to the sink `makeSink(dataStart)` returns. The sink decides where the bytes go (memory, a
 * file) and de-duplicates them; the returned header refers to the offsets it gave. Validates
 * the file first.
 */
export function serializeIgvmWith<S extends FileDataSink>(file: IgvmFile, makeSink: (dataStart: number) => S): IgvmHeaderPart<S> {
  validateFile(file);
  const fhs = file.revision.formatVersion === 1 ? FIXED_HEADER_V1_SIZE : FIXED_HEADER_V2_SIZE;
  const extras = file.platformOptionals ?? [];
  const headers: IgvmHeader[] = [...file.platforms, ...extras.map((e) => e.header), ...file.initializations, ...file.directives];
  let vhs = 0;
  for (const h of headers) vhs += VARIABLE_HEADER.size + tlvPayloadSpan(payloadSize(h));
  if (fhs + vhs >= U32_LIMIT) {
    throw new IgvmFormatError('VariableHeaderSectionTooLarge', `the variable header section (${vhs} bytes) does not fit the u32 offsets of the format`);
  }
  const header = new Uint8Array(fhs + vhs);
  const data = makeSink(fhs + vhs);
  let pos = fhs;
  // The TLV type and length and the payload layout all come from the one table (§3.5).
  const emit: Emit = (kind, values) => {
    const layout: AnyLayout = HEADER_LAYOUTS[kind];
    writeStruct(header, pos, VARIABLE_HEADER, { type: VariableHeaderType[kind], length: layout.size });
    writeStruct(header, pos + VARIABLE_HEADER.size, layout, values as Partial<StructValue<AnyLayout>>);
    pos += VARIABLE_HEADER.size + tlvPayloadSpan(layout.size);
  };

  file.platforms.forEach((p, i) => {
    for (const e of extras) if (e.after === i) pos = emitOpaque(header, pos, e.header.type, e.header.payload);
    emit('SUPPORTED_PLATFORM', { ...p, platformType: PlatformType[p.platformType] });
  });
  for (const e of extras) if (e.after >= file.platforms.length) pos = emitOpaque(header, pos, e.header.type, e.header.payload);
  for (const h of file.initializations) {
    if (h.kind === 'OPTIONAL_UNKNOWN') pos = emitOpaque(header, pos, h.type, h.payload);
    else writeInitialization(h, emit, data);
  }
  for (const h of file.directives) {
    if (h.kind === 'OPTIONAL_UNKNOWN') pos = emitOpaque(header, pos, h.type, h.payload);
    else writeDirective(h, emit, data);
  }
  if (data.size === 0) data.put(UNREFERENCED_BYTE, 1);

  const totalSize = fhs + vhs + data.size;
  if (totalSize >= U32_LIMIT) {
    throw new IgvmFormatError('TotalFileSizeTooLarge', `the file would be ${totalSize} bytes; the format's u32 sizes allow at most 4 GiB - 1`);
  }
  const fixed = {
    magic: IGVM_MAGIC,
    formatVersion: file.revision.formatVersion,
    variableHeaderOffset: fhs,
    variableHeaderSize: vhs,
    totalFileSize: totalSize,
    checksum: 0,
    architecture: ARCHITECTURE_VALUE[file.revision.architecture],
    pageSize: file.revision.pageSize,
  };
  writeStruct(header, 0, fhs === FIXED_HEADER_V1_SIZE ? FIXED_HEADER_V1 : FIXED_HEADER_V2, fixed);
  // The checksum covers the fixed header (checksum 0) and the variable headers (§2.4).
  writeStruct(header, 0, FIXED_HEADER_V1, { checksum: crc32(header) });
  return { totalSize, header, data };
}

/** Writes one header's TLV and payload, laid out by its kind's entry in `HEADER_LAYOUTS`. */
type Emit = <K extends HeaderLayoutName>(kind: K, values: Partial<StructValue<(typeof HEADER_LAYOUTS)[K]>>) => void;

function writeInitialization(h: Exclude<InitializationHeader, { kind: 'OPTIONAL_UNKNOWN' }>, emit: Emit, data: FileDataSink): void {
  switch (h.kind) {
    case 'GUEST_POLICY':
      emit('GUEST_POLICY', h);
      break;
    case 'CCA_POLICY':
      emit('CCA_POLICY', h);
      break;
    case 'RELOCATABLE_REGION':
      // Upstream rebuilds the flags from its three booleans, dropping other bits (§12 step 5).
      emit('RELOCATABLE_REGION', {
        ...h,
        flags: h.flags & (RelocatableRegionFlags.IS_VTL2 | RelocatableRegionFlags.APPLY_PC | RelocatableRegionFlags.APPLY_GDTR),
      });
      break;
    case 'PAGE_TABLE_RELOCATION_REGION':
      emit('PAGE_TABLE_RELOCATION_REGION', h);
      break;
    case 'CORIM_DOCUMENT':
    case 'CORIM_SIGNATURE': {
      // Upstream calls the data writer even for an empty payload, which then yields the
      // current end offset rather than 0 (§12 step 5).
      emit(h.kind, { compatibilityMask: h.compatibilityMask, fileOffset: data.put(h.data, h.data.length), sizeBytes: h.data.length });
      break;
    }
  }
}

function writeDirective(h: Exclude<DirectiveHeader, { kind: 'OPTIONAL_UNKNOWN' }>, emit: Emit, data: FileDataSink): void {
  switch (h.kind) {
    case 'PAGE_DATA': {
      const fileOffset = h.data.length === 0 ? 0 : data.put(h.data, PAGE_SIZE_4K);
      emit('PAGE_DATA', {
        gpa: h.gpa,
        compatibilityMask: h.compatibilityMask,
        fileOffset,
        // Reserved bits 3–31 are written as stored (§12 step 6).
        flags: h.flags,
        dataType: PageDataType[h.dataType],
      });
      break;
    }
    case 'PARAMETER_AREA': {
      let fileOffset = 0;
      if (h.data.length > 0) {
        if (h.numberOfBytes >= BigInt(U32_LIMIT)) {
          throw new IgvmFormatError('TotalFileSizeTooLarge', `parameter area initial data of ${h.numberOfBytes} bytes cannot fit in a file`);
        }
        fileOffset = data.put(h.data, Number(h.numberOfBytes));
      }
      emit('PARAMETER_AREA', { ...h, fileOffset });
      break;
    }
    case 'PARAMETER_INSERT':
      emit('PARAMETER_INSERT', h);
      break;
    case 'VP_CONTEXT':
      writeVpContext(h, emit, data);
      break;
    case 'REQUIRED_MEMORY':
      emit('REQUIRED_MEMORY', { ...h, flags: h.flags & RequiredMemoryFlags.VTL2_PROTECTABLE });
      break;
    case 'SNP_ID_BLOCK': {
      const sig = (s: typeof h.idKeySignature): Uint8Array => encodeStruct(SNP_ID_BLOCK_SIGNATURE, s);
      const key = (k: typeof h.idPublicKey): Uint8Array => encodeStruct(SNP_ID_BLOCK_PUBLIC_KEY, k);
      emit('SNP_ID_BLOCK', {
        ...h,
        idKeySignature: sig(h.idKeySignature),
        idPublicKey: key(h.idPublicKey),
        authorKeySignature: sig(h.authorKeySignature),
        authorPublicKey: key(h.authorPublicKey),
      });
      break;
    }
    case 'VBS_MEASUREMENT':
      emit('VBS_MEASUREMENT', h);
      break;
    case 'ERROR_RANGE':
      // Upstream's writer panics here (todo!()); the natural 24-byte entry is written (§7.10).
      emit('ERROR_RANGE', h);
      break;
    default:
      // The ten parameter-usage headers: the 8-byte payload as it is (§12 step 6).
      emit(h.kind, h);
      break;
  }
}

function writeVpContext(h: VpContextHeader, emit: Emit, data: FileDataSink): void {
  const p = h.payload;
  let blob: Uint8Array;
  let gpa = 0n;
  let vpIndex = h.vpIndex;
  switch (p.format) {
    case 'sev-vmsa':
      blob = p.vmsa;
      gpa = h.gpa;
      break;
    case 'native-x64':
      blob = encodeNativeX64Context(p.context);
      break;
    case 'cca':
      blob = encodeCcaContext(p.context);
      break;
    case 'vbs':
      blob = encodeVbsRegisterList(p.registers);
      vpIndex = 0;
      break;
  }
  emit('VP_CONTEXT', {
    gpa,
    compatibilityMask: h.compatibilityMask,
    fileOffset: data.put(blob, blob.length),
    vpIndex,
    reserved: 0,
  });
}

/** A header whose optional bit is set and that we keep opaque (§3.4): type, length, payload, padding. */
function emitOpaque(header: Uint8Array, pos: number, type: number, payload: Uint8Array): number {
  writeStruct(header, pos, VARIABLE_HEADER, { type, length: payload.length });
  header.set(payload, pos + VARIABLE_HEADER.size);
  return pos + VARIABLE_HEADER.size + tlvPayloadSpan(payload.length);
}

function payloadSize(h: IgvmHeader): number {
  if (h.kind === 'OPTIONAL_UNKNOWN') return h.payload.length;
  return HEADER_LAYOUTS[h.kind].size;
}
