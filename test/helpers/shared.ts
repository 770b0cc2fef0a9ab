/**
 * Access to the shared test data in `../shared/vectors` (next to the repository). Tests that
 * need it skip, with a printed notice, when it is absent, so a fresh clone still passes.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/vectors` relative to the repository root. */
export const SHARED_VECTORS = resolve(REPO_ROOT, '../shared/vectors');

/** True when the shared vectors are present. */
export const HAVE_SHARED = existsSync(join(SHARED_VECTORS, 'SOURCES.md'));

const noticed = new Set<string>();

/** Prints (once per suite name) that a suite is skipped for lack of `../shared`. */
export function sharedNotice(suite: string): void {
  if (!HAVE_SHARED && !noticed.has(suite)) {
    noticed.add(suite);
    console.warn(`[skip] ${suite}: ${SHARED_VECTORS} not found; tests that need the shared vectors are skipped`);
  }
}

/** Reads a file under the shared vectors as bytes. */
export function sharedBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(SHARED_VECTORS, rel)));
}

/** Reads and parses a JSON file under the shared vectors. */
export function sharedJson<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(SHARED_VECTORS, rel), 'utf8')) as T;
}

/** One platform of upstream's JSON: its header fields and what the measurement module said. */
export interface UpstreamPlatform {
  compatibility_mask: number;
  platform_type: string;
  highest_vtl: number;
  platform_version: number;
  shared_gpa_boundary: number;
  snp_launch_digest?: string;
  tdx_mrtd?: string;
  vbs_digest?: string;
  error?: string;
  not_measurable?: boolean;
}

/** The JSON upstream's reference implementation wrote beside each vector (vectors/SOURCES.md). */
export interface UpstreamJson {
  file_size: number;
  file_sha256: string;
  revision: { format_version: number; arch: 'X64' | 'AArch64'; page_size: number };
  counts: { platform: number; initialization: number; directive: number };
  platforms: UpstreamPlatform[];
}

/** The IGVM vectors with upstream's JSON beside them: `igvm/upstream/*.igvm` and the COCONUT file. */
export function upstreamIgvmVectors(): Array<{ name: string; igvm: string; json: string }> {
  if (!HAVE_SHARED) return [];
  const dir = 'igvm/upstream';
  const files = readdirSync(join(SHARED_VECTORS, dir))
    .filter((f) => f.endsWith('.igvm'))
    .sort()
    .map((f) => ({ name: f, igvm: `${dir}/${f}`, json: `${dir}/${f.replace(/\.igvm$/, '.json')}` }));
  files.push({ name: 'coconut-svsm-test.igvm', igvm: 'igvm/real/coconut-svsm-test.igvm', json: 'igvm/real/coconut-svsm-test.json' });
  return files;
}

/**
 * A describe-level fixture of a suite that skips without the shared vectors: vitest still runs a
 * skipped suite's body to collect its tests, so a read there must not happen when the data is
 * absent. The value is only used inside the (skipped) tests.
 */
export function whenShared<T>(read: () => T): T {
  return HAVE_SHARED ? read() : (undefined as unknown as T);
}
