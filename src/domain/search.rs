//! Search over the roster: 学号, name, full pinyin and pinyin initials of the name (`zs` finds
//! 张三; 单 曾 解 … read as surnames), class and college — and the status filters the console
//! and `students list` share.
//!
//! Pure: the caller hands in the rows once ([`SearchIndex::build`]) and asks queries
//! ([`SearchIndex::search`]). Fast enough for every keystroke over 100,000 students because
//! - names are split once into units with their pinyin readings interned, and a letter mask per
//!   name rejects most rows before any matching;
//! - class, college and counselor are interned: a query is matched against each distinct value
//!   once, and rows look the answer up by number;
//! - a query that extends the previous one (a character typed at the end) only re-checks the
//!   previous hits ([`Query::narrows`]);
//! - a full scan is split across the machine's cores, and ranking is a counting sort.

mod progress;
mod query;
mod score;
mod stream;
mod units;

use std::sync::OnceLock;

use query::Token;
use units::{FastMap, Syllables, Unit};

pub use progress::{Missing, Progress};
pub use query::Query;
pub use stream::StreamSearch;
pub use units::fold;

/// Tokens after the eighth are ignored (a query is a few words, not a paragraph).
const MAX_TOKENS: usize = 8;
/// Characters of a token after the 32nd are ignored.
const MAX_TOKEN_CHARS: usize = 32;
/// Below this many candidates one thread is faster than starting more.
const PARALLEL_FROM: usize = 16_384;

/// Token scores by what matched. Each match's own score (1–999) is added to the base of its
/// field, so any name match outranks any class match, and so on.
const NO_EXACT: u32 = 8000;
const NO_PREFIX: u32 = 6000;
const NAME: u32 = 3000;
const NO_SUBSTRING: u32 = 2000;
const CLASS: u32 = 1000;
const COLLEGE: u32 = 0;

/// What one student is searched and filtered by.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub student_no: &'a str,
    pub name: &'a str,
    pub class: &'a str,
    pub college: &'a str,
    pub counselor: &'a str,
}

/// The fields whose values are shared by many students (filters and sorting use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    College,
    Class,
    Counselor,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::College, Field::Class, Field::Counselor];

    fn slot(self) -> usize {
        match self {
            Field::College => 0,
            Field::Class => 1,
            Field::Counselor => 2,
        }
    }
}

/// The rows matching a query, best first (ties in roster order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResult {
    pub query: Query,
    ranked: Vec<u32>,
    /// The same rows in roster order, for narrowing the next query.
    ascending: Vec<u32>,
}

impl SearchResult {
    pub fn ranked(&self) -> &[u32] {
        &self.ranked
    }

    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }
}

/// Which characters of a row matched, as character indices into each (control-stripped) text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlight {
    pub student_no: Vec<usize>,
    pub name: Vec<usize>,
    pub class: Vec<usize>,
    pub college: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    /// The folded 学号 in `SearchIndex::numbers`.
    no: (u32, u16),
    /// The name's units in `SearchIndex::units`.
    name: (u32, u16),
    name_mask: u64,
    /// Letters and digits that begin a reading of the name: the first letter a token can match.
    name_initials: u64,
    /// Value ids, by `Field::slot`.
    values: [u32; 3],
}

/// The distinct values of one field, with their units for matching.
#[derive(Debug, Default)]
struct Values {
    texts: Vec<Box<str>>,
    ids: FastMap<Box<str>, u32>,
    spans: Vec<(u32, u16)>,
    counts: Vec<u32>,
    /// Rank of each value in pinyin order.
    rank: Vec<u32>,
}

/// The roster prepared for searching. Build once per load; share it behind an `Arc`.
#[derive(Debug)]
pub struct SearchIndex {
    rows: Vec<Row>,
    numbers: Vec<u8>,
    units: Vec<Unit>,
    syllables: Syllables,
    values: [Values; 3],
    /// Units of the field values (referred to by `Values::spans`).
    value_units: Vec<Unit>,
    name_order: OnceLock<Vec<u32>>,
}

/// Builds an index one record at a time, so indexing can go on while rows are still being read.
#[derive(Debug)]
pub struct IndexBuilder {
    index: SearchIndex,
}

