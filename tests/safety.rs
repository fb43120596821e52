//! Whole-program tests of the file rules in docs/files.md: what caiji does with the paths it is
//! given to write (a FIFO, a device, a link, a folder) and to read (a FIFO must never block),
//! the mode of what it creates, a refused `--strict` import that leaves nothing behind, the one
//! CSV writer, and the global console flags. The built binary runs on temporary CAIJI_HOMEs.

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use caiji::fuzzing::seeds::csv_text;
use common::resident_id;
use serde_json::Value;

/// The longest any of these commands may take before the test calls it blocked. Only a hang
/// reaches it (each command takes well under a second), so no result depends on timing.
const HANG: Duration = Duration::from_secs(60);

/// The environment every run gets: its own home, English messages, no outside database.
fn with_env(cmd: &mut Command, home: &Path) {
    cmd.env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("CAIJI_KEY_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

fn command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caiji"));
    cmd.args(args);
    with_env(&mut cmd, home);
    cmd
}

/// Runs caiji and waits for it, failing the test (after killing it) if it hangs.
fn finish(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd.spawn().expect("run caiji");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("caiji {what} was still running after {HANG:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn caiji(home: &Path, args: &[&str]) -> Output {
    finish(command(home, args), &args.join(" "))
}

/// caiji under `umask 000`, the most permissive a user can have.
fn caiji_umask_000(home: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "umask 000; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_caiji"),
    ])
    .args(args);
    with_env(&mut cmd, home);
    finish(cmd, &args.join(" "))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

/// A clean refusal: exit 1, one line on stderr holding every word.
#[track_caller]
fn assert_refused(out: &Output, words: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for word in words {
        assert!(err.contains(word), "expected {word:?} in: {err}");
    }
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A demo school of 40 students (codes, sessions, check-ins, photos) in a fresh home.
fn demo_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    assert_ok(&caiji(
        home.path(),
        &["demo", "--no-tui", "--students", "40", "--seed", "7"],
    ));
    home
}

/// The four commands that write a file given with `-o`, writing to `path`.
fn writers(path: &Path) -> Vec<Vec<String>> {
    let p = path.to_str().unwrap().to_string();
    [
        vec!["codes", "export", "-o", &p],
        vec!["report", "-o", &p],
        vec!["report", "missing", "photo", "-o", &p],
        vec!["sessions", "export", "-o", &p],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect())
    .collect()
}

fn run_args(home: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    caiji(home, &args)
}

// ---- output files ------------------------------------------------------------------------------

/// `-o FIFO`: the bytes go into the pipe, and the path stays what it was, instead of being
/// replaced by a regular file. (A device such as `/dev/null` takes the same way; the unit tests
/// of `files` check that without risking the machine's own `/dev/null`.)
#[test]
fn output_fifo_is_written_in_place() {
    let home = demo_home();
    let out = tempfile::tempdir().unwrap();
    let fifo = out.path().join("out.csv");
    mkfifo(&fifo);
    for args in writers(&fifo) {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let result = run_args(home.path(), &args);
        assert_ok(&result);
        // checked before waiting for the reader, which a replaced FIFO would leave waiting
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "{args:?}: the FIFO is still a FIFO"
        );
        let bytes = reader.join().unwrap();
        assert!(
            !bytes.is_empty(),
            "{args:?}: the file came through the pipe"
        );
        assert_eq!(
            names(out.path()),
            ["out.csv"],
            "{args:?}: no temporary file"
        );
    }
}

/// `-o /dev/stdout` (a link to the pipe caiji's output goes to) writes the export there.
#[test]
fn output_dev_stdout_writes_to_the_pipe() {
    let home = demo_home();
    let out = caiji(home.path(), &["codes", "export", "-o", "/dev/stdout"]);
    assert_ok(&out);
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "the CSV on stdout");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("CJ1:"),
        "with the codes"
    );
}

