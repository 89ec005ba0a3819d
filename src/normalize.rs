//! Normalisation: one canonical spelling for the many ways a threat is typed.
//!
//! Scammers write `p4y`, `n u d e s`, `𝐩𝐚𝐲`, `рау` (Cyrillic), `pleeease`, or hide zero-width
//! characters inside words so that a filter misses them. Rules are written once, against the
//! normalised text this module produces, and every character of that text remembers which bytes of
//! the original it came from, so a hit can be shown where the person actually sees it.
//!
//! The steps, in order: emoji become their English names; invisible characters go; compatibility
//! decomposition (fullwidth, styled and circled letters) and accent stripping for scripts where
//! accents are spelling variants; lower case; look-alike letters folded to Latin (the Unicode
//! confusables data, UTS #39); native digits to ASCII; then, per word: letters spaced apart are
//! joined, leetspeak becomes letters, stretched letters shrink; runs of space become one.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A normalised message, with a map from each of its bytes back to the original text.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// For each byte of `text`, the byte range in the original it was made from.
    origin: Vec<(u32, u32)>,
}

impl Normalized {
    /// The byte span in the original text that produced `text[start..end]`.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end || end > self.origin.len() {
            return (0, 0);
        }
        (self.origin[start].0 as usize, self.origin[end - 1].1 as usize)
    }
}

/// One character of the text being built, and where in the original it came from.
#[derive(Debug, Clone, Copy)]
struct Unit {
    c: char,
    start: u32,
    end: u32,
}

/// Most characters a normalised message has: the work of normalising and matching is bounded by
/// this, whatever the input. Characters that spell nothing (invisible ones, controls) do not count,
/// so a flood of them cannot push a threat past the limit; characters that expand (U+FDFA is 18
/// letters, an emoji its name) count as what they expand to.
pub const MAX_NORMALIZED_CHARS: usize = 64 * 1024;

/// Most bytes of the original read, however few of them count: a bound on the work for a message
/// made of nothing but invisible characters.
pub const MAX_SCANNED_BYTES: usize = 1 << 20;

pub fn normalize(original: &str) -> Normalized {
    let units = fold_characters(original);
    let units = rewrite_words(units);
    let mut text = String::with_capacity(units.len());
    let mut origin = Vec::with_capacity(units.len());
    for u in units {
        text.push(u.c);
        for _ in 0..u.c.len_utf8() {
            origin.push((u.start, u.end));
        }
    }
    Normalized { text, origin }
}

/// Character-level folding: everything that can be decided one character (or one emoji) at a time.
fn fold_characters(original: &str) -> Vec<Unit> {
    let original = truncate_bytes(original, MAX_SCANNED_BYTES);
    let mut out: Vec<Unit> = Vec::with_capacity(original.len().min(MAX_NORMALIZED_CHARS + 64));
    // Whether the last base letter belongs to a script whose combining marks are dropped.
    let mut strip_marks = true;
    let mut chars = original.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if out.len() >= MAX_NORMALIZED_CHARS {
            out.truncate(MAX_NORMALIZED_CHARS);
            break;
        }
        let mut end = start + c.len_utf8();
        if c.is_ascii() {
            push_ascii(&mut out, c, start as u32, end as u32);
            continue;
        }
        if let Some((name, len)) = emoji_at(&original[start..]) {
            end = start + len;
            while chars.peek().is_some_and(|&(i, _)| i < end) {
                chars.next();
            }
            push_words(&mut out, name, start as u32, end as u32);
            continue;
        }
        let (s, e) = (start as u32, end as u32);
        if is_blank(c) {
            out.push(Unit { c: ' ', start: s, end: e });
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if let Some(d) = native_digit(c) {
            out.push(Unit { c: d, start: s, end: e });
            continue;
        }
        if c == '\u{0640}' {
            // Arabic tatweel only stretches a word on screen.
            continue;
        }
        decompose_compatible(c, |d| {
            if is_combining_mark(d) {
                if !strip_marks {
                    out.push(Unit { c: d, start: s, end: e });
                }
                return;
            }
            strip_marks = !keeps_marks(d);
            for l in d.to_lowercase() {
                fold_lookalike(&mut out, l, s, e);
            }
        });
    }
    out.truncate(MAX_NORMALIZED_CHARS);
    out
}

