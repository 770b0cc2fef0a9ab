/**
 * What `report` and `compare` share: reading evidence and the certificate options
 * (`--vcek`, `--chain`, `--collateral`, `--fetch`, `--kds-url`, `--kds-cache`), and printing
 * checks.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvidenceError, loadEvidence, type Evidence, type VerifyOptions } from '../evidence/index.js';
import { kdsFetcher } from '../node/kds.js';
import type { CommandArgs } from './command.js';
import { InputReadError, UsageError } from './errors.js';
import { readInput } from './input.js';

export { readInput };

/** The certificate options, for a command's `options`. */
export const CERTIFICATE_OPTIONS = {
  vcek: { type: 'string' },
  chain: { type: 'string' },
  crl: { type: 'string' },
  collateral: { type: 'string' },
  fetch: { type: 'boolean' },
  'kds-url': { type: 'string' },
  'kds-cache': { type: 'string' },
  root: { type: 'string' },
  time: { type: 'string' },
} as const;

/** Their help lines. */
export const CERTIFICATE_HELP = `  --vcek CERT       SEV-SNP: the VCEK or VLEK certificate (DER or PEM; a PEM may
                    also carry the ASK/ASVK and ARK after it)
  --chain PEM       SEV-SNP: the ASK (or ASVK) and ARK (default: AMD's, bundled)
  --crl FILE        SEV-SNP: AMD's ARK-signed CRL (KDS /vcek/v1/{product}/crl)
  --fetch           SEV-SNP: get missing certificates from AMD's Key Distribution
                    Service (cached on disk); without it nothing goes on the network
  --kds-url URL     the KDS base URL (default https://kdsintf.amd.com)
  --kds-cache DIR   where fetched certificates are cached (default: the OS temp dir)
  --collateral FILE TDX: collateral JSON (TCB info, QE identity, CRLs) for the TCB
                    status, QE identity and revocation checks
  --root CERT       TDX: the root to anchor at; it must still be Intel's pinned
                    production SGX root
  --time ISO        verify as of this time (certificate validity, collateral
                    expiry), e.g. 2025-06-01T00:00:00Z; default now`;


/** Reads and detects evidence. */
export function readEvidence(path: string): Evidence {
  return loadEvidence(readInput(path, 'evidence'));
}

/** The verification options from the certificate options. */
export function verifyOptionsOf(values: CommandArgs['values']): VerifyOptions {
  const opt = (name: string): string | undefined => values[name] as string | undefined;
  let collateral: unknown;
  const collateralPath = opt('collateral');
  if (collateralPath !== undefined) {
    try {
      collateral = JSON.parse(new TextDecoder().decode(readInput(collateralPath, 'collateral')));
    } catch (e) {
      if (e instanceof InputReadError) throw e;
      throw new EvidenceError('BadCollateral', `--collateral ${collateralPath} is not JSON: ${(e as Error).message}`);
    }
  }
  if (values.fetch !== true && (opt('kds-url') !== undefined || opt('kds-cache') !== undefined)) {
    throw new UsageError('--kds-url and --kds-cache go with --fetch');
  }
  const vcek = opt('vcek');
  const chain = opt('chain');
  const root = opt('root');
  const time = opt('time');
  const now = time === undefined ? undefined : new Date(time);
  if (now !== undefined && Number.isNaN(now.getTime())) throw new UsageError(`--time takes an ISO 8601 time, not '${time}'`);
  return {
    ...(root !== undefined ? { root: readInput(root, '--root') } : {}),
    ...(now !== undefined ? { now } : {}),
    ...(vcek !== undefined ? { vcek: readInput(vcek, '--vcek') } : {}),
    ...(chain !== undefined ? { chain: readInput(chain, '--chain') } : {}),
    ...(opt('crl') !== undefined ? { crl: readInput(opt('crl')!, '--crl') } : {}),
    ...(collateral !== undefined ? { collateral } : {}),
    ...(values.fetch === true
      ? {
          fetch: kdsFetcher({
            ...(opt('kds-url') !== undefined ? { baseUrl: opt('kds-url')! } : {}),
            cacheDir: opt('kds-cache') ?? join(tmpdir(), 'igvm-measure-kds'),
          }),
        }
      : {}),
  };
}

/** Checks as text lines (one printer for every command: output.ts). */
export { checkLines } from './output.js';

/** Parses a hex option (whitespace and an optional 0x tolerated). */
export function hexOption(name: string, v: string | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const s = v.replace(/^0x/i, '').replace(/\s+/g, '');
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new UsageError(`${name} takes hex digits, not '${v}'`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}
