//! Every roster row checked against docs/roster.md: a row becomes a `Student` or one rejection per
//! faulty field, each naming the row as Excel numbers it and saying what to do.

use chrono::NaiveDate;

use crate::domain::{IdNumber, Student};
use crate::i18n::Lang;

use super::fields::{cohort, empty_reason, gender, id_type, level, phone, plain_text, student_no};
use super::header::{ColumnMap, Field, column_letter};
use super::{CellFlaw, FlawKind, RawRow};

/// A row (or one field of it) that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Excel's row number (from 1), or the position in a database query's result (from 1).
    pub row: u64,
    /// The 学号 as read (may be empty or itself the faulty field).
    pub student_no: String,
    pub field: Field,
    /// The column as the user sees it (`D`, or a query column's name).
    pub column: String,
    pub reason: String,
}

/// What reading and validating a roster produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub students: Vec<Student>,
    /// Ordered by row, then field.
    pub rejections: Vec<Rejection>,
    /// Rows holding data below the header (blank rows not counted).
    pub data_rows: u64,
    pub header_row: u64,
    /// The 学号 found on more than one row, and the 学号 of rows whose ID number is another row's.
    /// Every such row is rejected; a streaming validator has already handed the valid ones on,
    /// so whoever took them must drop these numbers.
    pub duplicates: Vec<String>,
    /// Rows after the last student that are the table's footer (合计…, 制表人…), skipped.
    pub footer: Vec<FooterRow>,
}

/// A footer row that was skipped: its row number and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterRow {
    pub row: u64,
    /// Its non-empty cells, joined by spaces (at most `FOOTER_TEXT_CHARS` characters).
    pub text: String,
}

/// How much of a footer row's text is kept to show.
const FOOTER_TEXT_CHARS: usize = 60;

impl FooterRow {
    fn of(raw: &RawRow) -> FooterRow {
        let joined: Vec<String> = raw
            .cells
            .iter()
            .map(|c| crate::domain::text::strip_controls(c.trim()).into_owned())
            .filter(|c| !c.is_empty())
            .collect();
        FooterRow {
            row: raw.row,
            text: joined.join(" ").chars().take(FOOTER_TEXT_CHARS).collect(),
        }
    }
}

/// Footer-looking rows held back at most; more in a row are checked as data as they come.
const MAX_PENDING_FOOTER: usize = 64;

/// The words a footer row starts with (spaces and a colon after them do not matter): totals,
/// who made, checked or approved the table, the date, signatures, notes.
const FOOTER_WORDS: [&str; 26] = [
    "合计",
    "总计",
    "小计",
    "共计",
    "总人数",
    "人数合计",
    "制表",
    "填表",
    "填报",
    "审核",
    "复核",
    "审批",
    "审定",
    "负责人",
    "经办人",
    "联系人",
    "日期",
    "签字",
    "签名",
    "盖章",
    "备注",
    "说明",
    "total",
    "preparedby",
    "checkedby",
    "date",
];

/// Whether the row's first non-empty cell starts with a footer word (`合计：120人`, `制表人：王`,
/// `日期：2026年3月1日`, `Total`).
fn is_footer(raw: &RawRow) -> bool {
    let Some(first) = raw.cells.iter().map(|c| c.trim()).find(|c| !c.is_empty()) else {
        return false;
    };
    // almost every row starts with a 学号 or a 序号
    if first.as_bytes()[0].is_ascii_digit() {
        return false;
    }
    let key: String = first
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(12)
        .flat_map(char::to_lowercase)
        .collect();
    FOOTER_WORDS.iter().any(|w| key.starts_with(w))
}

impl Outcome {
    /// Number of distinct rows with at least one rejection.
    /// Data rows without a rejection. Counted, not taken from `students`, which is empty when
    /// the students were streamed to the store.
    pub fn valid_rows(&self) -> u64 {
        self.data_rows.saturating_sub(self.rejected_rows() as u64)
    }

    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<u64> = self.rejections.iter().map(|r| r.row).collect();
        rows.dedup();
        rows.len()
    }
}

/// A row's valid 学号, for the duplicate check in `finish`. Unless the students are streamed,
/// the number itself is not copied for valid rows: it is read back from `students`.
struct Numbered {
    row: u64,
    student: Option<usize>,
    /// The 学号 of a row rejected for another field.
    own: Option<Box<str>>,
}

/// A row's valid ID number, for the check in `finish` that one person has one 学号. As with
/// [`Numbered`], valid rows keep only their index unless the students are streamed.
struct Identified {
    row: u64,
    student: Option<usize>,
    /// The ID number and the 学号 as shown, NUL between them (one allocation), of a row
    /// rejected for another field (or streamed).
    own: Option<Box<str>>,
}

