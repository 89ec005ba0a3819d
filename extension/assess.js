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

// The window the policy uses (messages); more context than this is trimmed before the engine.
export function windowSize(packJson) {
  const p = packJson && (packJson.policy || packJson);
  const n = p && p.window && Number(p.window.messages);
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

// Evaluates every requested index as "the newest message" with the window before it.
export function assessBatch(det, req, win = 12) {
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
