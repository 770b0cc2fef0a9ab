/**
 * AMD's certificates shipped with the package (src/evidence/amd-certs.ts) and certificate
 * validity on the SEV-SNP path (spec/snp.md §5).
 *
 * The bundled certificates are checked with node:crypto (OpenSSL), not with our pki code: their
 * SHA-256 against the pins (the ARK pins are spec/snp.md §5's; the ASK/ASVK pins were computed
 * with `openssl x509 -outform DER | sha256sum`), their names, and their signatures; and, with the
 * shared vectors, byte for byte against the copies virtee/sev, go-sev-guest and trustee ship.
 *
 * Validity: go-sev-guest refuses a VCEK/VLEK whose chain is not valid at `Options.Now`
 * (verify/verify.go `validateKDSCertificateProductSpecifics`: `cert.Verify(*r.X509Options(opts.Now,
 * key))`, and verify/trust/trust.go `ProductCerts.X509Options` sets `CurrentTime: now`: Go's
 * `x509.Certificate.Verify` then requires every certificate of the chain, leaf, intermediate and
 * root, to be valid at that time). The expected verdicts below are that
 * rule applied to the certificates' own notBefore/notAfter, read with node:crypto.
 */
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AMD_ARK_SHA256, parseCertificates, verifyAmdChain } from '../../src/evidence/amd-chain.js';
import { AMD_ASK_SHA256, AMD_ASVK_SHA256, AMD_BUNDLED_CERTIFICATES, bundledAmdChain } from '../../src/evidence/amd-certs.js';
import { loadEvidence, verifyEvidence } from '../../src/evidence/load.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { verifySnpEvidence } from '../../src/evidence/snp-verify.js';
import { HAVE_SHARED, sharedBytes, sharedNotice, whenShared } from '../helpers/shared.js';
import { findCheck as check } from '../helpers/checks.js';

const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('evidence/amd-certs');
const file = (f: string): Uint8Array => sharedBytes(`evidence/snp/${f}`);
const PRODUCTS = ['Milan', 'Genoa', 'Turin'] as const;
/** OpenSSL's SHA-256 fingerprint `AB:CD:…` as lowercase hex. */
const fp = (c: NodeCertificate): string => c.fingerprint256.replace(/:/g, '').toLowerCase();
const cn = (dn: string): string => /CN=(.*)/.exec(dn)?.[1] ?? '';

