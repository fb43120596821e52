//! The console in a real pseudo-terminal: tmux runs the built binary on a demo school with
//! codes issued, the test types a pinyin search, opens the code window, decodes the QR code it
//! reads off the screen with an independent decoder and verifies it with the key file, then
//! quits and checks that the terminal is as the shell had it (no alternate screen, cursor shown,
//! no mouse reporting, cooked mode).
//!
//! Skipped with a note when tmux is not installed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use caiji::code::{CodePayload, Keyring, issue, verify};
use caiji::domain::Student;
use caiji::store::{CodeTargets, Create, StudentFilter};
use chrono::NaiveDate;
use pinyin::ToPinyin;
use unicode_width::UnicodeWidthChar;

/// A tmux server of our own (its own socket), killed when the test ends however it ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn capture(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "console"];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    fn text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "console", "-l", text])
                .status
                .success(),
            "send-keys -l {text}"
        );
    }

    fn format(&self, f: &str) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["display-message", "-p", "-t", "console", f])
                .stdout,
        )
        .trim()
        .to_string()
    }

    /// Waits until the screen satisfies `ready`, or fails with what the screen showed.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture(false);
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {what}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn caiji(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(args)
        .env("CAIJI_HOME", home)
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("CAIJI_OPERATOR", "tester")
        .output()
        .expect("run caiji")
}

/// Issues codes to every student with a fresh key file, as `caiji codes issue --all` will;
/// returns the key file and a student to look for (学号, name).
fn issue_codes(home: &Path) -> (Keyring, String, String) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let url = format!("sqlite://{}", home.join("caiji.db").display());
        let store = caiji::store::open(&url, Create::Never)
            .await
            .expect("open the demo database");
        let keyring =
            Keyring::generate(&home.join(caiji::code::keyring::FILE_NAME)).expect("key file");
        let school = store
            .get_setting("school_code")
            .await
            .expect("setting")
            .unwrap_or_default();
        let ring = keyring.clone();
        let make =
            move |serial: i64, student: &Student, day: NaiveDate| -> Result<String, String> {
                let payload = CodePayload::for_student(serial as u64, student, &school, day);
                issue(&payload, &ring)
                    .map(|t| t.text)
                    .map_err(|e| e.to_string())
            };
        let summary = store
            .issue_codes(
                &CodeTargets::AllWithout,
                i32::from(keyring.current_id()),
                &make,
                "tester",
            )
            .await
            .expect("issue codes");
        assert!(!summary.issued.is_empty());
        // a student with a plain two- or three-character Han name
        let rows = store
            .list_students(&StudentFilter::default())
            .await
            .expect("students");
        let row = rows
            .iter()
            .rev()
            .find(|r| {
                (2..=3).contains(&r.student.name.chars().count())
                    && r.student.name.chars().all(|c| c > '\u{4e00}')
            })
            .expect("a Han name in the demo school");
        store.close().await;
        (
            keyring,
            row.student.student_no.clone(),
            row.student.name.clone(),
        )
    })
}

/// One cell of the captured screen: its character and the colours it was drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    ch: char,
    fg: Option<u8>,
    bg: Option<u8>,
}

/// A colour from SGR parameters as a 256-palette index (basic colours 0–15 included).
fn sgr_cells(screen: &str) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for line in screen.lines() {
        let mut row = Vec::new();
        let (mut fg, mut bg) = (None, None);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' && chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                for p in chars.by_ref() {
                    if p == 'm' {
                        break;
                    }
                    params.push(p);
                }
                let nums: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
                let mut i = 0;
                while i < nums.len() {
                    match nums[i] {
                        0 => (fg, bg) = (None, None),
                        n @ 30..=37 => fg = Some((n - 30) as u8),
                        n @ 90..=97 => fg = Some((n - 90 + 8) as u8),
                        39 => fg = None,
                        n @ 40..=47 => bg = Some((n - 40) as u8),
                        n @ 100..=107 => bg = Some((n - 100 + 8) as u8),
                        49 => bg = None,
                        38 | 48 if nums.get(i + 1) == Some(&5) => {
                            let v = nums.get(i + 2).copied().unwrap_or(0) as u8;
                            if nums[i] == 38 {
                                fg = Some(v)
                            } else {
                                bg = Some(v)
                            }
                            i += 2;
                        }
                        38 | 48 if nums.get(i + 1) == Some(&2) => {
                            let rgb: Vec<u16> = nums.iter().skip(i + 2).take(3).copied().collect();
                            let v = if rgb.iter().all(|c| *c < 64) { 0 } else { 15 };
                            if nums[i] == 38 {
                                fg = Some(v)
                            } else {
                                bg = Some(v)
                            }
                            i += 4;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            let cell = Cell { ch: c, fg, bg };
            row.push(cell);
            // a wide character takes two columns
            if c.width().unwrap_or(0) == 2 {
                row.push(Cell { ch: ' ', fg, bg });
            }
        }
        rows.push(row);
    }
    rows
}

