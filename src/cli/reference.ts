/**
 * `igvm-measure reference FILE [--format json|corim] [--svn N] [--profile P] [-o OUT]
 * [--sign KEY --cert CERT]`: the reference values of every measurable platform
 * (`referenceValues`, `referenceCorims` in src/sign/reference.ts), as JSON or as
 * launch-measurement CoRIMs (spec/vbs-cca-corim.md §3.3), optionally signed with a detached
 * COSE_Sign1 (PS384, §3.4); this file names the output files and prints.
 */
import { statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PLATFORM_SELECTORS, PROFILE_NAMES, type PlatformSelector, type ProfileName } from '../measure/index.js';
import { CorimError } from '../sign/corim-errors.js';
import { importRsaPrivateKey, readCertificates, signDetachedCoseSign1 } from '../sign/cose.js';
import { referenceCorims, referenceValues, type ReferenceCorim } from '../sign/reference.js';
import { onePath, type CliIo, type Command } from './command.js';
import { measureWithProgress, readInputFile, reportCorimError } from './release.js';
import { printWarnings, writeFileAtomically } from './output.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { withIgvmFile, choice, fileSha256, sha256Hex } from './input.js';
import { stringify, toJson, u64Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure reference FILE [options]

Reference values of an IGVM file for release pipelines and verifiers: the
launch digest of every measurable platform (SEV-SNP launch digest, TDX MRTD,
VBS boot digest; SEV / SEV-ES digests in JSON only), as JSON or as CoRIM
documents of the upstream igvm crate's launch-measurement profile
(tag:microsoft.com,2026:launch-measurement/v1), which defines no SEV or
SEV-ES measurement. Platforms that are not measurable (NATIVE, CCA) are left out.

Options:
  --format F        json (default) or corim
  --profile P       loader profile the digests are computed under: igvm
                    (default), qemu or igvmmeasure (see 'measure --help')
  --platform P      snp, tdx, vbs or all (default all)
  -o, --output OUT  json: write the JSON document to OUT instead of stdout.
                    corim: required; where the CoRIMs go:
                      - OUT is an existing directory: one file per platform,
                        DIR/<FILE's name without extension>-<platform>.cbor
                      - exactly one CoRIM: OUT itself
                      - several CoRIMs: OUT with -<platform> inserted before
                        its extension (ref.cbor -> ref-snp.cbor, ref-tdx.cbor,
                        ref-vbs.cbor; .cbor added when OUT has none)
                    <platform> is snp, tdx or vbs, followed by -0x<mask> when
                    the file has several platforms of that type.
  --svn N           corim: the exact SVN (#6.552) each CoRIM endorses,
                    0 to 2^64-1 (default 0)
  --sign KEY        corim: also sign each CoRIM with a detached COSE_Sign1,
                    PS384 (RSA-PSS, SHA-384), the algorithm openvmm accepts.
                    KEY is an RSA private key, PKCS#8 PEM or DER.
  --cert CERT       the signer's certificate (PEM or DER; a chain leaf first),
                    carried in the signature's protected x5chain header.
                    The signature of <name>.cbor is written to <name>.cose.
  --issuer TEXT     the signature's CWT issuer claim (default: the
                    certificate's subject)
  --json            corim: print {file, sha256, profile, svn, corims:
                    [{platform_type, compatibility_mask, algorithm, digest,
                    document, document_sha256, signature}]} on stdout
  -h, --help        show this help

JSON format: {"file", "sha256", "reference_values": [{"platform_type",
"compatibility_mask", "algorithm", "digest", "profile"}]}, digests in
lowercase hex. Pass the CoRIM files to 'igvm-measure embed' to store them in
the IGVM file.

Exit codes: 0 every selected measurable platform has reference values, 1 FILE,
KEY or CERT is unreadable or invalid, 2 usage error, 3 a platform could not be
measured (the others are still written) or there is none.`;

const SHORT: Record<string, string> = { SEV_SNP: 'snp', TDX: 'tdx', VSM_ISOLATION: 'vbs' };

/** An SVN: a whole number 0..2^64-1, decimal or 0x hex. */
function parseSvn(text: string | undefined): bigint {
  if (text === undefined) return 0n;
  const t = text.trim();
  const v = /^\d{1,20}$/.test(t) ? BigInt(t) : /^0[xX][0-9a-fA-F]{1,16}$/.test(t) ? BigInt(t) : -1n;
  if (v < 0n || v >= 1n << 64n) throw new UsageError(`--svn takes a whole number from 0 to 2^64-1, not '${text}'`);
  return v;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where each CoRIM goes (see the help text): OUT for one CoRIM, OUT with a platform suffix for
 * several, DIR/<stem>-<platform>.cbor for a directory.
 */
export function corimPaths(out: string, file: string, corims: readonly { platformType: string; compatibilityMask: number }[]): string[] {
  const suffix = corims.map((c) => {
    const short = SHORT[c.platformType] ?? c.platformType.toLowerCase();
    const same = corims.filter((o) => o.platformType === c.platformType).length;
    return same > 1 ? `${short}-0x${c.compatibilityMask.toString(16)}` : short;
  });
  if (isDirectory(out) || out.endsWith('/')) {
    const name = basename(file);
    const stem = extname(name) === '' ? name : name.slice(0, -extname(name).length);
    return suffix.map((s) => join(out, `${stem}-${s}.cbor`));
  }
  if (corims.length === 1) return [out];
  const ext = extname(basename(out));
  const base = ext === '' ? out : out.slice(0, -ext.length);
  return suffix.map((s) => `${base}-${s}${ext === '' ? '.cbor' : ext}`);
}

/** The detached signature's path next to a CoRIM document: <name>.cose. */
export function signaturePath(documentPath: string): string {
  const ext = extname(basename(documentPath));
  const base = ext === '' ? documentPath : documentPath.slice(0, -ext.length);
  const p = `${base}.cose`;
  return p === documentPath ? `${documentPath}.sig.cose` : p;
}

export const referenceCommand: Command = {
  name: 'reference',
  help: HELP,
  options: {
    format: { type: 'string' },
    profile: { type: 'string' },
    platform: { type: 'string' },
    output: { type: 'string', short: 'o' },
    svn: { type: 'string' },
    sign: { type: 'string' },
    cert: { type: 'string' },
    issuer: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io: CliIo) {
    const json = values.json === true;
    const path = onePath(positionals, 'reference');
    const format = choice('--format', values.format as string | undefined, ['json', 'corim'] as const, 'json');
    const profile = choice<ProfileName>('--profile', values.profile as string | undefined, PROFILE_NAMES, 'igvm');
    const platform = choice<PlatformSelector>('--platform', values.platform as string | undefined, PLATFORM_SELECTORS, 'all');
    const out = values.output as string | undefined;
    const keyPath = values.sign as string | undefined;
    const certPath = values.cert as string | undefined;
    const issuer = values.issuer as string | undefined;
    if (format === 'json') {
      for (const o of ['svn', 'sign', 'cert', 'issuer'] as const) {
        if (values[o] !== undefined) throw new UsageError(`--${o} applies to --format corim`);
      }
    } else if (out === undefined) {
      throw new UsageError('--format corim writes binary files and needs -o OUT (a file, a base name or a directory)');
    }
    if ((keyPath === undefined) !== (certPath === undefined)) throw new UsageError('--sign KEY and --cert CERT go together');
    if (issuer !== undefined && keyPath === undefined) throw new UsageError('--issuer needs --sign');
    const svn = parseSvn(values.svn as string | undefined);

    try {
      // Read and check the signing inputs before the (possibly long) measurement.
      const signer =
        keyPath === undefined || certPath === undefined
          ? undefined
          : { privateKey: await importRsaPrivateKey(readInputFile(keyPath, '--sign')), certificates: readCertificates(readInputFile(certPath, '--cert')) };

      return await withIgvmFile(path, {}, async (file, source) => {
        const result = await measureWithProgress(file, path, source.size, { profile, platform }, io);
        for (const p of result.platforms) {
          if ('error' in p) io.stderr(`igvm-measure reference: ${p.platformType} mask 0x${p.compatibilityMask.toString(16)} could not be measured: ${p.error.code}: ${p.error.message}\n`);
          printWarnings(io, p);
        }
        const failed = result.platforms.some((p) => 'error' in p);
        const refs = referenceValues(file, result);
        if (refs.length === 0) io.stderr(`igvm-measure reference: ${path} has no measurable ${platform === 'all' ? '' : `${platform.toUpperCase()} `}platform\n`);
        const code = failed || refs.length === 0 ? EXIT_CHECK_FAILED : EXIT_OK;

        if (format === 'json') {
          const doc = stringify({ file: path, sha256: fileSha256(source), reference_values: refs.map((v) => toJson(v)) });
          if (out === undefined) io.stdout(doc);
          else await writeFileAtomically(out, [new TextEncoder().encode(doc)]);
          return code;
        }

        const corims: ReferenceCorim[] = referenceCorims(file, result, { svn });
        const paths = corimPaths(out!, path, corims);
        const written = [];
        for (let i = 0; i < corims.length; i++) {
          const c = corims[i]!;
          const docPath = paths[i]!;
          let sigPath: string | null = null;
          let signature: Uint8Array | undefined;
          if (signer !== undefined) {
            signature = await signDetachedCoseSign1(c.corim, { ...signer, ...(issuer === undefined ? {} : { issuer }) });
            sigPath = signaturePath(docPath);
          }
          await writeFileAtomically(docPath, [c.corim]);
          if (signature !== undefined) await writeFileAtomically(sigPath!, [signature]);
          const v = refs.find((r) => r.compatibilityMask === c.compatibilityMask && r.platformType === c.platformType)!;
          written.push({ c, v, docPath, sigPath, signature });
        }
        if (json) {
          io.stdout(
            stringify({
              file: path,
              sha256: fileSha256(source),
              profile: result.profile,
              svn: u64Json(svn),
              corims: written.map((w) => ({
                platform_type: w.c.platformType,
                compatibility_mask: w.c.compatibilityMask,
                algorithm: w.v.algorithm,
                digest: bytesToHex(w.v.digest),
                document: w.docPath,
                document_sha256: sha256Hex(w.c.corim),
                signature: w.sigPath,
              })),
            }),
          );
        } else {
          for (const w of written) {
            io.stdout(
              `${w.c.platformType.padEnd(14)} mask 0x${w.c.compatibilityMask.toString(16).padEnd(8)} ${w.docPath} (${w.c.corim.length} bytes)${w.sigPath === null ? '' : `, signature ${w.sigPath} (${w.signature!.length} bytes)`}\n`,
            );
          }
        }
        return code;
      });
    } catch (e) {
      if (e instanceof CorimError) return reportCorimError(e, 'reference', json, io);
      throw e;
    }
  },
};
