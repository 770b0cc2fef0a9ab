/**
 * Fetching missing certificates from AMD's Key Distribution Service (spec/snp.md §5 URLs),
 * against a local HTTP server on 127.0.0.1 (ephemeral port; it closes itself after the suite
 * or after 60 s, whichever comes first) that serves the certificates of
 * ../shared/vectors/evidence/snp the way KDS would: the VCEK only at the path and query the
 * report implies, the ASK/ARK PEM at `cert_chain`, and a CRL at `crl` when a test sets one (a
 * CRL generated here: no real AMD CRL is in the shared vectors). The ASK/ARK are not fetched
 * once the product is known: they ship with the package (src/evidence/amd-certs.ts).
 *
 * The expected path is built here from the report bytes at the spec/snp.md §4 offsets (CHIP_ID
 * at 0x1A0) and the REPORTED_TCB that §6 states (0x7308…03: BL 3, TEE 0, SNP 8, UCODE 0x73),
 * not from our own URL builder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMD_BUNDLED_CERTIFICATES } from '../../src/evidence/amd-certs.js';
import { x509 } from '../../src/pki/x509.js';
import { kdsUrls } from '../../src/evidence/amd-chain.js';
import type { Check } from '../../src/pki/check.js';
import { EvidenceError } from '../../src/evidence/errors.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { parseSnpReport, SNP_REPORT_SIZE } from '../../src/evidence/snp-report.js';
import { verifySnpEvidence } from '../../src/evidence/snp-verify.js';
import { kdsFetcher } from '../../src/node/kds.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';

const SNP = 'evidence/snp';
const describeShared = HAVE_SHARED ? describe : describe.skip;
sharedNotice('evidence/kds');

const check = (checks: readonly Check[], name: string): Check => checks.find((c) => c.name === name) ?? { name, ok: false, detail: 'absent' };

describe('kdsUrls (spec/snp.md §5)', () => {
  it('uses the first 8 bytes of CHIP_ID and adds fmcSPL on Turin', () => {
    const b = new Uint8Array(SNP_REPORT_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(0, 3, true);
    b.set([0x1a, 0x02, 0x00], 0x188); // CPUID family 1Ah: Turin (§4)
    v.setBigUint64(0x180, 0x0500000004030201n, true); // Turin layout: FMC 1, BL 2, TEE 3, SNP 4, UCODE 5
    b.set([0x1e, 0x55, 0x0a, 0x8e, 0xe5, 0xcf, 0x9f, 0x4d], 0x1a0);
    const urls = kdsUrls(parseSnpReport(b), 'Turin');
    expect(urls.vcek).toBe('https://kdsintf.amd.com/vcek/v1/Turin/1e550a8ee5cf9f4d?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=05');
    expect(urls.vcekChain).toBe('https://kdsintf.amd.com/vcek/v1/Turin/cert_chain');
    expect(urls.vlekChain).toBe('https://kdsintf.amd.com/vlek/v1/Turin/cert_chain');
    expect(kdsUrls(parseSnpReport(b), 'Turin', 'http://127.0.0.1:1/').vcekChain).toBe('http://127.0.0.1:1/vcek/v1/Turin/cert_chain');
  });

  it('has no VCEK URL when CHIP_ID is zero (masked)', () => {
    const b = new Uint8Array(SNP_REPORT_SIZE);
    new DataView(b.buffer).setUint32(0, 2, true);
    expect(kdsUrls(parseSnpReport(b), 'Milan').vcek).toBeUndefined();
  });
});

describeShared('kdsFetcher against a local KDS on 127.0.0.1', () => {
  let server: Server;
  let base: string;
  let cacheDir: string;
  const requests: string[] = [];
  // virtee report_milan.hex: CHIP_ID at 0x1A0 (§4); its VCEK and Milan chain (§6). Read in
  // beforeAll, so that collecting the skipped suite without ../shared reads nothing.
  let chipId = '';
  let vcekDer: Uint8Array = new Uint8Array(0);
  let chainPem: Uint8Array = new Uint8Array(0);
  /** What `/vcek/v1/Milan/crl` serves; 404 while undefined. */
  let crlBody: Uint8Array | undefined;
  const AT = new Date('2025-06-01T00:00:00Z');

  /** A CRL named as the Milan ARK's but signed by a key generated here. */
  async function foreignCrl(nextUpdate: Date): Promise<Uint8Array> {
    x509.cryptoProvider.set(globalThis.crypto);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await crypto.subtle.generateKey(alg, false, ['sign', 'verify']);
    const issuer = new x509.X509Certificate(AMD_BUNDLED_CERTIFICATES.Milan.ark).subject;
    const crl = await x509.X509CrlGenerator.create({ issuer, thisUpdate: new Date('2025-01-01T00:00:00Z'), nextUpdate, signingAlgorithm: alg, signingKey: keys.privateKey });
    return new Uint8Array(crl.rawData);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    const q = (k: string) => Number(url.searchParams.get(k));
    if (url.pathname === `/vcek/v1/Milan/${chipId}` && q('blSPL') === 3 && q('teeSPL') === 0 && q('snpSPL') === 8 && q('ucodeSPL') === 0x73) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(vcekDer);
    } else if (url.pathname === '/vcek/v1/Milan/crl' && crlBody) {
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crlBody);
    } else if (url.pathname === '/vcek/v1/Milan/cert_chain') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(chainPem);
    } else if (url.pathname === '/slow') {
      // Never answers; the client's timeout must end the request.
    } else if (url.pathname === '/huge') {
      res.writeHead(200).end(new Uint8Array(64 * 1024));
    } else {
      res.writeHead(404).end('not found');
    }
  }

  beforeAll(async () => {
    const reportHex = new TextDecoder().decode(sharedBytes(`${SNP}/virtee-report_milan.hex`)).replace(/\s+/g, '');
    chipId = Buffer.from(reportHex, 'hex').subarray(0x1a0, 0x1e0).toString('hex');
    vcekDer = sharedBytes(`${SNP}/virtee-vcek_milan.der`);
    chainPem = sharedBytes(`${SNP}/virtee-cert_chain_milan`);
    cacheDir = mkdtempSync(join(tmpdir(), 'igvm-kds-'));
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Bounded: the server stops itself even if afterAll never runs.
    setTimeout(() => {
      server.closeAllConnections();
      server.close();
    }, 60_000).unref();
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('fetches the VCEK by chip ID and reported TCB and the CRL; the ASK/ARK are the bundled ones', async () => {
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/virtee-report_milan.hex`));
    const res = await verifySnpEvidence(ev, { fetch: kdsFetcher({ baseUrl: base, cacheDir, timeoutMs: 5000 }), now: AT });
    expect(res.checks.filter((c) => c.ok === false)).toEqual([]);
    expect(res.verified).toBe(true);
    expect(check(res.checks, 'vcek-available').detail).toContain(`KDS https://kdsintf.amd.com/vcek/v1/Milan/${chipId}`);
    expect(check(res.checks, 'ark-available').detail).toContain('the bundled AMD certificates');
    // This KDS has no CRL: the check is not made, and says why.
    expect(check(res.checks, 'crl')).toMatchObject({ ok: null });
    expect(check(res.checks, 'crl').detail).toContain('https://kdsintf.amd.com/vcek/v1/Milan/crl');
    expect(check(res.checks, 'crl').detail).toContain('HTTP 404');
    expect(requests).toContain(`/vcek/v1/Milan/${chipId}?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115`);
    expect(requests).toContain('/vcek/v1/Milan/crl');
    expect(requests).not.toContain('/vcek/v1/Milan/cert_chain');
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('serves the second verification from the on-disk cache (a 404 is not cached)', async () => {
    const before = requests.length;
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/virtee-report_milan.hex`));
    const res = await verifySnpEvidence(ev, { fetch: kdsFetcher({ baseUrl: base, cacheDir }), now: AT });
    expect(res.verified).toBe(true);
    expect(requests.slice(before)).toEqual(['/vcek/v1/Milan/crl']);
  });

  it('fetches only what is missing', async () => {
    const before = requests.length;
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/virtee-report_milan.hex`));
    const res = await verifySnpEvidence(ev, { vcek: vcekDer, fetch: kdsFetcher({ baseUrl: base, timeoutMs: 5000 }), now: AT });
    expect(res.verified).toBe(true);
    expect(requests.slice(before)).toEqual(['/vcek/v1/Milan/crl']);
  });

  it('a fetched CRL that the ARK did not sign fails `crl` (go-sev-guest verifyCRL: "CRL is not signed by ARK"); CRLs are cached until nextUpdate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igvm-kds-crl-'));
    try {
      const ev = loadSnpEvidence(sharedBytes(`${SNP}/virtee-report_milan.hex`));
      const run = () => verifySnpEvidence(ev, { vcek: vcekDer, fetch: kdsFetcher({ baseUrl: base, cacheDir: dir, timeoutMs: 5000 }), now: AT });
      crlBody = await foreignCrl(new Date('2999-01-01T00:00:00Z'));
      const before = requests.length;
      const res = await run();
      expect(check(res.checks, 'crl').ok).toBe(false);
      expect(check(res.checks, 'crl').detail).toContain('not signed by the ARK');
      expect(check(res.checks, 'crl').detail).toContain('KDS https://kdsintf.amd.com/vcek/v1/Milan/crl');
      expect(res.verified).toBe(false);
      expect((await run()).verified).toBe(false);
      expect(requests.slice(before)).toEqual(['/vcek/v1/Milan/crl']); // the second run read the cache

      // A cached CRL past its nextUpdate is fetched again.
      const staleDir = mkdtempSync(join(tmpdir(), 'igvm-kds-crl-'));
      try {
        crlBody = await foreignCrl(new Date('2025-02-01T00:00:00Z'));
        const f = kdsFetcher({ baseUrl: base, cacheDir: staleDir, timeoutMs: 5000 });
        const from = requests.length;
        await f('https://kdsintf.amd.com/vcek/v1/Milan/crl');
        await f('https://kdsintf.amd.com/vcek/v1/Milan/crl');
        expect(requests.slice(from)).toEqual(['/vcek/v1/Milan/crl', '/vcek/v1/Milan/crl']);
      } finally {
        rmSync(staleDir, { recursive: true, force: true });
      }
    } finally {
      crlBody = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a VCEK KDS does not have as a failed check with the HTTP status', async () => {
    // trustee's test report (Milan, §6) has a chip this server does not know.
    const ev = loadSnpEvidence(sharedBytes(`${SNP}/trustee-snp-test-report.bin`));
    const res = await verifySnpEvidence(ev, { fetch: kdsFetcher({ baseUrl: base, timeoutMs: 5000 }) });
    const vcek = check(res.checks, 'vcek-available');
    expect(vcek.ok).toBe(false);
    expect(vcek.detail).toContain('HTTP 404');
    expect(res.verified).toBe(false);
  });

  it('fails with FetchFailed on 404, timeouts, oversized bodies and non-HTTP URLs', async () => {
    const f = kdsFetcher({ baseUrl: base, timeoutMs: 300, maxBytes: 16 * 1024 });
    await expect(f('https://kdsintf.amd.com/vcek/v1/Milan/00')).rejects.toMatchObject({ code: 'FetchFailed' });
    const t0 = Date.now();
    await expect(f(`${base}/slow`)).rejects.toMatchObject({ code: 'FetchFailed' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(f(`${base}/huge`)).rejects.toMatchObject({ code: 'FetchFailed' });
    await expect(f('file:///etc/passwd')).rejects.toBeInstanceOf(EvidenceError);
    await expect(f('not a url')).rejects.toBeInstanceOf(EvidenceError);
  });

  it('rewrites only the standard KDS base', async () => {
    const before = requests.length;
    const f = kdsFetcher({ baseUrl: `${base}/`, timeoutMs: 5000 });
    const pem = await f('https://kdsintf.amd.com/vcek/v1/Milan/cert_chain');
    expect(Buffer.from(pem).equals(Buffer.from(chainPem))).toBe(true);
    expect(Buffer.from(await f(`${base}/vcek/v1/Milan/cert_chain`)).equals(Buffer.from(chainPem))).toBe(true);
    expect(requests.slice(before)).toEqual(['/vcek/v1/Milan/cert_chain', '/vcek/v1/Milan/cert_chain']);
  });
});
