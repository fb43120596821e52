//! `caiji sessions sync` and `caiji sessions sync-report`: the scans this station queued while
//! the server could not be reached (docs/sessions.md "Offline stations", docs/cli.md).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Result;
use serde::Serialize;

use crate::cli::TableOrJson;
use crate::commands::{Ctx, EXIT_ERROR};
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::ops::station::sync::{StoreLink, SyncEnd, send_pending};
use crate::ops::station::{Fate, Journal, Scan, journal, station_dir};
use crate::ops::time::format_time;

/// One line of `--format json` for a queued scan's fate (docs/cli.md).
#[derive(Serialize)]
pub(super) struct FateJson<'a> {
    pub status: &'static str,
    pub student_no: &'a str,
    pub shot: Option<i32>,
    pub reason: Option<String>,
    pub label: &'a str,
    /// For a conflict: the check-in status the server answered (`already`, `full`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'a str>,
}

impl<'a> FateJson<'a> {
    pub fn of(scan: &'a Scan, fate: &'a Fate) -> FateJson<'a> {
        match fate {
            Fate::Synced { shot } => FateJson {
                status: "synced",
                student_no: &scan.student_no,
                shot: Some(*shot),
                reason: None,
                label: &scan.label,
                cause: None,
            },
            Fate::Conflict { cause, reason } => FateJson {
                status: "conflict",
                student_no: &scan.student_no,
                shot: None,
                reason: Some(conflict_words(reason)),
                label: &scan.label,
                cause: Some(cause),
            },
        }
    }
}

/// Why a queued scan was not taken, in the user's language.
pub(super) fn conflict_words(reason: &crate::ops::checkin::Reason) -> String {
    crate::words::checkin::reason_words(reason, &crate::words::checkin::Hints::sync())
}

/// A fate as one table line.
pub(super) fn fate_line(scan: &Scan, fate: &Fate) -> String {
    let who = format!(
        "{}  {}  {}",
        scan.label,
        strip_controls(&scan.masked_name),
        strip_controls(scan.class.as_deref().unwrap_or(""))
    );
    match fate {
        Fate::Synced { shot } => format!(
            "{}  {who}  → {} {shot}",
            tr("✔ 已上传", "✔ synced"),
            tr("拍摄号", "shot")
        ),
        Fate::Conflict { reason, .. } => format!(
            "{}  {who}  {}",
            tr("✘ 冲突", "✘ conflict"),
            strip_controls(&conflict_words(reason))
        ),
    }
}

/// Prints a fate in `format`.
pub(super) fn print_fate(format: TableOrJson, scan: &Scan, fate: &Fate) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            serde_json::to_writer(&mut out, &FateJson::of(scan, fate))?;
            writeln!(out)?;
        }
        TableOrJson::Table => writeln!(out, "{}", fate_line(scan, fate))?,
    }
    out.flush()?;
    Ok(())
}

