// A new user's path through the options page, in order: open it (region from the browser's
// language), choose region and age, meet a threat on a chat (the links follow), mute the chat and
// undo it from the options page, import a broken rule pack and read the engine's error (file, rule,
// line), import a good one and see it warn on a chat, tune a rule in the playground and save it,
// change sensitivity, and turn a site off. Debian's Chromium with the built extension.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, open, visibleOverlays, waitFor, sleep, screenshot, FIXTURES, EXT } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
const CODE_THREAT = 'i will zorblax your photos to everyone unless you pay me 300 dollars';
const TYPO_THREAT = 'i will zorblaks your photos to everyone unless you pay me 300 dollars';
const PACKS = join(FIXTURES, 'packs');
let b;
let opt;
before(async () => { b = await launch({ locale: 'en-CA', viewport: { width: 1100, height: 900 } }); });
after(async () => { await b?.close(); });

const storage = () => b.sw.evaluate(() => chrome.storage.local.get(null));
const receive = (p, t) => p.page.evaluate((x) => window.__chat.receive(x), t);
const first = async (p, timeout) => waitFor(async () => (await visibleOverlays(p))[0], { timeout });
async function openOptions() {
  const page = await b.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`chrome-extension://${b.extensionId}/options/options.html`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
  return { page, errors };
}
async function chat(id) {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate((x) => window.__chat.switchChat(x, `+1 555 01${x.slice(-2)}`), id);
  return p;
}
// The engine's own words for a pack, from the same wasm in Node: what the page must show verbatim.
async function engineCheck(name, text) {
  const m = await import(join(EXT, 'compiler/extortion_guard.js'));
  await m.default({ module_or_path: readFileSync(join(EXT, 'compiler/extortion_guard_bg.wasm')) });
  return m.Detector.check(readFileSync(join(EXT, 'engine/pack.bin')), name, text);
}
// Waits for the playground; on a timeout, says what it shows.
async function playWait(fn, what) {
  try { await opt.page.waitForFunction(fn, null, { timeout: 60000 }); } catch (e) {
    const state = await opt.page.evaluate(() => ({ busy: document.documentElement.dataset.playground, verdict: document.getElementById('play-verdict').textContent, problems: document.getElementById('play-problems').textContent.slice(0, 400), marks: [...document.querySelectorAll('#play-highlight mark')].map((m) => m.textContent) }));
    throw new Error(`playground: ${what}: ${JSON.stringify(state)}`);
  }
}
const problemRows = (page, box) => page.$$eval(`${box} table.problems tbody tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

test('the options page is the manifest options page, follows the browser language for the region, and stores a version', async () => {
  const manifest = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
  assert.equal(manifest.options_ui.page, 'options/options.html');
  opt = await openOptions();
  assert.equal(await opt.page.$eval('#region', (s) => s.value), 'CA', 'en-CA → Canada');
  assert.equal(await opt.page.$eval('#under18', (c) => c.checked), false);
  assert.equal(await opt.page.$eval('input[name="sensitivity"]:checked', (r) => r.value), 'medium', 'the policy default');
  assert.equal((await storage()).version, 1);
  assert.ok(await opt.page.$('a#help-link[href="../help/help.html"]'), 'the help page is one link away');
  assert.deepEqual(opt.errors, []);
});

test('choosing region and age (keyboard) changes the links the warning shows', async () => {
  await opt.page.focus('#region');
  await opt.page.selectOption('#region', 'UK');
  await opt.page.focus('#under18');
  await opt.page.keyboard.press('Space');
  await waitFor(async () => (await storage()).under18 === true);
  const s = await storage();
  assert.equal(s.region, 'UK');
  assert.equal(s.under18, true);
  await screenshot(opt.page, 'options');

  const p = await chat('15550101');
  await receive(p, THREAT);
  const o = await first(p);
  assert.ok(o, 'the warning shows');
  assert.match(o.text, /Where to get help \(United Kingdom\)/);
  assert.ok(o.links.some((l) => l.href.startsWith('https://www.ceop.police.uk/')), 'CEOP for under-18s');
  assert.ok(o.links.some((l) => l.href.includes('report-remove')), 'Report Remove for under-18s');
  assert.doesNotMatch(o.text, /If you are 18 or over/, 'adult-only services are not shown to an under-18');
  assert.ok(!o.links.some((l) => l.href === 'https://stopncii.org'));
  await p.page.close();
});

test('a chat muted with "Not a threat" is listed on the options page and can be turned back on', async () => {
  const p = await chat('15550102');
  await receive(p, THREAT);
  const o = await first(p);
  const btn = o.buttons.find((x) => x.text === 'Not a threat');
  await p.page.mouse.click(btn.x, btn.y);
  await waitFor(async () => ((await storage()).muted || []).length === 1);
  const conv = (await storage()).muted[0];
  await opt.page.bringToFront();
  await opt.page.waitForSelector(`#muted li[data-conv="${conv}"]`);
  assert.match(await opt.page.$eval('#muted li', (li) => li.textContent), /WhatsApp Web: chat 15550102/);
  assert.equal(await opt.page.$eval('#muted-none', (e) => e.hidden), true);
  await screenshot(opt.page, 'options-muted');
  await opt.page.click(`#muted li[data-conv="${conv}"] button`);
  await opt.page.waitForFunction(() => document.querySelectorAll('#muted li').length === 0);
  assert.deepEqual((await storage()).muted, []);
  assert.equal(await opt.page.$eval('#muted-none', (e) => e.hidden), false);
  // The chat warns again.
  await p.page.bringToFront();
  const closeBtn = (await visibleOverlays(p))[0]?.buttons.find((x) => x.text === 'Close');
  if (closeBtn) await p.page.mouse.click(closeBtn.x, closeBtn.y);
  await receive(p, 'last chance. send $300 in bitcoin or everyone at your school sees the video tonight');
  assert.ok(await first(p), 'warnings are back on in that chat');
  await p.page.close();
});