/// Validates rows one by one (streaming) and checks 学号 and ID numbers across rows at the end.
pub struct Validator {
    map: ColumnMap,
    today: NaiveDate,
    lang: Lang,
    students: Vec<Student>,
    rejections: Vec<Rejection>,
    numbered: Vec<Numbered>,
    identified: Vec<Identified>,
    /// Rows that look like the footer, not yet known to be the last ones.
    pending_footer: Vec<RawRow>,
    data_rows: u64,
    /// Where valid students go, a batch at a time, instead of staying in `students`.
    stream: Option<StudentBatches>,
    /// Students already handed to `stream`.
    streamed: usize,
}

/// Takes the valid students of a streaming validator, a batch at a time, in file order.
pub type StudentBatches = Box<dyn FnMut(Vec<Student>) + Send>;

/// Students per batch handed to a stream.
const BATCH: usize = 2048;

impl Validator {
    /// A validator whose rejected rows' reasons are in `lang`.
    pub fn new(map: ColumnMap, lang: Lang) -> Validator {
        Validator::new_at(map, chrono::Local::now().date_naive(), lang)
    }

    /// As `new`, with the date that counts as today (birth dates in ID numbers are checked
    /// against it) and the language of the reasons.
    pub fn new_at(map: ColumnMap, today: NaiveDate, lang: Lang) -> Validator {
        Validator {
            map,
            today,
            lang,
            students: Vec::new(),
            rejections: Vec::new(),
            numbered: Vec::new(),
            identified: Vec::new(),
            pending_footer: Vec::new(),
            data_rows: 0,
            stream: None,
            streamed: 0,
        }
    }

    /// Hands valid students to `batches` as they are checked instead of keeping them, so a
    /// large roster can be stored while the rest of it is still being read. The outcome then
    /// holds no students, and its `duplicates` name the ones `batches` took that must be dropped.
    pub fn stream_to(&mut self, batches: StudentBatches) {
        self.stream = Some(batches);
    }

    fn flush(&mut self) {
        if let Some(stream) = self.stream.as_mut().filter(|_| !self.students.is_empty()) {
            let batch = std::mem::replace(&mut self.students, Vec::with_capacity(BATCH));
            self.streamed += batch.len();
            stream(batch);
        }
    }

    /// Makes room for about `rows` more rows, so a large roster is not copied each time the
    /// list of students outgrows its space (a reader that knows the file size estimates it).
    pub fn reserve(&mut self, rows: usize) {
        if self.stream.is_none() {
            self.students.reserve(rows);
        }
        self.numbered.reserve(rows);
        self.identified.reserve(rows);
    }

    /// Takes one row. Rows that look like a table's footer (合计…, 制表人…, 审核人…, 日期…) are
    /// held back: if only such rows (and blank ones) follow to the end, they are reported as the
    /// footer; if a student's row comes after them, they were not a footer and are checked as
    /// data rows.
    pub fn push(&mut self, raw: &RawRow) {
        // footers are a spreadsheet's; a database query's rows are all data
        if self.map.lettered && is_footer(raw) {
            if self.pending_footer.len() >= MAX_PENDING_FOOTER {
                let first = self.pending_footer.remove(0);
                self.check(&first);
            }
            self.pending_footer.push(raw.clone());
            return;
        }
        for held in std::mem::take(&mut self.pending_footer) {
            self.check(&held);
        }
        self.check(raw);
    }

