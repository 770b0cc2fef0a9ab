/**
 * What a rewrite (`sign`, `embed`) writes: a file that parses again, here and upstream (a file
 * with no file data at all is rejected by upstream's parser, spec/igvm-format.md §2.6 step 6 and
 * §17 item 2, so the writer adds one unreferenced byte, which §9 permits); an ID block whose
 * launch digest is that of the bytes written even when FILE changes after it was parsed; FILE's
 * data read once; and a FILE that shrinks while it is copied named as such, with OUT untouched.
 *
 * Launch digests are computed independently by the PAGE_INFO reference of
 * test/helpers/page-info.ts (spec/snp.md §1–§2); file layouts are read with the spec's offsets.
 */
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signCommand, signWritten } from '../../src/cli/sign.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { rewriteIgvmFile } from '../../src/cli/rewrite.js';
import { IgvmBuilder, parseIgvm, type PageDataHeader, type SnpIdBlockHeader } from '../../src/index.js';
import { bufferSource, type ByteSource } from '../../src/format/source.js';
import { IgvmRewriteError, reparseWritten, writeIgvmTo } from '../../src/node/igvm-rewrite.js';
import { draftSignedIgvm } from '../../src/sign/sign-igvm.js';
import { loadPrivateKey } from '../../src/sign/keys.js';
import * as C from '../helpers/craft.js';
import { expectedLaunchDigest, page4k } from '../helpers/page-info.js';
import { runCommand } from '../helpers/run-command.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-rewrite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = join(dir, 'id.pem');
writeFileSync(KEY, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const idBlock = (b: Uint8Array): SnpIdBlockHeader => parseIgvm(b).directives.find((d): d is SnpIdBlockHeader => d.kind === 'SNP_ID_BLOCK')!;
const noTempFiles = (): void => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
const io = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };

describe('a written file always has file data (§2.6 step 6)', () => {
  it('sign: a valid input that refers to no file data becomes a file that parses and verifies', async () => {
    // An SEV_SNP platform, its policy and one zero page (file_offset 0); the file data section
    // is one byte no header refers to, which keeps the input valid.
    const input = C.craftIgvm({ data: Uint8Array.of(0), headers: [C.platform(), C.guestPolicy(), C.pageData({ gpa: 0n, fileOffset: 0 })] });
    expect(() => parseIgvm(input)).not.toThrow();
    const inPath = join(dir, 'no-data.igvm');
    writeFileSync(inPath, input);
    const outPath = join(dir, 'no-data-signed.igvm');
    const r = await runCommand(signCommand, [inPath, '-o', outPath, '--id-key', KEY]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = new Uint8Array(readFileSync(outPath));
    // variable_header_offset + variable_header_size < total_file_size (§2.6 step 6).
    expect(u32(out, 8) + u32(out, 12)).toBeLessThan(u32(out, 0x10));
    expect(u32(out, 0x10)).toBe(out.length);
    // spec/snp.md §2.2: a data-less NORMAL page is measured as 4 KiB of zeros.
    expect(hex(idBlock(out).ld)).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0n }]));
    expect((await runCommand(verifyCommand, [outPath])).code).toBe(0);
    noTempFiles();
  });

  it('serializeIgvm: a file of zero pages gets one unreferenced byte and parses', () => {
    const bytes = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'NATIVE' }).pageData({ gpa: 0n, compatibilityMask: 1 }).toBytes();
    expect(bytes.length).toBe(u32(bytes, 8) + u32(bytes, 12) + 1);
    expect(parseIgvm(bytes).directives).toHaveLength(1);
  });

  it('a written file that does not parse is a typed error, not an output', () => {
    const garbage = bufferSource(new Uint8Array(64));
    expect(() => reparseWritten(garbage, 'OUT')).toThrow(expect.objectContaining({ name: 'IgvmRewriteError', code: 'WrittenFileInvalid' }));
  });
});

// ---- FILE changing under a rewrite ----------------------------------------------------------

const OLD = page4k([1, 2, 3]);
const NEW = page4k([9, 9, 9]);
function snpInput(name: string): { path: string; pageOffset: number } {
  const bytes = new IgvmBuilder()
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
    .guestPolicy({ policy: 0x30000n, compatibilityMask: 1 })
    .pageData({ gpa: 0x1000n, compatibilityMask: 1, data: OLD })
    .toBytes();
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const page = parseIgvm(bytes).directives.find((d): d is PageDataHeader => d.kind === 'PAGE_DATA')!;
  return { path, pageOffset: page.fileOffset };
}

