// The five UI languages: Chromium started with --lang=xx-YY shows the warning, the help page, and
// the options page and popup (when built) in that language, with the report links of the region the
// browser's language points to, in that language where the service has its own page.
// Screenshots per language in dist/screenshots/i18n-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { launch, open, visibleOverlays, waitFor, screenshot, ROOT, EXT, SHOTS } from './lib/harness.mjs';

const LOCALES = join(ROOT, 'extension/_locales');
const msgs = (lang) => JSON.parse(readFileSync(join(LOCALES, lang, 'messages.json'), 'utf8'));
const EN = msgs('en');
const manifest = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
const PAGES = [['options', manifest.options_ui?.page], ['popup', manifest.action?.default_popup]]
  .filter(([, p]) => p && p !== 'help/help.html' && existsSync(join(EXT, p)));
const RAW_KEY = /\b(?:overlay|category|advice|group|region|help|link|options|popup|evidence)_[a-z0-9_]+\b/;

// One threat per language, in that language (the engine reads all of them).
const CASES = [
  { locale: 'en-GB', lang: 'en', region: 'UK', threat: 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours', links: ['https://www.ceop.police.uk/Safety-Centre/'] },
  { locale: 'es-US', lang: 'es', region: 'US', threat: 'Tengo tus fotos. Págame 500 dólares o se las mando a tu familia y a tus amigos. Tienes 2 horas', links: ['https://tips.fbi.gov', 'https://report.cybertip.org'], label: /Denúncialo al FBI/ },
  { locale: 'es-ES', lang: 'es', region: 'OTHER', threat: 'Tengo tus fotos. Págame 500 euros o se las mando a tu familia y a tus amigos. Tienes 2 horas', links: ['https://www.inhope.org'], label: /línea de denuncia de tu país/ },
  { locale: 'fr-CA', lang: 'fr', region: 'CA', threat: "J'ai tes photos. Paie-moi 500 $ ou je les envoie à ta famille et à tes amis. Tu as 2 heures", links: ['https://www.cyberaide.ca', 'https://aidezmoisvp.ca'], label: /Cyberaide\.ca/, notLinks: ['https://www.cybertip.ca'] },
  { locale: 'fr-FR', lang: 'fr', region: 'OTHER', threat: "J'ai tes photos. Paie-moi 500 euros ou je les envoie à ta famille et à tes amis. Tu as 2 heures", links: ['https://www.inhope.org'], label: /plateforme de signalement de votre pays/ },
  { locale: 'de-DE', lang: 'de', region: 'OTHER', threat: 'Ich habe deine Bilder. Zahl mir 500 Euro oder ich schicke sie an deine Familie und deine Freunde. Du hast 2 Stunden', links: ['https://www.inhope.org'], label: /Meldestelle deines Landes/ },
  { locale: 'pt-BR', lang: 'pt', region: 'BR', threat: 'Tenho suas fotos. Me paga 500 reais ou mando pra sua família e seus amigos. Você tem 2 horas', links: ['https://helpline.org.br'], label: /Helpline da SaferNet/ },
];

test('every locale has every English key, the same placeholders, and no empty message', () => {
  for (const lang of ['es', 'fr', 'de', 'pt']) {
    const m = msgs(lang);
    assert.deepEqual(Object.keys(m).filter((k) => !(k in EN)), [], `${lang}: keys English does not have`);
    for (const [k, v] of Object.entries(EN)) {
      assert.ok(m[k]?.message?.trim(), `${lang}: ${k} is translated`);
      assert.deepEqual(Object.keys(m[k].placeholders || {}), Object.keys(v.placeholders || {}), `${lang}: ${k} placeholders`);
      for (const ph of Object.keys(v.placeholders || {})) assert.ok(m[k].message.includes(`$${ph.toUpperCase()}$`), `${lang}: ${k} uses $${ph}$`);
    }
    assert.equal(m.lang.message, lang);
    assert.equal(m.ext_name.message, 'Extortion Guard', 'the name is not translated');
  }
});

test('the report-link data: every translated link keeps a source and an https address', () => {
  const data = JSON.parse(readFileSync(join(ROOT, 'extension/data/report-links.json'), 'utf8'));
  for (const [code, r] of Object.entries(data.regions)) {
    assert.ok(EN[`region_${code}`], `region_${code} has a name in _locales`);
    for (const l of r.links) {
      for (const [lang, tr] of Object.entries(l.i18n || {})) {
        assert.ok(['es', 'fr', 'de', 'pt'].includes(lang), `${code}: ${lang}`);
        assert.ok(tr.label, `${code} ${lang}: label`);
        if (tr.url) assert.match(tr.url, /^https:\/\//);
        if (tr.url) assert.ok((tr.source || l.source).length > 3);
      }
    }
  }
  for (const a of [...data.advice, ...data.extraAdvice]) assert.ok(EN[`advice_${a.key}_title`] && EN[`advice_${a.key}_text`], `advice ${a.key}`);
});

for (const c of CASES) {
  test(`${c.locale}: the warning, the help page${PAGES.length ? ', ' + PAGES.map(([n]) => n).join(', ') : ''} in ${c.lang}, with the ${c.region} links`, async () => {
    const M = msgs(c.lang);
    const T = (k) => M[k]?.message ?? EN[k].message;
    const b = await launch({ locale: c.locale });
    try {
      // The browser runs in that language (LANGUAGE env; Debian's chromium-l10n), and the extension's
      // messages resolve to this language's catalogue.
      assert.equal((await b.sw.evaluate(() => chrome.i18n.getUILanguage())).split('-')[0], c.lang);
      assert.equal(await b.sw.evaluate(() => chrome.i18n.getMessage('lang')), c.lang);

      // The warning.
      const p = await open(b, 'whatsapp');
      await p.page.evaluate(() => window.__chat.switchChat('447700900300', 'Sam'));
      await p.page.evaluate((t) => window.__chat.receive(t), c.threat);
      const o = await waitFor(async () => (await visibleOverlays(p))[0], { timeout: 30000 });
      assert.ok(o, `a warning for: ${c.threat}`);
      assert.equal(o.label, T('overlay_title'));
      assert.ok(o.text.includes(T('overlay_calm')), 'the calm line');
      assert.ok(o.text.includes(T('advice_not_your_fault_title')), "it's not your fault");
      assert.ok(o.text.includes(T('overlay_where_help').replace('$REGION$', T(`region_${c.region}`))), `region heading for ${c.region}`);
      assert.deepEqual(o.buttons.map((x) => x.text).filter((x) => [T('overlay_get_help'), T('overlay_not_threat'), T('overlay_dismiss')].includes(x)).length, 3, `buttons: ${o.buttons.map((x) => x.text)}`);
      const why = Object.keys(EN).filter((k) => k.startsWith('category_')).map((k) => T(k)).filter((l) => o.text.toLowerCase().includes(l.toLowerCase()));
      assert.ok(why.length >= 2, `the reasons are the ${c.lang} category labels: ${o.text}`);
      if (c.lang !== 'en') {
        const english = Object.keys(EN).filter((k) => k.startsWith('category_') || k.startsWith('advice_')).map((k) => EN[k].message);
        assert.deepEqual(english.filter((s) => o.text.includes(s)), [], 'no English reasons or advice left');
      }
      assert.doesNotMatch(o.text, RAW_KEY, 'no untranslated message keys');
      const hrefs = o.links.map((l) => l.href);
      for (const href of c.links) assert.ok(hrefs.includes(href), `${href} in ${hrefs}`);
      for (const href of c.notLinks || []) assert.ok(!hrefs.includes(href), `${href} replaced by its ${c.lang} page`);
      if (c.label) assert.ok(o.links.some((l) => c.label.test(l.text)) || c.label.test(o.text), `localised link label ${c.label}`);
      assert.deepEqual(p.errors, []);
      await screenshot(p.page, `i18n-${c.locale}-warning`);

      // The help page.
      const help = await b.context.newPage();
      await help.goto(`chrome-extension://${b.extensionId}/help/help.html`);
      await help.waitForFunction(() => document.documentElement.dataset.ready === '1');
      const h = await help.evaluate(() => ({
        lang: document.documentElement.lang, title: document.title, h1: document.querySelector('h1').textContent,
        region: document.getElementById('region').value, text: document.body.innerText,
        hrefs: [...document.querySelectorAll('#links a')].map((a) => a.getAttribute('href')),
      }));
      assert.equal(h.lang.split('-')[0], c.lang);
      assert.equal(h.title, T('help_page_title'));
      assert.equal(h.h1, T('help_h1'));
      assert.equal(h.region, c.region);
      assert.ok(h.text.includes(T('advice_dont_pay_title')) && h.text.includes(T('help_good_to_know')));
      assert.ok(h.text.includes(T('link_source').replace('$SOURCE$', '')), 'sources are shown');
      for (const href of c.links) assert.ok(h.hrefs.includes(href), `help page: ${href}`);
      assert.doesNotMatch(h.text, RAW_KEY);
      await help.setViewportSize({ width: 900, height: 1400 });
      await help.screenshot({ path: join(SHOTS, `i18n-${c.locale}-help.png`), fullPage: true });
      await help.close();

      // The options page and popup, when they are built: every [data-i18n] element shows this
      // language's string, and nothing shows a raw key.
      for (const [name, path] of PAGES) {
        const pg = await b.context.newPage();
        await pg.goto(`chrome-extension://${b.extensionId}/${path}`);
        await pg.waitForLoadState('load');
        await pg.waitForFunction(() => [...document.querySelectorAll('[data-i18n]')].every((e) => e.textContent.trim() && e.textContent !== e.dataset.i18n), null, { timeout: 10000 }).catch(() => {});
        const r = await pg.evaluate(() => ({
          lang: document.documentElement.lang,
          text: document.body.innerText,
          tagged: [...document.querySelectorAll('[data-i18n]')].map((e) => [e.dataset.i18n, e.textContent]),
        }));
        assert.ok(r.tagged.length > 0, `${name}: uses data-i18n`);
        for (const [k, text] of r.tagged) {
          assert.ok(EN[k], `${name}: key ${k} is in en/messages.json`);
          if (!EN[k].placeholders) assert.equal(text, T(k), `${name}: ${k} in ${c.lang}`);
        }
        assert.equal(r.lang.split('-')[0], c.lang, `${name}: <html lang>`);
        assert.doesNotMatch(r.text, RAW_KEY, `${name}: no raw keys`);
        await pg.screenshot({ path: join(SHOTS, `i18n-${c.locale}-${name}.png`), fullPage: true });
        await pg.close();
      }
      await p.page.close();
    } finally {
      await b.close();
    }
  });
}
