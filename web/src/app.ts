/**
 * The page (index.html): pick or drop an IGVM file and see each platform's launch measurement
 * under the CLI's options, with progress and cancel; give an SEV-SNP report or a TDX quote (with
 * its certificates or collateral) and see it verified and compared check by check, as
 * `igvm-measure compare` prints it; copy either result as the CLI's JSON. Nothing is sent
 * anywhere: files are read by the page's own workers, and the evidence code is a local script
 * loaded when evidence is first given.
 */
import type { CompareInputs, NamedBytes, PageMeasureOptions } from './protocol.js';
import { Session } from './session.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const session = new Session();
let igvm: File | undefined;
let measureJson: Record<string, unknown> | undefined;
const threadsParam = Math.floor(Number(new URLSearchParams(location.search).get('threads') ?? 0)) || 0;

function setStatus(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
}

function optionsOf(): Promise<PageMeasureOptions> {
  const ap = $<HTMLInputElement>('ap-vmsa').files?.[0];
  const base: PageMeasureOptions = {
    platform: $<HTMLSelectElement>('platform').value as PageMeasureOptions['platform'],
    profile: $<HTMLSelectElement>('profile').value as PageMeasureOptions['profile'],
    vcpus: Math.max(1, Math.floor(Number($<HTMLInputElement>('vcpus').value) || 1)),
    nativeZero: $<HTMLInputElement>('native-zero').checked,
    // `?threads=N` (benchmarks): hash workers to use; 1 measures on the session worker alone.
    ...(threadsParam > 0 ? { threads: threadsParam } : {}),
  };
  if (ap === undefined) return Promise.resolve(base);
  return ap.arrayBuffer().then((b) => {
    if (b.byteLength !== 4096) throw new Error(`the AP VMSA ${ap.name} is ${b.byteLength} bytes; a VMSA is 4096`);
    return { ...base, apVmsa: new Uint8Array(b) };
  });
}

function mib(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Where the hashing ran. */
function where(threads: number): string {
  return threads === 1 ? 'on one worker' : `${threads} hash workers`;
}

function renderPlatforms(platforms: Array<Record<string, unknown>>): void {
  const body = $('digests').querySelector('tbody')!;
  body.replaceChildren();
  for (const p of platforms) {
    const tr = document.createElement('tr');
    const cell = (text: string, cls?: string): void => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    };
    cell(String(p.platform_type));
    cell(`0x${Number(p.compatibility_mask).toString(16)}`);
    if (typeof p.digest === 'string') {
      cell(String(p.algorithm));
      cell(p.digest, 'digest');
    } else if (p.error !== undefined) {
      const e = p.error as { code: string; message: string };
      cell('error');
      cell(`${e.code}: ${e.message}`, 'fail');
    } else {
      cell('—');
      cell('not measurable');
    }
    const notes = [...((p.warnings as string[] | undefined) ?? []).map((w) => `warning: ${w}`), ...(typeof p.note === 'string' ? [p.note] : [])];
    cell(notes.join('\n'), 'note');
    body.append(tr);
  }
  $('digests').hidden = platforms.length === 0;
}

function showMeasureJson(): void {
  $('measure-json').textContent = measureJson === undefined ? '' : `${JSON.stringify(measureJson, null, 2)}\n`;
}

