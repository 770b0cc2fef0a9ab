/**
 * `measure --steps` with SEV-SNP inputs (src/cli/measure-steps.ts, measure/snp-steps.ts) through
 * the dispatcher: the trace `measure --trace --platform snp` prints for every upstream vector
 * with an SEV-SNP digest, fed back to `--steps`, gives the launch digest upstream's measurement
 * module wrote in the vector's JSON (../shared/vectors/igvm, vectors/SOURCES.md); an edited
 * trace gives another digest and `first_divergence` names the edited step; the spec/snp.md §1.2
 * worked step as a hand-written list; bad lists and traces are exit 1 with a typed code, misuse
 * exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, upstreamIgvmVectors, type UpstreamJson } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-steps-snp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

interface SnpJsonEntry {
  platform_type: string;
  algorithm: string;
  digest: string;
  expected_digest?: string;
  matches_expected?: boolean;
  first_divergence?: { step: number; index: number; line?: number; expected: string; actual: string };
}

async function stepsJson(path: string): Promise<SnpJsonEntry> {
  const r = await cli(['measure', '--steps', path, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { platforms: SnpJsonEntry[] };
  expect(doc.platforms).toHaveLength(1);
  return doc.platforms[0]!;
}

/** The `measure --trace --platform snp` output of a shared IGVM file. */
async function traceOf(rel: string): Promise<string> {
  const r = await cli(['measure', '--trace', '--platform', 'snp', join(SHARED_VECTORS, rel)]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

sharedNotice('measure --steps (SEV-SNP traces)');

describe.skipIf(!HAVE_SHARED)('measure --steps: replayed SEV-SNP traces give upstream\'s launch digests', () => {
  it('every upstream vector with an SEV-SNP digest', async () => {
    let replayed = 0;
    for (const v of upstreamIgvmVectors()) {
      // The independent value: upstream's measurement module's digest (vectors/SOURCES.md).
      const upstream = sharedJson<UpstreamJson>(v.json).platforms.find((p) => p.platform_type === 'SEV_SNP')?.snp_launch_digest;
      if (upstream === undefined) continue;
      const trace = await traceOf(v.igvm);
      const entry = await stepsJson(write(`${v.name}.trace`, trace));
      expect(entry.platform_type, v.name).toBe('SEV_SNP');
      expect(entry.algorithm, v.name).toBe('sha384');
      expect(entry.digest, v.name).toBe(upstream);
      expect(entry.first_divergence, v.name).toBeUndefined();
      expect(entry.matches_expected, v.name).toBe(true);
      const quiet = await cli(['measure', '--steps', write(`${v.name}.trace`, trace), '--quiet']);
      expect(quiet.stdout, v.name).toBe(`${upstream}\n`);
      replayed++;
    }
    // seed1/seed2 _00, _04, _06, _07 and the COCONUT file (their JSONs' snp_launch_digest).
    expect(replayed).toBe(9);
  });

  it('a replay with --trace is itself the same trace (step lines unchanged), so replays can be chained', async () => {
    const trace = await traceOf('igvm/upstream/seed1_06_vbs_cpuid_page_panic.igvm');
    const r = await cli(['measure', '--steps', write('replay.trace', trace), '--trace']);
    expect(r.code, r.stderr).toBe(0);
    const steps = (t: string): string[] => t.split('\n').filter((l) => l.includes('"type":"step"'));
    expect(steps(r.stdout)).toEqual(steps(trace));
    const again = await stepsJson(write('replay2.trace', r.stdout));
    // upstream/seed1_06_vbs_cpuid_page_panic.json: SEV_SNP snp_launch_digest.
    expect(again.digest).toBe(sharedJson<UpstreamJson>('igvm/upstream/seed1_06_vbs_cpuid_page_panic.json').platforms[0]!.snp_launch_digest);
  });

  it('an edited step: another digest, and first_divergence names that step and its line', async () => {
    const upstream = sharedJson<UpstreamJson>('igvm/upstream/seed1_00_snp.json').platforms[0]!.snp_launch_digest!;
    const lines = (await traceOf('igvm/upstream/seed1_00_snp.igvm')).split('\n');
    const stepLines = lines.filter((l) => l.includes('"type":"step"'));
    expect(stepLines.length).toBeGreaterThan(5);
    // Edit the contents of the first NORMAL step after the fourth line.
    const k = lines.findIndex((l, i) => i >= 4 && l.includes('"page_type":"NORMAL"'));
    expect(k).toBeGreaterThanOrEqual(4);
    const edited = JSON.parse(lines[k]!) as { step: number; contents: string };
    const step = edited.step;
    edited.contents = `${edited.contents.slice(0, 95)}${edited.contents.endsWith('0') ? '1' : '0'}`;
    lines[k] = JSON.stringify(edited);
    const path = write('edited.trace', lines.join('\n'));
    const entry = await stepsJson(path);
    expect(entry.digest).not.toBe(upstream);
    expect(entry.matches_expected).toBe(false);
    expect(entry.expected_digest).toBe(upstream);
    expect(entry.first_divergence).toMatchObject({ step, index: step - 1, line: k + 1 });
    // Text output: the digest on stdout, the diagnosis on stderr, exit 0.
    const text = await cli(['measure', '--steps', path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(entry.digest);
    expect(text.stderr).toContain(`step ${step} (line ${k + 1})`);
  });

  it('a deleted step line: the digest chain leaves the recording at that position', async () => {
    const lines = (await traceOf('igvm/upstream/seed2_00_snp.igvm')).split('\n');
    lines.splice(2, 1);
    const entry = await stepsJson(write('deleted.trace', lines.join('\n')));
    expect(entry.first_divergence).toMatchObject({ step: 3, index: 2, line: 3 });
  });

  it('a trace of all platforms, or of several files, is refused with exit 1 (BadTrace)', async () => {
    const all = await cli(['measure', '--trace', join(SHARED_VECTORS, 'igvm/upstream/seed1_04_multi.igvm')]);
    const r = await cli(['measure', '--steps', write('all.trace', all.stdout), '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('BadTrace');
    const two = await cli(['measure', '--trace', '--platform', 'snp', ...['seed1_00_snp', 'seed2_00_snp'].map((n) => join(SHARED_VECTORS, `igvm/upstream/${n}.igvm`))]);
    const r2 = await cli(['measure', '--steps', write('two.trace', two.stdout)]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/BadTrace.*(second file|after the result)/);
  });
});

// spec/snp.md §1.2: the worked single step (LD = 0, NORMAL page at 0xFFFFF000 whose SHA-384 is 161ace08…).
const OVMF_SUFFIX_HASH = '161ace084859674ded7322ad102eb33f49457e0f7845a8f9ad0e03a59eac3e3e360f8b78345363feaeac956ebba2d894';
const LD_AFTER_OVMF = '086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74';
const ok = { op: 'page_info', page_type: 'normal', gpa: '0xfffff000', contents: OVMF_SUFFIX_HASH };

describe('measure --steps: SEV-SNP step lists', () => {
  it('spec/snp.md §1.2: the worked step gives 086e2e91… in text, --quiet, --json and --trace', async () => {
    const path = write('spec.json', { platform: 'SEV_SNP', case: 'snp.md 1.2', steps: [ok] });
    const text = await cli(['measure', '--steps', path]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^SEV_SNP +1 steps +sha384 ${LD_AFTER_OVMF}\n$`));
    expect((await cli(['measure', '--steps', path, '--quiet'])).stdout).toBe(`${LD_AFTER_OVMF}\n`);
    expect((await cli(['measure', '--steps', path, '--quiet', '--output-format', 'base64'])).stdout).toBe(`${Buffer.from(LD_AFTER_OVMF, 'hex').toString('base64')}\n`);
    expect(await stepsJson(path)).toEqual({ platform_type: 'SEV_SNP', algorithm: 'sha384', digest: LD_AFTER_OVMF });
    const trace = (await cli(['measure', '--steps', path, '--trace'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(trace[0]).toMatchObject({ type: 'step', step: 1, platform: 'SEV_SNP', record: 'page_info', gpa: 0xfffff000, page_type: 'NORMAL', contents: OVMF_SUFFIX_HASH, digest: LD_AFTER_OVMF });
    expect(trace[1]).toMatchObject({ type: 'result', platform_type: 'SEV_SNP', digest: LD_AFTER_OVMF });
  });

  it('expected_digest is compared, not enforced: matches_expected, a note on stderr, exit 0', async () => {
    const other = 'ab'.repeat(48);
    const path = write('expected.json', { platform: 'SEV_SNP', expected_digest: other, steps: [ok] });
    expect(await stepsJson(path)).toMatchObject({ digest: LD_AFTER_OVMF, expected_digest: other, matches_expected: false });
    const text = await cli(['measure', '--steps', path]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(`expected_digest ${other}`);
  });

  it('refuses bad lists with exit 1 and a typed code', async () => {
    const list = (...steps: unknown[]): unknown => ({ platform: 'SEV_SNP', steps });
    const cases: Array<[unknown, string, RegExp]> = [
      [list(ok, { op: 'launch_update' }), 'UnknownOp', /step 1, field op/],
      [list({ ...ok, vmpl: 1 }), 'BadField', /step 0, field vmpl/],
      [list({ ...ok, gpa: true }), 'BadField', /step 0, field gpa/],
      [list({ ...ok, gpa: '0xfffff800' }), 'MisalignedGpa', /step 0, field gpa/],
      [list({ ...ok, contents: OVMF_SUFFIX_HASH.slice(0, 64) }), 'BadField', /step 0, field contents/],
      [list({ ...ok, page_type: 'PRIVATE' }), 'UnknownPageType', /step 0, field page_type/],
      [list({ ...ok, page_type: 9 }), 'UnknownPageType', /step 0, field page_type/],
      [{ platform: 'SEV_SNP', steps: Array.from({ length: (1 << 20) + 1 }, () => 0) }, 'BadStepList', /more than the limit/],
      [{ platform: 'TDX', steps: [] }, 'BadStepList', /platform/],
      [`${JSON.stringify({ type: 'step', platform: 'CCA', record: 'data' })}\n`, 'BadTrace', /CCA/],
    ];
    for (const [i, [value, code, message]] of cases.entries()) {
      const r = await cli(['measure', '--steps', write(`bad-${i}.json`, value), '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error|at .*\.ts:/);
      expect(JSON.parse(r.stdout)).toEqual({ error: { code, message: expect.stringMatching(message) as unknown, offset: null } });
    }
  });

  it('still reads CCA lists, with or without platform "CCA"', async () => {
    const create = { op: 'realm_create', rule: 'rmm-2.0' };
    for (const value of [{ hash_algorithm: 'sha-256', steps: [create] }, { platform: 'CCA', hash_algorithm: 'sha-256', steps: [create] }]) {
      const r = await cli(['measure', '--steps', write('cca.json', value), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { platforms: Array<{ platform_type: string }> }).platforms[0]!.platform_type).toBe('CCA');
    }
    // Unknown CCA field still refused by the CCA reader (a CCA list's `platform` is the only addition).
    expect((await cli(['measure', '--steps', write('cca-bad.json', { platform: 'CCA', hash_algorithm: 'sha-256', steps: [create], x: 1 })])).code).toBe(1);
  });

  it('is a usage error with --platform, FILE, or --json with --trace', async () => {
    const path = write('ok.json', { platform: 'SEV_SNP', steps: [ok] });
    expect((await cli(['measure', '--steps', path, '--platform', 'snp'])).code).toBe(2);
    expect((await cli(['measure', '--steps', path, 'x.igvm'])).code).toBe(2);
    expect((await cli(['measure', '--steps', path, '--json', '--trace'])).code).toBe(2);
  });
});
