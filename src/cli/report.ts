/**
 * `igvm-measure report show|verify EVIDENCE`: SEV-SNP attestation reports and TDX quotes
 * (spec/snp.md §4–§5, spec/tdx.md §4).
 */
import { evidenceValues, verifyEvidence, type Evidence } from '../evidence/index.js';
import { onePath, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { CERTIFICATE_HELP, CERTIFICATE_OPTIONS, checkJson, checkLines, POLICY_HELP, POLICY_OPTIONS, readEvidence, verdictText, verifyOptionsOf } from './evidence-input.js';
import { stringify, toJson, type Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure report show EVIDENCE [--json]
       igvm-measure report verify EVIDENCE [certificate options] [policy options] [--json]

EVIDENCE is an SEV-SNP attestation report (1184 bytes raw, hex or base64 text,
inside an Azure HCL report, Azure evidence JSON or trustee's Azure SNP JSON
v1/v2) or a TDX quote (v4 or v5, binary or hex, or trustee's Azure TDX JSON), a
TDREPORT or an Azure TDX HCL report; the kind is detected.

show     every field, named as in the specifications
verify   checks the signature and the certificate chain offline, pinned to AMD's
         ARKs (Milan, Genoa, Turin) and Intel's production SGX root; TCB and
         chip-ID bindings for SEV-SNP; with --collateral, TDX TCB status, QE
         identity and CRLs; then appraises the evidence against the policy:
         debug guests are refused unless --allow-debug, TDX needs
         SEPT_VE_DISABLE unless --allow-sept-ve, and each expected value given
         is checked. Checks that could not be made are listed as not made
         (--require-all turns them into failures).

Options:
${CERTIFICATE_HELP}
${POLICY_HELP}
  --json            one JSON document: show: the fields; verify: {kind, verified,
                    measurement | mrtd, checks: [{name, ok, expected, actual,
                    detail}]} (ok: true, false, or null when not made)
  -h, --help        show this help

Exit codes: 0 shown / every check passed, 1 the evidence is unreadable or
malformed, 2 usage error, 3 a check failed.`;

/** A short name of the evidence's kind. */
export function evidenceKind(e: Evidence): string {
  return e.platform === 'SEV_SNP' ? `sev-snp-report (${e.snp.encoding})` : `tdx-${e.tdx.kind} (${e.tdx.encoding})`;
}

/** Every field of the evidence for `show` (the bulky raw copies left out). */
function fieldsOf(e: Evidence): Json {
  if (e.platform === 'SEV_SNP') {
    const { raw: _raw, signedBytes: _signed, ...report } = e.snp.report;
    return { kind: evidenceKind(e), report: toJson(report), certificates: Object.keys(e.snp.certificates) };
  }
  const t = e.tdx;
  const quote =
    t.quote === undefined
      ? null
      : (() => {
          const { signedBytes: _s, pckChainDer: _d, pckChainPem: _p, ...q } = t.quote;
          return toJson({ ...q, pckChainCertificates: t.quote.pckChainDer.length });
        })();
  return { kind: evidenceKind(e), quote, td_report: t.tdReport === undefined ? null : toJson(t.tdReport) };
}

function showText(e: Evidence): string {
  const v = evidenceValues(e);
  const lines = [`kind:         ${evidenceKind(e)}`];
  if (v.platform === 'SEV_SNP') {
    const r = e.platform === 'SEV_SNP' ? e.snp.report : undefined!;
    lines.push(
      `version:      ${r.version}${r.product ? ` (${r.product})` : ''}`,
      `measurement:  ${bytesToHex(r.measurement)}`,
      `policy:       0x${r.policy.toString(16)}`,
      `signing key:  ${r.signerInfo.signingKey}`,
      `reported TCB: 0x${r.reportedTcb.raw.toString(16).padStart(16, '0')}`,
      `family ID:    ${bytesToHex(r.familyId)}`,
      `image ID:     ${bytesToHex(r.imageId)}`,
      `ID key:       ${bytesToHex(r.idKeyDigest)}`,
      `report data:  ${bytesToHex(r.reportData)}`,
      `host data:    ${bytesToHex(r.hostData)}`,
      `chip ID:      ${bytesToHex(r.chipId)}`,
    );
  } else {
    lines.push(`MRTD:         ${bytesToHex(v.mrtd)}`);
    const b = e.platform === 'TDX' ? (e.tdx.quote?.body ?? e.tdx.tdReport?.tdInfo) : undefined;
    if (b !== undefined) {
      lines.push(
        `RTMR0:        ${bytesToHex(b.rtmr0)}`,
        `RTMR1:        ${bytesToHex(b.rtmr1)}`,
        `RTMR2:        ${bytesToHex(b.rtmr2)}`,
        `RTMR3:        ${bytesToHex(b.rtmr3)}`,
        `MRCONFIGID:   ${bytesToHex(b.mrConfigId)}`,
        `MROWNER:      ${bytesToHex(b.mrOwner)}`,
        `TDATTRIBUTES: 0x${b.tdAttributes.toString(16).padStart(16, '0')}`,
        `XFAM:         0x${b.xfam.toString(16).padStart(16, '0')}`,
      );
    }
    lines.push(`report data:  ${bytesToHex(v.reportData)}`);
  }
  lines.push("(--json lists every field)");
  return `${lines.join('\n')}\n`;
}

export const reportCommand: Command = {
  name: 'report',
  help: HELP,
  options: { json: { type: 'boolean' }, ...CERTIFICATE_OPTIONS, ...POLICY_OPTIONS },
  async run({ values, positionals }, io) {
    const [action, ...rest] = positionals;
    if (action !== 'show' && action !== 'verify') throw new UsageError(action === undefined ? 'report needs show or verify' : `unknown action '${action}' (show, verify)`);
    const path = onePath(rest, `report ${action}`);
    // Options first: a usage error is reported before any file is read.
    const verifyOptions = action === 'verify' ? verifyOptionsOf(values) : undefined;
    const evidence = readEvidence(path);
    if (action === 'show') {
      io.stdout(values.json === true ? stringify(fieldsOf(evidence)) : showText(evidence));
      return EXIT_OK;
    }
    const result = await verifyEvidence(evidence, verifyOptions);
    const v = evidenceValues(evidence);
    const measured: Record<string, string> = v.platform === 'SEV_SNP' ? { measurement: bytesToHex(v.measurement) } : { mrtd: bytesToHex(v.mrtd) };
    if (values.json === true) {
      io.stdout(stringify({ kind: evidenceKind(evidence), verified: result.verified, ...measured, checks: result.checks.map(checkJson) }));
    } else {
      io.stdout(`${evidenceKind(evidence)}: ${verdictText(result.verified, result.checks)}\n${Object.entries(measured)[0]!.join(': ')}\n${checkLines(result.checks)}`);
    }
    return result.verified ? EXIT_OK : EXIT_CHECK_FAILED;
  },
};
