/**
 * The portable hash backend: @noble/hashes (audited, pure JavaScript), for runtimes without
 * `node:crypto` such as browsers. Slower than OpenSSL, identical digests.
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HashBackend, Hasher } from './hash.js';

/** The part of a noble hash instance we use. */
interface NobleHash {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHash;
}

function wrap(h: NobleHash): Hasher {
  return {
    update: (data) => void h.update(data),
    digest: () => h.digest(),
    copy: () => wrap(h.clone()),
  };
}

/** SHA-2 through @noble/hashes. */
export const nobleHashBackend: HashBackend = {
  name: '@noble/hashes',
  sha384: (data) => sha384(data),
  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
  createSha384: () => wrap(sha384.create()),
  createSha256: () => wrap(sha256.create()),
};
