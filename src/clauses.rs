//! Vocabularies and clause rules, compiled once and matched word by word.
//!
//! Every vocabulary and every phrase of a rule (`all`, `any`, `unless`) becomes a *class*: a set of
//! phrases. A message is cut into words (`tokens`); each word is looked up once, in hash tables,
//! for the word tests it passes (exact word, prefix, Snowball stem, number); then classes are
//! matched in dependency order (a vocabulary before the phrases that use it), each phrase only
//! where its first word or vocabulary occurs. A rule holds when all its classes occur in one
//! sentence within its word limit. The cost is linear in the message's words times the few
//! phrases that start at each of them, whatever the number of rules.
//!
//! Compiling the rules into these tables (`compile`) is part of the compiling engine only.

use crate::flat::{self, Lists, PairLists, U32s, WordTable};
use crate::tokens::{tokenize, Token};
use crate::matcher::Matcher;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

#[cfg(feature = "compile")]
mod compile;

/// Words allowed between the first and the last phrase of a rule when it gives no `within`.
pub const DEFAULT_WITHIN: u32 = 30;
pub const MAX_WITHIN: u32 = 80;
/// Words before a match in which an `unless` phrase still cancels it.
const UNLESS_BEFORE: u32 = 3;
/// Words after a match that an `unless` phrase still cancels it from ("send me your btc address and I'll pay you back").
const UNLESS_AFTER: u32 = 4;
/// Occurrences kept per class and message: enough to choose from, bounded for hostile input.
const MAX_OCCURRENCES: usize = 32;
const MAX_ENDS: usize = 8;

/// What is wrong with a vocabulary or a rule's phrase, for `Problem`s.
#[derive(Debug, Clone)]
pub struct ClauseProblem {
    pub owner: Owner,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    Vocab(usize),
    Rule(usize),
}

/// A Snowball stemmer by the name packs use.
pub fn stemmer_algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "english" => Algorithm::English,
        "spanish" => Algorithm::Spanish,
        "french" => Algorithm::French,
        "german" => Algorithm::German,
        "portuguese" => Algorithm::Portuguese,
        "italian" => Algorithm::Italian,
        "dutch" => Algorithm::Dutch,
        "arabic" => Algorithm::Arabic,
        _ => return None,
    })
}

/// The stemmer a pack gets when it names none: its first language's, where Snowball has one.
pub fn default_stemmer(language: &str) -> &'static str {
    match language {
        "en" => "english",
        "es" => "spanish",
        "fr" => "french",
        "de" => "german",
        "pt" => "portuguese",
        "it" => "italian",
        "nl" => "dutch",
        "ar" => "arabic",
        _ => "none",
    }
}

/// A Snowball stemmer, packed as the name of its algorithm (the stemmer itself is code).
struct Snowball {
    algorithm: Algorithm,
    stemmer: Stemmer,
}

impl Snowball {
    fn new(algorithm: Algorithm) -> Self {
        Snowball { algorithm, stemmer: Stemmer::create(algorithm) }
    }

    fn stem<'a>(&self, word: &'a str) -> Cow<'a, str> {
        self.stemmer.stem(word)
    }
}

impl Serialize for Snowball {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.algorithm.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Snowball {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Algorithm::deserialize(d).map(Snowball::new)
    }
}

#[derive(Serialize, Deserialize)]
struct StemTable {
    stemmer: Snowball,
    /// Arabic stemming strips prefixes (ال, و, ب), so a word's first letters say nothing of its stem.
    keeps_start: bool,
    /// Only Arabic-script words are worth the Arabic stemmer, only others the Latin ones.
    arabic: bool,
    stems: WordTable,
    /// The first characters of every stem (all of a shorter one): a word that starts with none
    /// of them is not stemmed at all.
    heads: WordTable,
    /// How many: three, but two for Dutch, whose stemmer undoubles vowels (baan → ban).
    head_len: usize,
}

