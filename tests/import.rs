//! `caiji import` and `caiji roster sync`, the whole program: fixtures are built in code (GBK bytes,
//! XLSX workbooks, title rows, synonyms, every rejection reason), written to temporary files and
//! imported by the built binary into SQLite, and into PostgreSQL and MariaDB when their test URLs
//! are set.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use caiji::store::{self, Create};
use common::{TestDb, resident_id, resident_id_of};
use rust_xlsxwriter::{Formula, Workbook};
use serde_json::Value;

// ---------- running the binary ----------

fn caiji(home: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caiji"));
    if let Some(url) = url {
        cmd.args(["--database-url", url]);
    }
    cmd.args(args)
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("CAIJI_OPERATOR", "tester")
        .output()
        .expect("run caiji")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs an import or sync with `--format json` and returns the exit code and the summary.
fn json_run(home: &Path, url: Option<&str>, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = caiji(home, url, &all);
    let code = out.status.code().unwrap_or(-1);
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    (code, summary)
}

/// The four counts of a summary.
fn counts(summary: &Value) -> [u64; 4] {
    ["inserted", "updated", "unchanged", "withdrawn"].map(|k| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {summary}"))
    })
}

/// (row, field) of each rejection.
fn rejected(summary: &Value) -> Vec<(u64, String)> {
    summary["rejected"]
        .as_array()
        .expect("rejected array")
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().expect("row"),
                r["field"].as_str().expect("field").to_string(),
            )
        })
        .collect()
}

/// Every student, withdrawn included, with full ID numbers.
fn students(home: &Path, url: Option<&str>) -> Vec<Value> {
    let out = caiji(
        home,
        url,
        &[
            "students",
            "list",
            "--include-withdrawn",
            "--reveal-id",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("students JSON")
}

fn field<'a>(list: &'a [Value], no: &str, key: &str) -> &'a Value {
    let s = list
        .iter()
        .find(|s| s["student_no"] == no)
        .unwrap_or_else(|| panic!("student {no} missing"));
    &s[key]
}

/// Asserts a failure that changed nothing: exit 1, one line naming the problem.
fn assert_refused(out: &Output, words: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit status; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in words {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
}

// ---------- fixtures ----------

const HEADER: [&str; 9] = [
    "学号",
    "姓名",
    "证件号码",
    "学院",
    "专业",
    "班级",
    "层次",
    "辅导员",
    "毕业年份",
];

/// A valid roster row: 学号, 姓名, 证件号码, 学院, 专业, 班级, 层次, 辅导员, 毕业年份.
fn row(no: u32, name: &str) -> Vec<String> {
    let id = resident_id_of(no);
    let class = format!("软工22{:02}", no % 3 + 1);
    [
        &no.to_string(),
        name,
        &id,
        "计算机学院",
        "软件工程",
        &class,
        "本科",
        "王老师",
        "2026",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn roster(names: &[&str]) -> Vec<Vec<String>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| row(2022001 + i as u32, n))
        .collect()
}

/// CSV text, quoting cells that need it (shared with the fuzz seed corpora).
use caiji::fuzzing::seeds::csv_text;

fn with_header(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.insert(0, HEADER.iter().map(|s| s.to_string()).collect());
    rows
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

enum Cell {
    Text(&'static str),
    Owned(String),
    Number(f64),
    /// A formula and its cached result (`None`: saved without a result).
    Formula(&'static str, Option<&'static str>),
}

/// Writes an .xlsx workbook; each sheet is a name and rows of cells.
fn write_xlsx(path: &Path, sheets: Vec<(&str, Vec<Vec<Cell>>)>) {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).expect("sheet name");
        // as a program that does not calculate formulas saves them: no cached result
        sheet.set_formula_result_default("");
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(t) => sheet.write_string(r, c, *t).map(|_| ()),
                    Cell::Owned(t) => sheet.write_string(r, c, t).map(|_| ()),
                    Cell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    Cell::Formula(f, Some(result)) => sheet
                        .write_formula(r, c, Formula::new(*f).set_result(*result))
                        .map(|_| ()),
                    Cell::Formula(f, None) => {
                        sheet.write_formula(r, c, Formula::new(*f)).map(|_| ())
                    }
                }
                .expect("write cell");
            }
        }
    }
    book.save(path).expect("save workbook");
}

/// A first-generation 15-digit resident ID as it is stored: century inserted, check appended.
fn eighteen(old: &str) -> String {
    let first17 = format!("{}19{}", &old[..6], &old[6..]);
    format!("{first17}{}", caiji::domain::idnum::check_char(&first17))
}

fn text_cells(r: &[String]) -> Vec<Cell> {
    r.iter().map(|c| Cell::Owned(c.clone())).collect()
}

// ---------- encodings and formats ----------

const NAMES: [&str; 5] = [
    "张三",
    "欧阳娜娜",
    "买买提·艾力",
    "John Smith",
    "阿卜杜热合曼·麦麦提",
];

#[test]
fn every_encoding_and_format_imports_the_same_roster() {
    let dir = tempfile::tempdir().unwrap();
    let rows = with_header(roster(&NAMES));
    let utf8 = csv_text(&rows, ',', "\n");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv_text(&rows, ',', "\r\n").as_bytes());
    let gbk = encoding_rs::GBK
        .encode(&csv_text(&rows, ',', "\r\n"))
        .0
        .into_owned();
    let mut with_rare = rows.clone();
    with_rare.push(row(2022099, "李𠮷"));
    let gb18030 = encoding_rs::GB18030
        .encode(&csv_text(&with_rare, ',', "\r\n"))
        .0
        .into_owned();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        csv_text(&rows, '\t', "\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let xlsx = dir.path().join("名单.xlsx");
    write_xlsx(
        &xlsx,
        vec![("Sheet1", rows.iter().map(|r| text_cells(r)).collect())],
    );

    let cases: Vec<(&str, PathBuf, usize)> = vec![
        ("utf-8", write(dir.path(), "utf8.csv", utf8.as_bytes()), 5),
        (
            "utf-8 with BOM, CRLF",
            write(dir.path(), "bom.csv", &bom),
            5,
        ),
        (
            "GBK as Chinese Excel saves it",
            write(dir.path(), "gbk.csv", &gbk),
            5,
        ),
        (
            "GB18030 with a character outside GBK",
            write(dir.path(), "gb18030.csv", &gb18030),
            6,
        ),
        (
            "UTF-16 tab-separated (Excel's Unicode text)",
            write(dir.path(), "unicode.csv", &utf16),
            5,
        ),
        ("xlsx", xlsx, 5),
        (
            "xlsx named .csv: judged by content",
            write(
                dir.path(),
                "really-xlsx.csv",
                &std::fs::read(dir.path().join("名单.xlsx")).unwrap(),
            ),
            5,
        ),
    ];
    for (what, path, n) in cases {
        let home = tempfile::tempdir().unwrap();
        let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
        assert_eq!(
            (code, counts(&summary)),
            (0, [n as u64, 0, 0, 0]),
            "{what}: {summary}"
        );
        let list = students(home.path(), None);
        for (i, name) in NAMES.iter().enumerate() {
            let no = (2022001 + i).to_string();
            assert_eq!(field(&list, &no, "name"), name, "{what}");
            assert_eq!(field(&list, &no, "college"), "计算机学院", "{what}");
        }
        if n == 6 {
            assert_eq!(field(&list, "2022099", "name"), "李𠮷", "{what}");
        }
    }
}

