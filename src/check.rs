//! `rules check`: everything that can be wrong with a set of packs, found in one run and reported
//! at its place. Parsing and reference errors come from `rules`, pattern errors from compiling the
//! engine; this module adds the rules' own examples, run through the real engine.

use crate::engine::Detector;
use crate::rules::{Problem, RuleSet};

/// Compiles the set and runs every rule's examples. Returns the detector when nothing is an error,
/// and every problem found (warnings included) either way.
pub fn check(rules: RuleSet, mut problems: Vec<Problem>) -> (Option<Detector>, Vec<Problem>) {
    let detector = match Detector::new(rules) {
        Ok((d, warnings)) => {
            problems.extend(warnings);
            d
        }
        Err(p) => {
            problems.extend(p);
            return (None, problems);
        }
    };
    problems.extend(detector.compile_all());
    problems.extend(check_examples(&detector));
    problems.extend(check_vocab_examples(&detector));
    let ok = !problems.iter().any(Problem::is_error);
    (ok.then_some(detector), problems)
}

/// Every rule must match each of its `must_match` examples and none of its `must_not_match` ones.
pub fn check_examples(detector: &Detector) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, rule) in detector.rules().rules.iter().enumerate() {
        let at = |m: String| Problem::error(&rule.file, rule.line, Some(&rule.id), m);
        let at_line = |line: Option<&usize>, m: String| Problem::error(&rule.file, line.copied().unwrap_or(rule.line), Some(&rule.id), m);
        if rule.must_match.is_empty() {
            problems.push(at("no `must_match` examples: show what the rule is for".into()));
        }
        if rule.must_not_match.is_empty() {
            problems.push(at("no `must_not_match` examples: show an innocent look-alike it must leave alone".into()));
        }
        for (k, example) in rule.must_match.iter().enumerate() {
            if !detector.rule_matches(index, example) {
                problems.push(at_line(rule.example_lines.get(k), format!("does not match its example {example:?} (normalised: {:?})", crate::normalize::normalize(example).text)));
            }
        }
        for (k, example) in rule.must_not_match.iter().enumerate() {
            if detector.rule_matches(index, example) {
                problems.push(at_line(rule.counterexample_lines.get(k), format!("matches its counter-example {example:?} (normalised: {:?})", crate::normalize::normalize(example).text)));
            }
        }
    }
    problems
}

/// Every vocabulary must occur in each of its `examples` and in none of its `counterexamples`.
pub fn check_vocab_examples(detector: &Detector) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, v) in detector.rules().vocabularies.iter().enumerate() {
        let at = |m: String| Problem::error(&v.file, v.line, None, format!("vocabulary `{}`: {m}", v.name));
        for example in &v.examples {
            if !detector.vocab_matches(index, example) {
                problems.push(at(format!("finds nothing in its example {example:?} (normalised: {:?})", crate::normalize::normalize(example).text)));
            }
        }
        for example in &v.counterexamples {
            if detector.vocab_matches(index, example) {
                problems.push(at(format!("finds something in its counter-example {example:?} (normalised: {:?})", crate::normalize::normalize(example).text)));
            }
        }
    }
    problems
}
