//! Running the effects `update` asks for: database reads and writes on tokio tasks, searches on
//! the blocking pool. Each answer comes back to the event loop as an action. A new effect of a
//! kind replaces the one of that kind still running (gitui's `AsyncSingleJob`): only the newest
//! answer matters, and the generation in every answer lets `update` drop any that slip through.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDateTime;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::SchoolInfo;
use super::action::{Action, CodeCard, Effect, History, ReportData};
use super::roster::Roster;
use crate::code::{Keyring, QrMatrix};
use crate::export::FileKind;
use crate::i18n::tr;
use crate::ops::report_files::{self, ReportScope};
use crate::store::{AuditEntry, CodeState, GroupBy, Store, StudentFilter};

/// How many audit entries the detail pane shows.
const HISTORY_AUDIT: i64 = 50;

/// What the tasks need besides the effect itself.
pub struct Env {
    pub store: Arc<dyn Store>,
    pub school: SchoolInfo,
    pub operator: String,
    pub key_file: PathBuf,
    /// The keyring that verifies scanned codes, loaded once for the station.
    pub keys: super::sessions::Keys,
    /// Where exported reports are written.
    pub export_dir: PathBuf,
    /// The station's journals on a PostgreSQL or MySQL server (docs/console.md "Offline");
    /// `None` on a SQLite file, which has no server to lose.
    pub station: Option<Arc<super::station::ConsoleStation>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Load,
    Search,
    History,
    Code,
    Reissue,
    Retry,
    Sessions,
    Scan,
    Sync,
    Assign,
    Plan,
    Photos,
    Reports,
    Breakdown,
    Export,
    StudentsExport,
    Counts,
    Poll,
}

/// The tasks running, by kind, so a newer one can replace an older one.
#[derive(Default)]
pub struct Running {
    tasks: HashMap<Kind, Vec<AbortHandle>>,
}

impl Running {
    fn replace(&mut self, kind: Kind, handles: impl IntoIterator<Item = AbortHandle>) {
        let slot = self.tasks.entry(kind).or_default();
        // A reissue, a scan or an assignment is never cut off: each is one transaction and the
        // user is waiting for it. Nor is an export: half a file helps nobody.
        if !matches!(
            kind,
            Kind::Reissue
                | Kind::Scan
                | Kind::Sync
                | Kind::Assign
                | Kind::Export
                | Kind::StudentsExport
        ) {
            for old in slot.drain(..) {
                old.abort();
            }
        }
        slot.retain(|h| !h.is_finished());
        slot.extend(handles);
    }

    pub fn abort_all(&mut self) {
        for (_, handles) in self.tasks.drain() {
            for h in handles {
                h.abort();
            }
        }
    }
}

