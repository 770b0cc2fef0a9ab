/**
 * A `ByteSource` over a `Blob` (a dropped or picked `File`), read synchronously with
 * `FileReaderSync`, which only workers have. Parsing reads the headers; page data is read when
 * the measurement asks for it, so a file of any size is never held in memory whole (the browser
 * counterpart of src/node/file-source.ts). Each FileReaderSync call is a round trip to the
 * browser process, so reads go through a window of `WINDOW_BYTES` read ahead in one call: page
 * data is read in file order, and a window serves many batches.
 */
import type { ByteSource } from 'igvm-measure/format';

declare class FileReaderSync {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/** Bytes read ahead per FileReaderSync call. */
export const WINDOW_BYTES = 16 * 1024 * 1024;

/** A source over `blob`. */
export function blobSource(blob: Blob): ByteSource {
  const reader = new FileReaderSync();
  let window = new Uint8Array(0);
  let windowAt = 0;
  /** The bytes [offset, offset + length) as a view into the window, reading a new window when needed. */
  const view = (offset: number, length: number): Uint8Array => {
    if (offset < windowAt || offset + length > windowAt + window.length) {
      const end = Math.min(blob.size, offset + Math.max(length, WINDOW_BYTES));
      window = new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, end)));
      windowAt = offset;
      if (window.length !== end - offset) throw new Error(`the file changed or is unreadable: ${window.length} bytes at ${offset}, not ${end - offset}`);
    }
    return window.subarray(offset - windowAt, offset - windowAt + length);
  };
  return {
    size: blob.size,
    // Callers keep what `read` returns (parsed headers): give them their own copy.
    read: (offset, length) => view(offset, length).slice(),
    readInto: (offset, target, targetOffset, length) => target.set(view(offset, length), targetOffset),
  };
}
