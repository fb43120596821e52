//! Finding the header row and mapping its columns to roster fields.
//!
//! Rosters come from many offices: headers in Chinese or English, in any order, with the
//! synonyms each office prefers (身份证号 / 证件号码 / id_number), often below a title row such as
//! "2026届毕业生名单", sometimes marked `*学号` or `证件号码（必填）`, and — from school databases —
//! as pinyin initials (`xh`, `xm`, `sfzh`).

use super::RawRow;

/// The roster fields of docs/roster.md, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    StudentNo,
    Name,
    IdType,
    IdNumber,
    College,
    Major,
    Class,
    Level,
    Counselor,
    Cohort,
    Gender,
    Phone,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::StudentNo,
        Field::Name,
        Field::IdType,
        Field::IdNumber,
        Field::College,
        Field::Major,
        Field::Class,
        Field::Level,
        Field::Counselor,
        Field::Cohort,
        Field::Gender,
        Field::Phone,
    ];

    /// Stable key used in JSON output.
    pub fn code(self) -> &'static str {
        match self {
            Field::StudentNo => "student_no",
            Field::Name => "name",
            Field::IdType => "id_type",
            Field::IdNumber => "id_number",
            Field::College => "college",
            Field::Major => "major",
            Field::Class => "class",
            Field::Level => "level",
            Field::Counselor => "counselor",
            Field::Cohort => "cohort",
            Field::Gender => "gender",
            Field::Phone => "phone",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Field::StudentNo => "学号",
            Field::Name => "姓名",
            Field::IdType => "证件类型",
            Field::IdNumber => "证件号码",
            Field::College => "学院",
            Field::Major => "专业",
            Field::Class => "班级",
            Field::Level => "层次",
            Field::Counselor => "辅导员",
            Field::Cohort => "毕业年份",
            Field::Gender => "性别",
            Field::Phone => "手机号",
        }
    }

    /// Required columns; 证件类型 is optional (the document is then told from the number's shape),
    /// and so are gender and phone.
    pub fn required(self) -> bool {
        !matches!(self, Field::IdType | Field::Gender | Field::Phone)
    }

    /// Header texts accepted for the field, already in the form `normalise_header` produces.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::StudentNo => &[
                "学号",
                "学生学号",
                "学生编号",
                "studentno",
                "studentid",
                "studentnumber",
                "stuno",
                "xh",
            ],
            Field::Name => &["姓名", "学生姓名", "name", "studentname", "fullname", "xm"],
            Field::IdType => &["证件类型", "身份证件类型", "idtype", "documenttype", "zjlx"],
            Field::IdNumber => &[
                "证件号码",
                "证件号",
                "证件编号",
                "身份证号",
                "身份证号码",
                "身份证件号",
                "身份证件号码",
                "idnumber",
                "idno",
                "idcard",
                "idcardno",
                "idcardnumber",
                "documentnumber",
                "zjhm",
                "sfzh",
                "sfzjh",
            ],
            Field::College => &[
                "学院",
                "院系",
                "学院名称",
                "院系名称",
                "所在学院",
                "所在院系",
                "二级学院",
                "college",
                "department",
                "faculty",
                "xy",
                "yx",
            ],
            Field::Major => &["专业", "专业名称", "所学专业", "major", "zy"],
            Field::Class => &[
                "班级",
                "班级名称",
                "行政班",
                "行政班级",
                "class",
                "classname",
                "bj",
            ],
            Field::Level => &[
                "层次",
                "培养层次",
                "学历层次",
                "学生层次",
                "学历",
                "level",
                "educationlevel",
                "degreelevel",
                "cc",
                "pycc",
            ],
            Field::Counselor => &[
                "辅导员",
                "辅导员姓名",
                "counselor",
                "counsellor",
                "advisor",
                "fdy",
            ],
            Field::Cohort => &[
                "毕业年份",
                "届别",
                "毕业届别",
                "届",
                "毕业届",
                "毕业年度",
                "毕业时间",
                "毕业日期",
                "预计毕业时间",
                "cohort",
                "graduationyear",
                "gradyear",
                "bynf",
                "jb",
            ],
            Field::Gender => &["性别", "gender", "sex", "xb"],
            Field::Phone => &[
                "手机",
                "手机号",
                "手机号码",
                "联系电话",
                "联系方式",
                "电话",
                "电话号码",
                "phone",
                "mobile",
                "telephone",
                "phonenumber",
                "sjh",
                "lxdh",
            ],
        }
    }
}

