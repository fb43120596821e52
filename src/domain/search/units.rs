//! Text as search units: each Han character is one unit with its pinyin readings, each run of
//! ASCII letters or digits is one unit whose reading is the lower-cased run, separators (`·`,
//! spaces, `-`) are no unit at all, and any other character is a unit matched only by itself.
//!
//! Readings are interned: a syllable such as `zhang` is stored once and units refer to it by
//! number, and the list of readings of a Han character is shared by every unit of that
//! character, so 100,000 names cost a few bytes per character.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pinyin::ToPinyinMulti;

/// Surnames read differently from the character's common reading (or whose surname reading is
/// not the first one the pinyin tables give). The reading listed here comes first for a name's
/// leading characters, so `shan` finds 单 and sorting by name puts 单 under S.
const SURNAMES: &[(&str, &[&str])] = &[
    // compound surnames first: they are matched before the one-character ones
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("单于", &["chan", "yu"]),
    ("澹台", &["tan", "tai"]),
    ("令狐", &["ling", "hu"]),
    ("单", &["shan"]),
    ("曾", &["zeng"]),
    ("解", &["xie"]),
    ("区", &["ou"]),
    ("查", &["zha"]),
    ("仇", &["qiu"]),
    ("朴", &["piao"]),
    ("盖", &["ge"]),
    ("乐", &["yue"]),
    ("缪", &["miao"]),
    ("覃", &["qin"]),
    ("翟", &["zhai"]),
    ("召", &["shao"]),
    ("秘", &["bi"]),
    ("句", &["gou"]),
    ("种", &["chong"]),
    ("折", &["she"]),
    ("谌", &["chen"]),
    ("繁", &["po"]),
    ("员", &["yun"]),
    ("贲", &["ben"]),
    ("宿", &["su"]),
    ("尉", &["yu"]),
    ("隗", &["wei"]),
    ("冼", &["xian"]),
    ("柏", &["bai"]),
    ("纪", &["ji"]),
    ("任", &["ren"]),
    ("华", &["hua"]),
    ("沈", &["shen"]),
    ("燕", &["yan"]),
    ("过", &["guo"]),
    ("阚", &["kan"]),
    ("莘", &["shen"]),
    ("祭", &["zhai"]),
    ("蕃", &["pi"]),
    ("万", &["wan"]),
    ("长", &["chang"]),
];

/// Characters that separate the parts of a name or a text and are not matched themselves.
pub fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '·'
            | '•'
            | '．'
            | '.'
            | '-'
            | '_'
            | '\u{3000}'
            | '、'
            | '/'
            | '('
            | ')'
            | '（'
            | '）'
    )
}

/// Folds full-width ASCII (typed with a Chinese input method) to ASCII and lower-cases it.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        c => c,
    };
    c.to_ascii_lowercase()
}

/// FNV-1a: the keys hashed while indexing are short (a character, a class name) and not chosen
/// by an attacker, and SipHash's cost showed up in indexing 100,000 names.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One unit of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// The (folded) character a non-ASCII query character must equal; for ASCII runs the first
    /// character, which query characters never compare against (they use the reading).
    pub ch: char,
    /// Index of the unit's first character in the text, in characters.
    pub pos: u16,
    /// Characters the unit covers in the text (1, or the length of an ASCII run).
    pub len: u16,
    /// Where its readings are in `Syllables::lists`.
    pub first_reading: u32,
    pub readings: u8,
    /// How many of the readings (the first ones) are the character's usual reading, or its
    /// surname reading at the start of a name; the others are rarer heteronyms (董 zhong), which
    /// still match but rank lower.
    pub primary: u8,
}

/// A run of reading ids in `Syllables::lists`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Run {
    first: u32,
    count: u8,
    primary: u8,
}

/// The interned readings and the per-character reading lists.
#[derive(Debug, Default)]
pub struct Syllables {
    /// Every distinct reading, as lower-case ASCII bytes.
    texts: Vec<Box<[u8]>>,
    ids: FastMap<Box<[u8]>, u32>,
    /// Reading lists: runs of syllable ids, referred to by `Unit::first_reading`.
    pub lists: Vec<u32>,
    /// Cache: (character, its surname reading or "") → its run in `lists`.
    han: FastMap<(char, &'static str), Run>,
    /// Characters of the text being split (kept to avoid allocating per text).
    chars: Vec<char>,
}

impl Syllables {
    pub fn text(&self, id: u32) -> &[u8] {
        self.texts.get(id as usize).map(|b| &b[..]).unwrap_or(&[])
    }

    pub fn readings(&self, unit: &Unit) -> &[u32] {
        let start = unit.first_reading as usize;
        self.lists
            .get(start..start + unit.readings as usize)
            .unwrap_or(&[])
    }

    fn intern(&mut self, text: &[u8]) -> u32 {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.into());
        self.ids.insert(text.into(), id);
        id
    }

