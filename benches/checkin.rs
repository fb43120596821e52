//! Check-in throughput: eight stations at once, each with its own connection pool (as eight
//! machines would have), scanning codes into one session through the same path as
//! `caiji sessions checkin` — token lookup, then the capacity-safe check-in.
//!
//! Run: `cargo bench --bench checkin [-- --per-station N]` (default 500 scans per station).
//! SQLite always; PostgreSQL and MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL name a server
//! (a fresh database is made and dropped on it). SPEC §12 asks for at least 500 check-ins per
//! second together on PostgreSQL and MySQL.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caiji::code::{CodePayload, Keyring};
use caiji::commands::sessions::StationKeys;
use caiji::store::{self, CheckinStatus, CodeTargets, Create, NewSession, StudentSelection};
use common::{Server, TestDb};

const STATIONS: usize = 8;

struct Figures {
    checkins: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn main() {
    let per_station = std::env::args()
        .skip_while(|a| a != "--per-station")
        .nth(1)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        println!("{STATIONS} stations × {per_station} check-ins into one session");
        println!("{:<12} {:>9} {:>8} {:>12} {:>8} {:>8}", "backend", "check-ins", "seconds", "per second", "p50 ms", "p99 ms");
        for server in [Server::Postgres, Server::Mysql, Server::Sqlite] {
            let Some(db) = TestDb::new(server).await else {
                println!("{:<12} skipped: set TEST_POSTGRES_URL / TEST_MYSQL_URL", format!("{server:?}"));
                continue;
            };
            match run(&db, per_station).await {
                Ok(f) => {
                    let mut l = f.latencies.clone();
                    l.sort();
                    let pct = |p: f64| l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or_default();
                    println!(
                        "{:<12} {:>9} {:>8.2} {:>12.0} {:>8.2} {:>8.2}",
                        format!("{server:?}"),
                        f.checkins,
                        f.elapsed.as_secs_f64(),
                        f.checkins as f64 / f.elapsed.as_secs_f64(),
                        pct(0.50).as_secs_f64() * 1000.0,
                        pct(0.99).as_secs_f64() * 1000.0,
                    );
                }
                Err(e) => println!("{:<12} failed: {e}", format!("{server:?}")),
            }
            db.cleanup().await;
        }
    });
}

async fn run(db: &TestDb, per_station: usize) -> Result<Figures, String> {
    let total = STATIONS * per_station;
    let setup = store::open(&db.url, Create::IfMissing).await.map_err(|e| e.to_string())?;
    let students: Vec<_> = (0..total).map(|i| common::student(&format!("B{i:07}"), "欧阳娜娜")).collect();
    for chunk in students.chunks(5000) {
        setup.insert_students(chunk).await.map_err(|e| e.to_string())?;
    }
    // Real codes: every scan is verified with the keyring, as at a station.
    let key_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ring = Keyring::generate(&key_dir.path().join("bench.keys")).map_err(|e| e.to_string())?;
    let tokens = std::sync::Mutex::new(std::collections::HashMap::new());
    let make = |serial: i64, student: &caiji::domain::Student, on: chrono::NaiveDate| {
        let payload = CodePayload::for_student(serial as u64, student, "10001", on);
        let text = caiji::code::issue(&payload, &ring).map(|t| t.text).map_err(|e| e.to_string())?;
        tokens.lock().unwrap().insert(student.student_no.clone(), text.clone());
        Ok(text)
    };
    setup.issue_codes(&CodeTargets::AllWithout, i32::from(ring.current_id()), &make, "bench").await.map_err(|e| e.to_string())?;
    let tokens = tokens.into_inner().unwrap();
    let keys = Arc::new(StationKeys::Ready(ring));
    let at = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").map_err(|e| e.to_string());
    let session = setup
        .add_session(
            &NewSession {
                title: "基准".into(),
                location: "体育馆".into(),
                starts_at: at("2099-03-02 08:30")?,
                ends_at: at("2099-03-02 11:30")?,
                capacity: total as i32,
                stations: STATIONS as i32,
                makeup: false,
            },
            "bench",
        )
        .await
        .map_err(|e| e.to_string())?;
    setup
        .assign(session, &StudentSelection { college: Some("计算机学院".into()), ..Default::default() }, "bench")
        .await
        .map_err(|e| e.to_string())?;

    let mut stations = Vec::new();
    for _ in 0..STATIONS {
        stations.push(store::open(&db.url, Create::Never).await.map_err(|e| e.to_string())?);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(STATIONS + 1));
    let mut tasks = Vec::new();
    for (k, station) in stations.into_iter().enumerate() {
        let barrier = barrier.clone();
        // Station k scans every STATIONS-th student, in a queue of its own.
        let lines: Vec<String> =
            (k..total).step_by(STATIONS).map(|i| format!("{}\r", tokens[&format!("B{i:07}")].to_lowercase())).collect();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut latencies = Vec::with_capacity(lines.len());
            let mut granted = 0usize;
            for line in lines {
                let t0 = Instant::now();
                let no = caiji::commands::sessions::identify(station.as_ref(), &keys, &line)
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|r| format!("{line}: {}", r.reason))?;
                let outcome =
                    station.check_in(session, &no, &format!("S{k}"), "bench", false).await.map_err(|e| e.to_string())?;
                latencies.push(t0.elapsed());
                if matches!(outcome.status, CheckinStatus::CheckedIn { .. }) {
                    granted += 1;
                }
            }
            station.close().await;
            Ok::<_, String>((granted, latencies))
        }));
    }
    barrier.wait().await;
    let start = Instant::now();
    let mut figures = Figures { checkins: 0, elapsed: Duration::ZERO, latencies: Vec::with_capacity(total) };
    for t in tasks {
        let (granted, latencies) = t.await.map_err(|e| e.to_string())??;
        figures.checkins += granted;
        figures.latencies.extend(latencies);
    }
    figures.elapsed = start.elapsed();

    // The run counts only if it was right: everyone in, shots 1..=total.
    let row = setup.session(session).await.map_err(|e| e.to_string())?.ok_or("session vanished")?;
    let mut shots: Vec<i32> =
        setup.session_students(session).await.map_err(|e| e.to_string())?.into_iter().filter_map(|s| s.shot).collect();
    shots.sort();
    if figures.checkins != total || row.checked_in != total as i64 || shots != (1..=total as i32).collect::<Vec<_>>() {
        return Err(format!("wrong result: {} granted, counter {}, {} shots", figures.checkins, row.checked_in, shots.len()));
    }
    setup.close().await;
    Ok(figures)
}
