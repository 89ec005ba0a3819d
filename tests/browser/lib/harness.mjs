// Test harness: Debian's Chromium (the real binary, not the wrapper script) with the built
// extension loaded, fixture pages served at the real sites' URLs with strict CSP and Trusted Types,
// a record of every request, and a reader for the overlay (it lives in a closed shadow root, so it
// is read through the DevTools protocol, as assistive technology and the user would see it).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'tests/browser/fixtures');
export const EXT = process.env.EG_EXTENSION_DIR || join(ROOT, 'dist/chrome');
export const SHOTS = join(ROOT, 'dist/screenshots');

export const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: https://cdn.discordapp.com",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
  "require-trusted-types-for 'script'", 'trusted-types fixture',
].join('; ');

export function chromiumPath() {
  if (process.env.EG_CHROMIUM) return process.env.EG_CHROMIUM;
  const files = execFileSync('dpkg', ['-L', 'chromium'], { encoding: 'utf8' }).split('\n');
  const bin = files.find((f) => /lib\/chromium\/chromium$/.test(f));
  if (!bin) throw new Error('Debian chromium package not installed');
  return bin;
}

// The sites and their fixture: URL → fixture file.
export const SITES = {
  whatsapp: { url: 'https://web.whatsapp.com/', file: 'whatsapp.html' },
  messenger: { url: 'https://www.messenger.com/t/100000000000001/', file: 'messenger.html' },
  facebook: { url: 'https://www.facebook.com/messages/t/100000000000002/', file: 'messenger.html' },
  instagram: { url: 'https://www.instagram.com/direct/t/340282366841710300949128/', file: 'instagram.html' },
  'telegram-k': { url: 'https://web.telegram.org/k/#777000', file: 'telegram-k.html' },
  'telegram-a': { url: 'https://web.telegram.org/a/#777000', file: 'telegram-a.html' },
  discord: { url: 'https://discord.com/channels/@me/1100000000000000001', file: 'discord.html' },
  slack: { url: 'https://app.slack.com/client/T0EXAMPLE01/D0EXAMPLE02', file: 'slack.html' },
  x: { url: 'https://x.com/i/chat/1500000000000000001-1600000000000000002', file: 'x.html' },
  'x-legacy': { url: 'https://x.com/messages/1500000000000000001-1600000000000000002', file: 'x.html' },
  twitter: { url: 'https://twitter.com/messages/1500000000000000001-1600000000000000002', file: 'x.html' },
  linkedin: { url: 'https://www.linkedin.com/messaging/thread/2-ZXhhbXBsZTE=/', file: 'linkedin.html' },
  tinder: { url: 'https://tinder.com/app/messages/5f0c0ffee00000000000000a5f0c0ffee00000000000000b', file: 'tinder.html' },
  snapchat: { url: 'https://www.snapchat.com/web/0c1b2a39-4857-4a6b-9c8d-7e6f5a4b3c2d', file: 'snapchat.html' },
  bumble: { url: 'https://eu1.bumble.com/app/connections', file: 'bumble.html' },
  untargeted: { url: 'https://chat.example.org/', file: 'untargeted.html' },
};
const HOSTS = new Set(Object.values(SITES).map((s) => new URL(s.url).host));
// The fixture for a document URL: same host, and the site URL's first path segment.
function fixtureFor(url) {
  let best = null;
  for (const s of Object.values(SITES)) {
    const u = new URL(s.url);
    if (u.host !== url.host) continue;
    const seg = u.pathname.split('/')[1] || '';
    if (url.pathname.split('/')[1] === seg || (!best && !seg)) best = s.file;
  }
  return best;
}
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkaPhfDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

