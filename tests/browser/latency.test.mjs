// How long a person waits for the warning: from an incoming threat landing in the page to the
// overlay's host element joining the document, timed in the page itself, with the engine warm and
// right after the service worker was stopped (as Chrome stops it after 30 s idle; the engine then
// loads again from its packed rules). Prints p50/p95/max; issue 8's target is p95 ≤ 300 ms. The
// test itself asserts only that every threat got its warning: timings on a shared 2-core machine
// are figures to read, not to fail on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, visibleOverlays, waitFor, sleep, swStats } from './lib/harness.mjs';

const THREATS = [
  'I have ur pics. Pay me $500 or I send them to ur family and friends. You have 2 hours',
  'last chance. send $300 in bitcoin or everyone at your school sees the video tonight',
  'pay 200 dollars now or i post your nudes on instagram and tag all your followers',
  'I recorded you on cam. Send $400 in gift cards or your parents get the video',
  'if you dont pay me 150 euro today i will send the video to all your contacts',
];
let b;
before(async () => { b = await launch({ locale: 'en-GB' }); });
after(async () => { await b?.close(); });

// Milliseconds from `receive` to the overlay's host element being added, or null after 15 s.
function timedReceive(p, text) {
  return p.page.evaluate((t) => new Promise((resolve) => {
    const t0 = performance.now();
    const done = (v) => { mo.disconnect(); clearTimeout(timer); resolve(v); };
    const mo = new MutationObserver((muts) => {
      if (muts.some((m) => [...m.addedNodes].some((n) => n.nodeName === 'DIV'))) done(performance.now() - t0);
    });
    mo.observe(document.documentElement, { childList: true });
    const timer = setTimeout(() => done(null), 15000);
    window.__chat.receive(t);
  }), text);
}

async function stopWorker() {
  const bc = await b.context.browser().newBrowserCDPSession();
  const { targetInfos } = await bc.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.endsWith('/background.js'));
  assert.ok(worker, 'the background service worker is running');
  await bc.send('Target.closeTarget', { targetId: worker.targetId });
  await bc.detach();
}

const quantile = (xs, q) => { const s = [...xs].sort((a, c) => a - c); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
const figures = (xs) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

test('overlay latency: warm engine, and right after the service worker was stopped', async () => {
  const p = await open(b, 'whatsapp');
  const sample = async (i, cold) => {
    await p.page.evaluate((n) => window.__chat.switchChat(`4477009003${String(n).padStart(2, '0')}`, `+44 7700 9003${String(n).padStart(2, '0')}`), i);
    await p.page.evaluate(() => window.__chat.receive('hey'));
    await sleep(400);
    if (cold) { await stopWorker(); await sleep(300); }
    const ms = await timedReceive(p, THREATS[i % THREATS.length]);
    assert.ok(ms !== null, `threat ${i}${cold ? ' (worker stopped)' : ''}: no overlay within 15 s`);
    assert.ok(await waitFor(async () => (await visibleOverlays(p))[0], { timeout: 5000 }), `threat ${i}: the overlay is visible`);
    return ms;
  };
  await sample(99, false); // the first wake of this browser, not counted
  const warm = [];
  for (let i = 0; i < 20; i++) warm.push(await sample(i, false));
  const cold = [];
  for (let i = 20; i < 28; i++) cold.push(await sample(i, true));
  const stats = await swStats(b);
  console.log(`# overlay latency, engine warm: ${figures(warm)}`);
  console.log(`# overlay latency, service worker stopped before the threat: ${figures(cold)}; engine load in the new worker ${stats?.initMs ?? '?'} ms`);
  // After the wake the background compiles the rest ahead of need, one short step per task.
  const warmed = await waitFor(async () => { const s = await swStats(b); return s?.warmUpMs !== undefined && s; }, { timeout: 15000 });
  assert.ok(warmed, 'the background finished warming the engine up after the wake');
  console.log(`# warm-up after the wake: ${warmed.warmUpMs} ms from engine load to done, longest step ${warmed.warmUpLongestStepMs} ms`);
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
