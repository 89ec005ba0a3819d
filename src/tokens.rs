//! Words and sentences of a normalised message: what vocabularies and phrases are matched against.
//!
//! A word is a run of letters, combining marks and digits (so Devanagari vowel signs stay inside
//! their word, and `1,900` or `2.5` stay one number); a currency sign is a word of its own, so
//! `$500` reads as `$` `500`. A sentence ends at `. ! ? ;`, a line break, or the text's end.

use unicode_normalization::char::is_combining_mark;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the normalised text.
    pub start: usize,
    pub end: usize,
    pub sentence: u32,
}

include!(concat!(env!("OUT_DIR"), "/currency.rs"));

/// Currency signs (Unicode category Sc), from regex-syntax's Unicode tables (laid out by build.rs).
pub fn is_currency(c: char) -> bool {
    if c.is_ascii() {
        return c == '$';
    }
    CURRENCY.binary_search_by(|&(lo, hi)| if hi < c { std::cmp::Ordering::Less } else if lo > c { std::cmp::Ordering::Greater } else { std::cmp::Ordering::Equal }).is_ok()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '\n' | '…' | '。' | '؟' | '।' | '！' | '？')
}

/// Splits a normalised text into words, each with its sentence number. Linear in the text.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut sentence = 0u32;
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        // A separator between two digits inside a number (1,900 · 2.5) keeps the number whole.
        if let Some(s) = start {
            let prev_digit = text[..i].chars().next_back().is_some_and(|p| p.is_ascii_digit());
            let next_digit = chars.peek().is_some_and(|&(_, n)| n.is_ascii_digit());
            if matches!(c, '.' | ',') && prev_digit && next_digit {
                continue;
            }
            tokens.push(Token { start: s, end: i, sentence });
            start = None;
        }
        if is_currency(c) {
            tokens.push(Token { start: i, end: i + c.len_utf8(), sentence });
        } else if ends_sentence(c) {
            sentence += 1;
        }
    }
    if let Some(s) = start {
        tokens.push(Token { start: s, end: text.len(), sentence });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(&str, u32)> {
        tokenize(text).into_iter().map(|t| (&text[t.start..t.end], t.sentence)).collect()
    }

    #[test]
    fn words_numbers_currency_and_sentences() {
        assert_eq!(words("pay $1,900 now. or else"), vec![("pay", 0), ("$", 0), ("1,900", 0), ("now", 0), ("or", 1), ("else", 1)]);
        assert_eq!(words("500€ abhi"), vec![("500", 0), ("€", 0), ("abhi", 0)]);
        assert_eq!(words("वीडियो भेज दूंगा"), vec![("वीडियो", 0), ("भेज", 0), ("दूंगा", 0)]);
        assert_eq!(words("i'll"), vec![("i", 0), ("ll", 0)]);
        assert_eq!(words("ok\nsend"), vec![("ok", 0), ("send", 1)]);
    }
}
