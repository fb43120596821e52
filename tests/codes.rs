//! Whole-program tests of `caiji codes` and `caiji key`: the built binary on temporary
//! CAIJI_HOMEs, against SQLite always and PostgreSQL / MariaDB when their URLs are set.
//! What `codes show` draws is read back with an independent decoder (rqrr) and verified with the
//! key file, then compared with the roster; nothing is compared with a copy of itself.

mod common;
#[path = "codes/decode.rs"]
mod decode;
#[path = "codes/fixture.rs"]
mod fixture;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use caiji::code::{CodePayload, Keyring, issue, verify};
use caiji::domain::IdType;
use common::TestDb;
use fixture::{
    FOREIGN_CODE, SCHOOL_CODE, SCHOOL_NAME, School, assert_fails, assert_ok, run, stderr, stdout,
    today,
};
use serde_json::Value;

// ---- drawing ------------------------------------------------------------------------------------

/// Splits `codes show` output (not a terminal: code first, a blank line, then the fields).
fn code_and_fields(text: &str) -> (&str, &str) {
    text.split_once("\n\n")
        .unwrap_or_else(|| panic!("a code, a blank line and the fields: {text}"))
}

async fn drawn_codes_decode_to_the_roster(db: &TestDb) {
    let school = School::new(db).await;
    let out = school.run(&["codes", "issue", "--all"]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Issued 8 codes with key 1"),
        "{}",
        stdout(&out)
    );
    let ring = school.keyring();
    let id_types: std::collections::BTreeSet<&str> = school
        .cases
        .iter()
        .map(|c| c.student.id_type.code())
        .collect();
    assert_eq!(
        id_types.len(),
        IdType::ALL.len(),
        "every document type is drawn"
    );
    for (i, case) in school.cases.iter().enumerate() {
        let s = &case.student;
        let token = school.token(i);
        // Plain because stdout is a pipe; then coloured cells forced with --color always.
        for colour in [false, true] {
            let mut args = vec!["codes", "show", s.student_no.as_str()];
            if colour {
                args.extend(["--color", "always"]);
            }
            let out = school.run(&args);
            assert_ok(&out);
            let text = stdout(&out);
            assert_eq!(
                text.contains('\x1b'),
                colour,
                "colour only when asked for: {text}"
            );
            let (code, fields) = code_and_fields(&text);
            let rows = code.lines().count();
            assert!(
                (15..=23).contains(&rows),
                "{}: a version 1–5 code is 15–23 rows, got {rows}",
                s.name
            );
            let lines = decode::code_lines(&text, colour, rows);
            let modules = if colour {
                decode::modules_from_ansi(&lines)
            } else {
                decode::modules_from_plain(&lines)
            };
            let read = decode::decode_modules(&modules);
            assert_eq!(
                read, token,
                "{}: the drawn code is the stored token",
                s.name
            );

            let p = verify(&read, &ring).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_eq!(p.student_no, s.student_no);
            assert_eq!(p.masked_name, case.masked_name, "{}", s.name);
            assert_eq!(p.masked_id, case.masked_id, "{}", s.name);
            assert_eq!(p.school_code, SCHOOL_CODE);
            assert_eq!(
                (p.level, p.cohort, p.issued_on),
                (s.level, s.cohort, today()),
                "{}",
                s.name
            );

            for want in [
                case.masked_name,
                case.masked_id.as_str(),
                SCHOOL_NAME,
                SCHOOL_CODE,
                s.level.label_en(),
                &s.cohort.to_string(),
                &p.serial.to_string(),
                "active",
            ] {
                assert!(
                    fields.contains(want),
                    "{}: {want:?} beside the code: {fields}",
                    s.name
                );
            }
            assert!(
                !text.contains(&s.id_number) && !text.contains(&s.id_number.to_uppercase()),
                "never the full ID: {text}"
            );
            assert!(!text.contains(&s.name), "never the full name: {text}");
        }
    }
}

