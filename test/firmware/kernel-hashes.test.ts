/**
 * The SEV kernel-hashes table and SNP page (spec/firmware-input.md §2.3). Expected values: the
 * §2.3 check values (kernel = initrd = empty, cmdline "console=ttyS0 loglevel=7"; reproduced there
 * with sev-snp-measure at 8f2b337) and the §2.3 layout table.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FirmwareError } from '../../src/firmware/errors.js';
import { sevHashTable, sevHashTablePage, sevKernelHashes } from '../../src/firmware/kernel-hashes.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** §2.3 check values. */
const TABLE_PREFIX = '06d63894224fc94cb479a793d411fd21a800d82dd097';
const PAGE_SHA384 = 'adbef9bc7385f7a6dcb8774523cf024b403f193a47962309b277c4109aa70b4ba0355d1657b50e9625d5bd1129e7fd27';

describe('kernel-hashes table (§2.3)', () => {
  const empty = new Uint8Array(0);
  const hashes = sevKernelHashes({ kernel: empty, initrd: empty, append: 'console=ttyS0 loglevel=7' }, nodeHashBackend);

  it('reproduces the §2.3 table prefix and page SHA-384 (hash table GPA page offset 0xC00)', () => {
    expect(hex(sevHashTable(hashes)).startsWith(TABLE_PREFIX)).toBe(true);
    const page = sevHashTablePage(hashes, 0x810c00);
    expect(createHash('sha384').update(page).digest('hex')).toBe(PAGE_SHA384);
  });

  it('lays the table out as §2.3 says: 168 bytes padded to 176, cmdline/initrd/kernel entries of 50', () => {
    const t = sevHashTable(hashes);
    expect(t.length).toBe(176);
    expect(t[16]! | (t[17]! << 8)).toBe(168);
    expect(hex(t.subarray(68, 84))).toBe('31f7ba442f3ad74b9af141e29169781d'); // initrd GUID, EFI byte order
    expect(hex(t.subarray(118, 134))).toBe('3794e74dd2ab7f42b835d5b172d2045b'); // kernel GUID
    for (const at of [18, 68, 118]) expect(t[at + 16]).toBe(50);
    expect(hex(t.subarray(36, 68))).toBe(sha256('console=ttyS0 loglevel=7\0'));
    expect(hex(t.subarray(86, 118))).toBe(sha256(''));
    expect([...t.subarray(168)]).toEqual(new Array(8).fill(0));
  });

  it('hashes a missing -append as one NUL and a missing initrd as the empty string (§2.3)', () => {
    const h = sevKernelHashes({ kernel: new Uint8Array([1, 2, 3]) }, nodeHashBackend);
    expect(hex(h.cmdline)).toBe(sha256('\0'));
    expect(hex(h.initrd)).toBe(sha256(''));
    expect(hex(h.kernel)).toBe(sha256(new Uint8Array([1, 2, 3])));
  });

  it('refuses a table that would cross its page end', () => {
    expect(() => sevHashTablePage(hashes, 0x810f80)).toThrow(FirmwareError);
  });
});
