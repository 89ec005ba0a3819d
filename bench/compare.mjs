// The side-by-side benchmark of issue 8 (`./build.sh bench`, which builds what this measures with
// bench/build.sh). In ONE Node process, message by message and interleaved (the order of the three
// engines rotates per message), on a fixed seeded sample of real chat:
//   wasm    the engine as the extension ships it (wasm-bindgen web glue, wasm-opt -O3), timed in JS
//           around `det.scanMessage(text)` (so JS↔wasm string passing and the verdict object count);
//   native  the same pack in the native engine: benches/scan.rs `--serve`, one child process fed one
//           message per line; it times `Detector::scan` itself (the pipe is not counted);
//   peer    a naive JS engine: every rule's regex `patterns` as `new RegExp(p, 'u')`, and every
//           clause rule's `all`/`any` phrases translated to one JS RegExp each (a vocabulary
//           reference is "any word" there, and the vocabulary's own RegExp, an alternation of its
//           words, must match the message too; a plain word is a prefix since JS has no stemmer,
//           `#` a number, `..N` a bounded gap), run with `.test()` on the lower-cased message. No
//           normalisation, no sentence scoping, no `unless`, no policy: it does less than the
//           engine, so peer/wasm flatters the peer.
// Then: cold starts in fresh processes (bench/cold.mjs), wasm memory after building and after each
// pass of 20,000 messages, per-byte cost from 100 B to 64 KB, and sizes.
//
//   node bench/compare.mjs [--messages N] [--readme] [--seed S]
//     --messages N  messages per pass (default 20000; two passes, disjoint)
//     --readme      also write the figures into bench/README.md (between the `bench:latest` marks)
//   EG_BENCH_ENGINE=DIR, EG_BENCH_NATIVE=BINARY measure another build (e.g. a saved copy, for before/after)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE = process.env.EG_BENCH_ENGINE || join(ROOT, '.cache/bench/engine');
const CORPORA = join(ROOT, '.cache/corpora');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i < 0 ? dflt : process.argv[i + 1]; };
const PER_PASS = Number(arg('--messages', 20000));
const SEED = Number(arg('--seed', 8));
const WRITE_README = process.argv.includes('--readme');

// ------------------------------------------------------------------------------------ the sample
function rng(seed) { // mulberry32
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const random = rng(SEED);
const shuffle = (xs) => { for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; } return xs; };
const readTexts = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text).filter((t) => typeof t === 'string' && t.trim());
const nonLatin = (t) => /[^\u0000-\u024f\u1e00-\u1eff\u2000-\u206f\p{Emoji}\s]/u.test(t);

for (const f of ['chitchat.jsonl', 'chatterbot.jsonl', 'spamassassin-ham.jsonl']) {
  if (!existsSync(join(CORPORA, f))) { console.error(`missing ${f}: run python3 tests/corpus/fetch_benign.py`); process.exit(1); }
}
const pools = {
  chitchat: shuffle(readTexts(join(CORPORA, 'chitchat.jsonl'))),
  nonLatin: shuffle(readTexts(join(CORPORA, 'chatterbot.jsonl')).filter(nonLatin)),
  email: shuffle(readTexts(join(CORPORA, 'spamassassin-ham.jsonl'))),
  threats: shuffle(readTexts(join(ROOT, 'tests/corpus/threats.jsonl'))),
};
// Per pass: 65% chat lines, 17.5% non-Latin lines, 12.5% e-mail paragraphs, 5% threats (drawn
// with replacement once a pool is used up, which only the small pools are).
const SHARE = { chitchat: 0.65, nonLatin: 0.175, email: 0.125, threats: 0.05 };
function draw(pass) {
  const out = [];
  for (const [k, share] of Object.entries(SHARE)) {
    const n = Math.round(PER_PASS * share), pool = pools[k];
    for (let i = 0; i < n; i++) out.push({ kind: k, text: pool[(pass * n + i) % pool.length] });
  }
  return shuffle(out);
}
const passes = [draw(0), draw(1)];

