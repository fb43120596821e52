//! Check-in throughput: eight stations at once, each with its own connection pool (as eight
//! machines would have), scanning codes into one session through the same path as
//! `caiji sessions checkin` — token lookup, then the capacity-safe check-in.
//!
//! Run: `cargo bench --bench checkin [-- --per-station N]` (default 500 scans per station).
//! SQLite always; PostgreSQL and MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL name a server
//! (a fresh database is made and dropped on it). SPEC §12 asks for at least 500 check-ins per
//! second together on PostgreSQL and MySQL.
//!
//! Load test (`benches/load.sh`): `-- --seconds S [--students N]` keeps the eight stations
//! scanning for S seconds on the servers while a console reads reports in a loop (the
//! completion report by college and the roster counts, as the console's dashboard refreshes
//! them), and prints throughput and p50/p99 latency of both. A station that runs out of its
//! students starts its queue again and gets "already checked in" answers.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caiji::store::{self, CheckinStatus, Create, GroupBy, NewSession, Store, StudentSelection};
use common::{exec, Server, TestDb};

const STATIONS: usize = 8;

struct Figures {
    checkins: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::args().skip_while(|a| a != name).nth(1).and_then(|n| n.parse().ok())
}

/// The value below which `p` of the sorted `l` lie, in milliseconds.
fn percentile(l: &[Duration], p: f64) -> f64 {
    l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or_default().as_secs_f64() * 1000.0
}

fn main() {
    let per_station = arg::<usize>("--per-station").unwrap_or(500);
    let seconds = arg::<u64>("--seconds");
    let students = arg::<usize>("--students").unwrap_or(60_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        if let Some(seconds) = seconds {
            load_test(Duration::from_secs(seconds), students).await;
            return;
        }
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
                    println!(
                        "{:<12} {:>9} {:>8.2} {:>12.0} {:>8.2} {:>8.2}",
                        format!("{server:?}"),
                        f.checkins,
                        f.elapsed.as_secs_f64(),
                        f.checkins as f64 / f.elapsed.as_secs_f64(),
                        percentile(&l, 0.50),
                        percentile(&l, 0.99),
                    );
                }
                Err(e) => println!("{:<12} failed: {e}", format!("{server:?}")),
            }
            db.cleanup().await;
        }
    });
}

/// A session of `total` students with active codes `CJ1:B0000000`…, all assigned to it.
async fn prepare(db: &TestDb, total: usize) -> Result<(Box<dyn Store>, i64), String> {
    let setup = store::open(&db.url, Create::IfMissing).await.map_err(|e| e.to_string())?;
    let students: Vec<_> = (0..total).map(|i| common::student(&format!("B{i:07}"), "欧阳娜娜")).collect();
    for chunk in students.chunks(5000) {
        setup.insert_students(chunk).await.map_err(|e| e.to_string())?;
    }
    let token = if db.server == Server::Mysql { "CONCAT('CJ1:', student_no)" } else { "'CJ1:' || student_no" };
    exec(db, &format!(
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) \
         SELECT id, id, 1, {token}, 'active', '2026-01-01 08:00:00' FROM students"
    ))
    .await?;
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
    Ok((setup, session))
}

/// One scan at a station as `caiji sessions checkin` handles it: token lookup, then check-in.
async fn scan(station: &dyn Store, session: i64, k: usize, line: &str) -> Result<CheckinStatus, String> {
    let no = caiji::commands::sessions::identify(station, line)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|r| format!("{line}: {}", r.reason))?;
    Ok(station.check_in(session, &no, &format!("S{k}"), "bench", false).await.map_err(|e| e.to_string())?.status)
}

/// Every granted check-in has its own shot number, 1..=n, and the session counter says n.
async fn check_shots(setup: &dyn Store, session: i64, granted: usize) -> Result<(), String> {
    let row = setup.session(session).await.map_err(|e| e.to_string())?.ok_or("session vanished")?;
    let mut shots: Vec<i32> =
        setup.session_students(session).await.map_err(|e| e.to_string())?.into_iter().filter_map(|s| s.shot).collect();
    shots.sort();
    if row.checked_in != granted as i64 || shots != (1..=granted as i32).collect::<Vec<_>>() {
        return Err(format!("wrong result: {granted} granted, counter {}, {} shots", row.checked_in, shots.len()));
    }
    Ok(())
}

