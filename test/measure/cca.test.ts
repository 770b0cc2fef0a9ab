/**
 * The Arm CCA RIM model (src/measure/cca.ts) and the step-list reader (cca-steps.ts): the 14
 * published realm launches of ../shared/vectors/cca, the worked examples and byte dump of
 * spec/cca.md §1.4 and §3, typed errors for bad input, and a seeded fuzz of the reader.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  CCA_ERROR_CODES,
  CcaError,
  CcaRealm,
  ccaHashAlgorithmFromCode,
  ccaHashAlgorithmFromName,
  ccaRttBlockSizes,
  ccaRuleSetFromName,
  foldCcaStepList,
  nobleHashBackend,
  parseCcaStepListText,
  readCcaStepList,
  type CcaRealmHash,
  type CcaRealmParams,
  type CcaRuleSet,
  type HashBackend,
  type TraceStep,
} from '../../src/measure/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedJson, sharedNotice, whenShared } from '../helpers/shared.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Expects `f` to throw a `CcaError` with `code` (and, when given, the step index and field). */
function expectCca(f: () => unknown, code: string, where: { stepIndex?: number; field?: string } = {}): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CcaError);
  const e = thrown as CcaError;
  expect(e.code).toBe(code);
  if ('stepIndex' in where) expect(e.stepIndex).toBe(where.stepIndex);
  if ('field' in where) expect(e.field).toBe(where.field);
}

// ---- the published launches ----------------------------------------------------------------

interface VectorFile {
  case: string;
  hash_algorithm: string;
  published_rim: string;
  rim: string;
  steps: Array<Record<string, unknown>>;
}

sharedNotice('CCA step lists (vectors/cca)');
const VECTOR_FILES = whenShared(() =>
  readdirSync(join(SHARED_VECTORS, 'cca'))
    .filter((f) => f.endsWith('.json'))
    .sort(),
);

describe.skipIf(!HAVE_SHARED)('CCA RIM of the published launches (vectors/cca)', () => {
  it('has the 14 cases', () => {
    expect(VECTOR_FILES).toHaveLength(14);
  });

  // Expected values: `published_rim`, the RIM veraison/cca-realm-measurements @ 08aaf5a3 prints
  // for each launch (tests/event_log.rs, src/realm_config.rs, tests/cmdline.rs; spec/cca.md §3.1).
  it.each(HAVE_SHARED ? VECTOR_FILES : ['-'])('%s reproduces its published RIM', (file) => {
    const raw = sharedJson<VectorFile>(`cca/${file}`);
    const list = readCcaStepList(raw);
    const result = foldCcaStepList(list);
    // Some published values are a prefix (veraison prints one digit short); never a trivial one.
    expect(raw.published_rim.length).toBeGreaterThanOrEqual(63);
    expect(hex(result.measurement).startsWith(raw.published_rim)).toBe(true);
    // The file's full value (`rim`, the hash-size bytes the token reports) begins with it too.
    expect(hex(result.measurement)).toBe(raw.rim);
    // The 64-byte RmmRealmMeasurement: the hash, then zeros (spec/cca.md §1.2).
    expect(result.rim).toHaveLength(64);
    expect(hex(result.rim)).toBe(raw.rim.padEnd(128, '0'));
  });

  it('vector 5 passes through the intermediate RIMs of spec/cca.md §3.1', () => {
    // Expected: spec/cca.md §3.1 "Intermediate values for vector 5", whose end value veraison published.
    const list = readCcaStepList(sharedJson('cca/05-veraison-cmdline-rs-kvmtool-firmware.json'));
    const trace: TraceStep[] = [];
    foldCcaStepList(list, { trace: (t) => trace.push(t) });
    const after = (n: number): string => hex(trace[n - 1]!.digest);
    expect(after(1)).toBe('9abbddd3cf68930801ba9475b12b0036bf43bd1399a161b178751d2f7b2880c3');
    expect(trace.slice(1, 257).every((t) => t.record === 'ripas')).toBe(true);
    expect(after(257)).toBe('365183bedfd6b2b008421cd9987384ebad20438e6cb3a9a1b6dbdfef3ca1aec7');
    expect(trace[257]!.gpa).toBe(0x80000000n);
    expect(after(258)).toBe('e7bb6d28bf8034d7764da637acace2409ce2fd9148c83679c307ac4c31e3fc9c');
    expect(after(274)).toBe('dc293bf5e692d314d7dcd8789dcce789ac5d1322d04c9a03819c8146529db94e');
    expect(trace[274]!.record).toBe('rec');
    expect(after(275)).toBe('cf37146fce0ad50e1be1a04580c1024e5449b430b0dd96b6ef5c9a2b73767bf5');
  });

  it('replaces a granule by its content hash and gets the same RIM', () => {
    const raw = sharedJson<VectorFile>('cca/09-veraison-cmdline-rs-qemu-bios.json');
    const steps = raw.steps.map((s) =>
      s.op === 'data' && s.measure === true ? { op: 'data', ipa: s.ipa, measure: true, content_hash: hex(nobleSha256(padGranule(Buffer.from(String(s.content_b64), 'base64')))) } : s,
    );
    expect(hex(foldCcaStepList(readCcaStepList({ ...raw, steps })).measurement)).toBe(raw.published_rim);
  });
});

