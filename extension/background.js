// Extortion Guard background: hosts the detection engine (WebAssembly) and answers the content
// scripts. It runs as a module service worker in Chrome (stopped after ~30 s idle) and as an event
// page in Firefox, so it keeps no state that a content script cannot rebuild: each request carries
// the conversation's recent incoming messages, and the engine is re-initialised lazily on wake.
// It makes no network requests: the engine and the rule pack are files inside the extension.
import init, { Detector } from './engine/extortion_guard.js';
import { assessBatch, windowSize } from './assess.js';
import { loadSettings, grantedOrigins as granted } from './common/settings.js';

const api = globalThis.chrome ?? globalThis.browser;
let engine = null;
// Counters for the tests (read from the service worker): requests answered, messages evaluated.
// They live only as long as this worker.
const stats = { requests: 0, evaluated: 0 };
globalThis.__egStats = stats;

function load() {
  if (!engine) {
    engine = (async () => {
      const t0 = performance.now();
      await init({ module_or_path: api.runtime.getURL('engine/extortion_guard_bg.wasm') });
      const packText = await (await fetch(api.runtime.getURL('engine/pack.json'))).text();
      const det = await detectorWithCustomPacks(packText);
      let win = 12;
      try { win = windowSize(JSON.parse(packText)); } catch { /* default */ }
      stats.initMs = Math.round(performance.now() - t0);
      return { det, win };
    })();
    engine.catch(() => { engine = null; });
  }
  return engine;
}

// The built-in rules plus the user's custom packs. The options page stores a pack only after the
// engine accepted it, so this fails only if a later engine rejects an old pack: then the built-in
// rules keep working and the reason is kept for the options page to show.
async function detectorWithCustomPacks(packText) {
  let packs = [];
  try { packs = (await api.storage.local.get('customPacks')).customPacks || []; } catch { /* none */ }
  stats.customPacks = packs.length;
  stats.customError = null;
  if (packs.length) {
    try { return Detector.withCustomPacks(packText, packs.map(({ name, text }) => ({ name, text }))); } catch (e) {
      stats.customError = String(e && e.message || e);
      try { await api.storage.session?.set({ customPackError: stats.customError }); } catch { /* ignore */ }
    }
  }
  return new Detector(packText);
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

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== api.runtime.id || !msg || typeof msg !== 'object') return false;
  if (msg.type === 'assess') {
    stats.requests += 1;
    stats.evaluated += Array.isArray(msg.evaluate) ? msg.evaluate.length : 0;
    load().then(({ det, win }) => {
      sendResponse({ ok: true, results: assessBatch(det, msg, win) });
    }).catch((e) => sendResponse({ ok: false, error: String(e && e.message || e) }));
    return true;
  }
  if (msg.type === 'open-help') {
    api.tabs.create({ url: api.runtime.getURL('help/help.html') + regionHash(msg.region) });
    sendResponse({ ok: true });
    return false;
  }
  if (msg.type === 'open-options') {
    api.runtime.openOptionsPage();
    sendResponse({ ok: true });
    return false;
  }
  if (msg.type === 'protect-tab' && Number.isInteger(msg.tabId)) {
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
