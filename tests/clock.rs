//! One clock (docs/time.md), on SQLite, PostgreSQL and MariaDB: stations whose processes run in
//! different zones write moments that order and read back the same everywhere, and a database
//! written before the rule (local wall-clock times) is converted to UTC when it is opened.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use caiji::store::{self, Create};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use common::{Server, TestDb, exec};

const SHANGHAI: &str = "Asia/Shanghai";

/// Runs the built `caiji` on the test database in the zone `tz`, as `operator`.
fn caiji(db: &TestDb, home: &Path, tz: &str, operator: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    tokio::task::block_in_place(|| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_caiji"))
            .arg("--database-url")
            .arg(&db.url)
            .args(args)
            .env("CAIJI_HOME", home)
            .env("CAIJI_LANG", "en")
            .env("CAIJI_OPERATOR", operator)
            .env("TZ", tz)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run caiji");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("caiji output")
    })
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn wall(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The wall clock of Asia/Shanghai (UTC+8 all year) at `t`.
fn in_shanghai(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + Duration::hours(8)
}

/// Moments read straight from the database (one column of `sql`), as UTC.
async fn moments(db: &TestDb, sql: &str) -> Vec<DateTime<Utc>> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db.server {
        Server::Sqlite => {
            // Text without an offset: the rule says it is UTC.
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let rows: Vec<NaiveDateTime> = sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap();
            rows.into_iter().map(|t| t.and_utc()).collect()
        }
        Server::Postgres => {
            // timestamptz: the moment itself, whatever the session's zone.
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
        Server::Mysql => {
            // DATETIME holding UTC.
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            let rows: Vec<NaiveDateTime> = sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap();
            rows.into_iter().map(|t| t.and_utc()).collect()
        }
    }
}

/// Now, to the whole second before (`floor`) or after.
fn second(floor: bool) -> DateTime<Utc> {
    let t = Utc::now();
    let whole = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap();
    if floor || whole == t {
        whole
    } else {
        whole + Duration::seconds(1)
    }
}

/// Two stations, one with TZ=Asia/Shanghai and one with TZ=UTC, take turns: each fetches a
/// code (an audited action) and checks a student in. `caiji audit` lists the three audit lines
/// latest first with times that fall inside the test's own window, read on the viewer's clock;
/// `--since` on the viewer's clock finds all of them; the stored check-in times are the moments
/// they happened. Before the one clock, the UTC station's lines were stored 8 hours "earlier".
async fn one_clock_two_zones(db: &TestDb) {
    let home = tempfile::tempdir().unwrap();
    let s = store::open(&db.url, Create::IfMissing).await.unwrap();
    s.insert_students(&[
        common::student("S0001", "张三"),
        common::student("S0002", "李世民"),
    ])
    .await
    .unwrap();
    s.set_setting("school_code", "10001").await.unwrap();
    s.set_setting("school_name", "示例大学").await.unwrap();
    s.close().await;
    // A session running now, added by the office in Shanghai on its wall clock.
    let now = Utc::now();
    let start = in_shanghai(now - Duration::hours(1))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let end = in_shanghai(now + Duration::hours(2))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let add = [
        "sessions",
        "add",
        "--title",
        "图像采集",
        "--location",
        "体育馆",
        "--start",
        &start,
        "--end",
        &end,
        "--capacity",
        "10",
    ];
    ok(&caiji(db, home.path(), SHANGHAI, "office", &add, ""));
    let list = json(&ok(&caiji(
        db,
        home.path(),
        "UTC",
        "office",
        &["sessions", "list", "--format", "json"],
        "",
    )));
    let session = list[0]["id"].to_string();
    ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "office",
        &["sessions", "assign", &session, "S0001", "S0002"],
        "",
    ));
    ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "office",
        &["key", "generate"],
        "",
    ));
    ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "office",
        &["codes", "issue", "--all"],
        "",
    ));

    let station = |tz: &str, operator: &str, no: &str| {
        let token = ok(&caiji(
            db,
            home.path(),
            tz,
            operator,
            &["codes", "token", no],
            "",
        ));
        let answer = ok(&caiji(
            db,
            home.path(),
            tz,
            operator,
            &["sessions", "checkin", &session, "--format", "json"],
            &token,
        ));
        assert_eq!(
            json(answer.trim())["status"],
            "checked_in",
            "{operator}: {answer}"
        );
    };
    let from = second(true);
    station(SHANGHAI, "shanghai", "S0001");
    station("UTC", "utc", "S0002");
    let token = ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "shanghai-again",
        &["codes", "token", "S0001"],
        "",
    ));
    assert!(token.starts_with("CJ1:"), "{token}");
    let to = second(false);

    let since = in_shanghai(from).format("%Y-%m-%d %H:%M").to_string();
    let audit = json(&ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "viewer",
        &[
            "audit", "--action", "token", "--since", &since, "--format", "json",
        ],
        "",
    )));
    let lines: Vec<(String, NaiveDateTime)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operator"].as_str().unwrap().to_string(),
                wall(e["at"].as_str().unwrap()),
            )
        })
        .collect();
    let operators: Vec<&str> = lines.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(
        operators,
        ["shanghai-again", "utc", "shanghai"],
        "latest first: {lines:?}"
    );
    for pair in lines.windows(2) {
        assert!(pair[0].1 >= pair[1].1, "times run backwards: {lines:?}");
    }
    for (operator, at) in &lines {
        assert!(
            (in_shanghai(from)..=in_shanghai(to)).contains(at),
            "{operator} at {at}, the test ran from {} to {} (Shanghai)",
            in_shanghai(from),
            in_shanghai(to)
        );
    }

    let checkins = moments(db, "SELECT checked_in_at FROM checkins ORDER BY student_id").await;
    assert_eq!(checkins.len(), 2);
    for t in &checkins {
        assert!(
            (from..=to).contains(t),
            "check-in stored at {t}, test ran {from}..{to}"
        );
    }
}

