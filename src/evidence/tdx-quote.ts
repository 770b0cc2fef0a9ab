/**
 * The Intel TDX quote, versions 4 and 5 (spec/tdx.md §4.1–§4.3): header, TD report body (TDX 1.0
 * and 1.5), signature data, the QE report and its certification data, and the PCK chain.
 *
 * Every structure is one `defineStruct` table (DESIGN.md "Conventions"); offsets in the tables
 * are relative to the structure, and the quote parser places each structure by the length
 * fields that precede it, never by a version-specific absolute offset (tdx.md §4.2: "Never
 * hard-code offsets across versions"; §6 item 8). Every length field is checked against the
 * real input before anything is read through it, and every failure is an `EvidenceError` with
 * the byte offset of the offending field. The TDREPORT is tdreport.ts; finding the evidence in
 * its encodings is tdx-input.ts.
 */
import { bytes, defineStruct, readStruct, u16, u32, u64, viewOf, type StructValue } from '../format/struct.js';
import { EvidenceError } from './errors.js';
import { decodePemCertificates } from './encoding.js';

// ---- constants -------------------------------------------------------------------------------

/** TEE type of a TDX quote header and of a TDREPORT's REPORTTYPE (tdx.md §4.1, §4.3a). */
export const TEE_TYPE_TDX = 0x81;
/** TEE type of an SGX quote (tdx.md §4.1): recognised only to say what the input is. */
export const TEE_TYPE_SGX = 0x00;
/** The only attestation key type used by TDX: ECDSA-256-with-P-256 (tdx.md §4.1). */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** Outer certification data type: QE report certification data (tdx.md §4.3). */
export const CERT_DATA_TYPE_QE_REPORT = 6;
/** Inner certification data type: PCK certificate chain, PEM (tdx.md §4.3). */
export const CERT_DATA_TYPE_PCK_CHAIN = 5;
/** Intel's QE vendor ID, lowercase hex (tdx.md §4.1). */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
/** MRSIGNER of Intel's TD Quoting Enclave, lowercase hex (tdx.md §4.3, §4.5 step 7). */
export const INTEL_TD_QE_MRSIGNER = 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5';
/** ISVPRODID of Intel's TD Quoting Enclave (tdx.md §4.3). */
export const INTEL_TD_QE_ISVPRODID = 2;

// ---- layouts -----------------------------------------------------------------------------------

/** Quote header, 48 bytes, the same in v4 and v5 (tdx.md §4.1). */
export const TDX_QUOTE_HEADER = defineStruct('TdxQuoteHeader', 48, {
  version: u16(0x00),
  attestationKeyType: u16(0x02),
  teeType: u32(0x04),
  // Intel's sgx_quote_4.h calls these reserved; go-tdx-guest's qe_svn/pce_svn are legacy SGX
  // names for the same always-zero bytes (tdx.md §4.1).
  reserved: bytes(0x08, 4),
  qeVendorId: bytes(0x0c, 16),
  userData: bytes(0x1c, 20),
});

/** The v5 body descriptor after the header: body type and body size (tdx.md §4.2). */
export const TDX_QUOTE_V5_BODY_DESCRIPTOR = defineStruct('TdxQuoteV5BodyDescriptor', 6, {
  bodyType: u16(0),
  bodySize: u32(2),
});

/** v5 body types (tdx.md §4.2). */
export const TDX_BODY_TYPE = { sgx: 1, tdx10: 2, tdx15: 3 } as const;

/** Fields shared by the TDX 1.0 and 1.5 bodies (tdx.md §4.2, "body off" column). */
const TD_REPORT_BODY_FIELDS = {
  teeTcbSvn: bytes(0x000, 16),
  mrSeam: bytes(0x010, 48),
  mrSignerSeam: bytes(0x040, 48),
  seamAttributes: u64(0x070),
  tdAttributes: u64(0x078),
  xfam: u64(0x080),
  mrTd: bytes(0x088, 48),
  mrConfigId: bytes(0x0b8, 48),
  mrOwner: bytes(0x0e8, 48),
  mrOwnerConfig: bytes(0x118, 48),
  rtmr0: bytes(0x148, 48),
  rtmr1: bytes(0x178, 48),
  rtmr2: bytes(0x1a8, 48),
  rtmr3: bytes(0x1d8, 48),
  reportData: bytes(0x208, 64),
} as const;

