/**
 * `igvm-measure compare [FILE] --evidence EVIDENCE [--measurement HEX] ...`: verify the
 * evidence and compare it with what FILE (or a published value) should produce
 * (DESIGN.md "Command line"). `compare --firmware F --evidence EVIDENCE ...` does the same
 * for a firmware image under the host parameters of `measure --firmware`, and on a mismatch
 * searches the host settings of spec/firmware-input.md §6.3 (firmware/search.ts).
 * `compare FILE --platform cca --measurement HEX` compares an Arm CCA realm token's RIM claim
 * with FILE's CCA platform (spec/cca.md §1.2) and on a mismatch searches the inferred
 * conventions (measure/cca-search.ts).
 */
import { compareEvidence, evidenceValues, reportedMeasurement, verifyEvidence, type Evidence, type VerifyOptions } from '../evidence/index.js';
import { bestMatch, igvmSearchJson, measurementLabel } from '../evidence/comparison-json.js';
import { allPassed, requireAllChecks, type Check } from '../pki/check.js';
import { ccaConventionOf, searchCcaConventions, type Candidate, type CcaConvention, type CcaLoadOptions, type CcaSearchResult, type PlatformDigest, type SearchResult } from '../measure/index.js';
import { searchFirmwareSettings, type FirmwareSearchAxes, type FirmwareSearchResult, type FirmwareSetting } from '../firmware/search.js';
import { PROFILE_NAMES, type ProfileName } from '../measure/index.js';
import type { CliIo, Command, CommandArgs } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { CERTIFICATE_HELP, CERTIFICATE_OPTIONS, checkJson, checkLines, POLICY_HELP, POLICY_OPTIONS, readEvidence, verdictText, verifyOptionsOf } from './evidence-input.js';
import { hexBytesOption } from './numbers.js';
import { readInput, withIgvmFile } from './input.js';
import { stringify, type Json } from './json.js';
import { firmwarePathOf } from './firmware-options.js';
import { FIRMWARE_MEASURE_OPTIONS, FIRMWARE_OPTION_HELP, firmwareMeasurement, hostSummary, type FirmwareMeasurementWithInputs } from './measure-firmware.js';
import { evidenceKind } from './report.js';
import { evidenceKindJson } from './evidence-fields.js';
import { bytesEqual, bytesToHex, hexNumber } from '../format/bytes.js';
import { CCA_OPTIONS, anyCcaOption, ccaLoadOptionsOf } from './cca-options.js';
import { measureWithProgress } from './release.js';

