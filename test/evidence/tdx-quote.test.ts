/**
 * TDX quote, TDREPORT and Azure HCL parsing (src/evidence/tdx-quote.ts, tdreport.ts, tdx-input.ts,
 * azure-hcl.ts).
 *
 * Expected values come from spec/tdx.md (section named at each use) and vectors/SOURCES.md
 * ("Evidence (TDX)"), never from our own output. Real-data tests read ../shared/vectors and
 * skip with a notice when it is absent; the crafted quotes below are built from the byte
 * offsets of tdx.md §4.1–§4.3 directly (not from our layout tables), so a fresh clone still
 * tests the parser.
 */
import { bytesToHex as toHex } from '../../src/format/bytes.js';
import { describe, expect, it } from 'vitest';
import { EvidenceError } from '../../src/evidence/errors.js';
import { parseTdReport } from '../../src/evidence/tdreport.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { decodeTdAttributes, parseTdxQuote, type TdxQuote } from '../../src/evidence/tdx-quote.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const DIR = 'evidence/tdx';

/** tdx.md §5.1: every quote in the shared vectors, with its size, version and MRTD. */
const QUOTES: ReadonlyArray<{
  file: string;
  size: number;
  version: 4 | 5;
  bodyType?: 3;
  mrtd: string;
}> = [
  {
    file: 'gotdxguest-tdx_prod_quote_SPR_E4.dat',
    size: 4974,
    version: 4,
    mrtd: '6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb',
  },
  {
    file: 'gotdxguest-quote_v5_sample.dat',
    size: 5006,
    version: 5,
    bodyType: 3,
    mrtd: '7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876',
  },
  {
    file: 'gotdxguest-cos-113-tdx-quote.dat',
    size: 8000,
    version: 4,
    mrtd: 'dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954dba41394c7717cb2735396c1d04231f94a',
  },
  {
    file: 'trustee-tdx_quote_4.dat',
    size: 4936,
    version: 4,
    mrtd: '705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031',
  },
  {
    file: 'trustee-tdx_quote_5.dat',
    size: 5006,
    version: 5,
    bodyType: 3,
    mrtd: 'dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a',
  },
  {
    file: 'trustee-tdx_quote_6.dat',
    size: 5006,
    version: 4,
    mrtd: '21e8dead92d6c69d7cbba79816686c03a48485c7df0c11f6f04792d5e1d378f6b8c46615ba6946adccac6becffbb1e88',
  },
  {
    file: 'trustee-az-tdx-vtpm-td-quote.bin',
    size: 5006,
    version: 4,
    mrtd: '024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c1ba7ab7b',
  },
  {
    file: 'dcapqvl-tdx_quote',
    size: 5006,
    version: 4,
    mrtd: '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
  },
  {
    file: 'dcapqvl-tdx_quote_outdated',
    size: 5006,
    version: 5,
    bodyType: 3,
    mrtd: '273828c46252fcbdd8ad2dd907130222b03466d52a2911d70c1a5950895d6bd1ae451d382d5a9b1b4c0ed0e5ae9a3dbd',
  },
];

/** tdx.md §5.1: dcap-qvl's hex-text sample (10014 bytes of 0x-prefixed hex, a v4 quote). */
const HEX_QUOTE = {
  file: 'dcapqvl-tdx-quote.hex',
  size: 10014,
  mrtd: '7ba9e262ce6979087e34632603f354dd8f8a870f5947d116af8114db6c9d0d74c48bec4280e5b4f4a37025a10905bb29',
};

/** tdx.md §4.1 and §4.3 constants. */
const INTEL_QE_VENDOR = '939a7233f79c4ca9940a0db3957f0607';
const TD_QE_MRSIGNER = 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5';

/** The 8 raw little-endian bytes of a u64, as the spec prints TDATTRIBUTES/XFAM (tdx.md §3). */
function u64Hex(v: bigint): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return toHex(b);
}

function expectEvidenceError(f: () => unknown, code: string, offset?: number): EvidenceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    const err = e as EvidenceError;
    expect(err.code).toBe(code);
    if (offset !== undefined) expect(err.offset).toBe(offset);
    return err;
  }
  throw new Error(`expected EvidenceError ${code}`);
}

function quoteOf(file: string): TdxQuote {
  const ev = loadTdxEvidence(sharedBytes(`${DIR}/${file}`));
  expect(ev.kind).toBe('quote');
  if (!ev.quote) throw new Error('no quote');
  return ev.quote;
}

