//! Seed inputs for the fuzz corpora, built from the same kinds of files the test suites use:
//! demo rosters in every encoding and as workbooks, issued tokens, demo portraits, the shipped
//! themes, a full config. `cargo test --test fuzz_corpus -- --ignored write_seed_corpora`
//! writes them to `fuzz/corpus/<target>/seed-*`; the fuzzer adds what it finds beside them.

use chrono::NaiveDate;

use super::test_keyring;
use crate::code::{self, CodePayload};
use crate::demo;
use crate::domain::Student;
use crate::roster::Field;

/// `(target, file name, bytes)` for every seed.
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, format!("seed-{name}"), bytes))
    };
    let school = demo::generate(12, 7, 2026);

    for (name, bytes) in tokens(&school.students, &school.code) {
        add("token", &name, bytes);
    }
    for (name, bytes) in scanner_lines(&school.students, &school.code) {
        add("scanner", &name, bytes);
    }
    for (name, bytes) in csv_rosters(&school.students) {
        add("roster_csv", &name, bytes);
    }
    for (name, bytes) in xlsx_rosters(&school.students) {
        add("roster_xlsx", &name, bytes);
    }
    for (name, bytes) in jpegs() {
        add("jpeg", &name, bytes);
    }
    for (name, text) in themes() {
        add("theme", &name, text.into_bytes());
    }
    for (name, text) in configs() {
        add("config", &name, text.into_bytes());
    }
    for (name, text) in keyrings() {
        add("keyring", &name, text.into_bytes());
    }
    out
}

fn payloads(students: &[Student], school_code: &str) -> Vec<CodePayload> {
    let day = NaiveDate::from_ymd_opt(2026, 4, 20).expect("date");
    students
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, s)| CodePayload::for_student(i as u64 * 997 + 1, s, school_code, day))
        .collect()
}

fn tokens(students: &[Student], school_code: &str) -> Vec<(String, Vec<u8>)> {
    let ring = test_keyring();
    let mut out = Vec::new();
    let with_mode = |mode: u8, bytes: &[u8]| [&[mode][..], bytes].concat();
    for (i, p) in payloads(students, school_code).iter().enumerate() {
        let token = code::issue(p, ring).expect("demo payload issues").text;
        out.push((format!("text-{i}"), with_mode(0, token.as_bytes())));
        out.push((
            format!("lower-{i}"),
            with_mode(0, format!(" {}\r\n", token.to_lowercase()).as_bytes()),
        ));
        out.push((
            format!("cut-{i}"),
            with_mode(0, &token.as_bytes()[..token.len() - 5]),
        ));
        let plaintext = code::payload::encode(p).expect("demo payload packs");
        out.push((
            format!("sealed-{i}"),
            with_mode(1, &[&p.serial.to_be_bytes()[..], &plaintext].concat()),
        ));
    }
    for (name, text) in [
        ("empty", ""),
        ("url", "https://example.edu/x"),
        ("v2", "CJ2:BB8"),
        ("bad-char", "CJ1:BB8_Q"),
        ("overflow", "CJ1:GGW"),
    ] {
        out.push((name.into(), with_mode(0, text.as_bytes())));
    }
    out
}

fn scanner_lines(students: &[Student], school_code: &str) -> Vec<(String, Vec<u8>)> {
    let ring = test_keyring();
    let tokens: Vec<String> = payloads(students, school_code)
        .iter()
        .map(|p| code::issue(p, ring).expect("demo payload issues").text)
        .collect();
    vec![
        (
            "session".into(),
            format!(
                "{}\r\n{}\n  {}  \n\n",
                tokens[0],
                tokens[1].to_lowercase(),
                tokens[2]
            )
            .into_bytes(),
        ),
        (
            "junk".into(),
            b"2022110101\nhttps://example.edu\r\nCJ1:\n\xff\xfe\x00CJ1:ABC\n\x1b[2J\n".to_vec(),
        ),
    ]
}

fn roster_rows(students: &[Student]) -> Vec<Vec<String>> {
    let mut rows = vec![
        Field::ALL
            .iter()
            .map(|f| f.label_zh().to_string())
            .collect::<Vec<_>>(),
    ];
    for s in students {
        rows.push(vec![
            s.student_no.clone(),
            s.name.clone(),
            s.id_type.label_zh().into(),
            s.id_number.clone(),
            s.college.clone(),
            s.major.clone(),
            s.class.clone(),
            s.level.label_zh().into(),
            s.counselor.clone(),
            s.cohort.to_string(),
            s.gender.clone().unwrap_or_default(),
            s.phone.clone().unwrap_or_default(),
        ]);
    }
    rows
}

