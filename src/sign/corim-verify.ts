/**
 * Checks of the CoRIM documents a file carries (issue: release pipelines, `verify`): each
 * CORIM_DOCUMENT's reference values against the computed digests, and its COSE_Sign1
 * signature. Written by the CoRIM work; this signature is the contract `verify` calls.
 */
import type { Check } from '../evidence/checks.js';
import type { IgvmFile } from '../format/index.js';
import type { MeasurementResult } from '../measure/index.js';

/** The checks for every CORIM_DOCUMENT / CORIM_SIGNATURE in `file`; empty when it has none. */
export async function verifyEmbeddedCorim(file: IgvmFile, measured: MeasurementResult): Promise<Check[]> {
  const docs = file.initializations.filter((h) => h.kind === 'CORIM_DOCUMENT');
  if (docs.length === 0) return [];
  void measured;
  return docs.map((h) => ({ name: 'corim-document', ok: null, detail: `CoRIM document for mask 0x${('compatibilityMask' in h ? h.compatibilityMask : 0).toString(16)}: not checked yet` }));
}