fn push_ascii(out: &mut Vec<Unit>, c: char, start: u32, end: u32) {
    let c = match c {
        '\t' | '\n' | '\r' | '\x0b' | '\x0c' => ' ',
        // Other control characters (NUL, U+0001, DEL) show as nothing, or as a box at most: they
        // must not split a word.
        c if c.is_ascii_control() => return,
        c => c.to_ascii_lowercase(),
    };
    out.push(Unit { c, start, end });
}

/// Characters that show as an empty space: Unicode's white space, and the blank letters that
/// senders type instead of a space, which the Unicode data calls something else (the braille
/// blank U+2800, the Hangul fillers U+3164, U+FFA0, U+115F, U+1160; the fillers are also
/// default-ignorable, so they would otherwise be removed and glue two words into one).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{2800}' | '\u{3164}' | '\u{FFA0}' | '\u{115F}' | '\u{1160}')
}

/// The longest prefix of `text` within `max` bytes that ends on a character boundary.
pub fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The longest prefix of `text` that has at most `max` characters that are not invisible (see
/// [`normalize`]): where a caller that must cut a message should cut it, so that a flood of
/// zero-width characters does not push what follows out.
pub fn visible_prefix(text: &str, max: usize) -> &str {
    let mut visible = 0;
    for (i, c) in text.char_indices() {
        let counts = if c.is_ascii() { !c.is_ascii_control() || c.is_ascii_whitespace() } else { is_blank(c) || !(c.is_control() || is_invisible(c)) };
        if counts {
            if visible == max {
                return &text[..i];
            }
            visible += 1;
        }
    }
    text
}

/// Emits an emoji's name as words: " money bag ".
fn push_words(out: &mut Vec<Unit>, name: &str, start: u32, end: u32) {
    out.push(Unit { c: ' ', start, end });
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { ' ' };
        out.push(Unit { c, start, end });
    }
    out.push(Unit { c: ' ', start, end });
}

/// The longest emoji (with its skin tone, variation selector or ZWJ sequence) that starts `s`.
fn emoji_at(s: &str) -> Option<(&'static str, usize)> {
    let first = s.chars().next()?;
    let first_len = first.len_utf8();
    let mut best = crate::emoji::name(&s[..first_len]).map(|name| (name, first_len));
    best?;
    // Sequences are short; a bounded look-ahead keeps hostile input cheap.
    let mut len = first_len;
    for c in s[first_len..].chars().take(10) {
        len += c.len_utf8();
        if let Some(name) = crate::emoji::name(&s[..len]) {
            best = Some((name, len));
        }
    }
    best
}

/// Characters that render as nothing: zero-width spaces and joiners, bidi controls, soft hyphens,
/// variation selectors, tag characters: Unicode's Default_Ignorable_Code_Point, which UTS #39
/// drops when it computes a skeleton. The ranges are exactly the characters whose skeleton is empty
/// (tests/properties.rs checks every character against `unicode_security`); asking the skeleton
/// for each character was most of the time normalisation took on non-Latin text.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Arabic-Indic, extended Arabic-Indic and Devanagari digits, so amounts read the same everywhere.
fn native_digit(c: char) -> Option<char> {
    let zero = match c {
        '\u{0660}'..='\u{0669}' => 0x0660,
        '\u{06F0}'..='\u{06F9}' => 0x06F0,
        '\u{0966}'..='\u{096F}' => 0x0966,
        _ => return None,
    };
    char::from_digit(c as u32 - zero, 10)
}

/// Scripts whose combining marks are part of the spelling (Devanagari vowel signs, viramas, and
/// the other Indic scripts) rather than optional accents.
fn keeps_marks(base: char) -> bool {
    matches!(base, '\u{0900}'..='\u{0DFF}' | '\u{A8E0}'..='\u{A8FF}')
}

/// Scripts left as they are: folding them to Latin look-alikes would garble real words.
fn is_protected_script(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'   // Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Arabic ext.
        | '\u{0900}'..='\u{0DFF}' // Indic scripts
        | '\u{0E00}'..='\u{0FFF}' // Thai, Lao, Tibetan
        | '\u{1100}'..='\u{11FF}' // Hangul Jamo
        | '\u{2E80}'..='\u{A4CF}' // CJK, kana, Hangul, Yi
        | '\u{AC00}'..='\u{D7FF}' // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FB1D}'..='\u{FDFF}' // Hebrew and Arabic presentation forms
        | '\u{FE70}'..='\u{FEFF}')
}

