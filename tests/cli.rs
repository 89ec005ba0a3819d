//! The command line as volunteers and other tools use it: exit codes, the messages for broken
//! packs, and the exact `scan --jsonl` contract.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_extortion-guard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A broken pack: exit 1, no panic, and the message names file, line and rule.
fn assert_broken(file: &str, expected: &[&str]) {
    let path = format!("tests/packs/broken/{file}");
    let out = run(&["rules", "check", &path], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{file}: expected {e:?} in:\n{stderr}");
    }
}

#[test]
fn bad_regex_is_pointed_at() {
    assert_broken("bad_regex.toml", &["bad_regex.toml:13: rule broken.threat.unclosed: error", "unclosed group", "\\bi will (post|leak it\n", "             ^"]);
}

#[test]
fn duplicate_id_names_both_places() {
    assert_broken("duplicate_id.toml", &["duplicate_id.toml:16: rule broken.threat.twice", "already defined at tests/packs/broken/duplicate_id.toml:6"]);
}

#[test]
fn missing_field_names_the_rule() {
    assert_broken("missing_field.toml", &["missing_field.toml:6: rule broken.threat.no-weight: error: missing field `weight`"]);
}

#[test]
fn empty_match_is_refused() {
    assert_broken("empty_match.toml", &["rule broken.threat.matches-empty", "empty string"]);
}

#[test]
fn oversized_pattern_is_refused() {
    assert_broken("too_big.toml", &["rule broken.threat.huge", "too large"]);
}

#[test]
fn unknown_category_and_language() {
    assert_broken("unknown_category.toml", &["unknown category `sorcery`", "unknown language `xx`"]);
}

#[test]
fn failing_examples_are_reported() {
    assert_broken("failing_example.toml", &["does not match its example \"post it\"", "matches its counter-example \"i will leak it\""]);
}

#[test]
fn not_toml_gives_the_line() {
    assert_broken("not_toml.toml", &["not_toml.toml:7: error: not a valid rule file"]);
}

#[test]
fn the_shipped_rules_pass_the_check() {
    let out = run(&["rules", "check"], "");
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("ok: "));
}

#[test]
fn scan_jsonl_contract() {
    let input = [
        r#"{"id": 1, "text": "I have ur video", "conversation": "c1", "time": 0}"#,
        r#"{"id": "two", "text": "hello there"}"#,
        r#"{"id": 3, "text": "pay 300", "conversation": "c1", "time": 60000}"#,
        r#"{"id": 4, "text": "pay 300", "conversation": "c2"}"#,
        r#"{"id": 5, "text": "thanks", "conversation": "c1", "time": 90000}"#,
    ]
    .join("\n");
    let out = run(&["scan", "--rules", "tests/packs/mini", "--jsonl"], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    let keys: Vec<&str> = lines[0].as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec!["id", "warn", "level", "score", "categories", "hits"];
    expected.sort();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    assert_eq!(keys_sorted, expected);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["warn"], false);
    assert_eq!(lines[1]["id"], "two");
    assert_eq!(lines[1]["level"], "none");
    // The second message of c1 completes possession + demand.
    assert_eq!(lines[2]["warn"], true);
    assert_eq!(lines[2]["level"], "medium");
    assert_eq!(lines[2]["categories"], serde_json::json!(["demand", "possession"]));
    let hit = &lines[2]["hits"][0];
    assert_eq!(hit, &serde_json::json!({"rule": "mini.demand.pay", "category": "demand", "start": 0, "end": 7, "text": "pay 300"}));
    // Another conversation does not inherit c1's claim.
    assert_eq!(lines[3]["warn"], false);
    // Ordinary chat after the threat is not flagged again.
    assert_eq!(lines[4]["warn"], false);
    assert_eq!(lines[4]["hits"], serde_json::json!([]));
}

#[test]
fn scan_jsonl_byte_offsets_and_bad_lines() {
    let input = "{\"id\": 1, \"text\": \"é pay 300 or everyone sees it\"}\nnot json\n{\"id\": 3}\n";
    let out = run(&["scan", "--rules", "tests/packs/mini", "--jsonl"], input);
    assert_eq!(out.status.code(), Some(2), "bad lines give exit 2");
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "every input line gets an answer");
    assert_eq!(lines[0]["hits"][0]["start"], 3, "byte offsets: é is two bytes");
    assert_eq!(lines[0]["level"], "high");
    assert_eq!(lines[2]["id"], 3);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("stdin line 2: not JSON"), "{stderr}");
    assert!(stderr.contains("stdin line 3: no \"text\""), "{stderr}");
}

