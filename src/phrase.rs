//! The phrase syntax of vocabularies and rules (see `rules/README.md`): words in order, with
//! vocabulary references, alternatives, prefixes, numbers and bounded gaps. This module only reads
//! the syntax; `clauses` resolves names and compiles.

/// One word test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// Same stem as this word (exactly this word where the pack has no stemmer).
    Stem(String),
    /// Exactly this word.
    Exact(String),
    /// Any word starting with this.
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// One word passing any of these tests.
    Word(Vec<Word>),
    /// An occurrence of a vocabulary: `{name}` or `{pack.name}`.
    Vocab(String),
    /// A number.
    Number,
    /// Any one word.
    Any,
    /// Up to this many words of anything.
    Gap(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phrase {
    Elements(Vec<Element>),
    /// `re:…`: a regular expression on the normalised text.
    Regex(String),
}

pub const MAX_GAP: u8 = 8;
const MAX_ELEMENTS: usize = 16;

/// Reads one phrase. Words are given as written; the caller normalises them.
pub fn parse(source: &str) -> Result<Phrase, String> {
    if let Some(re) = source.strip_prefix("re:") {
        if re.is_empty() {
            return Err("`re:` with no regular expression".into());
        }
        return Ok(Phrase::Regex(re.to_string()));
    }
    let mut elements = Vec::new();
    for part in source.split_whitespace() {
        elements.push(parse_element(part).map_err(|e| format!("{e} in phrase {source:?}"))?);
    }
    match (elements.first(), elements.last()) {
        (None, _) => return Err("empty phrase".into()),
        (Some(Element::Gap(_) | Element::Any), _) | (_, Some(Element::Gap(_) | Element::Any)) => {
            return Err(format!("a phrase cannot start or end with `_` or a gap: {source:?}"))
        }
        _ => {}
    }
    if elements.len() > MAX_ELEMENTS {
        return Err(format!("a phrase has at most {MAX_ELEMENTS} elements: {source:?}"));
    }
    Ok(Phrase::Elements(elements))
}

fn parse_element(part: &str) -> Result<Element, String> {
    if let Some(name) = part.strip_prefix('{') {
        let name = name.strip_suffix('}').ok_or_else(|| format!("`{part}`: a vocabulary reference ends with `}}`"))?;
        let valid = !name.is_empty() && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        if !valid || name.split('.').count() > 2 {
            return Err(format!("`{part}` is not a vocabulary name (letters, digits, `_`, `-`, optionally `pack.`)"));
        }
        return Ok(Element::Vocab(name.to_string()));
    }
    if let Some(n) = part.strip_prefix("..") {
        let n: u8 = n.parse().map_err(|_| format!("`{part}`: a gap is `..N` with N from 1 to {MAX_GAP}"))?;
        if !(1..=MAX_GAP).contains(&n) {
            return Err(format!("`{part}`: a gap is `..N` with N from 1 to {MAX_GAP}"));
        }
        return Ok(Element::Gap(n));
    }
    match part {
        "_" => return Ok(Element::Any),
        "#" => return Ok(Element::Number),
        _ => {}
    }
    let words = part.split('|').map(parse_word).collect::<Result<Vec<_>, _>>().map_err(|e| format!("`{part}`: {e}"))?;
    Ok(Element::Word(words))
}

fn parse_word(w: &str) -> Result<Word, String> {
    if w.is_empty() {
        return Err("an empty alternative".into());
    }
    if w.contains(['{', '}']) {
        return Err("a vocabulary reference cannot be an alternative".into());
    }
    if let Some(exact) = w.strip_prefix('=') {
        return Ok(Word::Exact(exact.to_string()));
    }
    if let Some(prefix) = w.strip_suffix('*') {
        if prefix.chars().count() < 2 {
            return Err(format!("`{w}`: a prefix needs at least two letters"));
        }
        return Ok(Word::Prefix(prefix.to_string()));
    }
    if w.contains('*') {
        return Err(format!("`{w}`: `*` only at the end of a word"));
    }
    Ok(Word::Stem(w.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_syntax() {
        let p = parse("{i_will} ..2 send|=post leak* {payment.crypto} # _ now").unwrap();
        assert_eq!(
            p,
            Phrase::Elements(vec![
                Element::Vocab("i_will".into()),
                Element::Gap(2),
                Element::Word(vec![Word::Stem("send".into()), Word::Exact("post".into())]),
                Element::Word(vec![Word::Prefix("leak".into())]),
                Element::Vocab("payment.crypto".into()),
                Element::Number,
                Element::Any,
                Element::Word(vec![Word::Stem("now".into())]),
            ])
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for bad in ["", "..2 send", "send _", "{media", "{a.b.c}", "send ..9 it", "s*", "se*nd", "re:"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
