/**
 * How a comparison of evidence with an IGVM file is named and printed, the same in the CLI
 * (`report`, `compare`) and the browser page: the evidence's kind and encoding, the name of its
 * launch-measurement check, and the configuration search's result as JSON (the candidates that
 * reproduce the reported value, and the one closest to what was given).
 */
import type { Candidate, SearchResult } from '../measure/index.js';
import type { Evidence } from './load.js';
import type { JsonValue } from '../format/json-value.js';


/** The evidence's kind with its encoding, for text: `sev-snp-report (raw)`, `tdx-quote (binary)`. */
export function evidenceKind(e: Evidence): string {
  return e.platform === 'SEV_SNP' ? `sev-snp-report (${e.snp.encoding})` : `tdx-${e.tdx.kind} (${e.tdx.encoding})`;
}

/** The evidence's kind and encoding as separate JSON fields. */
export function evidenceKindJson(e: Evidence): { kind: string; encoding: string } {
  return e.platform === 'SEV_SNP' ? { kind: 'sev-snp-report', encoding: e.snp.encoding } : { kind: `tdx-${e.tdx.kind}`, encoding: e.tdx.encoding };
}

/** The name of the check that compares the launch measurement (SNP MEASUREMENT or TDX MRTD). */
export function measurementLabel(e: Evidence): string {
  return e.platform === 'SEV_SNP' ? 'measurement' : 'mrtd';
}

/**
 * The match closest to what was given: the fewest settings that differ from `given` (a setting
 * `given` leaves out counts as differing from none), the earliest in search order on a tie.
 */
export function bestMatch<T extends object>(matches: readonly T[], given: Partial<T>): T | undefined {
  const distance = (m: T): number => Object.entries(given).filter(([k, v]) => v !== undefined && (m as Record<string, unknown>)[k] !== undefined && (m as Record<string, unknown>)[k] !== v).length;
  let best: T | undefined;
  for (const m of matches) if (best === undefined || distance(m) < distance(best)) best = m;
  return best;
}

/**
 * The IGVM configuration search as JSON: `{tried, matches: [{profile, native_zero, vcpus}],
 * best_match}` (`vcpus` only under a profile that places one VMSA per vCPU).
 */
export function igvmSearchJson(r: SearchResult, given: Candidate): JsonValue {
  const candidate = (c: Candidate): JsonValue => ({ profile: c.profile, native_zero: c.nativeZero, vcpus: c.vcpus ?? null });
  const best = bestMatch(r.matches, { ...given, vcpus: 1 });
  return { tried: r.tried, matches: r.matches.map(candidate), best_match: best === undefined ? null : candidate(best) };
}
