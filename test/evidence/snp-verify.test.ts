/**
 * Offline verification of SNP evidence (spec/snp.md §4 "Signature", §5, §6).
 *
 * Which certificate goes with which report comes from spec/snp.md §6 and vectors/SOURCES.md
 * "Evidence (SNP)"; expected extension values from the §6 certificates table and the §5
 * encodings table; the pins from §5. Every real report in ../shared/vectors/evidence/snp must
 * verify with its chain, and the §6/issue rejections must fail the named check.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AMD_ARK_SHA256,
  decodeAmdExtensions,
  describeAmdCertificate,
  parseCertificates,
  verifyAmdChain,
  verifyRsaPssLink,
} from '../../src/evidence/amd-chain.js';
import { EvidenceError } from '../../src/evidence/errors.js';
import { loadSnpEvidence, type SnpEvidence } from '../../src/evidence/snp-input.js';
import { verifySnpEvidence, type SnpVerifyOptions } from '../../src/evidence/snp-verify.js';
import { x509 } from '../../src/pki/x509.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/prng.js';
import { findCheck as check } from '../helpers/checks.js';

const SNP = 'evidence/snp';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const file = (f: string): Uint8Array => sharedBytes(`${SNP}/${f}`);
const cat = (...files: string[]): Uint8Array => new Uint8Array(Buffer.concat(files.map((f) => file(f))));
const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('evidence/snp-verify');

/**
 * A time inside the validity of every certificate below: trustee's test VLEK is valid only from
 * 2024-12-10 to 2025-12-10, so verification "now" would (rightly) refuse it. go-sev-guest pins
 * its test time the same way (verify/testdata/testdata.go: "we adjust the CurrentTime").
 */
const AT = new Date('2025-06-01T00:00:00Z');

/**
 * Each report with its certificates, as spec/snp.md §6 ("VCEK = …", "chain = …") and
 * vectors/SOURCES.md pair them; `product` and `signer` are §6's "Milan/Genoa" and "VLEK-signed".
 */
interface Case {
  readonly report: string;
  readonly options: () => SnpVerifyOptions;
  readonly product: 'Milan' | 'Genoa';
  readonly signer: 'vcek' | 'vlek';
}
const CASES: readonly Case[] = [
  { report: 'virtee-report_milan.hex', options: () => ({ vcek: file('virtee-vcek_milan.der'), chain: file('virtee-cert_chain_milan'), now: AT }), product: 'Milan', signer: 'vcek' },
  // go-sev-guest's test VCEK with AMD's Milan ASK/ARK (§6 "VCEK = verify/testdata/vcek.testcer").
  { report: 'gosevguest-attestation.bin', options: () => ({ vcek: file('gosevguest-vcek.testcer'), chain: cat('milan-ask.pem', 'milan-ark.pem'), now: AT }), product: 'Milan', signer: 'vcek' },
  { report: 'trustee-snp-test-report.bin', options: () => ({ vcek: file('trustee-snp-test-vcek.der'), chain: file('virtee-cert_chain_milan'), now: AT }), product: 'Milan', signer: 'vcek' },
  // §6: "VLEK = test-vlek.der, ASVK in milan_ask_ark_asvk.pem (ASK+ARK+ASVK)".
  { report: 'trustee-snp-test-vlek-report.bin', options: () => ({ vcek: file('trustee-snp-test-vlek.der'), chain: file('trustee-snp-milan_ask_ark_asvk.pem'), now: AT }), product: 'Milan', signer: 'vlek' },
  // §6: "chain = az-snp-vtpm/vcek.pem (VCEK+ASK+ARK)": a PEM that carries the chain after the VCEK.
  { report: 'trustee-az-snp-vtpm-hcl-report.bin', options: () => ({ vcek: file('trustee-az-snp-vtpm-vcek.pem'), now: AT }), product: 'Milan', signer: 'vcek' },
  // §6: "VCEK in the JSON vcek field (issuer SEV-Genoa)"; AMD's Genoa ASK/ARK from virtee.
  { report: 'trustee-az-snp-vtpm-evidence-genoa.json', options: () => ({ chain: cat('genoa-ask.pem', 'genoa-ark.pem'), now: AT }), product: 'Genoa', signer: 'vcek' },
];

