/**
 * `igvm-measure verify FILE [--trusted-id-key PEM] [--trusted-author-key PEM]
 * [--trusted-cert PEM] [--require-signature] [--profile P] [--json]`: recompute the file's
 * digests and check the signatures it carries against them (`verifyIgvmSignaturesDetailed`,
 * src/sign/verify-igvm.ts; spec/snp.md §3, spec/vbs-cca-corim.md §3.4), printing the checks
 * and, as JSON, the values compared. Exit 0 all checks pass (or nothing to verify), 3 any
 * check fails, 1 the file is invalid.
 */
import { PROFILE_NAMES } from '../measure/index.js';
import { CorimError } from '../sign/corim-errors.js';
import type { EmbeddedCorimSummary } from '../sign/corim-verify.js';
import { readCertificates } from '../sign/cose.js';
import { SignError } from '../sign/errors.js';
import { verifyIgvmSignaturesDetailed, type IdBlockSummary } from '../sign/verify-igvm.js';
import { allPassed, type Check } from '../pki/check.js';
import { onePath, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from './errors.js';
import { choice, withIgvmFile } from './input.js';
import { stringify, u64Json, type Json } from './json.js';
import { checkLines } from './output.js';
import { measureWithProgress, publicKeyOption, readInputFile, reportCorimError, reportSignError, stringOption } from './release.js';

const HELP = `Usage: igvm-measure verify FILE [--trusted-id-key PEM] [--trusted-author-key PEM]
                           [--trusted-cert PEM] [--require-signature]
                           [--profile P] [--json]

Recompute the launch digests of an IGVM file and check every signature it
carries against them:
  snp-id-block-ld           each SNP_ID_BLOCK's ld is the SEV-SNP launch digest
                            computed here (under --profile)
  snp-id-block-fields       VERSION 1, ECDSA P-384/SHA-384, and a GUEST_POLICY
                            that gives the block its policy
  snp-id-key-signature      the ID key's signature over the 96-byte ID block
                            (with the file's guest policy) verifies
  snp-author-key-signature  the author key's signature over the ID key verifies
                            (when the block has an author key)
  snp-trusted-id-key        the ID key is --trusted-id-key (when given)
  snp-trusted-author-key    the author key is --trusted-author-key (when given)
  corim-document            each embedded CoRIM document decodes (unsigned, or a
                            signed CoRIM whose payload is the document)
  corim-reference-value     its reference digest equals the computed digest
  corim-signature           its COSE_Sign1 (PS384 or ES384) verifies over it
  corim-signer-trusted      the signer's certificate chain ends in --trusted-cert;
                            not made ("--") without --trusted-cert: the envelope's
                            own certificate proves integrity, not who signed
A file that carries no ID block and no CoRIM document has nothing to verify;
that is reported and is not a failure (unless trusted keys or certificates
are given, or --require-signature).

Options:
  --trusted-id-key PEM      the ID key the file must be signed with (SPKI public
                            key PEM, or a private key whose public half is used)
  --trusted-author-key PEM  the author key that must have signed the ID key
  --trusted-cert PEM        the certificate(s) a CoRIM signer must chain to (PEM
                            or DER; several in one file are all trusted)
  --require-signature       every embedded CoRIM must be signed (and, with
                            --trusted-cert, by a trusted signer), and the file
                            must carry one; otherwise exit 3
  --profile P               the loader profile of the expected digests
                            (igvm, qemu or igvmmeasure; default igvm)
  --json                    one JSON document: {file, checks: [{name, ok, detail,
                            expected?, actual?}], ok, profile, id_blocks:
                            [{compatibility_mask, header_index, reported_ld,
                            expected_ld, ld_matches, profile, family_id,
                            image_id, version, guest_svn, policy, id_key_digest,
                            author_key_digest}], corims: [{compatibility_mask,
                            platform_type, svn, reference_digest, attached,
                            signatures: [{valid, algorithm, signer,
                            signer_trusted}]}]}; expected is the value computed
                            or trusted, actual the one the file carries
  -h, --help                show this help

Exit codes: 0 every check passed or nothing to verify, 1 the file (or a key or
certificate) is unreadable or invalid, 2 usage error, 3 a check failed
(including a missing or untrusted CoRIM signature with --require-signature).`;

function idBlockJson(b: IdBlockSummary): Json {
  return {
    compatibility_mask: b.compatibilityMask,
    header_index: b.headerIndex ?? null,
    reported_ld: b.reportedLd,
    expected_ld: b.expectedLd,
    ld_matches: b.expectedLd === null ? null : b.expectedLd === b.reportedLd,
    profile: b.profile,
    family_id: b.familyId,
    image_id: b.imageId,
    version: b.version,
    guest_svn: b.guestSvn,
    policy: b.policy === null ? null : u64Json(b.policy),
    id_key_digest: b.idKeyDigest,
    author_key_digest: b.authorKeyDigest,
  };
}

function corimJson(c: EmbeddedCorimSummary): Json {
  return {
    compatibility_mask: c.compatibilityMask,
    platform_type: c.platformType ?? null,
    svn: c.svn === undefined ? null : u64Json(BigInt(c.svn)),
    reference_digest: c.referenceDigest ?? null,
    attached: c.attached,
    signatures: c.signatures.map((s) => ({ valid: s.valid, algorithm: s.algorithm ?? null, signer: s.signer ?? null, signer_trusted: s.signerTrusted })),
  };
}

function checkJson(c: Check): Json {
  return { name: c.name, ok: c.ok, detail: c.detail, ...(c.expected !== undefined ? { expected: c.expected } : {}), ...(c.actual !== undefined ? { actual: c.actual } : {}) };
}

export const verifyCommand: Command = {
  name: 'verify',
  help: HELP,
  options: {
    'trusted-id-key': { type: 'string' },
    'trusted-author-key': { type: 'string' },
    'trusted-cert': { type: 'string' },
    'require-signature': { type: 'boolean' },
    profile: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const path = onePath(positionals, 'verify');
    const profile = choice('--profile', stringOption(values, 'profile'), PROFILE_NAMES, 'igvm');
    const json = values.json === true;
    const requireSignature = values['require-signature'] === true;
    try {
      const trustedIdKey = await publicKeyOption(values, 'trusted-id-key');
      const trustedAuthorKey = await publicKeyOption(values, 'trusted-author-key');
      const certPath = stringOption(values, 'trusted-cert');
      const trustedCertificates = certPath === undefined ? undefined : readCertificates(readInputFile(certPath, '--trusted-cert'));
      const result = await withIgvmFile(path, {}, (file, source) =>
        verifyIgvmSignaturesDetailed(file, {
          profile,
          ...(trustedIdKey !== undefined ? { trustedIdKey } : {}),
          ...(trustedAuthorKey !== undefined ? { trustedAuthorKey } : {}),
          ...(trustedCertificates !== undefined ? { trustedCertificates } : {}),
          requireCorimSignature: requireSignature,
          measurer: (f, p) => measureWithProgress(f, path, source.size, { profile: p }, io),
        }),
      );
      const checks = result.checks;
      // Fail closed: a file whose checks were all "not made" is not verified (a file with nothing
      // to verify at all is reported as such, exit 0, unless trusted keys asked for something).
      const ok = checks.length === 0 || allPassed(checks);
      if (json) {
        io.stdout(
          stringify({
            file: path,
            checks: checks.map(checkJson),
            ok,
            profile,
            id_blocks: result.idBlocks.map(idBlockJson),
            corims: result.corims.map(corimJson),
          }),
        );
      } else if (checks.length === 0) {
        io.stdout(`${path}: nothing to verify (no SNP ID block, no CoRIM document)\n`);
      } else {
        const failed = checks.filter((c) => c.ok === false).length;
        // Checks that could not be made are named, never counted as passed.
        const notMade = checks.filter((c) => c.ok === null).map((c) => c.name);
        const also = notMade.length === 0 ? '' : `; ${notMade.length} not made (${notMade.join(', ')})`;
        const verdict = ok
          ? `all ${checks.filter((c) => c.ok === true).length} checks passed${also}`
          : failed === 0
            ? `NOT verified: no check could be made${also}`
            : `FAILED (${failed} of ${checks.length} checks failed${also})`;
        io.stdout(`${path}: ${verdict}\n${checkLines(checks)}`);
      }
      if (checks.length === 0 && json) io.stderr(`igvm-measure verify: ${path} carries nothing to verify\n`);
      return ok ? EXIT_OK : EXIT_CHECK_FAILED;
    } catch (e) {
      if (e instanceof SignError) return reportSignError(e, 'verify', json, io);
      if (e instanceof CorimError) return reportCorimError(e, 'verify', json, io);
      throw e;
    }
  },
};
