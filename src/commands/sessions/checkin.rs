//! `caiji sessions checkin SESSION`: a station's scanner loop. A keyboard-wedge scanner types
//! each code followed by Enter; every line is answered at once, before the next is read.
//!
//! A scanned line goes through three steps: `verify` (the token itself), the `codes` table
//! (whose code it is, and whether it was revoked), then the store's `check_in`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::cli::{SessionCheckinArgs, TableOrJson};
use crate::commands::{Ctx, EXIT_ERROR, EXIT_PROBLEMS};
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::ops::checkin::{
    Answer, NOT_RECORDED, ScanStatus, Sessions, Station, StationKeys, answer_retrying,
    answer_stamped,
};
use crate::ops::station::sync::{SEND_WITHIN, StoreLink, SyncEnd, detached, lock, send_pending};
use crate::ops::station::{
    Cache, Fate, Journal, Scan, Scanner, StationAnswer, answer_offline, new_nonce, station_dir,
    station_letter,
};
use crate::ops::time::format_time;
use crate::store::{Backend, SessionRow, Stamp, Store};
use crate::words::checkin::{Hints, keys_problem, reason_words, status_label};

/// One line of `--format json` (docs/cli.md keys, nothing more).
#[derive(Serialize)]
struct AnswerJson<'a> {
    status: ScanStatus,
    student_no: Option<&'a str>,
    shot: Option<i32>,
    reason: Option<&'a str>,
    /// The provisional label of a scan queued offline (`B-017`), else null.
    label: Option<&'a str>,
    /// `already_elsewhere` only: the session whose check-in counts (`shot` is its shot).
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<i64>,
}

/// How answers look on this terminal (or pipe).
struct Style {
    tty: bool,
    colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn table_line(&self, a: &Answer) -> String {
        let word = status_label(a.status);
        let colour = match a.status {
            ScanStatus::CheckedIn => "32",
            ScanStatus::Already => "33",
            ScanStatus::NotRecorded => "1;31",
            _ => "31",
        };
        let mut line = self.paint(colour, &pad(word, 16));
        if let Some(shot) = a.shot {
            let number = format!(" {shot} ");
            // The shot number is what the photographer calls out: make it stand out.
            let number = if a.status == crate::ops::checkin::ScanStatus::CheckedIn && self.tty {
                if self.colour {
                    format!("\x1b[1;7m{number}\x1b[0m")
                } else {
                    format!("\x1b[1m{number}\x1b[0m")
                }
            } else {
                number
            };
            line.push_str(&format!("{}{number}", tr("拍摄号", "shot")));
        }
        for part in [&a.masked_name, &a.class].into_iter().flatten() {
            line.push_str("  ");
            line.push_str(&strip_controls(part));
        }
        if let Some(reason) = &a.reason {
            line.push_str("  ");
            line.push_str(&strip_controls(&reason_words(
                reason,
                &Hints::command_line(),
            )));
        }
        line
    }

    /// `table_line` with the provisional label of a queued scan where the shot would be.
    fn station_line(&self, a: &StationAnswer) -> String {
        let line = self.table_line(&a.answer);
        match &a.label {
            Some(label) => {
                let word = pad(status_label(a.answer.status), 16);
                let rest = line.strip_prefix(&self.paint("31", &word)).unwrap_or(&line);
                format!(
                    "{}{} {label}{rest}",
                    self.paint("1;33", &word),
                    tr("暂存号", "label")
                )
            }
            None => line,
        }
    }
}

