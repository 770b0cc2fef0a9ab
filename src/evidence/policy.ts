/**
 * The appraisal policy: what a verifier requires of evidence beyond its signature and chain
 * (spec/snp.md §4 GUEST POLICY, TCB_VERSION, ID-block fields; spec/tdx.md §3 TDATTRIBUTES, XFAM,
 * the MR registers, §4.2 TEE_TCB_SVN; §4.5 TCB status), and its JSON policy-file reader.
 *
 * Field names follow go-sev-guest (`proto/check.proto` Policy, `validate.Options`) and
 * go-tdx-guest (`validate.Options` / checkconfig `TdQuoteBodyPolicy`) where they exist. A policy
 * with an unknown field or a value of the wrong type is a `PolicyError` naming the field; the
 * command line maps it to a usage error.
 */
import { CodedError } from '../format/coded-error.js';

/** Component minimums of an SEV-SNP TCB_VERSION (go-sev-guest `kds.TCBParts` names). */
export interface TcbParts {
  readonly blSpl?: number;
  readonly teeSpl?: number;
  readonly snpSpl?: number;
  readonly ucodeSpl?: number;
  /** Turin only. */
  readonly fmcSpl?: number;
}

/** A minimum TCB: components, or a raw TCB_VERSION decoded with the report's product layout. */
export type TcbMinimum = { readonly parts: TcbParts } | { readonly raw: bigint };

/** TCB statuses of Intel's TCB info (spec/tdx.md §4.5). */
export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;

/** What the appraisal requires. Every field is optional; see README "Appraisal policy". */
export interface AppraisalPolicy {
  /** Both: accept a debug guest (SNP POLICY bit 19, TDX TD_ATTRIBUTES bit 0). */
  readonly allowDebug?: boolean;
  /** Both: every check that could not be made fails. */
  readonly requireAll?: boolean;
  /** Both: expected REPORT_DATA (zero-padded to 64 bytes). */
  readonly reportData?: Uint8Array;
  /** SNP: expected HOST_DATA (zero-padded to 32 bytes). */
  readonly hostData?: Uint8Array;
  /** SNP: the most permissive guest policy accepted (go-sev-guest `policy`). */
  readonly policy?: bigint;
  readonly vmpl?: number;
  readonly minimumTcb?: TcbMinimum;
  readonly minimumLaunchTcb?: TcbMinimum;
  readonly minimumGuestSvn?: number;
  /** SNP: committed firmware may be older than current (true) or must equal it (false). */
  readonly permitProvisionalFirmware?: boolean;
  readonly requireIdBlock?: boolean;
  readonly requireAuthorKey?: boolean;
  readonly trustedIdKeyHashes?: readonly Uint8Array[];
  readonly trustedAuthorKeyHashes?: readonly Uint8Array[];
  readonly familyId?: Uint8Array;
  readonly imageId?: Uint8Array;
  /** TDX: accept a TD whose SEPT_VE_DISABLE (TD_ATTRIBUTES bit 28) is clear. */
  readonly allowSeptVe?: boolean;
  readonly tdAttributes?: bigint;
  readonly xfam?: bigint;
  readonly mrSeam?: Uint8Array;
  readonly mrConfigId?: Uint8Array;
  readonly mrOwner?: Uint8Array;
  readonly mrOwnerConfig?: Uint8Array;
  readonly mrServiceTd?: Uint8Array;
  /** TDX: expected RTMR0–3; an undefined entry is not checked. */
  readonly rtmrs?: readonly (Uint8Array | undefined)[];
  /** TDX: component-wise minimum TEE_TCB_SVN, 16 bytes. */
  readonly minimumTeeTcbSvn?: Uint8Array;
  /** TDX: TCB statuses accepted by `tcb-status` (default UpToDate only). */
  readonly acceptedTcbStatuses?: readonly string[];
}

