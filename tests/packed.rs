//! The packed rule file (`extortion-guard pack`, pack.bin): the extension loads the compiled
//! detector from it instead of compiling the rules on every service-worker wake, so it must judge
//! exactly as the compiled rules do, and refuse, with a clear reason, bytes it cannot trust.

mod common;

use extortion_guard::eval::read_corpus;
use extortion_guard::{Detector, Message};

fn corpus_texts() -> Vec<String> {
    let mut texts = Vec::new();
    for file in ["tests/corpus/threats.jsonl", "tests/corpus/hard_negatives.jsonl", "tests/corpus/conversations.jsonl"] {
        let text = std::fs::read_to_string(common::repo_path(file)).expect(file);
        texts.extend(read_corpus(file, &text).expect(file).into_iter().map(|l| l.item.text));
    }
    texts
}

#[test]
fn the_packed_detector_judges_as_the_compiled_one() {
    let compiled = common::detector("rules");
    let packed = Detector::from_packed(&compiled.to_packed()).expect("the shipped rules load from their pack");
    let texts = corpus_texts();
    assert!(texts.len() > 1000, "corpus lines: {}", texts.len());
    for text in &texts {
        let (a, b) = (compiled.scan(text), packed.scan(text));
        assert_eq!((a.level, a.score, &a.hits), (b.level, b.score, &b.hits), "{text:?}");
    }
    let conversation: Vec<Message> = texts.iter().take(40).map(|t| Message { text: t.clone(), time: None }).collect();
    assert_eq!(format!("{:?}", compiled.assess(&conversation)), format!("{:?}", packed.assess(&conversation)));
    assert_eq!(compiled.rules().rules.len(), packed.rules().rules.len());
    assert_eq!(compiled.policy().window.messages, packed.policy().window.messages);
}

#[test]
fn a_packed_detector_gives_its_rules_back_to_compile_with_more() {
    let compiled = common::detector("rules");
    let packed = Detector::from_packed(&compiled.to_packed()).expect("loads");
    let rules = packed.into_rules().expect("the packed rules come back whole");
    let original = compiled.rules();
    assert_eq!(format!("{:?}", rules.rules), format!("{:?}", original.rules), "the rules come back as they were");
    assert_eq!(format!("{:?}", rules.vocabularies), format!("{:?}", original.vocabularies));
    let again = Detector::new(rules).map(|(d, _)| d).unwrap_or_else(|p| panic!("{p:#?}"));
    let threat = "I have your nudes. Pay me $500 or I send them to your family";
    assert_eq!(compiled.scan(threat).hits, again.scan(threat).hits);
}

#[test]
fn bytes_that_are_not_this_engines_pack_are_refused_with_the_reason() {
    let good = common::detector("tests/packs/mini").to_packed();
    let not_a_pack = Detector::from_packed(br#"{"format":2,"rules":[]}"#).err().expect("JSON is refused");
    assert!(not_a_pack.contains("not a packed rule file"), "{not_a_pack}");
    assert!(Detector::from_packed(&[]).is_err());

    // The engine version follows the magic: another engine's pack says so instead of misreading.
    let magic = good.iter().position(|&b| b == 0).expect("magic ends with NUL") + 1;
    let mut other = good.clone();
    let version_len = other[magic] as usize;
    other[magic + version_len] ^= 1;
    let err = Detector::from_packed(&other).err().expect("another engine's pack is refused");
    assert!(err.contains("pack the rules again"), "{err}");

    // Cut anywhere, the pack is refused; it never panics.
    for cut in (magic..good.len()).step_by((good.len() / 97).max(1)) {
        assert!(Detector::from_packed(&good[..cut]).is_err(), "a pack cut at {cut} of {} loaded", good.len());
    }
}

#[test]
fn a_pack_holds_every_automaton_and_rules_compiled_from_toml_build_them_ahead_of_need() {
    let compiled = common::detector("rules");
    let packed = Detector::from_packed(&compiled.to_packed()).expect("loads");
    assert!(packed.memory_usage().0 > 0, "the pack's automata are read with it");
    assert!(!packed.warm_up_step(), "a packed detector has nothing left to build");
    let lazy = common::detector("rules");
    let mut steps = 0;
    while lazy.warm_up_step() {
        steps += 1;
        assert!(steps < 10_000, "the warm-up never ends");
    }
    assert!(steps > 2, "steps: {steps}");
    assert!(!lazy.warm_up_step(), "a finished warm-up starts again");
    for text in corpus_texts().iter().step_by(7) {
        let (a, b) = (packed.scan(text), compiled.scan(text));
        assert_eq!((a.level, a.score, &a.hits), (b.level, b.score, &b.hits), "{text:?}");
    }
}
