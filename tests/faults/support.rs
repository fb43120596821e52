//! Helpers of the fault tests: running the binary, seeded randomness, rosters of any size and a
//! full dump of a table to compare a database before and after a fault.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rand::SeedableRng;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::common::{Server, TestDb, resident_id_of};

/// `caiji` with the test database, home and operator, in English, nothing on stdin.
pub fn command(home: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caiji"));
    cmd.args(["--database-url", url])
        .args(args)
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("CAIJI_STATION")
        .stdin(Stdio::null());
    cmd
}

/// Runs `caiji` to the end (off the async worker threads).
pub fn run(home: &Path, url: &str, args: &[&str]) -> Output {
    tokio::task::block_in_place(|| command(home, url, args).output().expect("run caiji"))
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts exit status `code` and no panic; returns stdout.
pub fn ok(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {err}\nstdout: {}",
        stdout(out)
    );
    stdout(out)
}

/// A seeded RNG: `CAIJI_FAULT_SEED` repeats a run, otherwise the clock picks; the seed is
/// printed either way so a failure can be replayed.
pub fn rng(test: &str) -> rand_chacha::ChaCha8Rng {
    let seed = std::env::var("CAIJI_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    say(&format!(
        "{test}: seed {seed} (CAIJI_FAULT_SEED={seed} repeats it)"
    ));
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// A line on stderr that the test harness does not swallow.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

pub const HEADER: [&str; 9] = [
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

/// A valid roster row; `class` tells versions of the same student apart.
pub fn row(no: u32, name: &str, class: &str) -> String {
    let id = resident_id_of(no);
    format!("{no},{name},{id},计算机学院,软件工程,{class},本科,王老师,2026\n")
}

/// Writes a CSV roster of `rows` (header added).
pub fn write_roster(dir: &Path, name: &str, rows: impl IntoIterator<Item = String>) -> PathBuf {
    let mut text = HEADER.join(",");
    text.push('\n');
    for r in rows {
        text.push_str(&r);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write roster");
    path
}

/// Every row of `table` as text, in a stable order: the whole content, for before/after checks.
pub async fn dump(db: &TestDb, table: &str) -> Vec<String> {
    let rows: Result<Vec<String>, sqlx::Error> = match db.server {
        Server::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url)
                .await
                .expect("connect");
            let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{table}')"
            )))
            .fetch_all(&mut c)
            .await
            .expect("columns");
            let expr = cols
                .iter()
                .map(|c| format!("quote({c})"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {expr} FROM {table} ORDER BY 1"
            )))
            .fetch_all(&mut c)
            .await
        }
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT t::text FROM {table} t ORDER BY 1"
            )))
            .fetch_all(&mut c)
            .await
        }
        Server::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(&db.url)
                .await
                .expect("connect");
            let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"
            )))
            .fetch_all(&mut c)
            .await
            .expect("columns");
            let expr = cols
                .iter()
                .map(|c| format!("QUOTE({c})"))
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(CONCAT_WS('|', {expr}) AS CHAR) FROM {table} ORDER BY 1"
            )))
            .fetch_all(&mut c)
            .await
        }
    };
    rows.expect("dump")
}

/// The students and audit tables, whole, with a short hash of both for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub students: Vec<String>,
    pub audit: Vec<String>,
}

impl Snapshot {
    pub async fn take(db: &TestDb) -> Snapshot {
        Snapshot {
            students: dump(db, "students").await,
            audit: dump(db, "audit_log").await,
        }
    }

    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for line in self.students.iter().chain(&self.audit) {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn describe(&self) -> String {
        format!(
            "{} students, {} audit rows, sha256 {}",
            self.students.len(),
            self.audit.len(),
            self.hash()
        )
    }
}

/// A test database with `n` students, each with a real active code sealed by a key
/// file generated in `home`, and one session with room for all; returns the session id.
pub async fn station_school(db: &TestDb, n: usize, home: &std::path::Path) -> i64 {
    let store = caiji::store::open(&db.url, caiji::store::Create::IfMissing)
        .await
        .unwrap();
    let students: Vec<_> = (0..n)
        .map(|i| crate::common::student(&format!("S{i:04}"), "李娜"))
        .collect();
    store.insert_students(&students).await.unwrap();
    std::fs::write(
        home.join("config.toml"),
        "cohort = 2026\n[school]\ncode = \"4144010001\"\nname = \"南岭理工大学\"\n",
    )
    .unwrap();
    for args in [&["key", "generate"][..], &["codes", "issue", "--all"][..]] {
        let out = run(home, &db.url, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let day = |t: &str| {
        caiji::clock::from_local(
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap(),
        )
    };
    let session = caiji::store::NewSession {
        title: "拍摄".into(),
        location: "体育馆".into(),
        starts_at: day("2099-06-01 08:00"),
        ends_at: day("2099-06-01 12:00"),
        capacity: 1000,
        stations: 1,
        makeup: false,
    };
    let id = store.add_session(&session, "tester").await.unwrap();
    store.close().await;
    id
}