/// UTF-16 without a byte-order mark (what some exporters write, and what an editor that drops the
/// BOM leaves) is recognised by where its NUL bytes fall, in either byte order.
#[test]
fn utf16_without_bom_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let text = csv_text(&with_header(roster(&NAMES)), '\t', "\r\n");
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (name, bytes) in [("le.txt", le), ("be.txt", be)] {
        let path = write(dir.path(), name, &bytes);
        let home = tempfile::tempdir().unwrap();
        let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
        assert_eq!(
            (code, counts(&summary)),
            (0, [5, 0, 0, 0]),
            "{name}: {summary}"
        );
        let list = students(home.path(), None);
        assert_eq!(field(&list, "2022002", "name"), "欧阳娜娜", "{name}");
    }
}

/// A UTF-8 roster with one row pasted in from a GBK file: the file is still read as UTF-8 and
/// that row is rejected naming its cells, instead of the whole file being taken for GBK (which
/// turned the UTF-8 header into nonsense: "no header row").
#[test]
fn a_utf8_file_with_one_gbk_row_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let rows = with_header(roster(&NAMES));
    let mut bytes = csv_text(&rows[..3], ',', "\n").into_bytes();
    bytes.extend(
        encoding_rs::GBK
            .encode(&csv_text(&[row(2022077, "李四")], ',', "\n"))
            .0
            .iter(),
    );
    bytes.extend(csv_text(&rows[3..], ',', "\n").as_bytes());
    let path = write(dir.path(), "pasted.csv", &bytes);
    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
    assert_eq!((code, counts(&summary)), (3, [5, 0, 0, 0]), "{summary}");
    let reasons = summary["rejected"].as_array().unwrap();
    assert!(!reasons.is_empty(), "{summary}");
    for r in reasons {
        assert_eq!(r["row"], 4, "{summary}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("is not UTF-8 while the rest of the file is"),
            "{r}"
        );
    }
    assert_eq!(
        reasons[0]["reason"].as_str().unwrap().split(' ').nth(1),
        Some("B4"),
        "the name cell is named first: {summary}"
    );
}

/// A file whose first rows are plain ASCII is taken for UTF-8 from its start and read at once; a
/// GBK row further on sends it back to be read again as GBK, whether it is the first import into
/// a new database (its first rows already stored, in a transaction that is rolled back) or not.
#[test]
fn a_roster_that_turns_gbk_after_its_first_rows_is_read_as_gbk() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        "student_no,name,id_number,college,major,class,level,counselor,cohort\n".to_string();
    for i in 0..400u32 {
        let no = 2_022_100 + i;
        let id = resident_id_of(no);
        text += &format!("{no},John Smith,{id},Computing,Software,SE01,undergraduate,Wang,2026\n");
    }
    assert!(
        text.len() > 16 * 1024,
        "the ASCII part is longer than what the start is judged by"
    );
    text += &row(2_022_001, "欧阳娜娜").join(",");
    text += "\n";
    let path = write(
        dir.path(),
        "late-gbk.csv",
        &encoding_rs::GBK.encode(&text).0,
    );
    let file = path.to_str().unwrap();

    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!(
        (code, counts(&summary)),
        (0, [401, 0, 0, 0]),
        "first import: {summary}"
    );
    let list = students(home.path(), None);
    assert_eq!(field(&list, "2022001", "name"), "欧阳娜娜");
    assert_eq!(field(&list, "2022001", "college"), "计算机学院");

    // into a database that exists: the same file, one row changed further on
    let changed = text.replace("欧阳娜娜", "欧阳娜");
    let path = write(
        dir.path(),
        "late-gbk-2.csv",
        &encoding_rs::GBK.encode(&changed).0,
    );
    let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
    assert_eq!(
        (code, counts(&summary)),
        (0, [0, 1, 400, 0]),
        "re-import: {summary}"
    );
    assert_eq!(
        field(&students(home.path(), None), "2022001", "name"),
        "欧阳娜"
    );
}

#[test]
fn title_rows_synonyms_any_order_and_trailing_blanks() {
    let dir = tempfile::tempdir().unwrap();
    // English and Chinese synonyms in another order, extra columns, a title and a note above
    let header = [
        "序号",
        "Class",
        "cohort",
        "Student ID",
        "身份证号码",
        "Name",
        "院系",
        "培养层次",
        "Major",
        "counsellor",
        "联系电话",
        "性别",
        "备注",
        "",
        "",
    ];
    let mut lines = vec![
        "2026届毕业生图像采集名单,,,,,,,,".to_string(),
        "制表：教务处,,日期：2026-03-01".to_string(),
        String::new(),
        header.join(","),
    ];
    for i in 0..3u32 {
        let r = row(2022001 + i, ["张三", "李四", "王五"][i as usize]);
        let note = if i == 0 {
            "\"转专业，\n原软工\""
        } else {
            ""
        };
        lines.push(format!(
            "{},{},{}届,{},{},{},{},硕士,{},{},1380013800{i},{},{note},,",
            i + 1,
            r[5],
            r[8],
            r[0],
            r[2],
            r[1],
            r[3],
            r[4],
            r[7],
            ["男", "女", "F"][i as usize]
        ));
    }
    lines.extend([",,,,,,,,,,,,,,".to_string(), String::new(), String::new()]);
    let path = write(dir.path(), "synonyms.csv", lines.join("\n").as_bytes());
    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
    assert_eq!((code, counts(&summary)), (0, [3, 0, 0, 0]), "{summary}");
    let list = students(home.path(), None);
    assert_eq!(field(&list, "2022002", "name"), "李四");
    assert_eq!(field(&list, "2022002", "class"), "软工2203");
    assert_eq!(field(&list, "2022002", "level"), "master");
    assert_eq!(field(&list, "2022002", "cohort"), 2026);
    assert_eq!(field(&list, "2022001", "major"), "软件工程");
    assert_eq!(field(&list, "2022003", "counselor"), "王老师");
    assert_eq!(
        field(&list, "2022003", "id_number"),
        &Value::from(resident_id("440106", "20040315", "003"))
    );
}