/// Starts the work of `effects`; `send` delivers each answer to the event loop.
pub fn start<M: Send + 'static>(
    effects: Vec<Effect>,
    env: &Env,
    running: &mut Running,
    tx: &UnboundedSender<M>,
    wrap: fn(Action) -> M,
) {
    for effect in effects {
        let send = {
            let tx = tx.clone();
            move |a: Action| {
                let _ = tx.send(wrap(a));
            }
        };
        match effect {
            Effect::Load { generation, cohort } => {
                // The first screenful is read and answered on its own before the whole roster is
                // read, so it is drawn while the rest (rows, search index) is on its way; the
                // counts are read beside them (docs/console.md, "The first screen").
                let store = env.store.clone();
                let page_send = send.clone();
                let students = spawn_query(
                    async move {
                        let page = read_first_page(store.clone(), cohort).await;
                        page_send(Action::PageLoaded {
                            generation,
                            result: page,
                        });
                        read_roster(store, cohort).await
                    },
                    move |result| Action::StudentsLoaded { generation, result },
                    send.clone(),
                );
                let store = env.store.clone();
                let counts = spawn_query(
                    async move { store.counts().await.map_err(error_text) },
                    move |result| Action::CountsLoaded { generation, result },
                    send,
                );
                running.replace(Kind::Load, students.into_iter().chain(counts));
            }
            Effect::Search {
                generation,
                index,
                query,
                previous,
            } => {
                let task = tokio::task::spawn_blocking(move || {
                    let result = index.0.search(&query, previous.as_deref());
                    send(Action::Searched {
                        generation,
                        result: Arc::new(result),
                    });
                });
                running.replace(Kind::Search, [task.abort_handle()]);
            }
            Effect::LoadHistory {
                generation,
                student_no,
                session_id,
            } => {
                let store = env.store.clone();
                let handles = spawn_query(
                    read_history(store, student_no, session_id),
                    move |result| Action::HistoryLoaded { generation, result },
                    send,
                );
                running.replace(Kind::History, handles);
            }
            Effect::LoadCode {
                generation,
                student_no,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let handles = spawn_query(
                    code_card(store, operator, student_no),
                    move |result| Action::CodeLoaded { generation, result },
                    send,
                );
                running.replace(Kind::Code, handles);
            }
            Effect::Reissue {
                generation,
                student_no,
                reason,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let school_code = env.school.code.clone();
                let key_file = env.key_file.clone();
                let handles = spawn_query(
                    async move {
                        reissue(store, key_file, school_code, operator, student_no, reason).await
                    },
                    move |result| Action::Reissued { generation, result },
                    send,
                );
                running.replace(Kind::Reissue, handles);
            }
            Effect::LoadCounts { generation } => {
                let store = env.store.clone();
                let handles = spawn_query(
                    async move { store.counts().await.map_err(error_text) },
                    move |result| Action::CountsRefreshed { generation, result },
                    send,
                );
                running.replace(Kind::Counts, handles);
            }
            Effect::PollLater { after } => {
                let task = tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    send(Action::PollDue);
                });
                running.replace(Kind::Poll, [task.abort_handle()]);
            }
            Effect::RetryLater { generation, after } => {
                let task = tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    send(Action::RetryDue { generation });
                });
                running.replace(Kind::Retry, [task.abort_handle()]);
            }
            Effect::LoadSessions { generation } => {
                let store = env.store.clone();
                let handles = spawn_query(
                    super::sessions::read_sessions(store),
                    move |result| Action::SessionsLoaded { generation, result },
                    send,
                );
                running.replace(Kind::Sessions, handles);
            }
            Effect::Scan {
                id,
                session_id,
                line,
                station,
                allow_walk_in,
                retake_reason,
            } => {
                let store = env.store.clone();
                let keys = env.keys.clone();
                let scan = super::sessions::ScanRequest {
                    session_id,
                    line,
                    station,
                    operator: env.operator.clone(),
                    allow_walk_in,
                    retake_reason,
                };
                let handles = match env.station.clone() {
                    // journaled before the answer is sent back when the server is away
                    Some(here) => spawn_query(
                        async move { Ok(here.scan(store, keys, scan).await) },
                        move |result| match result {
                            Ok(scan) => Action::StationScanned {
                                id,
                                scan: Box::new(scan),
                            },
                            Err(e) => Action::Scanned { id, result: Err(e) },
                        },
                        send,
                    ),
                    None => spawn_query(
                        super::sessions::scan(store, keys, scan),
                        move |result| Action::Scanned { id, result },
                        send,
                    ),
                };
                running.replace(Kind::Scan, handles);
            }
            Effect::SyncLater { after } => {
                let Some(here) = env.station.clone() else {
                    continue;
                };
                let store = env.store.clone();
                let keys = env.keys.clone();
                let task = tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let report = here.sync(store, keys).await;
                    send(Action::Synced {
                        report: Box::new(report),
                    });
                });
                running.replace(Kind::Sync, [task.abort_handle()]);
            }
            Effect::Assign {
                session_id,
                college,
                class,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let handles = spawn_query(
                    async move {
                        let selection = crate::store::StudentSelection {
                            student_nos: Vec::new(),
                            college,
                            class,
                        };
                        store
                            .assign(session_id, &selection, &operator)
                            .await
                            .map_err(error_text)
                    },
                    move |result| Action::Assigned { result },
                    send,
                );
                running.replace(Kind::Assign, handles);
            }
            Effect::Plan {
                generation,
                request,
                create,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let handles = spawn_query(
                    super::sessions::plan(store, request, create, operator),
                    move |result| Action::Planned { generation, result },
                    send,
                );
                running.replace(Kind::Plan, handles);
            }
            Effect::LoadPhotos { generation } => {
                let handles = spawn_query(
                    super::photos::read_photos(env.store.clone()),
                    move |result| Action::PhotosLoaded {
                        generation,
                        result: result.map(Arc::new),
                    },
                    send,
                );
                running.replace(Kind::Photos, handles);
            }
            Effect::LoadReports { generation, cohort } => {
                let store = env.store.clone();
                let handles = spawn_query(
                    async move {
                        let colleges = store
                            .completion(GroupBy::College, cohort)
                            .await
                            .map_err(error_text)?;
                        let daily = store.daily_progress(None).await.map_err(error_text)?;
                        Ok(ReportData { colleges, daily })
                    },
                    move |result| Action::ReportsLoaded { generation, result },
                    send,
                );
                running.replace(Kind::Reports, handles);
            }
            Effect::LoadBreakdown {
                generation,
                college,
                by,
                cohort,
            } => {
                let store = env.store.clone();
                let name = college.clone();
                let groups = spawn_query(
                    async move {
                        store
                            .completion_in_college(by, &name, cohort)
                            .await
                            .map_err(error_text)
                    },
                    move |result| Action::BreakdownLoaded { generation, result },
                    send.clone(),
                );
                // the chart inside a college counts that college
                let store = env.store.clone();
                let daily = spawn_query(
                    async move {
                        store
                            .daily_progress(Some(&college))
                            .await
                            .map_err(error_text)
                    },
                    move |result| Action::CollegeDailyLoaded { generation, result },
                    send,
                );
                running.replace(Kind::Breakdown, groups.into_iter().chain(daily));
            }
            Effect::ExportStudents {
                generation,
                roster,
                view,
                kind,
                name,
                what,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let dir = env.export_dir.clone();
                let handles = spawn_query(
                    async move {
                        let stem = file_stem("students", &name);
                        let path = new_file(&dir, &stem, kind, chrono::Local::now().naive_local())?;
                        let rows: Vec<crate::store::StudentRow> = view
                            .iter()
                            .filter_map(|&i| roster.rows.get(i as usize).cloned())
                            .collect();
                        report_files::export_student_list(
                            store.as_ref(),
                            &crate::words::reports::Words,
                            &operator,
                            &path,
                            &rows,
                            &what,
                        )
                        .await
                        .map_err(|e| crate::config::one_line(&format!("{e:#}")))?;
                        Ok((path, rows.len()))
                    },
                    move |result| Action::StudentsExported { generation, result },
                    send,
                );
                running.replace(Kind::StudentsExport, handles);
            }
            Effect::ExportReport {
                generation,
                scope,
                groups,
                kind,
            } => {
                let store = env.store.clone();
                let operator = env.operator.clone();
                let dir = env.export_dir.clone();
                let handles = spawn_query(
                    async move {
                        let path =
                            export_path(&dir, &scope, kind, chrono::Local::now().naive_local())?;
                        report_files::export_completion(
                            store.as_ref(),
                            &crate::words::reports::Words,
                            &operator,
                            &path,
                            &scope,
                            &groups,
                        )
                        .await
                        .map_err(|e| crate::config::one_line(&format!("{e:#}")))?;
                        Ok(path)
                    },
                    move |result| Action::ReportExported { generation, result },
                    send,
                );
                running.replace(Kind::Export, handles);
            }
        }
    }
}

