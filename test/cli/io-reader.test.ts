/**
 * The Node layer's file adapters at the unit level (README "Files: inputs and outputs"): a file
 * that shrinks while it is read is a typed `Truncated` error, not an internal one; a signal
 * during a write removes the temporary file and still ends the process by that signal (the
 * convention of shells and `sort -o`: clean up, then re-raise); the KDS cache lives in the XDG
 * cache directory and treats what is not a regular file, or is over the cap, as absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileSource } from '../../src/node/file-source.js';
import { InputError } from '../../src/node/input-error.js';
import { defaultKdsCacheDir, readCache } from '../../src/node/kds.js';
import { readInputBytes } from '../../src/node/read-input.js';
import { REPO_ROOT } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'igvm-io-reader-'));

describe('reading', () => {
  it('a file that shrinks while it is read: InputError Truncated naming the file', () => {
    const p = join(dir, 'shrinks.bin');
    writeFileSync(p, new Uint8Array(64 * 1024));
    const source = openFileSource(p);
    try {
      expect(source.read(0, 4096).length).toBe(4096);
      truncateSync(p, 1000);
      let e: unknown;
      try {
        source.read(4096, 4096);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(InputError);
      expect(e).toMatchObject({ code: 'Truncated' });
      expect((e as Error).message).toMatch(/became shorter while it was read/);
    } finally {
      source.close();
    }
  });

  it('whole reads: exactly the file, growing buffers for inputs that report no size, the cap plus one byte at most', () => {
    const p = join(dir, 'whole.bin');
    const bytes = new Uint8Array(200_000).map((_, i) => i * 7);
    writeFileSync(p, bytes);
    expect(Buffer.from(readInputBytes(p, { label: '--x', cap: 200_000 })).equals(Buffer.from(bytes))).toBe(true);
    expect(() => readInputBytes(p, { label: '--x', cap: 199_999 })).toThrow(/larger than the 199999 bytes cap/);
    // /proc files report size 0: read in growing chunks, to the end.
    expect(readInputBytes('/proc/self/status', { label: '--x' }).length).toBeGreaterThan(0);
    expect(() => readInputBytes(join(dir, 'missing'), { label: '--x' })).toThrow(/no such file/);
  });
});

describe('a signal during a write', () => {
  const atomic = join(REPO_ROOT, 'dist/src/node/atomic-write.js');
  it.skipIf(!existsSync(atomic))('SIGTERM while the data is still coming: the temporary file is removed, the old output kept, the process ends by SIGTERM', async () => {
    const sub = mkdtempSync(join(dir, 'sig-'));
    const out = join(sub, 'out.bin');
    writeFileSync(out, 'old');
    // A producer that sends one chunk and then stalls (as a slow input would).
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(atomic)});
      async function* slow() { yield new Uint8Array(1 << 20); await new Promise((r) => setTimeout(r, 60000)); yield new Uint8Array(1); }
      await writeFileAtomic(${JSON.stringify(out)}, slow());
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const t0 = Date.now();
    while (!readdirSync(sub).some((n) => n.endsWith('.tmp'))) {
      if (Date.now() - t0 > 10_000) throw new Error('the temporary file never appeared');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
    expect(signal).toBe('SIGTERM');
    expect(readdirSync(sub)).toEqual(['out.bin']);
    expect(readFileSync(out, 'utf8')).toBe('old');
  });
});

describe('kill -9 during a write', () => {
  const atomic = join(REPO_ROOT, 'dist/src/node/atomic-write.js');
  it.skipIf(!existsSync(atomic))('leaves the old destination whole (only the temporary file can remain)', async () => {
    const sub = mkdtempSync(join(dir, 'kill-'));
    const out = join(sub, 'out.bin');
    writeFileSync(out, 'old');
    // 8 MiB written, then a stall: the temporary file holds part of the new output when killed.
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(atomic)});
      async function* slow() { for (let i = 0; i < 8; i++) yield new Uint8Array(1 << 20).fill(1); await new Promise((r) => setTimeout(r, 60000)); }
      await writeFileAtomic(${JSON.stringify(out)}, slow());
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const t0 = Date.now();
    const tmpSize = (): number => {
      const t = readdirSync(sub).find((n) => n.endsWith('.tmp'));
      return t === undefined ? -1 : statSync(join(sub, t)).size;
    };
    while (tmpSize() < 4 << 20) {
      if (Date.now() - t0 > 10_000) throw new Error('the write never got going');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(readFileSync(out, 'utf8')).toBe('old');
  });
});

describe('the KDS cache', () => {
  it('defaults to $XDG_CACHE_HOME/igvm-measure/kds, else ~/.cache/igvm-measure/kds (a relative XDG_CACHE_HOME is ignored, per the XDG spec)', () => {
    expect(defaultKdsCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/igvm-measure/kds');
    expect(defaultKdsCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/igvm-measure/kds');
    expect(defaultKdsCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.cache/igvm-measure/kds');
    expect(defaultKdsCacheDir({ HOME: '/home/u' }).startsWith(tmpdir())).toBe(false);
  });

  it('an entry that is not a regular file, or is larger than the cap, is absent', () => {
    const cache = mkdtempSync(join(dir, 'kds-'));
    const name = (url: string): string => join(cache, `${createHash('sha256').update(url).digest('hex')}.bin`);
    writeFileSync(name('https://a/ok'), 'body');
    expect(Buffer.from(readCache(cache, 'https://a/ok', 1024)!).toString()).toBe('body');
    expect(readCache(cache, 'https://a/ok', 3)).toBeUndefined();
    symlinkSync('/dev/zero', name('https://a/dev'));
    expect(readCache(cache, 'https://a/dev', 1024)).toBeUndefined();
    symlinkSync(name('https://a/ok'), name('https://a/link'));
    expect(readCache(cache, 'https://a/link', 1024)).toBeUndefined();
    expect(spawnSync('mkfifo', [name('https://a/fifo')]).status).toBe(0);
    expect(readCache(cache, 'https://a/fifo', 1024)).toBeUndefined();
    expect(readCache(cache, 'https://a/missing', 1024)).toBeUndefined();
  });
});
