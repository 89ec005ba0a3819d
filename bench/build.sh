#!/usr/bin/env bash
# Builds what bench/compare.mjs measures, the way ./build.sh builds the shipped engine:
#   .cache/bench/engine/  extortion_guard_bg.wasm (wasm-bindgen --target web, then wasm-opt -O3),
#                         extortion_guard.js, pack.bin (`extortion-guard pack rules`, what the
#                         extension loads) and pack.json (the same rules as JSON, for the JS peer)
#   .cache/bench/compiler/ the compiling build (custom packs, the options page), for its size
#   .cache/bench/native   the path of the native side: benches/scan.rs built by `cargo bench --no-run`
# Honours CARGO_TARGET_DIR. Called by `./build.sh bench`, which installs the tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
# build.sh's functions (wasm_module), writing under .cache/bench/ instead of .cache/.
source ./build.sh
CACHE=$PWD/.cache/bench
TARGET=${CARGO_TARGET_DIR:-target}
OUT=.cache/bench/engine

# The two builds of build.sh's build_engine; the bench measures the first and reports the size of both.
wasm_module engine wasm-fast -O3 --no-default-features
wasm_module compiler wasm -Oz

echo "bench: cargo build --release (CLI, pack, native bench)"
cargo build --quiet --release --bin extortion-guard
"$TARGET/release/extortion-guard" pack rules -o "$OUT/pack.bin"
"$TARGET/release/extortion-guard" pack rules -o "$OUT/pack.json"
cargo bench --quiet --bench scan --no-run --message-format=json 2>/dev/null \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){if(!l)continue;const m=JSON.parse(l);if(m.reason==="compiler-artifact"&&m.target.kind.includes("bench")&&m.target.name==="scan"&&m.executable)console.log(m.executable)}})' \
  > .cache/bench/native
[ -s .cache/bench/native ] || { echo "bench: the native bench binary was not built" >&2; exit 1; }
echo "bench: native $(cat .cache/bench/native)"