    /// Appends a list of readings (deduplicated, order kept) whose first `primary` entries are
    /// the usual ones, and returns its run.
    fn push_list(&mut self, readings: &[Vec<u8>], primary: usize) -> Run {
        let first = self.lists.len() as u32;
        let mut ids: Vec<u32> = Vec::with_capacity(readings.len());
        let mut primary_ids = 0;
        for (i, r) in readings.iter().enumerate() {
            let id = self.intern(r);
            if !ids.contains(&id) {
                ids.push(id);
                primary_ids += usize::from(i < primary);
            }
        }
        let count = ids.len().min(u8::MAX as usize) as u8;
        self.lists.extend(ids.into_iter().take(count as usize));
        Run {
            first,
            count,
            primary: primary_ids.min(count as usize) as u8,
        }
    }

    /// The readings of a Han character, `surname` ones first when it starts a name.
    /// `None` for characters the pinyin tables do not know.
    fn han(&mut self, c: char, surname: Option<&'static str>) -> Option<Run> {
        let key = (c, surname.unwrap_or(""));
        if let Some(run) = self.han.get(&key) {
            return Some(*run);
        }
        let multi = c.to_pinyin_multi()?;
        let mut readings: Vec<Vec<u8>> = Vec::new();
        let mut primary = 0;
        if let Some(s) = surname {
            readings.push(s.as_bytes().to_vec());
            primary = 1;
        }
        for (i, p) in multi.into_iter().enumerate() {
            ascii_spellings(p.plain(), &mut readings);
            if i == 0 && surname.is_none() {
                // both spellings of the usual reading (lv and lu for 吕) are usual
                primary = readings.len();
            }
        }
        let run = self.push_list(&readings, primary);
        self.han.insert(key, run);
        Some(run)
    }

    fn word(&mut self, word: &[u8]) -> Run {
        self.push_list(&[word.to_vec()], 1)
    }
}

/// A pinyin reading in the ASCII forms people type: `ü` as `v` and as `u` (`lü` → `lv`, `lu`).
fn ascii_spellings(plain: &str, out: &mut Vec<Vec<u8>>) {
    if plain.is_ascii() {
        out.push(plain.as_bytes().to_vec());
        return;
    }
    for replacement in ['v', 'u'] {
        let s: String = plain
            .chars()
            .map(|c| if c == 'ü' { replacement } else { c })
            .filter(char::is_ascii)
            .collect();
        out.push(s.into_bytes());
    }
}

/// The surname readings for the characters at the start of `chars` (a name), if it starts with
/// a surname from the table: one entry per character of the surname.
fn surname_at_start(chars: &[char]) -> &'static [&'static str] {
    let Some(first) = chars.first() else {
        return &[];
    };
    for (surname, readings) in SURNAMES {
        let mut s = surname.chars();
        if s.next() != Some(*first) {
            continue;
        }
        if s.zip(&chars[1..]).all(|(a, b)| a == *b) && surname.chars().count() <= chars.len() {
            return readings;
        }
    }
    &[]
}

/// Splits `text` into units, appending them to `out`. `is_name` applies the surname table to the
/// leading characters. Returns masks of the ASCII letters and digits in all readings, and of
/// those that begin a reading.
pub fn units_of(
    text: &str,
    is_name: bool,
    syllables: &mut Syllables,
    out: &mut Vec<Unit>,
) -> (u64, u64) {
    let mut chars = std::mem::take(&mut syllables.chars);
    chars.clear();
    chars.extend(text.chars());
    let masks = split(&chars, is_name, syllables, out);
    syllables.chars = chars;
    masks
}

fn split(
    chars: &[char],
    is_name: bool,
    syllables: &mut Syllables,
    out: &mut Vec<Unit>,
) -> (u64, u64) {
    let surname: &[&str] = if is_name {
        surname_at_start(chars)
    } else {
        &[]
    };
    let mut mask = 0u64;
    let mut initials = 0u64;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i.min(u16::MAX as usize) as u16;
        let folded = fold(c);
        if folded.is_ascii_alphanumeric() {
            let mut word = Vec::new();
            let mut j = i;
            while j < chars.len() && fold(chars[j]).is_ascii_alphanumeric() {
                word.push(fold(chars[j]) as u8);
                j += 1;
            }
            mask |= mask_of(&word);
            initials |= word.first().map_or(0, |b| bit(*b));
            let run = syllables.word(&word);
            let len = (j - i).min(u16::MAX as usize) as u16;
            out.push(Unit {
                ch: folded,
                pos,
                len,
                first_reading: run.first,
                readings: run.count,
                primary: run.primary,
            });
            i = j;
            continue;
        }
        i += 1;
        if is_separator(c) || c.is_control() {
            continue;
        }
        let run = syllables
            .han(c, surname.get(pos as usize).copied())
            .unwrap_or_default();
        let (first_reading, readings) = (run.first, run.count);
        for id in
            &syllables.lists[first_reading as usize..(first_reading + readings as u32) as usize]
        {
            let text = syllables.text(*id);
            mask |= mask_of(text);
            initials |= text.first().map_or(0, |b| bit(*b));
        }
        out.push(Unit {
            ch: folded,
            pos,
            len: 1,
            first_reading,
            readings,
            primary: run.primary,
        });
    }
    (mask, initials)
}

