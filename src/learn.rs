//! The learned cue: a word-weight model trained on the labelled corpora, read beside the rules.
//!
//! Rules name tactics in the words a volunteer thought of; the next scammer uses others. Measured
//! on blind sets the rules had never seen, about half the threats slipped past them, most with one
//! rule category seen and no second to confirm it. The cue is a logistic model over the message's
//! words and word pairs (normalised as the rules see them), trained by `extortion-guard learn` on
//! every labelled corpus: it says "this reads like the blackmail we have collected", and the
//! policy lets that stand in for the missing second category (`combo` with `learned`), never alone.
//!
//! It is data like the rules (`rules/learned.toml`, written by `learn`, read by `rules check` and
//! packed into pack.bin), small (the strongest weights only) and cheap: one pass over the words.

#[cfg(feature = "compile")]
use crate::normalize::normalize;
#[cfg(feature = "compile")]
use crate::rules::Problem;
use crate::tokens::tokenize;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The file in a rules folder that holds the cue.
pub const LEARNED_FILE: &str = "learned.toml";
/// The category the cue adds to a message's scan when it fires (a category of policy.toml).
pub const CATEGORY: &str = "learned";
/// The rule id its hits carry, shaped like a rule's (`<pack>.<category>.<what>`).
pub const RULE: &str = "learned.learned.words";
/// Words shown as the reason the cue fired, and the letters a reason needs.
const REASON_WORDS: usize = 3;
const MIN_REASON_CHARS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Learned {
    /// The cue fires at this score or above (chosen on held-out real chat when training).
    pub threshold: f32,
    pub bias: f32,
    /// Feature (a word, or two words joined by a space) to weight.
    pub weights: HashMap<String, f32>,
}

/// What the cue says about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub score: f32,
    /// Byte spans (in the normalised text) of the words that pushed the score up most.
    pub reasons: Vec<(usize, usize)>,
}

/// A message's words as the cue sees them: numbers read as `#`, so an amount is one feature.
fn words(text: &str) -> Vec<(usize, usize, String)> {
    tokenize(text)
        .into_iter()
        .map(|t| {
            let w = &text[t.start..t.end];
            let w = if w.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') { "#".to_string() } else { w.to_string() };
            (t.start, t.end, w)
        })
        .collect()
}

/// The distinct features of a normalised text: its words and its pairs of neighbouring words,
/// each with the span of the first word, in order of first occurrence.
pub fn features(normalized: &str) -> Vec<(String, (usize, usize))> {
    let ws = words(normalized);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, (s, e, w)) in ws.iter().enumerate() {
        if seen.insert(w.clone()) {
            out.push((w.clone(), (*s, *e)));
        }
        if let Some((_, e2, w2)) = ws.get(i + 1) {
            let pair = format!("{w} {w2}");
            if seen.insert(pair.clone()) {
                out.push((pair, (*s, *e2)));
            }
        }
    }
    out
}

impl Learned {
    /// Reads the cue from the normalised text (features of unknown words count in the length, as
    /// in training: a long message dilutes its few telling words).
    pub fn read(&self, normalized: &str) -> Reading {
        let fs = features(normalized);
        if fs.is_empty() {
            return Reading { score: self.bias, reasons: Vec::new() };
        }
        let scale = 1.0 / (fs.len() as f32).sqrt();
        let mut contributions: Vec<(f32, (usize, usize))> = Vec::new();
        let mut score = self.bias;
        for (f, span) in &fs {
            if let Some(&w) = self.weights.get(f) {
                score += w * scale;
                // "ur" or "#" may weigh, but as a reason shown to a person they say nothing.
                if w > 0.0 && f.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_REASON_CHARS {
                    contributions.push((w, *span));
                }
            }
        }
        contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut reasons: Vec<(usize, usize)> = contributions.into_iter().map(|(_, s)| s).take(REASON_WORDS).collect();
        reasons.sort_unstable();
        Reading { score, reasons }
    }

    pub fn fires(&self, reading: &Reading) -> bool {
        reading.score >= self.threshold
    }

