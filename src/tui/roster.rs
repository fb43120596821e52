//! The roster as loaded, and what the Students screen shows of it: filters, sort order, and the
//! view — the row numbers shown, in order. Pure: the view is computed from the state alone.

use std::sync::Arc;

use super::widgets;
use crate::domain::search::{Field, Missing, Record, SearchIndex, SearchResult};
use crate::i18n::tr;
use crate::store::StudentRow;

/// Widths of the text columns over the whole list, measured once per load so that drawing a
/// frame never scans 100,000 rows. Names are sized to nearly all of them (docs/console.md): one
/// very long name does not widen the column for the two-to-four-letter rest, it is cut with `…`
/// in the list and shown whole in the history pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentWidths {
    pub student_no: usize,
    pub name: usize,
    pub college: usize,
    pub major: usize,
    pub class: usize,
    pub counselor: usize,
    pub session: usize,
    /// The photo notes (from the Photos data; 0 when no student has one).
    pub problems: usize,
}

/// The share of names the name column is sized for.
const NAMES_FITTED: f64 = 0.98;

impl ContentWidths {
    pub fn measure(rows: &[StudentRow]) -> ContentWidths {
        let mut w = ContentWidths::default();
        let mut names: Vec<usize> = Vec::with_capacity(rows.len());
        for r in rows {
            let s = &r.student;
            w.student_no = w
                .student_no
                .max(widgets::width(&widgets::clean(&s.student_no)));
            names.push(widgets::width(&widgets::clean(&s.name)));
            w.college = w.college.max(widgets::width(&widgets::clean(&s.college)));
            w.major = w.major.max(widgets::width(&widgets::clean(&s.major)));
            w.class = w.class.max(widgets::width(&widgets::clean(&s.class)));
            w.counselor = w
                .counselor
                .max(widgets::width(&widgets::clean(&s.counselor)));
            if let Some(id) = r.session_id {
                w.session = w.session.max(id.to_string().len() + 1);
            }
        }
        if !names.is_empty() {
            let at = ((names.len() - 1) as f64 * NAMES_FITTED).round() as usize;
            let (_, nth, _) = names.select_nth_unstable(at);
            w.name = *nth;
        }
        w
    }
}

/// The students of one load, with their search index. Built off the drawing thread.
#[derive(Clone)]
pub struct Roster {
    pub rows: Arc<Vec<StudentRow>>,
    pub index: Arc<SearchIndex>,
    pub widths: ContentWidths,
}

impl Roster {
    pub fn new(rows: Vec<StudentRow>) -> Roster {
        let index = SearchIndex::build(rows.iter().map(|r| Record {
            student_no: &r.student.student_no,
            name: &r.student.name,
            class: &r.student.class,
            college: &r.student.college,
            counselor: &r.student.counselor,
        }));
        let widths = ContentWidths::measure(&rows);
        Roster {
            rows: Arc::new(rows),
            index: Arc::new(index),
            widths,
        }
    }

    pub fn empty() -> Roster {
        Roster::new(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl PartialEq for Roster {
    fn eq(&self, other: &Roster) -> bool {
        Arc::ptr_eq(&self.rows, &other.rows)
    }
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Roster({} students)", self.rows.len())
    }
}

pub fn missing_label(m: Missing) -> &'static str {
    match m {
        Missing::Code => tr("缺采集码", "no code"),
        Missing::Session => tr("未排场次", "no session"),
        Missing::Checkin => tr("未签到", "not checked in"),
        Missing::Photo => tr("缺合格照片", "no valid photo"),
    }
}

pub fn field_label(f: Field) -> &'static str {
    match f {
        Field::College => tr("学院", "college"),
        Field::Class => tr("班级", "class"),
        Field::Counselor => tr("辅导员", "counselor"),
    }
}

/// How the list is ordered when no search is typed (a search orders by relevance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    StudentNo,
    Name,
    College,
    Class,
    Progress,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::StudentNo,
        SortKey::Name,
        SortKey::College,
        SortKey::Class,
        SortKey::Progress,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::StudentNo => tr("学号", "student no."),
            SortKey::Name => tr("姓名拼音", "name (pinyin)"),
            SortKey::College => tr("学院", "college"),
            SortKey::Class => tr("班级", "class"),
            SortKey::Progress => tr("缺项多少", "items missing"),
        }
    }

    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub reverse: bool,
}

/// The filters in force; `None` fields match everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub missing: Option<Missing>,
    pub college: Option<String>,
    pub class: Option<String>,
    pub counselor: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub fn value(&self, field: Field) -> Option<&str> {
        match field {
            Field::College => self.college.as_deref(),
            Field::Class => self.class.as_deref(),
            Field::Counselor => self.counselor.as_deref(),
        }
    }

    pub fn set(&mut self, field: Field, value: Option<String>) {
        match field {
            Field::College => self.college = value,
            Field::Class => self.class = value,
            Field::Counselor => self.counselor = value,
        }
    }
}

/// Rows ordered by `key` (stable: ties keep roster order, which is 学号 order).
fn sorted(roster: &Roster, key: SortKey) -> Vec<u32> {
    let n = roster.len() as u32;
    let index = &roster.index;
    let by_rank = |rank: &dyn Fn(usize) -> u32| -> Vec<u32> {
        // counting sort on small ranks: linear, and stable
        let ranks: Vec<u32> = (0..n as usize).map(rank).collect();
        let buckets = ranks.iter().max().map_or(0, |m| *m as usize + 1);
        let mut starts = vec![0usize; buckets + 1];
        for r in &ranks {
            starts[*r as usize + 1] += 1;
        }
        for i in 1..=buckets {
            starts[i] += starts[i - 1];
        }
        let mut out = vec![0u32; ranks.len()];
        for (row, r) in ranks.iter().enumerate() {
            out[starts[*r as usize]] = row as u32;
            starts[*r as usize] += 1;
        }
        out
    };
    match key {
        SortKey::StudentNo => (0..n).collect(),
        SortKey::Name if index.len() == roster.len() => index.name_order().to_vec(),
        SortKey::Name => (0..n).collect(),
        SortKey::College => by_rank(&|row| index.value_rank(Field::College, row)),
        SortKey::Class => by_rank(&|row| index.value_rank(Field::Class, row)),
        // the students missing most first
        SortKey::Progress => {
            by_rank(&|row| (4 - Missing::count(&roster.rows[row].progress())) as u32)
        }
    }
}