/// The field a header text names, if any.
pub fn field_of(header: &str) -> Option<Field> {
    let key = normalise_header(header);
    if key.is_empty() {
        return None;
    }
    Field::ALL
        .into_iter()
        .find(|f| f.synonyms().contains(&key.as_str()))
}

/// Lower-cases ASCII, maps full-width forms to ASCII, drops spaces, `_ - . * :` and a trailing
/// note in brackets (`证件号码（必填）`, `学号[required]`).
fn normalise_header(raw: &str) -> String {
    let mut text: String = raw
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '_' | '-' | '.' | '*' | ':' | '\u{200B}' | '\u{FEFF}')
        })
        .collect::<String>()
        .to_ascii_lowercase();
    for (open, close) in [('(', ')'), ('[', ']'), ('【', '】'), ('〔', '〕')] {
        if text.ends_with(close)
            && let Some(at) = text.rfind(open).filter(|&at| at > 0)
        {
            text.truncate(at);
        }
    }
    text
}

/// Excel's name for a 0-based column: A … Z, AA … .
pub fn column_letter(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Where each field is, and how to name a column to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// Column index per field, indexed by `Field as usize`.
    columns: [Option<usize>; 12],
    /// The header texts as written, to name columns in messages.
    pub headers: Vec<String>,
    /// The header's row number (Excel's, from 1); 0 when the columns came from a database query.
    pub header_row: u64,
    /// Whether columns have Excel letters (files) or only names (a database query).
    pub lettered: bool,
}

impl ColumnMap {
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns[field as usize]
    }

    /// The column as the user sees it: `D` in a spreadsheet, its name in a query.
    pub fn column_name(&self, col: usize) -> String {
        if self.lettered {
            column_letter(col)
        } else {
            self.headers.get(col).cloned().unwrap_or_default()
        }
    }

    /// Mapped columns, in column order.
    pub fn mapped(&self) -> impl Iterator<Item = (Field, usize)> + '_ {
        Field::ALL
            .into_iter()
            .filter_map(|f| self.column(f).map(|c| (f, c)))
    }
}

/// Why the columns could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// No row among the first ones looked at names at least two roster columns.
    NotFound { searched: usize },
    /// Required columns missing from the header row.
    Missing {
        header_row: u64,
        missing: Vec<Field>,
    },
    /// Two columns name the same field (`学院` and `院系`).
    Duplicate {
        header_row: u64,
        field: Field,
        first: String,
        second: String,
    },
}

/// Maps one header row. Unknown columns (序号, 备注 …) are ignored.
pub fn map_columns(
    cells: &[String],
    header_row: u64,
    lettered: bool,
) -> Result<ColumnMap, HeaderProblem> {
    let mut map = ColumnMap {
        columns: [None; 12],
        headers: cells.to_vec(),
        header_row,
        lettered,
    };
    for (col, text) in cells.iter().enumerate() {
        let Some(field) = field_of(text) else {
            continue;
        };
        if let Some(first) = map.columns[field as usize] {
            let show = |c: usize| {
                let name = cells[c].trim();
                if lettered {
                    format!("{} ({name})", column_letter(c))
                } else {
                    name.to_string()
                }
            };
            return Err(HeaderProblem::Duplicate {
                header_row,
                field,
                first: show(first),
                second: show(col),
            });
        }
        map.columns[field as usize] = Some(col);
    }
    let missing: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| f.required() && map.column(*f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(HeaderProblem::Missing {
            header_row,
            missing,
        });
    }
    Ok(map)
}

