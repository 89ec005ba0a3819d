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
    problems.extend(check_compiled(&detector));
    let ok = !problems.iter().any(Problem::is_error);
    (ok.then_some(detector), problems)
}

/// What only a built detector can tell: patterns too big to compile (they compile lazily, so a
/// scan would hit them late and match nothing), and every rule's and vocabulary's examples.
pub fn check_compiled(detector: &Detector) -> Vec<Problem> {
    let mut problems = detector.compile_all();
    problems.extend(check_examples(detector));
    problems.extend(check_vocab_examples(detector));
    problems
}

/// Longest example accepted, in bytes. Examples are phrases; a huge one would only make `rules
/// check` (and the options page's check of a custom pack) slow, and fill the screen when it fails.
pub const MAX_EXAMPLE_BYTES: usize = 4096;

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
        let examples = rule.must_match.iter().zip(rule.example_lines.iter().map(Some).chain(std::iter::repeat(None))).map(|(e, l)| (true, e, l));
        let counterexamples = rule.must_not_match.iter().zip(rule.counterexample_lines.iter().map(Some).chain(std::iter::repeat(None))).map(|(e, l)| (false, e, l));
        for (must, example, line) in examples.chain(counterexamples) {
            let field = if must { "must_match" } else { "must_not_match" };
            if example.len() > MAX_EXAMPLE_BYTES {
                problems.push(at_line(line, format!("a `{field}` example of {} bytes ({}): examples are at most {MAX_EXAMPLE_BYTES} bytes", example.len(), shown(example))));
                continue;
            }
            if detector.rule_matches(index, example) != must {
                let normalised = crate::normalize::normalize(example).text;
                let message = if must {
                    format!("does not match its example {} (normalised: {})", shown(example), shown(&normalised))
                } else {
                    format!("matches its counter-example {} (normalised: {})", shown(example), shown(&normalised))
                };
                problems.push(at_line(line, message));
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

/// The readability budget of CONTRIBUTING.md: how long each rule's own source is (its `all`, `any`,
/// `unless` and `patterns`; vocabularies are shared and not counted).
pub struct Readability {
    pub rules: usize,
    pub median: usize,
    pub max: usize,
    /// Rules over `BUDGET_MAX`, longest first.
    pub over: Vec<(String, usize)>,
    pub longest: Vec<(String, usize)>,
}

pub const BUDGET_MEDIAN: usize = 100;
pub const BUDGET_MAX: usize = 600;

pub fn rule_source_len(rule: &crate::rules::Rule) -> usize {
    [&rule.all, &rule.any, &rule.unless, &rule.patterns].iter().flat_map(|l| l.iter()).map(String::len).sum()
}

impl Readability {
    pub fn of(rules: &[crate::rules::Rule]) -> Readability {
        let mut lens: Vec<(String, usize)> = rules.iter().map(|r| (r.id.clone(), rule_source_len(r))).collect();
        lens.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut sorted: Vec<usize> = lens.iter().map(|l| l.1).collect();
        sorted.sort_unstable();
        Readability {
            rules: lens.len(),
            median: sorted.get(sorted.len() / 2).copied().unwrap_or(0),
            max: sorted.last().copied().unwrap_or(0),
            over: lens.iter().filter(|l| l.1 > BUDGET_MAX).cloned().collect(),
            longest: lens.into_iter().take(5).collect(),
        }
    }

    pub fn within_budget(&self) -> bool {
        self.median < BUDGET_MEDIAN && self.over.is_empty()
    }
}

impl std::fmt::Display for Readability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "rule source length (characters; budget: median under {BUDGET_MEDIAN}, none over {BUDGET_MAX}): median {}, max {} over {} rules", self.median, self.max, self.rules)?;
        for (id, len) in &self.longest {
            writeln!(f, "  {len:>6}  {id}")?;
        }
        if self.over.is_empty() {
            writeln!(f, "within budget: {}", if self.within_budget() { "yes" } else { "no (median)" })
        } else {
            let shown: Vec<String> = self.over.iter().take(20).map(|(id, n)| format!("{id} ({n})")).collect();
            let more = if self.over.len() > 20 { format!(" and {} more", self.over.len() - 20) } else { String::new() };
            writeln!(f, "over budget ({} rules): {}{more}", self.over.len(), shown.join(", "))
        }
    }
}

/// A text quoted for a message, cut to its first 200 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} more bytes)", &text[..end], text.len() - end),
    }
}
