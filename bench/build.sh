#!/usr/bin/env bash
# Builds what bench/compare.mjs measures, the way ./build.sh builds the shipped engine:
#   .cache/bench/engine/  extortion_guard_bg.wasm (wasm-bindgen --target web, then wasm-opt -Oz),
#                         extortion_guard.js, pack.bin (`extortion-guard pack rules`, what the
#                         extension loads) and pack.json (the same rules as JSON, for the JS peer)
#   .cache/bench/native   the path of the native side: benches/scan.rs built by `cargo bench --no-run`
# Honours CARGO_TARGET_DIR. Called by `./build.sh bench`, which installs the tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
OUT=.cache/bench/engine BG=.cache/bench/wasm-bindgen
mkdir -p "$OUT" "$BG"
profile=release; grep -q '^\[profile\.wasm\]' Cargo.toml && profile=wasm

echo "bench: cargo build --target wasm32-unknown-unknown --profile $profile"
cargo build --quiet --lib --target wasm32-unknown-unknown --profile "$profile"
wasm-bindgen --target web --out-dir "$BG" "$TARGET/wasm32-unknown-unknown/$profile/extortion_guard.wasm"
sha=$(cat "$BG/extortion_guard_bg.wasm" "$BG/extortion_guard.js" | sha256sum | cut -d' ' -f1)
if [ ! -f "$OUT/.stamp" ] || [ "$(cat "$OUT/.stamp")" != "$sha" ]; then
  echo "bench: wasm-opt -Oz"
  node_modules/.bin/wasm-opt -Oz "$BG/extortion_guard_bg.wasm" -o "$OUT/extortion_guard_bg.wasm"
  cp "$BG/extortion_guard.js" "$OUT/extortion_guard.js"
  echo "$sha" > "$OUT/.stamp"
fi

echo "bench: cargo build --release (CLI, pack, native bench)"
cargo build --quiet --release --bin extortion-guard
"$TARGET/release/extortion-guard" pack rules -o "$OUT/pack.bin"
"$TARGET/release/extortion-guard" pack rules -o "$OUT/pack.json"
cargo bench --quiet --bench scan --no-run --message-format=json 2>/dev/null \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){if(!l)continue;const m=JSON.parse(l);if(m.reason==="compiler-artifact"&&m.target.kind.includes("bench")&&m.target.name==="scan"&&m.executable)console.log(m.executable)}})' \
  > .cache/bench/native
[ -s .cache/bench/native ] || { echo "bench: the native bench binary was not built" >&2; exit 1; }
echo "bench: native $(cat .cache/bench/native)"
