// The options page: where the user lives and their age (which report links the warning shows),
// sensitivity, sites on or off, chats muted with "Not a threat", custom rule packs, and the rule
// playground volunteers tune rules with.
//
// The playground and the pack check run the same engine as the warnings: the WebAssembly module and
// rule pack the background loads (an extension page may compile wasm: 'wasm-unsafe-eval'), with the
// same custom packs, in a worker (engine-worker.js) so typing never waits for it. A pack is stored
// only after Detector.check accepted it, so a broken pack never replaces a working one. Everything
// is written into the page as text.
import { t, fill } from '../common/i18n.js';
import { loadSettings, regionFromLanguages, grantedOrigins, LEVELS } from '../common/settings.js';

const api = globalThis.chrome ?? globalThis.browser;
const DATA = globalThis.EG_DATA;
const $ = (id) => document.getElementById(id);

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}
const set = (patch) => api.storage.local.set(patch);
const get = async (k) => (await api.storage.local.get(k))[k];

let policyWarnFrom = 'medium';

// ------------------------------------------------------------------------------ engine (worker)
const worker = new Worker(new URL('engine-worker.js', import.meta.url), { type: 'module' });
const waiting = new Map();
let seq = 0;
worker.onmessage = ({ data }) => {
  const w = waiting.get(data.id);
  waiting.delete(data.id);
  if (w) { if (data.ok) w.resolve(data.result); else w.reject(new Error(data.error)); }
};
function engine(op, args) {
  const id = ++seq;
  return new Promise((resolve, reject) => { waiting.set(id, { resolve, reject }); worker.postMessage({ id, op, args }); });
}

// ------------------------------------------------------------------------------ you
function renderRegion(s) {
  const sel = $('region');
  const guess = regionFromLanguages(navigator.languages || [navigator.language], DATA.links.regions);
  for (const code of Object.keys(DATA.links.regions)) sel.append(el('option', { value: code, text: t(`region_${code}`) }));
  sel.value = s.region && DATA.links.regions[s.region] ? s.region : guess;
  sel.addEventListener('change', () => set({ region: sel.value }));
  const u = $('under18');
  u.checked = s.under18;
  u.addEventListener('change', () => set({ under18: u.checked }));
}

function renderSensitivity(s) {
  const value = s.sensitivity || policyWarnFrom;
  for (const r of document.querySelectorAll('input[name="sensitivity"]')) {
    r.checked = r.value === value;
    r.addEventListener('change', () => { if (r.checked) set({ sensitivity: LEVELS.includes(r.value) ? r.value : null }); });
  }
}

// ------------------------------------------------------------------------------ sites

async function renderSites() {
  const off = new Set((await get('off')) || []);
  const ul = $('sites');
  ul.replaceChildren();
  const toggle = (key, label, extra) => {
    const box = el('input', { type: 'checkbox', checked: !off.has(key), 'data-site': key });
    box.addEventListener('change', async () => {
      const cur = new Set((await get('off')) || []);
      if (box.checked) cur.delete(key); else cur.add(key);
      await set({ off: [...cur] });
    });
    ul.append(el('li', null, el('label', null, box, ` ${label}`), extra));
  };
  for (const s of DATA.sites.filter((x) => x.id !== 'generic')) toggle(s.id, `${s.name} (${s.hosts.join(', ')})`);
  const { origins } = await api.permissions.getAll();
  for (const o of grantedOrigins(api.runtime.getManifest(), origins)) {
    const hostName = new URL(o.replace('/*', '/')).hostname;
    const remove = el('button', { type: 'button', text: t('options_site_forget'), on: { click: async () => { await api.permissions.remove({ origins: [o] }); renderSites(); } } });
    toggle(hostName, t('options_site_granted', [hostName]), remove);
  }
}

// ------------------------------------------------------------------------------ muted chats
function chatLabel(conv) {
  const [site, ...rest] = conv.split(':');
  const ad = DATA.sites.find((s) => s.id === site);
  return t('options_muted_chat', [ad ? ad.name : site, rest.join(':')]);
}

async function renderMuted() {
  const muted = (await get('muted')) || [];
  const ul = $('muted');
  ul.replaceChildren();
  $('muted-none').hidden = muted.length > 0;
  for (const conv of muted) {
    const btn = el('button', { type: 'button', text: t('options_unmute'), on: { click: async () => {
      await set({ muted: ((await get('muted')) || []).filter((c) => c !== conv) });
    } } });
    ul.append(el('li', { 'data-conv': conv }, el('span', { text: chatLabel(conv) }), ' ', btn));
  }
}

