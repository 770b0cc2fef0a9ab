/**
 * SEV metadata sizes that nothing in the image bounds (spec/firmware-input.md §1.3; DESIGN.md
 * "never allocates proportional to a size field it has not checked"): a ZERO-page section's size
 * is a bare u32, so an 8 KiB image can claim 4 GiB of pages. Such a table is a typed
 * `FirmwareError` at the size field, from every loader and from the CLI, never a RangeError.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSevMetadata, measureFirmware, searchFirmwareSettings } from '../../src/firmware/index.js';
import { runCli } from '../../src/cli/run.js';
import { catchFirmwareError } from '../helpers/firmware-error.js';
import { ovmfImageWithSevMetadata } from '../helpers/ovmf-image.js';

// The ASEV table sits at image offset 0x100; its first section's size field at 0x100 + 16 + 4 (§1.3).
const FIRST_SIZE_FIELD = 0x114;
const huge = ovmfImageWithSevMetadata([[0, 0xff00f000, 1]]);

describe('SEV metadata section sizes are bounded (§1.3)', () => {
  it('a 0xff00f000-byte SNP_SEC_MEM section is ImageTooLarge at its size field, for every loader', () => {
    expect(catchFirmwareError(() => findSevMetadata(huge))).toMatchObject({ code: 'ImageTooLarge', offset: FIRST_SIZE_FIELD });
    for (const vmm of ['qemu', 'ec2', 'gce', 'krun'] as const) {
      const e = catchFirmwareError(() => measureFirmware(huge, { vmm, vcpus: 1, vcpuType: 'EPYC-v4' }));
      expect([vmm, e.code, e.offset]).toEqual([vmm, 'ImageTooLarge', FIRST_SIZE_FIELD]);
    }
    const svsm = catchFirmwareError(() => measureFirmware(new Uint8Array(0x1000), { vmm: 'coconut-qemu-2024', vcpus: 1, vcpuType: 'EPYC-v4', svsm: ovmfImageWithSevMetadata([[0, 0xff00f000, 1]], { svsmInfo: 0 }), varsSize: 0 }));
    expect(svsm.code).toBe('ImageTooLarge');
    expect(catchFirmwareError(() => searchFirmwareSettings({ kind: 'ovmf-snp', image: huge, vmm: 'qemu', vcpuSignature: 0x800f12 }, new Uint8Array(48))).code).toBe('ImageTooLarge');
  });

  it('the cap counts all sections together, and an explicit maxPages moves it', () => {
    // Two sections of 0x20000 pages each: 0x40000 in all is at the cap, one more page is over.
    const at = ovmfImageWithSevMetadata([[0, 0x2000_0000, 1], [0x2000_0000, 0x2000_0000, 1]]);
    expect(findSevMetadata(at)?.sections).toHaveLength(2);
    const over = ovmfImageWithSevMetadata([[0, 0x2000_0000, 1], [0x2000_0000, 0x2000_1000, 1]]);
    expect(catchFirmwareError(() => findSevMetadata(over))).toMatchObject({ code: 'ImageTooLarge', offset: FIRST_SIZE_FIELD + 12 });
    expect(catchFirmwareError(() => findSevMetadata(at, { maxPages: 0x3ffff })).code).toBe('ImageTooLarge');
    expect(catchFirmwareError(() => findSevMetadata(at, { maxPages: -1 })).code).toBe('InvalidHostParameter');
  });

  it('a section just under the cap measures (no stack overflow from its 0x40000 page steps)', () => {
    const big = ovmfImageWithSevMetadata([[0, 0x4000_0000, 1]]);
    const r = measureFirmware(big, { vcpus: 1, vcpuType: 'EPYC-v4' });
    expect(r.digest).toHaveLength(48);
  });

  it('the CLI reports it as invalid input (exit 1) with the code and offset, not an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igvm-measure-asev-'));
    const path = join(dir, 'huge.fd');
    writeFileSync(path, huge);
    let stdout = '';
    let stderr = '';
    const code = await runCli(['measure', '--firmware', path, '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--json'], {
      stdout: (s) => void (stdout += s),
      stderr: (s) => void (stderr += s),
      stderrIsTty: false,
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'ImageTooLarge', offset: FIRST_SIZE_FIELD });
    expect(stderr).not.toContain('internal error');
  });
});
