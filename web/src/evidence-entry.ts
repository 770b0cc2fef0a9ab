/**
 * The evidence half of the page, loaded only when evidence is given (it carries the certificate
 * code: @peculiar/x509, asn1js, AMD's bundled certificates): `compare` as the CLI runs it
 * (src/cli/compare.ts with no FILE options beyond --profile): verify the evidence with the given
 * VCEK / chain / CRL / collateral and policy, compare it with the IGVM file, and print the
 * checks as `compare` and `compare --json` do. Built as a classic script that puts
 * `igvmEvidence` on the worker's global (see build.mjs for why not an ES module chunk).
 */
import {
  compareEvidence,
  evidenceKind,
  evidenceKindJson,
  evidenceValues,
  igvmSearchJson,
  loadEvidence,
  measurementLabel,
  mergePolicies,
  parsePolicy,
  readPolicyFile,
  reportedMeasurement,
  verifyEvidence,
  type VerifyOptions,
} from 'igvm-measure/evidence';
import { bytesToHex, type IgvmFile } from 'igvm-measure/format';
import { setDefaultHashBackend, type HashBackend, type SearchResult } from 'igvm-measure/measure';
import { checkJson, checkLines, requireAllChecks, verdictText, type Check } from 'igvm-measure/pki';
import type { EvidenceModule } from './worker.js';
import type { CompareInputs } from './protocol.js';
import type { Json } from './json.js';

/** `evidence-input.ts` `verifyOptionsOf` for the inputs the page takes (no --fetch: no network). */
function verifyOptionsOf(inputs: CompareInputs): VerifyOptions {
  let collateral: unknown;
  if (inputs.collateral !== undefined) {
    try {
      collateral = JSON.parse(new TextDecoder().decode(inputs.collateral.bytes));
    } catch (e) {
      throw Object.assign(new Error(`collateral ${inputs.collateral.name} is not JSON: ${(e as Error).message}`), { code: 'BadCollateral' });
    }
  }
  const cli = parsePolicy(inputs.allowDebug ? { allow_debug: true } : {}, (f) => (f === 'allow_debug' ? '--allow-debug' : f));
  const file = inputs.policy === undefined ? {} : readPolicyFile(new TextDecoder().decode(inputs.policy.bytes), `--policy ${inputs.policy.name}`);
  const now = inputs.time === undefined || inputs.time === '' ? undefined : new Date(inputs.time);
  if (now !== undefined && Number.isNaN(now.getTime())) throw new Error(`the time must be ISO 8601, not '${inputs.time}'`);
  return {
    ...(now !== undefined ? { now } : {}),
    ...(inputs.vcek !== undefined ? { vcek: inputs.vcek.bytes } : {}),
    ...(inputs.chain !== undefined ? { chain: inputs.chain.bytes } : {}),
    ...(inputs.crl !== undefined ? { crl: inputs.crl.bytes } : {}),
    ...(collateral !== undefined ? { collateral } : {}),
    policy: mergePolicies(file, cli),
  };
}

const evidenceModule: EvidenceModule = {
  async compare(igvm: IgvmFile, fileName: string, inputs: CompareInputs, hash: HashBackend) {
    // This script carries its own copy of the measurement layer: give it the page's fast backend.
    setDefaultHashBackend(hash);
    const o = verifyOptionsOf(inputs);
    const requireAll = o.policy?.requireAll === true;
    const evidence = loadEvidence(inputs.evidence.bytes);
    const verification = await verifyEvidence(evidence, { ...o, policy: { ...o.policy, requireAll: false } });
    let search: SearchResult | undefined;
    const comparison0 = compareEvidence(evidenceValues(evidence), { file: igvm, profile: inputs.profile, onSearch: (r) => void (search = r) });
    // `compare.ts` `printComparison`: a check the comparison made replaces the appraisal's "not made".
    const made = new Set(comparison0.filter((c) => c.ok !== null).map((c) => c.name));
    let evidenceChecks = verification.checks.filter((c) => c.ok !== null || !made.has(c.name));
    let comparison: readonly Check[] = comparison0;
    if (requireAll) {
      evidenceChecks = requireAllChecks(evidenceChecks);
      comparison = requireAllChecks(comparison);
    }
    const verified = verification.verified && evidenceChecks.every((c) => c.ok !== false);
    const match = comparison.length > 0 && comparison.every((c) => c.ok !== false);
    const checks = [...evidenceChecks, ...comparison];
    // The shape of `compare --json` (src/cli/compare.ts printComparison).
    const json = {
      file: fileName,
      evidence: inputs.evidence.name,
      ...evidenceKindJson(evidence),
      verified,
      match,
      reported: bytesToHex(reportedMeasurement(evidence)),
      expected: comparison0.find((c) => c.name === measurementLabel(evidence))?.expected ?? null,
      checks: checks.map(checkJson),
      search: search === undefined ? null : igvmSearchJson(search, { profile: inputs.profile ?? 'igvm', nativeZero: false }),
    };
    const verdict = match && verified ? 'MATCH' : !verified ? 'the evidence does NOT verify' : 'MISMATCH';
    const text = `${evidenceKind(evidence)} vs ${fileName}: ${verdict}\nevidence ${verdictText(verified, evidenceChecks)}\n${checkLines(checks)}`;
    return { json, text };
  },
};

(globalThis as { igvmEvidence?: EvidenceModule }).igvmEvidence = evidenceModule;
