/**
 * The upstream igvm crate's CoRIM launch-measurement profile (spec/vbs-cca-corim.md §3,
 * spec/igvm-format.md §14 "CoRIM launch-measurement profile"): one unsigned CoRIM (#6.501)
 * holding one CoMID (#6.506) with one reference triple (environment → launch digest) and one
 * conditional-endorsement-series triple (that digest → an exact SVN, #6.552).
 *
 * All CBOR goes through cbor2 with its CBOR Common Deterministic Encoding options: definite
 * lengths, shortest integers, map keys sorted by their encoded bytes. That is the encoding the
 * corim crate uses (§3.3 "Encoding"), and it reproduces the 306-byte worked example of §3.3.
 *
 * Browser-usable: no `node:` import (DESIGN.md "Conventions"); SHA-1 for UUIDv5 comes from
 * @noble/hashes so that building a CoRIM stays synchronous.
 */
import { decode, encode, Tag, type DecodeOptions } from 'cbor2';
import { sha1 } from '@noble/hashes/legacy.js';
import type { PlatformTypeName } from '../format/index.js';
import { CorimError } from './corim-errors.js';
import { bytesEqual, bytesToHex } from '../format/bytes.js';

/** The profile URI, corim-map key 3, encoded as `#6.32(text)` (§3.2). */
export const LAUNCH_MEASUREMENT_PROFILE = 'tag:microsoft.com,2026:launch-measurement/v1';

/** The namespace of the UUIDv5 tag-ids (§3.2). */
export const LAUNCH_MEASUREMENT_TAG_ID_NAMESPACE = '85f3f1c2-22a8-441e-a1b9-bccfb63ed5f7';

/** The CBOR tags of the profile (§3.3 "Tags"). */
export const CorimCborTag = {
  /** `tagged-unsigned-corim-map`. */
  UNSIGNED_CORIM: 501,
  /** `tagged-concise-mid-tag`, wrapping a byte string that holds the encoded CoMID. */
  COMID: 506,
  /** URI (the profile). */
  URI: 32,
  /** Exact SVN; the only SVN form the profile allows (§3.2). */
  SVN: 552,
  /** Minimum SVN; not allowed by the profile. */
  MIN_SVN: 553,
  /** COSE_Sign1 (RFC 9052). */
  COSE_SIGN1: 18,
} as const;

/** The platform types the launch-measurement profile defines (§3.1: CCA, NATIVE, SEV, SEV-ES are rejected). */
export type LaunchMeasurementPlatform = Extract<PlatformTypeName, 'SEV_SNP' | 'TDX' | 'VSM_ISOLATION'>;

/** What the profile says about one platform (§3.2 table; igvm-format.md §14 table). */
export interface LaunchMeasurementClass {
  readonly platformType: LaunchMeasurementPlatform;
  /** class-map vendor (key 1). */
  readonly vendor: string;
  /** class-map model (key 2). */
  readonly model: string;
  /** measurement-map mkey (key 0). */
  readonly mkey: string;
  /** IANA Named Information hash algorithm id (RFC 6920): 1 = sha-256, 7 = sha-384. */
  readonly algorithmId: number;
  /** The same algorithm by name, as `measure` reports it. */
  readonly algorithm: 'sha384' | 'sha256';
  /** Digest length in bytes. */
  readonly digestLength: number;
}

/** The profile's class for each platform (§3.2). */
export const LAUNCH_MEASUREMENT_CLASSES: Readonly<Record<LaunchMeasurementPlatform, LaunchMeasurementClass>> = {
  TDX: { platformType: 'TDX', vendor: 'Intel', model: 'TDX', mkey: 'MRTD', algorithmId: 7, algorithm: 'sha384', digestLength: 48 },
  SEV_SNP: { platformType: 'SEV_SNP', vendor: 'AMD', model: 'SEV-SNP', mkey: 'MEASUREMENT', algorithmId: 7, algorithm: 'sha384', digestLength: 48 },
  VSM_ISOLATION: { platformType: 'VSM_ISOLATION', vendor: 'Microsoft', model: 'VBS', mkey: 'MEASUREMENT', algorithmId: 1, algorithm: 'sha256', digestLength: 32 },
};

/** True for the platform types the profile defines. */
export function isLaunchMeasurementPlatform(p: string): p is LaunchMeasurementPlatform {
  return Object.prototype.hasOwnProperty.call(LAUNCH_MEASUREMENT_CLASSES, p);
}

