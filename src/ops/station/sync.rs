//! Sending a station journal to the server (docs/sessions.md "Offline stations"): the waiting
//! scans in order, each with its nonce, so that a send that was cut and is sent again counts
//! once. The server gives each scan its real shot number or a conflict, which is written to the
//! journal (synced) before it is reported.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StationError;
use super::journal::{Fate, Journal, Scan};
use super::station_now;
use crate::ops::checkin::{Answer, Reason, Sessions, Station, StationKeys, answer_stamped};
use crate::store::{SessionRow, Stamp, Store, StoreError};

/// What a call to the server fails with.
type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long one send may take before the server counts as unreachable (the nonce makes a send
/// that was given up on safe to repeat).
pub const SEND_WITHIN: Duration = Duration::from_secs(4);

/// Scans of a journal on their way to the server at once. Each student is in a journal's
/// waiting scans at most once, so sends side by side never race each other for one student; the
/// server hands out shot numbers in the order it takes them.
pub const IN_FLIGHT: usize = 8;

/// What the sync needs of the server: a narrow door, so that tests can put faults in it.
#[async_trait]
pub trait Uplink: Send + Sync {
    async fn session(&self, id: i64) -> Result<Option<SessionRow>>;
    async fn server_now(&self) -> Result<DateTime<Utc>>;
    /// Checks one queued scan in with its nonce, as the station would have online.
    async fn send(&self, session: &SessionRow, scan: &Scan, at: DateTime<Utc>) -> Result<Answer>;
}

/// The server behind a store, with the station's keys. Every call runs on a task of its own
/// (`detached`).
pub struct StoreLink {
    store: Arc<dyn Store>,
    keys: Arc<StationKeys>,
}

impl StoreLink {
    pub fn new(store: Arc<dyn Store>, keys: Arc<StationKeys>) -> StoreLink {
        StoreLink { store, keys }
    }
}

/// Store work run to its end on a task of its own and waited for at most `SEND_WITHIN`; given
/// up on, it goes on unheard. A database call dropped halfway can leave its pooled connection
/// stuck or out of step with the server (sqlx's MySQL driver does when a call is dropped while
/// its statement is being prepared), while a whole call is safe to make again: a scan's nonce
/// answers its first result.
pub async fn detached<T, E, F>(work: F) -> Result<T, E>
where
    F: std::future::Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    match tokio::time::timeout(SEND_WITHIN, tokio::spawn(work)).await {
        Ok(Ok(r)) => r,
        // the task panicked or its runtime is shutting down
        Ok(Err(_)) => Err(StoreError::Query(sqlx::Error::WorkerCrashed).into()),
        Err(_) => Err(StoreError::Query(sqlx::Error::PoolTimedOut).into()),
    }
}

#[async_trait]
impl Uplink for StoreLink {
    async fn session(&self, id: i64) -> Result<Option<SessionRow>> {
        let store = self.store.clone();
        detached(async move { store.session(id).await }).await
    }

    async fn server_now(&self) -> Result<DateTime<Utc>> {
        let store = self.store.clone();
        detached(async move { store.server_now().await }).await
    }

    async fn send(&self, session: &SessionRow, scan: &Scan, at: DateTime<Utc>) -> Result<Answer> {
        let (store, keys) = (self.store.clone(), self.keys.clone());
        let (session, scan) = (session.clone(), scan.clone());
        detached(async move {
            let station = Station {
                keys: &keys,
                name: &scan.station,
                operator: &scan.operator,
                allow_walk_in: scan.allow_walk_in,
                retake_reason: scan.retake_reason.as_deref(),
            };
            let mut sessions = Sessions::new(store.as_ref());
            let stamp = Stamp::queued(at, &scan.nonce, Some(&scan.label));
            answer_stamped(
                store.as_ref(),
                &mut sessions,
                &session,
                &scan.token,
                &station,
                &stamp,
            )
            .await
        })
        .await
    }
}

/// How a sync ended.
#[derive(Debug)]
pub enum SyncEnd {
    /// Every scan has its fate.
    Done,
    /// The server went away (again); the rest waits.
    Offline(StoreError),
}

/// A server answer as a journal fate.
pub fn fate_of(answer: &Answer) -> Fate {
    match (answer.status, answer.shot) {
        (crate::ops::checkin::ScanStatus::CheckedIn, Some(shot)) => Fate::Synced { shot },
        (status, _) => Fate::Conflict {
            cause: status.code().to_string(),
            reason: answer
                .reason
                .clone()
                .unwrap_or_else(|| Reason::Said(status.code().to_string())),
        },
    }
}

