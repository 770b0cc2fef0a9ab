/**
 * `report` and `compare` on the real evidence of ../shared/vectors/evidence (vectors/SOURCES.md):
 * each SNP report verifies with the certificates spec/snp.md §6 pairs it with and reports the
 * measurement §6 gives; each TDX quote verifies to the pinned root and reports the MRTD of
 * tdx.md §5.1; rejections exit 3 naming the failing check; malformed evidence exits 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { buildSampleFile } from '../../vectors/samples.js';
import { HAVE_SHARED, SHARED_VECTORS, sharedBytes, sharedNotice } from '../helpers/shared.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}

const E = join(SHARED_VECTORS, 'evidence');
const snp = (f: string): string => join(E, 'snp', f);
const tdx = (f: string): string => join(E, 'tdx', f);
const dir = mkdtempSync(join(tmpdir(), 'igvm-evidence-'));
const temp = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** Reports, their certificate options and measurements (spec/snp.md §6). */
const SNP_CASES: Array<{ report: string; certs: () => string[]; measurement: string }> = [
  {
    report: 'virtee-report_milan.hex',
    certs: () => ['--vcek', snp('virtee-vcek_milan.der'), '--chain', snp('virtee-cert_chain_milan')],
    measurement: '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f',
  },
  {
    report: 'gosevguest-attestation.bin',
    certs: () => ['--vcek', snp('gosevguest-vcek.testcer'), '--chain', temp('milan-chain.pem', Buffer.concat([sharedBytes('evidence/snp/milan-ask.pem'), sharedBytes('evidence/snp/milan-ark.pem')]))],
    measurement: 'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01',
  },
  {
    report: 'trustee-snp-test-report.bin',
    certs: () => ['--vcek', snp('trustee-snp-test-vcek.der'), '--chain', snp('virtee-cert_chain_milan')],
    measurement: 'a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c',
  },
  {
    report: 'trustee-snp-test-vlek-report.bin',
    // The test VLEK is valid only from 2024-12-10 to 2025-12-10 (go-sev-guest checks validity at Options.Now).
    certs: () => ['--vcek', snp('trustee-snp-test-vlek.der'), '--chain', snp('trustee-snp-milan_ask_ark_asvk.pem'), '--time', '2025-06-01T00:00:00Z'],
    measurement: '8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0',
  },
  {
    report: 'trustee-az-snp-vtpm-hcl-report.bin',
    certs: () => ['--vcek', snp('trustee-az-snp-vtpm-vcek.pem')],
    measurement: '9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c22944eb386d17c315',
  },
  {
    report: 'trustee-az-snp-vtpm-evidence-genoa.json',
    certs: () => ['--chain', temp('genoa-chain.pem', Buffer.concat([sharedBytes('evidence/snp/genoa-ask.pem'), sharedBytes('evidence/snp/genoa-ark.pem')]))],
    measurement: 'f57dc09a507c6ecd82369bffb600f0003792f4d99bc26e985ec0c266fc34faf3706faf814c9e61065768a6ff917c89ae',
  },
];

/** Quotes and their MRTDs (tdx.md §5.1). */
const TDX_CASES: Array<[string, string]> = [
  ['gotdxguest-tdx_prod_quote_SPR_E4.dat', '6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb'],
  ['gotdxguest-quote_v5_sample.dat', '7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876'],
  ['gotdxguest-cos-113-tdx-quote.dat', 'dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954dba41394c7717cb2735396c1d04231f94a'],
  ['trustee-tdx_quote_4.dat', '705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031'],
  ['trustee-tdx_quote_5.dat', 'dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a'],
  ['trustee-tdx_quote_6.dat', '21e8dead92d6c69d7cbba79816686c03a48485c7df0c11f6f04792d5e1d378f6b8c46615ba6946adccac6becffbb1e88'],
  ['trustee-az-tdx-vtpm-td-quote.bin', '024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c1ba7ab7b'],
  ['dcapqvl-tdx_quote', '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7'],
  ['dcapqvl-tdx-quote.hex', '7ba9e262ce6979087e34632603f354dd8f8a870f5947d116af8114db6c9d0d74c48bec4280e5b4f4a37025a10905bb29'],
];

