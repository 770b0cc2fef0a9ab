/**
 * The appraisal (src/evidence/appraise.ts) on the real evidence of ../shared/vectors/evidence,
 * through `verifyEvidence`: the refusals the peers make on the same input, each next to its
 * positive control (spec/snp.md §4 GUEST POLICY, TCB_VERSION, ID-block fields; spec/tdx.md §3
 * TDATTRIBUTES, §4.2 TEE_TCB_SVN and MRSERVICETD). Report facts are spec/snp.md §6 and
 * spec/tdx.md §5 (vectors/SOURCES.md), never our own output.
 */
import { describe, expect, it } from 'vitest';
import { loadEvidence, verifyEvidence, type VerifyOptions } from '../../src/evidence/load.js';
import type { AppraisalPolicy } from '../../src/evidence/policy.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { findCheck as check } from '../helpers/checks.js';

sharedNotice('evidence/appraise');
const describeShared = HAVE_SHARED ? describe : describe.skip;

const snp = (f: string): Uint8Array => sharedBytes(`evidence/snp/${f}`);
const tdx = (f: string): Uint8Array => sharedBytes(`evidence/tdx/${f}`);
/** trustee's test report with its VCEK and the Milan chain (spec/snp.md §6). */
const TRUSTEE = 'trustee-snp-test-report.bin';
const trusteeCerts = (): VerifyOptions => ({ vcek: snp('trustee-snp-test-vcek.der'), chain: snp('virtee-cert_chain_milan') });
const verifySnp = (bytes: Uint8Array, policy: AppraisalPolicy = {}, certs = trusteeCerts()) => verifyEvidence(loadEvidence(bytes), { ...certs, policy });
/** The TDX quotes verify to the pinned root as of this time (test/cli/evidence.test.ts). */
const NOW = new Date('2026-06-01T00:00:00Z');
const verifyTdx = (bytes: Uint8Array, policy: AppraisalPolicy = {}) => verifyEvidence(loadEvidence(bytes), { now: NOW, policy });

/** POLICY is the u64 at report offset 0x08 (spec/snp.md §4); DEBUG is bit 19: byte 0x0A, bit 3. */
const SNP_DEBUG_BYTE = 0x0a;
/** TD_ATTRIBUTES is the u64 at body offset 0x78, body at 0x30 in a v4 quote (spec/tdx.md §4.2). */
const TD_ATTRIBUTES = 0x30 + 0x78;

