/**
 * The AMD extensions of a VCEK or VLEK certificate (OID arc 1.3.6.1.4.1.3704.1, spec/snp.md §5
 * table): struct version and SPLs as INTEGERs, the product name and CSP ID as IA5Strings, the
 * hwID as raw bytes. Decoding only; what they must equal (REPORTED_TCB, CHIP_ID) is the SNP
 * verifier's rule (evidence/snp-verify.ts).
 */
import type { x509 } from './x509.js';
import { extensionsUnder } from './extensions.js';
import { readIa5String, readInteger, readOctetString } from './asn1.js';

/** The OID arc of AMD's VCEK/VLEK extensions (spec/snp.md §5). */
export const AMD_EXTENSION_ARC = '1.3.6.1.4.1.3704.1';

/** The AMD extensions of a VCEK or VLEK (arc 1.3.6.1.4.1.3704.1, spec/snp.md §5). */
export interface AmdCertExtensions {
  readonly structVersion?: number;
  /** e.g. `Milan-B0`, `Genoa`, `Turin`; a VLEK says `Milan`. */
  readonly productName?: string;
  readonly blSPL?: number;
  readonly teeSPL?: number;
  readonly snpSPL?: number;
  readonly ucodeSPL?: number;
  /** Turin only. */
  readonly fmcSPL?: number;
  /** 64 bytes (Milan/Genoa) or 8 bytes (Turin); VCEK only. */
  readonly hwId?: Uint8Array;
  /** VLEK only, e.g. `CN=cc-us-east-2.amazonaws.com`. */
  readonly cspId?: string;
}

/** An INTEGER that is a small non-negative number (SPLs ≥ 0x80 are `02 02 00 xx`). */
function smallUint(v: Uint8Array): number | undefined {
  const content = readInteger(v);
  if (!content || content.length < 1 || content.length > 6) return undefined;
  if (content[0]! & 0x80) return undefined; // negative
  let n = 0;
  for (const b of content) n = n * 256 + b;
  return n;
}

/**
 * hwID is raw bytes, with no inner OCTET STRING tag, in AMD's certificates (spec/snp.md §5).
 * trustee's `test-vcek-invalid-new.der` wraps it in an OCTET STRING (`04 40 …`); that form is
 * accepted too when the wrapper is exact and the content has one of the two real sizes.
 */
function hwIdBytes(v: Uint8Array): Uint8Array {
  if (v.length === 66 || v.length === 10) {
    const inner = readOctetString(v);
    if (inner && (inner.length === 64 || inner.length === 8)) return inner;
  }
  return v.slice();
}

/**
 * Reads the AMD extensions of a VCEK or VLEK (spec/snp.md §5 table). An extension that is
 * absent or malformed is left undefined (the TCB check then fails and says so); never throws.
 */
export function decodeAmdExtensions(cert: x509.X509Certificate): AmdCertExtensions {
  const out: { -readonly [K in keyof AmdCertExtensions]: AmdCertExtensions[K] } = {};
  for (const { suffix, value } of extensionsUnder(cert, AMD_EXTENSION_ARC)) {
    switch (suffix) {
      case '1':
        out.structVersion = smallUint(value);
        break;
      case '2':
        out.productName = readIa5String(value);
        break;
      case '3.1':
        out.blSPL = smallUint(value);
        break;
      case '3.2':
        out.teeSPL = smallUint(value);
        break;
      case '3.3':
        out.snpSPL = smallUint(value);
        break;
      case '3.8':
        out.ucodeSPL = smallUint(value);
        break;
      case '3.9':
        out.fmcSPL = smallUint(value);
        break;
      case '4':
        out.hwId = hwIdBytes(value);
        break;
      case '5':
        out.cspId = readIa5String(value);
        break;
      default:
        break; // .3.4–.3.7 are reserved SPLs (spec/snp.md §5)
    }
  }
  return out;
}