/// Offices end their sheets with totals and signatures (合计…, 制表人…, 审核人…, 日期…): those
/// rows are skipped and named as the footer, not rejected as students; and a 毕业时间 column
/// (a graduation date) gives the cohort.
#[test]
fn footer_rows_are_skipped_and_graduation_time_is_a_cohort() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = with_header(roster(&NAMES));
    rows[0][8] = "毕业时间".into();
    rows[1][8] = "2026年6月".into();
    rows[2][8] = "2026-06-30".into();
    let footer = [
        vec!["合计：5人".to_string()],
        vec!["制表人：王老师".into(), "".into(), "审核人：李主任".into()],
        vec!["".into(), "日期：2026年3月1日".into()],
    ];
    let mut text = csv_text(&rows, ',', "\n");
    text.push('\n'); // a blank row before the footer
    text.push_str(&csv_text(&footer, ',', "\n"));
    let path = write(dir.path(), "with-footer.csv", text.as_bytes());
    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
    assert_eq!((code, counts(&summary)), (0, [5, 0, 0, 0]), "{summary}");
    assert_eq!(summary["rejected"], Value::Array(vec![]), "{summary}");
    assert_eq!(
        summary["footer"],
        serde_json::json!([
            {"row": 8, "text": "合计：5人"},
            {"row": 9, "text": "制表人：王老师 审核人：李主任"},
            {"row": 10, "text": "日期：2026年3月1日"},
        ])
    );
    let list = students(home.path(), None);
    assert_eq!(field(&list, "2022001", "cohort"), 2026);
    assert_eq!(field(&list, "2022002", "cohort"), 2026);
    let table = caiji(
        tempfile::tempdir().unwrap().path(),
        None,
        &["import", path.to_str().unwrap(), "--dry-run"],
    );
    let out = String::from_utf8_lossy(&table.stdout);
    assert!(
        out.contains("row 9 is the footer (制表人：王老师 审核人：李主任), skipped"),
        "{out}"
    );
}

// ---------- validation ----------

#[test]
fn every_rejection_reason_names_the_excel_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut header: Vec<String> = HEADER.iter().map(|s| s.to_string()).collect();
    header.extend(["证件类型".to_string(), "备注".to_string()]);
    // Row 1 title, row 2 header, row 3 a valid student whose note spans two lines (still one
    // Excel row), row 4 blank; the defects start at row 5.
    let mut lines = vec!["2026届名单".to_string(), header.join(",")];
    let mut first = row(2022000, "张三");
    first.extend([String::new(), "\"第一行\n第二行\"".to_string()]);
    lines.push(first.join(","));
    lines.push(String::new());
    type Edit = fn(&mut Vec<String>);
    // (what, edit of a valid row, field, words of the reason); None for rows that must pass
    type Want = Option<(&'static str, &'static str)>;
    let cases: Vec<(&str, Edit, Want)> = vec![
        (
            "empty 学号",
            |r| r[0].clear(),
            Some(("student_no", "student_no is empty")),
        ),
        (
            "space in 学号",
            |r| r[0] = "2022 100".into(),
            Some(("student_no", "not allowed")),
        ),
        (
            "学号 in scientific notation",
            |r| r[0] = "2.02201E+09".into(),
            Some(("student_no", "scientific notation")),
        ),
        (
            "empty name",
            |r| r[1].clear(),
            Some(("name", "name is empty")),
        ),
        (
            "name of 51 characters",
            |r| r[1] = "张".repeat(51),
            Some(("name", "at most 50")),
        ),
        (
            "control character in name",
            |r| r[1] = "张\u{7}三".into(),
            Some(("name", "control")),
        ),
        (
            "digit in name",
            |r| r[1] = "张3".into(),
            Some(("name", "digit '3'")),
        ),
        (
            "name with • normalised",
            |r| r[1] = "买买提•艾力".into(),
            None,
        ),
        (
            "wrong check character",
            |r| {
                let last = if r[2].ends_with('1') { "2" } else { "1" };
                r[2].replace_range(17.., last);
            },
            Some(("id_number", "check character")),
        ),
        (
            "impossible birth date",
            |r| r[2] = resident_id("440106", "20040231", "001"),
            Some(("id_number", "birth date 20040231")),
        ),
        (
            "17-character ID",
            |r| {
                r[2].pop();
            },
            Some(("id_number", "this one has 17")),
        ),
        (
            "lower-case x check character accepted",
            // (not 002: that is the person of the 15-digit number below)
            |r| r[2] = resident_id("110105", "19491231", "010").to_lowercase(),
            None,
        ),
        (
            "old 15-digit ID converted",
            |r| r[2] = "110105491231002".into(),
            None,
        ),
        (
            "unknown document type",
            |r| r[9] = "驾驶证".into(),
            Some(("id_type", "unknown document type")),
        ),
        (
            "HK/Macau permit",
            |r| {
                r[9] = "港澳居民来往内地通行证".into();
                r[2] = "H12345678".into();
            },
            None,
        ),
        (
            "HK/Macau permit with a wrong letter",
            |r| {
                r[9] = "港澳居民来往内地通行证".into();
                r[2] = "K12345678".into();
            },
            Some(("id_number", "starts with H")),
        ),
        (
            "passport",
            |r| {
                r[9] = "护照".into();
                r[2] = "E12345678".into();
            },
            None,
        ),
        (
            "empty college",
            |r| r[3].clear(),
            Some(("college", "college is empty")),
        ),
        (
            "escape sequence in major",
            |r| r[4] = "软件\u{1b}[2J工程".into(),
            Some(("major", "U+001B")),
        ),
        (
            "unknown level",
            |r| r[6] = "中专".into(),
            Some(("level", "unknown level")),
        ),
        (
            "enrolment year as cohort",
            |r| r[8] = "2022级".into(),
            Some(("cohort", "year of enrolment")),
        ),
        (
            "cohort not a year",
            |r| r[8] = "明年".into(),
            Some(("cohort", "four-digit")),
        ),
        (
            "empty counselor",
            |r| r[7].clear(),
            Some(("counselor", "counselor is empty")),
        ),
    ];
    let mut expected: Vec<(u64, String, String)> = Vec::new();
    for (i, (what, edit, want)) in cases.iter().enumerate() {
        let mut r = row(2022100 + i as u32 + 1, "李四");
        r.extend([String::new(), String::new()]);
        edit(&mut r);
        let row_no = 5 + i as u64;
        lines.push(csv_text(&[r], ',', "").trim_end().to_string());
        if let Some((field, words)) = want {
            expected.push((row_no, field.to_string(), words.to_string()));
        }
        let _ = what;
    }
    // duplicate 学号: both rows rejected, each naming the other
    let dup_row = 5 + cases.len() as u64;
    lines.push(row(2022000, "重名").join(",") + ",,");
    expected.push((
        3,
        "student_no".into(),
        format!("appears again in row {dup_row}"),
    ));
    expected.push((
        dup_row,
        "student_no".into(),
        "already appears in row 3".into(),
    ));
    expected.sort_by_key(|e| e.0);
    // one byte that is neither UTF-8 nor GBK in a file that is otherwise UTF-8
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend(b"\n2022200,\xFF\xFE,");
    bytes.extend(row(2022200, "x")[2..].join(",").as_bytes());
    bytes.push(b'\n');
    let bad_bytes_row = dup_row + 1;
    expected.push((
        bad_bytes_row,
        "name".into(),
        "cell B29 is not UTF-8 while the rest of the file is".into(),
    ));

    let path = write(dir.path(), "defects.csv", &bytes);
    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{summary}");
    let got = summary["rejected"].as_array().unwrap();
    let got_pairs = rejected(&summary);
    let want_pairs: Vec<(u64, String)> = expected.iter().map(|(r, f, _)| (*r, f.clone())).collect();
    assert_eq!(got_pairs, want_pairs, "{summary:#}");
    for ((_, _, words), r) in expected.iter().zip(got) {
        assert!(
            r["reason"].as_str().unwrap().contains(words.as_str()),
            "{words:?} in {r}"
        );
    }
    let valid = cases.iter().filter(|c| c.2.is_none()).count() as u64;
    assert_eq!(counts(&summary), [valid, 0, 0, 0]);
    let list = students(home.path(), None);
    assert_eq!(list.len() as u64, valid);
    let by_what = |what: &str| {
        (2022100 + cases.iter().position(|c| c.0 == what).unwrap() as u32 + 1).to_string()
    };
    assert_eq!(
        field(&list, &by_what("old 15-digit ID converted"), "id_number"),
        &Value::from(eighteen("110105491231002"))
    );
    assert_eq!(
        field(&list, &by_what("name with • normalised"), "name"),
        "买买提·艾力"
    );
    assert_eq!(
        field(&list, &by_what("HK/Macau permit"), "id_type"),
        "hk_macau_permit"
    );
    assert_eq!(
        field(
            &list,
            &by_what("lower-case x check character accepted"),
            "id_number"
        ),
        "11010519491231010X"
    );

    // table output names rows, fields with their columns, and reasons
    let out = caiji(
        home.path(),
        None,
        &["import", path.to_str().unwrap(), "--dry-run"],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("data rows") && table.contains(&format!("unchanged {valid}")),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("24")
            && l.contains("level (G)")
            && l.contains("unknown level '中专'")),
        "{table}"
    );
    assert!(stderr(&out).contains("dry run"), "{}", stderr(&out));
}

