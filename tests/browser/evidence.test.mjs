// "Save evidence" in the warning: two files from one keyboard press — an HTML page a person can
// read and a JSON record — holding the conversation as the page shows it (both directions, sender,
// time, text), the page's address, the time of export and the rules that fired. Page text is data:
// a message that looks like markup stays text in the HTML file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, open, visibleOverlays, waitFor, screenshot, SHOTS } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 in bitcoin or I send them to ur family and friends. You have 2 hours';
const MARKUP = '<img src=x onerror="alert(1)"> & <b>hi</b>';
let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

test('Save evidence downloads a readable HTML file and a JSON file of the conversation', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900301', 'Jay'));
  const t0 = Date.UTC(2026, 10, 28, 9, 0);
  await p.page.evaluate(([t, markup]) => window.__chat.history([
    { text: 'hey, saw your profile', time: t, sender: 'Jay' },
    { text: 'hi! who is this?', out: true, time: t + 60000 },
    { text: markup, time: t + 120000, sender: 'Jay' },
  ]), [t0, MARKUP]);
  await p.page.evaluate((x) => window.__chat.receive(x, { sender: 'Jay' }), THREAT);
  const o = await waitFor(async () => (await visibleOverlays(p))[0]);
  assert.ok(o, 'the warning shows');
  assert.ok(o.buttons.some((x) => x.text === 'Save evidence'), 'the warning has a Save evidence button');
  assert.match(o.text, /Police and hotlines will ask for the usernames, the messages and any payment details they asked for/);

  // Keyboard only: from the focused warning, Tab reaches Save evidence (in the footer, always in view).
  const downloads = [];
  p.page.on('download', (d) => downloads.push(d));
  let focused = null;
  for (let i = 0; i < 40 && focused !== 'Save evidence'; i++) { await p.page.keyboard.press('Tab'); focused = (await visibleOverlays(p))[0].focusedText; }
  assert.equal(focused, 'Save evidence');
  const shown = (await visibleOverlays(p))[0];
  const btn = shown.buttons.find((x) => x.text === 'Save evidence');
  assert.ok(btn.y > shown.rect.top && btn.y < shown.rect.bottom, 'the button is in view without scrolling');
  await p.page.keyboard.press('Enter');
  await waitFor(() => downloads.length >= 2, { timeout: 10000 });
  const names = downloads.map((d) => d.suggestedFilename()).sort();
  assert.equal(names.length, 2, `two files: ${names}`);
  assert.match(names[0], /^extortion-guard-evidence_whatsapp-web_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.html$/);
  assert.equal(names[1], names[0].replace(/\.html$/, '.json'));
  const files = Object.fromEntries(await Promise.all(downloads.map(async (d) => [d.suggestedFilename().split('.').pop(), readFileSync(await d.path(), 'utf8')])));
  assert.match((await visibleOverlays(p))[0].text, /Saved in your Downloads folder/);

  // The JSON record.
  const rec = JSON.parse(files.json);
  assert.equal(rec.format, 'extortion-guard-evidence');
  assert.equal(rec.version, 1);
  assert.equal(rec.page.url, 'https://web.whatsapp.com/');
  assert.ok(Math.abs(Date.parse(rec.exportedAt) - Date.now()) < 60000, 'export time is now');
  assert.equal(rec.site, 'WhatsApp Web');
  const texts = rec.messages.map((m) => m.text);
  assert.deepEqual(texts, ['hey, saw your profile', 'hi! who is this?', MARKUP, THREAT], 'the conversation in page order, both directions');
  assert.deepEqual(rec.messages.map((m) => m.direction), ['incoming', 'outgoing', 'incoming', 'incoming']);
  assert.deepEqual(rec.messages.map((m) => m.sender), ['Jay', 'You', 'Jay', 'Jay']);
  assert.match(rec.messages[0].timeShown, /^\d\d:\d\d, 28\/11\/2026$/, 'time as the page shows it');
  assert.deepEqual(rec.messages.map((m) => m.warned), [false, false, false, true]);
  const ruleIds = rec.warning.rules.map((r) => r.id);
  assert.ok(ruleIds.length >= 2 && ruleIds.every((id) => /^[a-z0-9-]+\.[a-z_]+\./.test(id)), `rule ids: ${ruleIds}`);
  assert.ok(rec.warning.rules.every((r) => r.category && r.phrases.length), 'each rule has its category and matched phrases');
  assert.ok(rec.warning.categories.some((c) => c.id === 'threat'));
  assert.ok(!/data:image|base64|<img/i.test(JSON.stringify(rec.messages.map((m) => ({ ...m, text: '' })))), 'no images');

  // The HTML page: everything escaped, no script can run, same facts.
  const html = files.html;
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(!html.includes(MARKUP) && !html.includes('<img') && !html.includes('<b>hi'), 'page text is never markup');
  assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;hi&lt;/b&gt;'));
  assert.ok(html.includes('https://web.whatsapp.com/'));
  for (const id of ruleIds) assert.ok(html.includes(id), `rule ${id} in the HTML`);
  assert.ok(html.includes('Pay me $500'));
  assert.ok(html.includes('Jay') && html.includes('sent by you'));

  // Look at it as a person would: open the saved page in the browser.
  mkdirSync(SHOTS, { recursive: true });
  const copy = join(SHOTS, 'evidence-file.html');
  writeFileSync(copy, html);
  const view = await b.context.newPage();
  await view.setContent(html); // the harness blocks file: URLs; the same document, as text
  assert.equal(await view.evaluate(() => document.querySelectorAll('script, img').length), 0);
  assert.equal(await view.locator('.msg').count(), 4);
  await view.setViewportSize({ width: 900, height: 1100 });
  await screenshot(view, 'evidence-file');
  await view.close();
  await screenshot(p.page, 'evidence-saved');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
