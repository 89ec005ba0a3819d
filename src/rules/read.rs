//! Reading rule packs and the policy from their TOML text, with the line of every problem.

use super::{line_of, Checked, LineIndex, Pack, Problem, Rule, RuleSet, Vocab, FORMAT};
use crate::policy::Policy;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

// ---- The TOML shape. Every field is optional here so that a missing one becomes our own message,
// naming the rule, instead of a generic deserialisation error.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pack: Option<Spanned<RawPack>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    vocab: std::collections::BTreeMap<String, Spanned<RawVocab>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocab {
    description: Option<String>,
    words: Option<Vec<String>>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    languages: Option<Vec<String>>,
    stemmer: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    languages: Option<Spanned<Vec<String>>>,
    weight: Option<Spanned<i64>>,
    description: Option<String>,
    source: Option<String>,
    patterns: Option<Spanned<Vec<Spanned<String>>>>,
    all: Option<Vec<String>>,
    any: Option<Vec<String>>,
    unless: Option<Vec<String>>,
    within: Option<Spanned<i64>>,
    must_match: Option<Vec<Spanned<String>>>,
    must_not_match: Option<Vec<Spanned<String>>>,
    testing: Option<bool>,
}

/// Reads one pack file's text. Field-level problems are collected for every rule; a rule with a
/// problem is left out of the result, so the errors are all reported in one run.
pub fn parse_pack(file: &str, text: &str) -> Checked<Pack> {
    // Every `line_of` below looks its offset up in one index of the file's lines.
    let lines = LineIndex::new(text);
    let line_of = |_: &str, offset: usize| lines.line(offset);
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            if let Some(problems) = diagnose_fields(file, text, &lines) {
                return Err(problems);
            }
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            return Err(vec![Problem::error(file, line, None, format!("not a valid rule file: {}", e.message().trim()))]);
        }
    };
    let mut problems = Vec::new();
    let (pack_languages, pack_name) = match &raw.pack {
        Some(p) => (p.get_ref().languages.clone().unwrap_or_default(), p.get_ref().name.clone()),
        None => {
            problems.push(Problem::error(file, 1, None, "missing [pack] table (name, description, languages)"));
            (Vec::new(), None)
        }
    };
    if pack_name.is_none() && raw.pack.is_some() {
        let line = raw.pack.as_ref().map(|p| line_of(text, p.span().start)).unwrap_or(1);
        problems.push(Problem::error(file, line, None, "[pack] has no `name`"));
    }
    let stemmer = match raw.pack.as_ref().and_then(|p| p.get_ref().stemmer.clone()) {
        Some(s) if s == "none" || crate::clauses::stemmer_algorithm(&s).is_some() => s,
        Some(s) => {
            let line = raw.pack.as_ref().map(|p| line_of(text, p.span().start)).unwrap_or(1);
            problems.push(Problem::error(file, line, None, format!("unknown stemmer `{s}` (english, spanish, french, german, portuguese, italian, dutch, arabic, none)")));
            "none".to_string()
        }
        None => crate::clauses::default_stemmer(pack_languages.first().map(String::as_str).unwrap_or("")).to_string(),
    };
    let pack = pack_name.clone().unwrap_or_default();
    let mut vocabularies = Vec::new();
    for (name, spanned) in raw.vocab {
        let line = line_of(text, spanned.span().start);
        let v = spanned.into_inner();
        let Some(words) = v.words else {
            problems.push(Problem::error(file, line, None, format!("vocabulary `{name}`: missing field `words`")));
            continue;
        };
        vocabularies.push(Vocab {
            pack: pack.clone(),
            name,
            stemmer: stemmer.clone(),
            description: v.description.unwrap_or_default(),
            words,
            examples: v.examples.unwrap_or_default(),
            counterexamples: v.counterexamples.unwrap_or_default(),
            file: file.to_string(),
            line,
        });
    }
    let mut rules = Vec::new();
    for (index, spanned) in raw.rule.into_iter().enumerate() {
        let line = line_of(text, spanned.span().start);
        let r = spanned.into_inner();
        let id = r.id.as_ref().map(|s| s.get_ref().clone());
        let label = id.clone().unwrap_or_else(|| format!("#{} (no id)", index + 1));
        let before = problems.len();
        let missing = |field: &str, problems: &mut Vec<Problem>| {
            problems.push(Problem::error(file, line, Some(&label), format!("missing field `{field}`")));
        };
        if id.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push(Problem::error(file, line, Some(&label), "`id` is empty"));
        }
        if r.id.is_none() {
            missing("id", &mut problems);
        }
        if r.category.is_none() {
            missing("category", &mut problems);
        }
        if r.weight.is_none() {
            missing("weight", &mut problems);
        }
        if r.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            missing("description", &mut problems);
        }
        if r.source.as_deref().is_none_or(|d| d.trim().is_empty()) {
            missing("source", &mut problems);
        }
        match &r.patterns {
            None if r.all.as_ref().is_none_or(Vec::is_empty) => {
                problems.push(Problem::error(file, line, Some(&label), "a rule needs `all` (phrases) or `patterns` (regular expressions)"))
            }
            Some(p) if p.get_ref().is_empty() => {
                problems.push(Problem::error(file, line_of(text, p.span().start), Some(&label), "`patterns` is empty"))
            }
            _ => {}
        }
        if let Some(w) = &r.within {
            if !(1..=crate::clauses::MAX_WITHIN as i64).contains(w.get_ref()) {
                problems.push(Problem::error(file, line_of(text, w.span().start), Some(&label), format!("within {} is outside 1..={}", w.get_ref(), crate::clauses::MAX_WITHIN)));
            }
        }
        if let Some(w) = &r.weight {
            if !(1..=10).contains(w.get_ref()) {
                problems.push(Problem::error(file, line_of(text, w.span().start), Some(&label), format!("weight {} is outside 1..=10", w.get_ref())));
            }
        }
        let languages = match &r.languages {
            Some(l) => l.get_ref().clone(),
            None => pack_languages.clone(),
        };
        if languages.is_empty() {
            problems.push(Problem::error(file, line, Some(&label), "no `languages` (and the [pack] gives none)"));
        }
        if problems.len() > before {
            continue;
        }
        let category = r.category.expect("checked above").into_inner();
        let id = id.expect("checked above");
        if let Some(pack) = &pack_name {
            let prefix = format!("{pack}.{category}.");
            if !id.starts_with(&prefix) {
                problems.push(Problem::warning(file, line, Some(&id), format!("ids read `<pack>.<category>.<what>`: expected `{prefix}…`")));
            }
        }
        let patterns = r.patterns.map(Spanned::into_inner).unwrap_or_default();
        rules.push(Rule {
            id,
            category,
            languages,
            weight: *r.weight.expect("checked above").get_ref() as u32,
            description: r.description.unwrap_or_default(),
            source: r.source.unwrap_or_default(),
            pattern_lines: patterns.iter().map(|p| line_of(text, p.span().start)).collect(),
            patterns: patterns.into_iter().map(Spanned::into_inner).collect(),
            pack: pack.clone(),
            stemmer: stemmer.clone(),
            all: r.all.unwrap_or_default(),
            any: r.any.unwrap_or_default(),
            unless: r.unless.unwrap_or_default(),
            within: r.within.map(|w| *w.get_ref() as u32),
            example_lines: r.must_match.iter().flatten().map(|e| line_of(text, e.span().start)).collect(),
            counterexample_lines: r.must_not_match.iter().flatten().map(|e| line_of(text, e.span().start)).collect(),
            must_match: r.must_match.unwrap_or_default().into_iter().map(Spanned::into_inner).collect(),
            must_not_match: r.must_not_match.unwrap_or_default().into_iter().map(Spanned::into_inner).collect(),
            testing: r.testing.unwrap_or(false),
            file: file.to_string(),
            line,
        });
    }
    if problems.iter().any(Problem::is_error) {
        Err(problems)
    } else {
        Ok((Pack { rules, vocabularies }, problems))
    }
}

