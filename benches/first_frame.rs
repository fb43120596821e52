//! The console's first frame on a 100,000-student database, and the frame with the roster.
//!
//! The school is made by the `caiji` binary in a child process (so its memory is not counted
//! here); this process then does what `caiji` does when the console opens: open the store, draw
//! the first frame (header, tabs, "reading…"), read and index the roster, draw it. Peak memory is
//! this process's high-water mark (VmHWM).
//!
//! `cargo bench --bench first_frame [-- STUDENTS]` (default 100000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use caiji::store::{Create, Store};
use caiji::tui::SchoolInfo;
use caiji::tui::action::Action;
use caiji::tui::app::{App, update};
use caiji::tui::keymap::Keymap;
use caiji::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let home = tempfile::tempdir().expect("temp dir");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(["demo", "--no-tui", "--students", &n.to_string()])
        .env("CAIJI_HOME", home.path())
        .env("CAIJI_LANG", "en")
        .output()
        .expect("run caiji demo");
    assert!(
        made.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let url = format!("sqlite://{}", home.path().join("caiji.db").display());
    println!("first-frame benchmark: {n} students in {url}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut first = Vec::new();
    let mut full = Vec::new();
    for run in 0..3 {
        let (a, b) = runtime.block_on(async {
            let started = Instant::now();
            let store: Arc<dyn Store> =
                Arc::from(caiji::store::open(&url, Create::Never).await.expect("open"));
            let setting = |v: Option<String>| v.unwrap_or_default();
            let school = SchoolInfo {
                code: setting(store.get_setting("school_code").await.expect("setting")),
                name: setting(store.get_setting("school_name").await.expect("setting")),
                cohort: setting(store.get_setting("cohort").await.expect("setting"))
                    .parse()
                    .unwrap_or(2026),
            };
            let mut app = App::new(
                school,
                "bench".into(),
                store.display_url().to_string(),
                Keymap::default(),
                Theme::built_in("default").expect("theme"),
                (120, 40),
            );
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            // as the event loop: ask for the roster, draw at once, without waiting for it
            let effects = update(&mut app, Action::Reload);
            terminal
                .draw(|f| caiji::tui::ui::render(&app, f))
                .expect("draw");
            let first_frame = started.elapsed();
            let generation = app.generation;
            // the roster first; the other effects refresh the other screens' data
            assert!(
                matches!(
                    effects.first(),
                    Some(caiji::tui::action::Effect::Load { .. })
                ),
                "{effects:?}"
            );
            let counts = {
                let store = store.clone();
                tokio::spawn(async move { store.counts().await.map_err(|e| e.to_string()) })
            };
            let roster = caiji::tui::tasks::read_roster(store.clone(), app.students.cohort).await;
            update(
                &mut app,
                Action::StudentsLoaded {
                    generation,
                    result: roster,
                },
            );
            let counts = counts.await.expect("counts task");
            update(
                &mut app,
                Action::CountsLoaded {
                    generation,
                    result: counts,
                },
            );
            terminal
                .draw(|f| caiji::tui::ui::render(&app, f))
                .expect("draw");
            let with_roster = started.elapsed();
            assert_eq!(
                app.students.view.len() as u32,
                n,
                "the whole roster is on screen"
            );
            store.close().await;
            (first_frame, with_roster)
        });
        println!(
            "run {run}: first frame {}, roster on screen {}",
            ms(a),
            ms(b)
        );
        first.push(a);
        full.push(b);
    }
    first.sort();
    full.sort();
    println!("first frame (median of 3)        {}", ms(first[1]));
    println!("roster drawn (median of 3)       {}", ms(full[1]));
    match peak_rss_mib() {
        Some(mib) => println!("peak memory (VmHWM)              {mib:.1} MiB"),
        None => println!("peak memory: /proc/self/status not readable"),
    }
    println!(
        "target: first frame within 300 ms — {}",
        if first[1] < Duration::from_millis(300) {
            "met"
        } else {
            "NOT met"
        }
    );
}
