/**
 * `measureFile` (src/node/measure-file.ts), the library form of the CLI's measure path, and
 * the file SHA-256 taken from the measurement's own reads (src/node/read-sha256.ts).
 * Expected values: the COCONUT file's digests as published in vectors/SOURCES.md, and for
 * the SHA-256 the digest node:crypto computes over the whole file in one call (OpenSSL,
 * independent of the read pattern under test).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSource } from '../../src/node/file-source.js';
import { measureFile } from '../../src/node/measure-file.js';
import { hashWhileReading } from '../../src/node/read-sha256.js';
import { mulberry32 } from '../helpers/prng.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedNotice } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hashWhileReading', () => {
  const size = 3 * 1024 * 1024 + 12345;
  const rand = mulberry32(7);
  const bytes = new Uint8Array(size).map(() => Math.floor(rand() * 256));
  const path = join(dir, 'data.bin');
  writeFileSync(path, bytes);
  const expected = createHash('sha256').update(bytes).digest('hex');

  const patterns: Record<string, (s: ReturnType<typeof openFileSource>) => void> = {
    'no reads': () => undefined,
    'sequential reads': (s) => {
      for (let o = 0; o < size; o += 4096) s.read(o, Math.min(4096, size - o));
    },
    'gaps, overlaps and reads behind': (s) => {
      s.read(0, 100);
      s.read(50, 200); // overlaps the hashed prefix
      s.readInto!(1_000_000, new Uint8Array(8192), 0, 8192); // a gap before it
      s.read(10, 10); // behind
      s.read(2_000_000, 1); // another gap
      s.read(size - 5, 5); // up to the end
    },
    'random reads': (s) => {
      for (let i = 0; i < 200; i++) {
        const o = Math.floor(rand() * (size - 4096));
        s.read(o, 1 + Math.floor(rand() * 4096));
      }
    },
  };
  for (const [name, reads] of Object.entries(patterns)) {
    it(`gives the file's SHA-256 after ${name}`, () => {
      const inner = openFileSource(path);
      try {
        const h = hashWhileReading(inner);
        reads(h.source);
        expect(h.sha256()).toBe(expected);
      } finally {
        inner.close();
      }
    });
  }
});

sharedNotice('measureFile');

describe.skipIf(!HAVE_SHARED)('measureFile', () => {
  it('measures the COCONUT file to SNP a6af498e…f389 and TDX 312edd42…052b (vectors/SOURCES.md), with its SHA-256', async () => {
    const path = join(SHARED_VECTORS, 'igvm/real/coconut-svsm-test.igvm');
    for (const threads of [1, 2]) {
      const r = await measureFile(path, { sha256: true, threads });
      const hex = (t: string): string | undefined => {
        const p = r.platforms.find((x) => x.platformType === t);
        return p && 'digest' in p ? Buffer.from(p.digest).toString('hex') : undefined;
      };
      expect(hex('SEV_SNP')).toMatch(/^a6af498e.*f389$/);
      expect(hex('TDX')).toMatch(/^312edd42.*052b$/);
      const { readFileSync } = await import('node:fs');
      expect(r.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
      expect(r.size).toBe(readFileSync(path).length);
    }
  });
});