#[test]
fn xlsx_numbers_formulas_and_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<Cell> = HEADER
        .iter()
        .map(|h| Cell::Text(h))
        .chain([Cell::Text("手机")])
        .collect();
    let student = |no: u32, edit: &dyn Fn(&mut Vec<Cell>)| {
        let r = row(no, "张三");
        let mut cells = text_cells(&r);
        cells.push(Cell::Text(""));
        edit(&mut cells);
        cells
    };
    let rows = vec![
        vec![Cell::Text("2026届毕业生名单")],
        header,
        // row 3: 学号, phone and cohort stored as numbers are recovered exactly
        student(2022001, &|c| {
            c[0] = Cell::Number(2022001.0);
            c[8] = Cell::Number(2026.0);
            c[9] = Cell::Number(13800138000.0);
        }),
        // row 4: an 18-digit ID stored as a number has lost its last digits
        student(2022002, &|c| c[2] = Cell::Number(440106200403150012.0)),
        // row 5: an old 15-digit ID stored as a number is exact
        student(2022003, &|c| c[2] = Cell::Number(110105491231002.0)),
        // row 6: a formula with its saved result
        student(2022004, &|c| {
            c[1] = Cell::Formula("\"王\"&\"五\"", Some("王五"))
        }),
        // row 7: a formula without a saved result
        student(2022005, &|c| {
            c[3] = Cell::Formula("VLOOKUP(A7,院系表!A:B,2,FALSE)", None)
        }),
        // row 8: a formula whose saved result is an error
        student(2022006, &|c| {
            c[6] = Cell::Formula("VLOOKUP(A8,层次表!A:B,2,FALSE)", Some("#N/A"))
        }),
        // row 9: a 16-digit 学号 that Excel truncated to 15 significant digits
        student(2022007, &|c| c[0] = Cell::Number(1234567890123450.0)),
    ];
    let path = dir.path().join("名单.xlsx");
    let note = vec![vec![Cell::Text("填表说明：请勿修改表头")]];
    write_xlsx(&path, vec![("说明", note), ("名单", rows)]);
    let file = path.to_str().unwrap();

    let home = tempfile::tempdir().unwrap();
    assert_refused(
        &caiji(home.path(), None, &["import", file, "--sheet", "Roster"]),
        &["no sheet named 'Roster'", "说明, 名单"],
    );
    assert_refused(
        &caiji(home.path(), None, &["import", file, "--sheet", "说明"]),
        &["no header row"],
    );

    // the first sheet (说明) has no header row: the one sheet that has one is read
    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!(code, 3, "{summary}");
    assert_eq!(counts(&summary), [3, 0, 0, 0], "{summary}");
    let reasons: Vec<(u64, String, String)> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        (
            4,
            "id_number",
            "cell C4 was stored by Excel as a number (4.401062004031",
        ),
        (
            7,
            "college",
            "cell D7 holds a formula (=VLOOKUP(A7,院系表!A:B,2,FALSE)) with no saved result",
        ),
        (8, "level", "cell G8 holds the Excel error #N/A"),
        (
            9,
            "student_no",
            "cell A9 was stored by Excel as a number (1.23456789012345E+15), digits lost",
        ),
    ];
    assert_eq!(reasons.len(), want.len(), "{reasons:#?}");
    for ((row, field, reason), (want_row, want_field, words)) in reasons.iter().zip(want) {
        assert_eq!((*row, field.as_str()), (want_row, want_field));
        assert!(reason.contains(words), "{reason}");
    }
    let list = students(home.path(), None);
    assert_eq!(field(&list, "2022001", "cohort"), 2026);
    assert_eq!(
        field(&list, "2022003", "id_number"),
        &Value::from(eighteen("110105491231002"))
    );
    assert_eq!(field(&list, "2022004", "name"), "王五");
}

// ---------- bad input ----------

