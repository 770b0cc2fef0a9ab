/**
 * `igvm-measure verify FILE [--trusted-id-key PEM] [--trusted-author-key PEM] [--profile P]
 * [--json]`: recompute the file's digests and check the signatures it carries against them
 * (`verifyIgvmSignatures`, src/sign/verify-igvm.ts; spec/snp.md §3, spec/vbs-cca-corim.md
 * §3.4). Exit 0 all checks pass (or nothing to verify), 3 any check fails, 1 the file is
 * invalid.
 */
import { PROFILE_NAMES } from '../measure/index.js';
import { SignError } from '../sign/errors.js';
import { verifyIgvmSignatures } from '../sign/verify-igvm.js';
import { onePath, type Command } from './command.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from './errors.js';
import { choice, withIgvmFile } from './input.js';
import { stringify } from './json.js';
import { checkLines } from './output.js';
import { measureWithProgress, publicKeyOption, reportSignError, stringOption } from './release.js';

const HELP = `Usage: igvm-measure verify FILE [--trusted-id-key PEM] [--trusted-author-key PEM]
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
  corim-...                 each embedded CoRIM document's reference values equal
                            the computed digests and its COSE_Sign1 verifies
A file that carries no ID block and no CoRIM document has nothing to verify;
that is reported and is not a failure (unless trusted keys are given).

Options:
  --trusted-id-key PEM      the ID key the file must be signed with (SPKI public
                            key PEM, or a private key whose public half is used)
  --trusted-author-key PEM  the author key that must have signed the ID key
  --profile P               the loader profile of the expected digests
                            (igvm, qemu or igvmmeasure; default igvm)
  --json                    one JSON document: {file, checks: [{name, ok, detail}], ok}
  -h, --help                show this help

Exit codes: 0 every check passed or nothing to verify, 1 the file (or a key) is
unreadable or invalid, 2 usage error, 3 a check failed.`;

export const verifyCommand: Command = {
  name: 'verify',
  help: HELP,
  options: {
    'trusted-id-key': { type: 'string' },
    'trusted-author-key': { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const path = onePath(positionals, 'verify');
    const profile = choice('--profile', stringOption(values, 'profile'), PROFILE_NAMES, 'igvm');
    const json = values.json === true;
    try {
      const trustedIdKey = await publicKeyOption(values, 'trusted-id-key');
      const trustedAuthorKey = await publicKeyOption(values, 'trusted-author-key');
      const checks = await withIgvmFile(path, {}, (file, source) =>
        verifyIgvmSignatures(file, {
          profile,
          ...(trustedIdKey !== undefined ? { trustedIdKey } : {}),
          ...(trustedAuthorKey !== undefined ? { trustedAuthorKey } : {}),
          measurer: (f, p) => measureWithProgress(f, path, source.size, { profile: p }, io),
        }),
      );
      const ok = checks.every((c) => c.ok !== false);
      if (json) {
        io.stdout(stringify({ file: path, checks: checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail })), ok }));
      } else if (checks.length === 0) {
        io.stdout(`${path}: nothing to verify (no SNP ID block, no CoRIM document)\n`);
      } else {
        const failed = checks.filter((c) => c.ok === false).length;
        const verdict = ok ? `all ${checks.filter((c) => c.ok === true).length} checks passed` : `FAILED (${failed} of ${checks.length} checks failed)`;
        io.stdout(`${path}: ${verdict}\n${checkLines(checks)}`);
      }
      if (checks.length === 0 && json) io.stderr(`igvm-measure verify: ${path} carries nothing to verify\n`);
      return ok ? EXIT_OK : EXIT_CHECK_FAILED;
    } catch (e) {
      if (e instanceof SignError) return reportSignError(e, 'verify', json, io);
      throw e;
    }
  },
};
