//! Photo reconciliation (docs/photo-spec.md): the files that come back from the collector against the
//! roster.
//!
//! - [`walk`]: the folder, recursively, with loops, links and leftovers reported;
//! - [`jpeg`]: what the bytes are — format by content, a JPEG marker walk from SOI to EOI;
//! - [`inspect`]: hashing, checking and (`--deep`) decoding on every core, with the stored rows
//!   as a (size, mtime) cache;
//! - [`matching`]: stems to students (学号, ID number, session-shot, code serial) and
//!   suggestions for orphans;
//! - [`report`]: the outcomes and the JSON of docs/cli.md.
//!
//! [`reconcile`] runs them in order and, with `apply`, records the result in the store. The
//! console and `caiji photos reconcile` both call it.

pub mod ingest;
pub mod inspect;
pub mod jpeg;
pub mod matching;
pub mod report;
pub mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::domain::photo_spec::PhotoSpec;
use crate::store::{
    ApplySummary, LAST_RECONCILE_SETTING, PhotoFileStatus, PhotoRecord, Store, StudentFilter,
};
use inspect::Rules;
use matching::{Found, Index, MatchedBy, Person, Suggester};
use report::{
    DuplicateJson, Examined, InvalidJson, OrphanJson, Outcome, SkippedEntry, SkippedJson,
};

/// Suggestions offered for each orphan.
pub const SUGGESTIONS: usize = 3;

/// How a reconciliation runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Record the result in the database.
    pub apply: bool,
    /// Also decode each image and check its background.
    pub deep: bool,
    pub spec: PhotoSpec,
    pub operator: String,
    /// Worker threads for reading and hashing (0: one per core).
    pub threads: usize,
}

/// A student as the report shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentRef {
    pub student_no: String,
    pub name: String,
    pub class: String,
    /// Only to mask it where a file named by it is shown (`shown`).
    pub id_number: String,
}

/// How much work the files cost: the proof that the cache works.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Files opened and read.
    pub read: usize,
    /// Files whose SHA-256 was computed.
    pub hashed: usize,
    /// Files answered from the stored rows without opening them.
    pub cached: usize,
}

/// Everything a reconciliation found.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// The folder, absolute.
    pub root: PathBuf,
    /// The active roster the outcome's positions refer to.
    pub students: Vec<StudentRef>,
    pub outcome: Outcome,
    /// How each matched file found its student, by path.
    pub matched_by: HashMap<String, MatchedBy>,
    /// What `--apply` changed (None without it).
    pub applied: Option<ApplySummary>,
    pub work: Work,
}

impl Reconciled {
    pub fn student_no(&self, i: usize) -> &str {
        self.students.get(i).map_or("", |s| s.student_no.as_str())
    }

    /// A file as reports, the console and the audit log show it: an ID number in its path is
    /// masked (`*****8746.jpg`, see `mask_ids_in_path`); `student` is the roster position of the
    /// student the file belongs to, if any.
    pub fn shown(&self, rel: &str, student: Option<usize>) -> String {
        let owner = student.and_then(|i| self.students.get(i));
        crate::domain::mask_ids_in_path(rel, owner.map(|s| s.id_number.as_str())).into_owned()
    }

    pub fn to_json(&self) -> report::ReportJson {
        self.outcome
            .to_json(|i| self.student_no(i), |rel, i| self.shown(rel, i))
    }
}

/// The last applied reconciliation, kept for the console's Photos screen. The lists hold the
/// first entries only (`truncated` says so); the photos table has every file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileSummary {
    pub folder: String,
    /// When it was applied (RFC 3339, UTC; docs/time.md).
    #[serde(deserialize_with = "crate::clock::deserialize_moment")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub deep: bool,
    pub spec: String,
    pub files: usize,
    pub matched_valid: usize,
    pub matched_invalid: usize,
    /// Students with more than one file.
    pub duplicates: usize,
    pub orphans: usize,
    pub missing: usize,
    pub skipped: usize,
    pub invalid_files: Vec<InvalidJson>,
    pub duplicate_files: Vec<DuplicateJson>,
    pub orphan_files: Vec<OrphanJson>,
    pub skipped_files: Vec<SkippedJson>,
    pub truncated: bool,
}

/// The MySQL settings column is TEXT (64 KB); stay well inside it.
const SUMMARY_MAX_BYTES: usize = 48 * 1024;

