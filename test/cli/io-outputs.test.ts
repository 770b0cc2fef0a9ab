/**
 * Outputs never lose an input (README "Files: inputs and outputs"): every output that is one of
 * its command's inputs — by the same path, through a symbolic link, or as a hard link — is
 * refused with exit 1 and the input left byte for byte as it was; outputs that exist and are not
 * regular files (a character device, a FIFO, a directory, a link to a process's stdout) are
 * refused, never replaced; an existing output keeps its permission bits; a failed write leaves no
 * temporary file and the old output in place. The rules are the (never lose a file), not
 * values of our own output.
 */
import { execFileSync } from 'node:child_process';
import type { webcrypto } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { writeFileAtomic } from '../../src/node/atomic-write.js';
import { InputError } from '../../src/node/input-error.js';
import { withInputRegistry } from '../../src/node/input-registry.js';
import { readInputBytes } from '../../src/node/read-input.js';
import { x509 } from '../../src/pki/x509.js';
import { openvmmSnpVbsBytes } from '../helpers/openvmm.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'igvm-io-out-'));
const at = (name: string): string => join(dir, name);
const IGVM = openvmmSnpVbsBytes();

/** A fresh copy of `bytes` under `name`, for a case that may (wrongly) overwrite it. */
function put(name: string, bytes: Uint8Array | string): string {
  writeFileSync(at(name), bytes);
  return at(name);
}

let p384Pem = '';
let rsaKeyPem = '';
let rsaCertPem = '';

