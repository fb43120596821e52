//! Workbooks as offices and attackers make them, imported by the built binary: crafted `.xlsx`
//! files (the zip written here, byte by byte) that inflate past every limit are refused with the
//! sheet, the cell and the limit, in bounded memory (the child's peak resident memory is read
//! from the kernel when it exits); damaged sheets are refused; cells that are no 学号 are
//! rejected with the cell; and an `.xls` made by xlwt imports like an `.xlsx`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use flate2::{Compress, Compression, FlushCompress};
use serde_json::Value;

// ---------- the zip, written by hand ----------

/// One zip entry: its name, deflated bytes, CRC-32 and inflated size.
struct Entry {
    name: String,
    deflated: Vec<u8>,
    crc: u32,
    size: u64,
}

/// Raw deflate of `data` with a full flush: later data never refers back across it.
fn deflate_into(c: &mut Compress, data: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    let start_in = c.total_in();
    loop {
        out.reserve(data.len() / 2 + 1024);
        let done = (c.total_in() - start_in) as usize;
        let before = c.total_out();
        c.compress_vec(&data[done..], out, flush).expect("deflate");
        let consumed = (c.total_in() - start_in) as usize;
        if consumed == data.len() && c.total_out() - before < (out.capacity() - out.len()) as u64 {
            break;
        }
    }
}

fn entry(name: &str, data: &[u8]) -> Entry {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::new();
    deflate_into(&mut c, data, FlushCompress::Finish, &mut out);
    let mut crc = flate2::Crc::new();
    crc.update(data);
    Entry {
        name: name.to_string(),
        deflated: out,
        crc: crc.sum(),
        size: data.len() as u64,
    }
}

/// An entry of `head`, then `chunk` `times` times, then `tail`, without ever holding it inflated:
/// `chunk` is deflated once (between full flushes) and its bytes repeated. Its CRC is left 0:
/// a reader that keeps to the limits stops long before the end, where the CRC is checked.
fn repeated(name: &str, head: &str, chunk: &str, times: u64, tail: &str) -> Entry {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::new();
    deflate_into(&mut c, head.as_bytes(), FlushCompress::Full, &mut out);
    let mut once = Vec::new();
    deflate_into(&mut c, chunk.as_bytes(), FlushCompress::Full, &mut once);
    for _ in 0..times {
        out.extend_from_slice(&once);
    }
    deflate_into(&mut c, tail.as_bytes(), FlushCompress::Finish, &mut out);
    Entry {
        name: name.to_string(),
        deflated: out,
        crc: 0,
        size: (head.len() as u64 + chunk.len() as u64 * times + tail.len() as u64)
            .min(u64::from(u32::MAX)),
    }
}

