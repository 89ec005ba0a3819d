// Extortion Guard background: hosts the detection engine (WebAssembly) and answers the content
// scripts. It runs as a module service worker in Chrome (stopped after ~30 s idle) and as an event
// page in Firefox, so it keeps no state that a content script cannot rebuild: each request carries
// the conversation's recent incoming messages, and the engine is re-initialised lazily on wake.
// It makes no network requests: the engine and the rule pack are files inside the extension.
// Two builds of the engine: engine/ scans with the packed rules and is all a wake normally loads;
// compiler/ can also compile the user's custom packs, and is instantiated only when there are some.
// Both are imported statically (a service worker may not import() later), but only one wasm is
// fetched and compiled.
import initEngine, { Detector as Engine } from './engine/extortion_guard.js';
import initCompiler, { Detector as Compiler } from './compiler/extortion_guard.js';
import { assessSteps, windowSize, requestProblem } from './assess.js';
import { loadSettings, grantedOrigins as granted } from './common/settings.js';

const api = globalThis.chrome ?? globalThis.browser;
let engine = null;
// Counters for the tests (read from the service worker): requests answered, messages evaluated.
// They live only as long as this worker.
const stats = { requests: 0, evaluated: 0, scanned: 0, rejected: 0, superseded: 0, longestMs: 0, busiestStepMs: 0 };
globalThis.__egStats = stats;

function load() {
  if (!engine) {
    engine = (async () => {
      const t0 = performance.now();
      const pack = new Uint8Array(await (await fetch(api.runtime.getURL('engine/pack.bin'))).arrayBuffer());
      const det = await detectorWithCustomPacks(pack);
      const win = windowSize(det);
      stats.initMs = Math.round(performance.now() - t0);
      warmUp(det);
      return { det, win };
    })();
    engine.catch(() => { engine = null; });
  }
  return engine;
}

// Compiles ahead of need while idle, one piece per task, so that the messages after the first
// of a wake never wait for a first compile. It starts a little after the engine is ready, once the
// request that woke the worker has arrived; a request in progress goes first; a detector that was
// replaced (custom packs changed) stops warming.
const WARM_UP_DELAY_MS = 250;
function warmUp(det) {
  const t0 = performance.now();
  const step = async () => {
    if (jobs.size) { setTimeout(step, 50); return; }
    if ((await engine?.catch(() => null))?.det !== det) return;
    const s0 = performance.now();
    let more = false;
    try { more = det.warmUpStep(); } catch { return; }
    stats.warmUpLongestStepMs = Math.max(stats.warmUpLongestStepMs ?? 0, Math.round(performance.now() - s0));
    if (more) setTimeout(step, 0); else stats.warmUpMs = Math.round(performance.now() - t0);
  };
  setTimeout(step, WARM_UP_DELAY_MS);
}

// The built-in rules plus the user's custom packs. The options page stores a pack only after the
// engine accepted it, so this fails only if a later engine rejects an old pack: then the built-in
// rules keep working and the reason is kept for the options page to show.
async function detectorWithCustomPacks(pack) {
  let packs = [];
  try { packs = (await api.storage.local.get('customPacks')).customPacks || []; } catch { /* none */ }
  stats.customPacks = packs.length;
  stats.customError = null;
  if (packs.length) {
    try {
      await initCompiler({ module_or_path: api.runtime.getURL('compiler/extortion_guard_bg.wasm') });
      const detector = Compiler.withCustomPacks(pack, packs.map(({ name, text }) => ({ name, text })));
      stats.module = 'compiler';
      try { await api.storage.session?.remove('customPackError'); } catch { /* ignore */ }
      return detector;
    } catch (e) {
      stats.customError = String(e && e.message || e);
      try { await api.storage.session?.set({ customPackError: stats.customError }); } catch { /* ignore */ }
    }
  }
  await initEngine({ module_or_path: api.runtime.getURL('engine/extortion_guard_bg.wasm') });
  stats.module = 'engine';
  return new Engine(pack);
}

api.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes.customPacks) engine = null; // rebuilt with the new packs on next use
});