describe('bundled AMD certificates (spec/snp.md §5)', () => {
  it.each(PRODUCTS)('%s: ARK, ASK, ASVK hash to their pins, are named and signed as §5 says (OpenSSL)', (p) => {
    const { ask, ark, asvk } = AMD_BUNDLED_CERTIFICATES[p];
    const [nAsk, nArk, nAsvk] = [ask, ark, asvk].map((pem) => new NodeCertificate(pem)) as [NodeCertificate, NodeCertificate, NodeCertificate];
    expect(fp(nArk)).toBe(AMD_ARK_SHA256[p]);
    expect(fp(nAsk)).toBe(AMD_ASK_SHA256[p]);
    expect(fp(nAsvk)).toBe(AMD_ASVK_SHA256[p]);
    expect([cn(nArk.subject), cn(nAsk.subject), cn(nAsvk.subject)]).toEqual([`ARK-${p}`, `SEV-${p}`, `SEV-VLEK-${p}`]);
    for (const c of [nArk, nAsk, nAsvk]) expect(cn(c.issuer)).toBe(`ARK-${p}`);
    expect(nArk.verify(nArk.publicKey)).toBe(true);
    expect(nAsk.verify(nArk.publicKey)).toBe(true);
    expect(nAsvk.verify(nArk.publicKey)).toBe(true);
    const chain = bundledAmdChain(p, 'vlek');
    expect(createHash('sha256').update(chain.intermediate).digest('hex')).toBe(AMD_ASVK_SHA256[p]);
    expect(createHash('sha256').update(chain.ark).digest('hex')).toBe(AMD_ARK_SHA256[p]);
    expect(createHash('sha256').update(bundledAmdChain(p, 'vcek').intermediate).digest('hex')).toBe(AMD_ASK_SHA256[p]);
  });

  it('the pins are nine distinct certificates', () => {
    const all = PRODUCTS.flatMap((p) => [AMD_ARK_SHA256[p], AMD_ASK_SHA256[p], AMD_ASVK_SHA256[p]]);
    expect(new Set(all).size).toBe(9);
  });

  describeShared('against the copies in the shared vectors (vectors/SOURCES.md)', () => {
    const der = (pem: string | Uint8Array): string => Buffer.from(new NodeCertificate(typeof pem === 'string' ? pem : Buffer.from(pem)).raw).toString('hex');
    it.each(PRODUCTS)('%s ASK and ARK equal virtee/sev src/certs/snp/builtin', (p) => {
      const lower = p.toLowerCase();
      expect(der(AMD_BUNDLED_CERTIFICATES[p].ask)).toBe(der(file(`${lower}-ask.pem`)));
      expect(der(AMD_BUNDLED_CERTIFICATES[p].ark)).toBe(der(file(`${lower}-ark.pem`)));
    });
    it('the ASVKs equal trustee milan_ask_ark_asvk.pem and go-sev-guest ask_ark_{genoa,turin}_vlek.pem', () => {
      const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
      expect(der(AMD_BUNDLED_CERTIFICATES.Milan.asvk)).toBe(hex(parseCertificates(file('trustee-snp-milan_ask_ark_asvk.pem'))[2]!));
      for (const p of ['Genoa', 'Turin'] as const) {
        const [asvk, ark] = parseCertificates(file(`gosevguest-ask_ark_${p.toLowerCase()}_vlek.pem`));
        expect(der(AMD_BUNDLED_CERTIFICATES[p].asvk)).toBe(hex(asvk!));
        expect(der(AMD_BUNDLED_CERTIFICATES[p].ark)).toBe(hex(ark!));
      }
    });
  });
});

describeShared('verifying without a chain uses the bundled certificates', () => {
  const AT = new Date('2025-06-01T00:00:00Z');

  it('go-sev-guest attestation.bin with only its VCEK verifies; the detail names the bundle', async () => {
    const res = await verifySnpEvidence(loadSnpEvidence(file('gosevguest-attestation.bin')), { vcek: file('gosevguest-vcek.testcer'), now: AT });
    for (const role of ['ask', 'ark']) {
      expect(check(res.checks, `${role}-available`).ok).toBe(true);
      expect(check(res.checks, `${role}-available`).detail).toContain('the bundled AMD certificates (Milan ASK/ARK');
    }
    expect(check(res.checks, 'ark-pinned').ok).toBe(true);
    expect(check(res.checks, 'vcek-signed-by-ask').ok).toBe(true);
    expect(res.verified).toBe(true);
  });

  it('a chain that is given is used, not the bundle', async () => {
    const res = await verifySnpEvidence(loadSnpEvidence(file('gosevguest-attestation.bin')), {
      vcek: file('gosevguest-vcek.testcer'),
      chain: new Uint8Array(Buffer.concat([file('milan-ask.pem'), file('genoa-ark.pem')])),
      now: AT,
    });
    expect(check(res.checks, 'ark-available').detail).toBe('ARK from the given chain');
    expect(check(res.checks, 'ark-pinned').ok).toBe(false);
    expect(res.verified).toBe(false);
  });
});

