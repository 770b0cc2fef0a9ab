/**
 * `measure --steps FILE.json` (src/cli/measure-steps.ts) through the dispatcher: every Arm CCA
 * step list of ../shared/vectors/cca gives the Realm Initial Measurement that veraison's
 * cca-realm-measurements published for it (`published_rim`, vectors/cca/README.md; a prefix
 * where the source prints one), in text, --quiet and --json; bad lists are exit 1 with a typed
 * code, and misuse is exit 2.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, whenShared } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

sharedNotice('measure --steps');

const lists = whenShared(() => readdirSync(join(SHARED_VECTORS, 'cca')).filter((f) => f.endsWith('.json')).sort()) ?? [];

describe.skipIf(!HAVE_SHARED)('measure --steps: the published RIM of every vectors/cca launch', () => {
  it('has the 14 lists', () => expect(lists.length).toBe(14));
  for (const name of lists) {
    it(name, async () => {
      const path = join(SHARED_VECTORS, 'cca', name);
      const v = sharedJson<{ published_rim: string; hash_algorithm: string }>(`cca/${name}`);
      const j = await cli(['measure', '--steps', path, '--json']);
      expect(j.code, j.stderr).toBe(0);
      const doc = JSON.parse(j.stdout) as { platforms: Array<{ platform_type: string; algorithm: string; digest: string; rim: string }> };
      expect(doc.platforms[0]!.platform_type).toBe('CCA');
      expect(doc.platforms[0]!.digest.startsWith(v.published_rim)).toBe(true);
      expect(doc.platforms[0]!.algorithm).toBe(v.hash_algorithm.replace('-', ''));
      expect(doc.platforms[0]!.rim).toHaveLength(128);
      const q = await cli(['measure', '--steps', path, '--quiet']);
      expect(q.stdout.trim().startsWith(v.published_rim)).toBe(true);
    });
  }
});

describe('measure --steps: bad lists and misuse', () => {
  const write = (name: string, value: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  const create = { op: 'realm_create', rule: 'rmm-2.0' };

  it('refuses an unknown op, a wrong type, an unknown hash and a misaligned IPA with exit 1 and a code', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{ not json', /BadStepList/],
      [{ hash_algorithm: 'sha-256', steps: [create, { op: 'jump' }] }, /UnknownOp|BadField/],
      [{ hash_algorithm: 'md5', steps: [create] }, /UnknownHashAlgorithm/],
      [{ hash_algorithm: 'sha-256', steps: 'all' }, /BadStepList/],
      [{ hash_algorithm: 'sha-256', steps: [create, { op: 'data', ipa: 4097, flags: 1, content_b64: '' }] }, /MisalignedIpa|BadField/],
    ];
    for (const [i, [value, code]] of cases.entries()) {
      const r = await cli(['measure', '--steps', write(`bad-${i}.json`, value), '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(code);
      expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toMatch(code);
    }
  });

  it('is a usage error with FILE, with --firmware, or with IGVM-only options', async () => {
    const ok = write('ok.json', { hash_algorithm: 'sha-256', steps: [create] });
    expect((await cli(['measure', '--steps', ok, 'x.igvm'])).code).toBe(2);
    expect((await cli(['measure', '--steps', ok, '--firmware', ok])).code).toBe(2);
    expect((await cli(['measure', '--steps', ok, '--profile', 'qemu'])).code).toBe(2);
    expect((await cli(['measure', '--steps', ok])).code).toBe(0);
  });
});
