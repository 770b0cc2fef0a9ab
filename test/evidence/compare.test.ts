/**
 * The comparison checks of `compare` against an IGVM file with an SNP ID block (spec/snp.md
 * §3): the ID-key digest is the SHA-384 of the key in AMD's layout (expected value: virtee/sev's
 * test key, vectors/evidence/idblock/expected.json), the policy is the file's GUEST_POLICY.
 * The reported values here are set by hand for each case.
 */
import { describe, expect, it } from 'vitest';
import { IgvmBuilder, compareEvidence, fromAmdPublicKey, parseIgvm, type EvidenceValues } from '../../src/index.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

sharedNotice('compare with an ID block');
describe.skipIf(!HAVE_SHARED)('compareEvidence: guest policy and ID-block fields', () => {
  // Read lazily: a skipped describe still runs its body to collect the tests.
  const fixture = () => {
  const idKey = fromAmdPublicKey(sharedBytes('evidence/idblock/virtee-test_auth_block.bin').subarray(0x240, 0x240 + 0x404));
  const expectedDigest = hex(sharedJson<{ expected_id_key_digest_hex: string }>('evidence/idblock/expected.json').expected_id_key_digest_hex);
  const familyId = new Uint8Array(16).fill(1);
  const imageId = new Uint8Array(16).fill(2);
  const file = parseIgvm(
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
      .guestPolicy({ policy: 0x3001f, compatibilityMask: 1 })
      .pageData({ gpa: 0, compatibilityMask: 1, data: new Uint8Array(4096).fill(9) })
      .snpIdBlock({ compatibilityMask: 1, ld: new Uint8Array(48).fill(0xab), familyId, imageId, version: 1, guestSvn: 4, idKeyAlgorithm: 1, idPublicKey: idKey })
      .toBytes(),
  );
  const values = (over: Partial<Extract<EvidenceValues, { platform: 'SEV_SNP' }>>): EvidenceValues => ({
    platform: 'SEV_SNP',
    measurement: new Uint8Array(48).fill(0xab),
    policy: 0x3001fn,
    familyId,
    imageId,
    guestSvn: 4,
    idKeyDigest: expectedDigest,
    authorKeyDigest: new Uint8Array(48),
    authorKeyEnabled: false,
    reportData: new Uint8Array(64),
    hostData: new Uint8Array(32),
    ...over,
  });
  return { file, values };
  };
  const byName = (checks: ReturnType<typeof compareEvidence>) => Object.fromEntries(checks.map((c) => [c.name, c.ok]));

  it('passes the policy and ID-block checks when the report echoes the file', () => {
    const { file, values } = fixture();
    const c = byName(compareEvidence(values({}), { file }));
    expect(c).toMatchObject({ 'guest-policy': true, 'id-key-digest': true, 'family-id': true, 'image-id': true, 'guest-svn': true, 'id-block-measurement': true });
    // The file's own digest is not 0xab…: the launch measurement itself does not match.
    expect(c.measurement).toBe(false);
  });

  it('fails each field that differs', () => {
    const { file, values } = fixture();
    const c = byName(compareEvidence(values({ policy: 0x30000n, idKeyDigest: new Uint8Array(48), guestSvn: 5, familyId: new Uint8Array(16) }), { file }));
    expect(c).toMatchObject({ 'guest-policy': false, 'id-key-digest': false, 'guest-svn': false, 'family-id': false, 'image-id': true });
  });
});
