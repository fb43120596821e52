//! Fault tests (issue 9): an import killed mid-way, the database server going away under the
//! console (under a check-in station: tests/offline.rs), two imports at once, a photo folder changing while it is
//! reconciled, and the key file deleted or replaced while codes are issued and shown.
//!
//! SQLite always; PostgreSQL and MariaDB when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set.
//! Random moments come from a seeded RNG whose seed is printed (`CAIJI_FAULT_SEED` repeats it).

mod common;
#[path = "faults/proxy.rs"]
mod proxy;
#[path = "faults/support.rs"]
mod support;

use std::time::{Duration, Instant};

use common::{Server, TestDb};
use rand::{Rng, SeedableRng};
use support::{Snapshot, ok, row, run, say, write_roster};

// ---------- 1. kill -9 of an import ----------

fn wal_len(db: &TestDb) -> u64 {
    let wal = format!("{}-wal", db.url.trim_start_matches("sqlite://"));
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Whether the import's write transaction is under way right now (SQLite: the WAL grows).
async fn writing(db: &TestDb, wal_before: u64) -> bool {
    match db.server {
        Server::Sqlite => wal_len(db) > wal_before,
        _ => {
            common::scalar(
                db,
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'",
            )
            .await
                > 0
        }
    }
}

const ROSTER_ROWS: u32 = 100_000;
const SMALL: [&str; 5] = ["张伟", "王芳", "李娜", "欧阳娜娜", "买买提·艾力"];

/// When to kill an import.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// Held by the import itself just before it commits (`CAIJI_TEST_HOLD`): the kill lands
    /// inside the write every time.
    HeldBeforeCommit,
    /// A random delay counted from the start (it may land while the file is still read, or after
    /// the commit).
    FromStart(Duration),
    /// A random delay counted from when the write is seen under way.
    AfterWriteStarts(Duration),
}

