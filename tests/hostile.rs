//! Hostile input, tried as an attacker would (issue 9): the command line's `scan --jsonl` stream,
//! rule packs built to be slow or broken, and messages built to be slow or to slip past.
//! Timing tests compare a small and a large input by ratio, never against a wall-clock figure, so
//! they hold on a slow or busy machine; where work can be counted, it is counted instead.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The tests here run one at a time: the timing ones compare runs by ratio, and a big test beside
/// them would disturb the large run more than the small one.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn run_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_extortion-guard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Written from another thread: a large input must not deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn jsonl(stdin: &[u8]) -> (Vec<serde_json::Value>, String, Option<i32>) {
    let out = run_bytes(&["scan", "--rules", "tests/packs/mini", "--jsonl"], stdin);
    let stdout = text(&out.stdout);
    let lines = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}"))).collect();
    (lines, text(&out.stderr), out.status.code())
}

// ---- scan --jsonl: one answer per line, whatever the line.

#[test]
fn jsonl_invalid_utf8_does_not_stop_the_stream() {
    let _serial = serial();
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\": 1, \"text\": \"hello\"}\n");
    input.extend_from_slice(b"{\"id\": 2, \"text\": \"pay 300 \xff\xfe or everyone sees it\"}\n");
    input.extend_from_slice(b"\xc3\n");
    input.extend_from_slice(b"{\"id\": 4, \"text\": \"pay 300 or everyone sees it\"}\n");
    let (lines, stderr, code) = jsonl(&input);
    assert_eq!(lines.len(), 4, "{lines:?}\n{stderr}");
    assert_eq!(lines[0]["id"], 1);
    // The bad bytes are read as U+FFFD and the message is still judged.
    assert_eq!(lines[1]["id"], 2);
    assert_eq!(lines[1]["warn"], true, "{:?}", lines[1]);
    assert!(stderr.contains("stdin line 2: not UTF-8"), "{stderr}");
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].as_str().unwrap().contains("stdin line 3"), "{:?}", lines[2]);
    assert_eq!(lines[3]["id"], 4);
    assert_eq!(lines[3]["warn"], true);
    assert_eq!(code, Some(2), "bad lines give exit 2");
}

#[test]
fn jsonl_every_input_line_gets_one_output_line() {
    let _serial = serial();
    let input = [
        r#"{"id": 1, "text": "pay 300 or everyone sees it"}"#,
        "",
        "   ",
        "[1, 2, 3]",
        r#""just a string""#,
        r#"{"id": 6, "text": 5}"#,
        r#"{"id": 7, "text": "pay 300", "time": "soon"}"#,
        r#"{"id": 8, "text": "pay 300", "time": [1]}"#,
        r#"{"id": 9, "text": "pay 300", "conversation": {"a": 1}}"#,
        r#"{"id": 10, "text": "pay 300", "conversation": 7, "time": "60000"}"#,
        "{\"id\": 11, \"text\": \"crlf line\"}\r",
        r#"{"id": 12, "text": "pay 300 or everyone sees it"}"#,
        "",
    ]
    .join("\n")
        + "\n";
    let (lines, stderr, code) = jsonl(input.as_bytes());
    assert_eq!(code, Some(2));
    // The newline that ends the last line does not start another one: 13 lines, the last blank.
    assert_eq!(lines.len(), 13, "{lines:#?}");
    let errors: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.get("error").is_some()).map(|(i, _)| i + 1).collect();
    assert_eq!(errors, vec![2, 3, 4, 5, 6, 7, 8, 9, 13], "{lines:#?}");
    for &n in &errors {
        let l = &lines[n - 1];
        assert_eq!(l["line"], n, "{l:?}");
        assert!(l["error"].as_str().unwrap().starts_with(&format!("stdin line {n}: ")), "{l:?}");
        assert!(stderr.contains(&format!("stdin line {n}: ")), "{stderr}");
    }
    assert!(lines[1]["error"].as_str().unwrap().contains("blank line"));
    assert!(lines[3]["error"].as_str().unwrap().contains("not a JSON object"));
    assert_eq!(lines[5]["id"], 6, "the id is kept when there is one");
    assert!(lines[5]["error"].as_str().unwrap().contains("\"text\" must be a string"));
    assert!(lines[6]["error"].as_str().unwrap().contains("\"time\""));
    assert!(lines[8]["error"].as_str().unwrap().contains("\"conversation\""));
    assert_eq!(lines[9]["id"], 10);
    assert!(lines[9].get("error").is_none());
    assert_eq!(lines[10]["id"], 11, "a CRLF line is read like any other");
    assert_eq!(lines[11]["warn"], true);
}

