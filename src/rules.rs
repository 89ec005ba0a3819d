//! Rule packs: the TOML files volunteers write, read into plain data with the file and line of
//! everything, so that every later complaint (a bad regex, a failing example, a duplicate id) can
//! point at the exact place. Nothing here compiles a pattern; `engine` does that once.
//!
//! This module is the data; reading it from TOML (`read`) is part of the compiling engine only.

use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::fmt;

#[cfg(feature = "compile")]
mod read;
#[cfg(feature = "compile")]
pub use read::{build, load_path, parse_pack, parse_policy, POLICY_FILE};

/// Everything the engine needs: the decision policy and all rules, from every pack.
/// This is also the single JSON file the extension loads (`extortion-guard pack`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleSet {
    pub format: u32,
    pub policy: Policy,
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub vocabularies: Vec<Vocab>,
    /// The learned cue (`learned.toml`), when the folder has one.
    #[serde(default)]
    pub learned: Option<crate::learn::Learned>,
}

pub const FORMAT: u32 = 2;

/// A named word class of one pack (`[vocab.media]`): phrases that rules refer to as `{media}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vocab {
    pub pack: String,
    pub name: String,
    /// The Snowball stemmer plain words are reduced with, or "none".
    pub stemmer: String,
    #[serde(default)]
    pub description: String,
    pub words: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub counterexamples: Vec<String>,
    pub file: String,
    pub line: usize,
}

/// What one pack file holds.
#[derive(Debug, Clone, Default)]
pub struct Pack {
    pub rules: Vec<Rule>,
    pub vocabularies: Vec<Vocab>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub languages: Vec<String>,
    pub weight: u32,
    pub description: String,
    pub source: String,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// The pack the rule belongs to: its vocabulary names are looked up there.
    #[serde(default)]
    pub pack: String,
    #[serde(default)]
    pub stemmer: String,
    /// Phrases that must all occur in one sentence (see rules/README.md).
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    #[serde(default)]
    pub within: Option<u32>,
    #[serde(default)]
    pub must_match: Vec<String>,
    #[serde(default)]
    pub must_not_match: Vec<String>,
    #[serde(default)]
    pub testing: bool,
    /// Where the rule was written, for messages that point at it.
    pub file: String,
    pub line: usize,
    #[serde(default)]
    pub pattern_lines: Vec<usize>,
    /// Lines of the examples, for `rules check`; not packed.
    #[serde(default)]
    pub example_lines: Vec<usize>,
    #[serde(default)]
    pub counterexample_lines: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong with a pack, with where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub rule: Option<String>,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub fn error(file: &str, line: usize, rule: Option<&str>, message: impl Into<String>) -> Self {
        Problem { file: file.to_string(), line, rule: rule.map(str::to_string), severity: Severity::Error, message: message.into() }
    }

    pub fn warning(file: &str, line: usize, rule: Option<&str>, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Warning, ..Problem::error(file, line, rule, message) }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule}: ")?;
        }
        write!(f, "{severity}: {}", self.message)
    }
}

/// The problems found, or the value when there were none (warnings travel with the value).
pub type Checked<T> = Result<(T, Vec<Problem>), Vec<Problem>>;

/// Line number (1-based) of a byte offset. Counts from the start: for one offset only; a file's
/// many spans go through [`LineIndex`].
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Where each line of a text starts, so that the line of any offset is a binary search: a pack of
/// 100,000 rules has a million spans, and counting newlines from the start for each was quadratic.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0).chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1)).collect();
        LineIndex { starts }
    }

    /// Line number (1-based) of a byte offset; the same answer as [`line_of`].
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
}

