/**
 * The AMD SEV-SNP attestation report (spec/snp.md §4): 0x4A0 = 1184 bytes, little-endian,
 * versions 2, 3, 4 and 5. One table (`SNP_REPORT`) lists every field, reserved ranges
 * included, so that the fields tile the structure; `parseSnpReport` reads it and decodes the
 * packed values (TCB versions, platform info, signer info, CPUID) into named fields.
 *
 * Parsing never checks the signature; that is `verifySnpEvidence` (snp-verify.ts).
 */
import { bytes, defineStruct, readStruct, u32, u64, u8 } from '../format/struct.js';
import { EvidenceError } from './errors.js';

/** Size of an attestation report (spec/snp.md §4). */
export const SNP_REPORT_SIZE = 0x4a0;

/** Length of the signed region, bytes 0x000..0x29F inclusive (spec/snp.md §4 "Signature"). */
export const SNP_SIGNED_LENGTH = 0x2a0;

/**
 * The report layout (spec/snp.md §4). Fields that exist only in some versions (CPUID from v3,
 * the mitigation vectors from v5) are in the table at their offsets: in older versions those
 * bytes are reserved (zero), and `parseSnpReport` leaves the decoded fields undefined.
 */
export const SNP_REPORT = defineStruct('SNP_ATTESTATION_REPORT', SNP_REPORT_SIZE, {
  version: u32(0x000),
  guestSvn: u32(0x004),
  policy: u64(0x008),
  familyId: bytes(0x010, 16),
  imageId: bytes(0x020, 16),
  vmpl: u32(0x030),
  signatureAlgo: u32(0x034),
  currentTcb: u64(0x038),
  platformInfo: u64(0x040),
  signerInfo: u32(0x048),
  reserved04c: bytes(0x04c, 4),
  reportData: bytes(0x050, 64),
  measurement: bytes(0x090, 48),
  hostData: bytes(0x0c0, 32),
  idKeyDigest: bytes(0x0e0, 48),
  authorKeyDigest: bytes(0x110, 48),
  reportId: bytes(0x140, 32),
  reportIdMa: bytes(0x160, 32),
  reportedTcb: u64(0x180),
  // v3+: CPUID family/model/stepping; reserved in v2 (spec/snp.md §4).
  cpuidFamId: u8(0x188),
  cpuidModId: u8(0x189),
  cpuidStep: u8(0x18a),
  reserved18b: bytes(0x18b, 0x1a0 - 0x18b),
  chipId: bytes(0x1a0, 64),
  committedTcb: u64(0x1e0),
  currentBuild: u8(0x1e8),
  currentMinor: u8(0x1e9),
  currentMajor: u8(0x1ea),
  reserved1eb: u8(0x1eb),
  committedBuild: u8(0x1ec),
  committedMinor: u8(0x1ed),
  committedMajor: u8(0x1ee),
  reserved1ef: u8(0x1ef),
  launchTcb: u64(0x1f0),
  // v5: mitigation vectors; reserved in v2–v4 (spec/snp.md §4).
  launchMitVector: u64(0x1f8),
  currentMitVector: u64(0x200),
  reserved208: bytes(0x208, SNP_SIGNED_LENGTH - 0x208),
  // Signature: R and S, 72 bytes each, little-endian, then zeros (spec/snp.md §4).
  signatureR: bytes(0x2a0, 72),
  signatureS: bytes(0x2e8, 72),
  signatureReserved: bytes(0x330, SNP_REPORT_SIZE - 0x330),
});

/** The three processor generations with their own AMD root key (spec/snp.md §5). */
export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';

/**
 * A decoded TCB_VERSION (spec/snp.md §4). The byte layout depends on the product: Milan and
 * Genoa put BOOT_LOADER, TEE, SNP, MICROCODE in bytes 0, 1, 6, 7; Turin puts FMC,
 * BOOT_LOADER, TEE, SNP, MICROCODE in bytes 0, 1, 2, 3, 7. `fmc` is present only for Turin.
 */
export interface TcbVersion {
  /** The raw little-endian u64. */
  readonly raw: bigint;
  readonly bootLoader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin only. */
  readonly fmc?: number;
}

/** PLATFORM_INFO (report offset 0x40) bits (spec/snp.md §4). */
export interface SnpPlatformInfo {
  readonly raw: bigint;
  readonly smtEnabled: boolean;
  readonly tsmeEnabled: boolean;
  readonly eccEnabled: boolean;
  readonly raplDisabled: boolean;
  readonly ciphertextHidingDramEnabled: boolean;
  /** Defined from report version 3 (spec/snp.md §4). */
  readonly aliasCheckComplete: boolean;
  readonly tioEnabled: boolean;
}

