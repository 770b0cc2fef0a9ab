/**
 * AMD's CRL rule for SEV-SNP (src/evidence/amd-crl.ts, spec/snp.md §5): the CRL of a VCEK (or
 * VLEK) chain must be signed by the chain's ARK, must be current, and must list neither the
 * ASK/ASVK nor the VCEK/VLEK.
 *
 * Expected verdicts are go-sev-guest's (verify/verify.go `verifyCRL`): `CRL.CheckSignatureFrom(Ark)`
 * failing is "CRL is not signed by ARK", and an ASK serial in `RevokedCertificates` is "ASK was
 * revoked". go-sev-guest does not look the VCEK up ("we don't expect [AMD] to ever explicitly
 * revoke a VCEK"); spec/snp.md §5 and this project's rule refuse a listed VCEK too, which is
 * stricter and never accepts what go-sev-guest refuses. There is no real AMD CRL in the shared
 * vectors (vectors/SOURCES.md), so the CRLs and test chains are generated here with
 * @peculiar/x509, and which serials a CRL lists is cross-checked with OpenSSL (node:crypto).
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { AMD_BUNDLED_CERTIFICATES } from '../../src/evidence/amd-certs.js';
import { amdCrlUrl, checkAmdCrl, readAmdCrl } from '../../src/evidence/amd-crl.js';
import { loadEvidence, verifyEvidence } from '../../src/evidence/load.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { verifySnpEvidence } from '../../src/evidence/snp-verify.js';
import type { Check } from '../../src/pki/check.js';
import { PkiError } from '../../src/pki/errors.js';
import { x509 } from '../../src/pki/x509.js';
import { mulberry32 } from '../helpers/prng.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';

const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('evidence/amd-crl');
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const AT = new Date('2025-06-01T00:00:00Z');
const AMD_DN = 'OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices';

interface Party {
  readonly keys: CryptoKeyPairLike;
  readonly cert: x509.X509Certificate;
}
const der = (c: { rawData: ArrayBuffer }): Uint8Array => new Uint8Array(c.rawData);

const keys = () => crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
type CryptoKeyPairLike = Awaited<ReturnType<typeof keys>>;

/** A certificate `cn` with serial `serial` issued by `issuer` (self-signed without one). */
async function party(cn: string, serial: string, issuer?: Party): Promise<Party> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${cn}, ${AMD_DN}`,
    issuer: issuer ? issuer.cert.subject : `CN=${cn}, ${AMD_DN}`,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2045-01-01T00:00:00Z'),
    signingAlgorithm: ALG,
    publicKey: k.publicKey,
    signingKey: issuer ? issuer.keys.privateKey : k.privateKey,
  });
  return { keys: k, cert };
}

/** A CRL by `signer` (named `issuerName`, default the signer's subject) listing `serials`. */
async function crl(signer: Party, serials: string[], options: { issuerName?: string; nextUpdate?: Date | null; thisUpdate?: Date } = {}): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: options.issuerName ?? signer.cert.subject,
    thisUpdate: options.thisUpdate ?? new Date('2025-01-01T00:00:00Z'),
    ...(options.nextUpdate === null ? {} : { nextUpdate: options.nextUpdate ?? new Date('2026-01-01T00:00:00Z') }),
    entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: new Date('2024-06-01T00:00:00Z') })),
    signingAlgorithm: ALG,
    signingKey: signer.keys.privateKey,
  });
}

let ark: Party;
let ask: Party;
let vcek: Party;
let other: Party;
beforeAll(async () => {
  x509.cryptoProvider.set(globalThis.crypto);
  ark = await party('ARK-Milan', '010000');
  ask = await party('SEV-Milan', '010001', ark);
  // Real VCEKs all carry serial 0 (spec/snp.md §5), which no CRL entry can single out (and
  // @peculiar/x509's generator replaces a zero serial with a random one): this one has 0b0c.
  vcek = await party('SEV-VCEK', '0b0c', ask);
  other = await party('ARK-Milan', '010000'); // the ARK's name, another key
});

const run = async (c: x509.X509Crl | Uint8Array | undefined, signer: 'vcek' | 'vlek' = 'vcek', at = AT): Promise<Check> =>
  checkAmdCrl({
    signer,
    crl: c === undefined ? undefined : { bytes: c instanceof Uint8Array ? c : der(c), source: 'the test' },
    missing: c === undefined ? 'no CRL given' : undefined,
    leaf: der(vcek.cert),
    intermediate: der(ask.cert),
    ark: der(ark.cert),
    at,
  });

describe('checkAmdCrl: which CRL applies to which certificate (spec/snp.md §5)', () => {
  it('the KDS URLs: /vcek/ for a VCEK chain, /vlek/ for a VLEK chain', () => {
    expect(amdCrlUrl('Genoa', 'vcek')).toBe('https://kdsintf.amd.com/vcek/v1/Genoa/crl');
    expect(amdCrlUrl('Turin', 'vlek', 'http://127.0.0.1:1/')).toBe('http://127.0.0.1:1/vlek/v1/Turin/crl');
  });

  it('no CRL: not made, and says so', async () => {
    expect(await run(undefined)).toEqual({ name: 'crl', ok: null, detail: 'not checked: no CRL given' });
  });

  it('positive control: an ARK-signed, current CRL that lists neither passes', async () => {
    const c = await run(await crl(ark, ['0a0b']));
    expect(c.ok, c.detail).toBe(true);
    expect(c.detail).toContain('signed by the ARK');
  });

  it('the ASK listed: refused (go-sev-guest "ASK was revoked")', async () => {
    const list = await crl(ark, ['010001']);
    // OpenSSL reads the ASK's serial as the one listed.
    expect(new NodeCertificate(Buffer.from(der(ask.cert))).serialNumber.toLowerCase()).toBe('010001');
    const c = await run(list);
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('the ASK "SEV-Milan" (serial 010001) is revoked');
  });

  it('the VCEK listed: refused', async () => {
    expect(new NodeCertificate(Buffer.from(der(vcek.cert))).serialNumber.toLowerCase()).toBe('0b0c');
    const c = await run(await crl(ark, ['0b0c']));
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('the VCEK (serial 0b0c) is revoked');
  });

  it('a VLEK chain names the ASVK and VLEK', async () => {
    const c = await run(await crl(ark, ['010001', '0b0c']), 'vlek');
    expect(c.detail).toContain('the ASVK "SEV-Milan"');
    expect(c.detail).toContain('the VLEK (serial 0b0c) is revoked');
  });

  it('a CRL the ARK did not sign: refused (go-sev-guest "CRL is not signed by ARK")', async () => {
    const byAsk = await run(await crl(ask, []));
    expect(byAsk.ok).toBe(false);
    expect(byAsk.detail).toContain('not signed by the ARK');
    const forged = await run(await crl(other, [], { issuerName: ark.cert.subject }));
    expect(forged.ok).toBe(false);
    expect(forged.detail).toContain('not signed by the ARK');
  });

  it('a CRL past its nextUpdate at the verification time: refused', async () => {
    const c = await run(await crl(ark, [], { nextUpdate: new Date('2025-03-01T00:00:00Z') }));
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('past its nextUpdate 2025-03-01T00:00:00.000Z');
    expect((await run(await crl(ark, [], { nextUpdate: new Date('2025-03-01T00:00:00Z') }), 'vcek', new Date('2025-02-01T00:00:00Z'))).ok).toBe(true);
  });

  it('a CRL without nextUpdate, or issued after the verification time: refused (go-tdx-guest checkCollateralExpiration; OpenSSL X509_V_ERR_CRL_NOT_YET_VALID)', async () => {
    const open = await run(await crl(ark, [], { nextUpdate: null }));
    expect(open.ok).toBe(false);
    expect(open.detail).toContain('no nextUpdate');
    const early = await run(await crl(ark, [], { thisUpdate: new Date('2025-07-01T00:00:00Z') }));
    expect(early.ok).toBe(false);
    expect(early.detail).toContain('after the verification time');
    // Positive control: the same CRL at a time after its thisUpdate.
    expect((await run(await crl(ark, [], { thisUpdate: new Date('2025-07-01T00:00:00Z') }), 'vcek', new Date('2025-08-01T00:00:00Z'))).ok).toBe(true);
  });

  it('PEM is read as DER is; unreadable bytes are a failed check, not an exception', async () => {
    const list = await crl(ark, []);
    expect((await run(new TextEncoder().encode(list.toString('pem')))).ok).toBe(true);
    const bad = await run(new Uint8Array([0x30, 0x03, 1, 2, 3]));
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain('cannot be read');
  });

  it('no ARK: not made', async () => {
    const c = await checkAmdCrl({ signer: 'vcek', crl: { bytes: der(await crl(ark, [])), source: 'x' }, leaf: der(vcek.cert), at: AT });
    expect(c.ok).toBeNull();
  });

  it('fuzz: readAmdCrl throws only PkiError; checkAmdCrl never throws (fixed seed, 300 inputs)', async () => {
    const base = der(await crl(ark, ['010001', '0b0c']));
    const rand = mulberry32(0x5eed);
    const unexpected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const b = i % 3 === 0 ? base.slice(0, Math.floor(rand() * base.length)) : base.slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const at = Math.floor(rand() * b.length);
        if (b.length) b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
      }
      try {
        readAmdCrl(b);
      } catch (e) {
        if (!(e instanceof PkiError)) unexpected.push(`#${i} read: ${String(e)}`);
      }
      try {
        const c = await run(b);
        if (c.ok === true && b.length < base.length) unexpected.push(`#${i}: a truncated CRL passed`);
      } catch (e) {
        unexpected.push(`#${i} check: ${String(e)}`);
      }
    }
    expect(unexpected).toEqual([]);
  });
});