// ---- crafted quotes (no ../shared needed) -----------------------------------------------------

/**
 * A structurally valid quote built from tdx.md §4.1–§4.3 offsets: header, body (MRTD filled
 * with 0xAA), signature data with a QE report, 32 bytes of auth data and a one-certificate PEM
 * "chain" (any base64 will do for parsing). Signatures are zeros: this is for the parser only.
 */
function craftQuote(version: 4 | 5, bodyType: 2 | 3 = 2, trailing = 0): Uint8Array {
  const bodySize = bodyType === 3 ? 648 : 584;
  const bodyStart = version === 5 ? 0x36 : 0x30;
  const pem = '-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n\0';
  const chain = new TextEncoder().encode(pem);
  const qeCert = 384 + 64 + 2 + 32 + 6 + chain.length;
  const sigData = 64 + 64 + 6 + qeCert;
  const sigLenAt = bodyStart + bodySize;
  const total = sigLenAt + 4 + sigData + trailing;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint16(0x00, version, true);
  v.setUint16(0x02, 2, true);
  v.setUint32(0x04, 0x81, true);
  b.set(Buffer.from(INTEL_QE_VENDOR, 'hex'), 0x0c);
  if (version === 5) {
    v.setUint16(0x30, bodyType, true);
    v.setUint32(0x32, bodySize, true);
  }
  b.fill(0xaa, bodyStart + 0x88, bodyStart + 0x88 + 48); // MRTD (tdx.md §4.2 body offset 0x88)
  v.setUint32(sigLenAt, sigData, true);
  const s = sigLenAt + 4;
  v.setUint16(s + 128, 6, true);
  v.setUint32(s + 130, qeCert, true);
  v.setUint16(s + 256 + 134, 2, true); // QE ISVPRODID at QE report offset 256
  v.setUint16(s + 582, 32, true);
  for (let i = 0; i < 32; i++) b[s + 584 + i] = i;
  v.setUint16(s + 616, 5, true);
  v.setUint32(s + 618, chain.length, true);
  b.set(chain, s + 622);
  return b;
}

