//! Finding which of many volunteer patterns match a message, fast, on a 2-core laptop or in a
//! service worker that is woken for each batch.
//!
//! One `RegexSet` over every pattern was measured at 46 ms per message with ~1,200 patterns: the
//! bounded repetitions rule writers need (`(\w+\s+){0,3}`) make the combined lazy DFA's states
//! explode and it falls back to the slow NFA simulation, and compiling the set took seconds.
//! Instead, each pattern is reduced to the literals it cannot match without (`post|leak|share` in
//! `i will (post|leak|share) it`); one Aho-Corasick pass over the message finds the patterns whose
//! literals occur, and only those run. Patterns with no usable literal run every time, in one
//! small `RegexSet`. A pattern is compiled the first time it is needed, so waking up is cheap.
//!
//! Normalised messages are mostly ASCII. For those, each pattern runs in an ASCII form (`\b` and
//! `\w` restricted to ASCII), which gives the same matches on ASCII text and keeps the DFA small;
//! messages with other scripts use the pattern exactly as written.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition};
use std::sync::OnceLock;

/// Compiled size allowed for one volunteer pattern.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// Lazy-DFA cache allowed for one pattern.
pub const PATTERN_DFA_LIMIT: usize = 2 << 20;
/// Longest pattern source accepted, in bytes.
pub const PATTERN_MAX_LEN: usize = 4000;
/// A literal shorter than this (in bytes) finds too much to be worth filtering on.
const MIN_LITERAL_LEN: usize = 3;
/// More alternatives than this and a pattern is cheaper to run than to filter.
const MAX_LITERALS: usize = 400;

struct Pattern {
    unicode_source: String,
    ascii_source: String,
    unicode: OnceLock<Result<Regex, String>>,
    ascii: OnceLock<Result<Regex, String>>,
}

impl Pattern {
    fn regex(&self, ascii: bool) -> Result<&Regex, &str> {
        let (cell, source) = if ascii { (&self.ascii, &self.ascii_source) } else { (&self.unicode, &self.unicode_source) };
        cell.get_or_init(|| build(source)).as_ref().map_err(String::as_str)
    }
}

pub struct Matcher {
    patterns: Vec<Pattern>,
    prefilter: AhoCorasick,
    /// For each prefilter literal, the patterns that need it.
    literal_patterns: Vec<Vec<u32>>,
    /// Patterns without a usable literal, which run on every message.
    always: Vec<u32>,
    always_ascii: RegexSet,
    always_unicode: RegexSet,
}

/// What is wrong with one pattern: its index and a message for people.
#[derive(Debug, Clone)]
pub struct PatternProblem {
    pub index: usize,
    pub message: String,
    pub error: bool,
}