#[test]
fn bad_files_are_refused_with_one_clear_line_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.csv",
        csv_text(&with_header(roster(&NAMES)), ',', "\n").as_bytes(),
    );
    assert_eq!(
        caiji(home.path(), None, &["import", good.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let db = home.path().join("caiji.db");
    let before = std::fs::read(&db).unwrap();

    let header = HEADER.join(",");
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
        .iter()
        .copied()
        .chain((0..4000u32).map(|i| (i * 7919 % 251) as u8))
        .collect();
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.extend([0u8; 500]);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend([7u8; 300]);
    let unclosed = format!("{header}\n2022001,\"张三,{}\n", "x".repeat(2 << 20));
    let mut tall = format!("{header}\n");
    tall.push_str(&"\n".repeat(1_000_000));
    type Args<'a> = Vec<&'a str>;
    let cases: Vec<(&str, Vec<u8>, Args, Args)> = vec![
        (
            "binary.csv",
            png,
            vec![],
            vec!["binary.csv is not a CSV, XLSX or XLS file"],
        ),
        (
            "old.xls",
            xls,
            vec![],
            vec![
                "looks like an Excel 97–2003 (.xls) workbook but cannot be read",
                "save it as .xlsx",
            ],
        ),
        (
            "broken.xlsx",
            zip,
            vec![],
            vec!["zip archive but not a readable Excel workbook"],
        ),
        ("empty.csv", vec![], vec![], vec!["empty.csv is empty"]),
        (
            "blank.csv",
            b"\n\r\n,,,\n  \n".to_vec(),
            vec![],
            vec!["blank.csv is empty"],
        ),
        (
            "headers.csv",
            format!("名单\n{header}\n,,,\n\n").into_bytes(),
            vec![],
            vec!["no student rows below the header (row 2)"],
        ),
        (
            "missing.csv",
            "学号,姓名,班级\n2022001,张三,软工2201\n"
                .as_bytes()
                .to_vec(),
            vec![],
            vec![
                "lacks required columns: 证件号码 (id_number), 学院 (college), 专业 (major), 层次 (level), 辅导员 (counselor), 毕业年份 (cohort)",
            ],
        ),
        (
            "duplicate.csv",
            format!("{header},院系\n").into_bytes(),
            vec![],
            vec!["columns D (学院) and J (院系) both give 学院 (college)"],
        ),
        (
            "noheader.csv",
            csv_text(&roster(&NAMES), ',', "\n").into_bytes(),
            vec![],
            vec!["no header row in the first 5 non-empty rows"],
        ),
        (
            "unclosed.csv",
            unclosed.into_bytes(),
            vec![],
            vec!["row 2 is longer than 1 MiB", "quote"],
        ),
        (
            "tall.csv",
            tall.into_bytes(),
            vec![],
            vec!["more than 1000000 rows", "split it"],
        ),
        (
            "sheet.csv",
            format!("{header}\n").into_bytes(),
            vec!["--sheet", "x"],
            vec!["has no sheets"],
        ),
    ];
    for (name, bytes, extra, words) in cases {
        let path = write(dir.path(), name, &bytes);
        let mut args = vec!["import", path.to_str().unwrap()];
        args.extend(extra);
        assert_refused(&caiji(home.path(), None, &args), &words);
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{name}: the database is untouched"
        );
    }
    assert_refused(
        &caiji(home.path(), None, &["import", dir.path().to_str().unwrap()]),
        &["cannot read"],
    );
    assert_refused(
        &caiji(home.path(), None, &["import", "no-such-file.csv"]),
        &["cannot read no-such-file.csv", "No such file"],
    );

    // a fresh home: refusing a file creates no database either
    let fresh = tempfile::tempdir().unwrap();
    assert_refused(
        &caiji(
            fresh.path(),
            None,
            &["import", dir.path().join("binary.csv").to_str().unwrap()],
        ),
        &["not a CSV"],
    );
    assert!(!fresh.path().join("caiji.db").exists());
}

/// A file far larger than the limits is refused while streaming, after reading only up to the
/// limit. (The limits are injected small here; the binary's defaults are 1,000,000 rows and
/// 1 MiB per row, exercised above.)
#[test]
fn oversized_files_are_refused_while_streaming() {
    use caiji::roster::{Limits, ReadOptions, RosterError, read_file};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(f, "{}", HEADER.join(",")).unwrap();
        for i in 0..200_000u32 {
            writeln!(f, "{}", row(2_000_000 + i, "张三").join(",")).unwrap();
        }
    }
    let limits = Limits {
        max_rows: 10_000,
        ..Limits::default()
    };
    let mut last_progress = 0;
    let err = read_file(
        &path,
        &ReadOptions {
            sheet: None,
            limits,
            lang: caiji::i18n::Lang::En,
        },
        &mut |p| last_progress = p.rows,
    )
    .unwrap_err();
    assert_eq!(
        err,
        RosterError::TooManyRows {
            file: path.display().to_string(),
            limit: 10_000
        }
    );
    assert!(
        last_progress <= 10_000,
        "stopped at the limit, not at the end of the file: {last_progress}"
    );
}

/// The real thing: a CSV over 1 GB is refused before it is read, in little memory. Slow
/// (writes 1 GB), so run on demand: `cargo test --test import -- --ignored`.
#[test]
#[ignore]
fn a_one_gigabyte_csv_is_refused_in_bounded_memory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    {
        let mut f =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        writeln!(f, "{}", HEADER.join(",")).unwrap();
        let filler = "x".repeat(950);
        for i in 0..1_100_000u32 {
            writeln!(f, "{},{}", row(2_000_000 + i, "张三").join(","), filler).unwrap();
        }
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 1 << 30);
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "peak_kib=%M",
            env!("CARGO_BIN_EXE_caiji"),
            "import",
            path.to_str().unwrap(),
        ])
        .env("CAIJI_HOME", home.path())
        .env("CAIJI_LANG", "en")
        .output()
        .expect("run caiji under /usr/bin/time");
    let err = stderr(&out);
    assert!(
        err.contains("more than a roster file can be (512 MiB"),
        "{err}"
    );
    let peak_kib: u64 = err
        .split("peak_kib=")
        .nth(1)
        .and_then(|s| s.trim().parse().ok())
        .expect("peak memory");
    eprintln!("1 GB CSV refused; peak memory {} MiB", peak_kib / 1024);
    assert!(peak_kib < 100 * 1024, "{peak_kib} KiB");
    assert!(!home.path().join("caiji.db").exists());
}

/// A file under the size limit but over the row limit is refused while streaming, after reading
/// up to the limit only (the real 1,000,000-row limit; rows are short so the file stays small).
#[test]
fn more_than_a_million_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = HEADER.join(",");
    text.push('\n');
    let one = row(2022001, "张三").join(",") + "\n";
    text.push_str(&one);
    text.push_str(&",\n".repeat(1_000_000));
    text.push_str(&one);
    let path = write(dir.path(), "tall.csv", text.as_bytes());
    let home = tempfile::tempdir().unwrap();
    assert_refused(
        &caiji(home.path(), None, &["import", path.to_str().unwrap()]),
        &["more than 1000000 rows", "nothing was imported"],
    );
    assert!(!home.path().join("caiji.db").exists());
}