describe('crafted quotes (tdx.md §4.1–§4.3 offsets)', () => {
  it('parses a v4 quote: body at 0x30, signature_data_len at 0x278', () => {
    const q = parseTdxQuote(craftQuote(4));
    expect(q.version).toBe(4);
    expect(q.bodyOffset).toBe(0x30);
    expect(q.signedBytes.length).toBe(0x278); // tdx.md §4.4: v4 signs 0..0x278
    expect(toHex(q.body.mrTd)).toBe('aa'.repeat(48));
    expect(q.qeReport.isvProdId).toBe(2);
    expect(q.qeAuthData.length).toBe(32);
    expect(q.pckChainDer).toHaveLength(1);
    expect(Array.from(q.pckChainDer[0] ?? [])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(q.trailingBytes).toBe(0);
  });

  it('parses a v5 TDX 1.5 quote: MRTD at quote offset 0xBE, signature_data_len at 0x2BE (tdx.md §4.2, §4.4)', () => {
    const bytes = craftQuote(5, 3, 17);
    const q = parseTdxQuote(bytes);
    expect(q.version).toBe(5);
    expect(q.bodyType).toBe(3);
    expect(toHex(bytes.subarray(0xbe, 0xbe + 48))).toBe('aa'.repeat(48));
    expect(toHex(q.body.mrTd)).toBe('aa'.repeat(48));
    expect(q.signedBytes.length).toBe(0x2be);
    expect(q.body.teeTcbSvn2).toHaveLength(16);
    expect(q.body.mrServiceTd).toHaveLength(48);
    expect(q.trailingBytes).toBe(17);
  });

  it('parses a v5 TDX 1.0 body (body type 2, 584 bytes) without the 1.5 fields', () => {
    const q = parseTdxQuote(craftQuote(5, 2));
    expect(q.bodyType).toBe(2);
    expect(q.body.teeTcbSvn2).toBeUndefined();
    expect(q.signedBytes.length).toBe(0x36 + 584);
  });

  it('rejects every truncation of a crafted quote with an EvidenceError at a field offset', () => {
    const full = craftQuote(5, 3);
    for (let n = 0; n < full.length; n += 7) {
      const err = expectEvidenceError(() => loadTdxEvidence(full.subarray(0, n)), n < 8 ? 'UnknownEvidence' : 'Truncated');
      if (err.offset !== undefined) expect(err.offset).toBeLessThanOrEqual(n);
    }
  });

  it('rejects bad header and length fields with their offsets', () => {
    const q = craftQuote(4);
    const set = (f: (v: DataView) => void): Uint8Array => {
      const c = q.slice();
      f(new DataView(c.buffer));
      return c;
    };
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint16(0, 3, true))), 'UnsupportedVersion', 0);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint16(2, 3, true))), 'BadField', 2);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint32(0x278, 0xffff_ffff, true))), 'Truncated', 0x278);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint16(0x27c + 128, 7, true))), 'BadField', 0x27c + 128);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint32(0x27c + 130, 0xffff_ffff, true))), 'BadField', 0x27c + 130);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint16(0x27c + 582, 0xffff, true))), 'BadField', 0x27c + 582);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint16(0x27c + 616, 4, true))), 'BadField', 0x27c + 616);
    expectEvidenceError(() => loadTdxEvidence(set((v) => v.setUint32(0x27c + 618, 0x7fff_ffff, true))), 'BadField', 0x27c + 618);
    // An SGX quote (TEE type 0) is recognised and named, not parsed (tdx.md §4.1).
    const sgx = set((v) => {
      v.setUint16(0, 3, true);
      v.setUint32(4, 0, true);
    });
    expect(expectEvidenceError(() => loadTdxEvidence(sgx), 'UnknownEvidence').message).toMatch(/SGX/);
    const v5 = craftQuote(5, 3);
    const v5set = (f: (v: DataView) => void): Uint8Array => {
      const c = v5.slice();
      f(new DataView(c.buffer));
      return c;
    };
    expectEvidenceError(() => loadTdxEvidence(v5set((v) => v.setUint16(0x30, 1, true))), 'BadField', 0x30);
    expectEvidenceError(() => loadTdxEvidence(v5set((v) => v.setUint32(0x32, 584, true))), 'BadField', 0x32);
  });

  it('reads hex text of a quote (0x prefix, upper case, line breaks)', () => {
    const q = craftQuote(4, 2, 3);
    const text = `0x${Buffer.from(q).toString('hex').toUpperCase().replace(/(.{64})/g, '$1\n')}\n`;
    const ev = loadTdxEvidence(new TextEncoder().encode(text));
    expect(ev.encoding).toBe('hex');
    expect(ev.kind).toBe('quote');
    expect(toHex(ev.quote?.body.mrTd ?? new Uint8Array())).toBe('aa'.repeat(48));
  });

  it('rejects what is not TDX evidence', () => {
    expectEvidenceError(() => loadTdxEvidence(new Uint8Array(0)), 'UnknownEvidence');
    expectEvidenceError(() => loadTdxEvidence(new TextEncoder().encode('hello world')), 'UnknownEvidence');
    expectEvidenceError(() => loadTdxEvidence(new Uint8Array(1024)), 'UnknownEvidence'); // REPORTTYPE 0, not 0x81
    expectEvidenceError(() => parseTdReport(new Uint8Array(1000)), 'Truncated');
  });

  it('names the TDATTRIBUTES bits (tdx.md §3 examples)', () => {
    // `0000001000000000` = only SEPT_VE_DISABLE; `0100001000000000` = DEBUG + SEPT_VE_DISABLE.
    expect(decodeTdAttributes(0x1000_0000n)).toEqual(['SEPT_VE_DISABLE']);
    expect(decodeTdAttributes(0x1000_0001n)).toEqual(['DEBUG', 'SEPT_VE_DISABLE']);
  });
});

// ---- real quotes ---------------------------------------------------------------------------------

sharedNotice('TDX evidence parsing');

