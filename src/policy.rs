//! The decision: which tactics, seen together, make a message or a conversation read like
//! sextortion. Kept apart from the rules so volunteers can tune "what counts" without touching
//! "what matches", and loaded from `rules/policy.toml` like any other data.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    None,
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "none" => Level::None,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub warn_from: Level,
    pub languages: Vec<String>,
    pub window: Window,
    pub score: ScorePolicy,
    pub categories: BTreeMap<String, Category>,
    /// Categories that mark a message as talking about blackmail rather than making it (news,
    /// awareness posts, someone telling a friend what happened): such a message counts for nothing.
    #[serde(default)]
    pub reported_by: Vec<String>,
    #[serde(default, rename = "combo")]
    pub combos: Vec<Combo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// How many recent incoming messages of a conversation count, the newest included.
    pub messages: usize,
    /// How far back, from the newest message, a message still counts (when times are known).
    pub minutes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorePolicy {
    pub min_categories: usize,
    pub low: u32,
    pub medium: u32,
    pub high: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combo {
    pub level: Level,
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    /// The categories of `all` must each have been seen with at least this weight (their
    /// strongest hit): lets a single unmistakable rule warn while weaker hints of it do not.
    #[serde(default)]
    pub min_weight: u32,
}

impl Combo {
    fn met(&self, seen: &BTreeMap<&str, u32>) -> bool {
        self.all.iter().all(|c| seen.get(c.as_str()).is_some_and(|&w| w >= self.min_weight))
            && (self.any.is_empty() || self.any.iter().any(|c| seen.contains_key(c.as_str())))
    }
}

impl Policy {
    /// The level and score for a set of categories, each with the weight of its strongest hit.
    pub fn decide(&self, seen: &BTreeMap<&str, u32>) -> (Level, u32) {
        // A category seen with weight 0 (the learned cue) only counts through the combos.
        let score: u32 = seen.values().sum();
        let mut level = Level::None;
        if seen.values().filter(|&&w| w > 0).count() >= self.score.min_categories {
            for (threshold, l) in [(self.score.low, Level::Low), (self.score.medium, Level::Medium), (self.score.high, Level::High)] {
                if score >= threshold {
                    level = level.max(l);
                }
            }
        }
        for combo in &self.combos {
            if combo.level > level && combo.met(seen) {
                level = combo.level;
            }
        }
        (level, score)
    }

    /// Problems with the policy itself: combos naming categories that do not exist.
    pub fn unknown_categories(&self) -> Vec<String> {
        let mut unknown = Vec::new();
        for combo in &self.combos {
            for c in combo.all.iter().chain(&combo.any).chain(&self.reported_by) {
                if !self.categories.contains_key(c) && !unknown.contains(c) {
                    unknown.push(c.clone());
                }
            }
        }
        unknown
    }
}
