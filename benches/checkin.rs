//! Check-in throughput: eight stations at once, each with its own connection pool (as eight
//! machines would have), scanning codes into one session through the same path as
//! `caiji sessions checkin` — token lookup, then the capacity-safe check-in.
//!
//! Two runs:
//! - `cargo bench --bench checkin [-- --per-station N]`: throughput, a fixed queue of N scans per
//!   station (default 500), on SQLite always and on PostgreSQL and MariaDB when TEST_POSTGRES_URL /
//!   TEST_MYSQL_URL name a server (a fresh database is made and dropped on it). docs/benchmarks.md asks for
//!   at least 500 check-ins per second together on PostgreSQL and MySQL.
//! - `cargo bench --bench checkin -- --seconds 60 [--students N]`: the load test. The eight
//!   stations scan for that long while a ninth connection does what the console's Reports screen
//!   does (completion per college, a college's classes, the daily chart) over and over, on
//!   PostgreSQL and MariaDB. Prints throughput and p50/p99 for the scans and for the reports.
//!   `benches/load.sh` runs it against the local servers.
//!
//! Either run counts only if it was right: the session's counter equals the check-ins granted and
//! the shot numbers are exactly 1..=check-ins.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caiji::code::{CodePayload, Keyring};
use caiji::ops::checkin::StationKeys;
use caiji::store::{
    self, CheckinStatus, CodeTargets, Create, GroupBy, NewSession, StudentSelection,
};
use common::{Server, TestDb};

const STATIONS: usize = 8;

struct Figures {
    checkins: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// Report rounds the reader finished during the run, each timed (load test only).
    reports: Vec<Duration>,
}

#[derive(Clone, Copy)]
enum Plan {
    /// Every station scans its queue of this many codes to the end.
    Fixed { per_station: usize },
    /// Stations scan until the time is up, with a report reader beside them.
    Load { seconds: u64, students: usize },
}

impl Plan {
    fn students(self) -> usize {
        match self {
            Plan::Fixed { per_station } => STATIONS * per_station,
            Plan::Load { students, .. } => students,
        }
    }
}

fn flag(name: &str) -> Option<usize> {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|n| n.parse::<usize>().ok())
}

/// The `p`-th percentile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied().unwrap_or_default().as_secs_f64() * 1000.0
}

fn main() {
    let plan = match flag("--seconds") {
        Some(seconds) => Plan::Load {
            seconds: seconds as u64,
            students: flag("--students").unwrap_or(100_000),
        },
        None => Plan::Fixed {
            per_station: flag("--per-station").unwrap_or(500),
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let servers: &[Server] = match plan {
            Plan::Fixed { per_station } => {
                println!("{STATIONS} stations × {per_station} check-ins into one session");
                &[Server::Postgres, Server::Mysql, Server::Sqlite]
            }
            Plan::Load { seconds, students } => {
                println!(
                    "load test: {STATIONS} stations scanning for {seconds} s (queue of {students} real codes) \
                     while a reader runs the Reports screen's queries"
                );
                &[Server::Postgres, Server::Mysql]
            }
        };
        println!(
            "{:<10} {:>9} {:>8} {:>10} {:>8} {:>8} {:>9} {:>8} {:>8}",
            "backend", "check-ins", "seconds", "per second", "p50 ms", "p99 ms", "reports", "p50 ms", "p99 ms"
        );
        for &server in servers {
            let Some(db) = TestDb::new(server).await else {
                println!("{:<10} skipped: set TEST_POSTGRES_URL / TEST_MYSQL_URL", format!("{server:?}"));
                continue;
            };
            match run(&db, plan).await {
                Ok(mut f) => {
                    f.latencies.sort();
                    f.reports.sort();
                    let reports = match plan {
                        Plan::Fixed { .. } => format!("{:>9} {:>8} {:>8}", "-", "-", "-"),
                        Plan::Load { .. } => format!(
                            "{:>9} {:>8.1} {:>8.1}",
                            f.reports.len(),
                            percentile_ms(&f.reports, 0.50),
                            percentile_ms(&f.reports, 0.99)
                        ),
                    };
                    println!(
                        "{:<10} {:>9} {:>8.2} {:>10.0} {:>8.2} {:>8.2} {reports}",
                        format!("{server:?}"),
                        f.checkins,
                        f.elapsed.as_secs_f64(),
                        f.checkins as f64 / f.elapsed.as_secs_f64(),
                        percentile_ms(&f.latencies, 0.50),
                        percentile_ms(&f.latencies, 0.99),
                    );
                }
                Err(e) => println!("{:<10} failed: {e}", format!("{server:?}")),
            }
            db.cleanup().await;
        }
    });
}

