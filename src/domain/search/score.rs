//! Matching one query token against the units of one text, and scoring the match.
//!
//! A token matches when its characters can be consumed, in order, by units of the text in
//! order (units may be skipped): a non-ASCII character consumes a unit that is that character;
//! a run of ASCII letters or digits consumes a non-empty prefix of one of a unit's readings.
//! So `zs`, `zhangsan`, `zhangs` and `zsan` all match 张三, `jk22` matches 计科2201 and `张s`
//! matches 张三 as well. The best-scoring way is found by dynamic programming over
//! (token position, unit, phase); the phase tells whether the match so far starts at the first
//! unit and has no gaps, which is what ranks `zs` → 张三 above `zs` → 王子寿.

use super::units::{Syllables, Unit};

/// Score for consuming a unit by its own (non-ASCII) character.
const EXACT_CHAR: i32 = 16;
/// Score for consuming a unit by a reading prefix of `k` letters: BASE + PER_LETTER·k, and
/// WHOLE more when the whole reading was typed.
const READING_BASE: i32 = 8;
const PER_LETTER: i32 = 2;
const WHOLE: i32 = 6;
/// Penalty for consuming a unit by one of its rarer readings (董 as zhong).
const RARE_READING: i32 = 6;
/// Penalties for units skipped before the first match and between matches.
const LEADING_SKIP: i32 = 2;
const GAP: i32 = 5;
/// Bonuses when the match starts at the first unit with no gaps, and when it covers every unit.
const PREFIX_BONUS: i32 = 20;
const WHOLE_TEXT_BONUS: i32 = 30;

const IMPOSSIBLE: i32 = i32::MIN / 4;

/// Where the match is: nothing matched yet (with or without skipped units), or matched so far
/// as a clean prefix, or matched with a gap or after skipped units.
const FRESH: usize = 0;
const SKIPPED: usize = 1;
const CLEAN: usize = 2;
const GAPPED: usize = 3;
const PHASES: usize = 4;

fn after_consume(phase: usize) -> usize {
    match phase {
        FRESH | CLEAN => CLEAN,
        _ => GAPPED,
    }
}

fn after_skip(phase: usize) -> (usize, i32) {
    match phase {
        FRESH | SKIPPED => (SKIPPED, -LEADING_SKIP),
        _ => (GAPPED, -GAP),
    }
}

/// The ways unit `unit` can consume query characters from `q`: (characters consumed, score).
fn consumptions(unit: &Unit, syllables: &Syllables, q: &[char], out: &mut Vec<(usize, i32)>) {
    out.clear();
    let Some(&first) = q.first() else { return };
    if !first.is_ascii() {
        if first == unit.ch {
            out.push((1, EXACT_CHAR));
        }
        return;
    }
    for (i, id) in syllables.readings(unit).iter().enumerate() {
        let reading = syllables.text(*id);
        let rare = if i < unit.primary as usize {
            0
        } else {
            RARE_READING
        };
        let common = reading
            .iter()
            .zip(q)
            .take_while(|(r, c)| c.is_ascii() && **r == **c as u8)
            .count();
        for k in 1..=common {
            let whole = if k == reading.len() { WHOLE } else { 0 };
            let score = READING_BASE + PER_LETTER * k as i32 + whole - rare;
            match out.iter_mut().find(|(n, _)| *n == k) {
                Some(entry) => entry.1 = entry.1.max(score),
                None => out.push((k, score)),
            }
        }
    }
}

/// Reusable buffers for matching, so scanning 100,000 rows allocates nothing per row.
#[derive(Debug, Default)]
pub struct Scratch {
    dp: Vec<i32>,
    ways: Vec<(usize, i32)>,
}