const HELP = `Usage: igvm-measure compare FILE --evidence EVIDENCE [options]
       igvm-measure compare --measurement HEX --evidence EVIDENCE [options]
       igvm-measure compare --firmware F --evidence EVIDENCE [firmware options]
       igvm-measure compare FILE --platform cca --measurement HEX [CCA options]

Verifies the evidence (an SEV-SNP attestation report or a TDX quote; see
'igvm-measure report --help') and compares it with what the IGVM file FILE should
produce: the launch measurement (SEV-SNP MEASUREMENT or TDX MRTD) for the
evidence's platform, and for SEV-SNP the guest policy and, when the file has an
ID block, the ID-key and author-key digests, family and image IDs and guest SVN.
When the measurement differs, it searches the host configurations (loader
profiles, native zero pages, 1-64 vCPUs under qemu) for one that reproduces it.

Options:
  --evidence FILE   the attestation report or quote (required)
  --measurement HEX compare with this published value (48 bytes, 96 hex digits)
                    instead of a FILE
  --profile P       the loader profile for FILE's digest (default igvm)
  --ap-vmsa FILE    VMSA for extra vCPUs, for the qemu vCPU search
${CERTIFICATE_HELP}
${POLICY_HELP}
  --json            one JSON document: {file, evidence, kind, encoding, verified,
                    match, reported, expected, checks: [{name, ok, expected,
                    actual, detail}], search} (reported: the evidence's
                    MEASUREMENT or MRTD, expected: the value compared with, hex or
                    null; ok: null when a check was not made; search: null, or
                    when the measurement differs {tried, matches: [{profile,
                    native_zero, vcpus}], best_match}); with --firmware also the
                    firmware inputs, host_parameters and search: null or {tried,
                    axes, matches: [{vcpus, sev_features, fpu, vmsa_gpa,
                    tdx_order}], best_match} (best_match: the match that differs
                    least from the settings given, or null)
  -h, --help        show this help

Firmware inputs (instead of FILE; the options of 'measure --firmware'):
  With --firmware, the expected value is the launch measurement of the firmware
  image under the host parameters given: the SEV-SNP launch digest for an SEV-SNP
  report, the MRTD for a TDX quote. Host parameters without a safe default are
  required as for 'measure --firmware' (e.g. --vcpus and --vcpu-type under qemu).
  When the measurement differs, it searches the host settings an image cannot
  tell (sev-snp-measure's and gce-tcb-verifier's host options) for those that
  reproduce the reported value:
    OVMF under qemu, ec2, ec2-v1, krun: SEV_FEATURES 0x1 and 0x21, FPU init2 and
      legacy, 1-64 vCPUs; under gce also VMSA GPA 0xfffffffff000 (Milan) and
      0xffffffffff000 (Genoa)
    coconut-qemu-2024: FPU init2 and legacy, 1-64 vCPUs (its SVSM VMSA fixes
      SEV_FEATURES 0x1)
    tdx: page-add order single and two-pass (MRTD has no vCPU state)
  The given value of each setting is tried as well (so --vcpus 96 sweeps 1-96);
  the vCPU type, VMM, kernel, initrd, command line and vars size are kept as
  given.
  --firmware F     an OVMF image (OVMF.fd, or OVMF_CODE with --svsm), or a TDVF image
  --platform P     snp or tdx (default: the evidence's platform; SEV and SEV-ES
                   launch digests have no evidence format here: use
                   'measure --firmware --platform sev|sev-es')
${FIRMWARE_OPTION_HELP}

Arm CCA (--platform cca, no --evidence):
  Compares the RIM claim (44238) of a realm attestation token, given as
  --measurement HEX, with the Realm Initial Measurement of FILE's CCA platform
  (the first one when there are several). The token itself is not read or
  verified here: the claim is taken as given. HEX is the realm's hash size (32,
  48 or 64 bytes for SHA-256/384/512; another length is a usage error). When the
  RIM differs, it searches the inferred loader conventions (--rmm rmm-2.0 and
  tfrmm-2026, and rmm-1.0 when --cca-ram is given; --cca-data-order,
  --cca-rec-order, --cca-zero-pages, --cca-unmeasured) for those that reproduce
  the claim, keeping the realm parameters as given. The CCA options are those of
  'measure' (see 'measure --help'). With no CCA platform in FILE, or one that
  cannot be measured, the check is not made and the comparison fails.
  --json: {file, evidence: null, kind: "cca-rim-claim", encoding: "hex",
  verified: null, match (null when not made), reported, expected, algorithm,
  rule, rim, note, checks, search: null or {tried, axes, matches: [{rule,
  data_order, rec_order, zero_pages, unmeasured}], best_match}}

Exit codes: 0 the evidence verifies and everything matches (CCA: the claim
equals the RIM), 1 unreadable or malformed input, 2 usage error, 3 a mismatch
or a failed verification (also when the search finds the setting that
reproduces the reported value; CCA: also when the check could not be made).`;

/** Bytes of an SEV-SNP MEASUREMENT and of a TDX MRTD. */
const MEASUREMENT_BYTES = 48;

/** Options that only describe a firmware input. */
const FIRMWARE_ONLY = ['platform', 'vcpus', ...Object.keys(FIRMWARE_MEASURE_OPTIONS)];

