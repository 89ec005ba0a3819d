// The warn rule the overlay follows, on top of the engine's verdicts. Pure: used by the background
// and by the Node tests (tests/wasm/), so the rule is tested against the real engine.
//
// Warn beside the newest incoming message when the conversation window warns and the newest
// message has hits of its own; when it has none, beside the latest message that contributed hits.
// So a threat split over several messages is caught, and ordinary chatter after it is not flagged
// again (its anchor is the message already flagged, and the content script shows one card per
// anchor).

export const MAX_MESSAGES = 400;
export const MAX_TEXT = 8000;

// The window the policy uses (messages), as the detector reports it; more context than this is
// trimmed before the engine.
export function windowSize(detector) {
  const n = Number(detector && detector.windowMessages);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 100) : 12;
}

// Validates and normalises a request from a content script. Returns null when it is not usable.
export function cleanRequest(req) {
  if (!req || !Array.isArray(req.messages) || !Array.isArray(req.evaluate)) return null;
  const messages = req.messages.slice(-MAX_MESSAGES).map((m) => {
    const text = typeof m?.text === 'string' ? m.text.slice(0, MAX_TEXT) : '';
    return Number.isFinite(m?.time) ? { text, time: m.time } : { text };
  });
  const shift = req.messages.length - messages.length;
  const evaluate = [...new Set(req.evaluate.map((i) => Number(i) - shift))]
    .filter((i) => Number.isInteger(i) && i >= 0 && i < messages.length)
    .sort((a, b) => a - b);
  return { messages, evaluate, shift };
}

// The shape of an `assess` request, checked strictly before any work: the background rejects a
// request that does not fit with an error (a content script never sends one). Returns null when
// the request is well formed, else what is wrong with it.
export const MAX_TOTAL_TEXT = 600_000; // UTF-16 units over all messages of one request
export const MAX_ID = 200;             // conversation and job ids
export function requestProblem(msg) {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'not an object';
  const known = new Set(['type', 'messages', 'evaluate', 'warnFrom', 'conv', 'job']);
  for (const k of Object.keys(msg)) if (!known.has(k)) return `unknown field ${JSON.stringify(k.slice(0, 40))}`;
  if (!Array.isArray(msg.messages)) return 'messages must be an array';
  if (msg.messages.length > MAX_MESSAGES) return `more than ${MAX_MESSAGES} messages`;
  let total = 0;
  for (const m of msg.messages) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return 'a message must be {text, time?}';
    for (const k of Object.keys(m)) if (k !== 'text' && k !== 'time') return `unknown message field ${JSON.stringify(k.slice(0, 40))}`;
    if (typeof m.text !== 'string') return 'a message text must be a string';
    if (m.text.length > MAX_TEXT) return `a message longer than ${MAX_TEXT}`;
    if (m.time !== undefined && !Number.isFinite(m.time)) return 'a message time must be a finite number';
    total += m.text.length;
  }
  if (total > MAX_TOTAL_TEXT) return `more than ${MAX_TOTAL_TEXT} characters in one request`;
  if (!Array.isArray(msg.evaluate)) return 'evaluate must be an array';
  if (msg.evaluate.length > msg.messages.length) return 'more indexes than messages';
  for (const i of msg.evaluate) if (!Number.isInteger(i) || i < 0 || i >= msg.messages.length) return 'evaluate holds an index out of range';
  if (msg.warnFrom !== undefined && !['low', 'medium', 'high'].includes(msg.warnFrom)) return 'warnFrom must be low, medium or high';
  for (const k of ['conv', 'job']) if (msg[k] !== undefined && (typeof msg[k] !== 'string' || msg[k].length > MAX_ID)) return `${k} must be a short string`;
  return null;
}

// The order in which the warning explains what it saw: the threat and the demand first.
const ORDER = ['threat', 'revenge', 'demand', 'payment', 'deadline', 'more_images', 'possession', 'video_call', 'webcam_scam', 'audience', 'shaming', 'legal', 'isolation'];
function rank(c) { const i = ORDER.indexOf(c); return i < 0 ? ORDER.length : i; }