impl IndexBuilder {
    pub fn with_capacity(rows: usize) -> IndexBuilder {
        IndexBuilder {
            index: SearchIndex {
                rows: Vec::with_capacity(rows),
                numbers: Vec::with_capacity(rows * 12),
                units: Vec::with_capacity(rows * 3),
                syllables: Syllables::default(),
                values: Default::default(),
                value_units: Vec::new(),
                name_order: OnceLock::new(),
            },
        }
    }

    /// Adds the next row.
    pub fn push(&mut self, r: Record<'_>) {
        let index = &mut self.index;
        let no_start = index.numbers.len() as u32;
        fold_number(r.student_no, &mut index.numbers);
        let no_len = (index.numbers.len() as u32 - no_start).min(u16::MAX as u32) as u16;
        let name_start = index.units.len() as u32;
        let (name_mask, name_initials) = units::units_of(
            &super::text::strip_controls(r.name),
            true,
            &mut index.syllables,
            &mut index.units,
        );
        let name_len = (index.units.len() as u32 - name_start).min(u16::MAX as u32) as u16;
        let values = [
            index.intern(Field::College, r.college),
            index.intern(Field::Class, r.class),
            index.intern(Field::Counselor, r.counselor),
        ];
        index.rows.push(Row {
            no: (no_start, no_len),
            name: (name_start, name_len),
            name_mask,
            name_initials,
            values,
        });
    }

    pub fn finish(mut self) -> SearchIndex {
        for field in Field::ALL {
            self.index.rank_values(field);
        }
        self.index
    }
}

/// A token with the field values it matches, scored once per distinct value.
struct Prepared<'q> {
    token: &'q Token,
    class: Vec<u16>,
    college: Vec<u16>,
}

fn clamp_score(s: i32) -> u32 {
    s.clamp(1, 999) as u32
}

/// A row's name as the scoring sees it: its units and letter masks.
struct NameView<'a> {
    units: &'a [Unit],
    mask: u64,
    initials: u64,
}

/// The score of `token` against one row: its folded 学号 `no`, its name, and the best of its
/// class and college scores (`values`). The index and the streaming search both score this way.
fn token_score(
    no: &[u8],
    name: &NameView,
    syllables: &Syllables,
    token: &Token,
    values: u32,
    dp: &mut score::Scratch,
) -> u32 {
    let mut best = 0;
    if let Some(ascii) = &token.ascii {
        if no == ascii.as_slice() {
            return NO_EXACT;
        }
        if no.starts_with(ascii) {
            // a prefix outranks any name match: no need to look further
            return NO_PREFIX + ascii.len() as u32;
        }
        if no.windows(ascii.len()).any(|w| w == ascii.as_slice()) {
            best = NO_SUBSTRING + ascii.len() as u32;
        }
    }
    if token.mask & !name.mask == 0
        && token.first_bit & !name.initials == 0
        && let Some(s) = score::best(name.units, syllables, &token.chars, dp)
    {
        best = best.max(NAME + clamp_score(s));
    }
    best.max(values)
}

/// Appends the folded 学号 to `out`.
fn fold_number(student_no: &str, out: &mut Vec<u8>) {
    out.extend(super::text::strip_controls(student_no).chars().map(|c| {
        let c = fold(c);
        // one byte per character keeps byte and character positions equal for highlights
        if c.is_ascii() { c as u8 } else { b'?' }
    }));
}

