// "Save evidence": turns the conversation around a warning into two files the person keeps —
// an HTML page anyone can read and print, and the same record as JSON for a hotline's tools.
//
// - Everything the page or the sender wrote goes through esc() into the HTML (or JSON.stringify):
//   the file is data, never markup. It also carries a CSP that allows no script at all.
// - No images: only names, times, texts, the page's address and the rules that fired.
// - Downloads are a Blob URL and <a download>, from the user's click: no "downloads" permission.
(() => {
  'use strict';
  const i18n = globalThis.chrome?.i18n ?? globalThis.browser?.i18n;
  function t(key, subs, fallback) {
    let s = '';
    try { s = i18n.getMessage(key, subs); } catch { /* no extension API (unit tests) */ }
    return s || fallback || key;
  }

  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

  // The machine-readable record. `info` is the warning (overlay info), `convo` what the content
  // script read from the page (content/main.js evidence()), `page` {url, title}.
  function record(info, convo, page, now = new Date()) {
    return {
      format: 'extortion-guard-evidence',
      version: 1,
      exportedAt: now.toISOString(),
      page: { url: String(page.url || ''), title: String(page.title || '') },
      site: convo.site || null,
      conversation: convo.conversation || info.conv || null,
      warning: {
        level: info.level || null,
        categories: (info.categories || []).map((id, i) => ({ id, label: (info.labels || [])[i] || id })),
        rules: (info.rules || []).map((r) => ({ id: r.id, category: r.category, phrases: [...(r.phrases || [])] })),
        phrases: [...(info.phrases || [])],
      },
      messages: (convo.messages || []).map((m) => ({
        direction: m.direction, sender: m.sender ?? null, time: m.time ?? null, timeShown: m.timeShown ?? null,
        text: m.text, warned: !!m.warned,
      })),
    };
  }

  const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem;color:#1d2433}'
    + 'h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem}table{border-collapse:collapse;width:100%}'
    + 'th,td{border:1px solid #c9d5f0;padding:.3rem .5rem;text-align:start;vertical-align:top}th{background:#e9effb}'
    + '.msg{border:1px solid #c9d5f0;border-radius:8px;padding:.5rem .7rem;margin:.5rem 0}.out{margin-inline-start:3rem;background:#f4f6fb}'
    + '.warned{border:2px solid #3557a8;background:#fff8e1}.meta{font-size:.85rem;color:#4a5670}.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0 0}'
    + 'code{overflow-wrap:anywhere}.note{font-size:.9rem;color:#4a5670}';

  function direction(d) {
    return d === 'outgoing' ? t('evidence_dir_out', null, 'sent by you') : d === 'incoming' ? t('evidence_dir_in', null, 'received') : t('evidence_dir_unknown', null, 'direction unknown');
  }

  // The human-readable page, built as a string in which every value is escaped.
  function html(rec) {
    const row = (k, v) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`;
    const out = [];
    out.push('<!doctype html>', `<html lang="${esc(t('@@ui_locale', null, 'en').replace('_', '-'))}"><head><meta charset="utf-8">`,
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
      `<meta name="viewport" content="width=device-width, initial-scale=1">`,
      `<title>${esc(t('evidence_title', null, 'Evidence of threatening messages'))}</title><style>${STYLE}</style></head><body>`,
      `<h1>${esc(t('evidence_title', null, 'Evidence of threatening messages'))}</h1>`,
      `<p>${esc(t('evidence_intro', null, 'Saved with Extortion Guard. Keep this file: police and hotlines will ask for the usernames, the messages and any payment details they asked for.'))}</p>`,
      '<table>',
      row(t('evidence_page', null, 'Page address'), `<code>${esc(rec.page.url)}</code>`),
      row(t('evidence_site', null, 'Site'), esc(rec.site)),
      row(t('evidence_page_title', null, 'Page title'), esc(rec.page.title)),
      row(t('evidence_exported', null, 'Saved at'), `<time datetime="${esc(rec.exportedAt)}">${esc(rec.exportedAt)}</time>`),
      row(t('evidence_senders', null, 'Who sent the messages'), esc([...new Set(rec.messages.filter((m) => m.direction !== 'outgoing' && m.sender).map((m) => m.sender))].join(', ') || '—')),
      '</table>');
    out.push(`<h2>${esc(t('evidence_detected', null, 'What Extortion Guard detected'))}</h2><ul>`);
    for (const c of rec.warning.categories) out.push(`<li>${esc(c.label)} <span class="meta">(${esc(c.id)})</span></li>`);
    out.push('</ul>', `<table><thead><tr><th scope="col">${esc(t('evidence_rule', null, 'Rule'))}</th><th scope="col">${esc(t('evidence_category', null, 'Category'))}</th><th scope="col">${esc(t('evidence_phrases', null, 'Matched words'))}</th></tr></thead><tbody>`);
    for (const r of rec.warning.rules) out.push(`<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.category)}</td><td>${r.phrases.map((p) => `“${esc(p)}”`).join(', ')}</td></tr>`);
    out.push('</tbody></table>');
    out.push(`<h2>${esc(t('evidence_messages', null, 'The messages, as the page showed them'))}</h2>`);
    if (!rec.messages.length) out.push(`<p>${esc(t('evidence_no_messages', null, 'The chat was no longer on the page when this was saved.'))}</p>`);
    for (const m of rec.messages) {
      const cls = `msg${m.direction === 'outgoing' ? ' out' : ''}${m.warned ? ' warned' : ''}`;
      const when = m.timeShown || m.time;
      const meta = [m.sender ? `<strong>${esc(m.sender)}</strong>` : '', esc(direction(m.direction)), when ? `<time${m.time ? ` datetime="${esc(m.time)}"` : ''}>${esc(when)}</time>` : '', m.warned ? `<strong>${esc(t('evidence_warned', null, 'the warning was shown here'))}</strong>` : ''].filter(Boolean).join(' · ');
      out.push(`<div class="${cls}"><div class="meta">${meta}</div><p class="text">${esc(m.text)}</p></div>`);
    }
    out.push(`<p class="note">${esc(t('evidence_footer', null, 'No images were saved. Do not save or send sexual images of anyone under 18, not even as evidence.'))}</p>`, '</body></html>');
    return out.join('\n');
  }

  function fileBase(rec) {
    const site = String(rec.site || 'chat').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chat';
    const stamp = rec.exportedAt.replace(/\..*$/, '').replace(/:/g, '-').replace('T', '_');
    return `extortion-guard-evidence_${site}_${stamp}`;
  }

  function download(parent, name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url; a.download = name; a.hidden = true;
    parent.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // Called from the overlay's button (a user click). `parent`: where the temporary link goes (the
  // overlay's shadow root, so the page never sees it).
  function save(info, convo, parent) {
    const rec = record(info, convo, { url: location.href, title: document.title });
    const base = fileBase(rec);
    download(parent, `${base}.html`, html(rec), 'text/html;charset=utf-8');
    download(parent, `${base}.json`, JSON.stringify(rec, null, 2) + '\n', 'application/json');
    return { record: rec, files: [`${base}.html`, `${base}.json`] };
  }

  globalThis.EG_EVIDENCE = { record, html, save, esc, fileBase };
})();