#[test]
fn jsonl_nul_and_controls_are_text() {
    let _serial = serial();
    let input = "{\"id\": 1, \"text\": \"pay\\u0000 300 or every\\u0001one sees it\"}\n{\"id\": 2, \"text\": \"\\ud800 lone surrogate\"}\n";
    let (lines, stderr, _) = jsonl(input.as_bytes());
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(lines[0]["id"], 1);
    assert!(lines[0].get("error").is_none(), "{:?}", lines[0]);
    assert_eq!(lines[0]["warn"], true, "{:?}", lines[0]);
    // serde_json refuses a lone surrogate escape; that is one line's error, not the stream's end.
    assert_eq!(lines[1]["line"], 2, "{:?}", lines[1]);
}

#[test]
fn jsonl_a_conversation_of_100000_lines() {
    let _serial = serial();
    let mut input = String::new();
    for i in 0..100_000 {
        let text = if i % 1000 == 999 { "pay 300 or everyone sees it" } else { "hello, how was your day?" };
        input += &format!("{{\"id\": {i}, \"text\": \"{text}\", \"conversation\": \"c{}\"}}\n", i % 7);
    }
    let started = Instant::now();
    let (lines, stderr, code) = jsonl(input.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines.len(), 100_000);
    assert_eq!(lines.iter().filter(|l| l["warn"] == true).count(), 100);
    eprintln!("100,000-line conversation: {:?}", started.elapsed());
}

// ---- Hostile rule packs.

/// A fresh folder with the mini policy and the given pack files.
fn pack_dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eg-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(common::repo_path("tests/packs/mini/policy.toml"), dir.join("policy.toml")).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

const PACK_HEADER: &str = "[pack]\nname = \"big\"\ndescription = \"generated\"\nlanguages = [\"en\"]\n\n";

fn generated_pack(rules: usize) -> String {
    let mut text = String::from(PACK_HEADER);
    for i in 0..rules {
        text += &format!(
            "[[rule]]\nid = \"big.threat.r{i}\"\ncategory = \"threat\"\nweight = 3\ndescription = \"generated rule {i}\"\nsource = \"generated\"\npatterns = ['''\\bword{i}x (post|leak)\\b''']\nmust_match = [\"word{i}x post\"]\nmust_not_match = [\"word{i}y post\"]\n\n"
        );
    }
    text
}

/// How much more `large` costs than `factor` runs of `small`, where `large` is `factor` times the
/// input of `small`: about 1 for linear work, `factor` for square-law work. Both sides do the same
/// amount of linear work, so a busy machine slows them alike; measured in alternation, fastest of
/// `rounds`.
fn growth(rounds: usize, factor: usize, mut small: impl FnMut(), mut large: impl FnMut()) -> (f64, Duration, Duration) {
    let (mut t_small, mut t_large) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..factor {
            small();
        }
        t_small = t_small.min(started.elapsed());
        let started = Instant::now();
        large();
        t_large = t_large.min(started.elapsed());
    }
    (t_large.as_secs_f64() / t_small.as_secs_f64().max(1e-9), t_small, t_large)
}

#[test]
fn loading_a_pack_is_linear_in_its_rules() {
    let _serial = serial();
    let policy = std::fs::read_to_string(common::repo_path("tests/packs/mini/policy.toml")).unwrap();
    let (small, large) = (generated_pack(2_000), generated_pack(20_000));
    let load = |text: &str, rules: usize| {
        let (set, _) = extortion_guard::rules::build("policy.toml", &policy, &[("big.toml".into(), text.to_string())]).expect("the generated pack loads");
        assert_eq!(set.rules.len(), rules);
        assert_eq!(set.rules[rules - 1].line, text.lines().count() - 9, "the last rule's line");
    };
    let (ratio, t_small, t_large) = growth(2, 10, || load(&small, 2_000), || load(&large, 20_000));
    eprintln!("load 10 x 2,000 rules {t_small:?}, 20,000 rules {t_large:?}, ratio {ratio:.2} (linear: 1, quadratic: 10)");
    assert!(ratio < 4.0, "10x the rules took {:.1}x the time", ratio * 10.0);
}

#[test]
fn line_index_agrees_with_counting() {
    let _serial = serial();
    let text = "a\nbb\n\nccc\n";
    let index = extortion_guard::rules::LineIndex::new(text);
    for offset in 0..=text.len() + 3 {
        assert_eq!(index.line(offset), extortion_guard::rules::line_of(text, offset), "offset {offset}");
    }
}

fn rules_check(dir: &std::path::Path) -> (String, Option<i32>, Duration) {
    let started = Instant::now();
    let out = run_bytes(&["rules", "check", dir.to_str().unwrap()], b"");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stderr, out.status.code(), started.elapsed())
}

