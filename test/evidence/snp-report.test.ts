/**
 * SNP attestation report parsing and evidence detection (spec/snp.md §4, §6, §7 items 8–9).
 *
 * Expected values come from spec/snp.md §6 (the "key values" column of the attestation-report
 * table) and §4 (offsets, layouts, the TCB example), and from vectors/SOURCES.md (which file
 * is which); none is our own output. Tests that need ../shared skip with a notice without it;
 * the synthetic-report tests (built from the §4 offsets) always run.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceError } from '../../src/evidence/errors.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import {
  SNP_REPORT,
  SNP_REPORT_SIZE,
  SNP_SIGNED_LENGTH,
  decodeSignerInfo,
  decodeTcbVersion,
  parseSnpReport,
  productFromCpuid,
} from '../../src/evidence/snp-report.js';
import { fieldSize } from '../../src/format/struct.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/prng.js';

const SNP = 'evidence/snp';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const itShared = HAVE_SHARED ? it : it.skip;
sharedNotice('evidence/snp-report');

/** A synthetic report: fields written at the spec/snp.md §4 offsets. */
function craftReport(o: {
  version?: number;
  cpuid?: [number, number, number];
  reportedTcb?: bigint;
  chipId?: Uint8Array;
  signerInfo?: number;
  launchMit?: bigint;
  currentMit?: bigint;
}): Uint8Array {
  const b = new Uint8Array(SNP_REPORT_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0x000, o.version ?? 2, true);
  v.setUint32(0x034, 1, true);
  v.setUint32(0x048, o.signerInfo ?? 0, true);
  v.setBigUint64(0x180, o.reportedTcb ?? 0n, true);
  if (o.cpuid) b.set(o.cpuid, 0x188);
  if (o.chipId) b.set(o.chipId, 0x1a0);
  if (o.launchMit !== undefined) v.setBigUint64(0x1f8, o.launchMit, true);
  if (o.currentMit !== undefined) v.setBigUint64(0x200, o.currentMit, true);
  return b;
}

/** An Azure HCL report around `report` (spec/snp.md §6: "HCLA", SNP report at 0x20). */
function craftHcl(report: Uint8Array): Uint8Array {
  const b = new Uint8Array(0x20 + SNP_REPORT_SIZE);
  b.set([0x48, 0x43, 0x4c, 0x41, 1, 0, 0, 0]);
  b.set(report, 0x20);
  return b;
}

function expectEvidenceError(f: () => unknown, code: string): EvidenceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    expect((e as EvidenceError).code).toBe(code);
    return e as EvidenceError;
  }
  throw new Error(`expected EvidenceError ${code}`);
}

describe('SNP_REPORT layout (spec/snp.md §4)', () => {
  it('is 0x4A0 bytes and its fields tile it without gaps or overlaps', () => {
    expect(SNP_REPORT.size).toBe(0x4a0);
    const sorted = [...SNP_REPORT.entries].sort((a, b) => a[1].offset - b[1].offset);
    let at = 0;
    for (const [name, f] of sorted) {
      expect(f.offset, name).toBe(at);
      at += fieldSize(f);
    }
    expect(at).toBe(0x4a0);
  });

  it('places the §4 fields at their offsets', () => {
    const f = SNP_REPORT.fields;
    expect([f.policy.offset, f.measurement.offset, f.hostData.offset, f.idKeyDigest.offset]).toEqual([0x08, 0x90, 0xc0, 0xe0]);
    expect([f.reportedTcb.offset, f.cpuidFamId.offset, f.chipId.offset, f.launchTcb.offset]).toEqual([0x180, 0x188, 0x1a0, 0x1f0]);
    expect([f.launchMitVector.offset, f.currentMitVector.offset, f.signatureR.offset, f.signatureS.offset]).toEqual([0x1f8, 0x200, 0x2a0, 0x2e8]);
    expect(SNP_SIGNED_LENGTH).toBe(0x2a0);
  });
});

