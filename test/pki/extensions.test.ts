/**
 * Certificate extensions (src/pki/asn1.ts, extensions.ts, amd-extensions.ts, sgx-extensions.ts).
 *
 * The ASN.1 values are X.690 encodings written out by hand from the standard (tag, length,
 * content), including the spec/snp.md §5 example `02 02 00 d9`. The AMD extension values are
 * the spec/snp.md §5–§6 tables (virtee's Milan and Turin VCEKs, trustee's VLEK); the hwID
 * forms are spec/snp.md §5 (raw) and trustee's `test-vcek-invalid-new.der` (wrapped,
 * vectors/SOURCES.md). The PCK extension's FMSPC and PCE-ID are the ones Intel's collateral for
 * that quote names (spec/tdx.md §4.5, §5.1); the CA flag is OpenSSL's (`X509Certificate.ca`).
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { firstElement, readIa5String, readInteger, readObjectIdentifier, readOctetString, readSequence } from '../../src/pki/asn1.js';
import { loadCertificate, readCertificates } from '../../src/pki/certificate.js';
import { decodeAmdExtensions } from '../../src/pki/amd-extensions.js';
import { readPckExtensions } from '../../src/pki/sgx-extensions.js';
import { isCaCertificate } from '../../src/pki/extensions.js';
import { PkiError } from '../../src/pki/errors.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice, whenShared } from '../helpers/shared.js';

const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('pki/extensions');
const b = (...x: number[]): Uint8Array => new Uint8Array(x);
const hex = (x: Uint8Array | undefined): string | undefined => (x ? Buffer.from(x).toString('hex') : undefined);

describe('ASN.1 values (X.690)', () => {
  it('INTEGER content octets; ENUMERATED only when asked; nothing may follow', () => {
    expect(hex(readInteger(b(0x02, 0x01, 0x05)))).toBe('05');
    expect(hex(readInteger(b(0x02, 0x02, 0x00, 0xd9)))).toBe('00d9'); // spec/snp.md §5: ucodeSPL 0xD9
    expect(hex(readInteger(b(0x02, 0x81, 0x01, 0x05)))).toBe('05'); // long-form length (BER/DER framing still exact)
    expect(readInteger(b(0x02, 0x01, 0x05, 0x00))).toBeUndefined();
    expect(readInteger(b(0x0a, 0x01, 0x01))).toBeUndefined();
    expect(hex(readInteger(b(0x0a, 0x01, 0x01), { enumerated: true }))).toBe('01');
    expect(readInteger(b(0x04, 0x01, 0x05))).toBeUndefined();
  });

  it('IA5String, OCTET STRING, OBJECT IDENTIFIER', () => {
    expect(readIa5String(b(0x16, 0x05, ...new TextEncoder().encode('Genoa')))).toBe('Genoa');
    expect(readIa5String(b(0x0c, 0x01, 0x41))).toBeUndefined(); // UTF8String is another type
    expect(hex(readOctetString(b(0x04, 0x02, 0xab, 0xcd)))).toBe('abcd');
    expect(readOctetString(b(0x24, 0x04, 0x04, 0x02, 0xab, 0xcd))).toBeUndefined(); // constructed: not DER
    // 1.2.840.113741.1.13.1 (X.690 §8.19: 1*40+2, 840 = 86 48, 113741 = 86 f8 4d).
    expect(readObjectIdentifier(b(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01))).toBe('1.2.840.113741.1.13.1');
  });

  it('framing is DER: no indefinite length, no child running past its parent', () => {
    expect(hex(firstElement(b(0x30, 0x03, 0x02, 0x01, 0x05, 0xff)))).toBe('3003020105');
    expect(firstElement(b(0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00))).toBeUndefined();
    expect(firstElement(b(0x30, 0x05, 0x02, 0x01))).toBeUndefined();
    expect(readSequence(b(0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x07))?.map(hex)).toEqual(['020105', '040107']);
    // The INTEGER claims 3 content octets but its SEQUENCE ends after 1.
    expect(readSequence(b(0x30, 0x03, 0x02, 0x03, 0x05, 0x04, 0x01))).toBeUndefined();
  });
});

describeShared('AMD VCEK/VLEK extensions (spec/snp.md §5–§6)', () => {
  const cert = (f: string) => loadCertificate(readCertificates(sharedBytes(`evidence/snp/${f}`))[0]!);

  it('Milan VCEK: Milan-B0, BL 3, TEE 0, SNP 8, UCODE 0x73, 64-byte hwID', () => {
    const e = decodeAmdExtensions(cert('virtee-vcek_milan.der'));
    expect(e).toMatchObject({ structVersion: 0, productName: 'Milan-B0', blSPL: 3, teeSPL: 0, snpSPL: 8, ucodeSPL: 0x73 });
    expect(e.hwId).toHaveLength(64);
  });

  it('Turin VCEK: struct v1, "Turin", FMC 0, UCODE 9, hwID 1e550a8ee5cf9f4d', () => {
    const e = decodeAmdExtensions(cert('virtee-vcek_turin.der'));
    expect(e).toMatchObject({ structVersion: 1, productName: 'Turin', fmcSPL: 0, ucodeSPL: 9 });
    expect(hex(e.hwId)).toBe('1e550a8ee5cf9f4d');
  });

  it('VLEK: "Milan", cspId, ucodeSPL 0xD9 encoded 02 02 00 d9, no hwID', () => {
    const e = decodeAmdExtensions(cert('trustee-snp-test-vlek.der'));
    expect(e).toMatchObject({ productName: 'Milan', cspId: 'CN=cc-us-east-2.amazonaws.com', ucodeSPL: 0xd9 });
    expect(e.hwId).toBeUndefined();
  });

  it('hwID wrapped in an OCTET STRING reads as the same 64 bytes as the raw form', () => {
    const wrapped = cert('trustee-snp-test-vcek-invalid-new.der');
    const raw = new Uint8Array(wrapped.getExtension('1.3.6.1.4.1.3704.1.4')!.value);
    expect(hex(raw.subarray(0, 2))).toBe('0440');
    expect(hex(decodeAmdExtensions(wrapped).hwId)).toBe(hex(raw.subarray(2)));
  });

  it('a certificate without AMD extensions gives none', () => {
    expect(decodeAmdExtensions(cert('milan-ark.pem'))).toEqual({});
  });
});

describeShared('Intel PCK SGX extension and CA flags (spec/tdx.md §4.4–§4.5)', () => {
  const DIR = 'evidence/tdx';
  const chain = whenShared(() => loadTdxEvidence(sharedBytes(`${DIR}/dcapqvl-tdx_quote`)).quote!.pckChainDer.map((d) => loadCertificate(d)));

  it('FMSPC and PCE-ID are the ones of the TCB info Intel issued for this platform', () => {
    const ext = readPckExtensions(chain[0]!);
    const tcbInfo = JSON.parse(sharedJson<{ tcb_info: string }>(`${DIR}/dcapqvl-tdx_quote_collateral.json`).tcb_info) as { fmspc: string; pceId: string };
    expect(hex(ext.fmspc)).toBe(tcbInfo.fmspc.toLowerCase());
    expect(hex(ext.pceId)).toBe(tcbInfo.pceId.toLowerCase());
    expect(ext.sgxTcbComponentSvns).toHaveLength(16);
    expect(ext.cpuSvn).toHaveLength(16);
  });

  it('a certificate without the extension is BadExtension', () => {
    const e = (() => {
      try {
        readPckExtensions(chain[2]!);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(PkiError);
    expect(e).toMatchObject({ code: 'BadExtension' });
  });

  it('basicConstraints cA as OpenSSL reads it', () => {
    for (const c of chain) expect(isCaCertificate(c)).toBe(new NodeCertificate(new Uint8Array(c.rawData)).ca);
    expect(chain.map(isCaCertificate)).toEqual([false, true, true]);
  });
});