const RULE: &str = "[[rule]]\nid = \"big.threat.leak\"\ncategory = \"threat\"\nweight = 3\ndescription = \"leaks\"\nsource = \"test\"\npatterns = ['''\\bleak it\\b''']\n";

#[test]
fn a_huge_failing_example_is_refused_quickly() {
    let _serial = serial();
    let huge = "1 ".repeat(500_000);
    let pack = format!("{PACK_HEADER}{RULE}must_match = [\"leak it\", \"{huge}\"]\nmust_not_match = [\"{huge}\", \"leaky\"]\n");
    let dir = pack_dir("huge-example", &[("big.toml", &pack)]);
    let (stderr, code, took) = rules_check(&dir);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("big.toml:13: rule big.threat.leak: error: a `must_match` example of 1000000 bytes"), "{stderr}");
    assert!(stderr.contains("big.toml:14: rule big.threat.leak: error: a `must_not_match` example of 1000000 bytes"), "{stderr}");
    assert!(stderr.len() < 2_000, "the message quotes only the start of the example: {} bytes", stderr.len());
    eprintln!("rules check with two 1 MB examples: {took:?}");
}

#[test]
fn type_errors_name_rule_field_and_line() {
    let _serial = serial();
    let pack = format!(
        "{PACK_HEADER}[[rule]]\nid = \"big.threat.six\"\ncategory = \"threat\"\nweight = \"six\"\ndescription = \"d\"\nsource = \"s\"\npatterns = ['''\\bleak\\b''']\nmust_match = [\"leak\"]\nmust_not_match = [\"leaky\"]\n\n\
         [[rule]]\nid = \"big.threat.three\"\ncategory = \"threat\"\nweight = 3\ndescription = \"d\"\nsource = \"s\"\npatterns = 3\nmust_match = [\"leak\", 4]\nmust_not_match = [\"leaky\"]\ncolour = \"red\"\n"
    );
    let dir = pack_dir("types", &[("big.toml", &pack)]);
    let (stderr, code, _) = rules_check(&dir);
    assert_eq!(code, Some(1), "{stderr}");
    for expected in [
        "big.toml:9: rule big.threat.six: error: field `weight`: invalid type: string \"six\", expected i64",
        "big.toml:22: rule big.threat.three: error: field `patterns`: invalid type: integer `3`, expected a sequence",
        "big.toml:23: rule big.threat.three: error: field `must_match`: invalid type: integer `4`, expected a string",
        "big.toml:25: rule big.threat.three: error: field `colour`: unknown field `colour`",
    ] {
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
    }
    let pack = PACK_HEADER.replace("languages = [\"en\"]", "languages = \"en\"") + RULE + "must_match = [\"leak it\"]\nmust_not_match = [\"leaky\"]\n";
    let dir = pack_dir("pack-types", &[("big.toml", &pack)]);
    let (stderr, _, _) = rules_check(&dir);
    assert!(stderr.contains("big.toml:4: error: [pack] field `languages`: invalid type: string \"en\", expected a sequence"), "{stderr}");
}

#[test]
fn invalid_toml_names_file_and_line() {
    let _serial = serial();
    let pack = format!("{PACK_HEADER}{RULE}must_match = [\"leak it\"\nmust_not_match = [\"leaky\"]\n");
    let dir = pack_dir("not-toml", &[("big.toml", &pack)]);
    let (stderr, code, _) = rules_check(&dir);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("big.toml:14: error: not a valid rule file"), "{stderr}");
}

#[test]
fn duplicate_ids_across_files_name_both_places() {
    let _serial = serial();
    let pack = format!("{PACK_HEADER}{RULE}must_match = [\"leak it\"]\nmust_not_match = [\"leaky\"]\n");
    let other = format!("{PACK_HEADER}\n\n{RULE}must_match = [\"leak it\"]\nmust_not_match = [\"leaky\"]\n");
    let dir = pack_dir("duplicates", &[("a.toml", &pack), ("b.toml", &other)]);
    let (stderr, code, _) = rules_check(&dir);
    assert_eq!(code, Some(1), "{stderr}");
    let first = dir.join("a.toml").display().to_string();
    let second = dir.join("b.toml").display().to_string();
    assert!(stderr.contains(&format!("{second}:8: rule big.threat.leak: error: duplicate id: already defined at {first}:6")), "{stderr}");
}

// ---- Hostile messages: slow to normalise, or built to slip past.

use extortion_guard::normalize::{normalize, visible_prefix, MAX_NORMALIZED_CHARS};

fn norm(s: &str) -> String {
    normalize(s).text
}

