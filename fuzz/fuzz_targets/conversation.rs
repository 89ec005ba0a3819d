//! Fuzz target `conversation`: see tests/props/mod.rs for the properties it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/mod.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    props::check_conversation(props::mini(), &String::from_utf8_lossy(data));
});
