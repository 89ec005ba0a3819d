//! A stream of messages, some belonging to conversations, judged one at a time in order — the way
//! `scan --jsonl` and `eval` read their input. The engine itself keeps no state; this keeps only
//! each conversation's recent scans, which the window bounds.

use crate::engine::{Detector, Hit, MessageScan, Verdict};
use std::collections::{HashMap, VecDeque};

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
