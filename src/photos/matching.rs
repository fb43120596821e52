//! Which student a file is for, from its stem, and for files that are nobody's, who they were
//! probably meant to be.
//!
//! A stem is tried, in order, as a 学号, a full ID number (the naming of older collections), a
//! `<session>-<shot>` pair handed out at check-in, and a collection-code serial. The 学号 comes
//! first because it is what collectors are asked to use; a stem that happens to be both a 学号
//! and some other student's serial belongs to the 学号's owner.

use std::collections::HashMap;

use pinyin::ToPinyin;

/// A student as matching sees them (index into the roster slice the caller keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub student_no: String,
    pub name: String,
    pub id_number: String,
}

/// How a stem found its student (shown in the table, useful when a match surprises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    StudentNo,
    IdNumber,
    SessionShot,
    Serial,
    /// The provisional label of a scan queued at an offline station (`B-017`, `3-B-017`).
    Label,
}

/// What a stem names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// One student, and how the stem named them.
    One(usize, MatchedBy),
    /// An ID number that several students on the roster share (roster positions, in roster
    /// order): the file is none of theirs until it is renamed to one 学号.
    Ambiguous(Vec<usize>),
}

/// Lookup tables from stems to roster positions.
pub struct Index {
    by_no: HashMap<String, usize>,
    by_id_number: HashMap<String, usize>,
    /// ID numbers held by more than one student, with every holder.
    shared_id_numbers: HashMap<String, Vec<usize>>,
    by_serial: HashMap<i64, usize>,
    by_shot: HashMap<(i64, i64), usize>,
    /// (session, label) of check-ins made from offline stations' journals.
    by_label: HashMap<(i64, String), usize>,
    /// A label alone: every student it was given to, at any session.
    label_holders: HashMap<String, Vec<usize>>,
}

impl Index {
    /// `serials`: (code serial, student id); `shots`: (session id, shot, student id); `labels`:
    /// (session id, provisional label, student id). Codes and check-ins of students not in
    /// `people` (withdrawn ones) are ignored.
    pub fn new(
        people: &[Person],
        serials: &[(i64, i64)],
        shots: &[(i64, i64, i64)],
        labels: &[(i64, String, i64)],
    ) -> Index {
        let by_row_id: HashMap<i64, usize> =
            people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let mut by_label = HashMap::new();
        let mut label_holders: HashMap<String, Vec<usize>> = HashMap::new();
        for (session, label, id) in labels {
            let Some(&i) = by_row_id.get(id) else {
                continue;
            };
            let label = label.to_uppercase();
            by_label.insert((*session, label.clone()), i);
            let holders = label_holders.entry(label).or_default();
            if !holders.contains(&i) {
                holders.push(i);
            }
        }
        let mut by_id_number: HashMap<String, usize> = HashMap::with_capacity(people.len());
        let mut shared_id_numbers: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            if p.id_number.is_empty() {
                continue;
            }
            let key = p.id_number.to_uppercase();
            match by_id_number.get(&key) {
                Some(&first) => shared_id_numbers
                    .entry(key)
                    .or_insert_with(|| vec![first])
                    .push(i),
                None => {
                    by_id_number.insert(key, i);
                }
            }
        }
        Index {
            by_no: people
                .iter()
                .enumerate()
                .map(|(i, p)| (p.student_no.to_uppercase(), i))
                .collect(),
            by_id_number,
            shared_id_numbers,
            by_serial: serials
                .iter()
                .filter_map(|&(serial, id)| Some((serial, *by_row_id.get(&id)?)))
                .collect(),
            by_shot: shots
                .iter()
                .filter_map(|&(session, shot, id)| Some(((session, shot), *by_row_id.get(&id)?)))
                .collect(),
            by_label,
            label_holders,
        }
    }

    /// The student the stem names, if any; an ID number two students share names neither.
    pub fn find(&self, stem: &str) -> Option<Found> {
        let key = stem.trim().to_uppercase();
        if let Some(&i) = self.by_no.get(&key) {
            return Some(Found::One(i, MatchedBy::StudentNo));
        }
        if let Some(all) = self.shared_id_numbers.get(&key) {
            return Some(Found::Ambiguous(all.clone()));
        }
        if let Some(&i) = self.by_id_number.get(&key) {
            return Some(Found::One(i, MatchedBy::IdNumber));
        }
        if let Some((session, shot)) = key.split_once('-')
            && let (Some(session), Some(shot)) = (number(session), number(shot))
            && let Some(&i) = self.by_shot.get(&(session, shot))
        {
            return Some(Found::One(i, MatchedBy::SessionShot));
        }
        // a provisional label with its session (`3-B-017`), or alone (`B-017`): one student,
        // or none when the same label was given at several sessions
        if let Some((session, label)) = key.split_once('-')
            && let Some(session) = number(session)
            && let Some(&i) = self.by_label.get(&(session, label.to_string()))
        {
            return Some(Found::One(i, MatchedBy::Label));
        }
        match self.label_holders.get(&key).map(Vec::as_slice) {
            Some([i]) => return Some(Found::One(*i, MatchedBy::Label)),
            Some(all) if all.len() > 1 => return Some(Found::Ambiguous(all.to_vec())),
            _ => {}
        }
        number(&key)
            .and_then(|serial| self.by_serial.get(&serial))
            .map(|&i| Found::One(i, MatchedBy::Serial))
    }
}

