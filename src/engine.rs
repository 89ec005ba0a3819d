//! The detector: a rule set compiled once into an immutable matcher, then only queried.
//!
//! Scanning a message is one normalisation, one pass that says which patterns can match
//! (`matcher`), and a second pass for spans only over those. Volunteer patterns are untrusted
//! input: each is bounded by size limits and the regex crate guarantees linear-time matching, so
//! a hostile message or a careless pattern cannot hang the browser.

use crate::normalize::{normalize, Normalized};
use crate::policy::{Level, Policy};
use crate::rules::{Rule, RuleSet};
use crate::matcher::{Matcher, MatcherIndex};
use crate::clauses::Clauses;
#[cfg(feature = "compile")]
use crate::{clauses::{ClauseProblem, Owner}, rules::{Checked, Problem}};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A message longer than this is scanned on its first part only: threats are short, and a huge
/// paste must not stall anything.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Spans reported per rule and message; the verdict needs one, a reader a few.
const MAX_SPANS_PER_RULE: usize = 6;
/// Words outside the quotation marks that make a quoted threat a report of one ("he sent me ...").
const QUOTE_NARRATION_WORDS: usize = 3;
/// Messages longer than this are not joined with their neighbours: split threats come in short pieces.
const JOIN_MESSAGE_BYTES: usize = 400;
const JOIN_TOTAL_BYTES: usize = 2000;
/// A phrase is split over a few consecutive messages, not over a whole window.
const JOIN_MAX_MESSAGES: usize = 4;

/// One matched phrase. `start`/`end` are byte offsets into the original message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub rule: String,
    pub category: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// In a conversation verdict: which message (index into the messages given) the hit is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// Found only with the neighbouring messages read joined (a phrase split over messages).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub joined: bool,
}

/// What the engine says about a message or a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verdict {
    pub warn: bool,
    pub level: Level,
    pub score: u32,
    pub categories: Vec<String>,
    pub hits: Vec<Hit>,
}

/// An incoming message of a conversation; `time` in milliseconds since the epoch, when known.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Message {
    pub text: String,
    #[serde(default)]
    pub time: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationVerdict {
    /// The newest message on its own.
    pub message: Verdict,
    /// The window of recent messages together; hits carry their message index.
    pub conversation: Verdict,
}

/// The rule hits of one message, before any decision. Cheap to keep, so a conversation can be
/// re-decided without scanning its messages again.
#[derive(Debug, Clone, Default)]
pub struct MessageScan {
    pub hits: Vec<Hit>,
    /// Hits of rules marked `testing`: reported by `eval`, never part of a verdict.
    pub testing_hits: Vec<Hit>,
    /// Strongest weight seen per category (non-testing rules only).
    pub weights: BTreeMap<String, u32>,
    /// Every phrase matched lies inside quotation marks, with narration around them: the message
    /// reports a threat (a victim asking for help, a news item) and counts for nothing.
    pub quoted: bool,
}

pub struct Detector {
    /// From a pack: without what only compiling again needs, which stays packed in `bodies`.
    rules: RuleSet,
    bodies: Option<Vec<u8>>,
    matcher: Matcher,
    clauses: Clauses,
    /// For each pattern of the matcher, the index of its rule, and where it was written.
    pattern_rule: Vec<usize>,
    /// Read by the compiling engine's problems (`compile_all`).
    #[cfg_attr(not(feature = "compile"), allow(dead_code))]
    pattern_line: Vec<usize>,
}

/// What a packed detector starts with, so that a pack is never read by an engine it was not built
/// for: the packed layout is the engine's own structures, and changes with them.
const PACK_MAGIC: &[u8] = b"extortion-guard pack\0";
/// The crate version and the layout (bump it when a packed structure changes).
const PACK_ENGINE: &str = concat!(env!("CARGO_PKG_VERSION"), "/5");

#[cfg(feature = "compile")]
#[derive(Serialize)]
struct PackedRef<'a> {
    rules: &'a RuleSet,
    bodies: &'a [u8],
    matcher: MatcherIndex,
    clauses: &'a Clauses,
}

