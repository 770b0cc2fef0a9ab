/**
 * Every input is read bounded (README "Files: inputs and outputs"): for every option that reads
 * a file, `/dev/zero` (a character device) is refused before it is read, and a FIFO whose writer
 * never stops ends in exit 1 within seconds (the reader stops at the cap of that kind of input,
 * or after the IGVM fixed header for FILE); an input one byte over its cap is refused with the
 * cap named, one at the cap is read; `-` reads standard input for FILE and EVIDENCE, and only
 * one input of a command may be `-` (exit 2). The caps are the README's; the rule that nothing
 * hangs or grows without bound is the issue's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { INPUT_CAPS } from '../../src/node/read-input.js';
import { x509 } from '../../src/pki/x509.js';
import { buildSampleFile } from '../../vectors/samples.js';
import { REPO_ROOT } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-io-in-'));
const at = (name: string): string => join(dir, name);
const igvm = at('sample.igvm');
writeFileSync(igvm, buildSampleFile());
let key = '';

beforeAll(async () => {
  const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  key = at('id.pem');
  writeFileSync(key, x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', ec.privateKey), 'PRIVATE KEY'));
});

const ZERO_MEASUREMENT = '00'.repeat(48);

/** Each option that reads a file, as a command line with `X` for the input under test. */
const READERS: ReadonlyArray<[string, () => string[]]> = [
  ['report verify --vcek', () => ['report', 'verify', at('ev.bin'), '--vcek', 'X']],
  ['report verify --chain', () => ['report', 'verify', at('ev.bin'), '--chain', 'X']],
  ['report verify --collateral', () => ['report', 'verify', at('ev.bin'), '--collateral', 'X']],
  ['report verify --root', () => ['report', 'verify', at('ev.bin'), '--root', 'X']],
  ['report verify --crl', () => ['report', 'verify', at('ev.bin'), '--crl', 'X']],
  ['report verify --policy', () => ['report', 'verify', at('ev.bin'), '--policy', 'X']],
  ['report show EVIDENCE', () => ['report', 'show', 'X']],
  ['report verify EVIDENCE', () => ['report', 'verify', 'X']],
  ['compare --evidence', () => ['compare', '--measurement', ZERO_MEASUREMENT, '--evidence', 'X']],
  ['sign --id-key', () => ['sign', igvm, '-o', at('never.igvm'), '--id-key', 'X']],
  ['sign FILE', () => ['sign', 'X', '-o', at('never.igvm'), '--id-key', key]],
  ['verify --trusted-id-key', () => ['verify', igvm, '--trusted-id-key', 'X']],
  ['embed --corim', () => ['embed', igvm, '--corim', 'X', '-o', at('never.igvm')]],
  ['measure --firmware', () => ['measure', '--firmware', 'X', '--vcpus', '1', '--vcpu-type', 'EPYC']],
  ['measure FILE', () => ['measure', 'X']],
  ['inspect FILE', () => ['inspect', 'X']],
  ['reference FILE', () => ['reference', 'X']],
];

/** More options that read a file; the same reader, so only the device case is run for them. */
const MORE_READERS: ReadonlyArray<[string, () => string[]]> = [
  ['sign --author-key', () => ['sign', igvm, '-o', at('never.igvm'), '--id-key', key, '--author-key', 'X']],
  ['sign --id-public-key', () => ['sign', igvm, '-o', at('never.igvm'), '--id-signature', key, '--id-public-key', 'X']],
  ['sign --id-signature', () => ['sign', igvm, '-o', at('never.igvm'), '--id-signature', 'X', '--id-public-key', key]],
  ['sign --author-signature', () => ['sign', igvm, '-o', at('never.igvm'), '--id-key', key, '--author-signature', 'X', '--author-public-key', key]],
  ['embed --corim-signature', () => ['embed', igvm, '--corim', igvm, '--corim-signature', 'X', '-o', at('never.igvm')]],
  ['reference --sign', () => ['reference', igvm, '--format', 'corim', '-o', at('never.cbor'), '--sign', 'X', '--cert', key]],
  ['verify --trusted-author-key', () => ['verify', igvm, '--trusted-author-key', 'X']],
  ['measure --ap-vmsa', () => ['measure', igvm, '--ap-vmsa', 'X']],
  ['compare --ap-vmsa', () => ['compare', '--measurement', ZERO_MEASUREMENT, '--evidence', at('ev.bin'), '--ap-vmsa', 'X']],
  ['measure --kernel', () => ['measure', '--firmware', igvm, '--vcpus', '1', '--vcpu-type', 'EPYC', '--kernel', 'X']],
  ['measure --initrd', () => ['measure', '--firmware', igvm, '--vcpus', '1', '--vcpu-type', 'EPYC', '--kernel', igvm, '--initrd', 'X']],
  ['measure --svsm', () => ['measure', '--firmware', igvm, '--vmm', 'coconut-qemu-2024', '--svsm', 'X', '--vars-size', '0x1000', '--vcpus', '1', '--vcpu-type', 'EPYC']],
];

const withInput = (args: string[], input: string): string[] => args.map((a) => (a === 'X' ? input : a));

