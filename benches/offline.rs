//! The offline station (docs/sessions.md "Offline stations", targets in docs/benchmarks.md):
//!
//! - the offline answer: a scan verified with the key file, looked up in the station cache and
//!   written to the journal with its fsync, as `caiji sessions checkin` does while the server
//!   cannot be reached; p50 and p99 over the queue (target: p99 under 20 ms);
//! - the sync of that journal (default 1,000 queued scans) to PostgreSQL and MariaDB when
//!   TEST_POSTGRES_URL / TEST_MYSQL_URL name a server (target: under 2 s).
//!
//! `cargo bench --bench offline [-- --scans N]`. A fresh database is made and dropped on each
//! server. The run counts only if it was right: every scan synced, the shots exactly 1..=N.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use caiji::code::{CodePayload, Keyring};
use caiji::ops::checkin::StationKeys;
use caiji::ops::station::sync::{StoreLink, SyncEnd, send_pending};
use caiji::ops::station::{Cache, Fate, Journal, QUEUED, Scanner, answer_offline, new_nonce};
use caiji::store::{self, CodeTargets, Create, NewSession, StudentSelection};
use common::{Server, TestDb};

fn flag(name: &str) -> Option<usize> {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let scans = flag("--scans").unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        println!("{scans} scans answered offline (journal fsync each), then synced");
        println!(
            "{:<10} {:>12} {:>12} {:>12} {:>10} {:>12}",
            "backend", "answer p50", "answer p99", "answer max", "sync s", "per second"
        );
        for server in [Server::Postgres, Server::Mysql] {
            let Some(db) = TestDb::new(server).await else {
                println!("{:<10} not configured", format!("{server:?}"));
                continue;
            };
            match run(&db, scans).await {
                Ok((mut answers, sync)) => {
                    answers.sort_unstable();
                    println!(
                        "{:<10} {:>9.2} ms {:>9.2} ms {:>9.2} ms {:>10.3} {:>12.0}",
                        format!("{server:?}"),
                        percentile_ms(&answers, 0.50),
                        percentile_ms(&answers, 0.99),
                        percentile_ms(&answers, 1.0),
                        sync.as_secs_f64(),
                        scans as f64 / sync.as_secs_f64()
                    );
                }
                Err(e) => println!("{:<10} failed: {e}", format!("{server:?}")),
            }
            db.cleanup().await;
        }
    });
}

async fn run(db: &TestDb, total: usize) -> Result<(Vec<Duration>, Duration), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let store: std::sync::Arc<dyn store::Store> = store::open(&db.url, Create::IfMissing)
        .await
        .map_err(|e| err(&e))?
        .into();
    let students: Vec<_> = (0..total)
        .map(|i| common::student(&format!("Q{i:07}"), "欧阳娜娜"))
        .collect();
    store
        .insert_students(&students)
        .await
        .map_err(|e| err(&e))?;
    let dir = tempfile::tempdir().map_err(|e| err(&e))?;
    let ring = Keyring::generate(&dir.path().join("bench.keys")).map_err(|e| err(&e))?;
    let tokens = Mutex::new(Vec::new());
    let make = |serial: i64, student: &caiji::domain::Student, on: chrono::NaiveDate| {
        let payload = CodePayload::for_student(serial as u64, student, "10001", on);
        let text = caiji::code::issue(&payload, &ring)
            .map(|t| t.text)
            .map_err(|e| e.to_string())?;
        tokens.lock().unwrap().push(text.clone());
        Ok(text)
    };
    store
        .issue_codes(
            &CodeTargets::AllWithout,
            i32::from(ring.current_id()),
            &make,
            "bench",
        )
        .await
        .map_err(|e| err(&e))?;
    let tokens = tokens.into_inner().unwrap();
    let now = chrono::Utc::now();
    let session = store
        .add_session(
            &NewSession {
                title: "离线".into(),
                location: "体育馆".into(),
                starts_at: now,
                ends_at: now + chrono::Duration::hours(3),
                capacity: total as i32,
                stations: 1,
                makeup: false,
            },
            "bench",
        )
        .await
        .map_err(|e| err(&e))?;
    store
        .assign(
            session,
            &StudentSelection {
                student_nos: students.iter().map(|s| s.student_no.clone()).collect(),
                ..Default::default()
            },
            "bench",
        )
        .await
        .map_err(|e| err(&e))?;
    let row = store.session(session).await.map_err(|e| err(&e))?.unwrap();
    let station_dir = dir.path().join("station");
    let cache = Cache::refresh(store.as_ref(), &station_dir, &row)
        .await
        .map_err(|e| err(&e))?;
    let keys = std::sync::Arc::new(StationKeys::Ready(ring));
    let scanner = Scanner {
        keys: &keys,
        letter: 'B',
        station: "B1",
        operator: "bench",
        allow_walk_in: false,
        retake_reason: None,
        session,
    };
    let mut journal = Journal::open(&station_dir, session).map_err(|e| err(&e))?;
    let mut answers = Vec::with_capacity(total);
    for token in &tokens {
        let started = Instant::now();
        let nonce = new_nonce().map_err(|e| err(&e))?;
        let a = answer_offline(&mut journal, Some(&cache), &scanner, token, &nonce)
            .map_err(|e| err(&e))?;
        answers.push(started.elapsed());
        if a.answer.status != QUEUED {
            return Err(format!("not queued: {:?}", a.answer));
        }
    }
    let journal = Mutex::new(journal);
    let mut synced = Vec::new();
    let started = Instant::now();
    let end = send_pending(
        &StoreLink::new(store.clone(), keys.clone()),
        &journal,
        |_, fate| {
            synced.push(fate.clone());
        },
    )
    .await
    .map_err(|e| err(&e))?;
    let sync = started.elapsed();
    if !matches!(end, SyncEnd::Done) {
        return Err(format!("sync ended {end:?}"));
    }
    let mut shots: Vec<i32> = synced
        .iter()
        .map(|f| match f {
            Fate::Synced { shot } => Ok(*shot),
            other => Err(format!("not synced: {other:?}")),
        })
        .collect::<Result<_, _>>()?;
    shots.sort_unstable();
    if shots != (1..=total as i32).collect::<Vec<_>>() {
        return Err("shots are not 1..=N".into());
    }
    store.close().await;
    Ok((answers, sync))
}
