/**
 * `igvm-measure sign FILE -o OUT --id-key PEM [--author-key PEM] [--family-id HEX]
 * [--image-id HEX] [--version N] [--svn N] [--profile P]` and the out-of-band forms
 * (`--emit-tbs OUT`, `--id-signature FILE --id-public-key PEM` and the author equivalents):
 * argument parsing and printing around `signIgvmDetailed` and `soleIdBlockToBeSigned`
 * (src/sign/sign-igvm.ts, spec/snp.md §3).
 *
 * FILE is only read, and its page data only once, in bounded chunks (node/igvm-rewrite.ts):
 * OUT is built as a temporary file in OUT's directory (atomic-output.ts), its data copied from
 * FILE with a zeroed ID block in place, then parsed and measured again from what was written,
 * signed, its header rewritten, parsed once more and only then renamed over OUT. So the ID
 * block's launch digest is that of the bytes in OUT, a reader never sees a half-written file,
 * and a failure, a refused signature or a kill leaves OUT as it was.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IgvmFile, SnpIdBlockHeader } from '../format/index.js';
import { IgvmRewriteError, rewriteIgvmHeaders } from '../node/igvm-rewrite.js';
import { PROFILE_NAMES, type MeasurementResult, type ProfileName } from '../measure/index.js';
import { SignError } from '../sign/errors.js';
import { authorToBeSigned } from '../sign/id-block.js';
import { snpKeyDigest } from '../sign/keys.js';
import { draftSignedIgvm, signIgvmDetailed, soleIdBlockToBeSigned, type IdBlockOptions, type SignOptions } from '../sign/sign-igvm.js';
import type { CliIo, Command, CommandArgs } from './command.js';
import { EXIT_INVALID_INPUT, EXIT_OK, UsageError } from './errors.js';
import { hexOption, readInput } from './evidence-input.js';
import type { OutputDecision } from './atomic-output.js';
import { rewriteIgvmFile, type WrittenOutput } from './rewrite.js';
import { choice, withIgvmFile } from './input.js';
import { printWarnings, reportCodedError, writeFileAtomically } from './output.js';
import { measureWithProgress, privateKeyOption, publicKeyOption, reportSignError, stringOption } from './release.js';
import { stringify, u64Json, type Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure sign FILE -o OUT --id-key PEM [options]
       igvm-measure sign FILE --emit-tbs TBS [options]
       igvm-measure sign FILE -o OUT --id-signature SIG --id-public-key PEM [options]

Add a signed SEV-SNP ID block to an IGVM file. For each SEV_SNP platform the
launch digest is computed here, the guest policy is taken from the platform's
GUEST_POLICY header, and the 96-byte ID block (launch digest, family ID, image
ID, version, guest SVN, policy) is signed with the ID key (ECDSA P-384 with
SHA-384). The author key, when given, signs the ID key. OUT is FILE plus one
SNP_ID_BLOCK directive per SEV_SNP platform: an existing one is replaced in
place, otherwise the new one is appended after the last directive (no loader
measures it, so no digest changes). FILE is never modified; OUT is written
atomically (a temporary file in OUT's directory, then a rename).

Keys are PEM (or DER): PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY" private
keys, SPKI "PUBLIC KEY" public keys. They must be ECDSA P-384.

Options:
  -o, --output OUT          the signed IGVM file to write
  --id-key PEM              the ID key (private)
  --author-key PEM          the author key (private), signs the ID key (optional)
  --family-id HEX           FAMILY_ID, up to 16 bytes, zero-padded (default zeros)
  --image-id HEX            IMAGE_ID, up to 16 bytes, zero-padded (default zeros)
  --version N               ID block VERSION; the SEV-SNP ABI defines only 1 (default 1)
  --svn N                   GUEST_SVN, 0 to 4294967295 (default 0)
  --profile P               whose launch digest goes into the ID block (default igvm):
                              igvm         microsoft/igvm (Hyper-V, OpenHCL)
                              qemu         QEMU/KVM (one vCPU)
                              igvmmeasure  COCONUT igvmmeasure
  --json                    one JSON document: {file, output, profile, platforms: [...]}
  -h, --help                show this help

Signing elsewhere (HSM, cloud KMS, openssl):
  --emit-tbs TBS            write the 96-byte ID block to be signed (ECDSA P-384,
                            SHA-384 over these bytes) to TBS instead of signing;
                            give the same --family-id/--image-id/--version/--svn/
                            --profile when you bring the signature back
  --emit-author-tbs TBS     write the 1028-byte ID key (AMD layout) the author key
                            signs; needs --id-public-key or --id-key (FILE optional)
  --id-signature SIG        the ID block's signature: DER, raw r||s (96 bytes) or
                            AMD's layout (144 or 512 bytes)
  --id-public-key PEM       the ID key's public key; the signature must verify with it
  --author-signature SIG    the author key's signature over the ID key
  --author-public-key PEM   the author key's public key
  A signature that does not verify is refused and nothing is written.

  Example: igvm-measure sign guest.igvm --emit-tbs guest.tbs
           openssl dgst -sha384 -sign id.pem -out guest.sig guest.tbs
           igvm-measure sign guest.igvm -o signed.igvm --id-signature guest.sig \\
             --id-public-key id.pub

Exit codes: 0 written, 1 unreadable or invalid input (file, key, signature),
2 usage error, 3 the file cannot be signed (the platform cannot be measured, or
its policy is unknown) or a signature does not verify.`;

function u32Option(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 0xffff_ffff) throw new UsageError(`${name} takes a whole number from 0 to 4294967295, not '${v}'`);
  return Number(v);
}

/** A 16-byte ID from up to 16 bytes of hex, zero-padded at the end. */
function idOption(name: string, v: string | undefined): Uint8Array | undefined {
  const bytes = hexOption(name, v);
  if (bytes === undefined) return undefined;
  if (bytes.length > 16) throw new UsageError(`${name} is at most 16 bytes (32 hex digits), not ${bytes.length}`);
  const out = new Uint8Array(16);
  out.set(bytes);
  return out;
}

