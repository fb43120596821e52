//! The console's first frame on a 100,000-student database, its first screen of rows, and the
//! frame with the whole roster.
//!
//! The school is made by the `caiji` binary in a child process (so its memory is not counted
//! here); this process then does what `caiji` does when the console opens: open the store, draw
//! the first frame (header, tabs, "reading…"), start the load's tasks and apply each answer as it
//! arrives, drawing after each — the first page of rows, then the roster with its search index
//! and the counts (docs/console.md, "The first screen"). Each time is from opening the store;
//! the median and the fastest of several runs are printed, since the machine may be busy. Peak
//! memory is this process's high-water mark (VmHWM).
//!
//! `cargo bench --bench first_frame [-- STUDENTS]` (default 100000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use caiji::store::{Create, Store};
use caiji::tui::SchoolInfo;
use caiji::tui::action::Action;
use caiji::tui::app::{App, update};
use caiji::tui::keymap::Keymap;
use caiji::tui::tasks::{Env, Running};
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
    const RUNS: usize = 7;
    let mut first = Vec::new();
    let mut screen = Vec::new();
    let mut full = Vec::new();
    // the peak after the first run is one console's; later runs add what the allocator keeps
    let mut one_console = None;
    for run in 0..RUNS {
        let (a, b, c) = runtime.block_on(async {
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
                school.clone(),
                "bench".into(),
                store.display_url().to_string(),
                Keymap::default(),
                Theme::built_in("default").expect("theme"),
                (120, 40),
            );
            let keys = home.path().join("caiji.keys");
            let env = Env {
                store: store.clone(),
                school,
                operator: "bench".into(),
                keys: Arc::new(caiji::ops::checkin::StationKeys::load(&keys)),
                key_file: keys,
                export_dir: home.path().join("exports"),
                station: None,
            };
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            // as the event loop: ask for the roster, draw at once, then apply each answer as it
            // comes and draw after it
            let effects = update(&mut app, Action::Reload);
            terminal
                .draw(|f| caiji::tui::ui::render(&app, f))
                .expect("draw");
            let first_frame = started.elapsed();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut running = Running::default();
            caiji::tui::tasks::start(effects, &env, &mut running, &tx, std::convert::identity);
            let mut first_screen = None;
            while !(app.students.loaded && app.counts.is_some() && !app.loading()) {
                let action = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                    .await
                    .expect("an answer within a minute")
                    .expect("channel open");
                let effects = update(&mut app, action);
                caiji::tui::tasks::start(effects, &env, &mut running, &tx, std::convert::identity);
                terminal
                    .draw(|f| caiji::tui::ui::render(&app, f))
                    .expect("draw");
                if first_screen.is_none() && !app.students.view.is_empty() {
                    first_screen = Some(started.elapsed());
                }
            }
            let with_roster = started.elapsed();
            assert_eq!(
                app.students.view.len() as u32,
                n,
                "the whole roster is on screen"
            );
            // the name order is worked out in the background after each load; wait for it, so
            // one run's roster is gone before the next is read and the peak is one console's
            app.students.roster.index.name_order();
            running.abort_all();
            store.close().await;
            (first_frame, first_screen.expect("rows shown"), with_roster)
        });
        println!(
            "run {run}: first frame {}, first screen of rows {}, roster on screen {}",
            ms(a),
            ms(b),
            ms(c)
        );
        first.push(a);
        screen.push(b);
        full.push(c);
        if run == 0 {
            one_console = peak_rss_mib();
        }
    }
    for times in [&mut first, &mut screen, &mut full] {
        times.sort();
    }
    let line = |what: &str, times: &[Duration]| {
        println!(
            "{what:<32} median {}  min {}  ({RUNS} runs)",
            ms(times[RUNS / 2]),
            ms(times[0])
        )
    };
    line("first frame (header, tabs)", &first);
    line("first screen of rows", &screen);
    line("roster drawn (search ready)", &full);
    match (one_console, peak_rss_mib()) {
        (Some(one), Some(all)) => println!(
            "peak memory (VmHWM)              {one:.1} MiB after the first run, {all:.1} MiB after all"
        ),
        _ => println!("peak memory: /proc/self/status not readable"),
    }
    println!(
        "target: first screen of rows within 150 ms (docs/benchmarks.md) — {}",
        if screen[RUNS / 2] < Duration::from_millis(150) {
            "met"
        } else {
            "NOT met"
        }
    );
}