include!(concat!(env!("OUT_DIR"), "/lookalikes.rs"));

/// The Latin prototype of a non-ASCII character from the Unicode confusables data (its skeleton),
/// when that is one to three printable ASCII characters; laid out by build.rs.
pub fn lookalike(c: char) -> Option<&'static str> {
    let i = LOOKALIKE_CHARS.binary_search(&c).ok()?;
    Some(&LOOKALIKE_PROTOS[crate::flat::span(&LOOKALIKE_ENDS, i)])
}

/// Folds a lower-case non-ASCII character that looks like Latin (Cyrillic `р`, Greek `ο`, `ı`,
/// curly quotes) to its Latin prototype from the Unicode confusables data.
fn fold_lookalike(out: &mut Vec<Unit>, c: char, start: u32, end: u32) {
    if c.is_ascii() {
        push_ascii(out, c, start, end);
        return;
    }
    if c.is_whitespace() {
        out.push(Unit { c: ' ', start, end });
        return;
    }
    if !is_protected_script(c) {
        if let Some(proto) = lookalike(c) {
            for p in proto.chars() {
                // The skeleton maps to prototypes such as `I` or `0`: letters must stay letters.
                let p = match p {
                    '0' if c.is_alphabetic() => 'o',
                    '1' | '|' if c.is_alphabetic() => 'l',
                    p => p.to_ascii_lowercase(),
                };
                out.push(Unit { c: p, start, end });
            }
            return;
        }
        if c == 'ß' {
            // Case folding, which Rust's to_lowercase does not do.
            out.push(Unit { c: 's', start, end });
            out.push(Unit { c: 's', start, end });
            return;
        }
    }
    out.push(Unit { c, start, end });
}

/// Word-level rewriting: spaced-out letters, leetspeak, stretched letters, runs of space.
fn rewrite_words(units: Vec<Unit>) -> Vec<Unit> {
    let units = join_spaced_letters(units);
    let mut out: Vec<Unit> = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        if is_word_char(units[i].c) {
            let mut j = i;
            while j < units.len() && is_word_char(units[j].c) {
                j += 1;
            }
            let mut word = units[i..j].to_vec();
            if is_handle_or_number(&word) {
                // Addresses and numbers are spelled exactly; `rrr` in a wallet is not a stretch.
                out.extend_from_slice(&word);
            } else {
                unleet(&mut word);
                push_unstretched(&mut out, &word);
            }
            i = j;
        } else {
            let u = units[i];
            if u.c == ' ' {
                match out.last_mut() {
                    None => {}
                    Some(prev) if prev.c == ' ' => prev.end = prev.end.max(u.end),
                    Some(_) => out.push(u),
                }
            } else {
                out.push(u);
            }
            i += 1;
        }
    }
    if out.last().is_some_and(|u| u.c == ' ') {
        out.pop();
    }
    out
}

/// Letters, digits, and the symbols leetspeak uses for letters.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '@' | '$' | '!') || is_combining_mark(c)
}

fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// Units people glue to numbers ("24hrs", "10pm", "500usd"): such a word is a quantity, not leet.
const NUMBER_SUFFIXES: &[&str] = &[
    "h", "hr", "hrs", "hour", "hours", "m", "min", "mins", "minute", "minutes", "s", "sec", "secs",
    "d", "day", "days", "w", "wk", "week", "weeks", "am", "pm", "st", "nd", "rd", "th", "k", "x",
    "p", "usd", "eur", "gbp", "inr", "php", "idr", "brl", "mxn", "rs", "rb", "jt", "bucks",
    "dollars", "euros", "pesos", "rupees", "gb", "mb", "jam", "ore", "horas", "hora", "std",
    "uur", "heures", "ghante", "ghanta", "ghanto", "menit", "minuto", "minutos", "detik", "hari",
    "din", "oras", "saat", "minuten", "stunden", "stunde", "tage", "giorni", "dias", "hs", "mn",
    "minuti", "minuut", "ora", "heure", "jours", "e", "euro", "reais", "real", "soles", "lucas",
    "mil", "fcfa", "chf",
];