/// Picks the header among the first non-empty rows of a file: the row naming the most roster
/// fields (the earliest on a tie), so title rows above it are skipped. Returns its index in `rows`.
pub fn find_header(rows: &[RawRow]) -> Result<(usize, ColumnMap), HeaderProblem> {
    let recognised = |row: &RawRow| row.cells.iter().filter(|c| field_of(c).is_some()).count();
    let best = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (recognised(r), i))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    match best {
        Some((count, i)) if count >= 2 => {
            let row = &rows[i];
            map_columns(&row.cells, row.row, true).map(|m| (i, m))
        }
        _ => Err(HeaderProblem::NotFound {
            searched: rows.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u64, cells: &[&str]) -> RawRow {
        RawRow {
            row: n,
            cells: cells.iter().map(|c| c.to_string()).collect(),
            flaws: Vec::new(),
        }
    }

    #[test]
    fn synonyms_in_both_languages() {
        let cases = [
            ("学号", Some(Field::StudentNo)),
            ("*学号", Some(Field::StudentNo)),
            (" Student ID ", Some(Field::StudentNo)),
            ("student_no", Some(Field::StudentNo)),
            ("ＳＴＵＤＥＮＴ＿ＮＯ", Some(Field::StudentNo)),
            ("身份证号", Some(Field::IdNumber)),
            ("身份证号码", Some(Field::IdNumber)),
            ("证件号码（必填）", Some(Field::IdNumber)),
            ("ID Number", Some(Field::IdNumber)),
            ("sfzh", Some(Field::IdNumber)),
            ("院系", Some(Field::College)),
            ("College", Some(Field::College)),
            ("培养层次", Some(Field::Level)),
            ("学历层次", Some(Field::Level)),
            ("届别", Some(Field::Cohort)),
            ("毕业届别", Some(Field::Cohort)),
            ("毕业时间", Some(Field::Cohort)),
            ("毕业日期", Some(Field::Cohort)),
            ("graduation_year", Some(Field::Cohort)),
            ("联系电话", Some(Field::Phone)),
            ("性别", Some(Field::Gender)),
            ("班 级", Some(Field::Class)),
            ("序号", None),
            ("备注", None),
            ("", None),
            ("2026届毕业生名单", None),
            ("(学号)", None),
        ];
        for (text, want) in cases {
            assert_eq!(field_of(text), want, "{text:?}");
        }
    }

    #[test]
    fn every_field_has_a_chinese_and_an_english_header() {
        for f in Field::ALL {
            assert_eq!(field_of(f.label_zh()), Some(f), "{f:?}");
            assert_eq!(field_of(f.code()), Some(f), "{f:?}");
        }
    }

    #[test]
    fn column_letters_match_excel() {
        for (col, want) in [
            (0, "A"),
            (3, "D"),
            (25, "Z"),
            (26, "AA"),
            (51, "AZ"),
            (52, "BA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16383, "XFD"),
        ] {
            assert_eq!(column_letter(col), want);
        }
    }

    const FULL: [&str; 11] = [
        "序号",
        "学号",
        "姓名",
        "身份证号",
        "院系",
        "专业",
        "班级",
        "培养层次",
        "辅导员",
        "届别",
        "备注",
    ];

    #[test]
    fn header_below_title_rows_is_found() {
        let rows = vec![
            row(1, &["2026届毕业生图像采集名单"]),
            row(2, &["制表：教务处", "", "日期：2026-03-01"]),
            row(4, &FULL),
            row(5, &["1", "2022001", "张三"]),
        ];
        let (index, map) = find_header(&rows).unwrap();
        assert_eq!(index, 2);
        assert_eq!(map.header_row, 4);
        assert_eq!(map.column(Field::StudentNo), Some(1));
        assert_eq!(map.column(Field::IdNumber), Some(3));
        assert_eq!(map.column(Field::Cohort), Some(9));
        assert_eq!(map.column(Field::IdType), None);
        assert_eq!(map.column_name(3), "D");
    }

    #[test]
    fn every_missing_required_column_is_named() {
        let rows = vec![row(1, &["学号", "姓名", "班级"])];
        let err = find_header(&rows).unwrap_err();
        assert_eq!(
            err,
            HeaderProblem::Missing {
                header_row: 1,
                missing: vec![
                    Field::IdNumber,
                    Field::College,
                    Field::Major,
                    Field::Level,
                    Field::Counselor,
                    Field::Cohort
                ],
            }
        );
    }

    #[test]
    fn duplicate_columns_name_both() {
        let mut cells: Vec<&str> = FULL.to_vec();
        cells.push("学院");
        let err = find_header(&[row(1, &cells)]).unwrap_err();
        assert_eq!(
            err,
            HeaderProblem::Duplicate {
                header_row: 1,
                field: Field::College,
                first: "E (院系)".into(),
                second: "L (学院)".into()
            }
        );
        let err = map_columns(&["xh".into(), "学号".into()], 0, false).unwrap_err();
        assert!(
            matches!(err, HeaderProblem::Duplicate { ref first, ref second, .. } if first == "xh" && second == "学号"),
            "{err:?}"
        );
    }

    #[test]
    fn no_header_among_data() {
        let rows = vec![
            row(1, &["2022001", "张三", "本科"]),
            row(2, &["2022002", "李四", "本科"]),
        ];
        assert_eq!(
            find_header(&rows).unwrap_err(),
            HeaderProblem::NotFound { searched: 2 }
        );
    }
}
