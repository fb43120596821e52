//! One query over rows that arrive one at a time (`students list --search`): each row is scored
//! as it is read, with the same rules as [`SearchIndex`](super::SearchIndex), and only the hits
//! are kept — no index of the whole roster is built for a search that runs once.

use super::query::Token;
use super::units::{self, FastMap, Syllables, Unit};
use super::{
    CLASS, COLLEGE, NameView, Query, Record, clamp_score, fold_number, rank, score, token_score,
};

/// Scores streamed records against one query and keeps the matching items, ranked as the
/// index ranks them (best first, ties in the order they came).
pub struct StreamSearch<T> {
    query: Query,
    syllables: Syllables,
    dp: score::Scratch,
    number: Vec<u8>,
    units: Vec<Unit>,
    /// Score of each token against a class or college, by its text: each distinct value is
    /// matched once, as the index does.
    class: FastMap<Box<str>, Box<[u32]>>,
    college: FastMap<Box<str>, Box<[u32]>>,
    hits: Vec<(u32, u16)>,
    items: Vec<T>,
}

impl<T> StreamSearch<T> {
    pub fn new(query: &Query) -> StreamSearch<T> {
        StreamSearch {
            query: query.clone(),
            syllables: Syllables::default(),
            dp: score::Scratch::default(),
            number: Vec::new(),
            units: Vec::new(),
            class: FastMap::default(),
            college: FastMap::default(),
            hits: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The score of `record` (0: it does not match). An empty query matches every record.
    pub fn score(&mut self, record: Record<'_>) -> u16 {
        if self.query.is_empty() {
            return 1;
        }
        let tokens = &self.query.tokens;
        let class = value_scores(
            &mut self.class,
            record.class,
            CLASS,
            tokens,
            &mut self.syllables,
            &mut self.dp,
        );
        let college = value_scores(
            &mut self.college,
            record.college,
            COLLEGE,
            tokens,
            &mut self.syllables,
            &mut self.dp,
        );
        self.number.clear();
        fold_number(record.student_no, &mut self.number);
        self.units.clear();
        let (mask, initials) = units::units_of(
            &crate::domain::text::strip_controls(record.name),
            true,
            &mut self.syllables,
            &mut self.units,
        );
        let name = NameView {
            units: &self.units,
            mask,
            initials,
        };
        let mut total = 0u32;
        for (t, token) in tokens.iter().enumerate() {
            let values = class[t].max(college[t]);
            let s = token_score(
                &self.number,
                &name,
                &self.syllables,
                token,
                values,
                &mut self.dp,
            );
            if s == 0 {
                return 0;
            }
            total += s;
        }
        total.min(u16::MAX as u32) as u16
    }

    /// Scores `record` and keeps `item` when it matches.
    pub fn push(&mut self, record: Record<'_>, item: T) {
        let score = self.score(record);
        self.keep(item, score);
    }

    /// Keeps `item` with the `score` its record got (nothing when 0), for callers whose item
    /// owns the record's text.
    pub fn keep(&mut self, item: T, score: u16) {
        if score > 0 {
            self.hits.push((self.items.len() as u32, score));
            self.items.push(item);
        }
    }

    /// The kept items, best first.
    pub fn finish(self) -> Vec<T> {
        let mut slots: Vec<Option<T>> = self.items.into_iter().map(Some).collect();
        rank(&self.hits)
            .into_iter()
            .filter_map(|i| slots.get_mut(i as usize).and_then(Option::take))
            .collect()
    }
}

/// The per-token scores of one class or college text, worked out on its first row.
fn value_scores<'m>(
    memo: &'m mut FastMap<Box<str>, Box<[u32]>>,
    text: &str,
    base: u32,
    tokens: &[Token],
    syllables: &mut Syllables,
    dp: &mut score::Scratch,
) -> &'m [u32] {
    if !memo.contains_key(text) {
        let mut units = Vec::new();
        let _ = units::units_of(
            &crate::domain::text::strip_controls(text),
            false,
            syllables,
            &mut units,
        );
        let scores: Box<[u32]> = tokens
            .iter()
            .map(|token| {
                score::best(&units, syllables, &token.chars, dp)
                    .map_or(0, |s| base + clamp_score(s))
            })
            .collect();
        memo.insert(text.into(), scores);
    }
    memo.get(text).map_or(&[], |s| &s[..])
}