test('a broken rule pack is refused with the engine\'s problems (file, rule id, line); nothing is stored', async () => {
  const text = readFileSync(join(PACKS, 'broken.toml'), 'utf8');
  const expected = await engineCheck('broken.toml', text);
  assert.equal(expected.ok, false);
  await opt.page.bringToFront();
  await opt.page.setInputFiles('#pack-file', join(PACKS, 'broken.toml'));
  await opt.page.waitForSelector('#pack-result table.problems', { timeout: 60000 });
  assert.match(await opt.page.$eval('#pack-result', (e) => e.textContent), /broken\.toml was not added/);
  const rows = await problemRows(opt.page, '#pack-result');
  assert.deepEqual(rows, expected.problems.map((p) => [p.file, String(p.line ?? ''), p.rule ?? '', p.severity, p.message]), 'exactly as the engine says');
  assert.deepEqual(rows[0].slice(0, 3), ['broken.toml', '23', 'broken.demand.unclosed']);
  assert.deepEqual((await storage()).customPacks, []);
  await opt.page.$eval('#packs-h', (e) => e.scrollIntoView());
  await screenshot(opt.page, 'options-broken-pack');
});

test('a good rule pack is stored, takes effect on a chat, and a broken one never replaces it', async () => {
  const p0 = await chat('15550103');
  await receive(p0, CODE_THREAT);
  await sleep(2500);
  assert.equal((await visibleOverlays(p0)).length, 0, 'the built-in rules alone do not warn on the code word');
  await p0.page.close();

  await opt.page.bringToFront();
  await opt.page.setInputFiles('#pack-file', join(PACKS, 'volunteer.toml'));
  await opt.page.waitForFunction(() => /volunteer\.toml was added/.test(document.getElementById('pack-result').textContent), null, { timeout: 60000 });
  await opt.page.waitForSelector('#packs li[data-pack="volunteer.toml"]');
  assert.deepEqual((await storage()).customPacks.map((x) => x.name), ['volunteer.toml']);

  const p = await chat('15550104');
  await receive(p, CODE_THREAT);
  assert.ok(await first(p, 60000), 'the custom rule makes the warning show');
  await p.page.close();

  // A broken pack under the same name is refused; the working one stays.
  await opt.page.evaluate(() => { document.getElementById('pack-result').replaceChildren(); });
  const dt = await opt.page.evaluateHandle((t) => { const d = new DataTransfer(); d.items.add(new File([t], 'volunteer.toml')); return d; }, readFileSync(join(PACKS, 'broken.toml'), 'utf8'));
  await opt.page.$eval('#pack-file', (input, d) => { input.files = d.files; input.dispatchEvent(new Event('change')); }, dt);
  await opt.page.waitForSelector('#pack-result table.problems', { timeout: 60000 });
  const stored = (await storage()).customPacks;
  assert.equal(stored.length, 1);
  assert.match(stored[0].text, /volunteer\.threat\.zorblax/, 'the working pack is unchanged');
});