// ------------------------------------------------------------------ sites the user protected
// "Protect this site" in the popup asks for the optional host permission of one origin. Once it is
// granted (from the popup or from the browser's own site-access settings), the content script runs
// there with the generic adapter: registered so it persists, and injected into tabs already open.
const GENERIC_ID = 'eg-generic';
const GENERIC_JS = ['content/data.js', 'content/generic.js', 'content/evidence.js', 'content/overlay.js', 'content/main.js'];

const grantedOrigins = (origins) => granted(api.runtime.getManifest(), origins);

async function syncGenericScripts() {
  if (!api.scripting?.registerContentScripts) return [];
  const extra = grantedOrigins((await api.permissions.getAll()).origins);
  const existing = await api.scripting.getRegisteredContentScripts({ ids: [GENERIC_ID] });
  if (!extra.length) {
    if (existing.length) await api.scripting.unregisterContentScripts({ ids: [GENERIC_ID] });
    return extra;
  }
  const script = { id: GENERIC_ID, matches: extra, js: GENERIC_JS, runAt: 'document_idle', persistAcrossSessions: true };
  if (existing.length) await api.scripting.updateContentScripts([script]);
  else await api.scripting.registerContentScripts([script]);
  return extra;
}

async function injectInto(origins) {
  for (const o of grantedOrigins(origins)) {
    for (const tab of await api.tabs.query({ url: o })) {
      try { await api.scripting.executeScript({ target: { tabId: tab.id }, files: GENERIC_JS }); } catch { /* a tab that cannot be scripted */ }
    }
  }
}

api.permissions?.onAdded?.addListener(async (p) => {
  await syncGenericScripts().catch(() => {});
  await injectInto(p.origins).catch(() => {});
});
api.permissions?.onRemoved?.addListener(() => { syncGenericScripts().catch(() => {}); });
api.runtime.onInstalled?.addListener(() => { syncGenericScripts().catch(() => {}); });

function regionHash(region) {
  return typeof region === 'string' && /^[A-Z]{2,5}$/.test(region) ? `#region=${region}` : '';
}

// ------------------------------------------------------------------ requests
// Who may ask what. Every message must come from this extension (`sender.id`); `assess` and
// `open-help` only from a content script (a tab whose page is not one of ours), `protect-tab` and
// `open-options` only from the extension's own pages (popup, options, help). Web pages cannot
// reach this listener at all: the manifest has no externally_connectable and no
// web_accessible_resources. A request that does not fit is answered with an error.
const OWN_ORIGIN = new URL(api.runtime.getURL('')).origin;
function fromExtensionPage(sender) {
  try { return new URL(sender.url || sender.origin || '').origin === OWN_ORIGIN; } catch { return false; }
}
function fromContentScript(sender) {
  return !!sender.tab && Number.isInteger(sender.tab.id) && !fromExtensionPage(sender);
}
const ALLOWED = {
  assess: fromContentScript,
  'assess-status': fromContentScript,
  'open-help': (s) => fromContentScript(s) || fromExtensionPage(s),
  'open-options': (s) => fromContentScript(s) || fromExtensionPage(s),
  'protect-tab': fromExtensionPage,
  ping: () => true,
};

// Assess jobs: one per tab and conversation. A newer request for the same conversation stops the
// older one (the content script sends a new one only when it believes the old one lost); work is
// done in steps with a yield between them, so a slow batch never blocks other tabs, the status
// questions of its own tab, or a superseding request.
const jobs = new Map(); // `${tabId}|${conv}` → { id, cancelled }
const STEP_BUDGET_MS = 20; // work between yields (a single scan may take longer)
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