/// Renders through a pseudo-terminal (util-linux `script`), so stdout is a terminal of the
/// given size: colour cells by default, plain under NO_COLOR, a message when too small.
fn show_on_terminal(
    school: &School,
    no: &str,
    size: (u16, u16),
    env: &[(&str, &str)],
) -> Option<(Option<i32>, String)> {
    let script = Command::new("script")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    drop(script);
    let bin = env!("CARGO_BIN_EXE_caiji");
    let command = format!(
        "stty cols {} rows {}; exec '{bin}' --database-url '{}' codes show {no}",
        size.0, size.1, school.url
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .env("CAIJI_HOME", school.home.path())
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .env_remove("NO_COLOR")
        .env_remove("CAIJI_KEY_FILE")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = cmd.output().ok()?;
    Some((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_output_is_coloured_plain_or_refused_by_size() {
    let db = TestDb::new(common::Server::Sqlite).await.expect("sqlite");
    let school = School::new(&db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let ring = school.keyring();
    let no = school.no(1).to_string();
    let token = school.token(1);

    let Some((status, text)) = show_on_terminal(&school, &no, (120, 40), &[]) else {
        let _ = writeln!(
            std::io::stderr(),
            "note: util-linux `script` not found — terminal rendering test skipped"
        );
        return;
    };
    assert_eq!(status, Some(0), "{text}");
    // On a wide terminal the fields stand beside the code: every line is a code line.
    let rows = text.lines().count();
    assert!(text.lines().all(|l| l.contains("\x1b[0m")), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("\x1b[0m") && l.ends_with("欧**娜")),
        "fields beside the code: {text}"
    );
    let read = decode::decode_modules(&decode::modules_from_ansi(&decode::code_lines(
        &text, true, rows,
    )));
    assert_eq!(read, token);
    assert_eq!(
        verify(&read, &ring).map(|p| p.masked_name),
        Ok("欧**娜".to_string())
    );

    let (status, text) =
        show_on_terminal(&school, &no, (120, 40), &[("NO_COLOR", "1")]).expect("script");
    assert_eq!(status, Some(0), "{text}");
    assert!(
        !text.contains('\x1b'),
        "NO_COLOR: plain half blocks: {text}"
    );
    let rows = text.lines().count();
    assert_eq!(
        decode::decode_modules(&decode::modules_from_plain(&decode::code_lines(
            &text, false, rows
        ))),
        token
    );

    // Narrower than code + fields: the fields go above, the code stays whole below them.
    let (status, text) = show_on_terminal(&school, &no, (50, 40), &[]).expect("script");
    assert_eq!(status, Some(0), "{text}");
    let code: Vec<&str> = text.lines().skip_while(|l| !l.contains('\x1b')).collect();
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.starts_with("Student no.")),
        "{text}"
    );
    let read = decode::decode_modules(&decode::modules_from_ansi(&decode::code_lines(
        &code.join("\n"),
        true,
        code.len(),
    )));
    assert_eq!(read, token);

    // Too small: the size it needs, never a clipped code.
    let m = caiji::code::QrMatrix::encode(&token).unwrap();
    let (w, h) = m.required_size();
    for size in [(w - 1, 60), (100, h)] {
        let (status, text) = show_on_terminal(&school, &no, size, &[]).expect("script");
        assert_eq!(status, Some(1), "{size:?}: {text}");
        assert!(
            text.contains(&format!("must be at least {w}×{}", h + 1)),
            "{size:?}: {text}"
        );
        assert!(
            !text.contains('▀') && !text.contains('\x1b'),
            "no code drawn: {text}"
        );
    }
    db.cleanup().await;
}

// ---- verifying ----------------------------------------------------------------------------------

/// Seals `p` with `ring` (codes made outside this school's database).
fn seal(ring: &Keyring, p: &CodePayload) -> String {
    issue(p, ring).expect("issue").text
}

fn payload_for(school: &School, i: usize, serial: u64, school_code: &str) -> CodePayload {
    CodePayload::for_student(serial, &school.cases[i].student, school_code, today())
}

async fn verify_tells_each_problem_apart(db: &TestDb) {
    let school = School::new(db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let tokens: Vec<String> = (0..4).map(|i| school.token(i)).collect();
    assert_ok(&school.run(&["codes", "revoke", school.no(1), "--reason", "lost"]));
    assert_ok(&school.run(&[
        "codes",
        "reissue",
        school.no(2),
        "--reason",
        "name corrected",
    ]));
    assert_ok(&school.run(&["codes", "revoke", school.no(3), "--reason", "lost"]));
    assert_ok(&school.run(&[
        "codes",
        "reissue",
        school.no(3),
        "--reason",
        "found a new photo",
    ]));

    let elsewhere = tempfile::tempdir().unwrap();
    let other_school = Keyring::generate(&elsewhere.path().join("other.keys")).unwrap();
    let mut rotated = Keyring::generate(&elsewhere.path().join("rotated.keys")).unwrap();
    rotated.rotate().unwrap();
    rotated.rotate().unwrap();
    let ring = school.keyring();
    let t0 = &tokens[0];
    let mut tampered: Vec<char> = t0.chars().collect();
    tampered[12] = if tampered[12] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let day = today().to_string();
    let store = school.store().await;
    let (_, codes) = store.student_codes(school.no(0)).await.unwrap().unwrap();
    store.close().await;
    let serial0 = u64::try_from(codes[0].serial).unwrap();

    // (input line, valid, status, words in the reason: None = reason is null)
    let cases: Vec<(String, bool, &str, Option<Vec<String>>)> = vec![
        (format!("  {}\t", t0.to_lowercase()), true, "active", None),
        (
            tokens[1].clone(),
            false,
            "revoked",
            Some(vec![format!("revoked on {day}"), "no replacement".into()]),
        ),
        (
            tokens[2].clone(),
            false,
            "revoked",
            Some(vec![
                format!("revoked on {day}"),
                format!("a new code was issued on {day}"),
            ]),
        ),
        (
            tokens[3].clone(),
            false,
            "revoked",
            Some(vec![format!("a new code was issued on {day}")]),
        ),
        (
            seal(&other_school, &payload_for(&school, 0, 1, SCHOOL_CODE)),
            false,
            "unknown",
            Some(vec!["another school or with another key".into()]),
        ),
        (
            seal(&ring, &payload_for(&school, 0, 1, FOREIGN_CODE)),
            false,
            "unknown",
            Some(vec!["another school's code".into(), FOREIGN_CODE.into()]),
        ),
        (
            seal(&rotated, &payload_for(&school, 0, 1, SCHOOL_CODE)),
            false,
            "unknown",
            Some(vec!["sealed with key 3".into(), "holds 1".into()]),
        ),
        (
            seal(&ring, &payload_for(&school, 0, 987_654, SCHOOL_CODE)),
            false,
            "unknown",
            Some(vec!["no code with its serial".into()]),
        ),
        (tampered, false, "unknown", Some(vec![])),
        (
            t0[..t0.len() - 4].to_string(),
            false,
            "unknown",
            Some(vec!["cut short".into()]),
        ),
        (
            format!("XJ1:{}", &t0[4..]),
            false,
            "unknown",
            Some(vec!["not a caiji collection code".into()]),
        ),
        (
            format!("CJ1:{}_{}", &t0[4..10], &t0[10..]),
            false,
            "unknown",
            Some(vec!["'_'".into(), "position 11".into()]),
        ),
        // Authentic, with a serial this database has, but not the code stored under it: sealed
        // by another database sharing the key file.
        (
            seal(&ring, &payload_for(&school, 0, serial0, SCHOOL_CODE)),
            false,
            "unknown",
            Some(vec!["no code with its serial".into()]),
        ),
    ];
    // A scanner's blank lines between codes are skipped.
    let input: String = cases
        .iter()
        .map(|(line, ..)| format!("{line}\n\n"))
        .collect();
    let (status, answers) = school.verify_json(&[], &input);
    assert_eq!(status, Some(4), "exit 4 when any code is invalid");
    assert_eq!(
        answers.len(),
        cases.len(),
        "one answer per token, blank lines skipped"
    );
    for (i, ((line, valid, status, words), a)) in cases.iter().zip(&answers).enumerate() {
        assert_eq!(a["valid"], *valid, "#{i} {line}: {a}");
        assert_eq!(a["status"], *status, "#{i} {line}: {a}");
        for key in [
            "valid",
            "status",
            "reason",
            "serial",
            "student_no",
            "masked_name",
            "masked_id",
            "school_code",
            "school_name",
            "level",
            "cohort",
            "issued_on",
            "revocation_checked",
        ] {
            assert!(a.get(key).is_some(), "#{i}: key {key} in {a}");
        }
        match words {
            None => assert!(a["reason"].is_null(), "#{i}: {a}"),
            Some(words) => {
                let reason = a["reason"]
                    .as_str()
                    .unwrap_or_else(|| panic!("#{i}: a reason: {a}"));
                for w in words {
                    assert!(reason.contains(w.as_str()), "#{i}: {w:?} in {reason:?}");
                }
            }
        }
    }
    // Revoked, revoked and replaced, another school's key, another school's code, unknown key,
    // unknown serial, truncated, wrong prefix, bad character: each its own message.
    let distinct = [1, 2, 4, 5, 6, 7, 9, 10, 11];
    let reasons: std::collections::BTreeSet<&str> = distinct
        .iter()
        .filter_map(|&i| answers[i]["reason"].as_str())
        .collect();
    assert_eq!(
        reasons.len(),
        distinct.len(),
        "each problem has its own message: {reasons:#?}"
    );
    // The valid one carries the roster's fields, this school's name and a checked revocation.
    let first = &answers[0];
    let c = &school.cases[0];
    assert_eq!(first["student_no"], c.student.student_no.as_str());
    assert_eq!(first["masked_name"], c.masked_name);
    assert_eq!(first["masked_id"], c.masked_id.as_str());
    assert_eq!(
        (first["school_code"].as_str(), first["school_name"].as_str()),
        (Some(SCHOOL_CODE), Some(SCHOOL_NAME))
    );
    assert_eq!(
        (first["level"].as_str(), first["cohort"].as_i64()),
        (
            Some(c.student.level.code()),
            Some(i64::from(c.student.cohort))
        )
    );
    assert_eq!(
        (
            first["issued_on"].as_str(),
            first["revocation_checked"].as_bool()
        ),
        (Some(day.as_str()), Some(true))
    );
    assert!(
        answers[5]["school_name"].is_null(),
        "no name for another school's code"
    );

    // Table output: one line per token in order, with clear words; exit 0 when all are good.
    let out = school.run_with(&["codes", "verify"], Some(&input), &[]);
    assert_eq!(out.status.code(), Some(4));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), cases.len());
    for (i, prefix) in [
        (0, "1. VALID"),
        (1, "2. REVOKED"),
        (5, "6. FOREIGN"),
        (7, "8. UNKNOWN"),
        (9, "10. INVALID"),
    ] {
        assert!(lines[i].starts_with(prefix), "{prefix}: {}", lines[i]);
    }
    let good = format!("{}\n{}\n", school.token(0), school.token(4));
    let out = school.run_with(&["codes", "verify"], Some(&good), &[]);
    assert_ok(&out);
    assert_eq!(
        stdout(&out).lines().filter(|l| l.contains("VALID")).count(),
        2
    );
}

async fn every_single_character_change_is_rejected(db: &TestDb) {
    let school = School::new(db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let token = school.token(2);
    let alphabet: Vec<char> = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
        .chars()
        .collect();
    let chars: Vec<char> = token.chars().collect();
    // Every position, each with a few substitutes (the core tests every substitute).
    let mut changed = Vec::new();
    for pos in 0..chars.len() {
        for step in [1, 17, 31] {
            let at = alphabet.iter().position(|&c| c == chars[pos]).unwrap_or(0);
            let mut c = chars.clone();
            c[pos] = alphabet[(at + step) % alphabet.len()];
            changed.push(c.into_iter().collect::<String>());
        }
    }
    let (status, answers) = school.verify_json(&[], &changed.join("\n"));
    assert_eq!(status, Some(4));
    assert_eq!(answers.len(), changed.len());
    for (t, a) in changed.iter().zip(&answers) {
        assert_eq!(a["valid"], false, "{t} accepted: {a}");
        assert!(a["reason"].as_str().is_some_and(|r| !r.is_empty()), "{a}");
    }
    let (status, answers) = school.verify_json(&[], &token);
    assert_eq!(
        (status, answers[0]["valid"].as_bool()),
        (Some(0), Some(true)),
        "the original still verifies"
    );
}

// ---- keys ---------------------------------------------------------------------------------------

async fn rotation_keeps_old_codes_and_seals_new_ones_with_the_new_key(db: &TestDb) {
    let school = School::new(db).await;
    let (a, b) = (school.no(0).to_string(), school.no(1).to_string());
    assert_ok(&school.run(&["codes", "issue", &a, &b]));
    let old_keys = school.home.path().join("before-rotation.keys");
    std::fs::copy(school.key_path(), &old_keys).unwrap();

    let out = school.run(&["key", "rotate"]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Key 2 is now the current key"),
        "{}",
        stdout(&out)
    );
    let out = school.run(&["key", "list", "--format", "json"]);
    assert_ok(&out);
    let keys: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<(i64, bool)> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].as_i64().unwrap(), k["current"].as_bool().unwrap()))
        .collect();
    assert_eq!(ids, [(1, false), (2, true)]);

    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let store = school.store().await;
    for (i, case) in school.cases.iter().enumerate() {
        let (_, codes) = store
            .student_codes(&case.student.student_no)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            codes[0].key_id,
            if i < 2 { 1 } else { 2 },
            "{}",
            case.student.student_no
        );
    }
    store.close().await;

    let tokens: Vec<String> = (0..school.cases.len()).map(|i| school.token(i)).collect();
    let (status, answers) = school.verify_json(&[], &tokens.join("\n"));
    assert_eq!(status, Some(0), "old and new codes verify: {answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a["valid"] == true && a["status"] == "active")
    );

    // New codes really use the new key: the file from before the rotation cannot open them.
    let old = old_keys.to_str().unwrap();
    let (status, answers) = school.verify_json(&["--key-file", old, "--offline"], &tokens[2]);
    assert_eq!(status, Some(4));
    assert!(
        answers[0]["reason"]
            .as_str()
            .unwrap()
            .contains("sealed with key 2"),
        "{}",
        answers[0]
    );
    let (status, _) = school.verify_json(&["--key-file", old, "--offline"], &tokens[0]);
    assert_eq!(status, Some(0), "old codes still open with the old file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifying_with_only_the_key_file_says_revocation_was_not_checked() {
    let db = TestDb::new(common::Server::Sqlite).await.expect("sqlite");
    let school = School::new(&db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let (t0, t1) = (school.token(0), school.token(1));
    assert_ok(&school.run(&["codes", "revoke", school.no(1), "--reason", "lost"]));

    // A station with the key file and no database at all.
    let station = tempfile::tempdir().unwrap();
    std::fs::copy(school.key_path(), station.path().join("caiji.keys")).unwrap();
    let out = run(
        station.path(),
        &["codes", "verify", "--format", "json", &t0, &t1],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("revocation is not checked"),
        "{}",
        stderr(&out)
    );
    let answers: Value = serde_json::from_str(&stdout(&out)).unwrap();
    for a in answers.as_array().unwrap() {
        assert_eq!(
            (
                a["valid"].as_bool(),
                a["status"].as_str(),
                a["revocation_checked"].as_bool()
            ),
            (Some(true), Some("unknown"), Some(false)),
            "{a}"
        );
        assert!(a["reason"].is_null());
    }
    assert!(
        !station.path().join("caiji.db").exists(),
        "verifying creates no database"
    );
    let out = run(station.path(), &["codes", "verify", &t1], None, &[]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("revocation was not checked"),
        "{}",
        stdout(&out)
    );

    // --offline next to a database: it is not asked, so the revoked code is not caught.
    let (status, answers) = school.verify_json(&["--offline"], &t1);
    assert_eq!(
        (status, answers[0]["revocation_checked"].as_bool()),
        (Some(0), Some(false))
    );
    let (status, answers) = school.verify_json(&[], &t1);
    assert_eq!(
        (status, answers[0]["status"].as_str()),
        (Some(4), Some("revoked"))
    );

    // A server that does not answer is an error that points at --offline.
    let out = run(
        school.home.path(),
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/caiji",
            "codes",
            "verify",
            &t0,
        ],
        None,
        &[],
    );
    assert_fails(&out, 1, &["--offline", "127.0.0.1:1"]);
    db.cleanup().await;
}

