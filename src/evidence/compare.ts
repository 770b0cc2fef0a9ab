/**
 * Compare what a file should produce with what the hardware reported (the library side of
 * `igvm-measure compare`): the launch measurement, and for SEV-SNP also the guest policy and the ID-block
 * fields the report echoes (spec/snp.md §3, §4). When the measurement differs, search the host
 * configurations that could explain it (measure/search.ts).
 */
import { appliesTo, decodeSnpPolicy, guestPoliciesFor, toAmdPublicKey, type IgvmFile, type SnpIdBlockHeader, type SupportedPlatformHeader } from '../format/index.js';
import { defaultHashBackend, measure, searchConfigurations, type Candidate, type ProfileName, type SearchResult } from '../measure/index.js';
import type { Check } from '../pki/check.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';

/** What a report says, for the comparison (from an SNP report or a TDX quote). */
export type EvidenceValues =
  | {
      readonly platform: 'SEV_SNP';
      readonly measurement: Uint8Array;
      readonly policy: bigint;
      readonly familyId: Uint8Array;
      readonly imageId: Uint8Array;
      readonly guestSvn: number;
      readonly idKeyDigest: Uint8Array;
      readonly authorKeyDigest: Uint8Array;
      readonly authorKeyEnabled: boolean;
      readonly reportData: Uint8Array;
      readonly hostData: Uint8Array;
    }
  | { readonly platform: 'TDX'; readonly mrtd: Uint8Array; readonly reportData: Uint8Array };

/** What to compare against. */
export interface CompareOptions {
  /** The IGVM file whose digest is expected (or give `measurement`). */
  readonly file?: IgvmFile;
  /** A published value instead of a file. */
  readonly measurement?: Uint8Array;
  readonly profile?: ProfileName;
  readonly reportData?: Uint8Array;
  readonly hostData?: Uint8Array;
  /** For the configuration search: VMSA for extra vCPUs. */
  readonly apVmsa?: Uint8Array;
  readonly maxVcpus?: number;
  /** Called with the configuration search's result when one was made (a file that mismatched). */
  readonly onSearch?: (result: SearchResult) => void;
}


function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** The comparison checks; the evidence's own verification checks are separate. */
export function compareEvidence(values: EvidenceValues, options: CompareOptions): Check[] {
  const checks: Check[] = [];
  const reported = values.platform === 'SEV_SNP' ? values.measurement : values.mrtd;
  const label = values.platform === 'SEV_SNP' ? 'measurement' : 'mrtd';
  let platform: SupportedPlatformHeader | undefined;
  let expected = options.measurement;
  if (options.file !== undefined) {
    platform = options.file.platforms.find((p) => p.platformType === values.platform);
    if (platform === undefined) {
      checks.push(check(label, false, `the file has no ${values.platform} platform header`));
    } else {
      const r = measure(options.file, {
        platform: values.platform === 'SEV_SNP' ? 'snp' : 'tdx',
        ...(options.profile ? { profile: options.profile } : {}),
      });
      const p = r.platforms.find((x) => x.compatibilityMask === platform!.compatibilityMask);
      if (p !== undefined && 'error' in p) checks.push(check(label, false, `the file cannot be measured: ${p.error.code}: ${p.error.message}`));
      else if (p !== undefined && 'digest' in p) expected = p.digest;
    }
  }
  if (expected !== undefined) {
    const values = { expected: bytesToHex(expected), actual: bytesToHex(reported) };
    if (bytesEqual(expected, reported)) {
      checks.push({ ...check(label, true, `${bytesToHex(reported)} as expected`), ...values });
    } else {
      checks.push({ ...check(label, false, `reported ${bytesToHex(reported)}, expected ${bytesToHex(expected)}${explain(options, platform, reported)}`), ...values });
    }
  }
  if (values.platform === 'SEV_SNP' && options.file !== undefined && platform !== undefined) {
    checks.push(...snpFileChecks(values, options.file, platform));
  }
  if (options.reportData !== undefined) checks.push(bytesCheck('report-data', values.reportData, options.reportData));
  if (options.hostData !== undefined) {
    checks.push(values.platform === 'SEV_SNP' ? bytesCheck('host-data', values.hostData, options.hostData) : check('host-data', false, 'TDX quotes carry no HOST_DATA'));
  }
  return checks;
}

