// The warning card shown beside a message that reads like a blackmail script.
//
// - It lives in a closed shadow root on a host outside the chat app's own tree (a child of <html>),
//   so the app's re-renders cannot wipe it and its CSS cannot reach in; it is positioned against the
//   message's rectangle and follows scrolling. It never covers the box where the user types.
// - Styles come through adoptedStyleSheets: Firefox blocks <style> elements in a content script's
//   shadow root under a strict page style-src.
// - Everything the page or the sender wrote is inserted with textContent. No innerHTML anywhere.
// - The words are calm: the person reading may be frightened and ashamed. No accusation, no alarm red.
(() => {
  'use strict';
  const DATA = globalThis.EG_DATA;
  if (!DATA) return;

  const CSS_TEXT = `
:host { all: initial; }
.card {
  position: fixed; box-sizing: border-box; display: flex; flex-direction: column;
  width: 400px; max-width: calc(100vw - 16px);
  background: #ffffff; color: #1d2433; border: 2px solid #3557a8; border-radius: 12px;
  box-shadow: 0 6px 28px rgba(20, 30, 60, 0.35);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  text-align: start; overflow-y: auto; overscroll-behavior: contain; z-index: 2147483647; pointer-events: auto;
}
.card:focus { outline: none; }
.card:focus-visible { outline: 3px solid #7aa2ff; outline-offset: 1px; }
header { display: flex; gap: 10px; align-items: flex-start; padding: 12px 14px 10px; background: #e9effb; border-bottom: 1px solid #c9d5f0; }
.shield { flex: none; width: 26px; height: 30px; margin-top: 1px; background: #3557a8; color: #fff; border-radius: 6px 6px 13px 13px; display: grid; place-items: center; font-weight: 700; font-size: 17px; }
h2 { margin: 0; font-size: 17px; line-height: 1.3; font-weight: 700; color: #14213d; }
.calm { margin: 3px 0 0; font-size: 14px; color: #33415c; }
.body { padding: 4px 14px 8px; flex: 0 0 auto; }
header { flex: 0 0 auto; }
h3 { margin: 10px 0 4px; font-size: 14px; font-weight: 700; color: #14213d; text-transform: none; }
ul, ol { margin: 0; padding-inline-start: 20px; }
li { margin: 2px 0; }
.phrases { margin: 4px 0 0; font-size: 14px; color: #33415c; }
.phrase { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 6px; background: #fff4d6; border: 1px solid #e8cf8a; border-radius: 4px; color: #3b2f00; overflow-wrap: anywhere; }
.advice b { color: #14213d; }
.group { margin: 6px 0 2px; font-size: 13px; font-weight: 700; color: #3557a8; }
a { color: #1f4fbf; text-decoration: underline; overflow-wrap: anywhere; }
a:focus, button:focus { outline: 3px solid #f2b705; outline-offset: 1px; }
.note { font-size: 13px; color: #4a5670; margin: 8px 0 0; }
footer { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 14px 12px; border-top: 1px solid #dfe5f2; background: #f7f9fd; position: sticky; bottom: 0; flex: 0 0 auto; margin-top: auto; }
button {
  font: inherit; font-size: 14px; font-weight: 600; border-radius: 8px; padding: 7px 12px; cursor: pointer;
  border: 1px solid #3557a8; background: #fff; color: #1f3a80; min-height: 36px;
}
button.primary { background: #3557a8; color: #fff; }
button:hover { filter: brightness(0.95); }
.muted-note { padding: 12px 14px; }
.evidence { flex: 1 1 100%; display: flex; gap: 8px; align-items: center; padding-bottom: 8px; border-bottom: 1px solid #dfe5f2; }
.evidence button { flex: none; }
.why { margin: 0; font-size: 12.5px; line-height: 1.35; color: #4a5670; }
.why.saved { color: #1f5130; font-weight: 600; }
.why-small { display: none; }
@media (max-height: 520px) {
  footer .why { display: none; }
  .why-small { display: block; }
  .evidence { flex: 0 0 auto; padding: 0; border: 0; }
  footer { gap: 6px; padding: 8px 10px; }
  button { font-size: 13px; padding: 4px 9px; min-height: 32px; }
}
@media (prefers-color-scheme: dark) {
  .card { background: #111a2e; color: #e6ebf5; border-color: #7f9be0; }
  header { background: #1b2744; border-color: #2d3b60; }
  h2, h3, .advice b { color: #f2f5fb; }
  .calm, .phrases, .note { color: #c3cde3; }
  .phrase { background: #3b3113; border-color: #7a6423; color: #fbe7a6; }
  a { color: #9dbbff; }
  .group { color: #9db4ee; }
  footer { background: #16203a; border-color: #2d3b60; }
  .evidence { border-color: #2d3b60; }
  .why { color: #c3cde3; } .why.saved { color: #9fe0b4; }
  button { background: #16203a; color: #dbe5ff; border-color: #7f9be0; }
  button.primary { background: #5a7bd0; color: #0b1020; }
}
@media (prefers-reduced-motion: no-preference) { .card { transition: top 80ms linear, left 80ms linear; } }
`;

  // ------------------------------------------------------------------------------- language
  // Strings follow the browser's language through _locales (English when it has no translation).
  // LANG is the language actually in use, so report-link labels match the rest of the card.
  const i18n = globalThis.chrome?.i18n ?? globalThis.browser?.i18n;
  function t(key, subs, fallback) {
    let s = '';
    try { s = i18n.getMessage(key, subs); } catch { /* no extension API (unit tests) */ }
    return s || fallback || key;
  }
  const LANG = t('lang', null, 'en');
  const localised = (l) => ({ ...l, ...((l.i18n && l.i18n[LANG]) || {}) });

  let sheet = null;
  function styles() {
    if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS_TEXT); }
    return sheet;
  }

  // ------------------------------------------------------------------------------- region
  function regionCode() {
    const langs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en']);
    const regions = DATA.links.regions;
    for (const lang of langs) {
      for (const [code, r] of Object.entries(regions)) {
        if ((r.locales || []).some((l) => l.toLowerCase() === String(lang).toLowerCase())) return code;
      }
      const cc = String(lang).split('-')[1]?.toUpperCase();
      if (cc === 'GB') return 'UK';
      if (cc && regions[cc]) return cc;
      if (cc) return 'OTHER';
    }
    return 'OTHER';
  }

  // ------------------------------------------------------------------------------- dom helpers
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids) if (kid) e.append(kid);
    return e;
  }

  function linkItem(link) {
    const l = localised(link);
    const li = el('li');
    if (l.url) {
      li.append(el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.label }));
    } else if (l.phone) {
      li.append(document.createTextNode(l.label + ' '));
      if (!l.label.includes(l.phone)) li.append(el('a', { href: `tel:${l.phone.replace(/[^\d+]/g, '')}`, text: l.phone }));
    } else if (l.sms) {
      li.append(document.createTextNode(l.label));
    } else {
      li.append(document.createTextNode(l.label));
    }
    return li;
  }

  let seq = 0;
  let current = null; // { info, host, card, shadow, state }

  function build(info, region) {
    const id = `eg-${++seq}`;
    const r = DATA.links.regions[region] || DATA.links.regions.OTHER;
    const card = el('div', {
      class: 'card', role: 'alertdialog', 'aria-modal': 'false', lang: LANG,
      'aria-labelledby': `${id}-h`, 'aria-describedby': `${id}-d`, tabindex: '-1',
    });
    card.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); dismiss(); } });

    const header = el('header', null,
      el('div', { class: 'shield', 'aria-hidden': 'true', text: '!' }),
      el('div', null,
        el('h2', { id: `${id}-h`, text: t('overlay_title') }),
        el('p', { class: 'calm', id: `${id}-d`, text: t('overlay_calm') })));

    const body = el('div', { class: 'body' });
    // Why
    body.append(el('h3', { text: t('overlay_why') }));
    const why = el('ul');
    // Category labels by id from _locales; the engine's English label when there is no translation.
    const cats = info.categories || [];
    (info.labels || []).slice(0, 6).forEach((label, i) => why.append(el('li', { text: capital(cats[i] ? t(`category_${cats[i]}`, null, label) : label) })));
    body.append(why);
    const phrases = (info.phrases || []).filter(Boolean).slice(0, 5);
    if (phrases.length) {
      const p = el('p', { class: 'phrases' }, document.createTextNode(t('overlay_matched') + ' '));
      for (const ph of phrases) p.append(el('span', { class: 'phrase', text: `“${ph.length > 80 ? ph.slice(0, 77) + '…' : ph}”` }));
      body.append(p);
    }
    // What to do
    body.append(el('h3', { text: t('overlay_what_to_do') }));
    const adv = el('ol', { class: 'advice' });
    for (const a of DATA.links.advice) adv.append(el('li', null, el('b', { text: t(`advice_${a.key}_title`, null, a.title) }), document.createTextNode(' ' + t(`advice_${a.key}_text`, null, a.text))));
    body.append(adv);
    // Where to report
    body.append(el('h3', { text: t('overlay_where_help', [t(`region_${region in DATA.links.regions ? region : 'OTHER'}`, null, r.name)]) }));
    // "I am under 18" (options): the under-18 services, and none of the adults-only ones.
    const under18 = !!globalThis.EG_CONTENT?.prefs?.().under18;
    for (const key of under18 ? ['under18', 'everyone'] : ['under18', 'adult', 'everyone']) {
      const items = r.links.filter((l) => l.for === key);
      if (!items.length) continue;
      body.append(el('p', { class: 'group', text: t(`group_${key}`) }));
      const ul = el('ul');
      for (const l of items) ul.append(linkItem(l));
      body.append(ul);
    }
    body.append(el('p', { class: 'note', text: t('overlay_local_note') }));

    // Keep the evidence (in the footer, always in view): the conversation as text, before anyone
    // deletes it. The sentence beside the button becomes the confirmation once saved.
    const keepNote = el('p', { class: 'why', 'aria-live': 'polite', text: t('overlay_evidence_why') });
    // In a short window (200 % zoom) the sentence moves into the card's body, the footer stays one row.
    const keepNoteSmall = el('p', { class: 'note why why-small', text: t('overlay_evidence_why') });
    body.append(keepNoteSmall);
    const footer = el('footer', null,
      el('div', { class: 'evidence' },
        el('button', { type: 'button', text: t('overlay_save_evidence'), on: { click: () => saveEvidence([keepNote, keepNoteSmall]) } }), keepNote),
      el('button', { type: 'button', class: 'primary', text: t('overlay_get_help'), on: { click: () => globalThis.EG_CONTENT?.openHelp(region) } }),
      el('button', { type: 'button', text: t('overlay_not_threat'), title: t('overlay_not_threat_title'), on: { click: notAThreat } }),
      el('button', { type: 'button', text: t('overlay_dismiss'), on: { click: dismiss } }));

    card.append(header, body, footer);
    return card;
  }

  function saveEvidence(notes) {
    if (!current) return;
    try {
      const convo = globalThis.EG_CONTENT?.evidence(current.info) || { messages: [] };
      globalThis.EG_EVIDENCE.save(current.info, convo, current.shadow);
      for (const n of notes) { n.textContent = t('overlay_evidence_saved'); n.classList.add('saved'); }
    } catch (e) {
      for (const n of notes) n.textContent = t('overlay_evidence_failed', [String(e && e.message || e)]);
    }
  }

  function capital(s) { return s ? s[0].toUpperCase() + s.slice(1) : s; }

  function mutedCard(conv) {
    const card = el('div', { class: 'card', role: 'alertdialog', 'aria-modal': 'false', 'aria-label': t('overlay_muted_label'), tabindex: '-1', lang: LANG });
    const p = el('p', { class: 'muted-note', text: t('overlay_muted_note') });
    const footer = el('footer', null,
      el('button', { type: 'button', class: 'primary', text: t('overlay_undo'), on: { click: () => { globalThis.EG_CONTENT?.setMuted(conv, false); restore(); } } }),
      el('button', { type: 'button', text: t('overlay_close'), on: { click: () => removeAll() } }));
    card.addEventListener('keydown', (e) => { if (e.key === 'Escape') removeAll(); });
    card.append(p, footer);
    return card;
  }

  // ------------------------------------------------------------------------------- actions
  function dismiss() {
    if (!current) return;
    globalThis.EG_CONTENT?.dismiss(current.info.key);
    removeAll();
  }
  function notAThreat() {
    if (!current) return;
    globalThis.EG_CONTENT?.setMuted(current.info.conv, true);
    swapCard(mutedCard(current.info.conv));
    current.card.focus();
  }
  function restore() {
    if (!current) return;
    swapCard(build(current.info, current.region));
    current.card.focus();
  }
  function swapCard(card) {
    current.card.replaceWith(card);
    current.card = card;
    place();
  }

  // ------------------------------------------------------------------------------- placement
  let elements = null;   // message key → element map from the content script
  let timer = 0;
  const onMove = () => { if (current) requestAnimationFrame(place); };

  function composeRect(info) {
    for (const s of info.composeSelectors || []) {
      let e = null;
      try { e = document.querySelector(s); } catch { /* ignore */ }
      if (e) { const r = e.getBoundingClientRect(); if (r.height > 0) return r; }
    }
    return null;
  }

  // The visible box of the message log: its nearest scrolling ancestor (the log element itself is
  // often only as tall as its content).
  function scrollBox(log) {
    for (let e = log; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
      const oy = getComputedStyle(e).overflowY;
      if ((oy === 'auto' || oy === 'scroll' || oy === 'overlay') && e.clientHeight > 0) return e;
    }
    return log;
  }

  // The message's visible extent: the union of its text and inline boxes, not the row (rows are
  // often as wide as the log, which would make every message look like it spans the window).
  function messageRect(anchor) {
    try {
      const range = document.createRange();
      range.selectNodeContents(anchor);
      const r = range.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) return r;
    } catch { /* fall through */ }
    return anchor.getBoundingClientRect();
  }

  function place() {
    if (!current) return;
    const { info, card, host } = current;
    const anchor = elements?.get(info.key);
    if (!anchor || !anchor.isConnected || (current.hiddenFor === info.conv)) { host.style.setProperty('display', 'none', 'important'); return; }
    host.style.setProperty('display', 'block', 'important');
    const vw = document.documentElement.clientWidth || innerWidth;
    const vh = document.documentElement.clientHeight || innerHeight;
    const m = messageRect(anchor);
    const box = info.logElement && info.logElement.isConnected ? scrollBox(info.logElement) : null;
    const log = box ? box.getBoundingClientRect() : null;
    const reg = {
      left: Math.max(0, log ? log.left : 0), right: Math.min(vw, log ? log.right : vw),
      top: Math.max(0, log ? log.top : 0), bottom: Math.min(vh, log ? log.bottom : vh),
    };
    const c = composeRect(info);
    if (c && c.top > reg.top + 40) reg.bottom = Math.min(reg.bottom, c.top - 6);
    if (c && c.bottom <= reg.top + 40 && c.bottom > 0) reg.top = Math.max(reg.top, c.bottom + 6);
    if (reg.right - reg.left < 300) { reg.left = 0; reg.right = vw; }
    if (reg.bottom - reg.top < 260) reg.top = 0; // a cramped log: use the page above the compose box
    const pad = 8;
    const width = Math.max(200, Math.min(400, reg.right - reg.left - 2 * pad));
    const avail = Math.max(80, reg.bottom - reg.top - 2 * pad);
    card.style.width = `${width}px`;
    card.style.maxHeight = `${avail}px`;
    const h = Math.min(card.offsetHeight || avail, avail);
    const rtl = getComputedStyle(document.documentElement).direction === 'rtl';
    let left = rtl ? reg.left + pad : reg.right - width - pad;
    left = Math.max(reg.left + pad, Math.min(left, vw - width - pad));
    const clampTop = (t, hh = h) => Math.max(reg.top + pad, Math.min(t, reg.bottom - pad - hh));
    const overlapsX = m.right > left && m.left < left + width;
    const onScreen = m.bottom > reg.top && m.top < reg.bottom;
    let top;
    if (!overlapsX || !onScreen) top = clampTop(m.top);
    else if (m.bottom + pad + h <= reg.bottom - pad) top = Math.max(reg.top + pad, m.bottom + pad);
    else if (m.top - pad - h >= reg.top + pad) top = m.top - pad - h;
    else {
      // Not enough room beside the message for the whole card: use the larger side and let the
      // card scroll, so the message itself stays readable; cover it only when both sides are tiny.
      const above = m.top - 2 * pad - reg.top; const below = reg.bottom - m.bottom - 2 * pad;
      const room = Math.max(above, below);
      if (room >= 200) {
        card.style.maxHeight = `${room}px`;
        const hh = Math.min(card.offsetHeight || room, room);
        top = above >= below ? m.top - pad - hh : m.bottom + pad;
      } else top = clampTop(m.bottom + pad);
    }
    card.style.left = `${Math.round(left)}px`;
    card.style.top = `${Math.round(top)}px`;
  }

  function show(info, elementOfKey) {
    elements = elementOfKey;
    if (current && current.info.key === info.key && current.host.isConnected) { current.info = { ...current.info, ...info }; place(); return; }
    removeAll();
    const region = (() => { const r = globalThis.EG_CONTENT?.prefs?.().region; return r && DATA.links.regions[r] ? r : regionCode(); })();
    const host = document.createElement('div');
    const s = host.style;
    s.setProperty('all', 'initial', 'important');
    s.setProperty('position', 'fixed', 'important');
    s.setProperty('top', '0', 'important');
    s.setProperty('left', '0', 'important');
    s.setProperty('width', '0', 'important');
    s.setProperty('height', '0', 'important');
    s.setProperty('z-index', '2147483647', 'important');
    const shadow = host.attachShadow({ mode: 'closed' });
    shadow.adoptedStyleSheets = [styles()];
    const card = build(info, region);
    shadow.append(card);
    document.documentElement.append(host);
    current = { info, host, shadow, card, region };
    place();
    addEventListener('scroll', onMove, { capture: true, passive: true });
    addEventListener('resize', onMove, { passive: true });
    timer = setInterval(() => {
      if (!globalThis.EG_CONTENT?.alive()) { removeAll(); return; }
      place();
    }, 300);
    // Move focus to the warning unless the person is typing: then it stays reachable by Tab.
    const a = document.activeElement;
    const typing = a && (a.isContentEditable || /^(input|textarea|select)$/i.test(a.localName));
    if (!typing) { try { card.focus({ preventScroll: true }); } catch { /* ignore */ } }
  }

  // The content script calls this after each pass: hide the card while its chat is not shown,
  // bring it back when the row returns (virtualised lists re-create rows).
  function sync(conv, elementOfKey) {
    elements = elementOfKey;
    if (!current) return;
    current.hiddenFor = current.info.conv !== conv ? current.info.conv : null;
    place();
  }

  function hideAll() { if (current) current.host.style.setProperty('display', 'none', 'important'); }

  function removeAll() {
    if (!current) return;
    clearInterval(timer);
    removeEventListener('scroll', onMove, { capture: true });
    removeEventListener('resize', onMove);
    current.host.remove();
    current = null;
  }

  globalThis.EG_OVERLAY = { show, sync, hideAll, removeAll, regionCode };
})();