/** A policy that cannot be read: an unknown field or a value of the wrong type. */
export class PolicyError extends CodedError<'BadPolicy'> {
  override readonly name = 'PolicyError';
  constructor(
    message: string,
    /** The field at fault, as the caller named it (`vmpl`, `--vmpl`). */
    readonly field: string,
  ) {
    super('BadPolicy', message);
  }
}

type Reader<T> = (v: unknown, name: string) => T;

const bad = (name: string, what: string, v: unknown): PolicyError =>
  new PolicyError(`${name} must be ${what}, not ${typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v)}`, name);

const bool: Reader<boolean> = (v, name) => {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw bad(name, 'true or false', v);
};

/** An unsigned integer below 2^bits: a JSON number, or a decimal or 0x-hex string. */
function uint(bits: number): Reader<bigint> {
  return (v, name) => {
    let n: bigint | undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
    else if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim())) n = BigInt(v.trim());
    if (n === undefined || n >= 1n << BigInt(bits)) throw bad(name, `an unsigned ${bits}-bit integer (a number or a "0x…" string)`, v);
    return n;
  };
}

const small = (bits: number, max?: number): Reader<number> => (v, name) => {
  const n = Number(uint(bits)(v, name));
  if (max !== undefined && n > max) throw bad(name, `an integer from 0 to ${max}`, v);
  return n;
};

/** Hex bytes: exactly `size` bytes, or at most `size` when `pad` (zero-padded by the check). */
function hex(size: number, pad = false): Reader<Uint8Array> {
  return (v, name) => {
    const s = typeof v === 'string' ? v.replace(/^0x/i, '').replace(/\s+/g, '') : undefined;
    if (s === undefined || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s) || (pad ? s.length > 2 * size : s.length !== 2 * size)) {
      throw bad(name, pad ? `hex of at most ${size} bytes` : `hex of exactly ${size} bytes`, v);
    }
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return out;
  };
}

/** A list: a JSON array, or (from the command line) a comma-separated string. */
function list<T>(item: Reader<T>): Reader<T[]> {
  return (v, name) => {
    const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
    if (!Array.isArray(items)) throw bad(name, 'a list', v);
    return items.map((x, i) => item(x, `${name}[${i}]`));
  };
}

const TCB_PART_KEYS = { bl_spl: 'blSpl', tee_spl: 'teeSpl', snp_spl: 'snpSpl', ucode_spl: 'ucodeSpl', fmc_spl: 'fmcSpl' } as const;

/**
 * A minimum TCB: a raw u64 TCB_VERSION (number or "0x…"), an object of components
 * `{bl_spl, tee_spl, snp_spl, ucode_spl, fmc_spl}`, or (command line) `bl_spl=3,snp_spl=8,…`.
 */
const tcb: Reader<TcbMinimum> = (v, name) => {
  let obj: Record<string, unknown> | undefined;
  if (typeof v === 'string' && v.includes('=')) {
    obj = {};
    for (const kv of v.split(',')) {
      const [k, x, ...rest] = kv.split('=').map((s) => s.trim());
      if (k === undefined || x === undefined || rest.length > 0) throw bad(name, 'a TCB as 0x… or bl_spl=N,tee_spl=N,snp_spl=N,ucode_spl=N[,fmc_spl=N]', v);
      obj[k] = x;
    }
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    obj = v as Record<string, unknown>;
  }
  if (obj === undefined) return { raw: uint(64)(v, name) };
  const parts: Record<string, number> = {};
  for (const [k, x] of Object.entries(obj)) {
    const key = TCB_PART_KEYS[k as keyof typeof TCB_PART_KEYS];
    if (key === undefined) throw new PolicyError(`${name}.${k} is not a TCB component (${Object.keys(TCB_PART_KEYS).join(', ')})`, `${name}.${k}`);
    parts[key] = small(8)(x, `${name}.${k}`);
  }
  return { parts };
};