/**
 * What the peers refuse among these by default, and the allowance that accepts it:
 * - gosevguest-attestation.bin has guest POLICY 0xB0000, DEBUG (bit 19) set: go-sev-guest
 *   validate/validate.go `validatePolicy` ("found unauthorized debug capability") refuses it
 *   unless the allowed policy has DEBUG.
 * - trustee-tdx_quote_4.dat has TD_ATTRIBUTES 0x10000001, DEBUG (bit 0) set: go-tdx-guest
 *   validate/validate.go `validateTdAttributes` (AllowDebug false) and dcap-qvl src/verify.rs
 *   `validate_attrs` ("Debug mode is enabled") refuse it.
 * - gotdxguest-tdx_prod_quote_SPR_E4.dat (TD_ATTRIBUTES 0x40000000) and trustee's Azure
 *   td-quote.bin (0x0) have SEPT_VE_DISABLE (bit 28) clear: dcap-qvl `validate_attrs`
 *   ("SEPT_VE_DISABLE is not enabled") refuses them.
 */
const ALLOW: Record<string, { args: string[]; check: string }> = {
  'gosevguest-attestation.bin': { args: ['--allow-debug'], check: 'debug' },
  'trustee-tdx_quote_4.dat': { args: ['--allow-debug'], check: 'debug' },
  'gotdxguest-tdx_prod_quote_SPR_E4.dat': { args: ['--allow-sept-ve'], check: 'sept-ve-disable' },
  'trustee-az-tdx-vtpm-td-quote.bin': { args: ['--allow-sept-ve'], check: 'sept-ve-disable' },
};
const allow = (f: string): string[] => ALLOW[f]?.args ?? [];

// Verify as of a fixed time: the newest sample PCK certificate is valid from 2026-01-27, the
// dcap-qvl collateral expired on 2025-07-19.
const TIME = ['--time', '2026-06-01T00:00:00Z'];
const COLLATERAL_TIME = ['--time', '2025-07-01T00:00:00Z'];

const failed = (stdout: string): string[] => (JSON.parse(stdout).checks as Array<{ name: string; ok: boolean | null }>).filter((c) => c.ok === false).map((c) => c.name);

sharedNotice('report/compare on real evidence');
describe.skipIf(!HAVE_SHARED)('report verify (real evidence)', () => {
  for (const c of SNP_CASES) {
    it(`SEV-SNP ${c.report}: verified, measurement from snp.md §6`, async () => {
      const r = await cli(['report', 'verify', snp(c.report), ...c.certs(), ...allow(c.report), '--json']);
      expect(r.code, r.stdout).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, measurement: c.measurement });
      const a = ALLOW[c.report];
      if (a !== undefined) {
        // Without the allowance the peers' refusal (ALLOW above) is ours: exit 3 naming the check.
        const refused = await cli(['report', 'verify', snp(c.report), ...c.certs(), '--json']);
        expect(refused.code).toBe(3);
        expect(failed(refused.stdout)).toEqual([a.check]);
      }
    });
  }
  for (const [quote, mrtd] of TDX_CASES) {
    it(`TDX ${quote}: verified to the pinned root, MRTD from tdx.md §5.1`, async () => {
      const r = await cli(['report', 'verify', tdx(quote), ...TIME, ...allow(quote), '--json']);
      expect(r.code, r.stdout).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, mrtd });
      const a = ALLOW[quote];
      if (a !== undefined) {
        const refused = await cli(['report', 'verify', tdx(quote), ...TIME, '--json']);
        expect(refused.code).toBe(3);
        expect(failed(refused.stdout)).toEqual([a.check]);
      }
    });
  }
  it('TDX with collateral: TCB status, QE identity and CRL checks are made and pass', async () => {
    const r = await cli(['report', 'verify', tdx('dcapqvl-tdx_quote'), '--collateral', tdx('dcapqvl-tdx_quote_collateral.json'), ...COLLATERAL_TIME, '--json']);
    expect(r.code, r.stdout).toBe(0);
    const checks = JSON.parse(r.stdout).checks as Array<{ name: string; ok: boolean | null }>;
    for (const name of ['tcb-status', 'qe-identity', 'crl']) expect(checks.find((c) => c.name === name)?.ok, name).toBe(true);
  });
  it('TDX without collateral says those checks were not made', async () => {
    const r = await cli(['report', 'verify', tdx('dcapqvl-tdx_quote'), ...TIME, '--json']);
    const checks = JSON.parse(r.stdout).checks as Array<{ name: string; ok: boolean | null }>;
    expect(checks.find((c) => c.name === 'tcb-status')?.ok).toBeNull();
  });
});

