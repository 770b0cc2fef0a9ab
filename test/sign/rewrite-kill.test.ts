/**
 * A rewrite (`sign` here; `embed` shares its writer, src/cli/rewrite.ts) killed with SIGKILL
 * at any moment leaves the destination as it was or complete, never part of a file: OUT is
 * built as a temporary file in OUT's directory and renamed over OUT only once it is written,
 * parsed again and flushed (rename(2) replaces the name atomically). The built CLI runs as a
 * child process on a 16 MiB file and is killed at several moments, by the clock and by the
 * size of its temporary file; afterwards OUT holds the old bytes, or a file that parses and
 * whose ID block verifies (verify, spec/snp.md §3).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCommand } from '../../src/cli/verify.js';
import { IgvmBuilder, parseIgvm } from '../../src/index.js';
import { runCommand } from '../helpers/run-command.js';
import { REPO_ROOT } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-kill-'));
const KEY = join(dir, 'id.pem');
const INPUT = join(dir, 'input.igvm');
const OUT = join(dir, 'out.igvm');
const OLD = Buffer.from('the old destination\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setUp(): void {
  writeFileSync(KEY, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  const data = randomBytes(4096 * 4096);
  const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'SEV_SNP' }).guestPolicy({ policy: 0x30000n, compatibilityMask: 1 });
  for (let i = 0; i < 4096; i++) b.pageData({ gpa: BigInt(i) * 0x1000n, compatibilityMask: 1, data: data.subarray(i * 4096, (i + 1) * 4096) });
  writeFileSync(INPUT, b.toBytes());
}

const temps = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

/** A moment of the rewrite, seen from outside: how big its temporary file is. */
type Stage = 'temp-file' | 'half-copied' | 'copied';
const STAGE_BYTES: Record<Stage, number> = { 'temp-file': 0, 'half-copied': 8 << 20, copied: 16 << 20 };

const tempSize = (): number => {
  const t = temps()[0];
  try {
    return t === undefined ? -1 : statSync(join(dir, t)).size;
  } catch {
    return -1;
  }
};

/**
 * Runs `sign` and kills it `when`: ms after the start, or once its temporary file exists, holds
 * half of the data, or all of it (then OUT is being measured, signed and its header rewritten).
 * True when it was killed.
 */
function signKilled(when: number | Stage): Promise<boolean> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'sign', INPUT, '-o', OUT, '--id-key', KEY], { stdio: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    if (typeof when === 'string') {
      timer = setInterval(() => {
        if (tempSize() >= STAGE_BYTES[when]) child.kill('SIGKILL');
      }, 1);
    } else {
      timer = setTimeout(() => child.kill('SIGKILL'), when);
    }
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      clearTimeout(timer);
      resolvePromise(signal === 'SIGKILL');
    });
  });
}

/** OUT is the old bytes, or a whole signed file that parses and verifies. */
async function expectOldOrNew(): Promise<'old' | 'new'> {
  const bytes = readFileSync(OUT);
  if (bytes.equals(OLD)) return 'old';
  const file = parseIgvm(new Uint8Array(bytes));
  expect(file.directives.some((d) => d.kind === 'SNP_ID_BLOCK')).toBe(true);
  expect((await runCommand(verifyCommand, [OUT])).code).toBe(0);
  return 'new';
}

describe.skipIf(!existsSync(BIN))('sign killed with SIGKILL (the built executable)', () => {
  it('leaves the old destination or a complete, verifying one at every moment', async () => {
    setUp();
    const outcomes: string[] = [];
    for (const when of [0, 100, 'temp-file', 'half-copied', 'copied', 400, 800] as const) {
      writeFileSync(OUT, OLD);
      const killed = await signKilled(when);
      outcomes.push(`${when}: ${killed ? 'killed' : 'finished'}, ${await expectOldOrNew()}`);
      // A kill leaves the temporary file behind (nothing can run on SIGKILL); it is never OUT.
      for (const t of temps()) rmSync(join(dir, t));
    }
    // Killed while its temporary file was being written or checked, before the rename: the old bytes.
    for (const stage of ['temp-file', 'half-copied', 'copied']) expect(outcomes.find((o) => o.startsWith(`${stage}:`))).toMatch(/killed, old|finished, new/);
    // Not killed: the new file.
    writeFileSync(OUT, OLD);
    expect(await signKilled(60_000)).toBe(false);
    expect(await expectOldOrNew()).toBe('new');
    expect(temps()).toEqual([]);
  });
});
