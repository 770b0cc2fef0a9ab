/**
 * The SEV and SEV-ES launch digest of an IGVM file, as COCONUT-SVSM's igvmmeasure computes it
 * (spec/snp.md §2.3: igvmmeasure "also does SEV and SEV-ES (SHA-256 over page bytes then VMSA
 * bytes)"). Unlike SNP there is no PAGE_INFO chain and no GPA or page type in the hash: the
 * digest is one running SHA-256 over the bytes the host encrypts, in directive order:
 *
 * - each PAGE_DATA page whose mask intersects the platform's (any-bit rule) contributes its
 *   data, per 4 KiB page; a page without data contributes nothing. The data type and the
 *   unmeasured flag are not looked at: the host encrypts whatever bytes the page carries.
 * - PARAMETER_INSERT pages contribute nothing (they carry no data when the file is measured).
 * - each SEV VMSA (SNP VP context) contributes its 4096 bytes (zero-padded to 4 KiB), whatever
 *   its compatibility mask, as igvmmeasure does for SNP (snp.md §2.3, "VP context … measured
 *   WITHOUT checking its compat mask").
 *
 * Which directives arrive — the mask rule, the VMSA mask being ignored, 2 MiB expansion — is the
 * walker's business (the `igvmmeasure` walk rules, profiles.ts); this model only folds the
 * operations it is given. The digest is the final SHA-256 (32 bytes).
 *
 * There is no published IGVM SEV/SEV-ES digest to check this against; the rule is taken from
 * snp.md §2.3 and the igvmmeasure behaviour it summarises.
 */
import type { HashBackend, Hasher } from './hash.js';
import type { MeasureOp, ModelOptions, OpSource } from './steps.js';

const PAGE = 4096;

/** Folds walker operations into an SEV / SEV-ES launch digest (SHA-256). */
export class SevLaunchDigest {
  private readonly hasher: Hasher;
  private readonly page = new Uint8Array(PAGE);
  private readonly zeroPage = new Uint8Array(PAGE);
  private steps = 0;
  private result: Uint8Array | undefined;

  /**
   * @param hash the hash backend (its incremental SHA-256 is used).
   * @param options `trace` receives one `sev_update` step per 4 KiB hashed; `platform` labels
   *   the steps (default `SEV`; pass `SEV_ES` for an SEV-ES platform).
   */
  constructor(
    private readonly hash: HashBackend,
    private readonly options: ModelOptions = {},
  ) {
    this.hasher = hash.createSha256();
  }

  /** Number of 4 KiB updates hashed so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Hashes one 4 KiB page (zero-padded if shorter). Usable on its own, like
   * `SnpLaunchDigest.pageInfo`.
   */
  update(bytes: Uint8Array, source: OpSource = { reason: 'page' }, gpa?: bigint, kind = 'page'): void {
    if (this.result !== undefined) throw new Error('SevLaunchDigest: update after finish');
    if (bytes.length > PAGE) throw new RangeError(`an SEV page update carries ${bytes.length} bytes (at most ${PAGE})`);
    const page = bytes.length === PAGE ? bytes : this.padded(bytes);
    this.hasher.update(page);
    this.steps++;
    const trace = this.options.trace;
    if (trace === undefined) return;
    // The running digest comes from a copy of the SHA-256 state, only when tracing, so the
    // untraced path costs one update per page.
    trace({
      step: this.steps,
      platform: this.options.platform ?? 'SEV',
      record: 'sev_update',
      ...(gpa === undefined ? {} : { gpa }),
      pageType: kind,
      contents: this.hash.sha256(page),
      digest: this.hasher.copy().digest(),
      source,
    });
  }

  /**
   * Applies one walker operation (snp.md §2.3, igvmmeasure's SEV/SEV-ES branch):
   * - `pages` from PAGE_DATA with data: the data as the first 4 KiB page and, for a 2 MiB page
   *   (count 512), the 511 zero pages that follow it — the walker's `data` is the first page and
   *   the rest of the range is zero (steps.ts `PagesOp`), and igvmmeasure hashes every 4 KiB
   *   chunk of a 2 MiB page's data. Data shorter than 4 KiB is zero-padded, as the writer pads it
   *   (a parsed page always has 0 or 4096 bytes).
   * - `pages` from PAGE_DATA without data, PARAMETER_INSERT and ERROR_RANGE: nothing.
   * - `vmsa`: the VMSA page (zero-padded to 4 KiB).
   * - `registers` (VBS): nothing.
   */
  apply(op: MeasureOp): void {
    if (op.op === 'vmsa') {
      this.update(op.vmsa, op.source, op.gpa, 'VMSA');
      return;
    }
    if (op.op !== 'pages' || op.origin !== 'page-data' || op.data.length === 0) return;
    // Neither `unmeasured` nor `dataType` matters here (igvmmeasure ignores both for SEV/SEV-ES).
    this.update(op.data.bytes(), op.source, op.gpa, op.dataType);
    for (let i = 1; i < op.count; i++) this.update(this.zeroPage, op.source, op.gpa + BigInt(i * PAGE), op.dataType);
  }

  /** The launch digest (32 bytes). Idempotent; no `update` / `apply` may follow. */
  finish(): Uint8Array {
    this.result ??= this.hasher.digest();
    return this.result.slice();
  }

  private padded(bytes: Uint8Array): Uint8Array {
    this.page.fill(0);
    this.page.set(bytes);
    return this.page;
  }
}
