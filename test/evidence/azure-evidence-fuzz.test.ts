/**
 * Fuzzing the readers of trustee's Azure evidence JSON and of base64 SEV-SNP reports
 * (src/evidence/azure-evidence.ts, snp-input.ts, tdx-input.ts), like the other evidence fuzz
 * tests: thousands of mutated documents (fields removed, retyped, cut; base64url decoded, its
 * bytes mutated at the HCL header words, re-encoded; text spliced) through `loadEvidence`, both
 * platform loaders and, for a share of what loads, `verifyEvidence`. Only `EvidenceError` may
 * escape (DESIGN.md "Errors"), with an offset inside the input when it has one. Fixed seed; the
 * synthetic seeds run without ../shared, the real documents are added when it is there.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceError } from '../../src/evidence/errors.js';
import { loadEvidence, verifyEvidence } from '../../src/evidence/load.js';
import { loadSnpEvidence } from '../../src/evidence/snp-input.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { pemCertificates } from '../../src/pki/pem.js';
import { HAVE_SHARED, sharedBytes, sharedNotice } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/prng.js';

sharedNotice('evidence/azure-evidence-fuzz');
const SEED = Number(process.env.AZURE_FUZZ_SEED ?? 0xa2_0e71) >>> 0;
const ITERATIONS = Number(process.env.AZURE_FUZZ_ITERATIONS ?? 3000);
const NOW = new Date('2026-06-01T00:00:00Z');
const enc = new TextEncoder();
const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const TPM_QUOTE = { signature: '00', message: '00', pcrs: ['00'.repeat(32)] };

/** An HCL report (openvmm `IgvmAttestRequest` offsets: hardware report at 0x20, request data at 0x4C0, claims at 0x4D4). */
function craftHcl(hardware: Uint8Array, reportType: number, claims: Uint8Array): Uint8Array {
  const out = new Uint8Array(0x4d4 + claims.length);
  out.set([0x48, 0x43, 0x4c, 0x41]);
  const v = new DataView(out.buffer);
  out.set(hardware, 0x20);
  v.setUint32(0x4c0, 20 + claims.length, true);
  v.setUint32(0x4c4, 1, true);
  v.setUint32(0x4c8, reportType, true);
  v.setUint32(0x4cc, 1, true);
  v.setUint32(0x4d0, claims.length, true);
  out.set(claims, 0x4d4);
  return out;
}

/** A synthetic SNP report (spec/snp.md §4): VERSION 2, SIGNATURE_ALGO 1, the rest zero. */
function craftSnpReport(): Uint8Array {
  const b = new Uint8Array(1184);
  const v = new DataView(b.buffer);
  v.setUint32(0, 2, true);
  v.setUint32(0x34, 1, true);
  return b;
}

function seeds(): string[] {
  const claims = enc.encode('{"keys":[],"user-data":"00"}');
  const snpHcl = craftHcl(craftSnpReport(), 2, claims);
  const tdReport = new Uint8Array(1024);
  tdReport[0] = 0x81;
  const tdxHcl = craftHcl(tdReport, 4, claims);
  const out = [
    JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(snpHcl), vcek: b64url(enc.encode('x')) }),
    JSON.stringify({ version: 2, tpm_quote: TPM_QUOTE, hcl_report: b64url(snpHcl), vcek: 'AA' }),
    JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(tdxHcl), td_quote: b64url(new Uint8Array(64)) }),
    JSON.stringify({ tpm_quote: {}, hcl_report: Array.from(tdxHcl), td_quote: [4, 0, 2, 0, 0x81, 0, 0, 0] }),
    Buffer.from(craftSnpReport()).toString('base64'),
    Buffer.from(snpHcl).toString('base64').replace(/(.{76})/g, '$1\n'),
  ];
  if (HAVE_SHARED) {
    const hcl = sharedBytes('evidence/snp/trustee-az-snp-vtpm-hcl-report.bin');
    const vcek = pemCertificates(new TextDecoder().decode(sharedBytes('evidence/snp/trustee-az-snp-vtpm-vcek.pem')))[0]!;
    const tHcl = sharedBytes('evidence/tdx/trustee-az-tdx-vtpm-hcl-report.bin');
    const quote = sharedBytes('evidence/tdx/trustee-az-tdx-vtpm-td-quote.bin');
    out.push(
      JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(hcl), vcek: b64url(vcek) }),
      JSON.stringify({ version: 2, tpm_quote: TPM_QUOTE, hcl_report: b64url(hcl), vcek: b64url(vcek) }),
      JSON.stringify({ version: 1, tpm_quote: TPM_QUOTE, hcl_report: b64url(tHcl), td_quote: b64url(quote) }),
      JSON.stringify({ tpm_quote: {}, hcl_report: Array.from(tHcl), td_quote: Array.from(quote) }),
      Buffer.from(sharedBytes('evidence/snp/gosevguest-attestation.bin')).toString('base64'),
      Buffer.from(hcl).toString('base64'),
    );
  }
  return out;
}