/// A table of a pack read without its field types, each value with its place.
type LooseTable = std::collections::BTreeMap<String, Spanned<toml::Value>>;

#[derive(Deserialize)]
struct LooseFile {
    pack: Option<LooseTable>,
    #[serde(default)]
    rule: Vec<Spanned<LooseTable>>,
}

/// When a pack is valid TOML but does not have the shape of a rule file, finds every field whose
/// value has the wrong type (`weight = "six"`, `patterns = 3`) or whose name is unknown, and names
/// its rule, field and line. `None` when the problem lies elsewhere (then the parser's own message
/// is the best there is).
fn diagnose_fields(file: &str, text: &str, lines: &LineIndex) -> Option<Vec<Problem>> {
    let loose: LooseFile = toml::from_str(text).ok()?;
    let mut problems = Vec::new();
    // Each field is read again on its own, from its own text, into the real shape: the one that
    // fails is the one to name, and the reader's message says what it expected.
    let mut check = |rule: Option<&str>, table: &LooseTable, what: &str, accepts: &dyn Fn(&str) -> Result<(), toml::de::Error>| {
        for (field, value) in table {
            let span = value.span();
            let Some(source) = text.get(span.clone()) else { continue };
            let key = if !field.is_empty() && field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                field.clone()
            } else {
                format!("\"{}\"", field.replace('\\', "\\\\").replace('"', "\\\""))
            };
            if let Err(e) = accepts(&format!("{key} = {source}\n")) {
                problems.push(Problem::error(file, lines.line(span.start), rule, format!("{what}field `{field}`: {}", e.message().trim())));
            }
        }
    };
    if let Some(pack) = &loose.pack {
        check(None, pack, "[pack] ", &|t| toml::from_str::<RawPack>(t).map(drop));
    }
    for (index, rule) in loose.rule.iter().enumerate() {
        let label = match rule.get_ref().get("id").map(Spanned::get_ref) {
            Some(toml::Value::String(id)) if !id.trim().is_empty() => id.clone(),
            _ => format!("#{} (no id)", index + 1),
        };
        check(Some(&label), rule.get_ref(), "", &|t| toml::from_str::<RawRule>(t).map(drop));
    }
    problems.sort_by_key(|p| p.line);
    (!problems.is_empty()).then_some(problems)
}