/// Rewrites leetspeak in one word: only when the word also has letters, and never in a quantity.
fn unleet(word: &mut [Unit]) {
    let letters = word.iter().filter(|u| u.c.is_alphabetic()).count();
    if letters == 0 || !word.iter().any(|u| leet_letter(u.c).is_some()) {
        return;
    }
    let digits = word.iter().take_while(|u| u.c.is_ascii_digit()).count();
    if digits > 0 && digits + letters == word.len() {
        let suffix: String = word[digits..].iter().map(|u| u.c).collect();
        if NUMBER_SUFFIXES.contains(&suffix.as_str()) {
            return;
        }
    }
    let n = word.len();
    // Letters after each position, counted once: asking at every `@` made `a@a@a@…` quadratic.
    let mut letters_after = vec![0u32; n + 1];
    for k in (0..n).rev() {
        letters_after[k] = letters_after[k + 1] + word[k].c.is_alphabetic() as u32;
    }
    for k in 0..n {
        let c = word[k].c;
        // `!` ends sentences ("now!"), so it is a letter only inside a word.
        let interior = k > 0 && k + 1 < n;
        if c == '!' && !interior {
            continue;
        }
        // An `@` after a name and before a domain is an address (`rahul@ybl`), not an `a`.
        if c == '@' && k >= 3 && letters_after[k + 1] >= 2 {
            continue;
        }
        if let Some(l) = leet_letter(c) {
            word[k].c = l;
        }
    }
}

/// Phone numbers, payment handles and counted durations (`9876543210@paytm`, `rahul123@ybl`,
/// `1x24`): three digits in a row that are not one stretched digit, or digits around an `x`.
fn is_handle_or_number(word: &[Unit]) -> bool {
    let digit_run = word.windows(3).any(|w| w.iter().all(|u| u.c.is_ascii_digit()) && !(w[0].c == w[1].c && w[1].c == w[2].c));
    let times = word.windows(3).any(|w| w[0].c.is_ascii_digit() && w[1].c == 'x' && w[2].c.is_ascii_digit());
    digit_run || times
}

/// Pushes a word with runs of three or more identical letters shrunk to one ("pleeease").
fn push_unstretched(out: &mut Vec<Unit>, word: &[Unit]) {
    let mut k = 0;
    while k < word.len() {
        let c = word[k].c;
        let mut run = 1;
        while k + run < word.len() && word[k + run].c == c {
            run += 1;
        }
        if run >= 3 && c.is_alphabetic() {
            out.push(Unit { c, start: word[k].start, end: word[k + run - 1].end });
        } else {
            out.extend_from_slice(&word[k..k + run]);
        }
        k += run;
    }
}

/// Separators people put between spaced-out letters: `p a y`, `n.u.d.e.s`, `s-e-n-d`.
fn is_letter_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '_' | '*' | '·' | '/' | '+' | '~' | ',')
}

/// Single letters that are whole words in chat ("u r a"), which must not be joined on their own.
fn is_one_letter_word(c: char) -> bool {
    matches!(c, 'a' | 'i' | 'u' | 'r' | 'y' | 'k' | 'n' | 'o' | 'b' | 'c' | 'x' | 'e' | 'w' | 'm' | 'v')
}

/// Whether a message is typed letter by letter, words set apart by two or more spaces: most of
/// its words are single letters and it has such a wide gap.
fn is_spaced_text(units: &[Unit], single: &impl Fn(usize) -> bool) -> bool {
    let wide_gap = units.windows(2).any(|w| w[0].c == ' ' && w[1].c == ' ');
    if !wide_gap {
        return false;
    }
    let (mut words, mut singles) = (0usize, 0usize);
    for k in 0..units.len() {
        let starts_word = is_word_char(units[k].c) && (k == 0 || !is_word_char(units[k - 1].c));
        if starts_word {
            words += 1;
            if single(k) {
                singles += 1;
            }
        }
    }
    singles >= 6 && singles * 10 >= words * 7
}

