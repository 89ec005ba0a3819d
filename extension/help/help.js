// The help page: full advice and every link for the chosen region, and the chats where warnings
// were turned off (with a way to turn them back on). Data comes from ../data/report-links.json;
// all of it is inserted as text.
const api = globalThis.chrome ?? globalThis.browser;

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
  const groups = [['under18', 'If you are under 18'], ['adult', 'If you are 18 or over'], ['everyone', 'Everyone']];
  for (const [key, title] of groups) {
    const items = r.links.filter((l) => l.for === key);
    if (!items.length) continue;
    box.append(el('h3', { text: title }));
    const ul = el('ul');
    for (const l of items) {
      const li = el('li');
      if (l.url) li.append(el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.label }));
      else li.append(document.createTextNode(l.label));
      if (l.phone && !l.label.includes(l.phone)) li.append(document.createTextNode(' '), el('a', { href: `tel:${l.phone.replace(/[^\d+]/g, '')}`, text: l.phone }));
      li.append(el('span', { class: 'source', text: `Source: ${l.source}` }));
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
    const btn = el('button', { type: 'button', text: 'Turn warnings back on' });
    btn.addEventListener('click', async () => {
      const cur = (await api.storage.local.get('muted')).muted || [];
      await api.storage.local.set({ muted: cur.filter((c) => c !== conv) });
      renderMuted();
    });
    ul.append(el('li', null, document.createTextNode(`${site}: chat ${rest.join(':')} `), btn));
  }
}

async function main() {
  const data = await (await fetch(api.runtime.getURL('data/report-links.json'))).json();
  const adv = document.getElementById('advice');
  for (const a of data.advice) adv.append(el('li', null, el('strong', { text: a.title }), document.createTextNode(' ' + a.text)));
  const extra = document.getElementById('extra');
  for (const a of data.extraAdvice) extra.append(el('li', null, el('strong', { text: a.title + ': ' }), document.createTextNode(a.text)));
  const select = document.getElementById('region');
  for (const [code, r] of Object.entries(data.regions)) select.append(el('option', { value: code, text: r.name }));
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
