//! The properties the fuzz targets check (fuzz/fuzz_targets/*.rs include this file), and which
//! `cargo test` checks on the saved crashers (tests/fuzz-regressions/) and on generated input
//! (tests/properties.rs). Each function panics, with the input, when a property does not hold.
#![allow(dead_code)]

use extortion_guard::normalize::normalize;
use extortion_guard::rules::{build, parse_pack, RuleSet};
use extortion_guard::stream::{scan_jsonl, Stream};
use extortion_guard::{Detector, Message};
use std::path::Path;
use std::sync::OnceLock;

/// The repository: the tests are built in it, the fuzz targets in its `fuzz/` folder.
pub fn root() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if manifest.ends_with("fuzz") { manifest.parent().expect("fuzz/ is in the repository") } else { manifest }
}

fn load(rules: &str) -> Detector {
    let (set, _) = extortion_guard::rules::load_path(&root().join(rules)).unwrap_or_else(|p| panic!("rules: {p:#?}"));
    Detector::new(set).unwrap_or_else(|p| panic!("rules: {p:#?}")).0
}

/// The small test pack (tests/packs/mini), which the fuzz targets use: it scans fast enough for
/// millions of runs and still has Unicode, \\b and multi-pattern rules, spans that cross
/// normalised text and conversation combos.
pub fn mini() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| load("tests/packs/mini"))
}

/// The same rules loaded from their packed form (`Detector::to_packed`), as the extension loads them.
pub fn mini_packed() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::from_packed(&mini().to_packed()).expect("the mini pack loads from its packed form"))
}

/// The shipped rules (rules/).
pub fn shipped() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| load("rules"))
}

/// The policy every fuzzed pack is built against.
pub fn policy() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(|| std::fs::read_to_string(root().join("rules/policy.toml")).expect("rules/policy.toml"))
}

/// Normalisation maps every piece of its text back onto whole characters of the original, in
/// order; a message scanned twice gives the same verdict; every hit's span lies on character
/// boundaries of the original and its text is exactly that slice.
pub fn check_message(d: &Detector, text: &str) {
    check_normalized(text);
    let first = d.scan(text);
    let again = d.scan(text);
    assert_eq!(first, again, "two scans of {text:?} disagree");
    check_hits(text, &first.hits);
}

/// The packed detector judges every message exactly as the compiled one.
pub fn check_packed(text: &str) {
    assert_eq!(mini().scan(text), mini_packed().scan(text), "compiled and packed rules disagree on {text:?}");
}

/// Normalisation alone: every character of the normalised text maps back onto whole characters
/// of the original, in order, within the output bound; normalising again gives the same text.
pub fn check_normalized(text: &str) {
    let n = normalize(text);
    assert!(n.text.chars().count() <= extortion_guard::normalize::MAX_NORMALIZED_CHARS, "{} characters from {text:?}", n.text.chars().count());
    assert_eq!(normalize(text).text, n.text, "two normalisations of {text:?} disagree");
    let mut previous_start = 0;
    for (i, c) in n.text.char_indices() {
        let (s, e) = n.original_span(i, i + c.len_utf8());
        assert!(s <= e && e <= text.len(), "span {s}..{e} of {:?} in {text:?}", &n.text[i..]);
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e), "span {s}..{e} not on characters of {text:?}");
        assert!(s >= previous_start, "spans out of order in {text:?}");
        previous_start = s;
    }
    if !n.text.is_empty() {
        let (s, e) = n.original_span(0, n.text.len());
        assert!(s <= e && text.is_char_boundary(s) && text.is_char_boundary(e), "whole span {s}..{e} of {text:?}");
    }
}

fn check_hits(text: &str, hits: &[extortion_guard::Hit]) {
    for h in hits {
        assert!(h.start <= h.end && h.end <= text.len(), "hit {}..{} outside {text:?}", h.start, h.end);
        assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end), "hit {}..{} not on characters of {text:?}", h.start, h.end);
        assert_eq!(&text[h.start..h.end], h.text, "hit text of {} in {text:?}", h.rule);
    }
}