/// Bit per ASCII letter (0–25) and digit (26–35) present in `bytes`.
pub fn mask_of(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |m, b| m | bit(*b))
}

pub fn bit(b: u8) -> u64 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'0'..=b'9' => 1 << (26 + b - b'0'),
        _ => 0,
    }
}

/// The first reading of each unit, joined: how a text sorts "by pinyin".
pub fn primary_key(units: &[Unit], syllables: &Syllables) -> Vec<u8> {
    let mut key = Vec::with_capacity(units.len() * 4);
    for u in units {
        match syllables.readings(u).first() {
            Some(id) => key.extend_from_slice(syllables.text(*id)),
            None => {
                let mut buf = [0u8; 4];
                key.extend_from_slice(u.ch.encode_utf8(&mut buf).as_bytes());
            }
        }
        key.push(b' ');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings(text: &str, is_name: bool) -> Vec<Vec<String>> {
        let mut s = Syllables::default();
        let mut units = Vec::new();
        units_of(text, is_name, &mut s, &mut units);
        units
            .iter()
            .map(|u| {
                s.readings(u)
                    .iter()
                    .map(|id| String::from_utf8_lossy(s.text(*id)).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn polyphonic_surnames_read_as_surnames_first() {
        let cases = [
            ("单田芳", "shan"),
            ("曾国藩", "zeng"),
            ("解缙", "xie"),
            ("区志明", "ou"),
            ("查良镛", "zha"),
            ("仇英", "qiu"),
            ("朴树", "piao"),
            ("盖聂", "ge"),
            ("乐嘉", "yue"),
        ];
        for (name, want) in cases {
            assert_eq!(readings(name, true)[0][0], want, "{name}");
        }
        // not as a surname: the common reading first, the surname one still indexed
        let r = readings("简单", false);
        assert_eq!(r[1][0], "dan");
        assert!(r[1].contains(&"shan".to_string()));
    }

    #[test]
    fn compound_surnames_take_their_readings() {
        let cases = [
            ("尉迟恭", ["yu", "chi"]),
            ("万俟卨", ["mo", "qi"]),
            ("长孙无忌", ["zhang", "sun"]),
        ];
        for (name, want) in cases {
            let r = readings(name, true);
            assert_eq!([r[0][0].as_str(), r[1][0].as_str()], want, "{name}");
        }
        // one index, several names: each surname keeps its own reading
        let mut s = Syllables::default();
        let mut first = |name: &str| {
            let mut units = Vec::new();
            units_of(name, true, &mut s, &mut units);
            String::from_utf8_lossy(s.text(s.readings(&units[0])[0])).into_owned()
        };
        let got: Vec<String> = ["长孙无忌", "长江", "万俟卨", "万里", "单于", "单田芳"]
            .iter()
            .map(|n| first(n))
            .collect();
        assert_eq!(got, ["zhang", "chang", "mo", "wan", "chan", "shan"]);
    }

    #[test]
    fn units_split_han_ascii_runs_and_separators() {
        let mut s = Syllables::default();
        let mut units = Vec::new();
        let (mask, initials) = units_of("买买提·艾力 John-Smith2", true, &mut s, &mut units);
        let shown: Vec<(char, u16, u16)> = units.iter().map(|u| (u.ch, u.pos, u.len)).collect();
        assert_eq!(
            shown,
            vec![
                ('买', 0, 1),
                ('买', 1, 1),
                ('提', 2, 1),
                ('艾', 4, 1),
                ('力', 5, 1),
                ('j', 7, 4),
                ('s', 12, 6)
            ]
        );
        assert_eq!(s.text(s.readings(&units[6])[0]), b"smith2");
        assert_ne!(mask & bit(b'2'), 0);
        assert_eq!(mask & bit(b'q'), 0);
        assert_ne!(mask & bit(b'h'), 0);
        assert_eq!(initials & bit(b'h'), 0, "h is in john, but begins nothing");
        let begins = bit(b'j') | bit(b's') | bit(b'm') | bit(b'a') | bit(b'l') | bit(b't');
        assert_eq!(
            initials & begins,
            begins,
            "买 mai, 提 ti, 艾 ai, 力 li, john, smith2"
        );
    }

    #[test]
    fn u_umlaut_is_typed_as_v_or_u() {
        assert_eq!(readings("吕", false)[0], vec!["lv", "lu"]);
        assert_eq!(readings("略", false)[0], vec!["lve", "lue"]);
    }

    #[test]
    fn full_width_letters_fold_to_ascii() {
        assert_eq!(fold('Ｚ'), 'z');
        assert_eq!(fold('３'), '3');
        assert_eq!(fold('张'), '张');
    }
}
