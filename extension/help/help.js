// The help page: full advice and every link for the chosen region, and the chats where warnings
// were turned off (with a way to turn them back on). Data comes from ../data/report-links.json;
// all of it is inserted as text.
import { t, fill } from '../common/i18n.js';

const api = globalThis.chrome ?? globalThis.browser;
// Report-link labels (and own-language pages) in the language the page is shown in.
const LANG = t('lang');
const localised = (l) => ({ ...l, ...(l.i18n?.[LANG] || {}) });

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'text') e.textContent = v; else if (v != null) e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid) e.append(kid);
  return e;
}

function regionFromLanguage(data) {
  for (const lang of navigator.languages || [navigator.language]) {
    for (const [code, r] of Object.entries(data.regions)) {
      if ((r.locales || []).some((l) => l.toLowerCase() === String(lang).toLowerCase())) return code;
    }
    const cc = String(lang).split('-')[1]?.toUpperCase();
    if (cc === 'GB') return 'UK';
    if (cc && data.regions[cc]) return cc;
    if (cc) return 'OTHER';
  }
  return 'OTHER';
}

function renderLinks(data, code) {
  const box = document.getElementById('links');
  box.replaceChildren();
  const r = data.regions[code] || data.regions.OTHER;
  for (const key of ['under18', 'adult', 'everyone']) {
    const items = r.links.filter((l) => l.for === key).map(localised);
    if (!items.length) continue;
    box.append(el('h3', { text: t(`group_${key}`) }));
    const ul = el('ul');
    for (const l of items) {
      const li = el('li');
      if (l.url) li.append(el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.label }));
      else li.append(document.createTextNode(l.label));
      if (l.phone && !l.label.includes(l.phone)) li.append(document.createTextNode(' '), el('a', { href: `tel:${l.phone.replace(/[^\d+]/g, '')}`, text: l.phone }));
      li.append(el('span', { class: 'source', text: t('link_source', [l.source]) }));
      ul.append(li);
    }
    box.append(ul);
  }
}

async function renderMuted() {
  const { muted = [] } = await api.storage.local.get('muted');
  const ul = document.getElementById('muted');
  ul.replaceChildren();
  document.getElementById('muted-none').hidden = muted.length > 0;
  for (const conv of muted) {
    const [site, ...rest] = conv.split(':');
    const btn = el('button', { type: 'button', text: t('help_unmute') });
    btn.addEventListener('click', async () => {
      const cur = (await api.storage.local.get('muted')).muted || [];
      await api.storage.local.set({ muted: cur.filter((c) => c !== conv) });
      renderMuted();
    });
    ul.append(el('li', null, document.createTextNode(t('help_muted_chat', [site, rest.join(':')]) + ' '), btn));
  }
}

async function main() {
  fill();
  const data = await (await fetch(api.runtime.getURL('data/report-links.json'))).json();
  const adv = document.getElementById('advice');
  for (const a of data.advice) adv.append(el('li', null, el('strong', { text: t(`advice_${a.key}_title`, null, a.title) }), document.createTextNode(' ' + t(`advice_${a.key}_text`, null, a.text))));
  const extra = document.getElementById('extra');
  for (const a of data.extraAdvice) extra.append(el('li', null, el('strong', { text: t(`advice_${a.key}_title`, null, a.title) + ': ' }), document.createTextNode(t(`advice_${a.key}_text`, null, a.text))));
  const select = document.getElementById('region');
  for (const [code, r] of Object.entries(data.regions)) select.append(el('option', { value: code, text: t(`region_${code}`, null, r.name) }));
  const fromHash = /region=([A-Z]+)/.exec(location.hash)?.[1];
  const stored = (await api.storage.local.get('region')).region;
  const code = (fromHash && data.regions[fromHash]) ? fromHash : (stored && data.regions[stored] ? stored : regionFromLanguage(data));
  select.value = code;
  renderLinks(data, code);
  select.addEventListener('change', () => { renderLinks(data, select.value); api.storage.local.set({ region: select.value }); });
  await renderMuted();
  api.storage.onChanged.addListener((c, area) => { if (area === 'local' && c.muted) renderMuted(); });
  document.documentElement.dataset.ready = '1';
}
main();