/// A conversation (one message a line): its verdict does not depend on another conversation that
/// came before in the same stream, and its hits point into the message they name.
pub fn check_conversation(d: &Detector, text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    let (other, ours) = lines.split_at(lines.len() / 2);
    let alone: Vec<_> = {
        let mut stream = Stream::new(d);
        ours.iter().map(|m| stream.push(m, Some("ours"), None).verdict).collect()
    };
    let after: Vec<_> = {
        let mut stream = Stream::new(d);
        for m in other {
            stream.push(m, Some("other"), None);
        }
        ours.iter().map(|m| stream.push(m, Some("ours"), None).verdict).collect()
    };
    assert_eq!(alone, after, "another conversation changed the verdicts of {ours:?}");
    let messages: Vec<Message> = lines.iter().map(|t| Message { text: t.to_string(), time: None }).collect();
    let verdict = d.assess(&messages);
    assert_eq!(verdict.message, d.scan(lines[lines.len() - 1]), "the newest message's verdict");
    for h in &verdict.conversation.hits {
        let m = h.message.expect("conversation hits name their message");
        check_hits(lines[m], std::slice::from_ref(h));
    }
}

/// `scan --jsonl`: one JSON object out for every line in, an error naming its line for the lines
/// that cannot be judged.
pub fn check_jsonl(d: &Detector, input: &[u8]) {
    let mut out = Vec::new();
    let mut told = 0;
    let bad = scan_jsonl(d, input, &mut out, |_| told += 1).expect("reading a slice and writing a Vec cannot fail");
    let expected_lines = input.split(|&b| b == b'\n').count() - usize::from(input.is_empty() || input.ends_with(b"\n"));
    let out = String::from_utf8(out).expect("the output is UTF-8");
    let lines: Vec<&str> = out.split_terminator('\n').collect();
    assert_eq!(lines.len(), expected_lines, "{expected_lines} lines in, {} out: {:?}", lines.len(), String::from_utf8_lossy(input));
    let mut errors = 0;
    for (i, line) in lines.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("output line {} is not JSON ({e}): {line}", i + 1));
        let object = value.as_object().unwrap_or_else(|| panic!("output line {} is not an object: {line}", i + 1));
        if let Some(error) = object.get("error") {
            errors += 1;
            assert_eq!(object.get("line"), Some(&serde_json::json!(i + 1)), "{line}");
            assert!(error.as_str().is_some_and(|e| e.starts_with(&format!("stdin line {}: ", i + 1))), "{line}");
        } else {
            for key in ["id", "warn", "level", "score", "categories", "hits"] {
                assert!(object.contains_key(key), "output line {} has no {key}: {line}", i + 1);
            }
        }
    }
    assert!(bad >= errors && told == bad, "{bad} bad lines, {errors} error lines, {told} told");
}

/// A rule pack from a stranger: read, built and checked without a panic, and every problem points
/// at a line of the file.
pub fn check_pack(policy: &str, text: &str) {
    let lines = text.split('\n').count();
    let in_file = |problems: &[extortion_guard::Problem]| {
        for p in problems {
            if p.file == "fuzz.toml" {
                assert!((1..=lines).contains(&p.line), "problem at line {} of a {lines}-line file: {p}", p.line);
            }
        }
    };
    match parse_pack("fuzz.toml", text) {
        Ok((_, warnings)) => in_file(&warnings),
        Err(problems) => {
            assert!(!problems.is_empty(), "an error without a problem");
            in_file(&problems);
        }
    }
    let Ok((set, warnings)) = build("policy.toml", policy, &[("fuzz.toml".to_string(), text.to_string())]) else { return };
    in_file(&warnings);
    let set: RuleSet = set;
    let (_, problems) = extortion_guard::check::check(set, warnings);
    in_file(&problems);
}
