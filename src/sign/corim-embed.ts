/**
 * Storing a CoRIM document and its detached COSE_Sign1 in an IGVM file as CORIM_DOCUMENT /
 * CORIM_SIGNATURE initialization headers (spec/igvm-format.md §6.5), appended after the file's
 * other initialization headers as upstream's `add_corim` does (§14), and splitting a signed
 * CoRIM into the two (spec/vbs-cca-corim.md §3.4). Whether they match the file is
 * `verifyEmbeddedCorim` (corim-verify.ts).
 */
import { bytesData, validateFile, type CorimHeader, type IgvmFile, type InitializationHeader } from '../format/index.js';
import { CorimError } from './corim-errors.js';
import { readUnsignedCorim } from './corim.js';
import { splitAttachedCoseSign1 } from './cose.js';

/**
 * What a CoRIM input holds: an unsigned document (#6.501, checked); or a signed CoRIM, i.e. a
 * COSE_Sign1 with the document attached, split into the document and the equivalent detached
 * signature (§3.4; the attached document is not read here: `readUnsignedCorim` it); or
 * `detached`, a COSE_Sign1 whose payload is not inside it. Throws `CorimError` for anything
 * else.
 */
export function corimInput(bytes: Uint8Array): { readonly document: Uint8Array; readonly signature?: Uint8Array } | 'detached' {
  try {
    readUnsignedCorim(bytes);
    return { document: bytes };
  } catch (e) {
    if (!(e instanceof CorimError && e.code === 'SignedCorim')) throw e;
  }
  return splitAttachedCoseSign1(bytes) ?? 'detached';
}

/** `file` with the CoRIM headers added, and how many CoRIM headers of the same mask they replace. */
export interface EmbeddedCorim {
  readonly file: IgvmFile;
  /** The new CORIM_DOCUMENT and, with a signature, CORIM_SIGNATURE headers. */
  readonly added: readonly CorimHeader[];
  readonly replaced: number;
}

/**
 * `file` with a CORIM_DOCUMENT (and a CORIM_SIGNATURE when `signature` is given) of
 * `compatibilityMask` appended after its initialization headers, replacing the CoRIM headers
 * of that mask (a platform has at most one of each, §6.5). A CoRIM header that overlaps the
 * mask without being equal cannot be split: it is returned as `overlapping` instead. The
 * result is validated (`IgvmFormatError`). These headers are never measured, so no digest
 * changes.
 */
export function embedCorim(
  file: IgvmFile,
  compatibilityMask: number,
  document: Uint8Array,
  signature?: Uint8Array,
): EmbeddedCorim | { readonly overlapping: CorimHeader } {
  const m = compatibilityMask;
  const kept: InitializationHeader[] = [];
  let replaced = 0;
  for (const h of file.initializations) {
    if ((h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE') && (h.compatibilityMask & m) !== 0) {
      if (h.compatibilityMask !== m) return { overlapping: h };
      replaced++;
      continue;
    }
    kept.push(h);
  }
  const added: CorimHeader[] = [{ kind: 'CORIM_DOCUMENT', compatibilityMask: m, fileOffset: 0, data: bytesData(document) }];
  if (signature !== undefined) added.push({ kind: 'CORIM_SIGNATURE', compatibilityMask: m, fileOffset: 0, data: bytesData(signature) });
  const next: IgvmFile = {
    revision: file.revision,
    platforms: file.platforms,
    initializations: [...kept, ...added],
    directives: file.directives,
    ...(file.platformOptionals === undefined ? {} : { platformOptionals: file.platformOptionals }),
  };
  validateFile(next);
  return { file: next, added, replaced };
}