describeShared('the crl check in verifySnpEvidence, on real evidence', () => {
  const file = (f: string): Uint8Array => sharedBytes(`evidence/snp/${f}`);
  const report = () => loadSnpEvidence(file('gosevguest-attestation.bin'));
  const options = () => ({ vcek: file('gosevguest-vcek.testcer'), now: AT });
  const check = (checks: readonly Check[], name: string): Check => checks.find((c) => c.name === name)!;

  it('positive control: without a CRL the evidence verifies and `crl` is not made, naming the KDS URL', async () => {
    const res = await verifySnpEvidence(report(), options());
    expect(check(res.checks, 'crl')).toMatchObject({ ok: null });
    expect(check(res.checks, 'crl').detail).toContain('https://kdsintf.amd.com/vcek/v1/Milan/crl');
    expect(res.verified).toBe(true);
  });

  it("a CRL in AMD's Milan ARK's name that the ARK did not sign: refused", async () => {
    const arkName = new x509.X509Certificate(AMD_BUNDLED_CERTIFICATES.Milan.ark).subject;
    const forged = der(await crl(other, [], { issuerName: arkName }));
    const res = await verifySnpEvidence(report(), { ...options(), crl: forged });
    expect(check(res.checks, 'crl')).toMatchObject({ ok: false });
    expect(check(res.checks, 'crl').detail).toContain('the given CRL file');
    expect(res.verified).toBe(false);
    // Through verifyEvidence (the CLI's --crl) too.
    expect((await verifyEvidence(loadEvidence(file('gosevguest-attestation.bin')), { ...options(), crl: forged })).verified).toBe(false);
  });

  it("the CRL is applied to the chain's own ASK and VCEK, signed by the chain's ARK", async () => {
    // A generated chain (named as AMD's) given with the real report: its ARK is not pinned, but
    // the crl check still looks the chain's ASK and VCEK up in the CRL of the chain's ARK.
    const pem = [vcek, ask, ark].map((p) => p.cert.toString('pem')).join('\n');
    const given = { vcek: new TextEncoder().encode(pem), now: AT };
    const revoking = await verifySnpEvidence(report(), { ...given, crl: der(await crl(ark, ['010001'])) });
    expect(check(revoking.checks, 'ark-pinned').ok).toBe(false);
    expect(check(revoking.checks, 'crl')).toMatchObject({ ok: false });
    expect(check(revoking.checks, 'crl').detail).toContain('the ASK "SEV-Milan" (serial 010001) is revoked');
    const clean = await verifySnpEvidence(report(), { ...given, crl: der(await crl(ark, ['0a0b'])) });
    expect(check(clean.checks, 'crl').ok).toBe(true);
    expect(clean.verified).toBe(false); // the generated ARK is not AMD's
  });
});