// ---------------------------------------------------------------------------------------- engines
const bytes = readFileSync(join(ENGINE, 'extortion_guard_bg.wasm'));
const packBin = readFileSync(join(ENGINE, 'pack.bin'));
const pack = JSON.parse(readFileSync(join(ENGINE, 'pack.json'), 'utf8')); // the rules, for the peer
const { default: init, Detector } = await import(pathToFileURL(join(ENGINE, 'extortion_guard.js')).href);
const wasm = await init({ module_or_path: bytes });
const wasmMiB = () => wasm.memory.buffer.byteLength / 2 ** 20;
const memBefore = wasmMiB();
let t = performance.now();
const det = new Detector(packBin);
const wasmBuildMs = performance.now() - t;
const mem = { beforeBuild: memBefore, afterBuild: wasmMiB() };

const nativeBin = process.env.EG_BENCH_NATIVE || readFileSync(join(ROOT, '.cache/bench/native'), 'utf8').trim();
const native = spawn(nativeBin, ['--serve', join(ENGINE, 'pack.bin')], { stdio: ['pipe', 'pipe', 'inherit'] });
const nativeLines = createInterface({ input: native.stdout });
const waiting = [];
nativeLines.on('line', (l) => waiting.shift()(l));
const nativeLine = () => new Promise((r) => waiting.push(r));
const nativeReady = Number((await nativeLine()).split(' ')[1]) / 1e6;
async function nativeScan(text) {
  const p = nativeLine();
  native.stdin.write(JSON.stringify(text) + '\n');
  const [ns, level, warn] = (await p).split(' ');
  return { ms: Number(ns) / 1e6, level, warn: warn === 'true' };
}
const nativeRssMiB = () => {
  const m = readFileSync(`/proc/${native.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) / 1024 : NaN;
};
mem.nativeAfterBuild = nativeRssMiB();

// The naive JS peer (see the top of this file).
function buildPeer(pack) {
  const W = '[\\p{L}\\p{M}\\p{N}]', NW = '[^\\p{L}\\p{M}\\p{N}]+';
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const vocabs = new Map(pack.vocabularies.map((v) => [`${v.pack}.${v.name}`, v]));
  const stats = { patterns: 0, patternsSkipped: 0, phrases: 0, phrasesSkipped: 0, vocabularies: 0, vocabulariesSkipped: 0 };
  // A vocabulary reference becomes "any word" in the phrase's RegExp, plus the condition that the
  // vocabulary's own RegExp (an alternation of its words, references again "any word") matches
  // the message: inlining nested vocabularies makes V8's compiled RegExps explode.
  function phrase(src, packName, refs) {
    if (src.startsWith('re:')) return `(?:${src.slice(3)})`;
    let out = '', glue = false;
    for (const part of src.trim().split(/\s+/)) {
      const sep = out && !glue ? NW : '';
      glue = false;
      if (part.startsWith('{')) {
        const name = part.slice(1, -1);
        refs.add(name.includes('.') ? name : `${packName}.${name}`);
        out += sep + `${W}+`;
      } else if (part.startsWith('..')) {
        out += sep + `(?:${W}+${NW}){0,${Number(part.slice(2))}}`; glue = true;
      } else if (part === '#') out += sep + '\\d[\\d.,]*k?';
      else if (part === '_') out += sep + `${W}+`;
      else out += sep + `(?:${part.split('|').map((w) => w.startsWith('=') ? esc(w.slice(1)) : esc(w.replace(/\*$/, '')) + `${W}*`).join('|')})`;
    }
    return out;
  }
  const compile = (src, kind) => {
    try { stats[kind]++; return new RegExp(src, 'u'); } catch { stats[`${kind}Skipped`]++; return null; }
  };
  const vocabRe = new Map();
  for (const [key, v] of vocabs) vocabRe.set(key, compile(`(?<!${W})(?:${v.words.map((w) => phrase(w, v.pack, new Set())).join('|')})(?!${W})`, 'vocabularies'));
  const clause = (p, pack) => { const refs = new Set(); const re = compile(`(?<!${W})${phrase(p, pack, refs)}(?!${W})`, 'phrases'); return re && { re, refs: [...refs].map((k) => vocabRe.get(k)).filter(Boolean) }; };
  const rules = pack.rules.map((r) => ({
    patterns: (r.patterns || []).map((p) => compile(p, 'patterns')).filter(Boolean),
    all: (r.all || []).map((p) => clause(p, r.pack)).filter(Boolean),
    any: (r.any || []).map((p) => clause(p, r.pack)).filter(Boolean),
  }));
  const scan = (text) => {
    const t = text.toLowerCase();
    const memo = new Map();
    const has = (re) => { let v = memo.get(re); if (v === undefined) { v = re.test(t); memo.set(re, v); } return v; };
    const holds = (c) => c.refs.every(has) && c.re.test(t);
    let hits = 0;
    for (const r of rules) {
      if (r.patterns.some((re) => re.test(t))) hits++;
      else if (r.all.length && r.all.every(holds) && (!r.any.length || r.any.some(holds))) hits++;
    }
    return hits;
  };
  return { scan, stats };
}
t = performance.now();
const peer = buildPeer(pack);
const peerBuildMs = performance.now() - t;

// ------------------------------------------------------------------------------- the two passes
const quantile = (xs, q) => { const s = Float64Array.from(xs).sort(); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
// The background compiles ahead of need while idle after a wake (`warmUpStep`, one piece per
// task); chat messages arrive seconds apart, so here one step runs after each message of pass 1,
// timed on its own, until nothing is left.
const warm = { steps: 0, total: 0, longest: 0, doneAfter: null };
function warmUpStep(i) {
  if (warm.doneAfter !== null) return;
  const t0 = performance.now();
  const more = det.warmUpStep();
  const ms = performance.now() - t0;
  if (!more) { warm.doneAfter = i + 1; return; }
  warm.steps++; warm.total += ms; warm.longest = Math.max(warm.longest, ms);
}
async function runPass(sample, warmUp = false) {
  const times = { wasm: [], native: [], peer: [] };
  let disagree = 0, wasmWarned = 0;
  let slowest = { ms: 0, bytes: 0, kind: '' }, over20 = 0, nativeSlowest = 0;
  for (let i = 0; i < sample.length; i++) {
    const { text, kind } = sample[i];
    let wv, nv;
    for (let k = 0; k < 3; k++) {
      const which = (i + k) % 3;
      if (which === 0) { const t0 = performance.now(); wv = det.scanMessage(text); times.wasm.push(performance.now() - t0); }
      else if (which === 1) { nv = await nativeScan(text); times.native.push(nv.ms); }
      else { const t0 = performance.now(); peer.scan(text); times.peer.push(performance.now() - t0); }
    }
    if (wv.level !== nv.level) disagree++;
    if (wv.warn) wasmWarned++;
    const b = Buffer.byteLength(text), ms = times.wasm[times.wasm.length - 1];
    if (b <= 4096) {
      if (ms > slowest.ms) slowest = { ms, bytes: b, kind };
      if (ms > 20) over20++;
      nativeSlowest = Math.max(nativeSlowest, nv.ms);
    }
    if (warmUp) warmUpStep(i);
  }
  const stat = (xs) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs), total: sum(xs) });
  return {
    wasm: stat(times.wasm), native: stat(times.native), peer: stat(times.peer),
    disagree, wasmWarned, slowest, over20, nativeSlowest,
    bytes: sum(sample.map((m) => Buffer.byteLength(m.text))),
  };
}
const pass1 = await runPass(passes[0], true);
mem.afterPass1 = wasmMiB(); mem.nativeAfterPass1 = nativeRssMiB();
const pass2 = await runPass(passes[1]);
mem.afterPass2 = wasmMiB(); mem.nativeAfterPass2 = nativeRssMiB();

// ------------------------------------------------------------------------------- per-byte cost
// Texts of exactly N bytes made of real benign messages joined by line breaks: "ascii" from
// ASCII-only chat and e-mail, "mixed" with every fifth piece a non-Latin line.
const SIZES = [100, 1024, 4096, 16384, 65536];
function makeText(size, mixed) {
  const parts = []; let n = 0;
  while (n < size + 64) {
    const pool = mixed && parts.length % 5 === 4 ? pools.nonLatin : (random() < 0.5 ? pools.email : pools.chitchat);
    let s = pool[Math.floor(random() * pool.length)];
    if (!mixed && !/^[\x00-\x7f]*$/.test(s)) continue;
    parts.push(s); n += Buffer.byteLength(s) + 1;
  }
  const buf = Buffer.from(parts.join('\n'));
  let end = size; while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString();
}
const perByte = {};
for (const mixed of [false, true]) {
  const key = mixed ? 'mixed' : 'ascii';
  perByte[key] = {};
  const texts = SIZES.map((s) => Array.from({ length: Math.max(3, Math.round(256 * 1024 / s / 4)) }, () => makeText(s, mixed)));
  const acc = SIZES.map(() => ({ wasm: 0, native: 0, bytes: 0 }));
  for (let round = 0; round < 3; round++) {
    for (let si = 0; si < SIZES.length; si++) {
      for (const text of texts[si]) {
        const t0 = performance.now(); det.scanMessage(text); const w = performance.now() - t0;
        const nv = await nativeScan(text);
        if (round > 0) { acc[si].wasm += w; acc[si].native += nv.ms; acc[si].bytes += Buffer.byteLength(text); }
      }
    }
  }
  SIZES.forEach((s, si) => { perByte[key][s] = { wasm: acc[si].wasm * 1e6 / acc[si].bytes, native: acc[si].native * 1e6 / acc[si].bytes }; });
}
mem.afterLong = wasmMiB(); mem.nativeAfterLong = nativeRssMiB();
native.stdin.end();

// ----------------------------------------------------------------------------------- cold start
const threat = pools.threats.find((t) => /[a-z]/.test(t) && /pay|send|leak/i.test(t)) || pools.threats[0];
const colds = [];
const COLD_RUNS = 7;
for (let i = 0; i < COLD_RUNS; i++) {
  colds.push(JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bench/cold.mjs'), ENGINE, threat], { encoding: 'utf8' })));
}
const med = (k) => quantile(colds.map((c) => c[k]), 0.5);
const worst = (k) => Math.max(...colds.map((c) => c[k]));

// --------------------------------------------------------------------------------------- sizes
const gz = (b) => gzipSync(b, { level: 9 }).length;
const sizes = { wasm: bytes.length, wasmGz: gz(bytes), pack: packBin.length, packGz: gz(packBin) };
const compilerWasm = join(ENGINE, '..', 'compiler', 'extortion_guard_bg.wasm');
if (existsSync(compilerWasm)) { const b = readFileSync(compilerWasm); sizes.compiler = b.length; sizes.compilerGz = gz(b); }

// ---------------------------------------------------------------------------------------- report
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
let commit = '?';
try {
  commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'rules', 'Cargo.toml', 'Cargo.lock'], { encoding: 'utf8' }).trim()) commit += '+dirty';
} catch {}
const nRules = pack.rules.length, nPatterns = pack.rules.reduce((a, r) => a + (r.patterns || []).length, 0);
const nClause = pack.rules.filter((r) => (r.all || []).length).length;
const L = [];
L.push(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit}; ${nRules} rules (${nPatterns} regex patterns, ${nClause} clause rules, ${pack.vocabularies.length} vocabularies); seed ${SEED}, ${PER_PASS} messages per pass (${Object.entries(SHARE).map(([k, s]) => `${k} ${s * 100}%`).join(', ')}).`);
L.push('');
L.push('| per message, pass 2 (steady) | p50 ms | p99 ms | max ms | total ms |');
L.push('|---|---:|---:|---:|---:|');
for (const e of ['wasm', 'native', 'peer']) L.push(`| ${e} | ${f(pass2[e].p50, 3)} | ${f(pass2[e].p99, 3)} | ${f(pass2[e].max, 1)} | ${f(pass2[e].total, 0)} |`);
L.push('');
L.push(`- **wasm/native**: ${f(pass2.wasm.total / pass2.native.total)}× total, ${f(pass2.wasm.p50 / pass2.native.p50)}× p50 (pass 1: ${f(pass1.wasm.total / pass1.native.total)}× total)`);
L.push(`- **peer/wasm**: ${f(pass2.peer.total / pass2.wasm.total)}× total, ${f(pass2.peer.p50 / pass2.wasm.p50)}× p50 (the peer compiled ${peer.stats.patterns - peer.stats.patternsSkipped}/${peer.stats.patterns} patterns ${peer.stats.phrases - peer.stats.phrasesSkipped}/${peer.stats.phrases} phrases and ${peer.stats.vocabularies - peer.stats.vocabulariesSkipped}/${peer.stats.vocabularies} vocabularies as JS RegExp, in ${f(peerBuildMs, 0)} ms)`);
L.push(`- pass 1 (first pass, lazy work included): wasm total ${f(pass1.wasm.total, 0)} ms, p99 ${f(pass1.wasm.p99, 3)} ms; **longest message ≤ 4 KB: ${f(pass1.slowest.ms, 1)} ms** (${pass1.slowest.bytes} B, ${pass1.slowest.kind}), ${pass1.over20} over 20 ms; native longest ≤ 4 KB ${f(pass1.nativeSlowest, 1)} ms; pass 2 longest ≤ 4 KB ${f(pass2.slowest.ms, 1)} ms`);
L.push(`- warm-up between pass-1 messages (\`warmUpStep\`, as the background runs it while idle): ${warm.steps} steps, ${f(warm.total, 1)} ms in all, **longest step ${f(warm.longest, 1)} ms**, done after message ${warm.doneAfter ?? 'never'}`);
L.push(`- verdict levels wasm ≠ native: ${pass1.disagree + pass2.disagree} of ${2 * PER_PASS}; wasm warned on ${pass1.wasmWarned + pass2.wasmWarned}`);
L.push('');
L.push(`| cold start, wasm, ${COLD_RUNS} fresh processes | median ms | worst ms |`);
L.push('|---|---:|---:|');
for (const [k, label] of [['instantiate', 'instantiate'], ['build', '`new Detector(pack.bin)`'], ['first', 'first verdict (a threat)'], ['total', '**instantiate → first verdict**'], ['benignAfter', 'next message (benign)'], ['threatAgain', 'the threat again'], ['warmUp', 'then the whole warm-up (`warmUpStep` until done)'], ['warmUpLongestStep', 'its longest step']]) L.push(`| ${label} | ${f(med(k), 1)} | ${f(worst(k), 1)} |`);
L.push('');
L.push(`In this process: \`new Detector\` ${f(wasmBuildMs, 0)} ms in wasm, ${f(nativeReady, 0)} ms native (reading pack.bin included).`);
L.push('');
L.push('| memory, MiB | wasm `memory.buffer` | native RSS |');
L.push('|---|---:|---:|');
L.push(`| after instantiate | ${f(mem.beforeBuild, 1)} | |`);
L.push(`| after \`new Detector\` | ${f(mem.afterBuild, 1)} | ${f(mem.nativeAfterBuild, 1)} |`);
L.push(`| after pass 1 (${PER_PASS} messages) | ${f(mem.afterPass1, 1)} | ${f(mem.nativeAfterPass1, 1)} |`);
L.push(`| after pass 2 (${PER_PASS} more) | ${f(mem.afterPass2, 1)} | ${f(mem.nativeAfterPass2, 1)} |`);
L.push(`| after the long texts below | ${f(mem.afterLong, 1)} | ${f(mem.nativeAfterLong, 1)} |`);
L.push('');
L.push('| per byte, ns | ' + SIZES.map((s) => (s < 1024 ? `${s} B` : kb(s))).join(' | ') + ' | 64K/1K |');
L.push('|---|' + SIZES.map(() => '---:').join('|') + '|---:|');
for (const key of ['ascii', 'mixed']) for (const e of ['wasm', 'native']) {
  const row = perByte[key];
  L.push(`| ${e}, ${key} | ` + SIZES.map((s) => f(row[s][e], 1)).join(' | ') + ` | ${f(row[65536][e] / row[1024][e])}× |`);
}
L.push('');
L.push(`Sizes: wasm ${kb(sizes.wasm)} (${kb(sizes.wasmGz)} gzip), pack.bin ${kb(sizes.pack)} (${kb(sizes.packGz)} gzip)` + (sizes.compiler ? `; the compiling build, loaded only for custom packs and the options page, ${kb(sizes.compiler)} (${kb(sizes.compilerGz)} gzip).` : '.'));
const report = L.join('\n');
console.log(report);

if (WRITE_README) {
  const file = join(ROOT, 'bench/README.md');
  const readme = readFileSync(file, 'utf8');
  const start = '<!-- bench:latest -->', end = '<!-- /bench:latest -->';
  const i = readme.indexOf(start), j = readme.indexOf(end);
  if (i < 0 || j < 0) { console.error(`bench/README.md has no ${start} … ${end} marks`); process.exit(1); }
  writeFileSync(file, readme.slice(0, i + start.length) + '\n' + report + '\n' + readme.slice(j));
  console.log('\nwritten to bench/README.md');
}
