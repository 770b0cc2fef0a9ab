/**
 * The batch kernels of the Arm CCA lane (measure/kernels.ts `sha256Slots`, `sha512Slots`,
 * `ccaDataChain`; native/igvm_hash.c) on every kernel path: the JS kernels over node:crypto and
 * over @noble/hashes, and the native addon when it is built. Expected values: the RIMs
 * veraison's cca-realm-measurements published for the launches of ../shared/vectors/cca
 * (`published_rim`, replayed with every run of DATA steps through the chain kernel), and for a
 * fresh clone node:crypto's digests of the granules and spec/cca.md §3.2's worked example (a).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CcaRealm, CCA_HASH_SIZES, type CcaStep } from '../../src/measure/cca.js';
import { readCcaStepList } from '../../src/measure/cca-steps.js';
import { nobleHashBackend } from '../../src/measure/hash-noble.js';
import { jsKernels, type HashKernels } from '../../src/measure/kernels.js';
import { nodeHashBackend } from '../../src/node/hash-node.js';
import { nativeKernels } from '../../src/node/native.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, whenShared } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const PATHS: Array<{ name: string; kernels: HashKernels }> = [
  { name: 'js kernels over node:crypto', kernels: jsKernels(nodeHashBackend) },
  { name: 'js kernels over @noble/hashes', kernels: jsKernels(nobleHashBackend) },
  ...(nativeKernels !== undefined ? [{ name: 'native kernels', kernels: nativeKernels }] : []),
];
if (nativeKernels === undefined) console.warn('[skip] native CCA kernels: the addon is not built');

/** Folds a step list with every run of DATA steps through `kernels` (granule hashes and chain). */
function foldWithKernels(kernels: HashKernels, hashAlgorithm: 'sha-256' | 'sha-384' | 'sha-512', steps: readonly CcaStep[]): Uint8Array {
  const realm = new CcaRealm({ hashAlgorithm, hash: nodeHashBackend });
  const size = CCA_HASH_SIZES[hashAlgorithm];
  let run: Array<Extract<CcaStep, { op: 'data' }>> = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const measured = Uint8Array.from(run, (s) => (s.measure ? 1 : 0));
    const gpas = BigUint64Array.from(run, (s) => s.ipa);
    const withContent = run.filter((s) => s.measure);
    // Granules with their contents go through the slot kernel; given hashes are used as they are.
    const pages = new Uint8Array(4096 * withContent.length);
    const slots = new Int32Array(withContent.length);
    withContent.forEach((s, i) => {
      if (s.content !== undefined) pages.set(s.content, 4096 * i);
      slots[i] = i;
    });
    const hashes = new Uint8Array(size * withContent.length);
    if (hashAlgorithm === 'sha-256') kernels.sha256Slots(pages, slots, hashes);
    else if (hashAlgorithm === 'sha-384') kernels.sha384Slots(pages, slots, hashes);
    else kernels.sha512Slots(pages, slots, hashes);
    withContent.forEach((s, i) => {
      if (s.contentHash !== undefined) hashes.set(s.contentHash, size * i);
    });
    realm.dataBatch(kernels, gpas, measured, hashes);
    run = [];
  };
  for (const step of steps) {
    if (step.op === 'data') {
      run.push(step);
      continue;
    }
    flush();
    realm.apply(step);
  }
  flush();
  return realm.measurement();
}

sharedNotice('CCA kernels on vectors/cca');
const LISTS = whenShared(() => readdirSync(join(SHARED_VECTORS, 'cca')).filter((f) => f.endsWith('.json')).sort()) ?? [];

describe.each(PATHS)('$name', ({ kernels }) => {
  it('sha256Slots and sha512Slots are node:crypto’s digests of each granule, -1 a zero granule', () => {
    const pages = Uint8Array.from({ length: 3 * 4096 }, (_, i) => (i * 31) & 0xff);
    const slots = Int32Array.from([2, -1, 0]);
    for (const [bits, f] of [
      [256, 'sha256Slots'],
      [512, 'sha512Slots'],
    ] as const) {
      const out = new Uint8Array((bits / 8) * 3);
      kernels[f](pages, slots, out);
      const want = [pages.subarray(2 * 4096, 3 * 4096), new Uint8Array(4096), pages.subarray(0, 4096)].map((p) => createHash(`sha${bits}`).update(p).digest('hex'));
      expect(hex(out)).toBe(want.join(''));
    }
  });

  it('spec/cca.md §3.2, RMM 2.0 rules: a measured granule of 0x11 at 0x80000000, then an unmeasured one, for each hash', () => {
    // The RIM after "2.0 (b-unmeasured)" in §3.2's tables.
    const want = {
      'sha-256': '6bcb4f7b25db5aceb7f25d3d28a7fa83fe2d8f011e4bf04947e209667049764b',
      'sha-384': 'debd5b004590a3a6de13d84f6fd13015e19f7d538be58c472956652603023ce096abb127a36ef4a2c33b426074e4019e',
      'sha-512': 'a32177dbc44a1253107d0dfc7bee34fcbd961ffc148ebc38cebe9856ac7171212cd6045e77e278ea6b84a7508ce9737a0a31e77bf4275436f4bd51f11c847855',
    } as const;
    for (const [hash, rim] of Object.entries(want) as Array<[keyof typeof want, string]>) {
      const list = readCcaStepList({
        hash_algorithm: hash,
        steps: [
          { op: 'realm_create', rule: 'rmm-2.0' },
          { op: 'data', ipa: 0x8000_0000, measure: true, content_b64: Buffer.alloc(4096, 0x11).toString('base64') },
          { op: 'data', ipa: 0x8000_1000, measure: false },
        ],
      });
      expect(hex(foldWithKernels(kernels, hash, list.steps)), hash).toBe(rim);
    }
  });

  it.skipIf(!HAVE_SHARED)('every vectors/cca launch replays to its published RIM with DATA through the chain kernel', () => {
    expect(LISTS.length).toBe(14);
    for (const name of LISTS) {
      const v = sharedJson<{ published_rim: string }>(`cca/${name}`);
      const list = readCcaStepList(sharedJson(`cca/${name}`));
      const rim = hex(foldWithKernels(kernels, list.hashAlgorithm, list.steps));
      expect(rim.startsWith(v.published_rim), name).toBe(true);
    }
  });
});