#[derive(Deserialize)]
struct Packed<'a> {
    rules: RuleSet,
    #[serde(borrow)]
    bodies: &'a [u8],
    matcher: MatcherIndex,
    clauses: Clauses,
}

/// The parts of the rules that only compiling them again needs (a rule's phrases and examples, a
/// vocabulary's words and examples), packed apart and read only by `into_rules`: scanning never
/// reads them, and decoding them was most of loading a pack.
#[derive(Serialize, Deserialize)]
struct RuleBodies {
    rules: Vec<[Vec<String>; 5]>,
    vocabularies: Vec<[Vec<String>; 3]>,
}

impl RuleBodies {
    #[cfg(feature = "compile")]
    fn take(rules: &mut RuleSet) -> RuleBodies {
        let t = std::mem::take::<Vec<String>>;
        RuleBodies {
            rules: rules.rules.iter_mut().map(|r| [t(&mut r.all), t(&mut r.any), t(&mut r.unless), t(&mut r.must_match), t(&mut r.must_not_match)]).collect(),
            vocabularies: rules.vocabularies.iter_mut().map(|v| [t(&mut v.words), t(&mut v.examples), t(&mut v.counterexamples)]).collect(),
        }
    }

    fn put(self, rules: &mut RuleSet) -> Result<(), String> {
        if self.rules.len() != rules.rules.len() || self.vocabularies.len() != rules.vocabularies.len() {
            return Err("the rule pack is damaged: its rules' phrases do not fit its rules".into());
        }
        for (r, [all, any, unless, must_match, must_not_match]) in rules.rules.iter_mut().zip(self.rules) {
            (r.all, r.any, r.unless, r.must_match, r.must_not_match) = (all, any, unless, must_match, must_not_match);
        }
        for (v, [words, examples, counterexamples]) in rules.vocabularies.iter_mut().zip(self.vocabularies) {
            (v.words, v.examples, v.counterexamples) = (words, examples, counterexamples);
        }
        Ok(())
    }
}

#[cfg(feature = "compile")]
/// A problem of a vocabulary or clause rule, with where it was written.
fn clause_problem(rules: &RuleSet, p: ClauseProblem) -> Problem {
    match p.owner {
        Owner::Rule(i) => Problem::error(&rules.rules[i].file, rules.rules[i].line, Some(&rules.rules[i].id), p.message),
        Owner::Vocab(i) => {
            let v = &rules.vocabularies[i];
            Problem::error(&v.file, v.line, None, format!("vocabulary `{}`: {}", v.name, p.message))
        }
    }
}

/// For each regex pattern of the rules, in order, the index of its rule and its line.
fn pattern_owners(rules: &RuleSet) -> (Vec<usize>, Vec<usize>) {
    let mut pattern_rule = Vec::new();
    let mut pattern_line = Vec::new();
    for (index, rule) in rules.rules.iter().enumerate() {
        for k in 0..rule.patterns.len() {
            pattern_rule.push(index);
            pattern_line.push(rule.pattern_lines.get(k).copied().unwrap_or(rule.line));
        }
    }
    (pattern_rule, pattern_line)
}

impl Detector {
    #[cfg(feature = "compile")]
    /// Compiles every pattern. Any pattern that does not compile, matches the empty string or is
    /// over the limits is an error naming its rule, file and line; nothing is silently dropped.
    pub fn new(rules: RuleSet) -> Checked<Detector> {
        let clauses = Clauses::new(&rules.vocabularies, &rules.rules).map_err(|found| found.into_iter().map(|p| clause_problem(&rules, p)).collect::<Vec<_>>());
        let sources: Vec<&str> = rules.rules.iter().flat_map(|r| r.patterns.iter().map(String::as_str)).collect();
        let (pattern_rule, pattern_line) = pattern_owners(&rules);
        let to_problems = |found: Vec<crate::matcher::PatternProblem>| -> Vec<Problem> {
            found
                .into_iter()
                .map(|p| {
                    let rule = &rules.rules[pattern_rule[p.index]];
                    let line = pattern_line[p.index];
                    if p.error {
                        Problem::error(&rule.file, line, Some(&rule.id), p.message)
                    } else {
                        Problem::warning(&rule.file, line, Some(&rule.id), p.message)
                    }
                })
                .collect()
        };
        match (Matcher::new(&sources), clauses) {
            (Ok((matcher, warnings)), Ok(clauses)) => {
                let warnings = to_problems(warnings);
                Ok((Detector { rules, bodies: None, matcher, clauses, pattern_rule, pattern_line }, warnings))
            }
            (Err(errors), Err(more)) => Err(to_problems(errors).into_iter().chain(more).collect()),
            (Err(errors), _) => Err(to_problems(errors)),
            (_, Err(more)) => Err(more),
        }
    }

