// How the extension behaves over a chat's life: the buttons, keyboard use, chat switches in a
// single-page app, virtualised lists, a huge history, the service worker being stopped, the
// extension being reloaded, and the help page. Debian's Chromium with the built extension.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, visibleOverlays, overlays, waitFor, sleep, screenshot, swStats, rectOf, intersects } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
const THREAT2 = 'last chance. send $300 in bitcoin or everyone at your school sees the video tonight';
let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

const receive = (p, t) => p.page.evaluate((x) => window.__chat.receive(x), t);
const first = async (p) => waitFor(async () => (await visibleOverlays(p))[0]);
async function click(p, label) {
  const o = (await visibleOverlays(p))[0];
  const btn = o.buttons.find((x) => x.text === label);
  assert.ok(btn, `button ${label} in ${JSON.stringify(o.buttons.map((x) => x.text))}`);
  await p.page.mouse.click(btn.x, btn.y);
}
async function storage() { return b.sw.evaluate(() => chrome.storage.local.get(null)); }

test('harness self-check: a request made by the extension would be caught', async () => {
  const before = b.unexpected.length;
  await b.sw.evaluate(() => fetch('https://tracker.example.net/probe').catch(() => 'blocked'));
  await sleep(300);
  assert.ok(b.unexpected.slice(before).some((u) => u.includes('tracker.example.net')), 'the route sees service-worker requests');
  b.unexpected.length = before;
});

test('Dismiss closes the warning; it stays closed for chatter, and a new threat warns again', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900201', '+44 7700 900201'));
  await receive(p, THREAT);
  assert.ok(await first(p));
  await click(p, 'Dismiss');
  assert.equal((await overlays(p)).length, 0, 'gone after Dismiss');
  await receive(p, 'hello??');
  await sleep(1200);
  assert.equal((await overlays(p)).length, 0, 'chatter does not bring it back');
  await receive(p, THREAT2);
  assert.ok(await first(p), 'a new threat warns again');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('Not a threat mutes the chat, can be undone there, and other chats still warn', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900202', '+44 7700 900202'));
  await receive(p, THREAT);
  assert.ok(await first(p));
  await click(p, 'Not a threat');
  const muted = await first(p);
  assert.match(muted.text, /Warnings are off for this chat/);
  assert.ok((await storage()).muted.some((c) => c.includes('447700900202')), 'mute stored');
  await screenshot(p.page, 'muted-undo');
  await click(p, 'Undo');
  const back = await first(p);
  assert.equal(back.label, 'This message looks like a blackmail script', 'Undo brings the warning back');
  assert.ok(!(await storage()).muted.some((c) => c.includes('447700900202')), 'mute removed');
  await click(p, 'Not a threat');
  await click(p, 'Close');
  await receive(p, THREAT2);
  await sleep(1500);
  assert.equal((await visibleOverlays(p)).length, 0, 'muted chat: no warning');
  await p.page.evaluate(() => window.__chat.switchChat('447700900203', '+44 7700 900203'));
  await receive(p, THREAT2);
  assert.ok(await first(p), 'another chat still warns');
  await p.page.close();
});

test('Get help opens the extension help page for the region, which can turn a chat back on', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900204', '+44 7700 900204'));
  await receive(p, THREAT);
  assert.ok(await first(p));
  const pageEvent = b.context.waitForEvent('page');
  await click(p, 'Get help');
  const help = await pageEvent;
  await help.waitForFunction(() => document.documentElement.dataset.ready === '1');
  assert.match(help.url(), /^chrome-extension:\/\/[a-z]+\/help\/help\.html#region=UK$/);
  const text = await help.evaluate(() => document.body.innerText);
  assert.match(text, /CEOP/);
  assert.match(text, /Report Remove/);
  assert.match(text, /StopNCII/);
  assert.match(text, /not your fault/i);
  assert.match(text, /Source:/);
  // The chat muted from another test or from here is listed and can be turned back on.
  await p.page.bringToFront();
  await click(p, 'Not a threat');
  await help.bringToFront();
  await help.waitForFunction(() => document.querySelectorAll('#muted li').length > 0);
  await help.screenshot({ path: 'dist/screenshots/help-page.png', fullPage: true });
  const n = await help.evaluate(() => document.querySelectorAll('#muted li').length);
  await help.click('#muted li button');
  await help.waitForFunction((k) => document.querySelectorAll('#muted li').length === k - 1, n);
  await help.selectOption('#region', 'US');
  assert.match(await help.evaluate(() => document.body.innerText), /CyberTipline/);
  await help.close();
  await p.page.close();
});

