//! Fuzz target `scan`: see tests/props/mod.rs for the properties it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/mod.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    props::check_message(props::mini(), &text);
    props::check_packed(&text);
});
