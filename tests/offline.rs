//! Offline stations (docs/sessions.md "Offline stations"): a check-in station whose server goes
//! away keeps answering from its key file, cache and journal, and sends the journal when the
//! server is back, each scan once. Through the TCP proxy of the fault tests, on PostgreSQL and
//! MariaDB (a SQLite station has no network to lose); the property test over random cuts,
//! restores and kills runs in-process on every backend.
//!
//! Kills and cuts are driven by what the test observes (answers read, journal records, the hold
//! mark the station writes), never by sleeping. Random moments come from a seeded RNG whose seed
//! is printed (`CAIJI_FAULT_SEED` repeats it).

mod common;
#[path = "faults/proxy.rs"]
mod proxy;
#[path = "faults/support.rs"]
#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use common::{Server, TestDb};
use serde_json::Value;
use support::{ok, run, say};

/// The tokens of the school's students, by 学号.
async fn tokens(db: &TestDb) -> Vec<(String, String)> {
    let store = caiji::store::open(&db.url, caiji::store::Create::Never)
        .await
        .unwrap();
    let mut out: Vec<(String, String)> = store
        .active_codes()
        .await
        .unwrap()
        .into_iter()
        .map(|(s, c)| (s.student_no, c.token))
        .collect();
    store.close().await;
    out.sort();
    out
}