/// `caiji sessions sync`: sends every journal of this station that is not open in a running
/// station (which sends its own).
pub async fn run(ctx: &Ctx, format: TableOrJson) -> Result<ExitCode> {
    let dir = station_dir(&ctx.paths.data_dir);
    let sessions = journal::sessions_in(&dir);
    let mut journals = Vec::new();
    for session in sessions {
        match Journal::open(&dir, session) {
            Ok(j) => {
                if let Some(torn) = j.torn() {
                    eprintln!("caiji: {}", torn_note(&j, torn));
                }
                if j.pending_count() > 0 {
                    journals.push(j);
                }
            }
            Err(e) => eprintln!("caiji: {}", crate::words::cause_line(&e)),
        }
    }
    if journals.is_empty() {
        eprintln!(
            "{}",
            tr("没有待上传的扫码记录。", "No queued scans are waiting.")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let keys = std::sync::Arc::new(crate::ops::checkin::StationKeys::load(&ctx.key_file));
    if let Some((path, error)) = keys.problem() {
        anyhow::bail!("{}", crate::words::checkin::keys_problem(path, error));
    }
    let store: std::sync::Arc<dyn crate::store::Store> = ctx.open_store().await?.into();
    let mut offline = false;
    for j in journals {
        let journal = Mutex::new(j);
        let mut failed = None;
        let end = send_pending(
            &StoreLink::new(store.clone(), keys.clone()),
            &journal,
            |scan, fate| {
                if let Err(e) = print_fate(format, scan, fate) {
                    failed.get_or_insert(e);
                }
            },
        )
        .await?;
        if let Some(e) = failed {
            return Err(e);
        }
        if let SyncEnd::Offline(err) = end {
            eprintln!("caiji: {}", crate::words::cause_line(&err));
            offline = true;
            break;
        }
    }
    store.close().await;
    Ok(if offline {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// What the next open says of a torn last record.
pub(super) fn torn_note(j: &Journal, torn: &journal::Torn) -> String {
    match lang() {
        Lang::Zh => format!(
            "工位日志 {} 的最后一条记录（第 {} 行，{} 字节）在写入时被中断，已丢弃：那次扫码没有显示过结果，请重新扫描",
            j.path().display(),
            torn.line,
            torn.bytes
        ),
        Lang::En => format!(
            "the last record of the station journal {} (line {}, {} bytes) was cut short by a crash and was dropped: that scan was never answered; scan it again",
            j.path().display(),
            torn.line,
            torn.bytes
        ),
    }
}

/// One scan of `sync-report --format json`.
#[derive(Serialize)]
struct ReportJson<'a> {
    session: i64,
    label: &'a str,
    student_no: &'a str,
    masked_name: &'a str,
    class: Option<&'a str>,
    station: &'a str,
    scanned_at: String,
    status: &'static str,
    shot: Option<i32>,
    cause: Option<&'a str>,
    reason: Option<String>,
}

/// `caiji sessions sync-report`: every scan of every journal of this station and its fate.
pub fn report(ctx: &Ctx, format: TableOrJson) -> Result<ExitCode> {
    let dir = station_dir(&ctx.paths.data_dir);
    let mut rows = Vec::new();
    for session in journal::sessions_in(&dir) {
        let (entries, torn) = journal::read(&journal::path_for(&dir, session))?;
        if let Some(t) = torn {
            eprintln!(
                "caiji: {}",
                match lang() {
                    Lang::Zh => format!(
                        "场次 {session} 的日志末尾有一条写入中断的记录（第 {} 行），不计入",
                        t.line
                    ),
                    Lang::En => format!(
                        "the journal of session {session} ends in a record cut short by a crash (line {}), left out",
                        t.line
                    ),
                }
            );
        }
        rows.extend(entries);
    }
    let status = |fate: &Option<Fate>| match fate {
        None => "queued",
        Some(Fate::Synced { .. }) => "synced",
        Some(Fate::Conflict { .. }) => "conflict",
    };
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            let items: Vec<ReportJson> = rows
                .iter()
                .map(|e| ReportJson {
                    session: e.scan.session,
                    label: &e.scan.label,
                    student_no: &e.scan.student_no,
                    masked_name: &e.scan.masked_name,
                    class: e.scan.class.as_deref(),
                    station: &e.scan.station,
                    scanned_at: e.scan.at.to_rfc3339(),
                    status: status(&e.fate),
                    shot: match &e.fate {
                        Some(Fate::Synced { shot }) => Some(*shot),
                        _ => None,
                    },
                    cause: match &e.fate {
                        Some(Fate::Conflict { cause, .. }) => Some(cause),
                        _ => None,
                    },
                    reason: match &e.fate {
                        Some(Fate::Conflict { reason, .. }) => Some(conflict_words(reason)),
                        _ => None,
                    },
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &items)?;
            writeln!(out)?;
        }
        TableOrJson::Table => {
            if rows.is_empty() {
                writeln!(
                    out,
                    "{}",
                    tr(
                        "本工位没有离线扫码记录。",
                        "This station has queued no scans offline."
                    )
                )?;
            }
            for e in &rows {
                let fate = match &e.fate {
                    None => tr("⧗ 待上传", "⧗ queued").to_string(),
                    Some(Fate::Synced { shot }) => {
                        format!("{} {shot}", tr("✔ 拍摄号", "✔ shot"))
                    }
                    Some(Fate::Conflict { reason, .. }) => format!(
                        "{} {}",
                        tr("✘ 冲突：", "✘ conflict:"),
                        strip_controls(&conflict_words(reason))
                    ),
                };
                writeln!(
                    out,
                    "{}  {}  {}  {}  {}  {}  {}",
                    e.scan.session,
                    e.scan.label,
                    strip_controls(&e.scan.student_no),
                    strip_controls(&e.scan.masked_name),
                    strip_controls(e.scan.class.as_deref().unwrap_or("-")),
                    format_time(e.scan.at),
                    fate
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
