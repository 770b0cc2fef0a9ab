/**
 * The hash backend seam (DESIGN.md: the core imports `node:` modules only through one small
 * adapter). Models ask a `HashBackend` for one-shot digests and incremental hashers; the
 * default is injected (hash-default.ts): @noble/hashes out of the box, `node:crypto` (OpenSSL)
 * once a Node entry point has loaded src/node/backends.ts.
 */

/** An incremental hash. */
export interface Hasher {
  update(data: Uint8Array): void;
  /** The digest; the hasher must not be used afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the current state (for running digests in traces). */
  copy(): Hasher;
}

/** SHA-384 and SHA-256, one-shot and incremental; SHA-512 one-shot (Arm CCA realms may use it). */
export interface HashBackend {
  readonly name: string;
  sha384(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  createSha384(): Hasher;
  createSha256(): Hasher;
}