impl SearchIndex {
    /// Indexes `records` in order: row `i` of every answer is the `i`-th record.
    pub fn build<'a>(records: impl IntoIterator<Item = Record<'a>>) -> SearchIndex {
        let records = records.into_iter();
        let mut builder = IndexBuilder::with_capacity(records.size_hint().0);
        for r in records {
            builder.push(r);
        }
        builder.finish()
    }

    fn intern(&mut self, field: Field, text: &str) -> u32 {
        let values = &mut self.values[field.slot()];
        if let Some(id) = values.ids.get(text) {
            values.counts[*id as usize] += 1;
            return *id;
        }
        let id = values.texts.len() as u32;
        let start = self.value_units.len() as u32;
        let clean = super::text::strip_controls(text);
        let _ = units::units_of(&clean, false, &mut self.syllables, &mut self.value_units);
        let len = (self.value_units.len() as u32 - start).min(u16::MAX as u32) as u16;
        values.texts.push(text.into());
        values.ids.insert(text.into(), id);
        values.spans.push((start, len));
        values.counts.push(1);
        id
    }

    fn rank_values(&mut self, field: Field) {
        let values = &self.values[field.slot()];
        let mut order: Vec<(Vec<u8>, u32)> = (0..values.texts.len() as u32)
            .map(|id| {
                (
                    units::primary_key(
                        self.value_unit_slice(values.spans[id as usize]),
                        &self.syllables,
                    ),
                    id,
                )
            })
            .collect();
        order.sort();
        let mut rank = vec![0; order.len()];
        for (r, (_, id)) in order.into_iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        self.values[field.slot()].rank = rank;
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn name_units(&self, row: &Row) -> &[Unit] {
        let (start, len) = row.name;
        &self.units[start as usize..start as usize + len as usize]
    }

    fn value_unit_slice(&self, (start, len): (u32, u16)) -> &[Unit] {
        &self.value_units[start as usize..start as usize + len as usize]
    }

    fn number(&self, row: &Row) -> &[u8] {
        let (start, len) = row.no;
        &self.numbers[start as usize..start as usize + len as usize]
    }

    /// The id of row `row`'s value of `field`.
    pub fn value_id(&self, field: Field, row: usize) -> Option<u32> {
        self.rows.get(row).map(|r| r.values[field.slot()])
    }

    /// The id of the value `text` of `field`, if any row has it.
    pub fn find_value(&self, field: Field, text: &str) -> Option<u32> {
        self.values[field.slot()].ids.get(text).copied()
    }

    /// Rank of row `row`'s value of `field` in pinyin order (for sorting by it).
    pub fn value_rank(&self, field: Field, row: usize) -> u32 {
        let values = &self.values[field.slot()];
        self.rows
            .get(row)
            .and_then(|r| values.rank.get(r.values[field.slot()] as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The pinyin rank of the value `text` of `field` (the pickers' order), if any row has it.
    pub fn rank_of(&self, field: Field, text: &str) -> Option<u32> {
        let values = &self.values[field.slot()];
        let id = *values.ids.get(text)?;
        values.rank.get(id as usize).copied()
    }

    /// Every value of `field` with the number of rows that have it, in pinyin order.
    pub fn values(&self, field: Field) -> Vec<(&str, u32)> {
        let values = &self.values[field.slot()];
        let mut out: Vec<(u32, &str, u32)> = (0..values.texts.len())
            .map(|id| (values.rank[id], &*values.texts[id], values.counts[id]))
            .collect();
        out.sort_unstable_by_key(|v| v.0);
        out.into_iter()
            .map(|(_, text, count)| (text, count))
            .collect()
    }

    /// Rows in order of their names' pinyin (surname readings first), ties by roster order.
    /// Worked out on first use.
    pub fn name_order(&self) -> &[u32] {
        self.name_order.get_or_init(|| {
            let mut keyed: Vec<(Vec<u8>, u32)> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        units::primary_key(self.name_units(r), &self.syllables),
                        i as u32,
                    )
                })
                .collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        })
    }

    fn prepare<'q>(&self, query: &'q Query) -> Vec<Prepared<'q>> {
        let table = |field: Field, base: u32, token: &Token| -> Vec<u16> {
            let values = &self.values[field.slot()];
            let mut dp = score::Scratch::default();
            values
                .spans
                .iter()
                .map(|span| {
                    score::best(
                        self.value_unit_slice(*span),
                        &self.syllables,
                        &token.chars,
                        &mut dp,
                    )
                    .map_or(0, |s| (base + clamp_score(s)) as u16)
                })
                .collect()
        };
        query
            .tokens
            .iter()
            .map(|token| Prepared {
                token,
                class: table(Field::Class, CLASS, token),
                college: table(Field::College, COLLEGE, token),
            })
            .collect()
    }

    /// The score of one token against one row (0: no match).
    fn token_score(&self, row: &Row, p: &Prepared, dp: &mut score::Scratch) -> u32 {
        let class = p
            .class
            .get(row.values[Field::Class.slot()] as usize)
            .copied()
            .unwrap_or(0) as u32;
        let college = p
            .college
            .get(row.values[Field::College.slot()] as usize)
            .copied()
            .unwrap_or(0) as u32;
        self.score_with(row, p.token, class, college, dp)
    }

    /// The score of `token` against one row, given its class and college scores.
    fn score_with(
        &self,
        row: &Row,
        token: &Token,
        class: u32,
        college: u32,
        dp: &mut score::Scratch,
    ) -> u32 {
        let name = NameView {
            units: self.name_units(row),
            mask: row.name_mask,
            initials: row.name_initials,
        };
        token_score(
            self.number(row),
            &name,
            &self.syllables,
            token,
            class.max(college),
            dp,
        )
    }

    /// The score of `token` against value `id` of `field` (one value, not the whole table).
    fn value_score(
        &self,
        field: Field,
        id: u32,
        base: u32,
        token: &Token,
        dp: &mut score::Scratch,
    ) -> u32 {
        let Some(span) = self.values[field.slot()].spans.get(id as usize) else {
            return 0;
        };
        score::best(
            self.value_unit_slice(*span),
            &self.syllables,
            &token.chars,
            dp,
        )
        .map_or(0, |s| base + clamp_score(s))
    }

    fn row_score(&self, row: u32, prepared: &[Prepared], dp: &mut score::Scratch) -> u16 {
        let Some(r) = self.rows.get(row as usize) else {
            return 0;
        };
        let mut total = 0u32;
        for p in prepared {
            let s = self.token_score(r, p, dp);
            if s == 0 {
                return 0;
            }
            total += s;
        }
        total.min(u16::MAX as u32) as u16
    }

    /// The rows matching `query`, best first. When `previous` answered a query that `query`
    /// extends, only its hits are checked.
    pub fn search(&self, query: &Query, previous: Option<&SearchResult>) -> SearchResult {
        if query.is_empty() {
            let all: Vec<u32> = (0..self.rows.len() as u32).collect();
            return SearchResult {
                query: query.clone(),
                ranked: all.clone(),
                ascending: all,
            };
        }
        let prepared = self.prepare(query);
        let narrowed = previous
            .filter(|p| query.narrows(&p.query))
            .map(|p| p.ascending.as_slice());
        let total = narrowed.map_or(self.rows.len(), <[u32]>::len);
        let threads = if total < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4)
        };
        let chunk = total.div_ceil(threads).max(1);
        let scan = |from: usize, to: usize| -> Vec<(u32, u16)> {
            let mut dp = score::Scratch::default();
            let mut hits = Vec::new();
            for i in from..to {
                let row = narrowed.map_or(i as u32, |rows| rows[i]);
                let s = self.row_score(row, &prepared, &mut dp);
                if s > 0 {
                    hits.push((row, s));
                }
            }
            hits
        };
        let hits: Vec<(u32, u16)> = if threads == 1 {
            scan(0, total)
        } else {
            std::thread::scope(|scope| {
                let scan = &scan;
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (from, to) = ((t * chunk).min(total), ((t + 1) * chunk).min(total));
                        scope.spawn(move || scan(from, to))
                    })
                    .collect();
                // A scan thread cannot panic on its own (it only reads); if one did, its part
                // would be missing from the answer, so run that part again here.
                let mut all = Vec::new();
                for (t, h) in handles.into_iter().enumerate() {
                    match h.join() {
                        Ok(part) => all.extend(part),
                        Err(_) => {
                            all.extend(scan((t * chunk).min(total), ((t + 1) * chunk).min(total)))
                        }
                    }
                }
                all
            })
        };
        let ascending: Vec<u32> = hits.iter().map(|h| h.0).collect();
        SearchResult {
            query: query.clone(),
            ranked: rank(&hits),
            ascending,
        }
    }

    /// The characters of row `row` that `query` matched, for highlighting. Costs one match per
    /// token and field of this row only, so drawing a screenful of rows stays cheap.
    pub fn highlight(&self, row: usize, query: &Query) -> Highlight {
        let mut out = Highlight::default();
        let Some(r) = self.rows.get(row) else {
            return out;
        };
        let mut dp = score::Scratch::default();
        let (class_id, college_id) = (
            r.values[Field::Class.slot()],
            r.values[Field::College.slot()],
        );
        for token in &query.tokens {
            let class = self.value_score(Field::Class, class_id, CLASS, token, &mut dp);
            let college = self.value_score(Field::College, college_id, COLLEGE, token, &mut dp);
            let best = self.score_with(r, token, class, college, &mut dp);
            if best == 0 {
                continue;
            }
            if best >= NO_PREFIX || (NO_SUBSTRING..NAME).contains(&best) {
                if let Some(ascii) = &token.ascii {
                    let no = self.number(r);
                    if let Some(at) = no.windows(ascii.len()).position(|w| w == ascii.as_slice()) {
                        out.student_no.extend(at..at + ascii.len());
                    }
                }
                continue;
            }
            let (units, target) = if best >= NAME {
                (self.name_units(r), &mut out.name)
            } else if best >= CLASS {
                (
                    self.value_unit_slice(
                        self.values[Field::Class.slot()].spans[class_id as usize],
                    ),
                    &mut out.class,
                )
            } else {
                (
                    self.value_unit_slice(
                        self.values[Field::College.slot()].spans[college_id as usize],
                    ),
                    &mut out.college,
                )
            };
            if let Some((_, used)) = score::trace(units, &self.syllables, &token.chars) {
                target.extend(positions(units, &used));
            }
        }
        for v in [
            &mut out.student_no,
            &mut out.name,
            &mut out.class,
            &mut out.college,
        ] {
            v.sort_unstable();
            v.dedup();
        }
        out
    }
}