#[test]
fn key_file_rules() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_fails(
        &run(h, &["codes", "issue", "--all"], None, &[]),
        1,
        &["does not exist", "caiji key generate"],
    );
    assert_fails(
        &run(h, &["codes", "verify", "CJ1:X"], None, &[]),
        1,
        &["caiji key generate"],
    );

    let out = run(h, &["key", "generate"], None, &[]);
    assert_ok(&out);
    let key = h.join("caiji.keys");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(stdout(&out).contains(&key.display().to_string()));
    let before = std::fs::read(&key).unwrap();
    assert_fails(
        &run(h, &["key", "generate"], None, &[]),
        1,
        &["already exists", "caiji key rotate"],
    );
    assert_eq!(std::fs::read(&key).unwrap(), before, "never overwritten");

    let hex = key_hex(&key);
    let out = run(h, &["key", "list"], None, &[]);
    assert_ok(&out);
    let listed = stdout(&out);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with('1') && l.contains("current")),
        "{listed}"
    );
    assert!(
        hex.iter()
            .all(|k| !listed.to_lowercase().contains(&k[..16])),
        "no key bytes in: {listed}"
    );

    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        for args in [
            &["key", "list"][..],
            &["key", "rotate"],
            &["codes", "issue", "--all"],
            &["codes", "verify", "--offline", "CJ1:X"],
        ] {
            assert_fails(&run(h, args, None, &[]), 1, &["must be 0600", "chmod 600"]);
        }
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_ok(&run(h, &["key", "list"], None, &[]));

    // --key-file and CAIJI_KEY_FILE choose another file.
    let other = h.join("station.keys");
    let other_s = other.to_str().unwrap();
    assert_ok(&run(
        h,
        &["--key-file", other_s, "key", "generate"],
        None,
        &[],
    ));
    assert_ok(&run(
        h,
        &["key", "rotate"],
        None,
        &[("CAIJI_KEY_FILE", other_s)],
    ));
    let out = run(
        h,
        &["key", "list", "--format", "json"],
        None,
        &[("CAIJI_KEY_FILE", other_s)],
    );
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let out = run(h, &["key", "list", "--format", "json"], None, &[]);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1),
        "the default file is untouched"
    );
}