/// Assigns every student to the session, so the station's cache knows them.
fn assign_all(home: &Path, url: &str, session: i64, students: &[(String, String)]) {
    let mut args = vec!["sessions".to_string(), "assign".into(), session.to_string()];
    args.extend(students.iter().map(|(no, _)| no.clone()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&run(home, url, &args), 0);
}

/// A station process: `caiji sessions checkin --format json` through the proxy.
struct Station {
    child: Child,
    input: Option<ChildStdin>,
    lines: std::sync::mpsc::Receiver<Value>,
    /// Fates of queued scans (`synced` / `conflict`) as they came, by label.
    fates: Vec<Value>,
}

impl Station {
    fn start(home: &Path, url: &str, session: i64, letter: &str, env: &[(&str, &str)]) -> Station {
        let mut cmd = support::command(
            home,
            url,
            &[
                "sessions",
                "checkin",
                &session.to_string(),
                "--station",
                &format!("{letter}1"),
                "--letter",
                letter,
                "--format",
                "json",
            ],
        );
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let input = child.stdin.take();
        Station {
            child,
            input,
            lines,
            fates: Vec::new(),
        }
    }

    fn next(&mut self) -> Option<Value> {
        let line = tokio::task::block_in_place(|| self.lines.recv_timeout(Duration::from_secs(40)));
        line.ok()
    }

    /// Scans one code and returns its answer (fates that arrive meanwhile are kept).
    fn scan(&mut self, token: &str) -> Value {
        let input = self.input.as_mut().unwrap();
        writeln!(input, "{token}").unwrap();
        input.flush().unwrap();
        loop {
            let v = self.next().expect("an answer for every scan");
            if matches!(v["status"].as_str(), Some("synced" | "conflict")) {
                self.fates.push(v);
            } else {
                return v;
            }
        }
    }

    /// Waits until `n` fates in all have come.
    fn wait_fates(&mut self, n: usize) {
        while self.fates.len() < n {
            let v = self
                .next()
                .unwrap_or_else(|| panic!("only {} fates", self.fates.len()));
            assert!(
                matches!(v["status"].as_str(), Some("synced" | "conflict")),
                "{v}"
            );
            self.fates.push(v);
        }
    }

    /// Ends the input and collects what the station says before it stops.
    fn finish(mut self) -> (Vec<Value>, std::process::Output) {
        drop(self.input.take());
        let out = tokio::task::block_in_place(|| self.child.wait_with_output()).unwrap();
        while let Ok(v) = self.lines.try_recv() {
            self.fates.push(v);
        }
        (self.fates, out)
    }

    fn kill(mut self) -> Vec<Value> {
        // SIGKILL: nothing of the station runs after this
        self.child.kill().unwrap();
        let _ = self.child.wait();
        while let Ok(v) = self.lines.try_recv() {
            self.fates.push(v);
        }
        self.fates
    }
}

/// A school of `n` students behind a proxy, all assigned to one session.
struct Site {
    db: TestDb,
    home: tempfile::TempDir,
    session: i64,
    students: Vec<(String, String)>,
    proxy: proxy::Proxy,
}

impl Site {
    async fn new(server: Server, n: usize) -> Option<Site> {
        let db = TestDb::new(server).await?;
        let home = tempfile::tempdir().unwrap();
        let session = support::station_school(&db, n, home.path()).await;
        let students = tokens(&db).await;
        assign_all(home.path(), &db.url, session, &students);
        let proxy = proxy::Proxy::start(proxy::upstream(&db.url)).await;
        Some(Site {
            db,
            home,
            session,
            students,
            proxy,
        })
    }

    fn url(&self) -> String {
        self.proxy.url(&self.db.url)
    }

    fn station(&self, letter: &str, env: &[(&str, &str)]) -> Station {
        Station::start(self.home.path(), &self.url(), self.session, letter, env)
    }

    /// A second station machine: its own data dir with the school's key file and config.
    fn second_home(&self) -> tempfile::TempDir {
        let other = tempfile::tempdir().unwrap();
        for f in ["caiji.keys", "config.toml"] {
            std::fs::copy(self.home.path().join(f), other.path().join(f)).unwrap();
            caiji_chmod_600(&other.path().join(f));
        }
        other
    }

    /// 学号 → (shot, label) of every check-in of the session.
    async fn checkins(&self) -> BTreeMap<String, (i64, Option<String>)> {
        let store = caiji::store::open(&self.db.url, caiji::store::Create::Never)
            .await
            .unwrap();
        let rows = store.session_students(self.session).await.unwrap();
        let labels: BTreeMap<String, String> = store
            .labelled_shots(self.session)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.student_no, l.label))
            .collect();
        store.close().await;
        rows.into_iter()
            .filter_map(|s| {
                let shot = i64::from(s.shot?);
                let label = labels.get(&s.student_no).cloned();
                Some((s.student_no, (shot, label)))
            })
            .collect()
    }

    /// The invariants after everything was sent: nobody twice, shots gapless, the counter
    /// matching, every synced fate in the database as reported.
    async fn check(&self, fates: &[Value]) -> BTreeMap<String, (i64, Option<String>)> {
        let rows = self.checkins().await;
        assert_eq!(
            common::scalar(&self.db, "SELECT COUNT(*) FROM checkins").await,
            rows.len() as i64,
            "one check-in per student"
        );
        let shots: BTreeSet<i64> = rows.values().map(|(s, _)| *s).collect();
        assert_eq!(shots.len(), rows.len(), "distinct shots");
        assert_eq!(
            shots.iter().copied().collect::<Vec<_>>(),
            (1..=rows.len() as i64).collect::<Vec<_>>(),
            "gapless shots"
        );
        let mut labels_seen = BTreeSet::new();
        for f in fates {
            let label = f["label"].as_str().unwrap().to_string();
            assert!(labels_seen.insert(label.clone()), "one fate per label: {f}");
            if f["status"] == "synced" {
                let no = f["student_no"].as_str().unwrap();
                let (shot, db_label) = rows.get(no).unwrap_or_else(|| panic!("{f} not in db"));
                assert_eq!(Some(*shot), f["shot"].as_i64(), "{f}");
                assert_eq!(db_label.as_deref(), Some(label.as_str()), "{f}");
            }
        }
        rows
    }
}

