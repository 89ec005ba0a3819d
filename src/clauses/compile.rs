//! Compiling vocabularies and clause rules into the tables `Clauses` matches with.

use super::*;
use crate::normalize::normalize;
use crate::phrase::{self, Element, Phrase, Word};
use crate::rules::{Rule, Vocab};

fn regex_problem(owner: Owner, p: crate::matcher::PatternProblem) -> ClauseProblem {
    ClauseProblem { owner, message: format!("`re:`: {}", p.message) }
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

    /// Compiles every `re:` phrase now, reporting those over the size limits (`rules check`).
    pub fn compile_all(&self) -> Vec<ClauseProblem> {
        self.regexes.compile_all().into_iter().map(|p| regex_problem(self.regex_class[p.index].1, p)).collect()
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