/// The 64-hex-digit keys of a key file.
fn key_hex(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("key "))
        .map(|l| {
            l.split_whitespace()
                .nth(3)
                .expect("key <id> <date> <hex>")
                .to_string()
        })
        .collect()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_key_never_reaches_the_database_the_log_or_an_export() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let trace = [("CAIJI_LOG", "trace")];
    let mut outputs: Vec<Output> = Vec::new();
    let out = run(h, &["demo", "--no-tui", "--students", "300"], None, &trace);
    assert_ok(&out);
    outputs.push(out);
    outputs.push(run(h, &["key", "rotate"], None, &trace));
    let store_list = run(h, &["students", "list", "--format", "json"], None, &[]);
    let students: Value = serde_json::from_str(&stdout(&store_list)).unwrap();
    let nos: Vec<String> = students
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student_no"].as_str().unwrap().to_string())
        .collect();
    let with_code: Vec<&String> = nos
        .iter()
        .zip(students.as_array().unwrap())
        .filter(|(_, s)| s["code_status"] == "active")
        .map(|(n, _)| n)
        .collect();
    let without: Vec<&String> = nos
        .iter()
        .zip(students.as_array().unwrap())
        .filter(|(_, s)| s["code_status"] == "none")
        .map(|(n, _)| n)
        .collect();
    let export = h.join("out");
    std::fs::create_dir(&export).unwrap();
    let csv = export.join("codes.csv");
    let png = export.join("png");
    let runs: Vec<Vec<&str>> = vec![
        vec!["codes", "issue", "--all"],
        vec!["codes", "show", with_code[0]],
        vec!["codes", "token", with_code[1]],
        vec!["codes", "revoke", with_code[2], "--reason", "lost"],
        vec![
            "codes",
            "reissue",
            with_code[3],
            "--reason",
            "name corrected",
        ],
        vec![
            "codes",
            "export",
            "-o",
            csv.to_str().unwrap(),
            "--png-dir",
            png.to_str().unwrap(),
            "--svg",
        ],
        vec!["key", "list"],
        vec!["key", "list", "--format", "json"],
    ];
    assert!(
        !without.is_empty(),
        "the demo leaves some students without a code"
    );
    for args in &runs {
        let out = run(h, args, None, &trace);
        assert_ok(&out);
        outputs.push(out);
    }
    let tokens = std::fs::read_to_string(&csv).unwrap();
    let first_token = tokens
        .lines()
        .nth(1)
        .and_then(|l| l.rsplit(',').next())
        .unwrap()
        .to_string();
    outputs.push(run(h, &["codes", "verify"], Some(&first_token), &trace));

    let keys = key_hex(&h.join("caiji.keys"));
    assert_eq!(keys.len(), 2);
    let mut files: Vec<PathBuf> = vec![h.join("caiji.db"), h.join("caiji.log"), csv.clone()];
    files.extend(
        ["caiji.db-wal", "caiji.db-shm"]
            .iter()
            .map(|f| h.join(f))
            .filter(|p| p.exists()),
    );
    files.extend(std::fs::read_dir(&png).unwrap().map(|e| e.unwrap().path()));
    assert!(
        std::fs::metadata(h.join("caiji.log")).unwrap().len() > 0,
        "the log was written"
    );
    for key in &keys {
        let raw = hex_bytes(key);
        let needles = [
            key.as_bytes().to_vec(),
            key.to_uppercase().into_bytes(),
            raw,
        ];
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for needle in &needles {
                assert!(
                    !contains_bytes(&bytes, needle),
                    "key material in {}",
                    file.display()
                );
            }
        }
        for out in &outputs {
            for stream in [&out.stdout, &out.stderr] {
                for needle in &needles {
                    assert!(!contains_bytes(stream, needle), "key material printed");
                }
            }
        }
    }
}

