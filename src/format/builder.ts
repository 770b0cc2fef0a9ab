/**
 * A builder for IGVM files in code (tests, the project's sample vectors, the `sign` command).
 * Methods append headers in call order, which is file order within each section; defaults
 * follow upstream's (platform version 1, highest VTL 0, flags 0, NORMAL pages). `build()`
 * validates the result as the parser would (spec/igvm-format.md §10.1); `toBytes()` serializes
 * it like upstream (§12). The headers it makes are those of §5–§8.
 */
import type { IgvmArchitecture, PageDataTypeName, ParameterUsageType, PlatformTypeName } from './constants.js';
import { IgvmFormatError } from './errors.js';
import { EMPTY_DATA, bytesData } from './source.js';
import type {
  DirectiveHeader,
  IgvmFile,
  InitializationHeader,
  SnpIdBlockPublicKey,
  SnpIdBlockSignature,
  SupportedPlatformHeader,
  VpContextPayload,
} from './types.js';
import { validateFile, type ValidateOptions } from './validate.js';
import {
  decodeCcaContext,
  decodeNativeX64Context,
  encodeCcaContext,
  encodeNativeX64Context,
  type CcaVpContext,
  type NativeX64Context,
} from './native-context.js';
import type { VbsRegister } from './vbs-registers.js';
import { serializeIgvm } from './writer.js';

/** A u64 given as a number (exact integers only) or a bigint. */
export type U64Input = bigint | number;

function u64(v: U64Input, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new IgvmFormatError('InvalidFieldValue', `${what}: ${v} is not an exact integer; pass a bigint`);
  return BigInt(v);
}

const EMPTY_SIGNATURE = (): SnpIdBlockSignature => ({ rComp: new Uint8Array(72), sComp: new Uint8Array(72) });
const EMPTY_PUBLIC_KEY = (): SnpIdBlockPublicKey => ({ curve: 0, reserved: 0, qx: new Uint8Array(72), qy: new Uint8Array(72) });

/** Builds an `IgvmFile` header by header. */
export class IgvmBuilder {
  private readonly platforms: SupportedPlatformHeader[] = [];
  private readonly initializations: InitializationHeader[] = [];
  private readonly directives: DirectiveHeader[] = [];
  private readonly formatVersion: 1 | 2;
  private readonly architecture: IgvmArchitecture;

  /** V1 is always x64; V2 may be x64 or aarch64 (§11). Default: V2 when aarch64, else V1. */
  constructor(options: { formatVersion?: 1 | 2; architecture?: IgvmArchitecture } = {}) {
    this.architecture = options.architecture ?? 'x64';
    this.formatVersion = options.formatVersion ?? (this.architecture === 'aarch64' ? 2 : 1);
  }

  /** `SUPPORTED_PLATFORM` (§5). */
  platform(p: {
    compatibilityMask: number;
    platformType: PlatformTypeName;
    highestVtl?: number;
    platformVersion?: number;
    sharedGpaBoundary?: U64Input;
  }): this {
    this.platforms.push({
      kind: 'SUPPORTED_PLATFORM',
      compatibilityMask: p.compatibilityMask,
      platformType: p.platformType,
      highestVtl: p.highestVtl ?? 0,
      platformVersion: p.platformVersion ?? 1,
      sharedGpaBoundary: u64(p.sharedGpaBoundary ?? 0n, 'sharedGpaBoundary'),
    });
    return this;
  }

  /** `GUEST_POLICY` (§6.1). */
  guestPolicy(p: { policy: U64Input; compatibilityMask: number }): this {
    this.initializations.push({ kind: 'GUEST_POLICY', policy: u64(p.policy, 'policy'), compatibilityMask: p.compatibilityMask });
    return this;
  }

  /** `RELOCATABLE_REGION` (§6.3). */
  relocatableRegion(p: {
    compatibilityMask: number;
    vpIndex?: number;
    vtl?: number;
    flags?: number;
    relocationAlignment: U64Input;
    relocationRegionGpa: U64Input;
    relocationRegionSize: U64Input;
    minimumRelocationGpa: U64Input;
    maximumRelocationGpa: U64Input;
  }): this {
    this.initializations.push({
      kind: 'RELOCATABLE_REGION',
      compatibilityMask: p.compatibilityMask,
      vpIndex: p.vpIndex ?? 0,
      vtl: p.vtl ?? 0,
      flags: p.flags ?? 0,
      relocationAlignment: u64(p.relocationAlignment, 'relocationAlignment'),
      relocationRegionGpa: u64(p.relocationRegionGpa, 'relocationRegionGpa'),
      relocationRegionSize: u64(p.relocationRegionSize, 'relocationRegionSize'),
      minimumRelocationGpa: u64(p.minimumRelocationGpa, 'minimumRelocationGpa'),
      maximumRelocationGpa: u64(p.maximumRelocationGpa, 'maximumRelocationGpa'),
    });
    return this;
  }