/// Reads the QR code off the screen: the cells drawn in explicit black and white, two modules
/// per cell (foreground the upper one, background the lower one), then an independent decoder.
fn decode_screen_qr(screen: &str) -> String {
    let cells = sgr_cells(screen);
    let is_qr = |c: &Cell| matches!(c.bg, Some(0 | 7 | 15));
    let mut top = None;
    let (mut bottom, mut left, mut right) = (0, usize::MAX, 0);
    for (y, row) in cells.iter().enumerate() {
        for (x, c) in row.iter().enumerate() {
            if is_qr(c) {
                top.get_or_insert(y);
                bottom = y;
                left = left.min(x);
                right = right.max(x);
            }
        }
    }
    let top = top.expect("no cell of the screen is drawn in black or white: no QR code shown");
    let dark = |colour: Option<u8>| colour == Some(0);
    let mut modules: Vec<Vec<bool>> = Vec::new();
    for row in &cells[top..=bottom] {
        let mut upper = Vec::new();
        let mut lower = Vec::new();
        for x in left..=right {
            let c = row.get(x).copied().unwrap_or(Cell {
                ch: ' ',
                fg: None,
                bg: None,
            });
            let (u, l) = match c.ch {
                '▀' => (dark(c.fg), dark(c.bg)),
                '▄' => (dark(c.bg), dark(c.fg)),
                '█' => (dark(c.fg), dark(c.fg)),
                _ => (dark(c.bg), dark(c.bg)),
            };
            upper.push(u);
            lower.push(l);
        }
        modules.push(upper);
        modules.push(lower);
    }
    const SCALE: usize = 4;
    let (w, h) = (modules[0].len(), modules.len());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * SCALE, h * SCALE, |x, y| {
        if modules[y / SCALE][x / SCALE] {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    assert_eq!(
        grids.len(),
        1,
        "expected one QR code on the screen:\n{screen}"
    );
    grids[0]
        .decode()
        .expect("the QR code on the screen decodes")
        .1
}

#[test]
fn search_show_the_code_and_quit_leave_the_terminal_restored() {
    if !tmux_available() {
        let _ = writeln!(
            std::io::stderr(),
            "note: tmux is not installed — the pseudo-terminal console test is skipped"
        );
        return;
    }
    let home = tempfile::tempdir().expect("temp dir");
    let demo = caiji(
        home.path(),
        &["demo", "--no-tui", "--no-codes", "--students", "300"],
    );
    assert!(
        demo.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (keyring, student_no, name) = issue_codes(home.path());
    let typed: String = name
        .as_str()
        .to_pinyin()
        .flatten()
        .map(|p| p.plain())
        .collect::<String>()
        .replace('ü', "v");

    let tmux = Tmux {
        socket: format!("caiji-test-{}", std::process::id()),
    };
    // After the console exits, the shell reports its status and the terminal's line settings.
    let script = format!(
        "CAIJI_HOME='{}' CAIJI_OPERATOR=tester CAIJI_LANG=zh '{}'; echo EXITED=$?; stty -a; sleep 60",
        home.path().display(),
        env!("CARGO_BIN_EXE_caiji")
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "100",
        "-y",
        "30",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        started.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&started.stderr)
    );

    tmux.wait_for("the roster", |s| s.contains("300/300"));
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the console draws on the alternate screen"
    );

    // a pinyin search, one key at a time, then the 学号 to pin one student
    tmux.keys(&["/"]);
    for c in typed.chars() {
        tmux.text(&c.to_string());
    }
    // the answer to the whole query, not to a prefix of it still being typed
    let shown_query = format!("/ {typed}");
    tmux.wait_for("the student in the results", |s| {
        s.contains(&student_no) && s.contains("条结果") && s.contains(&shown_query)
    });
    tmux.text(&format!(" {student_no}"));
    tmux.wait_for("one result", |s| s.contains("1 条结果"));
    tmux.keys(&["Enter"]);

    // the code window: the QR read off the screen verifies with the key file
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the code window", |s| {
        s.contains("采集码 ·") && s.contains("序号")
    });
    assert!(screen.contains(&student_no), "{screen}");
    let token = decode_screen_qr(&tmux.capture(true));
    let payload = verify(&token, &keyring).expect("the code on screen verifies");
    assert_eq!(payload.student_no, student_no);

    // close it and quit
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| s.contains("学生名单"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the console to exit", |s| {
        s.contains("EXITED=") && s.contains("icanon")
    });
    assert!(screen.contains("EXITED=0"), "{screen}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor shown");
    assert_eq!(
        tmux.format("#{mouse_any_flag}"),
        "0",
        "no mouse reporting left on"
    );
    // `stty -a` lists the settings with a leading - when off: raw mode left them off
    let words: Vec<&str> = screen.split_whitespace().collect();
    for setting in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&setting),
            "{setting} is off after exit:\n{screen}"
        );
    }

    // showing the code was written to the audit log, with the operator
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let shows = runtime.block_on(async {
        let url = format!("sqlite://{}", home.path().join("caiji.db").display());
        let store = caiji::store::open(&url, Create::Never).await.expect("open");
        let log = store
            .audit_log(Some(&student_no), 20)
            .await
            .expect("audit log");
        store.close().await;
        log.into_iter()
            .filter(|r| r.entry.action == "show" && r.entry.operator == "tester")
            .count()
    });
    assert_eq!(shows, 1, "one show entry for {student_no}");
}