    /// Checks one row. Rows whose roster columns are all empty are skipped silently (a template
    /// with a pre-filled 序号 column, blank lines between classes).
    fn check(&mut self, raw: &RawRow) {
        if self
            .map
            .mapped()
            .all(|(_, col)| cell_text(raw, col).is_empty() && flaw_at(raw, col).is_none())
        {
            return;
        }
        self.data_rows += 1;
        let lang = self.lang;
        let mut row = RowCheck {
            raw,
            map: &self.map,
            lang,
            problems: Vec::new(),
        };
        let student_no = row.take(Field::StudentNo, |t| student_no(t, lang));
        let name = row.take(Field::Name, |t| {
            crate::domain::validate_name(t).map_err(|e| e.message(lang))
        });
        let id_type = row.optional(Field::IdType, |t| id_type(t, lang));
        let id = match id_type {
            Ok(kind) => row.take(Field::IdNumber, |t| {
                match kind {
                    Some(kind) => IdNumber::parse_at(kind, t, self.today),
                    None => IdNumber::detect_at(t, self.today),
                }
                .map_err(|e| e.message(lang))
            }),
            // the number cannot be judged without its document type: only that is reported
            Err(()) => Err(()),
        };
        let college = row.take(Field::College, |t| plain_text(t, lang));
        let major = row.take(Field::Major, |t| plain_text(t, lang));
        let class = row.take(Field::Class, |t| plain_text(t, lang));
        let level = row.take(Field::Level, |t| level(t, lang));
        let counselor = row.take(Field::Counselor, |t| plain_text(t, lang));
        let cohort = row.take(Field::Cohort, |t| cohort(t, lang));
        let gender = row
            .optional(Field::Gender, |t| gender(t, lang))
            .map(Option::flatten);
        let phone = row.optional(Field::Phone, |t| phone(t, lang));

        let problems = std::mem::take(&mut row.problems);
        let keep_no = !problems.is_empty() || self.stream.is_some();
        let valid_no = student_no
            .as_ref()
            .ok()
            .filter(|_| keep_no)
            .map(|no| Box::<str>::from(no.as_str()));
        let shown_no = |student_no: &Result<String, ()>| match student_no {
            Ok(no) => no.clone(),
            Err(()) => crate::domain::text::strip_controls(cell_text(
                raw,
                self.map.column(Field::StudentNo).unwrap_or(usize::MAX),
            ))
            .into_owned(),
        };
        let has_no = student_no.is_ok();
        let own_id = id.as_ref().ok().filter(|_| keep_no).map(|id| {
            // the shown 学号 has no control characters: NUL cannot be in it
            let no = shown_no(&student_no);
            let mut both = String::with_capacity(id.value.len() + 1 + no.len());
            both.push_str(&id.value);
            both.push('\0');
            both.push_str(&no);
            both.into_boxed_str()
        });
        let has_id = id.is_ok();
        let mut index = None;
        if !problems.is_empty() {
            let shown = shown_no(&student_no);
            for (field, reason) in problems {
                let column = self
                    .map
                    .column(field)
                    .map(|c| self.map.column_name(c))
                    .unwrap_or_default();
                self.rejections.push(Rejection {
                    row: raw.row,
                    student_no: shown.clone(),
                    field,
                    column,
                    reason,
                });
            }
        } else if let (
            Ok(student_no),
            Ok(name),
            Ok(id),
            Ok(college),
            Ok(major),
            Ok(class),
            Ok(level),
            Ok(counselor),
            Ok(cohort),
            Ok(gender),
            Ok(phone),
        ) = (
            student_no, name, id, college, major, class, level, counselor, cohort, gender, phone,
        ) {
            self.students.push(Student {
                student_no,
                name,
                id_type: id.kind,
                id_number: id.value,
                college,
                major,
                class,
                level,
                counselor,
                cohort,
                gender,
                phone,
            });
            index = Some(self.streamed + self.students.len() - 1);
        }
        // Only valid 学号 are compared for duplicates: a malformed one has its own reason.
        if has_no {
            self.numbered.push(Numbered {
                row: raw.row,
                student: index,
                own: valid_no,
            });
        }
        if has_id {
            self.identified.push(Identified {
                row: raw.row,
                student: index,
                own: own_id,
            });
        }
        if self.students.len() >= BATCH {
            self.flush();
        }
    }

    /// Rejects every row of a 学号 that appears more than once, and every row of an ID number
    /// that appears under more than one 学号 (which of them is right cannot be guessed), and
    /// returns the outcome.
    pub fn finish(mut self) -> Outcome {
        let footer: Vec<FooterRow> = std::mem::take(&mut self.pending_footer)
            .iter()
            .map(FooterRow::of)
            .collect();
        self.flush();
        // the stream ends here: whoever takes it can go on while the duplicates are looked for
        self.stream = None;
        let col = self
            .map
            .column(Field::StudentNo)
            .map(|c| self.map.column_name(c))
            .unwrap_or_default();
        // Sorting references (stable, so rows stay in file order) finds duplicates without
        // copying every 学号 into a hash map.
        let mut entries: Vec<(&str, u64, Option<usize>)> = self
            .numbered
            .iter()
            .map(|n| (number_of(n, &self.students), n.row, n.student))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut dropped = vec![false; self.streamed + self.students.len()];
        let mut duplicates = Vec::new();
        for group in entries.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            for (_, _, student) in group {
                if let Some(i) = student {
                    dropped[*i] = true;
                }
            }
            duplicates.push((
                group[0].0.to_string(),
                group.iter().map(|e| e.1).collect::<Vec<u64>>(),
            ));
        }
        drop(entries);
        let mut duplicate_numbers: Vec<String> = duplicates
            .iter()
            .map(|(number, _)| number.clone())
            .collect();
        for (number, rows) in duplicates {
            let (first, later) = (rows[0], &rows[1..]);
            let later_text: Vec<String> = later.iter().map(u64::to_string).collect();
            self.rejections.push(Rejection {
                row: first,
                student_no: number.clone(),
                field: Field::StudentNo,
                column: col.clone(),
                reason: match self.lang {
                    Lang::Zh => format!(
                        "学号 {number} 在第 {} 行又出现；每个学号只能有一行，请删去多余的行",
                        later_text.join("、")
                    ),
                    Lang::En => format!(
                        "student number {number} appears again in row {}; keep one row per student",
                        later_text.join(", ")
                    ),
                },
            });
            for &row in later {
                self.rejections.push(Rejection {
                    row,
                    student_no: number.clone(),
                    field: Field::StudentNo,
                    column: col.clone(),
                    reason: match self.lang {
                        Lang::Zh => format!("学号 {number} 与第 {first} 行重复"),
                        Lang::En => {
                            format!("student number {number} already appears in row {first}")
                        }
                    },
                });
            }
        }
        // One person under several 学号: every such row is rejected, each naming the others, as
        // the photo named by the ID number could be any of them (see docs/roster.md).
        let id_col = self
            .map
            .column(Field::IdNumber)
            .map(|c| self.map.column_name(c))
            .unwrap_or_default();
        let mut ids: Vec<(&str, &str, u64, Option<usize>)> = self
            .identified
            .iter()
            .map(|n| {
                let (id, no) = identity_of(n, &self.students);
                (id, no, n.row, n.student)
            })
            .collect();
        ids.sort_by(|a, b| a.0.cmp(b.0));
        let mut shared_ids = Vec::new();
        for group in ids.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            // rows that only repeat one 学号 are that 学号's duplicates, reported above
            if group.iter().all(|e| e.1 == group[0].1) {
                continue;
            }
            for (_, no, _, student) in group {
                if let Some(i) = student {
                    dropped[*i] = true;
                    duplicate_numbers.push(no.to_string());
                }
            }
            let rows: Vec<(u64, String)> = group.iter().map(|e| (e.2, e.1.to_string())).collect();
            shared_ids.push((crate::domain::mask_id(group[0].0), rows));
        }
        drop(ids);
        for (masked, rows) in shared_ids {
            for (i, (row, no)) in rows.iter().enumerate() {
                let others: Vec<String> = rows
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (r, n))| match self.lang {
                        Lang::Zh => format!("第 {r} 行（学号 {n}）"),
                        Lang::En => format!("row {r} (student number {n})"),
                    })
                    .collect();
                self.rejections.push(Rejection {
                    row: *row,
                    student_no: no.clone(),
                    field: Field::IdNumber,
                    column: id_col.clone(),
                    reason: match self.lang {
                        Lang::Zh => format!(
                            "证件号码 {masked} 也在{}；同一个人只能有一个学号，请核对后只保留正确的一行",
                            others.join("、")
                        ),
                        Lang::En => format!(
                            "ID number {masked} is also in {}; one person has one student number: check them and keep the right row",
                            others.join(", ")
                        ),
                    },
                });
            }
        }
        if dropped.iter().any(|d| *d) {
            let mut keep = dropped[self.streamed..].iter().map(|d| !d);
            self.students.retain(|_| keep.next().unwrap_or(true));
        }
        self.rejections
            .sort_by(|a, b| a.row.cmp(&b.row).then(a.field.cmp(&b.field)));
        Outcome {
            students: self.students,
            rejections: self.rejections,
            data_rows: self.data_rows,
            header_row: self.map.header_row,
            duplicates: duplicate_numbers,
            footer,
        }
    }
}

