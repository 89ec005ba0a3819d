//! Fuzz target `jsonl`: see tests/props/mod.rs for the properties it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/mod.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    props::check_jsonl(props::mini(), data);
});
