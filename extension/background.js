// Extortion Guard background: hosts the detection engine (WebAssembly) and answers the content
// scripts. It runs as a module service worker in Chrome (stopped after ~30 s idle) and as an event
// page in Firefox, so it keeps no state that a content script cannot rebuild: each request carries
// the conversation's recent incoming messages, and the engine is re-initialised lazily on wake.
// It makes no network requests: the engine and the rule pack are files inside the extension.
import init, { Detector } from './engine/extortion_guard.js';
import { assessBatch, windowSize } from './assess.js';

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
      const det = new Detector(packText);
      let win = 12;
      try { win = windowSize(JSON.parse(packText)); } catch { /* default */ }
      stats.initMs = Math.round(performance.now() - t0);
      return { det, win };
    })();
    engine.catch(() => { engine = null; });
  }
  return engine;
}

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
  if (msg.type === 'ping') { sendResponse({ ok: true }); return false; }
  return false;
});

// Start the engine as soon as the worker starts: it is woken by the first message of a chat.
load().catch(() => {});

api.action?.onClicked.addListener(() => {
  api.tabs.create({ url: api.runtime.getURL('help/help.html') });
});
