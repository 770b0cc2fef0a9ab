/**
 * The one reader of whole input files for the CLI and the Node layer (README "Files: inputs and
 * outputs"): a regular file, `-` (standard input) or a FIFO is read up to a cap chosen by the
 * kind of input, and an input past its cap is refused with the cap named; directories and
 * devices (`/dev/zero`, `/dev/urandom`, a terminal) are refused before anything is read. No
 * allocation grows past the cap, whatever size the input reports or however long it keeps
 * sending. Every input read is recorded for the run (input-registry.ts), so that no output of
 * the command replaces it. IGVM files are not read whole: file-source.ts reads them where needed.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, fsReason } from './input-error.js';
import { claimStdin, recordInput } from './input-registry.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The kinds of input and the most bytes read of each (README "Files: inputs and outputs"). */
export const INPUT_CAPS = {
  /** An X.509 certificate or a short chain, DER or PEM (`--vcek`, `--chain`, `--root`, `--cert`). */
  certificate: 64 * KiB,
  /** A private or public key, PEM or DER (`--id-key`, `--trusted-id-key`, `--sign`, ...). */
  key: 64 * KiB,
  /** A signature made elsewhere (`--id-signature`, `--author-signature`). */
  signature: 64 * KiB,
  /** A VMSA page (`--ap-vmsa`). */
  vmsa: 64 * KiB,
  /** An SNP report, a TDX quote, or the JSON or HCL wrapper that carries one (EVIDENCE, `--evidence`). */
  evidence: 1 * MiB,
  /** A CRL, DER or PEM (`--crl`). */
  crl: 1 * MiB,
  /** An appraisal policy file (`--policy`). */
  policy: 1 * MiB,
  /** TDX collateral JSON: TCB info, QE identity, CRLs (`--collateral`). */
  collateral: 4 * MiB,
  /** A CoRIM document or its COSE_Sign1 (`--corim`, `--corim-signature`). */
  corim: 4 * MiB,
  /** A firmware image (`measure --firmware`, `--svsm`). */
  firmware: 64 * MiB,
  /** A kernel image (`--kernel`). */
  kernel: 256 * MiB,
  /** An initial RAM disk (`--initrd`). */
  initrd: 1 * GiB,
  /** An IGVM file from `-` or a FIFO, copied to an unlinked temporary file (never held in memory). */
  igvmStream: 4 * GiB,
  /** A launch step list in JSON (`measure --steps`): page contents as base64, so larger than the pages. */
  steps: 64 * MiB,
  /** Any other input. */
  other: 64 * MiB,
} as const;

export type InputKind = keyof typeof INPUT_CAPS;

/** What each kind is called in messages ("larger than the 64 KiB cap for a certificate"). */
const KIND_NAMES: Record<InputKind, string> = {
  certificate: 'a certificate',
  key: 'a key file',
  signature: 'a signature',
  vmsa: 'a VMSA',
  evidence: 'evidence (an SNP report or a TDX quote)',
  crl: 'a CRL',
  policy: 'a policy file',
  collateral: 'collateral',
  corim: 'a CoRIM document or signature',
  firmware: 'a firmware image',
  kernel: 'a kernel',
  initrd: 'an initrd',
  igvmStream: 'an IGVM file read from a pipe',
  steps: 'a launch step list',
  other: 'an input file',
};

/** The kind of input an option reads, from its label as the CLI names it (`--vcek`, `evidence`). */
export function inputKindOf(label: string): InputKind {
  const name = label.replace(/^--/, '');
  switch (name) {
    case 'vcek':
    case 'chain':
    case 'root':
    case 'cert':
      return 'certificate';
    case 'id-key':
    case 'author-key':
    case 'id-public-key':
    case 'author-public-key':
    case 'trusted-id-key':
    case 'trusted-author-key':
    case 'sign':
      return 'key';
    case 'id-signature':
    case 'author-signature':
      return 'signature';
    case 'ap-vmsa':
      return 'vmsa';
    case 'evidence':
      return 'evidence';
    case 'crl':
      return 'crl';
    case 'policy':
      return 'policy';
    case 'collateral':
      return 'collateral';
    case 'corim':
    case 'corim-signature':
      return 'corim';
    case 'firmware':
    case 'svsm':
      return 'firmware';
    case 'kernel':
      return 'kernel';
    case 'steps':
      return 'steps';
    case 'initrd':
      return 'initrd';
    default:
      return 'other';
  }
}