pub fn parse_policy(file: &str, text: &str) -> Result<Policy, Problem> {
    toml::from_str::<Policy>(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        Problem::error(file, line, None, format!("not a valid policy: {}", e.message().trim()))
    })
}

/// The name the policy file must have inside a rules folder.
pub const POLICY_FILE: &str = "policy.toml";

/// Reads a rules folder (every `*.toml`, `policy.toml` being the decision policy) or a single pack
/// file (then the policy is looked up beside it). Paths in messages are shown as given.
pub fn load_path(path: &Path) -> Checked<RuleSet> {
    let io_error = |p: &Path, e: std::io::Error| vec![Problem::error(&p.display().to_string(), 0, None, format!("cannot read: {e}"))];
    let (dir, files): (&Path, Vec<std::path::PathBuf>) = if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| io_error(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != POLICY_FILE && n != crate::learn::LEARNED_FILE))
            .collect();
        files.sort();
        (path, files)
    } else {
        (path.parent().unwrap_or(Path::new(".")), vec![path.to_path_buf()])
    };
    let policy_path = dir.join(POLICY_FILE);
    let policy_text = std::fs::read_to_string(&policy_path).map_err(|e| io_error(&policy_path, e))?;
    let mut sources = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| io_error(&f, e))?;
        sources.push((f.display().to_string(), text));
    }
    let (mut set, problems) = build(&policy_path.display().to_string(), &policy_text, &sources)?;
    let learned_path = dir.join(crate::learn::LEARNED_FILE);
    if learned_path.is_file() && path.is_dir() {
        let text = std::fs::read_to_string(&learned_path).map_err(|e| io_error(&learned_path, e))?;
        let file = learned_path.display().to_string();
        let learned = crate::learn::Learned::parse(&file, &text).map_err(|p| vec![p])?;
        if !set.policy.categories.contains_key(crate::learn::CATEGORY) {
            return Err(vec![Problem::error(&file, 1, None, format!("policy.toml has no category `{}` for the learned cue", crate::learn::CATEGORY))]);
        }
        set.learned = Some(learned);
    }
    Ok((set, problems))
}

