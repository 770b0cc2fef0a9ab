/**
 * ID-key digests are SHA-384 over AMD's 0x404-byte key layout, not the IGVM layout
 * (spec/snp.md §3.3). Expected values: virtee/sev's test key (vectors/evidence/idblock,
 * expected.json, from virtee/sev tests/id-block.rs) and the wrong value §3.3 names.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AMD_PUBLIC_KEY_SIZE, fromAmdPublicKey, layouts, toAmdPublicKey, encodeStruct } from '../../src/index.js';
import { HAVE_SHARED, sharedBytes, sharedJson, sharedNotice } from '../helpers/shared.js';

const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');

sharedNotice('ID-key layout');
describe.skipIf(!HAVE_SHARED)('ID-key digest over the AMD layout (snp.md §3.2–§3.3)', () => {
  it('round-trips the auth block\'s ID key through the IGVM layout and hashes to 59fb2c68…', () => {
    // ID_AUTH_INFO: ID_KEY at 0x240, 0x404 bytes (§3.2).
    const amd = sharedBytes('evidence/idblock/virtee-test_auth_block.bin').subarray(0x240, 0x240 + AMD_PUBLIC_KEY_SIZE);
    const expected = sharedJson<{ expected_id_key_digest_hex: string }>('evidence/idblock/expected.json').expected_id_key_digest_hex;
    expect(sha384(amd)).toBe(expected);
    const igvm = fromAmdPublicKey(amd);
    expect(igvm.curve).toBe(2); // P-384 (§3.2)
    expect(sha384(toAmdPublicKey(igvm))).toBe(expected);
    // The wrong value of §3.3: the IGVM layout copied verbatim into the 0x404-byte key.
    const verbatim = new Uint8Array(AMD_PUBLIC_KEY_SIZE);
    verbatim.set(encodeStruct(layouts.SNP_ID_BLOCK_PUBLIC_KEY, igvm));
    expect(sha384(verbatim)).toMatch(/^ee1b589f/);
  });
});
