/**
 * An independent, minimal reference for the SEV-SNP launch digest (the PAGE_INFO hash chain),
 * written directly from spec/snp.md §1.1–§1.3 with `node:crypto`. It deliberately imports
 * nothing from src/: tests compare our measurement code against it, so it must not share a
 * single line with that code.
 *
 * spec/snp.md §1.1: LD starts as 48 zero bytes; every 4 KiB launch update does
 *   LD := SHA-384(PAGE_INFO), where PAGE_INFO embeds the previous LD.
 * spec/snp.md §1.2: PAGE_INFO is 0x70 bytes, little-endian:
 *   0x00 48  DIGEST_CUR (previous LD)
 *   0x30 48  CONTENTS   (SHA-384 of the 4 KiB page for NORMAL and VMSA, else 48 zero bytes)
 *   0x60  2  LENGTH     (0x0070)
 *   0x62  1  PAGE_TYPE  (§1.3)
 *   0x63  1  IMI_PAGE / reserved (0)
 *   0x64  4  VMPL3/2/1 permissions, reserved (0)
 *   0x68  8  GPA
 * spec/snp.md §1.3: NORMAL 1, VMSA 2, ZERO 3, UNMEASURED 4, SECRETS 5, CPUID 6; a data-less
 *   NORMAL page hashes 4096 zero bytes.
 */
import { createHash } from 'node:crypto';

/** SNP page types by name (spec/snp.md §1.3). */
export const PAGE_TYPES = { NORMAL: 1, VMSA: 2, ZERO: 3, UNMEASURED: 4, SECRETS: 5, CPUID: 6 } as const;
export type PageInfoType = keyof typeof PAGE_TYPES;

/** One SNP_LAUNCH_UPDATE of a 4 KiB page, described by its page contents. */
export interface PageInfoStep {
  readonly type: PageInfoType;
  readonly gpa: bigint;
  /** The 4096-byte page for NORMAL and VMSA; omitted ⇒ a zero page for NORMAL. Not allowed for other types. */
  readonly contents?: Uint8Array;
}

/** One step described by its contents hash instead of its contents (for the spec's worked values). */
export interface PageInfoHashStep {
  readonly type: PageInfoType;
  readonly gpa: bigint;
  /** Hex SHA-384 of the page (NORMAL, VMSA); omitted ⇒ 48 zero bytes (the other types). */
  readonly contentsHash?: string;
}

const sha384 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha384').update(b).digest());
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** SHA-384 of 4096 zero bytes, the CONTENTS of a data-less NORMAL page (§1.3). */
export const ZERO_PAGE_SHA384 = toHex(sha384(new Uint8Array(4096)));

/** The 112-byte PAGE_INFO record for one step (§1.2). */
export function pageInfoRecord(previous: Uint8Array, type: PageInfoType, gpa: bigint, contentsHash: Uint8Array | undefined): Uint8Array {
  if (previous.length !== 48) throw new Error(`page-info: previous digest must be 48 bytes, not ${previous.length}`);
  if (contentsHash !== undefined && contentsHash.length !== 48) throw new Error(`page-info: contents hash must be 48 bytes`);
  const r = new Uint8Array(0x70);
  const dv = new DataView(r.buffer);
  r.set(previous, 0x00);
  if (contentsHash !== undefined) r.set(contentsHash, 0x30);
  dv.setUint16(0x60, 0x70, true);
  dv.setUint8(0x62, PAGE_TYPES[type]);
  // 0x63..0x67 stay zero (IMI and VMPL permissions; §1.2 "0 in every implementation").
  dv.setBigUint64(0x68, gpa, true);
  return r;
}

/** The launch digest after `steps`, each given by a contents hash (hex), from `initial` (default 48 zeros). */
export function expectedLaunchDigestFromHashes(steps: readonly PageInfoHashStep[], initial?: string): string {
  let ld = initial === undefined ? new Uint8Array(48) : fromHex(initial);
  for (const s of steps) {
    const measured = s.type === 'NORMAL' || s.type === 'VMSA';
    if (measured && s.contentsHash === undefined) throw new Error(`page-info: a ${s.type} step needs a contents hash`);
    if (!measured && s.contentsHash !== undefined) throw new Error(`page-info: a ${s.type} step has no contents (48 zero bytes, §1.2)`);
    ld = sha384(pageInfoRecord(ld, s.type, s.gpa, s.contentsHash === undefined ? undefined : fromHex(s.contentsHash)));
  }
  return toHex(ld);
}

/** The launch digest (lowercase hex) after `steps`, starting from 48 zero bytes (§1.1). */
export function expectedLaunchDigest(steps: readonly PageInfoStep[]): string {
  return expectedLaunchDigestFromHashes(
    steps.map((s): PageInfoHashStep => {
      if (s.type === 'NORMAL' || s.type === 'VMSA') {
        if (s.contents === undefined) {
          if (s.type === 'VMSA') throw new Error('page-info: a VMSA step needs the 4096-byte VMSA page');
          return { type: s.type, gpa: s.gpa, contentsHash: ZERO_PAGE_SHA384 };
        }
        if (s.contents.length !== 4096) throw new Error(`page-info: contents must be the 4096-byte page, not ${s.contents.length} bytes`);
        return { type: s.type, gpa: s.gpa, contentsHash: toHex(sha384(s.contents)) };
      }
      if (s.contents !== undefined) throw new Error(`page-info: a ${s.type} step has no contents (§1.2)`);
      return { type: s.type, gpa: s.gpa };
    }),
  );
}

/** `data` zero-padded to a 4096-byte page (test input helper). */
export function page4k(data: Uint8Array | readonly number[]): Uint8Array {
  const out = new Uint8Array(4096);
  out.set(data instanceof Uint8Array ? data : Uint8Array.from(data));
  return out;
}

/** `count` consecutive steps of `type` from `gpa` in 4 KiB strides (for 512-step 2 MiB pages). */
export function run(type: PageInfoType, gpa: bigint, count: number, firstContents?: Uint8Array): PageInfoStep[] {
  return Array.from({ length: count }, (_, i) => ({
    type,
    gpa: gpa + BigInt(i) * 0x1000n,
    ...(i === 0 && firstContents !== undefined ? { contents: firstContents } : {}),
  }));
}

/**
 * A 4096-byte VMSA page written by hand at the offsets of spec/snp.md §1.6 (cr0 0x158,
 * rip 0x178, sev_features 0x3B0 = SNP), independent of our VMSA codec.
 */
export function vmsaPage(cr0: bigint, rip: bigint): Uint8Array {
  const p = new Uint8Array(4096);
  const dv = new DataView(p.buffer);
  dv.setBigUint64(0x158, cr0, true);
  dv.setBigUint64(0x178, rip, true);
  dv.setBigUint64(0x3b0, 1n, true);
  return p;
}
