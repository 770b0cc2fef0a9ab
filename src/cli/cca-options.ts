/**
 * The Arm CCA options of `measure`, `reference` and `compare` (spec/cca.md §1.3, §2.2–§2.3): the
 * realm parameters a host chooses and an IGVM file does not carry, and the loader conventions
 * that no CCA loader confirms yet. Counts are given as users think of them (6 breakpoints, a
 * 512-bit SVE vector) and encoded here the way RmiRealmParams holds them (count − 1, VL/128 − 1,
 * flag bits); the library takes the encoded values (measure/cca-igvm.ts).
 */
import { CCA_RULE_SETS, ccaRuleSetFromName, type CcaLoadOptions, type CcaRealmParams } from '../measure/index.js';
import { choice } from './input.js';
import { integerOption, smallIntegerOption } from './numbers.js';
import { UsageError } from './errors.js';

/** `util.parseArgs` entries of the CCA options. */
export const CCA_OPTIONS = {
  rmm: { type: 'string' },
  'cca-ipa-bits': { type: 'string' },
  'cca-breakpoints': { type: 'string' },
  'cca-watchpoints': { type: 'string' },
  'cca-sve-vl': { type: 'string' },
  'cca-pmu-counters': { type: 'string' },
  'cca-lpa2': { type: 'boolean' },
  'cca-ram': { type: 'string', multiple: true },
  'cca-data-order': { type: 'string' },
  'cca-rec-order': { type: 'string' },
  'cca-zero-pages': { type: 'string' },
  'cca-unmeasured': { type: 'string' },
} as const;

/** Breakpoints and watchpoints when none are given: 6 each, what the published KVM launches of vectors/cca report (num_bps/num_wps 5). */
export const DEFAULT_CCA_BREAKPOINTS = 6;
export const DEFAULT_CCA_WATCHPOINTS = 6;

/** The help text of the CCA options (indented like every command's options). */
export const CCA_HELP = `
Arm CCA platforms (the Realm Initial Measurement, RIM). An IGVM file does
not carry the realm parameters the host chooses, and no CCA loader exists yet to confirm
how one would load it: the conventions marked [inferred] are the spec's recommendation,
and the JSON note of every CCA platform repeats which were used.
  --rmm R          RMM rule set: rmm-2.0 (default; RIM starts at zero, realm parameters
                   and RIPAS not measured), tfrmm-2026 (TF-RMM main: parameters
                   measured), rmm-1.0 (1.0-rel0: parameters and RIPAS measured) [inferred]
  --cca-ipa-bits N IPA width (s2sz; default log2(shared_gpa_boundary) + 1) [inferred]
  --cca-breakpoints N, --cca-watchpoints N
                   debug breakpoints / watchpoints the host gives the realm (default
                   ${DEFAULT_CCA_BREAKPOINTS} each)
  --cca-sve-vl BITS SVE vector length (128..2048, a multiple of 128; default SVE off)
  --cca-pmu-counters N  PMU event counters (default PMU off)
  --cca-lpa2       the realm uses 52-bit addresses (LPA2)
  --cca-ram BASE:SIZE  guest RAM given RIPAS RAM (repeatable; needed by --rmm rmm-1.0)
  --cca-data-order directive|ascending
                   DATA granules in directive order (default, as openvmm imports) or
                   sorted by IPA (veraison/kvmtool) [inferred]
  --cca-rec-order last|directive
                   the REC of vCPU 0 after all DATA (default, as KVM) or where its VP
                   context directive is [inferred]
  --cca-zero-pages measured|skip
                   zero pages as measured zero granules (default) or left unpopulated [inferred]
  --cca-unmeasured descriptor|skip
                   unmeasured pages and parameter areas as unmeasured DATA, which still
                   extends the RIM (default), or not populated by DATA at all [inferred]`;

const countOption = (name: string, v: unknown, min: number, max: number): number | undefined => (v === undefined ? undefined : smallIntegerOption(name, v as string, min, max));

