/**
 * The small ASN.1 values that certificate extensions hold (INTEGER, ENUMERATED, IA5String, OCTET
 * STRING, OBJECT IDENTIFIER, the elements of a SEQUENCE), read through @peculiar/asn1-schema
 * schema classes (X.690, DER framing). Each reader takes one encoded element and returns
 * `undefined` when it is not that type or when bytes follow it, so a caller can say which
 * field is bad. Also the length of the first element of a byte string from its header, to
 * split concatenated DER certificates.
 *
 * The schema classes are declared with asn1-schema's decorators applied as plain calls: this
 * project compiles with TypeScript's standard decorators, which asn1-schema does not use.
 */
import {
  AsnArray,
  AsnIntegerArrayBufferConverter,
  AsnParser,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';

/** Any one element, kept as the bytes it was encoded as. */
class AnyElement {
  value = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.Any })(AnyElement.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(AnyElement);

/** INTEGER or ENUMERATED, as its content octets (big-endian two's complement). */
class IntegerOrEnumerated {
  integer?: ArrayBuffer;
  enumerated?: ArrayBuffer;
}
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(IntegerOrEnumerated.prototype, 'integer');
AsnProp({ type: AsnPropTypes.Enumerated, converter: AsnIntegerArrayBufferConverter })(IntegerOrEnumerated.prototype, 'enumerated');
AsnType({ type: AsnTypeTypes.Choice })(IntegerOrEnumerated);

class Ia5 {
  value = '';
}
AsnProp({ type: AsnPropTypes.IA5String })(Ia5.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(Ia5);

/** `SEQUENCE OF ANY`: the elements of a SEQUENCE, each kept as encoded. */
class AnySequence extends AsnArray<ArrayBuffer> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Any })(AnySequence);

class ObjectIdentifier {
  value = '';
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(ObjectIdentifier.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(ObjectIdentifier);

/** DER identifier octets (X.690 §8.1.2) of the universal types read here. */
const TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, OBJECT_IDENTIFIER: 0x06, ENUMERATED: 0x0a, SEQUENCE: 0x30, IA5_STRING: 0x16 } as const;

function tryParse<T>(bytes: Uint8Array, type: new () => T): T | undefined {
  try {
    return AsnParser.parse(bytes, type);
  } catch {
    return undefined;
  }
}

/**
 * The length of the element at the start of `bytes` according to its identifier and length
 * octets alone (X.690 §8.1.2–§8.1.3: one tag octet, a definite length of at most four octets),
 * when that many bytes are there; its content is not read.
 */
export function elementLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2 || (bytes[0]! & 0x1f) === 0x1f) return undefined;
  const first = bytes[1]!;
  let total: number;
  if (first < 0x80) {
    total = 2 + first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || bytes.length < 2 + n) return undefined;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
    total = 2 + n + len;
  }
  return total <= bytes.length ? total : undefined;
}

/**
 * True when the element's identifier and length octets frame exactly its bytes. The schema
 * parser is lenient where DER is not (X.690 §10.1): it takes an indefinite length, and a child
 * that claims to run past its parent comes back cut at the parent's end; this check rejects both.
 */
function framed(element: Uint8Array): boolean {
  return elementLength(element) === element.length;
}

/** The first element of `bytes`, exactly as encoded (DER framing); `undefined` when none can be read. */
export function firstElement(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 2) return undefined;
  const el = tryParse(bytes, AnyElement);
  const out = el && new Uint8Array(el.value);
  return out && framed(out) ? out : undefined;
}

/** `bytes` when they are exactly one element with nothing after it. */
function single(bytes: Uint8Array, tag: number): Uint8Array | undefined {
  if (bytes[0] !== tag) return undefined;
  const el = firstElement(bytes);
  return el && el.length === bytes.length ? bytes : undefined;
}

/**
 * The content octets of an INTEGER (or, with `enumerated`, also an ENUMERATED): big-endian
 * two's complement, possibly empty when the encoding is. `undefined` for anything else.
 */
export function readInteger(element: Uint8Array, options: { readonly enumerated?: boolean } = {}): Uint8Array | undefined {
  const tag = element[0];
  if (tag !== TAG.INTEGER && !(options.enumerated && tag === TAG.ENUMERATED)) return undefined;
  const el = single(element, tag);
  const v = el && tryParse(el, IntegerOrEnumerated);
  const content = v?.integer ?? v?.enumerated;
  return content ? new Uint8Array(content) : undefined;
}

/** An IA5String's characters, one per byte (Latin-1 for bytes above 0x7F). */
export function readIa5String(element: Uint8Array): string | undefined {
  const el = single(element, TAG.IA5_STRING);
  return el ? tryParse(el, Ia5)?.value : undefined;
}

/** An OCTET STRING's content (primitive encoding only). */
export function readOctetString(element: Uint8Array): Uint8Array | undefined {
  const el = single(element, TAG.OCTET_STRING);
  const v = el && tryParse(el, OctetString);
  return v ? new Uint8Array(v.buffer) : undefined;
}

/**
 * The elements of a SEQUENCE, each as encoded, in order (bytes after the SEQUENCE are not
 * read). `undefined` when `element` is not a SEQUENCE or its elements do not fill it exactly.
 */
export function readSequence(element: Uint8Array): Uint8Array[] | undefined {
  const el = element[0] === TAG.SEQUENCE ? firstElement(element) : undefined;
  const seq = el && tryParse(el, AnySequence);
  if (!el || !seq) return undefined;
  const children = Array.from(seq, (e) => new Uint8Array(e));
  return children.every(framed) ? children : undefined;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function readObjectIdentifier(element: Uint8Array): string | undefined {
  const el = single(element, TAG.OBJECT_IDENTIFIER);
  return el ? tryParse(el, ObjectIdentifier)?.value : undefined;
}

/** The element's identifier octet is a SEQUENCE's (0x30). */
export function isSequence(element: Uint8Array): boolean {
  return element[0] === TAG.SEQUENCE;
}