/// Digits only (leading zeros allowed, as in `000123.jpg`), as a number.
fn number(s: &str) -> Option<i64> {
    (!s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours each cost 1 — the typing slips of a 学号 (`2022010110` for `2022010101`).
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return n.max(m);
    }
    // three rows: two back (for swaps), previous, current
    let mut back2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(back2[j - 2] + 1);
            }
            cur[j] = best;
        }
        std::mem::swap(&mut back2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// A stem cut into runs of digits (possible 学号 or ID numbers) and runs of letters (possible
/// names): `2022010101_张三` gives both.
fn tokens(stem: &str) -> (Vec<Vec<char>>, Vec<Vec<char>>) {
    let mut digits = Vec::new();
    let mut words = Vec::new();
    let mut cur_digits: Vec<char> = Vec::new();
    let mut cur_word: Vec<char> = Vec::new();
    for c in stem.chars() {
        let upper = c.to_ascii_uppercase();
        // `X` continues a long digit run: it is the check character of an ID number.
        if c.is_ascii_digit() || (upper == 'X' && cur_digits.len() >= 14) {
            if !cur_word.is_empty() {
                words.push(std::mem::take(&mut cur_word));
            }
            cur_digits.push(upper);
            continue;
        }
        if !cur_digits.is_empty() {
            digits.push(std::mem::take(&mut cur_digits));
        }
        if c.is_alphabetic() {
            cur_word.extend(c.to_lowercase());
        } else if !matches!(c, '·' | '•' | ' ' | '-') && !cur_word.is_empty() {
            // name separators stay inside a name; anything else ends the word
            words.push(std::mem::take(&mut cur_word));
        }
    }
    if !cur_digits.is_empty() {
        digits.push(cur_digits);
    }
    if !cur_word.is_empty() {
        words.push(cur_word);
    }
    (digits, words)
}

/// Whether `a` and `b` hold the same characters, each as often.
fn same_digits(a: &[char], b: &[char]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.to_vec(), b.to_vec());
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// Name letters only, lower-case: separators and spaces do not make names differ.
fn name_letters(name: &str) -> Vec<char> {
    name.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Full pinyin without tones (`张三` → `zhangsan`), to match names typed in Latin letters.
fn name_pinyin(name: &str) -> Vec<char> {
    let mut out = Vec::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => out.extend(p.plain().chars()),
            None if c.is_alphabetic() => out.extend(c.to_lowercase()),
            None => {}
        }
    }
    out
}

/// Similarity of two letter sequences from 0 (nothing alike) to 1 (equal).
fn similarity(a: &[char], b: &[char]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 0.0;
    }
    1.0 - edit_distance(a, b) as f64 / longest as f64
}

/// Roster comparisons a run may spend on a full scan for suggestions; past it (thousands of
/// orphans against a large roster, as when files follow a naming the roster does not know),
/// only the indexed near misses are offered: 学号 one edit away and names sharing a character.
pub const SCAN_BUDGET: usize = 20_000_000;