/// The DP table for `q` against `units`: best score of matching `q[qi..]` with `units[ui..]`
/// in phase p, at `(qi * (n + 1) + ui) * PHASES + p`.
fn table(units: &[Unit], syllables: &Syllables, q: &[char], scratch: &mut Scratch) {
    let Scratch { dp, ways } = scratch;
    let (m, n) = (q.len(), units.len());
    dp.clear();
    dp.resize((m + 1) * (n + 1) * PHASES, IMPOSSIBLE);
    let at = |qi: usize, ui: usize, p: usize| (qi * (n + 1) + ui) * PHASES + p;
    // every token character consumed: the end bonuses
    for ui in 0..=n {
        dp[at(m, ui, CLEAN)] = PREFIX_BONUS + if ui == n { WHOLE_TEXT_BONUS } else { 0 };
        dp[at(m, ui, GAPPED)] = 0;
    }
    for ui in (0..n).rev() {
        for qi in 0..m {
            // the ways unit ui consumes from qi do not depend on the phase
            consumptions(&units[ui], syllables, &q[qi..], ways);
            for p in 0..PHASES {
                let (skip_phase, skip_cost) = after_skip(p);
                let mut best = dp[at(qi, ui + 1, skip_phase)].saturating_add(skip_cost);
                let next = after_consume(p);
                for &(k, gain) in ways.iter() {
                    let rest = dp[at(qi + k, ui + 1, next)];
                    if rest > IMPOSSIBLE {
                        best = best.max(rest + gain);
                    }
                }
                dp[at(qi, ui, p)] = best.max(IMPOSSIBLE);
            }
        }
    }
}

/// The best score of a one-character token: the DP's answer worked out directly, since the first
/// keystroke of a search is scored against every row.
fn single(units: &[Unit], syllables: &Syllables, c: char) -> Option<i32> {
    let n = units.len();
    let mut best: Option<i32> = None;
    for (ui, unit) in units.iter().enumerate() {
        let gain = if !c.is_ascii() {
            (c == unit.ch).then_some(EXACT_CHAR)
        } else {
            syllables
                .readings(unit)
                .iter()
                .enumerate()
                .map(|(i, id)| (i, syllables.text(*id)))
                .filter(|(_, r)| r.first() == Some(&(c as u8)))
                .map(|(i, r)| {
                    let rare = if i < unit.primary as usize {
                        0
                    } else {
                        RARE_READING
                    };
                    READING_BASE + PER_LETTER + if r.len() == 1 { WHOLE } else { 0 } - rare
                })
                .max()
        };
        let Some(gain) = gain else { continue };
        let placed = if ui == 0 {
            gain + PREFIX_BONUS + if n == 1 { WHOLE_TEXT_BONUS } else { 0 }
        } else {
            gain - LEADING_SKIP * ui as i32
        };
        best = Some(best.map_or(placed, |b| b.max(placed)));
    }
    best
}

/// The best score of `q` against `units`, or `None` when it does not match.
pub fn best(
    units: &[Unit],
    syllables: &Syllables,
    q: &[char],
    scratch: &mut Scratch,
) -> Option<i32> {
    if q.is_empty() {
        return Some(0);
    }
    if units.is_empty() {
        return None;
    }
    if let [c] = q {
        return single(units, syllables, *c);
    }
    table(units, syllables, q, scratch);
    let score = scratch.dp[FRESH];
    (score > IMPOSSIBLE / 2).then_some(score)
}

/// The best match as (score, the units used with the characters each consumed).
pub fn trace(
    units: &[Unit],
    syllables: &Syllables,
    q: &[char],
) -> Option<(i32, Vec<(usize, usize)>)> {
    if q.is_empty() || units.is_empty() {
        return q.is_empty().then(|| (0, Vec::new()));
    }
    let mut scratch = Scratch::default();
    table(units, syllables, q, &mut scratch);
    let score = scratch.dp[FRESH];
    if score <= IMPOSSIBLE / 2 {
        return None;
    }
    let dp = &scratch.dp;
    let n = units.len();
    let at = |qi: usize, ui: usize, p: usize| (qi * (n + 1) + ui) * PHASES + p;
    let (mut qi, mut ui, mut p) = (0, 0, FRESH);
    let mut used = Vec::new();
    let mut ways = Vec::new();
    while qi < q.len() && ui < n {
        let here = dp[at(qi, ui, p)];
        consumptions(&units[ui], syllables, &q[qi..], &mut ways);
        let next = after_consume(p);
        let took = ways.iter().find(|&&(k, gain)| {
            let rest = dp[at(qi + k, ui + 1, next)];
            rest > IMPOSSIBLE && rest + gain == here
        });
        match took {
            Some(&(k, _)) => {
                used.push((ui, k));
                qi += k;
                p = next;
            }
            None => p = after_skip(p).0,
        }
        ui += 1;
    }
    Some((score, used))
}

