/**
 * The `node:crypto` hash backend (OpenSSL's assembly SHA-2; DESIGN.md "Performance"). Node-only,
 * so it lives here and is injected into the measurement layer by backends.ts.
 */
import { createHash, type Hash } from 'node:crypto';
import type { HashBackend, Hasher } from '../measure/hash.js';

function wrap(h: Hash): Hasher {
  return {
    update: (data) => void h.update(data),
    digest: () => new Uint8Array(h.digest()),
    copy: () => wrap(h.copy()),
  };
}

/** SHA-2 through `node:crypto`. */
export const nodeHashBackend: HashBackend = {
  name: 'node:crypto',
  sha384: (data) => new Uint8Array(createHash('sha384').update(data).digest()),
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  sha512: (data) => new Uint8Array(createHash('sha512').update(data).digest()),
  createSha384: () => wrap(createHash('sha384')),
  createSha256: () => wrap(createHash('sha256')),
};