describe('ARK pins (spec/snp.md §5)', () => {
  it('pins three products', () => {
    expect(Object.keys(AMD_ARK_SHA256).sort()).toEqual(['Genoa', 'Milan', 'Turin']);
  });

  describeShared('with the ARK files', () => {
    it.each(['milan', 'genoa', 'turin'] as const)('the %s ARK hashes to its pin and is self-signed', async (p) => {
      const [ark] = parseCertificates(file(`${p}-ark.pem`));
      const product = (p[0]!.toUpperCase() + p.slice(1)) as 'Milan' | 'Genoa' | 'Turin';
      expect(createHash('sha256').update(ark!).digest('hex')).toBe(AMD_ARK_SHA256[product]);
      expect(describeAmdCertificate(ark!)).toMatchObject({ role: 'ark', product, commonName: `ARK-${product}` });
      expect((await verifyRsaPssLink(ark!, ark!)).ok).toBe(true);
    });
  });
});

describeShared('certificates (spec/snp.md §5 extensions, §6 certificates table)', () => {
  it('parses a PEM with several certificates, in order (virtee cert_chain_milan: ASK then ARK)', () => {
    const certs = parseCertificates(file('virtee-cert_chain_milan'));
    expect(certs.map((c) => describeAmdCertificate(c).role)).toEqual(['ask', 'ark']);
    // trustee milan_ask_ark_asvk.pem: ASK, ARK, ASVK (§6).
    expect(parseCertificates(file('trustee-snp-milan_ask_ark_asvk.pem')).map((c) => describeAmdCertificate(c).role)).toEqual(['ask', 'ark', 'asvk']);
  });

  it('reads the Milan VCEK: Milan-B0, BL 3, TEE 0, SNP 8, UCODE 0x73, 64-byte hwID (serial 0 tolerated)', () => {
    const der = file('virtee-vcek_milan.der');
    expect(new x509.X509Certificate(der).serialNumber).toMatch(/^0+$/);
    const e = decodeAmdExtensions(der);
    expect(e).toMatchObject({ structVersion: 0, productName: 'Milan-B0', blSPL: 3, teeSPL: 0, snpSPL: 8, ucodeSPL: 0x73 });
    expect(e.hwId?.length).toBe(64);
  });

  it('reads the Turin VCEK: struct v1, "Turin", FMC 0, UCODE 9, 8-byte hwID 1e550a8ee5cf9f4d', () => {
    const e = decodeAmdExtensions(file('virtee-vcek_turin.der'));
    expect(e).toMatchObject({ structVersion: 1, productName: 'Turin', fmcSPL: 0, ucodeSPL: 9 });
    expect(hex(e.hwId!)).toBe('1e550a8ee5cf9f4d');
  });

  it('reads the Genoa VCEK: BL 10, SNP 0x17, UCODE 0x54', () => {
    const [vcek] = parseCertificates(new TextEncoder().encode(JSON.parse(new TextDecoder().decode(file('trustee-az-snp-vtpm-evidence-genoa.json'))).vcek as string));
    expect(decodeAmdExtensions(vcek!)).toMatchObject({ productName: 'Genoa', blSPL: 10, snpSPL: 0x17, ucodeSPL: 0x54 });
  });

  it('reads a VLEK: product "Milan", cspId, no hwID, ucodeSPL 0xD9 encoded 02 02 00 d9', () => {
    const e = decodeAmdExtensions(file('trustee-snp-test-vlek.der'));
    expect(e).toMatchObject({ productName: 'Milan', cspId: 'CN=cc-us-east-2.amazonaws.com', ucodeSPL: 0xd9 });
    expect(e.hwId).toBeUndefined();
    expect(describeAmdCertificate(file('trustee-snp-test-vlek.der')).role).toBe('vlek');
  });

  it('verifies the Turin VCEK chain against the pinned Turin ARK (no Turin report exists, §6)', async () => {
    const [ask, ark] = parseCertificates(file('virtee-cert_chain_turin'));
    const checks = await verifyAmdChain({ signer: 'vcek', leaf: file('virtee-vcek_turin.der'), intermediate: ask, ark, product: 'Turin' });
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['ark-pinned', true],
      ['ark-self-signed', true],
      ['ask-signed-by-ark', true],
      ['vcek-signed-by-ask', true],
    ]);
  });

  it("agrees with @peculiar/x509's own verify() on RSA-PSS links", async () => {
    x509.cryptoProvider.set(globalThis.crypto);
    const [ask, ark] = parseCertificates(file('virtee-cert_chain_milan')).map((d) => new x509.X509Certificate(d));
    const vcek = new x509.X509Certificate(file('virtee-vcek_milan.der'));
    expect(await vcek.verify({ publicKey: ask!.publicKey, signatureOnly: true })).toBe(true);
    expect(await vcek.verify({ publicKey: ark!.publicKey, signatureOnly: true })).toBe(false);
    expect((await verifyRsaPssLink(file('virtee-vcek_milan.der'), new Uint8Array(ask!.rawData))).ok).toBe(true);
    expect((await verifyRsaPssLink(file('virtee-vcek_milan.der'), new Uint8Array(ark!.rawData))).ok).toBe(false);
  });

  it('rejects input that is not a certificate with BadCertificate', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0x30, 0x03, 1, 2, 3]), new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----')]) {
      expect(() => parseCertificates(bad)).toThrow(EvidenceError);
    }
  });
});