#[cfg(test)]
mod tests {
    use super::super::units::units_of;
    use super::*;

    fn score(text: &str, query: &str) -> Option<i32> {
        let mut s = Syllables::default();
        let mut units = Vec::new();
        units_of(text, true, &mut s, &mut units);
        let q: Vec<char> = query.chars().collect();
        best(&units, &s, &q, &mut Scratch::default())
    }

    #[test]
    fn pinyin_full_initials_and_mixtures_match() {
        let cases = [
            ("张三", "zs", true),
            ("张三", "zhangsan", true),
            ("张三", "zhangs", true),
            ("张三", "zsan", true),
            ("张三", "zhs", true),
            ("张三", "张s", true),
            ("张三", "张三", true),
            ("张三", "sz", false),
            ("张三", "zsx", false),
            ("张三", "zhangsanfeng", false),
            ("张三丰", "zf", true),
            ("单田芳", "stf", true),
            ("单田芳", "dtf", true),
            ("曾国藩", "zgf", true),
            ("解缙", "xj", true),
            ("尉迟恭", "ycg", true),
            ("吕布", "lvb", true),
            ("吕布", "lub", true),
            ("买买提·艾力", "mmtal", true),
            ("买买提·艾力", "买买提艾力", true),
            ("John Smith", "js", true),
            ("John Smith", "smith", true),
            ("John Smith", "jsmi", true),
            ("计科2201", "jk22", true),
            ("计科2201", "2201", true),
            ("计科2201", "jk2202", false),
        ];
        for (text, query, want) in cases {
            assert_eq!(score(text, query).is_some(), want, "{query} in {text}");
        }
    }

    #[test]
    fn clean_prefixes_and_whole_texts_rank_first() {
        // (text that should win, text that should lose, query)
        let cases = [
            ("张三", "张三丰", "zs"),
            ("张三", "王子寿", "zs"),
            ("张三丰", "张三小丰", "zsf"),
            ("张三", "张三", "zs"),
            ("李明", "王李明", "lm"),
            ("周杰", "周小杰", "zhoujie"),
            // usual readings before rare heteronyms (董 can be read zhong, 俊 shun)
            ("张思涵", "董俊霖", "zs"),
            ("单田芳", "简单", "shan"),
        ];
        for (win, lose, query) in cases {
            let (w, l) = (score(win, query).unwrap(), score(lose, query).unwrap());
            if win == lose {
                assert_eq!(w, l);
            } else {
                assert!(w > l, "{query}: {win} {w} should beat {lose} {l}");
            }
        }
        // typing the whole syllable ranks above its initial alone
        assert!(score("张三", "zhangsan").unwrap() > score("张三", "zs").unwrap());
    }

    #[test]
    fn one_character_tokens_score_as_the_table_would() {
        let school = crate::demo::generate(1500, 3, 2026);
        let mut s = Syllables::default();
        let mut scratch = Scratch::default();
        let mut texts: Vec<String> = school.students.iter().map(|st| st.name.clone()).collect();
        texts.extend(["a", "e", "John Smith", "欧阳娜娜", "2201", "计科2201"].map(String::from));
        let mut checked = 0;
        for text in &texts {
            let mut units = Vec::new();
            units_of(text, true, &mut s, &mut units);
            let chars: Vec<char> = text.chars().take(2).collect();
            for c in ('a'..='z').chain('0'..='9').chain(chars) {
                let fast = single(&units, &s, c);
                table(&units, &s, &[c], &mut scratch);
                let slow = Some(scratch.dp[FRESH]).filter(|v| *v > IMPOSSIBLE / 2);
                assert_eq!(fast, slow, "{c:?} in {text}");
                checked += usize::from(fast.is_some());
            }
        }
        assert!(checked > 1000, "only {checked} matches checked");
    }

    #[test]
    fn trace_names_the_units_and_characters_used() {
        let mut s = Syllables::default();
        let mut units = Vec::new();
        units_of("张三丰", true, &mut s, &mut units);
        let q: Vec<char> = "zhangf".chars().collect();
        let (_, used) = trace(&units, &s, &q).unwrap();
        assert_eq!(used, vec![(0, 5), (2, 1)]);
        let q: Vec<char> = "sf".chars().collect();
        assert_eq!(trace(&units, &s, &q).unwrap().1, vec![(1, 1), (2, 1)]);
    }
}
