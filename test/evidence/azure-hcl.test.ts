/**
 * Azure's HCL report (src/evidence/azure-hcl.ts), the one layout SNP and TDX loading share.
 *
 * Expected values come from outside: the layout of openvmm's IGVM attestation request
 * (`IgvmAttestRequest`: 32-byte header with signature "HCLA", a hardware-report area the size of
 * an SNP report (1184 bytes), `IgvmAttestRequestData` of five u32 — data size, version, report
 * type, report-data hash type, variable-data size — and then the runtime claims; report types
 * SNP_VM_REPORT = 2 and TDX_VM_REPORT = 4; hash type SHA_256 = 1; "the hash of RuntimeClaims …
 * will be captured in the report_data … of the TEE attestation report"), spec/snp.md §6 (SNP
 * report at 0x20) and spec/tdx.md §4.3a / §5.2 (TDREPORT at offset 32, runtime JSON at 1236 whose
 * SHA-256 is REPORTDATA[0..32]). The crafted reports below are built from those offsets, not from
 * our tables.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HCL_OFFSETS, HCL_REPORT_TYPE, isHcl, readHclReport } from '../../src/evidence/azure-hcl.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { bytesToHex } from '../../src/format/bytes.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { evidenceErrorOf as errorOf } from '../helpers/checks.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** openvmm `IgvmAttestRequest`: header 32 + report area 1184, then the 20-byte request data. */
const REQUEST_DATA = 32 + 1184;
const RUNTIME_CLAIMS = REQUEST_DATA + 20;

/** An HCL report from the openvmm layout: `report` at 0x20, then request data and claims. */
function craftHcl(report: Uint8Array, reportType: number, claims: Uint8Array, claimedSize = claims.length): Uint8Array {
  const out = new Uint8Array(RUNTIME_CLAIMS + claims.length);
  out.set([0x48, 0x43, 0x4c, 0x41], 0); // "HCLA"
  const v = new DataView(out.buffer);
  v.setUint32(4, 2, true);
  out.set(report, 32);
  v.setUint32(REQUEST_DATA + 0, 20 + claimedSize, true);
  v.setUint32(REQUEST_DATA + 4, 1, true);
  v.setUint32(REQUEST_DATA + 8, reportType, true);
  v.setUint32(REQUEST_DATA + 12, 1, true);
  v.setUint32(REQUEST_DATA + 16, claimedSize, true);
  out.set(claims, RUNTIME_CLAIMS);
  return out;
}

/** A TDREPORT that parses: REPORTTYPE 0x81/0 (tdx.md §4.3a), everything else zero. */
function tdReport(): Uint8Array {
  const r = new Uint8Array(1024);
  r[0] = 0x81;
  return r;
}

describe('the layout (openvmm IgvmAttestRequest)', () => {
  it('places the hardware report, the request data and the runtime claims where openvmm does', () => {
    expect(HCL_OFFSETS).toEqual({ hardwareReport: 0x20, runtimeDataHeader: REQUEST_DATA, runtimeData: RUNTIME_CLAIMS });
    expect(RUNTIME_CLAIMS).toBe(1236); // tdx.md §5.2
    expect(HCL_REPORT_TYPE).toEqual({ snp: 2, tdx: 4 });
  });

  it('reads the request-data words and the claims of a crafted report', () => {
    const claims = new TextEncoder().encode('{"keys":[]}');
    const hcl = readHclReport(craftHcl(tdReport(), 4, claims));
    expect(hcl.runtimeDataHeader).toEqual({
      dataSize: 20 + claims.length,
      version: 1,
      reportType: 4,
      reportDataHashType: 1,
      variableDataSize: claims.length,
    });
    expect(hcl.runtimeClaims).toEqual(claims);
    expect(hcl.header.version).toBe(2);
    expect(isHcl(craftHcl(tdReport(), 4, claims))).toBe(true);
    expect(isHcl(Uint8Array.of(0x48, 0x43, 0x4c))).toBe(false);
  });

  it('a report cut before the claims has a header only; claims running past the end are left out', () => {
    const full = craftHcl(tdReport(), 4, new Uint8Array(8));
    expect(readHclReport(full.subarray(0, RUNTIME_CLAIMS - 1))).toEqual({ header: readHclReport(full).header });
    const over = readHclReport(craftHcl(tdReport(), 4, new Uint8Array(8), 9));
    expect(over.runtimeDataHeader?.variableDataSize).toBe(9);
    expect(over.runtimeClaims).toBeUndefined();
  });
});