  /** `PAGE_TABLE_RELOCATION_REGION` (§6.4). */
  pageTableRelocation(p: { compatibilityMask: number; vpIndex?: number; vtl?: number; gpa: U64Input; size: U64Input; usedSize: U64Input }): this {
    this.initializations.push({
      kind: 'PAGE_TABLE_RELOCATION_REGION',
      compatibilityMask: p.compatibilityMask,
      vpIndex: p.vpIndex ?? 0,
      vtl: p.vtl ?? 0,
      gpa: u64(p.gpa, 'gpa'),
      size: u64(p.size, 'size'),
      usedSize: u64(p.usedSize, 'usedSize'),
    });
    return this;
  }

  /** `CORIM_DOCUMENT` or `CORIM_SIGNATURE` (§6.5). */
  corim(kind: 'CORIM_DOCUMENT' | 'CORIM_SIGNATURE', p: { compatibilityMask: number; data: Uint8Array }): this {
    this.initializations.push({ kind, compatibilityMask: p.compatibilityMask, fileOffset: 0, data: bytesData(p.data) });
    return this;
  }

  /** `CCA_POLICY` (§6.2). */
  ccaPolicy(p: {
    compatibilityMask: number;
    attributesRequiredZeroes?: U64Input;
    attributesRequiredOnes?: U64Input;
    hashAlgorithm?: number;
    lfaPolicy?: number;
  }): this {
    this.initializations.push({
      kind: 'CCA_POLICY',
      compatibilityMask: p.compatibilityMask,
      attributesRequiredZeroes: u64(p.attributesRequiredZeroes ?? 0n, 'attributesRequiredZeroes'),
      attributesRequiredOnes: u64(p.attributesRequiredOnes ?? 0n, 'attributesRequiredOnes'),
      hashAlgorithm: p.hashAlgorithm ?? 0,
      lfaPolicy: p.lfaPolicy ?? 0,
    });
    return this;
  }

  /** `PAGE_DATA` (§7.2). Omit `data` (or pass empty) for a zero page; shorter data is zero-padded on write. */
  pageData(p: { gpa: U64Input; compatibilityMask: number; data?: Uint8Array; flags?: number; dataType?: PageDataTypeName }): this {
    this.directives.push({
      kind: 'PAGE_DATA',
      gpa: u64(p.gpa, 'gpa'),
      compatibilityMask: p.compatibilityMask,
      fileOffset: 0,
      flags: p.flags ?? 0,
      dataType: p.dataType ?? 'NORMAL',
      data: p.data === undefined ? EMPTY_DATA : bytesData(p.data),
    });
    return this;
  }

  /** `PARAMETER_AREA` (§7.1). Omit `data` for a zero-filled area. */
  parameterArea(p: { parameterAreaIndex: number; numberOfBytes: U64Input; data?: Uint8Array }): this {
    this.directives.push({
      kind: 'PARAMETER_AREA',
      parameterAreaIndex: p.parameterAreaIndex,
      numberOfBytes: u64(p.numberOfBytes, 'numberOfBytes'),
      fileOffset: 0,
      data: p.data === undefined ? EMPTY_DATA : bytesData(p.data),
    });
    return this;
  }

  /** One of the ten parameter-usage headers (§7.7), e.g. `VP_COUNT_PARAMETER`. */
  parameterUsage(kind: ParameterUsageType, p: { parameterAreaIndex: number; byteOffset?: number }): this {
    this.directives.push({ kind, parameterAreaIndex: p.parameterAreaIndex, byteOffset: p.byteOffset ?? 0 });
    return this;
  }

  /** `PARAMETER_INSERT` (§7.3). */
  parameterInsert(p: { gpa: U64Input; compatibilityMask: number; parameterAreaIndex: number }): this {
    this.directives.push({ kind: 'PARAMETER_INSERT', gpa: u64(p.gpa, 'gpa'), compatibilityMask: p.compatibilityMask, parameterAreaIndex: p.parameterAreaIndex });
    return this;
  }

  /** `VP_CONTEXT` with any payload (§7.4, §8). */
  vpContext(p: { compatibilityMask: number; vpIndex?: number; gpa?: U64Input; payload: VpContextPayload }): this {
    this.directives.push({
      kind: 'VP_CONTEXT',
      gpa: u64(p.gpa ?? 0n, 'gpa'),
      compatibilityMask: p.compatibilityMask,
      fileOffset: 0,
      vpIndex: p.vpIndex ?? 0,
      payload: p.payload,
    });
    return this;
  }

  /** An SEV-ES/SEV-SNP VMSA VP context (§8.2); `vmsa` is 4096 bytes (see `encodeSevVmsa`). */
  vmsa(p: { compatibilityMask: number; gpa: U64Input; vpIndex?: number; vmsa: Uint8Array }): this {
    return this.vpContext({ ...p, payload: { format: 'sev-vmsa', vmsa: p.vmsa } });
  }

