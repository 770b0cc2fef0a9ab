/**
 * A synchronous `HashBackend` over hash-wasm's WASM SHA-2 (the fastest of the browser backends
 * measured in bench/RESULTS.md "Browser"). hash-wasm creates hashers asynchronously, while the
 * measurement layer's backend is synchronous, so hashers are created ahead (`createWasmBackend`)
 * and recycled: a one-shot digest reuses one hasher per algorithm, and incremental hashers come
 * from a small pool (TDX keeps one per lane; `copy` needs one more for the running digest).
 */
import { createSHA256, createSHA384, type IHasher } from 'hash-wasm';
import { nobleHashBackend, type HashBackend, type Hasher } from 'igvm-measure/measure';

/** Incremental hashers created ahead per algorithm (more than any measurement holds at once). */
const POOL = 4;

class PooledHasher implements Hasher {
  constructor(
    private readonly h: IHasher,
    private readonly pool: IHasher[],
  ) {}

  update(data: Uint8Array): void {
    this.h.update(data);
  }

  digest(): Uint8Array {
    const d = this.h.digest('binary');
    this.pool.push(this.h);
    return d;
  }

  copy(): Hasher {
    const other = this.pool.pop();
    // A WASM state cannot move to another backend: the pool is sized so this never happens.
    if (other === undefined) throw new Error('hash-wasm: no hasher left to copy into');
    other.load(this.h.save());
    return new PooledHasher(other, this.pool);
  }
}

/** Creates the backend (WASM modules are compiled from bytes bundled in the script: no fetch). */
export async function createWasmBackend(): Promise<HashBackend> {
  const one384 = await createSHA384();
  const one256 = await createSHA256();
  const pool384 = await Promise.all(Array.from({ length: POOL }, () => createSHA384()));
  const pool256 = await Promise.all(Array.from({ length: POOL }, () => createSHA256()));
  const take = (pool: IHasher[], fallback: () => Hasher): Hasher => {
    const h = pool.pop();
    return h === undefined ? fallback() : new PooledHasher(h.init(), pool);
  };
  return {
    name: 'hash-wasm',
    sha384: (data) => one384.init().update(data).digest('binary'),
    sha256: (data) => one256.init().update(data).digest('binary'),
    createSha384: () => take(pool384, () => nobleHashBackend.createSha384()),
    createSha256: () => take(pool256, () => nobleHashBackend.createSha256()),
  };
}
