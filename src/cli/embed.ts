/**
 * `igvm-measure embed FILE --corim DOC [--corim-signature SIG] [--mask N] -o OUT`: stores a
 * CoRIM document and its detached COSE_Sign1 in an IGVM file as CORIM_DOCUMENT /
 * CORIM_SIGNATURE initialization headers (spec/igvm-format.md §6.5, spec/vbs-cca-corim.md
 * §3.4; the rules are `embedCorim` in src/sign/corim-embed.ts), and checks them against the
 * file before writing.
 */
import type { IgvmFile } from '../format/index.js';
import { IgvmRewriteError } from '../node/igvm-rewrite.js';
import { hexNumber } from '../format/bytes.js';
import type { Check } from '../pki/check.js';
import { PROFILE_NAMES, type PlatformSelector } from '../measure/index.js';
import { CorimError } from '../sign/corim-errors.js';
import { decodeLaunchMeasurementCorim, readUnsignedCorim, type LaunchMeasurementPlatform } from '../sign/corim.js';
import { decodeCoseSign1 } from '../sign/cose.js';
import { corimInput, embedCorim } from '../sign/corim-embed.js';
import { verifyEmbeddedCorim } from '../sign/corim-verify.js';
import { onePath, type CliIo, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_INVALID_INPUT, EXIT_OK, UsageError } from './errors.js';
import { choice, fileSha256, sha256Hex } from './input.js';
import { rewriteIgvmFile } from './rewrite.js';
import { checkLines, reportCodedError } from './output.js';
import { measureWithProgress, readInputFile, reportCorimError } from './release.js';
import { stringify, type Json } from './json.js';

const HELP = `Usage: igvm-measure embed FILE --corim DOC [--corim-signature SIG] [--mask N] -o OUT

Store a CoRIM document, and optionally its detached COSE_Sign1 signature, in an
IGVM file as CORIM_DOCUMENT / CORIM_SIGNATURE initialization headers. They are
appended after the file's other initialization headers (document, then
signature); these headers are never part of a launch measurement, so the
file's digests do not change. FILE itself is never modified: OUT must be another file.

Before writing, the new headers are checked as 'verify' would: the document's
reference digest must equal the digest computed for the platform its mask
names, and the signature must verify over the document. Nothing is written
when a check fails (exit 3). --no-verify skips these checks (and the
measurement they need).

Options:
  --corim DOC             the unsigned CoRIM (#6.501), e.g. from
                          'igvm-measure reference --format corim'. A signed
                          CoRIM (COSE_Sign1 with the document attached) is
                          split into the document and a detached signature.
  --corim-signature SIG   a detached COSE_Sign1 (PS384) over DOC, e.g. from
                          'igvm-measure reference --format corim --sign'
  --mask N                compatibility mask of both headers (decimal or 0x
                          hex). Default: the mask of FILE's platform header of
                          the CoRIM's platform (launch-measurement profile:
                          AMD/SEV-SNP, Intel/TDX, Microsoft/VBS). Required for a
                          CoRIM of another profile, or when FILE has several
                          platform headers of that type.
  -o, --output OUT        the new IGVM file, written atomically (a temporary
                          file in OUT's directory, then a rename). Existing
                          CoRIM headers of the same mask are replaced.
  --profile P             loader profile of the digest check: igvm (default),
                          qemu or igvmmeasure
  --no-verify             do not measure FILE nor check the new headers
  --json                  one JSON document: {file, output, sha256,
                          compatibility_mask, platform_type, document,
                          signature, replaced, checks: [{name, ok, detail}],
                          written}
  -h, --help              show this help

Exit codes: 0 written, 1 FILE, DOC or SIG is unreadable or malformed, 2 usage
error, 3 a check failed (nothing written).`;

/** A u32 compatibility mask from decimal or 0x-hex text. */
export function parseMask(text: string): number {
  const t = text.trim();
  const v = /^0[xX][0-9a-fA-F]{1,8}$/.test(t) ? parseInt(t.slice(2), 16) : /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new UsageError(`--mask takes a non-zero 32-bit mask (decimal or 0x hex), not '${text}'`);
  return v >>> 0;
}

const SELECTOR: Record<LaunchMeasurementPlatform, PlatformSelector> = { SEV_SNP: 'snp', TDX: 'tdx', VSM_ISOLATION: 'vbs' };


/** The mask of `file`'s one platform header of `platform`. */
function derivedMask(file: IgvmFile, platform: LaunchMeasurementPlatform, path: string): number {
  const headers = file.platforms.filter((p) => p.platformType === platform);
  if (headers.length === 0) throw new CorimError('NoMatchingPlatform', `the CoRIM describes ${platform}, and ${path} has no ${platform} platform`);
  if (headers.length > 1) {
    throw new UsageError(`${path} has ${headers.length} ${platform} platforms (masks ${headers.map((h) => hexNumber(h.compatibilityMask)).join(', ')}); choose one with --mask`);
  }
  return headers[0]!.compatibilityMask;
}