describe('field decoding (spec/snp.md §4)', () => {
  it('decodes the Milan TCB example 0x7308000000000003 as BL 3, TEE 0, SNP 8, UCODE 0x73', () => {
    expect(decodeTcbVersion(0x7308000000000003n, 'Milan')).toEqual({ raw: 0x7308000000000003n, bootLoader: 3, tee: 0, snp: 8, microcode: 0x73 });
    expect(decodeTcbVersion(0x7308000000000003n, undefined)).toEqual({ raw: 0x7308000000000003n, bootLoader: 3, tee: 0, snp: 8, microcode: 0x73 });
  });

  it('decodes the Turin layout: byte0 FMC, 1 BL, 2 TEE, 3 SNP, 7 MICROCODE', () => {
    const raw = 0x0500000004030201n;
    expect(decodeTcbVersion(raw, 'Turin')).toEqual({ raw, fmc: 1, bootLoader: 2, tee: 3, snp: 4, microcode: 5 });
  });

  it('maps CPUID to products: 19h/0xh Milan, 19h/1xh Genoa, 1Ah Turin', () => {
    expect(productFromCpuid({ family: 0x19, model: 0x01, stepping: 1 })).toBe('Milan');
    expect(productFromCpuid({ family: 0x19, model: 0x11, stepping: 1 })).toBe('Genoa');
    expect(productFromCpuid({ family: 0x1a, model: 0x02, stepping: 0 })).toBe('Turin');
    expect(productFromCpuid({ family: 0x17, model: 0x31, stepping: 0 })).toBeUndefined();
  });

  it('decodes signer info: bit0 AUTHOR_KEY_EN, bit1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY', () => {
    expect(decodeSignerInfo(0x4)).toMatchObject({ signingKey: 'vlek', authorKeyEn: false, maskChipKey: false });
    expect(decodeSignerInfo(0x3)).toMatchObject({ signingKey: 'vcek', authorKeyEn: true, maskChipKey: true });
    expect(decodeSignerInfo(7 << 2)).toMatchObject({ signingKey: 'none', signingKeyCode: 7 });
    expect(decodeSignerInfo(3 << 2)).toMatchObject({ signingKey: 'reserved', signingKeyCode: 3 });
  });
});