#[test]
fn normalisation_is_linear_on_hostile_input() {
    let _serial = serial();
    for unit in ["1 ", "a@", "p a ", "1 1.", "a.b-", "x@y$z!", "n u d e s  ", "aaa@", "\u{200B}a", "💰 ", "\u{FDFA}", "p 4 y "] {
        let small = unit.repeat(8 * 1024 / unit.len());
        let large = unit.repeat(64 * 1024 / unit.len());
        let (ratio, t_small, t_large) = growth(3, 8, || drop(std::hint::black_box(normalize(&small))), || drop(std::hint::black_box(normalize(&large))));
        eprintln!("{unit:?}: 8 x 8 KB {t_small:?}, 64 KB {t_large:?}, ratio {ratio:.2} (linear: 1, square-law: 8)");
        assert!(ratio < 3.0, "{unit:?}: 8x the input took {:.1}x the time", ratio * 8.0);
    }
}

#[test]
fn expanding_characters_are_bounded_by_the_output() {
    let _serial = serial();
    // U+FDFA becomes 18 letters and a space-separated phrase; an emoji its name.
    for unit in ["\u{FDFA}", "💰", "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"] {
        let n = normalize(&unit.repeat(20_000));
        assert!(n.text.chars().count() <= MAX_NORMALIZED_CHARS, "{unit:?}: {} chars", n.text.chars().count());
    }
}

#[test]
fn a_zero_width_flood_does_not_push_the_threat_out() {
    let _serial = serial();
    let threat = "pay 300 or everyone sees it";
    for flood in ["\u{200B}", "\u{200D}", "\u{FEFF}", "\u{2060}", "\u{E0020}", "\u{0001}", "\u{FE0F}"] {
        let message = flood.repeat(30_000) + threat;
        assert!(norm(&message).ends_with(threat), "{flood:?}");
        // A caller that must cut the message cuts it by what shows.
        assert!(visible_prefix(&message, 8000).ends_with(threat), "{flood:?}");
    }
    assert_eq!(visible_prefix("ab\u{200B}cd", 3), "ab\u{200B}c");
    assert_eq!(visible_prefix("ab cd", 10), "ab cd");
    // The issue's case, through the whole engine: 8,000 zero-width characters, then the threat.
    let d = common::detector("tests/packs/mini");
    let verdict = d.scan(&("\u{200B}".repeat(8000) + threat));
    assert!(verdict.warn, "{verdict:?}");
}

#[test]
fn blank_letters_act_as_spaces() {
    let _serial = serial();
    for blank in ["\u{3164}", "\u{2800}", "\u{FFA0}", "\u{115F}", "\u{1160}", "\u{00A0}", "\u{3000}", "\u{2007}", "\u{205F}", "\u{1680}"] {
        let spaced = format!("i{blank}will{blank}send");
        assert_eq!(norm(&spaced), norm("i will send"), "{blank:?}");
        assert_eq!(norm(&format!("pay{blank}{blank}300")), "pay 300", "{blank:?}");
    }
    let d = common::detector("tests/packs/mini");
    assert!(d.scan("pay\u{3164}300\u{3164}or\u{3164}everyone\u{3164}sees\u{3164}it").warn);
    assert!(d.scan("pay\u{2800}300\u{2800}or\u{2800}everyone\u{2800}sees\u{2800}it").warn);
}

#[test]
fn control_characters_inside_words_are_dropped() {
    let _serial = serial();
    assert_eq!(norm("se\u{0001}nd"), norm("send"));
    assert_eq!(norm("n\u{0000}u\u{0007}d\u{001F}e\u{007F}s"), "nudes");
    assert_eq!(norm("vi\u{0085}deo"), "vi deo", "NEL is a line break");
    assert_eq!(norm("vi\u{0090}de\u{009F}o"), "video", "C1 controls");
    assert_eq!(norm("line\none\ttwo"), "line one two", "white-space controls stay spaces");
    let d = common::detector("tests/packs/mini");
    assert!(d.scan("pay 300 or every\u{0001}one se\u{0000}es it").warn);
}

#[test]
fn big_messages_stay_bounded() {
    let _serial = serial();
    let d = common::detector("tests/packs/mini");
    for (name, message) in [
        ("1 MB", "hello there how are you ".repeat(44_000)),
        ("10 MB", "pay 300 or everyone sees it ".repeat(375_000)),
        ("100,000 emoji", "💰".repeat(100_000)),
        ("mixed scripts", "рау мне 300 или все увидят पैसे दो 支付 ادفع ".repeat(10_000)),
    ] {
        let started = Instant::now();
        let verdict = d.scan(&message);
        eprintln!("{name} ({} bytes): {:?}, warn {}", message.len(), started.elapsed(), verdict.warn);
        for h in &verdict.hits {
            assert_eq!(&message[h.start..h.end], h.text);
        }
    }
}
