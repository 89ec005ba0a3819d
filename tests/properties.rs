//! The fuzz targets' properties (tests/props/mod.rs) in the normal test run: on every input the
//! fuzzer has ever found (tests/fuzz-regressions/<target>/, written by tests/fuzz.sh), and on a
//! few hundred inputs generated here from the characters that have caused trouble before.

#[path = "props/mod.rs"]
mod props;

use props::{mini, root, shipped};

/// Every saved input of one target, by file name.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("tests/fuzz-regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut found: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    found.sort();
    found
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for (name, data) in regressions(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(outcome.is_ok(), "tests/fuzz-regressions/{target}/{name} fails again");
    }
}

#[test]
fn fuzz_regressions_normalize() {
    replay("normalize", |data| props::check_normalized(&String::from_utf8_lossy(data)));
}

#[test]
fn fuzz_regressions_scan() {
    replay("scan", |data| {
        let text = String::from_utf8_lossy(data);
        props::check_message(mini(), &text);
        props::check_packed(&text);
    });
}

#[test]
fn fuzz_regressions_conversation() {
    replay("conversation", |data| props::check_conversation(mini(), &String::from_utf8_lossy(data)));
}

#[test]
fn fuzz_regressions_jsonl() {
    replay("jsonl", |data| props::check_jsonl(mini(), data));
}

#[test]
fn fuzz_regressions_pack() {
    let policy = props::policy();
    replay("pack", |data| props::check_pack(policy, &String::from_utf8_lossy(data)));
}

/// A small deterministic generator (xorshift): the same cases on every run, no dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A message of pieces that have each been trouble: threat words, leet, separators,
    /// invisible and blank characters, controls, expanding characters, emoji and their modifiers,
    /// combining marks, other scripts.
    fn message(&mut self) -> String {
        const PIECES: &[&str] = &[
            "pay", "300", "or", "everyone", "sees", "it", "i", "have", "ur", "video", "leak", "post", "will", "your", "family",
            " ", "  ", ".", "-", "_", "*", "/", "@", "$", "!", "1", "3", "4", "0", "5", "7", "a", "e", "u", "r", "x", "k",
            "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{2060}", "\u{00AD}", "\u{202E}", "\u{E0041}", "\u{FE0F}", "\u{3164}", "\u{2800}",
            "\u{FFA0}", "\u{00A0}", "\u{0000}", "\u{0001}", "\u{007F}", "\u{0085}", "\u{0090}", "\t", "\n", "\r", "\u{FDFA}", "\u{FB01}",
            "💰", "📸", "👍", "🏽", "👨\u{200D}👩\u{200D}👧", "🏴\u{E0067}\u{E0062}\u{E007F}", "\u{0301}", "\u{0308}", "\u{093F}",
            "ｐａｙ", "𝐩𝐚𝐲", "ⓟ", "рау", "νіdео", "ß", "İ", "ﬃ", "ك", "سأنشر", "٥٠٠", "वीडियो", "५००", "支付", "ㅋ", "\u{0640}",
            "\u{FFFD}", "\u{10FFFF}", "eeee", "aaaa", "ss",
        ];
        let len = self.below(40);
        (0..len).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }
}

#[test]
fn generated_messages_keep_their_properties() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for case in 0..400 {
        let message = g.message();
        let d = if case % 4 == 0 { shipped() } else { mini() };
        props::check_message(d, &message);
        props::check_packed(&message);
    }
}

#[test]
fn generated_conversations_keep_their_properties() {
    let mut g = Gen(0xD1B5_4A32_D192_ED03);
    for _ in 0..150 {
        let lines: Vec<String> = (0..1 + g.below(8)).map(|_| g.message()).collect();
        props::check_conversation(mini(), &lines.join("\n"));
    }
}