/// A stable 64-bit hash (FNV-1a) of a character sequence, for the near-miss index.
fn fnv(chars: impl Iterator<Item = char>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        h ^= u64::from(u32::from(c));
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Hashes of `s` and of `s` with any one character deleted: two sequences within one edit
/// (insertion, deletion, substitution or swap of neighbours) share at least one of them.
fn one_deletion_keys(s: &[char]) -> Vec<u64> {
    let mut keys = Vec::with_capacity(s.len() + 1);
    keys.push(fnv(s.iter().copied()));
    for skip in 0..s.len() {
        keys.push(fnv(s
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, c)| *c)));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The roster as suggestions search it, prepared once per run (only when there are orphans).
pub struct Suggester<'a> {
    people: &'a [Person],
    numbers: Vec<Vec<char>>,
    names: Vec<Vec<char>>,
    /// (one-deletion key, roster position), sorted: 学号 one edit from a stem, found by lookup.
    near_numbers: Vec<(u64, u32)>,
    /// Han character → roster positions of names holding it.
    by_char: HashMap<char, Vec<u32>>,
    /// Whether every comparison may be made (see `SCAN_BUDGET`): 学号 two edits away, ID
    /// numbers, and names typed in pinyin.
    thorough: bool,
    id_numbers: Vec<Vec<char>>,
    pinyin: Vec<Vec<char>>,
}

impl<'a> Suggester<'a> {
    /// `orphans`: how many stems will be asked about, to choose between scanning and lookups.
    pub fn new(people: &'a [Person], orphans: usize) -> Suggester<'a> {
        let thorough = orphans.saturating_mul(people.len()) <= SCAN_BUDGET;
        let numbers: Vec<Vec<char>> = people
            .iter()
            .map(|p| p.student_no.to_uppercase().chars().collect())
            .collect();
        let names: Vec<Vec<char>> = people.iter().map(|p| name_letters(&p.name)).collect();
        let mut near_numbers = Vec::with_capacity(numbers.len() * 11);
        for (i, no) in numbers.iter().enumerate() {
            near_numbers.extend(one_deletion_keys(no).into_iter().map(|k| (k, i as u32)));
        }
        near_numbers.sort_unstable();
        let mut by_char: HashMap<char, Vec<u32>> = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            let mut chars: Vec<char> = name.iter().copied().filter(|c| !c.is_ascii()).collect();
            chars.sort_unstable();
            chars.dedup();
            for c in chars {
                by_char.entry(c).or_default().push(i as u32);
            }
        }
        Suggester {
            people,
            id_numbers: if thorough {
                people
                    .iter()
                    .map(|p| p.id_number.to_uppercase().chars().collect())
                    .collect()
            } else {
                Vec::new()
            },
            pinyin: if thorough {
                people.iter().map(|p| name_pinyin(&p.name)).collect()
            } else {
                Vec::new()
            },
            numbers,
            names,
            near_numbers,
            by_char,
            thorough,
        }
    }