/// Starts `caiji import FILE` and kills it at `moment`. Returns what was observed: whether the
/// write was seen under way, and whether the import had already finished.
async fn import_killed_at(
    home: &std::path::Path,
    url: &str,
    file: &str,
    moment: Moment,
    writing: impl AsyncFn() -> bool,
) -> (Duration, bool, bool) {
    let mark = home.join("held");
    let _ = std::fs::remove_file(&mark);
    let mut command = support::command(home, url, &["import", file]);
    if let Moment::HeldBeforeCommit = moment {
        command
            .env("CAIJI_TEST_HOLD", "import_before_commit")
            .env("CAIJI_TEST_HOLD_MARK", &mark);
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn caiji");
    let start = Instant::now();
    let mut was_writing = false;
    match moment {
        Moment::HeldBeforeCommit => {
            while !mark.exists() {
                assert!(
                    child.try_wait().unwrap().is_none(),
                    "the import ended before reaching its commit"
                );
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "the import never reached its commit"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            was_writing = true;
        }
        Moment::FromStart(delay) | Moment::AfterWriteStarts(delay) => {
            if let Moment::AfterWriteStarts(_) = moment {
                while !was_writing
                    && start.elapsed() < Duration::from_secs(120)
                    && child.try_wait().unwrap().is_none()
                {
                    was_writing = writing().await;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            let until = Instant::now() + delay;
            while Instant::now() < until && child.try_wait().unwrap().is_none() {
                was_writing |= writing().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    let _ = child.wait();
    (start.elapsed(), was_writing, finished)
}

/// Kills `caiji import` of 100,000 rows three times: once held just before its commit (so one
/// kill surely lands inside the write), then at two random moments. Each kill leaves the
/// students and audit tables exactly as before, or (a random kill that came too late) the whole
/// import; then the import completes.
async fn killed_import(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let small = write_roster(
        dir.path(),
        "small.csv",
        SMALL
            .iter()
            .enumerate()
            .map(|(i, n)| row(2022001 + i as u32, n, "软工2201")),
    );
    ok(
        &run(home.path(), &db.url, &["import", small.to_str().unwrap()]),
        0,
    );
    // The big roster changes the five students already there and adds 99,995.
    let big = write_roster(
        dir.path(),
        "big.csv",
        (0..ROSTER_ROWS).map(|i| {
            if i < 5 {
                row(2022001 + i, SMALL[i as usize], "软工2202")
            } else {
                row(3_000_000 + i, "欧阳娜娜", "软工2203")
            }
        }),
    );
    let big = big.to_str().unwrap();
    let before = Snapshot::take(db).await;
    say(&format!("{:?} before: {}", db.server, before.describe()));

    let mut rng = support::rng(&format!("killed_import {:?}", db.server));
    let moments = [
        Moment::HeldBeforeCommit,
        Moment::FromStart(Duration::from_millis(rng.random_range(200..3000))),
        // (the write takes about a second in a debug build: later kills would find it committed)
        Moment::AfterWriteStarts(Duration::from_millis(rng.random_range(0..300))),
    ];
    let mut log = Vec::new();
    for (attempt, moment) in moments.into_iter().enumerate() {
        let wal_before = wal_len(db);
        let (at, was_writing, finished) =
            import_killed_at(home.path(), &db.url, big, moment, async || {
                writing(db, wal_before).await
            })
            .await;
        let after = Snapshot::take(db).await;
        log.push(format!("kill {attempt} {moment:?} at {at:.2?} (writing seen: {was_writing}, had finished: {finished}) → {}", after.describe()));
        if !matches!(moment, Moment::HeldBeforeCommit)
            && (finished || after.students.len() == ROSTER_ROWS as usize)
        {
            // Too late to kill: the import had committed (and perhaps not yet exited). The
            // import is whole, the other allowed outcome.
            assert_eq!(
                after.students.len(),
                ROSTER_ROWS as usize,
                "{}",
                log.join("\n")
            );
            break;
        }
        assert!(
            after == before,
            "attempt {attempt}: the database changed\n{}",
            log.join("\n")
        );
        log.last_mut().unwrap().push_str(" = before");
    }
    say(&format!("{:?}:\n  {}", db.server, log.join("\n  ")));
    if db.server == Server::Sqlite {
        assert_eq!(
            common::scalar(
                db,
                "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
            )
            .await,
            0
        );
    }

    // The next import completes.
    let out = run(home.path(), &db.url, &["import", big, "--format", "json"]);
    ok(&out, 0);
    assert_eq!(
        common::scalar(db, "SELECT COUNT(*) FROM students").await,
        i64::from(ROSTER_ROWS)
    );
    assert_eq!(
        common::scalar(
            db,
            "SELECT COUNT(*) FROM students WHERE class_name = '软工2202'"
        )
        .await,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_import_sqlite() {
    let db = TestDb::new(Server::Sqlite).await.unwrap();
    killed_import(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_import_postgres() {
    let Some(db) = TestDb::new(Server::Postgres).await else {
        return;
    };
    killed_import(&db).await;
    db.cleanup().await;
}

async fn sqlite_count(url: &str, sql: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Kills the first `caiji import` of 100,000 rows into a SQLite file that does not exist yet:
/// once held just before its commit (so one kill surely lands inside the write), then at two
/// random moments. Each time the database either does not exist, holds no student (the import
/// made it, then was killed before its commit), or holds the whole roster; the next import
/// completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_first_import_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let target = home.path().join("first.db");
    let url = format!("sqlite://{}", target.display());
    let big = write_roster(
        dir.path(),
        "big.csv",
        (0..ROSTER_ROWS).map(|i| row(3_000_000 + i, "欧阳娜娜", "软工2203")),
    );
    let big = big.to_str().unwrap();
    let wal = home.path().join("first.db-wal");
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);

    let mut rng = support::rng("killed_first_import");
    let moments = [
        Moment::HeldBeforeCommit,
        Moment::FromStart(Duration::from_millis(rng.random_range(50..1500))),
        Moment::AfterWriteStarts(Duration::from_millis(rng.random_range(0..800))),
    ];
    let mut log = Vec::new();
    for (attempt, moment) in moments.into_iter().enumerate() {
        let wal_before = wal_len();
        let (at, writing, finished) =
            import_killed_at(home.path(), &url, big, moment, async || {
                wal_len() > wal_before
            })
            .await;
        let students = if !target.exists() {
            None
        } else if sqlite_count(
            &url,
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'students'",
        )
        .await
            == 0
        {
            // killed while its schema was being made
            Some(0)
        } else {
            Some(sqlite_count(&url, "SELECT COUNT(*) FROM students").await)
        };
        log.push(format!(
            "kill {attempt} {moment:?} at {at:.2?} (writing seen: {writing}, had finished: {finished}, students: {students:?})"
        ));
        if let Moment::HeldBeforeCommit = moment {
            assert!(
                students.unwrap_or(0) == 0,
                "a database killed before its commit holds students:\n{}",
                log.join("\n")
            );
        }
        match students {
            None | Some(0) => {}
            Some(n) => {
                // committed just before the kill: the import is whole, the other allowed outcome
                assert_eq!(n, i64::from(ROSTER_ROWS), "{}", log.join("\n"));
                break;
            }
        }
    }
    say(&format!("first import:\n  {}", log.join("\n  ")));

    // The next import completes, and takes away what the killed ones left.
    let out = run(home.path(), &url, &["import", big, "--format", "json"]);
    ok(&out, 0);
    assert_eq!(
        sqlite_count(&url, "SELECT COUNT(*) FROM students").await,
        i64::from(ROSTER_ROWS)
    );
    assert_eq!(
        sqlite_count(
            &url,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
        )
        .await,
        0
    );
    assert_eq!(
        sqlite_count(
            &url,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'"
        )
        .await,
        3,
        "the students table has its indexes again"
    );
}

// ---------- 3. two imports at once ----------

/// The students as `students list` shows them (every field, withdrawn too), without the
/// timestamps a second run cannot repeat.
fn roster_state(home: &std::path::Path, url: &str) -> Vec<serde_json::Value> {
    let out = ok(
        &run(
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
        ),
        0,
    );
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&out).expect("students JSON");
    for s in &mut list {
        if let Some(o) = s.as_object_mut() {
            o.retain(|k, _| !k.ends_with("_at"));
        }
    }
    list
}

/// Two overlapping rosters imported at once by two processes end as one of the two orders.
async fn concurrent_imports(server: Server) {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // A: 2022000..2024999 in class 2201; B: 2024000..2026999 in class 2202 — 1,000 in both, with
    // different classes, and 300 of those identical in both.
    let a = write_roster(
        dir.path(),
        "a.csv",
        (2_022_000..2_025_000).map(|n| row(n, "张伟", "软工2201")),
    );
    let b = write_roster(
        dir.path(),
        "b.csv",
        (2_024_000..2_027_000).map(|n| {
            row(
                n,
                "张伟",
                if (2_024_000..2_024_300).contains(&n) {
                    "软工2201"
                } else {
                    "软工2202"
                },
            )
        }),
    );
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let mut expected = Vec::new();
    for order in [[a, b], [b, a]] {
        let Some(db) = TestDb::new(server).await else {
            return;
        };
        for file in order {
            ok(&run(home.path(), &db.url, &["import", file]), 0);
        }
        expected.push((
            roster_state(home.path(), &db.url),
            common::scalar(&db, "SELECT COUNT(*) FROM audit_log").await,
        ));
        db.cleanup().await;
    }
    assert_ne!(
        expected[0].0, expected[1].0,
        "the two orders should differ in the shared students' class"
    );
    for round in 0..2 {
        let db = TestDb::new(server).await.unwrap();
        let mut children: Vec<_> = [a, b]
            .iter()
            .map(|f| {
                support::command(home.path(), &db.url, &["import", f])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        let outs: Vec<_> = tokio::task::block_in_place(|| {
            children
                .drain(..)
                .map(|c| c.wait_with_output().unwrap())
                .collect()
        });
        for out in &outs {
            ok(out, 0);
        }
        let got = (
            roster_state(home.path(), &db.url),
            common::scalar(&db, "SELECT COUNT(*) FROM audit_log").await,
        );
        let which = expected.iter().position(|e| *e == got);
        say(&format!(
            "{server:?} concurrent imports, round {round}: {} students, equal to order {which:?}",
            got.0.len()
        ));
        assert!(
            which.is_some(),
            "{server:?}: two imports at once are not one after the other ({} students)",
            got.0.len()
        );
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_sqlite() {
    concurrent_imports(Server::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_postgres() {
    concurrent_imports(Server::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_mysql() {
    concurrent_imports(Server::Mysql).await;
}

// ---------- 5. the key file deleted or replaced ----------

/// One clean answer of a code command: success, or exit 1 with one line (no panic).
fn clean(out: &std::process::Output) -> Result<(), String> {
    let err = support::stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1 | 3) => {
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
            Err(err.trim_end().to_string())
        }
        other => panic!("exit {other:?}: {err}"),
    }
}

/// While a thread deletes the key file, puts another school's in its place and restores it,
/// codes are issued, reissued and shown: each command works or says clearly why not, and every
/// token in the database verifies with the school's own keyring afterwards.
async fn key_file_churn(db: &TestDb) {
    use caiji::code::Keyring;
    let home = tempfile::tempdir().unwrap();
    let store = caiji::store::open(&db.url, caiji::store::Create::IfMissing)
        .await
        .unwrap();
    let students: Vec<_> = (0..60)
        .map(|i| common::student(&format!("20260{i:05}"), "张伟"))
        .collect();
    store.insert_students(&students).await.unwrap();
    store
        .set_setting("school_code", "4144010001")
        .await
        .unwrap();
    store
        .set_setting("school_name", "南岭理工大学")
        .await
        .unwrap();
    let url = db.url.as_str();
    ok(&run(home.path(), url, &["key", "generate"]), 0);
    let key_path = home.path().join("caiji.keys");
    let original = Keyring::load(&key_path).expect("the school's keyring");
    let saved = std::fs::read(&key_path).unwrap();
    ok(
        &run(
            home.path(),
            url,
            &["codes", "issue", "2026000000", "2026000001"],
        ),
        0,
    );

    // Plain cases first: a missing file, then another school's key file.
    std::fs::remove_file(&key_path).unwrap();
    let err = clean(&run(home.path(), url, &["codes", "issue", "2026000002"])).unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
    let other_dir = tempfile::tempdir().unwrap();
    let other = other_dir.path().join("caiji.keys");
    Keyring::generate(&other).unwrap();
    std::fs::copy(&other, &key_path).unwrap();
    for args in [
        &["codes", "issue", "2026000002"][..],
        &["codes", "issue", "--all"],
        &["codes", "reissue", "2026000001", "--reason", "lost"],
    ] {
        let err = clean(&run(home.path(), url, args)).unwrap_err();
        assert!(
            err.contains("does not belong to this database") && err.contains("nothing was issued"),
            "{args:?}: {err}"
        );
    }
    let err = clean(&run(home.path(), url, &["codes", "show", "2026000000"])).unwrap_err();
    assert!(err.contains("does not verify with this key file"), "{err}");

    // Then all at once, with the file changing under the commands.
    std::fs::write(&key_path, &saved).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut rng = support::rng(&format!("key_file_churn {:?}", db.server));
    let churn = {
        let (stop, key_path, other, saved) =
            (stop.clone(), key_path.clone(), other.clone(), saved.clone());
        let mut rng = rand_chacha::ChaCha8Rng::from_rng(&mut rng);
        std::thread::spawn(move || {
            let mut changes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match rng.random_range(0..3) {
                    0 => drop(std::fs::remove_file(&key_path)),
                    1 => drop(std::fs::copy(&other, &key_path)),
                    _ => drop(std::fs::write(&key_path, &saved)),
                }
                changes += 1;
                std::thread::sleep(Duration::from_millis(rng.random_range(1..40)));
            }
            changes
        })
    };
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    for i in 2..40 {
        let no = format!("20260{i:05}");
        let prev = format!("20260{:05}", i - 1);
        for args in [
            vec!["codes", "issue", no.as_str()],
            vec!["codes", "show", prev.as_str()],
            vec!["codes", "reissue", prev.as_str(), "--reason", "lost"],
        ] {
            let result = clean(&tokio::task::block_in_place(|| {
                support::command(home.path(), url, &args)
                    .env("COLUMNS", "200")
                    .env("LINES", "100")
                    .output()
                    .unwrap()
            }));
            let what = match result {
                Ok(()) => "ok".to_string(),
                Err(e) if e.contains("does not belong") => "refused: another key file".into(),
                Err(e) if e.contains("does not exist") => "refused: no key file".into(),
                Err(e) if e.contains("does not verify") => {
                    "refused: shown code does not verify".into()
                }
                Err(e) if e.contains("key file") => {
                    "refused: key file unreadable or half written".into()
                }
                // its issue was refused a moment ago
                Err(e) if e.contains("has no collection code yet") => "refused: no code yet".into(),
                Err(e) => panic!("{args:?}: not a clear key-file error: {e}"),
            };
            *outcomes.entry(format!("{} {what}", args[1])).or_default() += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let changes = churn.join().unwrap();
    say(&format!(
        "{:?} key file changed {changes} times; outcomes: {outcomes:#?}",
        db.server
    ));

    let codes = store.latest_code_per_key().await.unwrap();
    assert_eq!(
        codes.iter().map(|c| c.key_id).collect::<Vec<_>>(),
        [1],
        "one key only"
    );
    let tokens: Vec<String> = match db.server {
        Server::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT token FROM codes")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        _ => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT token FROM codes")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    };
    assert!(tokens.len() > 2, "something was issued");
    for t in &tokens {
        caiji::code::verify(t, &original)
            .unwrap_or_else(|e| panic!("a code sealed with a wrong key: {t}: {e}"));
    }
    say(&format!(
        "{:?}: all {} tokens verify with the school's keyring",
        db.server,
        tokens.len()
    ));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_file_churn_sqlite() {
    let db = TestDb::new(Server::Sqlite).await.unwrap();
    key_file_churn(&db).await;
}

// ---------- 2. the database server going away ----------

/// The console's event loop without a terminal: its real tasks and `update`.
struct Console {
    app: caiji::tui::app::App,
    env: caiji::tui::tasks::Env,
    running: caiji::tui::tasks::Running,
    tx: tokio::sync::mpsc::UnboundedSender<caiji::tui::action::Action>,
    rx: tokio::sync::mpsc::UnboundedReceiver<caiji::tui::action::Action>,
}

impl Console {
    fn act(&mut self, action: caiji::tui::action::Action) {
        let effects = caiji::tui::app::update(&mut self.app, action);
        caiji::tui::tasks::start(effects, &self.env, &mut self.running, &self.tx, |a| a);
    }

    /// Applies answers as the event loop does until `done` holds (true) or `limit` passes.
    async fn pump(
        &mut self,
        limit: Duration,
        done: impl Fn(&caiji::tui::app::App) -> bool,
    ) -> bool {
        let deadline = Instant::now() + limit;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(action)) = tokio::time::timeout(left, self.rx.recv()).await else {
                return false;
            };
            self.act(action);
        }
        true
    }

    /// The screen as text.
    fn screen(&self) -> String {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        t.draw(|f| caiji::tui::ui::render(&self.app, f)).unwrap();
        let b = t.backend().buffer().clone();
        // wide characters take two cells; the second holds a blank
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol())
                    .collect::<String>()
                    .replace(' ', "")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The console (its real tasks and `update` loop, drawn on a test backend) with the server
/// behind the proxy: a reload while the server is away shows the error on screen, and the
/// console comes back by itself once the server is back — nobody presses a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_recovers_when_the_server_comes_back() {
    use caiji::tui::action::Action;
    use caiji::tui::app::App;
    use caiji::tui::{SchoolInfo, keymap::Keymap, tasks, theme::Theme};
    let Some(db) = TestDb::new(Server::Postgres).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    support::station_school(&db, 30, home.path()).await;
    let proxy = proxy::Proxy::start(proxy::upstream(&db.url)).await;
    let url = proxy.url(&db.url);
    let store: std::sync::Arc<dyn caiji::store::Store> = std::sync::Arc::from(
        caiji::store::open(&url, caiji::store::Create::Never)
            .await
            .unwrap(),
    );
    let school = SchoolInfo {
        code: "4144010001".into(),
        name: "南岭理工大学".into(),
        cohort: 2026,
    };
    let app = App::new(
        school.clone(),
        "tester".into(),
        url.clone(),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
        (100, 30),
    );
    let env = tasks::Env {
        store: store.clone(),
        school,
        operator: "tester".into(),
        key_file: std::path::PathBuf::from("/nonexistent"),
        keys: std::sync::Arc::new(caiji::ops::checkin::StationKeys::load(
            std::path::Path::new("/nonexistent"),
        )),
        export_dir: std::env::temp_dir(),
        station: None,
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Action>();
    let mut c = Console {
        app,
        env,
        running: tasks::Running::default(),
        tx,
        rx,
    };
    c.act(Action::Reload);
    assert!(
        c.pump(Duration::from_secs(20), |a| a.students.loaded
            && a.last_error.is_none())
            .await
    );
    assert!(c.screen().contains("S0000"), "{}", c.screen());

    proxy.cut();
    let cut = Instant::now();
    c.act(Action::Reload);
    assert!(
        c.pump(Duration::from_secs(20), |a| a.retry.waiting.is_some())
            .await,
        "no error shown"
    );
    let shown = c.screen();
    let error = c.app.last_error.clone().unwrap();
    say(&format!(
        "console: error after {:.1?}: {error}",
        cut.elapsed()
    ));
    assert!(error.contains("连不上数据库服务器"), "{error}");
    let head: String = error.chars().filter(|c| *c != ' ').take(8).collect();
    assert!(shown.contains(&head), "the error is on screen:\n{shown}");
    assert!(
        shown.contains("S0000"),
        "the rows read before stay on screen:\n{shown}"
    );

    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    let back = Instant::now();
    let recovered = c
        .pump(Duration::from_secs(40), |a| {
            a.last_error.is_none() && a.retry.attempts == 0
        })
        .await;
    assert!(
        recovered,
        "the console did not recover by itself: {:?}\n{}",
        c.app.last_error,
        c.screen()
    );
    say(&format!(
        "console: recovered {:.1?} after the server came back (outage {:.1?})",
        back.elapsed(),
        cut.elapsed()
    ));
    assert!(!c.screen().contains(&head));
    c.running.abort_all();
    drop(c);
    store.close().await;
    db.cleanup().await;
}

// ---------- 4. a photo folder changing while it is reconciled ----------

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// `photos reconcile --apply` while a thread adds, deletes, truncates and renames files and
/// folders: no crash, a sane report each time; once the folder is still, the next run settles
/// it — the photos table holds exactly the folder's files, and a further run changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_folder_changing_during_reconcile() {
    use caiji::demo::photos::{sample_jpeg, with_comment};
    let db = TestDb::new(Server::Sqlite).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let store = caiji::store::open(&db.url, caiji::store::Create::IfMissing)
        .await
        .unwrap();
    let no = |i: usize| format!("2026{i:06}");
    let students: Vec<_> = (0..400).map(|i| common::student(&no(i), "王芳")).collect();
    store.insert_students(&students).await.unwrap();
    store.close().await;
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_path_buf();
    let good = sample_jpeg(11, [100, 197, 255]);
    for i in 0..300 {
        let sub = dir.join(format!("班{}", i % 4));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join(format!("{}.jpg", no(i))),
            with_comment(&good, no(i).as_bytes()),
        )
        .unwrap();
    }
    let mut rng = support::rng("photo_folder_churn");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (stop, dir, good) = (stop.clone(), dir.clone(), good.clone());
        let mut rng = rand_chacha::ChaCha8Rng::from_rng(&mut rng);
        std::thread::spawn(move || {
            let mut ops = std::collections::BTreeMap::<&str, u32>::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let files = files_under(&dir);
                let pick = |rng: &mut rand_chacha::ChaCha8Rng| {
                    files
                        .get(rng.random_range(0..files.len().max(1)))
                        .map(|f| dir.join(f))
                };
                let i = rng.random_range(0..400);
                let op = match rng.random_range(0..6) {
                    0 => {
                        let sub = dir.join(format!("班{}", rng.random_range(0..6)));
                        let _ = std::fs::create_dir_all(&sub);
                        let _ = std::fs::write(
                            sub.join(format!("{}.jpg", no(i))),
                            with_comment(&good, format!("new{i}").as_bytes()),
                        );
                        "added"
                    }
                    1 => pick(&mut rng)
                        .map(std::fs::remove_file)
                        .map(|_| "deleted")
                        .unwrap_or("none"),
                    2 => pick(&mut rng)
                        .and_then(|p| std::fs::OpenOptions::new().write(true).open(p).ok())
                        .map(|f| f.set_len(rng.random_range(0..2000)))
                        .map(|_| "truncated")
                        .unwrap_or("none"),
                    3 => pick(&mut rng)
                        .map(|p| std::fs::rename(&p, p.with_file_name(format!("{}.JPG", no(i)))))
                        .map(|_| "renamed")
                        .unwrap_or("none"),
                    4 => {
                        // a whole folder moved away or back
                        let (a, b) = (
                            dir.join(format!("班{}", rng.random_range(0..6))),
                            dir.join(format!("旧{}", rng.random_range(0..3))),
                        );
                        let _ = if rng.random_bool(0.5) {
                            std::fs::rename(&a, &b)
                        } else {
                            std::fs::rename(&b, &a)
                        };
                        "folder moved"
                    }
                    _ => {
                        let _ =
                            std::fs::remove_dir(dir.join(format!("班{}", rng.random_range(0..6))));
                        "folder removed"
                    }
                };
                *ops.entry(op).or_default() += 1;
                std::thread::sleep(Duration::from_micros(rng.random_range(0..2000)));
            }
            ops
        })
    };
    let dir_arg = dir.to_str().unwrap();
    let reconcile = || {
        run(
            home.path(),
            &db.url,
            &[
                "photos",
                "reconcile",
                dir_arg,
                "--apply",
                "--format",
                "json",
            ],
        )
    };
    let mut reports = Vec::new();
    for _ in 0..3 {
        let out = reconcile();
        let err = support::stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 3)), "exit {code:?}: {err}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", support::stdout(&out)));
        reports.push(format!(
            "exit {code:?}: {} files, {} valid, {} invalid, {} skipped",
            json["files"],
            json["matched_valid"].as_array().map_or(0, Vec::len),
            json["matched_invalid"].as_array().map_or(0, Vec::len),
            json["skipped"].as_array().map_or(0, Vec::len)
        ));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ops = churn.join().unwrap();
    say(&format!(
        "photo churn: {ops:?}\n  runs during it: {reports:#?}"
    ));

    // Still now: one run settles it; the table is the folder (less the files the report names
    // as skipped: the churn may truncate a file to nothing); the next run changes nothing.
    let settle = reconcile();
    ok(&settle, 3);
    let settled: serde_json::Value = serde_json::from_slice(&settle.stdout).unwrap();
    let skipped: Vec<String> = settled["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_string())
        .collect();
    let in_db: Vec<String> = {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar("SELECT path FROM photos")
            .fetch_all(&mut c)
            .await
            .unwrap()
    };
    let prefix = format!("{}/", dir.display());
    let mut in_db: Vec<String> = in_db
        .iter()
        .map(|p| p.strip_prefix(&prefix).unwrap_or(p).to_string())
        .collect();
    in_db.sort();
    let on_disk = files_under(&dir);
    for s in &skipped {
        let size = std::fs::metadata(dir.join(s)).map(|m| m.len());
        assert!(
            matches!(size, Ok(0)),
            "only empty files are skipped here: {s} {size:?}"
        );
    }
    let on_disk: Vec<String> = on_disk
        .into_iter()
        .filter(|p| !skipped.contains(p))
        .collect();
    let extra: Vec<&String> = in_db.iter().filter(|p| !on_disk.contains(p)).collect();
    let missing: Vec<&String> = on_disk.iter().filter(|p| !in_db.contains(p)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "the photos table is not the folder: extra {extra:?}, missing {missing:?}"
    );
    say(&format!(
        "photo churn settled: {} files on disk and in the table",
        on_disk.len()
    ));
    let before = support::dump(&db, "photos").await;
    let audit = common::scalar(&db, "SELECT COUNT(*) FROM audit_log").await;
    ok(&reconcile(), 3);
    let after = support::dump(&db, "photos").await;
    assert_eq!(before.len(), after.len());
    assert_eq!(
        common::scalar(&db, "SELECT COUNT(*) FROM audit_log").await,
        audit,
        "a settled folder changes nothing"
    );
}
