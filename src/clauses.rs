//! Vocabularies and clause rules, compiled once and matched word by word.
//!
//! Every vocabulary and every phrase of a rule (`all`, `any`, `unless`) becomes a *class*: a set of
//! phrases. A message is cut into words (`tokens`); each word is looked up once, in hash tables,
//! for the word tests it passes (exact word, prefix, Snowball stem, number); then classes are
//! matched in dependency order (a vocabulary before the phrases that use it), each phrase only
//! where its first word or vocabulary occurs. A rule holds when all its classes occur in one
//! sentence within its word limit. The cost is linear in the message's words times the few
//! phrases that start at each of them, whatever the number of rules.

use crate::flat::{self, Lists, PairLists, U32s, WordTable};
use crate::normalize::normalize;
use crate::phrase::{self, Element, Phrase, Word};
use crate::rules::{Rule, Vocab};
use crate::tokens::{tokenize, Token};
use crate::matcher::Matcher;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

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

fn regex_problem(owner: Owner, p: crate::matcher::PatternProblem) -> ClauseProblem {
    ClauseProblem { owner, message: format!("`re:`: {}", p.message) }
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

/// The lexicon while the rules compile: tests are added and given ids, then it is frozen.
#[derive(Default)]
struct LexiconBuilder {
    exact: HashMap<String, Vec<u32>>,
    prefix: HashMap<String, Vec<u32>>,
    prefix_lens: Vec<usize>,
    tables: Vec<(String, StemBuilder)>,
    ids: HashMap<(u8, String, String), u32>,
    number: Option<u32>,
}

struct StemBuilder {
    stemmer: Snowball,
    stems: HashMap<String, Vec<u32>>,
    heads: HashSet<String>,
    head_len: usize,
}

fn head(s: &str, len: usize) -> String {
    s.chars().take(len).collect()
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

impl LexiconBuilder {
    fn id(&mut self, kind: u8, table: &str, key: &str) -> (u32, bool) {
        let next = self.ids.len() as u32;
        let mut new = false;
        let id = *self.ids.entry((kind, table.to_string(), key.to_string())).or_insert_with(|| {
            new = true;
            next
        });
        (id, new)
    }

    fn exact(&mut self, word: &str) -> u32 {
        let (id, new) = self.id(0, "", word);
        if new {
            self.exact.entry(word.to_string()).or_default().push(id);
        }
        id
    }

    fn prefix(&mut self, word: &str) -> u32 {
        let (id, new) = self.id(1, "", word);
        if new {
            self.prefix.entry(word.to_string()).or_default().push(id);
            if !self.prefix_lens.contains(&word.len()) {
                self.prefix_lens.push(word.len());
                self.prefix_lens.sort_unstable();
            }
        }
        id
    }

    fn stem(&mut self, word: &str, stemmer: &str) -> u32 {
        let Some(algorithm) = stemmer_algorithm(stemmer) else {
            return self.exact(word);
        };
        let table = match self.tables.iter().position(|(n, _)| n == stemmer) {
            Some(t) => t,
            None => {
                let table = StemBuilder {
                    stemmer: Snowball::new(algorithm),
                    stems: HashMap::new(),
                    heads: HashSet::new(),
                    head_len: if stemmer == "dutch" { 2 } else { 3 },
                };
                self.tables.push((stemmer.to_string(), table));
                self.tables.len() - 1
            }
        };
        let stem = self.tables[table].1.stemmer.stem(word).into_owned();
        let (id, new) = self.id(2, stemmer, &stem);
        let t = &mut self.tables[table].1;
        // A stemmer may change a short word's first letters ("why" → "whi", "try" → "tri"): the
        // word's own head lets it, and the forms that start like it, past `may_have_stem` too.
        t.heads.insert(head(word, t.head_len));
        if new {
            t.heads.insert(head(&stem, t.head_len));
            t.stems.entry(stem).or_default().push(id);
        }
        id
    }

    fn number(&mut self) -> u32 {
        if let Some(id) = self.number {
            return id;
        }
        let (id, _) = self.id(3, "", "#");
        self.number = Some(id);
        id
    }

    /// How many word tests there are (ids are 0..this).
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn freeze(self) -> Lexicon {
        let tables = self
            .tables
            .into_iter()
            .map(|(name, t)| StemTable {
                keeps_start: name != "arabic",
                arabic: name == "arabic",
                stemmer: t.stemmer,
                stems: WordTable::new(t.stems),
                heads: WordTable::of_keys(t.heads),
                head_len: t.head_len,
            })
            .collect();
        Lexicon { exact: WordTable::new(self.exact), prefix: WordTable::new(self.prefix), prefix_lens: self.prefix_lens, tables, number: self.number }
    }
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

/// An element of a phrase while the rules compile.
#[derive(Debug, Clone)]
enum Elem {
    Word(Vec<u32>),
    Class(u32),
    Any,
    Gap(u8),
}

/// A class while the rules compile: its entries, each a phrase of elements.
#[derive(Default)]
struct ClassBuilder {
    entries: Vec<Vec<Elem>>,
    /// Entries that start with another class: (entry, that class).
    class_first: Vec<(u32, u32)>,
    deps: Vec<u32>,
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
    fn new(builders: &[ClassBuilder]) -> Classes {
        let mut c = Classes::default();
        let mut tests: Vec<Vec<u32>> = Vec::new();
        let mut first = Vec::new();
        for b in builders {
            for entry in &b.entries {
                for elem in entry {
                    let step = match elem {
                        Elem::Word(ids) if ids.len() == 1 => Step::Word(ids[0]),
                        Elem::Word(ids) => {
                            tests.push(ids.clone());
                            Step::Words(tests.len() as u32 - 1)
                        }
                        Elem::Class(k) => Step::Class(*k),
                        Elem::Any => Step::Any,
                        Elem::Gap(n) => Step::Gap(*n as u32),
                    };
                    c.elems.0.push(step.code());
                }
                c.entry_ends.0.push(c.elems.0.len() as u32);
            }
            c.class_ends.0.push(c.entry_ends.0.len() as u32);
            first.push(b.class_first.clone());
        }
        c.tests = Lists::new(&tests);
        c.class_first = PairLists::new(&first);
        c
    }

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
#[derive(Default, Serialize, Deserialize)]
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

struct Compiler<'a> {
    lexicon: LexiconBuilder,
    classes: Vec<ClassBuilder>,
    names: HashMap<String, u32>,
    /// `re:` phrases: their source, class and owner.
    regexes: Vec<(String, u32, Owner)>,
    problems: Vec<ClauseProblem>,
    vocabs: &'a [Vocab],
}

impl Compiler<'_> {
    fn phrase(&mut self, class: u32, source: &str, pack: &str, stemmer: &str, owner: Owner) {
        let parsed = match phrase::parse(source) {
            Ok(p) => p,
            Err(message) => return self.problems.push(ClauseProblem { owner, message }),
        };
        let elements = match parsed {
            Phrase::Regex(re) => return self.regexes.push((re, class, owner)),
            Phrase::Elements(e) => e,
        };
        let mut out = Vec::new();
        for element in elements {
            match element {
                Element::Vocab(name) => {
                    let key = if name.contains('.') { name.clone() } else { format!("{pack}.{name}") };
                    match self.names.get(&key) {
                        Some(&c) => {
                            self.classes[class as usize].deps.push(c);
                            out.push(Elem::Class(c));
                        }
                        None => {
                            let known: Vec<&str> = self.vocabs.iter().filter(|v| v.pack == pack).map(|v| v.name.as_str()).collect();
                            let hint = if known.is_empty() { format!("pack `{pack}` defines none") } else { format!("pack `{pack}` has: {}", known.join(", ")) };
                            return self.problems.push(ClauseProblem { owner, message: format!("unknown vocabulary `{{{name}}}` in {source:?} ({hint})") });
                        }
                    }
                }
                Element::Number => out.push(Elem::Word(vec![self.lexicon.number()])),
                Element::Any => out.push(Elem::Any),
                Element::Gap(n) => out.push(Elem::Gap(n)),
                Element::Word(words) => match self.words(&words, stemmer) {
                    Ok(mut seq) => out.append(&mut seq),
                    Err(message) => return self.problems.push(ClauseProblem { owner, message: format!("{message} in {source:?}") }),
                },
            }
        }
        if out.is_empty() {
            return self.problems.push(ClauseProblem { owner, message: format!("{source:?} has no word left after normalisation") });
        }
        let entry = self.classes[class as usize].entries.len() as u32;
        if let Elem::Class(first) = out[0] {
            self.classes[class as usize].class_first.push((entry, first));
        }
        self.classes[class as usize].entries.push(out);
    }

    /// The word tests of one element. A word that normalises into several (`e-mail`) becomes that
    /// sequence; alternatives must stay single words.
    fn words(&mut self, words: &[Word], stemmer: &str) -> Result<Vec<Elem>, String> {
        let mut ids = Vec::new();
        for w in words {
            let (text, kind) = match w {
                Word::Stem(t) => (t, 0),
                Word::Exact(t) => (t, 1),
                Word::Prefix(t) => (t, 2),
            };
            let normal = normalize(text).text;
            let parts: Vec<&str> = tokenize(&normal).iter().map(|t| &normal[t.start..t.end]).collect();
            if parts.is_empty() {
                return Err(format!("`{text}` is no word once normalised"));
            }
            if parts.len() > 1 {
                if words.len() > 1 || kind == 2 {
                    return Err(format!("`{text}` reads as several words ({}) once normalised: write them as a phrase", parts.join(" ")));
                }
                return Ok(parts.iter().map(|p| Elem::Word(vec![if kind == 0 { self.lexicon.stem(p, stemmer) } else { self.lexicon.exact(p) }])).collect());
            }
            ids.push(match kind {
                0 => self.lexicon.stem(parts[0], stemmer),
                1 => self.lexicon.exact(parts[0]),
                _ => self.lexicon.prefix(parts[0]),
            });
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(vec![Elem::Word(ids)])
    }

    fn class(&mut self) -> u32 {
        self.classes.push(ClassBuilder::default());
        self.classes.len() as u32 - 1
    }
}

impl Clauses {
    pub fn new(vocabs: &[Vocab], rules: &[Rule]) -> Result<Clauses, Vec<ClauseProblem>> {
        let mut c = Compiler { lexicon: LexiconBuilder::default(), classes: Vec::new(), names: HashMap::new(), regexes: Vec::new(), problems: Vec::new(), vocabs };
        let mut vocab_class = Vec::new();
        for (i, v) in vocabs.iter().enumerate() {
            let class = c.class();
            if c.names.insert(format!("{}.{}", v.pack, v.name), class).is_some() {
                c.problems.push(ClauseProblem { owner: Owner::Vocab(i), message: format!("vocabulary `{}` is defined twice in pack `{}`", v.name, v.pack) });
            }
            vocab_class.push(class);
        }
        for (i, v) in vocabs.iter().enumerate() {
            if v.words.is_empty() {
                c.problems.push(ClauseProblem { owner: Owner::Vocab(i), message: "`words` is empty".into() });
            }
            for w in &v.words {
                c.phrase(vocab_class[i], w, &v.pack, &v.stemmer, Owner::Vocab(i));
            }
        }
        let mut clause_rules = Vec::new();
        let mut rule_index = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            if r.all.is_empty() {
                if !r.any.is_empty() || !r.unless.is_empty() {
                    c.problems.push(ClauseProblem { owner: Owner::Rule(i), message: "`any` and `unless` need `all`".into() });
                }
                continue;
            }
            let within = r.within.unwrap_or(DEFAULT_WITHIN);
            if !(1..=MAX_WITHIN).contains(&within) {
                c.problems.push(ClauseProblem { owner: Owner::Rule(i), message: format!("`within = {within}` is outside 1..={MAX_WITHIN}") });
            }
            let terms = |list: &[String], c: &mut Compiler| -> Vec<u32> {
                list.iter()
                    .map(|source| {
                        let class = c.class();
                        c.phrase(class, source, &r.pack, &r.stemmer, Owner::Rule(i));
                        class
                    })
                    .collect()
            };
            let all = terms(&r.all, &mut c);
            let any = terms(&r.any, &mut c);
            let unless = terms(&r.unless, &mut c);
            rule_index.insert(i, clause_rules.len());
            clause_rules.push(ClauseRule { rule: i, all, any, unless, within });
        }
        let order = match topological(&c.classes) {
            Ok(order) => order,
            Err(cycle) => {
                let owner = vocab_class.iter().position(|&v| v == cycle).map(Owner::Vocab).unwrap_or(Owner::Vocab(0));
                c.problems.push(ClauseProblem { owner, message: "this vocabulary refers to itself, directly or through others".into() });
                Vec::new()
            }
        };
        let sources: Vec<&str> = c.regexes.iter().map(|(re, _, _)| re.as_str()).collect();
        // A `re:` phrase with an upper-case letter can never match, as a pattern cannot: both are errors here.
        let (regexes, found) = match Matcher::new(&sources) {
            Ok((m, warnings)) => (m, warnings),
            Err(errors) => (Matcher::default(), errors),
        };
        c.problems.extend(found.into_iter().map(|p| regex_problem(c.regexes[p.index].2, p)));
        if !c.problems.is_empty() {
            return Err(c.problems);
        }
        let regex_class = c.regexes.iter().map(|&(_, class, owner)| (class, owner)).collect();
        let mut first_word: Vec<Vec<(u32, u32)>> = vec![Vec::new(); c.lexicon.len()];
        for (ci, class) in c.classes.iter().enumerate() {
            for (ei, entry) in class.entries.iter().enumerate() {
                if let Elem::Word(ids) = &entry[0] {
                    for &id in ids {
                        first_word[id as usize].push((ci as u32, ei as u32));
                    }
                }
            }
        }
        let mut rank = vec![0u32; c.classes.len()];
        for (place, &class) in order.iter().enumerate() {
            rank[class as usize] = place as u32;
        }
        let mut starting_with = vec![Vec::new(); c.classes.len()];
        for (ci, class) in c.classes.iter().enumerate() {
            for &(_, first) in &class.class_first {
                if !starting_with[first as usize].contains(&(ci as u32)) {
                    starting_with[first as usize].push(ci as u32);
                }
            }
        }
        let mut rules_by_first: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, r) in clause_rules.iter().enumerate() {
            rules_by_first.entry(r.all[0]).or_default().push(i as u32);
        }
        Ok(Clauses { lexicon: c.lexicon.freeze(), classes: Classes::new(&c.classes), rank, starting_with: Lists::new(&starting_with), rules_by_first, first_word: PairLists::new(&first_word), regexes, regex_class, vocab_class, rules: clause_rules, rule_index })
    }

    /// Bytes held by the compiled `re:` phrases and their search caches.
    pub fn memory_usage(&self) -> (usize, usize) {
        self.regexes.memory_usage()
    }

    /// One step of compiling ahead of need (`Matcher::warm_up_step`); false when done.
    pub fn warm_up_step(&self) -> bool {
        self.regexes.warm_up_step()
    }

    /// Compiles every `re:` phrase now, reporting those over the size limits (`rules check`).
    pub fn compile_all(&self) -> Vec<ClauseProblem> {
        self.regexes.compile_all().into_iter().map(|p| regex_problem(self.regex_class[p.index].1, p)).collect()
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

/// Classes ordered so that each follows the classes it uses; Err(a class on a cycle).
fn topological(classes: &[ClassBuilder]) -> Result<Vec<u32>, u32> {
    let mut state = vec![0u8; classes.len()];
    let mut order = Vec::with_capacity(classes.len());
    for root in 0..classes.len() {
        if state[root] != 0 {
            continue;
        }
        // Iterative depth-first search: (class, next dependency to visit).
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = classes[node].deps.get(*next) {
                *next += 1;
                match state[dep as usize] {
                    0 => {
                        state[dep as usize] = 1;
                        stack.push((dep as usize, 0));
                    }
                    1 => return Err(dep),
                    _ => {}
                }
            } else {
                state[node] = 2;
                order.push(node as u32);
                stack.pop();
            }
        }
    }
    Ok(order)
}