function padGranule(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(4096);
  out.set(b);
  return out;
}

// ---- spec/cca.md worked examples (§1.4 byte dump, §3.2) --------------------------------------

/** The realm parameters of spec/cca.md §3.2. */
const PARAMS: CcaRealmParams = { flags: 0n, s2sz: 40, sveVl: 0, numBps: 5, numWps: 5, pmuNumCtrs: 0 };
const PAGE_11 = new Uint8Array(4096).fill(0x11);

function realm(hashAlgorithm: CcaRealmHash, rule: CcaRuleSet, extra: { hash?: HashBackend; trace?: (t: TraceStep) => void } = {}): CcaRealm {
  const r = new CcaRealm({ hashAlgorithm, ...extra });
  r.realmCreate(rule, rule === 'rmm-2.0' ? undefined : PARAMS);
  return r;
}
const dataB = (r: CcaRealm): void => r.data(0x80000000n, { bytes: PAGE_11 });
const dataUnmeasured = (r: CcaRealm): void => r.data(0x80001000n, null);
const ripasC = (r: CcaRealm): void => r.ripas(0x80000000n, 0x80200000n);
const recD = (r: CcaRealm): void => r.rec(1n, 0x80000000n, [0x80001000n]);

describe('CCA RIM primitives: spec/cca.md worked examples', () => {
  // Every expected value below is spec/cca.md §3.2 (the independent reference computation).
  it('SHA-256 under RMM 1.0: (a) REALM_CREATE, (b) DATA, (c) RIPAS, (d) REC', () => {
    const trace: TraceStep[] = [];
    const r = realm('sha-256', 'rmm-1.0', { trace: (t) => trace.push(t) });
    expect(hex(r.measurement())).toBe('df8c2fc7f035ba1f9f78747e99b95d419a657d2b70e126efa4441a455ab73dfd');
    dataB(r);
    expect(hex(trace[1]!.contents!)).toBe('c663cfac30430ae0063ef566967a3309489f9a0b6f74b6feefd93f163a593bc4');
    expect(hex(r.measurement())).toBe('af52fbaf3f8fa622e7a2b15a2bbf3d8bf21624cdf31e5d55d534fe885b7e7b0a');
    ripasC(r);
    expect(hex(r.measurement())).toBe('a78e19630154b8c0e40ef5c5e65aef2daa0a0172b30e8d5945a3b305fa5af757');
    recD(r);
    expect(hex(trace[3]!.contents!)).toBe('df82af89cb2c189164d110b33ba5d6f191c3f6cd8d369807f305f6e35d034ff7');
    expect(hex(r.measurement())).toBe('7ac36fc29bd5ebd3955ec5bdee825f9a3cb1e0c577ac54bc06bbd34b420b265d');
    expect(hex(r.rim())).toBe('7ac36fc29bd5ebd3955ec5bdee825f9a3cb1e0c577ac54bc06bbd34b420b265d' + '0'.repeat(64));
  });

  it("(c') a 6 MiB RIPAS range splits into 3 entries of 2 MiB", () => {
    const trace: TraceStep[] = [];
    const r = realm('sha-256', 'rmm-1.0', { trace: (t) => trace.push(t) });
    dataB(r);
    r.ripasRange(0x80000000n, 0x80600000n);
    expect(trace.filter((t) => t.record === 'ripas')).toHaveLength(3);
    expect(hex(r.measurement())).toBe('108904712e4a0457efa2c15c4fb6cb60aa211a94c4b09b9455718b37b8a7f434');
  });

  it('the DATA descriptor is the byte dump of §1.4', () => {
    // Record what is hashed: the DATA descriptor is the last SHA-256 input of step (b).
    const inputs: Uint8Array[] = [];
    const recording: HashBackend = { ...nobleHashBackend, sha256: (d) => (inputs.push(d.slice()), nobleSha256(d)) };
    const r = realm('sha-256', 'rmm-1.0', { hash: recording });
    dataB(r);
    const d = inputs[inputs.length - 1]!;
    const expected = new Uint8Array(256);
    expected.set(fromHex('0000000000000000' + '0001000000000000'), 0);
    expected.set(fromHex('df8c2fc7f035ba1f9f78747e99b95d419a657d2b70e126efa4441a455ab73dfd'), 0x10);
    expected.set(fromHex('0000008000000000' + '0100000000000000'), 0x50);
    expected.set(fromHex('c663cfac30430ae0063ef566967a3309489f9a0b6f74b6feefd93f163a593bc4'), 0x60);
    expect(hex(d)).toBe(hex(expected));
  });

  it('SHA-256 under RMM 2.0: zero RIM0, DATA, unmeasured DATA, REC', () => {
    const r = realm('sha-256', 'rmm-2.0');
    expect(r.rim()).toEqual(new Uint8Array(64));
    dataB(r);
    expect(hex(r.measurement())).toBe('c5a8ab70c8887b0366ed44630e64dc6579022239d71f79b9a6cf45599cce4a65');
    dataUnmeasured(r);
    expect(hex(r.measurement())).toBe('6bcb4f7b25db5aceb7f25d3d28a7fa83fe2d8f011e4bf04947e209667049764b');
    recD(r);
    expect(hex(r.measurement())).toBe('3846dff8c9d15badad70d474d2bb16330cebf9db3ed0ba3d2faccd524eb01e4a');
  });

  it('SHA-512 under RMM 1.0 and 2.0', () => {
    const r = realm('sha-512', 'rmm-1.0');
    expect(hex(r.measurement())).toBe('7bf89663758a35480eb3408b6e5d29cf67a9d6c3b18b14f4b35f8096ce746f5d83b826600c85f3ed24fd6d75053c15950b84912654606dbe924ef79d320b452d');
    dataB(r);
    expect(hex(r.measurement())).toBe('0de0168c7ae468d0a0a11012d78f548d63df8b49aab1e572f462735b9441caf13857505e3d9956c6f3aeca1a2a27e35d350816cd62d4add9fc3d626b17e13fff');
    ripasC(r);
    expect(hex(r.measurement())).toBe('89693959503d0d27b8139f7267e928461e1f157ad5ed39b6126162a66509a8b70db725ca5a1097265ffe0ffceb1ff23988e7b2e33d630db3ce902b309fcc06ca');
    recD(r);
    expect(hex(r.measurement())).toBe('f2f44bb26f2c47016317366f5d753fa72edb86f4631b6aa55632a10e5c2764152e4af12794e365f6790257414472b2220b774a917bbe8575d064945a477833a5');
    const z = realm('sha-512', 'rmm-2.0');
    dataB(z);
    expect(hex(z.measurement())).toBe('123f74376379ac0acd67f3c810b03e85879d0d9c0942df02ca197e30489c800946bf1dfad0bc1e3f017f0009480d2a4fd02c84cb6231fe3fb400332f94c6c872');
    dataUnmeasured(z);
    expect(hex(z.measurement())).toBe('a32177dbc44a1253107d0dfc7bee34fcbd961ffc148ebc38cebe9856ac7171212cd6045e77e278ea6b84a7508ce9737a0a31e77bf4275436f4bd51f11c847855');
    recD(z);
    expect(hex(z.measurement())).toBe('9c25b95de220efb1f8f51142a450747f06b7ec522c69149e03689f621b838c11ade71f8122d368586c1e2b08fd5d7436ea2f4dfc73710b8cf7eea8fd59d95b0d');
  });

  it('SHA-512 through an injected backend gives the same RIM and is the one used', () => {
    let calls = 0;
    const hash = { ...nobleHashBackend, sha512: (d: Uint8Array) => (calls++, nobleSha512(d)) };
    const r = new CcaRealm({ hashAlgorithm: 'sha-512', hash });
    r.realmCreate('rmm-1.0', PARAMS);
    expect(calls).toBe(1);
    expect(hex(r.measurement())).toBe('7bf89663758a35480eb3408b6e5d29cf67a9d6c3b18b14f4b35f8096ce746f5d83b826600c85f3ed24fd6d75053c15950b84912654606dbe924ef79d320b452d');
  });

  it('SHA-384: TF-RMM main RIM0 hashes the same params page as 1.0; RMM 2.0 from zero', () => {
    // §3.2 gives SHA-384 "under 1.0 rules" for arithmetic; TF-RMM main (which has SHA-384) uses
    // the same RIM0 and DATA rule (§1.1), so steps (a) and (b) must match it.
    const t = realm('sha-384', 'tfrmm-2026');
    expect(hex(t.measurement())).toBe('ed3cabd380a144c13d610bd11294386180be2a7407850981069777959c6d71e7e28946fff4dd1a9f501d5f9da0a661df');
    dataB(t);
    expect(hex(t.measurement())).toBe('2f991f5a47b140df7e034af14c267e455365fe109d7909e6bfa33de29500ebac70663d338128843ba9d407e6dd0e62df');
    expect(hex(t.rim()).slice(96)).toBe('0'.repeat(32));
    const z = realm('sha-384', 'rmm-2.0', { hash: { ...nobleHashBackend, sha384: (d) => nobleSha384(d) } });
    dataB(z);
    expect(hex(z.measurement())).toBe('8f94f209318f1635e6115ce30252431d236d5acf83038c3cd86117f5f990e8b789407a4c3a733b22c8b8aa92f7141248');
    dataUnmeasured(z);
    expect(hex(z.measurement())).toBe('debd5b004590a3a6de13d84f6fd13015e19f7d538be58c472956652603023ce096abb127a36ef4a2c33b426074e4019e');
    recD(z);
    expect(hex(z.measurement())).toBe('74411f8b2f5b71238eabf171e47d058ee8fd2c5cf4097cb1cc41647890c54571c4b06969e02e1a6c53c1461fc06e828c');
  });

  it('RIPAS extends the RIM under RMM 1.0 only; a non-runnable REC never does (§1.5, §1.6)', () => {
    for (const rule of ['tfrmm-2026', 'rmm-2.0'] as const) {
      const r = realm('sha-256', rule);
      const before = hex(r.rim());
      ripasC(r);
      r.rec(0n, 0x80000000n, [1n]);
      expect(hex(r.rim())).toBe(before);
    }
    const r = realm('sha-256', 'rmm-1.0');
    r.rec(0n, 0x80000000n, []);
    expect(hex(r.measurement())).toBe('df8c2fc7f035ba1f9f78747e99b95d419a657d2b70e126efa4441a455ab73dfd');
  });

  it('RTT block sizes per IPA width (§1.5, veraison test_block_sizes)', () => {
    const M2 = 1n << 21n, K4 = 1n << 12n, G1 = 1n << 30n, G512 = 1n << 39n;
    for (const s2sz of [26, 33, 34]) expect(ccaRttBlockSizes(s2sz)).toEqual([M2, K4]);
    for (const s2sz of [35, 40, 43]) expect(ccaRttBlockSizes(s2sz)).toEqual([G1, M2, K4]);
    for (const s2sz of [44, 48, 52]) expect(ccaRttBlockSizes(s2sz)).toEqual([G512, G1, M2, K4]);
  });

  it('names and codes of hash algorithms and rule sets (§1.2, §1.1)', () => {
    expect([0, 1, 2].map(ccaHashAlgorithmFromCode)).toEqual(['sha-256', 'sha-512', 'sha-384']);
    expect(ccaHashAlgorithmFromName('SHA512')).toBe('sha-512');
    expect(['1.0', '2.0', 'tfrmm', 'rmm-1.0'].map(ccaRuleSetFromName)).toEqual(['rmm-1.0', 'rmm-2.0', 'tfrmm-2026', 'rmm-1.0']);
  });
});

