//! Rows read back by column name, in one place (docs/data-model.md): every record the store
//! returns from a query is decoded here, from the names its query gives the columns. A query
//! selects a record's columns under these names, aliasing a computed one (`AS here`), and the
//! order of its select list does not matter.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Database, Row};

use super::codes::{CodeRecord, CodeState};
use super::dialect::DbTime;
use super::engine::Value;
use super::photos::{PhotoFileStatus, PhotoRecord, PhotoRow};
use super::reports::GroupCounts;
use super::sessions::{CheckinRecord, LabelledShot, ScheduleGroup, SessionStudent, TokenLookup};
use super::students::StudentKey;
use super::{
    AuditEntry, AuditRecord, CodeStatus, Counts, PhotoStatus, Result, SessionRow, StoreError,
    StudentRow,
};
use crate::domain::Student;
use crate::domain::planner::Candidate;
use crate::domain::roster::Existing;

/// The decoders of one engine's rows.
pub(crate) struct Rows<DB>(PhantomData<DB>);

impl<DB> Rows<DB>
where
    DB: Database,
    for<'n> &'n str: ColumnIndex<DB::Row>,
    String: Value<DB>,
    Option<String>: Value<DB>,
    i64: Value<DB>,
    Option<i64>: Value<DB>,
    i32: Value<DB>,
    Option<i32>: Value<DB>,
    bool: Value<DB>,
    DbTime: Value<DB>,
    Option<DbTime>: Value<DB>,
{
    /// Column `name` of `r`.
    fn get<T: Column<DB>>(r: &DB::Row, name: &str) -> Result<T> {
        Ok(r.try_get(name)?)
    }

    /// A student's roster fields: `student_no`, `name`, `id_type`, `id_number`, `college`,
    /// `major`, `class_name`, `level`, `counselor`, `cohort`, `gender`, `phone`.
    pub fn student(r: &DB::Row) -> Result<Student> {
        let id_type: String = Self::get(r, "id_type")?;
        let level: String = Self::get(r, "level")?;
        Ok(Student {
            student_no: Self::get(r, "student_no")?,
            name: Self::get(r, "name")?,
            id_type: crate::domain::IdType::parse(&id_type)
                .ok_or_else(|| bad_value("students", "id_type", &id_type))?,
            id_number: Self::get(r, "id_number")?,
            college: Self::get(r, "college")?,
            major: Self::get(r, "major")?,
            class: Self::get(r, "class_name")?,
            level: crate::domain::Level::parse(&level)
                .ok_or_else(|| bad_value("students", "level", &level))?,
            counselor: Self::get(r, "counselor")?,
            cohort: Self::get(r, "cohort")?,
            gender: Self::get(r, "gender")?,
            phone: Self::get(r, "phone")?,
        })
    }

    /// A student as an import compares it: `id`, `withdrawn` and the roster fields.
    pub fn existing(r: &DB::Row) -> Result<Existing> {
        Ok(Existing {
            id: Self::get(r, "id")?,
            student: Self::student(r)?,
            withdrawn: Self::get(r, "withdrawn")?,
        })
    }

    /// A student with their progress: `id`, `withdrawn`, the roster fields, `code_st`,
    /// `session_id`, `checked` (`y`/`n`) and `photo_st`.
    pub fn student_row(r: &DB::Row) -> Result<StudentRow> {
        let code_st: Option<String> = Self::get(r, "code_st")?;
        let checked: String = Self::get(r, "checked")?;
        let photo_st: Option<String> = Self::get(r, "photo_st")?;
        Ok(StudentRow {
            id: Self::get(r, "id")?,
            student: Self::student(r)?,
            withdrawn: Self::get(r, "withdrawn")?,
            code_status: match code_st.as_deref() {
                Some("active") => CodeStatus::Active,
                Some(_) => CodeStatus::Revoked,
                None => CodeStatus::None,
            },
            session_id: Self::get(r, "session_id")?,
            checked_in: checked == "y",
            photo_status: PhotoStatus::from_best_file(photo_st.as_deref()),
        })
    }

    /// A code: `serial`, `student_no`, `key_id`, `token`, `status`, `issued_at`, `revoked_at`,
    /// `revoke_reason`, `replaced_by`.
    pub fn code(r: &DB::Row) -> Result<CodeRecord> {
        let status: String = Self::get(r, "status")?;
        Ok(CodeRecord {
            serial: Self::get(r, "serial")?,
            student_no: Self::get(r, "student_no")?,
            key_id: Self::get(r, "key_id")?,
            token: Self::get(r, "token")?,
            state: if status == "active" {
                CodeState::Active
            } else {
                CodeState::Revoked
            },
            issued_at: Self::get::<DbTime>(r, "issued_at")?.0,
            revoked_at: Self::get::<Option<DbTime>>(r, "revoked_at")?.map(|t| t.0),
            revoke_reason: Self::get(r, "revoke_reason")?,
            replaced_by: Self::get(r, "replaced_by")?,
        })
    }

    /// A session: its columns and `assigned`, the students in it still on the roster.
    pub fn session(r: &DB::Row) -> Result<SessionRow> {
        let checked_in: i32 = Self::get(r, "checked_in")?;
        Ok(SessionRow {
            id: Self::get(r, "id")?,
            title: Self::get(r, "title")?,
            location: Self::get(r, "location")?,
            starts_at: Self::get::<DbTime>(r, "starts_at")?.0,
            ends_at: Self::get::<DbTime>(r, "ends_at")?.0,
            capacity: Self::get(r, "capacity")?,
            stations: Self::get(r, "stations")?,
            makeup: Self::get(r, "makeup")?,
            checked_in: i64::from(checked_in),
            created_at: Self::get::<DbTime>(r, "created_at")?.0,
            assigned: Self::get(r, "assigned")?,
        })
    }

    /// A photo file as reconcile compares it: `path`, `student_id`, `student_no`, `size`,
    /// `mtime`, `sha256`, `width`, `height`, `status`, `problems` (JSON), `spec`, `id_number`.
    pub fn photo_record(r: &DB::Row) -> Result<PhotoRecord> {
        let status: String = Self::get(r, "status")?;
        Ok(PhotoRecord {
            path: Self::get(r, "path")?,
            student_id: Self::get(r, "student_id")?,
            student_no: Self::get(r, "student_no")?,
            size: Self::get(r, "size")?,
            mtime: Self::get(r, "mtime")?,
            sha256: Self::get(r, "sha256")?,
            width: Self::get(r, "width")?,
            height: Self::get(r, "height")?,
            status: PhotoFileStatus::parse(&status)
                .ok_or_else(|| bad_value("photos", "status", &status))?,
            problems: Self::get(r, "problems")?,
            spec: Self::get(r, "spec")?,
            id_number: Self::get(r, "id_number")?,
        })
    }

    /// A photo file as lists show it: `path`, `student_no`, `name`, `size`, `sha256`, `width`,
    /// `height`, `status`, `problems` (JSON), `checked_at`, `id_number`.
    pub fn photo_row(r: &DB::Row) -> Result<PhotoRow> {
        let status: String = Self::get(r, "status")?;
        let problems: String = Self::get(r, "problems")?;
        let path: String = Self::get(r, "path")?;
        let problems = if problems.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&problems).map_err(|e| {
                StoreError::Query(sqlx::Error::Decode(
                    format!("problems of {path} in the photos table: {e}").into(),
                ))
            })?
        };
        Ok(PhotoRow {
            path,
            student_no: Self::get(r, "student_no")?,
            name: Self::get(r, "name")?,
            size: Self::get(r, "size")?,
            sha256: Self::get(r, "sha256")?,
            width: Self::get(r, "width")?,
            height: Self::get(r, "height")?,
            status: PhotoFileStatus::parse(&status)
                .ok_or_else(|| bad_value("photos", "status", &status))?,
            problems,
            checked_at: Self::get::<DbTime>(r, "checked_at")?.0,
            id_number: Self::get(r, "id_number")?,
        })
    }

    /// A student waiting for a session: `id`, `student_no`, `college`, `class_name`.
    pub fn candidate(r: &DB::Row) -> Result<Candidate> {
        Ok(Candidate {
            id: Self::get(r, "id")?,
            student_no: Self::get(r, "student_no")?,
            college: Self::get(r, "college")?,
            class: Self::get(r, "class_name")?,
        })
    }

    /// Students of one class in one session: `session_id`, `college`, `class_name`,
    /// `counselor`, `students`.
    pub fn schedule_group(r: &DB::Row) -> Result<ScheduleGroup> {
        Ok(ScheduleGroup {
            session_id: Self::get(r, "session_id")?,
            college: Self::get(r, "college")?,
            class: Self::get(r, "class_name")?,
            counselor: Self::get(r, "counselor")?,
            students: Self::get(r, "students")?,
        })
    }

    /// A check-in: `session_id`, `shot`, `station`, `operator`, `walk_in`, `checked_in_at`,
    /// `counts_for`.
    pub fn checkin_record(r: &DB::Row) -> Result<CheckinRecord> {
        Ok(CheckinRecord {
            session_id: Self::get(r, "session_id")?,
            shot: Self::get(r, "shot")?,
            station: Self::get(r, "station")?,
            operator: Self::get(r, "operator")?,
            walk_in: Self::get(r, "walk_in")?,
            at: Self::get::<DbTime>(r, "checked_in_at")?.0,
            counts: Self::get::<Option<i64>>(r, "counts_for")?.is_some(),
        })
    }

    /// A student of a session: `student_no`, `name`, `college`, `class_name`, `counselor`,
    /// `assigned` (`y`/`n`), `shot` and `walk_in` (NULL without a check-in here).
    pub fn session_student(r: &DB::Row) -> Result<SessionStudent> {
        let assigned: String = Self::get(r, "assigned")?;
        Ok(SessionStudent {
            student_no: Self::get(r, "student_no")?,
            name: Self::get(r, "name")?,
            college: Self::get(r, "college")?,
            class: Self::get(r, "class_name")?,
            counselor: Self::get(r, "counselor")?,
            assigned: assigned == "y",
            shot: Self::get(r, "shot")?,
            walk_in: Self::get::<Option<bool>>(r, "walk_in")?.unwrap_or(false),
        })
    }

    /// A check-in made from a journal scan: `label`, `shot`, `student_no`.
    pub fn labelled_shot(r: &DB::Row) -> Result<LabelledShot> {
        Ok(LabelledShot {
            label: Self::get(r, "label")?,
            shot: Self::get(r, "shot")?,
            student_no: Self::get(r, "student_no")?,
        })
    }

    /// What a scanned token is: `status`, `revoked_at`, `student_no`, `reissued_at` (the
    /// issue time of the code that replaced it).
    pub fn token_lookup(r: &DB::Row) -> Result<TokenLookup> {
        let status: String = Self::get(r, "status")?;
        let student_no = Self::get(r, "student_no")?;
        Ok(if status == "active" {
            TokenLookup::Active { student_no }
        } else {
            TokenLookup::Revoked {
                student_no,
                revoked_at: Self::get::<Option<DbTime>>(r, "revoked_at")?.map(|t| t.0),
                replacement_issued_at: Self::get::<Option<DbTime>>(r, "reissued_at")?.map(|t| t.0),
            }
        })
    }

    /// One group's completion: `grp`, `parent` (a class's college), `total`, `code_active`,
    /// `session_assigned`, `checked_in`, `photo_valid`, `photo_invalid`, `photo_duplicate`.
    pub fn group_counts(r: &DB::Row) -> Result<GroupCounts> {
        Ok(GroupCounts::new(
            Self::get(r, "grp")?,
            Self::get(r, "parent")?,
            [
                Self::get(r, "total")?,
                Self::get(r, "code_active")?,
                Self::get(r, "session_assigned")?,
                Self::get(r, "checked_in")?,
                Self::get(r, "photo_valid")?,
                Self::get(r, "photo_invalid")?,
            ],
        )
        .with_duplicates(Self::get(r, "photo_duplicate")?))
    }

    /// An audit line: `id`, `at`, `operator`, `action`, `student_no`, `detail`.
    pub fn audit_record(r: &DB::Row) -> Result<AuditRecord> {
        Ok(AuditRecord {
            id: Self::get(r, "id")?,
            at: Self::get::<DbTime>(r, "at")?.0,
            entry: AuditEntry {
                operator: Self::get(r, "operator")?,
                action: Self::get(r, "action")?,
                student_no: Self::get(r, "student_no")?,
                detail: Self::get(r, "detail")?,
            },
        })
    }

    /// The roster's counts: `total`, `withdrawn`, `code_active`, `session_assigned`,
    /// `checked_in`, `photo_valid`.
    pub fn counts(r: &DB::Row) -> Result<Counts> {
        Ok(Counts {
            total: Self::get(r, "total")?,
            withdrawn: Self::get(r, "withdrawn")?,
            code_active: Self::get(r, "code_active")?,
            session_assigned: Self::get(r, "session_assigned")?,
            checked_in: Self::get(r, "checked_in")?,
            photo_valid: Self::get(r, "photo_valid")?,
        })
    }

    /// Column `name` of `r`, for the few values a statement reads on its own way (a check-in's
    /// look-ups, a selection's flags).
    pub fn value<T: Column<DB>>(r: &DB::Row, name: &str) -> Result<T> {
        Self::get(r, name)
    }
}

impl<DB> Rows<DB>
where
    DB: Database,
    for<'n> &'n str: ColumnIndex<DB::Row>,
    i64: Value<DB>,
    for<'r> &'r str: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    /// A student's search keys, borrowed from the row: `id`, `student_no`, `name`,
    /// `class_name`, `college`, `counselor`.
    pub fn student_key(r: &DB::Row) -> Result<StudentKey<'_>> {
        Ok(StudentKey {
            id: r.try_get("id")?,
            student_no: r.try_get("student_no")?,
            name: r.try_get("name")?,
            class: r.try_get("class_name")?,
            college: r.try_get("college")?,
            counselor: r.try_get("counselor")?,
        })
    }
}

/// A value a column is read as.
pub(crate) trait Column<DB: Database>:
    for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{
}

impl<DB: Database, T> Column<DB> for T where T: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB> {}

/// A value a column must not hold (one written around the program).
fn bad_value(table: &str, column: &str, value: &str) -> StoreError {
    StoreError::Query(sqlx::Error::Decode(
        format!("unexpected {column} '{value}' in the {table} table").into(),
    ))
}
