/**
 * `igvm-measure reference FILE [--format json|corim] [--svn N] [--profile P] [-o OUT]
 * [--sign KEY --cert CERT [--attached]] [--emit-tbs TBS --cert CERT] [--signature SIG --cert
 * CERT]`: the reference values of every measurable platform (`referenceValues`,
 * `referenceCorims` in src/sign/reference.ts), as JSON or as launch-measurement CoRIMs
 * (spec/vbs-cca-corim.md §3.3), optionally signed with a COSE_Sign1 (§3.4; PS384 with an RSA
 * key, ES384 with a P-384 one), detached or as a signed CoRIM, here or elsewhere (the
 * Sig_structure out, the signature back, as `sign --emit-tbs` does for ID blocks); this file
 * names the output files and prints.
 */
import { statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { PLATFORM_SELECTORS, PROFILE_NAMES, type PlatformSelector, type ProfileName } from '../measure/index.js';
import { CorimError } from '../sign/corim-errors.js';
import { completeCoseSign1, prepareCoseSign1, readCertificates, signCoseSign1, type CoseAlgorithmName } from '../sign/cose.js';
import { importCoseSigningKey, type CoseSigningKey } from '../sign/cose-algorithms.js';
import { referenceCorims, referenceValues, type ReferenceCorim } from '../sign/reference.js';
import { onePath, type CliIo, type Command } from './command.js';
import { measureWithProgress, readInputFile, reportCorimError } from './release.js';
import { printWarnings, reportCodedError, writeFileAtomically } from './output.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UsageError } from './errors.js';
import { withIgvmFile, choice, fileSha256, sha256Hex } from './input.js';
import { CCA_OPTIONS, ccaLoadOptionsOf } from './cca-options.js';
import { stringify, toJson, u64Json } from './json.js';
import { bytesToHex } from '../format/bytes.js';

const HELP = `Usage: igvm-measure reference FILE [options]

Reference values of an IGVM file for release pipelines and verifiers: the
launch digest of every measurable platform (SEV-SNP launch digest, TDX MRTD,
VBS boot digest; SEV / SEV-ES digests and the Arm CCA RIM in JSON only), as
JSON or as CoRIM documents of the upstream igvm crate's launch-measurement
profile (tag:microsoft.com,2026:launch-measurement/v1), which defines no SEV,
SEV-ES or CCA measurement. --format corim skips CCA platforms with a note: Arm's
CCA realm endorsement profile is published only as JSON templates, with no CBOR
encoding to check one against. NATIVE platforms are not measurable and are
left out.

Options:
  --format F        json (default) or corim
  --profile P       loader profile the digests are computed under: igvm
                    (default), qemu or igvmmeasure (see 'measure --help')
  --platform P      snp, tdx, vbs, sev, sev-es, cca or all (default all)
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
  --sign KEY        corim: also sign each CoRIM with a COSE_Sign1. The
                    algorithm follows the key: an RSA key signs PS384
                    (RSA-PSS, SHA-384; the only one openvmm accepts), an
                    ECDSA P-384 key ES384 (COSE alg -35). KEY is PEM or DER:
                    PKCS#8 "PRIVATE KEY" (RSA or P-384) or SEC1 "EC PRIVATE
                    KEY" (as for sign's ID keys). Other keys are refused.
  --cert CERT       the signer's certificate (PEM or DER; a chain leaf first),
                    carried in the signature's protected x5chain header; its
                    key must be the pair of KEY. The detached signature of
                    <name>.cbor is written to <name>.cose.
  --attached        write each CoRIM signed, as one file: a COSE_Sign1 (tag
                    18) with the CoRIM as payload (the CoRIM draft's
                    signed-corim), instead of <name>.cbor + <name>.cose.
                    'embed' splits it again.
  --issuer TEXT     the signature's CWT issuer claim (default: the
                    certificate's subject)
  --json            corim: print {file, sha256, profile, svn, corims:
                    [{platform_type, compatibility_mask, algorithm, digest,
                    document, document_sha256, signature, signed_corim,
                    signature_algorithm, tbs}]} on stdout
  -h, --help        show this help

Arm CCA: the RIM depends on realm parameters the host chooses and on loader
conventions no CCA loader confirms yet; the CCA options of 'measure' (--rmm,
--cca-ipa-bits, --cca-breakpoints, --cca-watchpoints, --cca-sve-vl,
--cca-pmu-counters, --cca-lpa2, --cca-ram, --cca-data-order, --cca-rec-order,
--cca-zero-pages, --cca-unmeasured; see 'measure --help') apply here too.

Signing elsewhere (HSM, cloud KMS, openssl), one CoRIM at a time (--platform):
  --emit-tbs TBS    with --cert (no --sign): also write the COSE Sig_structure
                    (RFC 9052 §4.4, "Signature1") of the CoRIM to TBS: the
                    bytes to sign, SHA-384 over them, with the certificate's
                    key (ES384 for P-384, PS384 = RSA-PSS salt 48 for RSA)
  --signature SIG   with --cert (no --sign): the signature over TBS, made
                    elsewhere: raw r||s (96 bytes) or DER for ES384, the raw
                    RSA-PSS signature for PS384. It must verify; it goes into
                    <name>.cose (or the --attached file). Give the same --svn,
                    --profile, --platform, --issuer and --cert as for
                    --emit-tbs.

  Example: igvm-measure reference guest.igvm --format corim --platform snp \\
             -o ref.cbor --cert signer.crt --emit-tbs ref.tbs
           openssl dgst -sha384 -sign signer-p384.pem -out ref.sig ref.tbs
           igvm-measure reference guest.igvm --format corim --platform snp \\
             -o ref.cbor --cert signer.crt --signature ref.sig --attached

JSON format: {"file", "sha256", "reference_values": [{"platform_type",
"compatibility_mask", "algorithm", "digest", "profile"}]}, digests in
lowercase hex. A CCA value's digest is the RIM as the realm token's RIM claim
(44238) reports it (32, 48 or 64 bytes: the realm's hash), and it adds "rule"
(the RMM rule set), "rim" (the 64-byte RmmRealmMeasurement, zero-filled) and
"note" (the inferred conventions used). Pass the CoRIM files to 'igvm-measure embed' to store them in
the IGVM file.

Exit codes: 0 every selected measurable platform has reference values, 1 FILE,
KEY, CERT or SIG is unreadable or invalid (or KEY is not CERT's pair), 2 usage
error, 3 a platform could not be measured (the others are still written) or
there is none, or SIG does not verify (nothing is written). SEV, SEV-ES and
CCA values have no CoRIM: --format corim writes none for them, and exits 3
when no platform is left to write a CoRIM for.`;

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
    attached: { type: 'boolean' },
    'emit-tbs': { type: 'string' },
    signature: { type: 'string' },
    json: { type: 'boolean' },
    ...CCA_OPTIONS,
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
    const attached = values.attached === true;
    const tbsPath = values['emit-tbs'] as string | undefined;
    const sigPath = values.signature as string | undefined;
    if (format === 'json') {
      for (const o of ['svn', 'sign', 'cert', 'issuer', 'attached', 'emit-tbs', 'signature'] as const) {
        if (values[o] !== undefined) throw new UsageError(`--${o} applies to --format corim`);
      }
    } else if (out === undefined) {
      throw new UsageError('--format corim writes binary files and needs -o OUT (a file, a base name or a directory)');
    }
    if (keyPath !== undefined && (tbsPath !== undefined || sigPath !== undefined)) {
      throw new UsageError('--sign KEY signs here; --emit-tbs and --signature are for signing elsewhere: give one or the other');
    }
    if (tbsPath !== undefined && sigPath !== undefined) throw new UsageError('--emit-tbs writes what is to be signed; bring the signature back with --signature in a second run');
    const signing = keyPath !== undefined || sigPath !== undefined || tbsPath !== undefined;
    if (signing && certPath === undefined) throw new UsageError(`--${keyPath !== undefined ? 'sign KEY' : tbsPath !== undefined ? 'emit-tbs' : 'signature'} needs --cert CERT`);
    if (!signing && certPath !== undefined) throw new UsageError('--cert goes with --sign KEY, --emit-tbs TBS or --signature SIG');
    if (issuer !== undefined && !signing) throw new UsageError('--issuer needs --sign, --emit-tbs or --signature');
    if (attached && keyPath === undefined && sigPath === undefined) throw new UsageError('--attached writes signed CoRIMs and needs --sign KEY or --signature SIG');
    if (tbsPath !== undefined && resolve(tbsPath) === resolve(path)) throw new UsageError(`--emit-tbs ${tbsPath} is FILE itself; write the bytes to be signed elsewhere`);
    const svn = parseSvn(values.svn as string | undefined);
    const cca = ccaLoadOptionsOf(values);

    try {
      // Read and check the signing inputs before the (possibly long) measurement.
      const key = keyPath === undefined ? undefined : await importCoseSigningKey(readInputFile(keyPath, '--sign'));
      const certificates = certPath === undefined ? undefined : readCertificates(readInputFile(certPath, '--cert'));
      const externalSignature = sigPath === undefined ? undefined : readInputFile(sigPath, '--signature');
      if (key !== undefined && certificates !== undefined) {
        // A probe signature: a key that is not the certificate's pair fails here, not after measuring.
        await signCoseSign1(new Uint8Array(0), { privateKey: key.privateKey, certificates, attached: false });
      }
      const envelope = { ...(issuer === undefined ? {} : { issuer }) };

      return await withIgvmFile(path, {}, async (file, source) => {
        const result = await measureWithProgress(file, path, source.size, { profile, platform, cca }, io);
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
        const noCorim = refs.filter((v) => v.platformType === 'CCA');
        for (const v of noCorim) {
          io.stderr(
            `igvm-measure reference: note: no CoRIM for CCA mask 0x${v.compatibilityMask.toString(16)}: the launch-measurement profile does not define CCA, and Arm's CCA realm endorsement profile is published only as JSON templates, with no CBOR encoding to check one against; its reference value is in --format json\n`,
          );
        }
        if (corims.length === 0 && refs.length > 0) {
          // A release pipeline that asked for CoRIMs must not take "nothing written" for success.
          const kinds = [...new Set(refs.map((v) => v.platformType))].join(', ');
          io.stderr(`igvm-measure reference: no CoRIM can be made for ${path}: its measured platforms (${kinds}) have no launch-measurement CoRIM; use --format json\n`);
          return EXIT_CHECK_FAILED;
        }
        if ((tbsPath !== undefined || sigPath !== undefined) && corims.length !== 1) {
          throw new UsageError(
            `--${tbsPath !== undefined ? 'emit-tbs' : 'signature'} is for one CoRIM, but ${path} gives ${corims.length}${corims.length > 0 ? ` (${corims.map((c) => `${c.platformType} mask 0x${c.compatibilityMask.toString(16)}`).join(', ')})` : ''}: select one with --platform`,
          );
        }
        const paths = corimPaths(out!, path, corims);
        if (tbsPath !== undefined && paths.some((p) => resolve(p) === resolve(tbsPath) || resolve(signaturePath(p)) === resolve(tbsPath))) {
          throw new UsageError(`--emit-tbs ${tbsPath} is also where a CoRIM or its signature goes; name another file`);
        }
        // Every signature is made (or checked) before anything is written.
        const planned = [];
        for (let i = 0; i < corims.length; i++) {
          const c = corims[i]!;
          const signed = await signOne(c.corim, { key, certificates, externalSignature, attached, envelope });
          planned.push({ c, docPath: paths[i]!, ...signed });
        }
        const written = [];
        for (const w of planned) {
          const sigFile = w.signature !== undefined && !attached ? signaturePath(w.docPath) : null;
          if (w.signature !== undefined && attached) await writeFileAtomically(w.docPath, [w.signature]);
          else await writeFileAtomically(w.docPath, [w.c.corim]);
          if (sigFile !== null) await writeFileAtomically(sigFile, [w.signature!]);
          if (tbsPath !== undefined) await writeFileAtomically(tbsPath, [w.toBeSigned!]);
          const v = refs.find((r) => r.compatibilityMask === w.c.compatibilityMask && r.platformType === w.c.platformType)!;
          written.push({ ...w, v, sigFile });
        }
        if (written.some((w) => w.algorithm === 'ES384')) {
          io.stderr(`igvm-measure reference: note: ES384 CoRIM signatures verify here and with COSE tools, but openvmm's loader accepts only PS384 (RSA) ones\n`);
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
                document: w.signature !== undefined && attached ? null : w.docPath,
                document_sha256: sha256Hex(w.c.corim),
                signature: w.sigFile,
                signed_corim: w.signature !== undefined && attached ? w.docPath : null,
                signature_algorithm: w.algorithm ?? null,
                tbs: tbsPath ?? null,
              })),
            }),
          );
        } else {
          for (const w of written) {
            const what =
              w.signature !== undefined && attached
                ? `signed CoRIM ${w.docPath} (${w.signature.length} bytes, ${w.algorithm})`
                : `${w.docPath} (${w.c.corim.length} bytes)${w.sigFile === null ? '' : `, signature ${w.sigFile} (${w.signature!.length} bytes, ${w.algorithm})`}`;
            io.stdout(`${w.c.platformType.padEnd(14)} mask 0x${w.c.compatibilityMask.toString(16).padEnd(8)} ${what}\n`);
            if (tbsPath !== undefined) {
              io.stdout(
                [
                  `wrote the ${w.toBeSigned!.length}-byte Sig_structure to be signed (${w.algorithm}) to ${tbsPath}`,
                  `  sign it, e.g.: openssl dgst -sha384 ${w.algorithm === 'PS384' ? '-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 ' : ''}-sign KEY.pem -out SIG ${tbsPath}`,
                  `  then: igvm-measure reference ${path} --format corim -o OUT --cert CERT --signature SIG [--attached] (same --platform/--svn/--profile/--issuer)`,
                ].join('\n') + '\n',
              );
            }
          }
        }
        return code;
      });
    } catch (e) {
      if (e instanceof CorimError) {
        // A signature brought back that does not verify is a failed check, as for sign --id-signature.
        return e.code === 'SignatureDoesNotVerify' ? reportCodedError(e, 'reference', json, io, EXIT_CHECK_FAILED) : reportCorimError(e, 'reference', json, io);
      }
      throw e;
    }
  },
};

