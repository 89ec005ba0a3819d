//! The emoji table build.rs lays out says what the `emojis` crate says, for every emoji, skin tone
//! and qualified form, and knows nothing else.

use extortion_guard::emoji;

#[test]
fn every_emoji_and_skin_tone_has_the_crates_name() {
    let mut checked = 0;
    for base in emojis::iter() {
        let tones: Vec<&emojis::Emoji> = base.skin_tones().map(|t| t.collect()).unwrap_or_default();
        for e in std::iter::once(base).chain(tones) {
            assert_eq!(emoji::name(e.as_str()), Some(e.name()), "{:?}", e.as_str());
            let bare: String = e.as_str().chars().filter(|&c| c != '\u{fe0f}').collect();
            assert_eq!(emoji::name(&bare), emojis::get(&bare).map(|f| f.name()), "unqualified {bare:?}");
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked} emoji");
}

#[test]
fn the_table_holds_only_what_the_crate_finds() {
    let mut n = 0;
    for (key, name) in emoji::all() {
        assert_eq!(emojis::get(key).map(|e| e.name()), Some(name), "{key:?}");
        n += 1;
    }
    assert!(n > 3000);
    for not_emoji in ["a", "", "\u{fe0f}", "🔥x", "ok 👍"] {
        assert_eq!(emoji::name(not_emoji), emojis::get(not_emoji).map(|e| e.name()), "{not_emoji:?}");
    }
}
