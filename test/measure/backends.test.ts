/**
 * Every hash path gives upstream's digests: the native batch kernels (when built), the
 * JavaScript batch kernels over node:crypto and over @noble/hashes (the portable backend),
 * and the per-step reference models (the trace path). Expected values: upstream's JSON in
 * ../shared/vectors/igvm, and the openvmm/spec vectors for a fresh clone.
 */
import { describe, expect, it } from 'vitest';
import { IgvmBuilder, PageDataFlags, jsKernels, measure, nobleHashBackend, parseIgvm, type HashBackend, type HashKernels, type IgvmFile } from '../../src/index.js';
import { nodeHashBackend } from '../../src/measure/hash-node.js';
import { nativeKernels } from '../../src/measure/native.js';
import { buildCapiTestFile } from '../../vectors/samples.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice, upstreamIgvmVectors } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Path {
  name: string;
  hash: HashBackend;
  kernels?: HashKernels;
  trace?: boolean;
}

const PATHS: Path[] = [
  { name: 'js kernels over node:crypto', hash: nodeHashBackend, kernels: jsKernels(nodeHashBackend) },
  { name: 'js kernels over @noble/hashes', hash: nobleHashBackend, kernels: jsKernels(nobleHashBackend) },
  { name: 'reference models (trace path)', hash: nodeHashBackend, trace: true },
  ...(nativeKernels !== undefined ? [{ name: 'native kernels', hash: nodeHashBackend, kernels: nativeKernels }] : []),
];
if (nativeKernels === undefined) console.warn('[skip] native kernels: build/Release/igvm_hash.node is not built; its path is not tested here');

function digests(file: IgvmFile, path: Path): string[] {
  const r = measure(file, { hash: path.hash, ...(path.kernels ? { kernels: path.kernels } : {}), ...(path.trace ? { trace: () => {} } : {}) });
  return r.platforms.map((p) => ('digest' in p ? hex(p.digest) : 'error' in p ? p.error.code : 'not measurable'));
}

/** openvmm's page pattern (snp.md §2.4, vbs-cca-corim.md §1.4), for all three platforms at once. */
function openvmmFile(): IgvmFile {
  const b = new IgvmBuilder()
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 2, platformType: 'VSM_ISOLATION' })
    .guestPolicy({ policy: 0x3001f, compatibilityMask: 1 });
  const data = Uint8Array.of(0x00, 0x05);
  for (let page = 0; page <= 10; page++) {
    const withData = page === 0 || page === 5 || page === 10;
    b.pageData({ gpa: page * 0x1000, compatibilityMask: 3, ...(withData ? { data } : {}), flags: page >= 5 && page <= 9 ? PageDataFlags.UNMEASURED : 0 });
  }
  return parseIgvm(b.pageData({ gpa: 0x14000, compatibilityMask: 3, data, flags: PageDataFlags.SHARED }).toBytes());
}

describe.each(PATHS)('$name', (path) => {
  it('openvmm vectors: SNP 889a1938…, VBS 30134c9b… (snp.md §2.4, vbs-cca-corim.md §1.4)', () => {
    expect(digests(openvmmFile(), path)).toEqual([
      '889a19386c82e2219bded3e92a764e8c00c29b966d04a662bca6cfdfec647b9051995653390783846557913263d71c4f',
      '30134c9bb89cd72d8a418d1e7afb75927f45e8571dda7ac7be87d4b6c72ca64c',
    ]);
  });

  it('the C-API file gives VBS eadeac0d… (capi-test.json, vbs-cca-corim.md §1.4)', () => {
    expect(digests(parseIgvm(buildCapiTestFile()), path)).toEqual(['eadeac0d646af12097d798c06aae26f37a484c04482e88be2b81ed266f3e2275']);
  });

  sharedNotice('backends on upstream vectors');
  it.skipIf(!HAVE_SHARED)('every upstream vector gives upstream\'s digests', () => {
    for (const v of upstreamIgvmVectors()) {
      const expected = sharedJson<{ platforms: Array<{ snp_launch_digest?: string; tdx_mrtd?: string; vbs_digest?: string }> }>(v.json).platforms;
      const got = digests(parseIgvm(sharedBytes(v.igvm)), path);
      expected.forEach((e, i) => {
        const want = e.snp_launch_digest ?? e.tdx_mrtd ?? e.vbs_digest;
        if (want !== undefined) expect(got[i], `${v.name} platform ${i}`).toBe(want);
      });
    }
  });
});
