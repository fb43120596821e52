//! Whole-program tests: the built binary on temporary CAIJI_HOMEs.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn caiji(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(args)
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("CAIJI_OPERATOR", "tester")
        .output()
        .expect("run caiji")
}

/// Asserts a clean failure: exit 1, exactly one line on stderr, no panic text.
fn assert_one_line_error(out: &Output, expect: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "exit status; stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for word in expect {
        assert!(stderr.contains(word), "expected {word:?} in {stderr}");
    }
    stderr
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn init_creates_the_sqlite_database_and_is_idempotent() {
    let home = tempfile::tempdir().unwrap();
    let first = caiji(home.path(), &["init"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(home.path().join("caiji.db").is_file());
    let second = caiji(home.path(), &["init"]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("students: 0"));
}

#[test]
fn unknown_url_scheme_is_one_clear_line() {
    let home = tempfile::tempdir().unwrap();
    let out = caiji(
        home.path(),
        &["--database-url", "oracle://scott@db/school", "init"],
    );
    assert_one_line_error(
        &out,
        &[
            "unknown database URL",
            "sqlite://",
            "postgres://",
            "mysql://",
        ],
    );
    assert_eq!(
        std::fs::read_dir(home.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "db"))
            .count(),
        0
    );
}

#[test]
fn unreachable_servers_are_one_clear_line() {
    let home = tempfile::tempdir().unwrap();
    for url in [
        "postgres://postgres@127.0.0.1:1/caiji",
        "mysql://root@127.0.0.1:1/caiji",
    ] {
        let out = caiji(home.path(), &["--database-url", url, "students", "list"]);
        assert_one_line_error(&out, &["cannot connect", "127.0.0.1:1"]);
    }
}

#[test]
fn read_only_data_dir_is_refused_without_changes() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = caiji(&data, &["init"]);
    assert_one_line_error(&out, &["read-only"]);
    let entries: Vec<_> = std::fs::read_dir(&data).unwrap().collect();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(entries.is_empty(), "nothing written: {entries:?}");
}

#[test]
fn corrupt_sqlite_file_is_refused_without_changes() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("caiji.db");
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&db, &garbage).unwrap();
    let out = caiji(home.path(), &["students", "list"]);
    assert_one_line_error(&out, &["damaged"]);
    assert_eq!(
        file_bytes(&db),
        garbage,
        "the file is left exactly as it was"
    );
}

#[test]
fn newer_schema_is_refused_without_changes() {
    let home = tempfile::tempdir().unwrap();
    assert!(caiji(home.path(), &["init"]).status.success());
    let db = home.path().join("caiji.db");
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, X'00', 0); PRAGMA wal_checkpoint(TRUNCATE);")
        .status();
    if !status.is_ok_and(|s| s.success()) {
        // without the sqlite3 shell, write the row through sqlx
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
            sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, X'00', 0)")
                .execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        });
    }
    let before = file_bytes(&db);
    let out = caiji(home.path(), &["students", "list"]);
    assert_one_line_error(&out, &["9999", "newer", "upgrade caiji"]);
    assert_eq!(file_bytes(&db), before);
}

#[tokio::test]
async fn init_creates_server_databases_and_is_idempotent() {
    for server in [common::Server::Postgres, common::Server::Mysql] {
        let Some(db) = common::TestDb::new(server).await else {
            continue;
        };
        let url = db.sibling_url("new");
        let home = tempfile::tempdir().unwrap();
        for round in 0..2 {
            let out = caiji(home.path(), &["--database-url", &url, "init"]);
            assert!(
                out.status.success(),
                "{server:?} round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("students: 0"));
        }
        let probe = common::TestDb::at(&url, server);
        let tables = common::exec(&probe, "SELECT COUNT(*) FROM students").await;
        assert!(tables.is_ok(), "{server:?}: schema created: {tables:?}");
        db.cleanup().await;
    }
}
