// Extortion Guard content script: finds incoming chat messages, asks the background engine about
// them, and shows the warning overlay beside the one that reads like a blackmail script.
//
// Why it is shaped like this:
// - The engine (WebAssembly) cannot run here: Chromium applies the page's CSP to wasm compiled in a
//   content script. So this script only reads the page and sends text to the background.
// - The background may be stopped at any time (MV3 service worker), so it keeps no state: each
//   request carries the conversation's recent incoming messages.
// - Chat apps re-render constantly. The MutationObserver callback only queues nodes; the work runs
//   later in small time slices, and a huge batch becomes one rescan of the message log.
// - Site knowledge is data (content/data.js is built from extension/sites/*.json); this file holds
//   no site-specific code.
// - Page text is only ever read as text and written as text (see overlay.js).
(() => {
  'use strict';

  const DATA = globalThis.EG_DATA;
  const api = globalThis.chrome ?? globalThis.browser;
  if (!DATA || !api?.runtime?.id) return;
  if (window.top !== window) return; // never in frames
  try { if (globalThis.EG_CONTENT?.alive?.()) return; } catch { /* an orphan of a reloaded extension */ } // injected twice

  const SLICE_MS = 8;               // work per slice
  const MAX_QUEUE = 400;            // more queued nodes than this → one rescan instead
  const MAX_EVAL_PER_BATCH = 200;   // newest messages evaluated when a big history appears at once
  const URL_POLL_MS = 1000;
  // Requests to the background: one in flight per conversation, newest messages first, at most
  // EVAL_CHUNK evaluations and REQUEST_CHARS characters each (a slow batch is split, not resent).
  const EVAL_CHUNK = 24;
  const REQUEST_CHARS = 24000;
  const MAX_REQUEST_TOTAL = 500000; // characters, under the background's limit (a 100-message window of long ones)
  const MAX_SPAN = 350;             // messages one request covers (the background takes 400)
  const HEAVY_TEXT = 2000;          // longer messages wait until the short ones are decided
  const STATUS_AFTER_MS = 4000;     // a request unanswered this long: ask whether it is still running
  const STATUS_TIMEOUT_MS = 4000;
  const LOST_AFTER = 3;             // this many unanswered or "not running" status answers: resend
  // Memory: what is kept per tab (see prune()).
  const MAX_TEXT = 8000;            // characters of a message kept and sent (the engine's cap too)
  const KEEP_SCANNED = 64;          // decided records kept per conversation (context for the next)
  const SEEN_CAP = 3000;            // keys (no text) remembered per conversation, to skip re-read rows
  const MAX_CONVS = 12;             // conversations kept per tab
  const MAX_UNIT_NODES = 20000;     // nodes read in one message (a node bomb is cut, not walked)
  const MAX_TEXT_ROOTS = 64;

  // ---------------------------------------------------------------------------------- adapters
  const reCache = new Map();
  function rx(src) {
    if (!reCache.has(src)) { try { reCache.set(src, new RegExp(src)); } catch { reCache.set(src, /(?!)/); } }
    return reCache.get(src);
  }

  const host = location.hostname;
  const generic = DATA.sites.find((s) => s.id === 'generic');
  let siteAdapters = DATA.sites.filter((s) => s.id !== 'generic' && s.hosts.includes(host));
  // A site the user protected from the popup (content/generic.js runs first there): the generic adapter.
  const genericHere = !siteAdapters.length && globalThis.EG_GENERIC === true;
  if (genericHere) siteAdapters = [generic];
  if (!siteAdapters.length) return; // not a page we target: do nothing at all
  // The keys this page is paused under (settings `off`): its adapters' ids, or its host name.
  const pauseKeys = genericHere ? [host] : siteAdapters.map((a) => a.id);

  function pathActive(ad) {
    if (!ad.paths || !ad.paths.length) return true;
    const p = location.pathname;
    return ad.paths.some((src) => rx(src).test(p));
  }
  function activeAdapters() { return siteAdapters.filter((a) => !off.has(a.id) && !off.has(host) && pathActive(a)); }

  function q(root, sels) {
    for (const s of sels || []) {
      try { const el = root.querySelector(s); if (el) return el; } catch { /* bad selector in data */ }
    }
    return null;
  }
  function matchesAny(el, sel) { try { return el.matches(sel); } catch { return false; } }
  function qa(root, sel) { try { return root.querySelectorAll(sel); } catch { return []; } }

  // The scrollable element that holds many children: the last resort of the generic adapter.
  function scrollableLog() {
    const main = document.querySelector('main, [role="main"]') || document.body;
    let best = null; let bestN = 3;
    for (const el of main.querySelectorAll('div, ol, ul, section')) {
      if (el.childElementCount < bestN) continue;
      const st = getComputedStyle(el);
      if (!/(auto|scroll)/.test(st.overflowY)) continue;
      best = el; bestN = el.childElementCount;
    }
    return best;
  }

  // Which adapter and log are live now. The site's own adapter first; the generic one when the
  // site's selectors find nothing (the site changed its page).
  function findLog() {
    let waiting = null; // the site's log, still without messages
    for (const ad of activeAdapters()) {
      const log = q(document, ad.log);
      if (log && unitSelector(ad, log)) return { ad, log };
      if (log && !waiting) waiting = { ad, log };
    }
    if (!activeAdapters().length) return null;
    let log = q(document, generic.log);
    if (log && (!waiting || unitSelector(generic, log) !== ':scope > *')) return { ad: generic, log, fallback: true };
    if (waiting) return waiting;
    if (generic.logFallback === 'scrollable') log = scrollableLog();
    if (log) return { ad: generic, log, fallback: true };
    return null;
  }

  function unitSelector(ad, log) {
    for (const s of ad.message) if (qa(log, s).length) return s;
    if (ad === generic) return ':scope > *';
    return null;
  }

  function units(ad, log, sel) {
    const all = [...qa(log, sel)];
    if (sel === ':scope > *') return all;
    // Keep the outermost units only (a unit inside another unit is part of it).
    return all.filter((el) => { const up = el.parentElement && el.parentElement.closest(sel); return !up || !log.contains(up); });
  }

  function attrFrom(el, spec) {
    const node = spec.selector ? (matchesAny(el, spec.selector) ? el : el.querySelector(spec.selector)) : el;
    if (!node) return null;
    let v = spec.text ? node.textContent : node.getAttribute(spec.attr);
    if (v == null) {
      if (!spec.selector && spec.attr) {
        const inner = el.querySelector(`[${CSS.escape(spec.attr)}]`);
        v = inner ? inner.getAttribute(spec.attr) : null;
      }
      if (v == null) return null;
    }
    if (spec.pattern) { const m = rx(spec.pattern).exec(v); return m ? (m[1] ?? m[0]) : null; }
    return v.trim() || null;
  }

  // ---------------------------------------------------------------------------------- text
  function textOf(ad, unit) {
    let roots = [];
    for (const s of ad.text || []) {
      const all = qa(unit, s);
      const found = [];
      for (let k = 0; k < all.length && found.length < MAX_TEXT_ROOTS; k++) if (!isExcluded(ad, all[k], unit)) found.push(all[k]);
      if (found.length) { roots = found.filter((el) => !found.some((o) => o !== el && o.contains(el))); break; }
    }
    if (!roots.length) roots = [unit];
    // Leaf dir=auto elements in the generic adapter: keep only those without dir=auto inside.
    const parts = [];
    const budget = { nodes: MAX_UNIT_NODES };
    for (const r of roots) parts.push(collectText(ad, r, unit, budget));
    const raw = parts.join('\n');
    unit.__egHuge = raw.length > MAX_TEXT || budget.nodes < 0; // measured as a box, not a range
    return capText(raw);
  }
  // Long runs of invisible characters (zero-width spaces, joiners, BOM, bidi controls) read as
  // nothing, so they cannot push a threat past the length cap; then the text is cut at MAX_TEXT.
  const INVISIBLE_RUN = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]{8,}/g;
  function capText(t) {
    if (t.length > 4 * MAX_TEXT) t = t.slice(0, 4 * MAX_TEXT);
    t = t.replace(INVISIBLE_RUN, '').replace(/[ \t\u00a0]+/g, ' ').replace(/\n\s*\n+/g, '\n').trim();
    if (t.length > MAX_TEXT) {
      let end = MAX_TEXT;
      const c = t.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end -= 1; // never cut a surrogate pair in half
      t = t.slice(0, end);
    }
    return t;
  }
  function isExcluded(ad, el, unit) {
    for (const s of ad.exclude || []) {
      try { const c = el.closest(s); if (c && unit.contains(c)) return true; } catch { /* ignore */ }
    }
    return false;
  }
  function collectText(ad, root, unit, budget = { nodes: MAX_UNIT_NODES }) {
    let out = '';
    const walk = (node) => {
      for (let n = node.firstChild; n; n = n.nextSibling) {
        if (--budget.nodes < 0 || out.length > 4 * MAX_TEXT) return;
        if (n.nodeType === 3) {
          const v = n.nodeValue;
          out += v.length > 64 ? v.replace(INVISIBLE_RUN, '').replace(/[ \t\u00a0]{2,}|\n\s*\n+/g, (w) => (w.includes('\n') ? '\n' : ' ')) : v;
          continue;
        }
        if (n.nodeType !== 1) continue;
        const tag = n.localName;
        if (tag === 'script' || tag === 'style' || tag === 'template') continue;
        if ((ad.exclude || []).some((s) => matchesAny(n, s))) continue;
        if (tag === 'img') { out += n.getAttribute('alt') || ''; continue; }
        if (tag === 'br') { out += '\n'; continue; }
        const block = tag === 'div' || tag === 'p' || tag === 'li';
        if (block && out && !out.endsWith('\n')) out += '\n';
        walk(n);
        if (block && out && !out.endsWith('\n')) out += '\n';
      }
    };
    void unit;
    walk(root);
    return out;
  }

  // ---------------------------------------------------------------------------------- direction
  // Returns 'in', 'out', or null (undecided: scanned as incoming, a missed threat costs more).
  function directionOf(ad, unit, log, prevDir) {
    for (const st of ad.direction || []) {
      let d = null;
      if (st.outgoing && !st.attr && !st.label) {
        if (matchesAny(unit, st.outgoing) || (!st.self && qa(unit, st.outgoing).length)) d = 'out';
      } else if (st.incoming && !st.attr && !st.label) {
        if (matchesAny(unit, st.incoming) || (!st.self && qa(unit, st.incoming).length)) d = 'in';
      }
      if (d) return d;
      if (st.attr) {
        const v = attrFrom(unit, { attr: st.attr });
        if (v != null) {
          if (st.outgoing && rx(st.outgoing).test(v)) return 'out';
          if (st.incoming && rx(st.incoming).test(v)) return 'in';
        }
      }
      // A sender's name is chosen by the sender: a label or text marker that reads like the user
      // ("You", "Me") never makes a message outgoing. It can only say "someone else" (another
      // name in the label); "outgoing" comes from structure alone: the site's own markup
      // (classes, attributes, ids), the style the site gives the user's messages, or geometry.
      if (st.label) {
        const v = attrFrom(unit, { selector: st.label.selector, attr: 'aria-label' });
        if (v) {
          const m = rx(st.label.pattern).exec(v);
          if (m && !st.label.self.includes(m[1].trim())) return 'in';
        }
      }
      if (st.style) {
        // The site styles the user's own sender header apart (e.g. its colour): structural, since
        // a sender can pick a name but not the page's CSS. With a textMarker in the same step, both
        // must agree.
        const scope = st.style.scope ? (unit.closest(st.style.scope) || unit) : unit;
        const el = st.style.selector ? q(scope, [st.style.selector]) : scope;
        if (el) {
          const v = getComputedStyle(el).getPropertyValue(st.style.property).trim();
          const styled = rx(st.style.outgoing).test(v);
          let marked = true;
          if (styled && st.textMarker) marked = textMarked(unit, st.textMarker);
          if (styled && marked) return 'out';
        }
      }
      if (st.author) {
        const me = (st.me || []).map((s) => attrFrom(document, s)).find(Boolean);
        let who = attrFrom(unit, st.author) || (st.authorLink && attrFrom(unit, st.authorLink));
        if (!who && st.inherit === 'previous') who = prevDir?.author ?? null;
        unit.__egAuthor = who;
        if (me && who) return who === me ? 'out' : 'in';
      }
      if (st.geometry) {
        const g = geometry(ad, unit, log);
        if (g) return g;
      }
    }
    return null;
  }
  function textMarked(unit, tm) {
    // "scope": the marker sits on an ancestor shared by a run of messages (a sender's group).
    const scope = tm.scope ? (unit.closest(tm.scope) || unit) : unit;
    const els = qa(scope, tm.selector);
    for (let k = 0; k < els.length && k < 8; k++) if (rx(tm.outgoing).test(els[k].textContent.trim())) return true;
    return false;
  }
  function geometry(ad, unit, log) {
    const target = q(unit, ad.text || []) || unit;
    // The text's own extent (a range), but never over a huge subtree: the browser measures every
    // box of a range, so a message of 100,000 elements is measured by its first children or as a box.
    let r = { width: 0 };
    if (!unit.__egHuge && target.getElementsByTagName('*').length <= 2000) {
      const range = document.createRange();
      range.selectNodeContents(target);
      if (target.childNodes.length > 64) range.setEnd(target, 64);
      r = range.getBoundingClientRect();
    }
    if (!r.width) r = target.getBoundingClientRect();
    const L = log.getBoundingClientRect();
    if (!r.width || !L.width) return null;
    const leftGap = r.left - L.left; const rightGap = L.right - r.right;
    if (Math.abs(leftGap - rightGap) < L.width * 0.08) return null; // centred: a system line
    const rtl = getComputedStyle(log).direction === 'rtl';
    const rightSide = rightGap < leftGap;
    return (rightSide !== rtl) ? 'out' : 'in';
  }

  // ---------------------------------------------------------------------------------- conversations
  function conversationId(ad, log, sampleUnit) {
    for (const c of ad.conversation || []) {
      let v = null;
      if (c.url) { const m = rx(c.url).exec(location.pathname); v = m ? m[1] : null; }
      else if (c.hash) { const m = rx(c.hash).exec(location.hash); v = m ? m[1] : null; }
      else if (c.urlPath) v = location.pathname + location.hash;
      else if (c.log) v = log.getAttribute(c.attr);
      else if (c.selector) v = attrFrom(document, c);
      else if (c.attr && sampleUnit) v = attrFrom(sampleUnit, c);
      if (v) return `${ad.id}:${v}`;
    }
    return `${ad.id}:${location.pathname}`;
  }

  function hash(s) { // FNV-1a, for dedupe keys of messages without a site id
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return (h >>> 0).toString(36);
  }

  // ---------------------------------------------------------------------------------- state
  const convs = new Map();        // conversation id → { msgs: [record], byKey, seen, shown, inflight } (LRU, MAX_CONVS)
  const elementOfKey = new Map(); // message key → its live element (rows come back re-created)
  const queue = new Set();
  let rescan = true;              // the first pass reads the history present at open
  let scheduled = false;
  let stopped = false;
  let current = null;             // { ad, log, sel, conv }
  let lastUrl = location.href;
  let muted = new Set();
  let dismissed = new Set();
  let off = new Set();            // paused sites (settings `off`)
  const prefs = { region: null, under18: false, sensitivity: null };
  const counts = { checked: 0, warnings: 0 }; // this tab, for the popup
  const warnedKeys = new Set();

  let win = 12;                   // the engine's window (messages), as the background reports it
  let jobSeq = 0;
  let elementsKept = 0;            // elementOfKey's size after the last prune

  function conv(id) {
    let c = convs.get(id);
    if (c) { convs.delete(id); convs.set(id, c); return c; } // most recently used last
    // seen: key → hash of the text, for records already decided and let go (rows re-inserted by a
    // virtualised list are not read again; an edited one is).
    c = { msgs: [], byKey: new Map(), seen: new Map(), pending: false, inflight: null, shown: null };
    convs.set(id, c);
    for (const [k, old] of convs) {
      if (convs.size <= MAX_CONVS) break;
      if (k !== id && !old.inflight) convs.delete(k);
    }
    return c;
  }

  // Bounds what a conversation keeps: every record still to be decided, plus the newest
  // KEEP_SCANNED decided ones (the context the engine's window needs); older ones leave only their
  // key and a hash of their text in `seen`. Elements of rows the page removed are let go.
  function prune(c) {
    const keep = Math.max(KEEP_SCANNED, 2 * win);
    let drop = 0;
    while (c.msgs.length - drop > keep && c.msgs[drop].scanned && !c.msgs[drop].partial && !c.msgs[drop].busy) drop++;
    if (drop) {
      for (const r of c.msgs.slice(0, drop)) {
        c.byKey.delete(r.key);
        remember(c, r.key, r.text);
      }
      c.msgs = c.msgs.slice(drop);
    }
  }
  function remember(c, key, text) {
    c.seen.delete(key);
    c.seen.set(key, hash(text));
    if (c.seen.size > SEEN_CAP) for (const k of c.seen.keys()) { c.seen.delete(k); if (c.seen.size <= SEEN_CAP) break; }
  }
  // Elements are kept for rows the page still shows and this tab still keeps a record of (or warns
  // about): removed rows and rows let go by prune() are forgotten.
  function pruneElements() {
    const keys = new Set();
    for (const c of convs.values()) { for (const k of c.byKey.keys()) keys.add(k); if (c.shown) keys.add(c.shown); }
    for (const [k, el] of elementOfKey) if (!el.isConnected || !keys.has(k)) elementOfKey.delete(k);
  }

  // ---------------------------------------------------------------------------------- observer
  const observer = new MutationObserver((records) => {
    if (stopped) return;
    for (const r of records) {
      if (r.type === 'childList') {
        for (const n of r.addedNodes) queue.add(n.nodeType === 1 ? n : n.parentElement);
        if (r.removedNodes.length) overlaysNeedCheck = true;
      } else if (r.type === 'characterData') queue.add(r.target.parentElement);
      if (queue.size > MAX_QUEUE) { queue.clear(); rescan = true; }
    }
    schedule();
  });
  let overlaysNeedCheck = false;

  function schedule(delay = 0) {
    if (scheduled || stopped) return;
    scheduled = true;
    const run = () => { scheduled = false; safe(work); };
    if (delay) setTimeout(run, delay);
    else if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 150 });
    else setTimeout(run, 16);
  }

  function safe(fn) {
    try { fn(); } catch (e) {
      if (!alive()) stop();
      // Never throw into the page; keep going on the next mutation.
    }
  }

  function alive() {
    try { return !!api.runtime?.id; } catch { return false; }
  }

  function stop() {
    if (stopped) return;
    stopped = true;
    observer.disconnect();
    clearInterval(urlTimer);
    globalThis.EG_OVERLAY?.removeAll();
  }

  // ---------------------------------------------------------------------------------- work loop
  let backlog = [];               // units still to read in this pass

  function work() {
    if (!alive()) { stop(); return; }
    const started = performance.now();
    if (location.href !== lastUrl) { lastUrl = location.href; rescan = true; }
    if (!activeAdapters().length) { queue.clear(); current = null; globalThis.EG_OVERLAY?.removeAll(); return; }

    const found = findLog();
    if (!found) { queue.clear(); globalThis.EG_OVERLAY?.hideAll(); return; }
    const sel = unitSelector(found.ad, found.log) || found.ad.message[0];
    if (!current || current.log !== found.log || current.ad !== found.ad) rescan = true;
    const sample = found.log.querySelector(sel === ':scope > *' ? '*' : sel);
    const convId = conversationId(found.ad, found.log, sample);
    if (current && current.conv !== convId) rescan = true;
    current = { ...found, sel, conv: convId };

    if (rescan) {
      rescan = false; queue.clear();
      backlog = units(found.ad, found.log, sel);
    } else if (queue.size) {
      const set = new Set(backlog);
      for (const n of queue) {
        if (!n || !n.isConnected || !found.log.contains(n)) continue;
        const u = sel === ':scope > *' ? topChild(found.log, n) : n.closest(sel);
        if (u && found.log.contains(u)) set.add(u);
        else if (n.querySelectorAll) for (const x of qa(n, sel)) set.add(x);
      }
      queue.clear();
      backlog = [...set];
    }

    const c = conv(convId);
    while (backlog.length) {
      const u = backlog.shift();
      if (u.isConnected) readUnit(found.ad, found.log, u, c);
      if (performance.now() - started > SLICE_MS && backlog.length) { schedule(1); break; }
    }
    if (!backlog.length) { orderConversation(found, c); send(convId, c); }
    if (overlaysNeedCheck || elementOfKey.size > Math.max(4 * KEEP_SCANNED, 2 * elementsKept)) { pruneElements(); elementsKept = elementOfKey.size; }
    globalThis.EG_OVERLAY?.sync(convId, elementOfKey);
    overlaysNeedCheck = false;
  }

  function topChild(log, n) {
    let x = n;
    while (x && x.parentElement !== log) x = x.parentElement;
    return x;
  }

  // Reads one message unit into its conversation's records (incoming only).
  function readUnit(ad, log, unit, c) {
    const text = textOf(ad, unit);
    if (!text) return; // the text arrives in a later mutation
    const prev = previousUnit(unit);
    const dir = directionOf(ad, unit, log, prev ? { author: prev.__egAuthor } : null);
    const siteId = (ad.messageId || []).map((s) => attrFrom(unit, s)).find(Boolean) || null;
    const sender = ad.sender ? attrFrom(unit, ad.sender) : null;
    const time = ad.time ? timeOf(ad.time, unit) : undefined;
    // Keys are unique across sites and chats (message ids are often only unique within a chat).
    const key = siteId ? `${current.conv}|id:${siteId}` : `${current.conv}|h:${hash(`${sender ?? ''}\u0000${text}\u0000${time ?? ''}`)}`;
    unit.__egKey = key;
    if (dir === 'out') return;
    elementOfKey.set(key, unit);
    const old = c.byKey.get(key);
    if (old) {
      if (old.text === text) return; // a virtualised row re-inserted: already read
      old.text = text; old.scanned = false; c.pending = true; return; // edited
    }
    if (c.seen.has(key) && c.seen.get(key) === hash(text)) return; // read long ago, let go since
    const rec = { key, text, time, lowConfidence: dir === null, scanned: false };
    c.byKey.set(key, rec);
    c.fresh = c.fresh || [];
    c.fresh.push(rec);
    c.pending = true;
  }

  function previousUnit(unit) {
    let p = unit.previousElementSibling;
    while (p && p.__egKey === undefined && !p.__egAuthor) p = p.previousElementSibling;
    return p;
  }

  function timeOf(spec, unit) {
    const v = attrFrom(unit, spec);
    if (!v) return undefined;
    let t;
    if (spec.format === 'unix-s') t = Number(v) * 1000;
    else if (spec.format === 'unix-ms') t = Number(v);
    else t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }

  // Puts new records in page order among the known ones (virtualised lists insert old rows at the
  // top when scrolling up, so "read later" does not mean "newer").
  function orderConversation(found, c) {
    if (!c.fresh || !c.fresh.length) return;
    const liveKeys = [];
    for (const u of units(found.ad, found.log, found.sel)) {
      const k = u.__egKey;
      if (k && c.byKey.has(k)) liveKeys.push(k);
    }
    if (!c.msgs.length) { // first read of this chat: page order is the order
      const seen = new Set(liveKeys);
      c.msgs = [...liveKeys.map((k) => c.byKey.get(k)), ...c.fresh.filter((r) => !seen.has(r.key))];
      c.fresh = [];
      return;
    }
    const freshSet = new Set(c.fresh.map((r) => r.key));
    const order = c.msgs.map((r) => r.key);
    const pos = () => new Map(order.map((k, i) => [k, i]));
    let at = pos();
    let lastKnown = -1;
    for (let i = 0; i < liveKeys.length; i++) {
      const k = liveKeys[i];
      if (at.has(k)) { lastKnown = at.get(k); continue; }
      let insertAt;
      if (lastKnown >= 0) insertAt = lastKnown + 1;
      else {
        const next = liveKeys.slice(i + 1).find((x) => at.has(x) && !freshSet.has(x));
        insertAt = next !== undefined ? at.get(next) : order.length;
      }
      order.splice(insertAt, 0, k);
      at = pos();
      lastKnown = insertAt;
    }
    for (const r of c.fresh) if (!at.has(r.key)) { order.push(r.key); at = pos(); }
    c.msgs = order.map((k) => c.byKey.get(k));
    c.fresh = [];
  }

  // ---------------------------------------------------------------------------------- background
  // Picks the next request of a conversation: the newest undecided messages first, short ones
  // before long ones, each with the short messages of the window before it, within EVAL_CHUNK and
  // REQUEST_CHARS. A message whose window did not fit (or held long messages) is decided on what
  // fitted first — a verdict only rises with more context, so a warning is never held back — and
  // decided again with its whole window once nothing newer waits.
  function nextRequest(c) {
    const todo = [];
    c.msgs.forEach((r, i) => { if (!r.scanned) todo.push(i); });
    // A huge history at once: only the newest MAX_EVAL_PER_BATCH are evaluated, the rest is context.
    if (todo.length > MAX_EVAL_PER_BATCH) for (const i of todo.splice(0, todo.length - MAX_EVAL_PER_BATCH)) c.msgs[i].scanned = true;
    const heavy = (i) => c.msgs[i].text.length > HEAVY_TEXT;
    todo.reverse();
    let order = [...todo.filter((i) => !heavy(i)), ...todo.filter(heavy)];
    let full = false;
    if (!order.length) { // then those decided on part of their window, newest first
      for (let i = c.msgs.length - 1; i >= 0; i--) if (c.msgs[i].partial) order.push(i);
      full = true;
    }
    if (!order.length) return null;
    // Half the budget for the messages decided, the rest for their windows (short messages only on
    // a first pass; the whole window when deciding again).
    const included = new Set(); let chars = 0; const evalIdx = []; let loE = Infinity; let hiE = -Infinity;
    for (const i of order) {
      if (evalIdx.length >= EVAL_CHUNK) break;
      const t = c.msgs[i].text.length;
      if (evalIdx.length && (chars + t > (full ? REQUEST_CHARS : REQUEST_CHARS / 2) || Math.max(hiE, i) - Math.min(loE, i) + win > MAX_SPAN)) continue;
      if (full && evalIdx.length) { // whole windows only: skip one that does not fit now
        let need = t;
        for (let j = i - 1; j >= 0 && j > i - win; j--) if (!included.has(j)) need += c.msgs[j].text.length;
        if (chars + need > REQUEST_CHARS) continue;
      }
      evalIdx.push(i); included.add(i); chars += t; loE = Math.min(loE, i); hiE = Math.max(hiE, i);
      if (full) for (let j = i - 1; j >= 0 && j > i - win && chars < MAX_REQUEST_TOTAL; j--) if (!included.has(j)) { included.add(j); chars += c.msgs[j].text.length; }
    }
    const partial = new Set();
    if (!full) {
      for (const i of evalIdx) {
        for (let j = i - 1; j >= 0 && j > i - win; j--) {
          if (included.has(j)) continue;
          const t = c.msgs[j].text.length;
          if (heavy(j) || chars + t > REQUEST_CHARS) { partial.add(i); continue; }
          included.add(j); chars += t;
        }
      }
    }
    const lo = Math.min(...included); const hi = Math.max(...evalIdx);
    const slice = c.msgs.slice(lo, hi + 1);
    return {
      slice, partial: evalIdx.filter((i) => partial.has(i)).map((i) => c.msgs[i]), records: evalIdx.map((i) => c.msgs[i]),
      messages: slice.map((r, k) => {
        const text = included.has(lo + k) ? r.text : '';
        return r.time !== undefined ? { text, time: r.time } : { text };
      }),
      evaluate: evalIdx.map((i) => i - lo).sort((a, b) => a - b),
    };
  }

  // One request in flight per conversation. A slow one is waited for, not resent: while it is
  // unanswered the background is asked whether it still works on it, and only a request it lost
  // (the worker was stopped) is sent again.
  function send(convId, c) {
    if (!c.pending || c.inflight || stopped) return;
    const req = nextRequest(c);
    if (!req) { c.pending = false; return; }
    for (const r of req.records) { r.scanned = true; r.partial = false; r.busy = true; }
    for (const r of req.slice) r.busy = true;
    const job = `${++jobSeq}`;
    const conv = convId.length > 200 ? `${convId.slice(0, 180)}#${hash(convId)}` : convId;
    const payload = { type: 'assess', messages: req.messages, evaluate: req.evaluate, conv, job };
    if (['low', 'medium', 'high'].includes(prefs.sensitivity)) payload.warnFrom = prefs.sensitivity;
    const inflight = { job, settled: false, misses: 0, timer: 0 };
    c.inflight = inflight;
    const settle = (res) => {
      if (inflight.settled) return;
      inflight.settled = true;
      clearTimeout(inflight.timer);
      if (c.inflight === inflight) c.inflight = null;
      for (const r of req.slice) r.busy = false;
      if (stopped) return;
      if (!res || !res.ok) {
        for (const r of req.records) r.scanned = false; // try again later
        c.pending = true; schedule(1000); return;
      }
      if (Number.isInteger(res.win) && res.win > 0) win = Math.min(res.win, 100);
      for (const r of req.partial) r.partial = true;
      onVerdicts(convId, c, req.slice, res.results);
      prune(c);
      c.pending = true; // more may be waiting (the next chunk, the rest of a partial window)
      schedule();
    };
    const check = () => {
      if (inflight.settled) return;
      let answered = false;
      const t = setTimeout(() => { if (!answered) miss(); }, STATUS_TIMEOUT_MS);
      const miss = () => { inflight.misses += 1; if (inflight.misses >= LOST_AFTER) settle(null); else inflight.timer = setTimeout(check, 1); };
      try {
        Promise.resolve(api.runtime.sendMessage({ type: 'assess-status', conv, job })).then((s) => {
          answered = true; clearTimeout(t);
          if (inflight.settled) return;
          if (s && s.ok && s.running) { inflight.misses = 0; inflight.timer = setTimeout(check, STATUS_AFTER_MS); } else miss();
        }, () => { answered = true; clearTimeout(t); if (!alive()) { stop(); return; } miss(); });
      } catch { stop(); }
    };
    let p;
    try { p = api.runtime.sendMessage(payload); } catch { stop(); return; }
    inflight.timer = setTimeout(check, STATUS_AFTER_MS);
    Promise.resolve(p).then(settle, () => {
      if (!alive()) { settle(null); stop(); return; }
      settle(null);
    });
  }

  function position(c, key) { return key ? c.msgs.findIndex((r) => r.key === key) : -1; }

  function onVerdicts(convId, c, slice, results) {
    counts.checked += (results || []).length;
    let best = null;
    for (const r of results || []) {
      if (!r.warn) continue;
      const rec = slice[r.anchor];
      if (!rec) continue;
      if (!best || r.anchor >= best.anchor) best = { ...r, key: rec.key, text: rec.text, lowConfidence: rec.lowConfidence };
    }
    if (!best) return;
    // Requests go newest first: a warning about an older message never replaces a newer one.
    if (c.shown && c.shown !== best.key) {
      const at = position(c, best.key); const shownAt = position(c, c.shown);
      if (shownAt >= 0 && at < shownAt) return;
    }
    c.shown = best.key;
    if (muted.has(convId) || dismissed.has(best.key)) return;
    if (!warnedKeys.has(best.key)) {
      warnedKeys.add(best.key); counts.warnings += 1;
      if (warnedKeys.size > 1000) warnedKeys.delete(warnedKeys.values().next().value);
    }
    globalThis.EG_OVERLAY?.show({
      conv: convId,
      key: best.key,
      level: best.level,
      labels: best.labels,
      categories: best.categories,
      phrases: best.phrases,
      rules: best.rules,
      composeSelectors: current?.ad?.compose || generic.compose,
      logElement: current?.log,
    }, elementOfKey);
  }

  // ---------------------------------------------------------------------------------- settings
  // The same keys and defaults as common/settings.js (a content script cannot import it).
  function applySettings(s) {
    if ('muted' in s) muted = new Set(s.muted || []);
    if ('dismissed' in s) dismissed = new Set(s.dismissed || []);
    if ('off' in s) off = new Set(s.off || []);
    if ('region' in s) prefs.region = s.region || null;
    if ('under18' in s) prefs.under18 = s.under18 === true;
    if ('sensitivity' in s) prefs.sensitivity = s.sensitivity || null;
  }
  function loadSettings() {
    try {
      api.storage.local.get(['muted', 'dismissed', 'off', 'region', 'under18', 'sensitivity']).then((s) => {
        applySettings(s);
        ensureObserving();
      }, () => {});
      api.storage.onChanged.addListener((changes, area) => {
        if (area !== 'local' || stopped) return;
        const s = {};
        for (const [k, v] of Object.entries(changes)) s[k] = v.newValue;
        applySettings(s);
        if ('off' in s) ensureObserving();
      });
    } catch { /* storage unavailable: defaults */ }
  }

  // The popup asks each tab what the extension does there.
  function status() {
    return {
      supported: !genericHere, generic: genericHere, site: genericHere ? host : siteAdapters[0].name, host, pauseKeys,
      paused: off.has(host) || pauseKeys.every((k) => off.has(k)),
      active: observing, chat: !!current, checked: counts.checked, warnings: counts.warnings,
    };
  }
  try {
    api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
      if (stopped || !msg || msg.type !== 'eg-status' || sender.id !== api.runtime.id) return false;
      sendResponse(status());
      return false;
    });
  } catch { /* ignore */ }

  // ---------------------------------------------------------------------------------- evidence
  // The conversation as the page shows it around the warning (both directions), read the same way
  // as for scanning: sender, time, text, direction. content/evidence.js turns it into the files.
  const EVIDENCE_BEFORE = 60;
  const EVIDENCE_AFTER = 20;
  function shownTime(unit) {
    const t = unit.querySelector('time');
    if (t) return (t.getAttribute('datetime') || '').trim() || t.textContent.trim() || null;
    const pre = unit.querySelector('[data-pre-plain-text]');
    const m = pre && /^\[([^\]]+)\]/.exec(pre.getAttribute('data-pre-plain-text') || '');
    return m ? m[1].trim() : null;
  }
  function evidence(info) {
    const found = current && current.conv === info.conv && current.log.isConnected ? current : null;
    const messages = [];
    if (found) {
      const all = units(found.ad, found.log, found.sel);
      const anchorEl = elementOfKey.get(info.key);
      let at = all.indexOf(anchorEl);
      if (at < 0) at = all.length - 1;
      let prev = null;
      for (const u of all.slice(Math.max(0, at - EVIDENCE_BEFORE), at + EVIDENCE_AFTER + 1)) {
        const text = textOf(found.ad, u);
        const dir = directionOf(found.ad, u, found.log, prev ? { author: prev.__egAuthor } : null);
        prev = u;
        if (!text) continue;
        const time = found.ad.time ? timeOf(found.ad.time, u) : undefined;
        const sender = (found.ad.sender && attrFrom(u, found.ad.sender)) || (dir === 'out' ? 'You' : u.__egAuthor || null);
        messages.push({
          direction: dir === 'out' ? 'outgoing' : dir === 'in' ? 'incoming' : 'unknown',
          sender, time: time !== undefined ? new Date(time).toISOString() : null, timeShown: shownTime(u), text,
          warned: u === anchorEl,
        });
      }
    }
    return { site: found ? found.ad.name : siteAdapters[0].name, conversation: info.conv, messages };
  }

  globalThis.EG_CONTENT = {
    // Called by the overlay's buttons.
    dismiss(key) {
      dismissed.add(key);
      const list = [...dismissed].slice(-300);
      try { api.storage.local.set({ dismissed: list }); } catch { /* ignore */ }
    },
    setMuted(convId, on) {
      if (on) muted.add(convId); else muted.delete(convId);
      try { api.storage.local.set({ muted: [...muted] }); } catch { /* ignore */ }
    },
    prefs: () => ({ ...prefs }),
    evidence,
    openHelp(region) {
      try { api.runtime.sendMessage({ type: 'open-help', region }).catch?.(() => {}); } catch { stop(); }
    },
    alive,
    // What this tab keeps, for the tests (read from the content script's own world).
    sizes() {
      let records = 0; let byKey = 0; let seen = 0; let chars = 0;
      for (const c of convs.values()) { records += c.msgs.length; byKey += c.byKey.size; seen += c.seen.size; for (const r of c.msgs) chars += r.text.length; }
      return { convs: convs.size, records, byKey, seen, chars, elements: elementOfKey.size, warned: warnedKeys.size, dismissed: dismissed.size };
    },
  };

  // ---------------------------------------------------------------------------------- start
  loadSettings();
  let urlTimer = 0;
  let observing = false;
  function ensureObserving() {
    const want = activeAdapters().length > 0;
    if (want && !observing) {
      observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
      observing = true; rescan = true; schedule();
    } else if (!want && observing) {
      observer.disconnect(); observing = false; current = null;
      queue.clear(); backlog = [];
      globalThis.EG_OVERLAY?.removeAll();
    }
  }
  // Single-page apps change the URL without a page load (feed → messages, chat → chat). A cheap
  // poll notices it; the observer only runs on paths an adapter targets.
  urlTimer = setInterval(() => {
    if (!alive()) { stop(); return; }
    ensureObserving();
    if (location.href !== lastUrl) schedule();
  }, URL_POLL_MS);
  ensureObserving();
})();
