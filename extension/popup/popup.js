// The toolbar popup: is this site supported and active, how many incoming messages were checked in
// this tab and how many warnings were shown (the content script counts them: the background may be
// stopped at any time), a switch to pause on this site, and for any other https site a button that
// asks for that one site's permission and runs the generic adapter there.
import { t, fill } from '../common/i18n.js';

const api = globalThis.chrome ?? globalThis.browser;
const $ = (id) => document.getElementById(id);

// The tab this popup is about: the active tab, or ?tab=ID&url=… when the popup is opened as a page
// (keyboard users from the options page, and the browser tests).
async function targetTab() {
  const q = new URLSearchParams(location.search);
  const id = Number(q.get('tab'));
  if (Number.isInteger(id) && id > 0) {
    const tab = await api.tabs.get(id);
    return { id, url: tab.url || q.get('url') || '' };
  }
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return { id: tab?.id, url: tab?.url || '' };
}

async function askTab(id) {
  try { return await api.tabs.sendMessage(id, { type: 'eg-status' }); } catch { return null; }
}

function state(text, cls) { const p = $('state'); p.textContent = text; p.className = `state ${cls || ''}`; }

async function render(tab) {
  const st = tab.id ? await askTab(tab.id) : null;
  let url = null;
  try { url = new URL(tab.url); } catch { /* unknown */ }
  $('counts').hidden = true; $('pause-row').hidden = true; $('protect-row').hidden = true;
  if (st) {
    $('site').textContent = st.supported ? t('popup_supported', [st.site]) : t('popup_protected', [st.host]);
    $('checked').textContent = String(st.checked);
    $('warnings').textContent = String(st.warnings);
    $('counts').hidden = false;
    $('pause-row').hidden = false;
    $('pause').checked = st.paused;
    $('pause').dataset.keys = JSON.stringify(st.pauseKeys);
    if (st.paused) state(t('popup_paused'), 'off');
    else if (st.active) state(t('popup_active'), 'on');
    else state(t('popup_not_chat'), '');
    return st;
  }
  $('site').textContent = url ? url.host : '';
  if (!url || url.protocol !== 'https:') { state(t('popup_cannot'), ''); return null; }
  const origin = `${url.origin}/*`;
  const granted = await api.permissions.contains({ origins: [origin] }).catch(() => false);
  if (granted) {
    // Granted earlier, but this page was open before: run the script now.
    await api.runtime.sendMessage({ type: 'protect-tab', tabId: tab.id }).catch(() => null);
    state(t('popup_starting'), 'on');
    setTimeout(() => render(tab), 500);
    return null;
  }
  state(t('popup_unsupported'), '');
  $('protect-row').hidden = false;
  $('protect').onclick = async () => {
    // Must run in the click (a user gesture); the browser asks the user.
    let ok = false;
    try { ok = await api.permissions.request({ origins: [origin] }); } catch { ok = false; }
    if (!ok) { state(t('popup_protect_declined'), 'off'); return; }
    await api.runtime.sendMessage({ type: 'protect-tab', tabId: tab.id }).catch(() => null);
    setTimeout(() => render(tab), 300);
  };
  return null;
}

async function main() {
  fill();
  const tab = await targetTab();
  $('pause').addEventListener('change', async () => {
    const keys = JSON.parse($('pause').dataset.keys || '[]');
    const off = new Set((await api.storage.local.get('off')).off || []);
    for (const k of keys) { if ($('pause').checked) off.add(k); else off.delete(k); }
    await api.storage.local.set({ off: [...off] });
    setTimeout(() => render(tab), 150);
  });
  $('options').addEventListener('click', () => api.runtime.openOptionsPage());
  $('help').addEventListener('click', () => api.tabs.create({ url: api.runtime.getURL('help/help.html') }));
  await render(tab);
  // Counts change while the popup is open.
  setInterval(() => { if (!$('pause-row').hidden) render(tab); }, 1500);
  document.documentElement.dataset.ready = '1';
}
main();