export const compareCommand: Command = {
  name: 'compare',
  help: HELP,
  options: {
    evidence: { type: 'string' },
    measurement: { type: 'string' },
    profile: { type: 'string' },
    'ap-vmsa': { type: 'string' },
    json: { type: 'boolean' },
    ...CERTIFICATE_OPTIONS,
    ...POLICY_OPTIONS,
    platform: { type: 'string' },
    vcpus: { type: 'string' },
    ...FIRMWARE_MEASURE_OPTIONS,
    ...CCA_OPTIONS,
  },
  async run({ values, positionals }, io) {
    const evidencePath = values.evidence as string | undefined;
    if (values.platform === 'cca') {
      if (evidencePath !== undefined) {
        throw new UsageError("--platform cca compares a realm token's RIM claim given with --measurement HEX; no CCA evidence is read here: leave out --evidence");
      }
      if (firmwarePathOf(values) !== undefined) throw new UsageError('--platform cca compares the CCA platform of an IGVM FILE; --firmware images have none');
      return compareCca({ values, positionals }, io);
    }
    const ccaOption = anyCcaOption(values);
    if (ccaOption !== undefined) throw new UsageError(`--${ccaOption} applies to --platform cca`);
    if (evidencePath === undefined) throw new UsageError("compare needs --evidence EVIDENCE (for an Arm CCA realm's RIM claim: FILE --platform cca --measurement HEX)");
    if (firmwarePathOf(values) !== undefined) return compareFirmware({ values, positionals }, evidencePath, io);
    for (const k of FIRMWARE_ONLY) {
      if (values[k] !== undefined) throw new UsageError(`--${k} applies to firmware inputs; give --firmware`);
    }
    // SEV-SNP MEASUREMENT and TDX MRTD are both 48 bytes: a value of another length is a typo.
    const measurement = values.measurement === undefined ? undefined : hexBytesOption('--measurement', values.measurement as string, MEASUREMENT_BYTES);
    if (positionals.length > 1) throw new UsageError('compare takes one FILE');
    const path = positionals[0];
    if ((path === undefined) === (measurement === undefined)) throw new UsageError('compare needs either a FILE or --measurement HEX (not both)');
    const profile = values.profile as string | undefined;
    if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
      throw new UsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, not '${profile}'`);
    }
    const apPath = values['ap-vmsa'] as string | undefined;
    const apVmsa = apPath === undefined ? undefined : readInput(apPath, '--ap-vmsa');
    const { verifyOptions, requireAll } = compareVerifyOptions(values);
    const evidence = readEvidence(evidencePath, '--evidence');
    const verification = await verifyEvidence(evidence, verifyOptions);
    let search: SearchResult | undefined;
    const options = {
      ...(measurement ? { measurement } : {}),
      ...(profile ? { profile: profile as ProfileName } : {}),
      ...(apVmsa ? { apVmsa } : {}),
      onSearch: (r: SearchResult) => void (search = r),
    };
    const comparison =
      path === undefined
        ? compareEvidence(evidenceValues(evidence), options)
        : await withIgvmFile(path, {}, (file) => compareEvidence(evidenceValues(evidence), { ...options, file }));
    const given: Candidate = { profile: (profile as ProfileName | undefined) ?? 'igvm', nativeZero: false };
    return printComparison(
      io,
      values.json === true,
      { evidence, evidencePath, verification, comparison, requireAll },
      { file: path ?? null },
      { search: search === undefined ? null : igvmSearchJson(search, given) },
      path ?? 'the given measurement',
    );
  },
};

/**
 * The verification options; `--require-all` is applied by `printComparison` after the
 * comparison's checks are merged in (a check the file's ID block makes is not "not made").
 */
function compareVerifyOptions(values: CommandArgs['values']): { verifyOptions: VerifyOptions; requireAll: boolean } {
  const o = verifyOptionsOf(values);
  return { verifyOptions: { ...o, policy: { ...o.policy, requireAll: false } }, requireAll: o.policy?.requireAll === true };
}

/** `--platform` values that have evidence here: SEV-SNP reports and TDX quotes / reports. */
const EVIDENCE_PLATFORMS: readonly string[] = ['snp', 'tdx'];

/**
 * `compare --firmware F --evidence EVIDENCE …`: the firmware's measurement under the given host
 * parameters (as `measure --firmware`) against the evidence's SEV-SNP MEASUREMENT or TDX MRTD;
 * on a mismatch, the firmware search of firmware-input.md §6.3.
 */
async function compareFirmware({ values, positionals }: CommandArgs, evidencePath: string, io: CliIo): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`--firmware replaces FILE; remove '${positionals[0]}'`);
  if (values.measurement !== undefined) throw new UsageError('--measurement and --firmware both give the expected value; choose one');
  for (const k of ['profile', 'ap-vmsa']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} applies to IGVM files, not --firmware`);
  }
  const platformArg = values.platform as string | undefined;
  if (platformArg === 'sev' || platformArg === 'sev-es') {
    // SEV and SEV-ES have a launch digest (§6.2 item 5) but no attestation report format that
    // this tool reads, so there is no hardware value to compare with.
    throw new UsageError(`compare reads SEV-SNP reports and TDX quotes; --platform ${platformArg} has no evidence here (use 'measure --firmware --platform ${platformArg}')`);
  }
  if (platformArg !== undefined && !EVIDENCE_PLATFORMS.includes(platformArg)) throw new UsageError(`--platform must be snp or tdx, not '${platformArg}'`);
  const { verifyOptions, requireAll } = compareVerifyOptions(values);
  const evidence = readEvidence(evidencePath, '--evidence');
  const platform = evidence.platform === 'SEV_SNP' ? 'snp' : 'tdx';
  if (platformArg !== undefined && platformArg !== platform) {
    throw new UsageError(`--platform ${platformArg} does not fit the evidence, ${evidenceKind(evidence)}: it reports ${platform === 'snp' ? 'an SEV-SNP MEASUREMENT' : 'a TDX MRTD'}`);
  }
  // Measure before verifying: usage errors of the firmware options come before any --fetch.
  const fw = firmwareMeasurement(values, io, { defaultPlatform: platform });
  const verification = await verifyEvidence(evidence, verifyOptions);
  const reported = reportedMeasurement(evidence);
  let comparison: Check[] = compareEvidence(evidenceValues(evidence), { measurement: fw.digest });
  let search: FirmwareSearchResult | undefined;
  if (!bytesEqual(fw.digest, reported) && fw.search !== undefined) {
    search = searchFirmwareSettings(fw.search.input, reported, { given: fw.search.given });
    const label = evidence.platform === 'SEV_SNP' ? 'measurement' : 'mrtd';
    const why = explainSearch(search, fw);
    comparison = comparison.map((c) => (c.name === label && c.ok === false ? { ...c, detail: `${c.detail}${why}` } : c));
  }
  return printComparison(
    io,
    values.json === true,
    { evidence, evidencePath, verification, comparison, requireAll },
    { file: null, ...fw.inputs, host_parameters: fw.host },
    { search: search === undefined ? null : searchJson(search, fw.search?.given ?? {}) },
    `firmware ${firmwarePathOf(values)!} (${fw.platformType} ${hostSummary(fw.host)})`,
  );
}