describe.skipIf(!HAVE_SHARED)('report verify rejections: exit 3 naming the failing check', () => {
  it('a flipped bit in the signed region of an SNP report', async () => {
    const bytes = sharedBytes('evidence/snp/trustee-snp-test-report.bin').slice();
    bytes[0x90] = bytes[0x90]! ^ 1; // MEASUREMENT (§4), inside 0x000–0x29F
    const r = await cli(['report', 'verify', temp('flipped.bin', bytes), '--vcek', snp('trustee-snp-test-vcek.der'), '--chain', snp('virtee-cert_chain_milan'), '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('report-signature');
  });
  it('the wrong VCEK', async () => {
    const r = await cli(['report', 'verify', snp('trustee-snp-test-report.bin'), '--vcek', snp('virtee-vcek_milan.der'), '--chain', snp('virtee-cert_chain_milan'), '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('report-signature');
  });
  for (const bad of ['trustee-snp-test-vcek-invalid-legacy.der', 'trustee-snp-test-vcek-invalid-new.der']) {
    it(`the deliberately broken ${bad}`, async () => {
      const r = await cli(['report', 'verify', snp('trustee-snp-test-report.bin'), '--vcek', snp(bad), '--chain', snp('virtee-cert_chain_milan'), '--json']);
      expect(r.code).toBe(3);
      expect(failed(r.stdout)).toContain('vcek-signed-by-ask');
    });
  }
  it("a chain whose ARK is another product's", async () => {
    const chain = temp('swapped.pem', Buffer.concat([sharedBytes('evidence/snp/milan-ask.pem'), sharedBytes('evidence/snp/genoa-ark.pem')]));
    const r = await cli(['report', 'verify', snp('virtee-report_milan.hex'), '--vcek', snp('virtee-vcek_milan.der'), '--chain', chain, '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('ark-pinned');
  });
  it("a quote checked against Intel's pre-production root", async () => {
    const r = await cli(['report', 'verify', tdx('dcapqvl-tdx_quote'), '--root', tdx('intel-preproduction-root.pem'), ...TIME, '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('root-pinned');
  });
  it('a flipped bit in a quote body', async () => {
    const bytes = sharedBytes('evidence/tdx/dcapqvl-tdx_quote').slice();
    bytes[48 + 0x88] = bytes[48 + 0x88]! ^ 1; // MRTD (tdx.md §4.2), signed by the attestation key
    const r = await cli(['report', 'verify', temp('flipped-quote', bytes), ...TIME, '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('quote-signature');
  });
});

describe.skipIf(!HAVE_SHARED)('report show', () => {
  it('detects each kind and prints the fields', async () => {
    const s = await cli(['report', 'show', snp('virtee-report_milan.hex'), '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).report).toMatchObject({ version: 2, measurement: SNP_CASES[0]!.measurement });
    const t = await cli(['report', 'show', tdx('trustee-az-tdx-vtpm-hcl-report.bin')]);
    expect(t.code).toBe(0);
    // tdx.md §5.1: the Azure HCL report holds the TDREPORT matching td-quote.bin's MRTD.
    expect(t.stdout).toContain('024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c1ba7ab7b');
  });
});

describe.skipIf(!HAVE_SHARED)('compare', () => {
  const certs = SNP_CASES[2]!;
  it("passes with --measurement equal to each report's own measurement, fails with any other (exit 3)", async () => {
    for (const c of SNP_CASES) {
      const ok = await cli(['compare', '--measurement', c.measurement, '--evidence', snp(c.report), ...c.certs(), ...allow(c.report), '--json']);
      expect(ok.code, `${c.report}: ${ok.stdout}`).toBe(0);
      const other = c.measurement.replace(/^./, (x) => (x === '0' ? '1' : '0'));
      const bad = await cli(['compare', '--measurement', other, '--evidence', snp(c.report), ...c.certs(), ...allow(c.report), '--json']);
      expect(bad.code).toBe(3);
      expect(failed(bad.stdout)).toEqual(['measurement']);
    }
    for (const [quote, mrtd] of TDX_CASES) {
      expect((await cli(['compare', '--measurement', mrtd, '--evidence', tdx(quote), ...TIME, ...allow(quote)])).code, quote).toBe(0);
      expect((await cli(['compare', '--measurement', '00'.repeat(48), '--evidence', tdx(quote), ...TIME, ...allow(quote)])).code, quote).toBe(3);
      if (ALLOW[quote] !== undefined) expect((await cli(['compare', '--measurement', mrtd, '--evidence', tdx(quote), ...TIME])).code, quote).toBe(3);
    }
  });
  it('checks REPORT_DATA and HOST_DATA when given', async () => {
    // §6: go-sev-guest's report_data starts 01 02 03 04 05.
    const base = ['compare', '--measurement', SNP_CASES[1]!.measurement, '--evidence', snp(SNP_CASES[1]!.report), ...SNP_CASES[1]!.certs(), '--allow-debug'];
    // Given shorter than 64 bytes, the value is zero-padded (report-data check).
    expect((await cli([...base, '--report-data', '0102030405'])).code).toBe(0);
    expect((await cli([...base, '--report-data', 'ff'])).code).toBe(3);
  });
  it("against an IGVM file that did not produce the report: mismatch, the configuration search says none reproduces it", async () => {
    const file = temp('sample.igvm', buildSampleFile());
    const r = await cli(['compare', file, '--evidence', snp(certs.report), ...certs.certs(), '--json']);
    expect(r.code).toBe(3);
    const m = (JSON.parse(r.stdout).checks as Array<{ name: string; ok: boolean; detail: string }>).find((c) => c.name === 'measurement')!;
    expect(m.ok).toBe(false);
    expect(m.detail).toContain('measure --trace');
  });
});

describe('malformed evidence and usage', () => {
  it('exits 1 with a typed error for evidence that is neither platform\'s', async () => {
    const r = await cli(['report', 'show', temp('junk.bin', new Uint8Array(1000).fill(7)), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('UnknownEvidence');
  });
  it('exits 2 on usage errors', async () => {
    expect((await cli(['report'])).code).toBe(2);
    expect((await cli(['report', 'frob', 'x'])).code).toBe(2);
    expect((await cli(['compare', '--measurement', '00'])).code).toBe(2);
    expect((await cli(['compare', 'a.igvm', '--measurement', '00', '--evidence', 'e'])).code).toBe(2);
    expect((await cli(['compare', '--measurement', 'xyz', '--evidence', 'e'])).code).toBe(2);
    expect((await cli(['report', 'verify', 'e', '--kds-url', 'http://127.0.0.1:1'])).code).toBe(2);
  });

  it.skipIf(!HAVE_SHARED)('fuzz: truncated and mutated evidence gives exit 0, 1 or 3 and never an internal error', async () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const sources = [sharedBytes('evidence/snp/trustee-snp-test-report.bin'), sharedBytes('evidence/tdx/dcapqvl-tdx_quote'), sharedBytes('evidence/snp/trustee-az-snp-vtpm-hcl-report.bin')];
    for (let i = 0; i < 150; i++) {
      const src = sources[i % sources.length]!;
      let b = src.slice(0, rand(3) === 0 ? rand(src.length) : src.length);
      for (let k = 0; k < 1 + rand(4); k++) if (b.length > 0) b[rand(b.length)] = rand(256);
      const r = await cli(['report', 'verify', temp(`fuzz-${i}.bin`, b), '--json']);
      expect([0, 1, 3], `input ${i}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toContain('internal error');
    }
  });
});

describe.skipIf(!HAVE_SHARED)('report verify --fetch against a local KDS on 127.0.0.1', () => {
  it('gets the VCEK and the chain from --kds-url and verifies; without --fetch it names the missing certificate', async () => {
    const { createServer } = await import('node:http');
    const report = sharedBytes('evidence/snp/virtee-report_milan.hex');
    const served: string[] = [];
    // KDS paths (spec/snp.md §5): /vcek/v1/{product}/{hwid}?…SPL… and /vcek/v1/{product}/cert_chain.
    const server = createServer((req, res) => {
      const url = req.url ?? '';
      served.push(url);
      if (url.startsWith('/vcek/v1/Milan/cert_chain')) res.end(sharedBytes('evidence/snp/virtee-cert_chain_milan'));
      else if (/^\/vcek\/v1\/Milan\/[0-9a-f]{128}\?/.test(url)) res.end(sharedBytes('evidence/snp/virtee-vcek_milan.der'));
      else res.writeHead(404).end();
    });
    const stop = setTimeout(() => server.close(), 30_000);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const path = temp('report.hex', report);
      const missing = await cli(['report', 'verify', path, '--json']);
      expect(missing.code).toBe(3);
      const vcek = (JSON.parse(missing.stdout).checks as Array<{ name: string; ok: boolean; detail: string }>).find((c) => c.name === 'vcek-available')!;
      expect(vcek.ok).toBe(false);
      expect(vcek.detail).toContain('https://kdsintf.amd.com/vcek/v1/Milan/');
      const cache = mkdtempSync(join(tmpdir(), 'igvm-kds-cache-'));
      const fetched = await cli(['report', 'verify', path, '--fetch', '--kds-url', `http://127.0.0.1:${port}`, '--kds-cache', cache, '--json']);
      expect(fetched.code, fetched.stdout).toBe(0);
      // The VCEK comes from KDS; the ASK/ARK ship with the package (src/evidence/amd-certs.ts).
      expect(served.some((u) => /^\/vcek\/v1\/Milan\/[0-9a-f]{128}\?/.test(u))).toBe(true);
    } finally {
      clearTimeout(stop);
      server.close();
    }
  });
});

describe.skipIf(!HAVE_SHARED)('appraisal policy on the command line', () => {
  const trustee = (): string[] => ['report', 'verify', snp('trustee-snp-test-report.bin'), ...SNP_CASES[2]!.certs()];
  it('compare refuses a debug guest too, naming the debug check (go-tdx-guest validateTdAttributes, dcap-qvl validate_attrs)', async () => {
    const r = await cli(['compare', '--measurement', TDX_CASES[3]![1], '--evidence', tdx('trustee-tdx_quote_4.dat'), ...TIME, '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toEqual(['debug']);
    expect(r.stdout).not.toContain('"match": false');
  });
  it('JSON prints every check as {name, ok, expected, actual, detail}', async () => {
    const r = await cli([...trustee(), '--vmpl', '0', '--json']);
    expect(r.code).toBe(0);
    const checks = JSON.parse(r.stdout).checks as Array<Record<string, unknown>>;
    for (const c of checks) expect(Object.keys(c)).toEqual(['name', 'ok', 'expected', 'actual', 'detail']);
    expect(checks.find((c) => c.name === 'vmpl')).toMatchObject({ ok: true, expected: '0', actual: '0' });
    expect(checks.find((c) => c.name === 'image-id')).toMatchObject({ ok: null, expected: null, actual: null });
  });
  it('text output says how many checks were not made, never that all passed', async () => {
    const r = await cli(trustee());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: verified: \d+ checks passed, \d+ not made \(crl, policy-bits, vmpl, /);
    expect(r.stdout).not.toMatch(/verified: all/);
  });
  it('--require-all turns every check not made into a failure (exit 3); policy file require_all too', async () => {
    const r = await cli([...trustee(), '--require-all', '--json']);
    expect(r.code).toBe(3);
    expect(failed(r.stdout)).toContain('vmpl');
    const f = await cli([...trustee(), '--policy', temp('require-all.json', '{"require_all": true}'), '--json']);
    expect(f.code).toBe(3);
    expect(failed(f.stdout)).toContain('vmpl');
  });
  it('--require-all with every policy value given leaves only the CRL not made, and fails on it (values read at spec/snp.md §4 offsets)', async () => {
    const raw = sharedBytes('evidence/snp/trustee-snp-test-report.bin');
    const at = (o: number, n: number): string => Buffer.from(raw.subarray(o, o + n)).toString('hex');
    const policy = {
      require_all: true,
      policy: '0x3001f', // the report's POLICY (snp.md §6)
      vmpl: 0,
      minimum_tcb: '0x7308000000000003', // REPORTED_TCB (snp.md §6)
      minimum_launch_tcb: { bl_spl: 0 },
      permit_provisional_firmware: true,
      minimum_guest_svn: 4,
      trusted_id_key_hashes: ['0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3'],
      trusted_author_key_hashes: [],
      family_id: at(0x10, 16),
      image_id: at(0x20, 16),
      report_data: at(0x50, 64),
      host_data: at(0xc0, 32),
    };
    // Every policy check is given its value, so each is made and holds; the one check still not
    // made is AMD's ARK-signed CRL (the vectors hold no real AMD CRL, and only AMD can sign one),
    // which --require-all turns into the one failure: fail closed, as the issue asks.
    const r = await cli([...trustee(), '--policy', temp('all.json', JSON.stringify(policy)), '--json']);
    expect(r.code, r.stdout).toBe(3);
    expect(failed(r.stdout)).toEqual(['crl']);
    // Options override the file: a VMPL of 1 is refused as well.
    const o = await cli([...trustee(), '--policy', temp('all.json', JSON.stringify(policy)), '--vmpl', '1', '--json']);
    expect(o.code).toBe(3);
    expect(failed(o.stdout)).toEqual(['crl', 'vmpl']);
  });
  it('a policy file with an unknown field or a wrong type is a usage error naming the field', async () => {
    const unknown = await cli([...trustee(), '--policy', temp('bad1.json', '{"vmpl": 0, "debug_ok": true}')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('debug_ok');
    const type = await cli([...trustee(), '--policy', temp('bad2.json', '{"minimum_guest_svn": "four"}')]);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain('minimum_guest_svn');
    const opt = await cli([...trustee(), '--accept-tcb-status', 'Fine']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('--accept-tcb-status');
  });
});

describe('a repeated single-value option is a usage error, for every command', () => {
  it('each command refuses its first value option given twice', async () => {
    const { COMMANDS } = await import('../../src/cli/run.js');
    for (const entry of COMMANDS) {
      const c = await entry.load();
      const name = Object.entries(c.options).find(([, o]) => o.type === 'string')?.[0];
      if (name === undefined) continue;
      const r = await cli([c.name, `--${name}`, 'a', `--${name}=b`]);
      expect(r.code, c.name).toBe(2);
      expect(r.stderr, c.name).toContain(`--${name} is given more than once`);
    }
    const r = await cli(['report', 'verify', 'e', '--vcek', 'a', '--chain', 'c', '--vcek', 'b']);
    expect(r.code).toBe(2);
    // Short forms count as the option: `-o a --output b`.
    const short = await cli(['sign', 'f.igvm', '-o', 'a', '--output', 'b']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--output is given more than once');
    // Flags and different options are fine; the value of an option is not taken for an option.
    expect((await cli(['report', 'verify', 'e', '--json', '--report-data', '--vcek'])).stderr).not.toContain('more than once');
  });
});