/// Joins runs of three or more single characters separated by one repeated separator.
fn join_spaced_letters(units: Vec<Unit>) -> Vec<Unit> {
    let single = |k: usize| -> bool {
        let c = units[k].c;
        let letterish = c.is_alphabetic() || leet_letter(c).is_some();
        let before_ok = k == 0 || !is_word_char(units[k - 1].c);
        let after_ok = k + 1 >= units.len() || !is_word_char(units[k + 1].c);
        letterish && before_ok && after_ok
    };
    let spaced_text = is_spaced_text(&units, &single);
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        if !single(i) {
            out.push(units[i]);
            i += 1;
            continue;
        }
        // Find the separator after the first letter, then extend while the pattern repeats.
        let sep_start = i + 1;
        let mut sep_end = sep_start;
        while sep_end < units.len() && sep_end - sep_start < 3 && is_letter_separator(units[sep_end].c) {
            sep_end += 1;
        }
        let sep: Vec<char> = units[sep_start..sep_end].iter().map(|u| u.c).collect();
        let mut letters = vec![i];
        if !sep.is_empty() {
            let mut k = sep_end;
            while k < units.len() && single(k) {
                letters.push(k);
                let next = k + 1;
                let matches_sep = units.len() >= next + sep.len()
                    && units[next..next + sep.len()].iter().map(|u| u.c).eq(sep.iter().copied());
                if !matches_sep {
                    break;
                }
                k = next + sep.len();
            }
        }
        let alphabetic = letters.iter().filter(|&&k| units[k].c.is_alphabetic()).count();
        // Three chat words in a row ("u r a") are chat; four or more spaced letters are a word.
        let only_chat_words = sep.iter().all(|&c| c == ' ')
            && letters.len() < 4
            && letters.iter().all(|&k| is_one_letter_word(units[k].c));
        // In a message typed letter by letter with wider gaps between words ("p a y  m e"),
        // every group of letters is a word, however short.
        let spaced_word = spaced_text && sep == [' '] && letters.len() >= 2;
        let last = *letters.last().unwrap();
        if (letters.len() >= 3 && alphabetic >= 2 && !only_chat_words) || spaced_word {
            for &k in &letters {
                out.push(units[k]);
            }
            i = last + 1;
        } else {
            // A run that is not joined from its first letter is not joined from any later letter
            // before its last either (the same separator, fewer letters), so those are passed over
            // as they are. Starting again at every letter made `1 1 1 …` quadratic. The last letter
            // may start a run with another separator, so it is looked at again.
            let resume = last.max(i + 1);
            out.extend_from_slice(&units[i..resume]);
            i = resume;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn folds_case_and_space() {
        assert_eq!(norm("  I   HAVE\tYour\nPICS "), "i have your pics");
    }

    #[test]
    fn folds_fullwidth_and_styled_letters() {
        assert_eq!(norm("ｐａｙ ｎｏｗ"), "pay now");
        assert_eq!(norm("𝐩𝐚𝐲 𝓂𝑒"), "pay me");
        assert_eq!(norm("ⓟⓐⓨ"), "pay");
    }

    #[test]
    fn removes_invisible_characters() {
        assert_eq!(norm("nu\u{200B}des"), "nudes");
        assert_eq!(norm("p\u{200D}a\u{2060}y\u{FEFF}"), "pay");
        assert_eq!(norm("\u{202E}send\u{202C}"), "send");
        assert_eq!(norm("se\u{00AD}nd"), "send");
    }

    #[test]
    fn folds_cyrillic_and_greek_lookalikes() {
        assert_eq!(norm("рау"), "pay"); // Cyrillic er, a, u
        assert_eq!(norm("νіdео"), "video"); // Greek nu, Cyrillic i, e, o
        assert_eq!(norm("Ι’ll"), "i'll");
    }

    #[test]
    fn strips_diacritics_in_latin_but_keeps_devanagari() {
        assert_eq!(norm("Está VÍDEO für você"), "esta video fur voce");
        assert_eq!(norm("Straße"), "strasse");
        assert_eq!(norm("वीडियो भेज दूंगा"), "वीडियो भेज दूंगा");
    }

    #[test]
    fn arabic_diacritics_and_hamza_forms() {
        assert_eq!(norm("سَأنْشُرُ"), "سانشر");
        assert_eq!(norm("إرسال"), "ارسال");
        assert_eq!(norm("فـــيديو"), "فيديو");
        assert_eq!(norm("٥٠٠ دولار"), "500 دولار");
        assert_eq!(norm("५००"), "500");
    }

    #[test]
    fn leetspeak_inside_words() {
        assert_eq!(norm("s3nd n00dz"), "send noodz");
        assert_eq!(norm("p4y m3 1n b1tc01n"), "pay me in bitcoin");
        assert_eq!(norm("ca$h @pp"), "cash app");
        assert_eq!(norm("v!deo"), "video");
    }

    #[test]
    fn numbers_are_not_leet() {
        assert_eq!(norm("pay $500 in 24hrs, by 10pm"), "pay $500 in 24hrs, by 10pm");
        assert_eq!(norm("1 hour left!"), "1 hour left!");
        assert_eq!(norm("300usd"), "300usd");
    }

    #[test]
    fn joins_spaced_letters() {
        assert_eq!(norm("p a y me"), "pay me");
        assert_eq!(norm("send n.u.d.e.s"), "send nudes");
        assert_eq!(norm("s-e-n-d  n-u-d-e-s"), "send nudes");
        assert_eq!(norm("l e a k"), "leak");
        assert_eq!(norm("p 4 y"), "pay");
    }

    #[test]
    fn handles_numbers_and_durations_are_not_leet() {
        assert_eq!(norm("pay to rahul123@ybl or 9876543210@paytm"), "pay to rahul123@ybl or 9876543210@paytm");
        assert_eq!(norm("send to rahul@ybl"), "send to rahul@ybl");
        assert_eq!(norm("1ghanta 1x24 jam"), "1ghanta 1x24 jam");
        assert_eq!(norm("c@sh"), "cash");
        assert_eq!(norm("bc1qar0srrr7xfkvy5l643"), "bc1qar0srrr7xfkvy5l643");
    }

    #[test]
    fn long_spaced_runs_of_chat_letters_are_joined() {
        assert_eq!(norm("w a r n a"), "warna");
    }

    #[test]
    fn letter_by_letter_messages_keep_their_words() {
        assert_eq!(norm("p a y  m e  n o w  o r  e v e r y o n e  s e e s"), "pay me now or everyone sees");
        assert_eq!(norm("p a g a  o  t o d o s  v e n  t u  v i d e o"), "paga o todos ven tu video");
        assert_eq!(norm("so u r a fan  ok"), "so u r a fan ok", "a few single letters are not spaced text");
    }

    #[test]
    fn currency_amounts_stay_numbers() {
        assert_eq!(norm("R$500 ou 50euro em 24hs"), "r$500 ou 50euro em 24hs");
        assert_eq!(norm("5minutos 300soles"), "5minutos 300soles");
    }

    #[test]
    fn leaves_one_letter_chat_words_alone() {
        assert_eq!(norm("u r a legend"), "u r a legend");
        assert_eq!(norm("i.e. later"), "i.e. later");
    }

    #[test]
    fn shrinks_stretched_letters() {
        assert_eq!(norm("pleeeease paaay"), "please pay");
        assert_eq!(norm("see all 300"), "see all 300");
    }

    #[test]
    fn emoji_become_words() {
        assert_eq!(norm("💰💰 now"), "money bag money bag now");
        assert_eq!(norm("⏰"), "alarm clock");
        assert_eq!(norm("pay📸"), "pay camera with flash");
        assert_eq!(norm("👍🏽 ok"), "thumbs up medium skin tone ok");
    }

    #[test]
    fn spans_map_back_to_original() {
        let original = "Hey, ｐａｙ me 💰 or I l3ak";
        let n = normalize(original);
        let at = n.text.find("pay").unwrap();
        let (s, e) = n.original_span(at, at + 3);
        assert_eq!(&original[s..e], "ｐａｙ");
        let at = n.text.find("leak").unwrap();
        let (s, e) = n.original_span(at, at + 4);
        assert_eq!(&original[s..e], "l3ak");
        let at = n.text.find("money bag").unwrap();
        let (s, e) = n.original_span(at, at + 9);
        assert_eq!(&original[s..e], "💰");
    }

    #[test]
    fn hostile_input_is_linear() {
        let s = "a\u{200B}".repeat(50_000) + &"💰".repeat(10_000) + &"p a ".repeat(10_000);
        let n = normalize(&s);
        assert!(n.text.len() > 10_000);
    }
}