    /// Roster positions whose 学号 may be within `allowed` edits of `run`.
    fn number_candidates(&self, run: &[char], allowed: usize) -> Vec<usize> {
        if self.thorough {
            return (0..self.numbers.len())
                .filter(|&i| self.numbers[i].len().abs_diff(run.len()) <= allowed)
                .collect();
        }
        let mut out = Vec::new();
        for key in one_deletion_keys(run) {
            let start = self.near_numbers.partition_point(|e| e.0 < key);
            out.extend(
                self.near_numbers[start..]
                    .iter()
                    .take_while(|e| e.0 == key)
                    .map(|e| e.1 as usize),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Roster positions whose name may be at least half like `word` (letters, lower-case).
    fn name_candidates(&self, word: &[char]) -> Vec<usize> {
        let mut out = Vec::new();
        if word.iter().all(char::is_ascii) {
            if self.thorough {
                out.extend(0..self.people.len());
            }
            return out;
        }
        for c in word {
            if let Some(list) = self.by_char.get(c) {
                out.extend(list.iter().map(|&i| i as usize));
            }
        }
        if self.thorough {
            // names in Latin letters share no Han character with a Han stem, but may be close
            out.extend((0..self.names.len()).filter(|&i| self.names[i].iter().all(char::is_ascii)));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Up to `limit` roster positions the stem was probably meant for, best first: 学号 (or ID
    /// number) within two edits (swapped digits first), names at least half alike. Ties go to
    /// the smaller 学号.
    pub fn suggest(&self, stem: &str, limit: usize) -> Vec<usize> {
        let (digit_runs, words) = tokens(stem);
        // score: lower is better; 学号 edits count 1 each, name dissimilarity up to 1.5
        let mut best: HashMap<usize, f64> = HashMap::new();
        let mut offer = |i: usize, score: f64| {
            let e = best.entry(i).or_insert(f64::INFINITY);
            if score < *e {
                *e = score;
            }
        };
        for run in digit_runs.iter().filter(|r| r.len() >= 4) {
            let allowed = if run.len() >= 8 && self.thorough {
                2
            } else {
                1
            };
            for i in self.number_candidates(run, allowed) {
                let no = &self.numbers[i];
                let d = edit_distance(run, no);
                if d <= allowed {
                    // The same digits in another order is the classic slip (两位颠倒):
                    // rank it above a changed digit at the same distance.
                    let shuffled = d > 0 && same_digits(run, no);
                    offer(i, d as f64 - if shuffled { 0.5 } else { 0.0 });
                }
            }
            if run.len() >= 15 {
                for (i, id) in self.id_numbers.iter().enumerate() {
                    if id.len().abs_diff(run.len()) <= 2 {
                        let d = edit_distance(run, id);
                        if d <= 2 {
                            offer(i, d as f64 + 0.25);
                        }
                    }
                }
            }
        }
        for word in words
            .iter()
            .filter(|w| w.len() >= 2 || w.first().is_some_and(|c| !c.is_ascii()))
        {
            let ascii = word.iter().all(char::is_ascii);
            let table = if ascii { &self.pinyin } else { &self.names };
            for i in self.name_candidates(word) {
                let Some(name) = table.get(i) else { continue };
                if name.len().abs_diff(word.len()) * 2 > name.len().max(word.len()) {
                    continue; // cannot be half alike
                }
                let s = similarity(word, name);
                if s >= 0.5 {
                    offer(i, (1.0 - s) * 3.0);
                }
            }
        }
        let mut ranked: Vec<(usize, f64)> = best.into_iter().collect();
        // An exact 学号, ID number or name inside the stem (`2022010101 (1)`) is the answer;
        // near misses next to it would only distract.
        if ranked.iter().any(|r| r.1 == 0.0) {
            ranked.retain(|r| r.1 == 0.0);
        }
        ranked.sort_by(|a, b| {
            a.1.total_cmp(&b.1).then_with(|| {
                self.people[a.0]
                    .student_no
                    .cmp(&self.people[b.0].student_no)
            })
        });
        ranked.into_iter().take(limit).map(|(i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, no: &str, name: &str, id_number: &str) -> Person {
        Person {
            id,
            student_no: no.into(),
            name: name.into(),
            id_number: id_number.into(),
        }
    }

    fn roster() -> Vec<Person> {
        vec![
            person(11, "2022010101", "张三", "44010620040315001X"),
            person(12, "2022010102", "李四", "440106200403150029"),
            person(13, "2022010110", "王五", "440106200403150037"),
            person(14, "2022020201", "买买提·艾力", "650102200401010012"),
            person(15, "S2022001", "John Smith", "E12345678"),
        ]
    }

    #[test]
    fn stems_find_their_student() {
        let people = roster();
        let labels = [
            (3, "B-017".to_string(), 14),
            (3, "B-018".to_string(), 11),
            (4, "B-018".to_string(), 12),
        ];
        let index = Index::new(&people, &[(7, 12), (8, 99)], &[(3, 15, 13)], &labels);
        let cases = [
            ("2022010101", Some((0, MatchedBy::StudentNo))),
            (" 2022010101 ", Some((0, MatchedBy::StudentNo))),
            ("s2022001", Some((4, MatchedBy::StudentNo))),
            ("44010620040315001x", Some((0, MatchedBy::IdNumber))),
            ("44010620040315001X", Some((0, MatchedBy::IdNumber))),
            ("3-15", Some((2, MatchedBy::SessionShot))),
            ("03-015", Some((2, MatchedBy::SessionShot))),
            ("3-16", None),
            // an offline station's provisional label, with its session or alone
            ("3-B-017", Some((3, MatchedBy::Label))),
            ("b-017", Some((3, MatchedBy::Label))),
            ("4-B-018", Some((1, MatchedBy::Label))),
            ("4-B-017", None),
            ("7", Some((1, MatchedBy::Serial))),
            ("0007", Some((1, MatchedBy::Serial))),
            ("8", None), // a code of a student not on the (active) roster
            ("2022010199", None),
            ("张三", None),
            ("", None),
            ("99999999999999999999999", None),
        ];
        for (stem, want) in cases {
            let want = want.map(|(i, by)| Found::One(i, by));
            assert_eq!(index.find(stem), want, "{stem:?}");
        }
    }

    #[test]
    fn a_photo_named_by_an_id_number_two_students_share_is_ambiguous() {
        let mut people = roster();
        // the same person imported twice under two 学号 (before the roster refused it)
        people.push(person(16, "2023010101", "张三", "44010620040315001x"));
        let index = Index::new(&people, &[], &[], &[]);
        assert_eq!(
            index.find("44010620040315001X"),
            Some(Found::Ambiguous(vec![0, 5]))
        );
        // each 学号 still names its own student; an unshared ID number its one holder
        assert_eq!(
            index.find("2023010101"),
            Some(Found::One(5, MatchedBy::StudentNo))
        );
        assert_eq!(
            index.find("440106200403150029"),
            Some(Found::One(1, MatchedBy::IdNumber))
        );
    }

    #[test]
    fn a_label_given_at_two_sessions_names_neither_alone() {
        let people = roster();
        let labels = [(3, "B-018".to_string(), 10), (4, "B-018".to_string(), 11)];
        let people: Vec<Person> = people
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.id = 10 + i as i64;
                p
            })
            .collect();
        let index = Index::new(&people, &[], &[], &labels);
        assert_eq!(index.find("B-018"), Some(Found::Ambiguous(vec![0, 1])));
        assert_eq!(index.find("4-B-018"), Some(Found::One(1, MatchedBy::Label)));
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        let cases = [
            ("2022010101", "2022010101", 0),
            ("2022010110", "2022010101", 1),
            ("2022010101", "2022010102", 1),
            ("202201010", "2022010101", 1),
            ("20220101011", "2022010101", 1),
            ("2022001011", "2022010101", 2),
            ("", "abc", 3),
            ("张三", "张山", 1),
            ("ca", "abc", 3),
        ];
        for (a, b, want) in cases {
            assert_eq!(d(a, b), want, "{a} / {b}");
            assert_eq!(d(b, a), want, "{b} / {a}");
        }
    }

    #[test]
    fn orphans_get_close_suggestions() {
        let people = roster();
        let s = Suggester::new(&people, 1);
        let nos = |stem: &str| -> Vec<&str> {
            s.suggest(stem, 3)
                .into_iter()
                .map(|i| people[i].student_no.as_str())
                .collect()
        };
        let cases: [(&str, &[&str]); 10] = [
            // transposed digits: one swap from 2022010101; 2022010110 has the same digits
            // two swaps away, 2022010102 two other edits away
            ("2022011001", &["2022010101", "2022010110", "2022010102"]),
            ("2022010111", &["2022010101", "2022010110", "2022010102"]),
            ("2022010101 (1)", &["2022010101"]),
            ("2022010101_张三", &["2022010101"]),
            ("张三", &["2022010101"]),
            ("张山", &["2022010101"]),
            ("zhangsan", &["2022010101"]),
            ("买买提艾力", &["2022020201"]),
            (
                "44010620040315002",
                &["2022010102", "2022010101", "2022010110"],
            ),
            ("IMG_0001", &[]),
        ];
        for (stem, want) in cases {
            assert_eq!(nos(stem), want, "{stem}");
        }
        // 1000000013 is one changed digit from …11 and one swap from …31: the swap ranks first
        let pair = [
            person(1, "1000000011", "甲", ""),
            person(2, "1000000031", "乙", ""),
        ];
        let s = Suggester::new(&pair, 1);
        assert_eq!(s.suggest("1000000013", 3), [1, 0]);
    }

    #[test]
    fn many_orphans_use_lookups_not_scans() {
        let people = roster();
        // as if a million orphans were coming: the indexed near misses only
        let s = Suggester::new(&people, SCAN_BUDGET);
        assert!(!s.thorough);
        let nos = |stem: &str| -> Vec<&str> {
            s.suggest(stem, 3)
                .into_iter()
                .map(|i| people[i].student_no.as_str())
                .collect()
        };
        let cases: [(&str, &[&str]); 7] = [
            ("2022010110", &["2022010110"]),
            ("2022011001", &["2022010101"]),
            ("2022010111", &["2022010101", "2022010110"]),
            ("202201011", &["2022010101", "2022010110"]),
            ("张山", &["2022010101"]),
            ("买买提艾力", &["2022020201"]),
            ("zhangsan", &[]),
        ];
        for (stem, want) in cases {
            assert_eq!(nos(stem), want, "{stem}");
        }
    }
}
