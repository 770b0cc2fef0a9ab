/**
 * The measurement operations the walker produces and the platform models consume
 * (DESIGN.md, "Shape"). They say what the loader imports, not how a platform hashes it: each
 * model lowers them into its own primitive steps (PAGE_INFO, MEM.PAGE.ADD / MR.EXTEND, VBS
 * records). Every operation names the header it came from, for `--trace`.
 */
import type { IgvmArchitecture, IgvmData, PageDataTypeName, VbsRegister } from '../format/index.js';

/** Where an operation came from. */
export interface OpSource {
  /** Index of the header in file order, when the operation comes from a header. */
  readonly headerIndex?: number;
  /** File offset of that header's TLV. */
  readonly fileOffset?: number;
  /** A short reason, e.g. `PAGE_DATA`, `PARAMETER_INSERT area 0`, `VMSA of vCPU 1 (after all pages)`. */
  readonly reason: string;
  /** Which input the operation came from when it is not the IGVM file, e.g. `OVMF`, `svsm.bin`. */
  readonly file?: string;
}

/**
 * `count` consecutive 4 KiB pages from `gpa`. `data` (at most 4 KiB; empty for a zero page)
 * is the contents of the first page; the others are zero. Unmeasured pages carry no data.
 */
export interface PagesOp {
  readonly op: 'pages';
  readonly gpa: bigint;
  readonly count: number;
  readonly dataType: PageDataTypeName;
  readonly unmeasured: boolean;
  readonly data: IgvmData;
  /** VBS acceptance bits (1 readable, 2 writable): 3 for error ranges, else 0. */
  readonly acceptance: number;
  /** Which directive made the pages; models measure only the kinds their platform measures. */
  readonly origin: 'page-data' | 'parameter-insert' | 'error-range';
  readonly source: OpSource;
}

/** An SEV-ES/SNP VMSA page for one vCPU. */
export interface VmsaOp {
  readonly op: 'vmsa';
  readonly gpa: bigint;
  readonly vpIndex: number;
  readonly vmsa: Uint8Array;
  readonly source: OpSource;
}

/** A VBS VP context's registers (measured after all pages). */
export interface RegistersOp {
  readonly op: 'registers';
  readonly architecture: IgvmArchitecture;
  readonly vtl: number;
  readonly registers: readonly VbsRegister[];
  readonly source: OpSource;
}

/** An Arm CCA REC (RMI_REC_CREATE) of a VP context; only the CCA lowering makes these. */
export interface RecOp {
  readonly op: 'rec';
  readonly flags: bigint;
  readonly pc: bigint;
  /** x0..x7. */
  readonly gprs: readonly bigint[];
  readonly source: OpSource;
}

/** One measurement operation. */
export type MeasureOp = PagesOp | VmsaOp | RegistersOp | RecOp;

/** One primitive step as `--trace` shows it: what was hashed and the digest after it. */
export interface TraceStep {
  /** 1-based step number within the platform. */
  readonly step: number;
  readonly platform: string;
  /** `page_info` (SNP), `mem_page_add` / `mr_extend` (TDX), `gpa_page` / `vp_register` (VBS), `launch_update` (SEV chunks). */
  readonly record: string;
  readonly gpa?: bigint;
  /** SNP page type name, VBS metadata, register name, ... */
  readonly pageType?: string;
  /** The contents hash that went into the record (SNP CONTENTS; TDX/VBS: hash of the page data; SEV chunks: their SHA-256). */
  readonly contents?: Uint8Array;
  /** Bytes hashed, for records that hash a whole input chunk (SEV / SEV-ES `launch_update`). */
  readonly length?: number;
  /** The running digest after this step. */
  readonly digest: Uint8Array;
  readonly source: OpSource;
}

/** Receives trace steps. */
export type TraceSink = (step: TraceStep) => void;

/** Options every platform model takes. */
export interface ModelOptions {
  /** Receives each primitive step as it is hashed. */
  readonly trace?: TraceSink;
  /** Platform label for trace steps (the platform type). */
  readonly platform?: string;
}
