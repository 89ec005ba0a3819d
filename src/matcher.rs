//! Finding which of many volunteer patterns match a message, fast, on a 2-core laptop or in a
//! service worker that is woken for each batch.
//!
//! One `RegexSet` over every pattern was measured at 46 ms per message with ~1,200 patterns: the
//! bounded repetitions rule writers need (`(\w+\s+){0,3}`) make the combined lazy DFA's states
//! explode and it falls back to the slow NFA simulation, and compiling the set took seconds.
//! Instead, each pattern is reduced to the literals it cannot match without (`post|leak|share` in
//! `i will (post|leak|share) it`); one Aho-Corasick pass over the message finds the patterns whose
//! literals occur, and only those run. Patterns with no usable literal run every time, in one
//! small set. A pattern is compiled the first time it is needed, so waking up is cheap.
//!
//! Normalised messages are mostly ASCII. For those, each pattern runs in an ASCII form (`\b` and
//! `\w` restricted to ASCII), which gives the same matches on ASCII text and keeps the DFA small;
//! messages with other scripts use the pattern exactly as written.
//!
//! Memory is bounded: patterns are `regex_automata::meta` regexes whose search caches (the lazy
//! DFA's states, which otherwise grow with every message and are never given back) are kept
//! outside them, counted, and all dropped when together they pass `CACHE_BUDGET`; a dropped cache
//! is rebuilt empty on the pattern's next search. Compiled patterns themselves are kept only up to
//! `COMPILED_BUDGET`: past it the least recently used are dropped and compiled again when needed.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::{self, Cache, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, PatternSet};
use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Compiled size allowed for one volunteer pattern.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// Lazy-DFA cache allowed for one pattern.
pub const PATTERN_DFA_LIMIT: usize = 2 << 20;
/// Longest pattern source accepted, in bytes.
pub const PATTERN_MAX_LEN: usize = 4000;
/// All search caches together; past this they are all dropped (and rebuilt empty when needed).
pub const CACHE_BUDGET: usize = 8 << 20;
/// All compiled patterns together; past this the least recently used are dropped.
pub const COMPILED_BUDGET: usize = 16 << 20;
/// A literal shorter than this (in bytes) finds too much to be worth filtering on.
const MIN_LITERAL_LEN: usize = 3;
/// More alternatives than this and a pattern is cheaper to run than to filter.
const MAX_LITERALS: usize = 400;
/// Matches of one pattern reported per message: the engine keeps a few spans per rule.
const MAX_MATCHES: usize = 64;

/// A compiled pattern (or set) with its search cache, kept outside so that it can be dropped.
struct Compiled {
    re: Regex,
    cache: Mutex<Option<Cache>>,
    /// The cache's size when last counted in `Budget::caches`.
    cache_bytes: AtomicUsize,
    bytes: usize,
}

/// What the compiled patterns and their caches take, and a clock for least-recently-used.
#[derive(Default)]
struct Budget {
    caches: AtomicUsize,
    compiled: AtomicUsize,
    clock: AtomicU64,
}

impl Compiled {
    fn new(re: Regex) -> Compiled {
        let bytes = re.memory_usage() + std::mem::size_of::<Compiled>();
        Compiled { re, cache: Mutex::new(None), cache_bytes: AtomicUsize::new(0), bytes }
    }

    /// Runs `f` with this regex's cache, then counts what the cache has grown to.
    fn with_cache<T>(&self, budget: &Budget, f: impl FnOnce(&Regex, &mut Cache) -> T) -> T {
        let (out, size) = match self.cache.try_lock() {
            Ok(mut slot) => {
                let cache = slot.get_or_insert_with(|| self.re.create_cache());
                let out = f(&self.re, cache);
                (out, cache.memory_usage())
            }
            // Another thread is searching with it: a cache of our own for this once.
            Err(_) => return f(&self.re, &mut self.re.create_cache()),
        };
        let before = self.cache_bytes.swap(size, Ordering::Relaxed);
        if size >= before {
            budget.caches.fetch_add(size - before, Ordering::Relaxed);
        } else {
            budget.caches.fetch_sub((before - size).min(budget.caches.load(Ordering::Relaxed)), Ordering::Relaxed);
        }
        out
    }

    fn drop_cache(&self) -> usize {
        if let Ok(mut slot) = self.cache.try_lock() {
            *slot = None;
            return self.cache_bytes.swap(0, Ordering::Relaxed);
        }
        0
    }
}