#[test]
fn generated_jsonl_streams_keep_their_properties() {
    let mut g = Gen(0x2545_F491_4F6C_DD1D);
    for _ in 0..150 {
        let mut input = Vec::new();
        for _ in 0..g.below(8) {
            match g.below(6) {
                0 => input.extend_from_slice(b""),
                1 => input.extend_from_slice(b"{\"text\": 5}"),
                2 => input.extend_from_slice(b"\xff\xfe{"),
                3 => input.extend_from_slice(format!("{{\"id\": 1, \"text\": \"{}\", \"time\": \"x\"}}", g.message().escape_default()).as_bytes()),
                _ => input.extend_from_slice(serde_json::json!({"id": g.below(9), "text": g.message(), "conversation": "c"}).to_string().as_bytes()),
            }
            input.extend_from_slice(if g.below(5) == 0 { b"\r\n" } else { b"\n" });
        }
        if g.below(3) == 0 {
            input.extend_from_slice(b"{\"text\": \"no newline at the end\"}");
        }
        props::check_jsonl(mini(), &input);
    }
}

#[test]
fn generated_packs_keep_their_properties() {
    let policy = props::policy();
    let mut g = Gen(0x8CB9_2BA7_2F3D_8DD7);
    const FIELDS: &[&str] = &[
        "id = \"x.threat.a\"", "id = 5", "category = \"threat\"", "category = \"sorcery\"", "weight = 3", "weight = \"six\"", "weight = 99",
        "description = \"d\"", "source = \"s\"", "patterns = ['''\\bleak\\b''']", "patterns = 3", "patterns = []", "patterns = ['''(''']",
        "patterns = ['''a*''']", "patterns = ['''\\w{1000}{1000}''']", "must_match = [\"leak\"]", "must_match = [4]",
        "must_not_match = [\"leaky\"]", "languages = [\"en\"]", "languages = \"en\"", "testing = true", "colour = \"red\"", "[[rule]]",
        "[pack]", "name = \"x\"", "= broken", "\"unclosed", "'''", "[rule.sub]", "x.y.z = 1",
    ];
    for _ in 0..200 {
        let mut text = String::from("[pack]\nname = \"x\"\ndescription = \"d\"\nlanguages = [\"en\"]\n");
        for _ in 0..g.below(25) {
            text += FIELDS[g.below(FIELDS.len())];
            text += "\n";
        }
        props::check_pack(policy, &text);
    }
}

#[test]
fn the_invisible_characters_are_those_unicode_security_drops() {
    // Planes 0 to 3 and the tags plane: every plane with characters of this kind, and most of
    // the assigned ones, in a few seconds.
    for cp in (0..=0x3FFFFu32).chain(0xE0000..=0xE0FFF) {
        let Some(c) = char::from_u32(cp) else { continue };
        let mut buf = [0u8; 4];
        let dropped = unicode_security::skeleton(c.encode_utf8(&mut buf)).next().is_none();
        assert_eq!(extortion_guard::normalize::is_invisible(c), dropped, "U+{cp:04X}");
    }
}

#[test]
fn the_lookalike_table_is_the_confusables_skeleton() {
    for cp in (0x80..=0x3FFFFu32).chain(0xE0000..=0xE0FFF) {
        let Some(c) = char::from_u32(cp) else { continue };
        let mut buf = [0u8; 4];
        let skeleton: String = unicode_security::skeleton(c.encode_utf8(&mut buf)).collect();
        let short_ascii = (1..=3).contains(&skeleton.len()) && skeleton.bytes().all(|b| b.is_ascii_graphic());
        assert_eq!(extortion_guard::normalize::lookalike(c), short_ascii.then_some(skeleton.as_str()), "U+{cp:04X}");
    }
}

#[test]
fn the_currency_signs_are_unicode_category_sc() {
    let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(sc)) = regex_syntax::parse(r"\p{Sc}").unwrap().kind().clone() else { panic!("a class") };
    for cp in 0x80..=0x3FFFFu32 {
        let Some(c) = char::from_u32(cp) else { continue };
        let in_sc = sc.ranges().iter().any(|r| r.start() <= c && c <= r.end());
        assert_eq!(extortion_guard::tokens::is_currency(c), in_sc, "U+{cp:04X}");
    }
    assert!(extortion_guard::tokens::is_currency('$') && !extortion_guard::tokens::is_currency('#'));
}