/// `students list --search` and the console's `/` rank with the same index, so a counselor's
/// exported list is what they saw on screen; `--missing` keeps exactly the students lacking it.
#[test]
fn students_list_search_and_missing_agree_with_the_console() {
    use caiji::domain::search::{Missing, Query, Record, SearchIndex};
    let home = tempfile::tempdir().expect("temp dir");
    let demo = caiji(
        home.path(),
        &[
            "demo",
            "--no-tui",
            "--no-codes",
            "--students",
            "400",
            "--seed",
            "11",
        ],
    );
    assert!(
        demo.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let rows = runtime.block_on(async {
        let url = format!("sqlite://{}", home.path().join("caiji.db").display());
        let store = caiji::store::open(&url, Create::Never).await.expect("open");
        let rows = store
            .list_students(&StudentFilter::default())
            .await
            .expect("students");
        store.close().await;
        rows
    });
    let index = SearchIndex::build(rows.iter().map(|r| Record {
        student_no: &r.student.student_no,
        name: &r.student.name,
        class: &r.student.class,
        college: &r.student.college,
        counselor: &r.student.counselor,
    }));
    let first_name = rows[7].student.name.as_str();
    let initials: String = first_name
        .to_pinyin()
        .flatten()
        .map(|p| p.first_letter())
        .collect();
    let prefix = &rows[3].student.student_no[..6];
    // "2" is in every 学号: a broad query, answered from one pass over the roster instead of
    // lookups by id.
    for query in [initials.as_str(), "zhang", prefix, first_name, "jx", "2"] {
        let want: Vec<&str> = index
            .search(&Query::parse(query), None)
            .ranked()
            .iter()
            .map(|&i| rows[i as usize].student.student_no.as_str())
            .collect();
        let out = caiji(
            home.path(),
            &["students", "list", "--search", query, "--format", "csv"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let got: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        assert_eq!(got, want, "--search {query:?}");
        assert!(
            !got.is_empty() || query == "jx",
            "{query} should find someone"
        );
    }
    // every student lacks a code in a fresh demo school; none lacks nothing
    let all = caiji(
        home.path(),
        &["students", "list", "--missing", "code", "--format", "json"],
    );
    let listed: serde_json::Value = serde_json::from_slice(&all.stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(rows.len()));
    assert!(Missing::parse("code").is_some());
    // search and missing together, in a table: a count line that agrees
    let out = caiji(
        home.path(),
        &[
            "students",
            "list",
            "--search",
            "zhang",
            "--missing",
            "code",
            "--format",
            "table",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let want = index.search(&Query::parse("zhang"), None).len();
    assert!(
        text.trim_end().ends_with(&format!("{want} 名学生"))
            || text.trim_end().ends_with(&format!("{want} students")),
        "{text}"
    );
}

/// Run as a child of `a_panic_restores_the_terminal` (inside tmux): takes the terminal as the
/// console does, mouse capture included, and panics. Does nothing when run on its own.
#[test]
fn panicking_console_child() {
    if std::env::var_os("CAIJI_PANIC_CHILD").is_none() {
        return;
    }
    let _guard = caiji::tui::terminal::TerminalGuard::enter(true).expect("terminal");
    std::thread::sleep(Duration::from_millis(300));
    panic!("deliberate panic while the console owns the terminal");
}

#[test]
fn a_panic_restores_the_terminal() {
    if !tmux_available() {
        let _ = writeln!(
            std::io::stderr(),
            "note: tmux is not installed — the panic test is skipped"
        );
        return;
    }
    let me = std::env::current_exe().expect("this test binary");
    let tmux = Tmux {
        socket: format!("caiji-panic-{}", std::process::id()),
    };
    let script = format!(
        "CAIJI_PANIC_CHILD=1 RUST_BACKTRACE=0 '{}' --exact panicking_console_child --nocapture --test-threads=1; echo EXITED=$?; stty -a; sleep 60",
        me.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "100",
        "-y",
        "30",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        started.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let screen = tmux.wait_for("the child to panic and exit", |s| {
        s.contains("EXITED=") && s.contains("icanon")
    });
    assert!(
        screen.contains("deliberate panic"),
        "the panic message is readable:\n{screen}"
    );
    assert!(!screen.contains("EXITED=0"), "the child failed:\n{screen}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor shown");
    assert_eq!(
        tmux.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting switched off"
    );
    let words: Vec<&str> = screen.split_whitespace().collect();
    for setting in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&setting),
            "{setting} is off after the panic:\n{screen}"
        );
    }
}

/// The counselor's job in the real console: pick one counselor, keep the students not checked
/// in, export; the file in the export folder opens with calamine and lists exactly those
/// students, with the reasons.
#[test]
fn a_counselor_exports_their_students_without_a_check_in() {
    use calamine::{Reader, Xlsx};
    if !tmux_available() {
        let _ = writeln!(
            std::io::stderr(),
            "note: tmux is not installed — the pseudo-terminal export test is skipped"
        );
        return;
    }
    let home = tempfile::tempdir().expect("temp dir");
    let demo = caiji(home.path(), &["demo", "--no-tui", "--students", "300"]);
    assert!(
        demo.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let rows = runtime.block_on(async {
        let url = format!("sqlite://{}", home.path().join("caiji.db").display());
        let store = caiji::store::open(&url, Create::Never).await.expect("open");
        let rows = store
            .list_students(&StudentFilter::default())
            .await
            .expect("students");
        store.close().await;
        rows
    });
    // the counselor with the most students
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &rows {
        *counts.entry(r.student.counselor.as_str()).or_default() += 1;
    }
    let counselor = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| c.to_string())
        .expect("a counselor");
    let want: Vec<&str> = rows
        .iter()
        .filter(|r| r.student.counselor == counselor && !r.checked_in)
        .map(|r| r.student.student_no.as_str())
        .collect();
    assert!(!want.is_empty());

    let tmux = Tmux {
        socket: format!("caiji-export-{}", std::process::id()),
    };
    let script = format!(
        "CAIJI_HOME='{}' CAIJI_OPERATOR=tester CAIJI_LANG=zh '{}'; sleep 60",
        home.path().display(),
        env!("CARGO_BIN_EXE_caiji")
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "80",
        "-y",
        "24",
        "sh",
        "-c",
        &script,
    ]);
    assert!(started.status.success());
    tmux.wait_for("the roster", |s| s.contains("300/300"));
    // T, the counselor's name, Enter; m three times (code, session, check-in); e
    tmux.keys(&["T"]);
    tmux.wait_for("the counselor picker", |s| s.contains("辅导员"));
    tmux.text(&counselor);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the counselor filter", |s| {
        s.contains(&format!("辅导员 {counselor}"))
    });
    tmux.keys(&["m", "m", "m"]);
    tmux.wait_for("the check-in filter", |s| {
        s.contains("未签到 ·") && s.contains(&format!("/{} 名", rows.len()))
    });
    let shown = format!("{}/{} 名", want.len(), rows.len());
    tmux.wait_for("the counselor's list", |s| s.contains(&shown));
    tmux.keys(&["e"]);
    let screen = tmux.wait_for("the export", |s| s.contains(".xlsx"));
    let exports = home.path().join("exports");
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&exports)
        .expect("the export folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("students-{counselor}-未签到-")),
        "{name}"
    );
    assert!(
        screen.contains(&name),
        "the status line names the file:\n{screen}"
    );

    let mut book: Xlsx<_> = calamine::open_workbook(&files[0]).expect("open the workbook");
    let sheet = book
        .worksheet_range(&book.sheet_names()[0])
        .expect("a sheet");
    let table: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    for column in [
        "学号",
        "采集码",
        "场次时间",
        "场次地点",
        "拍摄号",
        "照片问题",
    ] {
        assert!(
            table[0].iter().any(|h| h == column),
            "{column}: {:?}",
            table[0]
        );
    }
    let mut listed: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
    listed.sort_unstable();
    let mut want = want;
    want.sort_unstable();
    assert_eq!(
        listed, want,
        "exactly the counselor's students not checked in"
    );
    tmux.keys(&["q"]);
}
