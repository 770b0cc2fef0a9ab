/**
 * The Azure HCL runtime-data binding, one check for both platforms (spec/snp.md §6, §7 item 9;
 * spec/tdx.md §3, §5.2): the hardware report's REPORT_DATA[0..32] (SEV-SNP) or REPORTDATA[0..32]
 * (TDX: the TDREPORT's, or the quote's made from it) must be the SHA-256 of the HCL report's
 * runtime data, the `variableDataSize` bytes at 0x4D4 (azure-hcl.ts). Without it, the runtime
 * claims (the vTPM's attestation key, the VM configuration, the user data) are bound to nothing:
 * any of their bytes can change and the hardware signature still verifies.
 *
 * trustee refuses such evidence: deps/verifier/src/az_snp_vtpm/mod.rs `verify_report_data`
 * ("SNP report report_data mismatch") and deps/verifier/src/az_tdx_vtpm/mod.rs
 * `verify_hcl_var_data` ("TDX Quote report data mismatch"), both over az-cvm-vtpm's
 * `HclReport::var_data_sha256` (only SHA-256 is implemented; `HclReport::new` refuses report
 * types other than 2 and 4 and input that ends before the request data).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';
import type { Check } from '../pki/check.js';
import { HCL_HASH_TYPE, HCL_REPORT_TYPE, type HclReport } from './azure-hcl.js';
import type { SnpEvidence } from './snp-input.js';

/** The name of the binding check, the same for both platforms. */
export const HCL_REPORT_DATA_CHECK = 'hcl-report-data';

/**
 * The binding check for an HCL report whose hardware report (or the quote made from it) reports
 * `reportData`. Fails when the HCL report ends before its runtime data, names the other
 * platform's report type, uses a hash other than SHA-256, or the hash differs.
 */
export function hclReportDataCheck(hcl: HclReport, reportData: Uint8Array, platform: 'snp' | 'tdx'): Check {
  const name = HCL_REPORT_DATA_CHECK;
  const field = platform === 'snp' ? 'REPORT_DATA' : 'REPORTDATA';
  const header = hcl.runtimeDataHeader;
  if (!header || !hcl.runtimeClaims) {
    return {
      name,
      ok: false,
      detail: `the HCL report ends before its runtime data (0x4C0 header, data at 0x4D4): ${field} is bound to nothing`,
    };
  }
  const wantType = HCL_REPORT_TYPE[platform];
  if (header.reportType !== wantType) {
    return {
      name,
      ok: false,
      detail: `the HCL runtime-data header names report type ${header.reportType}, not ${wantType} (${platform === 'snp' ? 'SEV-SNP' : 'TDX'})`,
    };
  }
  if (header.reportDataHashType !== HCL_HASH_TYPE.sha256) {
    return {
      name,
      ok: false,
      detail: `runtime-data hash type ${header.reportDataHashType} is not 1 (SHA-256), the only one known (as trustee's Azure vTPM verifiers read it)`,
    };
  }
  const h = sha256(hcl.runtimeClaims);
  const got = reportData.subarray(0, 32);
  const ok = bytesEqual(h, got);
  return {
    name,
    ok,
    detail: ok
      ? `${field}[0..32] is the SHA-256 of the ${hcl.runtimeClaims.length}-byte HCL runtime data (as trustee's Azure vTPM verifiers check it)`
      : `${field}[0..32] ${bytesToHex(got)} is not the SHA-256 of the HCL runtime data ${bytesToHex(h)}: the runtime claims are not the ones the hardware report signs`,
  };
}

/** The SEV-SNP checks of this file: the binding, when the report came in an HCL report. */
export function snpHclChecks(evidence: SnpEvidence): Check[] {
  return evidence.hcl ? [hclReportDataCheck(evidence.hcl, evidence.report.reportData, 'snp')] : [];
}
