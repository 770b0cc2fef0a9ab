/**
 * "Did you mean": the edit distance and the dispatcher's messages for unknown commands and
 * options. Distances are Wikipedia's worked examples ("Levenshtein distance": kitten → sitting
 * is 3; "Damerau–Levenshtein distance": the optimal string alignment distance of CA → ABC is 3,
 * and a transposition costs 1).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { closest, editDistance } from '../../src/cli/suggest.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

describe('editDistance', () => {
  it('matches the textbook examples', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('CA', 'ABC')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
  it('suggests a near name or a unique prefix, and nothing for an unrelated word', () => {
    expect(closest('--plaform', ['--platform', '--profile'])).toBe('--platform');
    expect(closest('--prof', ['--platform', '--profile'])).toBe('--profile');
    expect(closest('--xyzzy', ['--platform', '--profile'])).toBeUndefined();
  });
});

describe('unknown commands and options', () => {
  it('an unknown command: exit 2, the closest command named', async () => {
    const r = await cli(['mesure', 'x.igvm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'mesure'; did you mean 'measure'?");
    const h = await cli(['help', 'reprot']);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain("did you mean 'report'?");
  });
  it("an unknown option: exit 2, the command's closest option, not parseArgs' text", async () => {
    const r = await cli(['measure', 'x.igvm', '--plaform', 'snp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--plaform'; did you mean '--platform'?");
    expect(r.stderr).not.toContain('To specify a positional argument');
    const c = await cli(['compare', '--evidense', 'e']);
    expect(c.stderr).toContain("did you mean '--evidence'?");
    const s = await cli(['inspect', 'x.igvm', '-Z']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("unknown option '-Z'");
  });
  it('an option without its value, and a flag with one', async () => {
    const m = await cli(['measure', 'x.igvm', '--platform']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('--platform needs a value');
    const j = await cli(['measure', 'x.igvm', '--json=yes']);
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('--json takes no value');
  });
  it('lists -V/--version and -h/--help in the general help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-V, --version/);
    expect(r.stdout).toMatch(/-h, --help/);
  });
});
