//! Extortion Guard's engine: reads chat messages the way a sextortion script is typed and says
//! whether a message, or the conversation so far, looks like blackmail, and why.
//!
//! Data flows one way: rule packs (`rules`) and the decision policy (`policy`) compile once into a
//! `engine::Detector`; a message is normalised (`normalize`), matched, and decided into a
//! `engine::Verdict`. `check` and `eval` are the volunteers' tools; `wasm` is the browser binding.
//!
//! Without the `compile` feature the crate only scans with packed rules (`Detector::from_packed`):
//! that is the engine the extension's background loads, with no TOML parser or regex compiler in it.

#[cfg(feature = "compile")]
pub mod check;
pub mod clauses;
pub mod emoji;
pub mod engine;
#[cfg(feature = "compile")]
pub mod eval;
pub mod flat;
pub mod learn;
pub mod matcher;
pub mod normalize;
#[cfg(feature = "compile")]
pub mod phrase;
pub mod policy;
pub mod quotes;
pub mod rules;
#[cfg(feature = "compile")]
pub mod stream;
pub mod tokens;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use engine::{ConversationVerdict, Detector, Hit, Message, Verdict};
pub use policy::Level;
pub use rules::{Problem, RuleSet};
