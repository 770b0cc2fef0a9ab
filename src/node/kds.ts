/**
 * The Node adapter that fetches certificates and CRLs from AMD's Key Distribution Service for
 * `verifySnpEvidence` (`report verify --fetch`; spec/snp.md §5 for the URLs). It uses the
 * global `fetch`, bounds every request (time and size), rewrites AMD's standard base URL to a
 * configurable one (a mirror, or a local test server), and caches bodies on disk by the
 * SHA-256 of the URL, so a verifier hits KDS (which rate-limits) once per certificate. A cached
 * CRL is used until its nextUpdate, then fetched again. The cache lives in the user's cache
 * directory (XDG Base Directory: `$XDG_CACHE_HOME`, else `~/.cache`), not in the shared temp
 * directory; a cache entry is read only when it is a regular file, and never past `maxBytes`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { readSome } from './read-input.js';
import { AMD_KDS_BASE } from '../evidence/amd-chain.js';
import { readCertificates } from '../pki/certificate.js';
import { crlExpiredAt, parseCrl } from '../pki/crl.js';
import { EvidenceError } from '../evidence/errors.js';

/** Options of `kdsFetcher`. */
export interface KdsFetcherOptions {
  /** Replaces `https://kdsintf.amd.com` in every URL. Default: that URL. */
  readonly baseUrl?: string;
  /** A directory for cached responses (created when missing). No cache when absent. */
  readonly cacheDir?: string;
  /** Per-request timeout. Default 15 s. */
  readonly timeoutMs?: number;
  /** Largest accepted body. Default 1 MiB (a certificate chain is under 10 KiB). */
  readonly maxBytes?: number;
}

/** A URL → body function for `SnpVerifyOptions.fetch`. */
export type KdsFetch = (url: string) => Promise<Uint8Array>;

/**
 * The default cache folder: `$XDG_CACHE_HOME/igvm-measure/kds`, or `~/.cache/igvm-measure/kds`
 * (XDG Base Directory Specification: a relative `XDG_CACHE_HOME` is ignored).
 */
export function defaultKdsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.cache');
  return join(base, 'igvm-measure', 'kds');
}

const cacheName = (url: string): string => `${createHash('sha256').update(url).digest('hex')}.bin`;

/**
 * Returns a `fetch(url)` for `verifySnpEvidence`. URLs under AMD's standard base are
 * rewritten to `baseUrl`; the rest are fetched as given (http and https only). Failures —
 * network errors, timeouts, non-2xx statuses, oversized bodies — are
 * `EvidenceError('FetchFailed')` naming the URL. Successful bodies that hold certificates are
 * cached; cache read and write problems are ignored (the cache is an optimisation).
 */
export function kdsFetcher(options: KdsFetcherOptions = {}): KdsFetch {
  const base = (options.baseUrl ?? AMD_KDS_BASE).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxBytes ?? 1 << 20;
  const { cacheDir } = options;

  return async (url: string): Promise<Uint8Array> => {
    const target = url.startsWith(AMD_KDS_BASE + '/') ? base + url.slice(AMD_KDS_BASE.length) : url;
    let parsed: URL;
    try {
      parsed = new URL(target);
    } catch {
      throw new EvidenceError('FetchFailed', `not a URL: ${target}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new EvidenceError('FetchFailed', `only http and https URLs are fetched: ${target}`);
    }
    const cached = cacheDir ? readCache(cacheDir, target, maxBytes) : undefined;
    if (cached && !staleCrl(cached)) return cached;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(target, { signal: controller.signal, redirect: 'follow' });
      } catch (e) {
        const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
        throw new EvidenceError('FetchFailed', `GET ${target}: ${why}`);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        const hint = res.status === 429 ? ' (AMD KDS rate-limits requests; retry later or use the cache)' : '';
        throw new EvidenceError('FetchFailed', `GET ${target}: HTTP ${res.status}${hint}`);
      }
      const body = await readBounded(res, maxBytes, target, controller, timeoutMs);
      if (cacheDir && (holdsCertificates(body) || isCrl(body))) writeCache(cacheDir, target, body);
      return body;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Reads a response body, stopping at `maxBytes`. */
async function readBounded(res: Response, maxBytes: number, url: string, controller: AbortController, timeoutMs: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new EvidenceError('FetchFailed', `GET ${url}: body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new EvidenceError('FetchFailed', `GET ${url}: body exceeds the ${maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof EvidenceError) throw e;
    const why = controller.signal.aborted ? `no complete answer within ${timeoutMs} ms` : e instanceof Error ? e.message : String(e);
    throw new EvidenceError('FetchFailed', `GET ${url}: ${why}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Only certificates and CRLs are cached, so an error page served with status 200 is not kept for good. */
function holdsCertificates(body: Uint8Array): boolean {
  try {
    return readCertificates(body).length > 0;
  } catch {
    return false;
  }
}

/** A DER CRL (as KDS serves `/vcek/v1/{product}/crl`). */
function isCrl(body: Uint8Array): boolean {
  try {
    parseCrl(body);
    return true;
  } catch {
    return false;
  }
}

/** A cached body that is a CRL past its nextUpdate: fetch a current one instead. */
function staleCrl(body: Uint8Array): boolean {
  try {
    return crlExpiredAt(parseCrl(body), new Date());
  } catch {
    return false;
  }
}

/**
 * A cached body, or `undefined`: an entry that is missing, not a regular file (a symbolic link,
 * a FIFO, a device: opened without following links and without blocking), larger than
 * `maxBytes` or unreadable counts as absent.
 */
export function readCache(dir: string, url: string, maxBytes: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, cacheName(url)), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buf = new Uint8Array(st.size);
    let done = 0;
    while (done < buf.length) {
      const n = readSome(fd, buf, done, buf.length - done, done);
      if (n === 0) return undefined;
      done += n;
    }
    return buf;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a body. */
function writeCache(dir: string, url: string, body: Uint8Array): void {
  try {
    // Private to the user: a shared machine's other users neither read nor plant entries.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const final = join(dir, cacheName(url));
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, body, { flag: 'wx', mode: 0o600 });
    renameSync(tmp, final);
  } catch {
    // The cache is an optimisation; a read-only or full disk must not fail verification.
  }
}