// ------------------------------------------------------------------------------ problems
// The engine's problems, exactly as it words them: file, line, rule id, severity, message.
function problemsTable(problems) {
  const table = el('table', { class: 'problems' },
    el('thead', null, el('tr', null, ...['options_col_file', 'options_col_line', 'options_col_rule', 'options_col_severity', 'options_col_message'].map((k) => el('th', { scope: 'col', text: t(k) })))));
  const body = el('tbody');
  for (const p of problems) {
    body.append(el('tr', { class: p.severity === 'error' ? 'error' : 'warning' },
      el('td', { text: p.file ?? '' }), el('td', { text: p.line ?? '' }), el('td', null, el('code', { text: p.rule ?? '' })),
      el('td', { text: p.severity ?? '' }), el('td', null, el('pre', { text: p.message ?? '' }))));
  }
  table.append(body);
  return table;
}

// Checks a pack with the engine: its own problems, then together with the other stored packs.
const checkPack = (name, text, others) => engine('check', { name, text, others });

async function storePack(name, text, out) {
  const packs = (await get('customPacks')) || [];
  const others = packs.filter((p) => p.name !== name);
  out.replaceChildren(el('p', { class: 'hint', text: t('options_checking', [name]) }));
  const res = await checkPack(name, text, others);
  out.replaceChildren();
  if (!res.ok) {
    out.append(el('p', { class: 'bad', text: t('options_pack_rejected', [name]) }), problemsTable(res.problems));
    return false;
  }
  await set({ customPacks: [...others, { name, text, added: Date.now() }] });
  out.append(el('p', { class: 'good', text: t('options_pack_added', [name]) }));
  if (res.problems.length) out.append(problemsTable(res.problems));
  return true;
}

async function renderPacks() {
  const packs = (await get('customPacks')) || [];
  const ul = $('packs');
  ul.replaceChildren();
  if (!packs.length) ul.append(el('li', { text: t('options_packs_none') }));
  // The background could not load the stored packs (a newer engine may reject an old pack): say so.
  let failed = null;
  try { failed = packs.length ? (await api.storage.session?.get('customPackError'))?.customPackError : null; } catch { /* no session storage */ }
  $('packs-failed')?.remove();
  if (failed) ul.before(el('p', { id: 'packs-failed', class: 'bad', text: t('options_pack_failed', [String(failed)]) }));
  for (const p of packs) {
    const rules = (p.text.match(/^\s*\[\[rule\]\]/gm) || []).length;
    ul.append(el('li', { 'data-pack': p.name }, el('code', { text: p.name }), ` ${t('options_pack_rules', [String(rules)])} `,
      el('button', { type: 'button', text: t('options_pack_edit'), on: { click: () => { $('play-pack-name').value = p.name; $('play-pack').value = p.text; playground(); $('play-pack').focus(); } } }), ' ',
      el('button', { type: 'button', text: t('options_pack_remove'), on: { click: async () => { await set({ customPacks: ((await get('customPacks')) || []).filter((x) => x.name !== p.name) }); } } })));
  }
}

// ------------------------------------------------------------------------------ playground
let storedPacks = [];

function highlighted(text, hits) {
  // Text nodes and <mark> elements only: the message is never parsed as markup.
  const p = el('p', { class: 'msg' });
  const spans = hits.filter((h) => h.end > h.start).sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0;
  for (let i = 0; i < spans.length;) {
    const start = Math.max(spans[i].start, at);
    let end = spans[i].end;
    const ids = new Set([spans[i].rule]);
    let j = i + 1;
    while (j < spans.length && spans[j].start < end) { end = Math.max(end, spans[j].end); ids.add(spans[j].rule); j++; }
    if (start > at) p.append(document.createTextNode(text.slice(at, start)));
    if (end > start) p.append(el('mark', { title: [...ids].join(', '), text: text.slice(start, end) }));
    at = Math.max(at, end);
    i = j;
  }
  if (at < text.length) p.append(document.createTextNode(text.slice(at)));
  return p;
}

// One run of the playground: the pack being edited is checked, then the messages are judged with
// the built-in rules, the stored packs (but the one being edited) and the edited pack if it is valid.
// Runs one at a time; edits made meanwhile are coalesced into the next run.
let running = false;
let again = false;
async function playground() {
  if (running) { again = true; return; }
  running = true;
  document.documentElement.dataset.playground = 'busy';
  try { await playOnce(); } catch (e) {
    $('play-verdict').replaceChildren(el('p', { class: 'bad', text: String(e && e.message || e) }));
  }
  running = false;
  if (again) { again = false; playground(); return; }
  document.documentElement.dataset.playground = 'idle';
}

