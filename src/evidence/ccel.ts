/**
 * The CC event log (spec/tdx.md §3 "Replay algorithm"): replaying a TCG2 crypto-agile event log,
 * as found in the ACPI CCEL log area, into RTMR0–3, and the `rtmr-replay` check that compares the
 * result with a quote's RTMRs.
 */
import { sha384 } from '@noble/hashes/sha2.js';
import type { Check } from '../pki/check.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';
import { EvidenceError } from './errors.js';
import type { TdxQuote } from './tdx-quote.js';

/** The result of replaying a CC event log (tdx.md §3 "Replay algorithm"). */
export interface CcelReplay {
  /** RTMR0–3 after the replay. */
  readonly rtmrs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** Events replayed (the Spec ID event not counted). */
  readonly events: number;
  /** Byte offset where the replay stopped (terminator, zero padding or the end of the log). */
  readonly end: number;
}

const TPM_ALG_SHA384 = 0x000c;
const SPEC_ID_SIGNATURE = 'Spec ID Event03';

/**
 * Replays a CC event log (TCG2 crypto-agile format, as in the ACPI CCEL log area) into RTMR0–3
 * (tdx.md §3): start from zeros, skip the first (SHA-1 format "Spec ID Event03") event, and for
 * each following event with CC MR index 1..4 set RTMR[index-1] = SHA-384(RTMR ‖ the event's
 * SHA-384 digest); stop at event type 0xFFFFFFFF or at zero padding. Digest sizes come from the
 * Spec ID event's algorithm table. Throws `EvidenceError` for a malformed log.
 */
export function replayCcelEventLog(log: Uint8Array): CcelReplay {
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const need = (off: number, size: number, what: string, at = off): void => {
    if (off + size > log.length) throw new EvidenceError('Truncated', `event log: ${what} runs past the end`, at);
  };
  // The first event: pcrIndex, eventType, SHA-1 digest (20), eventSize, event (TCG PC Client spec).
  need(0, 32, 'the Spec ID event header');
  const specSize = view.getUint32(28, true);
  need(32, specSize, 'the Spec ID event', 28);
  const sig = String.fromCharCode(...log.subarray(32, 32 + Math.min(15, specSize)));
  if (sig !== SPEC_ID_SIGNATURE || specSize < 28) {
    throw new EvidenceError('BadField', 'event log: the first event is not "Spec ID Event03"', 32);
  }
  const algCount = view.getUint32(32 + 24, true);
  if (algCount > (specSize - 28) / 4) throw new EvidenceError('BadField', 'event log: bad algorithm count', 32 + 24);
  const digestSizes = new Map<number, number>();
  for (let i = 0; i < algCount; i++) {
    const at = 32 + 28 + 4 * i;
    digestSizes.set(view.getUint16(at, true), view.getUint16(at + 2, true));
  }
  if (digestSizes.get(TPM_ALG_SHA384) !== 48) {
    throw new EvidenceError('BadField', 'event log: the Spec ID event lists no SHA-384 digests', 32 + 28);
  }
  const rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [
    new Uint8Array(48),
    new Uint8Array(48),
    new Uint8Array(48),
    new Uint8Array(48),
  ];
  let off = 32 + specSize;
  let events = 0;
  while (off + 8 <= log.length) {
    const index = view.getUint32(off, true);
    const type = view.getUint32(off + 4, true);
    if (type === 0xffff_ffff || (index === 0 && type === 0)) break;
    need(off + 8, 4, 'an event digest count');
    const count = view.getUint32(off + 8, true);
    let p = off + 12;
    let digest: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      need(p, 2, 'an event digest');
      const alg = view.getUint16(p, true);
      const size = digestSizes.get(alg);
      if (size === undefined) {
        throw new EvidenceError('BadField', `event log: digest algorithm 0x${alg.toString(16)} is not in the Spec ID event`, p);
      }
      need(p + 2, size, 'an event digest', p);
      if (alg === TPM_ALG_SHA384) digest = log.subarray(p + 2, p + 2 + size);
      p += 2 + size;
    }
    need(p, 4, 'an event size');
    const size = view.getUint32(p, true);
    need(p + 4, size, 'an event', p);
    if (!digest) throw new EvidenceError('BadField', 'event log: an event has no SHA-384 digest', off);
    if (index >= 1 && index <= 4) {
      const i = index - 1;
      const h = sha384.create();
      h.update(rtmrs[i] as Uint8Array);
      h.update(digest);
      rtmrs[i] = h.digest();
    }
    events++;
    off = p + 4 + size;
  }
  return { rtmrs, events, end: off };
}

/** The `rtmr-replay` check (tdx.md §3): the event log replays to the quote's RTMR0–3. */
export function rtmrReplayCheck(quote: TdxQuote, log: Uint8Array): Check {
  const replay = replayCcelEventLog(log);
  const quoted = [quote.body.rtmr0, quote.body.rtmr1, quote.body.rtmr2, quote.body.rtmr3];
  const differ: string[] = [];
  replay.rtmrs.forEach((r, i) => {
    const q = quoted[i] as Uint8Array;
    if (!bytesEqual(r, q)) differ.push(`RTMR${i}: replay ${bytesToHex(r)}, quote ${bytesToHex(q)}`);
  });
  return {
    name: 'rtmr-replay',
    ok: differ.length === 0,
    detail: differ.length === 0 ? `replaying ${replay.events} events gives the quote's RTMR0–3` : differ.join('; '),
  };
}