describeShared('report verify: --crl, and no --chain (the CLI over the same rules)', () => {
  const path = (f: string): string => join(SHARED_VECTORS, 'evidence/snp', f);
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'igvm-amd-crl-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = async (args: string[]) => {
    let stdout = '';
    const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: () => undefined, stderrIsTty: false });
    return { code, checks: JSON.parse(stdout).checks as Check[] };
  };
  // go-sev-guest's attestation.bin has DEBUG set (POLICY 0xB0000): allowed, as these tests are about the chain.
  const base = ['report', 'verify', path('gosevguest-attestation.bin'), '--vcek', path('gosevguest-vcek.testcer'), '--allow-debug', '--json'];

  it('without --chain: verified at a time inside the certificates, exit 3 naming vcek-validity at 2040', async () => {
    const ok = await cli([...base, '--time', '2025-06-01T00:00:00Z']);
    expect(ok.code).toBe(0);
    expect(ok.checks.find((c) => c.name === 'ask-available')!.detail).toContain('the bundled AMD certificates');
    const late = await cli([...base, '--time', '2040-01-01T00:00:00Z']);
    expect(late.code).toBe(3);
    expect(late.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['vcek-validity']);
  });

  it('--crl with a CRL the ARK did not sign: exit 3 naming crl', async () => {
    const arkName = new x509.X509Certificate(AMD_BUNDLED_CERTIFICATES.Milan.ark).subject;
    const file = join(dir, 'forged.crl');
    writeFileSync(file, der(await crl(other, [], { issuerName: arkName })));
    const r = await cli([...base, '--time', '2025-06-01T00:00:00Z', '--crl', file]);
    expect(r.code).toBe(3);
    expect(r.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['crl']);
  });
});