/// `-o LINK`: refused with the link's name, the link and what it points to untouched; a
/// dangling link does not create its target either.
#[test]
fn output_symlink_is_never_replaced() {
    let home = demo_home();
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = out.path().join("link.csv");
    symlink(&victim, &link).unwrap();
    let dangling = out.path().join("dangling.csv");
    let nowhere = out.path().join("created-through-link.csv");
    symlink(&nowhere, &dangling).unwrap();
    for path in [&link, &dangling] {
        for args in writers(path) {
            let result = run_args(home.path(), &args);
            assert_refused(&result, &[&path.display().to_string(), "symbolic link"]);
        }
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!nowhere.exists());
    assert_eq!(
        names(out.path()),
        ["dangling.csv", "link.csv", "victim.txt"]
    );
}

/// `-o FOLDER` is refused with a message, not an OS error about renaming.
#[test]
fn output_folder_is_refused() {
    let home = demo_home();
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    for args in writers(&folder) {
        assert_refused(&run_args(home.path(), &args), &["folder.csv", "a folder"]);
    }
}

/// `--png-dir`: a link already in the folder under an image's name is refused, naming it, and
/// the file it points to is not written.
#[test]
fn png_dir_never_follows_a_symlink() {
    let home = demo_home();
    let listed = caiji(home.path(), &["students", "list", "--format", "json"]);
    let students: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let with_code = students
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code_status"] == "active")
        .expect("the demo issues codes")["student_no"]
        .as_str()
        .unwrap()
        .to_string();
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim.png");
    std::fs::write(&victim, "keep me").unwrap();
    let images = out.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let planted = images.join(format!("{with_code}.png"));
    symlink(&victim, &planted).unwrap();
    let result = caiji(
        home.path(),
        &[
            "codes",
            "export",
            "-o",
            out.path().join("codes.csv").to_str().unwrap(),
            "--png-dir",
            images.to_str().unwrap(),
        ],
    );
    assert_refused(&result, &[&format!("{with_code}.png"), "symbolic link"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Under `umask 000` every file caiji creates that holds personal data or keys is still 0600:
/// the database (demo and a first import), the log, the key file, exports and code images.
#[test]
fn created_files_are_0600_whatever_the_umask() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_ok(&caiji_umask_000(
        h,
        &["demo", "--no-tui", "--students", "40", "--seed", "7"],
    ));
    let out = tempfile::tempdir().unwrap();
    let o = out.path();
    let png = o.join("png");
    let runs: Vec<Vec<String>> = vec![
        vec![
            "codes".into(),
            "export".into(),
            "-o".into(),
            o.join("codes.csv").display().to_string(),
            "--png-dir".into(),
            png.display().to_string(),
            "--svg".into(),
        ],
        vec![
            "report".into(),
            "-o".into(),
            o.join("report.xlsx").display().to_string(),
        ],
        vec![
            "report".into(),
            "missing".into(),
            "code".into(),
            "-o".into(),
            o.join("missing.csv").display().to_string(),
        ],
        vec![
            "sessions".into(),
            "export".into(),
            "-o".into(),
            o.join("sessions.ics").display().to_string(),
        ],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_ok(&caiji_umask_000(h, &args));
    }
    let mut files: Vec<PathBuf> = ["caiji.db", "caiji.keys", "caiji.log"]
        .iter()
        .map(|n| h.join(n))
        .collect();
    files.extend(
        ["codes.csv", "report.xlsx", "missing.csv", "sessions.ics"]
            .iter()
            .map(|n| o.join(n)),
    );
    files.extend(std::fs::read_dir(&png).unwrap().map(|e| e.unwrap().path()));
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&png) & 0o077, 0, "the image folder is private too");

    // the first import into a new data dir creates the database itself
    let fresh = tempfile::tempdir().unwrap();
    let roster = fresh.path().join("roster.csv");
    std::fs::write(&roster, csv_text(&roster_rows(3, None), ',', "\n")).unwrap();
    let data = fresh.path().join("data");
    assert_ok(&caiji_umask_000(
        &data,
        &["import", roster.to_str().unwrap()],
    ));
    assert_eq!(mode(&data.join("caiji.db")), 0o600);
}