impl ReconcileSummary {
    fn new(r: &Reconciled, deep: bool, spec: &str) -> ReconcileSummary {
        let json = r.to_json();
        let mut s = ReconcileSummary {
            folder: r.root.display().to_string(),
            at: crate::clock::now(),
            deep,
            spec: spec.to_string(),
            files: json.files,
            matched_valid: json.matched_valid.len(),
            matched_invalid: json.matched_invalid.len(),
            duplicates: json.duplicates.len(),
            orphans: json.orphans.len(),
            missing: json.missing.len(),
            skipped: json.skipped.len(),
            invalid_files: json.matched_invalid,
            duplicate_files: json.duplicates,
            orphan_files: json.orphans,
            skipped_files: json.skipped,
            truncated: false,
        };
        let mut keep = 100;
        while serde_json::to_string(&s).map_or(0, |t| t.len()) > SUMMARY_MAX_BYTES && keep > 0 {
            keep /= 2;
            s.invalid_files.truncate(keep);
            s.duplicate_files.truncate(keep);
            s.orphan_files.truncate(keep);
            s.skipped_files.truncate(keep);
            s.truncated = true;
        }
        s
    }
}

/// The summary of the last `--apply`, if any (for the console's Photos screen).
pub async fn last_summary(store: &dyn Store) -> Result<Option<ReconcileSummary>> {
    let Some(text) = store.get_setting(LAST_RECONCILE_SETTING).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&text).ok())
}

/// Why a photo folder cannot be reconciled; the words are in `words::photos`.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder cannot be found or opened.
    Open {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path names a file, not a folder.
    NotAFolder { path: PathBuf },
    /// The folder's path is not UTF-8 text, which paths are recorded as.
    NotUtf8 { path: PathBuf },
    /// The folder could not be read through.
    Read {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The folder as an absolute path, and the text every recorded path under it starts with.
fn resolve(dir: &Path) -> Result<(PathBuf, String), FolderError> {
    let root = std::fs::canonicalize(dir).map_err(|source| FolderError::Open {
        dir: dir.to_path_buf(),
        source,
    })?;
    if !root.is_dir() {
        return Err(FolderError::NotAFolder { path: root });
    }
    let Some(text) = root.to_str() else {
        return Err(FolderError::NotUtf8 { path: root });
    };
    let prefix = if text.ends_with('/') {
        text.to_string()
    } else {
        format!("{text}/")
    };
    Ok((root, prefix))
}

/// Walks, inspects, matches and sorts the photos under `dir`; with `apply`, records them.
pub async fn reconcile(store: &dyn Store, dir: &Path, options: &Options) -> Result<Reconciled> {
    let started = std::time::Instant::now();
    let (root, prefix) = resolve(dir)?;
    let roster = store.list_students(&StudentFilter::default()).await?;
    let keys = store.photo_match_keys().await?;
    let cache: HashMap<String, PhotoRecord> = store
        .photos_under(&prefix)
        .await?
        .into_iter()
        .map(|r| (r.path.clone(), r))
        .collect();

    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        students = roster.len(),
        cached = cache.len(),
        "photos: roster and stored rows read"
    );
    let rules = Rules::new(options.spec, options.deep);
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let (walk_root, walk_prefix, walk_rules) = (root.clone(), prefix.clone(), rules.clone());
    let (walked, inspected, cache) = tokio::task::spawn_blocking(move || -> Result<_> {
        let walked = walk::walk(&walk_root, walk_prefix.chars().count()).map_err(|source| {
            FolderError::Read {
                dir: walk_root.clone(),
                source,
            }
        })?;
        let inspected =
            inspect::inspect_all(&walked.found, &cache, &walk_prefix, &walk_rules, threads);
        Ok((walked, inspected, cache))
    })
    .await
    .context("the photo check stopped unexpectedly")??;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        files = walked.found.len(),
        threads,
        "photos: folder walked and files inspected"
    );

    let people: Vec<Person> = roster
        .iter()
        .map(|r| Person {
            id: r.id,
            student_no: r.student.student_no.clone(),
            name: r.student.name.clone(),
            id_number: r.student.id_number.clone(),
        })
        .collect();
    let index = Index::new(&people, &keys.serials, &keys.shots, &keys.labels);

    let mut work = Work::default();
    let mut examined = Vec::with_capacity(walked.found.len());
    let mut skipped: Vec<SkippedEntry> = walked
        .skipped
        .into_iter()
        .map(|s| SkippedEntry {
            rel: s.rel,
            reason: s.reason,
        })
        .collect();
    let mut facts: HashMap<String, (usize, inspect::Inspected, Option<usize>)> = HashMap::new();
    let mut matched_by = HashMap::new();
    for (i, (found, result)) in walked.found.iter().zip(inspected).enumerate() {
        let ins = match result {
            Ok(ins) => ins,
            Err(reason) => {
                skipped.push(SkippedEntry {
                    rel: found.rel.clone(),
                    reason,
                });
                continue;
            }
        };
        work.read += usize::from(ins.read);
        work.hashed += usize::from(ins.hashed);
        work.cached += usize::from(!ins.read);
        let (student, candidates) = match index.find(&found.stem) {
            Some(Found::One(s, by)) => {
                matched_by.insert(found.rel.clone(), by);
                (Some(s), Vec::new())
            }
            Some(Found::Ambiguous(all)) => (None, all),
            None => (None, Vec::new()),
        };
        examined.push(Examined {
            rel: found.rel.clone(),
            student,
            candidates,
            problems: ins.problems.clone(),
        });
        facts.insert(found.rel.clone(), (i, ins, student));
    }

    let orphans = examined.iter().filter(|e| e.student.is_none()).count();
    let mut suggester: Option<Suggester> = None;
    let outcome = report::classify(examined, skipped, people.len(), |stem| {
        suggester
            .get_or_insert_with(|| Suggester::new(&people, orphans))
            .suggest(stem, SUGGESTIONS)
    });

    let students: Vec<StudentRef> = roster
        .into_iter()
        .map(|r| StudentRef {
            student_no: r.student.student_no,
            name: r.student.name,
            class: r.student.class,
            id_number: r.student.id_number,
        })
        .collect();
    let mut reconciled = Reconciled {
        root,
        students,
        outcome,
        matched_by,
        applied: None,
        work,
    };

    if options.apply {
        let records = records(
            &reconciled,
            &walked.found,
            &facts,
            &people,
            &prefix,
            &rules.fingerprint,
        );
        let summary = ReconcileSummary::new(&reconciled, options.deep, &rules.fingerprint);
        let unchanged_summary = match last_summary(store).await? {
            Some(mut last) => {
                last.at = summary.at;
                last == summary
            }
            None => false,
        };
        let text = if unchanged_summary {
            None
        } else {
            Some(serde_json::to_string(&summary)?)
        };
        // Nothing differs from the rows read at the start: no write transaction at all (the
        // common re-run). Otherwise the store compares again under its lock.
        let unchanged_rows = records.len() == cache.len()
            && records
                .iter()
                .all(|r| cache.get(&r.path).is_some_and(|old| !r.differs(old)));
        let applied = if unchanged_rows && text.is_none() {
            ApplySummary {
                unchanged: records.len() as u64,
                ..ApplySummary::default()
            }
        } else {
            store
                .apply_photos(&prefix, &records, text.as_deref(), &options.operator)
                .await?
        };
        reconciled.applied = Some(applied);
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            ?applied,
            "photos: result recorded"
        );
    }
    Ok(reconciled)
}

