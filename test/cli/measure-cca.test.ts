/**
 * `measure FILE` on Arm CCA platforms (src/cli/cca-options.ts, measure/cca-igvm.ts) through the
 * dispatcher. The expected RIMs are those of hand-written step lists in the vectors/cca format,
 * folded by the step-list path (whose RIMs reproduce veraison's published values,
 * test/cli/measure-steps.test.ts): the options are the RmiRealmParams encodings of spec/cca.md
 * §1.3 (breakpoints and watchpoints count − 1, sve_vl VL/128 − 1, flags bit 0 LPA2, bit 1 SVE,
 * bit 2 PMU) and the orders of §2.3.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder } from '../../src/format/builder.js';
import { foldCcaStepList, readCcaStepList } from '../../src/measure/cca-steps.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-cca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page = (seed: number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => (i * 13 + seed) & 0xff);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A CCA file: two measured pages, one unmeasured, vp 0's context (hash code 0 SHA-256, 1 SHA-512, 2 SHA-384). */
function write(name: string, hashCode: number): string {
  const bytes = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
    .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 40n })
    .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: hashCode })
    .pageData({ gpa: 0x4000_1000, compatibilityMask: 1, data: page(1) })
    .pageData({ gpa: 0x4000_0000, compatibilityMask: 1, data: page(2) })
    .pageData({ gpa: 0x4000_2000, compatibilityMask: 1, flags: 2 })
    .ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x4000_0000n, x0: 0x4800_0000n } })
    .toBytes();
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const DATA = [
  { op: 'data', ipa: 0x4000_1000, measure: true, content_b64: b64(page(1)) },
  { op: 'data', ipa: 0x4000_0000, measure: true, content_b64: b64(page(2)) },
  { op: 'data', ipa: 0x4000_2000, measure: false },
];
const REC = { op: 'rec', flags: 1, pc: 0x4000_0000, gprs: [0x4800_0000] };

function rimOf(hash: string, steps: object[]): string {
  return hex(foldCcaStepList(readCcaStepList({ hash_algorithm: hash, steps })).measurement);
}