// ---- inputs ------------------------------------------------------------------------------------

/// A FIFO given as a roster, a theme, `config.toml` or the key file is refused with a message
/// naming it; nothing waits for a writer that never comes.
#[test]
fn fifo_inputs_are_refused_not_waited_on() {
    let home = demo_home();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();

    let roster = dir.path().join("roster.csv");
    mkfifo(&roster);
    assert_refused(
        &caiji(h, &["import", roster.to_str().unwrap()]),
        &["roster.csv", "FIFO"],
    );

    let theme = dir.path().join("theme.toml");
    mkfifo(&theme);
    assert_refused(
        &caiji(h, &["--theme", theme.to_str().unwrap()]),
        &["theme.toml", "FIFO"],
    );

    let keys = dir.path().join("caiji.keys");
    mkfifo(&keys);
    assert_refused(
        &caiji(
            h,
            &[
                "codes",
                "verify",
                "--offline",
                "--key-file",
                keys.to_str().unwrap(),
                "CJ1:ABC",
            ],
        ),
        &["caiji.keys", "not a regular file"],
    );

    mkfifo(&h.join("config.toml"));
    assert_refused(&caiji(h, &["students", "list"]), &["config.toml", "FIFO"]);
}

// ---- import --strict ---------------------------------------------------------------------------

const HEADER: [&str; 9] = [
    "学号",
    "姓名",
    "证件号码",
    "学院",
    "专业",
    "班级",
    "层次",
    "辅导员",
    "毕业年份",
];