test('keyboard: the warning takes focus when the user is not typing, Tab reaches the buttons, Escape dismisses', async () => {
  const p = await open(b, 'telegram-a');
  await p.page.evaluate(() => window.__chat.switchChat('-100200', 'Group'));
  await receive(p, THREAT);
  const o = await first(p);
  assert.equal(o.focusedText, 'alertdialog', 'focus moved to the warning');
  const seen = [];
  for (let i = 0; i < 30; i++) {
    await p.page.keyboard.press('Tab');
    const f = (await overlays(p))[0]?.focusedText;
    seen.push(f);
    if (f === 'Dismiss') break;
  }
  assert.ok(seen.includes('Get help') && seen.includes('Dismiss'), `Tab order: ${seen.join(' | ')}`);
  await p.page.keyboard.press('Enter');
  assert.equal((await overlays(p)).length, 0, 'Enter on Dismiss closes it');
  await receive(p, THREAT2);
  assert.ok(await first(p));
  await p.page.keyboard.press('Escape');
  assert.equal((await overlays(p)).length, 0, 'Escape closes it');
  // While the user types, the warning does not steal focus.
  await p.page.click('#editable-message-text');
  await p.page.keyboard.type('hel');
  await receive(p, 'ok fine. i recorded you on cam. pay 200 usd or i post the video to all ur followers');
  assert.ok(await first(p));
  assert.equal(await p.page.evaluate(() => document.activeElement.id), 'editable-message-text', 'focus stays in the compose box');
  await p.page.close();
});