/// Builds a rule set from the policy and pack texts, checking what can be checked without
/// compiling patterns: ids unique across packs, categories and languages known.
pub fn build(policy_file: &str, policy_text: &str, packs: &[(String, String)]) -> Checked<RuleSet> {
    let policy = parse_policy(policy_file, policy_text).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    for c in policy.unknown_categories() {
        problems.push(Problem::error(policy_file, 1, None, format!("a combo names the unknown category `{c}`")));
    }
    let mut all = Pack::default();
    parse_packs(packs, &mut all, &mut problems);
    problems.extend(check_references(&policy, &all.rules));
    if problems.iter().any(Problem::is_error) {
        return Err(problems);
    }
    Ok((RuleSet { format: FORMAT, policy, rules: all.rules, vocabularies: all.vocabularies, learned: None }, problems))
}

/// Parses each pack, adding its rules and its problems (a broken pack adds only problems).
fn parse_packs(packs: &[(String, String)], into: &mut Pack, problems: &mut Vec<Problem>) {
    for (file, text) in packs {
        match parse_pack(file, text) {
            Ok((mut p, warnings)) => {
                problems.extend(warnings);
                into.rules.append(&mut p.rules);
                into.vocabularies.append(&mut p.vocabularies);
            }
            Err(p) => problems.extend(p),
        }
    }
}

/// Ids unique, categories and languages known to the policy.
fn check_references(policy: &Policy, rules: &[Rule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<&str, &Rule> = std::collections::HashMap::new();
    for r in rules {
        if let Some(first) = seen.insert(&r.id, r) {
            problems.push(Problem::error(&r.file, r.line, Some(&r.id), format!("duplicate id: already defined at {}:{}", first.file, first.line)));
        }
        if !policy.categories.contains_key(&r.category) {
            let known: Vec<&str> = policy.categories.keys().map(String::as_str).collect();
            problems.push(Problem::error(&r.file, r.line, Some(&r.id), format!("unknown category `{}` (known: {})", r.category, known.join(", "))));
        }
        for l in &r.languages {
            if !policy.languages.contains(l) {
                problems.push(Problem::error(&r.file, r.line, Some(&r.id), format!("unknown language `{l}` (known: {})", policy.languages.join(", "))));
            }
        }
    }
    problems
}

impl RuleSet {
    /// Adds more packs (a user's custom pack) to a built set, with the same checks.
    pub fn with_packs(&self, packs: &[(String, String)]) -> Checked<RuleSet> {
        let mut problems = Vec::new();
        let mut all = Pack { rules: self.rules.clone(), vocabularies: self.vocabularies.clone() };
        parse_packs(packs, &mut all, &mut problems);
        problems.extend(check_references(&self.policy, &all.rules));
        if problems.iter().any(Problem::is_error) {
            return Err(problems);
        }
        Ok((RuleSet { format: FORMAT, policy: self.policy.clone(), rules: all.rules, vocabularies: all.vocabularies, learned: self.learned.clone() }, problems))
    }
}