/// Character positions covered by a traced match.
fn positions(units: &[Unit], used: &[(usize, usize)]) -> Vec<usize> {
    let mut out = Vec::new();
    for &(ui, k) in used {
        let Some(u) = units.get(ui) else { continue };
        let pos = u.pos as usize;
        if u.ch.is_ascii_alphanumeric() {
            out.extend(pos..pos + k.min(u.len as usize));
        } else {
            out.push(pos);
        }
    }
    out
}

/// Hits ordered by score, best first, keeping their order among equal scores: a counting sort
/// over the scores present, linear in the number of hits.
fn rank(hits: &[(u32, u16)]) -> Vec<u32> {
    let Some(max) = hits.iter().map(|h| h.1).max() else {
        return Vec::new();
    };
    let min = hits.iter().map(|h| h.1).min().unwrap_or(max);
    let span = (max - min) as usize + 1;
    let mut starts = vec![0usize; span + 1];
    for h in hits {
        // bucket 0 holds the best score
        starts[(max - h.1) as usize + 1] += 1;
    }
    for i in 1..=span {
        starts[i] += starts[i - 1];
    }
    let mut out = vec![0u32; hits.len()];
    for h in hits {
        let bucket = &mut starts[(max - h.1) as usize];
        out[*bucket] = h.0;
        *bucket += 1;
    }
    out
}

/// Matches short texts one at a time (command palette entries, filter values), with the same
/// rules as the roster search. Keeps its pinyin cache between calls.
#[derive(Debug, Default)]
pub struct TextMatcher {
    syllables: Syllables,
    units: Vec<Unit>,
}

impl TextMatcher {
    /// The score of `query` against `text` (every token must match) and the character
    /// positions it matched, or `None`.
    pub fn matches(&mut self, text: &str, query: &Query) -> Option<(i32, Vec<usize>)> {
        self.units.clear();
        let _ = units::units_of(text, false, &mut self.syllables, &mut self.units);
        let mut total = 0;
        let mut at = Vec::new();
        for token in &query.tokens {
            let (score, used) = score::trace(&self.units, &self.syllables, &token.chars)?;
            total += score;
            at.extend(positions(&self.units, &used));
        }
        at.sort_unstable();
        at.dedup();
        Some((total, at))
    }
}

#[cfg(test)]
#[path = "search/tests.rs"]
mod tests;