/** The name of the measurement check: `measurement` (SEV-SNP) or `mrtd` (TDX). */
/** What both kinds of comparison print: the checks, a verdict, and the exit code. */
interface ComparisonOutcome {
  readonly evidence: Evidence;
  readonly evidencePath: string;
  readonly verification: { readonly verified: boolean; readonly checks: readonly Check[] };
  readonly comparison: readonly Check[];
  /** `--require-all`: every check not made fails. */
  readonly requireAll: boolean;
}

/**
 * Prints a comparison as JSON (`head`, the evidence fields and checks, then `tail`) or as text
 * (`EVIDENCE vs SUBJECT: VERDICT` and one line per check); exit 0 only on a verified full match.
 */
function printComparison(io: CliIo, json: boolean, o: ComparisonOutcome, head: Record<string, Json>, tail: Record<string, Json>, subject: string): number {
  // An appraisal check not made for want of an expected value (e.g. family-id) is made by the
  // comparison when the file's ID block gives that value: list the one that was made.
  const made = new Set(o.comparison.filter((c) => c.ok !== null).map((c) => c.name));
  let evidenceChecks = o.verification.checks.filter((c) => c.ok !== null || !made.has(c.name));
  let comparison = o.comparison;
  if (o.requireAll) {
    evidenceChecks = requireAllChecks(evidenceChecks);
    comparison = requireAllChecks(comparison);
  }
  const verified = o.verification.verified && evidenceChecks.every((c) => c.ok !== false);
  const match = comparison.length > 0 && comparison.every((c) => c.ok !== false);
  const ok = match && verified;
  const checks = [...evidenceChecks, ...comparison];
  if (json) {
    io.stdout(
      stringify({
        ...head,
        evidence: o.evidencePath,
        ...evidenceKindJson(o.evidence),
        verified,
        match,
        reported: bytesToHex(reportedMeasurement(o.evidence)),
        expected: o.comparison.find((c) => c.name === measurementLabel(o.evidence))?.expected ?? null,
        checks: checks.map(checkJson),
        ...tail,
      }),
    );
  } else {
    const verdict = ok ? 'MATCH' : !verified ? 'the evidence does NOT verify' : 'MISMATCH';
    io.stdout(`${evidenceKind(o.evidence)} vs ${subject}: ${verdict}\nevidence ${verdictText(verified, evidenceChecks)}\n${checkLines(checks)}`);
  }
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}


