//! `caiji import FILE`: read and validate a roster file, then apply it in one transaction.
//! The summary printer here is shared with `caiji roster sync`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use super::{Ctx, EXIT_PROBLEMS};
use crate::cli::{ImportArgs, SummaryFormat};
use crate::domain::Student;
use crate::i18n::{Lang, lang, tr};
use crate::roster::{self, Outcome, Progress, ReadOptions};
use crate::store::{self, ImportOptions, ImportSummary, PackedStudents, RosterFill, Store};

pub async fn run(ctx: &Ctx, args: &ImportArgs) -> Result<ExitCode> {
    let mut made_folders = Vec::new();
    let result = import(ctx, args, &mut made_folders).await;
    // Nothing was stored (a `--strict` refusal, a file of rejected rows, an error): the data
    // folder this run made for the database goes again, so no new file or folder is left.
    if !made_folders.is_empty()
        && super::sqlite_path(&ctx.database_url).is_some_and(|db| !db.exists())
    {
        for folder in &made_folders {
            // only an empty folder is removed; the first that is not stops the climb
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
    }
    result
}

async fn import(ctx: &Ctx, args: &ImportArgs, made_folders: &mut Vec<PathBuf>) -> Result<ExitCode> {
    let label = args.file.display().to_string();
    let mut bar = ProgressBar::new(&label);
    let options = ReadOptions {
        sheet: args.sheet.clone(),
        limits: roster::Limits::default(),
        lang: crate::i18n::lang(),
    };
    let source = format!(
        "import {}",
        args.file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );

    if !args.dry_run {
        let (stored, returned) =
            import_into_empty(ctx, args, &options, &source, bar, made_folders).await;
        bar = returned;
        if let Some((outcome, summary)) = stored? {
            return finish(args, &label, &outcome, &summary);
        }
        // not SQLite, or the roster holds students: they are compared with the file's
    }

    // The file is read and checked before the database is opened: a bad file changes nothing.
    let outcome = roster::read_file(&args.file, &options, &mut |p| bar.update(p));
    bar.clear();
    let outcome = outcome?;
    if refused_as_strict(args, &outcome) {
        return finish(args, &label, &outcome, &ImportSummary::default());
    }

    let summary = if outcome.students.is_empty() {
        ImportSummary::default()
    } else if args.dry_run && missing_sqlite_file(ctx) {
        // Planning against a database that does not exist yet: everything would be new, and a
        // dry run must not create the file.
        ImportSummary {
            inserted: outcome.students.len() as u64,
            ..Default::default()
        }
    } else {
        bar.message(tr("正在写入数据库…", "writing to the database…"));
        let store = ctx.open_store().await?;
        let result = store
            .import_roster(
                &outcome.students,
                ImportOptions {
                    full_sync: false,
                    dry_run: args.dry_run,
                    operator: &ctx.operator,
                    source: &source,
                },
            )
            .await;
        store.close().await;
        bar.clear();
        result?
    };
    finish(args, &label, &outcome, &summary)
}

/// `--strict` and a row was rejected: nothing is written.
fn refused_as_strict(args: &ImportArgs, outcome: &Outcome) -> bool {
    args.strict && !outcome.rejections.is_empty()
}

/// Prints the summary (and what was refused) and picks the exit code.
fn finish(
    args: &ImportArgs,
    label: &str,
    outcome: &Outcome,
    summary: &ImportSummary,
) -> Result<ExitCode> {
    report(args.format, label, outcome, summary)?;
    if refused_as_strict(args, outcome) {
        note(&format!(
            "{} {}",
            outcome.rejected_rows(),
            tr(
                "行被拒绝；--strict：未写入任何数据",
                "rows rejected; --strict: nothing was written"
            )
        ));
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    if args.dry_run {
        note(tr("试运行：未写入数据库", "dry run: nothing was written"));
    }
    Ok(if outcome.rejections.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}

/// Imports into an empty SQLite roster (a database that does not exist yet, one just made by
/// `caiji init`, or one whose students were all removed), using both cores: a reader thread reads
/// and checks the file and hands the valid students over in batches, while this task stores them
/// in one transaction (see `store::RosterFill`). A bad file, a `--strict` refusal or an error
/// rolls it back; a database file this command created for it is removed again when nobody else
/// has it open and it holds nothing.
///
/// Returns None when this is not SQLite, the roster holds students, or the database cannot be
/// opened here (the usual way reports that, once the file has been checked); the progress bar
/// comes back either way.
async fn import_into_empty(
    ctx: &Ctx,
    args: &ImportArgs,
    options: &ReadOptions,
    source: &str,
    bar: ProgressBar,
    made_folders: &mut Vec<PathBuf>,
) -> (Result<Option<(Outcome, ImportSummary)>>, ProgressBar) {
    let Some(path) = super::sqlite_path(&ctx.database_url) else {
        return (Ok(None), bar);
    };
    let created = std::fs::symlink_metadata(&path).is_err();
    if created && ctx.default_database {
        match ctx.paths.create_data_dir() {
            Ok(made) => made_folders.extend(made),
            Err(e) => return (Err(e), bar),
        }
    }
    if super::check_sqlite_writable(&path).is_err() {
        return (Ok(None), bar);
    }
    let Ok(store) = store::open(&ctx.database_url, store::Create::IfMissing).await else {
        if created {
            store::remove_unused_sqlite_file(&path);
        }
        return (Ok(None), bar);
    };
    let mut outcome = FillOutcome::NotEmpty;
    let (result, bar) = fill_empty(
        ctx,
        args,
        options,
        source,
        store.as_ref(),
        bar,
        &mut outcome,
    )
    .await;
    store.close().await;
    if created && outcome == FillOutcome::RolledBackEmpty && store::remove_unused_sqlite_file(&path)
    {
        // nothing is left of this run, not even a line in the log
        return (result, bar);
    }
    tracing::info!(url = store.display_url(), operator = %ctx.operator, "database opened");
    (result, bar)
}

/// What became of the database in `fill_empty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FillOutcome {
    /// The roster held students: nothing was begun.
    NotEmpty,
    /// The import committed.
    Committed,
    /// The import was rolled back, and the database holds no row at all.
    RolledBackEmpty,
    /// The import was rolled back (or failed) and the database may hold something.
    RolledBack,
}

/// The import of `import_into_empty` on an open store; `done` says what became of it.
async fn fill_empty(
    ctx: &Ctx,
    args: &ImportArgs,
    options: &ReadOptions,
    source: &str,
    store: &dyn Store,
    bar: ProgressBar,
    done: &mut FillOutcome,
) -> (Result<Option<(Outcome, ImportSummary)>>, ProgressBar) {
    let fill = match store.begin_roster_fill().await {
        Ok(Some(fill)) => fill,
        Ok(None) => return (Ok(None), bar),
        Err(e) => return (Err(e.into()), bar),
    };
    *done = FillOutcome::RolledBack;
    let (filled, outcome, mut bar) = stream_into(fill, &args.file, options, bar).await;
    let (fill, outcome) = match (filled, outcome) {
        (Ok(fill), Ok(Some(outcome))) => (fill, outcome),
        // the start of the file was UTF-8 but not the rest: the rows stored were read in the wrong
        // encoding; the file is read whole again, in the encoding its whole text shows, and
        // stored the same way
        (Ok(fill), Ok(None)) => {
            let outcome = roster::read_file(&args.file, options, &mut |p| bar.update(p));
            bar.clear();
            let rolled_back = fill.roll_back().await;
            let outcome = match (outcome, rolled_back) {
                (Ok(outcome), Ok(_)) => outcome,
                (Err(e), rolled_back) => {
                    note_empty(done, rolled_back);
                    return (Err(e.into()), bar);
                }
                (_, Err(e)) => return (Err(e.into()), bar),
            };
            let fill = match store.begin_roster_fill().await {
                Ok(Some(fill)) => fill,
                // another station stored a roster meanwhile: compare with it
                Ok(None) => return (Ok(None), bar),
                Err(e) => return (Err(e.into()), bar),
            };
            match store_read(fill, &outcome.students).await {
                Ok(fill) => (fill, outcome),
                Err(e) => return (Err(e.into()), bar),
            }
        }
        // the file's own problems come first, as when it is read before the database is opened
        (filled, Err(e)) => {
            if let Ok(fill) = filled {
                note_empty(done, fill.roll_back().await);
            }
            return (Err(e.into()), bar);
        }
        (Err(e), Ok(_)) => return (Err(e.into()), bar),
    };
    if refused_as_strict(args, &outcome) || outcome.data_rows == outcome.rejected_rows() as u64 {
        // nothing to store: as when the file is read before the database is opened
        note_empty(done, fill.roll_back().await);
        return (Ok(Some((outcome, ImportSummary::default()))), bar);
    }
    let detail =
        |kept: u64| format!("{source}: inserted {kept}, updated 0, unchanged 0, withdrawn 0");
    let committed = fill.commit(&outcome.duplicates, &ctx.operator, &detail);
    let result = match committed.await {
        Ok(kept) => {
            *done = FillOutcome::Committed;
            let summary = ImportSummary {
                inserted: kept,
                ..Default::default()
            };
            Ok(Some((outcome, summary)))
        }
        Err(e) => Err(e.into()),
    };
    (result, bar)
}

/// After a rollback: whether the database was left holding nothing.
fn note_empty(done: &mut FillOutcome, rolled_back: std::result::Result<bool, store::StoreError>) {
    if let Ok(true) = rolled_back {
        *done = FillOutcome::RolledBackEmpty;
    }
}

/// Reads `file` on a thread of its own and stores its valid students with `fill` as they come.
/// Returns the fill (unless storing failed), the reader's outcome (None: read it again, see
/// `roster::stream_file`) and the progress bar.
async fn stream_into(
    mut fill: RosterFill,
    file: &Path,
    options: &ReadOptions,
    mut bar: ProgressBar,
) -> (
    Result<RosterFill, store::StoreError>,
    Result<Option<Outcome>, roster::RosterError>,
    ProgressBar,
) {
    // a few batches in flight: the reader runs ahead a little, memory stays small
    let (batches_in, batches) = std::sync::mpsc::sync_channel::<PackedStudents>(4);
    let (spent_out, spent) = std::sync::mpsc::channel::<PackedStudents>();
    let reader = {
        let (file, options) = (file.to_path_buf(), options.clone());
        std::thread::spawn(move || {
            let hand_over = Box::new(move |students: Vec<Student>| {
                // packed here, where the reader has time to spare, into a batch already stored and
                // given back when there is one; the students are freed where they were made
                let mut batch = spent.try_recv().unwrap_or_default();
                batch.clear();
                students.iter().for_each(|s| batch.push(s));
                drop(students);
                // storing has stopped (it failed): the rest of the file is still checked
                let _ = batches_in.send(batch);
            });
            let outcome = roster::stream_file(&file, &options, &mut |p| bar.update(p), hand_over);
            bar.clear();
            (outcome, bar)
        })
    };
    let filled = fill.fill(batches, spent_out).await.map(|()| fill);
    let (outcome, bar) = match reader.join() {
        Ok(done) => done,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    (filled, outcome, bar)
}

/// Stores the students of a roster read whole with `fill`, in batches as the reader would hand
/// them over.
async fn store_read(
    mut fill: RosterFill,
    students: &[Student],
) -> Result<RosterFill, store::StoreError> {
    let (batches_in, batches) = std::sync::mpsc::channel::<PackedStudents>();
    for chunk in students.chunks(STORE_BATCH) {
        let mut batch = PackedStudents::default();
        chunk.iter().for_each(|s| batch.push(s));
        let _ = batches_in.send(batch);
    }
    drop(batches_in);
    fill.fill(batches, std::sync::mpsc::channel().0).await?;
    Ok(fill)
}

/// Students per batch of a roster read whole.
const STORE_BATCH: usize = 1024;

fn missing_sqlite_file(ctx: &Ctx) -> bool {
    super::sqlite_path(&ctx.database_url).is_some_and(|p| !p.exists())
}

/// A line for the user on stderr (stdout carries the summary, which may be JSON).
pub(super) fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "caiji: {text}");
}

/// `--format json` of docs/cli.md.
#[derive(Serialize)]
struct SummaryJson<'a> {
    inserted: u64,
    updated: u64,
    unchanged: u64,
    withdrawn: u64,
    rejected: Vec<RejectedJson<'a>>,
    /// Footer rows skipped (合计…, 制表人…); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    footer: Vec<FooterJson<'a>>,
}

