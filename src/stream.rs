//! A stream of messages, some belonging to conversations, judged one at a time in order — the way
//! `scan --jsonl` and `eval` read their input. The engine itself keeps no state; this keeps only
//! each conversation's recent scans, which the window bounds.

use crate::engine::{Detector, Hit, MessageScan, Verdict};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read, Write};

pub struct Stream<'d> {
    detector: &'d Detector,
    conversations: HashMap<String, VecDeque<(MessageScan, Option<f64>, String)>>,
}

/// The verdict for one line, and its raw scan (testing-rule hits included) for reports.
pub struct Judged {
    pub verdict: Verdict,
    pub scan: MessageScan,
}

impl<'d> Stream<'d> {
    pub fn new(detector: &'d Detector) -> Self {
        Stream { detector, conversations: HashMap::new() }
    }

    /// Judges the next message. Without a conversation it stands alone. In a conversation, a message
    /// that has hits of its own carries the conversation's verdict (so the last piece of a threat
    /// split over several messages warns); one without hits warns on nothing, so ordinary chat
    /// after a threat is not flagged again.
    pub fn push(&mut self, text: &str, conversation: Option<&str>, time: Option<f64>) -> Judged {
        let scan = self.detector.scan_hits(text);
        let Some(id) = conversation else {
            return Judged { verdict: self.detector.decide(&[&scan]), scan };
        };
        let limit = self.detector.policy().window.messages.max(1);
        let history = self.conversations.entry(id.to_string()).or_default();
        history.push_back((scan.clone(), time, text.to_string()));
        while history.len() > limit {
            history.pop_front();
        }
        let history = history.make_contiguous();
        let window = self.detector.window_of(history.len(), |i| history[i].1);
        let texts: Vec<&str> = history[window.clone()].iter().map(|(_, _, t)| t.as_str()).collect();
        let newest = texts.len() - 1;
        // A phrase split over this message and the ones before it makes this one carry hits too.
        let joined = self.detector.scan_joined(&texts).filter(|j| j.hits.iter().any(|h| h.message == Some(newest)));
        let mut own = scan.hits.clone();
        if let Some(j) = &joined {
            own.extend(j.hits.iter().filter(|h| h.message == Some(newest)).map(|h| Hit { message: None, ..h.clone() }));
        }
        if own.is_empty() {
            return Judged { verdict: self.detector.decide(&[&scan]), scan };
        }
        let mut scans: Vec<&MessageScan> = history[window].iter().map(|(s, _, _)| s).collect();
        if let Some(j) = &joined {
            scans.push(j);
        }
        let conversation = self.detector.decide(&scans);
        let verdict = Verdict { hits: own, ..conversation };
        Judged { verdict, scan }
    }
}

// ---- `scan --jsonl`: JSON in, JSON out, one line for one line.

#[derive(Serialize)]
struct JsonHit<'a> {
    rule: &'a str,
    category: &'a str,
    start: usize,
    end: usize,
    text: &'a str,
}

/// The exact line format of `scan --jsonl`; other tools depend on it.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    id: &'a serde_json::Value,
    warn: bool,
    level: &'a str,
    score: u32,
    categories: &'a [String],
    hits: Vec<JsonHit<'a>>,
}

/// The line `scan --jsonl` writes for an input line it cannot judge, so that every input line
/// still has exactly one output line, in order.
#[derive(Serialize)]
struct JsonError<'a> {
    id: &'a serde_json::Value,
    line: usize,
    error: &'a str,
}