async function measure(): Promise<void> {
  if (igvm === undefined) return;
  const file = igvm;
  const progress = $<HTMLProgressElement>('progress');
  progress.value = 0;
  progress.hidden = false;
  $('cancel').hidden = false;
  $<HTMLButtonElement>('remeasure').disabled = true;
  measureJson = undefined;
  delete document.body.dataset.measured;
  delete document.body.dataset.sha256;
  showMeasureJson();
  renderPlatforms([]);
  const start = performance.now();
  setStatus('measure-status', `measuring ${file.name} (${mib(file.size)})…`);
  try {
    const options = await optionsOf();
    const r = await session.measure(options, (done, total) => {
      progress.value = total === 0 ? 1 : done / total;
      const s = (performance.now() - start) / 1000;
      setStatus('measure-status', `measuring ${file.name}: ${Math.round((100 * done) / Math.max(1, total))}% of ${total} pages, ${s.toFixed(1)} s`);
    });
    const json = r.json as { file: string; profile: string; platforms: Array<Record<string, unknown>> };
    measureJson = { file: json.file, sha256: null, profile: json.profile, platforms: json.platforms };
    renderPlatforms(json.platforms);
    showMeasureJson();
    const measured = json.platforms.length === 0 ? `${file.name} has no ${options.platform === 'all' ? '' : `${options.platform.toUpperCase()} `}platform to measure` : `measured in ${(r.ms / 1000).toFixed(2)} s`;
    setStatus('measure-status', `${measured} (${mib(file.size)}, ${r.backend}, ${where(r.threads)}); file SHA-256…`);
    document.body.dataset.stats = JSON.stringify({ ms: r.ms, ...r.stats });
    document.body.dataset.measured = 'true';
    const sha = await session.sha256();
    if (igvm !== file) return;
    measureJson = { ...measureJson, sha256: sha };
    showMeasureJson();
    $('file-sha256').textContent = `SHA-256 ${sha}`;
    setStatus('measure-status', `${measured} (${mib(file.size)}, ${r.backend}, ${where(r.threads)})`);
    document.body.dataset.sha256 = 'true';
  } catch (e) {
    setStatus('measure-status', (e as Error).message === 'cancelled' ? 'cancelled' : errorText(e), true);
  } finally {
    progress.hidden = true;
    $('cancel').hidden = true;
    $<HTMLButtonElement>('remeasure').disabled = false;
  }
}

function errorText(e: unknown): string {
  const code = (e as { code?: string }).code;
  return `error${code ? ` ${code}` : ''}: ${(e as Error).message}`;
}

async function openIgvm(file: File): Promise<void> {
  session.cancel();
  igvm = file;
  delete document.body.dataset.measured;
  delete document.body.dataset.sha256;
  $('file-name').textContent = `${file.name}, ${file.size} bytes`;
  $('file-sha256').textContent = '';
  try {
    const opened = await session.open(file, file.name);
    $('file-name').textContent = `${file.name}, ${file.size} bytes, ${opened.platforms.length} platform header${opened.platforms.length === 1 ? '' : 's'}: ${opened.platforms.map((p) => p.platformType).join(', ')}`;
  } catch (e) {
    setStatus('measure-status', errorText(e), true);
    return;
  }
  $('evidence-section').hidden = false;
  await measure();
}

// ---- evidence ----

let evidenceSource: Promise<string> | undefined;

/** Loads the evidence script (a local file next to the page) once, when evidence is first given. */
function loadEvidenceSource(): Promise<string> {
  evidenceSource ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'igvm-evidence.js';
    s.onload = () => {
      const src = (window as { IGVM_EVIDENCE_SOURCE?: string }).IGVM_EVIDENCE_SOURCE;
      if (src === undefined) reject(new Error('igvm-evidence.js did not load'));
      else resolve(src);
    };
    s.onerror = () => reject(new Error('igvm-evidence.js is missing next to the page'));
    document.head.append(s);
  });
  return evidenceSource;
}

