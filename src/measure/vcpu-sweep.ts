/**
 * The vCPU sweep (spec/snp.md §1.6; spec/firmware-input.md §3.2 "Per-vCPU order", §6.3): the
 * host measures one VMSA per vCPU after every page, so the digest for n vCPUs continues the
 * digest for n − 1 with one more VMSA. Sweeping 1…N vCPUs therefore costs one PAGE_INFO step
 * (SNP) or one 4 KiB SHA-256 update (SEV-ES) per extra vCPU, not one launch. One sweep serves
 * IGVM files (search.ts, under a KVM-placement profile) and firmware images (firmware/search.ts).
 */
import type { HashBackend, Hasher } from './hash.js';
import { padToPage, type SnpPageStep, type SnpVmsaStep, type StepSource } from './launch-steps.js';
import { SnpLaunchDigest, type SnpPageTypeName } from './snp.js';

/** An SNP page step with its PAGE_INFO contents hashed, so the pages can be replayed cheaply. */
export interface HashedSnpPage {
  readonly type: Exclude<SnpPageTypeName, 'VMSA'>;
  readonly gpa: bigint;
  /** SHA-384 of the page for NORMAL pages, null (48 zero bytes) for the others (snp.md §1.2). */
  readonly contents: Uint8Array | null;
  readonly source: StepSource;
}

/**
 * The pages' contents hashed as `SnpLaunchDigest.step` hashes them (NORMAL: the zero-padded page,
 * a data-less page as a zero page; other types: none), for replaying under several host
 * settings whose pages are the same (firmware-input.md §2.2 steps 1–4 do not depend on the VMSA).
 */
export function hashSnpPages(steps: Iterable<SnpPageStep>, hash: HashBackend): HashedSnpPage[] {
  const scratch = new Uint8Array(4096);
  const zeroPageHash = hash.sha384(new Uint8Array(4096));
  const out: HashedSnpPage[] = [];
  for (const s of steps) {
    const contents = s.type !== 'NORMAL' ? null : s.bytes === undefined || s.bytes.length === 0 ? zeroPageHash : hash.sha384(padToPage(s.bytes, scratch));
    out.push({ type: s.type, gpa: s.gpa, contents, source: s.source });
  }
  return out;
}

/** A launch digest after the hashed pages, ready for the VMSAs. */
export function replaySnpPages(pages: Iterable<HashedSnpPage>, hash: HashBackend): SnpLaunchDigest {
  const model = new SnpLaunchDigest(hash);
  for (const p of pages) model.pageInfo(p.type, p.gpa, p.contents, p.source);
  return model;
}

/**
 * Extends `model` by the VMSA of vCPU 0, 1, 2, … in turn (each one PAGE_INFO of type VMSA) and
 * calls `found(n, digest)` after the n-th: the launch digest for n vCPUs. Each distinct VMSA
 * page (by identity) is hashed once, so identical AP VMSAs cost one PAGE_INFO each. `vmsas` may
 * be lazy and may feed the model the pages that precede each VMSA as it is iterated.
 */
export function sweepSnpVcpus(model: SnpLaunchDigest, vmsas: Iterable<SnpVmsaStep>, hash: HashBackend, found: (vcpus: number, digest: Uint8Array) => void): void {
  const scratch = new Uint8Array(4096);
  let last: Uint8Array | undefined;
  let contents: Uint8Array | undefined;
  let vcpus = 0;
  for (const v of vmsas) {
    if (v.bytes !== last || contents === undefined) {
      contents = hash.sha384(padToPage(v.bytes, scratch));
      last = v.bytes;
    }
    model.pageInfo('VMSA', v.gpa, contents, v.source);
    found(++vcpus, model.launchDigest);
  }
}

/**
 * The SEV-ES counterpart (firmware-input.md §6.2 item 5): from a copy of `prefix` (the SHA-256
 * over everything before the VMSAs), one full VMSA page per vCPU; `found(n, digest)` after the
 * n-th. `prefix` itself is left as it was.
 */
export function sweepSevVcpus(prefix: Hasher, vmsas: Iterable<Uint8Array>, found: (vcpus: number, digest: Uint8Array) => void): void {
  const h = prefix.copy();
  let vcpus = 0;
  for (const v of vmsas) {
    h.update(v);
    found(++vcpus, h.copy().digest());
  }
}

/** The VMSAs of 1…`maxVcpus` vCPUs: the BSP's, then `ap` for each further vCPU (none without one). */
export function* bspThenAps<T>(bsp: T, ap: T | undefined, maxVcpus: number): Generator<T> {
  yield bsp;
  if (ap === undefined) return;
  for (let n = 2; n <= maxVcpus; n++) yield ap;
}
