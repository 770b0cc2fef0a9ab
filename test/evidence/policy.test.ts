/**
 * The appraisal-policy reader (src/evidence/policy.ts): the JSON policy file whose field names
 * follow go-sev-guest's proto/check.proto `Policy` and go-tdx-guest's validate.Options; unknown
 * fields and wrong types are a `PolicyError` naming the field; the reader is fuzzed like the other
 * readers (only typed errors).
 */
import { describe, expect, it } from 'vitest';
import { mergePolicies, parsePolicy, PolicyError, POLICY_FIELDS, readPolicyFile } from '../../src/evidence/policy.js';
import { mulberry32 } from '../helpers/prng.js';

const error = (f: () => unknown): PolicyError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error('no error');
};

describe('policy file', () => {
  it('reads every field with go-sev-guest / go-tdx-guest names', () => {
    const p = readPolicyFile(
      JSON.stringify({
        allow_debug: false,
        require_all: true,
        policy: '0x30000',
        vmpl: 0,
        minimum_tcb: { bl_spl: 3, snp_spl: 8, ucode_spl: 115 },
        minimum_launch_tcb: '0x7308000000000003',
        minimum_guest_svn: 4,
        permit_provisional_firmware: true,
        require_id_block: true,
        trusted_id_key_hashes: ['00'.repeat(48)],
        family_id: '01' + '00'.repeat(15),
        report_data: '0102',
        host_data: 'ff',
        td_attributes: 0x10000000,
        xfam: '0x602e7',
        mr_config_id: '00'.repeat(48),
        rtmrs: [null, '11'.repeat(48), null, null],
        minimum_tee_tcb_svn: '06010300000000000000000000000000',
        accepted_tcb_statuses: ['UpToDate', 'SWHardeningNeeded'],
        allow_sept_ve: true,
      }),
    );
    expect(p).toMatchObject({
      requireAll: true,
      policy: 0x30000n,
      vmpl: 0,
      minimumTcb: { parts: { blSpl: 3, snpSpl: 8, ucodeSpl: 115 } },
      minimumLaunchTcb: { raw: 0x7308000000000003n },
      minimumGuestSvn: 4,
      tdAttributes: 0x10000000n,
      xfam: 0x602e7n,
      acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'],
    });
    expect(p.familyId).toHaveLength(16);
    expect(p.reportData).toEqual(new Uint8Array([1, 2]));
    expect(p.rtmrs?.map((r) => r?.length)).toEqual([undefined, 48, undefined, undefined]);
  });
  it('an unknown field is an error naming it', () => {
    const e = error(() => readPolicyFile('{"vmpl": 0, "allow_debugg": true}', 'p.json'));
    expect(e.message).toContain('allow_debugg');
    expect(e.field).toBe('p.json: allow_debugg');
  });
  it("Object's own names are unknown fields too, not a crash", () => {
    for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const e = error(() => readPolicyFile(`{"${k}": true}`, 'p.json'));
      expect(e.message).toContain(k);
    }
  });
  it.each([
    ['vmpl', 4],
    ['vmpl', '9'.repeat(30)],
    ['allow_debug', 'yes'],
    ['minimum_guest_svn', -1],
    ['minimum_guest_svn', 1.5],
    ['policy', '0x1' + '0'.repeat(16)],
    ['family_id', '01'],
    ['report_data', '00'.repeat(65)],
    ['mr_owner', 'zz'.repeat(48)],
    ['rtmrs', ['00'.repeat(48)]],
    ['accepted_tcb_statuses', ['Fine']],
    ['trusted_id_key_hashes', 'notalist'],
    ['minimum_tcb', { bootloader: 3 }],
    ['minimum_tcb', { bl_spl: 256 }],
  ])('%s = %j is an error naming the field', (field, value) => {
    const e = error(() => parsePolicy({ [field]: value }));
    expect(e.field.startsWith(field)).toBe(true);
    expect(e.message).toContain(field);
  });
  it('a file that is not a JSON object is an error', () => {
    error(() => readPolicyFile('[1]'));
    error(() => readPolicyFile('{'));
    error(() => readPolicyFile('null'));
  });
  it('command-line strings: comma lists, component TCBs, true/false', () => {
    const p = parsePolicy({ accepted_tcb_statuses: 'UpToDate, OutOfDate', minimum_tcb: 'bl_spl=3,ucode_spl=115', permit_provisional_firmware: 'false', vmpl: '2' });
    expect(p).toMatchObject({ acceptedTcbStatuses: ['UpToDate', 'OutOfDate'], minimumTcb: { parts: { blSpl: 3, ucodeSpl: 115 } }, permitProvisionalFirmware: false, vmpl: 2 });
    expect(error(() => parsePolicy({ vmpl: 'x' }, (f) => `--${f}`)).message).toContain('--vmpl');
  });
  it('later fields override earlier ones', () => {
    expect(mergePolicies({ vmpl: 0, allowDebug: true }, { vmpl: 1 })).toEqual({ vmpl: 1, allowDebug: true });
  });
  it('fuzz: random JSON values for every field give a policy or a PolicyError, nothing else', () => {
    const rand = mulberry32(0x901c);
    const values: unknown[] = [0, 1, -1, 3, 256, 2 ** 53, 1.5, '', '0x', '0x10', 'zz', '00'.repeat(16), '00'.repeat(48), 'a=1', 'bl_spl=1', true, 'true', null, [], [null], {}, { bl_spl: 1 }, ['UpToDate']];
    for (let i = 0; i < 2000; i++) {
      const obj: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
        obj[POLICY_FIELDS[Math.floor(rand() * POLICY_FIELDS.length)]!] = values[Math.floor(rand() * values.length)];
      }
      try {
        parsePolicy(obj);
      } catch (e) {
        expect(e, JSON.stringify(obj)).toBeInstanceOf(PolicyError);
      }
    }
  });
});
