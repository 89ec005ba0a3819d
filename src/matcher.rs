//! Finding which of many volunteer patterns match a message, fast, on a 2-core laptop or in a
//! service worker that is woken for each batch.
//!
//! One `RegexSet` over every pattern was measured at 46 ms per message with ~1,200 patterns: the
//! bounded repetitions rule writers need (`(\w+\s+){0,3}`) make the combined lazy DFA's states
//! explode and it falls back to the slow NFA simulation, and compiling the set took seconds.
//! Instead, each pattern is reduced to the literals it cannot match without (`post|leak|share` in
//! `i will (post|leak|share) it`); one Aho-Corasick pass over the message finds the patterns whose
//! literals occur, and only those run. Patterns with no usable literal run every time.
//!
//! Each pattern runs as a pair of fully built DFAs (forward for the end of a match, reverse for its
//! start): a search is one pass over the bytes, with no cache that grows with what was scanned and
//! nothing compiled while a message waits. The DFAs are built when the rules are packed and stored
//! in the pack, so the engine that scans (the extension's) holds no regex compiler at all; rules
//! read from their files build each pattern's DFAs the first time a message needs them.
//!
//! A fully built DFA cannot look at Unicode word boundaries, and Unicode classes make it large, so
//! patterns are read in one documented dialect (rules/README.md): `\w`, `\d` and `\b` are ASCII,
//! while `\W`, `\S`, `.` and negated classes take in every non-ASCII character. Normalised
//! Latin-script messages are ASCII; other scripts are the vocabularies' business.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::dfa::{regex::Regex, sparse, Automaton};
use regex_automata::Input;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Longest pattern source accepted, in bytes.
pub const PATTERN_MAX_LEN: usize = 4000;
/// Size allowed for one pattern's automaton while it is built (each direction).
#[cfg(feature = "compile")]
pub const PATTERN_DFA_LIMIT: usize = 8 << 20;
/// A literal shorter than this (in bytes) finds too much to be worth filtering on.
#[cfg(feature = "compile")]
const MIN_LITERAL_LEN: usize = 3;
/// More alternatives than this and a pattern is cheaper to run than to filter.
#[cfg(feature = "compile")]
const MAX_LITERALS: usize = 400;
/// Matches of one pattern reported per message: the engine keeps a few spans per rule.
const MAX_MATCHES: usize = 64;

type Dfa = Regex<sparse::DFA<Vec<u8>>>;

struct Pattern {
    /// As written (what `index` packs and `rules check` quotes).
    source: String,
    /// Built from the source when first needed, or read from the pack.
    dfa: OnceLock<Result<Dfa, String>>,
}

pub struct Matcher {
    patterns: Vec<Pattern>,
    prefilter: AhoCorasick,
    literals: Vec<Vec<u8>>,
    /// For each prefilter literal, the patterns that need it.
    literal_patterns: Vec<Vec<u32>>,
    /// Patterns without a usable literal, which run on every message.
    always: Vec<u32>,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::from_index(MatcherIndex::default()).expect("no patterns index")
    }
}

/// `#[serde(with = "crate::matcher::packed")]`: a matcher packed as its index.
pub mod packed {
    use super::{Matcher, MatcherIndex};
    use serde::{Deserialize, Deserializer};
    #[cfg(feature = "compile")]
    use serde::{Serialize, Serializer};

