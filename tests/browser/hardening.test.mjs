// Hardening (issue 9), in Debian's Chromium with the built extension: a sender cannot suppress the
// warning with slow batches, nor make their messages count as the user's with a display name; the
// content script's memory stays bounded; pages cannot talk to the extension or read its verdicts;
// malformed runtime messages are rejected; huge messages and pages do not stall the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, open, visibleOverlays, overlays, waitFor, sleep, swStats, EXT } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
const ARABIC = 'السلام عليكم ورحمة الله وبركاته، كيف حالك يا أخي؟ أتمنى أن تكون بخير وأن تكون عائلتك بخير أيضا. ';
let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

const receive = (p, t, opts) => p.page.evaluate(([x, o]) => window.__chat.receive(x, o), [t, opts]);
const shown = (p, timeout = 30000) => waitFor(async () => (await visibleOverlays(p))[0], { timeout });

// Runs an expression in the content script's isolated world (what a content script can do).
async function inContentScript(p, expression) {
  const ctx = await waitFor(async () => p.worlds.find((c) => c.auxData?.type === 'isolated' && c.name === 'Extortion Guard' && c.auxData?.isDefault === false), { timeout: 10000 });
  assert.ok(ctx, 'the content script world');
  const { result, exceptionDetails } = await p.cdp.send('Runtime.evaluate', { expression, contextId: ctx.id, awaitPromise: true, returnByValue: true });
  if (exceptionDetails) throw new Error(exceptionDetails.exception?.description || exceptionDetails.text);
  return result.value;
}

// The longest main-thread stall while `during` runs: a timer every 10 ms records its gaps.
async function probe(p) {
  await p.page.evaluate(() => {
    window.__gaps = []; let last = performance.now();
    window.__tick = setInterval(() => { const n = performance.now(); window.__gaps.push(n - last); last = n; }, 10);
  });
  return async () => {
    const gaps = await p.page.evaluate(() => { clearInterval(window.__tick); return window.__gaps; });
    return { worst: Math.max(...gaps), n: gaps.length, total: gaps.reduce((a, x) => a + x, 0) };
  };
}

