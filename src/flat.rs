//! Lookup tables laid out as a few flat arrays, for the packed rule file.
//!
//! A compiled rule set holds thousands of words and lists of ids. As hash maps of strings and
//! vectors they cost one allocation, one hash and one varint loop per entry to load, which in a
//! freshly started WebAssembly instance is most of a cold start. Here each table is a few arrays
//! (keys end to end, their ends, value ends, values, and an open-addressing hash index over the
//! keys, all built once when the rules compile) packed as byte strings, so loading one is a few
//! copies and a lookup is one hash and, mostly, one comparison. The keys are the rules' words,
//! never the sender's: a message cannot choose what collides.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;

/// Words and the ids each one has.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WordTable {
    text: String,
    key_ends: U32s,
    value_ends: U32s,
    values: U32s,
    /// A power-of-two number of slots, each 0 (empty) or 1 + the index of a key whose hash
    /// starts its probe sequence there or before.
    slots: U32s,
}

/// The byte (or item) range of entry `i` of data laid end to end, given where each entry ends.
pub fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    (if i == 0 { 0 } else { ends[i - 1] as usize })..ends[i] as usize
}

/// FNV-1a: simple, and the same in the `pack` command and in every engine that reads the pack.
fn hash(key: &str) -> u32 {
    key.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

impl WordTable {
    pub fn new(map: HashMap<String, Vec<u32>>) -> Self {
        // Sorted, so that the same rules always pack to the same bytes.
        let mut entries: Vec<(String, Vec<u32>)> = map.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut t = WordTable::default();
        for (key, values) in entries {
            t.text.push_str(&key);
            t.key_ends.0.push(t.text.len() as u32);
            t.values.0.extend(values);
            t.value_ends.0.push(t.values.0.len() as u32);
        }
        // At most half full, so probe sequences stay short.
        let size = (t.len() * 2).next_power_of_two().max(2);
        t.slots.0 = vec![0; size];
        for i in 0..t.len() {
            let mut slot = hash(t.key(i)) as usize & (size - 1);
            while t.slots.0[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            t.slots.0[slot] = i as u32 + 1;
        }
        t
    }

    /// Keys only (a set).
    pub fn of_keys(keys: impl IntoIterator<Item = String>) -> Self {
        Self::new(keys.into_iter().map(|k| (k, Vec::new())).collect())
    }

    fn key(&self, i: usize) -> &str {
        &self.text[span(&self.key_ends.0, i)]
    }

    fn find(&self, key: &str) -> Option<usize> {
        let slots = &self.slots.0;
        // `new` always builds the index; only an empty (default) table has none.
        if !slots.len().is_power_of_two() {
            return None;
        }
        let mut slot = hash(key) as usize & (slots.len() - 1);
        for _ in 0..slots.len() {
            let i = slots[slot] as usize;
            if i == 0 || i > self.len() {
                return None;
            }
            if self.key(i - 1) == key {
                return Some(i - 1);
            }
            slot = (slot + 1) & (slots.len() - 1);
        }
        None
    }

    pub fn get(&self, key: &str) -> Option<&[u32]> {
        self.find(key).map(|i| &self.values.0[span(&self.value_ends.0, i)])
    }

    pub fn contains(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.key_ends.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.key_ends.0.is_empty()
    }
}

/// For each index 0..n, a list of `u32`, end to end.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Lists {
    ends: U32s,
    items: U32s,
}

impl Lists {
    /// `lists[i]` becomes the list of index `i`.
    pub fn new(lists: &[Vec<u32>]) -> Self {
        Lists::of(lists.iter().map(|l| l.iter().copied()))
    }

    fn of<L: IntoIterator<Item = u32>>(lists: impl IntoIterator<Item = L>) -> Self {
        let mut out = Lists::default();
        for list in lists {
            out.items.0.extend(list);
            out.ends.0.push(out.items.0.len() as u32);
        }
        out
    }

    /// The list of index `i`; empty past the end (and for the ranges of a damaged pack).
    pub fn get(&self, i: usize) -> &[u32] {
        let range = if i < self.ends.0.len() { span(&self.ends.0, i) } else { 0..0 };
        self.items.0.get(range).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.ends.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.0.is_empty()
    }
}

/// For each index 0..n, a list of `u32` pairs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PairLists(Lists);

impl PairLists {
    /// `lists[i]` becomes the list of index `i`.
    pub fn new(lists: &[Vec<(u32, u32)>]) -> Self {
        PairLists(Lists::of(lists.iter().map(|l| l.iter().flat_map(|&(a, b)| [a, b]))))
    }

    pub fn get(&self, i: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.0.get(i).chunks_exact(2).map(|p| (p[0], p[1]))
    }
}

/// A `Vec<u32>` packed as one little-endian byte string rather than a varint per number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct U32s(pub Vec<u32>);

impl Serialize for U32s {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().flat_map(|n| n.to_le_bytes()).collect();
        s.serialize_bytes(&bytes)
    }
}

impl<'de> Deserialize<'de> for U32s {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = U32s;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string of little-endian u32s")
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<U32s, E> {
                if b.len() % 4 != 0 {
                    return Err(E::custom(format!("{} bytes is not a whole number of u32s", b.len())));
                }
                Ok(U32s(b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_table_finds_every_key_and_nothing_else() {
        let map: HashMap<String, Vec<u32>> = [("send", vec![3, 9]), ("nudes", vec![1]), ("", vec![7]), ("é", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let t = WordTable::new(map.clone());
        for (k, v) in &map {
            assert_eq!(t.get(k), Some(v.as_slice()), "{k:?}");
        }
        assert_eq!(t.get("sen"), None);
        assert_eq!(t.get("sends"), None);
        assert_eq!(t.len(), 4);
        let packed = postcard::to_stdvec(&t).unwrap();
        let back: WordTable = postcard::from_bytes(&packed).unwrap();
        assert_eq!(back.get("send"), Some(&[3, 9][..]));
        assert!(WordTable::default().get("x").is_none());
    }

    #[test]
    fn pair_lists_keep_each_list() {
        let p = PairLists::new(&[vec![(1, 2)], vec![], vec![(3, 4), (5, 6)]]);
        assert_eq!(p.get(0).collect::<Vec<_>>(), [(1, 2)]);
        assert_eq!(p.get(1).count(), 0);
        assert_eq!(p.get(2).collect::<Vec<_>>(), [(3, 4), (5, 6)]);
        assert_eq!(p.get(99).count(), 0);
    }

    #[test]
    fn lists_keep_each_list_and_a_damaged_one_reads_empty() {
        let l = Lists::new(&[vec![7], vec![], vec![1, 2, 3]]);
        assert_eq!((l.get(0), l.get(1), l.get(2), l.get(3)), (&[7][..], &[][..], &[1, 2, 3][..], &[][..]));
        assert_eq!(l.len(), 3);
        let damaged = Lists { ends: U32s(vec![5, 2]), items: U32s(vec![1]) };
        assert!(damaged.get(0).is_empty() && damaged.get(1).is_empty());
    }

    #[test]
    fn u32s_refuse_a_partial_number() {
        assert!(postcard::from_bytes::<U32s>(&[3, 1, 2, 3]).is_err());
        assert_eq!(postcard::from_bytes::<U32s>(&postcard::to_stdvec(&U32s(vec![0, u32::MAX, 7])).unwrap()).unwrap(), U32s(vec![0, u32::MAX, 7]));
    }
}