/// The zone migration 0003 reads old rows in: the database's own zone on PostgreSQL (set here
/// with ALTER DATABASE), the machine's zone on SQLite (the TZ of the process that opens it),
/// the server's zone on MySQL (its global time_zone, which a test cannot change: asked here).
async fn old_rows_zone_offset(db: &TestDb) -> Duration {
    match db.server {
        Server::Sqlite => Duration::hours(8),
        Server::Postgres => {
            exec(
                db,
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Shanghai'); END $$",
            )
            .await
            .unwrap();
            Duration::hours(8)
        }
        Server::Mysql => {
            use sqlx::Connection;
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            let minutes: i64 = sqlx::query_scalar(
                "SELECT TIMESTAMPDIFF(MINUTE, '2026-06-01 08:30:00', CONVERT_TZ('2026-06-01 08:30:00', '+00:00', @@global.time_zone))",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            Duration::minutes(minutes)
        }
    }
}

/// A database made before the one clock, whose rows hold local wall-clock times, is opened by
/// this caiji: every time column becomes the UTC moment the old value meant in the zone the
/// rule names, and the console's commands show it on the reader's clock.
async fn one_clock_migrates_old_local_rows(db: &TestDb) {
    // The migrations before 0003, as an older caiji left the database.
    common::migrate_before(db, 3).await;
    let offset = old_rows_zone_offset(db).await;
    let id = common::resident_id("440106", "20040315", "123");
    for sql in [
        format!(
            "INSERT INTO students (id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, cohort, withdrawn, created_at, updated_at) \
             VALUES (1, 'S0001', '张三', 'resident_id', '{id}', '文学院', '汉语言文学', '汉语2201', 'bachelor', '李老师', 2026, FALSE, '2026-05-20 10:00:00', '2026-05-21 11:00:00')"
        ),
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at, revoked_at, revoke_reason) \
         VALUES (1, 1, 1, 'CJ1:OLD', 'revoked', '2026-05-22 09:00:00', '2026-05-23 09:15:00', 'lost')"
            .into(),
        "INSERT INTO sessions (id, title, location, starts_at, ends_at, capacity, created_at) \
         VALUES (1, '图像采集', '体育馆', '2026-06-01 08:30:00', '2026-06-01 11:30:00', 5, '2026-05-24 16:00:00')"
            .into(),
        "INSERT INTO assignments (session_id, student_id, assigned_at) VALUES (1, 1, '2026-05-25 08:00:00')".into(),
        "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) \
         VALUES (1, 1, 1, 'A', 'op', '2026-06-01 08:45:00')"
            .into(),
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) \
         VALUES ('/p/S0001.jpg', 1, 30000, 0, 'a', 'valid', '2026-06-02 20:00:00')"
            .into(),
        "INSERT INTO audit_log (at, operator, action, student_no, detail) \
         VALUES ('2026-06-01 08:46:00', 'op', 'token', 'S0001', 'serial 1')"
            .into(),
    ] {
        exec(db, &sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    // Opened by this caiji, on a machine in Asia/Shanghai.
    let home = tempfile::tempdir().unwrap();
    let audit = json(&ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "viewer",
        &["audit", "--format", "json"],
        "",
    )));
    let utc = |old: &str| wall(old).and_utc() - offset;
    let expected = [
        ("SELECT created_at FROM students", "2026-05-20 10:00:00"),
        ("SELECT updated_at FROM students", "2026-05-21 11:00:00"),
        ("SELECT issued_at FROM codes", "2026-05-22 09:00:00"),
        ("SELECT revoked_at FROM codes", "2026-05-23 09:15:00"),
        ("SELECT starts_at FROM sessions", "2026-06-01 08:30:00"),
        ("SELECT ends_at FROM sessions", "2026-06-01 11:30:00"),
        ("SELECT created_at FROM sessions", "2026-05-24 16:00:00"),
        ("SELECT assigned_at FROM assignments", "2026-05-25 08:00:00"),
        ("SELECT checked_in_at FROM checkins", "2026-06-01 08:45:00"),
        ("SELECT checked_at FROM photos", "2026-06-02 20:00:00"),
        ("SELECT at FROM audit_log", "2026-06-01 08:46:00"),
    ];
    for (sql, old) in expected {
        assert_eq!(moments(db, sql).await, [utc(old)], "{sql} (was {old})");
    }
    // Shown on the reader's clock (Shanghai).
    assert_eq!(
        audit[0]["at"],
        in_shanghai(utc("2026-06-01 08:46:00"))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    );
    let sessions = json(&ok(&caiji(
        db,
        home.path(),
        SHANGHAI,
        "viewer",
        &["sessions", "list", "--format", "json"],
        "",
    )));
    assert_eq!(
        sessions[0]["starts_at"],
        in_shanghai(utc("2026-06-01 08:30:00"))
            .format("%Y-%m-%d %H:%M")
            .to_string()
    );
    // The same database read by a station in UTC shows the same moments on its own clock.
    let sessions = json(&ok(&caiji(
        db,
        home.path(),
        "UTC",
        "viewer",
        &["sessions", "list", "--format", "json"],
        "",
    )));
    assert_eq!(
        sessions[0]["starts_at"],
        utc("2026-06-01 08:30:00")
            .format("%Y-%m-%d %H:%M")
            .to_string()
    );
}

backend_tests! {
    one_clock_two_zones => one_clock_two_zones;
    one_clock_migrates_old_local_rows => one_clock_migrates_old_local_rows;
}