/** A byte count the way the caps are written: 64 KiB, 1 MiB, 4 GiB. */
export function formatCap(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/** `--vcek x.pem` or `evidence x.bin` or `standard input (--vcek)`, for messages. */
export function describeInput(label: string, path: string): string {
  return path === '-' ? `${label} - (standard input)` : `${label} ${path}`;
}

/** The message of an input past its cap. */
export function tooLargeMessage(label: string, path: string, kind: InputKind, cap = INPUT_CAPS[kind]): string {
  return `${describeInput(label, path)} is larger than the ${formatCap(cap)} cap for ${KIND_NAMES[kind]}`;
}

/** How `readInputBytes` reads. */
export interface ReadInputOptions {
  /** Names the input in messages: `--vcek`, `evidence`, `FILE`. */
  readonly label: string;
  /** The kind of input, which sets the cap (default: from `label`). */
  readonly kind?: InputKind;
  /** A cap other than the kind's. */
  readonly cap?: number;
}

/**
 * Refuses what is not a regular file, a FIFO or (for standard input) a pipe or socket: a
 * directory, a character device (`/dev/zero`, a terminal), a block device.
 */
export function refuseNonFile(st: Stats, label: string, path: string): void {
  if (st.isFile() || st.isFIFO() || (path === '-' && st.isSocket())) return;
  const what = st.isDirectory()
    ? 'a directory'
    : st.isCharacterDevice()
      ? 'a character device'
      : st.isBlockDevice()
        ? 'a block device'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file';
  throw new InputError('NotAFile', `${describeInput(label, path)} is ${what}; give a regular file${path === '-' ? '' : ", a FIFO or '-'"}`, path);
}

/** Resolves `path`'s links; `undefined` when it cannot be resolved. */
function resolvedPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Opens an input for reading after refusing directories and devices (checked on the path
 * first, so a device is never opened, then on the open descriptor). `-` is standard input:
 * claimed once per run and never closed. Records the input for the run.
 */
export function openInputFd(path: string, label: string): { fd: number; stat: Stats; owned: boolean } {
  if (path === '-') {
    claimStdin(label);
    let st: Stats;
    try {
      st = fstatSync(0);
    } catch (e) {
      throw new InputError('ReadFailed', `cannot read ${describeInput(label, path)}: ${fsReason(e).why}`, path);
    }
    refuseNonFile(st, label, path);
    recordInput({ label, path, dev: st.dev, ino: st.ino, resolved: undefined });
    return { fd: 0, stat: st, owned: false };
  }
  let before: Stats;
  try {
    before = statSync(path);
  } catch (e) {
    const r = fsReason(e);
    throw new InputError(r.code, `cannot read ${describeInput(label, path)}: ${r.why}`, path);
  }
  refuseNonFile(before, label, path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const r = fsReason(e);
    throw new InputError(r.code, `cannot read ${describeInput(label, path)}: ${r.why}`, path);
  }
  try {
    const st = fstatSync(fd);
    // Replaced by a device between the stat and the open: refuse it all the same.
    refuseNonFile(st, label, path);
    recordInput({ label, path, dev: st.dev, ino: st.ino, resolved: resolvedPath(path) ?? resolve(path) });
    return { fd, stat: st, owned: true };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** `readSync` that waits out EAGAIN (standard input may be a non-blocking pipe). */
export function readSome(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number {
  for (;;) {
    try {
      return readSync(fd, buf, offset, length, position);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * Reads a whole input (a regular file, a FIFO or `-`) of at most its cap. Throws `InputError`:
 * `NotFound`, `PermissionDenied`, `NotAFile` (directories, devices), `TooLarge` (more than the
 * cap: reading stops at the cap plus one byte), `ReadFailed`.
 */
export function readInputBytes(path: string, options: ReadInputOptions): Uint8Array {
  const kind = options.kind ?? inputKindOf(options.label);
  const cap = options.cap ?? INPUT_CAPS[kind];
  const { label } = options;
  const { fd, stat, owned } = openInputFd(path, label);
  try {
    if (stat.isFile() && stat.size > cap) throw new InputError('TooLarge', tooLargeMessage(label, path, kind, cap), path);
    // A regular file's size is a real bound, not a claim of the input; pipes start small and
    // grow by doubling, never past the cap. A full buffer is probed with one more byte, so a file
    // that is exactly as large as it said is read without a copy.
    let buf = new Uint8Array(Math.min(cap, stat.isFile() && stat.size > 0 ? stat.size : 64 * KiB));
    let total = 0;
    // Positional reads from 0 for a named regular file; the current offset for standard input.
    const positional = owned && stat.isFile();
    const read = (target: Uint8Array, at: number, length: number): number => {
      try {
        return readSome(fd, target, at, length, positional ? total : null);
      } catch (e) {
        throw new InputError('ReadFailed', `cannot read ${describeInput(label, path)}: ${fsReason(e).why}`, path);
      }
    };
    const probe = new Uint8Array(1);
    for (;;) {
      if (total === buf.length) {
        if (read(probe, 0, 1) === 0) return buf;
        if (total + 1 > cap) throw new InputError('TooLarge', tooLargeMessage(label, path, kind, cap), path);
        const bigger = new Uint8Array(Math.min(cap, Math.max(buf.length * 2, 64 * KiB)));
        bigger.set(buf);
        bigger[total++] = probe[0]!;
        buf = bigger;
        continue;
      }
      const n = read(buf, total, buf.length - total);
      if (n === 0) break;
      total += n;
    }
    return buf.slice(0, total);
  } finally {
    if (owned) closeSync(fd);
  }
}