/// Reads lines on a thread of their own, so a station waiting for the next scan never holds up
/// the runtime; each line arrives as soon as Enter is pressed.
fn read_lines(
    input: impl std::io::Read + Send + 'static,
) -> tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(input);
        loop {
            let mut buf = Vec::new();
            match std::io::BufRead::read_until(&mut reader, b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    if tx.blocking_send(Ok(buf)).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    rx
}

fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

/// The JSON line of an answer, with the provisional label of a queued scan.
fn print_answer(format: TableOrJson, style: &Style, a: &StationAnswer) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        TableOrJson::Json => {
            let reason = a
                .answer
                .reason
                .as_ref()
                .map(|r| reason_words(r, &Hints::command_line()));
            serde_json::to_writer(
                &mut out,
                &AnswerJson {
                    status: a.answer.status,
                    student_no: a.answer.student_no.as_deref(),
                    shot: a.answer.shot,
                    reason: reason.as_deref(),
                    label: a.label.as_deref(),
                    session: a.answer.counted_session,
                },
            )?;
            writeln!(out)?;
        }
        TableOrJson::Table => writeln!(out, "{}", style.station_line(a))?,
    }
    out.flush()?;
    Ok(())
}

/// What the station's sync task tells the scanning loop.
enum Event {
    Fate(Box<(Scan, Fate)>),
    Offline(String),
    Online(usize),
    Error(String),
}

/// What the scanning loop and the sync task share at a station on a server.
struct Shared {
    journal: Mutex<Journal>,
    cache: Mutex<Option<Cache>>,
    store: Mutex<Option<Arc<dyn Store>>>,
    offline: AtomicBool,
    closing: AtomicBool,
    kick: tokio::sync::Notify,
    dir: PathBuf,
    url: String,
    session: i64,
    keys: Arc<StationKeys>,
}

/// How often an offline station asks the server again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

impl Shared {
    fn store(&self) -> Option<Arc<dyn Store>> {
        lock_any(&self.store).clone()
    }

    /// The store, opened again if the station started without one.
    async fn reach(&self) -> Option<Arc<dyn Store>> {
        if let Some(s) = self.store() {
            return Some(s);
        }
        let opened = tokio::time::timeout(
            crate::store::SERVER_ACQUIRE_TIMEOUT,
            crate::store::open(&self.url, crate::store::Create::Never),
        )
        .await
        .ok()?
        .ok()?;
        let store: Arc<dyn Store> = Arc::from(opened);
        *lock_any(&self.store) = Some(store.clone());
        Some(store)
    }

    /// Reads the cache again from the server; a failure keeps the one there is.
    /// Bounded like every send: a connection cut mid-read must never hold the station up.
    async fn refresh(&self, store: &Arc<dyn Store>) {
        let (store, dir, session) = (store.clone(), self.dir.clone(), self.session);
        let read = detached(async move {
            match store.session(session).await? {
                Some(row) => Ok(Some(Cache::refresh(store.as_ref(), &dir, &row).await?)),
                None => Ok::<_, crate::ops::station::StationError>(None),
            }
        });
        match read.await {
            Ok(Some(c)) => *lock_any(&self.cache) = Some(c),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "station cache not refreshed"),
        }
    }

    /// Sends the journal until it is empty or the server goes away.
    async fn sync_once(&self, store: &Arc<dyn Store>, tx: &UnboundedSender<Event>) -> bool {
        let end = send_pending(
            &StoreLink::new(store.clone(), self.keys.clone()),
            &self.journal,
            |scan, fate| {
                if let Fate::Synced { shot } = fate
                    && let Some(c) = lock_any(&self.cache).as_mut()
                {
                    c.note_shot(&scan.student_no, *shot);
                }
                let _ = tx.send(Event::Fate(Box::new((scan.clone(), fate.clone()))));
            },
        )
        .await;
        match end {
            Ok(SyncEnd::Done) => {
                let was = self.offline.swap(false, Ordering::SeqCst);
                if was {
                    let _ = tx.send(Event::Online(lock(&self.journal).entries().len()));
                }
                self.refresh(store).await;
                true
            }
            Ok(SyncEnd::Offline(err)) => {
                if !self.offline.swap(true, Ordering::SeqCst) {
                    let _ = tx.send(Event::Offline(crate::words::cause_line(&err)));
                }
                false
            }
            Err(err) => {
                self.offline.store(true, Ordering::SeqCst);
                let _ = tx.send(Event::Error(crate::words::cause_line(&err)));
                false
            }
        }
    }
}

