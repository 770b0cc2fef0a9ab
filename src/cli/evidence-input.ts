/**
 * What `report` and `compare` share: reading evidence, the certificate options (`--vcek`,
 * `--chain`, `--crl`, `--collateral`, `--fetch`, `--kds-url`, `--kds-cache`), the appraisal-policy
 * options (`--policy FILE` and one option per policy field, README "Appraisal policy"; spec/snp.md
 * §4, spec/tdx.md §3–§4), and printing checks and the verdict.
 */
import { EvidenceError, loadEvidence, mergePolicies, parsePolicy, PolicyError, readPolicyFile, type AppraisalPolicy, type Evidence, type VerifyOptions } from '../evidence/index.js';
import { defaultKdsCacheDir, kdsFetcher } from '../node/kds.js';
import type { CommandArgs } from './command.js';
import { InputReadError, UsageError } from './errors.js';
import { readInput } from './input.js';

export { readInput };

/** The certificate options, for a command's `options`. */
export const CERTIFICATE_OPTIONS = {
  vcek: { type: 'string' },
  chain: { type: 'string' },
  crl: { type: 'string' },
  collateral: { type: 'string' },
  fetch: { type: 'boolean' },
  'kds-url': { type: 'string' },
  'kds-cache': { type: 'string' },
  root: { type: 'string' },
  time: { type: 'string' },
} as const;

/** Policy options that are flags, and the policy field each sets. */
const POLICY_FLAGS = {
  'allow-debug': 'allow_debug',
  'require-all': 'require_all',
  'allow-sept-ve': 'allow_sept_ve',
  'require-id-block': 'require_id_block',
  'require-author-key': 'require_author_key',
} as const;

/** Policy options that take a value, and the policy field each sets (rtmr0–3: `rtmrs[i]`). */
const POLICY_VALUES = {
  'report-data': 'report_data',
  'host-data': 'host_data',
  'guest-policy': 'policy',
  vmpl: 'vmpl',
  'minimum-tcb': 'minimum_tcb',
  'minimum-launch-tcb': 'minimum_launch_tcb',
  'minimum-guest-svn': 'minimum_guest_svn',
  'permit-provisional-firmware': 'permit_provisional_firmware',
  'trusted-id-key-hashes': 'trusted_id_key_hashes',
  'trusted-author-key-hashes': 'trusted_author_key_hashes',
  'family-id': 'family_id',
  'image-id': 'image_id',
  'td-attributes': 'td_attributes',
  xfam: 'xfam',
  'mr-seam': 'mr_seam',
  'mr-config-id': 'mr_config_id',
  'mr-owner': 'mr_owner',
  'mr-owner-config': 'mr_owner_config',
  'mr-service-td': 'mr_service_td',
  'minimum-tee-tcb-svn': 'minimum_tee_tcb_svn',
  'accept-tcb-status': 'accepted_tcb_statuses',
} as const;

