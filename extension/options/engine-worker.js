// The rules engine for the options page, in a worker so the page stays responsive while the engine
// builds a detector (seconds on a slow machine). The compiling build of the background's engine
// (it checks custom packs), with the same rule pack and custom packs: the playground's verdicts
// are the warnings' verdicts.
import init, { Detector } from '../compiler/extortion_guard.js';

let PACK = null;
const ready = (async () => {
  await init({ module_or_path: new URL('../compiler/extortion_guard_bg.wasm', import.meta.url) });
  PACK = new Uint8Array(await (await fetch(new URL('../engine/pack.bin', import.meta.url))).arrayBuffer());
})();

// Detectors by their custom packs (building one is the slow part; typing messages reuses it).
const cache = new Map();
function detector(packs) {
  const key = JSON.stringify(packs.map((p) => [p.name, p.text]));
  if (!cache.has(key)) {
    cache.set(key, packs.length ? Detector.withCustomPacks(PACK, packs.map(({ name, text }) => ({ name, text }))) : new Detector(PACK));
    while (cache.size > 3) { const [k, d] = cache.entries().next().value; cache.delete(k); d.free?.(); }
  }
  return cache.get(key);
}

// A pack's problems as the engine words them, then whether it fits with the other stored packs.
function check({ name, text, others }) {
  const res = Detector.check(PACK, name, text);
  if (!res.ok) return res;
  try { detector([...others, { name, text }]); } catch (e) {
    return { ok: false, problems: [{ file: name, line: null, rule: null, severity: 'error', message: String(e && e.message || e) }] };
  }
  return res;
}

function play({ packs, lines, warnFrom }) {
  const det = detector(packs);
  const v = det.assessConversation(lines.map((text) => ({ text }))).conversation;
  const from = warnFrom || det.warnFrom;
  const rules = new Map(det.rules().map((r) => [r.id, r]));
  const fired = [...new Set((v.hits || []).map((h) => h.rule))].map((id) => rules.get(id) || { id });
  return { ...v, warnFrom: from, warns: det.warnsAt(v.level, from), labels: v.categories.map((c) => det.categoryLabel(c)), fired };
}

const OPS = {
  info: () => ({ warnFrom: detector([]).warnFrom }),
  check,
  play,
};

onmessage = async ({ data }) => {
  try {
    await ready;
    postMessage({ id: data.id, ok: true, result: OPS[data.op](data.args || {}) });
  } catch (e) {
    postMessage({ id: data.id, ok: false, error: String(e && e.message || e) });
  }
};