// ---- typed errors -----------------------------------------------------------------------------

const CREATE = { op: 'realm_create', rule: 'rmm-1.0', flags: 0, s2sz: 40, sve_vl: 0, num_bps: 5, num_wps: 5, pmu_num_ctrs: 0 };
const list = (...steps: unknown[]): unknown => ({ hash_algorithm: 'sha-256', steps: [CREATE, ...steps] });
const fold = (value: unknown): unknown => foldCcaStepList(readCcaStepList(value));

describe('CCA typed errors', () => {
  it('unknown hash algorithms', () => {
    expectCca(() => ccaHashAlgorithmFromCode(3), 'UnknownHashAlgorithm');
    expectCca(() => ccaHashAlgorithmFromName('sha-1'), 'UnknownHashAlgorithm');
    expectCca(() => new CcaRealm({ hashAlgorithm: 'sha-1' as CcaRealmHash }), 'UnknownHashAlgorithm');
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha3-256', steps: [] }), 'UnknownHashAlgorithm', { field: 'hash_algorithm' });
    expectCca(() => readCcaStepList({ hash_algorithm: 1, steps: [] }), 'BadField', { field: 'hash_algorithm' });
    // RMM 1.0-rel0 has no SHA-384 (§1.1).
    expectCca(() => fold({ hash_algorithm: 'sha-384', steps: [CREATE] }), 'UnsupportedHashAlgorithm', { stepIndex: 0 });
  });

  it('unknown rule sets', () => {
    expectCca(() => ccaRuleSetFromName('rmm-3.0'), 'UnknownRuleSet');
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha-256', steps: [{ ...CREATE, rule: 'rmm-1.1' }] }), 'UnknownRuleSet', { stepIndex: 0, field: 'rule' });
    expectCca(() => realm('sha-256', 'rmm-9' as CcaRuleSet), 'UnknownRuleSet');
  });

  it('misaligned IPAs and RIPAS ranges that are no RTT entry', () => {
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x80000800', measure: false })), 'MisalignedIpa', { stepIndex: 1, field: 'ipa' });
    expectCca(() => readCcaStepList(list({ op: 'ripas', base: '0x80000001', top: '0x80200000' })), 'MisalignedIpa', { stepIndex: 1, field: 'base' });
    expectCca(() => fold(list({ op: 'ripas', base: '0x80001000', top: '0x80201000' })), 'MisalignedIpa', { stepIndex: 1 });
    expectCca(() => fold(list({ op: 'ripas', base: '0x80000000', top: '0x80003000' })), 'MisalignedIpa', { stepIndex: 1 });
    expectCca(() => realm('sha-256', 'rmm-2.0').data(0x1234n, null), 'MisalignedIpa', { field: 'ipa' });
    // Beyond the 40-bit IPA space of the realm.
    expectCca(() => fold(list({ op: 'data', ipa: '0x10000000000', measure: false })), 'IpaOutOfRange', { stepIndex: 1 });
  });

  it('unknown ops and wrong field types name the step and the field', () => {
    expectCca(() => readCcaStepList(list({ op: 'data_create_unknown', ipa: '0x0' })), 'UnknownOp', { stepIndex: 1, field: 'op' });
    expectCca(() => readCcaStepList(list({ ipa: '0x0' })), 'BadField', { stepIndex: 1, field: 'op' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: 4096.5, measure: false })), 'BadField', { stepIndex: 1, field: 'ipa' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '4096', measure: false })), 'BadField', { stepIndex: 1, field: 'ipa' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: 'yes' })), 'BadField', { stepIndex: 1, field: 'measure' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: true })), 'BadField', { stepIndex: 1, field: 'content_b64' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: true, content_b64: 'no base64!' })), 'BadField', { stepIndex: 1, field: 'content_b64' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: true, content_b64: 'A'.repeat(5468) })), 'BadField', { stepIndex: 1, field: 'content_b64' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: true, content_hash: 'ab' })), 'BadField', { stepIndex: 1, field: 'content_hash' });
    expectCca(() => readCcaStepList(list({ op: 'data', ipa: '0x0', measure: false, measured: true })), 'BadField', { stepIndex: 1, field: 'measured' });
    expectCca(() => readCcaStepList(list({ op: 'rec', flags: 1, pc: '0x0', gprs: '0x1' })), 'BadField', { stepIndex: 1, field: 'gprs' });
    expectCca(() => readCcaStepList(list({ op: 'rec', flags: 1, pc: '0x0', gprs: Array(9).fill('0x0') })), 'BadField', { stepIndex: 1, field: 'gprs' });
    expectCca(() => readCcaStepList(list({ op: 'rec', flags: -1, pc: '0x0' })), 'BadField', { stepIndex: 1, field: 'flags' });
    expectCca(() => readCcaStepList(list({ op: 'rec', flags: 1, pc: '0x10000000000000000' })), 'BadField', { stepIndex: 1, field: 'pc' });
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha-256', steps: [{ ...CREATE, s2sz: 256 }] }), 'BadField', { stepIndex: 0, field: 's2sz' });
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha-256', steps: [{ ...CREATE, num_wps: undefined }] }), 'BadField', { stepIndex: 0, field: 'num_wps' });
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha-256', steps: {} }), 'BadStepList', { field: 'steps' });
    expectCca(() => readCcaStepList([]), 'BadStepList');
    expectCca(() => parseCcaStepListText('{"steps": ['), 'BadStepList');
    expectCca(() => readCcaStepList({ hash_algorithm: 'sha-256', steps: [CREATE, CREATE] }, { maxSteps: 1 }), 'BadStepList');
  });

  it('steps out of order', () => {
    expectCca(() => fold({ hash_algorithm: 'sha-256', steps: [{ op: 'rec', flags: 1, pc: '0x0' }] }), 'BadStepOrder', { stepIndex: 0 });
    expectCca(() => fold(list(CREATE)), 'BadStepOrder', { stepIndex: 1 });
    expectCca(() => fold({ hash_algorithm: 'sha-256', steps: [] }), 'BadStepOrder');
    expectCca(() => fold({ hash_algorithm: 'sha-256', steps: [{ op: 'realm_create', rule: 'rmm-1.0' }] }), 'BadField', { stepIndex: 0 });
  });

  it('a hand-written list with the same steps as §3.2 gives the same RIM', () => {
    const steps = [
      { op: 'data', ipa: '0x80000000', measure: true, content_b64: Buffer.from(PAGE_11).toString('base64') },
      { op: 'ripas', base: 0x80000000, top: '0x80200000' },
      { op: 'rec', flags: 1, pc: '0x80000000', gprs: ['0x80001000'] },
    ];
    expect(hex((fold(list(...steps)) as { measurement: Uint8Array }).measurement)).toBe('7ac36fc29bd5ebd3955ec5bdee825f9a3cb1e0c577ac54bc06bbd34b420b265d');
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------

const FUZZ_SEED = Number(process.env.CCA_FUZZ_SEED ?? 0xcca0_5eed) >>> 0;
const FUZZ_ITERATIONS = Number(process.env.CCA_FUZZ_ITERATIONS ?? 1500);

/** Values a mutated field may take: boundary numbers, hex strings, wrong types. */
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 255, 256, 4096, 2 ** 53, Number.NaN, '', '0x', '0x0', '0x1000', '0xfff', '0xffffffffffffffff',
  '0x10000000000000000', 'sha-256', 'sha-512', 'sha-384', 'md5', 'rmm-2.0', 'tfrmm', 'x', [], ['0x0'], {}, { op: 'rec' }, 'AAAA', 'AA==',
];
const OPS = ['realm_create', 'ripas', 'data', 'rec', 'bogus', ''];
const KEYS = ['op', 'rule', 'flags', 's2sz', 'sve_vl', 'num_bps', 'num_wps', 'pmu_num_ctrs', 'base', 'top', 'ipa', 'measure', 'content_b64', 'content_hash', 'pc', 'gprs', 'extra'];

function randomJson(rnd: () => number, depth: number): unknown {
  const k = Math.floor(rnd() * (depth > 3 ? 4 : 7));
  if (k < 4) return ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  if (k === 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) o[KEYS[Math.floor(rnd() * KEYS.length)]!] = randomJson(rnd, depth + 1);
  if (rnd() < 0.5) o.op = OPS[Math.floor(rnd() * OPS.length)];
  return o;
}

function mutate(base: { hash_algorithm: unknown; steps: Array<Record<string, unknown>> }, rnd: () => number): unknown {
  const doc = { ...base, steps: base.steps.map((s) => ({ ...s })) };
  for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
    const what = rnd();
    const i = Math.floor(rnd() * Math.max(1, doc.steps.length));
    const at = doc.steps[i] as unknown;
    // Inserted random values need not be objects; only objects get field edits.
    const step = typeof at === 'object' && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>) : undefined;
    if (what < 0.45 && step !== undefined) step[KEYS[Math.floor(rnd() * KEYS.length)]!] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
    else if (what < 0.6 && step !== undefined) delete step[Object.keys(step)[Math.floor(rnd() * Object.keys(step).length)]!];
    else if (what < 0.7) doc.steps.splice(i, 0, randomJson(rnd, 1) as Record<string, unknown>);
    else if (what < 0.8) doc.steps.splice(i, 1);
    else if (what < 0.88) doc.hash_algorithm = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
    else if (what < 0.94 && step !== undefined) doc.steps.push({ ...step });
    else if (step !== undefined && typeof step.ipa === 'string' && /^0x[0-9a-f]{1,16}$/i.test(step.ipa)) step.ipa = '0x' + (BigInt(step.ipa) + BigInt(Math.floor(rnd() * 0x2000))).toString(16);
  }
  return doc;
}