#[derive(Serialize)]
struct FooterJson<'a> {
    row: u64,
    text: &'a str,
}

#[derive(Serialize)]
struct RejectedJson<'a> {
    row: u64,
    student_no: &'a str,
    field: &'static str,
    reason: &'a str,
}

/// Prints the summary and the rejected rows to stdout.
pub(super) fn report(
    format: SummaryFormat,
    label: &str,
    outcome: &Outcome,
    summary: &ImportSummary,
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        SummaryFormat::Json => {
            let json = SummaryJson {
                inserted: summary.inserted,
                updated: summary.updated,
                unchanged: summary.unchanged,
                withdrawn: summary.withdrawn,
                rejected: outcome
                    .rejections
                    .iter()
                    .map(|r| RejectedJson {
                        row: r.row,
                        student_no: &r.student_no,
                        field: r.field.code(),
                        reason: &r.reason,
                    })
                    .collect(),
                footer: outcome
                    .footer
                    .iter()
                    .map(|f| FooterJson {
                        row: f.row,
                        text: &f.text,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &json)?;
            out.write_all(b"\n")?;
        }
        SummaryFormat::Table => {
            out.write_all(summary_text(label, outcome, summary, lang()).as_bytes())?;
            out.write_all(footer_text(outcome, lang()).as_bytes())?;
            if !outcome.rejections.is_empty() {
                writeln!(out)?;
                let headers = [
                    tr("行", "row"),
                    tr("学号", "student_no"),
                    tr("字段", "field"),
                    tr("原因", "reason"),
                ];
                let rows: Vec<Vec<String>> = outcome
                    .rejections
                    .iter()
                    .map(|r| {
                        let field = match (r.column.is_empty(), lang()) {
                            (true, _) => r.field.label().to_string(),
                            (false, Lang::Zh) => format!("{}（{}）", r.field.label(), r.column),
                            (false, Lang::En) => format!("{} ({})", r.field.label(), r.column),
                        };
                        vec![
                            r.row.to_string(),
                            r.student_no.clone(),
                            field,
                            r.reason.clone(),
                        ]
                    })
                    .collect();
                out.write_all(crate::output::table(&headers, &rows).as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The two summary lines of the table output.
fn summary_text(label: &str, outcome: &Outcome, summary: &ImportSummary, lang: Lang) -> String {
    let (rows, valid, rejected) = (
        outcome.data_rows,
        outcome.valid_rows(),
        outcome.rejected_rows(),
    );
    let s = summary;
    match lang {
        Lang::Zh => format!(
            "{label}：{rows} 行数据，{valid} 行有效，{rejected} 行被拒绝\n新增 {}，更新 {}，未变 {}，标记退出 {}\n",
            s.inserted, s.updated, s.unchanged, s.withdrawn
        ),
        Lang::En => format!(
            "{label}: {rows} data rows, {valid} valid, {rejected} rejected\ninserted {}, updated {}, unchanged {}, withdrawn {}\n",
            s.inserted, s.updated, s.unchanged, s.withdrawn
        ),
    }
}

/// The footer rows skipped, one line each (nothing when there are none).
fn footer_text(outcome: &Outcome, lang: Lang) -> String {
    outcome
        .footer
        .iter()
        .map(|f| match lang {
            Lang::Zh => format!("第 {} 行是表尾（{}），已跳过\n", f.row, f.text),
            Lang::En => format!("row {} is the footer ({}), skipped\n", f.row, f.text),
        })
        .collect()
}

/// A progress bar on stderr, drawn only when stderr is a terminal, at most ten times a second.
struct ProgressBar {
    enabled: bool,
    label: String,
    last: Option<Instant>,
    drawn: bool,
}

impl ProgressBar {
    fn new(label: &str) -> ProgressBar {
        ProgressBar {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            last: None,
            drawn: false,
        }
    }

    fn update(&mut self, progress: Progress) {
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        self.draw(&render_bar(&self.label, progress, lang()));
    }

    fn message(&mut self, text: &str) {
        if self.enabled {
            self.draw(text);
        }
    }

    fn draw(&mut self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.drawn = false;
        }
    }
}

/// `读取 名单.csv [##########..........]  50%  52,000 行`
fn render_bar(label: &str, p: Progress, lang: Lang) -> String {
    const WIDTH: u64 = 24;
    let fraction = (p.done.min(p.total) * 1000)
        .checked_div(p.total)
        .unwrap_or(0);
    let filled = (fraction * WIDTH / 1000) as usize;
    let bar = format!(
        "{}{}",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled)
    );
    let rows = thousands(p.rows);
    match lang {
        Lang::Zh => format!("读取 {label} [{bar}] {:>3}%  {rows} 行", fraction / 10),
        Lang::En => format!("reading {label} [{bar}] {:>3}%  {rows} rows", fraction / 10),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bar_text() {
        let cases = [
            (
                Progress {
                    rows: 0,
                    done: 0,
                    total: 0,
                },
                Lang::En,
                "reading a.csv [........................]   0%  0 rows",
            ),
            (
                Progress {
                    rows: 52_000,
                    done: 50,
                    total: 100,
                },
                Lang::En,
                "reading a.csv [############............]  50%  52,000 rows",
            ),
            (
                Progress {
                    rows: 1_234_567,
                    done: 120,
                    total: 100,
                },
                Lang::Zh,
                "读取 a.csv [########################] 100%  1,234,567 行",
            ),
        ];
        for (p, lang, want) in cases {
            assert_eq!(render_bar("a.csv", p, lang), want);
        }
    }

    #[test]
    fn summary_lines() {
        let outcome = Outcome {
            data_rows: 12,
            ..Default::default()
        };
        let summary = ImportSummary {
            inserted: 10,
            updated: 1,
            unchanged: 1,
            withdrawn: 0,
        };
        assert_eq!(
            summary_text("a.csv", &outcome, &summary, Lang::En),
            "a.csv: 12 data rows, 12 valid, 0 rejected\ninserted 10, updated 1, unchanged 1, withdrawn 0\n"
        );
        assert!(summary_text("a.csv", &outcome, &summary, Lang::Zh).contains("新增 10，更新 1"));
        // streamed students are not in the outcome: valid rows are counted; a row with two
        // problems is one rejected row
        let rejected = |row: u64, field: roster::Field| roster::Rejection {
            row,
            student_no: "2022001".into(),
            field,
            column: "A".into(),
            reason: "duplicate".into(),
        };
        let outcome = Outcome {
            data_rows: 5,
            rejections: vec![
                rejected(2, roster::Field::StudentNo),
                rejected(4, roster::Field::StudentNo),
                rejected(4, roster::Field::Name),
            ],
            ..Default::default()
        };
        let summary = ImportSummary {
            inserted: 3,
            ..Default::default()
        };
        assert!(
            summary_text("a.csv", &outcome, &summary, Lang::En)
                .starts_with("a.csv: 5 data rows, 3 valid, 2 rejected\n")
        );
    }
}