fn identity_of<'a>(n: &'a Identified, students: &'a [Student]) -> (&'a str, &'a str) {
    match (&n.own, n.student.and_then(|i| students.get(i))) {
        (Some(both), _) => both.split_once('\0').unwrap_or((both, "")),
        (None, Some(s)) => (&s.id_number, &s.student_no),
        (None, None) => ("", ""),
    }
}

fn number_of<'a>(n: &'a Numbered, students: &'a [Student]) -> &'a str {
    match (&n.own, n.student) {
        (Some(own), _) => own,
        (None, Some(i)) => students.get(i).map_or("", |s| s.student_no.as_str()),
        (None, None) => "",
    }
}

/// One row being checked: collects a reason per faulty field.
struct RowCheck<'a> {
    raw: &'a RawRow,
    map: &'a ColumnMap,
    lang: Lang,
    problems: Vec<(Field, String)>,
}

impl RowCheck<'_> {
    /// A required field: its cell must be readable and pass `check`.
    fn take<T>(
        &mut self,
        field: Field,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ()> {
        let col = self.map.column(field).unwrap_or(usize::MAX);
        let outcome = self.readable(field, col, true).and_then(|text| {
            if text.is_empty() && field != Field::Name && field != Field::IdNumber {
                // name and ID number have their own, more specific "empty" messages
                Err(empty_reason(field, self.lang))
            } else {
                check(text)
            }
        });
        outcome.map_err(|reason| self.problems.push((field, reason)))
    }

    /// An optional field: a missing column or an empty cell is `None`.
    fn optional<T>(
        &mut self,
        field: Field,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ()> {
        let Some(col) = self.map.column(field) else {
            return Ok(None);
        };
        let outcome = self.readable(field, col, false).and_then(|text| {
            if text.is_empty() {
                Ok(None)
            } else {
                check(text).map(Some)
            }
        });
        outcome.map_err(|reason| self.problems.push((field, reason)))
    }

    /// The trimmed cell text, or why the cell cannot be used (a flaw left by the reader, a
    /// character that could not be decoded, a control character).
    fn readable(&self, field: Field, col: usize, required: bool) -> Result<&str, String> {
        let text = cell_text(self.raw, col);
        if let Some(flaw) = flaw_at(self.raw, col) {
            let refused = match flaw.kind {
                FlawKind::FormulaWithoutValue { .. } => required,
                // a date or a TRUE/FALSE is text enough for a cohort or a note, never a 学号
                FlawKind::NotText { .. } => field == Field::StudentNo,
                _ => true,
            };
            if refused {
                return Err(flaw_reason(flaw, self.raw.row, self.lang));
            }
        }
        if crate::domain::text::is_plain(text) {
            return Ok(text);
        }
        if let Some(at) = text.find('\u{FFFD}') {
            let pos = text[..at].chars().count() + 1;
            return Err(match self.lang {
                Lang::Zh => format!(
                    "第 {pos} 个字符无法识别（文件中有既非 UTF-8 也非 GBK 的字节）；请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后再导入"
                ),
                Lang::En => format!(
                    "character {pos} could not be read (the file has bytes that are neither UTF-8 nor GBK); save it again as \"CSV UTF-8\" or .xlsx and import again"
                ),
            });
        }
        // names report unwanted characters themselves, with the position in the name
        if field != Field::Name
            && let Some(refused) = crate::domain::text::first_unwanted_slow(text)
        {
            let what = match self.lang {
                Lang::Zh => field.label_zh(),
                Lang::En => field.code(),
            };
            return Err(refused.message(what, self.lang));
        }
        Ok(text)
    }
}

/// The cell's text without surrounding spaces (also full-width and non-breaking ones).
fn cell_text(raw: &RawRow, col: usize) -> &str {
    let Some(cell) = raw.cells.get(col) else {
        return "";
    };
    // a cell that begins and ends with a visible ASCII character (学号, ID numbers, years,
    // phones) has nothing to trim
    let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if visible(cell.as_bytes().first()) && visible(cell.as_bytes().last()) {
        return cell;
    }
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}')
}