// ---- issuing, revoking, exporting, auditing -----------------------------------------------------

async fn export_writes_csv_and_images_and_is_audited(db: &TestDb) {
    let school = School::new(db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    assert_ok(&school.run(&[
        "codes",
        "revoke",
        school.no(0),
        "--reason",
        "withdrawn from collection",
    ]));
    let out_dir = tempfile::tempdir().unwrap();
    let csv_path = out_dir.path().join("codes.csv");
    let png_dir = out_dir.path().join("images");
    let out = school.run(&[
        "codes",
        "export",
        "-o",
        csv_path.to_str().unwrap(),
        "--png-dir",
        png_dir.to_str().unwrap(),
        "--svg",
    ]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Exported 7 active codes"),
        "{}",
        stdout(&out)
    );

    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "student_no",
            "masked_name",
            "masked_id",
            "class",
            "serial",
            "token"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7, "active codes only");
    let text = String::from_utf8(bytes.clone()).unwrap();
    let ring = school.keyring();
    for (row, case) in rows.iter().zip(&school.cases[1..]) {
        let s = &case.student;
        assert_eq!(&row[0], s.student_no.as_str());
        assert_eq!(&row[1], case.masked_name);
        assert_eq!(&row[2], case.masked_id.as_str());
        let class = if s.class.starts_with('=') {
            format!("'{}", s.class)
        } else {
            s.class.clone()
        };
        assert_eq!(&row[3], class.as_str(), "formula neutralised");
        assert!(
            !text.contains(&s.id_number),
            "no full ID number in the export"
        );
        let png = std::fs::read(png_dir.join(format!("{}.png", s.student_no))).unwrap();
        let from_png = decode::decode_png(&png);
        assert_eq!(from_png, &row[5]);
        let svg = std::fs::read_to_string(png_dir.join(format!("{}.svg", s.student_no))).unwrap();
        assert_eq!(
            decode::decode_modules(&decode::modules_from_svg(&svg)),
            &row[5]
        );
        let p = verify(&from_png, &ring).unwrap();
        assert_eq!(
            (p.serial.to_string(), p.student_no.as_str()),
            (row[4].to_string(), s.student_no.as_str())
        );
    }
    assert!(
        !png_dir.join(format!("{}.png", school.no(0))).exists(),
        "no image of a revoked code"
    );

    let missing = out_dir.path().join("nowhere").join("codes.csv");
    assert_fails(
        &school.run(&["codes", "export", "-o", missing.to_str().unwrap()]),
        1,
        &["does not exist"],
    );

    let store = school.store().await;
    let log = store.audit_log(None, 100).await.unwrap();
    let exports: Vec<_> = log.iter().filter(|r| r.entry.action == "export").collect();
    assert_eq!(
        exports.len(),
        1,
        "one audited export (the refused one wrote nothing)"
    );
    assert_eq!(exports[0].entry.operator, "tester");
    assert!(
        exports[0].entry.detail.contains("7 codes"),
        "{}",
        exports[0].entry.detail
    );
    store.close().await;
}

