// UI strings for extension pages (help, options, popup), from _locales/<lang>/messages.json via
// the WebExtension i18n system, so every page follows the browser's language (English fallback).
//
//   import { t, fill, uiLanguage } from '../common/i18n.js';
//   t('popup_title')                      -> the translated string
//   t('popup_checked', [String(n)])       -> with $1 … $9 placeholders filled
//   t('maybe_missing', null, 'English')   -> the fallback when no locale has the key
//   fill()                                -> translates the whole document once the DOM is there:
//     <h1 data-i18n="options_title"></h1>                 textContent (never innerHTML)
//     <input data-i18n-attr="placeholder=key;aria-label=key2">  attributes
//   and sets <html lang> and dir to the UI language.
//
// Content scripts cannot import modules; the overlay calls chrome.i18n.getMessage directly.
const api = globalThis.chrome ?? globalThis.browser;

// A missing key shows as the fallback if given, else as the key itself, so a forgotten
// translation is visible (and tests catch it).
export function t(key, subs, fallback) {
  let s = '';
  try { s = api.i18n.getMessage(key, subs); } catch { /* not in an extension page */ }
  return s || (fallback ?? key);
}

export function uiLanguage() {
  try { return api.i18n.getUILanguage(); } catch { return navigator.language || 'en'; }
}

export function fill(root = document) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of e.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split('=').map((s) => s.trim());
      if (attr && key) e.setAttribute(attr, t(key));
    }
  }
  if (root === document) {
    document.documentElement.lang = t('@@ui_locale').replace('_', '-');
    document.documentElement.dir = t('@@bidi_dir') === 'rtl' ? 'rtl' : 'ltr';
  }
}
