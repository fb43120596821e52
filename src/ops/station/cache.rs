//! The station cache (docs/sessions.md "Offline stations"): what an offline station knows of
//! its session, written `0600` under `<data dir>/station/` whenever the server answers. It
//! holds the session, its students as masked name and class (never a full name or ID number)
//! with their shot if checked in, and the serials of revoked codes, as of `refreshed_at`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{FileStep, Result, StationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::mask_name;
use crate::store::{SessionRow, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CachedSession {
    id: i64,
    title: String,
    location: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: i32,
    stations: i32,
    makeup: bool,
    assigned: i64,
    checked_in: i64,
    created_at: DateTime<Utc>,
}

/// A student of the session, as the cache keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedStudent {
    pub student_no: String,
    pub masked_name: String,
    pub class: String,
    /// On the session's list (not only checked in there as a walk-in).
    pub assigned: bool,
    pub shot: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheFile {
    session: CachedSession,
    refreshed_at: DateTime<Utc>,
    students: Vec<CachedStudent>,
    revoked: Vec<i64>,
}

/// The cache of one session, loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub session: SessionRow,
    pub refreshed_at: DateTime<Utc>,
    students: HashMap<String, CachedStudent>,
    revoked: HashSet<i64>,
}

/// Where the cache of `session` lives.
pub fn path_for(dir: &Path, session: i64) -> PathBuf {
    dir.join(format!("session-{session}.cache.json"))
}

impl Cache {
    pub fn student(&self, student_no: &str) -> Option<&CachedStudent> {
        self.students.get(student_no)
    }

    pub fn is_revoked(&self, serial: u64) -> bool {
        i64::try_from(serial).is_ok_and(|s| self.revoked.contains(&s))
    }

    /// A shot this station learnt since the refresh (its own check-ins, synced scans).
    pub fn note_shot(&mut self, student_no: &str, shot: i32) {
        if let Some(s) = self.students.get_mut(student_no) {
            s.shot = Some(shot);
        }
    }

    pub fn student_count(&self) -> usize {
        self.students.len()
    }

    /// Reads the session's students and the revocation list from the server and writes them to
    /// the cache file (`0600`, replaced whole).
    pub async fn refresh(store: &dyn Store, dir: &Path, session: &SessionRow) -> Result<Cache> {
        let students = store.session_students(session.id).await?;
        let revoked = store.revoked_serials().await?;
        let file = CacheFile {
            session: CachedSession {
                id: session.id,
                title: session.title.clone(),
                location: session.location.clone(),
                starts_at: session.starts_at,
                ends_at: session.ends_at,
                capacity: session.capacity,
                stations: session.stations,
                makeup: session.makeup,
                assigned: session.assigned,
                checked_in: session.checked_in,
                created_at: session.created_at,
            },
            refreshed_at: crate::clock::now(),
            students: students
                .into_iter()
                .map(|s| CachedStudent {
                    masked_name: mask_name(&s.name),
                    student_no: s.student_no,
                    class: s.class,
                    assigned: s.assigned,
                    shot: s.shot,
                })
                .collect(),
            revoked,
        };
        crate::files::create_private_dir(dir).map_err(|source| StationError::File {
            path: dir.to_path_buf(),
            doing: FileStep::CreateFolder,
            source,
        })?;
        let path = path_for(dir, session.id);
        // plain data: strings, numbers and times, which JSON always holds
        crate::files::write(&path, &serde_json::to_vec(&file).unwrap_or_default())?;
        Ok(Cache::from_file(file))
    }

    /// The cache of `session`, if this station has one.
    pub fn load(dir: &Path, session: i64) -> Result<Option<Cache>> {
        let path = path_for(dir, session);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StationError::File {
                    path,
                    doing: FileStep::ReadCache,
                    source,
                });
            }
        };
        let file: CacheFile = serde_json::from_slice(&bytes)
            .map_err(|source| StationError::CacheDamaged { path, source })?;
        Ok(Some(Cache::from_file(file)))
    }

    fn from_file(file: CacheFile) -> Cache {
        let s = file.session;
        Cache {
            session: SessionRow {
                id: s.id,
                title: s.title,
                location: s.location,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                capacity: s.capacity,
                stations: s.stations,
                makeup: s.makeup,
                assigned: s.assigned,
                checked_in: s.checked_in,
                created_at: s.created_at,
            },
            refreshed_at: file.refreshed_at,
            students: file
                .students
                .into_iter()
                .map(|s| (s.student_no.clone(), s))
                .collect(),
            revoked: file.revoked.into_iter().collect(),
        }
    }
}