describe('/dev/zero is refused at once for every option that reads a file (exit 1)', () => {
  for (const [name, args] of [...READERS, ...MORE_READERS]) {
    it(name, async () => {
      const t0 = Date.now();
      const r = await cli(withInput(args(), '/dev/zero'));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/\/dev\/zero is a character device/);
      expect(Date.now() - t0).toBeLessThan(5000);
    });
  }
  it('a directory likewise', async () => {
    const r = await cli(['report', 'show', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a directory/);
  });
});

const bin = join(REPO_ROOT, 'dist/src/cli/main.js');
const writers: ChildProcess[] = [];
afterAll(() => {
  for (const w of writers) if (w.exitCode === null) w.kill('SIGKILL');
});

/** A FIFO with a writer that sends zeros until the reader goes away (killed after the test at the latest). */
function endlessFifo(name: string): string {
  const p = at(name);
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  const w = spawn('sh', ['-c', 'exec cat /dev/zero > "$0"', p], { stdio: 'ignore' });
  writers.push(w);
  return p;
}

describe.skipIf(!existsSync(bin))('a FIFO that never stops sending ends in exit 1 within seconds (built CLI, child processes)', () => {
  READERS.forEach(([name, args], i) => {
    it(name, () => {
      const fifo = endlessFifo(`in-${i}.fifo`);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [bin, ...withInput(args(), fifo)], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
      expect(r.signal, 'killed by the timeout: the command hung').toBeNull();
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/larger than the \d+ [KMG]iB cap for|bad magic/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    });
  });
});

describe('caps: one byte over is refused with the cap named; at the cap the bytes are read', () => {
  it('--vcek: a certificate, 64 KiB', async () => {
    const over = at('vcek-over.pem');
    writeFileSync(over, new Uint8Array(INPUT_CAPS.certificate + 1));
    const r = await cli(['report', 'verify', at('ev.bin'), '--vcek', over]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--vcek ${over} is larger than the 64 KiB cap for a certificate`);
    const exact = at('vcek-exact.pem');
    writeFileSync(exact, new Uint8Array(INPUT_CAPS.certificate));
    const e = await cli(['report', 'verify', at('ev.bin'), '--vcek', exact]);
    expect(e.stderr).not.toMatch(/cap for/);
  });

  it('EVIDENCE: 1 MiB', async () => {
    const over = at('ev-over.bin');
    writeFileSync(over, new Uint8Array(INPUT_CAPS.evidence + 1));
    const r = await cli(['report', 'show', over]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is larger than the 1 MiB cap for evidence/);
    const exact = at('ev-exact.bin');
    writeFileSync(exact, new Uint8Array(INPUT_CAPS.evidence));
    expect((await cli(['report', 'show', exact])).stderr).not.toMatch(/cap for/);
  });

  it('--id-key: a key file, 64 KiB', async () => {
    const over = at('key-over.pem');
    writeFileSync(over, new Uint8Array(INPUT_CAPS.key + 1));
    const r = await cli(['sign', igvm, '-o', at('never.igvm'), '--id-key', over]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is larger than the 64 KiB cap for a key file/);
  });
});

describe.skipIf(!existsSync(bin))("'-' reads standard input (built CLI)", () => {
  const run = (args: string[], input: Uint8Array | string): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 20_000 });

  it('inspect - and measure - read an IGVM file from a pipe, with the results of the file itself', () => {
    const bytes = buildSampleFile();
    const fromPipe = run(['measure', '-', '--json'], bytes);
    const fromFile = spawnSync(process.execPath, [bin, 'measure', igvm, '--json'], { encoding: 'utf8' });
    expect(fromPipe.status, String(fromPipe.stderr)).toBe(0);
    const strip = (s: string): unknown => ({ ...(JSON.parse(s) as object), file: null, sha256: null });
    expect(strip(String(fromPipe.stdout))).toEqual(strip(String(fromFile.stdout)));
    const inspect = run(['inspect', '-', '--json'], bytes);
    expect(inspect.status).toBe(0);
    expect(JSON.parse(String(inspect.stdout)).counts).toEqual({ platform: 3, initialization: 2, directive: 13 });
  });

  it('a pipe longer than the IGVM total_file_size is refused; zeros stop after the fixed header', () => {
    const bytes = buildSampleFile();
    const longer = new Uint8Array(bytes.length + 10);
    longer.set(bytes);
    const r = run(['inspect', '-'], longer);
    expect(r.status).toBe(1);
    expect(String(r.stderr)).toMatch(/runs past the \d+ bytes of total_file_size/);
    expect(run(['inspect', '-'], new Uint8Array(1 << 20)).status).toBe(1);
  });

  it('report show - reads evidence from standard input', () => {
    const r = run(['report', 'show', '-'], new Uint8Array(INPUT_CAPS.evidence + 1));
    expect(r.status).toBe(1);
    expect(String(r.stderr)).toMatch(/evidence - \(standard input\) is larger than the 1 MiB cap/);
  });

  it("two inputs given as '-' are a usage error (exit 2)", () => {
    // The key is read from standard input first; FILE '-' then finds it taken.
    const pem = readFileSync(key);
    const r = run(['sign', '-', '-o', at('never.igvm'), '--id-key', '-'], pem);
    expect(r.status, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/both read standard input/);
    expect(run(['verify', '-', '--trusted-id-key', '-'], pem).status).toBe(2);
  });
});