async fn run(db: &TestDb, plan: Plan) -> Result<Figures, String> {
    let total = plan.students();
    let setup = store::open(&db.url, Create::IfMissing)
        .await
        .map_err(|e| e.to_string())?;
    let students: Vec<_> = (0..total)
        .map(|i| {
            let mut s = common::student(&format!("B{i:07}"), "欧阳娜娜");
            s.class = format!("软工22{:02}", i % 40 + 1);
            s
        })
        .collect();
    for chunk in students.chunks(5000) {
        setup
            .insert_students(chunk)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Real codes: every scan is verified with the keyring, as at a station.
    let key_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ring = Keyring::generate(&key_dir.path().join("bench.keys")).map_err(|e| e.to_string())?;
    let tokens = std::sync::Mutex::new(std::collections::HashMap::new());
    let make = |serial: i64, student: &caiji::domain::Student, on: chrono::NaiveDate| {
        let payload = CodePayload::for_student(serial as u64, student, "10001", on);
        let text = caiji::code::issue(&payload, &ring)
            .map(|t| t.text)
            .map_err(|e| e.to_string())?;
        tokens
            .lock()
            .unwrap()
            .insert(student.student_no.clone(), text.clone());
        Ok(text)
    };
    setup
        .issue_codes(
            &CodeTargets::AllWithout,
            i32::from(ring.current_id()),
            &make,
            "bench",
        )
        .await
        .map_err(|e| e.to_string())?;
    let tokens = tokens.into_inner().unwrap();
    let keys = Arc::new(StationKeys::Ready(ring));
    let at = |t: &str| {
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M")
            .map(caiji::clock::from_local)
            .map_err(|e| e.to_string())
    };
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
        .assign(
            session,
            &StudentSelection {
                college: Some("计算机学院".into()),
                ..Default::default()
            },
            "bench",
        )
        .await
        .map_err(|e| e.to_string())?;

    let mut stations = Vec::new();
    for _ in 0..STATIONS {
        stations.push(
            store::open(&db.url, Create::Never)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(STATIONS + 1));
    let deadline = match plan {
        Plan::Load { seconds, .. } => Some(Duration::from_secs(seconds)),
        Plan::Fixed { .. } => None,
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The console beside the stations: the Reports screen's three queries, round after round.
    let reader = match plan {
        Plan::Load { .. } => {
            let console = store::open(&db.url, Create::Never)
                .await
                .map_err(|e| e.to_string())?;
            let stop = stop.clone();
            Some(tokio::spawn(async move {
                let mut rounds = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t0 = Instant::now();
                    console
                        .completion(GroupBy::College, None)
                        .await
                        .map_err(|e| e.to_string())?;
                    console
                        .completion_in_college(GroupBy::Class, "计算机学院", None)
                        .await
                        .map_err(|e| e.to_string())?;
                    console
                        .daily_progress(None)
                        .await
                        .map_err(|e| e.to_string())?;
                    rounds.push(t0.elapsed());
                }
                console.close().await;
                Ok::<_, String>(rounds)
            }))
        }
        Plan::Fixed { .. } => None,
    };
    let mut tasks = Vec::new();
    for (k, station) in stations.into_iter().enumerate() {
        let barrier = barrier.clone();
        // Station k scans every STATIONS-th student, in a queue of its own.
        let lines: Vec<String> = (k..total)
            .step_by(STATIONS)
            .map(|i| format!("{}\r", tokens[&format!("B{i:07}")].to_lowercase()))
            .collect();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let started = Instant::now();
            let mut latencies = Vec::with_capacity(lines.len());
            let mut granted = 0usize;
            for line in lines {
                if deadline.is_some_and(|d| started.elapsed() >= d) {
                    break;
                }
                let t0 = Instant::now();
                let no = caiji::ops::checkin::identify(station.as_ref(), &keys, &line)
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|r| format!("{line}: {:?}", r.reason))?;
                let outcome = station
                    .check_in(session, &no, &format!("S{k}"), "bench", false)
                    .await
                    .map_err(|e| e.to_string())?;
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
    let mut figures = Figures {
        checkins: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(total),
        reports: Vec::new(),
    };
    for t in tasks {
        let (granted, latencies) = t.await.map_err(|e| e.to_string())??;
        figures.checkins += granted;
        figures.latencies.extend(latencies);
    }
    figures.elapsed = start.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(reader) = reader {
        figures.reports = reader.await.map_err(|e| e.to_string())??;
    }
    if deadline.is_some() && figures.checkins == total {
        println!("(every code was scanned before the time was up: raise --students)");
    }

    // The run counts only if it was right: everyone in, shots 1..=total.
    let row = setup
        .session(session)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("session vanished")?;
    let mut shots: Vec<i32> = setup
        .session_students(session)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|s| s.shot)
        .collect();
    shots.sort();
    let want = match plan {
        Plan::Fixed { .. } => total,
        Plan::Load { .. } => figures.checkins,
    };
    if figures.checkins != want
        || row.checked_in != want as i64
        || shots != (1..=want as i32).collect::<Vec<_>>()
    {
        return Err(format!(
            "wrong result: {} granted, counter {}, {} shots",
            figures.checkins,
            row.checked_in,
            shots.len()
        ));
    }
    setup.close().await;
    Ok(figures)
}