/// One form (ASCII or as written) of a pattern: compiled when first needed, droppable.
#[derive(Default)]
struct Form {
    slot: Mutex<Option<Result<Arc<Compiled>, String>>>,
    last_used: AtomicU64,
}

impl Form {
    fn get(&self, source: &str, budget: &Budget) -> Result<Arc<Compiled>, String> {
        self.last_used.store(budget.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = slot.as_ref() {
            return found.clone();
        }
        let built = build(source).map(|re| Arc::new(Compiled::new(re)));
        if let Ok(c) = &built {
            budget.compiled.fetch_add(c.bytes, Ordering::Relaxed);
        }
        *slot = Some(built.clone());
        built
    }

    fn compiled(&self) -> Option<Arc<Compiled>> {
        self.slot.try_lock().ok()?.as_ref()?.as_ref().ok().cloned()
    }
}

struct Pattern {
    unicode_source: String,
    ascii_source: String,
    unicode: Form,
    ascii: Form,
}

impl Pattern {
    fn form(&self, ascii: bool) -> (&Form, &str) {
        if ascii { (&self.ascii, &self.ascii_source) } else { (&self.unicode, &self.unicode_source) }
    }
}

pub struct Matcher {
    patterns: Vec<Pattern>,
    prefilter: AhoCorasick,
    literals: Vec<Vec<u8>>,
    /// For each prefilter literal, the patterns that need it.
    literal_patterns: Vec<Vec<u32>>,
    /// Patterns without a usable literal, which run on every message.
    always: Vec<u32>,
    /// Built the first time a message needs them.
    always_ascii: OnceLock<Compiled>,
    always_unicode: OnceLock<Compiled>,
    budget: Budget,
    /// The next piece `warm_up_step` compiles.
    warmed: AtomicUsize,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::from_index(MatcherIndex::default()).expect("no patterns index")
    }
}

