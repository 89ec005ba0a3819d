//! Fuzz target `jsonl`: see tests/props/mod.rs for the properties it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

#[path = "../../tests/props/mod.rs"]
mod props;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[allow(dead_code)]
fn detector() -> &'static extortion_guard::Detector {
    static DETECTOR: OnceLock<extortion_guard::Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| props::detector(root(), "tests/packs/mini"))
}

#[allow(dead_code)]
fn policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| props::policy_text(root()))
}

fuzz_target!(|data: &[u8]| {
    props::check_jsonl(detector(), data);
});
