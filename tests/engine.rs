//! The engine's behaviour on a small pack whose rules are known: verdicts, levels, spans in the
//! original text, the conversation window, testing rules, hostile input.

mod common;

use extortion_guard::{Level, Message};

fn mini() -> extortion_guard::Detector {
    common::detector("tests/packs/mini")
}

fn msg(text: &str, minute: f64) -> Message {
    Message { text: text.into(), time: Some(minute * 60_000.0) }
}

#[test]
fn lone_possession_claim_is_nothing() {
    let v = mini().scan("I have your pics lol");
    assert_eq!(v.level, Level::None);
    assert!(!v.warn);
    assert_eq!(v.categories, ["possession"]);
    assert_eq!(v.hits.len(), 1);
}

#[test]
fn threat_with_demand_is_high_and_warns() {
    let v = mini().scan("I have ur video. pay 300 or everyone sees it");
    assert_eq!(v.level, Level::High);
    assert!(v.warn);
    assert_eq!(v.categories, ["demand", "possession", "threat"]);
    assert_eq!(v.score, 4 + 5 + 6);
}

#[test]
fn lone_threat_is_low_and_does_not_warn() {
    let v = mini().scan("i'll leak it");
    assert_eq!(v.level, Level::Low);
    assert!(!v.warn);
}

#[test]
fn hits_point_into_the_original_text() {
    let text = "Hey!! I h4ve ＵＲ v i d e o... p a y 300 💵";
    let v = mini().scan(text);
    let texts: Vec<&str> = v.hits.iter().map(|h| &text[h.start..h.end]).collect();
    assert_eq!(texts, ["I h4ve ＵＲ v i d e o", "p a y 300"]);
    for h in &v.hits {
        assert_eq!(h.text, &text[h.start..h.end]);
    }
}

#[test]
fn obfuscated_threat_is_caught() {
    for text in [
        "рау 300 оr еvеrуоnе ѕееѕ іt",           // Cyrillic look-alikes
        "p\u{200B}ay 300 or every\u{200D}one sees it", // zero-width characters
        "𝐩𝐚𝐲 𝟑𝟎𝟎 or everyone sees it",             // styled letters and digits
        "P4Y 300 0R 3V3RY0N3 S33S 1T",             // leetspeak
        "paaaay 300 or everyoneeee sees it",       // stretched letters
    ] {
        let v = mini().scan(text);
        assert_eq!(v.level, Level::High, "{text}: {v:?}");
    }
}

#[test]
fn split_threat_is_caught_in_the_conversation() {
    let d = mini();
    let messages = [msg("I have ur video", 0.0), msg("pay 300", 1.0), msg("or everyone sees it", 1.5), msg("1 hour", 2.0)];
    let v = d.assess(&messages);
    assert_eq!(v.message.categories, ["deadline"]);
    assert!(!v.message.warn, "the last message alone is only a deadline");
    assert!(v.conversation.warn);
    assert_eq!(v.conversation.level, Level::High);
    let from: Vec<Option<usize>> = v.conversation.hits.iter().map(|h| h.message).collect();
    assert_eq!(from, [Some(0), Some(1), Some(2), Some(3)]);
}

#[test]
fn the_window_forgets_old_messages() {
    let d = mini();
    // Older than the policy's 60 minutes.
    let stale = d.assess(&[msg("or everyone sees it", 0.0), msg("pay 300", 90.0)]);
    assert!(!stale.conversation.warn);
    // More than the policy's 4 messages ago.
    let far = d.assess(&[msg("or everyone sees it", 0.0), msg("hi", 1.0), msg("hi", 2.0), msg("hi", 3.0), msg("pay 300", 4.0)]);
    assert!(!far.conversation.warn);
    let near = d.assess(&[msg("or everyone sees it", 0.0), msg("hi", 1.0), msg("hi", 2.0), msg("pay 300", 4.0)]);
    assert!(near.conversation.warn);
    // Without times, only the count applies.
    let untimed: Vec<Message> = ["or everyone sees it", "pay 300"].iter().map(|t| Message { text: t.to_string(), time: None }).collect();
    assert!(d.assess(&untimed).conversation.warn);
}