describe.skipIf(!HAVE_SHARED)('real TDX quotes (tdx.md §5.1)', () => {
  it.each(QUOTES)('$file: v$version, MRTD from tdx.md §5.1', ({ file, size, version, bodyType, mrtd }) => {
    const bytes = sharedBytes(`${DIR}/${file}`);
    expect(bytes.length).toBe(size);
    const ev = loadTdxEvidence(bytes);
    expect(ev.encoding).toBe('binary');
    const q = quoteOf(file);
    expect(q.version).toBe(version);
    if (bodyType) expect(q.bodyType).toBe(bodyType);
    expect(toHex(q.body.mrTd)).toBe(mrtd);
    // tdx.md §4.2 / §6 item 8: MRTD at quote offset 0xB8 in v4 and 0xBE in a v5 TDX 1.5 quote.
    const mrtdAt = version === 4 ? 0xb8 : 0xbe;
    expect(toHex(bytes.subarray(mrtdAt, mrtdAt + 48))).toBe(mrtd);
    // tdx.md §4.4: the signed region ends at signature_data_len: 0x278 (v4), 0x2BE (v5, TDX 1.5).
    expect(q.signedBytes.length).toBe(version === 4 ? 0x278 : 0x2be);
    expect(toHex(q.signedBytes)).toBe(toHex(bytes.subarray(0, q.signedBytes.length)));
    // tdx.md §4.1: key type 2, TEE type 0x81, Intel's QE vendor ID.
    expect(q.header.attestationKeyType).toBe(2);
    expect(q.header.teeType).toBe(0x81);
    expect(toHex(q.header.qeVendorId)).toBe(INTEL_QE_VENDOR);
    // tdx.md §4.3: certification data types 6 and 5; the QE is Intel's TD QE (ISVPRODID 2).
    expect(q.certificationDataType).toBe(6);
    expect(q.pckChainType).toBe(5);
    expect(toHex(q.qeReport.mrSigner)).toBe(TD_QE_MRSIGNER);
    expect(q.qeReport.isvProdId).toBe(2);
    // tdx.md §4.3: the chain is PCK leaf, PCK CA, root.
    expect(q.pckChainDer).toHaveLength(3);
    expect(q.pckChainPem).toContain('-----BEGIN CERTIFICATE-----');
    expect(q.end + q.trailingBytes).toBe(size);
  });

  it('the SPR quote carries 39 trailing test bytes and TDATTRIBUTES 0000004000000000 (tdx.md §4.3, §5.1)', () => {
    const q = quoteOf('gotdxguest-tdx_prod_quote_SPR_E4.dat');
    expect(q.trailingBytes).toBe(39);
    expect(u64Hex(q.body.tdAttributes)).toBe('0000004000000000');
  });

  it('trustee tdx_quote_6 carries 70 trailing zero bytes (tdx.md §4.3, §5.1)', () => {
    const bytes = sharedBytes(`${DIR}/trustee-tdx_quote_6.dat`);
    const q = parseTdxQuote(bytes);
    expect(q.trailingBytes).toBe(70);
    expect(bytes.subarray(q.end).every((b) => b === 0)).toBe(true);
  });

  it('the COS-113 quote is zero-padded to 8000 bytes (tdx.md §5.1, §6 item 10)', () => {
    const bytes = sharedBytes(`${DIR}/gotdxguest-cos-113-tdx-quote.dat`);
    const q = parseTdxQuote(bytes);
    expect(q.trailingBytes).toBeGreaterThan(0);
    expect(bytes.subarray(q.end).every((b) => b === 0)).toBe(true);
  });

  it('trustee tdx_quote_4 is DEBUG + SEPT_VE_DISABLE (tdx.md §5.1)', () => {
    const q = quoteOf('trustee-tdx_quote_4.dat');
    expect(decodeTdAttributes(q.body.tdAttributes)).toEqual(['DEBUG', 'SEPT_VE_DISABLE']);
  });

  it('the go-tdx-guest v5 sample is v5, body type 3, with TEE_TCB_SVN_2 and a zero MRSERVICETD (tdx.md §5.1)', () => {
    const q = quoteOf('gotdxguest-quote_v5_sample.dat');
    expect(q.version).toBe(5);
    expect(q.bodyType).toBe(3);
    expect(q.body.teeTcbSvn2).toHaveLength(16);
    expect(toHex(q.body.mrServiceTd ?? new Uint8Array(1))).toBe('00'.repeat(48));
  });

  it('trustee tdx_quote_5 has a non-zero MRSERVICETD (tdx.md §5.1)', () => {
    const q = quoteOf('trustee-tdx_quote_5.dat');
    expect(q.bodyType).toBe(3);
    expect(q.body.mrServiceTd?.some((b) => b !== 0)).toBe(true);
  });

  it('the Azure quote and the dcap-qvl outdated quote have RTMR0–2 zero (tdx.md §3, §5.1)', () => {
    for (const file of ['trustee-az-tdx-vtpm-td-quote.bin', 'dcapqvl-tdx_quote_outdated']) {
      const q = quoteOf(file);
      for (const r of [q.body.rtmr0, q.body.rtmr1, q.body.rtmr2]) expect(toHex(r)).toBe('00'.repeat(48));
    }
  });

  it('parses the hex-text sample (tdx.md §5.1)', () => {
    const bytes = sharedBytes(`${DIR}/${HEX_QUOTE.file}`);
    expect(bytes.length).toBe(HEX_QUOTE.size);
    const ev = loadTdxEvidence(bytes);
    expect(ev.encoding).toBe('hex');
    expect(ev.kind).toBe('quote');
    expect(ev.quote?.version).toBe(4);
    expect(toHex(ev.quote?.body.mrTd ?? new Uint8Array())).toBe(HEX_QUOTE.mrtd);
  });

  it('rejects a truncated real quote with the offset of the field that runs out', () => {
    const bytes = sharedBytes(`${DIR}/dcapqvl-tdx_quote`);
    expectEvidenceError(() => loadTdxEvidence(bytes.subarray(0, 0x200)), 'Truncated', 0x30);
    expectEvidenceError(() => loadTdxEvidence(bytes.subarray(0, 0x300)), 'Truncated', 0x278);
  });
});