fn flaw_at(raw: &RawRow, col: usize) -> Option<&CellFlaw> {
    raw.flaws.iter().find(|f| f.col == col)
}

fn flaw_reason(flaw: &CellFlaw, row: u64, lang: Lang) -> String {
    let cell = format!("{}{row}", column_letter(flaw.col));
    match (&flaw.kind, lang) {
        (FlawKind::LostDigits { shown }, Lang::Zh) => {
            format!(
                "单元格 {cell} 被 Excel 存成了数字（{shown}），末几位已丢失；请把该列设为“文本”格式后重新导出"
            )
        }
        (FlawKind::LostDigits { shown }, Lang::En) => {
            format!(
                "cell {cell} was stored by Excel as a number ({shown}), digits lost; format the column as Text and re-export"
            )
        }
        (FlawKind::FormulaWithoutValue { formula }, Lang::Zh) => format!(
            "单元格 {cell} 是公式（={formula}），文件中没有保存计算结果；请用 Excel 打开并保存后再导入，或把该列粘贴为数值"
        ),
        (FlawKind::FormulaWithoutValue { formula }, Lang::En) => format!(
            "cell {cell} holds a formula (={formula}) with no saved result; open the file in Excel and save it, or paste the column as values, then import again"
        ),
        (FlawKind::ExcelError { code }, Lang::Zh) => {
            format!("单元格 {cell} 是 Excel 错误值 {code}；请改正后再导入")
        }
        (FlawKind::ExcelError { code }, Lang::En) => {
            format!("cell {cell} holds the Excel error {code}; correct it and import again")
        }
        (FlawKind::NotText { kind, shown }, Lang::Zh) => format!(
            "单元格 {cell} 在 Excel 中是{}（{shown}），不是学号；请把该列设为“文本”格式，重新录入学号后再导入",
            kind.describe(true)
        ),
        (FlawKind::NotText { kind, shown }, Lang::En) => format!(
            "cell {cell} is {} in Excel ({shown}), not a student number; format the column as Text, enter the numbers again and import again",
            kind.describe(false)
        ),
        (FlawKind::NotUtf8, Lang::Zh) => format!(
            "单元格 {cell} 不是 UTF-8 编码，而文件的其余部分是（字节损坏，或这一行是从 GBK 文件粘贴来的）；请在 Excel 中把整个文件另存为“CSV UTF-8”后再导入"
        ),
        (FlawKind::NotUtf8, Lang::En) => format!(
            "cell {cell} is not UTF-8 while the rest of the file is (damaged bytes, or a row pasted in from a GBK file); save the whole file from Excel as \"CSV UTF-8\" and import again"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdType, Level};
    use crate::roster::header::map_columns;

    const HEADERS: [&str; 13] = [
        "学号",
        "姓名",
        "证件类型",
        "证件号码",
        "学院",
        "专业",
        "班级",
        "层次",
        "辅导员",
        "毕业年份",
        "性别",
        "手机",
        "备注",
    ];

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
    }

    fn validator() -> Validator {
        let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
        Validator::new_at(
            map_columns(&headers, 1, true).expect("header"),
            today(),
            Lang::En,
        )
    }

    fn id(seq: u32) -> String {
        let first17 = format!("44010620040315{:03}", seq % 1000);
        format!("{first17}{}", crate::domain::idnum::check_char(&first17))
    }

    fn good(no: &str) -> Vec<String> {
        let row = [
            no,
            "张三",
            "",
            // one ID number per 学号: the same person under two 学号 is refused
            &id(no.bytes().map(u32::from).sum::<u32>()),
            "计算机学院",
            "软件工程",
            "软工2201",
            "本科",
            "王老师",
            "2026",
            "女",
            "",
            "",
        ];
        row.iter().map(|c| c.to_string()).collect()
    }

    fn raw(row: u64, cells: Vec<String>) -> RawRow {
        RawRow {
            row,
            cells,
            flaws: Vec::new(),
        }
    }

    /// Validates one row with `field` set to `value`; returns the reasons given for that field.
    fn reasons(field: usize, value: &str) -> Vec<String> {
        let mut v = validator();
        let mut cells = good("2022001");
        cells[field] = value.to_string();
        v.push(&raw(2, cells));
        v.finish()
            .rejections
            .into_iter()
            .map(|r| r.reason)
            .collect()
    }

    #[test]
    fn a_good_row_becomes_a_student() {
        let mut v = validator();
        let mut cells = good("２０２２ａ01");
        cells[1] = "买买提•艾力".into();
        cells[3] = format!(" {} ", id(5).to_lowercase());
        cells[7] = "硕士".into();
        cells[9] = "2026届".into();
        cells[10] = "male".into();
        cells[11] = "138-0013-8000".into();
        v.push(&raw(3, cells));
        let out = v.finish();
        assert!(out.rejections.is_empty(), "{:?}", out.rejections);
        let s = &out.students[0];
        assert_eq!(s.student_no, "2022A01");
        assert_eq!(s.name, "买买提·艾力");
        assert_eq!(
            s.id_type,
            IdType::ResidentId,
            "detected from the number's shape"
        );
        assert_eq!(s.id_number, id(5).to_uppercase());
        assert_eq!(s.level, Level::Master);
        assert_eq!(s.cohort, 2026);
        assert_eq!(s.gender.as_deref(), Some("男"));
        assert_eq!(s.phone.as_deref(), Some("13800138000"));
    }

    #[test]
    fn every_rejection_reason() {
        // (column index, value, words the reason must contain) — English UI (the test default)
        let bad_check = {
            let mut s = id(7);
            let last = if s.ends_with('0') { "1" } else { "0" };
            s.replace_range(17.., last);
            s
        };
        let cases: Vec<(usize, String, &str)> = vec![
            (0, "".into(), "student_no is empty"),
            (0, "2022 001".into(), "' ', is not allowed"),
            (0, "2.02201E+09".into(), "scientific notation"),
            (0, "1".repeat(33), "at most 32"),
            (1, "".into(), "name is empty"),
            (1, "张\u{7}三".into(), "control character (U+0007)"),
            (
                1,
                "张\u{3164}".into(),
                "filler that draws as blank space (U+3164)",
            ),
            (1, "张".into(), "only one letter"),
            (1, "张".repeat(51), "at most 50"),
            (1, "张3".into(), "digit '3'"),
            (2, "驾驶证".into(), "unknown document type"),
            (3, "".into(), "ID number is empty"),
            (3, bad_check, "check character"),
            (3, "4.40106E+17".into(), "scientific notation"),
            (3, "#12-34".into(), "cannot tell which document"),
            (4, "".into(), "college is empty"),
            (4, "计算机\u{1b}[2J学院".into(), "U+001B"),
            (5, "软\u{202E}件".into(), "U+202E"),
            (6, "班".repeat(101), "at most 100"),
            (7, "".into(), "level is empty"),
            (7, "中专".into(), "unknown level '中专'"),
            (8, "".into(), "counselor is empty"),
            (9, "".into(), "cohort is empty"),
            (9, "26".into(), "four-digit graduation year"),
            (9, "2022级".into(), "year of enrolment"),
            (9, "3026".into(), "four-digit"),
            (10, "x".into(), "gender 'x'"),
            (11, "call me".into(), "not a phone number"),
            (11, "1.38001E+10".into(), "scientific notation"),
            (3, "4401062004031\u{FFFD}001".into(), "could not be read"),
            // one of each kind the byte check before the closer look must not let through
            (6, "软工\u{85}2201".into(), "U+0085"),
            (6, "软工\u{7F}".into(), "U+007F"),
            (8, "王\u{200B}老师".into(), "U+200B"),
            (8, "王\u{2066}老师".into(), "U+2066"),
            (5, "软件\u{FEFF}工程".into(), "U+FEFF"),
            (5, "软件工程\u{FFFD}".into(), "could not be read"),
            // invisible and format characters in every text field, with field and code point
            (0, "2022\u{200B}001".into(), "U+200B"),
            (
                2,
                "身份证\u{200D}".into(),
                "character 4 of the id_type is an invisible format character (U+200D)",
            ),
            (
                3,
                format!("{}\u{2060}", id(3)),
                "character 19 of the id_number is an invisible format character (U+2060)",
            ),
            (
                4,
                "计算机\u{E0041}学院".into(),
                "character 4 of the college is an invisible tag character (U+E0041)",
            ),
            (
                5,
                "软件\u{E000}工程".into(),
                "character 3 of the major is a private-use character",
            ),
            (
                6,
                "软工\u{2028}2201".into(),
                "character 3 of the class is a line or paragraph separator (U+2028)",
            ),
            (
                7,
                "本科\u{FFA0}".into(),
                "character 3 of the level is a filler that draws as blank space (U+FFA0)",
            ),
            (
                8,
                "\u{3164}王老师".into(),
                "character 1 of the counselor is a filler that draws as blank space (U+3164)",
            ),
            (
                8,
                "王\u{0378}".into(),
                "character 2 of the counselor is a code point Unicode has not assigned (U+0378)",
            ),
            (
                8,
                "Zo\u{301}\u{302}\u{303}e".into(),
                "character 5 of the counselor is a third combining mark on one letter (U+0303)",
            ),
            (9, "2026\u{115F}".into(), "U+115F"),
            (
                10,
                "女\u{180E}".into(),
                "character 2 of the gender is an invisible format character (U+180E)",
            ),
            (11, "138\u{2800}00138000".into(), "U+2800"),
        ];
        for (col, value, want) in cases {
            let got = reasons(col, &value);
            assert_eq!(got.len(), 1, "{col} {value:?}: {got:?}");
            assert!(
                got[0].contains(want),
                "{col} {value:?}: {} (wanted {want:?})",
                got[0]
            );
        }
    }

    #[test]
    fn accepted_spellings() {
        let cases: Vec<(usize, &str)> = vec![
            (9, "2026"),
            (9, "2026年"),
            (9, "2026-06-30"),
            (9, "2026/6"),
            (9, "２０２６"),
            (10, "女"),
            (10, "F"),
            (10, "2"),
            (10, "未知"),
            (10, ""),
            (11, ""),
            (11, "+86 138 0013 8000"),
            (2, "身份证"),
            (2, "resident_id"),
            (7, "大专"),
            (7, "Doctor"),
            (0, "'2022001"),
        ];
        for (col, value) in cases {
            assert_eq!(reasons(col, value), Vec::<String>::new(), "{col} {value:?}");
        }
    }

    #[test]
    fn a_row_reports_every_faulty_field_once() {
        let mut v = validator();
        let mut cells = good("2022001");
        cells[1] = String::new();
        cells[7] = "中专".into();
        cells[9] = "soon".into();
        v.push(&raw(7, cells));
        let out = v.finish();
        let fields: Vec<Field> = out.rejections.iter().map(|r| r.field).collect();
        assert_eq!(fields, vec![Field::Name, Field::Level, Field::Cohort]);
        assert!(
            out.rejections
                .iter()
                .all(|r| r.row == 7 && r.student_no == "2022001")
        );
        assert_eq!(out.rejections[1].column, "H");
        assert!(out.students.is_empty());
        assert_eq!(out.rejected_rows(), 1);
    }

    #[test]
    fn duplicate_student_numbers_reject_every_copy() {
        let mut v = validator();
        v.push(&raw(3, good("2022001")));
        v.push(&raw(4, good("2022002")));
        v.push(&raw(5, good("2022001")));
        let mut bad = good("2022001");
        bad[7] = "中专".into();
        v.push(&raw(9, bad));
        v.push(&raw(10, good("2022003")));
        let out = v.finish();
        let kept: Vec<&str> = out.students.iter().map(|s| s.student_no.as_str()).collect();
        assert_eq!(kept, ["2022002", "2022003"]);
        let got: Vec<(u64, &str)> = out
            .rejections
            .iter()
            .map(|r| (r.row, r.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    3,
                    "student number 2022001 appears again in row 5, 9; keep one row per student"
                ),
                (5, "student number 2022001 already appears in row 3"),
                (9, "student number 2022001 already appears in row 3"),
                (
                    9,
                    "unknown level '中专'; use associate, bachelor, master or doctor (专科, 本科, 硕士研究生, 博士研究生)"
                ),
            ]
        );
    }

    #[test]
    fn one_id_number_under_several_student_numbers_rejects_every_row() {
        for stream in [false, true] {
            let mut v = validator();
            let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            if stream {
                let sink = taken.clone();
                v.stream_to(Box::new(move |batch: Vec<Student>| {
                    sink.lock()
                        .unwrap()
                        .extend(batch.into_iter().map(|s| s.student_no));
                }));
            }
            let shared = id(501);
            let mut first = good("2022001");
            first[3] = shared.clone();
            let mut second = good("2022002");
            second[3] = shared.to_lowercase(); // the same number, its X in lower case or not
            let mut third = good("2022005");
            third[3] = shared.clone();
            third[7] = "中专".into(); // rejected for another field too
            v.push(&raw(3, first));
            v.push(&raw(4, good("2022003")));
            v.push(&raw(6, second));
            v.push(&raw(8, third));
            // the same 学号 twice with one ID number is a duplicate 学号, reported once
            v.push(&raw(9, good("2022004")));
            v.push(&raw(10, good("2022004")));
            let out = v.finish();
            let mut kept: Vec<String> = if stream {
                taken.lock().unwrap().clone()
            } else {
                out.students.iter().map(|s| s.student_no.clone()).collect()
            };
            kept.retain(|no| !out.duplicates.contains(no));
            assert_eq!(kept, ["2022003"], "stream: {stream}");
            let masked = crate::domain::mask_id(&shared);
            let got: Vec<(u64, Field, String)> = out
                .rejections
                .iter()
                .map(|r| (r.row, r.field, r.reason.clone()))
                .collect();
            let also = |rows: &str| {
                format!(
                    "ID number {masked} is also in {rows}; one person has one student number: check them and keep the right row"
                )
            };
            assert_eq!(
                got,
                vec![
                    (
                        3,
                        Field::IdNumber,
                        also("row 6 (student number 2022002), row 8 (student number 2022005)")
                    ),
                    (
                        6,
                        Field::IdNumber,
                        also("row 3 (student number 2022001), row 8 (student number 2022005)")
                    ),
                    (
                        8,
                        Field::IdNumber,
                        also("row 3 (student number 2022001), row 6 (student number 2022002)")
                    ),
                    (8, Field::Level, "unknown level '中专'; use associate, bachelor, master or doctor (专科, 本科, 硕士研究生, 博士研究生)".into()),
                    (9, Field::StudentNo, "student number 2022004 appears again in row 10; keep one row per student".into()),
                    (10, Field::StudentNo, "student number 2022004 already appears in row 9".into()),
                ],
                "stream: {stream}"
            );
            assert!(
                got.iter().all(|(_, _, reason)| !reason.contains(&shared)),
                "the full ID number never shows"
            );
        }
    }

    #[test]
    fn footer_rows_after_the_data_are_skipped_and_reported() {
        let cells = |texts: &[&str]| texts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let mut v = validator();
        v.push(&raw(3, good("2022001")));
        // a footer-looking row with a student after it was not the footer
        v.push(&raw(4, cells(&["小计：1人"])));
        v.push(&raw(5, good("2022002")));
        v.push(&raw(7, cells(&["合计：", "", "2人"])));
        v.push(&raw(8, cells(&["制 表 人：王老师", "", "审核人：李主任"])));
        v.push(&raw(9, cells(&["", "日期：2026年3月1日"])));
        v.push(&raw(10, cells(&["Prepared by: Office"])));
        let out = v.finish();
        assert_eq!(out.students.len(), 2);
        assert_eq!(out.data_rows, 3, "rows 3, 4 and 5");
        let rejected: Vec<u64> = out.rejections.iter().map(|r| r.row).collect();
        assert!(rejected.iter().all(|&r| r == 4), "{:?}", out.rejections);
        assert!(!rejected.is_empty());
        let footer: Vec<(u64, &str)> = out
            .footer
            .iter()
            .map(|f| (f.row, f.text.as_str()))
            .collect();
        assert_eq!(
            footer,
            [
                (7, "合计： 2人"),
                (8, "制 表 人：王老师 审核人：李主任"),
                (9, "日期：2026年3月1日"),
                (10, "Prepared by: Office"),
            ]
        );
    }

    #[test]
    fn blank_rows_and_unmapped_cells_are_not_students() {
        let mut v = validator();
        let mut only_note = vec![String::new(); 13];
        only_note[12] = "序号 7".into();
        v.push(&raw(3, only_note));
        v.push(&raw(4, vec!["  ".into(), "\u{3000}".into()]));
        let out = v.finish();
        assert_eq!(out.data_rows, 0);
        assert!(out.rejections.is_empty());
    }

    #[test]
    fn reader_flaws_name_the_cell() {
        let cases = [
            (
                0,
                FlawKind::LostDigits {
                    shown: "2.02201000000001E+15".into(),
                },
                "cell A6 was stored by Excel as a number",
            ),
            (
                3,
                FlawKind::FormulaWithoutValue {
                    formula: "A6&B6".into(),
                },
                "cell D6 holds a formula (=A6&B6) with no saved result",
            ),
            (
                4,
                FlawKind::ExcelError {
                    code: "#N/A".into(),
                },
                "cell E6 holds the Excel error #N/A",
            ),
        ];
        for (col, kind, want) in cases {
            let mut v = validator();
            let mut cells = good("2022001");
            cells[col] = String::new();
            v.push(&RawRow {
                row: 6,
                cells,
                flaws: vec![CellFlaw { col, kind }],
            });
            let out = v.finish();
            assert_eq!(out.rejections.len(), 1, "{:?}", out.rejections);
            assert!(
                out.rejections[0].reason.contains(want),
                "{}",
                out.rejections[0].reason
            );
        }
        // a formula without a saved result in an optional column leaves it empty
        let mut v = validator();
        let mut cells = good("2022001");
        cells[11] = String::new();
        v.push(&RawRow {
            row: 6,
            cells,
            flaws: vec![CellFlaw {
                col: 11,
                kind: FlawKind::FormulaWithoutValue {
                    formula: "X6".into(),
                },
            }],
        });
        let out = v.finish();
        assert!(out.rejections.is_empty());
        assert_eq!(out.students[0].phone, None);
    }
}