/// The rows `--apply` stores: one per examined file, with the outcome as its status.
fn records(
    r: &Reconciled,
    found: &[walk::Found],
    facts: &HashMap<String, (usize, inspect::Inspected, Option<usize>)>,
    people: &[Person],
    prefix: &str,
    fingerprint: &str,
) -> Vec<PhotoRecord> {
    let o = &r.outcome;
    let mut status: HashMap<&str, PhotoFileStatus> = HashMap::new();
    for m in &o.valid {
        status.insert(&m.rel, PhotoFileStatus::Valid);
    }
    for m in &o.invalid {
        status.insert(&m.rel, PhotoFileStatus::Invalid);
    }
    for d in &o.duplicates {
        for (rel, _) in &d.files {
            status.insert(rel, PhotoFileStatus::Duplicate);
        }
    }
    for orphan in &o.orphans {
        status.insert(&orphan.rel, PhotoFileStatus::Orphan);
    }
    let mut out = Vec::with_capacity(status.len());
    for (rel, st) in status {
        let Some((i, ins, student)) = facts.get(rel) else {
            continue;
        };
        let f = &found[*i];
        let person = student.and_then(|s| people.get(s));
        out.push(PhotoRecord {
            path: format!("{prefix}{rel}"),
            student_id: person.map(|p| p.id),
            student_no: person.map(|p| p.student_no.clone()),
            id_number: person.map(|p| p.id_number.clone()),
            size: f.size as i64,
            mtime: f.mtime_ns,
            sha256: ins.sha256.clone(),
            width: ins.width,
            height: ins.height,
            status: st,
            problems: if ins.problems.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&ins.problems).unwrap_or_default()
            },
            spec: fingerprint.to_string(),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
