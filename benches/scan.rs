//! Scanning speed on the labelled corpora with the full rule set, and the cost of compiling the
//! rules (paid each time the extension's service worker wakes up).
//!
//! `cargo bench --bench scan` prints criterion's figures and a plain ns/message line per corpus.
//!
//! `scan --serve PACK.json` is the native side of `bench/compare.mjs` (`./build.sh bench`): it
//! builds the detector from the same packed rule file the wasm loads, prints `ready <ns>` (the
//! build time), then answers each stdin line (a JSON string, the message) with
//! `<ns> <level> <warn>`: the time of `Detector::scan` alone, measured here, so the pipe between the
//! two processes is not counted.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use extortion_guard::rules::load_path;
use extortion_guard::{Detector, Message};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn corpus_texts() -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = ["tests/corpus", ".cache/corpora"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let texts = std::fs::read_to_string(&p)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .take(20_000)
                .collect();
            (p.file_name().unwrap().to_string_lossy().into_owned(), texts)
        })
        .filter(|(_, t): &(String, Vec<String>)| !t.is_empty())
        .collect()
}

fn detector() -> Detector {
    let (set, _) = load_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")).expect("rules load");
    Detector::new(set).expect("rules compile").0
}

fn bench(c: &mut Criterion) {
    let d = detector();
    let corpora = corpus_texts();
    // A plain figure first, independent of criterion's statistics.
    for (name, texts) in &corpora {
        let start = Instant::now();
        for t in texts {
            black_box(d.scan(t));
        }
        let ns = start.elapsed().as_nanos() as f64 / texts.len() as f64;
        let bytes: usize = texts.iter().map(String::len).sum();
        println!("scan {name}: {} messages, {:.0} bytes average, {ns:.0} ns/message", texts.len(), bytes as f64 / texts.len() as f64);
    }
    let mut group = c.benchmark_group("scan");
    for (name, texts) in &corpora {
        let sample: Vec<&String> = texts.iter().take(2_000).collect();
        group.throughput(Throughput::Elements(sample.len() as u64));
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                for t in &sample {
                    black_box(d.scan(t));
                }
            })
        });
    }
    group.finish();
    let conversation: Vec<Message> = corpora
        .iter()
        .flat_map(|(_, t)| t.iter().take(12))
        .take(12)
        .map(|t| Message { text: t.clone(), time: None })
        .collect();
    c.bench_function("assess a 12-message conversation", |b| b.iter(|| black_box(d.assess(&conversation))));
    c.bench_function("compile the rules", |b| b.iter(|| black_box(detector())));
    let packed = d.to_packed();
    c.bench_function("load the packed rules", |b| b.iter(|| black_box(Detector::from_packed(&packed).expect("packed rules load"))));
}

/// The native engine for `bench/compare.mjs`; see the top of this file.
fn serve(pack: &str) {
    use std::io::{BufRead, Write};
    let start = Instant::now();
    let bytes = std::fs::read(pack).expect("pack file");
    let d = Detector::from_packed(&bytes).expect("a packed rule file");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "ready {}", start.elapsed().as_nanos()).unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let text: String = serde_json::from_str(&line).expect("a JSON string per line");
        let t = Instant::now();
        let v = black_box(d.scan(black_box(&text)));
        let ns = t.elapsed().as_nanos();
        writeln!(out, "{ns} {} {}", v.level, v.warn).unwrap();
        out.flush().unwrap();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
/// `--matcher PACK.json`: what the regex patterns alone cost, natively: building the matcher,
/// compiling every pattern, and the memory the matcher counts.
fn matcher_costs(pack: &str) {
    let set: extortion_guard::RuleSet = serde_json::from_str(&std::fs::read_to_string(pack).expect("pack file")).expect("a packed rule file");
    let sources: Vec<&str> = set.rules.iter().flat_map(|r| r.patterns.iter().map(String::as_str)).collect();
    let t = Instant::now();
    let (m, _) = extortion_guard::matcher::Matcher::new(&sources).map_err(|_| "patterns").expect("patterns compile");
    println!("{} patterns: Matcher::new {:.1} ms, memory {:?}", sources.len(), t.elapsed().as_secs_f64() * 1e3, m.memory_usage());
    let t = Instant::now();
    let problems = m.compile_all();
    println!("compile_all {:.1} ms ({} problems), memory (compiled, caches) {:?}", t.elapsed().as_secs_f64() * 1e3, problems.len(), m.memory_usage());
    let t = Instant::now();
    let d = Detector::new(set).expect("rules compile").0;
    println!("Detector::new {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    black_box(d);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--matcher") {
        return matcher_costs(args.get(i + 1).expect("--matcher PACK.json"));
    }
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        return serve(args.get(i + 1).expect("--serve PACK.bin"));
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
