// The engine's JavaScript API (wasm-bindgen, --target web) as the extension uses it, in Node:
// the built files from dist/chrome/engine/, initialised with the wasm bytes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ENGINE = fileURLToPath(new URL('../../dist/chrome/engine/', import.meta.url));
const { default: init, Detector } = await import(join(ENGINE, 'extortion_guard.js'));
const PACK = readFileSync(join(ENGINE, 'pack.bin'));

const THREAT = 'I have your nudes. Pay me $500 in bitcoin or I will send them to all your friends and family. You have 24 hours.';
const BENIGN = [
  'hey are we still on for football tomorrow?',
  'can you send me the pics from the party',
  "I'll pay you back for the tickets on friday",
  'my family is coming over tonight so I might be late',
  'lol that video is so funny, send it to the group chat',
];

let det;
before(async () => {
  await init({ module_or_path: readFileSync(join(ENGINE, 'extortion_guard_bg.wasm')) });
  det = new Detector(PACK);
});

test('a Detector is built from the packed rules and lists them with their sources', () => {
  const rules = det.rules();
  assert.ok(rules.length > 10, `rules in the pack: ${rules.length}`);
  for (const r of rules) {
    assert.equal(typeof r.id, 'string');
    assert.equal(typeof r.category, 'string');
    assert.ok(r.source && r.source.length > 3, `${r.id} names a source`);
    assert.ok(Array.isArray(r.languages));
    assert.equal(typeof r.testing, 'boolean');
  }
  assert.ok(['low', 'medium', 'high'].includes(det.warnFrom));
});

test('a bad pack throws instead of giving a detector that never warns', () => {
  assert.throws(() => new Detector('not json'));
  assert.throws(() => new Detector('{"rules": 5}'));
});

test('scanMessage flags a blackmail script, with spans that point into the original text', () => {
  const v = det.scanMessage(THREAT);
  assert.equal(v.warn, true);
  assert.ok(['medium', 'high'].includes(v.level));
  assert.ok(v.categories.includes('threat'), JSON.stringify(v.categories));
  assert.ok(v.categories.includes('demand') || v.categories.includes('payment'));
  assert.ok(v.hits.length >= 2);
  for (const h of v.hits) assert.equal(THREAT.slice(h.start, h.end), h.text, `span of ${h.rule}`);
});

test('spans are UTF-16 offsets even after emoji, accents and astral characters', () => {
  const text = `😀😀 café 𝒽𝑒𝓎 — ${THREAT}`;
  const v = det.scanMessage(text);
  assert.equal(v.warn, true);
  for (const h of v.hits) assert.equal(text.slice(h.start, h.end), h.text, `span of ${h.rule}`);
});

test('ordinary messages do not warn', () => {
  for (const t of BENIGN) {
    const v = det.scanMessage(t);
    assert.equal(v.warn, false, `${t} → ${JSON.stringify(v)}`);
  }
});

test('assessConversation catches a threat split over several messages and says which message each hit is in', () => {
  const msgs = [{ text: 'hey' }, { text: 'i have ur nudes' }, { text: 'pay me $300' }, { text: 'or i send them to all ur followers' }];
  const each = msgs.map((m) => det.scanMessage(m.text).warn);
  assert.ok(each.filter(Boolean).length < msgs.length, 'not every piece warns alone');
  const v = det.assessConversation(msgs);
  assert.equal(v.conversation.warn, true);
  assert.ok(v.message.hits.length > 0, 'the newest message has hits of its own');
  for (const h of v.conversation.hits) {
    assert.ok(Number.isInteger(h.message) && h.message >= 0 && h.message < msgs.length);
    assert.equal(msgs[h.message].text.slice(h.start, h.end), h.text);
  }
});

test('assessConversation accepts times and stays quiet on benign conversations', () => {
  const t0 = Date.now() - 3600_000;
  const v = det.assessConversation(BENIGN.map((text, i) => ({ text, time: t0 + i * 60_000 })));
  assert.equal(v.conversation.warn, false);
  assert.equal(v.message.warn, false);
});

test('categoryLabel gives plain words for every category in use', () => {
  const cats = new Set(det.rules().map((r) => r.category));
  for (const c of cats) {
    const label = det.categoryLabel(c);
    assert.ok(label && label.length > 5 && label !== c, `${c} → ${label}`);
  }
  assert.match(det.categoryLabel('threat'), /threat/i);
});

test('scanning is fast enough for a chat: 500 messages well under a second', () => {
  const t = performance.now();
  for (let i = 0; i < 100; i++) for (const m of [...BENIGN]) det.scanMessage(m);
  const ms = performance.now() - t;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
});

test('the packed engine has nothing to compile: warmUpStep is done at once', () => {
  const warm = new Detector(PACK);
  assert.equal(warm.warmUpStep(), false);
  warm.free();
});

test('this build only reads packed rules: compiling custom packs is the compiler build\'s', () => {
  assert.equal(Detector.check, undefined);
  assert.equal(Detector.withCustomPacks, undefined);
});