#[test]
fn the_same_messages_give_the_same_verdict() {
    // No hidden state: a second detector, or a second call, says the same.
    let messages = [msg("I have ur video", 0.0), msg("pay 300", 1.0)];
    let a = mini().assess(&messages);
    let b = mini().assess(&messages);
    assert_eq!(a.conversation, b.conversation);
    assert!(a.conversation.warn);
}

#[test]
fn testing_rules_never_raise_a_warning() {
    let d = mini();
    let scan = d.scan_hits("💰💰 or everyone sees it");
    assert!(scan.hits.iter().all(|h| h.rule != "mini.demand.money-emoji"));
    assert_eq!(scan.testing_hits.len(), 2);
    assert!(scan.testing_hits.iter().all(|h| h.rule == "mini.demand.money-emoji" && h.text == "💰"));
    let v = d.scan("💰💰 or everyone sees it");
    assert_eq!(v.level, Level::Low, "the testing demand rule must not make it high");
}

#[test]
fn empty_and_hostile_messages() {
    let d = mini();
    assert_eq!(d.scan("").level, Level::None);
    assert_eq!(d.assess(&[]).conversation.level, Level::None);
    let huge = "pay 300 ".repeat(100_000) + "or everyone sees it";
    let v = d.scan(&huge);
    assert!(v.hits.len() <= 8, "spans per rule are bounded");
    let weird: String = (0..200_000u32).filter_map(char::from_u32).collect();
    let _ = d.scan(&weird);
}

#[test]
fn sensitivity_rejudges_the_level() {
    let d = mini();
    let v = d.scan("i'll leak it");
    assert!(!v.warn);
    assert!(d.with_warn_from(v.clone(), Level::Low).warn);
    assert!(!d.with_warn_from(v, Level::High).warn);
}

#[test]
fn devanagari_nukta_letters_match_either_form() {
    let dir = std::env::temp_dir().join(format!("eg-nukta-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(common::repo_path("tests/packs/mini/policy.toml"), dir.join("policy.toml")).unwrap();
    // The pattern uses the precomposed U+095C; the messages use both spellings.
    std::fs::write(
        dir.join("hi.toml"),
        "[pack]\nname = \"hi\"\nlanguages = [\"en\"]\n[[rule]]\nid = \"hi.threat.x\"\ncategory = \"threat\"\nweight = 5\ndescription = \"d\"\nsource = \"s\"\npatterns = [\"\u{095C}ा\"]\nmust_match = [\"\u{0921}\u{093C}ा\"]\nmust_not_match = [\"x\"]\n",
    )
    .unwrap();
    let (set, _) = extortion_guard::rules::load_path(&dir).unwrap();
    let (d, _) = extortion_guard::Detector::new(set).unwrap();
    assert_eq!(d.scan("\u{095C}ा").hits.len(), 1);
    assert_eq!(d.scan("\u{0921}\u{093C}ा").hits.len(), 1);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_message_reporting_a_threat_counts_for_nothing() {
    let d = mini();
    let v = d.scan("Scammers might say: pay 300 or everyone sees it");
    assert_eq!(v.level, Level::None, "{v:?}");
    assert!(!v.warn);
    // Nor does it add to the conversation it is in.
    let c = d.assess(&[msg("scammers say i have ur video", 0.0), msg("pay 300", 1.0)]);
    assert!(!c.conversation.warn, "{:?}", c.conversation);
    assert!(d.assess(&[msg("i have ur video", 0.0), msg("pay 300", 1.0)]).conversation.warn);
}

#[test]
fn a_quoted_threat_with_narration_around_it_is_a_report() {
    let threat = "I have ur video. pay 300 or everyone sees it";
    assert!(mini().scan(threat).warn);
    let asking = format!("my little brother got this: \"{threat}\" what should we do");
    let v = mini().scan(&asking);
    assert!(!v.warn, "{v:?}");
    assert!(!v.hits.is_empty(), "the phrases are still shown, only the verdict changes");
    // Quoting a single word does not make the sender's own threat a report.
    assert!(mini().scan("I have ur \"video\". pay 300 or everyone sees it").warn);
}
