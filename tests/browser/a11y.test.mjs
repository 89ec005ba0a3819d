// Accessibility: axe-core on the warning (inside its closed shadow root), the help page, and the
// options page and popup when they are built: no violations of serious or critical impact; and
// every control reachable and usable with the keyboard alone, with a visible focus ring.
// Runs in German: long words are the hardest case for the layout (i18n.test.mjs covers the other languages).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { launch, open, visibleOverlays, overlays, waitFor, EXT } from './lib/harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const manifest = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
const PAGES = [['help', 'help/help.html'], ['options', manifest.options_ui?.page], ['popup', manifest.action?.default_popup]]
  .filter(([, p], i, all) => p && existsSync(join(EXT, p)) && all.findIndex(([, q]) => q === p) === i);
const THREAT = 'Ich habe deine Bilder. Zahl mir 500 Euro oder ich schicke sie an deine Familie und deine Freunde. Du hast 2 Stunden';
const serious = (vs) => vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');
const show = (vs) => vs.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
const summarise = `(r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ')) }))`;

let b;
before(async () => { b = await launch({ locale: 'de-DE' }); });
after(async () => { await b?.close(); });

// axe on an extension page (its CSP does not apply to DevTools evaluation).
async function axePage(page) {
  await page.evaluate(AXE);
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then(${summarise})`);
}

// axe on the warning: axe cannot enter a closed shadow root, so the card (with its adopted style
// sheets, same place on the page) is copied into an open one in an isolated world and checked there.
async function axeOverlay(p) {
  const { frameTree } = await p.cdp.send('Page.getFrameTree');
  const { executionContextId } = await p.cdp.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: 'eg-axe' });
  await p.cdp.send('Runtime.evaluate', { expression: AXE, contextId: executionContextId });
  const { root } = await p.cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  const closed = [];
  const walk = (n) => { for (const s of n.shadowRoots || []) { if (s.shadowRootType === 'closed') closed.push(s); walk(s); } for (const c of n.children || []) walk(c); };
  walk(root);
  const results = [];
  for (const s of closed) {
    const { object } = await p.cdp.send('DOM.resolveNode', { backendNodeId: s.backendNodeId, executionContextId });
    const { result, exceptionDetails } = await p.cdp.send('Runtime.callFunctionOn', {
      objectId: object.objectId, awaitPromise: true, returnByValue: true,
      functionDeclaration: `async function () {
        const card = this.querySelector('[role="alertdialog"]');
        if (!card) return null;
        const host = document.createElement('div');
        host.setAttribute('style', this.host.getAttribute('style'));
        const open = host.attachShadow({ mode: 'open' });
        open.adoptedStyleSheets = [...this.adoptedStyleSheets];
        open.append(card.cloneNode(true));
        document.documentElement.append(host);
        this.host.style.setProperty('visibility', 'hidden', 'important');
        try { return (${summarise})(await axe.run(host, { resultTypes: ['violations'] })); }
        finally { host.remove(); this.host.style.removeProperty('visibility'); }
      }`,
    });
    if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
    if (result.value) results.push(...result.value);
  }
  return results;
}

// Tabs through a page; returns what got focus, and whether each focused control showed a ring.
async function tabThrough(page, max = 60) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const cs = getComputedStyle(e);
      const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
      return { id: e.id, tag: e.localName, text: (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40), ring, key: e.id || e.localName + ':' + (e.getAttribute('href') || e.textContent || '').slice(0, 60) };
    });
    if (f && seen.length && seen[0].key === f.key && seen[0].tag === f.tag) break; // wrapped around
    if (f) seen.push(f);
  }
  return seen;
}

test('the warning: no serious or critical axe violations; keyboard alone reaches, uses and closes it', async () => {
  const p = await open(b, 'whatsapp');
  await p.page.evaluate(() => window.__chat.switchChat('447700900400', 'Alex'));
  await p.page.evaluate((t) => window.__chat.receive(t), THREAT);
  const o = await waitFor(async () => (await visibleOverlays(p))[0], { timeout: 30000 });
  assert.ok(o, 'a warning');
  const vs = await axeOverlay(p);
  if (vs.length) console.log(`warning: axe (all impacts)\n${show(vs)}`);
  assert.deepEqual(serious(vs), [], show(serious(vs)));
  // Keyboard: focus is on the card; Tab reaches every link and button; Escape closes it.
  assert.equal(o.focusedText, 'alertdialog');
  const want = [...o.buttons.map((x) => x.text), ...o.links.map((l) => l.text)];
  const seen = [];
  for (let i = 0; i < 40 && !want.every((w) => seen.includes(w)); i++) {
    await p.page.keyboard.press('Tab');
    seen.push((await overlays(p))[0]?.focusedText);
  }
  for (const btn of o.buttons.map((x) => x.text)) assert.ok(seen.includes(btn), `Tab reaches "${btn}": ${seen.join(' | ')}`);
  for (const l of o.links) assert.ok(seen.includes(l.text), `Tab reaches link "${l.text}"`);
  await p.page.keyboard.press('Escape');
  assert.equal((await overlays(p)).length, 0, 'Escape closes it');
  await p.page.close();
});

for (const [name, path] of PAGES) {
  test(`${name} page: no serious or critical axe violations; every control reachable by Tab with a visible focus ring`, async () => {
    const page = await b.context.newPage();
    await page.goto(`chrome-extension://${b.extensionId}/${path}`);
    await page.waitForLoadState('load');
    if (name === 'help') await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
    else await page.waitForTimeout(800);
    const vs = await axePage(page);
    if (vs.length) console.log(`${name}: axe (all impacts)\n${show(vs)}`);
    assert.deepEqual(serious(vs), [], show(serious(vs)));
    const controls = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((e) => !e.disabled && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[hidden], [inert]'))
      .map((e) => e.id || e.localName + ':' + (e.getAttribute('href') || e.textContent || '').slice(0, 60)));
    const seen = await tabThrough(page, controls.length + 10);
    const keys = seen.map((s) => s.key);
    assert.deepEqual(controls.filter((c) => !keys.includes(c)), [], `${name}: every control is reached by Tab`);
    assert.deepEqual(seen.filter((s) => !s.ring).map((s) => s.key), [], `${name}: focus is visible on every control`);
    if (name === 'help') {
      // Choosing the region with the keyboard re-renders the links.
      await page.focus('#region');
      const before = await page.evaluate(() => document.getElementById('region').value);
      await page.keyboard.press(before === 'UK' ? 'ArrowDown' : 'Home');
      await page.waitForFunction((v) => document.getElementById('region').value !== v, before);
      assert.ok(await page.evaluate(() => document.querySelectorAll('#links a').length > 0));
    }
    await page.close();
  });
}