test('rule playground: live verdict, highlighted phrases, the rules that fired; tuning a rule and saving it', async () => {
  await opt.page.bringToFront();
  // A conversation, one message per line.
  await opt.page.fill('#play-text', `hey\n${THREAT}`);
  await playWait(() => document.querySelector('#play-verdict .verdict')?.dataset.warn === 'true', 'the conversation warns');
  const marks = await opt.page.$$eval('#play-highlight mark', (m) => m.map((x) => x.textContent));
  assert.ok(marks.some((m) => /pay me \$500/i.test(m)), `highlights: ${marks}`);
  assert.equal(await opt.page.$$eval('#play-highlight .msg', (m) => m.length), 2, 'one line per message');
  assert.equal(await opt.page.$eval('#play-highlight .msg', (m) => m.querySelectorAll('mark').length), 0, '"hey" has no hits');
  assert.equal(await opt.page.$eval('#play-highlight', (e) => e.querySelectorAll('*:not(p):not(mark)').length), 0, 'only text and <mark>');
  const fired = await opt.page.$$eval('#play-rules tbody tr', (r) => r.map((x) => [...x.cells].map((c) => c.textContent)));
  const demand = fired.find((r) => r[0] === 'en.demand.pay-amount');
  assert.ok(demand, `rules: ${fired.map((r) => r[0])}`);
  assert.equal(demand[1], 'demand');
  assert.match(demand[2], /^\d+$/, 'weight');
  assert.ok(demand[3].length > 5 && demand[4].length > 3, 'description and source');

  // Tune: the stored pack opens in the editor; another spelling of the code word does not match yet.
  await opt.page.click('#packs li[data-pack="volunteer.toml"] button');
  await opt.page.fill('#play-text', TYPO_THREAT);
  await playWait(() => document.querySelector('#play-verdict .verdict')?.dataset.warn === 'false' && document.documentElement.dataset.playground === 'idle', 'the misspelling does not warn');
  // A mistake while editing: the problems list, live.
  const pack = await opt.page.$eval('#play-pack', (t) => t.value);
  await opt.page.fill('#play-pack', pack.replace("'''\\bzorblax\\s+", "'''\\bzorbla(x|ks\\s+"));
  await playWait(() => document.querySelector('#play-problems table.problems'), 'the problems list');
  const rows = await problemRows(opt.page, '#play-problems');
  assert.equal(rows[0][0], 'volunteer.toml');
  assert.equal(rows[0][2], 'volunteer.threat.zorblax');
  assert.match(rows[0][4], /unclosed group/);
  // Fixed: the pattern takes both spellings; the verdict warns and names the custom rule.
  await opt.page.fill('#play-pack', pack.replace("'''\\bzorblax\\s+", "'''\\bzorbla(x|ks)\\s+").replace('must_match = ["i will zorblax your photos"]', 'must_match = ["i will zorblax your photos", "zorblaks ur pics"]'));
  await playWait(() => document.querySelector('#play-verdict .verdict')?.dataset.warn === 'true' && document.querySelector('#play-rules tr[data-rule="volunteer.threat.zorblax"]'), 'the tuned rule fires');
  assert.ok((await opt.page.$$eval('#play-highlight mark', (m) => m.map((x) => x.textContent))).includes('zorblaks your photos'));
  await opt.page.$eval('#play-h', (e) => e.scrollIntoView());
  await screenshot(opt.page, 'options-playground');
  await opt.page.click('#play-save');
  await waitFor(async () => /zorbla\(x\|ks\)/.test((await storage()).customPacks?.[0]?.text || ''), { timeout: 60000 });

  const p = await chat('15550105');
  await receive(p, TYPO_THREAT);
  assert.ok(await first(p, 60000), 'the tuned rule warns on a chat');
  await p.page.close();
  assert.deepEqual(opt.errors, []);
});

test('sensitivity and sites: "only the clearest threats" and a site turned off', async () => {
  await opt.page.bringToFront();
  await opt.page.check('input[name="sensitivity"][value="high"]');
  await waitFor(async () => (await storage()).sensitivity === 'high');
  const medium = 'i have your nudes. send me 200 dollars';
  await opt.page.fill('#play-pack', '');
  await opt.page.fill('#play-text', medium);
  await playWait(() => document.querySelector('#play-verdict .verdict') && document.documentElement.dataset.playground === 'idle', 'a verdict');
  const level = await opt.page.$eval('#play-verdict .verdict', (v) => v.dataset.level);
  await opt.page.check('input[name="sensitivity"][value="medium"]');
  await waitFor(async () => (await storage()).sensitivity === 'medium');

  await opt.page.uncheck('#sites input[data-site="whatsapp"]');
  await waitFor(async () => (await storage()).off?.includes('whatsapp'));
  const p = await chat('15550106');
  await receive(p, THREAT);
  await sleep(2500);
  assert.equal((await visibleOverlays(p)).length, 0, 'no warning on a site turned off');
  await opt.page.check('#sites input[data-site="whatsapp"]');
  assert.ok(await first(p), 'back on: the message is checked');
  await p.page.close();
  assert.ok(['none', 'low', 'medium', 'high'].includes(level));
});

test('stored packs the background cannot load: the built-in rules still warn and the options page says why', async () => {
  const kept = (await storage()).customPacks;
  // As if a newer engine rejected a pack stored by an older one: written past the options page's check.
  await b.sw.evaluate(() => chrome.storage.local.set({ customPacks: [{ name: 'old.toml', text: '[[rule]]\nid = "old.threat"\ncategory = 42\n', added: 1 }] }));
  const p = await chat('15550107');
  await receive(p, THREAT);
  assert.ok(await first(p, 60000), 'the built-in rules keep protecting');
  await p.page.close();
  await opt.page.bringToFront();
  await opt.page.waitForSelector('#packs-failed', { timeout: 60000 });
  const said = await opt.page.$eval('#packs-failed', (e) => e.textContent);
  assert.match(said, /could not be loaded/);
  assert.match(said, /old\.toml/, `names the pack: ${said}`);
  await b.sw.evaluate((packs) => chrome.storage.local.set({ customPacks: packs }), kept);
  assert.deepEqual(opt.errors, []);
});