async fn show_token_revoke_reissue_are_audited_with_the_operator(db: &TestDb) {
    let school = School::new(db).await;
    assert_ok(&school.run(&["codes", "issue", "--all"]));
    let no = school.no(4).to_string();
    assert_ok(&school.run(&["--operator", "张老师", "codes", "show", &no]));
    assert_ok(&school.run_with(
        &["codes", "token", &no],
        None,
        &[("CAIJI_OPERATOR", "现场一号")],
    ));
    assert_ok(&school.run(&["codes", "revoke", &no, "--reason", "lost at the station"]));
    let out = school.run(&["codes", "reissue", &no, "--reason", "new code"]);
    assert_ok(&out);
    let store = school.store().await;
    let log = store.audit_log(Some(&no), 20).await.unwrap();
    let mut seen: Vec<(String, String)> = log
        .iter()
        .map(|r| (r.entry.action.clone(), r.entry.operator.clone()))
        .collect();
    seen.reverse();
    let want = [
        ("issue", "tester"),
        ("show", "张老师"),
        ("token", "现场一号"),
        ("revoke", "tester"),
        ("reissue", "tester"),
    ];
    assert_eq!(seen, want.map(|(a, o)| (a.to_string(), o.to_string())));
    let revoke = log.iter().find(|r| r.entry.action == "revoke").unwrap();
    assert!(
        revoke.entry.detail.contains("lost at the station"),
        "{}",
        revoke.entry.detail
    );
    store.close().await;

    // Refusals change nothing and are not audited as shown.
    assert_fails(
        &school.run(&["codes", "show", "9999999"]),
        1,
        &["no student", "9999999"],
    );
    assert_fails(
        &school.run(&["codes", "revoke", &no, "--reason", "  "]),
        1,
        &["--reason"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_reports_what_it_did_and_refuses_without_a_school() {
    let db = TestDb::new(common::Server::Sqlite).await.expect("sqlite");
    let school = School::new(&db).await;
    let (a, b) = (school.no(0).to_string(), school.no(1).to_string());
    assert_fails(
        &school.run(&["codes", "show", &a]),
        1,
        &["has no collection code yet", "caiji codes issue"],
    );

    let out = school.run(&["codes", "issue", &a, &a, "404", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "unknown 学号 are problems found: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("404"));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["issued"].as_array().unwrap().len(), 1);
    assert_eq!(json["unknown"], serde_json::json!(["404"]));
    assert_eq!(json["key_id"], 1);

    let out = school.run(&["codes", "issue", &a, &b]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Issued 1 codes")
            && stdout(&out).contains("1 students already had an active code"),
        "{}",
        stdout(&out)
    );

    assert_ok(&school.run(&["codes", "revoke", &b, "--reason", "lost"]));
    assert_fails(
        &school.run(&["codes", "show", &b]),
        1,
        &["revoked on", "caiji codes reissue"],
    );
    assert_fails(
        &school.run(&["codes", "revoke", &b, "--reason", "again"]),
        1,
        &["no active code"],
    );

    let store = school.store().await;
    store.set_setting("school_code", "").await.unwrap();
    store.close().await;
    assert_fails(
        &school.run(&["codes", "issue", "--all"]),
        1,
        &["school code is not configured", "[school]"],
    );
    assert_fails(
        &school.run(&["codes", "reissue", &b, "--reason", "x"]),
        1,
        &["school code is not configured"],
    );

    let empty = tempfile::tempdir().unwrap();
    let usage = run(empty.path(), &["codes", "issue"], None, &[]);
    assert_eq!(usage.status.code(), Some(2), "--all or 学号 is required");
    db.cleanup().await;
}

#[test]
fn demo_issues_codes_to_most_students_and_revokes_and_reissues_a_few() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["demo", "--no-tui", "--students", "800"],
        None,
        &[],
    );
    assert_ok(&out);
    let key = home.path().join("caiji.keys");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600,
        "the demo made a private key file"
    );
    let err = stderr(&out);
    let counts = err
        .lines()
        .find(|l| l.starts_with("Codes:"))
        .unwrap_or_else(|| panic!("{err}"));
    let numbers: Vec<usize> = counts
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [issued, revoked, reissued] = numbers[..] else {
        panic!("{counts}")
    };
    assert!((700..=770).contains(&issued), "about 92% of 800: {counts}");
    assert!(revoked >= 1 && reissued >= 1, "{counts}");

    let out = run(
        home.path(),
        &["students", "list", "--format", "json"],
        None,
        &[],
    );
    let students: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let status = |s: &str| {
        students
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["code_status"] == s)
            .count()
    };
    assert_eq!(status("revoked"), revoked, "revoked without a replacement");
    assert_eq!(status("active"), issued - revoked);
    assert_eq!(status("none"), 800 - issued);

    // Every active code of the demo verifies against the demo's key and database.
    let csv = home.path().join("all.csv");
    assert_ok(&run(
        home.path(),
        &["codes", "export", "-o", csv.to_str().unwrap()],
        None,
        &[],
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    let tokens: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next())
        .collect();
    assert_eq!(tokens.len(), issued - revoked);
    let out = run(
        home.path(),
        &["codes", "verify"],
        Some(&tokens.join("\n")),
        &[],
    );
    assert_ok(&out);
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains(". VALID"))
            .count(),
        tokens.len()
    );

    // A second demo keeps the key file (codes issued before stay verifiable elsewhere).
    let before = std::fs::read(&key).unwrap();
    assert_ok(&run(
        home.path(),
        &["demo", "--no-tui", "--students", "50", "--force"],
        None,
        &[],
    ));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

backend_tests! {
    drawn_codes => drawn_codes_decode_to_the_roster;
    verify_messages => verify_tells_each_problem_apart;
    single_character_changes => every_single_character_change_is_rejected;
    key_rotation => rotation_keeps_old_codes_and_seals_new_ones_with_the_new_key;
    export => export_writes_csv_and_images_and_is_audited;
    audit => show_token_revoke_reissue_are_audited_with_the_operator;
}
