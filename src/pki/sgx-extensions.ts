/**
 * The SGX extension of Intel's PCK certificates (OID 1.2.840.113741.1.13.1, Intel's "SGX PCK
 * Certificate and CRL Profile"): a SEQUENCE of {OID, value} entries, one of which (….2, the
 * TCB) is itself such a SEQUENCE. Decoding only; TCB-level matching against Intel's TCB info is
 * the TDX verifier's (spec/tdx.md §4.5).
 */
import type { x509 } from './x509.js';
import { PkiError, errorMessage } from './errors.js';
import { extensionValue } from './extensions.js';
import { isSequence, readInteger, readObjectIdentifier, readOctetString, readSequence } from './asn1.js';

/** OID of the SGX extension of PCK certificates. */
export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

/** The PCK certificate's SGX extension values needed for TCB-level matching (tdx.md §4.5). */
export interface PckExtensions {
  /** PPID (…1.13.1.1), 16 bytes, when present. */
  readonly ppid: Uint8Array | undefined;
  /** SGX TCB component SVNs (…1.13.1.2.1 – .2.16), 16 numbers. */
  readonly sgxTcbComponentSvns: readonly number[];
  /** PCESVN (…1.13.1.2.17). */
  readonly pceSvn: number;
  /** CPUSVN (…1.13.1.2.18), 16 bytes. */
  readonly cpuSvn: Uint8Array;
  /** PCE-ID (…1.13.1.3), 2 bytes. */
  readonly pceId: Uint8Array;
  /** FMSPC (…1.13.1.4), 6 bytes (tdx.md §4.5: selects the TCB info). */
  readonly fmspc: Uint8Array;
  /** SGX type (…1.13.1.5): 0 standard, 1 scalable, 2 scalable with integrity; when present. */
  readonly sgxType: number | undefined;
}

function bad(message: string): PkiError {
  return new PkiError('BadExtension', `PCK certificate SGX extension: ${message}`);
}

/** A non-negative INTEGER or ENUMERATED that fits in 32 bits. */
function uint(element: Uint8Array): number {
  const content = readInteger(element, { enumerated: true });
  if (!content) throw bad('expected an INTEGER');
  if (content.length === 0 || (content[0]! & 0x80) !== 0) throw bad('negative or empty INTEGER');
  let v = 0;
  for (const b of content) {
    v = v * 256 + b;
    if (v > 0xffff_ffff) throw bad('INTEGER too large');
  }
  return v;
}

function octets(element: Uint8Array, size?: number): Uint8Array {
  const content = readOctetString(element);
  if (!content) throw bad('expected an OCTET STRING');
  if (size !== undefined && content.length !== size) throw bad(`expected ${size} bytes, found ${content.length}`);
  return content;
}

/** Reads the SGX extension of a PCK certificate. Throws `PkiError('BadExtension')`. */
export function readPckExtensions(cert: x509.X509Certificate): PckExtensions {
  let value: Uint8Array | undefined;
  try {
    value = extensionValue(cert, SGX_EXTENSION_OID);
  } catch (e) {
    throw bad(errorMessage(e));
  }
  if (!value) throw bad(`the certificate has no extension ${SGX_EXTENSION_OID}`);
  const fields = new Map<string, Uint8Array>();
  // Each entry is `SEQUENCE { OBJECT IDENTIFIER, value }`; the TCB entry's value is a SEQUENCE
  // of the same entries, read into the same map (its OIDs are under ….2).
  const pairs = (element: Uint8Array): void => {
    const entries = readSequence(element);
    if (!entries) throw bad('not a well-formed DER SEQUENCE of entries');
    for (const entry of entries) {
      if (!isSequence(entry)) throw bad('an entry is not a SEQUENCE');
      const parts = readSequence(entry);
      if (!parts) throw bad('an entry is not a well-formed DER SEQUENCE');
      const [oidElement, v] = parts;
      if (!oidElement || !v) throw bad('an entry lacks its OID or value');
      const oid = readObjectIdentifier(oidElement);
      if (oid === undefined) throw bad('expected an OBJECT IDENTIFIER');
      fields.set(oid, v);
    }
  };
  if (!isSequence(value)) throw bad('not a SEQUENCE');
  pairs(value);
  const tcb = fields.get(`${SGX_EXTENSION_OID}.2`);
  if (!tcb || !isSequence(tcb)) throw bad('no TCB (….2) sequence');
  pairs(tcb);
  const get = (suffix: string): Uint8Array => {
    const d = fields.get(`${SGX_EXTENSION_OID}.${suffix}`);
    if (!d) throw bad(`missing ${SGX_EXTENSION_OID}.${suffix}`);
    return d;
  };
  const sgxTcbComponentSvns: number[] = [];
  for (let i = 1; i <= 16; i++) sgxTcbComponentSvns.push(uint(get(`2.${i}`)));
  const ppid = fields.get(`${SGX_EXTENSION_OID}.1`);
  const sgxType = fields.get(`${SGX_EXTENSION_OID}.5`);
  return {
    ppid: ppid ? octets(ppid) : undefined,
    sgxTcbComponentSvns,
    pceSvn: uint(get('2.17')),
    cpuSvn: octets(get('2.18'), 16),
    pceId: octets(get('3'), 2),
    fmspc: octets(get('4'), 6),
    sgxType: sgxType ? uint(sgxType) : undefined,
  };
}