fn unreachable_or(err: StationError) -> Result<SyncEnd, StationError> {
    match err {
        StationError::Store(e) if e.is_connection_lost() => Ok(SyncEnd::Offline(e)),
        other => Err(other),
    }
}

/// `work`, given up as unreachable after `SEND_WITHIN`.
async fn within<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(SEND_WITHIN, work).await {
        Ok(r) => r,
        Err(_) => Err(StoreError::Query(sqlx::Error::PoolTimedOut)),
    }
}

/// Sends every waiting scan of `journal`, in order, scans queued meanwhile included; `each`
/// hears every fate once it is in the journal. An error that is not the server going away
/// (a full disk, a refused statement) stops the sync and is returned.
///
/// The future is boxed as `Send` so that a station can run it on a task of its own.
pub fn send_pending<'a>(
    link: &'a dyn Uplink,
    journal: &'a Mutex<Journal>,
    each: impl FnMut(&Scan, &Fate) + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<SyncEnd, StationError>> + Send + 'a>>
{
    Box::pin(send_all(link, journal, each))
}

async fn send_all(
    link: &dyn Uplink,
    journal: &Mutex<Journal>,
    each: impl FnMut(&Scan, &Fate) + Send,
) -> Result<SyncEnd, StationError> {
    let end = send_passes(link, journal, each).await;
    // The fates are written as they come and reach the disk together here.
    lock(journal).flush()?;
    end
}

async fn send_passes(
    link: &dyn Uplink,
    journal: &Mutex<Journal>,
    mut each: impl FnMut(&Scan, &Fate) + Send,
) -> Result<SyncEnd, StationError> {
    use futures_util::stream::{self, StreamExt};
    let mut session: Option<Option<SessionRow>> = None;
    loop {
        let pending = lock(journal).pending();
        let Some(first) = pending.first() else {
            return Ok(SyncEnd::Done);
        };
        if session.is_none() {
            session = match within(link.session(first.session)).await {
                Ok(s) => Some(s),
                Err(e) => return unreachable_or(e.into()),
            };
        }
        let row = session.as_ref().and_then(Option::as_ref);
        // The station's clock may be off: the journal's times are moved by the difference
        // measured now, and never past the server's now.
        let server_now = match within(link.server_now()).await {
            Ok(t) => t,
            Err(e) => return unreachable_or(e.into()),
        };
        let offset = server_now - station_now();
        // Once a send fails, the sends not yet started are not made; the ones on their way are
        // waited for rather than dropped halfway through (a statement cut off by its caller
        // can leave its connection inside a transaction). Their scans stay waiting and are
        // answered by their nonces at the next sync.
        let stop = std::sync::atomic::AtomicBool::new(false);
        let stop = &stop;
        // Sent in journal order, `IN_FLIGHT` at a time, and answered in that order.
        let mut answers = stream::iter(pending.into_iter().map(|scan| async move {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return (scan, None);
            }
            let fate = match row {
                Some(row) => {
                    let at = (scan.at + offset).min(server_now);
                    within(link.send(row, &scan, at))
                        .await
                        .map(|answer| fate_of(&answer))
                }
                None => Ok(Fate::Conflict {
                    cause: "invalid".into(),
                    reason: Reason::NoSuchSession {
                        session: scan.session,
                    },
                }),
            };
            if fate.is_err() {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            (scan, Some(fate))
        }))
        .buffered(IN_FLIGHT);
        let mut failed = None;
        while let Some((scan, fate)) = answers.next().await {
            let fate = match (fate, &failed) {
                (Some(Ok(f)), None) => f,
                (Some(Err(e)), None) => {
                    failed = Some(StationError::Store(e));
                    continue;
                }
                // after a failure: not sent, or sent and answered again at the next sync
                _ => continue,
            };
            crate::store::test_hold("station_sync_sent").await;
            if let Err(e) = lock(journal).add_fate(scan.seq, fate.clone()) {
                failed = Some(e);
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                continue;
            }
            each(&scan, &fate);
        }
        if let Some(e) = failed {
            return unreachable_or(e);
        }
    }
}

/// The journal, even after a panic elsewhere left its lock poisoned (every write is whole).
pub fn lock(journal: &Mutex<Journal>) -> std::sync::MutexGuard<'_, Journal> {
    journal
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