// ---------- writing: strict, dry run, idempotence, audit, atomicity ----------

#[test]
fn strict_and_dry_run_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = roster(&NAMES);
    rows[2][6] = "中专".into();
    let path = write(
        dir.path(),
        "r.csv",
        csv_text(&with_header(rows), ',', "\n").as_bytes(),
    );
    let file = path.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();

    let (code, summary) = json_run(home.path(), None, &["import", file, "--dry-run"]);
    assert_eq!(
        (code, counts(&summary), rejected(&summary)),
        (3, [4, 0, 0, 0], vec![(4, "level".to_string())])
    );
    assert!(
        !home.path().join("caiji.db").exists(),
        "a dry run creates no database"
    );

    let out = caiji(
        home.path(),
        None,
        &["import", file, "--strict", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("--strict: nothing was written"),
        "{}",
        stderr(&out)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (counts(&summary), rejected(&summary).len()),
        ([0, 0, 0, 0], 1)
    );
    assert!(!home.path().join("caiji.db").exists());

    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!((code, counts(&summary)), (3, [4, 0, 0, 0]));
    // a dry run against an existing database plans against it and changes nothing
    let before = students(home.path(), None);
    let mut fixed = roster(&NAMES);
    fixed[0][1] = "张叁".into();
    let path2 = write(
        dir.path(),
        "fixed.csv",
        csv_text(&with_header(fixed), ',', "\n").as_bytes(),
    );
    let (code, summary) = json_run(
        home.path(),
        None,
        &["import", path2.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!((code, counts(&summary)), (0, [1, 1, 3, 0]), "{summary}");
    assert_eq!(students(home.path(), None), before);
}

async fn sqlite_scalar(db: &Path, sql: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let value = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

/// The first import into a SQLite file that does not exist yet makes it whole: with the valid
/// rows, without any row of a duplicated 学号, audited, its CHECKs satisfied and its indexes
/// built; a refused or failed first import leaves no database.
#[tokio::test]
async fn a_first_import_makes_the_whole_database_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let longest: String = std::iter::once('欧')
        .chain(std::iter::repeat_n(
            '娜',
            caiji::domain::name::MAX_NAME_CHARS - 1,
        ))
        .collect();
    let mut rows: Vec<Vec<String>> = (0..6000)
        .map(|i| row(2_030_000 + i, if i == 77 { &longest } else { "张伟" }))
        .collect();
    rows[10][0] = rows[4000][0].clone(); // one 学号 twice, far apart: both rows refused
    rows[20][6] = "中专".into(); // an invalid level
    let path = write(
        dir.path(),
        "big.csv",
        csv_text(&with_header(rows.clone()), ',', "\n").as_bytes(),
    );
    let file = path.to_str().unwrap();

    let home = tempfile::tempdir().unwrap();
    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!((code, counts(&summary)), (3, [5997, 0, 0, 0]), "{summary}");
    assert_eq!(
        rejected(&summary),
        vec![
            (12, "student_no".into()),
            (22, "level".into()),
            (4002, "student_no".into())
        ]
    );
    let db = home.path().join("caiji.db");
    assert_eq!(
        sqlite_scalar(&db, "SELECT COUNT(*) FROM students").await,
        5997
    );
    let twice = &rows[4000][0];
    assert_eq!(
        sqlite_scalar(
            &db,
            &format!("SELECT COUNT(*) FROM students WHERE student_no = '{twice}'")
        )
        .await,
        0
    );
    assert_eq!(
        sqlite_scalar(
            &db,
            &format!(
                "SELECT length(name) FROM students WHERE student_no = '{}'",
                rows[77][0]
            )
        )
        .await,
        50
    );
    assert_eq!(
        sqlite_scalar(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND operator = 'tester' AND detail = 'import big.csv: inserted 5997, updated 0, unchanged 0, withdrawn 0'").await,
        1
    );
    // integrity_check also evaluates every CHECK constraint
    assert_eq!(
        sqlite_scalar(
            &db,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
        )
        .await,
        0
    );
    assert_eq!(
        sqlite_scalar(
            &db,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'"
        )
        .await,
        3
    );
    // the database is an ordinary one: the next import of the same file changes nothing
    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!((code, counts(&summary)), (3, [0, 0, 5997, 0]), "{summary}");

    // refused by --strict, or not a roster at all: no database
    let home = tempfile::tempdir().unwrap();
    assert_eq!(
        caiji(home.path(), None, &["import", file, "--strict"])
            .status
            .code(),
        Some(3)
    );
    let binary = write(
        dir.path(),
        "photo.csv",
        &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2, 3, 0, 0, 0, 0],
    );
    assert_refused(
        &caiji(home.path(), None, &["import", binary.to_str().unwrap()]),
        &["not a CSV"],
    );
    let mut broken = csv_text(&with_header(rows), ',', "\n");
    broken.push_str("2039999,\"unclosed\n");
    broken.push_str(&"x".repeat(2 << 20));
    let broken = write(dir.path(), "broken.csv", broken.as_bytes());
    assert_refused(
        &caiji(home.path(), None, &["import", broken.to_str().unwrap()]),
        &["longer than 1 MiB"],
    );
    assert!(!home.path().join("caiji.db").exists());
}

/// An import into a database that exists with an empty roster (after `caiji init`) goes the
/// same way as into a new file: a refused one leaves the database there and untouched, a good
/// one stores every valid row with the students table's indexes built again.
#[tokio::test]
async fn an_import_after_init_fills_the_empty_roster() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<Vec<String>> = (0..6000).map(|i| row(2_040_000 + i, "张伟")).collect();
    rows[30][6] = "中专".into();
    let path = write(
        dir.path(),
        "roster.csv",
        csv_text(&with_header(rows), ',', "\n").as_bytes(),
    );
    let file = path.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    assert_eq!(caiji(home.path(), None, &["init"]).status.code(), Some(0));
    let db = home.path().join("caiji.db");

    assert_eq!(
        caiji(home.path(), None, &["import", file, "--strict"])
            .status
            .code(),
        Some(3)
    );
    assert!(db.exists(), "a database made before the import stays");
    assert_eq!(sqlite_scalar(&db, "SELECT COUNT(*) FROM students").await, 0);
    assert_eq!(
        sqlite_scalar(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
        )
        .await,
        0
    );

    let (code, summary) = json_run(home.path(), None, &["import", file]);
    assert_eq!((code, counts(&summary)), (3, [5999, 0, 0, 0]), "{summary}");
    assert_eq!(
        sqlite_scalar(&db, "SELECT COUNT(*) FROM students").await,
        5999
    );
    assert_eq!(
        sqlite_scalar(
            &db,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'"
        )
        .await,
        3
    );
    assert_eq!(
        sqlite_scalar(
            &db,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
        )
        .await,
        0
    );
}

/// The validator's name limit is the schema's CHECK: a name the validator takes, the database
/// takes too.
#[test]
fn the_schema_limits_names_as_the_validator_does() {
    let schema = include_str!("../migrations/sqlite/0002_students_checks.sql");
    let rule = format!(
        "CHECK (length(name) BETWEEN 1 AND {})",
        caiji::domain::name::MAX_NAME_CHARS
    );
    assert!(
        schema.contains(&rule),
        "the students table no longer says {rule}"
    );
}

// ---------- every backend: the write path and sync ----------

async fn import_is_idempotent_and_audited(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = Some(db.url.as_str());
    let mut rows = vec![vec!["2026届毕业生名单".to_string()]];
    rows.extend(with_header(roster(&NAMES)));
    let first = write(dir.path(), "r.xlsx", b"");
    write_xlsx(
        &first,
        vec![("名单", rows.iter().map(|r| text_cells(r)).collect())],
    );
    let first = first.to_str().unwrap();

    let (code, summary) = json_run(home.path(), url, &["import", first]);
    assert_eq!((code, counts(&summary)), (0, [5, 0, 0, 0]), "{summary}");
    let (code, summary) = json_run(home.path(), url, &["import", first]);
    assert_eq!(
        (code, counts(&summary)),
        (0, [0, 0, 5, 0]),
        "re-import changes nothing"
    );
    let after_first = students(home.path(), url);

    // change a name and an ID number, add one student
    let mut changed = roster(&NAMES);
    let old_id = changed[1][2].clone();
    changed[1][1] = "欧阳娜".into();
    changed[1][2] = resident_id("110105", "20030101", "123");
    changed.push(row(2022050, "新同学"));
    let path = write(
        dir.path(),
        "changed.csv",
        csv_text(&with_header(changed.clone()), ',', "\r\n").as_bytes(),
    );
    let (code, summary) = json_run(home.path(), url, &["import", path.to_str().unwrap()]);
    assert_eq!((code, counts(&summary)), (0, [1, 1, 4, 0]), "{summary}");
    let list = students(home.path(), url);
    assert_eq!(field(&list, "2022002", "name"), "欧阳娜");
    assert_eq!(
        field(&list, "2022002", "id_number"),
        &Value::from(changed[1][2].clone())
    );
    for s in after_first.iter().filter(|s| s["student_no"] != "2022002") {
        let now = list
            .iter()
            .find(|t| t["student_no"] == s["student_no"])
            .unwrap();
        assert_eq!(now, s, "unchanged rows untouched");
    }

    let store = store::open(&db.url, Create::Never).await.expect("open");
    let log = store.audit_log(Some("2022002"), 10).await.expect("audit");
    let update = log
        .iter()
        .find(|e| e.entry.action == "update")
        .expect("an update entry");
    assert_eq!(update.entry.operator, "tester");
    let masked = |id: &str| format!("*****{}", &id[id.len() - 4..]);
    assert!(
        update.entry.detail.contains("name: 欧阳娜娜 → 欧阳娜"),
        "{}",
        update.entry.detail
    );
    assert!(
        update.entry.detail.contains(&format!(
            "id_number: {} → {}",
            masked(&old_id),
            masked(&changed[1][2])
        )),
        "{}",
        update.entry.detail
    );
    let all = store.audit_log(None, 100).await.expect("audit");
    for e in &all {
        assert!(
            !e.entry.detail.contains(&old_id) && !e.entry.detail.contains(&changed[1][2]),
            "full ID in audit: {}",
            e.entry.detail
        );
    }
    assert!(
        all.iter()
            .any(|e| e.entry.action == "import" && e.entry.detail.contains("changed.csv")),
        "{all:#?}"
    );
    store.close().await;
}

/// A school database to sync from, on the same kind of server as the caiji database.
async fn source_table(server: common::Server, rows: &[(&str, &str, &str)]) -> TestDb {
    let source = TestDb::new(server).await.expect("source database");
    let text = if server == common::Server::Mysql {
        "VARCHAR(100)"
    } else {
        "TEXT"
    };
    common::exec(
        &source,
        &format!(
            "CREATE TABLE jw_graduates (xh BIGINT, xm {text}, sfzh {text}, yx {text}, zy {text}, bj {text}, cc {text}, fdy {text}, jb INTEGER)"
        ),
    )
    .await
    .expect("create source table");
    set_source_rows(&source, rows).await;
    source
}

async fn set_source_rows(source: &TestDb, rows: &[(&str, &str, &str)]) {
    common::exec(source, "DELETE FROM jw_graduates")
        .await
        .expect("clear source");
    for (no, name, id) in rows {
        let sql = format!(
            "INSERT INTO jw_graduates VALUES ({no}, '{name}', '{id}', '文学院', '汉语言文学', '汉文2201', '本科', '赵老师', 2026)"
        );
        common::exec(source, &sql).await.expect("insert source row");
    }
}

fn write_source_config(home: &Path, source: &TestDb) {
    let config = format!(
        "[roster.source]\nurl = \"{}\"\nquery = \"SELECT xh, xm, sfzh AS id_number, yx AS college, zy, bj, cc AS level, fdy, jb AS cohort FROM jw_graduates ORDER BY xh\"\n",
        source.url
    );
    std::fs::write(home.join("config.toml"), config).expect("config");
}

async fn sync_withdraws_and_restores(db: &TestDb) {
    let home = tempfile::tempdir().unwrap();
    let url = Some(db.url.as_str());
    let id = |seq: &str| resident_id("110105", "20040101", seq);
    let (a, b, c) = (id("011"), id("022"), id("033"));
    let mut bad = id("044");
    bad.replace_range(17.., if bad.ends_with('1') { "2" } else { "1" });
    let source = source_table(
        db.server,
        &[
            ("2022001", "张三", &a),
            ("2022002", "李四", &b),
            ("2022003", "王五", &c),
            ("2022004", "赵六", &bad),
        ],
    )
    .await;

    let out = caiji(home.path(), url, &["roster", "sync"]);
    assert_refused(&out, &["no roster source is configured", "[roster.source]"]);
    write_source_config(home.path(), &source);

    let (code, summary) = json_run(home.path(), url, &["roster", "sync"]);
    assert_eq!(
        (code, counts(&summary), rejected(&summary)),
        (3, [3, 0, 0, 0], vec![(4, "id_number".to_string())]),
        "{summary}"
    );
    let list = students(home.path(), url);
    assert_eq!(field(&list, "2022001", "college"), "文学院");
    assert_eq!(field(&list, "2022001", "cohort"), 2026);

    // 2022002 leaves the source: withdrawn, not deleted; listed only with --include-withdrawn
    set_source_rows(
        &source,
        &[
            ("2022001", "张三", &a),
            ("2022003", "王五", &c),
            ("2022004", "赵六", &id("044")),
        ],
    )
    .await;
    let (code, summary) = json_run(home.path(), url, &["roster", "sync", "--dry-run"]);
    assert_eq!((code, counts(&summary)), (0, [1, 0, 2, 1]), "{summary}");
    assert_eq!(
        students(home.path(), url),
        list,
        "a dry run changes nothing"
    );
    let (code, summary) = json_run(home.path(), url, &["roster", "sync"]);
    assert_eq!((code, counts(&summary)), (0, [1, 0, 2, 1]), "{summary}");
    let list = students(home.path(), url);
    assert_eq!(field(&list, "2022002", "withdrawn"), true);
    assert_eq!(field(&list, "2022001", "withdrawn"), false);
    let out = caiji(home.path(), url, &["students", "list", "--format", "json"]);
    let active: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        active.len(),
        3,
        "withdrawn students are left out of the roster"
    );
    let store = store::open(&db.url, Create::Never).await.expect("open");
    let totals = store.counts().await.expect("counts");
    assert_eq!(
        (totals.total, totals.withdrawn),
        (3, 1),
        "withdrawn students are left out of totals"
    );
    store.close().await;

    // a rejected row is not a departure: 2022003 keeps its record and is not withdrawn
    let mut broken = c.clone();
    broken.replace_range(17.., if c.ends_with('1') { "2" } else { "1" });
    set_source_rows(
        &source,
        &[
            ("2022001", "张三", &a),
            ("2022002", "李四", &b),
            ("2022003", "王五", &broken),
            ("2022004", "赵六", &id("044")),
        ],
    )
    .await;
    let out = caiji(home.path(), url, &["roster", "sync", "--format", "json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), counts(&summary)),
        (Some(3), [0, 1, 3, 0]),
        "{summary} {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("keep their stored records"),
        "{}",
        stderr(&out)
    );
    let list = students(home.path(), url);
    assert_eq!(
        field(&list, "2022002", "withdrawn"),
        false,
        "2022002 is back: restored"
    );
    assert_eq!(field(&list, "2022003", "withdrawn"), false);
    assert_eq!(
        field(&list, "2022003", "id_number"),
        &Value::from(c.clone())
    );

    // an empty result would withdraw everyone: refused
    set_source_rows(&source, &[]).await;
    assert_refused(
        &caiji(home.path(), url, &["roster", "sync"]),
        &["returned no rows", "nothing changed"],
    );
    assert_eq!(students(home.path(), url), list);
    source.cleanup().await;
}

/// One length rule per field, the same on every backend: a roster with every text at its longest
/// (a 100-character 辅导员, once 50 wide on MariaDB, whose "Data too long" failed the whole import
/// without a row) and a 64-character operator is stored whole everywhere; one character more is
/// refused by the validator with the row and field, or by the command line naming the option,
/// before the database is touched.
async fn field_lengths_are_one_rule_on_every_backend(db: &TestDb) {
    use caiji::domain::lengths;
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = Some(db.url.as_str());
    let longest = |c: char, n: usize| c.to_string().repeat(n);
    let mut rows = roster(&["张三", "李四", "王五"]);
    let full = &mut rows[0];
    full[0] = format!("S{}", "9".repeat(lengths::STUDENT_NO - 1));
    full[1] = format!("欧{}", longest('娜', lengths::NAME - 1));
    full[3] = longest('院', lengths::ROSTER_TEXT);
    full[4] = longest('专', lengths::ROSTER_TEXT);
    full[5] = longest('班', lengths::ROSTER_TEXT);
    full[7] = longest('辅', lengths::ROSTER_TEXT);
    rows[1][7] = longest('导', 51); // the counselor MariaDB refused
    rows[2][7] = longest('员', lengths::ROSTER_TEXT + 1);
    let path = write(
        dir.path(),
        "longest.csv",
        csv_text(&with_header(rows.clone()), ',', "\n").as_bytes(),
    );
    let file = path.to_str().unwrap();
    let operator = longest('管', lengths::OPERATOR);
    let run = |operator: &str, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_caiji"));
        cmd.args(["--database-url", &db.url, "--operator", operator])
            .args(args)
            .env("CAIJI_HOME", home.path())
            .env("CAIJI_LANG", "en")
            .output()
            .expect("run caiji")
    };
    let out = run(&operator, &["import", file, "--format", "json"]);
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{:?}: {}", db.server, stderr(&out)));
    assert_eq!(out.status.code(), Some(3), "{:?}: {summary}", db.server);
    assert_eq!(counts(&summary), [2, 0, 0, 0], "{:?}: {summary}", db.server);
    assert_eq!(rejected(&summary), [(4, "counselor".to_string())]);
    assert!(
        summary["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("101 characters, at most 100"),
        "{summary}"
    );
    let list = students(home.path(), url);
    assert_eq!(
        field(&list, &rows[0][0], "name"),
        &Value::from(rows[0][1].clone())
    );
    for key in ["college", "major", "class", "counselor"] {
        let stored = field(&list, &rows[0][0], key).as_str().unwrap();
        assert_eq!(
            stored.chars().count(),
            lengths::ROSTER_TEXT,
            "{:?} {key}",
            db.server
        );
    }
    assert_eq!(
        field(&list, "2022002", "counselor"),
        &Value::from(rows[1][7].clone())
    );
    let audit = run(&operator, &["audit", "--format", "json"]);
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains(&operator),
        "{:?}: the operator is in the audit log whole: {}",
        db.server,
        stderr(&audit)
    );

    // one character more: refused by name before anything is written
    let before = students(home.path(), url);
    let too_long = longest('管', lengths::OPERATOR + 1);
    let out = run(&too_long, &["import", file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--operator / CAIJI_OPERATOR has 65 characters, at most 64"),
        "{}",
        stderr(&out)
    );
    let reason = "x".repeat(lengths::REASON + 1);
    let out = run(
        &operator,
        &["codes", "revoke", &rows[0][0], "--reason", &reason],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--reason has 501 characters, at most 500"),
        "{}",
        stderr(&out)
    );
    assert_eq!(students(home.path(), url), before, "nothing changed");
}

backend_tests! {
    import_write_path => import_is_idempotent_and_audited;
    roster_sync => sync_withdraws_and_restores;
    field_lengths => field_lengths_are_one_rule_on_every_backend;
}
