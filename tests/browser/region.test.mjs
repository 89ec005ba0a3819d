// Which region's report links the warning shows, from the browser's languages (no browser needed:
// the overlay script runs in a VM with the bundled data), and that every link has a source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { ROOT } from './lib/harness.mjs';

const links = JSON.parse(readFileSync(`${ROOT}/extension/data/report-links.json`, 'utf8'));
const overlaySrc = readFileSync(`${ROOT}/extension/content/overlay.js`, 'utf8');

function regionFor(languages) {
  const ctx = { EG_DATA: { sites: [], links }, navigator: { languages, language: languages[0] } };
  vm.runInNewContext(overlaySrc, ctx);
  return ctx.EG_OVERLAY.regionCode();
}

test('the region follows the browser language', () => {
  assert.equal(regionFor(['en-GB']), 'UK');
  assert.equal(regionFor(['en-US', 'en']), 'US');
  assert.equal(regionFor(['en-CA']), 'CA');
  assert.equal(regionFor(['fr-CA', 'fr']), 'CA');
  assert.equal(regionFor(['en-AU']), 'AU');
  assert.equal(regionFor(['en-IE']), 'IE');
  assert.equal(regionFor(['ga']), 'IE');
  assert.equal(regionFor(['de-DE', 'de']), 'OTHER');
  assert.equal(regionFor(['pt-BR']), 'BR');
  assert.equal(regionFor(['es-US', 'es']), 'US');
  assert.equal(regionFor(['es-ES', 'es']), 'OTHER');
  assert.equal(regionFor(['fr-FR', 'fr']), 'OTHER');
  assert.equal(regionFor(['en', 'en-GB']), 'UK', 'a bare language falls through to the next');
});

test('every region has police, under-18 and adult routes, and every link names its source', () => {
  for (const [code, r] of Object.entries(links.regions)) {
    assert.ok(r.name, code);
    assert.ok(r.links.some((l) => l.kind === 'police'), `${code}: police`);
    assert.ok(r.links.some((l) => l.for === 'under18'), `${code}: under-18 route`);
    assert.ok(r.links.some((l) => l.for === 'adult' || (l.for === 'everyone' && l.kind === 'removal')), `${code}: adult image removal`);
    for (const l of r.links) {
      assert.ok(['under18', 'adult', 'everyone'].includes(l.for), `${code}: ${l.label}`);
      assert.ok(l.source && l.source.length > 3, `${code}: ${l.label} has a source`);
      if (l.url) assert.match(l.url, /^https:\/\//, `${code}: ${l.url} is https`);
    }
  }
  for (const a of links.advice) assert.ok(a.title && a.text && a.source);
  assert.ok(links.advice.some((a) => /don't pay/i.test(a.title)));
  assert.ok(links.advice.some((a) => /not your fault/i.test(a.title)));
});