function overwrite(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

describe('sign measures what it writes', () => {
  it('FILE changed after it was parsed: the ID block covers the bytes written, and OUT verifies', async () => {
    const { path, pageOffset } = snpInput('changing.igvm');
    const outPath = join(dir, 'changing-signed.igvm');
    const idKey = await loadPrivateKey(readFileSync(KEY));
    const options = { idKey, profile: 'igvm' as const };
    await rewriteIgvmFile(
      path,
      outPath,
      (file) => {
        // The page changes on disk between the parse and the copy.
        overwrite(path, pageOffset, NEW);
        return draftSignedIgvm(file, options);
      },
      signWritten(options, 'igvm', outPath, io),
    );
    const out = new Uint8Array(readFileSync(outPath));
    const page = parseIgvm(out).directives.find((d): d is PageDataHeader => d.kind === 'PAGE_DATA')!;
    expect(hex(page.data.bytes())).toBe(hex(NEW));
    expect(hex(idBlock(out).ld)).toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x1000n, contents: NEW }]));
    expect(hex(idBlock(out).ld)).not.toBe(expectedLaunchDigest([{ type: 'NORMAL', gpa: 0x1000n, contents: OLD }]));
    expect((await runCommand(verifyCommand, [outPath])).code).toBe(0);
    noTempFiles();
  });

  it('FILE truncated while it is copied: InputChanged, OUT untouched, no temporary file left', async () => {
    const { path, pageOffset } = snpInput('shrinking.igvm');
    const outPath = join(dir, 'shrinking-signed.igvm');
    writeFileSync(outPath, 'old output');
    const idKey = await loadPrivateKey(readFileSync(KEY));
    const options = { idKey, profile: 'igvm' as const };
    const run = rewriteIgvmFile(
      path,
      outPath,
      (file) => {
        truncateSync(path, pageOffset + 100);
        return draftSignedIgvm(file, options);
      },
      signWritten(options, 'igvm', outPath, io),
    );
    await expect(run).rejects.toThrow(IgvmRewriteError);
    await expect(run).rejects.toMatchObject({ code: 'InputChanged' });
    expect(readFileSync(outPath, 'utf8')).toBe('old output');
    noTempFiles();
    unlinkSync(outPath);
  });
});

describe("FILE's data is read once, in bounded chunks", () => {
  it('every byte of the data section is read exactly once, in reads of at most 4 MiB', () => {
    // 1,500 distinct pages (5.9 MiB): more than one read window.
    const b = new IgvmBuilder().platform({ compatibilityMask: 1, platformType: 'NATIVE' });
    for (let i = 0; i < 1500; i++) b.pageData({ gpa: BigInt(i) * 0x1000n, compatibilityMask: 1, data: page4k([i & 0xff, i >> 8, 7]) });
    const bytes = b.toBytes();
    const file = parseIgvm(bytes);
    const inner = bufferSource(bytes);
    const reads: [number, number][] = [];
    const counting: ByteSource = {
      size: inner.size,
      read: (o, n) => (reads.push([o, n]), inner.read(o, n)),
      readInto: (o, t, to, n) => (reads.push([o, n]), inner.readInto!(o, t, to, n)),
    };
    // The parsed headers' data must come from the counting source: re-point them.
    const pages = file.directives.map((d) => (d.kind === 'PAGE_DATA' ? { ...d, data: { length: 4096, source: counting, sourceOffset: d.fileOffset, bytes: () => counting.read(d.fileOffset, 4096) } } : d));
    const outPath = join(dir, 'read-once.igvm');
    const fd = openSync(outPath, 'w+');
    try {
      writeIgvmTo(fd, { ...file, directives: pages }, { source: counting, what: 'FILE' });
    } finally {
      closeSync(fd);
    }
    const dataStart = file.source!.dataStart;
    expect(reads.reduce((n, [, len]) => n + len, 0)).toBe(bytes.length - dataStart);
    expect(Math.max(...reads.map(([, len]) => len))).toBeLessThanOrEqual(4 * 1024 * 1024);
    const sorted = [...reads].sort((a, b) => a[0] - b[0]);
    // Back to back from the data start: no byte read twice, none skipped.
    sorted.forEach(([o], i) => expect(o).toBe(i === 0 ? dataStart : sorted[i - 1]![0] + sorted[i - 1]![1]));
    // And the copy is the file (a fixed point of the writer, §12).
    expect(hex(readFileSync(outPath))).toBe(hex(bytes));
  });
});
