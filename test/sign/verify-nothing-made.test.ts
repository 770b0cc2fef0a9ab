/**
 * `verify` fails closed: a file whose every check could not be made is NOT verified (exit 3),
 * never "all 0 checks passed". The file carries only a CoRIM document of a profile we do not
 * know (the worked example with its profile tag changed) and no signature: the CoRIM draft
 * leaves a CoRIM whose profile a verifier does not recognise uninterpretable, so neither its
 * reference values nor its signature can be checked. The expected verdict is the project's
 * rule (a check not made is never passed) as established verifiers apply it: go-sev-guest's
 * and trustee's policies reject evidence when a required value cannot be established.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { IgvmBuilder } from '../../src/format/builder.js';
import { CORIM_WORKED_EXAMPLE } from '../helpers/corim-example.js';

const dir = mkdtempSync(join(tmpdir(), 'igvm-verify-none-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a file with no check that could be made is NOT verified (exit 3)', async () => {
  const text = Buffer.from(CORIM_WORKED_EXAMPLE).toString('latin1');
  const at = text.lastIndexOf('launch-measurement/v1');
  expect(at).toBeGreaterThan(0);
  const other = new Uint8Array(CORIM_WORKED_EXAMPLE);
  other[at + 'launch-measurement/v'.length] = '9'.charCodeAt(0);
  const path = join(dir, 'other-profile.igvm');
  writeFileSync(
    path,
    new IgvmBuilder()
      .platform({ compatibilityMask: 1, platformType: 'VSM_ISOLATION', highestVtl: 2 })
      .corim('CORIM_DOCUMENT', { compatibilityMask: 1, data: other })
      .pageData({ gpa: 0, compatibilityMask: 1, data: new Uint8Array(4096) })
      .toBytes(),
  );
  let stdout = '';
  const code = await runCli(['verify', path], { stdout: (s) => void (stdout += s), stderr: () => undefined, stderrIsTty: false });
  expect(stdout).toMatch(/\d+ not made/);
  expect(stdout.split('\n')[0]).toMatch(/NOT verified: no check could be made/);
  expect(stdout).not.toMatch(/^ok {4}/m);
  expect(code).toBe(3);
});