describe.skipIf(!HAVE_SHARED)('Azure HCL report and TDREPORT (tdx.md §4.3a, §5.2)', () => {
  const AZ_MRTD = '024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c1ba7ab7b';

  it('yields the TDREPORT at offset 32, whose fields equal the matching Azure quote', () => {
    const hcl = sharedBytes(`${DIR}/trustee-az-tdx-vtpm-hcl-report.bin`);
    expect(hcl.length).toBe(2600);
    const ev = loadTdxEvidence(hcl);
    expect(ev.kind).toBe('hcl-report');
    expect(ev.quote).toBeUndefined();
    const r = ev.tdReport;
    if (!r) throw new Error('no TDREPORT');
    expect(r.reportMacStruct.teeType).toBe(0x81);
    expect(toHex(r.tdInfo.mrTd)).toBe(AZ_MRTD);
    // tdx.md §4.3a: "the fields equal the matching quote's"; the quote body is assembled from
    // TEE_TCB_INFO, TDINFO (ATTRIBUTES through RTMR3) and REPORTDATA.
    const q = quoteOf('trustee-az-tdx-vtpm-td-quote.bin');
    expect(toHex(r.teeTcbInfo.teeTcbSvn)).toBe(toHex(q.body.teeTcbSvn));
    expect(toHex(r.teeTcbInfo.mrSeam)).toBe(toHex(q.body.mrSeam));
    expect(toHex(r.teeTcbInfo.mrSignerSeam)).toBe(toHex(q.body.mrSignerSeam));
    expect(r.teeTcbInfo.seamAttributes).toBe(q.body.seamAttributes);
    expect(r.tdInfo.tdAttributes).toBe(q.body.tdAttributes);
    expect(r.tdInfo.xfam).toBe(q.body.xfam);
    for (const k of ['mrConfigId', 'mrOwner', 'mrOwnerConfig', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const) {
      expect(toHex(r.tdInfo[k])).toBe(toHex(q.body[k]));
    }
    expect(toHex(r.reportMacStruct.reportData)).toBe(toHex(q.body.reportData));
    // tdx.md §5.2: the runtime-claims JSON starts at offset 1236.
    expect(ev.hcl?.runtimeClaims?.[0]).toBe('{'.charCodeAt(0));
    expect(toHex(ev.hcl?.runtimeClaims ?? new Uint8Array())).toBe(
      toHex(hcl.subarray(1236, 1236 + (ev.hcl?.runtimeClaims?.length ?? 0))),
    );
  });

  it('reads a bare TDREPORT: REPORTDATA at 0x80, MRTD at 0x210 (tdx.md §6 item 8)', () => {
    const report = sharedBytes(`${DIR}/trustee-az-tdx-vtpm-hcl-report.bin`).slice(32, 32 + 1024);
    const ev = loadTdxEvidence(report);
    expect(ev.kind).toBe('tdreport');
    expect(toHex(ev.tdReport?.tdInfo.mrTd ?? new Uint8Array())).toBe(AZ_MRTD);
    expect(toHex(report.subarray(0x210, 0x210 + 48))).toBe(AZ_MRTD);
    expect(toHex(report.subarray(0x80, 0x80 + 64))).toBe(toHex(ev.tdReport?.reportMacStruct.reportData ?? new Uint8Array()));
  });

  it('rejects an HCL report that carries an SNP report', () => {
    const snp = 'evidence/snp/trustee-az-snp-vtpm-hcl-report.bin';
    expectEvidenceError(() => loadTdxEvidence(sharedBytes(snp)), 'UnknownEvidence');
  });
});