beforeAll(async () => {
  const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  p384Pem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', ec.privateKey), 'PRIVATE KEY');
  const rsaAlg = { name: 'RSA-PSS', hash: 'SHA-384', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const rsa = (await crypto.subtle.generateKey(rsaAlg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=io test',
    keys: rsa,
    serialNumber: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: { name: 'RSA-PSS', saltLength: 48 } as webcrypto.Algorithm,
  });
  rsaKeyPem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', rsa.privateKey), 'PRIVATE KEY');
  rsaCertPem = cert.toString('pem');
});

/** The three ways an output can name an input: the same path, a symbolic link, a hard link. */
const ALIASES = ['path', 'symlink', 'hardlink'] as const;
function alias(input: string, how: (typeof ALIASES)[number], name: string): string {
  if (how === 'path') return input;
  const p = at(name);
  if (how === 'symlink') symlinkSync(input, p);
  else linkSync(input, p);
  return p;
}

/** Runs a case that must be refused: exit 1, the refusal named, every input unchanged. */
async function refused(args: string[], inputs: readonly string[]): Promise<void> {
  const before = inputs.map((p) => readFileSync(p));
  const r = await cli(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(/an input of this command/);
  inputs.forEach((p, i) => expect(readFileSync(p).equals(before[i]!), p).toBe(true));
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
}

describe('an output that is an input of its command is refused (path, symbolic link, hard link)', () => {
  for (const how of ALIASES) {
    it(`sign S -o KEY --id-key KEY (${how})`, async () => {
      const file = put(`s-${how}.igvm`, IGVM);
      const key = put(`s-${how}.pem`, p384Pem);
      await refused(['sign', file, '-o', alias(key, how, `s-${how}-out.pem`), '--id-key', key], [file, key]);
    });

    it(`sign S -o S (${how})`, async () => {
      const file = put(`ss-${how}.igvm`, IGVM);
      const key = put(`ss-${how}.pem`, p384Pem);
      const r = await cli(['sign', file, '-o', alias(file, how, `ss-${how}-out.igvm`), '--id-key', key]);
      // sign's own FILE check (a usage error) or the output rule (exit 1): either way nothing is written.
      expect([1, 2]).toContain(r.code);
      expect(readFileSync(file).equals(Buffer.from(IGVM))).toBe(true);
    });

    it(`reference IN -o IN (${how})`, async () => {
      const file = put(`r-${how}.igvm`, IGVM);
      await refused(['reference', file, '-o', alias(file, how, `r-${how}-out.igvm`)], [file]);
    });

    it(`sign --emit-author-tbs KEY --id-key KEY (${how})`, async () => {
      const key = put(`ea-${how}.pem`, p384Pem);
      await refused(['sign', '--emit-author-tbs', alias(key, how, `ea-${how}-out.pem`), '--id-key', key], [key]);
    });

    it(`sign --emit-tbs KEY --emit-author-tbs T --id-public-key KEY: refused although KEY is read after TBS is written (${how})`, async () => {
      const file = put(`et-${how}.igvm`, IGVM);
      const key = put(`et-${how}.pem`, p384Pem);
      await refused(['sign', file, '--emit-tbs', alias(key, how, `et-${how}-out.pem`), '--emit-author-tbs', at(`et-${how}.author`), '--id-public-key', key], [file, key]);
    });

    it(`reference --format corim -o KEY --sign KEY (${how})`, async () => {
      const file = put(`rk-${how}.igvm`, IGVM);
      const key = put(`rk-${how}.pem`, rsaKeyPem);
      const cert = put(`rk-${how}.crt`, rsaCertPem);
      await refused(['reference', file, '--format', 'corim', '--platform', 'snp', '-o', alias(key, how, `rk-${how}-out.pem`), '--sign', key, '--cert', cert], [file, key, cert]);
    });

    it(`reference --format corim -o X.cbor --cert X.cose (${how})`, async () => {
      const file = put(`rc-${how}.igvm`, IGVM);
      const key = put(`rc-${how}.pem`, rsaKeyPem);
      const cert = put(`rc-${how}.cose`, rsaCertPem);
      // The signature of OUT.cbor goes to OUT.cose: here the certificate itself (or a link to it).
      const out = how === 'path' ? at(`rc-${how}.cbor`) : at(`rc-${how}-l.cbor`);
      if (how !== 'path') alias(cert, how, `rc-${how}-l.cose`);
      await refused(['reference', file, '--format', 'corim', '--platform', 'snp', '-o', out, '--sign', key, '--cert', cert], [file, key, cert]);
    });

    it(`embed -o DOC --corim DOC (${how})`, async () => {
      const file = put(`e-${how}.igvm`, IGVM);
      const doc = at(`e-${how}.cbor`);
      expect((await cli(['reference', file, '--format', 'corim', '--platform', 'snp', '-o', doc])).code).toBe(0);
      await refused(['embed', file, '--corim', doc, '-o', alias(doc, how, `e-${how}-out.cbor`)], [file, doc]);
    });

    it(`embed -o FILE (${how})`, async () => {
      const file = put(`ef-${how}.igvm`, IGVM);
      const doc = at(`ef-${how}.cbor`);
      expect((await cli(['reference', file, '--format', 'corim', '--platform', 'snp', '-o', doc])).code).toBe(0);
      await refused(['embed', file, '--corim', doc, '-o', alias(file, how, `ef-${how}-out.igvm`)], [file, doc]);
    });
  }

  it('the same commands with distinct outputs succeed (the refusals above are about aliasing only)', async () => {
    const file = put('ok.igvm', IGVM);
    const key = put('ok.pem', p384Pem);
    expect((await cli(['sign', file, '-o', at('ok-signed.igvm'), '--id-key', key])).code).toBe(0);
    expect((await cli(['reference', file, '-o', at('ok.json')])).code).toBe(0);
    expect((await cli(['reference', file, '-o', at('ok.json')])).code).toBe(0); // a new run may replace its own earlier output
  });
});

describe('outputs that exist and are not regular files are refused, never replaced', () => {
  const cases: Array<[string, () => string]> = [
    ['a character device (/dev/null)', () => '/dev/null'],
    [
      'a FIFO',
      () => {
        const p = at('out.fifo');
        execFileSync('mkfifo', [p]);
        return p;
      },
    ],
    [
      'a directory',
      () => {
        const p = at('out.dir');
        mkdirSync(p);
        return p;
      },
    ],
    [
      "a symbolic link to the process's stdout",
      () => {
        const p = at('out.stdout');
        symlinkSync('/proc/self/fd/1', p);
        return p;
      },
    ],
    [
      'a symbolic link to nothing',
      () => {
        const p = at('out.dangling');
        symlinkSync(at('no-such-target'), p);
        return p;
      },
    ],
  ];
  for (const [what, make] of cases) {
    it(`sign -o ${what}: exit 1`, async () => {
      const out = make();
      const before = statSync(out, { throwIfNoEntry: false });
      const r = await cli(['sign', put('dev.igvm', IGVM), '-o', out, '--id-key', put('dev.pem', p384Pem)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/(character device|FIFO|directory|not a regular file); |links to|symbolic link to nothing/);
      const after = statSync(out, { throwIfNoEntry: false });
      expect(after?.ino).toBe(before?.ino);
      expect(after?.mode).toBe(before?.mode);
    });
  }
});

describe('replacing an existing output', () => {
  it('keeps its permission bits (0600 stays 0600, 0640 stays 0640)', async () => {
    for (const mode of [0o600, 0o640, 0o755]) {
      const out = put(`mode-${mode.toString(8)}.json`, 'old');
      chmodSync(out, mode);
      expect((await cli(['reference', put('mode.igvm', IGVM), '-o', out])).code).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(mode);
      expect(JSON.parse(readFileSync(out, 'utf8')).reference_values.length).toBe(2);
    }
  });

  it('writes through a symbolic link to a regular file, which stays a link', async () => {
    const real = put('through.json', 'old');
    const link = at('through-link.json');
    symlinkSync(real, link);
    expect((await cli(['reference', put('through.igvm', IGVM), '-o', link])).code).toBe(0);
    expect(statSync(link).ino).toBe(statSync(real).ino);
    expect(JSON.parse(readFileSync(real, 'utf8')).reference_values.length).toBe(2);
  });
});

describe('a failed write leaves the old output and no temporary file', () => {
  it('an error from the data being written: rethrown as it is, target unchanged, no .tmp', async () => {
    const sub = mkdtempSync(join(dir, 'fail-'));
    const out = join(sub, 'out.bin');
    writeFileSync(out, 'old');
    const boom = new Error('the producer failed');
    function* chunks(): Generator<Uint8Array> {
      yield new Uint8Array(3 << 20);
      throw boom;
    }
    await expect(writeFileAtomic(out, chunks())).rejects.toBe(boom);
    expect(readFileSync(out, 'utf8')).toBe('old');
    expect(readdirSync(sub)).toEqual(['out.bin']);
  });

  it('a check that fails on the complete temporary file: nothing renamed, no .tmp; a passing check sees the bytes', async () => {
    const sub = mkdtempSync(join(dir, 'check-'));
    const out = join(sub, 'out.bin');
    writeFileSync(out, 'old');
    const bad = new Error('does not re-parse');
    await expect(writeFileAtomic(out, [new TextEncoder().encode('new')], { check: () => Promise.reject(bad) })).rejects.toBe(bad);
    expect(readFileSync(out, 'utf8')).toBe('old');
    expect(readdirSync(sub)).toEqual(['out.bin']);
    let seen = '';
    await writeFileAtomic(out, [new TextEncoder().encode('new')], { check: (tmp) => void (seen = readFileSync(tmp, 'utf8')) });
    expect(seen).toBe('new');
    expect(readFileSync(out, 'utf8')).toBe('new');
    expect(readdirSync(sub)).toEqual(['out.bin']);
  });

  it('a run refuses a second write to one output, and an output equal to an input read in the same run', async () => {
    const sub = mkdtempSync(join(dir, 'twice-'));
    const input = join(sub, 'in.bin');
    writeFileSync(input, 'input');
    await withInputRegistry(async () => {
      readInputBytes(input, { label: '--thing' });
      await expect(writeFileAtomic(input, [new Uint8Array(1)])).rejects.toMatchObject({ code: 'OutputIsInput' });
      await writeFileAtomic(join(sub, 'out.bin'), [new Uint8Array(1)]);
      await expect(writeFileAtomic(join(sub, 'out.bin'), [new Uint8Array(1)])).rejects.toBeInstanceOf(InputError);
    });
    expect(readFileSync(input, 'utf8')).toBe('input');
  });
});