/// A zip archive of `entries` (deflated, sizes in the local headers, no ZIP64).
fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    let u16le = |v: u16| v.to_le_bytes();
    let u32le = |v: u32| v.to_le_bytes();
    for e in entries {
        let offset = out.len() as u32;
        let fields = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(u32le(sig));
            if central {
                h.extend(u16le(20)); // made by
            }
            h.extend(u16le(20)); // version needed
            h.extend(u16le(0x0800)); // flags: UTF-8 names
            h.extend(u16le(8)); // deflate
            h.extend(u16le(0)); // time
            h.extend(u16le(0x21)); // date
            h.extend(u32le(e.crc));
            h.extend(u32le(e.deflated.len() as u32));
            h.extend(u32le(e.size as u32));
            h.extend(u16le(e.name.len() as u16));
            h.extend(u16le(0)); // extra
            if central {
                h.extend(u16le(0)); // comment
                h.extend(u16le(0)); // disk
                h.extend(u16le(0)); // internal attributes
                h.extend(u32le(0)); // external attributes
                h.extend(u32le(offset));
            }
            h.extend(e.name.as_bytes());
            h
        };
        out.extend(fields(0x0403_4b50, false));
        out.extend(&e.deflated);
        directory.extend(fields(0x0201_4b50, true));
    }
    let at = out.len() as u32;
    out.extend(&directory);
    out.extend(u32le(0x0605_4b50));
    out.extend(u16le(0));
    out.extend(u16le(0));
    out.extend(u16le(entries.len() as u16));
    out.extend(u16le(entries.len() as u16));
    out.extend(u32le(directory.len() as u32));
    out.extend(u32le(at));
    out.extend(u16le(0));
    out
}

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// The header row of a roster, as inline strings in row 1.
fn header_row() -> String {
    let cells: String = [
        "学号",
        "姓名",
        "证件号码",
        "学院",
        "专业",
        "班级",
        "层次",
        "辅导员",
        "毕业年份",
    ]
    .iter()
    .enumerate()
    .map(|(i, h)| {
        format!(
            r#"<c r="{}1" t="inlineStr"><is><t>{h}</t></is></c>"#,
            (b'A' + i as u8) as char
        )
    })
    .collect();
    format!(r#"<row r="1">{cells}</row>"#)
}

/// A workbook of one sheet (`sheet` is its XML) and, if given, a shared-strings part.
fn workbook(sheet: Entry, strings: Option<Entry>) -> Vec<u8> {
    let mut entries = vec![
        entry("xl/workbook.xml", WORKBOOK.as_bytes()),
        entry("xl/_rels/workbook.xml.rels", RELS.as_bytes()),
        sheet,
    ];
    entries.extend(strings);
    zip(&entries)
}

fn sheet_of(rows: &str) -> Entry {
    let xml = format!("{SHEET_HEAD}{}{rows}{SHEET_TAIL}", header_row());
    entry("xl/worksheets/sheet1.xml", xml.as_bytes())
}

// ---------- running the binary and measuring it ----------

/// Runs `caiji import FILE --format json` under GNU time and returns its exit code, stdout,
/// stderr and peak resident memory in KiB. The kernel's count of a child's peak includes the
/// memory of the process it was started from (the test, holding its workbooks) when that process
/// starts it directly; GNU time is a small process that forks it, so the count is caiji's own.
fn import_measured(home: &Path, file: &Path) -> (i32, String, String, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "peak_kib=%M", env!("CARGO_BIN_EXE_caiji")])
        .args(["import", file.to_str().unwrap(), "--format", "json"])
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run caiji under /usr/bin/time (GNU time)");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let (err, peak) = err.rsplit_once("peak_kib=").expect("GNU time's report");
    let peak_kib = peak.trim().parse().expect("peak memory in KiB");
    // GNU time exits with the command's status (and says so on stderr when it is not 0)
    let err = err
        .lines()
        .filter(|l| !l.starts_with("Command exited with non-zero status"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
        peak_kib,
    )
}

/// Peak memory allowed for any workbook, whatever it inflates to.
const MEMORY_BOUND_KIB: u64 = 100 * 1024;

// ---------- limits ----------

