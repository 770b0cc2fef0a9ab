/**
 * `igvm-measure compare [FILE] --evidence EVIDENCE [--measurement HEX] ...`: verify the
 * evidence and compare it with what FILE (or a published value) should produce
 * (issue: evidence, "Commands").
 */
import { compareEvidence, evidenceValues, verifyEvidence } from '../evidence/index.js';
import { PROFILE_NAMES, type ProfileName } from '../measure/index.js';
import type { Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { CERTIFICATE_HELP, CERTIFICATE_OPTIONS, checkLines, hexOption, readEvidence, verifyOptionsOf } from './evidence-input.js';
import { readInput, withIgvmFile } from './input.js';
import { stringify } from './json.js';
import { evidenceKind } from './report.js';

const HELP = `Usage: igvm-measure compare FILE --evidence EVIDENCE [options]
       igvm-measure compare --measurement HEX --evidence EVIDENCE [options]

Verifies the evidence (an SEV-SNP attestation report or a TDX quote; see
'igvm-measure report --help') and compares it with what the IGVM file FILE should
produce: the launch measurement (SEV-SNP MEASUREMENT or TDX MRTD) for the
evidence's platform, and for SEV-SNP the guest policy and, when the file has an
ID block, the ID-key and author-key digests, family and image IDs and guest SVN.
When the measurement differs, it searches the host configurations (loader
profiles, native zero pages, 1-64 vCPUs under qemu) for one that reproduces it.

Options:
  --evidence FILE   the attestation report or quote (required)
  --measurement HEX compare with this published value instead of a FILE
  --profile P       the loader profile for FILE's digest (default igvm)
  --ap-vmsa FILE    VMSA for extra vCPUs, for the qemu vCPU search
  --report-data HEX also check REPORT_DATA (zero-padded to 64 bytes)
  --host-data HEX   also check SEV-SNP HOST_DATA (zero-padded to 32 bytes)
${CERTIFICATE_HELP}
  --json            one JSON document: {file, evidence, kind, verified, match,
                    checks: [{name, ok, detail}]}
  -h, --help        show this help

Exit codes: 0 the evidence verifies and everything matches, 1 unreadable or
malformed input, 2 usage error, 3 a mismatch or a failed verification.`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'check hardware evidence against the measurement an IGVM file should produce',
  help: HELP,
  options: {
    evidence: { type: 'string' },
    measurement: { type: 'string' },
    profile: { type: 'string' },
    'ap-vmsa': { type: 'string' },
    'report-data': { type: 'string' },
    'host-data': { type: 'string' },
    json: { type: 'boolean' },
    ...CERTIFICATE_OPTIONS,
  },
  async run({ values, positionals }, io) {
    const evidencePath = values.evidence as string | undefined;
    if (evidencePath === undefined) throw new UsageError('compare needs --evidence EVIDENCE');
    const measurement = hexOption('--measurement', values.measurement as string | undefined);
    if (positionals.length > 1) throw new UsageError('compare takes one FILE');
    const path = positionals[0];
    if ((path === undefined) === (measurement === undefined)) throw new UsageError('compare needs either a FILE or --measurement HEX (not both)');
    const profile = values.profile as string | undefined;
    if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
      throw new UsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, not '${profile}'`);
    }
    const reportData = hexOption('--report-data', values['report-data'] as string | undefined);
    const hostData = hexOption('--host-data', values['host-data'] as string | undefined);
    const apPath = values['ap-vmsa'] as string | undefined;
    const apVmsa = apPath === undefined ? undefined : readInput(apPath, '--ap-vmsa');
    const verifyOptions = verifyOptionsOf(values);
    const evidence = readEvidence(evidencePath);
    const verification = await verifyEvidence(evidence, verifyOptions);
    const options = {
      ...(measurement ? { measurement } : {}),
      ...(profile ? { profile: profile as ProfileName } : {}),
      ...(reportData ? { reportData } : {}),
      ...(hostData ? { hostData } : {}),
      ...(apVmsa ? { apVmsa } : {}),
    };
    const comparison =
      path === undefined
        ? compareEvidence(evidenceValues(evidence), options)
        : await withIgvmFile(path, {}, (file) => compareEvidence(evidenceValues(evidence), { ...options, file }));
    const match = comparison.length > 0 && comparison.every((c) => c.ok !== false);
    const ok = match && verification.verified;
    const checks = [...verification.checks, ...comparison];
    if (values.json === true) {
      io.stdout(
        stringify({
          file: path ?? null,
          evidence: evidencePath,
          kind: evidenceKind(evidence),
          verified: verification.verified,
          match,
          checks: checks.map((c) => ({ ...c })),
        }),
      );
    } else {
      const verdict = ok ? 'MATCH' : !verification.verified ? 'the evidence does NOT verify' : 'MISMATCH';
      io.stdout(`${evidenceKind(evidence)} vs ${path ?? 'the given measurement'}: ${verdict}\n${checkLines(checks)}`);
    }
    return ok ? EXIT_OK : EXIT_CHECK_FAILED;
  },
};