/**
 * cbor2's encoder options for everything this layer writes: CDE (draft-ietf-cbor-cde), i.e.
 * core deterministic encoding (RFC 8949 §4.2.1). cbor2 always writes preferred (shortest)
 * forms; `cde` adds bytewise-sorted map keys and ignores any saved original encoding.
 */
export const DETERMINISTIC_ENCODING = { cde: true } as const;

/**
 * cbor2's decoder options for untrusted input: tags stay plain `Tag` objects (cbor2's global
 * decoders for tags 32 and 37 throw a `TypeError` on a bad URI or UUID, which must not escape
 * as one), maps decode as `Map` (integer keys), duplicate keys are rejected.
 */
export const STRICT_DECODING: DecodeOptions = { ignoreGlobalTags: true, preferMap: true, rejectDuplicateKeys: true };

/** Encodes a value deterministically (see `DETERMINISTIC_ENCODING`). */
export function encodeDeterministic(value: unknown): Uint8Array {
  return encode(value, DETERMINISTIC_ENCODING);
}

/** Decodes one CBOR item (the whole input), as `CorimError('BadCbor')` when it is not well formed. */
export function decodeCbor(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes, STRICT_DECODING);
  } catch (e) {
    throw new CorimError('BadCbor', `${what} is not well-formed CBOR: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---- UUIDv5 (RFC 9562 §5.5) ----------------------------------------------------------------

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CorimError('BadStructure', `'${uuid}' is not a UUID`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function uuidText(b: Uint8Array): string {
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The name-based SHA-1 UUID (version 5, RFC 9562 §5.5) of `name` (UTF-8) in `namespace`, as
 * lowercase hyphenated text: SHA-1(namespace bytes ‖ name), first 16 bytes, version nibble 5,
 * variant bits 10.
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = uuidBytes(namespace);
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + nameBytes.length);
  input.set(ns, 0);
  input.set(nameBytes, 16);
  const h = sha1(input).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return uuidText(h);
}

/** The profile's tag-id of a platform: UUIDv5(namespace, "{vendor}/{model}") (§3.2). */
export function launchMeasurementTagId(platformType: LaunchMeasurementPlatform): string {
  const c = classOf(platformType);
  return uuidV5(LAUNCH_MEASUREMENT_TAG_ID_NAMESPACE, `${c.vendor}/${c.model}`);
}

/** The profile's corim-id of a platform: "{vendor}/{model}/launch-measurement" (§3.2). */
export function launchMeasurementCorimId(platformType: LaunchMeasurementPlatform): string {
  const c = classOf(platformType);
  return `${c.vendor}/${c.model}/launch-measurement`;
}

function classOf(platformType: string): LaunchMeasurementClass {
  if (!isLaunchMeasurementPlatform(platformType)) {
    throw new CorimError('UnsupportedPlatform', `the launch-measurement profile defines SEV_SNP, TDX and VSM_ISOLATION, not ${platformType} (microsoft/igvm igvm/src/corim)`);
  }
  return LAUNCH_MEASUREMENT_CLASSES[platformType];
}

// ---- Building ------------------------------------------------------------------------------

/** What one launch-measurement CoRIM says. */
export interface LaunchMeasurementInput {
  readonly platformType: LaunchMeasurementPlatform;
  /** The launch digest: 48 bytes for SEV_SNP and TDX, 32 for VSM_ISOLATION. */
  readonly digest: Uint8Array;
  /** The exact SVN the CES triple endorses, 0 ≤ svn < 2^64. */
  readonly svn: number | bigint;
}

const MAX_U64 = (1n << 64n) - 1n;

function svnValue(svn: number | bigint): number | bigint {
  const v = typeof svn === 'bigint' ? svn : Number.isSafeInteger(svn) ? BigInt(svn) : -1n;
  if (v < 0n || v > MAX_U64) throw new CorimError('BadSvn', `an SVN is an unsigned 64-bit integer, not ${String(svn)}`);
  // A number when it is one exactly, so that cbor2 writes the same shortest integer either way.
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function environment(c: LaunchMeasurementClass): Map<number, unknown> {
  // environment-map { class: class-map { vendor, model } } (§3.3 ENV).
  return new Map<number, unknown>([[0, new Map<number, unknown>([[1, c.vendor], [2, c.model]])]]);
}

function measurement(c: LaunchMeasurementClass, digest: Uint8Array): Map<number, unknown> {
  // measurement-map { mkey, mval: measurement-values-map { digests: [[alg, bytes]] } } (§3.3 MEAS).
  return new Map<number, unknown>([
    [0, c.mkey],
    [1, new Map<number, unknown>([[2, [[c.algorithmId, digest]]]])],
  ]);
}

/**
 * The launch-measurement CoRIM of one platform, deterministically encoded (§3.3): byte for
 * byte the document the upstream crate's `LaunchMeasurement` builder describes. Throws
 * `CorimError` for an unsupported platform, a digest of the wrong length or a bad SVN.
 */
export function buildLaunchMeasurementCorim(input: LaunchMeasurementInput): Uint8Array {
  const c = classOf(input.platformType);
  if (!(input.digest instanceof Uint8Array) || input.digest.length !== c.digestLength) {
    throw new CorimError('BadDigest', `a ${c.vendor}/${c.model} digest is ${c.digestLength} bytes (${c.algorithm}), not ${input.digest?.length ?? 'missing'}`);
  }
  // A plain Uint8Array copy: cbor2 would encode a Node Buffer through its toJSON (an object),
  // not as a byte string.
  const digest = new Uint8Array(input.digest);
  const svn = svnValue(input.svn);
  const env = environment(c);
  const meas = measurement(c, digest);
  const comid = new Map<number, unknown>([
    // tag-identity { tag-id } only: no tag-version, no language (§3.3).
    [1, new Map<number, unknown>([[0, launchMeasurementTagId(c.platformType)]])],
    [
      4,
      new Map<number, unknown>([
        // reference-triples: [[env, [meas]]].
        [0, [[env, [meas]]]],
        // conditional-endorsement-series: [[[env, []], [[[meas], [{mval: {svn: #6.552}}]]]]].
        [8, [[[env, []], [[[meas], [new Map<number, unknown>([[1, new Map<number, unknown>([[1, new Tag(CorimCborTag.SVN, svn)]])]])]]]]]],
      ]),
    ],
  ]);
  const corim = new Tag(
    CorimCborTag.UNSIGNED_CORIM,
    new Map<number, unknown>([
      [0, launchMeasurementCorimId(c.platformType)],
      // tags: one CoMID, bstr-wrapped (#6.506(bstr .cbor concise-mid-tag)).
      [1, [new Tag(CorimCborTag.COMID, encodeDeterministic(comid))]],
      [3, new Tag(CorimCborTag.URI, LAUNCH_MEASUREMENT_PROFILE)],
    ]),
  );
  return encodeDeterministic(corim);
}

// ---- Decoding ------------------------------------------------------------------------------

/** The top-level facts of any unsigned CoRIM (any profile). */
export interface UnsignedCorimInfo {
  /** corim-id (key 0): text, or a UUID (`#6.37(bstr)` or a bare 16-byte bstr) as lowercase text. */
  readonly id: string | undefined;
  /** The profile URI (key 3), when it is a `#6.32` URI. */
  readonly profile: string | undefined;
  /** The number of entries of `tags` (key 1). */
  readonly tagCount: number;
}

function isMap(v: unknown): v is Map<unknown, unknown> {
  return v instanceof Map;
}

function isTag(v: unknown, tag: number): v is Tag {
  return v instanceof Tag && Number(v.tag) === tag;
}

function bytesOf(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? new Uint8Array(v) : undefined;
}

function structure(message: string): never {
  throw new CorimError('BadStructure', message);
}

function field(m: Map<unknown, unknown>, key: number, what: string): unknown {
  if (!m.has(key)) structure(`${what} has no key ${key}`);
  return m.get(key);
}

function mapField(m: Map<unknown, unknown>, key: number, what: string): Map<unknown, unknown> {
  const v = field(m, key, what);
  if (!isMap(v)) structure(`${what} key ${key} is not a map`);
  return v;
}

function arrayOf(v: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(v)) structure(`${what} is not an array`);
  if (length !== undefined && v.length !== length) structure(`${what} has ${v.length} entries; the launch-measurement profile has ${length}`);
  return v;
}