async function named(id: string): Promise<NamedBytes | undefined> {
  const f = $<HTMLInputElement>(id).files?.[0];
  return f === undefined ? undefined : { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

async function compare(): Promise<void> {
  const evidence = await named('evidence');
  if (evidence === undefined || igvm === undefined) return;
  setStatus('compare-status', 'verifying…');
  $('checks').hidden = true;
  $('compare-json').textContent = '';
  delete document.body.dataset.compared;
  try {
    const source = await loadEvidenceSource();
    const parts = await Promise.all(['vcek', 'chain', 'crl', 'collateral', 'policy'].map((k) => named(k)));
    const [vcek, chain, crl, collateral, policy] = parts;
    const time = $<HTMLInputElement>('time').value.trim();
    const inputs: CompareInputs = {
      evidence,
      ...(vcek ? { vcek } : {}),
      ...(chain ? { chain } : {}),
      ...(crl ? { crl } : {}),
      ...(collateral ? { collateral } : {}),
      ...(policy ? { policy } : {}),
      allowDebug: $<HTMLInputElement>('allow-debug').checked,
      ...(time ? { time } : {}),
      profile: $<HTMLSelectElement>('profile').value as CompareInputs['profile'],
    };
    const r = await session.compare(inputs, source);
    const json = r.json as { verified: boolean; match: boolean; checks: Array<{ name: string; ok: boolean | null; detail: string }> };
    const [head, verdict] = r.text.split('\n');
    setStatus('compare-status', `${head}\n${verdict}`, !(json.verified && json.match));
    const body = $('checks').querySelector('tbody')!;
    body.replaceChildren();
    for (const c of json.checks) {
      const tr = document.createElement('tr');
      const mark = document.createElement('td');
      mark.textContent = c.ok === true ? 'ok' : c.ok === false ? 'FAIL' : '—';
      mark.className = c.ok === true ? 'ok' : c.ok === false ? 'fail' : 'skip';
      const name = document.createElement('td');
      name.textContent = c.name;
      const detail = document.createElement('td');
      detail.textContent = c.detail;
      detail.className = 'detail';
      tr.append(mark, name, detail);
      body.append(tr);
    }
    $('checks').hidden = false;
    $('compare-json').textContent = `${JSON.stringify(r.json, null, 2)}\n`;
    $('compare-text').textContent = r.text;
    document.body.dataset.compared = 'true';
  } catch (e) {
    setStatus('compare-status', errorText(e), true);
  }
}

// ---- wiring ----

function copy(id: string, button: HTMLButtonElement): void {
  const text = $(id).textContent ?? '';
  const done = (): void => {
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = 'Copy JSON'), 1500);
  };
  const fallback = (): void => {
    // No Clipboard API, or it refused (e.g. no permission on file://): select the text and copy.
    const range = document.createRange();
    range.selectNodeContents($(id));
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    document.execCommand('copy');
    done();
  };
  if (navigator.clipboard === undefined) fallback();
  else navigator.clipboard.writeText(text).then(done, fallback);
}

function dropZone(zoneId: string, inputId: string, onFile: () => void): void {
  const zone = $(zoneId);
  const input = $<HTMLInputElement>(inputId);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = e.dataTransfer?.files;
    if (files === undefined || files.length === 0) return;
    input.files = files;
    onFile();
  });
  input.addEventListener('change', onFile);
}

// A file dropped outside a drop zone must not make the browser navigate away to it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

dropZone('igvm-zone', 'igvm', () => {
  const f = $<HTMLInputElement>('igvm').files?.[0];
  if (f !== undefined) void openIgvm(f);
});
dropZone('evidence-zone', 'evidence', () => {
  void loadEvidenceSource().catch(() => undefined);
  void compare();
});
for (const id of ['vcek', 'chain', 'crl', 'collateral', 'policy']) {
  $<HTMLInputElement>(id).addEventListener('change', () => void compare());
}
$<HTMLInputElement>('allow-debug').addEventListener('change', () => void compare());
$('remeasure').addEventListener('click', () => void measure());
$('recompare').addEventListener('click', () => void compare());
$('cancel').addEventListener('click', () => session.cancel());
$('copy-measure').addEventListener('click', (e) => copy('measure-json', e.currentTarget as HTMLButtonElement));
$('copy-compare').addEventListener('click', (e) => copy('compare-json', e.currentTarget as HTMLButtonElement));
document.body.dataset.ready = 'true';
