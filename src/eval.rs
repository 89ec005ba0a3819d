//! `eval`: measures the rules on labelled corpora, the figures volunteers tune by.
//!
//! A line without a conversation is judged alone. A conversation is judged as a whole: it is
//! caught when any of its lines warns, and a benign one is a false alarm when any line warns. The
//! units counted for precision and recall are those lines and conversations.

use crate::engine::Detector;
use crate::stream::Stream;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub text: String,
    pub label: String,
    #[serde(default)]
    pub conversation: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub time: Option<f64>,
    /// Copied from the page that printed it (blind sets), as opposed to written after a source.
    #[serde(default)]
    pub verbatim: Option<bool>,
}

/// Where a labelled line came from, for the report.
#[derive(Debug, Clone)]
pub struct Line {
    pub file: String,
    pub line: usize,
    pub item: Labelled,
}

/// Reads a JSONL corpus; blank lines are skipped, a bad line is an error naming file and line.
pub fn read_corpus(file: &str, text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let item: Labelled = serde_json::from_str(raw).map_err(|e| format!("{file}:{}: not a corpus line: {e}", i + 1))?;
        if item.label != "extortion" && item.label != "benign" {
            return Err(format!("{file}:{}: label must be \"extortion\" or \"benign\", not {:?}", i + 1, item.label));
        }
        out.push(Line { file: file.to_string(), line: i + 1, item });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub false_alarm_rate: f64,
}