/// A header and `n` valid rows; `rejected` gives the 0-based row whose name is emptied.
fn roster_rows(n: u32, rejected: Option<usize>) -> Vec<Vec<String>> {
    let mut rows = vec![HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for i in 0..n {
        let id = resident_id("440106", "20040315", &format!("{:03}", i % 1000));
        let mut row: Vec<String> = [
            &(2022001 + i).to_string(),
            "张三",
            &id,
            "计算机学院",
            "软件工程",
            "软工2201",
            "本科",
            "王老师",
            "2026",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if rejected == Some(i as usize) {
            row[1] = String::new();
        }
        rows.push(row);
    }
    rows
}

fn write_xlsx(path: &Path, rows: &[Vec<String>]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    book.save(path).unwrap();
}

/// `import --strict` with a rejected row on a data dir that is new (or new and empty) leaves no
/// `caiji.db`, no log and no folder behind, whatever the file's kind: UTF-8 CSV, GBK CSV, a CSV
/// that turns GBK after its first 8 KiB (read twice), and XLSX.
#[test]
fn import_strict_on_a_new_data_dir_leaves_no_file() {
    let files = tempfile::tempdir().unwrap();
    let rows = roster_rows(3, Some(1));
    let utf8 = csv_text(&rows, ',', "\n");
    let mut late = roster_rows(400, None);
    late[399][1] = String::new();
    late[398][4] = "软件工程（中外合作）".into();
    let late_text = csv_text(&late, ',', "\n");
    // UTF-8 up to the last two rows, which are GBK
    let split = late_text.match_indices('\n').nth(397).unwrap().0 + 1;
    let mut late_bytes = late_text.as_bytes()[..split].to_vec();
    late_bytes.extend_from_slice(&encoding_rs::GBK.encode(&late_text[split..]).0);
    assert!(split > 8 * 1024, "the UTF-8 part is longer than the sniff");
    let cases: Vec<(&str, PathBuf)> = vec![
        ("utf-8", files.path().join("utf8.csv")),
        ("gbk", files.path().join("gbk.csv")),
        ("gbk late", files.path().join("late.csv")),
        ("xlsx", files.path().join("roster.xlsx")),
    ];
    std::fs::write(&cases[0].1, &utf8).unwrap();
    std::fs::write(&cases[1].1, encoding_rs::GBK.encode(&utf8).0).unwrap();
    std::fs::write(&cases[2].1, &late_bytes).unwrap();
    write_xlsx(&cases[3].1, &rows);

    for (kind, file) in &cases {
        // a data dir that does not exist yet, two levels down
        let parent = tempfile::tempdir().unwrap();
        let data = parent.path().join("new").join("data");
        let out = caiji(&data, &["import", "--strict", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3), "{kind}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing was written"),
            "{kind}: {}",
            stderr(&out)
        );
        assert!(
            names(parent.path()).is_empty(),
            "{kind}: left {:?}",
            names(parent.path())
        );

        // a data dir that exists and is empty
        let empty = tempfile::tempdir().unwrap();
        let out = caiji(
            empty.path(),
            &["import", "--strict", file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(3), "{kind}: {}", stderr(&out));
        assert!(
            names(empty.path()).is_empty(),
            "{kind}: left {:?}",
            names(empty.path())
        );
    }
}

// ---- CSV ---------------------------------------------------------------------------------------

/// `students list --format csv` writes what every other CSV writes: the BOM first, and cells
/// that Excel would run as a formula (= + - @, tab, CR) prefixed with `'`.
#[test]
fn students_list_csv_uses_the_one_csv_writer() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = roster_rows(2, None);
    rows[1][5] = "=cmd|' /C calc'!A0".into();
    rows[1][3] = "@SUM(1+1)".into();
    rows[1][4] = "+86 软件".into();
    rows[1][7] = "-王老师".into();
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, csv_text(&rows, ',', "\n")).unwrap();
    let home = tempfile::tempdir().unwrap();
    let imported = caiji(home.path(), &["import", roster.to_str().unwrap()]);
    assert_ok(&imported);

    let listed = caiji(home.path(), &["students", "list", "--format", "csv"]);
    assert_ok(&listed);
    let report = caiji(
        home.path(),
        &["report", "missing", "code", "--format", "csv"],
    );
    assert_ok(&report);
    for out in [&listed, &report] {
        assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "BOM first");
        assert!(
            out.stdout.windows(2).any(|w| w == b"\r\n"),
            "CRLF line ends as the other CSV files"
        );
    }
    let mut reader = csv::ReaderBuilder::new().from_reader(&listed.stdout[3..]);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let first = &records[0];
    assert_eq!(&first[col("class")], "'=cmd|' /C calc'!A0");
    assert_eq!(&first[col("college")], "'@SUM(1+1)");
    assert_eq!(&first[col("major")], "'+86 软件");
    assert_eq!(&first[col("counselor")], "'-王老师");
    // no cell of any record starts a formula
    for record in &records {
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

// ---- the console's flags -----------------------------------------------------------------------

/// `--theme` and `--mouse` are global as the README shows them: before or after `tui`, or with
/// no command at all. A theme file with a bad field is then reported by the console (exit 1),
/// where it used to be a usage error (exit 2) before the console was even reached.
#[test]
fn theme_is_a_global_flag() {
    let home = demo_home();
    let dir = tempfile::tempdir().unwrap();
    let theme = dir.path().join("mine.toml");
    std::fs::write(&theme, "status_ok = \"not-a-colour\"\n").unwrap();
    let t = theme.to_str().unwrap();
    for args in [
        vec!["--theme", t],
        vec!["--theme", t, "tui"],
        vec!["tui", "--theme", t],
        vec!["--mouse", "--theme", t],
        vec![
            "demo",
            "--no-tui",
            "--force",
            "--students",
            "5",
            "--theme",
            t,
        ],
    ] {
        let out = caiji(home.path(), &args);
        if args[0] == "demo" {
            // the demo without its console takes the flag and has no use for it
            assert_ok(&out);
            continue;
        }
        assert_refused(&out, &["mine.toml", "status_ok"]);
    }
}