async function playOnce() {
  const name = $('play-pack-name').value.trim() || 'my-rules.toml';
  const packText = $('play-pack').value;
  const lines = $('play-text').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const problemsBox = $('play-problems');
  const packs = storedPacks.filter((p) => p.name !== name).map(({ name: n, text }) => ({ name: n, text }));
  if (packText.trim()) {
    const res = await checkPack(name, packText, packs);
    problemsBox.replaceChildren();
    if (!res.ok || res.problems.length) problemsBox.append(el('p', { class: res.ok ? 'good' : 'bad', text: res.ok ? t('options_play_pack_ok_warnings') : t('options_play_pack_bad') }), problemsTable(res.problems));
    else problemsBox.append(el('p', { class: 'good', text: t('options_play_pack_ok') }));
    if (res.ok) packs.push({ name, text: packText });
  } else problemsBox.replaceChildren();

  const verdictBox = $('play-verdict');
  const hl = $('play-highlight');
  const tbody = $('play-rules').querySelector('tbody');
  if (!lines.length) {
    verdictBox.replaceChildren(el('p', { class: 'hint', text: t('options_play_empty') }));
    hl.replaceChildren(); tbody.replaceChildren(); $('play-rules').hidden = true;
    return;
  }
  const warnFrom = document.querySelector('input[name="sensitivity"]:checked')?.value;
  const v = await engine('play', { packs, lines, warnFrom });
  verdictBox.replaceChildren(el('p', { class: v.warns ? 'verdict warn' : 'verdict', 'data-level': v.level, 'data-warn': String(v.warns) },
    el('strong', { text: v.warns ? t('options_play_warns') : t('options_play_no_warning') }), ' ',
    document.createTextNode(t('options_play_level', [v.level, String(v.score), v.warnFrom]))));
  if (v.labels.length) verdictBox.append(el('p', { text: t('options_play_categories', [v.labels.join('; ')]) }));
  hl.replaceChildren();
  const multi = lines.length > 1;
  lines.forEach((text, i) => hl.append(highlighted(text, (v.hits || []).filter((h) => !multi || h.message === i))));
  tbody.replaceChildren();
  for (const r of v.fired) {
    tbody.append(el('tr', { 'data-rule': r.id }, el('td', null, el('code', { text: r.id })), el('td', { text: r.category ?? '' }), el('td', { text: r.weight ?? '' }),
      el('td', { text: (r.description ?? '') + (r.testing ? ` (${t('options_play_testing')})` : '') }), el('td', { text: r.source ?? '' })));
  }
  $('play-rules').hidden = v.fired.length === 0;
}

let timer = 0;
const later = () => { clearTimeout(timer); timer = setTimeout(playground, 120); };

// ------------------------------------------------------------------------------ start
async function main() {
  fill();
  const s = await loadSettings(api);
  storedPacks = s.customPacks;
  $('play-verdict').replaceChildren(el('p', { class: 'hint', text: t('options_engine_loading') }));
  renderRegion(s);
  await Promise.all([renderSites(), renderMuted(), renderPacks()]);
  policyWarnFrom = (await engine('info')).warnFrom;
  renderSensitivity(s);

  $('pack-file').addEventListener('change', async (e) => {
    const f = e.target.files && e.target.files[0];
    if (!f) return;
    const ok = await storePack(f.name, await f.text(), $('pack-result'));
    if (ok) e.target.value = '';
  });
  for (const id of ['play-text', 'play-pack', 'play-pack-name']) $(id).addEventListener('input', later);
  for (const r of document.querySelectorAll('input[name="sensitivity"]')) r.addEventListener('change', later);
  $('play-save').addEventListener('click', () => storePack($('play-pack-name').value.trim() || 'my-rules.toml', $('play-pack').value, $('play-problems')));

  api.storage.onChanged.addListener(async (c, area) => {
    if (area === 'session' && c.customPackError) renderPacks();
    if (area !== 'local') return;
    if (c.muted) renderMuted();
    if (c.off) renderSites();
    if (c.customPacks) { storedPacks = c.customPacks.newValue || []; renderPacks(); }
  });
  api.permissions.onAdded?.addListener(renderSites);
  api.permissions.onRemoved?.addListener(renderSites);
  playground();
  document.documentElement.dataset.ready = '1';
}
main().catch((e) => {
  document.body.prepend(el('p', { class: 'bad', role: 'alert', text: t('options_failed', [String(e && e.message || e)]) }));
});