const RTMR_OPTIONS = ['rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const;

/** The appraisal-policy options, for a command's `options`. */
export const POLICY_OPTIONS = {
  policy: { type: 'string' },
  ...Object.fromEntries(Object.keys(POLICY_FLAGS).map((k) => [k, { type: 'boolean' }])),
  ...Object.fromEntries([...Object.keys(POLICY_VALUES), ...RTMR_OPTIONS].map((k) => [k, { type: 'string' }])),
} as Record<string, { type: 'string' | 'boolean' }>;

/** Their help lines. */
export const POLICY_HELP = `Appraisal policy (README "Appraisal policy"; options override --policy):
  --policy FILE     a JSON policy file (fields as go-sev-guest / go-tdx-guest name
                    them: vmpl, minimum_tcb, report_data, mr_config_id, ...)
  --allow-debug     accept a debug guest (SEV-SNP POLICY bit 19, TDX TD_ATTRIBUTES
                    bit 0); refused by default
  --require-all     every check that could not be made fails
  --report-data HEX expected REPORT_DATA (zero-padded to 64 bytes)
  --host-data HEX   SEV-SNP: expected HOST_DATA (zero-padded to 32 bytes)
  SEV-SNP: --guest-policy HEX (most permissive POLICY accepted: SMT, MIGRATE_MA,
    CXL_ALLOW allowed only if set; SINGLE_SOCKET, MEM_AES_256_XTS, RAPL_DIS,
    CIPHERTEXT_HIDING_DRAM, PAGE_SWAP_DISABLE required if set; ABI minimum;
    DEBUG set here allows a debug guest unless the policy file says
    "allow_debug": false),
    --vmpl N, --minimum-tcb TCB, --minimum-launch-tcb TCB (0x<u64> or
    bl_spl=N,tee_spl=N,snp_spl=N,ucode_spl=N[,fmc_spl=N]), --minimum-guest-svn N,
    --permit-provisional-firmware true|false, --require-id-block,
    --require-author-key, --trusted-id-key-hashes HEX,...,
    --trusted-author-key-hashes HEX,..., --family-id HEX, --image-id HEX
  TDX: --allow-sept-ve (accept SEPT_VE_DISABLE clear; required by default),
    --td-attributes 0xHEX, --xfam 0xHEX, --mr-seam HEX, --mr-config-id HEX,
    --mr-owner HEX, --mr-owner-config HEX, --mr-service-td HEX, --rtmr0..3 HEX,
    --minimum-tee-tcb-svn HEX (16 bytes, byte by byte),
    --accept-tcb-status S,... (default UpToDate; also SWHardeningNeeded,
    ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate,
    OutOfDateConfigurationNeeded)`;

/** Their help lines. */
export const CERTIFICATE_HELP = `  --vcek CERT       SEV-SNP: the VCEK or VLEK certificate (DER or PEM; a PEM may
                    also carry the ASK/ASVK and ARK after it)
  --chain PEM       SEV-SNP: the ASK (or ASVK) and ARK (default: AMD's, bundled)
  --crl FILE        SEV-SNP: AMD's ARK-signed CRL, DER or PEM (KDS /vcek/v1/{product}/crl,
                    /vlek/v1/{product}/crl); with --fetch it is fetched when not given
  --fetch           SEV-SNP: get missing certificates from AMD's Key Distribution
                    Service (cached on disk); without it nothing goes on the network
  --kds-url URL     the KDS base URL (default https://kdsintf.amd.com)
  --kds-cache DIR   where fetched certificates are cached (default:
                    $XDG_CACHE_HOME/igvm-measure/kds, else ~/.cache/igvm-measure/kds)
  --collateral FILE TDX: collateral JSON (TCB info, QE identity, CRLs) for the TCB
                    status, QE identity and revocation checks
  --root CERT       TDX: the root to anchor at; it must still be Intel's pinned
                    production SGX root
  --time ISO        verify as of this time (certificate validity, collateral
                    expiry), e.g. 2025-06-01T00:00:00Z; default now`;


/** Reads (up to the evidence cap, README "Files: inputs and outputs") and detects evidence. */
export function readEvidence(path: string, label = 'evidence'): Evidence {
  return loadEvidence(readInput(path, label, 'evidence'));
}

/** The verification options from the certificate options. */
export function verifyOptionsOf(values: CommandArgs['values']): VerifyOptions {
  const opt = (name: string): string | undefined => values[name] as string | undefined;
  let collateral: unknown;
  const collateralPath = opt('collateral');
  if (collateralPath !== undefined) {
    try {
      collateral = JSON.parse(new TextDecoder().decode(readInput(collateralPath, '--collateral')));
    } catch (e) {
      if (e instanceof InputReadError) throw e;
      throw new EvidenceError('BadCollateral', `--collateral ${collateralPath} is not JSON: ${(e as Error).message}`);
    }
  }
  if (values.fetch !== true && (opt('kds-url') !== undefined || opt('kds-cache') !== undefined)) {
    throw new UsageError('--kds-url and --kds-cache go with --fetch');
  }
  const vcek = opt('vcek');
  const chain = opt('chain');
  const crl = opt('crl');
  const policy = policyOf(values);
  const root = opt('root');
  const time = opt('time');
  const now = time === undefined ? undefined : new Date(time);
  if (now !== undefined && Number.isNaN(now.getTime())) throw new UsageError(`--time takes an ISO 8601 time, not '${time}'`);
  return {
    ...(root !== undefined ? { root: readInput(root, '--root') } : {}),
    ...(now !== undefined ? { now } : {}),
    ...(vcek !== undefined ? { vcek: readInput(vcek, '--vcek') } : {}),
    ...(chain !== undefined ? { chain: readInput(chain, '--chain') } : {}),
    ...(collateral !== undefined ? { collateral } : {}),
    ...(crl !== undefined ? { crl: readInput(crl, '--crl') } : {}),
    policy,
    ...(values.fetch === true
      ? {
          fetch: kdsFetcher({
            ...(opt('kds-url') !== undefined ? { baseUrl: opt('kds-url')! } : {}),
            cacheDir: opt('kds-cache') ?? defaultKdsCacheDir(),
          }),
        }
      : {}),
  };
}

/**
 * The appraisal policy: the `--policy` file, overridden by the options given. A policy file or
 * option that cannot be read is a usage error (exit 2) naming the field.
 */
export function policyOf(values: CommandArgs['values']): AppraisalPolicy {
  const fromCli: Record<string, unknown> = {};
  const label = new Map<string, string>();
  for (const [opt, field] of Object.entries(POLICY_FLAGS)) {
    if (values[opt] === true) fromCli[field] = true;
    label.set(field, `--${opt}`);
  }
  for (const [opt, field] of Object.entries(POLICY_VALUES)) {
    if (typeof values[opt] === 'string') fromCli[field] = values[opt];
    label.set(field, `--${opt}`);
  }
  try {
    const cli = parsePolicy(fromCli, (f) => label.get(f) ?? f);
    // --rtmr0..3 set one entry each of `rtmrs` (48-byte hex, read like any MR register).
    const rtmrs = RTMR_OPTIONS.map((o) => (typeof values[o] === 'string' ? parsePolicy({ mr_owner: values[o] }, () => `--${o}`).mrOwner : undefined));
    const path = values.policy as string | undefined;
    const file = path === undefined ? {} : readPolicyFile(new TextDecoder().decode(readInput(path, '--policy')), `--policy ${path}`);
    const merged = mergePolicies(file, cli);
    if (rtmrs.every((r) => r === undefined)) return merged;
    return { ...merged, rtmrs: rtmrs.map((r, i) => r ?? merged.rtmrs?.[i]) };
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message);
    throw e;
  }
}

/** A check as JSON: every key present, `expected`/`actual` null when the check compares no value. */


/** Checks and verdicts as text and JSON (one form everywhere: pki/check.ts). */
export { checkJson, checkLines, verdictText } from '../pki/check.js';

/** Parses a hex option (whitespace and an optional 0x tolerated). */
export function hexOption(name: string, v: string | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const s = v.replace(/^0x/i, '').replace(/\s+/g, '');
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new UsageError(`${name} takes hex digits, not '${v}'`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}
