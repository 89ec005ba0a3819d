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
const PACK = readFileSync(join(ENGINE, 'pack.bin'));
let det; let win;
before(async () => {
  await init({ module_or_path: readFileSync(join(ENGINE, 'extortion_guard_bg.wasm')) });
  det = new Detector(PACK);
  win = windowSize(det);
});

const msgs = (...texts) => texts.map((text) => ({ text }));

test('the window size comes from the pack policy', () => {
  assert.ok(win >= 3 && win <= 100, String(win));
  assert.equal(win, det.windowMessages);
  assert.equal(windowSize({}), 12);
  assert.equal(windowSize({ windowMessages: 7 }), 7);
  assert.equal(windowSize({ windowMessages: 1e9 }), 100);
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

// ---------------------------------------------------------------- each message scanned once (issue 9)
import { assessBatchByWindows, assessSteps, requestProblem, MAX_TEXT } from '../../extension/assess.js';

// A small deterministic generator: conversations mixing threat parts, benign chatter, long lines
// and times, so the windows cut through hits in every position.
function rng(seed) { let x = seed >>> 0; return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; }; }
const PARTS = [
  'i have ur nudes', 'pay me $300', 'or i post them', 'I recorded our video call', 'send $500 in bitcoin',
  'everyone at your school sees the video tonight', 'you have 2 hours', 'I will send them to your family',
  'hey', 'lol ok', 'see you at practice', 'send me the pics from the party', 'my family is coming over',
  'hola, ¿qué tal?', 'مرحبا كيف حالك اليوم', 'je vais publier tes photos si tu ne payes pas 200 euros',
];
function conversation(r, n) {
  const t0 = 1_700_000_000_000;
  const m = [];
  for (let i = 0; i < n; i++) {
    let text = PARTS[Math.floor(r() * PARTS.length)];
    if (r() < 0.3) text += ` ${PARTS[Math.floor(r() * PARTS.length)]}`;
    if (r() < 0.1) text = `${'blah '.repeat(Math.floor(r() * 200))}${text}`;
    const msg = { text };
    if (r() < 0.7) msg.time = t0 + i * Math.floor(r() * 20 * 60000);
    m.push(msg);
  }
  return m;
}

test('scanning each message once gives the same verdicts as assessing every window whole', () => {
  const r = rng(9);
  let compared = 0; let warned = 0;
  for (let k = 0; k < 40; k++) {
    const m = conversation(r, 5 + Math.floor(r() * 40));
    const evaluate = m.map((_, i) => i).filter(() => r() < 0.8);
    for (const warnFrom of [undefined, 'low', 'high']) {
      const req = { messages: m, evaluate, warnFrom };
      const want = assessBatchByWindows(det, req, win);
      const got = assessBatch(det, req, win);
      assert.deepEqual(got, want, `conversation ${k} (${warnFrom})`);
      compared += got.length; warned += got.filter((x) => x.warn).length;
    }
  }
  assert.ok(warned > 20 && compared - warned > 20, `${warned} warnings of ${compared}`);
});

test('a request scans each message once, not once per window', () => {
  const m = conversation(rng(3), 200);
  const steps = [...assessSteps(det, { messages: m, evaluate: m.map((_, i) => i) }, win)];
  const sc = steps[0].scanner;
  const hitMessages = sc.scans.filter((v) => v.hits.length).length;
  // One scan per message, plus one check of the excerpts of each message with hits.
  assert.ok(sc.scanned <= m.length + hitMessages, `${sc.scanned} scans for ${m.length} messages`);
  // Newest first: the first result is the newest message.
  assert.equal(steps.find((s) => s.result).result.index, m.length - 1);
});

test('hostile batches: 230 long Arabic lines then a threat, and [ﷺ×8000 ×3, threat]', () => {
  const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
  const arabic = 'السلام عليكم ورحمة الله وبركاته، كيف حالك يا أخي؟ أتمنى أن تكون بخير وأن تكون عائلتك بخير أيضا. ';
  const batches = {
    arabic: [...Array.from({ length: 230 }, (_, i) => ({ text: `${i} ${arabic.repeat(8)}` })), { text: THREAT }],
    salawat: [...Array.from({ length: 3 }, () => ({ text: '\ufdfa'.repeat(MAX_TEXT) })), { text: THREAT }],
  };
  for (const [name, m] of Object.entries(batches)) {
    const evaluate = m.map((_, i) => i).slice(-200);
    let t = performance.now();
    const rs = assessBatch(det, { messages: m, evaluate }, win);
    const once = performance.now() - t;
    assert.equal(rs[rs.length - 1].warn, true, `${name}: the threat warns`);
    let ref = '';
    if (name === 'arabic') { // the old way, for the figure (the other batch would take ~10 s)
      t = performance.now();
      assessBatchByWindows(det, { messages: m, evaluate: evaluate.slice(-24) }, win);
      ref = `; the newest 24 by whole windows: ${(performance.now() - t).toFixed(0)} ms`;
    }
    console.log(`# ${name}: all ${evaluate.length} evaluated, each scanned once: ${once.toFixed(0)} ms${ref}`);
  }
});

test('requestProblem: a request that does not fit is named, a good one passes', () => {
  assert.equal(requestProblem({ type: 'assess', messages: [{ text: 'hi', time: 5 }], evaluate: [0], conv: 'a', job: '1', warnFrom: 'low' }), null);
  const bad = [
    null, [], 'x', { type: 'assess' }, { type: 'assess', messages: 'x', evaluate: [] },
    { type: 'assess', messages: [{ text: 5 }], evaluate: [0] },
    { type: 'assess', messages: [{ text: 'a', time: 'x' }], evaluate: [0] },
    { type: 'assess', messages: [{ text: 'a', extra: 1 }], evaluate: [0] },
    { type: 'assess', messages: [{ text: 'a'.repeat(MAX_TEXT + 1) }], evaluate: [0] },
    { type: 'assess', messages: Array.from({ length: 401 }, () => ({ text: '' })), evaluate: [] },
    { type: 'assess', messages: Array.from({ length: 100 }, () => ({ text: 'a'.repeat(MAX_TEXT) })), evaluate: [0] },
    { type: 'assess', messages: [{ text: 'a' }], evaluate: [1] },
    { type: 'assess', messages: [{ text: 'a' }], evaluate: [0.5] },
    { type: 'assess', messages: [{ text: 'a' }], evaluate: [0], warnFrom: 'max' },
    { type: 'assess', messages: [{ text: 'a' }], evaluate: [0], conv: 'x'.repeat(201) },
    { type: 'assess', messages: [{ text: 'a' }], evaluate: [0], code: 'alert(1)' },
  ];
  for (const b of bad) assert.equal(typeof requestProblem(b), 'string', JSON.stringify(b)?.slice(0, 80));
});

test('a phrase split over short messages warns at its last piece, in one request and in assessEach', () => {
  const m = msgs('hey', 'im gonna send', 'ur nudes');
  const rs = assessBatch(det, { messages: m, evaluate: [0, 1, 2] }, win);
  const last = rs.find((r) => r.index === 2);
  assert.equal(last.warn, true, JSON.stringify(last));
  assert.ok(last.categories.includes('threat'), JSON.stringify(last.categories));
  assert.equal(rs.find((r) => r.index === 1).warn, false, 'the first piece alone says nothing');
  const each = det.assessEach(m, [1, 2]);
  assert.equal(each.length, 2);
  assert.ok(each[1].conversation.categories.includes('threat'));
  const pieces = each[1].conversation.hits.filter((h) => h.category === 'threat').map((h) => [h.message, m[h.message].text.slice(h.start, h.end)]);
  assert.ok(pieces.some(([i]) => i === 1) && pieces.some(([i]) => i === 2), JSON.stringify(pieces));
});
