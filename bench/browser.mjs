/**
 * The browser benchmark: in headless Chromium (Debian's, through puppeteer-core), the hash
 * backends side by side (bench/browser-backends.js), then the page (web/) measuring the 256 MiB
 * three-platform file from a file:// URL against the CLI's whole process on the same file
 * (`node dist/src/cli/main.js measure --platform all FILE`), interleaved rounds, medians.
 * Writes bench/out/browser.json and prints a Markdown table for bench/RESULTS.md "Browser".
 * Usage: npm run build && node bench/browser.mjs [ROUNDS]  (deletes the 256 MiB file after)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ensureChromium, openPage, REPO } from '../test/browser/chromium.mjs';
import { buildPage } from '../web/build.mjs';

const rounds = Number(process.argv[2] ?? 3);
const FILE = join(REPO, 'bench/out/bench-256m.igvm');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const chromium = ensureChromium();
if (chromium === undefined) throw new Error('no Chromium');
const sizes = await buildPage();
mkdirSync(join(REPO, 'bench/out'), { recursive: true });
const made = !existsSync(FILE);
if (made) (await import('./make-file.mjs')).buildBenchFile(FILE, 256);

try {
  const backendsJs = (await build({ entryPoints: [join(REPO, 'bench/browser-backends.js')], bundle: true, format: 'iife', platform: 'browser', minify: true, write: false })).outputFiles[0].text;
  const { browser, page, nonLocal } = await openPage(chromium);
  const version = await browser.version();
  let backends;
  const pageMs = [];
  const workerMs = [];
  const cliMs = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const t = process.hrtime.bigint();
      const c = spawnSync(process.execPath, [join(REPO, 'dist/src/cli/main.js'), 'measure', '--platform', 'all', FILE]);
      if (c.status !== 0) throw new Error(`CLI: ${c.stderr}`);
      cliMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      await page.evaluate(() => {
        delete document.body.dataset.measured;
        delete document.body.dataset.sha256;
      });
      const start = Date.now();
      if (r === 0) await (await page.$('#igvm')).uploadFile(FILE);
      else await page.click('#remeasure');
      await page.waitForSelector('body[data-measured]', { timeout: 180_000 }).catch(async (e) => {
        throw new Error(`round ${r}: ${await page.$eval('#measure-status', (x) => x.textContent)}`, { cause: e });
      });
      pageMs.push(Date.now() - start);
      const status = await page.$eval('#measure-status', (e) => e.textContent);
      workerMs.push(Number(/measured in ([\d.]+) s/.exec(status)[1]) * 1000);
      await page.waitForSelector('body[data-sha256]', { timeout: 600_000 });
    }
    // The backends last, on a fresh page, so that their garbage does not weigh on the rounds.
    await page.reload();
    await page.addScriptTag({ content: backendsJs });
    backends = await page.evaluate(() => window.benchBackends(32));
    if (nonLocal().length > 0) throw new Error(`network requests: ${nonLocal().join(', ')}`);
  } finally {
    await browser.close();
  }
  const result = {
    date: new Date().toISOString().slice(0, 10),
    chromium: version,
    cores: (await import('node:os')).availableParallelism(),
    sizes,
    backends,
    rounds,
    cliMs: median(cliMs),
    pageMs: median(pageMs),
    workerMs: median(workerMs),
    all: { cliMs, pageMs, workerMs },
  };
  writeFileSync(join(REPO, 'bench/out/browser.json'), JSON.stringify(result, null, 2));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`${result.chromium}, ${result.cores} cores, ${rounds} interleaved rounds, medians\n`);
  console.log('| backend, call pattern (32 MiB of pages) | MiB/s |\n|---|---|');
  for (const [k, v] of Object.entries(backends)) console.log(`| ${k} | ${v} |`);
  console.log('\n| | |\n|---|---|');
  console.log(`| CLI whole process, measure --platform all, 256 MiB | ${Math.round(result.cliMs)} ms |`);
  console.log(`| page, file picked → digests shown | ${Math.round(result.pageMs)} ms (${(result.pageMs / result.cliMs).toFixed(2)}x the CLI; target ≤ 4x) |`);
  console.log(`| of which parse, plan and hash in the workers | ${Math.round(result.workerMs)} ms |`);
  console.log(`| initial JS (igvm-measure.js, worker inlined) | ${kb(sizes.initial.raw)}, ${kb(sizes.initial.gzip)} gzipped (target ≤ 150 KB) |`);
  console.log(`| evidence code (igvm-evidence.js, loaded with evidence) | ${kb(sizes.evidence.raw)}, ${kb(sizes.evidence.gzip)} gzipped |`);
} finally {
  if (made || process.env.KEEP_BENCH_FILE === undefined) rmSync(FILE, { force: true });
}
