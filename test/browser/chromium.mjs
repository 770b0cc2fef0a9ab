/**
 * Headless Chromium for the browser test and the browser benchmark: finds the system Chromium
 * (Debian's `chromium`), installs it with apt-get when it is missing and we are root, and opens
 * the built page (web/dist/index.html) from a file:// URL through puppeteer-core, which
 * downloads no browser of its own. Every request the page or its workers make is logged;
 * anything but file:, blob: and data: is aborted, and a dead proxy is set so that nothing could
 * leave the machine even unobserved.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PAGE = join(REPO, 'web', 'dist', 'index.html');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

function found() {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  return CANDIDATES.find((p) => existsSync(p));
}

/** The Chromium executable, installed from Debian's packages when missing (root only); undefined when there is none. */
export function ensureChromium(log = (s) => console.error(s)) {
  let path = found();
  if (path !== undefined) return path;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || spawnSync('which', ['apt-get']).status !== 0) return undefined;
  log('chromium is missing: apt-get install -y chromium');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    log(`apt-get failed: ${e.message}`);
    return undefined;
  }
  return found();
}

/** Launches Chromium and opens the page from file://; `requests` collects every URL asked for. */
export async function openPage(executablePath, { viewport = { width: 1200, height: 900 }, query = '' } = {}) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    protocolTimeout: 900_000,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const requests = [];
  const local = (url) => /^(file|blob|data):/.test(url);
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    requests.push(r.url());
    if (local(r.url())) void r.continue();
    else void r.abort();
  });
  // Workers' own requests (importScripts, fetch) are reported on their CDP sessions.
  page.on('workercreated', (w) => {
    requests.push(w.url());
    const client = w.client;
    client.on('Network.requestWillBeSent', (e) => requests.push(e.request.url));
    client.send('Network.enable').catch(() => undefined);
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(PAGE).href + query);
  await page.waitForSelector('body[data-ready]');
  return { browser, page, requests, errors, nonLocal: () => requests.filter((u) => !local(u)) };
}