    #[cfg(feature = "compile")]
    /// The compiled detector as bytes (`extortion-guard pack`): loading them skips compiling the
    /// vocabularies and phrases, which is most of the work of `new`.
    pub fn to_packed(&self) -> Vec<u8> {
        use std::borrow::Cow;
        let (heads, bodies) = match &self.bodies {
            Some(bodies) => (Cow::Borrowed(&self.rules), Cow::Borrowed(bodies.as_slice())),
            None => {
                let mut heads = self.rules.clone();
                let bodies = postcard::to_stdvec(&RuleBodies::take(&mut heads)).expect("strings pack");
                (Cow::Owned(heads), Cow::Owned(bodies))
            }
        };
        let packed = PackedRef { rules: &heads, bodies: &bodies, matcher: self.matcher.index().expect("every pattern compiled when the rules were checked"), clauses: &self.clauses };
        let mut out = PACK_MAGIC.to_vec();
        out.extend(postcard::to_stdvec(PACK_ENGINE).expect("a string packs"));
        out.extend(postcard::to_stdvec(&packed).expect("a detector always packs"));
        out
    }

    /// A detector from `to_packed` bytes, made by this same engine version.
    pub fn from_packed(bytes: &[u8]) -> Result<Detector, String> {
        let body = bytes.strip_prefix(PACK_MAGIC).ok_or("not a packed rule file (run `extortion-guard pack`)")?;
        let (engine, body) = postcard::take_from_bytes::<String>(body).unwrap_or_default();
        if engine != PACK_ENGINE {
            return Err(format!("the rule pack was made by engine {engine:?}, this is {PACK_ENGINE:?}: pack the rules again"));
        }
        let packed: Packed = postcard::from_bytes(body).map_err(|e| format!("the rule pack is damaged: {e}"))?;
        let matcher = Matcher::from_index(packed.matcher).map_err(|e| format!("the rule pack is damaged: {e}"))?;
        let (pattern_rule, pattern_line) = pattern_owners(&packed.rules);
        if pattern_rule.len() != matcher.len() {
            return Err("the rule pack is damaged: its patterns do not fit its rules".into());
        }
        Ok(Detector { rules: packed.rules, bodies: Some(packed.bodies.to_vec()), matcher, clauses: packed.clauses, pattern_rule, pattern_line })
    }

    /// The whole rule set, given back (to add custom packs to it and compile again).
    pub fn into_rules(self) -> Result<RuleSet, String> {
        let mut rules = self.rules;
        if let Some(bodies) = self.bodies {
            postcard::from_bytes::<RuleBodies>(&bodies).map_err(|e| format!("the rule pack is damaged: {e}"))?.put(&mut rules)?;
        }
        Ok(rules)
    }

    #[cfg(feature = "compile")]
    /// Compiles every pattern now (scanning compiles each one the first time it is needed) and
    /// reports those over the size limits. `rules check` and custom packs go through this.
    pub fn compile_all(&self) -> Vec<Problem> {
        self.matcher
            .compile_all()
            .into_iter()
            .map(|p| {
                let rule = &self.rules.rules[self.pattern_rule[p.index]];
                Problem::error(&rule.file, self.pattern_line[p.index], Some(&rule.id), p.message)
            })
            .chain(self.clauses.compile_all().into_iter().map(|p| clause_problem(&self.rules, p)))
            .collect()
    }