async function runAssess(msg, sender) {
  const key = `${sender.tab.id}|${msg.conv ?? ''}`;
  const prev = jobs.get(key);
  if (prev) { prev.cancelled = true; stats.superseded += 1; }
  const job = { id: msg.job ?? null, cancelled: false };
  jobs.set(key, job);
  const t0 = performance.now();
  try {
    const { det, win } = await load();
    // Tests only (set from the worker's own console): make every request this slow, to prove that
    // a slow request is waited for and not resent. Pages cannot reach this global.
    const delay = Number(globalThis.__egTestDelayMs) || 0;
    for (const end = performance.now() + delay; performance.now() < end;) {
      await new Promise((r) => setTimeout(r, 50));
      if (job.cancelled) return { ok: false, error: 'superseded' };
    }
    const results = [];
    let sc = null;
    let slice = performance.now();
    for (const step of assessSteps(det, msg, win)) {
      if (step.scanner) sc = step.scanner;
      if (step.result) results.push(step.result);
      const now = performance.now();
      stats.busiestStepMs = Math.max(stats.busiestStepMs, Math.round(now - slice));
      if (now - slice > STEP_BUDGET_MS) {
        await yieldNow();
        if (job.cancelled) return { ok: false, error: 'superseded' };
        slice = performance.now();
      }
    }
    stats.scanned += sc ? sc.scanned : 0;
    results.sort((a, b) => a.index - b.index);
    return { ok: true, results, win };
  } finally {
    if (jobs.get(key) === job) jobs.delete(key);
    stats.longestMs = Math.max(stats.longestMs, Math.round(performance.now() - t0));
  }
}

function reject(sendResponse, error) {
  stats.rejected += 1;
  sendResponse({ ok: false, error });
  return false;
}

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!sender || sender.id !== api.runtime.id) return false; // not ours: never answered
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return reject(sendResponse, 'bad request');
  const allowed = Object.hasOwn(ALLOWED, msg.type) ? ALLOWED[msg.type] : null;
  if (!allowed) {
    // Messages meant for content scripts (eg-status) also reach here from the popup: not ours to answer.
    if (msg.type.startsWith('eg-')) return false;
    return reject(sendResponse, 'unknown request');
  }
  if (!allowed(sender)) return reject(sendResponse, 'not allowed from this sender');
  if (msg.type === 'assess') {
    const problem = requestProblem(msg);
    if (problem) return reject(sendResponse, `bad assess request: ${problem}`);
    stats.requests += 1;
    stats.evaluated += msg.evaluate.length;
    runAssess(msg, sender).then(sendResponse, (e) => sendResponse({ ok: false, error: String(e && e.message || e) }));
    return true;
  }
  if (msg.type === 'assess-status') {
    // "Is my request still being worked on?": a slow request is waited for, a lost one resent.
    if (typeof msg.conv !== 'string' || typeof msg.job !== 'string' || msg.conv.length > 200 || msg.job.length > 200) return reject(sendResponse, 'bad status request');
    const job = jobs.get(`${sender.tab.id}|${msg.conv}`);
    sendResponse({ ok: true, running: !!job && job.id === msg.job && !job.cancelled });
    return false;
  }
  if (msg.type === 'open-help') {
    if (msg.region !== undefined && msg.region !== null && typeof msg.region !== 'string') return reject(sendResponse, 'bad region');
    api.tabs.create({ url: api.runtime.getURL('help/help.html') + regionHash(msg.region) });
    sendResponse({ ok: true });
    return false;
  }
  if (msg.type === 'open-options') {
    api.runtime.openOptionsPage();
    sendResponse({ ok: true });
    return false;
  }
  if (msg.type === 'protect-tab') {
    if (!Number.isInteger(msg.tabId) || msg.tabId < 0) return reject(sendResponse, 'bad tab id');
    // From the popup after the user granted this site: make sure the script runs there now.
    syncGenericScripts().then(async (origins) => {
      const tab = await api.tabs.get(msg.tabId);
      const origin = tab.url ? `${new URL(tab.url).origin}/*` : null;
      if (origin && origins.includes(origin)) await api.scripting.executeScript({ target: { tabId: tab.id }, files: GENERIC_JS });
      sendResponse({ ok: !!origin && origins.includes(origin) });
    }).catch((e) => sendResponse({ ok: false, error: String(e && e.message || e) }));
    return true;
  }
  if (msg.type === 'ping') { sendResponse({ ok: true }); return false; }
  return false;
});

// Bring stored settings up to the current version, then start the engine: the worker is woken by
// the first message of a chat.
loadSettings(api).catch(() => {});
load().catch(() => {});
