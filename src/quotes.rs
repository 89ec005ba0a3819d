//! Quoted speech: "my friend got a message saying 'pay or your video goes viral'". A victim asking
//! for help, a news report or an awareness post quotes the threat; a scammer does not put his own
//! threat in quotation marks and then talk about it. So when every phrase a message matched lies
//! inside quotation marks and the message also says something outside them, the message reports a
//! threat rather than makes one.

/// Byte ranges of `text` inside quotation marks (the marks excluded), outermost pairs only.
pub fn quoted_ranges(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (k, &(at, c)) in chars.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| chars[j].1);
        let after = chars.get(k + 1).map(|&(_, c)| c);
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        match open {
            None => {
                // An opening mark follows a space, punctuation or the start, and precedes a word;
                // an apostrophe inside a word ("don't", "l'école") opens nothing.
                if closing_mark(c).is_some() && !word(before) && after.is_some_and(|a| spaced(c) || !a.is_whitespace()) {
                    open = Some((at + c.len_utf8(), c));
                }
            }
            Some((start, opener)) => {
                if closing_mark(opener).is_some_and(|m| m.contains(&c)) && !word(after) && before.is_some_and(|b| spaced(opener) || !b.is_whitespace()) && at > start {
                    let inner = &text[start..at];
                    let lead = inner.len() - inner.trim_start().len();
                    out.push((start + lead, start + inner.trim_end().len()));
                    open = None;
                }
            }
        }
    }
    out
}

/// Guillemets and corner brackets are set off by spaces in French typography and are never
/// apostrophes; the other marks must touch the quoted words.
fn spaced(mark: char) -> bool {
    matches!(mark, '«' | '»' | '‹' | '「' | '『')
}

/// The marks that close a quotation opened by `c`, or None when `c` opens none.
fn closing_mark(c: char) -> Option<&'static [char]> {
    Some(match c {
        '"' => &['"', '”'],
        '\'' => &['\'', '’'],
        '“' => &['”', '“', '"'],
        '‘' => &['’', '‘'],
        '„' => &['“', '”', '"'],
        '‚' => &['‘', '’'],
        '«' => &['»'],
        '»' => &['«'],
        '‹' => &['›'],
        '「' => &['」'],
        '『' => &['』'],
        _ => return None,
    })
}

/// Whether every span lies inside one quotation and at least `narration` words stand outside all
/// quotations: the message quotes what it matched.
pub fn only_quoted(text: &str, spans: impl IntoIterator<Item = (usize, usize)>, narration: usize) -> bool {
    let ranges = quoted_ranges(text);
    if ranges.is_empty() {
        return false;
    }
    let mut any = false;
    for (s, e) in spans {
        any = true;
        if !ranges.iter().any(|&(qs, qe)| qs <= s && e <= qe) {
            return false;
        }
    }
    if !any {
        return false;
    }
    let mut outside = String::with_capacity(text.len());
    let mut at = 0;
    for &(qs, qe) in &ranges {
        outside.push_str(&text[at..qs]);
        outside.push(' ');
        at = qe;
    }
    outside.push_str(&text[at..]);
    outside.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count() >= narration
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Vec<&str> {
        quoted_ranges(text).into_iter().map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn finds_quotations_of_many_scripts_but_not_apostrophes() {
        assert_eq!(quoted("he said 'pay or I post it', so I blocked him"), ["pay or I post it"]);
        assert_eq!(quoted("don't worry, it's fine"), Vec::<&str>::new());
        assert_eq!(quoted("il a écrit « paie ou je publie » hier"), ["paie ou je publie"]);
        assert_eq!(quoted("Er schrieb: „Zahl oder ich schicke es“. Ich habe ihn gemeldet"), ["Zahl oder ich schicke es"]);
        assert_eq!(quoted("she wrote “send 500 or else” and I didn’t"), ["send 500 or else"]);
        assert_eq!(quoted("an open 'quote that never ends"), Vec::<&str>::new());
    }

    #[test]
    fn a_quoted_threat_with_narration_is_reported() {
        let t = "my friend got 'send money or your video goes viral', he told the police";
        let s = t.find("send").unwrap();
        assert!(only_quoted(t, [(s, s + 10)], 3));
        // The same threat with nothing said around it is the threat itself.
        let bare = "'send money or your video goes viral'";
        assert!(!only_quoted(bare, [(1, 11)], 3));
        // A phrase outside the quotation is the sender's own.
        let own = "pay now or 'everyone' sees your video";
        assert!(!only_quoted(own, [(0, 7)], 3));
    }
}
