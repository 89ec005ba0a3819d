// Firefox ESR smoke test over WebDriver BiDi (no geckodriver): install dist/firefox as a temporary
// add-on, serve the WhatsApp fixture at its real URL (network interception, strict CSP and
// Trusted Types), let messages arrive, and check that the warning appears for the threat only.
// The overlay's shadow root is closed, so it is found the way a user finds it: it is what lies
// on top at the card's place on screen (elementFromPoint returns its host), and in a screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, FIXTURES, CSP, sleep } from './lib/harness.mjs';

const FIREFOX = process.env.EG_FIREFOX || 'firefox-esr';
const EXT = join(ROOT, 'dist/firefox');
const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';

const PREFS = {
  'app.update.enabled': false, 'app.update.auto': false, 'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false, 'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false, 'toolkit.telemetry.unified': false, 'toolkit.telemetry.server': '',
  'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false, 'browser.safebrowsing.provider.google4.updateURL': '',
  'services.settings.server': 'http://127.0.0.1:9/', 'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false, 'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false, 'extensions.systemAddon.update.enabled': false,
  'browser.newtabpage.enabled': false, 'browser.startup.page': 0, 'browser.startup.homepage': 'about:blank',
  'network.dns.disablePrefetch': true, 'network.prefetch-next': false, 'browser.ping-centre.telemetry': false,
  'intl.accept_languages': 'en-GB', 'intl.locale.requested': 'en-GB', 'remote.prefs.recommended': true,
  'browser.contentblocking.report.lockwise.enabled': false, 'media.gmp-manager.url': '',
};

