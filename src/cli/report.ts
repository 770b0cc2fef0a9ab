/**
 * `igvm-measure report show|verify EVIDENCE`: SEV-SNP attestation reports and TDX quotes
 * (spec/snp.md §4–§5, spec/tdx.md §4); the fields `show` prints are evidence-fields.ts.
 */
import { evidenceValues, verifyEvidence } from '../evidence/index.js';
import { evidenceKindJson, showJson, showText } from './evidence-fields.js';
import { didYouMean } from './suggest.js';
import { onePath, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { CERTIFICATE_HELP, CERTIFICATE_OPTIONS, checkJson, checkLines, POLICY_HELP, POLICY_OPTIONS, readEvidence, verdictText, verifyOptionsOf } from './evidence-input.js';
import { stringify } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure report show EVIDENCE [--json]
       igvm-measure report verify EVIDENCE [certificate options] [policy options] [--json]

EVIDENCE is an SEV-SNP attestation report (1184 bytes raw, hex or base64 text,
inside an Azure HCL report, Azure evidence JSON or trustee's Azure SNP JSON
v1/v2) or a TDX quote (v4 or v5, binary or hex, or trustee's Azure TDX JSON), a
TDREPORT or an Azure TDX HCL report; the kind is detected.

show     every field of the report, quote or TDREPORT, named as in AMD's and
         Intel's specifications (reserved bytes left out), the SEV-SNP guest
         POLICY and the TDX TD attributes decoded by name
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
  --json            one JSON document: show: {kind, encoding, report | quote,
                    td_report} with every field (policy_decoded,
                    td_attributes_decoded beside the raw values); verify: {kind,
                    encoding, verified, measurement | mrtd, checks: [{name, ok,
                    expected, actual, detail}]} (ok: true, false, or null when
                    not made)
  -h, --help        show this help

Exit codes: 0 shown / every check passed, 1 the evidence is unreadable or
malformed, 2 usage error, 3 a check failed.`;

import { evidenceKind } from '../evidence/comparison-json.js';
export { evidenceKind };

export const reportCommand: Command = {
  name: 'report',
  help: HELP,
  options: { json: { type: 'boolean' }, ...CERTIFICATE_OPTIONS, ...POLICY_OPTIONS },
  async run({ values, positionals }, io) {
    const [action, ...rest] = positionals;
    if (action !== 'show' && action !== 'verify') throw new UsageError(action === undefined ? 'report needs show or verify' : `unknown action '${action}' (show, verify)${didYouMean(action, ['show', 'verify'])}`);
    const path = onePath(rest, `report ${action}`);
    // Options first: a usage error is reported before any file is read.
    const verifyOptions = action === 'verify' ? verifyOptionsOf(values) : undefined;
    const evidence = readEvidence(path);
    if (action === 'show') {
      io.stdout(values.json === true ? stringify(showJson(evidence)) : showText(evidence, evidenceKind(evidence)));
      return EXIT_OK;
    }
    const result = await verifyEvidence(evidence, verifyOptions);
    const v = evidenceValues(evidence);
    const measured: Record<string, string> = v.platform === 'SEV_SNP' ? { measurement: bytesToHex(v.measurement) } : { mrtd: bytesToHex(v.mrtd) };
    if (values.json === true) {
      io.stdout(stringify({ ...evidenceKindJson(evidence), verified: result.verified, ...measured, checks: result.checks.map(checkJson) }));
    } else {
      io.stdout(`${evidenceKind(evidence)}: ${verdictText(result.verified, result.checks)}\n${Object.entries(measured)[0]!.join(': ')}\n${checkLines(result.checks)}`);
    }
    return result.verified ? EXIT_OK : EXIT_CHECK_FAILED;
  },
};
