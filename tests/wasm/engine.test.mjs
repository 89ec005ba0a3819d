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

test('Detector.check reports problems in a custom pack with file and line', () => {
  const ok = Detector.check(PACK, 'custom.toml', '[pack]\nname = "custom"\ndescription = "x"\nlanguages = ["en"]\n');
  assert.equal(typeof ok.ok, 'boolean');
  const bad = Detector.check(PACK, 'custom.toml', '[pack]\nname = "custom"\n[[rule]]\nid = "custom.threat.x"\ncategory = "threat"\npatterns = ["(unclosed"]\n');
  assert.equal(bad.ok, false);
  assert.ok(bad.problems.length > 0);
  for (const p of bad.problems) {
    assert.equal(p.file, 'custom.toml');
    assert.ok(Number.isInteger(p.line) || p.line === null || p.line === undefined);
    assert.ok(p.message);
  }
});

test('Detector.check compiles every pattern as `rules check` does: one too big to compile is refused', () => {
  const rule = (pattern) => `[pack]\nname = "custom"\ndescription = "x"\nlanguages = ["en"]\n[[rule]]\nid = "custom.threat.x"\ncategory = "threat"\nweight = 5\ndescription = "x"\nsource = "x"\npatterns = ['''${pattern}''']\nmust_match = ["zorb photos"]\nmust_not_match = ["zorb"]\n`;
  const small = Detector.check(PACK, 'custom.toml', rule('zorb\\s+\\w{2,8}'));
  assert.equal(small.ok, true, `a bounded pattern passes: ${JSON.stringify(small.problems)}`);
  const big = Detector.check(PACK, 'custom.toml', rule('zorb\\s+\\w{400}'));
  assert.equal(big.ok, false);
  const p = big.problems.find((x) => /too large once compiled/.test(x.message));
  assert.ok(p, JSON.stringify(big.problems));
  assert.equal(p.file, 'custom.toml');
  assert.equal(p.rule, 'custom.threat.x');
  assert.equal(p.line, 11);
});

test('scanning is fast enough for a chat: 500 messages well under a second', () => {
  const t = performance.now();
  for (let i = 0; i < 100; i++) for (const m of [...BENIGN]) det.scanMessage(m);
  const ms = performance.now() - t;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
});

test('warmUpStep compiles ahead of need in a bounded number of steps, and verdicts stay the same', () => {
  const warm = new Detector(PACK);
  let steps = 0;
  while (warm.warmUpStep()) {
    steps += 1;
    assert.ok(steps < 10000, 'the warm-up never ends');
  }
  assert.ok(steps > 2, `steps: ${steps}`);
  assert.equal(warm.warmUpStep(), false, 'a finished warm-up starts again');
  for (const text of [THREAT, ...BENIGN, 'मैं तुम्हारा वीडियो सबको भेज दूंगा, 5000 रुपये भेजो']) {
    const [a, b] = [det.scanMessage(text), warm.scanMessage(text)];
    assert.deepEqual([a.level, a.score, a.hits], [b.level, b.score, b.hits], text);
  }
  warm.free();
});