async fn run(db: &TestDb, per_station: usize) -> Result<Figures, String> {
    let total = STATIONS * per_station;
    let (setup, session) = prepare(db, total).await?;
    let mut stations = Vec::new();
    for _ in 0..STATIONS {
        stations.push(store::open(&db.url, Create::Never).await.map_err(|e| e.to_string())?);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(STATIONS + 1));
    let mut tasks = Vec::new();
    for (k, station) in stations.into_iter().enumerate() {
        let barrier = barrier.clone();
        // Station k scans every STATIONS-th student, in a queue of its own.
        let lines: Vec<String> = (k..total).step_by(STATIONS).map(|i| format!("cj1:b{i:07}\r")).collect();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut latencies = Vec::with_capacity(lines.len());
            let mut granted = 0usize;
            for line in lines {
                let t0 = Instant::now();
                let status = scan(station.as_ref(), session, k, &line).await?;
                latencies.push(t0.elapsed());
                if matches!(status, CheckinStatus::CheckedIn { .. }) {
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
    if figures.checkins != total {
        return Err(format!("wrong result: {} of {total} granted", figures.checkins));
    }
    check_shots(setup.as_ref(), session, total).await?;
    setup.close().await;
    Ok(figures)
}

/// What the load test measured on one server.
struct Load {
    elapsed: Duration,
    checked_in: usize,
    already: usize,
    scans: Vec<Duration>,
    reports: Vec<Duration>,
}

async fn load_test(length: Duration, students: usize) {
    println!("load test: {STATIONS} stations scanning for {}s while a console reads reports ({students} students)", length.as_secs());
    println!(
        "{:<10} {:>7} {:>7} {:>8} {:>7} {:>7} | {:>7} {:>9} {:>7} {:>7}",
        "backend", "scans", "new", "scans/s", "p50 ms", "p99 ms", "reports", "reports/s", "p50 ms", "p99 ms"
    );
    for server in [Server::Postgres, Server::Mysql] {
        let Some(db) = TestDb::new(server).await else {
            println!("{:<10} skipped: set TEST_POSTGRES_URL / TEST_MYSQL_URL", format!("{server:?}"));
            continue;
        };
        match load(&db, length, students).await {
            Ok(mut f) => {
                f.scans.sort();
                f.reports.sort();
                let secs = f.elapsed.as_secs_f64();
                println!(
                    "{:<10} {:>7} {:>7} {:>8.0} {:>7.2} {:>7.2} | {:>7} {:>9.1} {:>7.2} {:>7.2}",
                    format!("{server:?}"),
                    f.scans.len(),
                    f.checked_in,
                    f.scans.len() as f64 / secs,
                    percentile(&f.scans, 0.50),
                    percentile(&f.scans, 0.99),
                    f.reports.len(),
                    f.reports.len() as f64 / secs,
                    percentile(&f.reports, 0.50),
                    percentile(&f.reports, 0.99),
                );
                if f.already > 0 {
                    println!("{:<10} ({} scans were repeats answered \"already checked in\")", "", f.already);
                }
            }
            Err(e) => println!("{:<10} failed: {e}", format!("{server:?}")),
        }
        db.cleanup().await;
    }
}

async fn load(db: &TestDb, length: Duration, total: usize) -> Result<Load, String> {
    let (setup, session) = prepare(db, total).await?;
    let mut stations = Vec::new();
    for _ in 0..STATIONS {
        stations.push(store::open(&db.url, Create::Never).await.map_err(|e| e.to_string())?);
    }
    let console = store::open(&db.url, Create::Never).await.map_err(|e| e.to_string())?;
    let barrier = Arc::new(tokio::sync::Barrier::new(STATIONS + 2));
    let mut tasks = Vec::new();
    for (k, station) in stations.into_iter().enumerate() {
        let barrier = barrier.clone();
        let lines: Vec<String> = (k..total).step_by(STATIONS).map(|i| format!("cj1:b{i:07}\r")).collect();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let deadline = Instant::now() + length;
            let (mut latencies, mut granted, mut already) = (Vec::new(), 0usize, 0usize);
            for line in lines.iter().cycle() {
                if Instant::now() >= deadline {
                    break;
                }
                let t0 = Instant::now();
                match scan(station.as_ref(), session, k, line).await? {
                    CheckinStatus::CheckedIn { .. } => granted += 1,
                    CheckinStatus::Already { .. } => already += 1,
                    other => return Err(format!("{line}: {other:?}")),
                }
                latencies.push(t0.elapsed());
            }
            station.close().await;
            Ok::<_, String>((granted, already, latencies))
        }));
    }
    let reader = {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let deadline = Instant::now() + length;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                console.completion(GroupBy::College, None).await.map_err(|e| e.to_string())?;
                console.counts().await.map_err(|e| e.to_string())?;
                latencies.push(t0.elapsed());
            }
            console.close().await;
            Ok::<_, String>(latencies)
        })
    };
    barrier.wait().await;
    let start = Instant::now();
    let mut figures = Load { elapsed: Duration::ZERO, checked_in: 0, already: 0, scans: Vec::new(), reports: Vec::new() };
    for t in tasks {
        let (granted, already, latencies) = t.await.map_err(|e| e.to_string())??;
        figures.checked_in += granted;
        figures.already += already;
        figures.scans.extend(latencies);
    }
    figures.reports = reader.await.map_err(|e| e.to_string())??;
    figures.elapsed = start.elapsed();
    check_shots(setup.as_ref(), session, figures.checked_in).await?;
    setup.close().await;
    Ok(figures)
}