describeShared('debug guests are refused unless allowed', () => {
  // go-sev-guest validate/validate.go `validatePolicy`: "found unauthorized debug capability" when
  // the report's POLICY has DEBUG and the allowed policy does not.
  it('SEV-SNP: trustee test report (POLICY 0x3001F, DEBUG clear, snp.md §6) verifies; debug check passes', async () => {
    const r = await verifySnp(snp(TRUSTEE));
    expect(r.verified).toBe(true);
    expect(check(r.checks, 'debug').ok).toBe(true);
  });
  it('SEV-SNP: the same report with POLICY bit 19 set: the debug check fails and names the bit', async () => {
    const bytes = snp(TRUSTEE).slice();
    bytes[SNP_DEBUG_BYTE] = bytes[SNP_DEBUG_BYTE]! | 0x08;
    const r = await verifySnp(bytes);
    expect(r.verified).toBe(false);
    const d = check(r.checks, 'debug');
    expect(d.ok).toBe(false);
    expect(d.detail).toContain('DEBUG (bit 19)');
    expect(d.actual).toContain('0x00000000000b001f'); // 0x3001F (snp.md §6) with bit 19
    // The signature covers POLICY, so it fails too (spec/snp.md §4 "Signature").
    expect(check(r.checks, 'report-signature').ok).toBe(false);
    // Allowed: the debug check passes and says so.
    const allowed = await verifySnp(bytes, { allowDebug: true });
    expect(check(allowed.checks, 'debug')).toMatchObject({ ok: true });
    expect(check(allowed.checks, 'debug').detail).toContain('allowed');
  });
  it("SEV-SNP: go-sev-guest's attestation.bin (POLICY 0xB0000, DEBUG set) is refused; accepted with allowDebug or a policy with DEBUG", async () => {
    const certs = { vcek: snp('gosevguest-vcek.testcer'), chain: new Uint8Array(Buffer.concat([snp('milan-ask.pem'), snp('milan-ark.pem')])) };
    const refused = await verifySnp(snp('gosevguest-attestation.bin'), {}, certs);
    expect(refused.verified).toBe(false);
    expect(refused.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['debug']);
    expect((await verifySnp(snp('gosevguest-attestation.bin'), { allowDebug: true }, certs)).verified).toBe(true);
    // go-sev-guest's `policy` is the most permissive policy accepted: DEBUG in it allows debug.
    expect((await verifySnp(snp('gosevguest-attestation.bin'), { policy: 0xb0000n }, certs)).verified).toBe(true);
    // ...unless debug is refused explicitly: a GUEST_POLICY copied into --guest-policy cannot lift it.
    const explicit = await verifySnp(snp('gosevguest-attestation.bin'), { policy: 0xb0000n, allowDebug: false }, certs);
    expect(explicit.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['debug']);
  });

  // go-tdx-guest validate/validate.go `validateTdAttributes` (AllowDebug false: "TD_ATTRIBUTES DEBUG
  // bit is set, but debug is not allowed") and dcap-qvl src/verify.rs `validate_attrs` ("Debug
  // mode is enabled") refuse a TD with TD_ATTRIBUTES bit 0.
  it("TDX: trustee's tdx_quote_4 (DEBUG + SEPT_VE_DISABLE, tdx.md §5.1) is refused; accepted with allowDebug", async () => {
    const r = await verifyTdx(tdx('trustee-tdx_quote_4.dat'));
    expect(r.verified).toBe(false);
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['debug']);
    expect(check(r.checks, 'debug').detail).toContain('DEBUG (bit 0) set');
    const allowed = await verifyTdx(tdx('trustee-tdx_quote_4.dat'), { allowDebug: true });
    expect(allowed.verified).toBe(true);
    expect(check(allowed.checks, 'debug').detail).toContain('allowed');
  });
  it("TDX: dcap-qvl's sample quote (SEPT_VE_DISABLE only) verifies; with TD_ATTRIBUTES bit 0 set the debug check fails", async () => {
    expect((await verifyTdx(tdx('dcapqvl-tdx_quote'))).verified).toBe(true);
    const bytes = tdx('dcapqvl-tdx_quote').slice();
    bytes[TD_ATTRIBUTES] = bytes[TD_ATTRIBUTES]! | 0x01;
    const r = await verifyTdx(bytes);
    expect(check(r.checks, 'debug').ok).toBe(false);
    expect(check(r.checks, 'quote-signature').ok).toBe(false);
  });
});

describeShared('TDX SEPT_VE_DISABLE is required unless allowed', () => {
  // dcap-qvl src/verify.rs `validate_attrs`: "SEPT_VE_DISABLE is not enabled".
  it("go-tdx-guest's SPR quote (TD_ATTRIBUTES 0x40000000) is refused; accepted with allowSeptVe", async () => {
    const r = await verifyTdx(tdx('gotdxguest-tdx_prod_quote_SPR_E4.dat'));
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['sept-ve-disable']);
    expect((await verifyTdx(tdx('gotdxguest-tdx_prod_quote_SPR_E4.dat'), { allowSeptVe: true })).verified).toBe(true);
  });
  it("dcap-qvl's sample with bit 28 cleared: sept-ve-disable fails", async () => {
    const bytes = tdx('dcapqvl-tdx_quote').slice();
    bytes[TD_ATTRIBUTES + 3] = bytes[TD_ATTRIBUTES + 3]! & ~0x10;
    expect(check((await verifyTdx(bytes)).checks, 'sept-ve-disable').ok).toBe(false);
  });
});