/** A given value against a reported one, the given value zero-padded to the field size. */
function bytesCheck(name: string, reported: Uint8Array, given: Uint8Array): Check {
  const padded = new Uint8Array(reported.length);
  padded.set(given.subarray(0, reported.length));
  const ok = given.length <= reported.length && bytesEqual(padded, reported);
  return check(name, ok, ok ? `${bytesToHex(reported)} as given` : `reported ${bytesToHex(reported)}, given ${bytesToHex(given)}`);
}

/** Where the measurement differs: which host configuration reproduces the reported value. */
function explain(options: CompareOptions, platform: SupportedPlatformHeader | undefined, reported: Uint8Array): string {
  if (options.file === undefined || platform === undefined) return '';
  const r = searchConfigurations(options.file, platform, reported, {
    ...(options.apVmsa ? { apVmsa: options.apVmsa } : {}),
    ...(options.maxVcpus ? { maxVcpus: options.maxVcpus } : {}),
  });
  options.onSearch?.(r);
  if (r.matches.length === 0) {
    return `; none of ${r.tried} host configurations (profiles, native zero pages, 1–64 vCPUs under qemu) reproduces it: run 'igvm-measure measure --trace' to find the step where it diverges`;
  }
  return `; the reported value matches ${r.matches.map(describe).join(', or ')}`;
}

function describe(c: Candidate): string {
  return `profile ${c.profile}${c.vcpus !== undefined ? ` with ${c.vcpus} vCPU${c.vcpus === 1 ? '' : 's'}` : ''}${c.nativeZero ? ' and --native-zero' : ''}`;
}

/** Guest policy and ID-block fields (spec/snp.md §3.1–§3.4): what the report echoes of the file. */
function snpFileChecks(values: Extract<EvidenceValues, { platform: 'SEV_SNP' }>, file: IgvmFile, platform: SupportedPlatformHeader): Check[] {
  const checks: Check[] = [];
  const policy = guestPoliciesFor(file, platform)[0];
  if (policy !== undefined) {
    const ok = policy.policy === values.policy;
    const d = decodeSnpPolicy(values.policy);
    checks.push(
      check(
        'guest-policy',
        ok,
        ok
          ? `0x${values.policy.toString(16)} (ABI ${d.abiMajor}.${d.abiMinor}, SMT ${d.smt}, debug ${d.debug}) as in the file`
          : `reported 0x${values.policy.toString(16)}, the file's GUEST_POLICY is 0x${policy.policy.toString(16)}`,
      ),
    );
  }
  const block = file.directives.find((h): h is SnpIdBlockHeader => h.kind === 'SNP_ID_BLOCK' && appliesTo(h.compatibilityMask, platform.compatibilityMask));
  if (block === undefined) return checks;
  const digest = (k: Parameters<typeof toAmdPublicKey>[0]): Uint8Array => defaultHashBackend.sha384(toAmdPublicKey(k));
  checks.push(idBlockCheck('id-key-digest', values.idKeyDigest, digest(block.idPublicKey), "the SHA-384 of the ID block's ID key (AMD layout)"));
  if (block.authorKeyEnabled !== 0) {
    checks.push(idBlockCheck('author-key-digest', values.authorKeyDigest, digest(block.authorPublicKey), "the SHA-384 of the ID block's author key"));
  }
  checks.push(idBlockCheck('family-id', values.familyId, block.familyId, "the ID block's family ID"));
  checks.push(idBlockCheck('image-id', values.imageId, block.imageId, "the ID block's image ID"));
  checks.push(check('guest-svn', values.guestSvn === block.guestSvn, `reported ${values.guestSvn}, the ID block's ${block.guestSvn}`));
  checks.push(idBlockCheck('id-block-measurement', values.measurement, block.ld, "the ID block's expected launch digest"));
  return checks;
}

/** A reported value against the one the file's ID block implies (`what` names it). */
function idBlockCheck(name: string, reported: Uint8Array, expected: Uint8Array, what: string): Check {
  const ok = bytesEqual(reported, expected);
  return check(name, ok, ok ? `${bytesToHex(reported)} equals ${what}` : `reported ${bytesToHex(reported)}, ${what} is ${bytesToHex(expected)}`);
}