    /// Compiles one more pattern (or set) ahead of need, so that no message waits for a first
    /// compile; call it while idle until it returns false (nothing was left to do). Scanning does
    /// not depend on it.
    pub fn warm_up_step(&self) -> bool {
        self.matcher.warm_up_step() || self.clauses.warm_up_step()
    }

    /// Bytes held by compiled patterns and by their search caches, both bounded (src/matcher.rs).
    pub fn memory_usage(&self) -> (usize, usize) {
        let ((a, b), (c, d)) = (self.matcher.memory_usage(), self.clauses.memory_usage());
        (a + c, b + d)
    }

    /// The rules. From a pack, each rule's phrases and examples and each vocabulary's words are
    /// left out (`into_rules` gives them back): scanning does not need them.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn policy(&self) -> &Policy {
        &self.rules.policy
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.rules.iter().find(|r| r.id == id)
    }

    /// Finds every rule hit in one message.
    pub fn scan_hits(&self, text: &str) -> MessageScan {
        let text = truncate(text, MAX_MESSAGE_BYTES);
        let normalized = normalize(text);
        let mut scan = MessageScan::default();
        let mut per_rule: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
        for p in self.matcher.candidates(&normalized.text) {
            let mut found = self.matcher.find_iter(p, &normalized.text).filter(|(s, e)| s < e).peekable();
            if found.peek().is_none() {
                continue;
            }
            let spans = per_rule.entry(self.pattern_rule[p]).or_default();
            for span in found {
                if spans.len() >= MAX_SPANS_PER_RULE {
                    break;
                }
                if !spans.contains(&span) {
                    spans.push(span);
                }
            }
        }
        for (rule_index, spans) in self.clauses.rule_hits(&self.clauses.find(&normalized.text)) {
            let entry = per_rule.entry(rule_index).or_default();
            for span in spans {
                if entry.len() < MAX_SPANS_PER_RULE && !entry.contains(&span) {
                    entry.push(span);
                }
            }
        }
        for (rule_index, mut spans) in per_rule {
            let rule = &self.rules.rules[rule_index];
            spans.sort_unstable();
            for (s, e) in spans {
                let hit = make_hit(rule, text, &normalized, s, e);
                if rule.testing {
                    scan.testing_hits.push(hit);
                } else {
                    let w = scan.weights.entry(rule.category.clone()).or_insert(0);
                    *w = (*w).max(rule.weight);
                    scan.hits.push(hit);
                }
            }
        }
        scan.quoted = !scan.hits.is_empty() && crate::quotes::only_quoted(text, scan.hits.iter().map(|h| (h.start, h.end)), QUOTE_NARRATION_WORDS);
        // The learned cue confirms a tactic of its own message, never stands alone nor pairs with a
        // neighbour's (across a window of chat it would meet any stray hint: measured on real chat).
        // After the quotation check: its words are a reason, not a phrase that was said.
        if let Some(learned) = self.rules.learned.as_ref().filter(|_| !scan.weights.is_empty()) {
            let reading = learned.read(&normalized.text);
            if learned.fires(&reading) {
                scan.weights.entry(crate::learn::CATEGORY.to_string()).or_insert(0);
                for (s, e) in reading.reasons {
                    let (s, e) = normalized.original_span(s, e);
                    let (rule, category) = (crate::learn::RULE.to_string(), crate::learn::CATEGORY.to_string());
                    scan.hits.push(Hit { rule, category, start: s, end: e, text: text[s..e].to_string(), message: None, joined: false });
                }
            }
        }
        scan.hits.sort_by_key(|h| (h.start, h.end));
        scan
    }

    /// Whether one rule matches a text, as the engine would see it (used for rule examples).
    pub fn rule_matches(&self, rule_index: usize, text: &str) -> bool {
        let normalized = normalize(truncate(text, MAX_MESSAGE_BYTES));
        self.pattern_rule.iter().enumerate().any(|(p, &r)| r == rule_index && self.matcher.is_match(p, &normalized.text))
            || self.clauses.rule_holds(rule_index, &self.clauses.find(&normalized.text))
    }

    /// Whether a vocabulary (by index in the rule set) occurs in a text (for its examples).
    pub fn vocab_matches(&self, vocab: usize, text: &str) -> bool {
        let normalized = normalize(truncate(text, MAX_MESSAGE_BYTES));
        self.clauses.vocab_occurs(vocab, &self.clauses.find(&normalized.text))
    }

    /// The verdict for one message on its own.
    pub fn scan(&self, text: &str) -> Verdict {
        let scan = self.scan_hits(text);
        self.decide(&[&scan])
    }

    /// The verdicts for the newest message and for the recent window of a conversation.
    /// `messages` are the conversation's incoming messages, oldest first.
    pub fn assess(&self, messages: &[Message]) -> ConversationVerdict {
        let window = self.window(messages);
        let scans: Vec<MessageScan> = messages[window.clone()].iter().map(|m| self.scan_hits(&m.text)).collect();
        self.assess_window(messages, window, &scans.iter().collect::<Vec<_>>())
    }

    /// The verdicts of several messages of one conversation, each judged as the newest with the
    /// window before it (`evaluate` holds their indexes into `messages`, oldest first). Every
    /// message is scanned once however many windows it is in, so a batch costs what its messages
    /// cost, not window × messages.
    pub fn assess_each(&self, messages: &[Message], evaluate: &[usize]) -> Vec<ConversationVerdict> {
        let mut scans: Vec<Option<MessageScan>> = vec![None; messages.len()];
        evaluate
            .iter()
            .filter(|&&i| i < messages.len())
            .map(|&i| {
                let window = self.window(&messages[..=i]);
                for j in window.clone() {
                    if scans[j].is_none() {
                        scans[j] = Some(self.scan_hits(&messages[j].text));
                    }
                }
                let refs: Vec<&MessageScan> = window.clone().filter_map(|j| scans[j].as_ref()).collect();
                self.assess_window(messages, window, &refs)
            })
            .collect()
    }

    fn assess_window(&self, messages: &[Message], window: std::ops::Range<usize>, scans: &[&MessageScan]) -> ConversationVerdict {
        let Some(newest) = scans.last() else {
            return ConversationVerdict { message: Verdict::default(), conversation: Verdict::default() };
        };
        let message = self.decide(&[newest]);
        let texts: Vec<&str> = messages[window.clone()].iter().map(|m| m.text.as_str()).collect();
        let joined = self.scan_joined(&texts);
        let mut refs: Vec<&MessageScan> = scans.to_vec();
        if let Some(j) = &joined {
            refs.push(j);
        }
        let mut conversation = self.decide(&refs);
        conversation.hits = scans
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.hits.iter().map(move |h| Hit { message: Some(window.start + i), ..h.clone() }))
            .chain(joined.iter().flat_map(|j| j.hits.iter().map(|h| Hit { message: h.message.map(|m| m + window.start), ..h.clone() })))
            .collect();
        ConversationVerdict { message, conversation }
    }

    /// Phrases split over consecutive short messages ("Fine im exposing" / "Ur pics"): the newest
    /// short messages are scanned joined, and only the rules whose phrases lie in more than one
    /// message are kept (the others were found message by message). Hits name their message
    /// (index into `texts`) and are spans in that message's own text.
    pub fn scan_joined(&self, texts: &[&str]) -> Option<MessageScan> {
        let mut first = texts.len();
        let mut total = 0;
        let last = texts.len();
        while first > 0 && last - first < JOIN_MAX_MESSAGES && texts[first - 1].len() <= JOIN_MESSAGE_BYTES && total + texts[first - 1].len() <= JOIN_TOTAL_BYTES {
            first -= 1;
            total += texts[first].len() + 1;
        }
        if texts.len() - first < 2 {
            return None;
        }
        let mut joined = String::with_capacity(total);
        let mut starts = Vec::new();
        for t in &texts[first..] {
            starts.push(joined.len());
            joined.push_str(t);
            joined.push(' ');
        }
        let message_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
        let scan = self.scan_hits(&joined);
        let mut by_rule: BTreeMap<&str, Vec<&Hit>> = BTreeMap::new();
        for h in &scan.hits {
            by_rule.entry(&h.rule).or_default().push(h);
        }
        let mut out = MessageScan::default();
        for hits in by_rule.values() {
            let first_message = message_of(hits[0].start);
            if hits.iter().all(|h| message_of(h.start) == first_message && message_of(h.end.saturating_sub(1).max(h.start)) == first_message) {
                continue;
            }
            for h in hits {
                let m = message_of(h.start);
                let text = texts[first + m];
                let start = h.start - starts[m];
                let end = (h.end - starts[m]).min(text.len());
                out.hits.push(Hit { start, end, text: text[start..end].to_string(), message: Some(first + m), joined: true, ..(*h).clone() });
            }
            if let Some(rule) = self.rule(&hits[0].rule) {
                let w = out.weights.entry(rule.category.clone()).or_insert(0);
                *w = (*w).max(rule.weight);
            }
        }
        (!out.hits.is_empty()).then_some(out)
    }

    /// Which messages count for the newest one: the last `window.messages`, and of those, the ones
    /// no older than `window.minutes` before the newest (when both times are known).
    pub fn window(&self, messages: &[Message]) -> std::ops::Range<usize> {
        self.window_of(messages.len(), |i| messages[i].time)
    }

    pub fn window_of(&self, len: usize, time: impl Fn(usize) -> Option<f64>) -> std::ops::Range<usize> {
        if len == 0 {
            return 0..0;
        }
        let w = &self.rules.policy.window;
        let mut start = len.saturating_sub(w.messages.max(1));
        if let Some(newest) = time(len - 1) {
            let oldest_allowed = newest - (w.minutes as f64) * 60_000.0;
            while start < len - 1 && time(start).is_some_and(|t| t < oldest_allowed) {
                start += 1;
            }
        }
        start..len
    }

    /// Combines the categories of some scans into a verdict.
    pub fn decide(&self, scans: &[&MessageScan]) -> Verdict {
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        let policy = &self.rules.policy;
        let reports = |scan: &MessageScan| scan.quoted || policy.reported_by.iter().any(|c| scan.weights.contains_key(c));
        for scan in scans.iter().filter(|s| !reports(s)) {
            for (c, &w) in &scan.weights {
                let e = seen.entry(c.as_str()).or_insert(0);
                *e = (*e).max(w);
            }
        }
        let (level, score) = policy.decide(&seen);
        Verdict {
            warn: level >= policy.warn_from && level > Level::None,
            level,
            score,
            categories: seen.keys().map(|c| c.to_string()).collect(),
            hits: scans.iter().flat_map(|s| s.hits.iter().cloned()).collect(),
        }
    }

    /// A verdict re-judged against another warning level (the user's sensitivity setting).
    pub fn with_warn_from(&self, mut verdict: Verdict, warn_from: Level) -> Verdict {
        verdict.warn = verdict.level >= warn_from && verdict.level > Level::None;
        verdict
    }
}

fn make_hit(rule: &Rule, original: &str, normalized: &Normalized, start: usize, end: usize) -> Hit {
    // Spaces at the edges of a match come from normalisation (emoji names); they are not the phrase.
    let trimmed = &normalized.text[start..end];
    let start = start + (trimmed.len() - trimmed.trim_start().len());
    let end = end - (trimmed.len() - trimmed.trim_end().len()).min(end - start);
    let (s, e) = normalized.original_span(start, end);
    Hit { rule: rule.id.clone(), category: rule.category.clone(), start: s, end: e, text: original[s..e].to_string(), message: None, joined: false }
}

/// The longest prefix of `text` within `max` bytes that ends on a character boundary.
pub use crate::normalize::truncate_bytes as truncate;
