//! The vocabulary-and-clause rule language, through the real engine and the test pack
//! `tests/packs/vocab` (vocabularies in `en.vocab.toml`, rules in `en.toml`).

mod common;

use extortion_guard::check::check;
use extortion_guard::rules::build;
use extortion_guard::Message;

fn vocab() -> extortion_guard::Detector {
    common::detector("tests/packs/vocab")
}

fn problems_of(pack: &str) -> Vec<String> {
    let policy = std::fs::read_to_string(common::repo_path("tests/packs/vocab/policy.toml")).unwrap();
    match build("policy.toml", &policy, &[("custom.toml".to_string(), pack.to_string())]) {
        Ok((set, warnings)) => check(set, warnings).1.iter().map(|p| p.to_string()).collect(),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn phrases_match_in_any_order_within_a_sentence() {
    let d = vocab();
    for text in [
        "i will send ur vids to your parents",
        "your parents get the vid. no wait: your parents, the vid, I'll post it",
        "I'll post it to all your followers",
        "to your family i am going to leak the nudes",
    ] {
        assert!(d.scan(text).categories.contains(&"threat".to_string()), "{text:?} should be a threat");
    }
    // The same words in different sentences are not one threat.
    assert!(d.scan("i will send it. your family is nice. cool vid").hits.is_empty());
}

#[test]
fn stems_cover_inflections_and_vocabularies_nest() {
    let d = vocab();
    // `send` and `family`/`parents` (via {kin} inside {people}) in inflected forms.
    assert!(!d.scan("i am going to leak everything, your families will see").hits.is_empty());
    assert!(!d.scan("ill share this with ur dad").hits.is_empty());
}

#[test]
fn a_short_word_whose_stem_changes_its_head_still_matches() {
    // Snowball English stems "why" to "whi" and "try" to "tri": the word's first letters are not
    // its stem's, and the quick "no stem starts like this word" test must not skip it.
    let pack = "[pack]\nname = \"custom\"\nlanguages = [\"en\"]\n\n[[rule]]\nid = \"custom.webcam_scam.why-this-email\"\ncategory = \"webcam_scam\"\nweight = 3\ndescription = \"d\"\nsource = \"s\"\nall = [\"why|try ..3 email\"]\nmust_match = [\"why you got this email\", \"try to ignore this email\"]\nmust_not_match = [\"whine about email\"]\n";
    assert_eq!(problems_of(pack), Vec::<String>::new());
}

#[test]
fn unless_cancels_a_negated_match() {
    let d = vocab();
    assert!(d.scan("i would never send your pics to your parents").hits.is_empty());
    assert!(!d.scan("if you don't pay i will send your pics to your parents").hits.is_empty());
}

#[test]
fn hits_name_each_phrase_in_the_original_text() {
    let d = vocab();
    let text = "OK. I’ll 𝐬𝐞𝐧𝐝 the VID to your mom";
    let v = d.scan(text);
    let texts: Vec<&str> = v.hits.iter().map(|h| &text[h.start..h.end]).collect();
    assert_eq!(texts, vec!["I’ll 𝐬𝐞𝐧𝐝", "VID", "mom"]);
    for h in &v.hits {
        assert_eq!(h.text, &text[h.start..h.end]);
    }
}

#[test]
fn a_phrase_split_over_short_messages_matches_in_the_conversation() {
    let d = vocab();
    let messages = |texts: &[&str]| texts.iter().map(|t| Message { text: t.to_string(), time: None }).collect::<Vec<_>>();
    let v = d.assess(&messages(&["Fine im exposing", "Ur pics"]));
    assert!(v.message.hits.is_empty(), "the newest message alone is not a threat");
    assert!(v.conversation.categories.contains(&"threat".to_string()));
    let pieces: Vec<(Option<usize>, &str)> = v.conversation.hits.iter().map(|h| (h.message, h.text.as_str())).collect();
    assert_eq!(pieces, vec![(Some(0), "im exposing"), (Some(1), "pics")]);
    // Each message on its own, or far apart in long messages, is nothing.
    assert!(d.assess(&messages(&["Ur pics"])).conversation.hits.is_empty());
    let long = "lorem ipsum ".repeat(60);
    assert!(d.assess(&messages(&["Fine im exposing", &long, "Ur pics"])).conversation.hits.is_empty());
}

#[test]
fn broken_vocabularies_and_phrases_are_named() {
    let base = "[pack]\nname = \"x\"\nlanguages = [\"en\"]\n";
    let rule = |all: &str| format!("{base}[[rule]]\nid = \"x.threat.t\"\ncategory = \"threat\"\nweight = 5\ndescription = \"d\"\nsource = \"s\"\nall = [{all}]\nmust_match = [\"a\"]\nmust_not_match = [\"b\"]\n");
    let unknown = problems_of(&rule("\"{media} send\""));
    assert!(unknown.iter().any(|p| p.contains("custom.toml:4") && p.contains("x.threat.t") && p.contains("unknown vocabulary `{media}`")), "{unknown:?}");
    let syntax = problems_of(&rule("\"send ..12 it\""));
    assert!(syntax.iter().any(|p| p.contains("x.threat.t") && p.contains("gap")), "{syntax:?}");
    let cycle = problems_of(&format!("{base}[vocab.a]\nwords = [\"{{b}}\"]\n[vocab.b]\nwords = [\"x {{a}}\"]\n"));
    assert!(cycle.iter().any(|p| p.contains("refers to itself")), "{cycle:?}");
    let example = problems_of(&format!("{base}[vocab.a]\nwords = [\"send\"]\nexamples = [\"post\"]\n"));
    assert!(example.iter().any(|p| p.contains("vocabulary `a`") && p.contains("\"post\"")), "{example:?}");
}

#[test]
fn a_regex_phrase_is_matched_like_a_pattern_and_checked_like_one() {
    let base = "[pack]\nname = \"x\"\nlanguages = [\"en\"]\n";
    let rule = |all: &str, example: &str| format!("{base}[[rule]]\nid = \"x.demand.t\"\ncategory = \"demand\"\nweight = 5\ndescription = \"d\"\nsource = \"s\"\nall = [{all}]\nmust_match = [\"{example}\"]\nmust_not_match = [\"pay me back\"]\n");
    for (all, wrong) in [(r#""re:(unclosed""#, "does not compile"), (r#""re:\\d*""#, "empty string"), (r#""re:Pay""#, "upper-case"), (r#""re:zorb\\s+[a-z]*z[a-z]{30}""#, "too large")] {
        let problems = problems_of(&rule(&format!("{all}, \"pay\""), "pay"));
        assert!(problems.iter().any(|p| p.contains("custom.toml") && p.contains("x.demand.t") && p.contains(wrong)), "{all}: {problems:?}");
    }
    let good = rule(r#""pay", "re:\\b\\d+ ?k\\b""#, "pay 500k now");
    assert!(problems_of(&good).iter().all(|p| !p.contains("error")), "{:?}", problems_of(&good));
    let policy = std::fs::read_to_string(common::repo_path("tests/packs/vocab/policy.toml")).unwrap();
    let (set, _) = build("policy.toml", &policy, &[("custom.toml".to_string(), good)]).unwrap();
    let (d, _) = extortion_guard::Detector::new(set).unwrap();
    for d in [extortion_guard::Detector::from_packed(&d.to_packed()).unwrap(), d] {
        let text = "PAY 500k now";
        let hits: Vec<&str> = d.scan(text).hits.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(hits, ["PAY", "500k"], "ASCII text");
        assert!(d.scan("pay me back").hits.is_empty());
        assert!(d.scan("pay 500 now").hits.is_empty());
        // Non-ASCII text runs the phrase as written (Unicode `\b`, `\d`).
        assert!(!d.scan("pay ١٠ k né").hits.is_empty());
    }
}

#[test]
fn assess_each_judges_every_message_as_assess_would() {
    let d = vocab();
    let texts = ["hey", "Fine im exposing", "Ur pics", "lol ok", "i will send ur vids to your parents", "bye"];
    let messages: Vec<Message> = texts.iter().enumerate().map(|(i, t)| Message { text: t.to_string(), time: Some(i as f64 * 60_000.0) }).collect();
    let indexes: Vec<usize> = (0..messages.len()).collect();
    let each = d.assess_each(&messages, &indexes);
    assert_eq!(each.len(), messages.len());
    for (i, v) in each.iter().enumerate() {
        let one = d.assess(&messages[..=i]);
        assert_eq!(v.message, one.message, "message {i}");
        assert_eq!(v.conversation, one.conversation, "conversation at {i}");
    }
    assert!(each[2].conversation.categories.contains(&"threat".to_string()), "the split threat is seen at its second piece");
}
