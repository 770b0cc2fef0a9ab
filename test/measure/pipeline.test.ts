/**
 * The streaming pipeline (src/node/pipeline.ts) gives upstream's digests whatever the batch
 * geometry: one-slot batches (every page its own batch), odd sizes, a tiny ring, on this
 * thread and on worker threads (the compiled build: workers run dist/ code). Expected values:
 * upstream's JSON (../shared/vectors/igvm) and the spec's vectors for a fresh clone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIgvm, type IgvmFile, type MeasureOptions, type MeasurementResult } from '../../src/index.js';
import type { PipelineOptions } from '../../src/node/pipeline.js';
import { measureParallel } from '../../src/node/measure-file.js';
import { buildCapiTestFile } from '../../vectors/samples.js';
import { OPENVMM_DIGESTS, openvmmSnpVbsBytes } from '../helpers/openvmm.js';
import { progressFor } from '../../src/cli/progress.js';
import { HAVE_SHARED, REPO_ROOT, sharedBytes, sharedJson, sharedNotice, upstreamIgvmVectors } from '../helpers/shared.js';

type Measurer = (file: IgvmFile, options: MeasureOptions & PipelineOptions) => Promise<MeasurementResult>;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const outcomes = (r: MeasurementResult): string[] => r.platforms.map((p) => ('digest' in p ? hex(p.digest) : 'error' in p ? p.error.code : '-'));

const openvmmFile = (): IgvmFile => parseIgvm(openvmmSnpVbsBytes());
const OPENVMM = OPENVMM_DIGESTS;

const GEOMETRIES: Array<{ name: string; options: PipelineOptions }> = [
  { name: 'one page per batch', options: { batchSlots: 1, ringSize: 2 } },
  { name: '3-page batches', options: { batchSlots: 3, ringSize: 3 } },
  { name: 'default batches', options: {} },
];

function suite(label: string, measurer: Measurer, threads: number): void {
  describe(label, () => {
    for (const g of GEOMETRIES) {
      it(`${g.name}: openvmm vectors and the C-API file`, async () => {
        expect(outcomes(await measurer(openvmmFile(), { ...g.options, threads }))).toEqual(OPENVMM);
        // capi-test.json: VBS eadeac0d… (its data blobs are shared by several pages, §15.1).
        expect(outcomes(await measurer(parseIgvm(buildCapiTestFile()), { ...g.options, threads }))).toEqual([
          'eadeac0d646af12097d798c06aae26f37a484c04482e88be2b81ed266f3e2275',
        ]);
      });
    }
    it.skipIf(!HAVE_SHARED)('every upstream vector, with one-page and 3-page batches', async () => {
      for (const v of upstreamIgvmVectors()) {
        const expected = sharedJson<{ platforms: Array<{ snp_launch_digest?: string; tdx_mrtd?: string; vbs_digest?: string }> }>(v.json).platforms;
        for (const batchSlots of [1, 3]) {
          const got = outcomes(await measurer(parseIgvm(sharedBytes(v.igvm)), { batchSlots, ringSize: 2, threads }));
          expected.forEach((e, i) => {
            const want = e.snp_launch_digest ?? e.tdx_mrtd ?? e.vbs_digest;
            if (want !== undefined) expect(got[i], `${v.name} platform ${i}, ${batchSlots}-slot batches`).toBe(want);
          });
        }
      }
    });
  });
}

sharedNotice('pipeline on upstream vectors');
suite('pipeline on this thread', measureParallel, 1);

// Worker threads run compiled code: use the build when it exists (npm ci builds it).
const distModule = join(REPO_ROOT, 'dist/src/node/measure-file.js');
const HAVE_DIST = existsSync(distModule);
if (!HAVE_DIST) console.warn('[skip] pipeline on worker threads: dist/ is not built (npm run build)');
describe.skipIf(!HAVE_DIST)('pipeline on worker threads (dist)', () => {
  it('gives the same digests with 2 and 3 threads and any batch geometry', async () => {
    const dist = (await import(pathToFileURL(distModule).href)) as { measureParallel: Measurer; KernelPool: { start(n: number): { close(): Promise<void> } } };
    const distIndex = (await import(pathToFileURL(join(REPO_ROOT, 'dist/src/index.js')).href)) as { parseIgvm: typeof parseIgvm };
    const files = [openvmmSnpVbsBytes(), buildCapiTestFile()];
    const expected = [OPENVMM, ['eadeac0d646af12097d798c06aae26f37a484c04482e88be2b81ed266f3e2275']];
    for (const threads of [2, 3]) {
      for (const g of GEOMETRIES) {
        for (const [i, bytes] of files.entries()) {
          const file = distIndex.parseIgvm(bytes);
          expect(outcomes(await dist.measureParallel(file, { ...g.options, threads })), `${threads} threads, ${g.name}`).toEqual(expected[i]);
        }
      }
    }
    if (HAVE_SHARED) {
      const pool = dist.KernelPool.start(2);
      try {
        for (const v of upstreamIgvmVectors()) {
          const want = sharedJson<{ platforms: Array<{ snp_launch_digest?: string; tdx_mrtd?: string; vbs_digest?: string }> }>(v.json).platforms;
          const got = outcomes(await dist.measureParallel(distIndex.parseIgvm(sharedBytes(v.igvm)), { pool: pool as never }));
          want.forEach((e, j) => {
            const d = e.snp_launch_digest ?? e.tdx_mrtd ?? e.vbs_digest;
            if (d !== undefined) expect(got[j], `${v.name} platform ${j} on workers`).toBe(d);
          });
        }
      } finally {
        await pool.close();
      }
    }
  });
});

describe('progress on stderr', () => {
  const io = (tty: boolean) => {
    const out: string[] = [];
    return { io: { stdout: () => {}, stderr: (s: string) => void out.push(s), stderrIsTty: tty }, out };
  };
  it('shows only on a terminal and for inputs over 64 MiB (DESIGN.md "Performance": progress on a terminal)', () => {
    for (const [tty, size, shows] of [
      [true, 65 * 2 ** 20, true],
      [true, 64 * 2 ** 20, false],
      [false, 2 ** 30, false],
    ] as const) {
      const { io: sink, out } = io(tty);
      const p = progressFor(sink, 'measuring', size);
      p.update(1, 4);
      p.update(4, 4);
      p.end();
      expect(out.length > 0, `tty ${tty}, ${size} bytes`).toBe(shows);
      if (shows) expect(out.join('')).toContain('100%');
    }
  });
});