/// CSV text as a spreadsheet saves it: cells quoted only when they need it, `delimiter` between
/// cells and `newline` after each row. The import tests build their files with it too.
pub fn csv_text(rows: &[Vec<String>], delimiter: char, newline: &str) -> String {
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                if c.contains([delimiter, '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(&delimiter.to_string()));
        out.push_str(newline);
    }
    out
}

fn csv_rosters(students: &[Student]) -> Vec<(String, Vec<u8>)> {
    let rows = roster_rows(students);
    let plain = csv_text(&rows, ',', "\r\n");
    let mut odd = rows.clone();
    odd.insert(0, vec!["2026届毕业生名单".into()]);
    odd[3][1] = "张\"三\"\n（曾用名）".into();
    odd[4][3] = "11010519491231002Y".into();
    odd[5][9] = "二〇二六".into();
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            csv_text(&rows, '\t', "\r\n")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(
            csv_text(&rows, ',', "\n")
                .encode_utf16()
                .flat_map(u16::to_be_bytes),
        )
        .collect();
    vec![
        ("utf8.csv".into(), plain.clone().into_bytes()),
        (
            "utf8-bom.csv".into(),
            [&[0xEF, 0xBB, 0xBF][..], plain.as_bytes()].concat(),
        ),
        (
            "gbk.csv".into(),
            encoding_rs::GBK.encode(&plain).0.into_owned(),
        ),
        (
            "gb18030.csv".into(),
            encoding_rs::GB18030
                .encode(&csv_text(&rows, ';', "\n"))
                .0
                .into_owned(),
        ),
        ("utf16le-tab.csv".into(), utf16le),
        ("utf16be.csv".into(), utf16be),
        (
            "title-quotes-rejects.csv".into(),
            csv_text(&odd, ',', "\n").into_bytes(),
        ),
    ]
}

fn xlsx_rosters(students: &[Student]) -> Vec<(String, Vec<u8>)> {
    use rust_xlsxwriter::{Formula, Workbook};
    let rows = roster_rows(students);
    let book = |numbers: bool, notes: bool| -> Vec<u8> {
        let mut book = Workbook::new();
        if notes {
            book.add_worksheet()
                .set_name("说明")
                .expect("name")
                .write_string(0, 0, "导入说明")
                .expect("cell");
        }
        let sheet = book.add_worksheet();
        sheet.set_formula_result_default("");
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell.parse::<f64>() {
                    Ok(n) if numbers && r > 0 => sheet.write_number(r, c, n).map(|_| ()),
                    _ => sheet.write_string(r, c, cell).map(|_| ()),
                }
                .expect("cell");
            }
        }
        if numbers {
            sheet
                .write_formula(1, 12, Formula::new("=A2&\"\""))
                .expect("formula");
            sheet
                .write_number(2, 3, 110105194912310021.0)
                .expect("lost digits");
        }
        book.save_to_buffer().expect("workbook")
    };
    vec![
        ("text.xlsx".into(), book(false, false)),
        ("numbers-formulas-sheets.xlsx".into(), book(true, true)),
    ]
}

fn jpegs() -> Vec<(String, Vec<u8>)> {
    let pixels = demo::photos::draw_portrait(48, 64, [100, 197, 255], 3);
    let colour = demo::photos::encode(&pixels, 48, 64, false, 60).expect("jpeg");
    let grey = demo::photos::encode(&pixels, 48, 64, true, 40).expect("jpeg");
    let commented = demo::photos::with_comment(&grey, "备注".as_bytes());
    let cut = colour[..colour.len() * 2 / 3].to_vec();
    vec![
        ("colour.jpg".into(), colour),
        ("grey.jpg".into(), grey),
        ("comment.jpg".into(), commented),
        ("truncated.jpg".into(), cut),
        ("png".into(), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
    ]
}

fn themes() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ["default", "light", "high-contrast", "mono"]
        .iter()
        .filter_map(|name| {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/themes/");
            std::fs::read_to_string(format!("{path}{name}.toml"))
                .ok()
                .map(|t| (format!("{name}.toml"), t))
        })
        .collect();
    out.push(("based.toml".into(), "name = \"mine\"\nbase = \"light\"\naccent = \"#ff8800 bold\"\nerror = \"196 underlined\"\n".into()));
    out.push((
        "bad.toml".into(),
        "accent = \"bold blue red\"\nnope = \"red\"\n".into(),
    ));
    out
}

fn configs() -> Vec<(String, String)> {
    vec![
        (
            "full.toml".into(),
            "cohort = 2026\nlang = \"en\"\ntheme = \"light\"\nmouse = true\n[school]\ncode = \"4111010001\"\nname = \"示例大学\"\n\
             [photo]\nwidth = 480\nheight = 640\nmin_kb = 20\nmax_kb = 40\n[keys]\nquit = \"ctrl-q\"\nmove_down = \"j, down\"\nhelp = \"f1\"\n\
             [roster.source]\nurl = \"postgres://reader@jw.example.edu/jw\"\nquery = \"SELECT * FROM graduates\"\n"
                .into(),
        ),
        ("bad-keys.toml".into(), "[keys]\nquit = \"ctrl-\"\nnot_an_action = \"x\"\n[photo]\nmin_kb = 50\nmax_kb = 10\n".into()),
    ]
}

fn keyrings() -> Vec<(String, String)> {
    vec![
        ("two-keys".into(), super::TEST_KEYRING.into()),
        (
            "newer".into(),
            "caiji-keyring 2\nkey 1 2026-05-01 00 current\n".into(),
        ),
        (
            "no-current".into(),
            super::TEST_KEYRING.replace(" current", ""),
        ),
    ]
}
