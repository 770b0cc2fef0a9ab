/**
 * The browser hash backends side by side, run in a page by bench/browser.mjs (bundled there
 * with esbuild): WebCrypto subtle.digest (async, one call per page), hash-wasm (WASM SHA-2) and
 * @noble/hashes, on the call patterns of the kernels (measure/kernels.ts): one SHA-384 per 4 KiB
 * page (SNP contents), one SHA-256 per 4160-byte VBS record, and one long SHA-384 stream (TDX).
 * Each result is MiB/s of input.
 */
import { createSHA256, createSHA384 } from 'hash-wasm';
import { sha256, sha384 } from '@noble/hashes/sha2.js';

window.benchBackends = async (mib) => {
  const pages = (mib * 1024 * 1024) / 4096;
  const data = new Uint8Array(pages * 4096);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const page = (i) => data.subarray(i * 4096, (i + 1) * 4096);
  const record = new Uint8Array(4160);
  const rate = (ms, bytes) => Math.round(bytes / (1024 * 1024) / (ms / 1000));
  const time = async (fn) => {
    await fn(); // warm-up
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const w384 = await createSHA384();
  const w256 = await createSHA256();
  const out = {};
  out['SHA-384 per 4 KiB page, WebCrypto, all pages in flight'] = rate(await time(() => Promise.all(Array.from({ length: pages }, (_, i) => crypto.subtle.digest('SHA-384', page(i))))), data.length);
  out['SHA-384 per 4 KiB page, WebCrypto, one await per page'] = rate(
    await time(async () => {
      for (let i = 0; i < pages; i++) await crypto.subtle.digest('SHA-384', page(i));
    }),
    data.length,
  );
  out['SHA-384 per 4 KiB page, hash-wasm'] = rate(await time(() => { for (let i = 0; i < pages; i++) w384.init().update(page(i)).digest('binary'); }), data.length);
  out['SHA-384 per 4 KiB page, @noble/hashes'] = rate(await time(() => { for (let i = 0; i < pages; i++) sha384(page(i)); }), data.length);
  out['SHA-256 chained 4160-byte records (VBS), WebCrypto, one await each'] = rate(
    await time(async () => {
      for (let i = 0; i < pages; i++) {
        record.set(page(i), 64);
        record.set(new Uint8Array(await crypto.subtle.digest('SHA-256', record)), 0);
      }
    }),
    pages * 4160,
  );
  out['SHA-256 chained 4160-byte records (VBS), hash-wasm'] = rate(await time(() => { for (let i = 0; i < pages; i++) { record.set(page(i), 64); record.set(w256.init().update(record).digest('binary'), 0); } }), pages * 4160);
  out['SHA-256 chained 4160-byte records (VBS), @noble/hashes'] = rate(await time(() => { for (let i = 0; i < pages; i++) { record.set(page(i), 64); record.set(sha256(record), 0); } }), pages * 4160);
  out['SHA-384 stream in 128 KiB updates (TDX), hash-wasm'] = rate(await time(() => { const h = w384.init(); for (let i = 0; i < data.length; i += 131072) h.update(data.subarray(i, i + 131072)); h.digest('binary'); }), data.length);
  out['SHA-384 stream in 128 KiB updates (TDX), @noble/hashes'] = rate(await time(() => { const h = sha384.create(); for (let i = 0; i < data.length; i += 131072) h.update(data.subarray(i, i + 131072)); h.digest(); }), data.length);
  out['SHA-384 one-shot of the whole buffer, WebCrypto (no incremental API: not usable for TDX)'] = rate(await time(() => crypto.subtle.digest('SHA-384', data)), data.length);
  return out;
};