/**
 * The key that signed the report: SIGNING_KEY 0 = VCEK, 1 = VLEK, 7 = none; the other values
 * are reserved (spec/snp.md §4) and decoded as `'reserved'`.
 */
export type SnpSigningKey = 'vcek' | 'vlek' | 'none' | 'reserved';

/** The signer-info word at report offset 0x48 (spec/snp.md §4). */
export interface SnpSignerInfo {
  readonly raw: number;
  readonly authorKeyEn: boolean;
  /** MASK_CHIP_KEY: CHIP_ID is zero and the hwID check cannot be made. */
  readonly maskChipKey: boolean;
  readonly signingKey: SnpSigningKey;
  /** The 3-bit SIGNING_KEY value itself. */
  readonly signingKeyCode: number;
}

/** CPUID family/model/stepping (v3+; spec/snp.md §4). */
export interface SnpCpuid {
  /** Extended + base family, e.g. 0x19, 0x1A. */
  readonly family: number;
  /** Extended model << 4 | model. */
  readonly model: number;
  readonly stepping: number;
}

/** A firmware version: build, minor, major (report offsets 0x1E8 / 0x1EC). */
export interface SnpFirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** A parsed attestation report. Byte fields are copies of the input. */
export interface SnpReport {
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  /** 1 = ECDSA P-384 with SHA-384. */
  readonly signatureAlgo: number;
  readonly currentTcb: TcbVersion;
  readonly platformInfo: SnpPlatformInfo;
  readonly signerInfo: SnpSignerInfo;
  readonly reportData: Uint8Array;
  /** The launch digest (spec/snp.md §1.1). */
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  /** The TCB the VCEK is certified for (spec/snp.md §5 matching rules). */
  readonly reportedTcb: TcbVersion;
  /** Present from version 3. */
  readonly cpuid: SnpCpuid | undefined;
  readonly chipId: Uint8Array;
  readonly committedTcb: TcbVersion;
  readonly currentVersion: SnpFirmwareVersion;
  readonly committedVersion: SnpFirmwareVersion;
  readonly launchTcb: TcbVersion;
  /** Present from version 5. */
  readonly launchMitVector: bigint | undefined;
  /** Present from version 5. */
  readonly currentMitVector: bigint | undefined;
  /** The signature's R, 72 bytes little-endian as stored. */
  readonly signatureR: Uint8Array;
  /** The signature's S, 72 bytes little-endian as stored. */
  readonly signatureS: Uint8Array;
  /** Bytes 0x000..0x29F: what the signature covers. */
  readonly signedBytes: Uint8Array;
  /** The whole 1184-byte report. */
  readonly raw: Uint8Array;
  /**
   * The processor generation the report implies (spec/snp.md §4 last paragraph): from CPUID
   * for v3+; for v2 only "Turin" can be guessed (CHIP_ID bytes 8..63 zero). `undefined` means
   * Milan or Genoa (which share the TCB layout): the VCEK's product name decides.
   */
  readonly product: SnpProduct | undefined;
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const byteOf = (v: bigint, n: number): number => Number((v >> BigInt(8 * n)) & 0xffn);

/**
 * Decodes a TCB_VERSION with the product's byte layout (spec/snp.md §4). Any product but
 * Turin (including unknown) uses the Milan/Genoa layout.
 */
export function decodeTcbVersion(raw: bigint, product: SnpProduct | undefined): TcbVersion {
  if (product === 'Turin') {
    return { raw, fmc: byteOf(raw, 0), bootLoader: byteOf(raw, 1), tee: byteOf(raw, 2), snp: byteOf(raw, 3), microcode: byteOf(raw, 7) };
  }
  return { raw, bootLoader: byteOf(raw, 0), tee: byteOf(raw, 1), snp: byteOf(raw, 6), microcode: byteOf(raw, 7) };
}

/**
 * The product implied by CPUID (spec/snp.md §4): family 0x19 model 0x0X is Milan, 0x1X Genoa
 * (Bergamo/Siena, models 0xAX, use the Genoa KDS product, as snpguest does); family 0x1A
 * models 0x00–0x11 are Turin (snpguest's range). Anything else is unknown.
 */
export function productFromCpuid(cpuid: SnpCpuid): SnpProduct | undefined {
  if (cpuid.family === 0x19) {
    const hi = cpuid.model >> 4;
    if (hi === 0x0) return 'Milan';
    if (hi === 0x1 || hi === 0xa) return 'Genoa';
    return undefined;
  }
  if (cpuid.family === 0x1a && cpuid.model <= 0x11) return 'Turin';
  return undefined;
}

/**
 * The product a v2 report implies: snpguest/virtee guess Turin when CHIP_ID bytes 8..63 are
 * all zero (spec/snp.md §4). We also require bytes 0..7 to be non-zero: an all-zero CHIP_ID
 * is a masked chip ID (MASK_CHIP_ID, VLEK), which says nothing about the product.
 */
function productFromChipId(chipId: Uint8Array): SnpProduct | undefined {
  const head = chipId.subarray(0, 8).some((b) => b !== 0);
  const tail = chipId.subarray(8).some((b) => b !== 0);
  return head && !tail ? 'Turin' : undefined;
}

/** Decodes the signer-info word (spec/snp.md §4, offset 0x48). */
export function decodeSignerInfo(raw: number): SnpSignerInfo {
  const code = (raw >>> 2) & 0x7;
  const signingKey: SnpSigningKey = code === 0 ? 'vcek' : code === 1 ? 'vlek' : code === 7 ? 'none' : 'reserved';
  return { raw, authorKeyEn: (raw & 1) === 1, maskChipKey: (raw & 2) === 2, signingKey, signingKeyCode: code };
}

/** Decodes PLATFORM_INFO (spec/snp.md §4, offset 0x40). */
export function decodePlatformInfo(raw: bigint): SnpPlatformInfo {
  return {
    raw,
    smtEnabled: bit(raw, 0),
    tsmeEnabled: bit(raw, 1),
    eccEnabled: bit(raw, 2),
    raplDisabled: bit(raw, 3),
    ciphertextHidingDramEnabled: bit(raw, 4),
    aliasCheckComplete: bit(raw, 5),
    tioEnabled: bit(raw, 7),
  };
}

/** Versions we read: 2, 3 and 5 are seen in real reports; go-sev-guest accepts 2–5 and virtee reads 4 like 3 (spec/snp.md §4). */
const SUPPORTED_VERSIONS = new Set([2, 3, 4, 5]);

/**
 * Parses a 1184-byte attestation report (spec/snp.md §4). Throws `EvidenceError`:
 * `Truncated` when the input is not exactly 0x4A0 bytes, `UnsupportedVersion` for a version
 * other than 2–5. The signature is not checked here.
 */
export function parseSnpReport(input: Uint8Array): SnpReport {
  if (input.length !== SNP_REPORT_SIZE) {
    throw new EvidenceError(
      'Truncated',
      `an SNP attestation report is ${SNP_REPORT_SIZE} bytes, got ${input.length}`,
      Math.min(input.length, SNP_REPORT_SIZE),
    );
  }
  const f = readStruct(input, 0, SNP_REPORT);
  if (!SUPPORTED_VERSIONS.has(f.version)) {
    throw new EvidenceError('UnsupportedVersion', `SNP report version ${f.version} is not supported (2–5 are)`, 0);
  }
  const cpuid: SnpCpuid | undefined =
    f.version >= 3 ? { family: f.cpuidFamId, model: f.cpuidModId, stepping: f.cpuidStep } : undefined;
  const product = cpuid ? productFromCpuid(cpuid) : productFromChipId(f.chipId);
  const tcb = (raw: bigint): TcbVersion => decodeTcbVersion(raw, product);
  return {
    version: f.version,
    guestSvn: f.guestSvn,
    policy: f.policy,
    familyId: f.familyId,
    imageId: f.imageId,
    vmpl: f.vmpl,
    signatureAlgo: f.signatureAlgo,
    currentTcb: tcb(f.currentTcb),
    platformInfo: decodePlatformInfo(f.platformInfo),
    signerInfo: decodeSignerInfo(f.signerInfo),
    reportData: f.reportData,
    measurement: f.measurement,
    hostData: f.hostData,
    idKeyDigest: f.idKeyDigest,
    authorKeyDigest: f.authorKeyDigest,
    reportId: f.reportId,
    reportIdMa: f.reportIdMa,
    reportedTcb: tcb(f.reportedTcb),
    cpuid,
    chipId: f.chipId,
    committedTcb: tcb(f.committedTcb),
    currentVersion: { major: f.currentMajor, minor: f.currentMinor, build: f.currentBuild },
    committedVersion: { major: f.committedMajor, minor: f.committedMinor, build: f.committedBuild },
    launchTcb: tcb(f.launchTcb),
    launchMitVector: f.version >= 5 ? f.launchMitVector : undefined,
    currentMitVector: f.version >= 5 ? f.currentMitVector : undefined,
    signatureR: f.signatureR,
    signatureS: f.signatureS,
    signedBytes: input.slice(0, SNP_SIGNED_LENGTH),
    raw: input.slice(),
    product,
  };
}