/** Which axes were searched with more than one value: those a match is told by. */
function varied(axes: FirmwareSearchAxes): { vcpus: boolean; sevFeatures: boolean; fpu: boolean; vmsaGpa: boolean; tdxOrder: boolean } {
  return {
    vcpus: (axes.maxVcpus ?? 1) > 1,
    sevFeatures: (axes.sevFeatures?.length ?? 0) > 1,
    fpu: (axes.fpus?.length ?? 0) > 1,
    vmsaGpa: (axes.vmsaGpas?.length ?? 0) > 1,
    tdxOrder: (axes.tdxOrders?.length ?? 0) > 1,
  };
}

/** A matching setting as the options that select it, e.g. `--vcpus 4 --fpu legacy`. */
function describeSetting(s: FirmwareSetting, axes: FirmwareSearchAxes): string {
  const v = varied(axes);
  const parts: string[] = [];
  if (s.vcpus !== undefined && v.vcpus) parts.push(`--vcpus ${s.vcpus}`);
  if (s.sevFeatures !== undefined && v.sevFeatures) parts.push(`--guest-features ${hexNumber(s.sevFeatures)}`);
  if (s.fpu !== undefined && v.fpu) parts.push(`--fpu ${s.fpu}`);
  if (s.vmsaGpa !== undefined && v.vmsaGpa) parts.push(`--vmsa-gpa ${hexNumber(s.vmsaGpa)}`);
  if (s.tdxOrder !== undefined && v.tdxOrder) parts.push(`--tdx-order ${s.tdxOrder}`);
  return parts.length > 0 ? parts.join(' ') : 'the given setting';
}

/** The searched axes in words, e.g. `SEV_FEATURES 0x1/0x21, FPU init2/legacy, 1–64 vCPUs`. */
function describeAxes(axes: FirmwareSearchAxes): string {
  const parts: string[] = [];
  if (axes.sevFeatures !== undefined) parts.push(`SEV_FEATURES ${axes.sevFeatures.map((v) => hexNumber(v)).join('/')}`);
  if (axes.fpus !== undefined) parts.push(`FPU ${axes.fpus.join('/')}`);
  if (axes.maxVcpus !== undefined) parts.push(axes.maxVcpus === 1 ? '1 vCPU' : `1–${axes.maxVcpus} vCPUs`);
  if (axes.vmsaGpas !== undefined && axes.vmsaGpas.length > 1) parts.push(`VMSA GPA ${axes.vmsaGpas.map((v) => hexNumber(v)).join('/')}`);
  if (axes.tdxOrders !== undefined) parts.push(`TDX order ${axes.tdxOrders.join('/')}`);
  return parts.join(', ');
}

/** The search's finding, appended to the measurement check's detail (as the IGVM search's). */
function explainSearch(r: FirmwareSearchResult, fw: FirmwareMeasurementWithInputs): string {
  if (r.matches.length > 0) return `; the reported value matches ${r.matches.map((m) => describeSetting(m, r.axes)).join(', or ')}`;
  const none = `; none of ${r.tried} firmware settings (${describeAxes(r.axes)}) reproduces it`;
  if (fw.platform === 'tdx') {
    // §5.2, §0 item 4: with the ordering searched, only the image (and GCE's unmodelled
    // "measure all" quirk, §5.3) is left.
    return `${none}: MRTD depends only on the TDVF image's sections and BFV bytes, so the image differs (or the host measures more regions, as older GCE hosts do: google/gce-tcb-verifier tdx/mrtd_from_ovmf.go)`;
  }
  return `${none}: the image, the kernel/initrd/command line, the vCPU type or the VMM differ; run 'igvm-measure measure --firmware … --trace' to find the step where it diverges`;
}

function searchJson(r: FirmwareSearchResult, given: FirmwareSetting): Json {
  const setting = (s: FirmwareSetting): Json => ({
    ...(s.vcpus !== undefined ? { vcpus: s.vcpus } : {}),
    ...(s.sevFeatures !== undefined ? { sev_features: hexNumber(s.sevFeatures) } : {}),
    ...(s.fpu !== undefined ? { fpu: s.fpu } : {}),
    ...(s.vmsaGpa !== undefined ? { vmsa_gpa: hexNumber(s.vmsaGpa) } : {}),
    ...(s.tdxOrder !== undefined ? { tdx_order: s.tdxOrder } : {}),
  });
  const a = r.axes;
  const axes: Json = {
    ...(a.maxVcpus !== undefined ? { max_vcpus: a.maxVcpus } : {}),
    ...(a.sevFeatures !== undefined ? { sev_features: a.sevFeatures.map((v) => hexNumber(v)) } : {}),
    ...(a.fpus !== undefined ? { fpu: [...a.fpus] } : {}),
    ...(a.vmsaGpas !== undefined ? { vmsa_gpa: a.vmsaGpas.map((v) => hexNumber(v)) } : {}),
    ...(a.tdxOrders !== undefined ? { tdx_order: [...a.tdxOrders] } : {}),
  };
  const best = bestMatch(r.matches, given);
  return { tried: r.tried, axes, matches: r.matches.map(setting), best_match: best === undefined ? null : setting(best) };
}