function textOf(v: unknown, what: string): string {
  if (typeof v !== 'string') structure(`${what} is not a text string`);
  return v;
}

function idText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const raw = isTag(v, 37) ? bytesOf(v.contents) : bytesOf(v);
  return raw !== undefined && raw.length === 16 ? uuidText(raw) : undefined;
}

/**
 * Reads the envelope of an unsigned CoRIM of any profile: `#6.501(corim-map)` with `tags`
 * (key 1) an array. Throws `CorimError`: `BadCbor`, `SignedCorim` for a COSE_Sign1 (the IGVM
 * CORIM_DOCUMENT holds the unsigned document, §3.1), `NotCorim` otherwise.
 */
export function readUnsignedCorim(bytes: Uint8Array): UnsignedCorimInfo & { readonly map: Map<unknown, unknown> } {
  const top = decodeCbor(bytes, 'the CoRIM document');
  if (isTag(top, CorimCborTag.COSE_SIGN1)) {
    throw new CorimError('SignedCorim', 'this is a COSE_Sign1 (a signed CoRIM), not the unsigned #6.501 document an IGVM CORIM_DOCUMENT holds');
  }
  if (!isTag(top, CorimCborTag.UNSIGNED_CORIM) || !isMap(top.contents)) {
    throw new CorimError('NotCorim', 'not a tagged-unsigned-corim-map (#6.501 of a map)');
  }
  const map = top.contents;
  const tags = map.get(1);
  if (!Array.isArray(tags)) throw new CorimError('NotCorim', 'the corim-map has no tags array (key 1)');
  const profile = map.get(3);
  return {
    map,
    id: idText(map.get(0)),
    profile: isTag(profile, CorimCborTag.URI) && typeof profile.contents === 'string' ? profile.contents : undefined,
    tagCount: tags.length,
  };
}

