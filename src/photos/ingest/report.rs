//! What an ingest found, as people and scripts see it (docs/ingest.md lists the JSON keys),
//! and the summary the console's Photos screen shows.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::NameBy;
use super::frame::Unusable;
use super::sequence::{KeyedBy, Pick};
use crate::i18n::Lang;
use crate::photos::Reconciled;
use crate::photos::report::ReportJson;

/// A student's photo from the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentPhoto {
    pub student_no: String,
    pub name: String,
    /// The keyframe file (card-relative).
    pub keyframe: String,
    pub keyed_by: KeyedBy,
    /// The frames of the sequence.
    pub frames: Vec<String>,
    /// The chosen frame; None when the sequence held no usable portrait.
    pub chosen: Option<String>,
    /// The output file name in the output folder.
    pub output: Option<String>,
    pub bytes: Option<u64>,
    pub quality: Option<u8>,
    /// Written now (false: the same file was already there, or a dry run).
    pub written: bool,
    /// No quality reached the smallest size the spec allows.
    pub below_range: bool,
}

/// A frame that became nobody's photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnassignedFrame {
    pub file: String,
    /// Stable code: `before_first_keyframe`, `revoked`, `unknown_code`, `unknown_key`,
    /// `tampered_or_foreign`, `invalid_code`, `not_on_roster`, `slate_not_checked_in`,
    /// `slate_mismatch`, `conflicting_codes`, `heic`, `truncated`, `not_jpeg`, `undecodable`,
    /// `unreadable`.
    pub reason: &'static str,
    pub message: String,
    /// The keyframe whose sequence the frame lies in, if any.
    pub keyframe: Option<String>,
}

/// An earlier sequence of a student who has a later one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupersededSeq {
    pub student_no: String,
    pub keyframe: String,
    pub frames: Vec<String>,
    pub chosen: Option<String>,
}

/// A student checked in at a session on this card who got no photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingStudent {
    pub student_no: String,
    pub name: String,
    pub session: i64,
    pub shot: i32,
}

/// Everything an ingest found.
#[derive(Debug)]
pub struct Ingested {
    pub card: PathBuf,
    pub out: PathBuf,
    pub dry_run: bool,
    pub pick: Pick,
    pub name_by: NameBy,
    pub frames: usize,
    pub keyframes: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub students: Vec<StudentPhoto>,
    pub unassigned: Vec<UnassignedFrame>,
    pub superseded: Vec<SupersededSeq>,
    pub missing: Vec<MissingStudent>,
    pub written: usize,
    pub unchanged: usize,
    /// The output folder reconciled against the roster (None on a dry run into a new folder).
    pub reconciled: Option<Reconciled>,
}

impl Ingested {
    /// Exit status 3: a frame went to nobody, or a checked-in student got no photo.
    pub fn has_problems(&self) -> bool {
        !self.unassigned.is_empty() || !self.missing.is_empty()
    }

    pub fn to_json(&self) -> IngestJson {
        IngestJson {
            card: self.card.display().to_string(),
            out: self.out.display().to_string(),
            dry_run: self.dry_run,
            pick: self.pick,
            name_by: self.name_by,
            frames: self.frames,
            keyframes: self.keyframes,
            written: self.written,
            unchanged: self.unchanged,
            students: self
                .students
                .iter()
                .map(|s| StudentJson {
                    student_no: s.student_no.clone(),
                    keyframe: s.keyframe.clone(),
                    keyed_by: s.keyed_by,
                    frames: s.frames.clone(),
                    chosen: s.chosen.clone(),
                    output: s.output.clone(),
                    bytes: s.bytes,
                    quality: s.quality,
                    written: s.written,
                })
                .collect(),
            unassigned: self
                .unassigned
                .iter()
                .map(|u| UnassignedJson {
                    file: u.file.clone(),
                    reason: u.reason.to_string(),
                    message: u.message.clone(),
                    keyframe: u.keyframe.clone(),
                })
                .collect(),
            superseded: self
                .superseded
                .iter()
                .map(|s| SupersededJson {
                    student_no: s.student_no.clone(),
                    keyframe: s.keyframe.clone(),
                    frames: s.frames.clone(),
                    chosen: s.chosen.clone(),
                })
                .collect(),
            missing: self
                .missing
                .iter()
                .map(|m| MissingJson {
                    student_no: m.student_no.clone(),
                    session: m.session,
                    shot: m.shot,
                })
                .collect(),
            reconcile: self.reconciled.as_ref().map(Reconciled::to_json),
        }
    }
}