#[test]
fn scan_prints_phrases_and_rules() {
    let out = run(&["scan", "--rules", "tests/packs/mini", "pay me $500 or everyone sees it"], "");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("WARN level=high"), "{stdout}");
    assert!(stdout.contains("[[pay me $500]] or [[everyone sees it]]"), "{stdout}");
    assert!(stdout.contains("mini.threat.everyone-sees [threat]"), "{stdout}");
}

#[test]
fn pack_writes_what_the_engine_loads() {
    let dir = std::env::temp_dir().join(format!("eg-pack-{}", std::process::id()));
    let file = dir.join("rules.json");
    let out = run(&["pack", "tests/packs/mini", "-o", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let set: extortion_guard::RuleSet = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(set.rules.len(), 7);
    let (d, _) = extortion_guard::Detector::new(set).unwrap();
    assert!(d.scan("pay 300 or everyone sees it").warn);
    std::fs::remove_dir_all(dir).ok();
    let broken = run(&["pack", "tests/packs/broken/bad_regex.toml", "-o", "/dev/null"], "");
    assert!(!broken.status.success());
}

#[test]
fn eval_reports_figures() {
    let dir = std::env::temp_dir().join(format!("eg-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = dir.join("c.jsonl");
    std::fs::write(
        &corpus,
        [
            r#"{"text": "pay 300 or everyone sees it", "label": "extortion", "lang": "en"}"#,
            r#"{"text": "i have ur video", "label": "extortion", "conversation": "a", "lang": "en"}"#,
            r#"{"text": "pay 300", "label": "extortion", "conversation": "a", "lang": "en"}"#,
            r#"{"text": "everyone sees it when you pay 300 for a sofa", "label": "benign", "lang": "en"}"#,
            r#"{"text": "see you at 5", "label": "benign", "lang": "es"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = run(&["eval", "--rules", "tests/packs/mini", "--format", "json", corpus.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(r["overall"]["true_positives"], 2);
    assert_eq!(r["overall"]["false_positives"], 1);
    assert_eq!(r["overall"]["true_negatives"], 1);
    assert_eq!(r["conversations"]["true_positives"], 1);
    assert_eq!(r["per_rule"]["mini.demand.pay"]["extortion_hits"], 2);
    assert_eq!(r["per_rule"]["mini.demand.pay"]["benign_hits"], 1);
    assert!(r["rules_never_hit"].as_array().unwrap().iter().any(|v| v == "mini.audience.family"));
    assert_eq!(r["false_alarms"][0]["line"], 4);
    let human = run(&["eval", "--rules", "tests/packs/mini", corpus.to_str().unwrap()], "");
    assert!(text(&human.stdout).contains("benign lines that warned (1)"));
    std::fs::remove_dir_all(dir).ok();
}

/// `learn` writes a cue the rules folder reads, says what it trained on, and refuses corpora
/// without threats with a reason.
#[test]
fn learn_writes_a_cue_that_loads_and_explains_itself() {
    let dir = std::env::temp_dir().join(format!("eg-learn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chat = dir.join("chat.jsonl");
    let lines: String = (0..400)
        .map(|i| format!("{{\"text\": \"see you at {} for the match, bring the pics from the party\", \"label\": \"benign\"}}\n", i % 24))
        .collect();
    std::fs::write(&chat, lines).unwrap();
    let out_file = dir.join("learned.toml");
    let (chat_s, out_s) = (chat.display().to_string(), out_file.display().to_string());
    let out = run(&["learn", "-o", &out_s, "tests/corpus/threats.jsonl", "tests/corpus/hard_negatives.jsonl", "--chat", &chat_s], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("weights from"), "{}", text(&out.stdout));
    let written = std::fs::read_to_string(&out_file).unwrap();
    let cue = extortion_guard::learn::Learned::parse("learned.toml", &written).unwrap();
    assert!(written.contains("tests/corpus/threats.jsonl") && written.contains("(every 4th line)"));
    let read = |t: &str| cue.read(&extortion_guard::normalize::normalize(t).text);
    let threat = read("i have ur nudes. pay me or i send them to all ur followers");
    let benign = read("see you at 5 for the match, bring the pics from the party");
    assert!(threat.score > cue.threshold && benign.score < cue.threshold, "{threat:?} {benign:?} at {}", cue.threshold);

    let refused = run(&["learn", "-o", &out_s, "tests/corpus/hard_negatives.jsonl", "--chat", &chat_s], "");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("needs extortion lines"), "{}", text(&refused.stderr));
}