describe('synthetic reports (offsets of spec/snp.md §4)', () => {
  it('reads v5 mitigation vectors, and leaves them undefined before v5', () => {
    const v5 = parseSnpReport(craftReport({ version: 5, cpuid: [0x19, 0x01, 0x01], launchMit: 0xbn, currentMit: 0xbn }));
    expect(v5.launchMitVector).toBe(0xbn);
    expect(v5.currentMitVector).toBe(0xbn);
    const v3 = parseSnpReport(craftReport({ version: 3, cpuid: [0x19, 0x01, 0x01], launchMit: 0xbn }));
    expect(v3.launchMitVector).toBeUndefined();
  });

  it('reads CPUID from v3 on and picks the TCB layout from it (Turin)', () => {
    const r = parseSnpReport(craftReport({ version: 3, cpuid: [0x1a, 0x02, 0x00], reportedTcb: 0x0500000004030201n }));
    expect(r.cpuid).toEqual({ family: 0x1a, model: 0x02, stepping: 0 });
    expect(r.product).toBe('Turin');
    expect(r.reportedTcb).toMatchObject({ fmc: 1, bootLoader: 2, tee: 3, snp: 4, microcode: 5 });
  });

  it('has no CPUID in v2; guesses Turin from an 8-byte CHIP_ID (§4 last paragraph)', () => {
    const chip = new Uint8Array(64);
    chip.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const r = parseSnpReport(craftReport({ version: 2, cpuid: [0x19, 0x01, 0x01], chipId: chip }));
    expect(r.cpuid).toBeUndefined();
    expect(r.product).toBe('Turin');
    chip[20] = 1;
    expect(parseSnpReport(craftReport({ version: 2, chipId: chip })).product).toBeUndefined();
    // An all-zero (masked) CHIP_ID says nothing about the product.
    expect(parseSnpReport(craftReport({ version: 2 })).product).toBeUndefined();
  });

  it('accepts version 4 like 3, rejects other versions and other lengths', () => {
    expect(parseSnpReport(craftReport({ version: 4, cpuid: [0x19, 0x11, 0x01] })).product).toBe('Genoa');
    for (const version of [0, 1, 6, 0x100]) {
      expectEvidenceError(() => parseSnpReport(craftReport({ version })), 'UnsupportedVersion');
    }
    expectEvidenceError(() => parseSnpReport(new Uint8Array(SNP_REPORT_SIZE - 1)), 'Truncated');
    expectEvidenceError(() => parseSnpReport(new Uint8Array(SNP_REPORT_SIZE + 1)), 'Truncated');
  });

  it('detects raw, hex (whitespace, 0x prefix), HCL and JSON encodings', () => {
    const raw = craftReport({ version: 3, cpuid: [0x19, 0x11, 0x01] });
    expect(loadSnpEvidence(raw).encoding).toBe('raw');
    const text = '0x' + hex(raw).replace(/(.{64})/g, '$1\n  ');
    const h = loadSnpEvidence(new TextEncoder().encode(text));
    expect(h.encoding).toBe('hex');
    expect(h.report.raw).toEqual(raw);
    const hcl = loadSnpEvidence(craftHcl(raw));
    expect(hcl.encoding).toBe('azure-hcl');
    expect(hcl.report.raw).toEqual(raw);
    const json = loadSnpEvidence(new TextEncoder().encode(JSON.stringify({ report: Array.from(craftHcl(raw)) })));
    expect(json.encoding).toBe('json');
    expect(json.report.product).toBe('Genoa');
    // JSON may carry non-ASCII text and a byte-order mark besides the report (hex here).
    const utf8 = loadSnpEvidence(new TextEncoder().encode('\ufeff' + JSON.stringify({ note: 'Zürich ✓', snp_report: hex(raw) })));
    expect(utf8.encoding).toBe('json');
    expect(utf8.report.raw).toEqual(raw);
    // Standard base64 text (any line length) and base64url, as other tools print reports.
    const b64 = loadSnpEvidence(new TextEncoder().encode(Buffer.from(raw).toString('base64').replace(/(.{64})/g, '$1\n')));
    expect(b64.encoding).toBe('base64');
    expect(b64.report.raw).toEqual(raw);
    expect(loadSnpEvidence(new TextEncoder().encode(Buffer.from(craftHcl(raw)).toString('base64url'))).encoding).toBe('base64');
    // Zero padding after a report is tolerated.
    const padded = new Uint8Array(4096);
    padded.set(raw);
    expect(loadSnpEvidence(padded).report.raw).toEqual(raw);
  });

  it('rejects what is not SNP evidence with typed errors', () => {
    expectEvidenceError(() => loadSnpEvidence(new Uint8Array(0)), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new TextEncoder().encode('hello world')), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new TextEncoder().encode('{"quote": 1}')), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new TextEncoder().encode('{"report": ')), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')), 'UnknownEvidence');
    expectEvidenceError(() => loadSnpEvidence(new TextEncoder().encode('abc')), 'BadField');
    const e = expectEvidenceError(() => loadSnpEvidence(craftReport({ version: 2 }).subarray(0, 600)), 'Truncated');
    expect(e.offset).toBe(600);
    const hcl = expectEvidenceError(() => loadSnpEvidence(craftHcl(craftReport({ version: 9 }))), 'UnsupportedVersion');
    expect(hcl.offset).toBe(0x20);
    expectEvidenceError(() => loadSnpEvidence(craftHcl(craftReport({ version: 2 })).subarray(0, 0x100)), 'Truncated');
  });

  it('rejects a malformed certificate table after a report with its offset', () => {
    const b = new Uint8Array(SNP_REPORT_SIZE + 48);
    b.set(craftReport({ version: 2 }));
    b.set(fromHex('8d75da6364e66445adc5f4b93be8accd'), SNP_REPORT_SIZE);
    new DataView(b.buffer).setUint32(SNP_REPORT_SIZE + 16, 1000, true);
    new DataView(b.buffer).setUint32(SNP_REPORT_SIZE + 20, 10, true);
    const e = expectEvidenceError(() => loadSnpEvidence(b), 'BadField');
    expect(e.offset).toBe(SNP_REPORT_SIZE + 16);
  });
});