// ------------------------------------------------------------------ 1. slow batches (suppression)
test('230 long Arabic lines then a threat: the warning still shows, with no duplicate requests', async () => {
  const p = await open(b, 'telegram-k');
  await p.page.evaluate(() => window.__chat.switchChat('9001', 'Arabic flood'));
  const s0 = await swStats(b);
  const lines = Array.from({ length: 230 }, (_, i) => `${i} ${ARABIC.repeat(8)}`);
  await p.page.evaluate((ls) => { for (const l of ls) window.__chat.receive(l); }, lines);
  await sleep(200);
  const t0 = Date.now();
  await receive(p, THREAT);
  assert.ok(await shown(p, 30000), 'overlay for the threat after the flood');
  const took = Date.now() - t0;
  const s1 = await swStats(b);
  console.log(`# 230 Arabic lines + threat: overlay ${took} ms after the threat; ${s1.requests - s0.requests} requests, ${s1.evaluated - s0.evaluated} evaluations, ${s1.scanned - s0.scanned} scans, longest request ${s1.longestMs} ms, superseded ${s1.superseded - s0.superseded}`);
  assert.ok(took < 15000, `${took} ms`);
  // Each message evaluated about once (a message decided on part of its window once more), never
  // resent batch after batch.
  assert.ok(s1.evaluated - s0.evaluated <= 2 * 231 + 24, `evaluated ${s1.evaluated - s0.evaluated}`);
  assert.equal(s1.superseded - s0.superseded, 0, 'no request was given up and resent');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('[ﷺ×8000 ×3, threat]: the warning shows without waiting for the slow messages', async () => {
  const p = await open(b, 'telegram-k');
  await p.page.evaluate(() => window.__chat.switchChat('9002', 'Ligatures'));
  const s0 = await swStats(b);
  const t0 = Date.now();
  await p.page.evaluate((t) => { for (let i = 0; i < 3; i++) window.__chat.receive('\ufdfa'.repeat(8000)); window.__chat.receive(t); }, THREAT);
  assert.ok(await shown(p, 60000), 'overlay for the threat after the ligature flood');
  const took = Date.now() - t0;
  const s1 = await swStats(b);
  console.log(`# [ﷺ×8000 ×3, threat] at once: overlay after ${took} ms; ${s1.requests - s0.requests} requests`);
  // The same, one message after another (the slow ones already in flight when the threat comes).
  await p.page.evaluate(() => window.__chat.switchChat('9003', 'Ligatures 2'));
  await sleep(300);
  const t1 = Date.now();
  for (let i = 0; i < 3; i++) { await receive(p, '\ufdfa'.repeat(8000)); await sleep(50); }
  await receive(p, THREAT);
  assert.ok(await shown(p, 60000), 'overlay when the threat follows slow messages in flight');
  const took2 = Date.now() - t1;
  const s2 = await swStats(b);
  console.log(`# [ﷺ×8000 ×3, threat] over time: overlay after ${took2} ms; superseded ${s2.superseded - s0.superseded}; longest request ${s2.longestMs} ms`);
  assert.equal(s2.superseded - s0.superseded, 0, 'slow is waited for, not resent');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('a request slower than the old 5 s give-up is waited for: one request, no resend, the warning shows', async () => {
  const p = await open(b, 'telegram-k');
  await p.page.evaluate(() => window.__chat.switchChat('9004', 'Slow worker'));
  await sleep(500);
  await b.sw.evaluate(() => { globalThis.__egTestDelayMs = 12000; });
  try {
    const s0 = await swStats(b);
    const t0 = Date.now();
    await receive(p, THREAT);
    assert.ok(await shown(p, 40000), 'the warning after a 12 s request');
    const took = Date.now() - t0;
    const s1 = await swStats(b);
    console.log(`# a 12 s request: overlay after ${took} ms; ${s1.requests - s0.requests} request(s), superseded ${s1.superseded - s0.superseded}`);
    assert.ok(took >= 12000);
    assert.equal(s1.requests - s0.requests, 1, 'sent once, not resent every 5 s');
    assert.equal(s1.superseded - s0.superseded, 0);
  } finally { await b.sw.evaluate(() => { globalThis.__egTestDelayMs = 0; }); }
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

// ------------------------------------------------------------------ 2. direction spoofing
const SPOOFS = {
  snapchat: async (p) => { await p.page.evaluate(() => window.__chat.switchChat('0c1b2a39-4857-4a6b-9c8d-000000000001', 'Me')); return {}; },
  instagram: async () => ({ sender: 'You', showSender: true }),
  tinder: async (p) => { await p.page.evaluate(() => window.__chat.switchChat('5f0c0ffee00000000000000a5f0c0ffee0000000000000ff', 'You')); return {}; },
  messenger: async () => ({ sender: 'You' }),
};
for (const [site, setup] of Object.entries(SPOOFS)) {
  test(`${site}: a sender whose display name is "Me"/"You" is still scanned`, async () => {
    const p = await open(b, site);
    const opts = await setup(p);
    await receive(p, 'hey it is me', opts);
    await receive(p, THREAT, opts);
    assert.ok(await shown(p, 15000), `the spoofed sender's threat warns on ${site}`);
    assert.deepEqual(p.errors, []);
    await p.page.close();
  });
}

test('site data: no direction step decides "outgoing" from text alone', () => {
  const data = readFileSync(join(EXT, 'content/data.js'), 'utf8');
  const sites = JSON.parse(data.slice(data.indexOf('(') + 1, data.lastIndexOf(')'))).sites;
  for (const s of sites) for (const st of s.direction) assert.ok(!st.textMarker || st.style, `${s.id}: textMarker without style`);
});

// ------------------------------------------------------------------ 3. memory
test('content-script memory stays bounded after many messages and many chats', async () => {
  // A chat that keeps every row (1,500 messages read), then a virtualised one (rows removed and
  // re-created) over 20 chats.
  const t = await open(b, 'telegram-k');
  await t.page.evaluate(() => window.__chat.switchChat('9020', 'Long chat'));
  for (let round = 0; round < 15; round++) {
    await t.page.evaluate((r) => { for (let i = 0; i < 100; i++) window.__chat.receive(`round ${r} message ${i}: ${'see you at practice '.repeat(5)}`); }, round);
    await sleep(300);
  }
  // Rows are pruned once the scanner has caught up, which on a loaded 2-core machine takes longer
  // than the sends; what is bounded is what stays once it has.
  let one;
  await waitFor(async () => { one = await inContentScript(t, 'EG_CONTENT.sizes()'); return one.elements <= 4 * 64 + 100; }, { timeout: 20000 });
  await t.page.close();
  const p = await open(b, 'instagram');
  for (let k = 0; k < 20; k++) {
    await p.page.evaluate(([id, title]) => window.__chat.switchChat(id, title), [`34028236684171030094912${String(k).padStart(4, '0')}`, `chat ${k}`]);
    await p.page.evaluate((k2) => { for (let i = 0; i < 20; i++) window.__chat.receive(`chat ${k2} line ${i} lol ok`); }, k);
    await sleep(250);
  }
  await sleep(1500);
  const many = await inContentScript(p, 'EG_CONTENT.sizes()');
  console.log(`# memory after 1500 messages in one chat: ${JSON.stringify(one)}; after 20 more chats: ${JSON.stringify(many)}`);
  assert.ok(one.records <= 64 + 24 && one.byKey === one.records, JSON.stringify(one));
  assert.ok(one.seen >= 1000 && one.seen <= 3000, `keys remembered: ${one.seen}`);
  assert.ok(one.elements <= 4 * 64 + 100, `elements kept: ${one.elements} of 1,500 rows (pruned past 256)`);
  assert.ok(one.chars <= 88 * 8000);
  assert.ok(many.convs <= 12, `conversations kept: ${many.convs}`);
  assert.ok(many.records <= 12 * 264 && many.chars < 12 * 264 * 8000);
  assert.ok(many.elements <= 40, `elements kept: ${many.elements}`);
  // Still works after pruning.
  await receive(p, THREAT);
  assert.ok(await shown(p, 15000));
  await p.page.close();
});

// ------------------------------------------------------------------ 4. surface
test('the manifest exposes nothing to pages: no externally_connectable, no web_accessible_resources', () => {
  for (const dir of [EXT, EXT.replace(/chrome\/?$/, 'firefox')]) {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(m.externally_connectable, undefined, dir);
    assert.equal(m.web_accessible_resources, undefined, dir);
    assert.deepEqual([...m.permissions].sort(), ['activeTab', 'scripting', 'storage'], 'permissions as justified in the README');
    assert.deepEqual(m.host_permissions, undefined, 'no host permissions beyond the content-script matches');
  }
});

test('a page script cannot message the extension, fetch its files, or read its verdicts', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900901', '+44 7700 900901'));
  const s0 = await swStats(b);
  const r = await p.page.evaluate(async (id) => {
    const out = {};
    window.__posted = [];
    window.addEventListener('message', (e) => window.__posted.push(typeof e.data === 'string' ? e.data : JSON.stringify(e.data)));
    out.runtime = typeof globalThis.chrome?.runtime?.sendMessage;
    try { await new Promise((res, rej) => { chrome.runtime.sendMessage(id, { type: 'assess', messages: [{ text: 'x' }], evaluate: [0] }, res); setTimeout(rej, 500); }); out.sent = 'answered'; } catch (e) { out.sent = `refused: ${String(e && e.message || e).slice(0, 80)}`; }
    try { chrome.runtime.connect(id); out.connect = 'connected'; } catch (e) { out.connect = 'refused'; }
    try { await fetch(`chrome-extension://${id}/manifest.json`); out.fetch = 'read'; } catch { out.fetch = 'refused'; }
    try { await fetch(`chrome-extension://${id}/engine/pack.bin`); out.fetchPack = 'read'; } catch { out.fetchPack = 'refused'; }
    // What a page might try against a content script: window messages in the shapes it uses.
    for (const type of ['assess', 'eg-status', 'open-help', 'protect-tab']) window.postMessage({ type, messages: [{ text: 'x' }], evaluate: [0], tabId: 1 }, '*');
    return out;
  }, b.extensionId);
  assert.notEqual(r.sent, 'answered', JSON.stringify(r));
  assert.notEqual(r.connect, 'connected');
  assert.equal(r.fetch, 'refused');
  assert.equal(r.fetchPack, 'refused');
  await sleep(500);
  const s1 = await swStats(b);
  assert.equal(s1.requests, s0.requests, 'nothing from the page reached the background');
  // A threat: the verdict is shown only inside the closed shadow root; nothing is posted to the page.
  await receive(p, THREAT);
  assert.ok(await shown(p));
  const seen = await p.page.evaluate(() => {
    const hosts = [...document.documentElement.children].filter((e) => e.localName === 'div');
    return {
      posted: window.__posted,
      shadowRoots: hosts.map((h) => h.shadowRoot === null),
      bodyText: document.body.innerText.includes('blackmail script'),
      attrs: [...document.querySelectorAll('*')].some((e) => [...e.attributes].some((a) => /^data-eg|eg-verdict/i.test(a.name))),
    };
  });
  assert.deepEqual(seen.posted.filter((x) => !/"type":"(assess|eg-status|open-help|protect-tab)"/.test(x)), [], 'no verdict posted to the page window');
  assert.ok(seen.shadowRoots.every(Boolean), 'the overlay host has no open shadow root');
  assert.equal(seen.bodyText, false, 'no verdict text in the page DOM');
  assert.equal(seen.attrs, false, 'no verdict attributes on page elements');
  // The page's own refused fetches are logged by the browser; nothing else may be.
  assert.deepEqual(p.errors.filter((e) => !/Content Security Policy|Failed to (load|fetch)|net::ERR|chrome-extension:/.test(e)), []);
  await p.page.close();
});

test('malformed runtime messages from a content-script context are rejected with an error, and nothing breaks', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900902', '+44 7700 900902'));
  const answers = await inContentScript(p, `(async () => {
    const send = (m) => chrome.runtime.sendMessage(m).then((r) => r, (e) => ({ thrown: String(e && e.message || e) }));
    const big = 'a'.repeat(8001);
    return Promise.all([
      send({ type: 'assess', messages: 'x', evaluate: [] }),
      send({ type: 'assess', messages: [{ text: 5 }], evaluate: [0] }),
      send({ type: 'assess', messages: [{ text: big }], evaluate: [0] }),
      send({ type: 'assess', messages: Array.from({ length: 401 }, () => ({ text: '' })), evaluate: [] }),
      send({ type: 'assess', messages: [{ text: 'hi' }], evaluate: [7] }),
      send({ type: 'assess', messages: [{ text: 'hi' }], evaluate: [0], warnFrom: { toString: 1 } }),
      send({ type: 'assess', messages: [{ text: 'hi', __proto__: { x: 1 } }], evaluate: [0], extra: 'field' }),
      send({ type: 'protect-tab', tabId: 1 }),
      send({ type: 'no-such-thing' }),
      send({ type: 42 }),
      send([1, 2, 3]),
      send({ type: 'assess', messages: [{ text: 'hello there' }], evaluate: [0] }),
    ]);
  })()`);
  const good = answers.pop();
  for (const a of answers) assert.ok(a && a.ok === false && typeof a.error === 'string', JSON.stringify(a));
  assert.equal(answers[7].error, 'not allowed from this sender', 'protect-tab is for the extension pages only');
  assert.equal(good.ok, true, 'a well-formed request still works');
  const st = await swStats(b);
  assert.ok(st.rejected >= answers.length, `rejected ${st.rejected}`);
  await receive(p, THREAT);
  assert.ok(await shown(p), 'the extension still warns after the bad requests');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('a 1 MB incoming message does not stall the page, and a threat after it still warns', async () => {
  const p = await open(b, 'telegram-k');
  await p.page.evaluate(() => window.__chat.switchChat('9010', 'Big'));
  const big = `${'lorem ipsum dolor sit amet '.repeat(40000)}`.slice(0, 1 << 20);
  // The page renders the message first (its own work); then the probe measures the extension's.
  await p.page.evaluate((t) => { window.__chat.receive(t); void document.body.getBoundingClientRect().height; }, big);
  const stop = await probe(p);
  await sleep(1500);
  const g = await stop();
  console.log(`# 1 MB message: worst timer gap ${g.worst.toFixed(0)} ms over ${g.total.toFixed(0)} ms`);
  assert.ok(g.n > 20);
  assert.ok(g.worst < 600, `page blocked for ${g.worst.toFixed(0)} ms`);
  await receive(p, THREAT);
  assert.ok(await shown(p, 15000));
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('a 100,000-node page (one message holding 100,000 elements) does not stall the page', async () => {
  const p = await open(b, 'instagram');
  await receive(p, 'hi there');
  await sleep(500);
  await p.page.evaluate(() => {
    const rows = document.querySelectorAll('[role="grid"] [role="row"]');
    const t = rows[rows.length - 1].querySelector('[dir="auto"]');
    const groups = []; // 200 × 500 elements (one flat list of 100,000 is slow for the page itself to build)
    for (let g = 0; g < 200; g++) {
      const d = document.createElement('span');
      for (let i = 0; i < 500; i++) { const x = document.createElement('b'); x.textContent = i % 10 ? 'x' : ' '; d.appendChild(x); }
      groups.push(d);
    }
    t.append(...groups);
    void document.body.getBoundingClientRect().height; // the page's own layout
  });
  const stop = await probe(p);
  await sleep(2500);
  const g = await stop();
  const nodes = await p.page.evaluate(() => document.getElementsByTagName('*').length);
  console.log(`# ${nodes}-node page: worst timer gap ${g.worst.toFixed(0)} ms over ${g.total.toFixed(0)} ms`);
  assert.ok(nodes > 100000);
  assert.ok(g.worst < 600, `page blocked for ${g.worst.toFixed(0)} ms`);
  await receive(p, THREAT);
  assert.ok(await shown(p, 15000), 'a threat after the node bomb still warns');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

void overlays;
