/**
 * Folding launch-step streams into digests (spec/firmware-input.md §6.1: the neutral launch
 * steps; spec/snp.md §1, spec/tdx.md §1, firmware-input.md §6.2 item 5). The measurement layer
 * owns the platform models, so the firmware adapters (src/firmware) only produce steps and these
 * functions fold them: SNP steps with `SnpLaunchDigest`, TDX steps with `TdxMrtd`, SEV / SEV-ES
 * chunks into one running SHA-256.
 */
import type { HashBackend, Hasher } from './hash.js';
import { defaultHashBackend } from './hash-default.js';
import type { SevChunk, SnpStep, TdxStep } from './launch-steps.js';
import { SnpLaunchDigest } from './snp.js';
import type { ModelOptions, TraceSink } from './steps.js';
import { TdxMrtd } from './tdx.js';

/** Folds SNP launch steps into a launch digest (snp.md §1.1); `trace` sees every PAGE_INFO step. */
export function foldSnpSteps(steps: Iterable<SnpStep>, hash: HashBackend = defaultHashBackend, trace?: TraceSink): Uint8Array {
  const ld = new SnpLaunchDigest(hash, trace === undefined ? {} : { trace });
  for (const s of steps) ld.step(s);
  return ld.launchDigest;
}

/** Folds TDX steps into the 48-byte MRTD (tdx.md §1, firmware-input.md §5.1); `trace` sees every primitive step. */
export function foldTdxSteps(steps: Iterable<TdxStep>, hash: HashBackend = defaultHashBackend, trace?: TraceSink): Uint8Array {
  const mrtd = new TdxMrtd(hash, { trace, platform: 'TDX' });
  for (const s of steps) mrtd.step(s);
  return mrtd.finish();
}

/** The running SHA-256 over the chunks in order, not finished (so a caller can go on from it). */
export function hashSevChunks(chunks: Iterable<SevChunk>, hash: HashBackend = defaultHashBackend): Hasher {
  const h = hash.createSha256();
  for (const c of chunks) h.update(c.bytes);
  return h;
}

/**
 * SHA-256 over the chunks in order: the SEV / SEV-ES launch digest (32 bytes, firmware-input.md
 * §6.2 item 5). With `options.trace`, one `launch_update` step per chunk (its length, its own
 * SHA-256 as `contents`, the running digest), labelled `options.platform` (default `SEV`).
 */
export function foldSevChunks(chunks: Iterable<SevChunk>, hash: HashBackend = defaultHashBackend, options: ModelOptions = {}): Uint8Array {
  const trace = options.trace;
  if (trace === undefined) return hashSevChunks(chunks, hash).digest();
  const h = hash.createSha256();
  let step = 0;
  for (const c of chunks) {
    h.update(c.bytes);
    trace({
      step: ++step,
      platform: options.platform ?? 'SEV',
      record: 'launch_update',
      length: c.bytes.length,
      contents: hash.sha256(c.bytes),
      digest: h.copy().digest(),
      source: { reason: c.what },
    });
  }
  return h.digest();
}
