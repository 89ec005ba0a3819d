// One cold start of the wasm engine, in a fresh Node process (bench/compare.mjs runs it several
// times): instantiate the module, load the detector from pack.bin, then the first verdicts.
// Files are read before the clock starts (the extension has them from its package).
// Prints one JSON line: milliseconds of each step and wasm memory after each.
//   node bench/cold.mjs ENGINE_DIR THREAT_TEXT [BENIGN_TEXT]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, threat, benign = 'see you at the station at 6, bring the tickets'] = process.argv.slice(2);
const bytes = readFileSync(join(dir, 'extortion_guard_bg.wasm'));
const pack = readFileSync(join(dir, 'pack.bin'));
const { default: init, Detector } = await import(pathToFileURL(join(dir, 'extortion_guard.js')).href);
const mib = (w) => w.memory.buffer.byteLength / 2 ** 20;

const t0 = performance.now();
const wasm = await init({ module_or_path: bytes });
const t1 = performance.now();
const det = new Detector(pack);
const t2 = performance.now();
const first = det.scanMessage(threat);
const t3 = performance.now();
const memFirst = mib(wasm);
det.scanMessage(benign);
const t4 = performance.now();
const again = det.scanMessage(threat);
const t5 = performance.now();
// Then the warm-up the background runs while idle (one step per task there).
let warmSteps = 0, warmLongest = 0;
for (;;) {
  const s0 = performance.now();
  if (!det.warmUpStep()) break;
  warmSteps++; warmLongest = Math.max(warmLongest, performance.now() - s0);
}
const t6 = performance.now();
console.log(JSON.stringify({
  instantiate: t1 - t0,
  build: t2 - t1,
  first: t3 - t2,
  total: t3 - t0,
  benignAfter: t4 - t3,
  threatAgain: t5 - t4,
  warmUp: t6 - t5,
  warmUpLongestStep: warmLongest,
  warmUpSteps: warmSteps,
  warned: first.warn && again.warn,
  memAfterFirst: memFirst,
}));
