/**
 * Guest policy bit fields (spec/igvm-format.md §6.1). Upstream does not validate them; these
 * decoders are for display and for the measurement and signing layers.
 */

/** `SnpPolicy`, the AMD SEV-SNP ABI guest policy (§6.1). */
export interface SnpPolicy {
  readonly abiMinor: number;
  readonly abiMajor: number;
  readonly smt: boolean;
  /** Bit 17; the AMD ABI requires it to be 1. */
  readonly reservedMustBeOne: boolean;
  readonly migrateMa: boolean;
  readonly debug: boolean;
  readonly singleSocket: boolean;
  /** Bits 21–25 (spec/snp.md §3.4; newer than the igvm crate's bitfield). */
  readonly cxlAllow: boolean;
  readonly memAes256Xts: boolean;
  readonly raplDis: boolean;
  readonly ciphertextHiding: boolean;
  readonly pageSwapDisable: boolean;
  /** Bits 26–63, shifted down (must be zero). */
  readonly reserved: bigint;
}

/** `TdxPolicy` (§6.1). */
export interface TdxPolicy {
  readonly debugAllowed: boolean;
  readonly septVeDisable: boolean;
  readonly migratable: boolean;
  /** Bits 3–63, shifted down. */
  readonly reserved: bigint;
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;

/** Decodes an SNP guest policy value. */
export function decodeSnpPolicy(policy: bigint): SnpPolicy {
  return {
    abiMinor: Number(policy & 0xffn),
    abiMajor: Number((policy >> 8n) & 0xffn),
    smt: bit(policy, 16),
    reservedMustBeOne: bit(policy, 17),
    migrateMa: bit(policy, 18),
    debug: bit(policy, 19),
    singleSocket: bit(policy, 20),
    cxlAllow: bit(policy, 21),
    memAes256Xts: bit(policy, 22),
    raplDis: bit(policy, 23),
    ciphertextHiding: bit(policy, 24),
    pageSwapDisable: bit(policy, 25),
    reserved: policy >> 26n,
  };
}

/** Decodes a TDX guest policy value. */
export function decodeTdxPolicy(policy: bigint): TdxPolicy {
  return {
    debugAllowed: bit(policy, 0),
    septVeDisable: bit(policy, 1),
    migratable: bit(policy, 2),
    reserved: policy >> 3n,
  };
}