/** TD report body of a v4 quote and of a v5 quote with body type 2 (TDX 1.0), 584 bytes. */
export const TD_REPORT_BODY_10 = defineStruct('TdReportBody10', 584, TD_REPORT_BODY_FIELDS);

/** TD report body of a v5 quote with body type 3 (TDX 1.5), 648 bytes (tdx.md §4.2). */
export const TD_REPORT_BODY_15 = defineStruct('TdReportBody15', 648, {
  ...TD_REPORT_BODY_FIELDS,
  teeTcbSvn2: bytes(0x248, 16),
  mrServiceTd: bytes(0x258, 48),
});

/**
 * The fixed start of the ECDSA signature data (tdx.md §4.3): quote signature, attestation key
 * and the header of the outer certification data.
 */
export const TDX_SIGNATURE_DATA = defineStruct('TdxQuoteSignatureData', 134, {
  signature: bytes(0, 64),
  attestationKey: bytes(64, 64),
  certificationDataType: u16(128),
  certificationDataSize: u32(130),
});

/** The fixed start of QE report certification data (tdx.md §4.3, offsets 134..584 less 134). */
export const QE_REPORT_CERTIFICATION_DATA = defineStruct('QeReportCertificationData', 450, {
  qeReport: bytes(0, 384),
  qeReportSignature: bytes(384, 64),
  qeAuthDataSize: u16(448),
});

/** Header of a certification data block: type and size (tdx.md §4.3). */
export const CERTIFICATION_DATA_HEADER = defineStruct('CertificationDataHeader', 6, {
  type: u16(0),
  size: u32(2),
});

/**
 * SGX REPORT body of the Quoting Enclave, 384 bytes. tdx.md §4.3 lists CPUSVN, MISCSELECT,
 * ATTRIBUTES, MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN and REPORTDATA; the names of the bytes
 * it leaves out (ISVEXTPRODID, CONFIGID, CONFIGSVN, ISVFAMILYID) are those of Intel's
 * `sgx_report_body_t` (sgx_report.h); they are shown, never checked.
 */
export const SGX_REPORT_BODY = defineStruct('SgxReportBody', 384, {
  cpuSvn: bytes(0, 16),
  miscSelect: u32(16),
  reserved1: bytes(20, 12),
  isvExtProdId: bytes(32, 16),
  attributes: bytes(48, 16),
  mrEnclave: bytes(64, 32),
  reserved2: bytes(96, 32),
  mrSigner: bytes(128, 32),
  reserved3: bytes(160, 32),
  configId: bytes(192, 64),
  isvProdId: u16(256),
  isvSvn: u16(258),
  configSvn: u16(260),
  reserved4: bytes(262, 42),
  isvFamilyId: bytes(304, 16),
  reportData: bytes(320, 64),
});

// ---- types -------------------------------------------------------------------------------------

/** The quote header (tdx.md §4.1). */
export type TdxQuoteHeader = StructValue<typeof TDX_QUOTE_HEADER>;

/** TD report body fields common to TDX 1.0 and 1.5 (tdx.md §4.2). u64 fields are `bigint`. */
export type TdReportBody10 = StructValue<typeof TD_REPORT_BODY_10>;

/** A TD report body: the TDX 1.5 fields are present only for body type 3 (tdx.md §4.2). */
export interface TdReportBody extends TdReportBody10 {
  /** TEE_TCB_SVN_2 (TDX 1.5 body only). */
  readonly teeTcbSvn2?: Uint8Array;
  /** MRSERVICETD (TDX 1.5 body only): SERVTD_HASH of the TDINFO (tdx.md §3). */
  readonly mrServiceTd?: Uint8Array;
}

