// ./build.sh demo: the built extension in Chromium (headless where there is no display) on chat
// pages that receive ordinary and extortion messages over time. Prints each message and what was
// flagged, and saves screenshots under dist/demo/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, open, visibleOverlays, overlays, waitFor, sleep, ROOT } from './lib/harness.mjs';

const OUT = join(ROOT, 'dist/demo');
mkdirSync(OUT, { recursive: true });
const headless = !process.env.DISPLAY || process.env.CI === 'true';
const SCENES = [
  {
    site: 'whatsapp', title: 'WhatsApp Web: a friendly chat that turns into a blackmail script, split over several messages',
    messages: [
      { text: 'hey! saw you at the skate park yesterday 😊' },
      { out: true, text: 'haha yeah, who is this?' },
      { text: 'im mia, we follow each other on insta' },
      { out: true, text: 'oh hi mia' },
      { text: 'send me the pics from the party when you can' },
      { text: 'i screenshotted everything you sent me' },
      { text: 'pay me $500 in a steam gift card' },
      { text: 'or i send it to ur family and all ur followers. you have 1 hour' },
      { text: 'hello??' },
    ],
  },
  {
    site: 'instagram', title: 'Instagram: ordinary chat stays quiet; one message with the whole script',
    messages: [
      { text: 'did you finish the history homework?' },
      { out: true, text: 'nearly, I will pay you back for lunch tomorrow btw' },
      { text: 'no worries. my family is going to the beach on sunday if you want to come' },
      { text: 'I recorded our video call. Send $300 by tonight or I post the video to everyone you know' },
    ],
  },
  {
    site: 'discord', title: 'Discord: your own message quoting a threat is never flagged; ordinary chat stays quiet',
    messages: [
      { text: 'gg last night, that final round was insane' },
      { out: true, text: 'someone sent me "pay me $500 or i leak your pics to your friends" lol is that a scam?' },
      { text: 'yeah that is a known scam, just block and report them' },
    ],
  },
];

const b = await launch({ locale: 'en-GB', headless });
let shot = 0;
const flagged = [];
try {
  for (const scene of SCENES) {
    console.log(`\n${scene.title}`);
    const p = await open(b, scene.site);
    let shownKeys = 0;
    for (const m of scene.messages) {
      await p.page.evaluate((x) => (x.out ? window.__chat.send(x.text) : window.__chat.receive(x.text)), m);
      console.log(`  ${m.out ? 'you  →' : 'them ←'} ${m.text}`);
      const o = await waitFor(async () => (await visibleOverlays(p)).length > shownKeys && (await visibleOverlays(p))[0], { timeout: m.out ? 1500 : 12000 });
      if (o) {
        shownKeys = 1;
        const why = o.text.split('\n').filter((l) => /^[A-Z]/.test(l)).slice(0, 0);
        void why;
        const labels = o.text.split('Why you are seeing this')[1]?.split('Words that matched')[0].trim().split('\n').filter(Boolean) || [];
        const words = (o.text.match(/“[^”]+”/g) || []).join(' ');
        console.log(`         ⚠ FLAGGED: "${o.label}"\n           why: ${labels.join('; ')}\n           words: ${words}`);
        flagged.push({ site: scene.site, message: m.text });
        await p.page.screenshot({ path: join(OUT, `${String(++shot).padStart(2, '0')}-${scene.site}-warning.png`) });
      }
      await sleep(600);
    }
    if (!(await overlays(p)).length) await p.page.screenshot({ path: join(OUT, `${String(++shot).padStart(2, '0')}-${scene.site}-quiet.png`) });
    await p.page.close();
  }
  // The help page a "Get help" click opens.
  const help = await b.context.newPage();
  await help.goto(`chrome-extension://${b.extensionId}/help/help.html#region=UK`);
  await help.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await help.screenshot({ path: join(OUT, `${String(++shot).padStart(2, '0')}-help-page.png`), fullPage: true });
  await help.close();
  console.log(`\nFlagged ${flagged.length} message(s):`);
  for (const f of flagged) console.log(`  [${f.site}] ${f.message}`);
  console.log(`Network requests made by the extension: ${b.unexpected.length}`);
  console.log(`Screenshots: ${OUT}/`);
} finally {
  await b.close();
}