    #[cfg(feature = "compile")]
    pub fn serialize<S: Serializer>(m: &Matcher, s: S) -> Result<S::Ok, S::Error> {
        m.index().map_err(serde::ser::Error::custom)?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Matcher, D::Error> {
        Matcher::from_index(MatcherIndex::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// What a matcher is made of once its patterns were read: their sources, their DFAs (forward and
/// reverse, serialised) and the literals that select them. Packed with the rules, so that a
/// matcher loads without parsing or compiling anything.
#[derive(Default, Serialize, Deserialize)]
pub struct MatcherIndex {
    sources: Vec<String>,
    /// Forward and reverse DFA of each pattern, little-endian; empty when not built.
    dfas: Vec<(Vec<u8>, Vec<u8>)>,
    literals: Vec<Vec<u8>>,
    literal_patterns: Vec<Vec<u32>>,
    always: Vec<u32>,
}

/// What is wrong with one pattern: its index and a message for people.
#[derive(Debug, Clone)]
pub struct PatternProblem {
    pub index: usize,
    pub message: String,
    pub error: bool,
}

impl Matcher {
    /// A matcher from what `new` learnt (`index`). Every DFA in it is read now: reading is a
    /// check of the bytes, so a damaged pack is refused here and never half-used.
    pub fn from_index(index: MatcherIndex) -> Result<Matcher, String> {
        let prefilter = AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(&index.literals).map_err(|e| format!("cannot index the patterns' literals: {e}"))?;
        if !index.dfas.is_empty() && index.dfas.len() != index.sources.len() {
            return Err("the patterns' automata do not fit the patterns".into());
        }
        let mut patterns = Vec::with_capacity(index.sources.len());
        for (i, source) in index.sources.into_iter().enumerate() {
            let dfa = OnceLock::new();
            match index.dfas.get(i) {
                Some((fwd, rev)) => drop(dfa.set(Ok(read_dfa(fwd, rev).map_err(|e| format!("pattern {} cannot be read: {e}", i + 1))?))),
                None if cfg!(feature = "compile") => {}
                None => return Err("the pack holds patterns without their automata, and this engine cannot compile them: pack the rules again".into()),
            }
            patterns.push(Pattern { source, dfa });
        }
        let matcher = Matcher { patterns, prefilter, literals: index.literals, literal_patterns: index.literal_patterns, always: index.always };
        let bad = matcher.literal_patterns.iter().flatten().chain(&matcher.always).any(|&p| p as usize >= matcher.patterns.len());
        if bad || matcher.literal_patterns.len() != matcher.literals.len() {
            return Err("the patterns' index does not fit the patterns".into());
        }
        Ok(matcher)
    }

    /// A pattern's automaton, built now if this is its first use.
    fn dfa(&self, pattern: usize) -> Result<&Dfa, &str> {
        let p = &self.patterns[pattern];
        p.dfa.get_or_init(|| build(&p.source, false)).as_ref().map_err(String::as_str)
    }

    /// Builds the automaton of one more pattern that a message would otherwise wait for. The
    /// engine's host calls it while idle. Returns false, having done nothing, once all are built
    /// (always, for a matcher read from a pack).
    pub fn warm_up_step(&self) -> bool {
        match self.patterns.iter().position(|p| p.dfa.get().is_none()) {
            Some(i) => {
                let _ = self.dfa(i);
                true
            }
            None => false,
        }
    }

    /// Bytes held by the patterns' automata (built so far), and by search caches: there are none.
    pub fn memory_usage(&self) -> (usize, usize) {
        let dfas = self.patterns.iter().filter_map(|p| p.dfa.get()?.as_ref().ok()).map(|re| re.forward().memory_usage() + re.reverse().memory_usage()).sum();
        (dfas, 0)
    }

    /// The patterns that may match `text` (normalised), in increasing order.
    pub fn candidates(&self, text: &str) -> Vec<usize> {
        let mut seen = vec![false; self.patterns.len()];
        for m in self.prefilter.find_overlapping_iter(text) {
            for &p in &self.literal_patterns[m.pattern().as_usize()] {
                seen[p as usize] = true;
            }
        }
        for &p in &self.always {
            if !seen[p as usize] && self.is_match(p as usize, text) {
                seen[p as usize] = true;
            }
        }
        seen.iter().enumerate().filter(|(_, &s)| s).map(|(i, _)| i).collect()
    }

    /// Matches of one pattern in `text` (normalised), at most `MAX_MATCHES`. A pattern that cannot
    /// be compiled matches nothing; `compile_all` reports it, and packs are checked before they are used.
    pub fn find_iter<'t>(&'t self, pattern: usize, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        let mut found = Vec::new();
        if let Ok(re) = self.dfa(pattern) {
            let mut input = Input::new(text);
            // The DFAs have no quit bytes and no Unicode word boundaries, so a search cannot fail.
            while let Ok(Some(m)) = re.try_search(&input) {
                found.push((m.start(), m.end()));
                // Patterns never match the empty string (`parse`), so this always advances.
                if found.len() == MAX_MATCHES || m.end() >= text.len() {
                    break;
                }
                input.set_start(m.end().max(m.start() + 1));
            }
        }
        found.into_iter()
    }

    pub fn is_match(&self, pattern: usize, text: &str) -> bool {
        self.dfa(pattern).is_ok_and(|re| matches!(re.forward().try_search_fwd(&Input::new(text).earliest(true)), Ok(Some(_))))
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

fn read_dfa(fwd: &[u8], rev: &[u8]) -> Result<Dfa, String> {
    let (f, _) = sparse::DFA::from_bytes(fwd).map_err(|e| e.to_string())?;
    let (r, _) = sparse::DFA::from_bytes(rev).map_err(|e| e.to_string())?;
    Ok(Regex::builder().build_from_dfas(f.to_owned(), r.to_owned()))
}

#[cfg(not(feature = "compile"))]
fn build(_source: &str, _minimize: bool) -> Result<Dfa, String> {
    Err("this engine reads packed rules only and cannot compile a pattern".into())
}

#[cfg(feature = "compile")]
pub use compile::build;

#[cfg(feature = "compile")]
mod compile {
    use super::*;
    use regex_automata::dfa::dense;
    use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition};

    impl Matcher {
        /// Parses and indexes every pattern. Syntax errors, empty matches and oversized sources are
        /// found here; `compile_all` also finds patterns too large once compiled.
        pub fn new<S: AsRef<str>>(sources: &[S]) -> Result<(Matcher, Vec<PatternProblem>), Vec<PatternProblem>> {
            let mut problems = Vec::new();
            let mut kept = Vec::new();
            let mut literal_index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
            let mut literals: Vec<Vec<u8>> = Vec::new();
            let mut literal_patterns: Vec<Vec<u32>> = Vec::new();
            let mut always = Vec::new();
            for (index, source) in sources.iter().enumerate() {
                let source = source.as_ref();
                let hir = match parse(source) {
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
                            literal_patterns[id].push(kept.len() as u32);
                        }
                    }
                    _ => always.push(kept.len() as u32),
                }
                kept.push(source.to_string());
            }
            if problems.iter().any(|p| p.error) {
                return Err(problems);
            }
            let index = MatcherIndex { sources: kept, dfas: Vec::new(), literals, literal_patterns, always };
            let matcher = Matcher::from_index(index).map_err(|message| vec![PatternProblem { index: 0, message, error: true }])?;
            Ok((matcher, problems))
        }

        /// What `from_index` needs to build this matcher again, automata included. They are built
        /// afresh and minimised (smaller than the ones built for scanning, same matches), so the
        /// same rules always pack to the same bytes.
        pub fn index(&self) -> Result<MatcherIndex, String> {
            let mut dfas = Vec::with_capacity(self.patterns.len());
            for p in &self.patterns {
                let re = build(&p.source, true)?;
                dfas.push((re.forward().to_bytes_little_endian(), re.reverse().to_bytes_little_endian()));
            }
            Ok(MatcherIndex {
                sources: self.patterns.iter().map(|p| p.source.clone()).collect(),
                dfas,
                literals: self.literals.clone(),
                literal_patterns: self.literal_patterns.clone(),
                always: self.always.clone(),
            })
        }

        /// Builds every pattern's automaton now, reporting those over the size limit.
        pub fn compile_all(&self) -> Vec<PatternProblem> {
            (0..self.patterns.len()).filter_map(|index| self.dfa(index).err().map(|message| PatternProblem { index, message: message.to_string(), error: true })).collect()
        }
    }

    fn parse(source: &str) -> Result<Hir, String> {
        if source.len() > PATTERN_MAX_LEN {
            return Err(format!("pattern is {} bytes long; the limit is {PATTERN_MAX_LEN}", source.len()));
        }
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&decompose_indic(source))
            .map_err(|e| format!("pattern does not compile:\n{}", indent(&e.to_string())))?;
        if hir.properties().minimum_len() == Some(0) {
            return Err(format!("pattern can match the empty string, so it would match every message:\n    {source}"));
        }
        Ok(to_dialect(&hir))
    }

    /// The pattern's forward and reverse DFAs, in the dialect of the module comment.
    pub fn build(source: &str, minimize: bool) -> Result<Dfa, String> {
        let hir = parse(source)?;
        let too_large = |e: &dyn std::fmt::Display| format!("pattern is too large once compiled ({e}); split it or bound its repetitions:\n    {source}");
        let nfa = |reverse: bool| {
            regex_automata::nfa::thompson::Compiler::new()
                .configure(regex_automata::nfa::thompson::Config::new().reverse(reverse).which_captures(regex_automata::nfa::thompson::WhichCaptures::None).nfa_size_limit(Some(PATTERN_DFA_LIMIT)))
                .build_from_hir(&hir)
                .map_err(|e| too_large(&e))
        };
        let limits = |c: dense::Config| c.minimize(minimize).dfa_size_limit(Some(PATTERN_DFA_LIMIT)).determinize_size_limit(Some(PATTERN_DFA_LIMIT));
        // As `dfa::regex::Builder` configures the pair: the reverse DFA runs anchored from a
        // match's end and must see every match to find the leftmost start.
        let forward = dense::Builder::new().configure(limits(dense::Config::new())).build_from_nfa(&nfa(false)?).map_err(|e| too_large(&e))?;
        let reverse = dense::Builder::new()
            .configure(limits(dense::Config::new().prefilter(None).specialize_start_states(false).start_kind(regex_automata::dfa::StartKind::Anchored).match_kind(regex_automata::MatchKind::All)))
            .build_from_nfa(&nfa(true)?)
            .map_err(|e| too_large(&e))?;
        Ok(Regex::builder().build_from_dfas(forward.to_sparse().map_err(|e| too_large(&e))?, reverse.to_sparse().map_err(|e| too_large(&e))?))
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

    fn codepoints(class: &ClassUnicode) -> u64 {
        class.ranges().iter().map(|r| r.end() as u64 - r.start() as u64 + 1).sum()
    }

    /// A class's non-ASCII members are kept when they are few (written out by the author), or
    /// become every non-ASCII character when they are most of them (`\W`, `\S`, `.`, `[^…]`);
    /// the many ranges of a Unicode class such as `\w` or `\d` are dropped.
    const FEW_RANGES: usize = 16;

    /// The pattern in the matcher's dialect: word boundaries and `\w`-like classes in ASCII.
    fn to_dialect(hir: &Hir) -> Hir {
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
                let all_beyond = ClassUnicode::new([ClassUnicodeRange::new('\u{80}', '\u{10FFFF}')]);
                let mut out = class.clone();
                out.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
                let mut beyond = class.clone();
                beyond.intersect(&all_beyond);
                if codepoints(&beyond) * 2 >= codepoints(&all_beyond) {
                    out.union(&all_beyond);
                } else if beyond.ranges().len() <= FEW_RANGES {
                    out.union(&beyond);
                }
                Hir::class(Class::Unicode(out))
            }
            HirKind::Repetition(r) => Hir::repetition(Repetition { sub: Box::new(to_dialect(&r.sub)), ..r.clone() }),
            HirKind::Capture(c) => Hir::capture(Capture { sub: Box::new(to_dialect(&c.sub)), ..c.clone() }),
            HirKind::Concat(subs) => Hir::concat(subs.iter().map(to_dialect).collect()),
            HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(to_dialect).collect()),
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
        fn word_classes_are_ascii_and_their_negations_take_in_other_scripts() {
            let (m, _) = Matcher::new(&[r"\b\w+\s+(video|vid)\b", r"^\W*(pics)\W*$", r"tu\S+ foto", r"[क-ह]+ video"]).unwrap();
            assert!(m.is_match(0, "your video"));
            assert!(!m.is_match(0, "yourvideo"));
            assert!(!m.is_match(0, "तेरा video"), "`\\w` is ASCII: a Devanagari word is not one");
            assert!(m.is_match(1, "👉 pics ❗"), "`\\W` takes in symbols beyond ASCII");
            assert!(m.is_match(2, "tuà foto"), "`\\S` takes in every non-ASCII character");
            assert!(m.is_match(3, "कह video"), "a class written out in another script is kept");
        }

        #[test]
        fn packed_automata_match_as_the_built_ones() {
            let (m, _) = Matcher::new(&[r"\bpay (me )?\d+", r"\d{3,}\s*usd"]).unwrap();
            let again = Matcher::from_index(m.index().unwrap()).unwrap();
            for text in ["pay 300 or everyone sees", "500 usd", "pay me 12 and 900usd"] {
                for p in 0..2 {
                    assert_eq!(m.find_iter(p, text).collect::<Vec<_>>(), again.find_iter(p, text).collect::<Vec<_>>(), "{text}");
                }
            }
            assert!(!again.warm_up_step(), "a packed matcher has nothing left to build");
        }

        #[test]
        fn a_pattern_too_large_for_an_automaton_is_reported() {
            let (m, _) = Matcher::new(&[r"a.{200}b.{200}c"]).unwrap();
            let problems = m.compile_all();
            assert_eq!(problems.len(), 1);
            assert!(problems[0].message.contains("too large"), "{}", problems[0].message);
        }
    }
}