/** The same file, also through symbolic links, when both exist. */
function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

function platformJson(h: SnpIdBlockHeader, launchDigest: Uint8Array, policy: bigint): Json {
  return {
    compatibility_mask: h.compatibilityMask,
    launch_digest: bytesToHex(launchDigest),
    policy: u64Json(policy),
    family_id: bytesToHex(h.familyId),
    image_id: bytesToHex(h.imageId),
    version: h.version,
    guest_svn: h.guestSvn,
    id_key_digest: bytesToHex(snpKeyDigest(h.idPublicKey)),
    author_key_digest: h.authorKeyEnabled !== 0 ? bytesToHex(snpKeyDigest(h.authorPublicKey)) : null,
  };
}

interface Plan {
  readonly path: string | undefined;
  readonly output: string | undefined;
  readonly emitTbs: string | undefined;
  readonly emitAuthorTbs: string | undefined;
  readonly json: boolean;
  readonly fields: IdBlockOptions;
  readonly profile: ProfileName;
}

function planOf(values: CommandArgs['values'], positionals: readonly string[]): Plan {
  const opt = (name: string): string | undefined => stringOption(values, name);
  const output = opt('output');
  const emitTbs = opt('emit-tbs');
  const emitAuthorTbs = opt('emit-author-tbs');
  if (positionals.length > 1) throw new UsageError('sign takes one FILE');
  const path = positionals[0];
  const emitting = emitTbs !== undefined || emitAuthorTbs !== undefined;
  if (emitting) {
    if (output !== undefined) throw new UsageError('--emit-tbs and --emit-author-tbs write what is to be signed instead of the signed file; leave out -o');
    for (const n of ['id-signature', 'author-signature', 'author-key', 'author-public-key']) {
      if (opt(n) !== undefined) throw new UsageError(`--${n} is for signing; with --emit-tbs/--emit-author-tbs only the bytes to be signed are written`);
    }
    if (emitTbs !== undefined && opt('id-key') !== undefined) throw new UsageError('--emit-tbs is for signing elsewhere; with --id-key, sign directly with -o OUT');
    if (emitAuthorTbs !== undefined && opt('id-public-key') === undefined && opt('id-key') === undefined) {
      throw new UsageError('--emit-author-tbs needs the ID key: --id-public-key PEM (or --id-key PEM)');
    }
    if (emitTbs !== undefined && path === undefined) throw new UsageError('--emit-tbs needs a FILE');
  } else {
    if (path === undefined) throw new UsageError('sign needs a FILE');
    if (output === undefined) throw new UsageError('sign needs -o OUT (or --emit-tbs TBS to sign elsewhere)');
    const idKey = opt('id-key') !== undefined;
    const idSig = opt('id-signature') !== undefined;
    const idPub = opt('id-public-key') !== undefined;
    if (idKey && (idSig || idPub)) throw new UsageError('give --id-key, or --id-signature with --id-public-key, not both');
    if (!idKey && !idSig) throw new UsageError('sign needs --id-key PEM, or --id-signature SIG with --id-public-key PEM');
    if (idSig !== idPub) throw new UsageError('--id-signature and --id-public-key go together');
    const authorKey = opt('author-key') !== undefined;
    const authorSig = opt('author-signature') !== undefined;
    const authorPub = opt('author-public-key') !== undefined;
    if (authorKey && (authorSig || authorPub)) throw new UsageError('give --author-key, or --author-signature with --author-public-key, not both');
    if (authorSig !== authorPub) throw new UsageError('--author-signature and --author-public-key go together');
  }
  for (const out of [output, emitTbs, emitAuthorTbs]) {
    if (out !== undefined && path !== undefined && samePath(out, path)) throw new UsageError(`${out} is FILE itself; sign never modifies FILE, write elsewhere`);
  }
  if (emitTbs !== undefined && emitAuthorTbs !== undefined && samePath(emitTbs, emitAuthorTbs)) throw new UsageError('--emit-tbs and --emit-author-tbs name the same file');
  const profile = choice('--profile', opt('profile'), PROFILE_NAMES, 'igvm');
  const familyId = idOption('--family-id', opt('family-id'));
  const imageId = idOption('--image-id', opt('image-id'));
  const version = u32Option('--version', opt('version'));
  const guestSvn = u32Option('--svn', opt('svn'));
  const fields: IdBlockOptions = {
    profile,
    ...(familyId !== undefined ? { familyId } : {}),
    ...(imageId !== undefined ? { imageId } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(guestSvn !== undefined ? { guestSvn } : {}),
  };
  return { path, output, emitTbs, emitAuthorTbs, json: values.json === true, fields, profile };
}

async function measureSnp(file: IgvmFile, path: string, size: number, profile: ProfileName, io: CliIo): Promise<MeasurementResult> {
  const measured = await measureWithProgress(file, path, size, { platform: 'snp', profile }, io);
  for (const p of measured.platforms) printWarnings(io, p);
  return measured;
}

async function emit(plan: Plan, values: CommandArgs['values'], io: CliIo): Promise<number> {
  const doc: { [key: string]: Json } = { file: plan.path ?? null, profile: plan.profile };
  const lines: string[] = [];
  if (plan.emitTbs !== undefined) {
    const path = plan.path!;
    const tbs = await withIgvmFile(path, {}, async (file, source) => {
      const measured = await measureSnp(file, path, source.size, plan.profile, io);
      return soleIdBlockToBeSigned(file, { ...plan.fields, measured });
    });
    await writeFileAtomically(plan.emitTbs, [tbs.bytes]);
    doc.tbs = plan.emitTbs;
    doc.platforms = [{ compatibility_mask: tbs.compatibilityMask, launch_digest: bytesToHex(tbs.launchDigest), policy: u64Json(tbs.policy), id_block: bytesToHex(tbs.bytes) }];
    lines.push(
      `wrote the ${tbs.bytes.length}-byte ID block to be signed to ${plan.emitTbs}`,
      `  SEV_SNP mask 0x${tbs.compatibilityMask.toString(16)}: launch digest ${bytesToHex(tbs.launchDigest)} (profile ${plan.profile}), policy 0x${tbs.policy.toString(16)}`,
      `  sign it with ECDSA P-384/SHA-384, e.g.: openssl dgst -sha384 -sign ID_KEY.pem -out SIG ${plan.emitTbs}`,
      `  then: igvm-measure sign ${path} -o OUT --id-signature SIG --id-public-key ID_PUB.pem (same ID block options)`,
    );
  }
  if (plan.emitAuthorTbs !== undefined) {
    const idKey = (await publicKeyOption(values, 'id-public-key')) ?? (await privateKeyOption(values, 'id-key'))!;
    const bytes = authorToBeSigned(idKey.point);
    await writeFileAtomically(plan.emitAuthorTbs, [bytes]);
    doc.author_tbs = plan.emitAuthorTbs;
    doc.id_key_digest = bytesToHex(snpKeyDigest(idKey.point));
    lines.push(
      `wrote the ${bytes.length}-byte ID key (AMD layout) the author key signs to ${plan.emitAuthorTbs}`,
      `  ID key digest ${bytesToHex(snpKeyDigest(idKey.point))}`,
      `  then: --author-signature SIG --author-public-key AUTHOR_PUB.pem`,
    );
  }
  io.stdout(plan.json ? stringify(doc) : `${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** One signed platform, for the summary. */
export interface SignedPlatform {
  readonly header: SnpIdBlockHeader;
  readonly launchDigest: Uint8Array;
  readonly policy: bigint;
}

/**
 * What `sign` does with the written temporary file: measure it (so that the ID block's launch
 * digest is that of the bytes written, even if FILE changed after it was parsed), sign, and
 * rewrite its zeroed ID blocks in place (they carry no file data, so nothing moves).
 */
export function signWritten(options: SignOptions, profile: ProfileName, output: string, io: CliIo): (out: WrittenOutput) => Promise<OutputDecision<SignedPlatform[]>> {
  return async ({ file, source, fd, written }) => {
    const measured = await measureSnp(file, output, source.size, profile, io);
    const signed = await signIgvmDetailed(file, { ...options, measured });
    rewriteIgvmHeaders(fd, signed.file, written);
    return { keep: true, value: signed.idBlocks.map(({ block, header }) => ({ header, launchDigest: block.launchDigest, policy: block.policy })) };
  };
}

async function sign(plan: Plan, values: CommandArgs['values'], io: CliIo): Promise<number> {
  const path = plan.path!;
  const output = plan.output!;
  // Keys and signatures are read (and checked to be P-384) before the file is measured.
  const idKey = await privateKeyOption(values, 'id-key');
  const authorKey = await privateKeyOption(values, 'author-key');
  const idPublic = await publicKeyOption(values, 'id-public-key');
  const authorPublic = await publicKeyOption(values, 'author-public-key');
  const idSigPath = stringOption(values, 'id-signature');
  const authorSigPath = stringOption(values, 'author-signature');
  const options: SignOptions = {
    ...plan.fields,
    ...(idKey !== undefined ? { idKey } : {}),
    ...(authorKey !== undefined ? { authorKey } : {}),
    ...(idSigPath !== undefined && idPublic !== undefined ? { idSignature: { signature: readInput(idSigPath, '--id-signature'), publicKey: idPublic } } : {}),
    ...(authorSigPath !== undefined && authorPublic !== undefined
      ? { authorSignature: { signature: readInput(authorSigPath, '--author-signature'), publicKey: authorPublic } }
      : {}),
  };
  // FILE's data is read once, into OUT's temporary file (rewrite.ts), and what is measured and
  // signed is that file. The draft has a zeroed ID block where the signed one goes, and every
  // check that needs no measurement has been made on it.
  const summary = await rewriteIgvmFile(path, output, (file) => draftSignedIgvm(file, options), signWritten(options, plan.profile, output, io));
  if (plan.json) {
    io.stdout(stringify({ file: path, output, profile: plan.profile, platforms: summary.map((s) => platformJson(s.header, s.launchDigest, s.policy)) }));
  } else {
    const lines = [`signed ${path} -> ${output}`];
    for (const { header: h, launchDigest, policy } of summary) {
      lines.push(
        `  SEV_SNP mask 0x${h.compatibilityMask.toString(16)}: launch digest ${bytesToHex(launchDigest)} (profile ${plan.profile})`,
        `    policy 0x${policy.toString(16)}, family_id ${bytesToHex(h.familyId)}, image_id ${bytesToHex(h.imageId)}, version ${h.version}, guest_svn ${h.guestSvn}`,
        `    ID key digest     ${bytesToHex(snpKeyDigest(h.idPublicKey))}`,
        `    author key digest ${h.authorKeyEnabled !== 0 ? bytesToHex(snpKeyDigest(h.authorPublicKey)) : '(no author key)'}`,
      );
    }
    io.stdout(`${lines.join('\n')}\n`);
  }
  return EXIT_OK;
}

export const signCommand: Command = {
  name: 'sign',
  help: HELP,
  options: {
    output: { type: 'string', short: 'o' },
    'id-key': { type: 'string' },
    'author-key': { type: 'string' },
    'family-id': { type: 'string' },
    'image-id': { type: 'string' },
    version: { type: 'string' },
    svn: { type: 'string' },
    profile: { type: 'string' },
    'emit-tbs': { type: 'string' },
    'emit-author-tbs': { type: 'string' },
    'id-signature': { type: 'string' },
    'id-public-key': { type: 'string' },
    'author-signature': { type: 'string' },
    'author-public-key': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const plan = planOf(values, positionals);
    try {
      return plan.emitTbs !== undefined || plan.emitAuthorTbs !== undefined ? await emit(plan, values, io) : await sign(plan, values, io);
    } catch (e) {
      if (e instanceof SignError) return reportSignError(e, 'sign', plan.json, io);
      if (e instanceof IgvmRewriteError) return reportCodedError(e, 'sign', plan.json, io, EXIT_INVALID_INPUT);
      throw e;
    }
  },
};
