// Settings: the stored record's version and migration (common/settings.js), and the region the
// browser's languages choose. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from './lib/harness.mjs';
import { migrate, defaults, SETTINGS_VERSION, regionFromLanguages, siteKey } from '../../extension/common/settings.js';

const links = JSON.parse(readFileSync(`${ROOT}/extension/data/report-links.json`, 'utf8'));

test('a new install gets the current version and the defaults', () => {
  const { settings, changed } = migrate({});
  assert.equal(changed, true);
  assert.deepEqual(settings, defaults());
  assert.equal(settings.version, SETTINGS_VERSION);
  assert.equal(settings.under18, false);
  assert.equal(settings.sensitivity, null, 'the rule policy decides until the user chooses');
});

test('version 0 (0.1.0: region, muted, dismissed only) migrates and keeps what the user chose', () => {
  const v0 = { region: 'IE', muted: ['whatsapp:447700900202', 'whatsapp:447700900202', 42], dismissed: Array.from({ length: 350 }, (_, i) => `k${i}`) };
  const { settings, changed } = migrate(v0);
  assert.equal(changed, true);
  assert.equal(settings.version, 1);
  assert.equal(settings.region, 'IE');
  assert.deepEqual(settings.muted, ['whatsapp:447700900202'], 'duplicates and non-strings dropped');
  assert.equal(settings.dismissed.length, 300);
  assert.equal(settings.dismissed.at(-1), 'k349', 'the newest dismissals are kept');
  assert.deepEqual(settings.off, []);
  assert.deepEqual(settings.customPacks, []);
});

test('a current record is left as it is; damaged values fall back to defaults', () => {
  const good = { ...defaults(), region: 'US', under18: true, sensitivity: 'high', off: ['discord'], customPacks: [{ name: 'a.toml', text: '[pack]', added: 5 }] };
  assert.deepEqual(migrate(good), { settings: good, changed: false });
  const { settings, changed } = migrate({ ...good, region: '<script>', under18: 'yes', sensitivity: 'extreme', off: 'discord', customPacks: [{ name: 1 }, null] });
  assert.equal(changed, true);
  assert.equal(settings.region, null);
  assert.equal(settings.under18, false);
  assert.equal(settings.sensitivity, null);
  assert.deepEqual(settings.off, []);
  assert.deepEqual(settings.customPacks, []);
});

test('a record written by a newer release is not rewritten', () => {
  const newer = { version: SETTINGS_VERSION + 1, region: 'AU', somethingNew: { a: 1 } };
  const { settings, changed } = migrate(newer);
  assert.equal(changed, false);
  assert.equal(settings.somethingNew.a, 1);
});

test('the default region follows the browser languages', () => {
  const r = (l) => regionFromLanguages(l, links.regions);
  assert.equal(r(['en-GB']), 'UK');
  assert.equal(r(['en-US']), 'US');
  assert.equal(r(['en-CA']), 'CA');
  assert.equal(r(['fr-CA', 'fr']), 'CA');
  assert.equal(r(['en-AU']), 'AU');
  assert.equal(r(['en-IE']), 'IE');
  assert.equal(r(['ga']), 'IE');
  assert.equal(r(['de-DE']), 'OTHER');
  assert.equal(r(['en', 'en-GB']), 'UK');
});

test('a site pauses under its adapter id, any other site under its host name', () => {
  const sites = [{ id: 'whatsapp', hosts: ['web.whatsapp.com'] }, { id: 'generic', hosts: [] }];
  assert.equal(siteKey(sites, 'web.whatsapp.com'), 'whatsapp');
  assert.equal(siteKey(sites, 'chat.example.org'), 'chat.example.org');
});
