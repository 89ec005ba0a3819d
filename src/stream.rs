//! A stream of messages, some belonging to conversations, judged one at a time in order — the way
//! `scan --jsonl` and `eval` read their input. The engine itself keeps no state; this keeps only
//! each conversation's recent scans, which the window bounds.

use crate::engine::{Detector, MessageScan, Verdict};
use std::collections::{HashMap, VecDeque};

pub struct Stream<'d> {
    detector: &'d Detector,
    conversations: HashMap<String, VecDeque<(MessageScan, Option<f64>)>>,
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
        history.push_back((scan.clone(), time));
        while history.len() > limit {
            history.pop_front();
        }
        if scan.hits.is_empty() {
            return Judged { verdict: self.detector.decide(&[&scan]), scan };
        }
        let history = history.make_contiguous();
        let window = self.detector.window_of(history.len(), |i| history[i].1);
        let scans: Vec<&MessageScan> = history[window].iter().map(|(s, _)| s).collect();
        let conversation = self.detector.decide(&scans);
        let verdict = Verdict { hits: scan.hits.clone(), ..conversation };
        Judged { verdict, scan }
    }
}