    /// Parses `learned.toml`; a broken file names itself and the problem.
    #[cfg(feature = "compile")]
    pub fn parse(file: &str, text: &str) -> Result<Learned, Problem> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            learned: Head,
            weights: HashMap<String, f32>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Head {
            threshold: f32,
            bias: f32,
            #[serde(default)]
            #[allow(dead_code)]
            trained_on: Vec<String>,
            #[serde(default)]
            #[allow(dead_code)]
            measured: Vec<String>,
        }
        let f: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| crate::rules::line_of(text, s.start)).unwrap_or(0);
            Problem::error(file, line, None, e.message())
        })?;
        if !f.learned.threshold.is_finite() || !f.learned.bias.is_finite() {
            return Err(Problem::error(file, 1, None, "threshold and bias must be finite numbers"));
        }
        if let Some((k, _)) = f.weights.iter().find(|(_, w)| !w.is_finite()) {
            return Err(Problem::error(file, 1, None, format!("the weight of {k:?} is not a finite number")));
        }
        Ok(Learned { threshold: f.learned.threshold, bias: f.learned.bias, weights: f.weights })
    }

    #[cfg(feature = "compile")]
    /// The file `learn` writes: a header saying how it was made, then the weights, strongest first.
    pub fn to_toml(&self, trained_on: &[String], measured: &[String]) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
        let list = |xs: &[String]| xs.iter().map(|x| format!("\n  {},", q(x))).collect::<String>();
        let mut out = String::from(
            "# The learned cue (src/learn.rs): written by `extortion-guard learn`, not by hand. To change it,\n\
             # change the corpora and run learn again (CONTRIBUTING.md). Weights are per word or word pair of\n\
             # the normalised message; the cue fires at `threshold`, and policy.toml says what that counts for.\n\n[learned]\n",
        );
        out += &format!("threshold = {}\nbias = {}\ntrained_on = [{}\n]\nmeasured = [{}\n]\n\n[weights]\n", self.threshold, self.bias, list(trained_on), list(measured));
        let mut ws: Vec<(&String, &f32)> = self.weights.iter().collect();
        ws.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (k, w) in ws {
            out += &format!("{} = {}\n", q(k), w);
        }
        out
    }
}

#[cfg(feature = "compile")]
/// One training example: a text, whether it is extortion, and how much it counts.
pub struct Example<'a> {
    pub text: &'a str,
    pub extortion: bool,
    pub weight: f32,
}

#[cfg(feature = "compile")]
pub struct Training {
    pub epochs: usize,
    /// L2 penalty per example seen.
    pub l2: f32,
    pub learning_rate: f32,
    /// How many of the strongest weights to keep.
    pub keep: usize,
    /// Features seen in fewer examples than this are left out (one-off words would be learned by heart).
    pub min_count: usize,
}

#[cfg(feature = "compile")]
impl Default for Training {
    fn default() -> Self {
        Training { epochs: 12, l2: 1e-3, learning_rate: 0.5, keep: 6000, min_count: 3 }
    }
}