describeShared('every real report verifies with its chain (spec/snp.md §6)', () => {
  it('covers every file of evidence/snp that is a report', () => {
    const reports = readdirSync(join(SHARED_VECTORS, SNP)).filter((f) => {
      try {
        loadSnpEvidence(file(f));
        return true;
      } catch {
        return false;
      }
    });
    expect(reports.sort()).toEqual(CASES.map((c) => c.report).sort());
  });

  it.each(CASES)('$report', async (c) => {
    const ev = loadSnpEvidence(file(c.report));
    const res = await verifySnpEvidence(ev, c.options());
    const failed = res.checks.filter((x) => x.ok !== true);
    expect(res.product).toBe(c.product);
    expect(res.signer).toBe(c.signer);
    for (const name of ['report-signature', 'ark-pinned', 'ark-self-signed', 'tcb-matches-reported-tcb', 'product', 'signing-key']) {
      expect(check(res.checks, name).ok, name).toBe(true);
    }
    const mid = c.signer === 'vcek' ? 'ask' : 'asvk';
    expect(check(res.checks, `${mid}-signed-by-ark`).ok).toBe(true);
    expect(check(res.checks, `${c.signer}-signed-by-${mid}`).ok).toBe(true);
    for (const role of [c.signer, mid, 'ark']) expect(check(res.checks, `${role}-validity`).ok, role).toBe(true);
    // No CRL given and no fetch: the revocation check is not made (spec/snp.md §5 "optional CRL").
    if (c.signer === 'vcek') {
      expect(check(res.checks, 'hwid-matches-chip-id').ok).toBe(true);
      expect(failed.map((x) => [x.name, x.ok])).toEqual([['crl', null]]);
    } else {
      // §5: a VLEK has no hwID; the check is not made.
      expect(failed.map((x) => [x.name, x.ok])).toEqual([
        ['crl', null],
        ['hwid-matches-chip-id', null],
      ]);
    }
    expect(res.verified).toBe(true);
  });
});

