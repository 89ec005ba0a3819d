//! Emoji names (🔥 → "fire", 👍🏽 → "thumbs up: medium skin tone"), for normalisation: the `emojis`
//! crate's names, laid out by build.rs as sorted keys and names end to end.

use crate::flat::span;

include!(concat!(env!("OUT_DIR"), "/emoji_names.rs"));

fn key(i: usize) -> &'static str {
    &KEYS[span(&KEY_ENDS, i)]
}

fn name_of(i: usize) -> &'static str {
    &NAMES[span(&NAME_ENDS, NAME_OF[i] as usize)]
}

/// The name of the emoji `s` is, in any of its qualified forms or skin tones.
pub fn name(s: &str) -> Option<&'static str> {
    let (mut lo, mut hi) = (0, KEY_ENDS.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match key(mid).cmp(s) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(name_of(mid)),
        }
    }
    None
}

/// Every emoji form the table knows, with its name (for tests).
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    (0..KEY_ENDS.len()).map(|i| (key(i), name_of(i)))
}