describe('both platforms read it the same way', () => {
  it('TDX: the claims, and claims running past the end are Truncated at the variable-data size', () => {
    const claims = new TextEncoder().encode('{"a":1}');
    const ev = loadTdxEvidence(craftHcl(tdReport(), 4, claims));
    expect(ev.kind).toBe('hcl-report');
    expect(ev.hcl?.runtimeClaims).toEqual(claims);
    const e = errorOf(() => loadTdxEvidence(craftHcl(tdReport(), 4, claims, claims.length + 1)));
    expect(e.code).toBe('Truncated');
    expect(e.offset).toBe(REQUEST_DATA + 16);
  });

  it('SNP: the claims, and claims running past the end are Truncated at the variable-data size, as for TDX', () => {
    const snp = new Uint8Array(1184);
    snp[0] = 2; // VERSION 2 (spec/snp.md §4)
    snp[0x34] = 1; // SIGNATURE_ALGO
    const claims = new TextEncoder().encode('{"a":1}');
    const ev = loadSnpEvidence(craftHcl(snp, 2, claims));
    expect(ev.hcl?.runtimeClaims).toEqual(claims);
    expect(ev.hcl?.runtimeDataHeader?.reportType).toBe(2);
    const e = errorOf(() => loadSnpEvidence(craftHcl(snp, 2, claims, claims.length + 1)));
    expect(e.code).toBe('Truncated');
    expect(e.offset).toBe(REQUEST_DATA + 16);
  });

  it('SNP: a report of type TDX (4) is not SNP evidence, at the report-type word', () => {
    const e = errorOf(() => loadSnpEvidence(craftHcl(tdReport(), 4, new Uint8Array(4))));
    expect(e.code).toBe('UnknownEvidence');
    expect(e.offset).toBe(REQUEST_DATA + 8);
  });

  it('TDX: an HCL report whose hardware report is not a TDREPORT is not TDX evidence', () => {
    const e = errorOf(() => loadTdxEvidence(craftHcl(new Uint8Array(1184), 2, new Uint8Array(4))));
    expect(e.code).toBe('UnknownEvidence');
    expect(e.offset).toBe(0x20);
  });
});

describe.skipIf(!HAVE_SHARED)("trustee's Azure samples (vectors/SOURCES.md)", () => {
  sharedNotice('azure-hcl');
  const snpFile = 'evidence/snp/trustee-az-snp-vtpm-hcl-report.bin';
  const tdxFile = 'evidence/tdx/trustee-az-tdx-vtpm-hcl-report.bin';

  it('SNP sample: report type SNP, SHA-256 claims at 1236 whose hash is REPORT_DATA[0..32]', () => {
    const bytes = sharedBytes(snpFile);
    const hcl = readHclReport(bytes);
    expect(hcl.runtimeDataHeader?.reportType).toBe(2);
    expect(hcl.runtimeDataHeader?.reportDataHashType).toBe(1);
    const claims = hcl.runtimeClaims ?? new Uint8Array();
    expect(bytesToHex(claims)).toBe(bytesToHex(bytes.subarray(1236, 1236 + claims.length)));
    expect(claims[0]).toBe('{'.charCodeAt(0));
    const ev = loadSnpEvidence(bytes);
    expect(sha256(claims)).toBe(bytesToHex(ev.report.reportData.subarray(0, 32)));
    expect(ev.hclRuntimeData).toEqual(claims);
  });

  it('TDX sample: report type TDX, SHA-256 claims at 1236 whose hash is REPORTDATA[0..32] (tdx.md §5.2)', () => {
    const bytes = sharedBytes(tdxFile);
    const hcl = readHclReport(bytes);
    expect(hcl.runtimeDataHeader?.reportType).toBe(4);
    expect(hcl.runtimeDataHeader?.reportDataHashType).toBe(1);
    const claims = hcl.runtimeClaims ?? new Uint8Array();
    expect(bytesToHex(claims)).toBe(bytesToHex(bytes.subarray(1236, 1236 + claims.length)));
    const ev = loadTdxEvidence(bytes);
    expect(sha256(claims)).toBe(bytesToHex(ev.tdReport?.reportMacStruct.reportData.subarray(0, 32) ?? new Uint8Array()));
    expect(ev.hcl).toEqual(hcl);
  });

  it('each platform rejects the other platform\'s sample', () => {
    expect(errorOf(() => loadSnpEvidence(sharedBytes(tdxFile))).code).toBe('UnknownEvidence');
    expect(errorOf(() => loadTdxEvidence(sharedBytes(snpFile))).code).toBe('UnknownEvidence');
  });
});