async function startFirefox() {
  const profile = mkdtempSync(join(tmpdir(), 'eg-firefox-'));
  writeFileSync(join(profile, 'user.js'), Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n');
  const port = 9300 + Math.floor(Math.random() * 500);
  const proc = spawn(FIREFOX, ['--headless', '--no-remote', '--profile', profile, `--remote-debugging-port=${port}`, '--width=1280', '--height=800'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Firefox did not start BiDi:\n${log}`)), 60000);
    const on = (d) => { log += d; if (/WebDriver BiDi listening on/.test(log)) { clearTimeout(t); resolve(); } };
    proc.stdout.on('data', on); proc.stderr.on('data', on);
    proc.on('exit', (c) => reject(new Error(`Firefox exited (${c}):\n${log}`)));
  });
  const WS = globalThis.WebSocket;
  if (!WS) throw new Error('WebSocket missing: run node with --experimental-websocket');
  const ws = new WS(`ws://127.0.0.1:${port}/session`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let id = 0; const pending = new Map(); const listeners = [];
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.id && pending.has(m.id)) { const { resolve, reject } = pending.get(m.id); pending.delete(m.id); if (m.type === 'error') reject(new Error(`${m.error}: ${m.message}`)); else resolve(m.result); }
    else if (m.method) for (const l of listeners) l(m);
  };
  const send = (method, params = {}) => new Promise((resolve, reject) => { const i = ++id; pending.set(i, { resolve, reject }); ws.send(JSON.stringify({ id: i, method, params })); });
  return {
    send, on: (fn) => listeners.push(fn),
    async close() {
      try { await send('browser.close'); } catch { /* closing */ }
      ws.close(); await Promise.race([new Promise((r) => proc.on('exit', r)), sleep(5000)]);
      proc.kill('SIGKILL'); rmSync(profile, { recursive: true, force: true });
    },
  };
}

test('Firefox ESR: the add-on installs, and warns on an incoming threat on WhatsApp Web only', { timeout: 180000 }, async () => {
  const ff = await startFirefox();
  const unexpected = [];
  try {
    await ff.send('session.new', { capabilities: {} });
    const { extension } = await ff.send('webExtension.install', { extensionData: { type: 'path', path: EXT } });
    assert.ok(extension, 'installed');
    await ff.send('session.subscribe', { events: ['network.beforeRequestSent'] });
    await ff.send('network.addIntercept', { phases: ['beforeRequestSent'] });
    ff.on(async (m) => {
      if (m.method !== 'network.beforeRequestSent' || !m.params.isBlocked) return;
      const req = m.params.request; const url = new URL(req.url);
      let body = null; let type = 'text/html; charset=utf-8'; const headers = [];
      if (url.host === 'web.whatsapp.com' && url.pathname.startsWith('/__fixture/')) {
        const name = url.pathname.slice(11).replace(/[^\w.-]/g, '');
        body = readFileSync(join(FIXTURES, name), 'utf8');
        type = name.endsWith('.js') ? 'text/javascript' : 'text/css';
      } else if (url.host === 'web.whatsapp.com' && url.pathname === '/') {
        body = readFileSync(join(FIXTURES, 'whatsapp.html'), 'utf8');
        headers.push({ name: 'Content-Security-Policy', value: { type: 'string', value: CSP } });
      }
      if (url.host === 'web.whatsapp.com' && url.pathname === '/favicon.ico') { body = ''; type = 'image/x-icon'; } // the browser's own
      if (body === null) {
        unexpected.push(req.url);
        await ff.send('network.failRequest', { request: req.request }).catch(() => {});
        return;
      }
      headers.push({ name: 'Content-Type', value: { type: 'string', value: type } });
      await ff.send('network.provideResponse', { request: req.request, statusCode: 200, reasonPhrase: 'OK', headers, body: { type: 'string', value: body } }).catch((e) => unexpected.push(`provideResponse failed: ${e.message}`));
    });
    const { contexts } = await ff.send('browsingContext.getTree', {});
    const context = contexts[0].context;
    await ff.send('browsingContext.setViewport', { context, viewport: { width: 1280, height: 800 } }).catch(() => {});
    await ff.send('browsingContext.navigate', { context, url: 'https://web.whatsapp.com/', wait: 'complete' });
    const evaluate = async (expression) => {
      const r = await ff.send('script.evaluate', { expression, target: { context }, awaitPromise: true, resultOwnership: 'none' });
      if (r.type === 'exception') throw new Error(r.exceptionDetails.text);
      return r.result.value;
    };
    for (let i = 0; i < 50 && (await evaluate('document.documentElement.dataset.fixtureReady')) !== '1'; i++) await sleep(100);
    // Anything on top in the card's area that is not the page's own (the overlay host is a child of <html>).
    const overlayOnTop = () => evaluate(`(() => {
      for (const [x, y] of [[1100, 150], [1100, 300], [1100, 450], [1000, 600], [1200, 250]]) {
        const e = document.elementFromPoint(x, y);
        if (e && e.parentNode === document.documentElement && e !== document.body && e !== document.head) return true;
      }
      return false;
    })()`);
    await evaluate(`window.__chat.receive('hey, are we still on for football tomorrow?')`);
    await sleep(500);
    await evaluate(`window.__chat.receive('lol send me the pics from the party')`);
    await sleep(500);
    await evaluate(`window.__chat.send(${JSON.stringify(`someone sent me "${THREAT}" is that a scam?`)})`);
    await sleep(3000);
    assert.equal(await overlayOnTop(), false, 'no warning on benign or outgoing messages');
    await evaluate(`window.__chat.receive(${JSON.stringify(THREAT)})`);
    let shown = false;
    const t0 = Date.now();
    while (!shown && Date.now() - t0 < 90000) { await sleep(500); shown = await overlayOnTop(); }
    console.log(`# Firefox: warning ${shown ? 'shown' : 'NOT shown'} ${Date.now() - t0} ms after the threat arrived`);
    const shot = await ff.send('browsingContext.captureScreenshot', { context });
    mkdirSync(join(ROOT, 'dist/screenshots'), { recursive: true });
    writeFileSync(join(ROOT, 'dist/screenshots/firefox-whatsapp.png'), Buffer.from(shot.data, 'base64'));
    assert.ok(shown, 'warning shown in Firefox');
    const hostHasNoOpenRoot = await evaluate(`[...document.documentElement.children].filter((e) => e !== document.head && e !== document.body).every((e) => e.shadowRoot === null)`);
    assert.ok(hostHasNoOpenRoot, 'the shadow root is closed to the page');
    assert.deepEqual(unexpected, [], 'no requests beyond the fixture');
  } finally {
    await ff.close();
  }
});
