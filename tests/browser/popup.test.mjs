// The toolbar popup: on a supported chat it says so, counts the incoming messages checked and the
// warnings shown in this tab, and pauses the site (persisted; no warning while paused). On any
// other https site it offers "Protect this site", which asks the browser for that one origin; once
// granted, the generic adapter runs there (registered content script).
//
// Headless Chromium cannot answer the browser's permission prompt, so the grant itself is tested
// with a copy of the built extension whose manifest already holds that origin — the state the
// browser is in after the user said yes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, open, visibleOverlays, waitFor, sleep, screenshot, EXT } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
const THREAT2 = 'last chance. send $300 in bitcoin or everyone at your school sees the video tonight';
let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

// Extension APIs are called from an extension page: the service worker may be stopped by a test.
const pages = new Map();
async function inExtension(br, fn) {
  if (!pages.has(br)) {
    const page = await br.context.newPage();
    await page.goto(`chrome-extension://${br.extensionId}/_locales/en/messages.json`);
    pages.set(br, page);
  }
  return pages.get(br).evaluate(fn);
}
const storage = (br = b) => inExtension(br, () => chrome.storage.local.get(null));
const receive = (p, t) => p.page.evaluate((x) => window.__chat.receive(x), t);
const first = async (p, timeout) => waitFor(async () => (await visibleOverlays(p))[0], { timeout });
// The newest tab's id (the extension cannot read other sites' addresses: no "tabs" permission).
const newestTab = (br) => inExtension(br, async () => (await chrome.tabs.query({})).filter((x) => !(x.url || '').startsWith('chrome-extension:')).sort((a, c) => c.index - a.index)[0].id);
async function popup(br, tabId, url) {
  const page = await br.context.newPage();
  await page.setViewportSize({ width: 340, height: 420 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`chrome-extension://${br.extensionId}/popup/popup.html?tab=${tabId}${url ? `&url=${encodeURIComponent(url)}` : ''}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 20000 });
  return { page, errors, text: () => page.evaluate(() => document.body.innerText) };
}

test('on a supported chat: supported and active, messages checked and warnings shown in this tab', async () => {
  const manifest = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
  assert.equal(manifest.action.default_popup, 'popup/popup.html');
  const p = await open(b, 'whatsapp');
  const tab = await newestTab(b);
  await p.page.evaluate(() => window.__chat.switchChat('447700900401', 'Sam'));
  await receive(p, 'hey, how are you?');
  await receive(p, 'want to video call later?');
  await receive(p, THREAT);
  assert.ok(await first(p));
  const pop = await popup(b, tab);
  await pop.page.waitForFunction(() => document.getElementById('warnings').textContent === '1');
  assert.equal(await pop.page.$eval('#site', (e) => e.textContent), 'WhatsApp Web: supported');
  assert.match(await pop.page.$eval('#state', (e) => e.textContent), /^Active/);
  assert.equal(Number(await pop.page.$eval('#checked', (e) => e.textContent)), 3, 'three incoming messages checked');
  assert.equal(await pop.page.$eval('#pause', (e) => e.checked), false);
  assert.equal(await pop.page.$eval('#protect-row', (e) => e.hidden), true);
  await screenshot(pop.page, 'popup');

  // The counts live in the tab, not in the service worker: they survive the worker being stopped.
  const bc = await b.context.browser().newBrowserCDPSession();
  const { targetInfos } = await bc.send('Target.getTargets');
  const worker = targetInfos.find((x) => x.type === 'service_worker' && x.url.endsWith('/background.js'));
  assert.ok(worker, 'the background service worker is running');
  await bc.send('Target.closeTarget', { targetId: worker.targetId });
  await sleep(500);
  await pop.page.reload();
  await pop.page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  assert.equal(await pop.page.$eval('#warnings', (e) => e.textContent), '1');

  // Pause on this site (keyboard): persisted, the warning goes, nothing is checked while paused.
  await pop.page.focus('#pause');
  await pop.page.keyboard.press('Space');
  await waitFor(async () => (await storage()).off?.includes('whatsapp'));
  await pop.page.waitForFunction(() => /^Paused/.test(document.getElementById('state').textContent));
  await screenshot(pop.page, 'popup-paused');
  assert.equal((await visibleOverlays(p)).length, 0, 'the warning is gone while paused');
  await receive(p, THREAT2);
  await sleep(2000);
  assert.equal((await visibleOverlays(p)).length, 0, 'no warning while paused');
  const checkedWhilePaused = Number(await pop.page.$eval('#checked', (e) => e.textContent));
  assert.equal(checkedWhilePaused, 3, 'nothing checked while paused');
  // A new page load of the site stays paused.
  const p2 = await open(b, 'whatsapp');
  await receive(p2, THREAT);
  await sleep(2000);
  assert.equal((await visibleOverlays(p2)).length, 0, 'the pause persists across page loads');
  await p2.page.close();
  // Resume: the message that arrived while paused is checked now.
  await pop.page.bringToFront();
  await pop.page.focus('#pause');
  await pop.page.keyboard.press('Space');
  await waitFor(async () => !(await storage()).off?.includes('whatsapp'));
  await p.page.bringToFront();
  assert.ok(await first(p), 'resumed: the message is checked and warns');
  assert.deepEqual(pop.errors, []);
  await pop.page.close();
  await p.page.close();
});

test('on another https site: "Protect this site" asks the browser for exactly that origin', async () => {
  const p = await open(b, 'untargeted');
  const tab = await newestTab(b);
  const pop = await popup(b, tab, 'https://chat.example.org/');
  assert.equal(await pop.page.$eval('#site', (e) => e.textContent), 'chat.example.org');
  assert.equal(await pop.page.$eval('#state', (e) => e.textContent), 'Not a supported chat site.');
  assert.equal(await pop.page.$eval('#protect-row', (e) => e.hidden), false);
  assert.equal(await pop.page.$eval('#counts', (e) => e.hidden), true);
  await screenshot(pop.page, 'popup-unsupported');
  // Record the request (the browser's prompt cannot be answered in headless mode).
  await pop.page.evaluate(() => {
    const real = chrome.permissions.request.bind(chrome.permissions);
    chrome.permissions.request = (perm) => { window.__asked = perm; return real(perm); };
  });
  await pop.page.focus('#protect');
  await pop.page.keyboard.press('Enter');
  const asked = await pop.page.waitForFunction(() => window.__asked, null, { timeout: 5000 }).then((h) => h.jsonValue());
  assert.deepEqual(asked, { origins: ['https://chat.example.org/*'] });
  const manifest = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.optional_host_permissions, ['https://*/*']);
  assert.ok(!manifest.host_permissions, 'no host permission at install beyond the chat sites');
  await pop.page.close();
  await p.page.close();
});

test('a site the user granted runs the generic adapter: it warns, and the popup counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-granted-'));
  cpSync(EXT, dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  m.host_permissions = ['https://chat.example.org/*']; // as after "Protect this site" → Allow
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  const g = await launch({ locale: 'en-GB', extension: dir });
  try {
    const registered = await waitFor(() => inExtension(g, async () => (await chrome.scripting.getRegisteredContentScripts()).map((s) => ({ id: s.id, matches: s.matches, js: s.js }))).then((r) => (r.length ? r : null)), { timeout: 10000 });
    assert.deepEqual(registered?.[0]?.matches, ['https://chat.example.org/*'], 'registered for the granted origin');
    assert.ok(registered[0].js.includes('content/generic.js'));
    const p = await open(g, 'untargeted');
    const tab = await newestTab(g);
    await receive(p, 'hello!');
    await receive(p, THREAT);
    const o = await first(p, 30000);
    assert.ok(o, 'the generic adapter warns on the granted site');
    const pop = await popup(g, tab, 'https://chat.example.org/');
    await pop.page.waitForFunction(() => document.getElementById('warnings').textContent === '1');
    assert.equal(await pop.page.$eval('#site', (e) => e.textContent), 'chat.example.org: protected by you');
    assert.equal(await pop.page.$eval('#checked', (e) => e.textContent), '2');
    await screenshot(pop.page, 'popup-protected');
    // Pausing a granted site pauses it under its host name.
    await pop.page.click('#pause');
    await waitFor(async () => (await storage(g)).off?.includes('chat.example.org'));
    await waitFor(async () => (await visibleOverlays(p)).length === 0);
    // The options page lists it, with a way to stop protecting it.
    const opt = await g.context.newPage();
    await opt.goto(`chrome-extension://${g.extensionId}/options/options.html`);
    await opt.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
    assert.equal(await opt.$eval('#sites input[data-site="chat.example.org"]', (e) => e.checked), false, 'paused shows as off');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(g.unexpected, [], 'no request of its own');
  } finally {
    await g.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