describeShared('SEV-SNP policy checks on trustee test-report.bin (snp.md §6)', () => {
  // go-sev-guest validate.go `validatePolicy`: SMT set in the report but not in the allowed policy
  // is "found unauthorized symmetric multithreading (SMT) capability"; its check tool's default
  // allowed policy is 1<<17 (tools/check/check.go `defaultGuestPolicy`).
  it('policy-bits: SMT is refused by 0x20000, allowed by 0x30000; SINGLE_SOCKET required but clear fails', async () => {
    expect(check((await verifySnp(snp(TRUSTEE), { policy: 0x20000n })).checks, 'policy-bits')).toMatchObject({ ok: false });
    expect(check((await verifySnp(snp(TRUSTEE), { policy: 0x20000n })).checks, 'policy-bits').detail).toContain('SMT');
    expect(check((await verifySnp(snp(TRUSTEE), { policy: 0x30000n })).checks, 'policy-bits').ok).toBe(true);
    const single = check((await verifySnp(snp(TRUSTEE), { policy: 0x130000n })).checks, 'policy-bits');
    expect(single.ok).toBe(false);
    expect(single.detail).toContain('SINGLE_SOCKET');
  });
  // go-sev-guest validate.go `validateTcb`: `tcbGtError(minimum, reported)`; the report's
  // REPORTED_TCB is 0x7308…03 (snp.md §6): BOOT_LOADER 3, TEE 0, SNP 8, MICROCODE 0x73 = 115.
  it('minimum-tcb: component-wise against REPORTED_TCB in the Milan layout', async () => {
    const ok = await verifySnp(snp(TRUSTEE), { minimumTcb: { parts: { blSpl: 3, teeSpl: 0, snpSpl: 8, ucodeSpl: 115 } } });
    expect(check(ok.checks, 'minimum-tcb').ok).toBe(true);
    const low = await verifySnp(snp(TRUSTEE), { minimumTcb: { parts: { ucodeSpl: 116 } } });
    expect(check(low.checks, 'minimum-tcb')).toMatchObject({ ok: false });
    expect(check(low.checks, 'minimum-tcb').detail).toContain('MICROCODE 115 < 116');
    expect(check((await verifySnp(snp(TRUSTEE), { minimumTcb: { raw: 0x7308000000000003n } })).checks, 'minimum-tcb').ok).toBe(true);
    expect(check((await verifySnp(snp(TRUSTEE), { minimumTcb: { raw: 0x7309000000000003n } })).checks, 'minimum-tcb').ok).toBe(false);
  });
  // go-sev-guest `validateTcb`: with PermitProvisionalFirmware false, COMMITTED_TCB must equal
  // CURRENT_TCB; here current 0xCE08…03 differs from committed (snp.md §6), so it refuses.
  it('committed-tcb: provisional firmware refused unless permitted', async () => {
    expect(check((await verifySnp(snp(TRUSTEE), { permitProvisionalFirmware: false })).checks, 'committed-tcb').ok).toBe(false);
    expect(check((await verifySnp(snp(TRUSTEE), { permitProvisionalFirmware: true })).checks, 'committed-tcb').ok).toBe(true);
  });
  it('vmpl, minimum-guest-svn (4), family-id (01 00…), image-id (02 00…), id-key-digest (snp.md §6)', async () => {
    const id = (b: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? b : 0));
    const idKey = Uint8Array.from(Buffer.from('0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3', 'hex'));
    const good = await verifySnp(snp(TRUSTEE), { vmpl: 0, minimumGuestSvn: 4, familyId: id(1), imageId: id(2), trustedIdKeyHashes: [idKey] });
    expect(good.verified).toBe(true);
    for (const n of ['vmpl', 'minimum-guest-svn', 'family-id', 'image-id', 'id-key-digest']) expect(check(good.checks, n).ok, n).toBe(true);
    // go-sev-guest: "report VMPL 0 is not 1", "GUEST_SVN 4 is less than the required minimum 5",
    // "report field FAMILY_ID is … Expect …", "report ID key not trusted".
    const bad = await verifySnp(snp(TRUSTEE), { vmpl: 1, minimumGuestSvn: 5, familyId: id(2), imageId: id(1), trustedIdKeyHashes: [new Uint8Array(48)] });
    expect(bad.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['vmpl', 'minimum-guest-svn', 'id-key-digest', 'family-id', 'image-id']);
    expect(check(bad.checks, 'vmpl')).toMatchObject({ expected: '1', actual: '0' });
  });
  it('checks without an expected value are not made (ok: null), and requireAll fails them', async () => {
    const r = await verifySnp(snp(TRUSTEE));
    expect(check(r.checks, 'vmpl').ok).toBeNull();
    expect(r.verified).toBe(true);
    const all = await verifySnp(snp(TRUSTEE), { requireAll: true });
    expect(all.verified).toBe(false);
    expect(check(all.checks, 'vmpl')).toMatchObject({ ok: false });
    expect(check(all.checks, 'vmpl').detail).toContain('required but not made');
  });
});