interface SignInputs {
  readonly key: CoseSigningKey | undefined;
  readonly certificates: readonly Uint8Array[] | undefined;
  readonly externalSignature: Uint8Array | undefined;
  readonly attached: boolean;
  readonly envelope: { readonly issuer?: string };
}

/**
 * The COSE_Sign1 of one CoRIM: signed with KEY, completed with a signature made elsewhere, or
 * (for --emit-tbs) only its Sig_structure; nothing when there is no --cert.
 */
async function signOne(
  corim: Uint8Array,
  inputs: SignInputs,
): Promise<{ signature?: Uint8Array; toBeSigned?: Uint8Array; algorithm?: CoseAlgorithmName }> {
  if (inputs.certificates === undefined) return {};
  const options = { certificates: inputs.certificates, ...inputs.envelope };
  if (inputs.key !== undefined) {
    const signature = await signCoseSign1(corim, { ...options, privateKey: inputs.key.privateKey, attached: inputs.attached });
    return { signature, algorithm: inputs.key.algorithm };
  }
  const prepared = prepareCoseSign1(corim, options);
  if (inputs.externalSignature === undefined) return { toBeSigned: prepared.toBeSigned, algorithm: prepared.algorithm };
  const signature = await completeCoseSign1(prepared, inputs.externalSignature, { attached: inputs.attached, external: true });
  return { signature, algorithm: prepared.algorithm };
}