/** Runs reader and fold; anything thrown must be a CcaError with a known code. `ok`: it folded. */
function onlyTyped(value: unknown): string | undefined {
  try {
    const l = readCcaStepList(value, { maxSteps: 64 });
    foldCcaStepList(l);
    return 'ok';
  } catch (e) {
    if (!(e instanceof CcaError)) return `non-CcaError: ${String(e)}`;
    if (!(CCA_ERROR_CODES as readonly string[]).includes(e.code)) return `unknown code ${e.code}`;
  }
  return undefined;
}

describe('CCA step-list reader fuzz', () => {
  const builtIn = list(
    { op: 'ripas', base: '0x80000000', top: '0x80200000' },
    { op: 'data', ipa: '0x80000000', measure: true, content_b64: Buffer.from(PAGE_11.subarray(0, 100)).toString('base64') },
    { op: 'data', ipa: '0x80001000', measure: false },
    { op: 'rec', flags: 1, pc: '0x80000000', gprs: ['0x80001000'] },
  ) as { hash_algorithm: string; steps: Array<Record<string, unknown>> };

  it(`only ever throws CcaError (seed ${FUZZ_SEED}, ${FUZZ_ITERATIONS} iterations)`, () => {
    // Bases: the built-in list and, when present, the shared lists cut to their first 12 steps.
    const bases = [builtIn];
    if (HAVE_SHARED) for (const f of VECTOR_FILES) {
      const raw = sharedJson<VectorFile>(`cca/${f}`);
      bases.push({ hash_algorithm: raw.hash_algorithm, steps: [...raw.steps.slice(0, 6), ...raw.steps.slice(-6)] });
    }
    const rnd = mulberry32(FUZZ_SEED);
    const failures: string[] = [];
    let folded = 0;
    for (let i = 0; i < FUZZ_ITERATIONS && failures.length < 10; i++) {
      const value = rnd() < 0.15 ? randomJson(rnd, 0) : mutate(bases[Math.floor(rnd() * bases.length)]!, rnd);
      const problem = onlyTyped(value);
      if (problem === 'ok') folded++;
      else if (problem !== undefined) failures.push(`iteration ${i}: ${problem}: ${JSON.stringify(value).slice(0, 300)}`);
      // Random text for the JSON entry point as well.
      if (i % 10 === 0) {
        const text = JSON.stringify(value ?? null).slice(0, Math.floor(rnd() * 200));
        try {
          parseCcaStepListText(text);
        } catch (e) {
          if (!(e instanceof CcaError)) failures.push(`text ${i}: ${String(e)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // Some mutations (an unknown key dropped, a step removed, ...) still fold: the fuzz reaches the model.
    expect(folded).toBeGreaterThan(FUZZ_ITERATIONS / 50);
  });
});