/// A cell reference past column XFD, a 2 GiB inline string, a 2 GiB shared string, a shared-strings
/// table of 2 GiB or of 100 million entries, and a row number past the row limit: each refused
/// with the sheet (or part), the place and the limit, in bounded memory, with nothing written.
#[test]
fn xlsx_past_the_limits_is_refused_with_sheet_cell_and_limit_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let gib2 = 2048u64; // 1 MiB chunks
    let mib = |c: char| c.to_string().repeat(1 << 20);
    let strings_head = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">"#;
    let one_kib_string = format!("<si><t>{}</t></si>", "李".repeat(330));
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "past-xfd.xlsx",
            workbook(
                sheet_of(r#"<row r="3"><c r="ZZZZZZZ3" t="inlineStr"><is><t>x</t></is></c></row>"#),
                None,
            ),
            vec!["sheet '名单'", "at ZZZZZZZ3", "past column XFD"],
        ),
        (
            "inline-2gib.xlsx",
            workbook(
                repeated(
                    "xl/worksheets/sheet1.xml",
                    &format!(
                        r#"{SHEET_HEAD}{}<row r="3"><c r="A3"><v>2022001</v></c><c r="B3" t="inlineStr"><is><t>"#,
                        header_row()
                    ),
                    &mib('A'),
                    gib2,
                    &format!("</t></is></c></row>{SHEET_TAIL}"),
                ),
                None,
            ),
            vec!["sheet '名单'", "at B3", "the cell is longer than 1 MiB"],
        ),
        (
            "shared-string-2gib.xlsx",
            workbook(
                sheet_of(r#"<row r="3"><c r="B3" t="s"><v>0</v></c></row>"#),
                Some(repeated(
                    "xl/sharedStrings.xml",
                    &format!("{strings_head}<si><t>"),
                    &mib('A'),
                    gib2,
                    "</t></si></sst>",
                )),
            ),
            vec![
                "xl/sharedStrings.xml",
                "at #0",
                "the shared string is longer than 1 MiB",
            ],
        ),
        (
            "shared-table-2gib.xlsx",
            workbook(
                sheet_of(r#"<row r="3"><c r="B3" t="s"><v>0</v></c></row>"#),
                Some(repeated(
                    "xl/sharedStrings.xml",
                    strings_head,
                    &one_kib_string.repeat(1024),
                    gib2,
                    "</sst>",
                )),
            ),
            vec![
                "xl/sharedStrings.xml",
                "the shared-strings table is larger than 48 MiB",
            ],
        ),
        (
            "shared-table-100m.xlsx",
            workbook(
                sheet_of(r#"<row r="3"><c r="B3" t="s"><v>0</v></c></row>"#),
                Some(repeated(
                    "xl/sharedStrings.xml",
                    strings_head,
                    &"<si/>".repeat(1 << 20),
                    100,
                    "</sst>",
                )),
            ),
            vec!["xl/sharedStrings.xml", "more than 4000000 entries"],
        ),
        (
            "far-row.xlsx",
            workbook(
                sheet_of(r#"<row r="1000001"><c r="A1000001"><v>1</v></c></row>"#),
                None,
            ),
            vec!["sheet '名单'", "at 1000001", "more than 1000000 rows"],
        ),
    ];
    for (name, bytes, words) in cases {
        assert!(
            bytes.len() < 16 << 20,
            "{name} is small: {} bytes",
            bytes.len()
        );
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let home = tempfile::tempdir().unwrap();
        let (code, _, err, peak_kib) = import_measured(home.path(), &path);
        assert_eq!(code, 1, "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        for w in &words {
            assert!(err.contains(w), "{name}: {w:?} in {err}");
        }
        eprintln!("{name}: refused, peak memory {} MiB", peak_kib / 1024);
        assert!(
            peak_kib < MEMORY_BOUND_KIB,
            "{name}: peak {} MiB",
            peak_kib / 1024
        );
        assert!(
            !home.path().join("caiji.db").exists(),
            "{name}: nothing written"
        );
    }
}

// ---------- damaged sheets ----------

/// Two `<row r="2">` elements, or one cell twice: the file is refused (a damaged sheet), never
/// read with one of them dropped.
#[test]
fn two_rows_with_one_number_refuse_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let student = |row: u32, no: &str| {
        let id = common::resident_id_of(no.parse().unwrap());
        let cells: String = [
            no,
            "张三",
            &id,
            "计算机学院",
            "软件工程",
            "软工2201",
            "本科",
            "王老师",
            "2026",
        ]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"<c r="{}{row}" t="inlineStr"><is><t>{v}</t></is></c>"#,
                (b'A' + i as u8) as char
            )
        })
        .collect();
        format!(r#"<row r="{row}">{cells}</row>"#)
    };
    let cases = [
        (
            "twice.xlsx",
            format!("{}{}", student(2, "2022001"), student(2, "2022002")),
            vec![
                "sheet '名单': row 2 appears twice",
                "open it in Excel or WPS",
            ],
        ),
        (
            "backwards.xlsx",
            format!("{}{}", student(3, "2022001"), student(2, "2022002")),
            vec!["row 2 appears twice (or the rows are out of order)"],
        ),
        (
            "cell-twice.xlsx",
            student(2, "2022001").replace("</row>", r#"<c r="B2"><v>1</v></c></row>"#),
            vec!["cell B2 appears twice"],
        ),
    ];
    for (name, rows, words) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, workbook(sheet_of(&rows), None)).unwrap();
        let home = tempfile::tempdir().unwrap();
        let (code, _, err, _) = import_measured(home.path(), &path);
        assert_eq!(code, 1, "{name}: {err}");
        for w in &words {
            assert!(err.contains(w), "{name}: {w:?} in {err}");
        }
    }
    // the same rows, numbered right, import
    let path = dir.path().join("fine.xlsx");
    let rows = format!("{}{}", student(2, "2022001"), student(3, "2022002"));
    std::fs::write(&path, workbook(sheet_of(&rows), None)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let (code, out, err, _) = import_measured(home.path(), &path);
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["inserted"], 2, "{summary}");
}

// ---------- cells that are no 学号 ----------

