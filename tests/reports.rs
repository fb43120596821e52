//! Reports and missing lists, read back with independent readers (csv, calamine).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn caiji(home: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(args)
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "office")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run caiji");
    assert!(
        out.status.success(),
        "caiji {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A demo school plus one student whose name is a formula payload.
async fn school(home: &Path) {
    caiji(
        home,
        &["demo", "--no-tui", "--students", "300", "--seed", "11"],
    );
    let url = format!("sqlite://{}", home.join("caiji.db").display());
    let store = caiji::store::open(&url, caiji::store::Create::Never)
        .await
        .unwrap();
    let mut evil = common::student("2099000001", "=HYPERLINK(\"http://x\",\"点我\")");
    evil.college = "@SUM(1+1)".into();
    store.insert_students(&[evil]).await.unwrap();
    store.close().await;
}

fn list_json(home: &Path) -> Vec<serde_json::Value> {
    let out = caiji(home, &["students", "list", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Group counts computed from `students list`: total, code, session, checked in, valid photo.
fn expected_by_college(rows: &[serde_json::Value]) -> BTreeMap<String, [i64; 5]> {
    let mut want: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for r in rows {
        let e = want
            .entry(r["college"].as_str().unwrap().to_string())
            .or_default();
        e[0] += 1;
        e[1] += (r["code_status"] == "active") as i64;
        e[2] += !r["session_id"].is_null() as i64;
        e[3] += (r["checked_in"] == true) as i64;
        e[4] += (r["photo_status"] == "valid") as i64;
    }
    want
}

#[tokio::test]
async fn report_counts_equal_student_list_in_json_csv_and_xlsx() {
    let home = tempfile::tempdir().unwrap();
    school(home.path()).await;
    let want = expected_by_college(&list_json(home.path()));

    let json: Vec<serde_json::Value> = serde_json::from_slice(
        &caiji(
            home.path(),
            &["report", "--by", "college", "--format", "json"],
        )
        .stdout,
    )
    .unwrap();
    let got: BTreeMap<String, [i64; 5]> = json
        .iter()
        .map(|g| {
            let n = |k: &str| g[k].as_i64().unwrap();
            (
                g["group"].as_str().unwrap().to_string(),
                [
                    n("total"),
                    n("code_active"),
                    n("session_assigned"),
                    n("checked_in"),
                    n("photo_valid"),
                ],
            )
        })
        .collect();
    assert_eq!(got, want);
    for g in &json {
        let c = g["completion"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert_eq!(
            g["photo_valid"].as_i64().unwrap()
                + g["photo_invalid"].as_i64().unwrap()
                + g["photo_duplicate"].as_i64().unwrap()
                + g["photo_missing"].as_i64().unwrap(),
            g["total"].as_i64().unwrap()
        );
    }

    // CSV: BOM, header, one line per group plus the total line
    let csv_path = home.path().join("report.csv");
    caiji(home.path(), &["report", "-o", csv_path.to_str().unwrap()]);
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 BOM for Chinese Excel"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let mut from_csv: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let n = |i: usize| rec[i].parse::<i64>().unwrap();
        from_csv.insert(rec[0].to_string(), [n(1), n(2), n(3), n(4), n(5)]);
    }
    let total = from_csv.remove("total").expect("a total line");
    assert_eq!(total[0], want.values().map(|v| v[0]).sum::<i64>());
    let neutralised = from_csv
        .remove("'@SUM(1+1)")
        .expect("the formula-like college is neutralised");
    assert_eq!(neutralised, want["@SUM(1+1)"]);
    let mut want_rest = want.clone();
    want_rest.remove("@SUM(1+1)");
    assert_eq!(from_csv, want_rest);

    // XLSX: a summary sheet with real percentages, and one sheet per missing list
    use calamine::{Data, DataType, Reader, Xlsx};
    let xlsx_path = home.path().join("report.xlsx");
    caiji(home.path(), &["report", "-o", xlsx_path.to_str().unwrap()]);
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx_path).unwrap();
    let names = book.sheet_names().to_vec();
    assert_eq!(names.len(), 5, "{names:?}");
    let summary = book.worksheet_range(&names[0]).unwrap();
    let rows: Vec<&[Data]> = summary.rows().collect();
    assert_eq!(rows.len(), want.len() + 2, "header + groups + total");
    for row in &rows[1..rows.len() - 1] {
        let group = row[0].to_string().trim_start_matches('\'').to_string();
        let counts = want.get(&group).unwrap_or_else(|| panic!("group {group}"));
        assert_eq!(row[1].as_f64().unwrap() as i64, counts[0]);
        assert_eq!(row[5].as_f64().unwrap() as i64, counts[4]);
        let Data::Float(completion) = row[9] else {
            panic!("completion is a number, not text: {:?}", row[9])
        };
        assert!((completion - counts[4] as f64 / counts[0] as f64).abs() < 1e-9);
    }
    let no_code = book.worksheet_range(&names[1]).unwrap();
    let expected_no_code = list_json(home.path())
        .iter()
        .filter(|r| r["code_status"] != "active")
        .count();
    assert_eq!(no_code.rows().count() - 1, expected_no_code);
}

#[tokio::test]
async fn missing_lists_are_masked_neutralised_and_audited() {
    let home = tempfile::tempdir().unwrap();
    school(home.path()).await;
    let path = home.path().join("missing.csv");
    caiji(
        home.path(),
        &["report", "missing", "photo", "-o", path.to_str().unwrap()],
    );
    let bytes = std::fs::read(&path).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected = list_json(home.path())
        .iter()
        .filter(|r| r["photo_status"] != "valid")
        .count();
    assert_eq!(records.len(), expected);
    let evil = records
        .iter()
        .find(|r| &r[0] == "2099000001")
        .expect("the payload student is listed");
    assert!(evil[1].starts_with("'="), "name neutralised: {}", &evil[1]);
    assert!(
        evil[2].starts_with("*****") && evil[2].len() == 9,
        "ID masked: {}",
        &evil[2]
    );
    assert!(
        records
            .iter()
            .all(|r| r[2].starts_with("*****") && r[2].chars().count() == 9),
        "every ID number masked"
    );

    let revealed = caiji(
        home.path(),
        &[
            "report",
            "missing",
            "photo",
            "--reveal-id",
            "--format",
            "csv",
        ],
    );
    let text = String::from_utf8_lossy(&revealed.stdout);
    assert!(
        text.lines().skip(1).all(|l| !l.contains("*****")),
        "revealed on request"
    );
    let audit: Vec<serde_json::Value> = serde_json::from_slice(
        &caiji(home.path(), &["audit", "--format", "json", "--limit", "5"]).stdout,
    )
    .unwrap();
    assert_eq!(audit[0]["action"], "reveal_id");
    assert_eq!(audit[0]["operator"], "office");
    assert_eq!(audit[1]["action"], "export");
}

/// The console's drill-down: a college's classes and counselors count exactly the students of
/// that college the student list shows (withdrawn left out), and a name with a quote is bound,
/// not spliced into the SQL.
async fn drill_down_counts_match_student_list(db: &common::TestDb) {
    use caiji::store::{CodeStatus, GroupBy, PhotoStatus, StudentFilter};
    let s = caiji::store::open(&db.url, caiji::store::Create::IfMissing)
        .await
        .unwrap();
    let mut students = caiji::demo::generate(300, 5, 2026).students;
    students[0].college = "O'Neil 学院".into();
    students[0].class = "国际2201".into();
    s.insert_students(&students).await.unwrap();
    for q in [
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT id, id, 1, student_no, 'active', '2026-01-01 00:00:00' FROM students WHERE id % 3 <> 0",
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT student_no, id, 30000, 0, 'h', 'valid', '2026-03-02 10:00:00' FROM students WHERE id % 4 = 0",
        "UPDATE students SET withdrawn = TRUE WHERE id % 25 = 0",
    ] {
        common::exec(db, q)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let colleges = s.completion(GroupBy::College, None).await.unwrap();
    assert!(colleges.len() > 2, "{colleges:?}");
    let mut checked = 0;
    for college in colleges.iter().map(|c| c.group.as_str()) {
        for by in [GroupBy::Class, GroupBy::Counselor] {
            let mut want: BTreeMap<String, [i64; 3]> = BTreeMap::new();
            for r in rows
                .iter()
                .filter(|r| !r.withdrawn && r.student.college == college)
            {
                let key = if by == GroupBy::Class {
                    &r.student.class
                } else {
                    &r.student.counselor
                };
                let e = want.entry(key.clone()).or_default();
                e[0] += 1;
                e[1] += (r.code_status == CodeStatus::Active) as i64;
                e[2] += (r.photo_status == PhotoStatus::Valid) as i64;
            }
            let got_rows = s.completion_in_college(by, college, None).await.unwrap();
            let got: BTreeMap<String, [i64; 3]> = got_rows
                .iter()
                .map(|g| (g.group.clone(), [g.total, g.code_active, g.photo_valid]))
                .collect();
            assert_eq!(got, want, "{college} by {by:?}");
            if by == GroupBy::Class {
                assert!(
                    got_rows.iter().all(|g| g.parent == college),
                    "classes name their college"
                );
            }
            // the groups add up to the college's own line
            let line = colleges.iter().find(|c| c.group == college).unwrap();
            assert_eq!(
                got_rows.iter().map(|g| g.total).sum::<i64>(),
                line.total,
                "{college}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6);
    let quoted = s
        .completion_in_college(GroupBy::Class, "O'Neil 学院", None)
        .await
        .unwrap();
    assert_eq!(
        quoted.iter().map(|g| g.group.as_str()).collect::<Vec<_>>(),
        ["国际2201"]
    );
    assert!(
        s.completion_in_college(GroupBy::Class, "' OR 1=1 --", None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.completion_in_college(GroupBy::Class, &colleges[1].group, Some(1999))
            .await
            .unwrap()
            .is_empty()
    );
    s.close().await;
}

backend_tests! {
    drill_down_in_a_college => drill_down_counts_match_student_list;
}