impl Counts {
    fn add(&mut self, extortion: bool, warned: bool) {
        match (extortion, warned) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    fn finish(&mut self) {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        self.precision = ratio(self.true_positives, self.true_positives + self.false_positives);
        self.recall = ratio(self.true_positives, self.true_positives + self.false_negatives);
        self.f1 = if self.precision + self.recall == 0.0 { 0.0 } else { 2.0 * self.precision * self.recall / (self.precision + self.recall) };
        self.false_alarm_rate = ratio(self.false_positives, self.false_positives + self.true_negatives);
    }

    pub fn extortion(&self) -> usize {
        self.true_positives + self.false_negatives
    }

    pub fn benign(&self) -> usize {
        self.false_positives + self.true_negatives
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleFigures {
    pub category: String,
    pub testing: bool,
    /// Lines of extortion units the rule hit, and of benign units.
    pub extortion_hits: usize,
    pub benign_hits: usize,
    /// extortion / (extortion + benign): near 1 is good; low means it fires on innocent text.
    pub s_o: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FalseAlarm {
    pub file: String,
    pub line: usize,
    pub text: String,
    pub level: String,
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Missed {
    pub file: String,
    pub line: usize,
    pub conversation: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Standalone lines and whole conversations, each counted once.
    pub overall: Counts,
    /// Standalone lines only.
    pub messages: Counts,
    /// Whole conversations only.
    pub conversations: Counts,
    /// Benign lines inside conversations: how often ordinary chat turns warned.
    pub conversation_lines: Counts,
    /// Standalone lines marked `"verbatim": true`.
    pub verbatim: Counts,
    pub per_language: BTreeMap<String, Counts>,
    pub per_file: BTreeMap<String, Counts>,
    pub per_rule: BTreeMap<String, RuleFigures>,
    pub rules_never_hit: Vec<String>,
    pub false_alarms: Vec<FalseAlarm>,
    pub missed: Vec<Missed>,
}

/// Evaluates the detector on corpus lines, in order.
pub fn evaluate(detector: &Detector, lines: &[Line]) -> Report {
    let mut report = Report::default();
    let mut stream = Stream::new(detector);
    // A conversation unit: (file, id) → (extortion?, warned?, lang)
    let mut units: BTreeMap<(String, String), (bool, bool, String)> = BTreeMap::new();
    let mut unit_order: Vec<(String, String)> = Vec::new();
    let mut rule_hits: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for l in lines {
        let item = &l.item;
        let extortion = item.label == "extortion";
        let lang = item.lang.clone().unwrap_or_else(|| "?".into());
        let conversation = item.conversation.as_ref().map(|c| format!("{}#{c}", l.file));
        let judged = stream.push(&item.text, conversation.as_deref(), item.time);
        let warned = judged.verdict.warn;
        let fired: BTreeSet<&str> = judged.scan.hits.iter().chain(&judged.scan.testing_hits).map(|h| h.rule.as_str()).collect();
        for r in &fired {
            let e = rule_hits.entry(r.to_string()).or_default();
            if extortion {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        if warned && !extortion {
            report.false_alarms.push(FalseAlarm {
                file: l.file.clone(),
                line: l.line,
                text: item.text.clone(),
                level: judged.verdict.level.to_string(),
                rules: fired.iter().map(|s| s.to_string()).collect(),
            });
        }
        match &item.conversation {
            None => {
                report.messages.add(extortion, warned);
                report.overall.add(extortion, warned);
                if item.verbatim == Some(true) {
                    report.verbatim.add(extortion, warned);
                }
                report.per_language.entry(lang).or_default().add(extortion, warned);
                report.per_file.entry(l.file.clone()).or_default().add(extortion, warned);
                if extortion && !warned {
                    report.missed.push(Missed { file: l.file.clone(), line: l.line, conversation: None, text: item.text.clone() });
                }
            }
            Some(id) => {
                if !extortion {
                    report.conversation_lines.add(false, warned);
                }
                let key = (l.file.clone(), id.clone());
                let unit = units.entry(key.clone()).or_insert_with(|| {
                    unit_order.push(key.clone());
                    (extortion, false, lang)
                });
                unit.0 |= extortion;
                unit.1 |= warned;
            }
        }
    }
    for key in unit_order {
        let (extortion, warned, lang) = units[&key].clone();
        report.conversations.add(extortion, warned);
        report.overall.add(extortion, warned);
        report.per_language.entry(lang).or_default().add(extortion, warned);
        report.per_file.entry(key.0.clone()).or_default().add(extortion, warned);
        if extortion && !warned {
            let first = lines.iter().find(|l| l.file == key.0 && l.item.conversation.as_deref() == Some(&key.1));
            report.missed.push(Missed {
                file: key.0.clone(),
                line: first.map_or(0, |l| l.line),
                conversation: Some(key.1.clone()),
                text: first.map(|l| l.item.text.clone()).unwrap_or_default(),
            });
        }
    }
    for rule in &detector.rules().rules {
        let (e, b) = rule_hits.get(&rule.id).copied().unwrap_or_default();
        if e + b == 0 {
            report.rules_never_hit.push(rule.id.clone());
        }
        let s_o = if e + b == 0 { 0.0 } else { e as f64 / (e + b) as f64 };
        report.per_rule.insert(rule.id.clone(), RuleFigures { category: rule.category.clone(), testing: rule.testing, extortion_hits: e, benign_hits: b, s_o });
    }
    for c in [&mut report.overall, &mut report.messages, &mut report.conversations, &mut report.conversation_lines, &mut report.verbatim] {
        c.finish();
    }
    report.per_language.values_mut().for_each(Counts::finish);
    report.per_file.values_mut().for_each(Counts::finish);
    report
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn counts_row(name: &str, c: &Counts) -> String {
    format!(
        "{name:<34} {:>6} {:>7} {:>9} {:>9} {:>7} {:>9}",
        c.extortion(),
        c.benign(),
        format!("{:.3}", c.precision),
        format!("{:.3}", c.recall),
        format!("{:.3}", c.f1),
        pct(c.false_alarm_rate)
    )
}

/// The report as a person reads it.
pub fn render(report: &Report, max_listed: usize) -> String {
    let mut out = String::new();
    let header = format!("{:<34} {:>6} {:>7} {:>9} {:>9} {:>7} {:>9}\n", "", "extort", "benign", "precision", "recall", "F1", "false-alm");
    out += &header;
    out += &counts_row("overall (lines + conversations)", &report.overall);
    out += "\n";
    out += &counts_row("standalone messages", &report.messages);
    out += "\n";
    out += &counts_row("conversations", &report.conversations);
    out += "\n";
    out += &counts_row("benign lines in conversations", &report.conversation_lines);
    if report.verbatim.extortion() + report.verbatim.benign() > 0 {
        out += "\n";
        out += &counts_row("verbatim standalone lines", &report.verbatim);
    }
    out += "\n\nper language\n";
    for (lang, c) in &report.per_language {
        out += &counts_row(&format!("  {lang}"), c);
        out += "\n";
    }
    out += "\nper file\n";
    for (file, c) in &report.per_file {
        out += &counts_row(&format!("  {file}"), c);
        out += "\n";
    }
    out += "\nper rule (lines hit: extortion / benign, S/O)\n";
    let mut rules: Vec<_> = report.per_rule.iter().filter(|(_, f)| f.extortion_hits + f.benign_hits > 0).collect();
    rules.sort_by(|a, b| a.1.s_o.total_cmp(&b.1.s_o).then(b.1.benign_hits.cmp(&a.1.benign_hits)));
    for (id, f) in rules {
        let testing = if f.testing { " (testing)" } else { "" };
        out += &format!("  {:<52} {:>5} / {:<5} {:.2}{testing}\n", id, f.extortion_hits, f.benign_hits, f.s_o);
    }
    if !report.rules_never_hit.is_empty() {
        out += &format!("\nrules that never hit ({})\n", report.rules_never_hit.len());
        for id in &report.rules_never_hit {
            out += &format!("  {id}\n");
        }
    }
    out += &format!("\nbenign lines that warned ({})\n", report.false_alarms.len());
    for fa in report.false_alarms.iter().take(max_listed) {
        out += &format!("  {}:{} [{}] {}\n      {}\n", fa.file, fa.line, fa.level, fa.rules.join(" "), fa.text.chars().take(200).collect::<String>());
    }
    out += &format!("\nextortion missed ({})\n", report.missed.len());
    for m in report.missed.iter().take(max_listed) {
        let conv = m.conversation.as_deref().map(|c| format!(" conversation {c}")).unwrap_or_default();
        out += &format!("  {}:{}{conv}\n      {}\n", m.file, m.line, m.text.chars().take(200).collect::<String>());
    }
    out
}
