#!/usr/bin/env bash
# Fuzzes the engine (issue 9): normalisation and scanning of single messages, conversations,
# `scan --jsonl` streams, and rule packs, with the properties of tests/props/mod.rs checked on
# every input. Uses cargo-fuzz (libFuzzer), built on the stable toolchain (RUSTC_BOOTSTRAP lets
# it take the flags cargo-fuzz passes; no nightly is needed).
#
#   tests/fuzz.sh [EXECUTIONS]     default 10,000,000 in all, shared between the targets
#
# FUZZ_JOBS targets run at once (default 2); FUZZ_SECONDS, when set, stops each target after that
# many seconds even if it has not run its share.
#
# Prints the executions each target ran and the total. Whatever a target finds (a crash, a
# property that fails, a run over the time limit) is copied to tests/fuzz-regressions/<target>/,
# which `cargo test --test properties` replays; the script then exits 1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
total=${1:-10000000}
jobs=${FUZZ_JOBS:-2}
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
fuzz_target_dir=$CARGO_TARGET_DIR/fuzz

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
(cd fuzz && CARGO_TARGET_DIR=$fuzz_target_dir cargo fuzz build -s none -O)
bin=$fuzz_target_dir/$(rustc -vV | sed -n 's/^host: //p')/release

# Seeds: the labelled corpora (never tests/corpus/blind/), the packs, and hostile shapes.
work=fuzz/corpus
mkdir -p "$work"/{normalize,scan,conversation,jsonl,pack} fuzz/artifacts
python3 - "$work" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
def put(target, name, data):
    with open(os.path.join(work, target, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode('utf-8'))
lines = []
for path in ['tests/corpus/threats.jsonl', 'tests/corpus/hard_negatives.jsonl', 'tests/corpus/conversations.jsonl']:
    if os.path.exists(path):
        lines += [l for l in open(path, encoding='utf-8') if l.strip()]
for i, line in enumerate(lines[::3]):
    text = json.loads(line)['text']
    put('scan', f'seed-{i}', text)
    put('normalize', f'seed-{i}', text)
for i in range(0, len(lines), 6):
    chunk = lines[i:i + 6]
    put('jsonl', f'seed-{i}', ''.join(chunk))
    put('conversation', f'seed-{i}', '\n'.join(json.loads(l)['text'] for l in chunk))
hostile = ['1 ' * 200, 'a@' * 200, '\u200b' * 300 + 'pay 300 or everyone sees it', 'i\u3164will\u3164send',
           '\ufdfa' * 50, '💰' * 100, 'p a y  m e  n o w', 'n.u.d.e.s', 'pay\x00 300\x01', '👍🏽🏴\U000e0067\U000e0062\U000e007f']
for i, h in enumerate(hostile):
    put('scan', f'hostile-{i}', h)
    put('normalize', f'hostile-{i}', h)
put('jsonl', 'hostile-0', b'{"id": 1, "text": "pay 300 \xff"}\n\n[1]\n{"text": 5}\n{"text": "x", "time": "t"}\r\n')
for path in glob.glob('rules/*.toml') + glob.glob('tests/packs/*/*.toml'):
    if path.endswith('policy.toml'):
        continue
    text = open(path, encoding='utf-8').read()
    head, *rules = text.split('[[rule]]')
    for k, rule in enumerate(rules[:20]):
        put('pack', f'{os.path.basename(os.path.dirname(path))}-{os.path.basename(path)}-{k}', head + '[[rule]]' + rule)
PY

# Shares of the executions: normalising and scanning are the surface a criminal reaches, so they
# get the most.
declare -A share=([normalize]=30 [scan]=30 [conversation]=15 [jsonl]=15 [pack]=10)
declare -A max_len=([normalize]=4096 [scan]=4096 [conversation]=4096 [jsonl]=4096 [pack]=8192)
log=fuzz/artifacts/logs
mkdir -p "$log"
run() {
    local target=$1 runs=$(( total * ${share[$1]} / 100 ))
    mkdir -p "fuzz/artifacts/$target"
    local limit=()
    if [ -n "${FUZZ_SECONDS:-}" ]; then limit=(-max_total_time="$FUZZ_SECONDS"); fi
    "$bin/$target" "$work/$target" -runs="$runs" "${limit[@]}" -max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 >"$log/$target.log" 2>&1 || true
}
pids=()
for target in normalize scan conversation jsonl pack; do
    run "$target" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
wait "${pids[@]}" || true

sum=0
found=0
for target in normalize scan conversation jsonl pack; do
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log/$target.log" | tail -1)
    runs=${runs:-0}
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log/$target.log" | tail -1)
    echo "fuzz $target: $runs executions${seconds:+ in ${seconds}s}"
    sum=$(( sum + runs ))
    for crasher in fuzz/artifacts/"$target"/{crash,timeout,oom,leak}-*; do
        [ -e "$crasher" ] || continue
        mkdir -p "tests/fuzz-regressions/$target"
        cp "$crasher" "tests/fuzz-regressions/$target/"
        echo "fuzz $target: FOUND $(basename "$crasher") -> tests/fuzz-regressions/$target/ (see $log/$target.log)"
        found=$(( found + 1 ))
    done
done
echo "fuzz: $sum executions in all, $found found"
[ "$found" -eq 0 ]