test('single-page app: switching chats hides the warning; coming back shows it again', async () => {
  const p = await open(b, 'discord');
  await receive(p, THREAT);
  assert.ok(await first(p));
  await p.page.evaluate(() => window.__chat.switchChat('1100000000000000999', 'Kim'));
  await sleep(800);
  assert.equal((await visibleOverlays(p)).length, 0, 'hidden in the other chat');
  await receive(p, 'hey, are you coming to the stream later?');
  await sleep(1000);
  assert.equal((await visibleOverlays(p)).length, 0);
  await p.page.evaluate(() => window.__chat.switchChat('1100000000000000001', 'Sam'));
  assert.ok(await first(p), 'back in the first chat, the warning is back');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('virtualised list: rows re-created on scroll are not scanned again', async () => {
  const p = await open(b, 'instagram');
  const hist = [];
  for (let i = 0; i < 20; i++) hist.push({ text: i === 17 ? THREAT : `message number ${i}, see you at practice`, out: i % 3 === 0, time: Date.now() - (20 - i) * 60000 });
  await p.page.evaluate((h) => window.__chat.history(h), hist);
  assert.ok(await first(p), 'threat in the visible rows flagged');
  await sleep(500);
  const s0 = await swStats(b);
  for (let i = 0; i < 3; i++) {
    await p.page.evaluate(() => window.__chat.scrollOlder(4));
    await sleep(300);
  }
  await p.page.evaluate(() => window.__chat.scrollNewest());
  await sleep(1000);
  const s1 = await swStats(b);
  // Older rows appear for the first time (they were never shown): they are read once. Rows seen
  // before are not evaluated again.
  assert.ok(s1.evaluated - s0.evaluated <= 12, `evaluated again: ${s1.evaluated - s0.evaluated}`);
  await p.page.evaluate(() => { window.__chat.scrollOlder(4); });
  await sleep(500);
  await p.page.evaluate(() => { window.__chat.scrollNewest(); });
  await sleep(800);
  const s2 = await swStats(b);
  assert.equal(s2.evaluated, s1.evaluated, 'the second time round nothing is evaluated');
  assert.equal((await overlays(p)).length, 1, 'one warning, not repeated');
  assert.ok((await visibleOverlays(p)).length === 1, 'visible again with its row');
  await p.page.close();
});

test('a huge history (2500 messages) at open is read in time slices, and the page stays responsive', async () => {
  const p = await open(b, 'telegram-k');
  const hist = [];
  for (let i = 0; i < 2500; i++) hist.push({ text: `msg ${i}: lol did you finish the maths homework?`, out: i % 2 === 1, time: Date.now() - (2500 - i) * 30000 });
  hist[2490] = { text: THREAT, time: Date.now() - 300000 };
  const t0 = Date.now();
  // The page renders the history first (its own work); then the timer measures how long the
  // extension's work keeps the page's main thread busy at a stretch.
  await p.page.evaluate((h) => {
    window.__chat.history(h);
    void document.body.getBoundingClientRect().height; // the page's own layout of the new rows
    window.__gaps = [];
    let last = performance.now();
    window.__tick = setInterval(() => { const n = performance.now(); window.__gaps.push(n - last); last = n; }, 10);
  }, hist);
  assert.ok(await waitFor(async () => (await visibleOverlays(p))[0], { timeout: 15000 }), 'threat near the end flagged');
  const took = Date.now() - t0;
  const gaps = await p.page.evaluate(() => { clearInterval(window.__tick); return window.__gaps; });
  const worst = Math.max(...gaps);
  console.log(`# 2500-message history: flagged after ${took} ms; worst timer gap ${worst.toFixed(0)} ms`);
  // Read in one go, the history would block the page for the whole time; read in slices, the page
  // gets its turn between them. (Wall-clock gaps also include other processes on a shared 2-core
  // machine, so the bound is relative to the whole reading time.)
  const total = gaps.reduce((a, x) => a + x, 0);
  assert.ok(gaps.length > 20, 'the page ran its own timers many times while the history was read');
  assert.ok(worst < Math.max(600, total / 4), `page blocked for ${worst.toFixed(0)} ms of ${total.toFixed(0)} ms`);
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('the service worker being stopped does not lose warnings (the engine wakes lazily)', async () => {
  const p = await open(b, 'telegram-k');
  await p.page.evaluate(() => window.__chat.switchChat('555', 'Alex'));
  await receive(p, 'hey there');
  await sleep(800);
  // Stop the worker as Chrome does when it is idle: close its target.
  const bc = await b.context.browser().newBrowserCDPSession();
  const { targetInfos } = await bc.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.endsWith('/background.js'));
  assert.ok(worker, 'the background service worker is running');
  await bc.send('Target.closeTarget', { targetId: worker.targetId });
  await sleep(500);
  await receive(p, THREAT);
  assert.ok(await waitFor(async () => (await visibleOverlays(p))[0], { timeout: 15000 }), 'warning after the worker restarted');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('overlay at 200 % zoom stays inside the window, off the compose box, with every button reachable', async () => {
  // 200 % zoom of a 1280×800 window: a 640×400 CSS-pixel viewport at device scale 2.
  const z = await launch({ locale: 'en-US', viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
  try {
    const p = await open(z, 'messenger');
    await receive(p, THREAT);
    const o = await waitFor(async () => (await visibleOverlays(p))[0]);
    assert.ok(o, 'shown');
    const compose = await rectOf(p.page, '[role="textbox"][contenteditable="true"]');
    assert.ok(!intersects(o.rect, compose), 'not over the compose box');
    assert.ok(o.rect.left >= 0 && o.rect.right <= 640 && o.rect.top >= 0 && o.rect.bottom <= 400, JSON.stringify(o.rect));
    for (const btn of o.buttons) assert.ok(btn.y > o.rect.top && btn.y < o.rect.bottom && btn.x < 640, `${btn.text} visible`);
    assert.ok(o.scrollable, 'the card scrolls (its buttons stay in view)');
    await p.page.mouse.move((o.rect.left + o.rect.right) / 2, o.rect.top + 40);
    await p.page.mouse.wheel(0, 400);
    await sleep(300);
    const scrolled = (await visibleOverlays(p))[0];
    assert.ok(scrolled.bodyVisible > 100, `the advice comes into view when scrolled (${scrolled.bodyVisible}px)`);
    for (const btn of scrolled.buttons) assert.ok(btn.y > scrolled.rect.top && btn.y < scrolled.rect.bottom, `${btn.text} still visible after scrolling`);
    assert.ok(o.links.some((l) => l.href.includes('report.cybertip.org')), 'US: NCMEC CyberTipline for en-US');
    assert.ok(o.links.some((l) => l.href.includes('takeitdown.ncmec.org')), 'US: Take It Down');
    assert.ok(!o.links.some((l) => l.href.includes('ceop.police.uk')), 'no UK links for en-US');
    await screenshot(p.page, 'zoom-200-en-US-scrolled');
    assert.deepEqual(z.unexpected, []);
  } finally { await z.close(); }
});

test('reloading the extension while a chat is open throws nothing into the page', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900299', '+44 7700 900299'));
  await receive(p, THREAT);
  assert.ok(await first(p));
  await b.sw.evaluate(() => { setTimeout(() => chrome.runtime.reload(), 50); }).catch(() => {});
  await sleep(1500);
  await receive(p, THREAT2);
  await receive(p, 'hello');
  await sleep(1500);
  assert.equal((await visibleOverlays(p)).length, 0, 'the orphaned script removed its warning and stopped');
  assert.deepEqual(p.errors, [], 'no errors in the page');
  await p.page.close();
});
