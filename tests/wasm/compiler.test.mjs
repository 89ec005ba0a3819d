// The compiling build of the engine (dist/chrome/compiler/), as the options page and a background
// with custom packs use it: it checks and compiles custom TOML packs, and scans exactly as the
// packed engine (dist/chrome/engine/) does.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const DIST = fileURLToPath(new URL('../../dist/chrome/', import.meta.url));
const compiler = await import(join(DIST, 'compiler', 'extortion_guard.js'));
const engine = await import(join(DIST, 'engine', 'extortion_guard.js'));
const PACK = readFileSync(join(DIST, 'engine', 'pack.bin'));
const { Detector } = compiler;

const pack = (rules) => `[pack]\nname = "custom"\ndescription = "x"\nlanguages = ["en"]\n${rules}`;
const rule = (pattern) => pack(`[[rule]]\nid = "custom.threat.x"\ncategory = "threat"\nweight = 5\ndescription = "x"\nsource = "x"\npatterns = ['''${pattern}''']\nmust_match = ["zorb photos"]\nmust_not_match = ["zorb"]\n`);

const MESSAGES = [
  'I have your nudes. Pay me $500 in bitcoin or I will send them to all your friends and family. You have 24 hours.',
  'Ich habe dein Video. Zahl 500 € oder ich schicke es an alle deine Freunde, du hast 2 Stunden.',
  'tengo todas tus fotos y tus contactos, paga o las mando',
  'मैं तुम्हारा वीडियो सबको भेज दूंगा, 5000 रुपये भेजो',
  'ik heb je foto\'s. betaal 300 euro of iedereen ziet ze',
  'hey are we still on for football tomorrow?',
  'lol that video is so funny, send it to the group chat',
];

before(async () => {
  await compiler.default({ module_or_path: readFileSync(join(DIST, 'compiler', 'extortion_guard_bg.wasm')) });
  await engine.default({ module_or_path: readFileSync(join(DIST, 'engine', 'extortion_guard_bg.wasm')) });
});

test('Detector.check reports problems in a custom pack with file and line', () => {
  const ok = Detector.check(PACK, 'custom.toml', pack(''));
  assert.equal(typeof ok.ok, 'boolean');
  const bad = Detector.check(PACK, 'custom.toml', '[pack]\nname = "custom"\n[[rule]]\nid = "custom.threat.x"\ncategory = "threat"\npatterns = ["(unclosed"]\n');
  assert.equal(bad.ok, false);
  assert.ok(bad.problems.length > 0);
  for (const p of bad.problems) {
    assert.equal(p.file, 'custom.toml');
    assert.ok(Number.isInteger(p.line) || p.line === null || p.line === undefined);
    assert.ok(p.message);
  }
});

test('Detector.check compiles every pattern as `rules check` does: one too big to compile is refused', () => {
  const small = Detector.check(PACK, 'custom.toml', rule('zorb\\s+\\w{2,8}'));
  assert.equal(small.ok, true, `a bounded pattern passes: ${JSON.stringify(small.problems)}`);
  // Any of a thousand positions may be where the 30 letters began: too many states for an automaton.
  const big = Detector.check(PACK, 'custom.toml', rule('zorb\\s+[a-z]*z[a-z]{30}'));
  assert.equal(big.ok, false);
  const p = big.problems.find((x) => /too large once compiled/.test(x.message));
  assert.ok(p, JSON.stringify(big.problems));
  assert.equal(p.file, 'custom.toml');
  assert.equal(p.rule, 'custom.threat.x');
  assert.equal(p.line, 11);
});

test('a custom pack\'s rule warns, and everything else is verdict for verdict the packed engine\'s', () => {
  const custom = Detector.withCustomPacks(PACK, [{ name: 'custom.toml', text: rule('zorb\\s+\\w{2,8}') }]);
  const packed = new engine.Detector(PACK);
  assert.ok(custom.scanMessage('zorb photos').hits.some((h) => h.rule === 'custom.threat.x'));
  let steps = 0;
  while (custom.warmUpStep()) assert.ok(++steps < 10000, 'the warm-up never ends');
  assert.ok(steps > 2, `compiled from TOML, the patterns are built ahead of need: ${steps} steps`);
  for (const text of MESSAGES) {
    const [a, b] = [packed.scanMessage(text), custom.scanMessage(text)];
    assert.deepEqual([b.level, b.score, b.hits], [a.level, a.score, a.hits], text);
  }
  custom.free();
  packed.free();
});
