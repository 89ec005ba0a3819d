// The built extension in Debian's Chromium on each supported site's fixture, served at the site's
// real URL with a strict CSP and Trusted Types. Messages arrive over time, as in a real chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, visibleOverlays, overlays, waitFor, sleep, rectOf, intersects, screenshot } from './lib/harness.mjs';

const THREAT = 'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours';
const SPLIT = ['i have all ur nudes', 'pay me $300', 'or i post them'];
const BENIGN = [
  'hey! are we still on for football tomorrow?',
  'lol yes, send me the pics from the party when you can',
  'I will pay you back for the tickets on friday',
  'my family is coming over so I might be late',
];
const COMPOSE = {
  whatsapp: '#main footer [contenteditable="true"]',
  messenger: '[role="textbox"][contenteditable="true"]',
  facebook: '[role="textbox"][contenteditable="true"]',
  instagram: '[role="textbox"][contenteditable="true"]',
  'telegram-k': '.input-message-input',
  'telegram-a': '#editable-message-text',
  discord: '[data-slate-editor="true"]',
  slack: '[data-qa="message_input"] [contenteditable="true"]',
  x: 'textarea[data-testid="dm-composer-textarea"]',
  'x-legacy': '[data-testid="dmComposerTextInput"]',
  twitter: '[data-testid="dmComposerTextInput"]',
  linkedin: '.msg-form__contenteditable',
  tinder: 'form textarea',
  snapchat: '[role="textbox"][contenteditable="true"]',
  bumble: '.message-field textarea',
};
// Sites where a threat split over several incoming messages is tested (below).
const SPLIT_SITES = ['whatsapp', 'slack', 'x', 'x-legacy', 'twitter', 'linkedin', 'tinder', 'snapchat', 'bumble'];

let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

const quiet = async (p, ms = 1500) => { await sleep(ms); return (await visibleOverlays(p)).length === 0; };

async function receiveOverTime(p, texts, gap = 250) {
  for (const t of texts) { await p.page.evaluate((x) => window.__chat.receive(x), t); await sleep(gap); }
}

