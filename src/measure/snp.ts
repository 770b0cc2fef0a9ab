/**
 * The SEV-SNP launch digest (spec/snp.md §1): starting from 48 zero bytes, every
 * SNP_LAUNCH_UPDATE of a 4 KiB page hashes a 112-byte PAGE_INFO record holding the previous
 * digest, so the digest is a SHA-384 chain. The model consumes walker operations and never
 * looks at headers; `pageInfo` is the primitive step, usable on its own.
 */
import { StepArrays, pageGpa, type BatchRunner, type PageBatch, type StepJob } from './batch.js';
import type { HashBackend } from './hash.js';
import type { HashKernels } from './kernels.js';
import { padToPage, snpPageTypeOf, snpStepsOfOp, type SnpStep } from './launch-steps.js';
import type { MeasureOp, ModelOptions, OpSource } from './steps.js';

/** SNP page types (spec/snp.md §1.3). */
export const SnpPageType = {
  NORMAL: 0x1,
  VMSA: 0x2,
  ZERO: 0x3,
  UNMEASURED: 0x4,
  SECRETS: 0x5,
  CPUID: 0x6,
} as const;
export type SnpPageTypeName = keyof typeof SnpPageType;

/** PAGE_INFO is 0x70 bytes (spec/snp.md §1.2). */
export const PAGE_INFO_SIZE = 0x70;
const OFF_CONTENTS = 0x30;
const OFF_LENGTH = 0x60;
const OFF_PAGE_TYPE = 0x62;
const OFF_GPA = 0x68;

/** Options of the SNP model. */
export interface SnpModelOptions extends ModelOptions {
  /** Data-less NORMAL pages as native ZERO pages (spec/snp.md §2.3 `--native-zero`). */
  readonly nativeZero?: boolean;
}

/** Folds operations into an SNP launch digest. */
export class SnpLaunchDigest {
  private readonly info = new Uint8Array(PAGE_INFO_SIZE);
  private readonly view = new DataView(this.info.buffer);
  private readonly page = new Uint8Array(4096);
  private readonly zeroPageHash: Uint8Array;
  private readonly nativeZero: boolean;
  private steps = 0;

  constructor(
    private readonly hash: HashBackend,
    private readonly options: SnpModelOptions = {},
  ) {
    this.nativeZero = options.nativeZero === true;
    // LENGTH is always 0x70; IMI and the VMPL permissions are 0 in every implementation (§1.2).
    this.view.setUint16(OFF_LENGTH, PAGE_INFO_SIZE, true);
    // The SHA-384 of a zero page is needed for every data-less page; compute it once.
    this.zeroPageHash = hash.sha384(this.page);
  }

  /** The current launch digest (48 bytes; a copy). */
  get launchDigest(): Uint8Array {
    return this.info.slice(0, 48);
  }

  /** Number of PAGE_INFO steps so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One SNP_LAUNCH_UPDATE: PAGE_INFO = digest ‖ contents ‖ 0x70 ‖ type ‖ 0 ‖ 0 ‖ gpa, and the
   * new digest is its SHA-384. `contents` is the SHA-384 of the page for NORMAL and VMSA
   * pages, and null (48 zero bytes) for the others.
   */
  pageInfo(pageType: SnpPageTypeName, gpa: bigint, contents: Uint8Array | null, source: OpSource = { reason: 'page' }): void {
    if (contents === null) this.info.fill(0, OFF_CONTENTS, OFF_CONTENTS + 48);
    else this.info.set(contents, OFF_CONTENTS);
    this.info[OFF_PAGE_TYPE] = SnpPageType[pageType];
    this.view.setBigUint64(OFF_GPA, gpa, true);
    this.info.set(this.hash.sha384(this.info), 0);
    this.steps++;
    this.options.trace?.({
      step: this.steps,
      platform: this.options.platform ?? 'SEV_SNP',
      record: 'page_info',
      gpa,
      pageType,
      contents: contents ?? new Uint8Array(48),
      digest: this.launchDigest,
      source,
    });
  }

  /**
   * One neutral launch step (launch-steps.ts): a VMSA page, or a page of its type. NORMAL pages
   * and VMSAs contribute the SHA-384 of their (zero-padded) page, every other type 48 zero bytes.
   */
  step(s: SnpStep): void {
    if (s.kind === 'vmsa') {
      this.pageInfo('VMSA', s.gpa, this.hash.sha384(padToPage(s.bytes, this.page)), s.source);
    } else if (s.type !== 'NORMAL') {
      this.pageInfo(s.type, s.gpa, null, s.source);
    } else {
      const data = s.bytes;
      // The SHA-384 of a zero page is precomputed: data-less pages are common.
      const contents = data === undefined || data.length === 0 ? this.zeroPageHash : this.hash.sha384(padToPage(data, this.page));
      this.pageInfo('NORMAL', s.gpa, contents, s.source);
    }
  }