describeShared('rejections', () => {
  const milan = (): SnpEvidence => loadSnpEvidence(file('gosevguest-attestation.bin'));
  const milanOptions = (): SnpVerifyOptions => ({ vcek: file('gosevguest-vcek.testcer'), chain: cat('milan-ask.pem', 'milan-ark.pem'), now: AT });

  it('a flipped bit anywhere in the signed region 0x000–0x29F fails report-signature', async () => {
    const raw = file('gosevguest-attestation.bin');
    const opts = milanOptions();
    let tried = 0;
    for (let at = 0; at < 0x2a0; at++) {
      const bytes = raw.slice();
      bytes[at] = bytes[at]! ^ (1 << (at % 8));
      let ev: SnpEvidence;
      try {
        ev = loadSnpEvidence(bytes);
      } catch (e) {
        // Only the version word can make the report unreadable (e.g. 2 → 6).
        expect(e).toBeInstanceOf(EvidenceError);
        expect(at).toBeLessThan(4);
        continue;
      }
      const res = await verifySnpEvidence(ev, opts);
      // A flipped SIGNING_KEY bit makes it a report "signed by none/VLEK"; the signature check fails either way.
      const sig = res.checks.find((c) => c.name === 'report-signature');
      expect(sig?.ok === true, `byte 0x${at.toString(16)}`).toBe(false);
      expect(res.verified).toBe(false);
      tried++;
    }
    expect(tried).toBeGreaterThan(0x29a);
  });

  it('a flipped bit in the signature itself fails report-signature', async () => {
    const raw = file('gosevguest-attestation.bin');
    for (const at of [0x2a0, 0x2cf, 0x2e8, 0x317]) {
      const bytes = raw.slice();
      bytes[at] = bytes[at]! ^ 0x01;
      const res = await verifySnpEvidence(loadSnpEvidence(bytes), milanOptions());
      expect(check(res.checks, 'report-signature').ok).toBe(false);
    }
  });

  it('the wrong VCEK fails report-signature and hwid-matches-chip-id', async () => {
    const res = await verifySnpEvidence(loadSnpEvidence(file('trustee-snp-test-report.bin')), { vcek: file('virtee-vcek_milan.der'), chain: file('virtee-cert_chain_milan') });
    expect(check(res.checks, 'report-signature').ok).toBe(false);
    expect(check(res.checks, 'hwid-matches-chip-id').ok).toBe(false);
    expect(check(res.checks, 'vcek-signed-by-ask').ok).toBe(true); // a genuine VCEK, just not this chip's
    expect(res.verified).toBe(false);
  });

  it.each(['trustee-snp-test-vcek-invalid-legacy.der', 'trustee-snp-test-vcek-invalid-new.der'])('%s is rejected (not signed by the ASK)', async (f) => {
    const res = await verifySnpEvidence(loadSnpEvidence(file('trustee-snp-test-report.bin')), { vcek: file(f), chain: file('virtee-cert_chain_milan') });
    expect(check(res.checks, 'vcek-signed-by-ask').ok).toBe(false);
    expect(check(res.checks, 'report-signature').ok).toBe(false);
    expect(res.verified).toBe(false);
  });

  it("a chain whose ARK is another product's fails ark-pinned", async () => {
    const res = await verifySnpEvidence(milan(), { vcek: file('gosevguest-vcek.testcer'), chain: cat('milan-ask.pem', 'genoa-ark.pem') });
    const pin = check(res.checks, 'ark-pinned');
    expect(pin.ok).toBe(false);
    expect(pin.detail).toContain('Genoa ARK');
    expect(check(res.checks, 'ask-signed-by-ark').ok).toBe(false);
    expect(res.verified).toBe(false);
  });

  it('a consistent chain of the wrong product fails the product and pin checks', async () => {
    // The Genoa report with a Milan ASK/ARK: the ARK is pinned, but for Milan, not Genoa.
    const res = await verifySnpEvidence(loadSnpEvidence(file('trustee-az-snp-vtpm-evidence-genoa.json')), { chain: file('virtee-cert_chain_milan') });
    expect(res.product).toBe('Genoa');
    expect(check(res.checks, 'ark-pinned').ok).toBe(false);
    expect(check(res.checks, 'product').ok).toBe(false);
    expect(check(res.checks, 'vcek-signed-by-ask').ok).toBe(false);
  });

  it('a VCEK for a VLEK-signed report fails signing-key', async () => {
    const res = await verifySnpEvidence(loadSnpEvidence(file('trustee-snp-test-vlek-report.bin')), { vcek: file('virtee-vcek_milan.der'), chain: file('trustee-snp-milan_ask_ark_asvk.pem') });
    expect(check(res.checks, 'signing-key').ok).toBe(false);
    expect(check(res.checks, 'vlek-available').ok).toBe(false);
    expect(res.verified).toBe(false);
  });

  it('missing certificates are failed checks naming the KDS URL (spec/snp.md §5), not exceptions', async () => {
    const raw = file('virtee-report_milan.hex');
    const res = await verifySnpEvidence(loadSnpEvidence(raw));
    expect(res.verified).toBe(false);
    // hwid = CHIP_ID (report offset 0x1A0, 64 bytes, §4) in hex; SPLs of REPORTED_TCB 0x7308…03 (§6): BL 3, TEE 0, SNP 8, UCODE 0x73.
    const reportBytes = Buffer.from(new TextDecoder().decode(raw).replace(/\s+/g, ''), 'hex');
    const chipId = reportBytes.subarray(0x1a0, 0x1e0).toString('hex');
    const vcek = check(res.checks, 'vcek-available');
    expect(vcek.ok).toBe(false);
    expect(vcek.detail).toContain(`https://kdsintf.amd.com/vcek/v1/Milan/${chipId}?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115`);
    expect(check(res.checks, 'ask-available').detail).toContain('https://kdsintf.amd.com/vcek/v1/Milan/cert_chain');
    expect(check(res.checks, 'ark-available').ok).toBe(false);

    // The Genoa evidence carries its VCEK; the missing chain comes from AMD's certificates that
    // ship with the package (src/evidence/amd-certs.ts), as go-sev-guest embeds them.
    const genoa = await verifySnpEvidence(loadSnpEvidence(file('trustee-az-snp-vtpm-evidence-genoa.json')), { now: AT });
    expect(check(genoa.checks, 'vcek-available').ok).toBe(true);
    expect(check(genoa.checks, 'report-signature').ok).toBe(true);
    expect(check(genoa.checks, 'ask-available')).toMatchObject({ ok: true });
    expect(check(genoa.checks, 'ask-available').detail).toContain('the bundled AMD certificates');
    expect(check(genoa.checks, 'ask-available').detail).toContain('https://kdsintf.amd.com/vcek/v1/Genoa/cert_chain');
    expect(genoa.verified).toBe(true);

    // A VLEK chain is AMD's ASVK (§5), bundled too.
    const vlek = await verifySnpEvidence(loadSnpEvidence(file('trustee-snp-test-vlek-report.bin')), { vcek: file('trustee-snp-test-vlek.der'), now: AT });
    expect(check(vlek.checks, 'asvk-available').detail).toContain('the bundled AMD certificates');
    expect(check(vlek.checks, 'asvk-available').detail).toContain('https://kdsintf.amd.com/vlek/v1/Milan/cert_chain');
    expect(vlek.verified).toBe(true);
  });

  it('unreadable certificate options are EvidenceError(BadCertificate)', async () => {
    await expect(verifySnpEvidence(milan(), { vcek: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({ code: 'BadCertificate' });
  });
});

// ---- fuzz -----------------------------------------------------------------------------------


describeShared('fuzz: verifySnpEvidence throws nothing but EvidenceError', () => {
  it('with mutated reports and certificates (fixed seed, 1000 inputs)', async () => {
    const rand = mulberry32(0xc0ffee);
    const int = (n: number) => Math.floor(rand() * n);
    const flip = (b: Uint8Array, n: number): Uint8Array => {
      const out = b.slice();
      for (let k = 0; k < n; k++) {
        const at = int(out.length);
        out[at] = out[at]! ^ (1 << int(8));
      }
      return out;
    };
    const reports = CASES.map((c) => ({ bytes: file(c.report), opts: c.options() }));
    const unexpected: string[] = [];
    let verified = 0;
    const N = 1000;
    for (let i = 0; i < N; i++) {
      const base = reports[int(reports.length)]!;
      let bytes = base.bytes;
      let opts: SnpVerifyOptions = base.opts;
      const mode = int(5);
      if (mode === 0) bytes = flip(bytes, 1 + int(3));
      else if (mode === 1) opts = { ...opts, vcek: opts.vcek && flip(opts.vcek, 1 + int(3)) };
      else if (mode === 2) opts = { ...opts, chain: opts.chain && (rand() < 0.5 ? flip(opts.chain, 1 + int(3)) : opts.chain.slice(0, int(opts.chain.length))) };
      else if (mode === 3) opts = { vcek: opts.vcek?.slice(0, int(opts.vcek.length + 1)) };
      else {
        const junk = new Uint8Array(int(64));
        for (let k = 0; k < junk.length; k++) junk[k] = int(256);
        junk[0] = 0x30;
        opts = { ...opts, chain: junk };
      }
      let ev: SnpEvidence;
      try {
        ev = loadSnpEvidence(bytes);
      } catch (e) {
        if (!(e instanceof EvidenceError)) unexpected.push(`#${i} load: ${String(e)}`);
        continue;
      }
      try {
        const res = await verifySnpEvidence(ev, opts);
        if (res.verified) verified++;
        // A changed byte in a binary report's signed region must never verify.
        if (mode === 0 && res.verified && base.bytes.length === 1184 && bytes.subarray(0, 0x2a0).some((b, k) => b !== base.bytes[k])) {
          unexpected.push(`#${i}: a mutated signed region verified`);
        }
      } catch (e) {
        if (!(e instanceof EvidenceError)) unexpected.push(`#${i} verify: ${String(e)}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(verified).toBeGreaterThan(0);
  });
});