#[cfg(unix)]
fn caiji_chmod_600(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn journal_path(home: &Path, session: i64) -> PathBuf {
    home.join("station")
        .join(format!("session-{session}.journal"))
}

fn servers() -> [Server; 2] {
    [Server::Postgres, Server::Mysql]
}

// ---------- cut and restore mid-session ----------

async fn cut_and_restore(server: Server) {
    use rand::Rng;
    let Some(site) = Site::new(server, 30).await else {
        return;
    };
    let mut rng = support::rng("cut_and_restore");
    let mut scans: Vec<(String, String)> = site.students.clone();
    for _ in 0..4 {
        let again = scans[rng.random_range(0..scans.len())].clone();
        let at = rng.random_range(0..scans.len());
        scans.insert(at, again);
    }
    let cut_at = rng.random_range(3..12);
    let restore_after = rng.random_range(3..8);
    let mut st = site.station("B", &[]);
    let mut answers = Vec::new();
    let mut queued_since_cut = 0;
    let mut cut = false;
    for (i, (no, token)) in scans.iter().enumerate() {
        if i == cut_at {
            site.proxy.cut();
            cut = true;
        }
        let a = st.scan(token);
        if a["status"] == "queued" {
            queued_since_cut += 1;
            assert!(a["label"].as_str().unwrap().starts_with("B-"), "{a}");
            assert!(a["shot"].is_null(), "{a}");
        }
        if cut && queued_since_cut == restore_after {
            site.proxy.restore();
            cut = false;
        }
        answers.push((no.clone(), a));
    }
    site.proxy.restore();
    let queued: Vec<&Value> = answers
        .iter()
        .map(|(_, a)| a)
        .filter(|a| a["status"] == "queued")
        .collect();
    assert!(!queued.is_empty(), "the cut queued nothing");
    st.wait_fates(queued.len());
    let (fates, out) = st.finish();
    ok(&out, 0);
    for (no, a) in &answers {
        assert!(
            matches!(
                a["status"].as_str(),
                Some("checked_in" | "already" | "queued")
            ),
            "{no}: {a}"
        );
    }
    assert_eq!(fates.len(), queued.len(), "a fate for every queued scan");
    for f in &fates {
        assert_eq!(f["status"], "synced", "nobody else scanned: {f}");
    }
    let rows = site.check(&fates).await;
    assert_eq!(rows.len(), 30, "every student once");
    say(&format!(
        "{server:?}: cut at scan {cut_at}, {} queued, all synced",
        queued.len()
    ));
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_and_restore_mid_session() {
    for server in servers() {
        cut_and_restore(server).await;
    }
}

// ---------- cut during the sync ----------

async fn cut_during_sync(server: Server) {
    let Some(site) = Site::new(server, 24).await else {
        return;
    };
    let mut st = site.station("C", &[]);
    // one online check-in fills the cache's shots; then everything else offline
    assert_eq!(st.scan(&site.students[0].1)["status"], "checked_in");
    site.proxy.cut();
    for (_, token) in &site.students[1..] {
        assert_eq!(st.scan(token)["status"], "queued");
    }
    site.proxy.restore();
    st.wait_fates(3);
    site.proxy.cut();
    let seen = st.fates.len();
    say(&format!("{server:?}: cut again after {seen} fates"));
    // scans keep being answered (queued) while the rest waits
    let a = st.scan(&site.students[1].1);
    assert_eq!(a["status"], "already", "{a}");
    site.proxy.restore();
    st.wait_fates(23);
    let (fates, out) = st.finish();
    ok(&out, 0);
    assert_eq!(fates.len(), 23);
    assert!(fates.iter().all(|f| f["status"] == "synced"), "{fates:?}");
    let rows = site.check(&fates).await;
    assert_eq!(rows.len(), 24);
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_during_the_sync() {
    for server in servers() {
        cut_during_sync(server).await;
    }
}

// ---------- kill -9 while offline, and while syncing ----------

async fn killed(server: Server) {
    let Some(site) = Site::new(server, 12).await else {
        return;
    };
    let journal = journal_path(site.home.path(), site.session);
    // Offline: every answer shown is already on disk, so a kill right after it loses nothing.
    let mut st = site.station("D", &[]);
    assert_eq!(st.scan(&site.students[0].1)["status"], "checked_in");
    site.proxy.cut();
    for (_, token) in &site.students[1..] {
        assert_eq!(st.scan(token)["status"], "queued");
    }
    let records = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(records, 11, "one synced record per queued answer");
    st.kill();
    site.proxy.restore();

    // While syncing: the station holds right after the server took a scan and before the
    // journal knows it; killed there, the scan is sent again by nonce and counts once.
    let mark = site.home.path().join("hold.mark");
    let mark_text = mark.to_string_lossy().into_owned();
    let st = site.station(
        "D",
        &[
            ("CAIJI_TEST_HOLD", "station_sync_sent"),
            ("CAIJI_TEST_HOLD_MARK", &mark_text),
        ],
    );
    let started = Instant::now();
    while !mark.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no hold");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    st.kill();
    let before = site.checkins().await;
    assert!(
        before.len() >= 2,
        "the first queued scans reached the server: {before:?}"
    );

    let out = run(
        site.home.path(),
        &site.url(),
        &["sessions", "sync", "--format", "json"],
    );
    let fates: Vec<Value> = ok(&out, 0)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(fates.len(), 11, "{fates:?}");
    assert!(fates.iter().all(|f| f["status"] == "synced"), "{fates:?}");
    let rows = site.check(&fates).await;
    assert_eq!(rows.len(), 12);
    // the scans the killed sync had sent kept their shots (sent again, found by nonce)
    for (no, (shot, _)) in &before {
        assert_eq!(rows[no].0, *shot, "{no}");
    }
    say(&format!(
        "{server:?}: killed while {} of 11 queued scans were on the server",
        before.len() - 1
    ));

    let report = ok(
        &run(
            site.home.path(),
            &site.url(),
            &["sessions", "sync-report", "--format", "json"],
        ),
        0,
    );
    let report: Vec<Value> = serde_json::from_str(&report).unwrap();
    assert_eq!(report.len(), 11);
    assert!(
        report
            .iter()
            .all(|r| r["status"] == "synced" && r["shot"].is_i64())
    );
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_offline_and_while_syncing() {
    for server in servers() {
        killed(server).await;
    }
}

// ---------- a station started while the server is away ----------

async fn started_offline(server: Server) {
    let Some(site) = Site::new(server, 3).await else {
        return;
    };
    site.proxy.cut();
    // never online: no cache, so it cannot know the session, and says so
    let st = site.station("H", &[]);
    let (_, out) = st.finish();
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no cache of session"), "{err}");
    site.proxy.restore();
    let mut st = site.station("H", &[]);
    assert_eq!(st.scan(&site.students[0].1)["status"], "checked_in");
    let (_, out) = st.finish();
    ok(&out, 0);
    site.proxy.cut();
    let mut st = site.station("H", &[]);
    let a = st.scan(&site.students[1].1);
    assert_eq!(a["status"], "queued", "{a}");
    assert_eq!(a["label"], "H-001", "{a}");
    // the cache knows who was checked in before
    assert_eq!(st.scan(&site.students[0].1)["status"], "already");
    let (fates, out) = st.finish();
    assert!(fates.is_empty(), "{fates:?}");
    assert_eq!(out.status.code(), Some(3), "scans still wait");
    assert!(
        support::stderr(&out).contains("sessions sync"),
        "{}",
        support::stderr(&out)
    );
    let out = run(site.home.path(), &site.url(), &["sessions", "sync"]);
    assert_eq!(out.status.code(), Some(1), "the server is still away");
    site.proxy.restore();
    let out = run(
        site.home.path(),
        &site.url(),
        &["sessions", "sync", "--format", "json"],
    );
    let fates: Vec<Value> = ok(&out, 0)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(fates.len(), 1);
    assert_eq!(fates[0]["status"], "synced", "{fates:?}");
    assert_eq!(site.check(&fates).await.len(), 2);
    let journal = journal_path(site.home.path(), site.session);
    let cache = site
        .home
        .path()
        .join("station")
        .join(format!("session-{}.cache.json", site.session));
    for f in [&journal, &cache] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    // masked names only: the roster's full name never reaches the station's files
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(
        cached.contains("李*") && !cached.contains("李娜"),
        "{cached}"
    );
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_started_offline_answers_from_its_cache() {
    for server in servers() {
        started_offline(server).await;
    }
}

// ---------- two stations, one student; a code revoked meanwhile ----------

async fn two_stations(server: Server) {
    let Some(site) = Site::new(server, 6).await else {
        return;
    };
    let other_home = site.second_home();
    let mut a = site.station("E", &[]);
    let mut b = Station::start(other_home.path(), &site.url(), site.session, "F", &[]);
    // both online once (their caches), then the server goes away
    assert_eq!(a.scan(&site.students[0].1)["status"], "checked_in");
    assert_eq!(b.scan(&site.students[1].1)["status"], "checked_in");
    site.proxy.cut();
    let same = &site.students[2];
    assert_eq!(a.scan(&same.1)["status"], "queued");
    assert_eq!(b.scan(&same.1)["status"], "queued");
    assert_eq!(a.scan(&site.students[3].1)["status"], "queued");
    // revoked on the server while the stations cannot see it
    let revoked = &site.students[4];
    assert_eq!(b.scan(&revoked.1)["status"], "queued");
    ok(
        &run(
            site.home.path(),
            &site.db.url,
            &["codes", "revoke", &revoked.0, "--reason", "lost"],
        ),
        0,
    );
    site.proxy.restore();
    a.wait_fates(2);
    b.wait_fates(2);
    let (fa, oa) = a.finish();
    let (fb, ob) = b.finish();
    ok(&oa, 0);
    ok(&ob, 0);
    let of = |fates: &[Value], no: &str| -> Value {
        fates
            .iter()
            .find(|f| f["student_no"] == no)
            .cloned()
            .unwrap()
    };
    let (x, y) = (of(&fa, &same.0), of(&fb, &same.0));
    let statuses: BTreeSet<&str> = [x["status"].as_str().unwrap(), y["status"].as_str().unwrap()]
        .into_iter()
        .collect();
    assert_eq!(
        statuses,
        ["conflict", "synced"].into_iter().collect(),
        "{x} {y}"
    );
    let loser = if x["status"] == "conflict" { &x } else { &y };
    assert_eq!(loser["cause"], "already", "{loser}");
    let r = of(&fb, &revoked.0);
    assert_eq!(r["status"], "conflict", "{r}");
    assert_eq!(r["cause"], "revoked", "{r}");
    let all: Vec<Value> = fa.iter().chain(&fb).cloned().collect();
    let rows = site.check(&all).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(!rows.contains_key(&revoked.0));
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stations_offline_and_a_code_revoked_meanwhile() {
    for server in servers() {
        two_stations(server).await;
    }
}

// ---------- a station clock ten minutes off ----------

async fn clock_off(server: Server) {
    let Some(site) = Site::new(server, 4).await else {
        return;
    };
    let mut st = site.station("G", &[("CAIJI_TEST_CLOCK_SKEW", "600")]);
    assert_eq!(st.scan(&site.students[0].1)["status"], "checked_in");
    site.proxy.cut();
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    for (_, token) in &site.students[1..] {
        assert_eq!(st.scan(token)["status"], "queued");
    }
    let scanned = chrono::Utc::now();
    // Some distance between the scans and their sync, so a sync that kept no scan time shows.
    tokio::time::sleep(Duration::from_secs(3)).await;
    site.proxy.restore();
    st.wait_fates(3);
    let (fates, out) = st.finish();
    ok(&out, 0);
    site.check(&fates).await;
    let store = caiji::store::open(&site.db.url, caiji::store::Create::Never)
        .await
        .unwrap();
    for (no, _) in &site.students {
        let at = store.student_checkins(no).await.unwrap()[0].at;
        assert!(
            at >= before && at <= scanned + chrono::Duration::seconds(1),
            "{no}: checked in at {at}, scanned between {before} and {scanned}"
        );
    }
    store.close().await;
    site.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn station_clock_ten_minutes_off() {
    for server in servers() {
        clock_off(server).await;
    }
}

// ---------- property: random cuts, restores and kills ----------

use caiji::ops::station::sync::{StoreLink, SyncEnd, Uplink, send_pending};
use caiji::ops::station::{Cache, Fate, Journal, Scan, Scanner};

fn lost() -> caiji::store::StoreError {
    caiji::store::StoreError::Query(sqlx::Error::Io(std::io::Error::from(
        std::io::ErrorKind::ConnectionReset,
    )))
}

/// The server behind a door the test opens and shuts: `down` refuses every call before it
/// reaches the server; `lose` lets the next send through and loses its answer (the check-in
/// is committed, the station hears nothing); `cut_after` shuts the door after that many sends.
struct Faulty {
    inner: StoreLink,
    down: std::sync::atomic::AtomicBool,
    lose: std::sync::atomic::AtomicBool,
    cut_after: std::sync::atomic::AtomicI64,
}

impl Faulty {
    fn gate(&self) -> Result<(), caiji::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.down.load(SeqCst) {
            return Err(lost());
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Uplink for Faulty {
    async fn session(
        &self,
        id: i64,
    ) -> Result<Option<caiji::store::SessionRow>, caiji::store::StoreError> {
        self.gate()?;
        self.inner.session(id).await
    }

    async fn server_now(&self) -> Result<chrono::DateTime<chrono::Utc>, caiji::store::StoreError> {
        self.gate()?;
        self.inner.server_now().await
    }

    async fn send(
        &self,
        session: &caiji::store::SessionRow,
        scan: &Scan,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<caiji::ops::checkin::Answer, caiji::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        self.gate()?;
        if self.cut_after.fetch_sub(1, SeqCst) == 0 {
            self.down.store(true, SeqCst);
            return Err(lost());
        }
        let answer = self.inner.send(session, scan, at).await?;
        if self.lose.swap(false, SeqCst) {
            return Err(lost());
        }
        Ok(answer)
    }
}

/// One seeded run: a session of four students (and one not on its list), random scans queued
/// offline, syncs cut at random sends or losing their answer, kills (some tearing the last
/// record), another station checking the same students in, a code revoked; then the server
/// back for good. Every answered scan ends checked in once or as a conflict.
async fn property_run(
    server: &std::sync::Arc<dyn caiji::store::Store>,
    keys: &std::sync::Arc<caiji::ops::checkin::StationKeys>,
    students: &[(String, String)],
    seed: u64,
) {
    use caiji::store::{NewSession, StudentSelection};
    use rand::{Rng, SeedableRng};
    use std::sync::atomic::Ordering::SeqCst;
    let store = server.as_ref();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let now = chrono::Utc::now();
    let session = store
        .add_session(
            &NewSession {
                title: format!("run {seed}"),
                location: "体育馆".into(),
                starts_at: now,
                ends_at: now + chrono::Duration::hours(2),
                capacity: 4,
                stations: 2,
                makeup: false,
            },
            "tester",
        )
        .await
        .unwrap();
    let selection = StudentSelection {
        student_nos: students[..4].iter().map(|(n, _)| n.clone()).collect(),
        ..Default::default()
    };
    store.assign(session, &selection, "tester").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let row = store.session(session).await.unwrap().unwrap();
    let cache = Cache::refresh(store, dir.path(), &row).await.unwrap();
    let allow_walk_in = rng.random_bool(0.5);
    let scanner = Scanner {
        keys,
        letter: 'P',
        station: "P1",
        operator: "tester",
        allow_walk_in,
        retake_reason: None,
        session,
    };
    let link = Faulty {
        inner: StoreLink::new(server.clone(), keys.clone()),
        down: false.into(),
        lose: false.into(),
        cut_after: (-1).into(),
    };
    let mut journal = Some(std::sync::Mutex::new(
        Journal::open(dir.path(), session).unwrap(),
    ));
    let mut queued: Vec<String> = Vec::new();
    let mut reported: BTreeMap<String, Fate> = BTreeMap::new();
    let mut revoked: BTreeSet<String> = BTreeSet::new();
    let steps = rng.random_range(6..16);
    let mut trace = Vec::new();
    for _ in 0..steps {
        let pick = rng.random_range(0..100);
        match pick {
            0..45 => {
                let (_, token) = &students[rng.random_range(0..students.len())];
                let nonce = caiji::ops::station::new_nonce().unwrap();
                let j = journal.as_ref().unwrap();
                let a = caiji::ops::station::answer_offline(
                    &mut j.lock().unwrap(),
                    Some(&cache),
                    &scanner,
                    token,
                    &nonce,
                )
                .unwrap();
                trace.push(format!("scan {}", a.answer.status.code()));
                if a.answer.status == caiji::ops::station::QUEUED {
                    queued.push(a.label.expect("a queued scan has a label"));
                }
            }
            45..70 => {
                link.cut_after.store(
                    if rng.random_bool(0.4) {
                        rng.random_range(0..3)
                    } else {
                        -1
                    },
                    SeqCst,
                );
                link.lose.store(rng.random_bool(0.3), SeqCst);
                let j = journal.as_ref().unwrap();
                let end = send_pending(&link, j, |scan, fate| {
                    reported.insert(scan.label.clone(), fate.clone());
                })
                .await
                .unwrap();
                trace.push(format!("sync {}", matches!(end, SyncEnd::Done)));
            }
            70..78 => {
                let down = !link.down.load(SeqCst);
                link.down.store(down, SeqCst);
                trace.push(format!("down {down}"));
            }
            78..88 => {
                // kill -9: the station's memory is gone; maybe half a record on disk
                let path = journal
                    .take()
                    .unwrap()
                    .into_inner()
                    .unwrap()
                    .path()
                    .to_path_buf();
                if rng.random_bool(0.5) {
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap();
                    let junk = b"{\"t\":\"scan\",\"seq\":99,\"nonce\":\"ab";
                    f.write_all(&junk[..rng.random_range(1..junk.len())])
                        .unwrap();
                }
                let j = Journal::open(dir.path(), session).unwrap();
                trace.push(format!("kill torn={}", j.torn().is_some()));
                journal = Some(std::sync::Mutex::new(j));
            }
            88..96 => {
                let (no, _) = &students[rng.random_range(0..students.len())];
                let o = store
                    .check_in(session, no, "Z9", "other", true)
                    .await
                    .unwrap();
                trace.push(format!("other {}", o.status.code()));
            }
            _ => {
                let (no, _) = &students[rng.random_range(0..students.len())];
                if revoked.insert(no.clone()) {
                    store.revoke_code(no, "lost", "tester").await.unwrap();
                    trace.push("revoke".into());
                }
            }
        }
    }
    // The server is back for good; a last station start sends what waits.
    link.down.store(false, SeqCst);
    link.lose.store(false, SeqCst);
    link.cut_after.store(-1, SeqCst);
    let j = journal.take().unwrap();
    // As a station does, it tries again while the sync ends offline: on a loaded machine a send
    // may pass the answer deadline even with the server back.
    let mut end = SyncEnd::Offline(lost());
    for _ in 0..10 {
        end = send_pending(&link, &j, |scan, fate| {
            reported.insert(scan.label.clone(), fate.clone());
        })
        .await
        .unwrap();
        if matches!(end, SyncEnd::Done) {
            break;
        }
    }
    assert!(matches!(end, SyncEnd::Done), "seed {seed}: {end:?}");
    let j = j.into_inner().unwrap();
    let ctx = format!("seed {seed}: {trace:?}");

    // None lost: every queued answer is in the journal with a fate, and nothing else is.
    let labels: Vec<String> = j.entries().iter().map(|e| e.scan.label.clone()).collect();
    assert_eq!(labels, queued, "{ctx}");
    assert!(j.entries().iter().all(|e| e.fate.is_some()), "{ctx}");
    // None doubled: the database holds each student once, shots gapless, the counter exact.
    let rows = store.session_students(session).await.unwrap();
    let shots: BTreeMap<String, i32> = rows
        .iter()
        .filter_map(|s| Some((s.student_no.clone(), s.shot?)))
        .collect();
    let mut numbers: Vec<i32> = shots.values().copied().collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=numbers.len() as i32).collect::<Vec<_>>(),
        "{ctx}"
    );
    let counter = store.session(session).await.unwrap().unwrap().checked_in;
    assert_eq!(counter, numbers.len() as i64, "{ctx}");
    let by_label: BTreeMap<String, String> = store
        .labelled_shots(session)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.label, l.student_no))
        .collect();
    let mut synced_students = BTreeSet::new();
    for e in j.entries() {
        let no = &e.scan.student_no;
        match e.fate.as_ref().unwrap() {
            Fate::Synced { shot } => {
                assert_eq!(shots.get(no), Some(shot), "{ctx}: {e:?}");
                assert_eq!(by_label.get(&e.scan.label), Some(no), "{ctx}: {e:?}");
                assert!(synced_students.insert(no.clone()), "{ctx}: twice {no}");
            }
            Fate::Conflict { cause, .. } => {
                assert!(
                    matches!(
                        cause.as_str(),
                        "already" | "already_elsewhere" | "full" | "revoked" | "not_in_session"
                    ),
                    "{ctx}: {e:?}"
                );
                assert!(!by_label.contains_key(&e.scan.label), "{ctx}: {e:?}");
            }
        }
    }
    // What the station reported as it went is what the journal holds.
    for (label, fate) in &reported {
        let e = j.entries().iter().find(|e| &e.scan.label == label).unwrap();
        assert_eq!(e.fate.as_ref(), Some(fate), "{ctx}");
    }
    // Check-ins that are not this station's synced scans came from the other station.
    for s in rows.iter().filter(|s| s.shot.is_some()) {
        if !synced_students.contains(&s.student_no) {
            let theirs = store.student_checkins(&s.student_no).await.unwrap();
            assert!(
                theirs
                    .iter()
                    .any(|c| c.session_id == session && c.station == "Z9"),
                "{ctx}: {} checked in by nobody's report",
                s.student_no
            );
        }
    }
}

/// A scan whose first send checked the student in but lost its answer, and whose code was
/// revoked before it was sent again: the second send answers the first result (synced, the
/// same shot), never "revoked" beside a check-in that the database holds.
async fn revoked_after_first_send(server: Server) {
    use std::sync::atomic::Ordering::SeqCst;
    let Some(db) = TestDb::new(server).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    support::station_school(&db, 5, home.path()).await;
    let students = tokens(&db).await;
    let store: std::sync::Arc<dyn caiji::store::Store> =
        caiji::store::open(&db.url, caiji::store::Create::Never)
            .await
            .unwrap()
            .into();
    let keys = std::sync::Arc::new(caiji::ops::checkin::StationKeys::load(
        &home.path().join("caiji.keys"),
    ));
    let now = chrono::Utc::now();
    let session = store
        .add_session(
            &caiji::store::NewSession {
                title: "revoked meanwhile".into(),
                location: "体育馆".into(),
                starts_at: now,
                ends_at: now + chrono::Duration::hours(2),
                capacity: 4,
                stations: 1,
                makeup: false,
            },
            "tester",
        )
        .await
        .unwrap();
    let selection = caiji::store::StudentSelection {
        student_nos: students[..4].iter().map(|(n, _)| n.clone()).collect(),
        ..Default::default()
    };
    store.assign(session, &selection, "tester").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let row = store.session(session).await.unwrap().unwrap();
    let cache = Cache::refresh(store.as_ref(), dir.path(), &row)
        .await
        .unwrap();
    let scanner = Scanner {
        keys: &keys,
        letter: 'R',
        station: "R1",
        operator: "tester",
        allow_walk_in: false,
        retake_reason: None,
        session,
    };
    let journal = std::sync::Mutex::new(Journal::open(dir.path(), session).unwrap());
    let (no, token) = &students[0];
    let nonce = caiji::ops::station::new_nonce().unwrap();
    let queued = caiji::ops::station::answer_offline(
        &mut journal.lock().unwrap(),
        Some(&cache),
        &scanner,
        token,
        &nonce,
    )
    .unwrap();
    assert_eq!(queued.answer.status, caiji::ops::station::QUEUED);
    let link = Faulty {
        inner: StoreLink::new(store.clone(), keys.clone()),
        down: false.into(),
        lose: true.into(),
        cut_after: (-1).into(),
    };
    let end = send_pending(&link, &journal, |_, _| {}).await.unwrap();
    assert!(matches!(end, SyncEnd::Offline(_)), "{end:?}");
    let first = store.labelled_shots(session).await.unwrap();
    assert_eq!(first.len(), 1, "the first send checked the student in");
    store.revoke_code(no, "lost", "tester").await.unwrap();
    assert!(!link.lose.load(SeqCst));
    let mut fates = Vec::new();
    let end = send_pending(&link, &journal, |scan, fate| {
        fates.push((scan.label.clone(), fate.clone()))
    })
    .await
    .unwrap();
    assert!(matches!(end, SyncEnd::Done), "{end:?}");
    assert_eq!(
        fates,
        vec![(
            queued.label.clone().unwrap(),
            Fate::Synced {
                shot: first[0].shot
            }
        )],
        "{server:?}"
    );
    assert_eq!(store.session(session).await.unwrap().unwrap().checked_in, 1);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_sent_again_after_its_code_was_revoked_keeps_its_first_answer() {
    for server in [Server::Sqlite, Server::Postgres, Server::Mysql] {
        revoked_after_first_send(server).await;
    }
}

async fn property(server: Server, runs: usize) {
    let Some(db) = TestDb::new(server).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    support::station_school(&db, runs * 5, home.path()).await;
    let all = tokens(&db).await;
    let store: std::sync::Arc<dyn caiji::store::Store> =
        caiji::store::open(&db.url, caiji::store::Create::Never)
            .await
            .unwrap()
            .into();
    let keys = std::sync::Arc::new(caiji::ops::checkin::StationKeys::load(
        &home.path().join("caiji.keys"),
    ));
    let base: u64 = std::env::var("CAIJI_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207);
    let started = Instant::now();
    for (run, students) in all.chunks(5).take(runs).enumerate() {
        property_run(&store, &keys, students, base + run as u64).await;
    }
    say(&format!(
        "{server:?}: {runs} runs from seed {base} in {:.1?} (CAIJI_FAULT_SEED={base} repeats them)",
        started.elapsed()
    ));
    store.close().await;
    db.cleanup().await;
}

/// 200 runs on each backend under `cargo test`; `CAIJI_OFFLINE_RUNS=1000` runs that many on
/// each by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scan_is_checked_in_once_or_a_conflict_whatever_the_faults() {
    let runs = |default: usize| {
        std::env::var("CAIJI_OFFLINE_RUNS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    property(Server::Sqlite, runs(200)).await;
    property(Server::Postgres, runs(200)).await;
    property(Server::Mysql, runs(200)).await;
}