/** Options of `compare` that describe SEV-SNP / TDX evidence or firmware, refused with --platform cca. */
const NOT_CCA = ['profile', 'ap-vmsa', 'vcpus', ...Object.keys(CERTIFICATE_OPTIONS), ...Object.keys(POLICY_OPTIONS), ...Object.keys(FIRMWARE_MEASURE_OPTIONS)];

/** The realm hash names of the realm token's claim 44236, by digest algorithm. */
const CCA_HASH_NAME: Record<string, string> = { sha256: 'sha-256', sha384: 'sha-384', sha512: 'sha-512' };

/**
 * `compare FILE --platform cca --measurement HEX [CCA options]`: the realm token's RIM claim
 * (44238, hash-size bytes) against the RIM of FILE's first CCA platform under the CCA options;
 * on a mismatch, the convention search of measure/cca-search.ts. Fails closed: without a CCA
 * platform that measures, the check is not made and the exit code is 3.
 */
async function compareCca({ values, positionals }: CommandArgs, io: CliIo): Promise<number> {
  for (const k of NOT_CCA) {
    if (values[k] !== undefined) throw new UsageError(`--${k} applies to SEV-SNP and TDX evidence, not --platform cca`);
  }
  if (values.measurement === undefined) throw new UsageError("--platform cca needs --measurement HEX: the realm token's RIM claim (44238)");
  const claim = hexBytesOption('--measurement', values.measurement as string);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? '--platform cca needs the IGVM FILE whose CCA platform the claim is compared with' : 'compare takes one FILE');
  const path = positionals[0]!;
  const given = ccaLoadOptionsOf(values);
  return withIgvmFile(path, {}, async (file, source) => {
    const header = file.platforms.find((p) => p.platformType === 'CCA');
    let check: Check;
    let measured: PlatformDigest | undefined;
    let search: CcaSearchResult | undefined;
    if (header === undefined) {
      check = { name: 'rim', ok: null, detail: `not made: ${path} has no CCA platform`, actual: bytesToHex(claim) };
    } else {
      const mask = `mask 0x${header.compatibilityMask.toString(16)}`;
      const result = await measureWithProgress(file, path, source.size, { platform: 'cca', cca: given }, io);
      const p = result.platforms.find((x) => x.compatibilityMask === header.compatibilityMask);
      if (p === undefined || !('digest' in p)) {
        const why = p !== undefined && 'error' in p ? `${p.error.code}: ${p.error.message}` : 'no RIM was computed';
        check = { name: 'rim', ok: null, detail: `not made: the CCA platform ${mask} could not be measured: ${why}`, actual: bytesToHex(claim) };
      } else {
        measured = p;
        if (claim.length !== p.digest.length) {
          throw new UsageError(
            `--measurement is ${claim.length} bytes, but the CCA realm of ${path} (${mask}) hashes with ${CCA_HASH_NAME[p.algorithm]}: its RIM claim is ${p.digest.length} bytes` +
              (claim.length === 64 ? ` (a 64-byte value may be the zero-filled RmmRealmMeasurement: give its first ${p.digest.length} bytes)` : ''),
          );
        }
        const both = { expected: bytesToHex(p.digest), actual: bytesToHex(claim) };
        if (bytesEqual(claim, p.digest)) {
          check = { name: 'rim', ok: true, detail: `${bytesToHex(claim)} as computed (${mask}, ${CCA_HASH_NAME[p.algorithm]}, RMM rules ${p.cca?.rule ?? '?'})`, ...both };
        } else {
          search = searchCcaConventions(file, header, claim, { given });
          check = { name: 'rim', ok: false, detail: `claimed ${bytesToHex(claim)}, computed ${bytesToHex(p.digest)} (${mask})${explainCcaSearch(search, given)}`, ...both };
        }
      }
    }
    const ok = allPassed([check]);
    if (values.json === true) {
      const conventions = ccaConventionOf(given);
      io.stdout(
        stringify({
          file: path,
          evidence: null,
          kind: 'cca-rim-claim',
          encoding: 'hex',
          // No realm token is read, so nothing is verified: neither true nor false.
          verified: null,
          match: check.ok,
          reported: bytesToHex(claim),
          expected: check.expected ?? null,
          algorithm: measured?.algorithm ?? null,
          rule: measured?.cca?.rule ?? null,
          rim: measured?.cca === undefined ? null : bytesToHex(measured.cca.rim),
          note: measured?.note ?? null,
          checks: [checkJson(check)],
          search: search === undefined ? null : ccaSearchJson(search, conventions),
        }),
      );
    } else {
      const verdict = ok ? 'MATCH' : check.ok === false ? 'MISMATCH' : 'NOT compared';
      io.stdout(
        `cca-rim-claim vs ${path}: ${verdict}\nthe realm token is not read or verified here: the claim is compared as given\n${checkLines([check])}` +
          (measured?.note === undefined ? '' : `note: ${measured.note}\n`),
      );
    }
    return ok ? EXIT_OK : EXIT_CHECK_FAILED;
  });
}

