//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL / MariaDB database when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server. Each test gets its own database, so tests
//! run in parallel; with a URL set, an unreachable server fails the test instead of skipping it.

#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Sqlite,
    Postgres,
    Mysql,
}

/// A database made for one test; dropped (best effort) by `cleanup`.
pub struct TestDb {
    pub url: String,
    pub server: Server,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

static SKIP_NOTICE: Once = Once::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn notice_skipped() {
    SKIP_NOTICE.call_once(|| {
        // Written straight to stderr: the test harness would swallow `eprintln!` from a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "note: TEST_POSTGRES_URL / TEST_MYSQL_URL not set — PostgreSQL and MySQL storage tests skipped (SQLite tests run)"
        );
    });
}

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("caiji_t_{}_{}_{}", std::process::id(), n, nanos % 100_000)
}

/// Replaces the database name (the URL path) of a server URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    /// A fresh database on `server`, or `None` (with a notice) when that server is not configured.
    pub async fn new(server: Server) -> Option<TestDb> {
        let name = unique_name();
        match server {
            Server::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
                Some(TestDb {
                    url,
                    server,
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                })
            }
            Server::Postgres | Server::Mysql => {
                let var = if server == Server::Postgres {
                    "TEST_POSTGRES_URL"
                } else {
                    "TEST_MYSQL_URL"
                };
                let Some(admin) = std::env::var(var).ok().filter(|v| !v.is_empty()) else {
                    notice_skipped();
                    return None;
                };
                let create = format!("CREATE DATABASE {name}");
                if server == Server::Postgres {
                    let mut conn = sqlx::PgConnection::connect(&admin)
                        .await
                        .unwrap_or_else(|e| {
                            panic!("{var}={admin} is set but the server is unreachable: {e}")
                        });
                    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
                        .execute(&mut conn)
                        .await
                        .expect("create test database");
                } else {
                    let mut conn =
                        sqlx::MySqlConnection::connect(&admin)
                            .await
                            .unwrap_or_else(|e| {
                                panic!("{var}={admin} is set but the server is unreachable: {e}")
                            });
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "{create} CHARACTER SET utf8mb4"
                    )))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                }
                Some(TestDb {
                    url: with_database(&admin, &name),
                    server,
                    admin_url: Some(admin),
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// An existing database, for probing with `exec`; `cleanup` leaves it alone.
    pub fn at(url: &str, server: Server) -> TestDb {
        TestDb {
            url: url.to_string(),
            server,
            admin_url: None,
            name: String::new(),
            _dir: None,
        }
    }

    /// A database name that does not exist yet on this server (for `init` tests).
    pub fn sibling_url(&self, suffix: &str) -> String {
        with_database(
            self.admin_url.as_deref().unwrap_or(&self.url),
            &format!("{}_{suffix}", self.name),
        )
    }

    /// Drops the server database (and a sibling made from it); SQLite files go with the temp dir.
    pub async fn cleanup(self) {
        let Some(admin) = &self.admin_url else { return };
        for db in [self.name.clone(), format!("{}_new", self.name)] {
            let sql = format!("DROP DATABASE IF EXISTS {db}");
            if self.server == Server::Postgres {
                if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{sql} WITH (FORCE)")))
                        .execute(&mut conn)
                        .await;
                }
            } else if let Ok(mut conn) = sqlx::MySqlConnection::connect(admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

/// Runs an async test body once per backend: `backend_tests!(name, body_fn)` makes
/// `name::sqlite`, `name::postgres` and `name::mysql`, each with its own fresh database.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident => $body:path;)*) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { run(common::Server::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { run(common::Server::Postgres).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() { run(common::Server::Mysql).await }
                async fn run(server: common::Server) {
                    let Some(db) = common::TestDb::new(server).await else { return };
                    $body(&db).await;
                    db.cleanup().await;
                }
            }
        )*
    };
}

/// Executes raw SQL on the test database, bypassing the store (to probe constraints).
pub async fn exec(db: &TestDb, sql: &str) -> Result<u64, String> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db.server {
        Server::Sqlite => {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .map_err(|e| e.to_string())?
                .create_if_missing(true);
            let mut c = sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sql)
                .execute(&mut c)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| e.to_string())
        }
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sql)
                .execute(&mut c)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| e.to_string())
        }
        Server::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(&db.url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sql)
                .execute(&mut c)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| e.to_string())
        }
    }
}

/// A valid 18-digit resident ID number for tests.
pub fn resident_id(region: &str, birth: &str, seq: &str) -> String {
    let first17 = format!("{region}{birth}{seq}");
    format!("{first17}{}", caiji::domain::idnum::check_char(&first17))
}

/// A valid resident ID number of its own for each 学号 `no` (a roster refuses one ID number under
/// two 学号): the sequence is `no`'s last three digits, the birth date 15 March 2004 moved by a
/// day per thousand from 2022000.
pub fn resident_id_of(no: u32) -> String {
    let anchor = chrono::NaiveDate::from_ymd_opt(2004, 3, 15).expect("date");
    let birth = anchor + chrono::Duration::days(i64::from(no / 1000) - 2022);
    resident_id(
        "440106",
        &birth.format("%Y%m%d").to_string(),
        &format!("{:03}", no % 1000),
    )
}

/// A student record with sensible defaults; `no` is the 学号.
pub fn student(no: &str, name: &str) -> caiji::domain::Student {
    let seq = format!("{:03}", no.bytes().map(u32::from).sum::<u32>() % 1000);
    caiji::domain::Student {
        student_no: no.to_string(),
        name: name.to_string(),
        id_type: caiji::domain::IdType::ResidentId,
        id_number: resident_id("440106", "20040315", &seq),
        college: "计算机学院".into(),
        major: "软件工程".into(),
        class: "软工2201".into(),
        level: caiji::domain::Level::Bachelor,
        counselor: "王老师".into(),
        cohort: 2026,
        gender: Some("女".into()),
        phone: None,
    }
}

/// A single integer from raw SQL on the test database.
pub async fn scalar(db: &TestDb, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let r: Result<i64, sqlx::Error> = match db.server {
        Server::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await
        }
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await
        }
        Server::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(&db.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await
        }
    };
    r.expect("scalar query")
}

/// Migrates the test database with the migrations numbered below `version` only (copied to a
/// folder of their own), as an older caiji left it.
pub async fn migrate_before(db: &TestDb, version: u32) {
    let folder = match db.server {
        Server::Sqlite => "sqlite",
        Server::Postgres => "postgres",
        Server::Mysql => "mysql",
    };
    let old = tempfile::tempdir().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let number: u32 = name[..4].parse().unwrap();
        if number < version {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let mut migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    migrator.set_locking(false);
    match db.server {
        Server::Sqlite => {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .unwrap()
                .create_if_missing(true);
            let mut c = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            migrator.run(&mut c).await.unwrap();
        }
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            migrator.run(&mut c).await.unwrap();
        }
        Server::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            migrator.run(&mut c).await.unwrap();
        }
    }
}
