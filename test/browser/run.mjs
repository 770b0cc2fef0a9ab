/**
 * `npm run test:browser`: the built page (web/) in headless Chromium from a file:// URL gives
 * the same digests and verdicts as the CLI on the same inputs, and makes no network request.
 * The CLI (dist/src/cli/main.js) is the reference: its digests are pinned to upstream outputs by
 * the unit tests. Cases: vectors/out/sample.igvm under two profiles (measured on the session
 * worker), a 32 MiB three-platform file and a 16 MiB Arm CCA file with a SHA-512 realm (measured
 * by the hash-worker pool; the CCA RIM is pinned to step lists by test/measure/cca-igvm.test.ts), cancelling, an
 * SEV-SNP report with its VCEK and chain and a TDX quote with its collateral, from
 * ../shared/vectors (skipped without ../shared).
 * Saves screenshots of both views to web/screenshots/. Prints "N passed, N failed, N skipped"
 * last, and with IGVM_BROWSER_REPORT=FILE writes those counts as JSON there (.ci/run adds them).
 * Without Chromium (and no root for apt-get) it prints a skip notice and exits 0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureChromium, openPage, REPO } from './chromium.mjs';

const CLI = join(REPO, 'dist/src/cli/main.js');
const SAMPLE = join(REPO, 'vectors/out/sample.igvm');
const SNP = join(REPO, '../shared/vectors/evidence/snp');
const TDX = join(REPO, '../shared/vectors/evidence/tdx');
const SHOTS = join(REPO, 'web/screenshots');
// A fixed verification time, so that the validity checks' details do not depend on the clock
// (the VCEK of trustee's test report is valid 2023-01-24 to 2030-01-24).
const TIME = '2025-06-01T00:00:00Z';
// dcap-qvl's collateral expired on 2025-07-19 (as test/cli/evidence.test.ts).
const TDX_TIME = '2025-07-01T00:00:00Z';

const counts = { passed: 0, failed: 0, skipped: 0 };
function report() {
  if (process.env.IGVM_BROWSER_REPORT) writeFileSync(process.env.IGVM_BROWSER_REPORT, JSON.stringify(counts));
  console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}

async function test(name, fn) {
  try {
    await fn();
    counts.passed++;
    console.log(`  ok    ${name}`);
  } catch (e) {
    counts.failed++;
    console.log(`  FAIL  ${name}\n        ${String(e?.stack ?? e).split('\n').join('\n        ')}`);
  }
}

function skip(name, why) {
  counts.skipped++;
  console.log(`  skip  ${name}: ${why}`);
}

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual, null, 2);
  const b = JSON.stringify(expected, null, 2);
  if (a !== b) throw new Error(`${what} differs\n--- page\n${a}\n--- CLI\n${b}`);
}

/** The CLI's JSON on stdout (exit 0 or 3). */
function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 3) throw new Error(`CLI ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Measures `path` in the page with the given options; the page's JSON. */
async function measureInPage(page, path, { profile = 'igvm', vcpus = 1, platform = 'all' } = {}) {
  await page.select('#platform', platform);
  await page.select('#profile', profile);
  await page.$eval('#vcpus', (e, v) => (e.value = String(v)), vcpus);
  await page.evaluate(() => {
    delete document.body.dataset.sha256;
  });
  const input = await page.$('#igvm');
  if (path !== undefined) await input.uploadFile(path);
  else await page.click('#remeasure');
  await page.waitForSelector('body[data-sha256]', { timeout: 120_000 }).catch(async (e) => {
    throw new Error(`no measurement: ${await page.$eval('#measure-status', (x) => x.textContent)}`, { cause: e });
  });
  return JSON.parse(await page.$eval('#measure-json', (e) => e.textContent));
}

/** Waits for the comparison; on a timeout, says what the page shows instead. */
async function compared(page) {
  await page.waitForSelector('body[data-compared]', { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`no comparison: ${await page.$eval('#compare-status', (x) => x.textContent)}`, { cause: e });
  });
}

const withoutFile = ({ file: _f, evidence: _e, ...rest }) => rest;

async function main() {
  if (!existsSync(CLI) || !existsSync(SAMPLE)) {
    console.log('test:browser needs `npm run build` first (dist/ and vectors/out/)');
    counts.failed++;
    return;
  }
  const chromium = ensureChromium();
  if (chromium === undefined) {
    console.log('[skip] test:browser: no Chromium found (and apt-get is not possible here); the browser tests are skipped');
    counts.skipped++;
    return;
  }
  execFileSync(process.execPath, [join(REPO, 'web/build.mjs'), '--quiet'], { stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'igvm-browser-'));
  const { browser, page, requests, nonLocal, errors } = await openPage(chromium);
  try {
    await test('sample.igvm: the digests of measure --json (profile igvm)', async () => {
      const got = await measureInPage(page, SAMPLE);
      assertEqual(withoutFile(got), withoutFile(cli(['measure', '--json', SAMPLE])), 'measure --json');
      if (got.file !== 'sample.igvm') throw new Error(`file is ${got.file}`);
      await page.screenshot({ path: join(SHOTS, 'measure.png'), fullPage: true });
    });

    await test('sample.igvm: the digests of measure --json --profile qemu --vcpus 2 --platform snp', async () => {
      const got = await measureInPage(page, undefined, { profile: 'qemu', vcpus: 2, platform: 'snp' });
      assertEqual(withoutFile(got), withoutFile(cli(['measure', '--json', '--profile', 'qemu', '--vcpus', '2', '--platform', 'snp', SAMPLE])), 'measure --json --profile qemu');
    });

    const big = join(tmp, 'three-platforms-32m.igvm');
    const { buildBenchFile } = await import(join(REPO, 'bench/make-file.mjs'));
    buildBenchFile(big, 32);
    await test('a 32 MiB SNP+TDX+VBS file through the hash-worker pool: the digests of measure --json', async () => {
      const got = await measureInPage(page, big);
      assertEqual(withoutFile(got), withoutFile(cli(['measure', '--json', big])), 'measure --json');
      const status = await page.$eval('#measure-status', (e) => e.textContent);
      if (!/hash workers\)/.test(status)) throw new Error(`not measured by the worker pool: ${status}`);
    });

    await test('cancel stops a measurement, and the next one still gives the CLI digests', async () => {
      await page.evaluate(() => {
        delete document.body.dataset.measured;
      });
      await page.click('#remeasure');
      // Cancel once the first batches are hashed, while the hash workers are busy.
      await page.waitForFunction(() => document.getElementById('progress').value > 0);
      await page.click('#cancel');
      await page.waitForFunction(() => document.getElementById('measure-status').textContent === 'cancelled' || document.body.dataset.measured === 'true', { timeout: 60_000 });
      const status = await page.$eval('#measure-status', (e) => e.textContent);
      if (status !== 'cancelled') throw new Error(`not cancelled: ${status}`);
      const got = await measureInPage(page, undefined);
      assertEqual(withoutFile(got), withoutFile(cli(['measure', '--json', big])), 'measure --json after cancel');
    });

    const cca = join(tmp, 'cca-sha512-16m.igvm');
    const { buildCcaBenchFile } = await import(join(REPO, 'bench/make-file.mjs'));
    buildCcaBenchFile(cca, 16, 1);
    await test('a 16 MiB Arm CCA file (SHA-512 realm) through the hash-worker pool: the RIM of measure --json', async () => {
      const got = await measureInPage(page, cca);
      assertEqual(withoutFile(got), withoutFile(cli(['measure', '--json', cca])), 'measure --json');
      if (got.platforms[0]?.platform_type !== 'CCA' || got.platforms[0]?.algorithm !== 'sha512') throw new Error(`not a CCA SHA-512 digest: ${JSON.stringify(got.platforms[0])}`);
      const status = await page.$eval('#measure-status', (e) => e.textContent);
      if (!/hash workers\)/.test(status)) throw new Error(`not measured by the worker pool: ${status}`);
    });

    const report = join(SNP, 'trustee-snp-test-report.bin');
    if (!existsSync(report)) {
      skip('SEV-SNP report vs sample.igvm', '../shared/vectors not found');
    } else {
      await test('the certificate code is not loaded before evidence is given', async () => {
        const early = requests.filter((u) => u.endsWith('/igvm-evidence.js'));
        if (early.length > 0) throw new Error(`igvm-evidence.js was requested before any evidence: ${early.join(', ')}`);
      });
      await test('SEV-SNP report (trustee test report, its VCEK, the Milan chain) vs sample.igvm: the checks of compare --json', async () => {
        await measureInPage(page, SAMPLE);
        await page.$eval('#time', (e, t) => (e.value = t), TIME);
        await (await page.$('#vcek')).uploadFile(join(SNP, 'trustee-snp-test-vcek.der'));
        await (await page.$('#chain')).uploadFile(join(SNP, 'virtee-cert_chain_milan'));
        await page.evaluate(() => {
          delete document.body.dataset.compared;
        });
        await (await page.$('#evidence')).uploadFile(report);
        await compared(page);
        // Later changes of the inputs re-run the comparison: wait until none is pending.
        await new Promise((r) => setTimeout(r, 300));
        await compared(page);
        const got = JSON.parse(await page.$eval('#compare-json', (e) => e.textContent));
        // The request log sees the page's script loads (so its silence elsewhere means something).
        if (!requests.some((u) => u.startsWith('file:') && u.endsWith('/igvm-evidence.js'))) throw new Error('the evidence script load was not seen');
        const want = cli(['compare', SAMPLE, '--evidence', report, '--vcek', join(SNP, 'trustee-snp-test-vcek.der'), '--chain', join(SNP, 'virtee-cert_chain_milan'), '--time', TIME, '--json']);
        assertEqual(withoutFile(got), withoutFile(want), 'compare --json');
        await page.$eval('#evidence-section', (e) => e.scrollIntoView());
        await page.screenshot({ path: join(SHOTS, 'evidence.png'), fullPage: true });
      });
    }

    const quote = join(TDX, 'dcapqvl-tdx_quote');
    if (!existsSync(quote)) {
      skip('TDX quote vs sample.igvm', '../shared/vectors not found');
    } else {
      await test('TDX quote (dcap-qvl sample with its collateral) vs sample.igvm: the checks of compare --json', async () => {
        await page.reload();
        await page.waitForSelector('body[data-ready]');
        await measureInPage(page, SAMPLE);
        await page.$eval('#time', (e, t) => (e.value = t), TDX_TIME);
        await (await page.$('#collateral')).uploadFile(join(TDX, 'dcapqvl-tdx_quote_collateral.json'));
        await page.evaluate(() => {
          delete document.body.dataset.compared;
        });
        await (await page.$('#evidence')).uploadFile(quote);
        await compared(page);
        const got = JSON.parse(await page.$eval('#compare-json', (e) => e.textContent));
        const want = cli(['compare', SAMPLE, '--evidence', quote, '--collateral', join(TDX, 'dcapqvl-tdx_quote_collateral.json'), '--time', TDX_TIME, '--json']);
        assertEqual(withoutFile(got), withoutFile(want), 'compare --json');
      });
    }

    await test('no network request: every URL the page and its workers asked for is file:, blob: or data:', async () => {
      const bad = nonLocal();
      if (bad.length > 0) throw new Error(`requests: ${bad.join(', ')}`);
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    });
  } finally {
    await browser.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  counts.failed++;
  console.log(`test:browser failed: ${e?.stack ?? e}`);
}
report();
process.exitCode = counts.failed > 0 ? 1 : 0;