/// The reason code and message of an unusable frame.
pub fn unusable_reason(u: &Unusable, lang: Lang) -> (&'static str, String) {
    let zh = lang == Lang::Zh;
    match u {
        Unusable::Heic => (
            "heic",
            if zh {
                "HEIC/HEIF 照片（手机格式），caiji 不解码——请在相机或手机上改存为 JPEG".into()
            } else {
                "HEIC/HEIF frame (a phone format) that caiji does not decode — set the camera or phone to JPEG".into()
            },
        ),
        Unusable::NotJpeg { format } => (
            "not_jpeg",
            if zh {
                format!("名为 .jpg 但内容是 {format}")
            } else {
                format!("named .jpg but holds {format}")
            },
        ),
        Unusable::Truncated => (
            "truncated",
            if zh {
                "文件不完整（被截断）——请从相机重新拷贝".into()
            } else {
                "the file is cut short — copy it from the camera again".into()
            },
        ),
        Unusable::Undecodable { error } => (
            "undecodable",
            if zh {
                format!("无法解码：{error}")
            } else {
                format!("cannot be decoded: {error}")
            },
        ),
    }
}

// ---- JSON (stable English keys, docs/ingest.md) ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentJson {
    pub student_no: String,
    pub keyframe: String,
    pub keyed_by: KeyedBy,
    pub frames: Vec<String>,
    pub chosen: Option<String>,
    pub output: Option<String>,
    pub bytes: Option<u64>,
    pub quality: Option<u8>,
    pub written: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnassignedJson {
    pub file: String,
    pub reason: String,
    pub message: String,
    pub keyframe: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupersededJson {
    pub student_no: String,
    pub keyframe: String,
    pub frames: Vec<String>,
    pub chosen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingJson {
    pub student_no: String,
    pub session: i64,
    pub shot: i32,
}

/// `caiji photos ingest --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestJson {
    pub card: String,
    pub out: String,
    pub dry_run: bool,
    pub pick: Pick,
    pub name_by: NameBy,
    pub frames: usize,
    pub keyframes: usize,
    pub written: usize,
    pub unchanged: usize,
    pub students: Vec<StudentJson>,
    pub unassigned: Vec<UnassignedJson>,
    pub superseded: Vec<SupersededJson>,
    pub missing: Vec<MissingJson>,
    pub reconcile: Option<ReportJson>,
}

/// The last ingest, kept for the console (lists cut to their first entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestSummary {
    pub card: String,
    pub out: String,
    /// When it ran (RFC 3339, UTC; docs/time.md).
    #[serde(deserialize_with = "crate::clock::deserialize_moment")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub frames: usize,
    pub keyframes: usize,
    pub photos: usize,
    pub written: usize,
    pub unchanged: usize,
    pub superseded: usize,
    pub unassigned: usize,
    pub missing: usize,
    pub millis: u64,
    pub unassigned_files: Vec<UnassignedJson>,
    pub missing_students: Vec<MissingJson>,
    pub truncated: bool,
}

/// Entries of each list kept in the summary.
const SUMMARY_KEEP: usize = 50;

impl IngestSummary {
    pub fn new(i: &Ingested) -> IngestSummary {
        let json = i.to_json();
        let truncated = json.unassigned.len() > SUMMARY_KEEP || json.missing.len() > SUMMARY_KEEP;
        IngestSummary {
            card: json.card,
            out: json.out,
            at: crate::clock::now(),
            frames: i.frames,
            keyframes: i.keyframes,
            photos: i.students.iter().filter(|s| s.output.is_some()).count(),
            written: i.written,
            unchanged: i.unchanged,
            superseded: i.superseded.len(),
            unassigned: i.unassigned.len(),
            missing: i.missing.len(),
            millis: i.elapsed.as_millis() as u64,
            unassigned_files: json.unassigned.into_iter().take(SUMMARY_KEEP).collect(),
            missing_students: json.missing.into_iter().take(SUMMARY_KEEP).collect(),
            truncated,
        }
    }
}

/// The summary of the last ingest, if any (for the console's Photos screen).
pub async fn last_summary(
    store: &dyn crate::store::Store,
) -> anyhow::Result<Option<IngestSummary>> {
    let Some(text) = store.get_setting(super::LAST_INGEST_SETTING).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&text).ok())
}