/** The options that select `c` where it differs from `given`, e.g. `--rmm tfrmm-2026 --cca-data-order ascending`. */
function ccaConventionText(c: CcaConvention, given: CcaConvention): string {
  const parts: string[] = [];
  if (c.rule !== given.rule) parts.push(`--rmm ${c.rule}`);
  if (c.dataOrder !== given.dataOrder) parts.push(`--cca-data-order ${c.dataOrder}`);
  if (c.recOrder !== given.recOrder) parts.push(`--cca-rec-order ${c.recOrder}`);
  if (c.zeroPages !== given.zeroPages) parts.push(`--cca-zero-pages ${c.zeroPages}`);
  if (c.unmeasured !== given.unmeasured) parts.push(`--cca-unmeasured ${c.unmeasured}`);
  return parts.length > 0 ? parts.join(' ') : 'the given conventions';
}

/** The convention search's finding, appended to the rim check's detail. */
function explainCcaSearch(r: CcaSearchResult, options: CcaLoadOptions): string {
  const given = ccaConventionOf(options);
  const best = bestMatch(r.matches, given);
  if (best !== undefined) {
    // The closest match first: axes the file gives no say (no zero pages, say) make several.
    const others = r.matches.filter((m) => m !== best);
    const shown = others.slice(0, 3).map((m) => ccaConventionText(m, given));
    const more = others.length > shown.length ? `, and ${others.length - shown.length} more (see --json)` : '';
    return `; the claim matches ${ccaConventionText(best, given)}${shown.length > 0 ? `, or ${shown.join(', or ')}${more}` : ''}`;
  }
  const a = r.axes;
  const axes = `RMM rules ${a.rules.join('/')}, DATA order ${a.dataOrders.join('/')}, REC ${a.recOrders.join('/')}, zero pages ${a.zeroPages.join('/')}, unmeasured ${a.unmeasured.join('/')}`;
  const noRmm1 = a.rules.includes('rmm-1.0') ? '' : ' (rmm-1.0 was not tried: it measures the RAM, give --cca-ram)';
  return (
    `; none of ${r.tried} convention choices (${axes}) reproduces it${noRmm1}: the realm parameters (--cca-ipa-bits, --cca-breakpoints, ` +
    `--cca-watchpoints, --cca-sve-vl, --cca-pmu-counters, --cca-lpa2), the RAM, the file or the way the host loads it differ`
  );
}

function ccaSearchJson(r: CcaSearchResult, given: CcaConvention): Json {
  const convention = (c: CcaConvention): Json => ({ rule: c.rule, data_order: c.dataOrder, rec_order: c.recOrder, zero_pages: c.zeroPages, unmeasured: c.unmeasured });
  const a = r.axes;
  const best = bestMatch(r.matches, given);
  return {
    tried: r.tried,
    axes: { rule: [...a.rules], data_order: [...a.dataOrders], rec_order: [...a.recOrders], zero_pages: [...a.zeroPages], unmeasured: [...a.unmeasured] },
    matches: r.matches.map(convention),
    best_match: best === undefined ? null : convention(best),
  };
}