describe('fuzz: the Azure JSON and base64 readers throw nothing but EvidenceError', () => {
  it(`${ITERATIONS} mutated documents (seed 0x${SEED.toString(16)})`, async () => {
    const rand = mulberry32(SEED);
    const int = (n: number): number => Math.floor(rand() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const docs = seeds();
    const unexpected: string[] = [];
    let loaded = 0;
    let verified = 0;

    const mutateBytes = (b: Uint8Array): Uint8Array => {
      const out = b.slice();
      switch (int(4)) {
        case 0:
          return out.subarray(0, int(out.length + 1));
        case 1: {
          // An HCL request-data word (0x4C0..0x4D4) or a header word set to a boundary value.
          const at = pick([0x4c0, 0x4c4, 0x4c8, 0x4cc, 0x4d0, 0, 4, 8, 0x20, 0x24]);
          if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, pick([0, 1, 2, 3, 4, 0xffff, 0xffffffff, out.length]), true);
          return out;
        }
        case 2: {
          for (let k = 1 + int(4); k > 0 && out.length > 0; k--) {
            const at = int(out.length);
            out[at] = out[at]! ^ (1 << int(8));
          }
          return out;
        }
        default:
          return out.subarray(int(out.length + 1));
      }
    };

    const mutateDoc = (text: string): string => {
      let root: Record<string, unknown>;
      try {
        root = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return text;
      }
      const keys = ['version', 'hcl_report', 'vcek', 'td_quote', 'tpm_quote', 'report'];
      const key = pick(keys);
      const v = root[key];
      switch (int(6)) {
        case 0:
          delete root[key];
          break;
        case 1:
          root[key] = pick<unknown>([null, 0, -1, 1.5, 2 ** 32, 3, '1', [], {}, [300], 'A', '', true]);
          break;
        case 2:
          if (typeof v === 'string') {
            // Decode, mutate the bytes, re-encode: reaches the HCL and certificate parsers.
            root[key] = b64url(mutateBytes(new Uint8Array(Buffer.from(v, 'base64url'))));
          } else if (Array.isArray(v)) {
            root[key] = Array.from(mutateBytes(Uint8Array.from(v as number[], (x) => x & 0xff)));
          }
          break;
        case 3:
          if (typeof v === 'string') {
            const chars = v.split('');
            for (let k = 1 + int(3); k > 0; k--) chars.splice(int(chars.length + 1), int(2), pick(['+', '/', '=', '-', '_', ' ', '\n', 'A', '==']));
            root[key] = chars.join('');
          }
          break;
        case 4:
          root.version = pick([0, 1, 2, 3, 0xffffffff]);
          break;
        default:
          if (typeof v === 'string') root[key] = v.slice(0, int(v.length + 1));
          break;
      }
      return JSON.stringify(root);
    };

    const mutateText = (text: string): string => {
      const chars = text.split('');
      for (let k = 1 + int(4); k > 0; k--) chars.splice(int(chars.length + 1), int(3), pick(['{', '}', '"', ':', ',', '[', ']', '=', '+', '/', '-', '_', ' ', '\n', '\r\n', 'A', '0']));
      return chars.join('');
    };

    for (let i = 0; i < ITERATIONS; i++) {
      const seed = pick(docs);
      let text: string;
      switch (int(5)) {
        case 0:
        case 1:
          text = mutateDoc(seed);
          break;
        case 2:
          text = mutateDoc(mutateDoc(seed));
          break;
        case 3:
          text = mutateText(seed);
          break;
        default:
          text = seed.slice(0, int(seed.length + 1));
          break;
      }
      const input = enc.encode(text);
      const record = (what: string, e: unknown): void => {
        if (!(e instanceof EvidenceError)) unexpected.push(`#${i} ${what}: ${String(e)}`);
        else if (e.offset !== undefined && (e.offset < 0 || e.offset > input.length)) unexpected.push(`#${i} ${what}: offset ${e.offset} outside ${input.length} bytes`);
      };
      for (const [what, load] of [['loadSnpEvidence', loadSnpEvidence], ['loadTdxEvidence', loadTdxEvidence]] as const) {
        try {
          load(input);
        } catch (e) {
          record(what, e);
        }
      }
      try {
        const evidence = loadEvidence(input);
        loaded++;
        if (rand() < 0.15) {
          verified++;
          try {
            const r = await verifyEvidence(evidence, { now: NOW });
            if (r.verified && r.checks.some((c) => c.name === 'hcl-report-data' && c.ok !== true)) unexpected.push(`#${i}: verified with a failed binding`);
          } catch (e) {
            record('verifyEvidence', e);
          }
        }
      } catch (e) {
        record('loadEvidence', e);
      }
    }
    expect(unexpected).toEqual([]);
    expect(loaded).toBeGreaterThan(0);
    expect(verified).toBeGreaterThan(0);
  }, 120_000);
});