/// Excel cells that are not text or whole numbers — dates, date-times, TRUE/FALSE, negative and
/// fractional numbers — are rejected as a 学号 with the cell named; a date in the 毕业时间 column
/// is still a cohort.
#[test]
fn xlsx_cells_that_are_not_text_or_whole_numbers_are_no_student_number() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "学号",
        "姓名",
        "证件号码",
        "学院",
        "专业",
        "班级",
        "层次",
        "辅导员",
        "毕业时间",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let date_time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let graduation = ExcelDateTime::from_ymd(2026, 6, 30).unwrap();
    for (i, no) in (2022001..=2022007).enumerate() {
        let r = i as u32 + 1;
        let id = common::resident_id_of(no);
        for (c, v) in [&id, "计算机学院", "软件工程", "软工2201", "本科", "王老师"]
            .iter()
            .enumerate()
        {
            sheet.write_string(r, c as u16 + 2, *v).unwrap();
        }
        sheet
            .write_string(
                r,
                1,
                ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九"][i],
            )
            .unwrap();
        // 毕业时间 as an Excel date
        sheet
            .write_datetime_with_format(r, 8, &graduation, &date)
            .unwrap();
    }
    sheet.write_number(1, 0, 2022001.0).unwrap(); // a whole number: a 学号
    sheet.write_string(2, 0, "2022002").unwrap(); // text: a 学号
    sheet
        .write_datetime_with_format(3, 0, ExcelDateTime::from_ymd(2022, 1, 5).unwrap(), &date)
        .unwrap();
    sheet
        .write_datetime_with_format(
            4,
            0,
            ExcelDateTime::parse_from_str("2022-01-05 08:30:00").unwrap(),
            &date_time,
        )
        .unwrap();
    sheet.write_boolean(5, 0, true).unwrap();
    sheet.write_number(6, 0, -2022006.0).unwrap();
    sheet.write_number(7, 0, 2022007.5).unwrap();
    book.save(&path).unwrap();

    let home = tempfile::tempdir().unwrap();
    let (code, out, err, _) = import_measured(home.path(), &path);
    assert_eq!(code, 3, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["inserted"], 2, "{summary}");
    let got: Vec<(u64, String, String)> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (
            4,
            "cell A4 is a date in Excel (2022-01-05), not a student number",
        ),
        (
            5,
            "cell A5 is a date and time in Excel (2022-01-05 08:30:00), not a student number",
        ),
        (
            6,
            "cell A6 is a TRUE/FALSE value in Excel (TRUE), not a student number",
        ),
        (
            7,
            "cell A7 is a negative number in Excel (-2022006), not a student number",
        ),
        (
            8,
            "cell A8 is a fraction in Excel (2022007.5), not a student number",
        ),
    ];
    assert_eq!(got.len(), want.len(), "{summary:#}");
    for ((row, field, reason), (want_row, words)) in got.iter().zip(want) {
        assert_eq!((*row, field.as_str()), (want_row, "student_no"), "{reason}");
        assert!(reason.contains(words), "{reason}");
    }
}

// ---------- .xls ----------

/// An Excel 97–2003 workbook as xlwt writes it (`tests/fixtures/make_roster_xls.py`): a cover
/// sheet first (the roster sheet is found by its header), a title row, synonyms, 毕业时间 dates,
/// 学号 typed as numbers and as text, one 学号 stored as a date (rejected with its cell), and a
/// footer (skipped and named, not rejected).
#[test]
fn xls_workbooks_import_like_xlsx() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roster.xls");
    let home = tempfile::tempdir().unwrap();
    let (code, out, err, _) = import_measured(home.path(), &fixture);
    assert_eq!(code, 3, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["inserted"], 4, "{summary}");
    let rejected = summary["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{summary}");
    assert_eq!(rejected[0]["row"], 7);
    assert_eq!(rejected[0]["field"], "student_no");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("cell A7 is a date in Excel (2022-01-05)"),
        "{summary}"
    );
    assert_eq!(
        summary["footer"],
        serde_json::json!([
            {"row": 9, "text": "合计：5人"},
            {"row": 10, "text": "制表人：王老师 审核人：李主任"},
            {"row": 11, "text": "日期：2026年3月1日"},
        ])
    );
    let list = Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(["students", "list", "--format", "json"])
        .env("CAIJI_HOME", home.path())
        .env("CAIJI_LANG", "en")
        .output()
        .unwrap();
    let students: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let names: Vec<(&str, &str, i64)> = students
        .iter()
        .map(|s| {
            (
                s["student_no"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                s["cohort"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("2022001", "张三", 2026),
            ("2022002", "欧阳娜娜", 2026),
            ("2022003", "买买提·艾力", 2026),
            ("2022004", "John Smith", 2026),
        ]
    );

    // --sheet still chooses; the cover sheet has no header
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(["import", fixture.to_str().unwrap(), "--sheet", "说明"])
        .env("CAIJI_HOME", home.path())
        .env("CAIJI_LANG", "en")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no header row"));
}