export async function launch({ locale = 'en-GB', viewport = { width: 1280, height: 800 }, deviceScaleFactor = 1, extension = EXT, headless = true } = {}) {
  if (!existsSync(join(extension, 'manifest.json'))) throw new Error(`built extension not found at ${extension}: run ./build.sh`);
  const profile = mkdtempSync(join(tmpdir(), 'eg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless,
    locale,
    viewport,
    deviceScaleFactor,
    // On Linux, Chromium's UI language (which chrome.i18n follows) comes from LANGUAGE, not --lang;
    // it needs Debian's chromium-l10n for anything but en-US.
    env: { ...process.env, LANGUAGE: locale.replace('-', '_') },
    args: [
      `--disable-extensions-except=${extension}`, `--load-extension=${extension}`,
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider',
      `--lang=${locale}`,
    ],
  });
  const requests = [];      // every request the browser made: { url, from }
  const unexpected = [];    // requests to anything but the fixture files
  context.on('request', (r) => {
    let from = 'page';
    try { if (r.serviceWorker()) from = 'service-worker'; } catch { /* older API */ }
    requests.push({ url: r.url(), from });
  });
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    // The extension's own files (its pages, scripts, the engine) are local, not network.
    if (url.protocol === 'chrome-extension:' || url.protocol === 'data:') return route.continue();
    const file = HOSTS.has(url.host) ? fixtureFor(url) : null;
    if (HOSTS.has(url.host) && url.pathname.startsWith('/__fixture/')) {
      const name = url.pathname.slice('/__fixture/'.length).replace(/[^\w.-]/g, '');
      const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      return route.fulfill({ status: 200, contentType: type, body: readFileSync(join(FIXTURES, name)) });
    }
    if (file && route.request().resourceType() === 'document') {
      return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': CSP }, body: readFileSync(join(FIXTURES, file)) });
    }
    if (url.host === 'cdn.discordapp.com' && url.pathname.startsWith('/avatars/')) {
      return route.fulfill({ status: 200, contentType: 'image/png', body: PNG_1PX });
    }
    unexpected.push(url.href);
    return route.abort('blockedbyclient');
  });
  let sw = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: 15000 });
  const extensionId = new URL(sw.url()).host;
  return {
    context, sw, extensionId, requests, unexpected,
    extensionRequests: () => requests.filter((r) => r.from === 'service-worker' || r.url.startsWith(`chrome-extension://${extensionId}`) === false && r.url.includes(extensionId)),
    async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

// Opens a fixture site in a new page; collects page errors and console errors.
export async function open(b, site, { history } = {}) {
  const page = await b.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  const cdp = await b.context.newCDPSession(page);
  const worlds = [];
  cdp.on('Runtime.executionContextCreated', (e) => worlds.push(e.context));
  await cdp.send('Runtime.enable');
  await page.goto(SITES[site].url);
  await page.waitForFunction(() => document.documentElement.dataset.fixtureReady === '1');
  if (history) await page.evaluate((h) => window.__chat.history(h), history);
  return { page, errors, cdp, worlds, extensionWorld: () => worlds.some((c) => c.auxData?.type === 'isolated' && c.name === 'Extortion Guard') };
}

// Reads every overlay of the extension on the page: closed shadow roots holding an alertdialog.
export async function overlays(p) {
  const { root } = await p.cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  const closed = [];
  const walk = (n) => {
    for (const s of n.shadowRoots || []) { if (s.shadowRootType === 'closed') closed.push(s); walk(s); }
    for (const c of n.children || []) walk(c);
    if (n.contentDocument) walk(n.contentDocument);
  };
  walk(root);
  const out = [];
  for (const s of closed) {
    const { object } = await p.cdp.send('DOM.resolveNode', { backendNodeId: s.backendNodeId });
    const { result } = await p.cdp.send('Runtime.callFunctionOn', {
      objectId: object.objectId, returnByValue: true,
      functionDeclaration: `function () {
        const d = this.querySelector('[role="alertdialog"]');
        if (!d) return null;
        const host = this.host; const r = d.getBoundingClientRect();
        const visible = getComputedStyle(host).display !== 'none' && r.width > 0 && r.height > 0;
        const labelId = d.getAttribute('aria-labelledby');
        const label = labelId ? (this.getElementById(labelId)?.textContent || '') : (d.getAttribute('aria-label') || '');
        return {
          visible, label, text: d.innerText,
          rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height },
          scrollable: d.scrollHeight > d.clientHeight,
          bodyVisible: (() => { const b = d.querySelector('.body'); if (!b) return 0; const br = b.getBoundingClientRect(); const f = d.querySelector('footer').getBoundingClientRect(); return Math.max(0, Math.min(br.bottom, f.top) - Math.max(br.top, r.top)); })(),
          buttons: [...d.querySelectorAll('button')].map((b) => { const br = b.getBoundingClientRect(); return { text: b.textContent, x: br.left + br.width / 2, y: br.top + br.height / 2, w: br.width, h: br.height }; }),
          links: [...d.querySelectorAll('a')].map((a) => ({ text: a.textContent, href: a.getAttribute('href') })),
          focusedText: this.activeElement ? (this.activeElement.getAttribute('role') || this.activeElement.textContent) : null,
          hostParent: host.parentNode === document.documentElement ? 'html' : (host.parentNode && host.parentNode.nodeName),
          hasStyleElement: !!this.querySelector('style'),
          adopted: this.adoptedStyleSheets.length,
        };
      }`,
    });
    if (result.value) out.push(result.value);
  }
  return out;
}

export async function visibleOverlays(p) { return (await overlays(p)).filter((o) => o.visible); }

export async function waitFor(fn, { timeout = 30000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  return last;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function rectOf(page, selector) {
  return page.evaluate((s) => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; }, selector);
}

export function intersects(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export async function swStats(b) {
  return b.sw.evaluate(() => globalThis.__egStats || null).catch(() => null);
}

void dirname;