  /** A VBS register-list VP context (§8.4) in the file's architecture; one VTL for all registers. */
  vbsRegisters(p: { compatibilityMask: number; registers: readonly VbsRegister[] }): this {
    return this.vpContext({ compatibilityMask: p.compatibilityMask, payload: { format: 'vbs', architecture: this.architecture, registers: p.registers } });
  }

  /** A native x64 VP context (§8.3), for NATIVE and SEV platforms. */
  nativeContext(p: { compatibilityMask: number; vpIndex?: number; context: Partial<NativeX64Context> }): this {
    // Round-trip through the codec to fill absent fields with zeros.
    const context = decodeNativeX64Context(encodeNativeX64Context(p.context));
    return this.vpContext({ ...p, payload: { format: 'native-x64', context } });
  }

  /** A CCA VP context (§8.5). */
  ccaContext(p: { compatibilityMask: number; vpIndex?: number; context: Partial<CcaVpContext> }): this {
    const context = decodeCcaContext(encodeCcaContext(p.context));
    return this.vpContext({ ...p, payload: { format: 'cca', context } });
  }

  /** `REQUIRED_MEMORY` (§7.5). */
  requiredMemory(p: { gpa: U64Input; compatibilityMask: number; numberOfBytes: number; vtl2Protectable?: boolean }): this {
    this.directives.push({
      kind: 'REQUIRED_MEMORY',
      gpa: u64(p.gpa, 'gpa'),
      compatibilityMask: p.compatibilityMask,
      numberOfBytes: p.numberOfBytes,
      flags: p.vtl2Protectable === true ? 1 : 0,
    });
    return this;
  }

  /** `SNP_ID_BLOCK` (§7.8). Absent fields are zero. */
  snpIdBlock(p: {
    compatibilityMask: number;
    ld: Uint8Array;
    authorKeyEnabled?: number;
    familyId?: Uint8Array;
    imageId?: Uint8Array;
    version?: number;
    guestSvn?: number;
    idKeyAlgorithm?: number;
    authorKeyAlgorithm?: number;
    idKeySignature?: SnpIdBlockSignature;
    idPublicKey?: SnpIdBlockPublicKey;
    authorKeySignature?: SnpIdBlockSignature;
    authorPublicKey?: SnpIdBlockPublicKey;
  }): this {
    this.directives.push({
      kind: 'SNP_ID_BLOCK',
      compatibilityMask: p.compatibilityMask,
      authorKeyEnabled: p.authorKeyEnabled ?? 0,
      reserved: new Uint8Array(3),
      ld: p.ld,
      familyId: p.familyId ?? new Uint8Array(16),
      imageId: p.imageId ?? new Uint8Array(16),
      version: p.version ?? 0,
      guestSvn: p.guestSvn ?? 0,
      idKeyAlgorithm: p.idKeyAlgorithm ?? 0,
      authorKeyAlgorithm: p.authorKeyAlgorithm ?? 0,
      idKeySignature: p.idKeySignature ?? EMPTY_SIGNATURE(),
      idPublicKey: p.idPublicKey ?? EMPTY_PUBLIC_KEY(),
      authorKeySignature: p.authorKeySignature ?? EMPTY_SIGNATURE(),
      authorPublicKey: p.authorPublicKey ?? EMPTY_PUBLIC_KEY(),
    });
    return this;
  }

  /** `ERROR_RANGE` (§7.10). */
  errorRange(p: { gpa: U64Input; compatibilityMask: number; sizeBytes: number }): this {
    this.directives.push({ kind: 'ERROR_RANGE', gpa: u64(p.gpa, 'gpa'), compatibilityMask: p.compatibilityMask, sizeBytes: p.sizeBytes });
    return this;
  }

  /** Appends any header as it is (platform, initialization or directive, by its kind). */
  add(h: SupportedPlatformHeader | InitializationHeader | DirectiveHeader): this {
    if (h.kind === 'SUPPORTED_PLATFORM') this.platforms.push(h);
    else if (INITIALIZATION_KINDS.has(h.kind)) this.initializations.push(h as InitializationHeader);
    else this.directives.push(h as DirectiveHeader);
    return this;
  }

  /** The file, validated like a parsed one (throws `IgvmFormatError`). */
  build(options: ValidateOptions = {}): IgvmFile {
    const file: IgvmFile = {
      revision: { formatVersion: this.formatVersion, architecture: this.architecture, pageSize: 4096 },
      platforms: [...this.platforms],
      initializations: [...this.initializations],
      directives: [...this.directives],
    };
    validateFile(file, options);
    return file;
  }

  /** The file's bytes, as upstream's writer would produce them. */
  toBytes(): Uint8Array {
    return serializeIgvm(this.build());
  }
}

const INITIALIZATION_KINDS = new Set<string>([
  'GUEST_POLICY',
  'RELOCATABLE_REGION',
  'PAGE_TABLE_RELOCATION_REGION',
  'CORIM_DOCUMENT',
  'CORIM_SIGNATURE',
  'CCA_POLICY',
]);