/** What a launch-measurement CoRIM says (`decodeLaunchMeasurementCorim`). */
export interface LaunchMeasurementCorim {
  readonly platformType: LaunchMeasurementPlatform;
  readonly vendor: string;
  readonly model: string;
  readonly mkey: string;
  readonly algorithm: 'sha384' | 'sha256';
  readonly algorithmId: number;
  /** The reference launch digest. */
  readonly digest: Uint8Array;
  /** The exact SVN the CES triple endorses. */
  readonly svn: bigint;
  /** corim-id (key 0), when present. */
  readonly corimId: string | undefined;
  /** The CoMID tag-id. */
  readonly tagId: string | undefined;
  readonly profile: string;
  /**
   * True when the bytes are exactly what `buildLaunchMeasurementCorim` makes from the decoded
   * values (deterministic encoding, the profile's ids, nothing extra). Informational: the
   * verification of an embedded CoRIM does not depend on it.
   */
  readonly canonical: boolean;
}

function decodeEnvironment(v: unknown, what: string): LaunchMeasurementClass {
  if (!isMap(v)) structure(`${what} is not an environment-map`);
  const cls = mapField(v, 0, what);
  const vendor = textOf(field(cls, 1, `${what} class-map`), `${what} vendor`);
  const model = textOf(field(cls, 2, `${what} class-map`), `${what} model`);
  const c = Object.values(LAUNCH_MEASUREMENT_CLASSES).find((k) => k.vendor === vendor && k.model === model);
  if (c === undefined) throw new CorimError('UnsupportedPlatform', `${what}: vendor '${vendor}' / model '${model}' is not a platform of the launch-measurement profile`);
  return c;
}

function decodeMeasurement(v: unknown, c: LaunchMeasurementClass, what: string): Uint8Array {
  if (!isMap(v)) structure(`${what} is not a measurement-map`);
  const mkey = field(v, 0, what);
  if (mkey !== c.mkey) structure(`${what} mkey is ${JSON.stringify(mkey)}; ${c.vendor}/${c.model} uses '${c.mkey}'`);
  const mval = mapField(v, 1, what);
  const digests = arrayOf(field(mval, 2, `${what} mval`), `${what} digests`, 1);
  const entry = arrayOf(digests[0], `${what} digest entry`, 2);
  if (entry[0] !== c.algorithmId) {
    throw new CorimError('BadDigest', `${what} digest algorithm is ${String(entry[0])}; ${c.vendor}/${c.model} uses ${c.algorithmId} (${c.algorithm})`);
  }
  const d = bytesOf(entry[1]);
  if (d === undefined || d.length !== c.digestLength) {
    throw new CorimError('BadDigest', `${what} digest is ${d === undefined ? 'not a byte string' : `${d.length} bytes`}; ${c.algorithm} is ${c.digestLength}`);
  }
  return d;
}