/** The QE report: an SGX REPORT body (tdx.md §4.3). */
export type QeReport = StructValue<typeof SGX_REPORT_BODY>;

/** A parsed TDX quote (tdx.md §4). */
export interface TdxQuote {
  /** Quote version, 4 or 5. */
  readonly version: 4 | 5;
  readonly header: TdxQuoteHeader;
  /** v5 body type (2 = TDX 1.0, 3 = TDX 1.5); a v4 quote always carries a TDX 1.0 body (2). */
  readonly bodyType: 2 | 3;
  /** Byte offset of the TD report body in the quote (0x30 in v4, 0x36 in v5). */
  readonly bodyOffset: number;
  readonly body: TdReportBody;
  /** Exactly the bytes the attestation key signs: `[0, start of signature_data_len)` (tdx.md §4.4). */
  readonly signedBytes: Uint8Array;
  /** `signature_data_len` as read from the quote. */
  readonly signatureDataLength: number;
  /** Quote signature, raw r‖s, big-endian 32+32 (tdx.md §4.3). */
  readonly signature: Uint8Array;
  /** Attestation public key, raw X‖Y on P-256 (tdx.md §4.3). */
  readonly attestationKey: Uint8Array;
  /** Outer certification data type (always 6 once parsed). */
  readonly certificationDataType: number;
  /** The QE report, decoded. */
  readonly qeReport: QeReport;
  /** The 384 raw QE report bytes, which the PCK key signs (tdx.md §4.4). */
  readonly qeReportBytes: Uint8Array;
  /** QE report signature, raw r‖s (tdx.md §4.3). */
  readonly qeReportSignature: Uint8Array;
  /** QE authentication data (normally 32 bytes 00 01 … 1f). */
  readonly qeAuthData: Uint8Array;
  /** Inner certification data type (always 5 once parsed). */
  readonly pckChainType: number;
  /** The PCK certificate chain as carried in the quote (PEM text, a trailing NUL removed). */
  readonly pckChainPem: string;
  /** The chain's certificates, DER, in the quote's order: PCK leaf, PCK CA, root. */
  readonly pckChainDer: readonly Uint8Array[];
  /** Byte offset just past the signature data. */
  readonly end: number;
  /** Bytes after the signature data (normal: padding, test strings; tdx.md §4.3, §6 item 10). */
  readonly trailingBytes: number;
}

// ---- helpers -----------------------------------------------------------------------------------

/** TDATTRIBUTES bit names (tdx.md §3, after openvmm `TdAttributes` and trustee `claims.rs`). */
export const TD_ATTRIBUTE_BITS: ReadonlyArray<readonly [number, string]> = [
  [0, 'DEBUG'],
  [4, 'HGS_PLUS_PROF'],
  [5, 'PERF_PROF'],
  [6, 'PMT_PROF'],
  [27, 'LASS'],
  [28, 'SEPT_VE_DISABLE'],
  [29, 'MIGRATABLE'],
  [30, 'PKS'],
  [31, 'KL'],
  [62, 'TPA'],
  [63, 'PERFMON'],
];

/**
 * Names the set bits of TDATTRIBUTES (tdx.md §3). Bits without a name are listed as `BIT<n>`.
 * DEBUG means the TD is untrusted.
 */
export function decodeTdAttributes(value: bigint): string[] {
  const names = new Map(TD_ATTRIBUTE_BITS);
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((value >> BigInt(bit)) & 1n) out.push(names.get(bit) ?? `BIT${bit}`);
  }
  return out;
}

/** Throws `Truncated` unless `input` holds `size` bytes at `offset` (`fieldOffset`: where to point). */
export function needBytes(input: Uint8Array, offset: number, size: number, what: string, fieldOffset = offset): void {
  if (offset + size > input.length) {
    throw new EvidenceError(
      'Truncated',
      `${what} needs ${size} bytes at offset ${offset}, but the input ends at ${input.length}`,
      fieldOffset,
    );
  }
}

// ---- quote -------------------------------------------------------------------------------------