for (const site of Object.keys(COMPOSE)) {
  test(`${site}: warns on an incoming threat; quiet on benign chat and on the user's own threat`, async () => {
    const p = await open(b, site, {
      history: [
        { text: 'hi, who is this?', out: true, time: Date.now() - 600000 },
        { text: 'we met at the gaming tournament last week', time: Date.now() - 590000 },
      ],
    });
    assert.ok(p.extensionWorld(), 'content script runs on the site');
    // Benign incoming and outgoing messages over time: no warning.
    await receiveOverTime(p, BENIGN);
    await p.page.evaluate(() => window.__chat.send('haha ok, see you there'));
    assert.ok(await quiet(p), 'no overlay on ordinary chat');
    // The user's own message quoting a threat: never a warning.
    await p.page.evaluate((t) => window.__chat.send(t), `someone sent me this: "${THREAT}" is it a scam?`);
    assert.ok(await quiet(p), 'no overlay on an outgoing threat');
    // The incoming threat.
    await p.page.evaluate((t) => window.__chat.receive(t), THREAT);
    const shown = await waitFor(async () => (await visibleOverlays(p))[0]);
    assert.ok(shown, 'overlay shown for the incoming threat');
    assert.equal(shown.label, 'This message looks like a blackmail script');
    assert.match(shown.text, /demand for money/i);
    assert.match(shown.text, /threat to send, post or leak/i);
    assert.match(shown.text, /pay me \$500/i, 'the matched phrase is shown');
    assert.match(shown.text, /Don't pay/);
    assert.match(shown.text, /not your fault/i);
    assert.deepEqual(shown.buttons.map((x) => x.text), ['Save evidence', 'Get help', 'Not a threat', 'Dismiss']);
    assert.ok(shown.links.some((l) => l.href.includes('ceop.police.uk')), 'UK under-18 route (CEOP) for en-GB');
    assert.ok(shown.links.some((l) => l.href.includes('childline.org.uk')), 'Report Remove for en-GB');
    assert.equal(shown.hostParent, 'html', 'host outside the app tree');
    assert.equal(shown.hasStyleElement, false, 'styles are adopted, not <style>');
    assert.equal(shown.adopted, 1);
    const compose = await rectOf(p.page, COMPOSE[site]);
    assert.ok(compose, 'compose box present');
    assert.ok(!intersects(shown.rect, compose), `overlay never over the compose box (${JSON.stringify(shown.rect)} vs ${JSON.stringify(compose)})`);
    const vp = p.page.viewportSize();
    assert.ok(shown.rect.top >= 0 && shown.rect.bottom <= vp.height && shown.rect.left >= 0 && shown.rect.right <= vp.width, 'overlay inside the viewport');
    assert.equal((await overlays(p)).length, 1, 'one overlay');
    // Ordinary chatter after the threat does not raise another warning.
    await receiveOverTime(p, ['hello??', 'answer me']);
    await sleep(800);
    assert.equal((await overlays(p)).length, 1, 'still one overlay after chatter');
    await screenshot(p.page, `site-${site}`);
    assert.deepEqual(p.errors, [], 'no errors in the page');
    assert.deepEqual(b.unexpected, [], 'no requests beyond the fixture');
    await p.page.close();
  });
}

for (const site of SPLIT_SITES) {
  test(`${site}: a threat split over several messages is caught, anchored at the message that completes it`, async () => {
    const p = await open(b, site);
    if (site === 'whatsapp') await p.page.evaluate(() => window.__chat.switchChat('447700900555', '+44 7700 900555'));
    await receiveOverTime(p, ['heyy', SPLIT[0]], 400);
    assert.ok(await quiet(p, 1200), 'no warning on a lone possession claim');
    await receiveOverTime(p, SPLIT.slice(1), 400);
    const shown = await waitFor(async () => (await visibleOverlays(p))[0]);
    assert.ok(shown, 'overlay for the split threat');
    assert.match(shown.text, /post them|pay me \$300/i);
    await screenshot(p.page, `${site}-split`);
    assert.deepEqual(p.errors, [], 'no errors in the page');
    await p.page.close();
  });
}

// Sites that show the sender once per run of messages: the user's own follow-ups carry no sender of
// their own and must still count as the user's (here the user pastes a threat to ask about it).
for (const site of ['discord', 'slack', 'linkedin', 'snapchat']) {
  test(`${site}: the user's own follow-up messages, shown without a sender, never warn`, async () => {
    const p = await open(b, site, { history: [{ text: 'we met at the gaming tournament last week', time: Date.now() - 600000 }] });
    await p.page.evaluate(() => window.__chat.send('look what someone sent me'));
    for (const part of [THREAT, ...SPLIT]) await p.page.evaluate((t) => window.__chat.send(t), part);
    assert.ok(await quiet(p, 2500), "no overlay on the user's own follow-ups");
    await p.page.evaluate((t) => window.__chat.receive(t), THREAT);
    assert.ok(await waitFor(async () => (await visibleOverlays(p))[0]), 'the same words from the other person still warn');
    assert.deepEqual(p.errors, [], 'no errors in the page');
    await p.page.close();
  });
}

test('telegram-a: a threat already in the history when the chat opens is flagged', async () => {
  const p = await open(b, 'telegram-a', { history: [
    { text: 'hey cutie', time: Date.now() - 3600000 },
    { text: 'hi', out: true, time: Date.now() - 3500000 },
    { text: THREAT, time: Date.now() - 3400000 },
  ] });
  const shown = await waitFor(async () => (await visibleOverlays(p))[0]);
  assert.ok(shown, 'history threat flagged');
  await p.page.close();
});

test('untargeted site: the extension does nothing at all', async () => {
  const p = await open(b, 'untargeted');
  await receiveOverTime(p, [THREAT, ...SPLIT]);
  assert.ok(await quiet(p, 1500));
  assert.equal((await overlays(p)).length, 0);
  assert.equal(p.extensionWorld(), false, 'no content script world on an untargeted page');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
