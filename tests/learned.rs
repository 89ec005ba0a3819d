//! The learned cue in the engine: it confirms a tactic the rules saw in the same message, it never
//! warns alone, it names the words it read, and it survives packing. Its training is tested in
//! src/learn.rs; the shipped cue's effect is measured by `eval` (tests/corpus/blind/RESULTS.md).

mod common;

use extortion_guard::rules::load_path;
use extortion_guard::{Detector, Level, Message};

/// A rules folder of the mini pack (tests/packs/mini) with the policy and the cue file given.
fn folder(name: &str, learned: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eg-learned-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(common::repo_path("tests/packs/mini/mini.toml"), dir.join("mini.toml")).unwrap();
    std::fs::copy(common::repo_path("tests/packs/learned/policy.toml"), dir.join("policy.toml")).unwrap();
    std::fs::write(dir.join("learned.toml"), learned).unwrap();
    dir
}

/// The mini pack with the policy and hand-made cue of tests/packs/learned.
fn detector() -> Detector {
    let cue = std::fs::read_to_string(common::repo_path("tests/packs/learned/learned.toml")).unwrap();
    let dir = folder(&format!("{:?}", std::thread::current().id()), &cue);
    let loaded = load_path(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let (set, _) = loaded.unwrap_or_else(|p| panic!("{p:#?}"));
    Detector::new(set).unwrap_or_else(|p| panic!("{p:#?}")).0
}

#[test]
fn the_cue_confirms_a_lone_tactic_of_its_message_and_says_which_words() {
    let text = "I have your video. You will regret it, I will ruin you or else";
    let v = detector().scan(text);
    assert_eq!(v.level, Level::Medium, "{v:?}");
    assert!(v.warn);
    assert_eq!(v.categories, ["learned", "possession"]);
    let reasons: Vec<&str> = v.hits.iter().filter(|h| h.rule == extortion_guard::learn::RULE).map(|h| h.text.as_str()).collect();
    assert!(reasons.contains(&"ruin") && reasons.contains(&"regret"), "{reasons:?}");
    for h in &v.hits {
        assert_eq!(&text[h.start..h.end], h.text, "spans are in the original text");
    }
}

#[test]
fn without_the_cue_the_same_tactic_stays_silent() {
    let without = common::detector("tests/packs/mini").scan("I have your video. You will regret it, I will ruin you or else");
    assert_eq!(without.level, Level::None);
    let weak = detector().scan("I have your video from the party");
    assert_eq!(weak.level, Level::None, "{weak:?}");
}

#[test]
fn the_cue_alone_never_warns() {
    let v = detector().scan("you will regret this, I will ruin you or else");
    assert!(v.categories.is_empty() && v.hits.is_empty(), "{v:?}");
    assert_eq!(v.level, Level::None);
    assert!(!v.warn);
    let scored = detector().rules().learned.as_ref().unwrap().read("you will regret this, i will ruin you or else");
    assert!(scored.score >= 0.5, "the cue itself fires here: {scored:?}");
}

#[test]
fn the_cue_does_not_pair_with_a_neighbouring_message() {
    let d = detector();
    let messages = [
        Message { text: "I have your video lol".into(), time: Some(0.0) },
        Message { text: "you will regret this, I will ruin you or else".into(), time: Some(60_000.0) },
    ];
    let v = d.assess(&messages);
    assert_eq!(v.conversation.level, Level::None, "{:?}", v.conversation);
}

#[test]
fn a_reported_threat_counts_for_nothing_with_the_cue_too() {
    let v = detector().scan("scammers say: I have your video, you will regret it, I will ruin you");
    assert_eq!(v.level, Level::None, "{v:?}");
}

#[test]
fn a_packed_detector_keeps_the_cue() {
    let d = detector();
    let packed = Detector::from_packed(&d.to_packed()).unwrap();
    let text = "I have your video. You will regret it, I will ruin you or else";
    assert_eq!(packed.scan(text), d.scan(text));
    assert!(packed.rules().learned.is_some());
}

#[test]
fn a_broken_cue_file_is_named_with_its_line() {
    let dir = folder("broken", "[learned]\nthreshold = 1.0\nbias = 0\n\n[weights]\n\"ruin\" = \"much\"\n");
    let problems = load_path(&dir).err().expect("a broken cue is an error");
    let text = problems[0].to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(text.contains("learned.toml:6: error:"), "{text}");
}