describeShared('TDX policy checks', () => {
  // dcap-qvl src/verify.rs `validate_td15`: a non-zero MRSERVICETD is "Invalid mr service td";
  // trustee's tdx_quote_5 has one, go-tdx-guest's quote_v5_sample has zero (tdx.md §5.1).
  it('mr-service-td: zero expected; quote_v5_sample passes, trustee tdx_quote_5 fails, a v4 quote cannot show it', async () => {
    const zero = { mrServiceTd: new Uint8Array(48) };
    expect(check((await verifyTdx(tdx('gotdxguest-quote_v5_sample.dat'), zero)).checks, 'mr-service-td').ok).toBe(true);
    expect(check((await verifyTdx(tdx('trustee-tdx_quote_5.dat'), zero)).checks, 'mr-service-td').ok).toBe(false);
    expect(check((await verifyTdx(tdx('dcapqvl-tdx_quote'), zero)).checks, 'mr-service-td').ok).toBe(false);
  });
  // go-tdx-guest validate.go `isSvnHigherOrEqual`: every byte at least the minimum's. The
  // quote's own TEE_TCB_SVN is read from its bytes (body offset 0, body at 0x30 in v4, tdx.md §4.2).
  it('minimum-tee-tcb-svn: byte by byte', async () => {
    const quote = tdx('dcapqvl-tdx_quote');
    const own = quote.slice(0x30, 0x40);
    expect(check((await verifyTdx(quote, { minimumTeeTcbSvn: own })).checks, 'minimum-tee-tcb-svn').ok).toBe(true);
    const higher = own.slice();
    higher[1] = higher[1]! + 1;
    expect(check((await verifyTdx(quote, { minimumTeeTcbSvn: higher })).checks, 'minimum-tee-tcb-svn').ok).toBe(false);
  });
  it('td-attributes, xfam and MR registers against expected values; HOST_DATA asked of TDX fails', async () => {
    // tdx.md §5.1: trustee tdx_quote_4 is DEBUG + SEPT_VE_DISABLE = 0x10000001.
    const r = await verifyTdx(tdx('trustee-tdx_quote_4.dat'), { allowDebug: true, tdAttributes: 0x10000001n, mrConfigId: new Uint8Array(48), hostData: new Uint8Array(1) });
    expect(check(r.checks, 'td-attributes').ok).toBe(true);
    expect(check(r.checks, 'mr-config-id').ok).toBe(true);
    expect(check(r.checks, 'host-data').ok).toBe(false);
    const w = await verifyTdx(tdx('trustee-tdx_quote_4.dat'), { allowDebug: true, tdAttributes: 0x10000000n, rtmrs: [undefined, new Uint8Array(48), undefined, undefined] });
    expect(check(w.checks, 'td-attributes')).toMatchObject({ ok: false, expected: '0x0000000010000000', actual: '0x0000000010000001' });
    expect(check(w.checks, 'rtmr0').ok).toBeNull();
  });
  it('accepted TCB statuses reach the tcb-status check (default UpToDate only)', async () => {
    const collateral = JSON.parse(new TextDecoder().decode(tdx('dcapqvl-tdx_quote_collateral.json')));
    const at = new Date('2025-07-01T00:00:00Z');
    const run = (policy: AppraisalPolicy) => verifyEvidence(loadEvidence(tdx('dcapqvl-tdx_quote')), { collateral, now: at, policy });
    expect(check((await run({})).checks, 'tcb-status').ok).toBe(true);
    expect(check((await run({ acceptedTcbStatuses: ['SWHardeningNeeded'] })).checks, 'tcb-status').ok).toBe(false);
  });
});