#[cfg(feature = "compile")]
/// Trains the cue's weights (logistic regression, AdaGrad, a fixed shuffle so a run is repeatable);
/// the threshold is left at 0 for the caller to choose.
pub fn train(examples: &[Example], t: &Training) -> Learned {
    let texts: Vec<Vec<String>> = examples.iter().map(|ex| features(&normalize(ex.text).text).into_iter().map(|(f, _)| f).collect()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for fs in &texts {
        for f in fs {
            *counts.entry(f).or_insert(0) += 1;
        }
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    let rows: Vec<(Vec<usize>, f32, f32, f32)> = texts
        .iter()
        .zip(examples)
        .map(|(fs, ex)| {
            // The length counts every feature, kept or not, as `read` does.
            let scale = if fs.is_empty() { 0.0 } else { 1.0 / (fs.len() as f32).sqrt() };
            let idx = fs
                .iter()
                .filter(|f| counts[f.as_str()] >= t.min_count)
                .map(|f| {
                    let n = ids.len();
                    *ids.entry(f.clone()).or_insert(n)
                })
                .collect();
            (idx, scale, if ex.extortion { 1.0 } else { 0.0 }, ex.weight)
        })
        .collect();
    let mut w = vec![0f32; ids.len()];
    let mut g2 = vec![1e-8f32; ids.len()];
    let (mut bias, mut gb2) = (0f32, 1e-8f32);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..t.epochs {
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for &r in &order {
            let (idx, scale, y, weight) = &rows[r];
            let z = bias + idx.iter().map(|&j| w[j]).sum::<f32>() * scale;
            let p = 1.0 / (1.0 + (-z).exp());
            let g = (p - y) * weight;
            for &j in idx {
                let gj = g * scale + t.l2 * w[j];
                g2[j] += gj * gj;
                w[j] -= t.learning_rate * gj / g2[j].sqrt();
            }
            gb2 += g * g;
            bias -= t.learning_rate * g / gb2.sqrt();
        }
    }
    // Rounded here, as the file keeps them, so that the threshold the caller reads off held-out
    // text is the one the file's weights give.
    let mut named: Vec<(String, f32)> = ids.into_iter().map(|(f, j)| (f, (w[j] * 1000.0).round() / 1000.0)).collect();
    named.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    named.truncate(t.keep);
    Learned { threshold: 0.0, bias, weights: named.into_iter().filter(|(_, w)| *w != 0.0).collect() }
}

#[cfg(all(test, feature = "compile"))]
mod tests {
    use super::*;

    fn toy() -> Learned {
        let threats = ["pay me or i send the video to your family", "send 500 or everyone sees your pics", "i will post your video unless you pay"];
        let benign = ["send me the video of the party", "i will pay you back tomorrow", "your family photos look great", "see you at the party"];
        let mut ex: Vec<Example> = threats.iter().map(|t| Example { text: t, extortion: true, weight: 1.0 }).collect();
        ex.extend(benign.iter().map(|t| Example { text: t, extortion: false, weight: 1.0 }));
        train(&ex, &Training { epochs: 60, min_count: 1, l2: 1e-6, ..Training::default() })
    }

    #[test]
    fn separates_what_it_was_trained_on_and_names_the_telling_words() {
        let m = toy();
        let threat = m.read("pay or i send your video to everyone");
        let benign = m.read("see you at the party tomorrow");
        assert!(threat.score > benign.score + 1.0, "{threat:?} vs {benign:?}");
        assert!(!threat.reasons.is_empty() && threat.reasons.len() <= REASON_WORDS);
        let text = "pay or i send your video to everyone";
        assert!(threat.reasons.iter().all(|&(s, e)| text[s..e].len() >= MIN_REASON_CHARS), "{:?}", threat.reasons.iter().map(|&(s, e)| &text[s..e]).collect::<Vec<_>>());
        assert!(m.weights.get("or").is_some_and(|&w| w > 0.0), "'or' is only in threats: {:?}", m.weights.get("or"));
    }

    #[test]
    fn numbers_are_one_feature_and_pairs_are_kept() {
        let f: Vec<String> = features("send 500 now").into_iter().map(|(f, _)| f).collect();
        assert_eq!(f, ["send", "send #", "#", "# now", "now"]);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_named() {
        let m = toy();
        let text = m.to_toml(&["a.jsonl".into()], &[]);
        let back = Learned::parse("learned.toml", &text).unwrap();
        assert_eq!(back.weights.len(), m.weights.len());
        assert!((back.read("pay or i send your video").score - m.read("pay or i send your video").score).abs() < 0.01);
        let err = Learned::parse("learned.toml", "[learned]\nthreshold = 1\n").unwrap_err().to_string();
        assert!(err.starts_with("learned.toml:1: error: ") && err.contains("bias"), "{err}");
        let err = Learned::parse("learned.toml", "[learned]\nthreshold = 1\nbias = 0\n[weights]\n\"pay\" = \"a lot\"\n").unwrap_err().to_string();
        assert!(err.starts_with("learned.toml:5: ") && err.contains("f32"), "{err}");
    }

    #[test]
    fn training_is_repeatable() {
        assert_eq!(toy(), toy());
    }
}