// One verdict for the message at `index`, seen as the newest of its conversation. `warnFrom` is
// the user's sensitivity ('low' | 'medium' | 'high'); without it the policy's own threshold holds.
export function decide(det, verdicts, offset, index, warnFrom) {
  const conv = verdicts.conversation;
  const own = verdicts.message;
  const out = { index, warn: false, level: conv.level, score: conv.score };
  const warn = warnFrom ? det.warnsAt(conv.level, warnFrom) : conv.warn;
  if (!warn) return out;
  let anchorLocal = -1;
  const newestLocal = index - offset;
  if (own.hits && own.hits.length) anchorLocal = newestLocal;
  else for (const h of conv.hits || []) if (Number.isInteger(h.message)) anchorLocal = Math.max(anchorLocal, h.message);
  if (anchorLocal < 0) anchorLocal = newestLocal;
  const seen = new Set();
  const phrases = [];
  // The anchor's own phrases first, then the rest of the window, newest first.
  const hits = [...(conv.hits || [])].sort((a, b) => (b.message === anchorLocal) - (a.message === anchorLocal) || (b.message ?? 0) - (a.message ?? 0) || a.start - b.start);
  for (const h of hits) {
    const t = String(h.text || '').trim();
    const k = t.toLowerCase();
    if (!t || seen.has(k)) continue;
    seen.add(k); phrases.push(t);
  }
  // Overlapping hits read as repetition: keep a phrase only when no longer one contains it.
  const low = phrases.map((p) => p.toLowerCase());
  const distinct = phrases.filter((p, i) => !low.some((o, j) => j !== i && o.length > low[i].length && o.includes(low[i])));
  const categories = [...conv.categories].sort((a, b) => rank(a) - rank(b));
  // The rules that fired, with their phrases: the evidence file lists them.
  const rules = new Map();
  for (const h of conv.hits || []) {
    const r = rules.get(h.rule) || { id: h.rule, category: h.category, phrases: [] };
    const t = String(h.text || '').trim();
    if (t && !r.phrases.includes(t)) r.phrases.push(t);
    rules.set(h.rule, r);
  }
  return {
    ...out,
    warn: true,
    anchor: anchorLocal + offset,
    categories,
    labels: categories.map((c) => det.categoryLabel(c) || c),
    phrases: distinct.slice(0, 8),
    rules: [...rules.values()],
  };
}

// ------------------------------------------------------------------ scanning each message once
// A request evaluates many messages, each as "the newest" with the window before it. Scanning the
// whole window for each of them (what `assessConversation` does) costs up to window × messages
// scans, so a sender could make one batch take seconds per message. Instead every message is
// scanned once (`scanMessage`), and a window is decided by the engine itself from stand-ins:
// a message without hits contributes nothing to a verdict, so it stands in as ''; a message with
// hits stands in as the short excerpts around its hits, once the engine confirmed that the
// excerpts hit exactly the same rules (else the message stands in as itself). The verdict is then
// the engine's own decision on the same rules; the hits shown are the ones found in the original.

function ruleSet(hits) { return [...new Set((hits || []).map((h) => h.rule))].sort().join('\u0000'); }

// Excerpts of `text` around its hits, [start-ctx, end+ctx), joined by line breaks.
function excerpts(text, hits, ctx = 48) {
  const spans = [];
  for (const h of hits) {
    const s = Math.max(0, h.start - ctx); const e = Math.min(text.length, h.end + ctx);
    const last = spans[spans.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e); else spans.push([s, e]);
  }
  return spans.map(([s, e]) => text.slice(s, e)).join('\n');
}

// One scan per message, on demand. `scanned` counts engine scans (for the tests and the stats).
export class Scanner {
  constructor(det, messages) {
    this.det = det; this.messages = messages;
    this.scans = new Array(messages.length); this.stand = new Array(messages.length);
    this.scanned = 0;
  }
  has(i) { return this.scans[i] !== undefined; }
  scan(i) {
    if (this.scans[i] === undefined) { this.scans[i] = this.det.scanMessage(this.messages[i].text); this.scanned += 1; }
    return this.scans[i];
  }
  // The text a message stands in as (requires its scan).
  standIn(i) {
    if (this.stand[i] !== undefined) return this.stand[i];
    const v = this.scans[i]; const text = this.messages[i].text;
    let t = '';
    if (v.hits && v.hits.length) {
      t = text;
      const ex = excerpts(text, v.hits);
      if (ex.length < text.length) {
        const check = this.det.scanMessage(ex); this.scanned += 1;
        if (ruleSet(check.hits) === ruleSet(v.hits)) t = ex;
      }
    }
    this.stand[i] = t;
    return t;
  }
}