const status: Reader<string> = (v, name) => {
  if (typeof v !== 'string' || !(TCB_STATUSES as readonly string[]).includes(v)) throw bad(name, `one of ${TCB_STATUSES.join(', ')}`, v);
  return v;
};

const rtmrs: Reader<(Uint8Array | undefined)[]> = (v, name) => {
  if (!Array.isArray(v) || v.length !== 4) throw bad(name, 'a list of 4 entries (hex of 48 bytes, or null for "not checked")', v);
  return v.map((x, i) => (x === null ? undefined : hex(48)(x, `${name}[${i}]`)));
};

/** Every field of the policy file: its JSON name, the policy key, and its reader. */
const FIELDS: { readonly [json: string]: readonly [keyof AppraisalPolicy, Reader<unknown>] } = {
  allow_debug: ['allowDebug', bool],
  require_all: ['requireAll', bool],
  report_data: ['reportData', hex(64, true)],
  host_data: ['hostData', hex(32, true)],
  policy: ['policy', uint(64)],
  vmpl: ['vmpl', small(32, 3)],
  minimum_tcb: ['minimumTcb', tcb],
  minimum_launch_tcb: ['minimumLaunchTcb', tcb],
  minimum_guest_svn: ['minimumGuestSvn', small(32)],
  permit_provisional_firmware: ['permitProvisionalFirmware', bool],
  require_id_block: ['requireIdBlock', bool],
  require_author_key: ['requireAuthorKey', bool],
  trusted_id_key_hashes: ['trustedIdKeyHashes', list(hex(48))],
  trusted_author_key_hashes: ['trustedAuthorKeyHashes', list(hex(48))],
  family_id: ['familyId', hex(16)],
  image_id: ['imageId', hex(16)],
  allow_sept_ve: ['allowSeptVe', bool],
  td_attributes: ['tdAttributes', uint(64)],
  xfam: ['xfam', uint(64)],
  mr_seam: ['mrSeam', hex(48)],
  mr_config_id: ['mrConfigId', hex(48)],
  mr_owner: ['mrOwner', hex(48)],
  mr_owner_config: ['mrOwnerConfig', hex(48)],
  mr_service_td: ['mrServiceTd', hex(48)],
  rtmrs: ['rtmrs', rtmrs],
  minimum_tee_tcb_svn: ['minimumTeeTcbSvn', hex(16)],
  accepted_tcb_statuses: ['acceptedTcbStatuses', list(status)],
};

/** The JSON field names a policy file may use. */
export const POLICY_FIELDS: readonly string[] = Object.keys(FIELDS);

/**
 * Reads a policy from parsed JSON (the policy file) or from command-line strings keyed by the
 * same names. `label` names a field in error messages (e.g. `--vmpl` for the command line).
 * Throws `PolicyError` for anything but an object of known fields with values of their type.
 */
export function parsePolicy(json: unknown, label: (field: string) => string = (f) => f): AppraisalPolicy {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PolicyError('a policy must be a JSON object of fields', '');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    // Own fields only: `__proto__` or `constructor` in a file are unknown fields, not Object's.
    const field = Object.hasOwn(FIELDS, k) ? FIELDS[k] : undefined;
    if (field === undefined) throw new PolicyError(`unknown policy field ${label(k)} (known: ${POLICY_FIELDS.join(', ')})`, label(k));
    if (v === undefined) continue;
    out[field[0]] = field[1](v, label(k));
  }
  return out as AppraisalPolicy;
}

/** Reads a policy file's text (JSON). Throws `PolicyError`. */
export function readPolicyFile(text: string, name = 'the policy file'): AppraisalPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(`${name} is not JSON: ${(e as Error).message}`, '');
  }
  return parsePolicy(json, (f) => `${name}: ${f}`);
}

/** `over`'s fields replace `base`'s (command-line options override the policy file). */
export function mergePolicies(base: AppraisalPolicy, over: AppraisalPolicy): AppraisalPolicy {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
  return out as AppraisalPolicy;
}