/**
 * Parses a TDX quote v4 or v5 (tdx.md §4.1–§4.3). The input may carry trailing bytes after the
 * signature data (tdx.md §6 item 10); they are counted, not parsed. Throws `EvidenceError`.
 */
export function parseTdxQuote(input: Uint8Array): TdxQuote {
  needBytes(input, 0, TDX_QUOTE_HEADER.size, 'the quote header');
  const view = viewOf(input);
  const header = readStruct(input, 0, TDX_QUOTE_HEADER, view);

  // §4.5 step 1: version, key type, TEE type.
  if (header.version !== 4 && header.version !== 5) {
    throw new EvidenceError('UnsupportedVersion', `quote version ${header.version} is not 4 or 5`, 0x00);
  }
  if (header.teeType !== TEE_TYPE_TDX) {
    const what = header.teeType === TEE_TYPE_SGX ? 'an SGX quote' : `TEE type 0x${header.teeType.toString(16)}`;
    throw new EvidenceError('BadField', `this is ${what}, not a TDX quote (TEE type 0x81)`, 0x04);
  }
  if (header.attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
    throw new EvidenceError(
      'BadField',
      `attestation key type ${header.attestationKeyType} is not 2 (ECDSA-256-with-P-256, the only one TDX uses)`,
      0x02,
    );
  }

  // §4.2: the body. v4 has no descriptor; v5 gives type and size, which must agree.
  let bodyType: 2 | 3 = 2;
  let bodyOffset = TDX_QUOTE_HEADER.size;
  if (header.version === 5) {
    needBytes(input, bodyOffset, TDX_QUOTE_V5_BODY_DESCRIPTOR.size, 'the v5 body descriptor');
    const d = readStruct(input, bodyOffset, TDX_QUOTE_V5_BODY_DESCRIPTOR, view);
    if (d.bodyType === TDX_BODY_TYPE.tdx10 || d.bodyType === TDX_BODY_TYPE.tdx15) {
      bodyType = d.bodyType;
    } else {
      const what = d.bodyType === TDX_BODY_TYPE.sgx ? 'an SGX enclave report (1)' : `unknown (${d.bodyType})`;
      throw new EvidenceError('BadField', `v5 body type is ${what}, not a TD report (2 or 3)`, bodyOffset);
    }
    const expected = bodyType === 2 ? TD_REPORT_BODY_10.size : TD_REPORT_BODY_15.size;
    if (d.bodySize !== expected) {
      throw new EvidenceError(
        'BadField',
        `v5 body size ${d.bodySize} does not match body type ${bodyType} (${expected} bytes)`,
        bodyOffset + 2,
      );
    }
    bodyOffset += TDX_QUOTE_V5_BODY_DESCRIPTOR.size;
  }
  const bodySize = bodyType === 2 ? TD_REPORT_BODY_10.size : TD_REPORT_BODY_15.size;
  needBytes(input, bodyOffset, bodySize, 'the TD report body');
  const body: TdReportBody =
    bodyType === 2
      ? readStruct(input, bodyOffset, TD_REPORT_BODY_10, view)
      : readStruct(input, bodyOffset, TD_REPORT_BODY_15, view);

  // §4.4: the attestation key signs everything before signature_data_len.
  const sigLenOffset = bodyOffset + bodySize;
  needBytes(input, sigLenOffset, 4, 'signature_data_len');
  const signatureDataLength = view.getUint32(sigLenOffset, true);
  const sigStart = sigLenOffset + 4;
  if (signatureDataLength > input.length - sigStart) {
    throw new EvidenceError(
      'Truncated',
      `signature_data_len ${signatureDataLength} runs past the end of the input (${input.length - sigStart} bytes left)`,
      sigLenOffset,
    );
  }
  const sigEnd = sigStart + signatureDataLength;
  // From here on, every read is bounded by the signature data, not by the input.
  const within = (offset: number, size: number, what: string, fieldOffset: number): void => {
    if (offset + size > sigEnd) {
      throw new EvidenceError(
        'BadField',
        `${what} (${size} bytes at ${offset}) runs past the signature data, which ends at ${sigEnd}`,
        fieldOffset,
      );
    }
  };

  within(sigStart, TDX_SIGNATURE_DATA.size, 'the signature data header', sigLenOffset);
  const sig = readStruct(input, sigStart, TDX_SIGNATURE_DATA, view);
  if (sig.certificationDataType !== CERT_DATA_TYPE_QE_REPORT) {
    throw new EvidenceError(
      'BadField',
      `certification data type ${sig.certificationDataType} is not 6 (QE report certification data)`,
      sigStart + 128,
    );
  }
  const certStart = sigStart + TDX_SIGNATURE_DATA.size;
  within(certStart, sig.certificationDataSize, 'the QE report certification data', sigStart + 130);
  const certEnd = certStart + sig.certificationDataSize;
  const inCert = (offset: number, size: number, what: string, fieldOffset: number): void => {
    if (offset + size > certEnd) {
      throw new EvidenceError(
        'BadField',
        `${what} (${size} bytes at ${offset}) runs past the certification data, which ends at ${certEnd}`,
        fieldOffset,
      );
    }
  };

  inCert(certStart, QE_REPORT_CERTIFICATION_DATA.size, 'the QE report and its signature', sigStart + 130);
  const qe = readStruct(input, certStart, QE_REPORT_CERTIFICATION_DATA, view);
  const authSizeOffset = certStart + 448;
  const authStart = certStart + QE_REPORT_CERTIFICATION_DATA.size;
  inCert(authStart, qe.qeAuthDataSize, 'the QE authentication data', authSizeOffset);
  const qeAuthData = input.slice(authStart, authStart + qe.qeAuthDataSize);

  const innerOffset = authStart + qe.qeAuthDataSize;
  inCert(innerOffset, CERTIFICATION_DATA_HEADER.size, 'the PCK chain header', innerOffset);
  const inner = readStruct(input, innerOffset, CERTIFICATION_DATA_HEADER, view);
  if (inner.type !== CERT_DATA_TYPE_PCK_CHAIN) {
    throw new EvidenceError(
      'BadField',
      `inner certification data type ${inner.type} is not 5 (PCK certificate chain)`,
      innerOffset,
    );
  }
  const chainStart = innerOffset + CERTIFICATION_DATA_HEADER.size;
  inCert(chainStart, inner.size, 'the PCK certificate chain', innerOffset + 2);
  const chainBytes = input.subarray(chainStart, chainStart + inner.size);
  const { pem, der } = decodePemChain(chainBytes, chainStart);

  return {
    version: header.version as 4 | 5,
    header,
    bodyType,
    bodyOffset,
    body,
    signedBytes: input.slice(0, sigLenOffset),
    signatureDataLength,
    signature: sig.signature,
    attestationKey: sig.attestationKey,
    certificationDataType: sig.certificationDataType,
    qeReport: readStruct(qe.qeReport, 0, SGX_REPORT_BODY),
    qeReportBytes: qe.qeReport,
    qeReportSignature: qe.qeReportSignature,
    qeAuthData,
    pckChainType: inner.type,
    pckChainPem: pem,
    pckChainDer: der,
    end: sigEnd,
    trailingBytes: input.length - sigEnd,
  };
}

/** The PCK chain as the quote carries it (tdx.md §4.3): PEM text, maybe NUL-terminated. */
function decodePemChain(chain: Uint8Array, offset: number): { pem: string; der: Uint8Array[] } {
  let n = chain.length;
  while (n > 0 && chain[n - 1] === 0) n--; // trailing NUL(s)
  let pem = '';
  for (let i = 0; i < n; i++) {
    const c = chain[i] as number;
    if (c === 0 || c > 0x7e) {
      throw new EvidenceError('BadCertificate', 'the PCK certificate chain is not PEM text', offset + i);
    }
    pem += String.fromCharCode(c);
  }
  const der = decodePemCertificates(pem, offset);
  if (der.length === 0) {
    throw new EvidenceError('BadCertificate', 'the PCK certificate chain holds no PEM certificate', offset);
  }
  return { pem, der };
}

