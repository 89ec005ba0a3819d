// The warn rule the overlay follows (extension/assess.js) against the real engine: which message
// the warning goes beside, split threats, chatter after a threat, and hostile requests.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { assessBatch, cleanRequest, windowSize, decide } from '../../extension/assess.js';

const ENGINE = fileURLToPath(new URL('../../dist/chrome/engine/', import.meta.url));
const { default: init, Detector } = await import(join(ENGINE, 'extortion_guard.js'));
const PACK = readFileSync(join(ENGINE, 'pack.json'), 'utf8');
let det; let win;
before(async () => {
  await init({ module_or_path: readFileSync(join(ENGINE, 'extortion_guard_bg.wasm')) });
  det = new Detector(PACK);
  win = windowSize(JSON.parse(PACK));
});

const msgs = (...texts) => texts.map((text) => ({ text }));

test('the window size comes from the pack policy', () => {
  assert.ok(win >= 3 && win <= 100, String(win));
  assert.equal(windowSize({}), 12);
  assert.equal(windowSize({ policy: { window: { messages: 7 } } }), 7);
});

test('a single threatening message warns beside itself, with labels and phrases', () => {
  const m = msgs('hi', 'how are you', 'I have your nudes. Pay me $500 or I send them to your family');
  const [r] = assessBatch(det, { messages: m, evaluate: [2] }, win);
  assert.equal(r.warn, true);
  assert.equal(r.anchor, 2);
  assert.ok(r.labels.length >= 2 && r.labels.every((l) => typeof l === 'string' && l.length > 5));
  assert.equal(r.categories[0], 'threat', 'the threat is explained first');
  assert.ok(r.phrases.some((p) => /pay me \$500/i.test(p)), JSON.stringify(r.phrases));
});

test('a split threat warns at the message that completes it; chatter after it points back there', () => {
  const m = msgs('hey', 'i have ur nudes', 'pay me $300', 'or i send them to all ur followers', 'hello??', 'answer me');
  const rs = assessBatch(det, { messages: m, evaluate: [0, 1, 2, 3, 4, 5] }, win);
  assert.equal(rs[0].warn, false);
  assert.equal(rs[1].warn, false, 'a lone possession claim does not warn');
  const first = rs.find((r) => r.warn);
  assert.ok(first && first.index >= 2, 'warns once the threat is complete');
  assert.equal(first.anchor, first.index);
  for (const r of rs.slice(4)) {
    assert.equal(r.warn, true, 'the window still holds the threat');
    assert.equal(r.anchor, 3, 'anchored at the last message that contributed, not at the chatter');
  }
});

test('benign conversations never warn', () => {
  const m = msgs('send me the pics from the party', 'my family loved them', "I'll pay you back tomorrow", 'post them on the group chat');
  for (const r of assessBatch(det, { messages: m, evaluate: [0, 1, 2, 3] }, win)) assert.equal(r.warn, false);
});

test('hostile or broken requests are cleaned, not trusted', () => {
  assert.equal(cleanRequest(null), null);
  assert.equal(cleanRequest({ messages: 'x', evaluate: [] }), null);
  const r = cleanRequest({ messages: [{ text: 5 }, { text: 'a'.repeat(20000), time: 'x' }, null], evaluate: [-1, 1, 1, 99, 'x', 2.5] });
  assert.equal(r.messages.length, 3);
  assert.equal(r.messages[0].text, '');
  assert.equal(r.messages[1].text.length, 8000);
  assert.equal(r.messages[1].time, undefined);
  assert.deepEqual(r.evaluate, [1]);
  assert.deepEqual(assessBatch(det, { messages: [], evaluate: [0] }, win), []);
});

test('a long history is evaluated quickly (200 messages as newest, each with its window)', () => {
  const m = [];
  for (let i = 0; i < 200; i++) m.push({ text: `message ${i}: see you at practice, bring the ball`, time: Date.now() - (200 - i) * 60000 });
  m[150] = { text: 'I recorded our video call. Pay $400 or I post it to your followers', time: m[150].time };
  const t = performance.now();
  const rs = assessBatch(det, { messages: m, evaluate: m.map((_, i) => i) }, win);
  const ms = performance.now() - t;
  assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  assert.equal(rs[150].warn, true);
  assert.equal(rs[149].warn, false);
  assert.ok(rs.slice(151, 150 + win).every((r) => !r.warn || r.anchor === 150));
});

test('decide() with no conversation warning returns warn=false without an anchor', () => {
  const r = decide(det, { message: { hits: [] }, conversation: { warn: false, level: 'none', score: 0, categories: [], hits: [] } }, 0, 0);
  assert.equal(r.warn, false);
  assert.equal(r.anchor, undefined);
});
