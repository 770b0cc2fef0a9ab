/**
 * A `ByteSource` over a `Blob` (a dropped or picked `File`), read synchronously with
 * `FileReaderSync`, which only workers have. Parsing reads the headers; page data is read when
 * the measurement asks for it, so a file of any size is never held in memory whole (the browser
 * counterpart of src/node/file-source.ts).
 */
import type { ByteSource } from 'igvm-measure/format';

declare class FileReaderSync {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/** A source over `blob`. */
export function blobSource(blob: Blob): ByteSource {
  const reader = new FileReaderSync();
  const read = (offset: number, length: number): Uint8Array => {
    const bytes = new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, offset + length)));
    if (bytes.length !== length) throw new Error(`the file changed or is unreadable: ${bytes.length} bytes at ${offset}, not ${length}`);
    return bytes;
  };
  return {
    size: blob.size,
    read,
    readInto: (offset, target, targetOffset, length) => target.set(read(offset, length), targetOffset),
  };
}