describeShared('certificate validity at the verification time', () => {
  const report = (): Uint8Array => file('gosevguest-attestation.bin');
  const options = whenShared(() => ({ vcek: file('gosevguest-vcek.testcer') }));
  // The VCEK's own period, read with OpenSSL: 2022-09-24 to 2029-09-24; the Milan ASK/ARK 2020–2045.
  const vcek = whenShared(() => new NodeCertificate(Buffer.from(file('gosevguest-vcek.testcer'))));

  it('the VCEK period the expectations rest on', () => {
    expect(new Date(vcek.validFrom).toISOString()).toBe('2022-09-24T00:55:28.000Z');
    expect(new Date(vcek.validTo).toISOString()).toBe('2029-09-24T00:55:28.000Z');
  });

  it.each([
    ['2020-01-01T00:00:00Z', 'not yet valid'],
    ['2040-01-01T00:00:00Z', 'expired'],
  ])('at %s the VCEK is refused (%s); the ASK/ARK checks say what holds', async (time, why) => {
    const res = await verifySnpEvidence(loadSnpEvidence(report()), { ...options, now: new Date(time) });
    const v = check(res.checks, 'vcek-validity');
    expect(v.ok).toBe(false);
    expect(v.detail).toContain(why);
    expect(v.detail).toContain(new Date(time).toISOString());
    // The Milan ASK and ARK are valid 2020-10-22 to 2045-10-22: not yet valid in 2020-01, valid in 2040.
    const rootsValid = time.startsWith('2040');
    expect(check(res.checks, 'ask-validity').ok).toBe(rootsValid);
    expect(check(res.checks, 'ark-validity').ok).toBe(rootsValid);
    expect(check(res.checks, 'report-signature').ok).toBe(true);
    expect(res.verified).toBe(false);
  });

  it('positive control: inside every period the same evidence verifies', async () => {
    const res = await verifySnpEvidence(loadSnpEvidence(report()), { ...options, now: new Date('2025-06-01T00:00:00Z') });
    for (const role of ['vcek', 'ask', 'ark']) expect(check(res.checks, `${role}-validity`).ok).toBe(true);
    expect(res.verified).toBe(true);
  });

  it('verifyEvidence passes its `now` through (the CLI --time)', async () => {
    const ev = loadEvidence(report());
    // go-sev-guest's attestation.bin has DEBUG set (POLICY 0xB0000), which the appraisal refuses by
    // default (go-sev-guest validatePolicy); allowed here, as this test is about the time.
    const appraised = { ...options, policy: { allowDebug: true } };
    expect((await verifyEvidence(ev, { ...appraised, now: new Date('2040-01-01T00:00:00Z') })).verified).toBe(false);
    expect((await verifyEvidence(ev, { ...appraised, now: new Date('2025-06-01T00:00:00Z') })).verified).toBe(true);
  });

  it("trustee's test VLEK (valid 2024-12-10 to 2025-12-10) is refused after it expired", async () => {
    const vlek = new NodeCertificate(Buffer.from(file('trustee-snp-test-vlek.der')));
    const after = new Date(new Date(vlek.validTo).getTime() + 1000);
    const ev = loadSnpEvidence(file('trustee-snp-test-vlek-report.bin'));
    const res = await verifySnpEvidence(ev, { vcek: file('trustee-snp-test-vlek.der'), now: after });
    expect(check(res.checks, 'vlek-validity')).toMatchObject({ ok: false });
    expect(check(res.checks, 'asvk-validity').ok).toBe(true);
    expect(res.verified).toBe(false);
    const inside = await verifySnpEvidence(ev, { vcek: file('trustee-snp-test-vlek.der'), now: new Date(vlek.validFrom) });
    expect(inside.verified).toBe(true);
  });

  it('the Turin VCEK chain (valid from 2024-11-06) is refused in 2020 and 2040, accepted in 2027', async () => {
    const [ask, ark] = parseCertificates(file('virtee-cert_chain_turin'));
    const leaf = file('virtee-vcek_turin.der');
    const at = async (t: string) =>
      Object.fromEntries((await verifyAmdChain({ signer: 'vcek', leaf, intermediate: ask, ark, product: 'Turin', at: new Date(t) })).map((c) => [c.name, c.ok]));
    // Turin ARK/ASK: 2023-05-15 to 2048-05-15; VCEK 2024-11-06 to 2031-11-06 (OpenSSL).
    expect(await at('2020-01-01T00:00:00Z')).toMatchObject({ 'vcek-validity': false, 'ask-validity': false, 'ark-validity': false });
    expect(await at('2040-01-01T00:00:00Z')).toMatchObject({ 'vcek-validity': false, 'ask-validity': true, 'ark-validity': true });
    expect(await at('2027-01-01T00:00:00Z')).toMatchObject({ 'vcek-validity': true, 'ask-validity': true, 'ark-validity': true, 'vcek-signed-by-ask': true });
  });
});