fn lock_any<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The station's sync: whenever scans wait, ask the server again every second (or at once when
/// kicked) and send them; returns once closing and nothing more can be sent.
async fn sync_task(shared: Arc<Shared>, tx: UnboundedSender<Event>) {
    loop {
        let closing = shared.closing.load(Ordering::SeqCst);
        if lock(&shared.journal).pending_count() > 0 {
            let sent = match shared.reach().await {
                Some(store) => shared.sync_once(&store, &tx).await,
                None => {
                    if !shared.offline.swap(true, Ordering::SeqCst) {
                        let _ = tx.send(Event::Offline(
                            tr(
                                "连不上数据库服务器",
                                "the database server cannot be reached",
                            )
                            .to_string(),
                        ));
                    }
                    false
                }
            };
            if closing || !sent {
                if closing {
                    return;
                }
            } else {
                continue;
            }
        } else if closing {
            return;
        }
        tokio::select! {
            _ = shared.kick.notified() => {}
            _ = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
}

/// Whether opening the database failed because the server could not be reached.
fn unreachable(err: &anyhow::Error) -> bool {
    err.downcast_ref::<crate::store::StoreError>()
        .is_some_and(|e| {
            e.is_connection_lost() || matches!(e, crate::store::StoreError::Connect { .. })
        })
}

fn not_recorded(err: &crate::store::StoreError) -> Answer {
    // The station keeps running and answers this scan too: NOT recorded. The next scan may well
    // get through; scanning this code again is always safe (a code recorded after all answers
    // "already" with its shot number).
    let reason = crate::words::cause_line(err);
    eprintln!("caiji: {reason} — {}", tr("请重新扫描", "scan again"));
    let reason = match lang() {
        Lang::Zh => format!("未记录签到：{reason}——请重新扫描"),
        Lang::En => format!("NOT recorded: {reason} — scan again"),
    };
    crate::ops::station::refusal(
        NOT_RECORDED,
        None,
        crate::ops::checkin::Reason::Said(reason),
    )
}

pub async fn run(ctx: &Ctx, args: &SessionCheckinArgs) -> Result<ExitCode> {
    let station = args.station.trim();
    let max = crate::domain::lengths::STATION;
    if station.is_empty()
        || station.chars().count() > max
        || crate::domain::text::first_unwanted(station).is_some()
    {
        bail!(
            "--station '{}' must be 1 to {max} printable characters, e.g. --station A1",
            crate::domain::text::strip_controls(&args.station)
        );
    }
    let retake_reason = args
        .retake_reason
        .as_deref()
        .map(|text| crate::ops::checkin::checked_retake_reason("--retake-reason", text))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let args = SessionCheckinArgs {
        station: station.to_string(),
        ..args.clone()
    };
    let letter = station_letter(
        args.letter.as_deref(),
        ctx.config.station_letter.as_deref(),
        &args.station,
    )?;
    // Loaded once for the station; without it no scan can be verified, so the station does not start.
    let keys = Arc::new(StationKeys::load(&ctx.key_file));
    if let Some((path, error)) = keys.problem() {
        bail!("{}", keys_problem(path, error));
    }
    let interactive = std::io::stdin().is_terminal();
    let tty = std::io::stdout().is_terminal();
    let style = Style {
        tty,
        colour: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let here = Station {
        keys: &keys,
        name: &args.station,
        operator: &ctx.operator,
        allow_walk_in: args.allow_walk_in,
        retake_reason: retake_reason.as_deref(),
    };
    // A SQLite file is on this machine: nothing to lose the connection to, nothing to queue.
    let journaling = Backend::from_url(&ctx.database_url)? != Backend::Sqlite;
    if !journaling {
        let store = ctx.open_store().await?;
        let Some(session) = store.session(args.session).await? else {
            bail!(crate::store::StoreError::NoSuchSession(args.session));
        };
        if let Err(e) = check_makeup(&session, retake_reason.as_deref()) {
            store.close().await;
            return Err(e);
        }
        return scan_online(store.as_ref(), &session, &args, &here, &style, interactive).await;
    }

    let dir = station_dir(&ctx.paths.data_dir);
    let journal = Journal::open(&dir, args.session)?;
    if let Some(torn) = journal.torn() {
        eprintln!("caiji: {}", super::sync::torn_note(&journal, torn));
    }
    let store: Option<Arc<dyn Store>> = match ctx.open_store().await {
        Ok(s) => Some(Arc::from(s)),
        Err(e) if unreachable(&e) => {
            eprintln!(
                "caiji: {} — {}",
                crate::commands::error_line(&e),
                tr(
                    "工位离线启动：扫码先记入本机日志",
                    "the station starts OFFLINE: scans are kept in its journal"
                )
            );
            None
        }
        Err(e) => return Err(e),
    };
    let (session, cache) = match &store {
        Some(store) => {
            let Some(session) = store.session(args.session).await? else {
                bail!(crate::store::StoreError::NoSuchSession(args.session));
            };
            (session, None)
        }
        None => match Cache::load(&dir, args.session)? {
            Some(cache) => (cache.session.clone(), Some(cache)),
            None => bail!(match lang() {
                Lang::Zh => format!(
                    "连不上数据库服务器，本工位也没有场次 {} 的缓存：请在服务器可用时先启动一次工位",
                    args.session
                ),
                Lang::En => format!(
                    "the server cannot be reached and this station has no cache of session {}: start the station once while the server answers",
                    args.session
                ),
            }),
        },
    };
    check_makeup(&session, retake_reason.as_deref())?;
    let shared = Arc::new(Shared {
        journal: Mutex::new(journal),
        cache: Mutex::new(cache),
        store: Mutex::new(store.clone()),
        offline: AtomicBool::new(store.is_none()),
        closing: AtomicBool::new(false),
        kick: tokio::sync::Notify::new(),
        dir,
        url: ctx.database_url.clone(),
        session: args.session,
        keys: keys.clone(),
    });
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    if let Some(store) = &store {
        // A journal a killed station left is sent before anything new is scanned.
        shared.sync_once(store, &tx).await;
    }
    if interactive {
        greet(&session, &args);
    }
    let scanner = Scanner {
        keys: &keys,
        letter,
        station: &args.station,
        operator: &ctx.operator,
        allow_walk_in: args.allow_walk_in,
        retake_reason: retake_reason.as_deref(),
        session: args.session,
    };
    let show = |event: Event| -> Result<()> {
        match event {
            Event::Fate(both) => super::sync::print_fate(args.format, &both.0, &both.1)?,
            Event::Offline(why) => eprintln!(
                "caiji: {} — {why}",
                tr(
                    "离线 OFFLINE：扫码记入本机日志，服务器恢复后自动上传",
                    "OFFLINE: scans are kept in the journal and sent when the server is back"
                )
            ),
            Event::Online(n) => eprintln!(
                "caiji: {} ({n})",
                tr(
                    "服务器已恢复，日志已全部上传",
                    "the server is back; the journal is sent"
                )
            ),
            Event::Error(why) => eprintln!("caiji: {why}"),
        }
        Ok(())
    };
    // The scanning loop and the sync run side by side on this task: a scan is answered while
    // the journal is being sent.
    let scanning = async {
        let mut lines = read_lines(std::io::stdin());
        let mut tally: HashMap<ScanStatus, u32> = HashMap::new();
        let mut failed = 0u32;
        let mut reading = true;
        while reading {
            let buf = tokio::select! {
                biased;
                Some(event) = events.recv() => {
                    show(event)?;
                    continue;
                }
                buf = lines.recv() => buf,
            };
            let Some(buf) = buf else {
                reading = false;
                continue;
            };
            let buf = buf?;
            // A scanner sends what the code holds; bytes that are not UTF-8 make it invalid, not fatal.
            let line = String::from_utf8_lossy(&buf);
            if line.trim().is_empty() {
                continue;
            }
            let nonce = new_nonce()?;
            let queue = |nonce: &str| -> Result<StationAnswer> {
                let mut journal = lock(&shared.journal);
                let cache = lock_any(&shared.cache);
                let a = answer_offline(&mut journal, cache.as_ref(), &scanner, &line, nonce)?;
                shared.kick.notify_one();
                Ok(a)
            };
            let online = shared
                .store()
                .filter(|_| !shared.offline.load(Ordering::SeqCst))
                .filter(|_| lock(&shared.journal).pending_count() == 0);
            let a = match online {
                None => queue(&nonce)?,
                Some(store) => {
                    let (keys, session, line, sent_nonce) = (
                        keys.clone(),
                        session.clone(),
                        line.to_string(),
                        nonce.clone(),
                    );
                    let (name, operator) = (args.station.clone(), ctx.operator.clone());
                    let (allow_walk_in, retake_reason) =
                        (args.allow_walk_in, retake_reason.clone());
                    let sent = detached(async move {
                        let here = Station {
                            keys: &keys,
                            name: &name,
                            operator: &operator,
                            allow_walk_in,
                            retake_reason: retake_reason.as_deref(),
                        };
                        let stamp = Stamp::queued(crate::clock::now(), &sent_nonce, None);
                        let mut sessions = Sessions::new(store.as_ref());
                        answer_stamped(
                            store.as_ref(),
                            &mut sessions,
                            &session,
                            &line,
                            &here,
                            &stamp,
                        )
                        .await
                    })
                    .await;
                    match sent {
                        Ok(a) => {
                            if let (Some(no), Some(shot)) = (&a.student_no, a.shot)
                                && let Some(c) = lock_any(&shared.cache).as_mut()
                            {
                                c.note_shot(no, shot);
                            }
                            a.into()
                        }
                        Err(err) if !err.is_connection_lost() => {
                            failed += 1;
                            not_recorded(&err).into()
                        }
                        // Lost or too slow: the scan goes to the journal with the nonce it was sent
                        // with, so a check-in that got through after all is found, not doubled.
                        Err(err) => {
                            if !shared.offline.swap(true, Ordering::SeqCst) {
                                let timed_out = matches!(
                                    err,
                                    crate::store::StoreError::Query(sqlx::Error::PoolTimedOut)
                                );
                                let why = if timed_out {
                                    tr("服务器没有及时应答", "the server did not answer in time")
                                        .to_string()
                                } else {
                                    crate::words::cause_line(&err)
                                };
                                show(Event::Offline(why))?;
                            }
                            queue(&nonce)?
                        }
                    }
                }
            };
            *tally.entry(a.answer.status).or_default() += 1;
            print_answer(args.format, &style, &a)?;
        }
        // Input ended: one more try at what waits, then the station stops.
        shared.closing.store(true, Ordering::SeqCst);
        shared.kick.notify_one();
        Ok::<_, anyhow::Error>((tally, failed, events))
    };
    let (scanned, ()) = tokio::join!(scanning, sync_task(shared.clone(), tx));
    let (tally, failed, mut events) = scanned?;
    while let Ok(event) = events.try_recv() {
        show(event)?;
    }
    if let Some(store) = shared.store() {
        // the next start, online or not, knows this station's own check-ins
        if !shared.offline.load(Ordering::SeqCst) {
            shared.refresh(&store).await;
        }
        // a connection left hanging by a cut network must not keep the station from stopping
        let _ = tokio::time::timeout(SEND_WITHIN, store.close()).await;
    }
    let waiting = lock(&shared.journal).pending_count();
    if waiting > 0 {
        eprintln!(
            "caiji: {}",
            match lang() {
                Lang::Zh => format!(
                    "还有 {waiting} 条扫码在本机日志中等待上传：下次启动工位或运行 `caiji sessions sync` 时发送"
                ),
                Lang::En => format!(
                    "{waiting} scans still wait in this station's journal: they are sent at the next start or by `caiji sessions sync`"
                ),
            }
        );
    }
    if interactive {
        goodbye(&tally);
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if waiting > 0 {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

/// A retake reason is for make-up (补采) sessions only.
fn check_makeup(session: &SessionRow, retake_reason: Option<&str>) -> Result<()> {
    if retake_reason.is_some() && !session.makeup {
        bail!(match lang() {
            Lang::Zh => format!(
                "场次 {} 不是补采场次：--retake-reason 只用于补采场次（重拍已在别场签到的学生）；请去掉该选项，或选择补采场次",
                session.id
            ),
            Lang::En => format!(
                "session {} is not a make-up (补采) session: --retake-reason applies only there (to photograph again a student checked in elsewhere); drop it or choose a make-up session",
                session.id
            ),
        });
    }
    Ok(())
}

fn greet(session: &SessionRow, args: &SessionCheckinArgs) {
    eprintln!(
        "{} {}「{}」{} {} · {} {}/{} · {} {}{}",
        tr("场次", "Session"),
        session.id,
        strip_controls(&session.title),
        format_time(session.starts_at),
        strip_controls(&session.location),
        tr("已签到", "checked in"),
        session.checked_in,
        session.capacity,
        tr("工位", "station"),
        args.station,
        tr("。请扫码，Ctrl-D 结束。", ". Scan codes; Ctrl-D to finish.")
    );
}

fn goodbye(tally: &HashMap<ScanStatus, u32>) {
    let mut parts: Vec<String> = tally
        .iter()
        .map(|(k, v)| format!("{} {v}", k.code()))
        .collect();
    parts.sort();
    eprintln!("{}: {}", tr("本次结束", "Done"), parts.join(", "));
}

/// The station on a SQLite file: every scan answered by the database at once.
async fn scan_online(
    store: &dyn Store,
    session: &SessionRow,
    args: &SessionCheckinArgs,
    here: &Station<'_>,
    style: &Style,
    interactive: bool,
) -> Result<ExitCode> {
    if interactive {
        greet(session, args);
    }
    let mut sessions = Sessions::new(store);
    let mut lines = read_lines(std::io::stdin());
    let mut tally: HashMap<ScanStatus, u32> = HashMap::new();
    let mut failed = 0u32;
    while let Some(buf) = lines.recv().await {
        let buf = buf?;
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        let a = match answer_retrying(store, &mut sessions, session, &line, here).await {
            Ok(a) => a,
            Err(err) => {
                failed += 1;
                not_recorded(&err)
            }
        };
        *tally.entry(a.status).or_default() += 1;
        print_answer(args.format, style, &a.into())?;
    }
    store.close().await;
    if interactive {
        goodbye(&tally);
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lines_show_shot_name_and_class_without_escapes_on_pipes() {
        let style = Style {
            tty: false,
            colour: false,
        };
        let a = Answer {
            status: ScanStatus::CheckedIn,
            student_no: Some("2022001".into()),
            shot: Some(17),
            reason: None,
            masked_name: Some("张*".into()),
            class: Some("软工\u{1b}[2J2201".into()),
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        };
        let line = style.table_line(&a);
        assert!(
            line.contains(" 17 ") && line.contains("张*") && line.contains("软工[2J2201"),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'), "{line:?}");
        let tty = Style {
            tty: true,
            colour: true,
        }
        .table_line(&a);
        assert!(tty.contains("\x1b[1;7m 17 \x1b[0m"), "{tty:?}");
    }

    #[test]
    fn a_scan_that_could_not_be_recorded_says_so() {
        let style = Style {
            tty: false,
            colour: false,
        };
        let a = Answer {
            status: NOT_RECORDED,
            student_no: None,
            shot: None,
            reason: Some(crate::ops::checkin::Reason::Said(
                "NOT recorded: the database server cannot be reached — scan again".into(),
            )),
            masked_name: None,
            class: None,
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        };
        let line = style.table_line(&a);
        assert!(
            line.contains("NOT recorded") && line.contains("scan again") && !line.contains("shot"),
            "{line}"
        );
    }
}