/// Every word test of the rules: exact words, prefixes, stems per stemmer, numbers. Each test has
/// an id; a message's word is looked up once for all the tests it passes.
#[derive(Default, Serialize, Deserialize)]
struct Lexicon {
    exact: WordTable,
    prefix: WordTable,
    prefix_lens: Vec<usize>,
    tables: Vec<StemTable>,
    number: Option<u32>,
}

/// Whether a word may have one of the stems whose heads are given.
fn may_have_stem(heads: &WordTable, len: usize, word: &str) -> bool {
    // A stem of `len` or more characters has a head of `len` the word starts with; a shorter
    // stem is its own head. So every prefix of up to `len` characters is tried.
    let mut end = 0;
    word.chars().take(len).any(|c| {
        end += c.len_utf8();
        heads.contains(&word[..end])
    })
}


impl Lexicon {
    /// Every word test one word passes, sorted.
    fn lookup(&self, word: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        if let Some(found) = self.exact.get(word) {
            ids.extend_from_slice(found);
        }
        for &len in &self.prefix_lens {
            if len > word.len() {
                break;
            }
            if word.is_char_boundary(len) {
                if let Some(found) = self.prefix.get(&word[..len]) {
                    ids.extend_from_slice(found);
                }
            }
        }
        let arabic = word.chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c));
        for t in &self.tables {
            if t.arabic != arabic || (t.keeps_start && !may_have_stem(&t.heads, t.head_len, word)) {
                continue;
            }
            if let Some(found) = t.stems.get(t.stemmer.stem(word).as_ref()) {
                ids.extend_from_slice(found);
            }
        }
        if let Some(n) = self.number {
            if word.bytes().any(|b| b.is_ascii_digit()) {
                ids.push(n);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// One element of a packed entry, decoded from its code in `Classes::elems`.
#[derive(Clone, Copy)]
enum Step {
    /// A word with this id.
    Word(u32),
    /// A word with any of the ids of this test of `Classes::tests` (a sorted list).
    Words(u32),
    Class(u32),
    Any,
    Gap(u32),
}

const STEP_TAG_SHIFT: u32 = 29;
const STEP_PAYLOAD: u32 = (1 << STEP_TAG_SHIFT) - 1;

impl Step {
    #[cfg(feature = "compile")]
    fn code(self) -> u32 {
        let (tag, payload) = match self {
            Step::Word(id) => (0, id),
            Step::Words(t) => (1, t),
            Step::Class(c) => (2, c),
            Step::Any => (3, 0),
            Step::Gap(n) => (4, n),
        };
        // Ids and class numbers are counts of what the rules define, far below 2^29.
        debug_assert!(payload <= STEP_PAYLOAD);
        tag << STEP_TAG_SHIFT | payload
    }

    fn of(code: u32) -> Step {
        let payload = code & STEP_PAYLOAD;
        match code >> STEP_TAG_SHIFT {
            0 => Step::Word(payload),
            1 => Step::Words(payload),
            2 => Step::Class(payload),
            3 => Step::Any,
            _ => Step::Gap(payload),
        }
    }
}

/// Every class's entries laid end to end, the form a pack loads without one allocation per entry
/// (measured: the nested vectors were half of loading the pack). Class `i`'s entries are the
/// global entries `span(class_ends, i)`; entry `e`'s elements are `elems[span(entry_ends, e)]`.
#[derive(Default, Serialize, Deserialize)]
#[serde(try_from = "ClassesUnchecked")]
struct Classes {
    class_ends: U32s,
    entry_ends: U32s,
    /// `Step` codes.
    elems: U32s,
    tests: Lists,
    /// For each class, its entries that start with another class: (entry within the class, that class).
    class_first: PairLists,
}

#[derive(Deserialize)]
struct ClassesUnchecked {
    class_ends: U32s,
    entry_ends: U32s,
    elems: U32s,
    tests: Lists,
    class_first: PairLists,
}

impl TryFrom<ClassesUnchecked> for Classes {
    type Error = String;

    /// A pack's indices are checked once here, so that a damaged pack is refused, not a panic
    /// in the middle of a scan.
    fn try_from(c: ClassesUnchecked) -> Result<Classes, String> {
        let c = Classes { class_ends: c.class_ends, entry_ends: c.entry_ends, elems: c.elems, tests: c.tests, class_first: c.class_first };
        let ascending = |v: &[u32], last: usize| v.windows(2).all(|w| w[0] <= w[1]) && v.last().map_or(last == 0, |&l| l as usize == last);
        let n = c.len() as u32;
        let fits = ascending(&c.class_ends.0, c.entry_ends.0.len())
            && ascending(&c.entry_ends.0, c.elems.0.len())
            && c.elems.0.iter().all(|&code| match Step::of(code) {
                Step::Words(t) => (t as usize) < c.tests.len(),
                Step::Class(k) => k < n,
                Step::Word(_) | Step::Any | Step::Gap(_) => true,
            })
            && (0..c.len()).all(|i| c.class_first.get(i).all(|(e, k)| (e as usize) < flat::span(&c.class_ends.0, i).len() && k < n));
        if fits { Ok(c) } else { Err("the classes' index does not fit the classes".into()) }
    }
}

impl Classes {
    fn len(&self) -> usize {
        self.class_ends.0.len()
    }

    /// The element codes of entry `entry` of class `class` (none for an index that does not fit).
    fn entry(&self, class: u32, entry: u32) -> &[u32] {
        if class as usize >= self.len() {
            return &[];
        }
        let entries = flat::span(&self.class_ends.0, class as usize);
        if entry as usize >= entries.len() {
            return &[];
        }
        &self.elems.0[flat::span(&self.entry_ends.0, entries.start + entry as usize)]
    }
}

#[derive(Serialize, Deserialize)]
struct ClauseRule {
    rule: usize,
    all: Vec<u32>,
    any: Vec<u32>,
    unless: Vec<u32>,
    within: u32,
}

/// Compiled once, then packed as it is (`extortion-guard pack`), so the extension loads it
/// without compiling again.
#[derive(Default, Deserialize)]
#[cfg_attr(feature = "compile", derive(Serialize))]
pub struct Clauses {
    lexicon: Lexicon,
    classes: Classes,
    /// Each class's place in an order where every class comes after those it uses.
    rank: Vec<u32>,
    /// For each class, the classes with an entry that starts with it.
    starting_with: Lists,
    /// Clause rules by the first class of their `all`.
    rules_by_first: HashMap<u32, Vec<u32>>,
    /// Entries by the word test (id) of their first element: (class, entry).
    first_word: PairLists,
    /// The `re:` phrases, matched as the rules' regex patterns are: each compiled when a message
    /// first has its literals. For each, its class and whose it is.
    #[serde(with = "crate::matcher::packed")]
    regexes: Matcher,
    regex_class: Vec<(u32, Owner)>,
    vocab_class: Vec<u32>,
    rules: Vec<ClauseRule>,
    rule_index: HashMap<usize, usize>,
}

/// The phrases found in one message.
pub struct Found {
    pub tokens: Vec<Token>,
    occurrences: HashMap<u32, Vec<(u32, u32)>>,
}

impl Found {
    fn of(&self, class: u32) -> &[(u32, u32)] {
        self.occurrences.get(&class).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Byte range in the normalised text of words `start..end`.
    fn bytes(&self, (start, end): (u32, u32)) -> (usize, usize) {
        (self.tokens[start as usize].start, self.tokens[end as usize - 1].end)
    }
}

impl Clauses {
    /// Bytes held by the compiled `re:` phrases and their search caches.
    pub fn memory_usage(&self) -> (usize, usize) {
        self.regexes.memory_usage()
    }

    /// One step of compiling ahead of need (`Matcher::warm_up_step`); false when done.
    pub fn warm_up_step(&self) -> bool {
        self.regexes.warm_up_step()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.len() == 0
    }

    /// Finds every class's occurrences in a normalised text.
    pub fn find(&self, text: &str) -> Found {
        let tokens = tokenize(text);
        let mut found = Found { tokens, occurrences: HashMap::new() };
        if self.is_empty() || found.tokens.is_empty() {
            return found;
        }
        let mut cache: HashMap<&str, std::rc::Rc<Vec<u32>>> = HashMap::new();
        let words: Vec<std::rc::Rc<Vec<u32>>> = found
            .tokens
            .iter()
            .map(|t| cache.entry(&text[t.start..t.end]).or_insert_with_key(|w| std::rc::Rc::new(self.lexicon.lookup(w))).clone())
            .collect();
        let mut starts: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        for (pos, ids) in words.iter().enumerate() {
            for id in ids.iter() {
                for (class, entry) in self.first_word.get(*id as usize) {
                    starts.entry(class).or_default().push((entry, pos as u32));
                }
            }
        }
        for p in self.regexes.candidates(text) {
            let class = self.regex_class[p].0;
            for (start, end) in self.regexes.find_iter(p, text).take(MAX_OCCURRENCES) {
                let first = found.tokens.partition_point(|t| t.end <= start);
                let last = found.tokens.partition_point(|t| t.start < end);
                if first < last {
                    found.occurrences.entry(class).or_default().push((first as u32, last as u32));
                }
            }
        }
        let matcher = Walk { tokens: &found.tokens, words: &words, tests: &self.classes.tests };
        // Only classes that can occur are visited: those with a first word in the text, those with
        // a regex hit, and those starting with a class that occurred; lowest rank first, so a
        // class is matched after every class it uses.
        let mut queue: std::collections::BinaryHeap<std::cmp::Reverse<(u32, u32)>> = std::collections::BinaryHeap::new();
        let mut queued: HashSet<u32> = HashSet::new();
        let mut push = |class: u32, queue: &mut std::collections::BinaryHeap<_>| {
            if queued.insert(class) {
                queue.push(std::cmp::Reverse((self.rank[class as usize], class)));
            }
        };
        for &class in starts.keys().chain(found.occurrences.keys()) {
            push(class, &mut queue);
        }
        while let Some(std::cmp::Reverse((_, class))) = queue.pop() {
            let mut spans = found.occurrences.remove(&class).unwrap_or_default();
            let mut tries: Vec<(u32, u32)> = starts.remove(&class).unwrap_or_default();
            for (entry, first) in self.classes.class_first.get(class as usize) {
                tries.extend(found.of(first).iter().map(|&(s, _)| (entry, s)));
            }
            for (entry, pos) in tries {
                if spans.len() >= MAX_OCCURRENCES {
                    break;
                }
                let mut ends = Vec::new();
                matcher.ends(self.classes.entry(class, entry), pos, pos, &found, &mut ends);
                for e in ends {
                    if !spans.contains(&(pos, e)) {
                        spans.push((pos, e));
                    }
                }
            }
            if !spans.is_empty() {
                spans.sort_unstable();
                found.occurrences.insert(class, spans);
                for &next in self.starting_with.get(class as usize) {
                    push(next, &mut queue);
                }
            }
        }
        found
    }

    /// Whether a vocabulary occurs in a found text.
    pub fn vocab_occurs(&self, vocab: usize, found: &Found) -> bool {
        !found.of(self.vocab_class[vocab]).is_empty()
    }

    /// The rules that hold, each with the byte spans (normalised text) of the phrases that made it.
    pub fn rule_hits(&self, found: &Found) -> Vec<(usize, Vec<(usize, usize)>)> {
        let mut candidates: Vec<u32> = found.occurrences.keys().filter_map(|c| self.rules_by_first.get(c)).flatten().copied().collect();
        candidates.sort_unstable();
        let mut out = Vec::new();
        for r in candidates.into_iter().map(|i| &self.rules[i as usize]) {
            if let Some(spans) = self.holds(r, found) {
                out.push((r.rule, spans.into_iter().map(|s| found.bytes(s)).collect()));
            }
        }
        out
    }

    /// Whether one rule (by its index in the rule set) holds in a found text.
    pub fn rule_holds(&self, rule: usize, found: &Found) -> bool {
        self.rule_index.get(&rule).is_some_and(|&r| self.holds(&self.rules[r], found).is_some())
    }

    fn holds(&self, r: &ClauseRule, found: &Found) -> Option<Vec<(u32, u32)>> {
        if r.all.iter().any(|&c| found.of(c).is_empty()) || (!r.any.is_empty() && r.any.iter().all(|&c| found.of(c).is_empty())) {
            return None;
        }
        let sentence = |pos: u32| found.tokens[pos as usize].sentence;
        // Anchor on each occurrence of the rarest phrase; take the nearest occurrence of each other.
        let anchor_class = *r.all.iter().min_by_key(|&&c| found.of(c).len())?;
        for &anchor in found.of(anchor_class) {
            let s = sentence(anchor.0);
            let nearest = |class: u32| -> Option<(u32, u32)> {
                found
                    .of(class)
                    .iter()
                    .filter(|o| sentence(o.0) == s)
                    .min_by_key(|o| (o.0 as i64 - anchor.0 as i64).unsigned_abs())
                    .copied()
            };
            let mut chosen = vec![anchor];
            let mut complete = true;
            for &c in r.all.iter().filter(|&&c| c != anchor_class) {
                match nearest(c) {
                    Some(o) => chosen.push(o),
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            if !complete {
                continue;
            }
            if !r.any.is_empty() {
                match r.any.iter().filter_map(|&c| nearest(c)).min_by_key(|o| (o.0 as i64 - anchor.0 as i64).unsigned_abs()) {
                    Some(o) => chosen.push(o),
                    None => continue,
                }
            }
            let start = chosen.iter().map(|o| o.0).min()?;
            let end = chosen.iter().map(|o| o.1).max()?;
            if end - start > r.within {
                continue;
            }
            let cancelled = r.unless.iter().any(|&c| {
                found.of(c).iter().any(|o| sentence(o.0) == s && o.0 + UNLESS_BEFORE >= start && o.0 < end + UNLESS_AFTER)
            });
            if cancelled {
                continue;
            }
            chosen.sort_unstable();
            chosen.dedup();
            return Some(chosen);
        }
        None
    }
}

struct Walk<'a> {
    tokens: &'a [Token],
    words: &'a [std::rc::Rc<Vec<u32>>],
    tests: &'a Lists,
}

impl Walk<'_> {
    /// Where a phrase that starts at word `first` can end, trying its elements from `pos` on.
    fn ends(&self, elems: &[u32], first: u32, pos: u32, found: &Found, out: &mut Vec<u32>) {
        if out.len() >= MAX_ENDS {
            return;
        }
        let Some((elem, rest)) = elems.split_first() else {
            if !out.contains(&pos) {
                out.push(pos);
            }
            return;
        };
        let in_sentence = |p: u32| (p as usize) < self.tokens.len() && self.tokens[p as usize].sentence == self.tokens[first as usize].sentence;
        match Step::of(*elem) {
            Step::Word(id) => {
                if in_sentence(pos) && self.words[pos as usize].binary_search(&id).is_ok() {
                    self.ends(rest, first, pos + 1, found, out);
                }
            }
            Step::Words(test) => {
                if in_sentence(pos) && self.tests.get(test as usize).iter().any(|id| self.words[pos as usize].binary_search(id).is_ok()) {
                    self.ends(rest, first, pos + 1, found, out);
                }
            }
            Step::Any => {
                if in_sentence(pos) {
                    self.ends(rest, first, pos + 1, found, out);
                }
            }
            Step::Class(c) => {
                for &(s, e) in found.of(c) {
                    if s == pos && in_sentence(e - 1) {
                        self.ends(rest, first, e, found, out);
                    }
                }
            }
            Step::Gap(n) => {
                for skip in 0..=n {
                    if skip > 0 && !in_sentence(pos + skip - 1) {
                        break;
                    }
                    self.ends(rest, first, pos + skip, found, out);
                }
            }
        }
    }
}