/// A new file in `dir` (made if missing) for the report of `scope`, named by what it holds and
/// when: `report-class-计算机学院-20260301-093000.xlsx`.
pub fn export_path(
    dir: &Path,
    scope: &ReportScope,
    kind: FileKind,
    now: NaiveDateTime,
) -> Result<PathBuf, String> {
    let by = format!("{:?}", scope.by).to_lowercase();
    let stem = file_stem(
        &format!("report-{by}"),
        scope.college.as_deref().unwrap_or(""),
    );
    new_file(dir, &stem, kind, now)
}

/// `base` and, when not empty, `what` as a file name part: no separators, control characters
/// or dots from the data (`students-张颖-未签到`).
pub fn file_stem(base: &str, what: &str) -> String {
    let safe: String = what
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if safe.is_empty() {
        base.to_string()
    } else {
        format!("{base}-{safe}")
    }
}

/// A new file `<stem>-<time>.<ext>` in `dir` (made if missing); two in one second get their own.
pub fn new_file(
    dir: &Path,
    stem: &str,
    kind: FileKind,
    now: NaiveDateTime,
) -> Result<PathBuf, String> {
    // 0700 when new, as the data folder: the files in it name students
    crate::files::create_private_dir(dir).map_err(|e| {
        format!(
            "{} {}: {e}",
            tr("无法创建导出文件夹", "cannot create the export folder"),
            dir.display()
        )
    })?;
    let name = format!("{stem}{}", now.format("-%Y%m%d-%H%M%S"));
    let ext = if kind == FileKind::Csv { "csv" } else { "xlsx" };
    let mut path = dir.join(format!("{name}.{ext}"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{name}-{n}.{ext}"));
    }
    Ok(path)
}

/// A student's history for the detail pane: codes, check-ins and the sessions involved, photo
/// files and the audit trail.
pub async fn read_history(
    store: Arc<dyn Store>,
    student_no: String,
    assigned: Option<i64>,
) -> Result<History, String> {
    let codes = store.student_codes(&student_no).await.map_err(error_text)?;
    let audit = store
        .audit_log(Some(&student_no), HISTORY_AUDIT)
        .await
        .map_err(error_text)?;
    let checkins = store
        .student_checkins(&student_no)
        .await
        .map_err(error_text)?;
    let photos = store
        .list_photos(&crate::store::PhotoFilter {
            student_no: Some(student_no.clone()),
            ..Default::default()
        })
        .await
        .map_err(error_text)?;
    let mut ids: Vec<i64> = checkins.iter().map(|k| k.session_id).collect();
    ids.extend(assigned);
    ids.sort_unstable();
    ids.dedup();
    let mut sessions = Vec::new();
    for id in ids {
        if let Some(s) = store.session(id).await.map_err(error_text)? {
            sessions.push(s);
        }
    }
    Ok(History {
        codes: codes.map(|(_, c)| c).unwrap_or_default(),
        audit,
        checkins,
        sessions,
        photos,
        student_no,
    })
}

/// Reads the students of `cohort` (every cohort with `None`) and indexes them for search.
/// The most rows of the first page: more than any terminal shows at once.
pub const FIRST_PAGE: u32 = 200;

/// The first students of `read_roster`, in the same order: what the list starts with.
pub async fn read_first_page(
    store: Arc<dyn Store>,
    cohort: Option<i32>,
) -> Result<Vec<crate::store::StudentRow>, String> {
    let filter = StudentFilter {
        cohort,
        ..StudentFilter::default()
    };
    store
        .first_students(&filter, FIRST_PAGE)
        .await
        .map_err(error_text)
}

pub async fn read_roster(store: Arc<dyn Store>, cohort: Option<i32>) -> Result<Roster, String> {
    let filter = StudentFilter {
        cohort,
        ..StudentFilter::default()
    };
    let rows = store.list_students(&filter).await.map_err(error_text)?;
    // indexing 100,000 names takes a moment: not on the async workers
    let roster = tokio::task::spawn_blocking(move || Roster::new(rows))
        .await
        .map_err(|_| crashed())?;
    // The name order is only needed when the user sorts by name; work it out now in the
    // background, so that key press does not wait for a sort of the whole roster.
    let index = roster.index.clone();
    tokio::task::spawn_blocking(move || {
        index.name_order();
    });
    Ok(roster)
}

pub(super) fn error_text(e: crate::store::StoreError) -> String {
    crate::config::one_line(&e.to_string())
}

pub(super) fn crashed() -> String {
    tr(
        "内部错误：后台任务崩溃了，详见日志",
        "internal error: a background task crashed; see the log",
    )
    .to_string()
}

/// A student's codes with the QR of the active one. Showing a code is audited first: when the
/// audit entry cannot be written, the code is not shown.
async fn code_card(
    store: Arc<dyn Store>,
    operator: String,
    student_no: String,
) -> Result<Box<CodeCard>, String> {
    let Some((student, codes)) = store.student_codes(&student_no).await.map_err(error_text)? else {
        return Err(format!(
            "{} {student_no}",
            tr("名单里没有学号", "no student with student no.")
        ));
    };
    let active = codes.iter().find(|c| c.state == CodeState::Active);
    let qr = active.map(|c| QrMatrix::encode(&c.token).map_err(|e| e.to_string()));
    if let Some(code) = active {
        store
            .audit(&AuditEntry {
                operator,
                action: "show".into(),
                student_no: Some(student_no.clone()),
                detail: format!("console code window, serial {}", code.serial),
            })
            .await
            .map_err(error_text)?;
    }
    Ok(Box::new(CodeCard { student, codes, qr }))
}

/// Revokes the active code and issues a new one with the keyring's current key.
async fn reissue(
    store: Arc<dyn Store>,
    key_file: PathBuf,
    school_code: String,
    operator: String,
    student_no: String,
    reason: String,
) -> Result<i64, String> {
    let keyring = Keyring::load(&key_file).map_err(|e| e.to_string())?;
    let issuer = crate::ops::codes::Issuer {
        keyring: &keyring,
        school_code: &school_code,
        operator: &operator,
    };
    let (_, new) = issuer
        .reissue(store.as_ref(), &student_no, &reason)
        .await
        .map_err(|e| match e {
            crate::ops::codes::CodeOpError::Store(e) => error_text(e),
            other => other.to_string(),
        })?;
    Ok(new.serial)
}

/// Runs one query on a task and sends its answer back as an action. A panic in the query
/// becomes an error message instead of a silent hang. The handle stops only the answer: a
/// newer task that replaces this one drops its answer, while the query itself runs to its end,
/// because a store call cut off halfway can leave its pooled connection stuck or out of step
/// with the server (docs/sessions.md, "Sends given up on").
fn spawn_query<T, F>(
    query: F,
    answer: impl FnOnce(Result<T, String>) -> Action + Send + 'static,
    send: impl FnOnce(Action) + Send + 'static,
) -> [AbortHandle; 1]
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, String>> + Send + 'static,
{
    let inner = tokio::spawn(query);
    let outer = tokio::spawn(async move {
        let result = match inner.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(crashed()),
            Err(_) => return, // the runtime is shutting down
        };
        send(answer(result));
    });
    [outer.abort_handle()]
}
