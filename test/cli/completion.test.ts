/**
 * `completion bash|zsh` and the man page: generated from the commands' option tables, so every
 * option of every command must appear; the bash script is checked by bash itself (`bash -n`,
 * then completing words with COMP_WORDS/COMP_CWORD as bash's programmable completion sets
 * them, bash(1) "Programmable Completion"), the man page by groff's man macros with warnings on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../src/cli/run.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const HAVE_BASH = has('bash');
const HAVE_ZSH = has('zsh');
const HAVE_GROFF = has('groff');
const dir = mkdtempSync(join(tmpdir(), 'igvm-completion-'));

/** Every listed command and its option names (`--name`, `-x`), from the option tables. */
async function optionTables(): Promise<Array<{ name: string; options: string[] }>> {
  const out = [];
  for (const c of COMMANDS.filter((e) => e.hidden !== true)) {
    const options = (await c.load()).options;
    out.push({ name: c.name, options: Object.entries(options).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]) });
  }
  return out;
}

describe.skipIf(!HAVE_BASH)('completion bash', async () => {
  const script = join(dir, 'igvm-measure.bash');
  const r = await cli(['completion', 'bash']);
  writeFileSync(script, r.stdout);
  /** COMPREPLY after completing the last of `words` (the command name first). */
  const complete = (words: string[]): string[] => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const run = spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _igvm_measure; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd: dir });
    expect(run.stderr).toBe('');
    return run.stdout.split('\n').filter((l) => l !== '');
  };

  it('is valid bash (bash -n) and exits 0', () => {
    expect(r.code).toBe(0);
    const n = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect([n.status, n.stderr]).toEqual([0, '']);
  });
  it("completes command names: 'me' offers measure", () => {
    expect(complete(['igvm-measure', 'me'])).toEqual(['measure']);
    expect(complete(['igvm-measure', 're'])).toEqual(['report', 'reference']);
    expect(complete(['igvm-measure', 'help', 'co'])).toEqual(['compare', 'completion']);
  });
  it("completes every command's options from its option table", async () => {
    expect(complete(['igvm-measure', 'measure', '--pl'])).toEqual(['--platform']);
    for (const c of await optionTables()) {
      const offered = complete(['igvm-measure', c.name, '-']);
      for (const o of [...c.options, '--help', '-h']) expect(offered, `${c.name} ${o}`).toContain(o);
    }
  });
  it('completes option values, actions and files', () => {
    expect(complete(['igvm-measure', 'measure', '--platform', 's'])).toEqual(['snp', 'sev', 'sev-es']);
    expect(complete(['igvm-measure', 'measure', '--profile', ''])).toEqual(['igvm', 'qemu', 'igvmmeasure']);
    expect(complete(['igvm-measure', 'report', ''])).toEqual(['show', 'verify']);
    expect(complete(['igvm-measure', 'report', 'show', 'igvm-measure.b'])).toEqual(['igvm-measure.bash']);
    expect(complete(['igvm-measure', 'measure', 'igvm-m'])).toEqual(['igvm-measure.bash']);
    expect(complete(['igvm-measure', 'report', '--vcek', 'igvm-m'])).toEqual(['igvm-measure.bash']);
  });
});

describe('completion zsh', () => {
  it("names every command and every option of each (and zsh -n accepts it, where zsh is installed)", async () => {
    const r = await cli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#compdef igvm-measure\n')).toBe(true);
    for (const c of await optionTables()) {
      expect(r.stdout).toContain(`    ${c.name})\n`);
      for (const o of c.options.filter((x) => x.startsWith('--'))) expect(r.stdout, `${c.name} ${o}`).toMatch(new RegExp(`[{,']${o}[=[,}]`));
    }
    if (HAVE_ZSH) {
      const script = join(dir, '_igvm-measure');
      writeFileSync(script, r.stdout);
      expect(spawnSync('zsh', ['-n', script], { encoding: 'utf8' }).status).toBe(0);
    }
  });
  it('an unknown shell is a usage error naming the ones there are', async () => {
    const r = await cli(['completion', 'bsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'bash'?");
    expect((await cli(['completion'])).code).toBe(2);
  });
});

describe('man page', () => {
  it('lists every option of every command, and groff reads it without a warning', async () => {
    const r = await cli(['man']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\.TH IGVM\\-MEASURE 1 /m);
    for (const c of await optionTables()) {
      expect(r.stdout).toContain(`.SS ${c.name}\n`);
      for (const o of c.options.filter((x) => x.startsWith('--'))) expect(r.stdout, `${c.name} ${o}`).toContain(`\\fB${o.replace(/-/g, '\\-')}\\fR`);
    }
    if (HAVE_GROFF) {
      const page = join(dir, 'igvm-measure.1');
      writeFileSync(page, r.stdout);
      const g = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', page], { encoding: 'utf8' });
      expect([g.status, g.stderr]).toEqual([0, '']);
    }
  });
  it('is hidden from the general help; completion is listed', async () => {
    const h = await cli(['--help']);
    expect(h.stdout).toMatch(/^ {2}completion /m);
    expect(h.stdout).not.toMatch(/^ {2}man /m);
  });
});