describe('real reports (spec/snp.md §6; files per vectors/SOURCES.md "Evidence (SNP)")', () => {
  itShared('virtee report_milan.hex: Milan v2, hex text, policy 0x30000, fw 1.52 build 4', () => {
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/virtee-report_milan.hex`));
    const r = ev.report;
    expect(ev.encoding).toBe('hex');
    expect(r.version).toBe(2);
    expect(r.policy).toBe(0x30000n);
    expect(hex(r.measurement)).toBe('7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f');
    expect(r.reportedTcb).toEqual({ raw: 0x7308000000000003n, bootLoader: 3, tee: 0, snp: 8, microcode: 0x73 });
    expect(r.currentVersion).toEqual({ major: 1, minor: 52, build: 4 });
    expect(r.cpuid).toBeUndefined();
    expect(r.signerInfo.signingKey).toBe('vcek');
    expect(r.familyId.every((b) => b === 0)).toBe(true); // no ID block
    expect(r.idKeyDigest.every((b) => b === 0)).toBe(true);
  });

  itShared('go-sev-guest attestation.bin: Milan v2, debug policy 0xB0000, report_data 0102030405…', () => {
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/gosevguest-attestation.bin`));
    const r = ev.report;
    expect(ev.encoding).toBe('raw');
    expect(r.version).toBe(2);
    expect(r.policy).toBe(0xb0000n);
    expect(hex(r.reportData).startsWith('0102030405')).toBe(true);
    expect(hex(r.measurement)).toBe('b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01');
    expect(r.reportedTcb.raw).toBe(0x4405000000000002n);
    expect(r.idKeyDigest.every((b) => b === 0)).toBe(true); // no ID block
    expect(r.signerInfo.signingKey).toBe('vcek'); // §6: "VCEK = verify/testdata/vcek.testcer"
  });

  itShared('trustee test-report.bin: Milan v2 with an ID block; CURRENT ucode 0xCE vs REPORTED 0x73', () => {
    const r = loadSnpEvidence(sharedBytes(`${SNP}/trustee-snp-test-report.bin`)).report;
    expect(r.version).toBe(2);
    expect(r.familyId[0]).toBe(0x01);
    expect(r.imageId[0]).toBe(0x02);
    expect(r.guestSvn).toBe(4);
    expect(r.policy).toBe(0x3001fn);
    expect(hex(r.idKeyDigest)).toBe('0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3');
    expect(hex(r.measurement)).toBe('a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c');
    // §6 "current_tcb 0xCE08…03 vs reported 0x7308…03"; §5 "CURRENT ucode 0xCE but REPORTED 0x73".
    expect(r.currentTcb).toMatchObject({ microcode: 0xce, snp: 8, bootLoader: 3 });
    expect(r.reportedTcb).toMatchObject({ microcode: 0x73, snp: 8, bootLoader: 3 });
    expect(r.signerInfo.signingKey).toBe('vcek');
  });

  itShared('trustee test-vlek-report.bin: Milan (AWS) v3, VLEK-signed (signer info 0x4), CPUID 19/01/01, chip_id zero', () => {
    const r = loadSnpEvidence(sharedBytes(`${SNP}/trustee-snp-test-vlek-report.bin`)).report;
    expect(r.version).toBe(3);
    expect(r.signerInfo.raw).toBe(0x4);
    expect(r.signerInfo.signingKey).toBe('vlek');
    expect(r.cpuid).toEqual({ family: 0x19, model: 0x01, stepping: 0x01 });
    expect(r.product).toBe('Milan');
    expect(r.chipId.every((b) => b === 0)).toBe(true);
    expect(hex(r.measurement)).toBe('8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0');
    expect(r.reportedTcb).toEqual({ raw: 0xd918000000000004n, bootLoader: 4, tee: 0, snp: 0x18, microcode: 0xd9 });
  });

  itShared('trustee az-snp-vtpm hcl-report.bin: HCLA wrapper, Milan v2, family 01 00…, image 02 00…, svn 5', () => {
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/trustee-az-snp-vtpm-hcl-report.bin`));
    const r = ev.report;
    expect(ev.encoding).toBe('azure-hcl');
    expect(r.version).toBe(2);
    expect([...r.familyId.subarray(0, 2)]).toEqual([0x01, 0x00]);
    expect([...r.imageId.subarray(0, 2)]).toEqual([0x02, 0x00]);
    expect(r.guestSvn).toBe(5);
    expect(hex(r.idKeyDigest).startsWith('03562158')).toBe(true);
    expect(hex(r.measurement)).toBe('9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c22944eb386d17c315');
    expect(r.signerInfo.signingKey).toBe('vcek'); // §6: "chain = az-snp-vtpm/vcek.pem (VCEK+ASK+ARK)"
    expect(ev.hclRuntimeData && new TextDecoder().decode(ev.hclRuntimeData).startsWith('{')).toBe(true);
  });

  itShared('trustee az-snp-vtpm evidence-genoa.json: Genoa v3, CPUID 19/11/01, VCEK inside the JSON', async () => {
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/trustee-az-snp-vtpm-evidence-genoa.json`));
    const r = ev.report;
    expect(ev.encoding).toBe('json');
    expect(r.version).toBe(3);
    expect(r.cpuid).toEqual({ family: 0x19, model: 0x11, stepping: 0x01 });
    expect(r.product).toBe('Genoa');
    expect(hex(r.measurement)).toBe('f57dc09a507c6ecd82369bffb600f0003792f4d99bc26e985ec0c266fc34faf3706faf814c9e61065768a6ff917c89ae');
    expect(r.reportedTcb).toEqual({ raw: 0x541700000000000an, bootLoader: 10, tee: 0, snp: 0x17, microcode: 0x54 });
    expect(r.signerInfo.signingKey).toBe('vcek'); // §6: "VCEK in the JSON vcek field"
    expect(ev.certificates.vcek).toBeDefined();
    const { describeAmdCertificate } = await import('../../src/evidence/amd-chain.js');
    expect(describeAmdCertificate(ev.certificates.vcek!).issuerCommonName).toBe('SEV-Genoa');
  });

  itShared('an HCL report carrying a TDX TDREPORT is not SNP evidence', () => {
    expectEvidenceError(() => loadSnpEvidence(sharedBytes('evidence/tdx/trustee-az-tdx-vtpm-hcl-report.bin')), 'UnknownEvidence');
  });

  itShared('reads certificates from an extended-report certificate table (spec/snp.md §5 GUIDs)', () => {
    const report = sharedBytes(`${SNP}/trustee-snp-test-report.bin`);
    const vcek = sharedBytes(`${SNP}/trustee-snp-test-vcek.der`);
    const pem = (t: string) => new Uint8Array(Buffer.from(t.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const ask = pem(new TextDecoder().decode(sharedBytes(`${SNP}/milan-ask.pem`)));
    const ark = pem(new TextDecoder().decode(sharedBytes(`${SNP}/milan-ark.pem`)));
    // Entries in the kernel's guid_t byte order (first three fields little-endian).
    const guids = ['8d75da6364e66445adc5f4b93be8accd', '79b3b74aacbbe44fa02f05aef327c782', 'a406b4c003a8524997433fb6014cd0ae'];
    const certs = [vcek, ask, ark];
    const tableLen = 24 * 4;
    const total = tableLen + certs.reduce((n, c) => n + c.length, 0);
    const table = new Uint8Array(total);
    const dv = new DataView(table.buffer);
    let at = tableLen;
    certs.forEach((c, i) => {
      table.set(fromHex(guids[i]!), 24 * i);
      dv.setUint32(24 * i + 16, at, true);
      dv.setUint32(24 * i + 20, c.length, true);
      table.set(c, at);
      at += c.length;
    });
    const input = new Uint8Array(SNP_REPORT_SIZE + total);
    input.set(report);
    input.set(table, SNP_REPORT_SIZE);
    const ev = loadSnpEvidence(input);
    expect(ev.certificates.vcek).toEqual(vcek);
    expect(ev.certificates.ask).toEqual(ask);
    expect(ev.certificates.ark).toEqual(ark);
  });
});