/**
 * Decodes a CoRIM of the launch-measurement profile (§3.3) and returns what it says. Strict
 * about the profile's shape — one CoMID, one reference triple with one measurement, one CES
 * triple for the same environment and digest endorsing an exact SVN (#6.552) — and throws
 * `CorimError` for anything else (`BadCbor`, `SignedCorim`, `NotCorim`, `UnsupportedProfile`,
 * `BadStructure`, `UnsupportedPlatform`, `BadDigest`, `BadSvn`).
 */
export function decodeLaunchMeasurementCorim(bytes: Uint8Array): LaunchMeasurementCorim {
  const info = readUnsignedCorim(bytes);
  if (info.profile !== LAUNCH_MEASUREMENT_PROFILE) {
    throw new CorimError(
      'UnsupportedProfile',
      info.profile === undefined ? 'the CoRIM names no #6.32 profile (key 3)' : `the CoRIM's profile is '${info.profile}', not '${LAUNCH_MEASUREMENT_PROFILE}'`,
    );
  }
  const tags = arrayOf(info.map.get(1), 'the corim-map tags', 1);
  const wrapped = tags[0];
  if (!isTag(wrapped, CorimCborTag.COMID)) structure('the CoRIM tag is not a CoMID (#6.506)');
  const comidBytes = bytesOf(wrapped.contents);
  if (comidBytes === undefined) structure('the CoMID (#6.506) does not wrap a byte string');
  const comid = decodeCbor(comidBytes, 'the CoMID');
  if (!isMap(comid)) structure('the CoMID is not a map');
  const tagId = idText(mapField(comid, 1, 'the CoMID').get(0));
  const triples = mapField(comid, 4, 'the CoMID');

  // reference-triples (key 0): [[env, [meas]]].
  const ref = arrayOf(arrayOf(field(triples, 0, 'the triples'), 'the reference triples', 1)[0], 'the reference triple', 2);
  const c = decodeEnvironment(ref[0], 'the reference environment');
  const digest = decodeMeasurement(arrayOf(ref[1], 'the reference measurements', 1)[0], c, 'the reference measurement');

  // conditional-endorsement-series (key 8): [[[env, []], [[[meas], [{1: {1: #6.552(svn)}}]]]]].
  const ces = arrayOf(arrayOf(field(triples, 8, 'the triples'), 'the conditional-endorsement-series triples', 1)[0], 'the CES triple', 2);
  const condition = arrayOf(ces[0], 'the CES condition', 2);
  if (decodeEnvironment(condition[0], 'the CES environment') !== c) structure('the CES environment is not the reference environment');
  arrayOf(condition[1], 'the CES condition claims', 0);
  const record = arrayOf(arrayOf(ces[1], 'the CES series', 1)[0], 'the CES series record', 2);
  const selected = decodeMeasurement(arrayOf(record[0], 'the CES selection', 1)[0], c, 'the CES selection');
  if (!bytesEqual(selected, digest)) structure('the CES selection digest is not the reference digest');
  const addition = arrayOf(record[1], 'the CES addition', 1)[0];
  if (!isMap(addition)) structure('the CES addition is not a measurement-map');
  const svnTag = field(mapField(addition, 1, 'the CES addition'), 1, 'the CES addition mval');
  if (isTag(svnTag, CorimCborTag.MIN_SVN)) throw new CorimError('BadSvn', 'the CES addition is a minimum SVN (#6.553); the profile allows only an exact SVN (#6.552)');
  if (!isTag(svnTag, CorimCborTag.SVN)) throw new CorimError('BadSvn', 'the CES addition SVN is not tagged #6.552');
  const raw = svnTag.contents;
  const svn = typeof raw === 'bigint' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) ? BigInt(raw) : -1n;
  if (svn < 0n || svn > MAX_U64) throw new CorimError('BadSvn', 'the SVN is not an unsigned integer');

  const canonical = bytesEqual(bytes, buildLaunchMeasurementCorim({ platformType: c.platformType, digest, svn }));
  return {
    platformType: c.platformType,
    vendor: c.vendor,
    model: c.model,
    mkey: c.mkey,
    algorithm: c.algorithm,
    algorithmId: c.algorithmId,
    digest,
    svn,
    corimId: info.id,
    tagId,
    profile: info.profile,
    canonical,
  };
}