/// `#[serde(with = "crate::matcher::packed")]`: a matcher packed as its index.
pub mod packed {
    use super::{Matcher, MatcherIndex};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &Matcher, s: S) -> Result<S::Ok, S::Error> {
        m.index().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Matcher, D::Error> {
        Matcher::from_index(MatcherIndex::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// What `Matcher::new` learns by parsing the patterns: their two forms and the literals that
/// select them. Packed with the rules, so that a matcher loads without parsing anything.
#[derive(Default, Serialize, Deserialize)]
pub struct MatcherIndex {
    /// Each pattern as written and in its ASCII form.
    sources: Vec<(String, String)>,
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
            patterns.push(Pattern { ascii_source: to_ascii(&hir).to_string(), unicode_source: source, unicode: Form::default(), ascii: Form::default() });
        }
        if problems.iter().any(|p| p.error) {
            return Err(problems);
        }
        let sources = patterns.into_iter().map(|p| (p.unicode_source, p.ascii_source)).collect();
        let index = MatcherIndex { sources, literals, literal_patterns, always };
        let matcher = Matcher::from_index(index).map_err(|message| vec![PatternProblem { index: 0, message, error: true }])?;
        if !matcher.always.is_empty() {
            match build_set(&matcher.patterns, &matcher.always, true) {
                Ok(set) => drop(matcher.always_ascii.set(set)),
                Err(e) => {
                    return Err(vec![PatternProblem { index: matcher.always[0] as usize, message: format!("the patterns without a literal are too large together: {e}"), error: true }]);
                }
            }
        }
        Ok((matcher, problems))
    }

    /// A matcher from what `new` learnt (`index`); patterns compile when first needed.
    pub fn from_index(index: MatcherIndex) -> Result<Matcher, String> {
        let prefilter = AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(&index.literals).map_err(|e| format!("cannot index the patterns' literals: {e}"))?;
        let patterns = index.sources.into_iter().map(|(unicode_source, ascii_source)| Pattern { unicode_source, ascii_source, unicode: Form::default(), ascii: Form::default() }).collect();
        let matcher = Matcher {
            patterns,
            prefilter,
            literals: index.literals,
            literal_patterns: index.literal_patterns,
            always: index.always,
            always_ascii: OnceLock::new(),
            always_unicode: OnceLock::new(),
            budget: Budget::default(),
            warmed: AtomicUsize::new(0),
        };
        let bad = matcher.literal_patterns.iter().flatten().chain(&matcher.always).any(|&p| p as usize >= matcher.patterns.len());
        if bad || matcher.literal_patterns.len() != matcher.literals.len() {
            return Err("the patterns' index does not fit the patterns".into());
        }
        Ok(matcher)
    }

    /// What `from_index` needs to build this matcher again.
    pub fn index(&self) -> MatcherIndex {
        MatcherIndex {
            sources: self.patterns.iter().map(|p| (p.unicode_source.clone(), p.ascii_source.clone())).collect(),
            literals: self.literals.clone(),
            literal_patterns: self.literal_patterns.clone(),
            always: self.always.clone(),
        }
    }

    fn always_ascii(&self) -> &Compiled {
        // `new` compiled it, so it compiles; a pack is made by `new`.
        self.always_ascii.get_or_init(|| build_set(&self.patterns, &self.always, true).expect("the patterns without a literal compiled when the rules did"))
    }

    fn always_unicode(&self) -> &Compiled {
        self.always_unicode.get_or_init(|| {
            // The ASCII form compiled, so this one does unless it is over the (larger) set limit:
            // then the ASCII form stands in for it, which only misses matches around non-ASCII words.
            build_set(&self.patterns, &self.always, false).unwrap_or_else(|_| build_set(&self.patterns, &self.always, true).expect("the patterns without a literal compiled when the rules did"))
        })
    }

    /// A pattern's compiled form, within the budget of compiled patterns.
    fn regex(&self, pattern: usize, ascii: bool) -> Result<Arc<Compiled>, String> {
        let (form, source) = self.patterns[pattern].form(ascii);
        let found = form.get(source, &self.budget);
        if self.budget.compiled.load(Ordering::Relaxed) > COMPILED_BUDGET {
            self.evict_compiled(pattern, ascii);
        }
        if self.budget.caches.load(Ordering::Relaxed) > CACHE_BUDGET {
            self.drop_caches();
        }
        found
    }

    /// Drops the least recently used compiled patterns until they are under 3/4 of the budget.
    fn evict_compiled(&self, keep: usize, keep_ascii: bool) {
        let mut used: Vec<(u64, usize, bool)> = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            for ascii in [true, false] {
                let form = p.form(ascii).0;
                if (i, ascii) != (keep, keep_ascii) && form.compiled().is_some() {
                    used.push((form.last_used.load(Ordering::Relaxed), i, ascii));
                }
            }
        }
        used.sort_unstable();
        for (_, i, ascii) in used {
            if self.budget.compiled.load(Ordering::Relaxed) <= COMPILED_BUDGET / 4 * 3 {
                break;
            }
            let form = self.patterns[i].form(ascii).0;
            if let Ok(mut slot) = form.slot.try_lock() {
                if let Some(Ok(c)) = slot.take() {
                    self.budget.compiled.fetch_sub(c.bytes.min(self.budget.compiled.load(Ordering::Relaxed)), Ordering::Relaxed);
                    let freed = c.drop_cache();
                    self.budget.caches.fetch_sub(freed.min(self.budget.caches.load(Ordering::Relaxed)), Ordering::Relaxed);
                }
            }
        }
    }

    /// Drops every search cache; each is rebuilt empty on its pattern's next search.
    fn drop_caches(&self) {
        let mut freed = 0;
        for set in [self.always_ascii.get(), self.always_unicode.get()].into_iter().flatten() {
            freed += set.drop_cache();
        }
        for p in &self.patterns {
            for form in [&p.ascii, &p.unicode] {
                if let Some(c) = form.compiled() {
                    freed += c.drop_cache();
                }
            }
        }
        self.budget.caches.fetch_sub(freed.min(self.budget.caches.load(Ordering::Relaxed)), Ordering::Relaxed);
    }

    /// Compiles one more piece that a message would otherwise wait for: the ASCII forms first
    /// (most normalised messages are ASCII), the set of patterns without a literal before each
    /// pattern. The engine's host calls it while idle, so that no message pays for a first
    /// compile. Returns false, having done nothing, once every piece was compiled (pieces dropped
    /// by the budgets later are compiled again when needed, as before).
    pub fn warm_up_step(&self) -> bool {
        let pieces = 2 * (self.patterns.len() + 1);
        let piece = self.warmed.fetch_add(1, Ordering::Relaxed);
        if piece >= pieces {
            return false;
        }
        let (ascii, k) = (piece < pieces / 2, piece % (pieces / 2));
        match (k, ascii) {
            (0, true) if !self.always.is_empty() => drop(self.always_ascii()),
            (0, false) if !self.always.is_empty() => drop(self.always_unicode()),
            (0, _) => {}
            (k, ascii) => drop(self.regex(k - 1, ascii)),
        }
        true
    }

    /// Bytes held by compiled patterns and by search caches (as last counted).
    pub fn memory_usage(&self) -> (usize, usize) {
        (self.budget.compiled.load(Ordering::Relaxed) + self.always_ascii.get().map_or(0, |c| c.bytes) + self.always_unicode.get().map_or(0, |c| c.bytes), self.budget.caches.load(Ordering::Relaxed))
    }

    /// Compiles every pattern in both forms, reporting those over the size limits. The compiled
    /// forms are not all kept (see `COMPILED_BUDGET`).
    pub fn compile_all(&self) -> Vec<PatternProblem> {
        let mut problems = Vec::new();
        for index in 0..self.patterns.len() {
            for ascii in [false, true] {
                if let Err(message) = self.regex(index, ascii) {
                    problems.push(PatternProblem { index, message, error: true });
                    break;
                }
            }
        }
        if let Err(e) = build_set(&self.patterns, &self.always, false) {
            let index = self.always.first().copied().unwrap_or(0) as usize;
            problems.push(PatternProblem { index, message: format!("the patterns without a literal are too large together: {e}"), error: true });
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
        if !self.always.is_empty() {
            let always = if ascii { self.always_ascii() } else { self.always_unicode() };
            let mut set = PatternSet::new(self.always.len());
            always.with_cache(&self.budget, |re, cache| re.which_overlapping_matches_with(cache, &Input::new(text), &mut set));
            for k in set.iter() {
                seen[self.always[k.as_usize()] as usize] = true;
            }
        }
        seen.iter().enumerate().filter(|(_, &s)| s).map(|(i, _)| i).collect()
    }

    /// Matches of one pattern in `text` (normalised), at most `MAX_MATCHES`. A pattern that cannot
    /// be compiled matches nothing; `compile_all` reports it, and packs are checked before they are used.
    pub fn find_iter<'t>(&'t self, pattern: usize, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        let mut found = Vec::new();
        if let Ok(c) = self.regex(pattern, text.is_ascii()) {
            c.with_cache(&self.budget, |re, cache| {
                let mut input = Input::new(text);
                while found.len() < MAX_MATCHES {
                    let Some(m) = re.search_with(cache, &input) else { break };
                    found.push((m.start(), m.end()));
                    // Patterns never match the empty string (`parse`), so this always advances.
                    if m.end() >= text.len() {
                        break;
                    }
                    input.set_start(m.end().max(m.start() + 1));
                }
            });
        }
        found.into_iter()
    }

    pub fn is_match(&self, pattern: usize, text: &str) -> bool {
        self.regex(pattern, text.is_ascii()).is_ok_and(|c| c.with_cache(&self.budget, |re, cache| re.is_match_with(cache, &Input::new(text))))
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

fn meta_config() -> meta::Config {
    meta::Config::new().nfa_size_limit(Some(PATTERN_SIZE_LIMIT)).hybrid_cache_capacity(PATTERN_DFA_LIMIT).utf8_empty(true)
}

fn build(source: &str) -> Result<Regex, String> {
    // Only the span of a match is used: no capture groups, a smaller NFA and cache.
    let config = meta_config().match_kind(regex_automata::MatchKind::LeftmostFirst).which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit);
    meta::Builder::new().configure(config).syntax(syntax::Config::new().utf8(true)).build(source).map_err(|e| match e.size_limit() {
        Some(limit) => format!("pattern is too large once compiled (over {limit} bytes); split it or bound its repetitions:\n    {source}"),
        None => format!("pattern does not compile:\n{}", indent(&e.to_string())),
    })
}

/// The patterns that have no literal, in one set (ASCII or as written).
fn build_set(patterns: &[Pattern], always: &[u32], ascii: bool) -> Result<Compiled, String> {
    let sources: Vec<&str> = always.iter().map(|&p| patterns[p as usize].form(ascii).1).collect();
    // A set only answers which patterns match: its search falls back from the lazy DFA to the
    // PikeVM, never to the one-pass DFA or the backtracker, so those are not built; and its
    // patterns are those without a useful literal, so no prefilter is looked for (measured:
    // together 3/4 of the set's build time).
    let config = meta_config()
        .onepass(false)
        .backtrack(false)
        .auto_prefilter(false)
        .nfa_size_limit(Some(PATTERN_SIZE_LIMIT * 16))
        .hybrid_cache_capacity(PATTERN_DFA_LIMIT * 4)
        .match_kind(regex_automata::MatchKind::All)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None);
    meta::Builder::new().configure(config).syntax(syntax::Config::new().utf8(true)).build_many(&sources).map(Compiled::new).map_err(|e| e.to_string())
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