  /** Applies one walker operation: its SNP steps (spec/snp.md §2.2, `snpStepsOfOp`). */
  apply(op: MeasureOp): void {
    for (const s of snpStepsOfOp(op, { nativeZero: this.nativeZero })) this.step(s);
  }
}

/** The SNP model over batches (batch.ts): content hashes by `sha384Slots`, the chain by `snpChain`. */
export class SnpBatchRunner implements BatchRunner {
  readonly steps = new StepArrays();
  private readonly ld = new Uint8Array(48);
  private readonly contents = new Uint8Array(48 * this.steps.capacity);
  private readonly vmsaContents = new Map<number, Uint8Array>();
  private readonly nativeZero: boolean;

  constructor(
    private readonly kernels: HashKernels,
    private readonly hash: HashBackend,
    options: { nativeZero?: boolean } = {},
  ) {
    this.nativeZero = options.nativeZero === true;
  }

  lower(op: MeasureOp, page: number, batch: PageBatch): boolean {
    if (op.op === 'vmsa') {
      this.vmsaContents.set(this.steps.count, this.hash.sha384(op.vmsa));
      this.steps.push(op.gpa, -1, SnpPageType.VMSA);
      return true;
    }
    if (op.op !== 'pages' || op.origin === 'error-range') return true;
    const gpa = pageGpa(op.gpa, page);
    const type = snpPageTypeOf(op);
    if (type !== 'NORMAL') {
      this.steps.push(gpa, -1, SnpPageType[type]);
      return true;
    }
    const hasData = page === 0 && op.data.length > 0;
    if (!hasData && this.nativeZero) {
      this.steps.push(gpa, -1, SnpPageType.ZERO);
      return true;
    }
    const slot = hasData ? batch.slotFor(op.data) : -1;
    if (slot === undefined) return false;
    this.steps.push(gpa, slot, SnpPageType.NORMAL);
    return true;
  }

  /** The batch's steps as a job, with the VMSA contents it needs; empties the step arrays. */
  takeJob(): SnpJob {
    const { tags, ...steps } = this.steps.take();
    const job = { ...steps, pageTypes: tags, vmsa: [...this.vmsaContents] };
    this.vmsaContents.clear();
    return job;
  }

  /** Chains a job's steps, given the SHA-384 of each NORMAL step's page (`hashSlotsOf(job)`), in order. */
  chain(job: SnpJob, hashes: Uint8Array): void {
    const n = job.pageTypes.length;
    const contents = n * 48 <= this.contents.length ? this.contents.subarray(0, n * 48) : new Uint8Array(n * 48);
    contents.fill(0);
    for (let i = 0, j = 0; i < n; i++) {
      if (job.pageTypes[i] === SnpPageType.NORMAL) contents.set(hashes.subarray(j * 48, ++j * 48), i * 48);
    }
    for (const [i, h] of job.vmsa) contents.set(h, i * 48);
    this.kernels.snpChain(this.ld, contents, job.pageTypes, job.gpas);
  }

  run(batch: PageBatch): void {
    const job = this.takeJob();
    const slots = hashSlotsOf(job);
    const out = new Uint8Array(48 * slots.length);
    this.kernels.sha384Slots(batch.pages, slots, out);
    this.chain(job, out);
  }

  finish(): Uint8Array {
    return this.ld.slice();
  }
}

/** One batch of SNP steps: their PAGE_INFO page types, and the contents hash of each VMSA step by step index. */
export interface SnpJob extends StepJob {
  readonly pageTypes: Uint8Array;
  readonly vmsa: ReadonlyArray<readonly [number, Uint8Array]>;
}

/** The slots whose pages an SNP job needs hashed: those of its NORMAL steps, in order. */
export function hashSlotsOf(job: SnpJob): Int32Array {
  const types = job.pageTypes;
  let m = 0;
  for (let i = 0; i < types.length; i++) if (types[i] === SnpPageType.NORMAL) m++;
  const out = new Int32Array(m);
  for (let i = 0, j = 0; i < types.length; i++) if (types[i] === SnpPageType.NORMAL) out[j++] = job.slots[i]!;
  return out;
}
