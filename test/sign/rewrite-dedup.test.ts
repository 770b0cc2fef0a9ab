/**
 * De-duplication of file data when a file is written (spec/igvm-format.md §12 step 4:
 * identical blobs share one copy, found by exact content) must stay linear whatever the pages
 * hold. The writer buckets blobs by a 32-bit FNV-style hash; pages are built here to collide
 * on it by construction (FNV's multiply by the odd FNV prime 0x01000193 is invertible modulo
 * 2^32, so the last word of a page can be chosen to reach any hash), all 4,096 in one bucket.
 * Expected layouts come from the spec's rule alone: distinct pages get consecutive offsets from
 * the data start, a repeated page the offset of its first copy.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../src/cli/sign.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { IgvmBuilder, parseIgvm, serializeIgvm, type PageDataHeader } from '../../src/index.js';
import { FileDataWriter, contentHash } from '../../src/format/file-data-writer.js';
import { runCommand } from '../helpers/run-command.js';

const FNV_PRIME = 0x01000193;
const FNV_OFFSET_BASIS = 0x811c9dc5;

/** The inverse of the FNV prime modulo 2^32 (Newton's iteration for odd numbers). */
function inverse(p: number): number {
  let x = p;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(p, x));
  return x >>> 0;
}

/** FNV-1a over little-endian 32-bit words, seeded with the length (the writer's bucket hash), written out here. */
function fnvWords(page: Uint8Array, words: number): number {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let h = FNV_OFFSET_BASIS ^ page.length;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ dv.getInt32(i * 4, true), FNV_PRIME);
  return h >>> 0;
}

/**
 * `count` distinct 4 KiB pages that all hash alike: zero but for word 1022 (a counter) and
 * word 1023 (chosen to reach the hash of page 0). They differ only at the end, so comparing two
 * of them reads the whole page.
 */
function collidingPages(count: number): Uint8Array[] {
  const first = new Uint8Array(4096);
  const target = fnvWords(first, 1024);
  const prefix = fnvWords(first, 1022);
  const pInv = inverse(FNV_PRIME);
  return Array.from({ length: count }, (_, i) => {
    const page = new Uint8Array(4096);
    const dv = new DataView(page.buffer);
    dv.setUint32(1022 * 4, i, true);
    const h1 = Math.imul(prefix ^ i, FNV_PRIME);
    dv.setInt32(1023 * 4, h1 ^ Math.imul(target, pInv), true);
    return page;
  });
}

const COUNT = 4096;
const PAGES = collidingPages(COUNT);

describe('de-duplication under crafted 32-bit hash collisions', () => {
  it('the pages do collide: one hash, written out here and as the writer computes it', () => {
    const target = fnvWords(PAGES[0]!, 1024);
    for (const p of [PAGES[1]!, PAGES[1000]!, PAGES[COUNT - 1]!]) expect(fnvWords(p, 1024)).toBe(target);
    expect(new Set(PAGES.map((p) => contentHash(p))).size).toBe(1);
    expect(new Set(PAGES.map((p) => Buffer.from(p).toString('base64'))).size).toBe(COUNT);
  });

  it('4,096 colliding pages are 4,096 blobs at consecutive offsets, a repeat shares its first copy, in linear time', () => {
    const start = 0x1000;
    const w = new FileDataWriter(start);
    const t0 = performance.now();
    const offsets = PAGES.map((p) => w.write(p));
    const repeats = [0, 17, 4095].map((k) => w.write(new Uint8Array(PAGES[k]!)));
    const ms = performance.now() - t0;
    expect(offsets).toEqual(PAGES.map((_, i) => start + i * 4096));
    expect(repeats).toEqual([0, 17, 4095].map((k) => start + k * 4096));
    expect(w.size).toBe(COUNT * 4096);
    // A scan of the bucket compares every page with every earlier one (8.4 million full-page
    // comparisons, about half a minute); bucketed by SHA-256 it is one hash per page.
    expect(ms).toBeLessThan(3000);
  });

  it('serializeIgvm of a file of colliding pages: one copy per distinct page, in header order (§12)', () => {
    const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'NATIVE' });
    PAGES.forEach((p, i) => b.pageData({ gpa: BigInt(i) * 0x1000n, compatibilityMask: 1, data: p }));
    b.pageData({ gpa: BigInt(COUNT) * 0x1000n, compatibilityMask: 1, data: PAGES[5]! });
    const t0 = performance.now();
    const bytes = serializeIgvm(b.build());
    expect(performance.now() - t0).toBeLessThan(5000);
    const file = parseIgvm(bytes);
    const pages = file.directives.filter((d): d is PageDataHeader => d.kind === 'PAGE_DATA');
    const dataStart = file.source!.dataStart;
    expect(pages.slice(0, COUNT).map((p) => p.fileOffset)).toEqual(PAGES.map((_, i) => dataStart + i * 4096));
    expect(pages[COUNT]!.fileOffset).toBe(dataStart + 5 * 4096);
    expect(bytes.length).toBe(dataStart + COUNT * 4096);
  });
});

describe('sign on a file of colliding pages (the streaming writer)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-rewrite-dedup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'id.pem');
  writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);

  it('keeps every page, shares only true repeats, and the signed file verifies', async () => {
    const b = new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
      .guestPolicy({ policy: 0x30000n, compatibilityMask: 1 });
    PAGES.forEach((p, i) => b.pageData({ gpa: BigInt(i) * 0x1000n, compatibilityMask: 1, data: p }));
    b.pageData({ gpa: BigInt(COUNT) * 0x1000n, compatibilityMask: 1, data: PAGES[7]! });
    const input = join(dir, 'colliding.igvm');
    writeFileSync(input, b.toBytes());
    const output = join(dir, 'signed.igvm');
    const t0 = performance.now();
    const r = await runCommand(signCommand, [input, '-o', output, '--id-key', key]);
    expect(performance.now() - t0).toBeLessThan(15000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const signed = parseIgvm(new Uint8Array(readFileSync(output)));
    const pages = signed.directives.filter((d): d is PageDataHeader => d.kind === 'PAGE_DATA');
    const dataStart = signed.source!.dataStart;
    pages.slice(0, COUNT).forEach((p, i) => {
      expect(p.fileOffset).toBe(dataStart + i * 4096);
      if (i % 511 === 0) expect(Buffer.from(p.data.bytes()).equals(Buffer.from(PAGES[i]!))).toBe(true);
    });
    expect(pages[COUNT]!.fileOffset).toBe(dataStart + 7 * 4096);
    expect((await runCommand(verifyCommand, [output])).code).toBe(0);
  });
});