// The engine also reads the last few short messages joined (a phrase split over "Fine im
// exposing" / "Ur pics"), which no single scan shows; those messages stand in as themselves.
export const JOIN_TAIL = 4;       // as the engine's JOIN_MAX_MESSAGES
export const JOIN_SHORT = 400;    // as the engine's JOIN_MESSAGE_BYTES (bytes there, units here: only ever fewer)

// The conversation verdict for index `i` from scans already made (all of [from, i] scanned).
export function windowVerdict(det, sc, from, i) {
  const own = sc.scans[i];
  const whole = (j) => j > i - JOIN_TAIL && sc.messages[j].text.length <= JOIN_SHORT;
  const msgs = [];
  for (let j = from; j <= i; j++) {
    const m = sc.messages[j];
    let text = whole(j) ? m.text : sc.standIn(j);
    // A long message among the last few must stay long for the engine, which joins no further
    // back than it: spaces carry no words.
    if (j > i - JOIN_TAIL && !whole(j)) text = text.padEnd(JOIN_SHORT + 1, " ");
    msgs.push(Number.isFinite(m.time) ? { text, time: m.time } : { text });
  }
  const v = det.assessConversation(msgs);
  // Hits as found in the original texts: each message's own scan for those the engine kept in
  // its window, then what it found only by reading the last messages joined (`joined`), which
  // lie in messages that stood in as themselves. The same order as a whole-window assessment.
  const all = v.conversation.hits || [];
  const inWindow = new Set(all.filter((h) => !h.joined).map((h) => h.message));
  const hits = [];
  for (let j = from; j <= i; j++) {
    if (inWindow.has(j - from)) for (const h of sc.scans[j].hits) hits.push({ ...h, message: j - from });
  }
  for (const h of all) if (h.joined) hits.push(h);
  return { message: own, conversation: { ...v.conversation, hits } };
}

export function assessBatch(det, req, win = 12) {
  const out = [];
  for (const step of assessSteps(det, req, win)) if (step.result) out.push(step.result);
  return out.sort((a, b) => a.index - b.index);
}

// The same as a sequence of small steps (one scan or one decision each), so the background can
// yield between them, answer other tabs, and stop a request that was superseded. Newest first:
// the messages most likely to be read now are decided first.
export function* assessSteps(det, req, win = 12) {
  const r = cleanRequest(req);
  const warnFrom = ['low', 'medium', 'high'].includes(req?.warnFrom) ? req.warnFrom : null;
  if (!r) return;
  const sc = new Scanner(det, r.messages);
  yield { scanner: sc };
  for (const i of [...r.evaluate].reverse()) {
    const from = Math.max(0, i - win + 1);
    for (let j = i; j >= from; j--) if (!sc.has(j)) { sc.scan(j); yield { scanned: j }; }
    const v = windowVerdict(det, sc, from, i);
    const d = decide(det, v, from, i, warnFrom);
    d.index += r.shift;
    if (d.anchor !== undefined) d.anchor += r.shift;
    yield { result: d };
  }
}

// The reference: each window assessed whole by the engine (window × messages scans). Kept for the
// tests, which check that assessBatch gives the same answers.
export function assessBatchByWindows(det, req, win = 12) {
  const r = cleanRequest(req);
  const warnFrom = ['low', 'medium', 'high'].includes(req?.warnFrom) ? req.warnFrom : null;
  if (!r) return [];
  const results = [];
  for (const i of r.evaluate) {
    const from = Math.max(0, i - win + 1);
    const v = det.assessConversation(r.messages.slice(from, i + 1));
    const d = decide(det, v, from, i, warnFrom);
    d.index += r.shift;
    if (d.anchor !== undefined) d.anchor += r.shift;
    results.push(d);
  }
  return results;
}