export const embedCommand: Command = {
  name: 'embed',
  help: HELP,
  options: {
    corim: { type: 'string' },
    'corim-signature': { type: 'string' },
    mask: { type: 'string' },
    output: { type: 'string', short: 'o' },
    profile: { type: 'string' },
    'no-verify': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io: CliIo) {
    const json = values.json === true;
    const path = onePath(positionals, 'embed');
    const docPath = values.corim as string | undefined;
    const sigPath = values['corim-signature'] as string | undefined;
    const out = values.output as string | undefined;
    if (docPath === undefined) throw new UsageError('embed needs --corim DOC');
    if (out === undefined) throw new UsageError('embed needs -o OUT');
    const profile = choice('--profile', values.profile as string | undefined, PROFILE_NAMES, 'igvm');
    const explicitMask = values.mask === undefined ? undefined : parseMask(values.mask as string);
    const noVerify = values['no-verify'] === true;

    try {
      let document = readInputFile(docPath, '--corim');
      let signature = sigPath === undefined ? undefined : readInputFile(sigPath, '--corim-signature');
      // A signed CoRIM (COSE_Sign1 with the document attached) is split (vbs-cca-corim.md §3.4).
      let split = false;
      const input = corimInput(document);
      if (input === 'detached') throw new CorimError('SignedCorim', `--corim ${docPath} is a COSE_Sign1 with a detached payload; pass the document as --corim and this file as --corim-signature`);
      if (input.signature !== undefined) {
        if (signature !== undefined) throw new UsageError(`--corim ${docPath} is a signed CoRIM that carries its own signature; drop --corim-signature`);
        document = input.document;
        signature = input.signature;
        split = true;
        readUnsignedCorim(document);
      }
      // The signature must at least be a COSE_Sign1; whether it verifies is a check below.
      if (signature !== undefined) decodeCoseSign1(signature);
      let platform: LaunchMeasurementPlatform | undefined;
      try {
        platform = decodeLaunchMeasurementCorim(document).platformType;
      } catch (e) {
        // Another profile is embeddable with an explicit mask (§6.5: contents are not validated).
        if (!(e instanceof CorimError)) throw e;
        if (explicitMask === undefined) {
          throw new CorimError(e.code, `${e.message}; the platform of --corim ${docPath} is unknown, give --mask to embed it anyway`, e.offset);
        }
      }

      // FILE's data is read once, into OUT's temporary file (rewrite.ts); the checks are made
      // against that file (its digests and the CoRIM headers as written), and OUT is replaced
      // only when they pass. CoRIM headers are never measured, so the digests are FILE's.
      let m = 0;
      let replaced = 0;
      const prepare = (file: IgvmFile): IgvmFile => {
        m = explicitMask ?? derivedMask(file, platform!, path);
        const all = file.platforms.reduce((acc, p) => acc | p.compatibilityMask, 0);
        if ((m & ~all) !== 0) throw new UsageError(`--mask ${hexNumber(m)} has bits that are no platform of ${path} (platform masks ${hexNumber(all)})`);
        const embedded = embedCorim(file, m, document, signature);
        if ('overlapping' in embedded) {
          const h = embedded.overlapping;
          throw new UsageError(`the file has a ${h.kind} for mask ${hexNumber(h.compatibilityMask)}, which overlaps --mask ${hexNumber(m)} without being equal; use --mask ${hexNumber(h.compatibilityMask)} to replace it`);
        }
        replaced = embedded.replaced;
        return embedded.file;
      };
      const result = await rewriteIgvmFile(path, out, prepare, async ({ file: written, source }) => {
        let checks: Check[] = [];
        if (!noVerify) {
          // A derived mask is that platform's alone; an explicit one may name any platform, and
          // every platform it names must be measured for its check to be made.
          const selector = platform === undefined || explicitMask !== undefined ? 'all' : SELECTOR[platform];
          const measured = await measureWithProgress(written, out, source.size, { profile, platform: selector }, io);
          const corims = written.initializations.filter((h) => (h.kind === 'CORIM_DOCUMENT' || h.kind === 'CORIM_SIGNATURE') && h.compatibilityMask === m);
          checks = await verifyEmbeddedCorim({ ...written, initializations: corims }, measured);
        }
        const keep = !checks.some((c) => c.ok === false);
        return { keep, value: { checks, sha256: keep && json ? fileSha256(source) : null } };
      });
      const checks = result.checks;
      const failed = checks.some((c) => c.ok === false);
      const write = !failed;
      const outSha = result.sha256;
      if (json) {
        const doc: Json = { size: document.length, sha256: sha256Hex(document) };
        io.stdout(
          stringify({
            file: path,
            output: out,
            sha256: outSha,
            compatibility_mask: m,
            platform_type: platform ?? null,
            document: split ? { ...doc, split_from: docPath } : doc,
            signature: signature === undefined ? null : { size: signature.length, sha256: sha256Hex(signature) },
            replaced,
            checks: checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail })),
            written: write,
          }),
        );
      } else {
        io.stderr(checkLines(checks));
        if (write) {
          io.stdout(`wrote ${out}: CORIM_DOCUMENT (${document.length} bytes)${signature === undefined ? '' : ` and CORIM_SIGNATURE (${signature.length} bytes)`} for mask ${hexNumber(m)}${replaced > 0 ? `, replacing ${replaced} CoRIM header(s)` : ''}\n`);
        }
      }
      if (failed) {
        io.stderr(`igvm-measure embed: a check failed; ${out} not written\n`);
        return EXIT_CHECK_FAILED;
      }
      return EXIT_OK;
    } catch (e) {
      if (e instanceof CorimError) return reportCorimError(e, 'embed', json, io);
      if (e instanceof IgvmRewriteError) return reportCodedError(e, 'embed', json, io, EXIT_INVALID_INPUT);
      throw e;
    }
  },
};
