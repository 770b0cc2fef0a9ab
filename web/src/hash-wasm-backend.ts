/**
 * A synchronous `HashBackend` over hash-wasm's WASM SHA-2 (the fastest of the browser backends
 * measured in bench/RESULTS.md "Browser"). hash-wasm creates hashers asynchronously, while the
 * measurement layer's backend is synchronous, so one hasher per algorithm is created ahead and
 * every hash runs on it: a one-shot digest directly, and an incremental hasher as a saved state
 * that each `update` loads, advances and saves again (hash-wasm's `save`/`load`). Few instances
 * matter: every WASM instance reserves gigabytes of address space for its memory, and V8 refuses
 * new instances past about a terabyte in all. A state is a few hundred bytes; the TDX lane, the
 * one long incremental hash, updates in large blocks, so the load and save cost little.
 */
import { createSHA256, createSHA384, createSHA512, type IHasher } from 'hash-wasm';
import type { HashBackend, Hasher } from 'igvm-measure/measure';

/** An incremental hash kept as hash-wasm state bytes, run on a shared instance. */
class StateHasher implements Hasher {
  constructor(
    private readonly wasm: IHasher,
    private state: Uint8Array,
  ) {}

  update(data: Uint8Array): void {
    this.state = this.wasm.load(this.state).update(data).save();
  }

  digest(): Uint8Array {
    return this.wasm.load(this.state).digest('binary');
  }

  copy(): Hasher {
    return new StateHasher(this.wasm, this.state.slice());
  }
}

/** Creates the backend (the WASM modules are compiled from bytes bundled in the script: no fetch). */
export async function createWasmBackend(): Promise<HashBackend> {
  const sha384 = await createSHA384();
  const sha256 = await createSHA256();
  const sha512 = await createSHA512();
  const fresh384 = sha384.init().save();
  const fresh256 = sha256.init().save();
  return {
    name: 'hash-wasm',
    sha384: (data) => sha384.init().update(data).digest('binary'),
    sha256: (data) => sha256.init().update(data).digest('binary'),
    sha512: (data) => sha512.init().update(data).digest('binary'),
    createSha384: () => new StateHasher(sha384, fresh384.slice()),
    createSha256: () => new StateHasher(sha256, fresh256.slice()),
  };
}