// ---- fuzz -----------------------------------------------------------------------------------


describe('fuzz: loadSnpEvidence throws nothing but EvidenceError', () => {
  it('survives truncations, bit flips, hex garbage and JSON garbage (fixed seed, 2000 inputs)', () => {
    const rand = mulberry32(0x5e5_2024);
    const int = (n: number) => Math.floor(rand() * n);
    const enc = new TextEncoder();
    const synthetic = craftReport({ version: 5, cpuid: [0x1a, 0x02, 0x00], reportedTcb: 0x0500000004030201n, launchMit: 1n });
    const seeds: Uint8Array[] = [
      synthetic,
      craftHcl(synthetic),
      enc.encode(hex(synthetic)),
      enc.encode(JSON.stringify({ report: Array.from(craftHcl(synthetic)), vcek: 'none' })),
      enc.encode(Buffer.from(synthetic).toString('base64')),
      enc.encode(Buffer.from(craftHcl(synthetic)).toString('base64').replace(/(.{76})/g, '$1\r\n')),
    ];
    if (HAVE_SHARED) {
      for (const f of [
        'virtee-report_milan.hex',
        'gosevguest-attestation.bin',
        'trustee-snp-test-report.bin',
        'trustee-snp-test-vlek-report.bin',
        'trustee-az-snp-vtpm-hcl-report.bin',
        'trustee-az-snp-vtpm-evidence-genoa.json',
      ]) {
        seeds.push(sharedBytes(`${SNP}/${f}`));
      }
    }
    const garbageJson = ['{', '[]', '{"report": "zz"}', '{"report": [1,2,300]}', '{"report": {"report": [2,0,0,0]}}', '{"vcek": "-----BEGIN CERTIFICATE-----\\nQUJD\\n-----END CERTIFICATE-----"}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["report"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"report": "' + 'ab'.repeat(1184) + '"}', '{"report": "' + 'A'.repeat(1580) + '"}', 'null', '"x"', '{"ask": [48, 130, 1, 0]}'];
    const unexpected: string[] = [];
    let accepted = 0;
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const seed = seeds[int(seeds.length)]!;
      let input: Uint8Array;
      switch (int(6)) {
        case 0:
          input = seed.slice(0, int(seed.length + 1));
          break;
        case 1: {
          input = seed.slice();
          const flips = 1 + int(4);
          for (let k = 0; k < flips; k++) {
            const at = int(input.length);
            input[at] = input[at]! ^ (1 << int(8));
          }
          break;
        }
        case 2: {
          const len = int(2600);
          let s = '';
          for (let k = 0; k < len; k++) s += '0123456789abcdefABCDEF \n\tgx'[int(27)];
          input = enc.encode(s);
          break;
        }
        case 3: {
          const base = garbageJson[int(garbageJson.length)]!;
          const chars = base.split('');
          for (let k = int(3); k > 0; k--) chars.splice(int(chars.length + 1), int(2), '{}[]",:0x'[int(9)]!);
          input = enc.encode(chars.join(''));
          break;
        }
        case 4: {
          // A report header field set to a boundary value.
          input = seed.slice();
          const at = int(Math.min(input.length, 0x600)) & ~3;
          new DataView(input.buffer).setUint32(Math.max(0, Math.min(at, input.length - 4)), [0, 1, 2, 5, 6, 0xffffffff][int(6)]!, true);
          break;
        }
        default: {
          input = new Uint8Array(int(3000));
          for (let k = 0; k < input.length; k++) input[k] = int(256);
          if (rand() < 0.5 && input.length >= 4) input.set([0x48, 0x43, 0x4c, 0x41]);
          break;
        }
      }
      try {
        loadSnpEvidence(input);
        accepted++;
      } catch (e) {
        if (!(e instanceof EvidenceError)) unexpected.push(`#${i}: ${String(e)}`);
        else if (e.offset !== undefined && (e.offset < 0 || e.offset > input.length)) unexpected.push(`#${i}: offset ${e.offset} outside ${input.length} bytes`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
  });
});