/// The rows shown: the search hits in order of relevance when a search is given, otherwise every
/// row in the chosen order; then the filters.
pub fn view(
    roster: &Roster,
    filter: &Filter,
    sort: Sort,
    search: Option<&SearchResult>,
) -> Vec<u32> {
    let base: Vec<u32> = match search {
        Some(result) if !result.query.is_empty() => result.ranked().to_vec(),
        _ => {
            let mut rows = sorted(roster, sort.key);
            if sort.reverse {
                rows.reverse();
            }
            rows
        }
    };
    if filter.is_empty() {
        return base;
    }
    let index = &roster.index;
    // Each value filter becomes a value id once; a value no row has matches nobody.
    let wanted: Vec<(Field, Option<u32>)> = crate::domain::search::Field::ALL
        .into_iter()
        .filter_map(|f| filter.value(f).map(|v| (f, index.find_value(f, v))))
        .collect();
    if wanted.iter().any(|(_, id)| id.is_none()) {
        return Vec::new();
    }
    base.into_iter()
        .filter(|&row| {
            let r = row as usize;
            let Some(student) = roster.rows.get(r) else {
                return false;
            };
            filter
                .missing
                .is_none_or(|m| m.applies(&student.progress()))
                && wanted.iter().all(|(f, id)| index.value_id(*f, r) == *id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::Query;
    use crate::tui::render_tests::fixture_rows;

    fn names(roster: &Roster, rows: &[u32]) -> Vec<String> {
        rows.iter()
            .map(|&r| roster.rows[r as usize].student.name.clone())
            .collect()
    }

    #[test]
    fn filters_combine() {
        let roster = Roster::new(fixture_rows());
        let cases: Vec<(Filter, usize)> = vec![
            (Filter::default(), 40),
            (
                Filter {
                    missing: Some(Missing::Code),
                    ..Filter::default()
                },
                10,
            ),
            (
                Filter {
                    missing: Some(Missing::Photo),
                    ..Filter::default()
                },
                21,
            ),
            (
                Filter {
                    college: Some("外国语学院".into()),
                    ..Filter::default()
                },
                2,
            ),
            (
                Filter {
                    college: Some("外国语学院".into()),
                    missing: Some(Missing::Photo),
                    ..Filter::default()
                },
                1,
            ),
            (
                Filter {
                    class: Some("计科2202".into()),
                    ..Filter::default()
                },
                2,
            ),
            (
                Filter {
                    counselor: Some("周老师".into()),
                    ..Filter::default()
                },
                40,
            ),
            (
                Filter {
                    counselor: Some("没有这个人".into()),
                    ..Filter::default()
                },
                0,
            ),
        ];
        for (filter, want) in cases {
            let shown = view(&roster, &filter, Sort::default(), None);
            assert_eq!(shown.len(), want, "{filter:?}");
            for row in shown {
                let r = &roster.rows[row as usize];
                if let Some(m) = filter.missing {
                    assert!(
                        m.applies(&r.progress()),
                        "{} shown under {m:?}",
                        r.student.name
                    );
                }
            }
        }
    }

    #[test]
    fn sort_orders() {
        let roster = Roster::new(fixture_rows()[..6].to_vec());
        let order = |key, reverse| {
            names(
                &roster,
                &view(&roster, &Filter::default(), Sort { key, reverse }, None),
            )
        };
        assert_eq!(order(SortKey::StudentNo, false)[0], "张三");
        assert_eq!(order(SortKey::StudentNo, true)[0], "欧阳娜娜");
        // pinyin: ... mai mai ti < ou yang < zhang
        let by_name = order(SortKey::Name, false);
        let pos = |n: &str| by_name.iter().position(|x| x == n).unwrap();
        assert!(
            pos("买买提·艾力") < pos("欧阳娜娜") && pos("欧阳娜娜") < pos("张三"),
            "{by_name:?}"
        );
        // 外国语 (wai) sorts after 计算机 (ji)
        assert_eq!(
            order(SortKey::College, false).last().map(String::as_str),
            Some("欧阳娜娜")
        );
        // the one missing everything first
        assert_eq!(
            order(SortKey::Progress, false)[0],
            "阿卜杜热合曼·买买提明·阿不都热西提"
        );
    }

    #[test]
    fn a_search_orders_by_relevance_and_filters_still_apply() {
        let roster = Roster::new(fixture_rows());
        let result = roster.index.search(&Query::parse("ouyang"), None);
        assert_eq!(
            names(
                &roster,
                &view(&roster, &Filter::default(), Sort::default(), Some(&result))
            ),
            ["欧阳娜娜"]
        );
        let filter = Filter {
            missing: Some(Missing::Photo),
            ..Filter::default()
        };
        assert!(view(&roster, &filter, Sort::default(), Some(&result)).is_empty());
        // an empty search is no search
        let all = roster.index.search(&Query::parse(""), None);
        assert_eq!(
            view(
                &roster,
                &Filter::default(),
                Sort {
                    key: SortKey::StudentNo,
                    reverse: true
                },
                Some(&all)
            )[0],
            39
        );
    }
}
