//! The Check-in screen's offline station (docs/console.md "Offline"): on a PostgreSQL or
//! MySQL server a scan the server does not answer is verified with the key file, looked up in
//! the station cache and written to the station journal before its answer is shown, with the
//! command line's code (`crate::ops::station`, docs/sessions.md "Offline stations"); the
//! journal is sent by the same sync once the server answers again. Runs on the tasks, never on
//! the drawing thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::sessions::{Keys, ScanRequest};
use crate::i18n::{Lang, lang, tr};
use crate::ops::checkin::{Answer, ScanStatus, Sessions, answer_stamped};
use crate::ops::station::journal;
use crate::ops::station::sync::{StoreLink, SyncEnd, detached, lock, send_pending};
use crate::ops::station::{Cache, Fate, Journal, Scanner, answer_offline, new_nonce};
use crate::store::{SessionRow, Stamp, Store, StoreError};

/// What the screen hears after a scan at a station that journals.
#[derive(Debug, Clone, PartialEq)]
pub struct StationScan {
    /// `Err`: the scan was NOT recorded (neither by the server nor in the journal).
    pub result: Result<Answer, String>,
    /// The provisional label of a queued scan (`B-017`).
    pub label: Option<String>,
    pub offline: bool,
    /// Scans waiting in the journals.
    pub waiting: usize,
}

/// What a sync of the journals did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    /// Scans the server checked in.
    pub synced: usize,
    /// One line per scan the server did not take: label, student, why.
    pub conflicts: Vec<String>,
    /// The fate of each scan sent, by its label: the shot, or the conflict's status.
    pub fates: Vec<(String, Result<i32, ScanStatus>)>,
    /// Scans still waiting (the server went away again).
    pub waiting: usize,
    pub offline: bool,
    /// Why the sync stopped, when it was not the server going away (a full disk…).
    pub error: Option<String>,
}

/// The console's station on a server: its journals and caches, one per session scanned into.
pub struct ConsoleStation {
    dir: PathBuf,
    letter: char,
    journals: Mutex<HashMap<i64, Arc<Mutex<Journal>>>>,
    caches: Mutex<HashMap<i64, Cache>>,
    offline: AtomicBool,
}

