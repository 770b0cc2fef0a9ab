/**
 * Every hash path gives upstream's digests: the native batch kernels (when built), the
 * JavaScript batch kernels over node:crypto and over @noble/hashes (the portable backend),
 * and the per-step reference models (the trace path). Expected values: upstream's JSON in
 * ../shared/vectors/igvm, and the openvmm/spec vectors for a fresh clone.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultHashBackend,
  defaultKernels,
  jsKernels,
  measure,
  nobleHashBackend,
  parseIgvm,
  setDefaultHashBackend,
  type HashBackend,
  type HashKernels,
  type IgvmFile,
} from '../../src/index.js';
import { installNodeHashBackends, nodeKernels } from '../../src/node/backends.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { nativeKernels } from '../../src/node/native.js';
import { buildCapiTestFile } from '../../vectors/samples.js';
import { OPENVMM_DIGESTS, openvmmSnpVbsBytes } from '../helpers/openvmm.js';
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

describe.each(PATHS)('$name', (path) => {
  it('openvmm vectors: SNP 889a1938…, VBS 30134c9b… (snp.md §2.4, vbs-cca-corim.md §1.4)', () => {
    expect(digests(parseIgvm(openvmmSnpVbsBytes()), path)).toEqual(OPENVMM_DIGESTS);
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

describe('the default backend is injected (DESIGN.md "Conventions": no node: module in the core)', () => {
  it('the package root installs node:crypto and the Node kernels (node/backends.ts)', () => {
    expect(defaultHashBackend.name).toBe('node:crypto');
    expect(defaultKernels.name).toBe(nodeKernels.name);
  });

  it('with @noble/hashes installed instead (a runtime without node:crypto), the openvmm vectors still give 889a1938…, 30134c9b…', () => {
    setDefaultHashBackend(nobleHashBackend);
    try {
      expect(defaultKernels.name).toBe('js (@noble/hashes)');
      const r = measure(parseIgvm(openvmmSnpVbsBytes()));
      expect(r.platforms.map((p) => ('digest' in p ? hex(p.digest) : 'error' in p ? p.error.code : 'not measurable'))).toEqual(OPENVMM_DIGESTS);
    } finally {
      installNodeHashBackends();
    }
  });
});