impl Matcher {
    /// Parses and indexes every pattern. Syntax errors, empty matches and oversized sources are
    /// found here; `compile_all` also finds patterns too large once compiled.
    pub fn new<S: AsRef<str>>(sources: &[S]) -> Result<(Matcher, Vec<PatternProblem>), Vec<PatternProblem>> {
        let mut problems = Vec::new();
        let mut patterns = Vec::new();
        let mut literal_index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut literal_patterns: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (index, source) in sources.iter().enumerate() {
            let source = decompose_indic(source.as_ref());
            let hir = match parse(&source) {
                Ok(hir) => hir,
                Err(message) => {
                    problems.push(PatternProblem { index, message, error: true });
                    continue;
                }
            };
            if let Some(c) = uppercase_literal(&hir) {
                let message = format!("pattern has the upper-case letter `{c}`, but messages are lower-cased before matching, so it can never match:\n    {source}");
                problems.push(PatternProblem { index, message, error: false });
            }
            match required_literals(&hir) {
                Some(set) if set.iter().all(|l| l.len() >= MIN_LITERAL_LEN) && set.len() <= MAX_LITERALS => {
                    for lit in set {
                        let id = *literal_index.entry(lit.clone()).or_insert_with(|| {
                            literals.push(lit);
                            literal_patterns.push(Vec::new());
                            literals.len() - 1
                        });
                        literal_patterns[id].push(patterns.len() as u32);
                    }
                }
                _ => always.push(patterns.len() as u32),
            }
            patterns.push(Pattern {
                ascii_source: to_ascii(&hir).to_string(),
                unicode_source: source,
                unicode: OnceLock::new(),
                ascii: OnceLock::new(),
            });
        }
        if problems.iter().any(|p| p.error) {
            return Err(problems);
        }
        let prefilter = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| vec![PatternProblem { index: 0, message: format!("cannot index the patterns' literals: {e}"), error: true }])?;
        let set = |ascii: bool| {
            let sources = always.iter().map(|&p| {
                let p = &patterns[p as usize];
                if ascii { p.ascii_source.as_str() } else { p.unicode_source.as_str() }
            });
            RegexSetBuilder::new(sources).size_limit(PATTERN_SIZE_LIMIT * 16).dfa_size_limit(PATTERN_DFA_LIMIT * 8).build()
        };
        let (always_ascii, always_unicode) = match (set(true), set(false)) {
            (Ok(a), Ok(u)) => (a, u),
            (Err(e), _) | (_, Err(e)) => {
                return Err(vec![PatternProblem { index: always.first().copied().unwrap_or(0) as usize, message: format!("the patterns without a literal are too large together: {e}"), error: true }]);
            }
        };
        Ok((Matcher { patterns, prefilter, literal_patterns, always, always_ascii, always_unicode }, problems))
    }

    /// Compiles every pattern in both forms, reporting those over the size limits.
    pub fn compile_all(&self) -> Vec<PatternProblem> {
        let mut problems = Vec::new();
        for (index, p) in self.patterns.iter().enumerate() {
            for ascii in [false, true] {
                if let Err(message) = p.regex(ascii) {
                    problems.push(PatternProblem { index, message: message.to_string(), error: true });
                    break;
                }
            }
        }
        problems
    }

    /// The patterns that may match `text` (normalised), in increasing order.
    pub fn candidates(&self, text: &str) -> Vec<usize> {
        let ascii = text.is_ascii();
        let mut seen = vec![false; self.patterns.len()];
        for m in self.prefilter.find_overlapping_iter(text) {
            for &p in &self.literal_patterns[m.pattern().as_usize()] {
                seen[p as usize] = true;
            }
        }
        let always = if ascii { &self.always_ascii } else { &self.always_unicode };
        for k in always.matches(text).iter() {
            seen[self.always[k] as usize] = true;
        }
        seen.iter().enumerate().filter(|(_, &s)| s).map(|(i, _)| i).collect()
    }

    /// Matches of one pattern in `text` (normalised). A pattern that cannot be compiled matches
    /// nothing; `compile_all` reports it, and packs are checked before they are used.
    pub fn find_iter<'t>(&'t self, pattern: usize, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        self.patterns[pattern].regex(text.is_ascii()).ok().into_iter().flat_map(move |re| re.find_iter(text).map(|m| (m.start(), m.end())))
    }

    pub fn is_match(&self, pattern: usize, text: &str) -> bool {
        self.patterns[pattern].regex(text.is_ascii()).is_ok_and(|re| re.is_match(text))
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

fn parse(source: &str) -> Result<Hir, String> {
    if source.len() > PATTERN_MAX_LEN {
        return Err(format!("pattern is {} bytes long; the limit is {PATTERN_MAX_LEN}", source.len()));
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .map_err(|e| format!("pattern does not compile:\n{}", indent(&e.to_string())))?;
    if hir.properties().minimum_len() == Some(0) {
        return Err(format!("pattern can match the empty string, so it would match every message:\n    {source}"));
    }
    Ok(hir)
}

fn build(source: &str) -> Result<Regex, String> {
    RegexBuilder::new(source).size_limit(PATTERN_SIZE_LIMIT).dfa_size_limit(PATTERN_DFA_LIMIT).build().map_err(|e| match e {
        regex::Error::CompiledTooBig(limit) => {
            format!("pattern is too large once compiled (over {limit} bytes); split it or bound its repetitions:\n    {source}")
        }
        other => format!("pattern does not compile:\n{}", indent(&other.to_string())),
    })
}

/// Messages are normalised to decomposed form, which splits Devanagari nukta letters (`ड़` into
/// `ड` + `़`); patterns get the same treatment so authors can type either form.
fn decompose_indic(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for c in source.chars() {
        if ('\u{0900}'..='\u{0DFF}').contains(&c) {
            unicode_normalization::char::decompose_canonical(c, |d| out.push(d));
        } else {
            out.push(c);
        }
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// The same pattern with word boundaries and classes restricted to ASCII: identical matches on
/// ASCII text, and a far smaller automaton.
fn to_ascii(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(look) => Hir::look(match look {
            Look::WordUnicode => Look::WordAscii,
            Look::WordUnicodeNegate => Look::WordAsciiNegate,
            Look::WordStartUnicode => Look::WordStartAscii,
            Look::WordEndUnicode => Look::WordEndAscii,
            Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
            Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
            other => *other,
        }),
        HirKind::Class(Class::Unicode(class)) => {
            let mut class = class.clone();
            class.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
            Hir::class(Class::Unicode(class))
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition { sub: Box::new(to_ascii(&r.sub)), ..r.clone() }),
        HirKind::Capture(c) => Hir::capture(Capture { sub: Box::new(to_ascii(&c.sub)), ..c.clone() }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(to_ascii).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(to_ascii).collect()),
        _ => hir.clone(),
    }
}

/// A set of literals one of which occurs in every match, chosen to be as selective as possible
/// (the longest shortest literal), or None when there is no such set.
fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(required_literals(s)?);
                if all.len() > MAX_LITERALS {
                    return None;
                }
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        HirKind::Concat(subs) => subs.iter().filter_map(required_literals).max_by_key(|set| {
            let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
            (shortest.min(8), std::cmp::Reverse(set.len()))
        }),
        _ => None,
    }
}

/// The first upper-case letter in a literal of the pattern, if any.
fn uppercase_literal(hir: &Hir) -> Option<char> {
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0).ok()?.chars().find(|c| c.is_uppercase()),
        HirKind::Capture(c) => uppercase_literal(&c.sub),
        HirKind::Repetition(r) => uppercase_literal(&r.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().find_map(uppercase_literal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(p: &str) -> Option<Vec<String>> {
        required_literals(&parse(p).unwrap()).map(|s| s.into_iter().map(|l| String::from_utf8(l).unwrap()).collect())
    }

    #[test]
    fn picks_the_most_selective_required_literals() {
        assert_eq!(literals(r"\bi (will|ll) (post|leak|share) it\b").unwrap(), ["leak", "post", "share"]);
        assert_eq!(literals(r"pay\s+\$?\d+").unwrap(), ["pay"]);
        assert_eq!(literals(r"(send|post)?\s*nudes").unwrap(), ["nudes"]);
        assert_eq!(literals(r"\d+\s*(h|hr)").unwrap(), ["h", "hr"], "too short: such a pattern runs always");
        assert_eq!(literals(r"\d+\s*\w+"), None);
    }

    #[test]
    fn finds_candidates_and_matches() {
        let (m, _) = Matcher::new(&[r"\bpay (me )?\d+", r"\b(everyone|every1) (sees|will see)\b", r"\d{3,}\s*usd"]).unwrap();
        assert_eq!(m.candidates("pay 300 or everyone sees"), [0, 1], "no `usd`, so not the third");
        assert_eq!(m.candidates("500 usd"), [2]);
        assert_eq!(m.find_iter(0, "pay 300 or everyone sees").collect::<Vec<_>>(), [(0, 7)]);
        assert!(m.is_match(2, "500 usd"));
        assert!(!m.is_match(2, "50 usd"));
    }

    #[test]
    fn ascii_form_matches_like_the_original_on_ascii_text() {
        let p = r"\b\w+\s+(video|vid)\b";
        let (m, _) = Matcher::new(&[p]).unwrap();
        assert!(m.is_match(0, "your video"));
        assert!(m.is_match(0, "तेरा video"), "non-ASCII text uses the Unicode form");
        assert!(!m.is_match(0, "yourvideo"));
    }
}