/** `BASE:SIZE` → `[base, base + size)`. */
function ramRange(text: string): readonly [bigint, bigint] {
  const m = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (m === null) throw new UsageError(`--cca-ram takes BASE:SIZE (e.g. 0x80000000:0x40000000), not '${text}'`);
  const base = integerOption('--cca-ram BASE', m[1]!);
  const size = integerOption('--cca-ram SIZE', m[2]!, 1n);
  if (base + size > 0xffff_ffff_ffff_ffffn + 1n) throw new UsageError(`--cca-ram ${text} ends beyond 2^64`);
  return [base, base + size];
}

/** The CCA load options of parsed command-line values (all defaults when none is given). */
export function ccaLoadOptionsOf(values: Record<string, unknown>): CcaLoadOptions {
  const rule = values.rmm === undefined ? undefined : ruleOf(values.rmm as string);
  const s2sz = countOption('--cca-ipa-bits', values['cca-ipa-bits'], 13, 64);
  const bps = countOption('--cca-breakpoints', values['cca-breakpoints'], 1, 256) ?? DEFAULT_CCA_BREAKPOINTS;
  const wps = countOption('--cca-watchpoints', values['cca-watchpoints'], 1, 256) ?? DEFAULT_CCA_WATCHPOINTS;
  const sve = countOption('--cca-sve-vl', values['cca-sve-vl'], 128, 2048);
  if (sve !== undefined && sve % 128 !== 0) throw new UsageError(`--cca-sve-vl ${sve} is not a multiple of 128`);
  const pmu = countOption('--cca-pmu-counters', values['cca-pmu-counters'], 1, 31);
  // RmiRealmParams flags: bit 0 LPA2, bit 1 SVE, bit 2 PMU (§1.3).
  const flags = (values['cca-lpa2'] === true ? 1n : 0n) | (sve !== undefined ? 2n : 0n) | (pmu !== undefined ? 4n : 0n);
  const params: Partial<CcaRealmParams> = {
    flags,
    numBps: bps - 1,
    numWps: wps - 1,
    sveVl: sve === undefined ? 0 : sve / 128 - 1,
    pmuNumCtrs: pmu ?? 0,
    ...(s2sz === undefined ? {} : { s2sz }),
  };
  const ram = values['cca-ram'] as string[] | undefined;
  if (rule === 'rmm-1.0' && ram === undefined) throw new UsageError('--rmm rmm-1.0 measures RIPAS: give the realm RAM with --cca-ram BASE:SIZE');
  const dataOrder = choice('--cca-data-order', values['cca-data-order'] as string | undefined, ['directive', 'ascending'] as const, 'directive');
  const recOrder = choice('--cca-rec-order', values['cca-rec-order'] as string | undefined, ['last', 'directive'] as const, 'last');
  if (dataOrder === 'ascending' && recOrder === 'directive') throw new UsageError('--cca-rec-order directive needs --cca-data-order directive: sorted DATA has no directive positions');
  return {
    ...(rule === undefined ? {} : { rule }),
    params,
    dataOrder,
    recOrder,
    zeroPages: choice('--cca-zero-pages', values['cca-zero-pages'] as string | undefined, ['measured', 'skip'] as const, 'measured'),
    unmeasured: choice('--cca-unmeasured', values['cca-unmeasured'] as string | undefined, ['descriptor', 'skip'] as const, 'descriptor'),
    ...(ram === undefined ? {} : { ramRanges: ram.map(ramRange) }),
  };
}

function ruleOf(name: string): (typeof CCA_RULE_SETS)[number] {
  try {
    return ccaRuleSetFromName(name);
  } catch {
    throw new UsageError(`--rmm takes ${CCA_RULE_SETS.join(', ')}, not '${name}'`);
  }
}

/** The first CCA option given, if any (commands that measure no CCA platform refuse them). */
export function anyCcaOption(values: Record<string, unknown>): string | undefined {
  return Object.keys(CCA_OPTIONS).find((k) => values[k] !== undefined);
}