describe('measure FILE: Arm CCA platforms', () => {
  it('text and --json: the RIM of the step list, under the default rmm-2.0 rules', async () => {
    for (const [code, hash] of [
      [0, 'sha-256'],
      [1, 'sha-512'],
      [2, 'sha-384'],
    ] as const) {
      const path = write(`h${code}.igvm`, code);
      const want = rimOf(hash, [{ op: 'realm_create', rule: 'rmm-2.0' }, ...DATA, REC]);
      const t = await cli(['measure', path]);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toContain(`CCA`);
      expect(t.stdout).toContain(want);
      const j = await cli(['measure', path, '--json']);
      const entry = (JSON.parse(j.stdout) as { platforms: Array<Record<string, string>> }).platforms[0]!;
      expect(entry.digest).toBe(want);
      expect(entry.algorithm).toBe(hash.replace('-', ''));
      expect(entry.rule).toBe('rmm-2.0');
      expect(entry.rim!.startsWith(want)).toBe(true);
      expect(entry.rim!.length).toBe(128);
      expect(entry.note).toMatch(/no loader confirms/);
      const q = await cli(['measure', path, '--quiet']);
      expect(q.stdout.trim()).toBe(want);
    }
  });

  it('realm parameters as counts become the RmiRealmParams encodings (tfrmm-2026 measures them)', async () => {
    const path = write('p.igvm', 0);
    const args = ['--rmm', 'tfrmm-2026', '--cca-ipa-bits', '44', '--cca-breakpoints', '2', '--cca-watchpoints', '3', '--cca-sve-vl', '512', '--cca-pmu-counters', '4', '--cca-lpa2'];
    const r = await cli(['measure', path, '--quiet', ...args]);
    expect(r.code, r.stderr).toBe(0);
    const create = { op: 'realm_create', rule: 'tfrmm-2026', flags: 7, s2sz: 44, sve_vl: 3, num_bps: 1, num_wps: 2, pmu_num_ctrs: 4 };
    expect(r.stdout.trim()).toBe(rimOf('sha-256', [create, ...DATA, REC]));
    // Defaults: s2sz from shared_gpa_boundary 2^40 → 41; 6 breakpoints and watchpoints (encoded 5).
    const d = await cli(['measure', path, '--quiet', '--rmm', 'tfrmm-2026']);
    expect(d.stdout.trim()).toBe(rimOf('sha-256', [{ op: 'realm_create', rule: 'tfrmm-2026', flags: 0, s2sz: 41, sve_vl: 0, num_bps: 5, num_wps: 5, pmu_num_ctrs: 0 }, ...DATA, REC]));
  });

  it('rmm-1.0 measures RIPAS of --cca-ram, split into RTT entries', async () => {
    const path = write('r.igvm', 0);
    const r = await cli(['measure', path, '--quiet', '--rmm', '1.0', '--cca-ram', '0x40000000:0x400000']);
    expect(r.code, r.stderr).toBe(0);
    const create = { op: 'realm_create', rule: 'rmm-1.0', flags: 0, s2sz: 41, sve_vl: 0, num_bps: 5, num_wps: 5, pmu_num_ctrs: 0 };
    // 4 MiB at 1 GiB: two 2 MiB RTT entries (§1.5).
    const ripas = [
      { op: 'ripas', base: 0x4000_0000, top: 0x4020_0000 },
      { op: 'ripas', base: 0x4020_0000, top: 0x4040_0000 },
    ];
    expect(r.stdout.trim()).toBe(rimOf('sha-256', [create, ...ripas, ...DATA, REC]));
  });

  it('the orders and conventions of §2.3', async () => {
    const path = write('o.igvm', 0);
    const head = { op: 'realm_create', rule: 'rmm-2.0' };
    const q = async (...a: string[]) => (await cli(['measure', path, '--quiet', ...a])).stdout.trim();
    expect(await q('--cca-data-order', 'ascending')).toBe(rimOf('sha-256', [head, DATA[1]!, DATA[0]!, DATA[2]!, REC]));
    expect(await q('--cca-rec-order', 'directive')).toBe(rimOf('sha-256', [head, ...DATA, REC]));
    expect(await q('--cca-unmeasured', 'skip')).toBe(rimOf('sha-256', [head, DATA[0]!, DATA[1]!, REC]));
  });

  it('misuse is exit 2, a platform the rules reject is exit 3', async () => {
    const path = write('u.igvm', 0);
    for (const a of [
      ['--rmm', 'rmm-3'],
      ['--rmm', 'rmm-1.0'],
      ['--cca-sve-vl', '100'],
      ['--cca-ipa-bits', '70'],
      ['--cca-breakpoints', '0'],
      ['--cca-data-order', 'random'],
      ['--cca-data-order', 'ascending', '--cca-rec-order', 'directive'],
      ['--cca-ram', '0x1000'],
    ]) {
      const r = await cli(['measure', path, ...a]);
      expect(r.code, a.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
    const steps = join(dir, 's.json');
    writeFileSync(steps, JSON.stringify({ hash_algorithm: 'sha-256', steps: [{ op: 'realm_create', rule: 'rmm-2.0' }] }));
    expect((await cli(['measure', '--steps', steps, '--rmm', 'rmm-2.0'])).code).toBe(2);
    const bad = join(dir, 'bad.igvm');
    writeFileSync(
      bad,
      new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
        .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 40n })
        .ccaPolicy({ compatibilityMask: 1, hashAlgorithm: 9 })
        .toBytes(),
    );
    const r = await cli(['measure', bad]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/InvalidCcaLaunch: UnknownHashAlgorithm/);
  });

  it('--help names the CCA options and says the conventions are inferred', async () => {
    const h = await cli(['measure', '--help']);
    for (const o of ['--rmm', '--cca-ipa-bits', '--cca-breakpoints', '--cca-sve-vl', '--cca-pmu-counters', '--cca-ram', '--cca-data-order', '--cca-rec-order', '--cca-zero-pages', '--cca-unmeasured']) {
      expect(h.stdout).toContain(o);
    }
    expect(h.stdout).toMatch(/no CCA loader exists yet/);
  });
});