/// `scan --jsonl`: reads `input` as bytes, one line at a time, and writes one line to `output` for
/// every input line, in order. A line that is not UTF-8 is decoded with U+FFFD for the bad bytes
/// (and told); a line that cannot be judged (blank, not JSON, wrong types, too long) gets an
/// `{"id", "line", "error"}` line; the stream goes on either way. Each problem is also given to
/// `tell`, starting "stdin line N: ". Returns how many lines had problems; errors only when
/// reading or writing fails.
pub fn scan_jsonl(detector: &Detector, mut input: impl BufRead, mut output: impl Write, mut tell: impl FnMut(&str)) -> Result<usize, String> {
    let mut stream = Stream::new(detector);
    let mut bad_lines = 0;
    let mut bytes = Vec::new();
    for n in 1.. {
        let Some(whole) = read_line(&mut input, &mut bytes).map_err(|e| format!("stdin line {n}: {e}"))? else {
            break;
        };
        let line = line_text(&bytes);
        if whole && matches!(line, std::borrow::Cow::Owned(_)) {
            tell(&format!("stdin line {n}: not UTF-8; the bad bytes were read as U+FFFD"));
            bad_lines += 1;
        }
        let parsed = if whole { parse_input(&line) } else { Err((serde_json::Value::Null, format!("longer than {MAX_LINE_BYTES} bytes; skipped"))) };
        let text = match parsed {
            Ok((id, text, conversation, time)) => {
                let verdict = stream.push(&text, conversation.as_deref(), time).verdict;
                let json = JsonVerdict {
                    id: &id,
                    warn: verdict.warn,
                    level: verdict.level.as_str(),
                    score: verdict.score,
                    categories: &verdict.categories,
                    hits: verdict.hits.iter().map(|h| JsonHit { rule: &h.rule, category: &h.category, start: h.start, end: h.end, text: &h.text }).collect(),
                };
                serde_json::to_string(&json)
            }
            Err((id, message)) => {
                let message = format!("stdin line {n}: {message}");
                tell(&message);
                bad_lines += 1;
                serde_json::to_string(&JsonError { id: &id, line: n, error: &message })
            }
        };
        let text = text.map_err(|e| e.to_string())?;
        writeln!(output, "{text}").map_err(|e| format!("cannot write: {e}"))?;
    }
    output.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(bad_lines)
}

/// Longest input line `scan --jsonl` reads; the engine scans only the start of a long message
/// anyway, and a line without an end must not take all the memory there is.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads the next line (with its `\n`, if any) into `bytes`. `None` at the end of the input;
/// `Some(false)` when the line was longer than [`MAX_LINE_BYTES`]: its start is in `bytes`, the
/// rest has been read and dropped.
fn read_line(input: &mut impl BufRead, bytes: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    bytes.clear();
    let read = input.by_ref().take(MAX_LINE_BYTES as u64).read_until(b'\n', bytes)?;
    if read == 0 {
        return Ok(None);
    }
    if bytes.ends_with(b"\n") || read < MAX_LINE_BYTES {
        return Ok(Some(true));
    }
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(Some(false));
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                return Ok(Some(false));
            }
            None => {
                let len = chunk.len();
                input.consume(len);
            }
        }
    }
}

/// One line of input without its line ending, as text (invalid UTF-8 becomes U+FFFD).
fn line_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

type Input = (serde_json::Value, String, Option<String>, Option<f64>);

/// One input line: an object whose `text` is a string; `conversation` may be absent, null or any
/// scalar; `time` absent, null, a number or a string holding one. Anything else is an error that
/// says what is wrong (with the line's `id` when it has one).
fn parse_input(line: &str) -> Result<Input, (serde_json::Value, String)> {
    use serde_json::Value;
    if line.trim().is_empty() {
        return Err((Value::Null, "blank line (expected a JSON object with a \"text\" string)".into()));
    }
    let value: Value = serde_json::from_str(line).map_err(|e| (Value::Null, format!("not JSON: {e}")))?;
    let Value::Object(fields) = &value else {
        return Err((Value::Null, format!("not a JSON object but {} (expected {{\"id\", \"text\", ...}})", kind(&value))));
    };
    let id = fields.get("id").cloned().unwrap_or(Value::Null);
    let text = match fields.get("text") {
        Some(Value::String(text)) => text.clone(),
        None => return Err((id, "no \"text\" string".into())),
        Some(other) => return Err((id, format!("\"text\" must be a string, not {}", kind(other)))),
    };
    let conversation = match fields.get("conversation") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other @ (Value::Number(_) | Value::Bool(_))) => Some(other.to_string()),
        Some(other) => return Err((id, format!("\"conversation\" must be a string or number, not {}", kind(other)))),
    };
    let time = match fields.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::Number(t)) => t.as_f64(),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(t) if t.is_finite() => Some(t),
            _ => return Err((id, format!("\"time\" must be a number of milliseconds, not {s:?}"))),
        },
        Some(other) => return Err((id, format!("\"time\" must be a number of milliseconds, not {}", kind(other)))),
    };
    Ok((id, text, conversation, time))
}

/// What kind of JSON value this is, for messages.
fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
