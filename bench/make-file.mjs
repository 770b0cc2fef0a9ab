/**
 * Builds a benchmark IGVM file with our builder: SEV_SNP, TDX and VSM_ISOLATION platforms, and
 * N MiB of pages that are all distinct and measured by all three (mask 0x7).
 * Usage: node bench/make-file.mjs OUT SIZE_MIB
 */
import { createCipheriv } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { IgvmBuilder, serializeIgvmChunks } from '../dist/src/index.js';

/** Deterministic, distinct page contents: AES-128-CTR keystream under a fixed key. */
function pages(bytes) {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return new Uint8Array(cipher.update(Buffer.alloc(bytes)));
}

/** Serializes the builder's file to `path` chunk by chunk; its size. */
function write(path, b) {
  const chunks = serializeIgvmChunks(b.build());
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, chunks.header);
    for (const c of chunks.data) writeSync(fd, c);
  } finally {
    closeSync(fd);
  }
  return chunks.totalSize;
}

export function buildBenchFile(path, mib) {
  const count = (mib * 1024 * 1024) / 4096;
  const data = pages(count * 4096);
  const b = new IgvmBuilder({ formatVersion: 2, architecture: 'x64' })
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 2, platformType: 'TDX' })
    .platform({ compatibilityMask: 4, platformType: 'VSM_ISOLATION' })
    .guestPolicy({ policy: 0x30000, compatibilityMask: 1 });
  for (let i = 0; i < count; i++) b.pageData({ gpa: 0x100000 + i * 4096, compatibilityMask: 7, data: data.subarray(i * 4096, (i + 1) * 4096) });
  return write(path, b);
}

/** The same pages under one Arm CCA platform whose realm hash is `hashAlgorithm` (0 SHA-256, 1 SHA-512, 2 SHA-384). */
export function buildCcaBenchFile(path, mib, hashAlgorithm) {
  const count = (mib * 1024 * 1024) / 4096;
  const data = pages(count * 4096);
  const b = new IgvmBuilder({ formatVersion: 2, architecture: 'aarch64' })
    .platform({ compatibilityMask: 1, platformType: 'CCA', sharedGpaBoundary: 1n << 47n })
    .ccaPolicy({ compatibilityMask: 1, hashAlgorithm });
  for (let i = 0; i < count; i++) b.pageData({ gpa: 0x8000_0000 + i * 4096, compatibilityMask: 1, data: data.subarray(i * 4096, (i + 1) * 4096) });
  b.ccaContext({ compatibilityMask: 1, vpIndex: 0, context: { pc: 0x8000_0000n } });
  return write(path, b);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, mib] = process.argv.slice(2);
  const size = buildBenchFile(out, Number(mib));
  console.log(`wrote ${out}: ${size} bytes`);
}
