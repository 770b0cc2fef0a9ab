/**
 * CRC-32 (IEEE / zlib / CRC-32/ISO-HDLC: reflected polynomial 0xEDB88320, initial and final
 * XOR 0xFFFFFFFF), the IGVM header checksum (spec/igvm-format.md §2.4).
 *
 * Node has `zlib.crc32`, but the format layer must also run where `node:` modules do not
 * (DESIGN.md, browser-usable core), and it only ever checksums the header section (kilobytes),
 * so a table-driven loop is fast enough. A test checks it against `zlib.crc32`.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continues a CRC-32 over `data`; start with `crc = 0` and chain calls for split input. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
