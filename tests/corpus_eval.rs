//! Detection quality on the labelled corpora, with the shipped rules. These are the floors the
//! project promises; `extortion-guard eval` prints the full figures behind them.
//!
//! The real benign chat (chitchat-dataset, chatterbot-corpus, SpamAssassin ham) is installed from
//! the registries by `tests/corpus/fetch_benign.py` (`./build.sh test` runs it first). Run
//! `cargo test --release`: the benign set is a quarter of a million messages.

mod common;

use extortion_guard::eval::{evaluate, read_corpus, Line, Report};

fn corpus(relative: &str) -> Vec<Line> {
    let path = common::repo_path(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    read_corpus(relative, &text).unwrap()
}

fn report(files: &[&str]) -> Report {
    let lines: Vec<Line> = files.iter().flat_map(|f| corpus(f)).collect();
    assert!(!lines.is_empty());
    evaluate(&common::detector("rules"), &lines)
}

fn listing(r: &Report) -> String {
    extortion_guard::eval::render(r, 40)
}

#[test]
fn standalone_threats_are_caught() {
    let r = report(&["tests/corpus/threats.jsonl"]);
    assert!(r.messages.extortion() >= 400, "the corpus holds the threats");
    assert!(r.messages.recall >= 0.9, "recall {:.3} below 0.9\n{}", r.messages.recall, listing(&r));
}

#[test]
fn every_extortion_conversation_is_caught() {
    let r = report(&["tests/corpus/conversations.jsonl"]);
    assert!(r.conversations.extortion() >= 60);
    assert_eq!(r.conversations.false_negatives, 0, "missed conversations\n{}", listing(&r));
}

#[test]
fn hard_negatives_rarely_warn() {
    let r = report(&["tests/corpus/hard_negatives.jsonl", "tests/corpus/conversations.jsonl"]);
    let benign_lines = r.messages.benign() + r.conversation_lines.benign();
    let false_alarms = r.messages.false_positives + r.conversation_lines.false_positives;
    assert!(benign_lines >= 500);
    let rate = false_alarms as f64 / benign_lines as f64;
    assert!(rate <= 0.03, "false alarms on hard negatives {:.2}% > 3%\n{}", rate * 100.0, listing(&r));
    assert!(r.conversations.false_alarm_rate <= 0.03, "benign conversations warned\n{}", listing(&r));
}

#[test]
fn real_benign_chat_almost_never_warns() {
    let files = [".cache/corpora/chitchat.jsonl", ".cache/corpora/chatterbot.jsonl", ".cache/corpora/spamassassin-ham.jsonl"];
    if !files.iter().all(|f| common::repo_path(f).exists()) {
        assert!(
            std::env::var_os("EG_SKIP_BENIGN").is_some(),
            "the real benign corpora are not installed: run `python3 tests/corpus/fetch_benign.py` (./build.sh test does), or set EG_SKIP_BENIGN=1 to skip this test knowingly"
        );
        return;
    }
    let r = report(&files);
    let benign = r.messages.benign() + r.conversation_lines.benign();
    let alarms = r.messages.false_positives + r.conversation_lines.false_positives;
    assert!(benign >= 100_000, "only {benign} benign lines");
    let rate = alarms as f64 / benign as f64;
    println!("real benign chat: {alarms} warnings on {benign} lines ({:.4}%)", rate * 100.0);
    assert!(rate <= 0.0005, "false alarms on real chat {:.4}% > 0.05%\n{}", rate * 100.0, listing(&r));
}