fn lock_any<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn text(e: &(dyn std::error::Error + 'static)) -> String {
    crate::config::one_line(&crate::words::cause_line(e))
}

fn not_recorded(e: String) -> String {
    format!(
        "{} — {e}",
        tr("未记录，请重新扫描", "NOT recorded, scan again")
    )
}

impl ConsoleStation {
    /// A station keeping its journals in `dir` (`<data dir>/station`), labelling with `letter`.
    pub fn new(dir: PathBuf, letter: char) -> ConsoleStation {
        ConsoleStation {
            dir,
            letter,
            journals: Mutex::new(HashMap::new()),
            caches: Mutex::new(HashMap::new()),
            offline: AtomicBool::new(false),
        }
    }

    fn journal(
        &self,
        session: i64,
    ) -> Result<Arc<Mutex<Journal>>, crate::ops::station::StationError> {
        let mut journals = lock_any(&self.journals);
        if let Some(j) = journals.get(&session) {
            return Ok(j.clone());
        }
        let j = Arc::new(Mutex::new(Journal::open(&self.dir, session)?));
        journals.insert(session, j.clone());
        Ok(j)
    }

    /// Scans waiting in journals an earlier run left (a killed or closed station), not yet
    /// opened by this one: read without locking, so the screen can say so at once.
    pub fn leftovers(&self) -> usize {
        let open: Vec<i64> = lock_any(&self.journals).keys().copied().collect();
        crate::ops::station::journal::sessions_in(&self.dir)
            .into_iter()
            .filter(|s| !open.contains(s))
            .filter_map(|s| journal::read(&journal::path_for(&self.dir, s)).ok())
            .map(|(entries, _)| entries.iter().filter(|e| e.fate.is_none()).count())
            .sum()
    }

    /// Opens the journals an earlier run left with scans waiting, so the next sync sends them
    /// (docs/sessions.md "Offline stations": a killed station's journal is sent at the next
    /// start). A journal another station on this machine holds is its to send.
    fn open_leftovers(&self) {
        for session in journal::sessions_in(&self.dir) {
            if lock_any(&self.journals).contains_key(&session) {
                continue;
            }
            let waiting = journal::read(&journal::path_for(&self.dir, session))
                .is_ok_and(|(entries, _)| entries.iter().any(|e| e.fate.is_none()));
            if !waiting {
                continue;
            }
            match Journal::open(&self.dir, session) {
                Ok(j) => {
                    lock_any(&self.journals).insert(session, Arc::new(Mutex::new(j)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, session, "station journal left for its station")
                }
            }
        }
    }

    /// Scans waiting in every journal opened.
    pub fn waiting(&self) -> usize {
        let journals: Vec<_> = lock_any(&self.journals).values().cloned().collect();
        journals.iter().map(|j| lock(j).pending_count()).sum()
    }

    fn done(&self, result: Result<Answer, String>, label: Option<String>) -> StationScan {
        StationScan {
            result,
            label,
            offline: self.offline.load(Ordering::SeqCst),
            waiting: self.waiting(),
        }
    }

    /// Reads the session's cache again from the server; a failure keeps the one there is.
    async fn refresh(&self, store: &Arc<dyn Store>, session: &SessionRow) {
        let (store, dir, row) = (store.clone(), self.dir.clone(), session.clone());
        let read = detached(async move { Cache::refresh(store.as_ref(), &dir, &row).await });
        match read.await {
            Ok(c) => {
                lock_any(&self.caches).insert(session.id, c);
            }
            Err(e) => tracing::warn!(error = %e, "station cache not refreshed"),
        }
    }

    /// Answers one scan: by the server while it answers and nothing waits, else from the
    /// journal (docs/sessions.md "Offline stations").
    pub async fn scan(&self, store: Arc<dyn Store>, keys: Keys, req: ScanRequest) -> StationScan {
        let journal = match self.journal(req.session_id) {
            Ok(j) => j,
            Err(e) => return self.done(Err(not_recorded(text(&e))), None),
        };
        let nonce = match new_nonce() {
            Ok(n) => n,
            Err(e) => return self.done(Err(not_recorded(text(&e))), None),
        };
        let online = !self.offline.load(Ordering::SeqCst) && lock(&journal).pending_count() == 0;
        if online {
            match self.scan_online(&store, &keys, &req, &nonce).await {
                Ok(a) => return self.done(Ok(a), None),
                Err(e) if !lost(&e) => return self.done(Err(not_recorded(text(&e))), None),
                // lost or too slow: journaled with the nonce it was sent with, so a check-in
                // that got through after all is found when the journal is sent, not doubled
                Err(_) => self.offline.store(true, Ordering::SeqCst),
            }
        }
        let cache = {
            let known = lock_any(&self.caches).get(&req.session_id).cloned();
            match known {
                Some(c) => Some(c),
                None => Cache::load(&self.dir, req.session_id).ok().flatten(),
            }
        };
        let scanner = Scanner {
            keys: &keys,
            letter: self.letter,
            station: &req.station,
            operator: &req.operator,
            allow_walk_in: req.allow_walk_in,
            retake_reason: req.retake_reason.as_deref(),
            session: req.session_id,
        };
        let answered = answer_offline(
            &mut lock(&journal),
            cache.as_ref(),
            &scanner,
            &req.line,
            &nonce,
        );
        match answered {
            Ok(a) => self.done(Ok(a.answer), a.label),
            Err(e) => self.done(Err(not_recorded(text(&e))), None),
        }
    }

    async fn scan_online(
        &self,
        store: &Arc<dyn Store>,
        keys: &Keys,
        req: &ScanRequest,
        nonce: &str,
    ) -> Result<Answer, StoreError> {
        let (server, keys, req, nonce) =
            (store.clone(), keys.clone(), req.clone(), nonce.to_string());
        let (a, session) = detached(async move {
            let store = server;
            let session = store
                .session(req.session_id)
                .await?
                .ok_or(StoreError::NoSuchSession(req.session_id))?;
            let station = req.station(&keys);
            let stamp = Stamp::queued(crate::clock::now(), &nonce, None);
            let mut names = Sessions::new(store.as_ref());
            let a = answer_stamped(
                store.as_ref(),
                &mut names,
                &session,
                &req.line,
                &station,
                &stamp,
            )
            .await?;
            Ok::<_, StoreError>((a, session))
        })
        .await?;
        let cached = lock_any(&self.caches).contains_key(&session.id);
        if !cached {
            // what an offline answer knows, read while the server answers
            self.refresh(store, &session).await;
        } else if let (Some(no), Some(shot)) = (&a.student_no, a.shot)
            && let Some(c) = lock_any(&self.caches).get_mut(&session.id)
        {
            c.note_shot(no, shot);
        }
        Ok(a)
    }

    /// Sends every waiting scan with the command line's sync; each conflict becomes a line.
    pub async fn sync(&self, store: Arc<dyn Store>, keys: Keys) -> SyncReport {
        self.open_leftovers();
        let journals: Vec<(i64, Arc<Mutex<Journal>>)> = lock_any(&self.journals)
            .iter()
            .map(|(id, j)| (*id, j.clone()))
            .collect();
        let mut report = SyncReport::default();
        let mut gone = false;
        if journals.iter().all(|(_, j)| lock(j).pending_count() == 0) {
            // nothing to send: only whether the server answers again
            let s = store.clone();
            gone = detached(async move { s.server_now().await }).await.is_err();
        }
        for (session, journal) in journals {
            if lock(&journal).pending_count() == 0 {
                continue;
            }
            let mut synced = 0;
            let mut conflicts = Vec::new();
            let mut fates = Vec::new();
            let end = send_pending(
                &StoreLink::new(store.clone(), keys.clone()),
                &journal,
                |scan, fate| match fate {
                    Fate::Synced { shot } => {
                        synced += 1;
                        fates.push((scan.label.clone(), Ok(*shot)));
                    }
                    Fate::Conflict { cause, reason } => {
                        let cause = ScanStatus::from_code(cause);
                        fates.push((scan.label.clone(), Err(cause)));
                        conflicts.push(format!(
                            "{} {} {}: {} — {}",
                            scan.label,
                            scan.masked_name,
                            scan.class.as_deref().unwrap_or(""),
                            crate::words::checkin::status_label(cause),
                            crate::words::checkin::reason_words(
                                reason,
                                &crate::words::checkin::Hints::sync()
                            )
                        ));
                    }
                },
            )
            .await;
            report.synced += synced;
            report.conflicts.extend(conflicts);
            report.fates.extend(fates);
            match end {
                Ok(SyncEnd::Done) => {
                    let (s, id) = (store.clone(), session);
                    if let Ok(Some(row)) = detached(async move { s.session(id).await }).await {
                        self.refresh(&store, &row).await;
                    }
                }
                Ok(SyncEnd::Offline(_)) => gone = true,
                Err(e) => {
                    gone = true;
                    report.error = Some(text(&e));
                }
            }
        }
        self.offline.store(gone, Ordering::SeqCst);
        report.offline = gone;
        report.waiting = self.waiting();
        report
    }
}

/// Whether a failed online scan means the server is away (lost, or too slow).
fn lost(e: &StoreError) -> bool {
    e.is_connection_lost() || matches!(e, StoreError::Connect { .. })
}

/// The notice a sync leaves on the screen.
pub fn sync_notice(report: &SyncReport) -> String {
    match lang() {
        Lang::Zh => format!(
            "离线扫码已上传：签到 {} 条，冲突 {} 条",
            report.synced,
            report.conflicts.len()
        ),
        Lang::En => format!(
            "queued scans sent: {} checked in, {} conflicts",
            report.synced,
            report.conflicts.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{CodePayload, Keyring, issue};
    use crate::ops::checkin::StationKeys;

    /// A SQLite school with a key file and one student's code (the student has no session).
    async fn school() -> (
        tempfile::TempDir,
        Arc<dyn Store>,
        Keys,
        crate::domain::Student,
        String,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
        let store: Arc<dyn Store> = Arc::from(
            crate::store::open(&url, crate::store::Create::IfMissing)
                .await
                .unwrap(),
        );
        let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
        let student = crate::demo::generate(1, 1, 2026).students.remove(0);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let token = issue(
            &CodePayload::for_student(7, &student, "4111010001", day),
            &ring,
        )
        .unwrap()
        .text;
        let keys: Keys = Arc::new(StationKeys::load(&dir.path().join("caiji.keys")));
        (dir, store, keys, student, token)
    }

    fn request(session_id: i64, line: &str) -> ScanRequest {
        ScanRequest {
            session_id,
            line: line.into(),
            station: "A1".into(),
            operator: "zhanglaoshi".into(),
            allow_walk_in: false,
            retake_reason: None,
        }
    }

    /// Offline, a scan is journaled (on disk before the answer) and answered `queued` with its
    /// label; the same student again answers `already` with it; the sync sends it with the
    /// command line's code and its conflict (the session is gone) comes back as a line, with
    /// nothing left waiting and the station online again.
    #[tokio::test]
    async fn offline_scans_are_journaled_labelled_and_synced() {
        let (dir, store, keys, student, token) = school().await;
        let here = ConsoleStation::new(dir.path().join("station"), 'B');
        here.offline.store(true, Ordering::SeqCst);

        let first = here
            .scan(store.clone(), keys.clone(), request(99, &token))
            .await;
        let a = first.result.as_ref().unwrap();
        assert_eq!(a.status, crate::ops::station::QUEUED);
        assert_eq!(first.label.as_deref(), Some("B-001"));
        assert_eq!((first.offline, first.waiting), (true, 1));
        assert_ne!(a.masked_name.as_deref(), Some(student.name.as_str()));
        let on_disk =
            std::fs::read_to_string(dir.path().join("station/session-99.journal")).unwrap();
        assert!(on_disk.contains("\"B-001\""), "{on_disk}");

        let again = here
            .scan(store.clone(), keys.clone(), request(99, &token))
            .await;
        assert_eq!(again.result.as_ref().unwrap().status, ScanStatus::Already);
        assert_eq!(again.label.as_deref(), Some("B-001"));
        assert_eq!(again.waiting, 1);

        let report = here.sync(store.clone(), keys.clone()).await;
        assert_eq!(
            (report.synced, report.waiting, report.offline),
            (0, 0, false)
        );
        assert_eq!(
            report.fates,
            vec![("B-001".to_string(), Err(ScanStatus::Invalid))]
        );
        assert_eq!(report.conflicts.len(), 1);
        assert!(
            report.conflicts[0].starts_with("B-001 "),
            "{:?}",
            report.conflicts
        );
        assert!(!here.offline.load(Ordering::SeqCst));
    }

    /// A journal an earlier run left with a scan waiting (the console was killed while
    /// offline) is counted by the next console at once and sent by its first sync, with no
    /// scan into that session needed.
    #[tokio::test]
    async fn a_journal_left_by_an_earlier_run_is_sent_by_the_next_start() {
        let (dir, store, keys, _, token) = school().await;
        {
            let earlier = ConsoleStation::new(dir.path().join("station"), 'B');
            earlier.offline.store(true, Ordering::SeqCst);
            let queued = earlier
                .scan(store.clone(), keys.clone(), request(99, &token))
                .await;
            assert_eq!(queued.label.as_deref(), Some("B-001"));
        }
        let next = ConsoleStation::new(dir.path().join("station"), 'B');
        assert_eq!((next.leftovers(), next.waiting()), (1, 0));
        let report = next.sync(store.clone(), keys.clone()).await;
        assert_eq!(
            report.fates,
            vec![("B-001".to_string(), Err(ScanStatus::Invalid))]
        );
        assert_eq!((report.waiting, next.leftovers()), (0, 0));
    }
}
