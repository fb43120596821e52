//! Fast paths for whole-roster reads and bulk inserts on SQLite, and the only module of the
//! crate with `unsafe` code (docs/architecture.md).
//!
//! sqlx hands every SQLite row from its worker thread to the async side one at a time, which costs
//! about half a second for 100,000 students — more than the query itself — and builds a statement
//! of 15,000 parameters per 1,000 inserted rows. Listing, searching and importing the roster touch
//! every row, so this module runs the same SQL directly on the connection's raw handle (borrowed
//! from sqlx under its lock, inside sqlx's own transaction) with prepared statements.
//!
//! Every function offered to the rest of the crate is safe: it takes the connection as sqlx's
//! `LockedSqliteHandle`, whose lock, borrowed mutably for the whole call, is the proof that no
//! other thread uses the connection meanwhile. The `unsafe` functions inside rely on exactly that.

use std::ffi::{CStr, c_int};
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::mpsc::{Receiver, Sender};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use super::packed::StudentRef;
use super::students::{KeySink, STUDENT_COLUMNS, StudentKey, StudentSink};
use super::{CodeStatus, PackedStudents, PhotoStatus, Result, StoreError, StudentRow};
use crate::domain::{IdType, Level, Student};

/// Runs synchronous SQLite work from async code: on a multi-threaded runtime the worker thread
/// is handed over for the duration so other tasks keep running; elsewhere it just runs.
pub(crate) fn blocking<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// A prepared statement, finalized on drop.
struct Statement(NonNull<ffi::sqlite3_stmt>);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful sqlite3_prepare_v2 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0.as_ptr());
        }
    }
}

fn error(db: *mut ffi::sqlite3, what: &str) -> StoreError {
    // SAFETY: sqlite3_errmsg returns a valid NUL-terminated string owned by the connection.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    StoreError::Sqlite(format!("{what}: {message}"))
}

/// Runs `sql` (the columns of `student_rows_query`) with its text arguments on the connection
/// and feeds every row to `sink`.
pub(crate) fn stream_students(
    handle: &mut LockedSqliteHandle<'_>,
    sql: &str,
    args: &[String],
    sink: StudentSink<'_>,
) -> Result<u64> {
    let db = handle.as_raw_handle();
    // where each column is, found by name on the first row (the statement's columns do not
    // change between rows)
    let mut at: Option<StudentAt> = None;
    // SAFETY: the lock held through `handle` gives this call the connection to itself;
    // `each_row` hands over a statement positioned on a row.
    unsafe {
        each_row(db, sql, args, &mut |stmt| {
            let at = match &at {
                Some(at) => at,
                None => at.insert(StudentAt::find(&Columns::of(stmt))?),
            };
            sink(decode(stmt, at)?)
        })
    }
}

/// Runs `student_keys_query` on the connection and feeds every row's search keys to `sink`.
pub(crate) fn stream_keys(
    handle: &mut LockedSqliteHandle<'_>,
    sql: &str,
    args: &[String],
    sink: KeySink<'_>,
) -> Result<u64> {
    let db = handle.as_raw_handle();
    // SAFETY: as in `stream_students`; the statement is on a row of the keys query, and the
    // borrowed texts live only during the call to `sink`.
    let mut at: Option<[c_int; 6]> = None;
    unsafe {
        each_row(db, sql, args, &mut |stmt| {
            let [id, student_no, name, class, college, counselor] = match &at {
                Some(at) => *at,
                None => {
                    let c = Columns::of(stmt);
                    *at.insert([
                        c.at("id")?,
                        c.at("student_no")?,
                        c.at("name")?,
                        c.at("class_name")?,
                        c.at("college")?,
                        c.at("counselor")?,
                    ])
                }
            };
            let t = |i| borrowed_text(stmt, i);
            sink(StudentKey {
                id: int(stmt, id).unwrap_or_default(),
                student_no: &t(student_no),
                name: &t(name),
                class: &t(class),
                college: &t(college),
                counselor: &t(counselor),
            })
        })
    }
}

/// Prepares `sql`, binds `args` as text and calls `row` on each result row. Returns the count.
///
/// # Safety
/// `db` must be a valid, open connection that no other thread uses for the duration of the call
/// (sqlx's `LockedSqliteHandle` guarantees this).
unsafe fn each_row(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    args: &[String],
    row: &mut dyn FnMut(*mut ffi::sqlite3_stmt) -> Result<()>,
) -> Result<u64> {
    let db = db.as_ptr();
    let mut raw: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: db is valid (caller's contract); the SQL pointer and length describe `sql`.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(
            db,
            sql.as_ptr().cast(),
            sql.len() as c_int,
            &mut raw,
            std::ptr::null_mut(),
        )
    };
    let Some(stmt) = NonNull::new(raw).filter(|_| rc == ffi::SQLITE_OK) else {
        return Err(error(db, "prepare"));
    };
    let stmt = Statement(stmt);
    for (i, arg) in args.iter().enumerate() {
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the text before the call returns.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                stmt.0.as_ptr(),
                (i + 1) as c_int,
                arg.as_ptr().cast(),
                arg.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, "bind"));
        }
    }
    let mut count = 0;
    loop {
        // SAFETY: the statement is valid until `stmt` drops.
        match unsafe { ffi::sqlite3_step(stmt.0.as_ptr()) } {
            ffi::SQLITE_ROW => {
                row(stmt.0.as_ptr())?;
                count += 1;
            }
            ffi::SQLITE_DONE => return Ok(count),
            _ => return Err(error(db, "step")),
        }
    }
}

/// Column `i` as text; NULL is None. Invalid UTF-8 (never written by caiji) is replaced.
unsafe fn text(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<String> {
    // SAFETY (whole fn): the caller is on a row; the pointer returned by sqlite3_column_text is
    // valid for sqlite3_column_bytes bytes until the next step, and we copy it at once.
    unsafe {
        if ffi::sqlite3_column_type(stmt, i) == ffi::SQLITE_NULL {
            return None;
        }
        let ptr = ffi::sqlite3_column_text(stmt, i);
        let len = ffi::sqlite3_column_bytes(stmt, i);
        if ptr.is_null() || len <= 0 {
            return Some(String::new());
        }
        let bytes = std::slice::from_raw_parts(ptr, len as usize);
        Some(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

/// Column `i` as text borrowed from the row (NULL and empty are ""), copied only if it is not
/// valid UTF-8.
///
/// # Safety
/// As for `text`; the result must not outlive the row (the next step or reset).
unsafe fn borrowed_text<'r>(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> std::borrow::Cow<'r, str> {
    // SAFETY: the caller is on a row; the pointer is valid for the returned length until the
    // statement moves on, which the caller's contract rules out while the result lives.
    unsafe {
        let ptr = ffi::sqlite3_column_text(stmt, i);
        let len = ffi::sqlite3_column_bytes(stmt, i);
        if ptr.is_null() || len <= 0 {
            return std::borrow::Cow::Borrowed("");
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(ptr, len as usize))
    }
}

unsafe fn int(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<i64> {
    // SAFETY: the caller is on a row of `stmt`.
    unsafe {
        (ffi::sqlite3_column_type(stmt, i) != ffi::SQLITE_NULL)
            .then(|| ffi::sqlite3_column_int64(stmt, i))
    }
}

/// The names of a statement's columns, in order: rows are read by name, as `store::rows`
/// reads them through sqlx.
struct Columns(Vec<String>);

impl Columns {
    /// # Safety
    /// `stmt` is a valid prepared statement.
    unsafe fn of(stmt: *mut ffi::sqlite3_stmt) -> Columns {
        // SAFETY: the statement is valid (caller's contract); a column name is a NUL-ended
        // string SQLite owns until the statement is finalized, copied here at once.
        unsafe {
            let count = ffi::sqlite3_column_count(stmt);
            Columns(
                (0..count)
                    .map(|i| {
                        let name = ffi::sqlite3_column_name(stmt, i);
                        if name.is_null() {
                            String::new()
                        } else {
                            std::ffi::CStr::from_ptr(name)
                                .to_string_lossy()
                                .into_owned()
                        }
                    })
                    .collect(),
            )
        }
    }

    /// Where the column `name` is.
    fn at(&self, name: &str) -> Result<c_int> {
        self.0
            .iter()
            .position(|n| n == name)
            .map(|i| i as c_int)
            .ok_or_else(|| StoreError::Query(sqlx::Error::ColumnNotFound(name.to_string())))
    }
}

/// Where the columns of `student_rows_query` are.
struct StudentAt {
    id: c_int,
    student_no: c_int,
    name: c_int,
    id_type: c_int,
    id_number: c_int,
    college: c_int,
    major: c_int,
    class_name: c_int,
    level: c_int,
    counselor: c_int,
    cohort: c_int,
    gender: c_int,
    phone: c_int,
    withdrawn: c_int,
    code_st: c_int,
    session_id: c_int,
    checked: c_int,
    photo_st: c_int,
}

impl StudentAt {
    fn find(c: &Columns) -> Result<StudentAt> {
        Ok(StudentAt {
            id: c.at("id")?,
            student_no: c.at("student_no")?,
            name: c.at("name")?,
            id_type: c.at("id_type")?,
            id_number: c.at("id_number")?,
            college: c.at("college")?,
            major: c.at("major")?,
            class_name: c.at("class_name")?,
            level: c.at("level")?,
            counselor: c.at("counselor")?,
            cohort: c.at("cohort")?,
            gender: c.at("gender")?,
            phone: c.at("phone")?,
            withdrawn: c.at("withdrawn")?,
            code_st: c.at("code_st")?,
            session_id: c.at("session_id")?,
            checked: c.at("checked")?,
            photo_st: c.at("photo_st")?,
        })
    }
}

/// One row of `student_rows_query`, its columns found by name (`at`).
unsafe fn decode(stmt: *mut ffi::sqlite3_stmt, at: &StudentAt) -> Result<StudentRow> {
    let bad = |column: &str, value: &str| {
        StoreError::Query(sqlx::Error::Decode(
            format!("unexpected {column} '{value}' in the students table").into(),
        ))
    };
    // SAFETY: forwarded from the caller: positioned on a row of the students query.
    unsafe {
        let t = |i| text(stmt, i).unwrap_or_default();
        let id_type = t(at.id_type);
        let level = t(at.level);
        Ok(StudentRow {
            id: int(stmt, at.id).unwrap_or_default(),
            student: Student {
                student_no: t(at.student_no),
                name: t(at.name),
                id_type: IdType::parse(&id_type).ok_or_else(|| bad("id_type", &id_type))?,
                id_number: t(at.id_number),
                college: t(at.college),
                major: t(at.major),
                class: t(at.class_name),
                level: Level::parse(&level).ok_or_else(|| bad("level", &level))?,
                counselor: t(at.counselor),
                cohort: int(stmt, at.cohort).unwrap_or_default() as i32,
                gender: text(stmt, at.gender),
                phone: text(stmt, at.phone),
            },
            withdrawn: int(stmt, at.withdrawn).unwrap_or_default() != 0,
            code_status: match text(stmt, at.code_st).as_deref() {
                Some("active") => CodeStatus::Active,
                Some(_) => CodeStatus::Revoked,
                None => CodeStatus::None,
            },
            session_id: int(stmt, at.session_id),
            checked_in: text(stmt, at.checked).as_deref() == Some("y"),
            photo_status: PhotoStatus::from_best_file(text(stmt, at.photo_st).as_deref()),
        })
    }
}

/// Inserts `students` with prepared statements of several rows each. Returns the rows added.
///
/// # Safety
/// As for `each_row`. The caller has begun the transaction the rows belong to.
unsafe fn insert_rows(db: NonNull<ffi::sqlite3>, students: &[&Student], now: &str) -> Result<u64> {
    // SAFETY: forwarded from the caller.
    unsafe { StudentInsert::prepare(db, "INSERT")?.insert(students, now) }
}

/// Rows per INSERT statement: one statement start per 64 rows instead of per row.
const ROWS_PER_INSERT: usize = 64;

/// Values bound for each student row (the time of the import is bound once per statement).
const ROW_VALUES: usize = 12;

/// The prepared INSERTs of student rows: one of `ROWS_PER_INSERT` rows, one of a single row for
/// the rest (and to name the student a failed group stumbled on).
struct StudentInsert {
    db: *mut ffi::sqlite3,
    many: Statement,
    one: Statement,
}

impl StudentInsert {
    /// `verb` is `INSERT`, or `INSERT OR IGNORE` to skip a 学号 already stored.
    ///
    /// # Safety
    /// As for `each_row`, for as long as the statements live; the caller has begun the
    /// transaction the rows belong to.
    unsafe fn prepare(db: NonNull<ffi::sqlite3>, verb: &str) -> Result<StudentInsert> {
        let db = db.as_ptr();
        let prepare = |rows: usize| {
            // each row's own values, then one parameter for the time shared by every row
            let now = rows * ROW_VALUES + 1;
            let row = |k: usize| {
                let own: Vec<String> = (1..=ROW_VALUES)
                    .map(|i| format!("?{}", k * ROW_VALUES + i))
                    .collect();
                format!("({},0,?{now},?{now})", own.join(","))
            };
            let values = (0..rows).map(row).collect::<Vec<_>>().join(",");
            let sql = format!("{verb} INTO students ({STUDENT_COLUMNS}) VALUES {values}");
            let mut raw: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
            // SAFETY: db is valid (caller's contract); the SQL pointer and length describe `sql`.
            let rc = unsafe {
                ffi::sqlite3_prepare_v2(
                    db,
                    sql.as_ptr().cast(),
                    sql.len() as c_int,
                    &mut raw,
                    std::ptr::null_mut(),
                )
            };
            NonNull::new(raw)
                .filter(|_| rc == ffi::SQLITE_OK)
                .map(Statement)
                .ok_or_else(|| error(db, "prepare"))
        };
        Ok(StudentInsert {
            db,
            many: prepare(ROWS_PER_INSERT)?,
            one: prepare(1)?,
        })
    }

    /// Inserts `rows`; returns the rows added (`INSERT OR IGNORE` may skip some).
    ///
    /// # Safety
    /// As for `prepare`.
    unsafe fn insert<R: InsertRows + ?Sized>(&self, rows: &R, now: &str) -> Result<u64> {
        let count = rows.count();
        let grouped = count - count % ROWS_PER_INSERT;
        let mut added = 0;
        // SAFETY (whole block): forwarded from the caller.
        unsafe {
            for start in (0..grouped).step_by(ROWS_PER_INSERT) {
                let group = start..start + ROWS_PER_INSERT;
                match self.run(&self.many, rows, group.clone(), now) {
                    Ok(n) => added += n,
                    // the failed statement changed nothing: row by row, the error names the student
                    Err(_) => added += self.one_by_one(rows, group, now)?,
                }
            }
            added += self.one_by_one(rows, grouped..count, now)?;
        }
        Ok(added)
    }

    /// # Safety
    /// As for `prepare`.
    unsafe fn one_by_one<R: InsertRows + ?Sized>(
        &self,
        rows: &R,
        range: Range<usize>,
        now: &str,
    ) -> Result<u64> {
        let mut added = 0;
        for i in range {
            // SAFETY: forwarded from the caller.
            added += unsafe { self.run(&self.one, rows, i..i + 1, now) }.map_err(|message| {
                let student_no = rows.student(i).student_no;
                StoreError::Sqlite(format!("insert {student_no}: {message}"))
            })?;
        }
        Ok(added)
    }

    /// Binds the rows of `range` (as many as `stmt` has rows) and steps `stmt` once; returns the
    /// rows added, or SQLite's message.
    ///
    /// # Safety
    /// As for `prepare`.
    unsafe fn run<R: InsertRows + ?Sized>(
        &self,
        stmt: &Statement,
        rows: &R,
        range: Range<usize>,
        now: &str,
    ) -> Result<u64, String> {
        let st = stmt.0.as_ptr();
        // SAFETY: `st` is a valid statement; SQLITE_STATIC is sound because every bound string
        // outlives the sqlite3_step below (they borrow `rows` and `now`), and the statement is
        // reset before this function returns.
        unsafe {
            let shared = (range.len() * ROW_VALUES + 1) as c_int;
            if ffi::sqlite3_bind_text(
                st,
                shared,
                now.as_ptr().cast(),
                now.len() as c_int,
                ffi::SQLITE_STATIC(),
            ) != ffi::SQLITE_OK
            {
                return Err(CStr::from_ptr(ffi::sqlite3_errmsg(self.db))
                    .to_string_lossy()
                    .into_owned());
            }
            for (k, row) in range.enumerate() {
                let (texts, cohort) = rows.values(row);
                for (i, value) in texts.iter().enumerate() {
                    let index = (k * ROW_VALUES + i + 1) as c_int;
                    let rc = match (i, value) {
                        (COHORT, _) => ffi::sqlite3_bind_int64(st, index, cohort),
                        (_, Some(v)) => ffi::sqlite3_bind_text(
                            st,
                            index,
                            v.as_ptr().cast(),
                            v.len() as c_int,
                            ffi::SQLITE_STATIC(),
                        ),
                        (_, None) => ffi::sqlite3_bind_null(st, index),
                    };
                    if rc != ffi::SQLITE_OK {
                        let message = CStr::from_ptr(ffi::sqlite3_errmsg(self.db))
                            .to_string_lossy()
                            .into_owned();
                        ffi::sqlite3_reset(st);
                        return Err(message);
                    }
                }
            }
            let outcome = match ffi::sqlite3_step(st) {
                ffi::SQLITE_DONE => Ok(ffi::sqlite3_changes(self.db).max(0) as u64),
                _ => Err(CStr::from_ptr(ffi::sqlite3_errmsg(self.db))
                    .to_string_lossy()
                    .into_owned()),
            };
            ffi::sqlite3_reset(st);
            outcome
        }
    }
}

/// Where the cohort is among a row's values (bound as an integer).
const COHORT: usize = 9;

/// Rows a `StudentInsert` stores: students, or a packed batch of them.
trait InsertRows {
    fn count(&self) -> usize;

    fn student(&self, i: usize) -> StudentRef<'_>;

    /// Row `i`'s values in `STUDENT_COLUMNS` order (None for NULL and at `COHORT`), and its
    /// cohort.
    fn values(&self, i: usize) -> ([Option<&str>; ROW_VALUES], i64) {
        let s = self.student(i);
        let texts = [
            Some(s.student_no),
            Some(s.name),
            Some(s.id_type.code()),
            Some(s.id_number),
            Some(s.college),
            Some(s.major),
            Some(s.class),
            Some(s.level.code()),
            Some(s.counselor),
            None,
            s.gender,
            s.phone,
        ];
        (texts, i64::from(s.cohort))
    }
}

impl<S: std::borrow::Borrow<Student>> InsertRows for [S] {
    fn count(&self) -> usize {
        self.len()
    }

    fn student(&self, i: usize) -> StudentRef<'_> {
        self[i].borrow().into()
    }
}

impl InsertRows for PackedStudents {
    fn count(&self) -> usize {
        self.len()
    }

    fn student(&self, i: usize) -> StudentRef<'_> {
        self.get(i)
    }
}

/// Below this many rows an insert goes row by row into the indexes as they are.
const BULK_FROM: usize = 5_000;

/// SQLite's page cache while an empty roster is filled: 32 MiB, room for every page of 100,000
/// students (about 25 MiB at caiji's page size) and for the sorts that build the indexes
/// afterwards, so pages are written once, at the commit. The whole import stays under 100 MiB
/// (docs/benchmarks.md).
const FILL_CACHE_KIB: u32 = 32 * 1024;

/// Inserts `students` into the students table, inside the transaction the caller has begun on
/// this connection. Into an empty table, a large batch goes the way of [`EmptyFill`], in 学号
/// order (the UNIQUE index on 学号 is appended to, not split). Returns the rows added; fails
/// without adding any if a 学号 is already stored.
pub(crate) fn insert_students(
    handle: &mut LockedSqliteHandle<'_>,
    students: &[&Student],
    now: &str,
) -> Result<u64> {
    let empty = if students.len() >= BULK_FROM {
        EmptyFill::begin(handle)?
    } else {
        None
    };
    if let Some(mut fill) = empty {
        let mut sorted = students.to_vec();
        sorted.sort_unstable_by(|a, b| a.student_no.cmp(&b.student_no));
        let db = handle.as_raw_handle();
        // SAFETY: the lock held through `handle` gives this call the connection to itself, inside
        // the caller's transaction.
        let inserted = unsafe { insert_rows(db, &sorted, now) };
        // the indexes come back whatever happened: an error above is rolled back with them
        let finished = fill.finish(handle);
        fill.inserted = inserted?;
        finished?;
        return Ok(fill.inserted);
    }
    let db = handle.as_raw_handle();
    // SAFETY: as above.
    unsafe { insert_rows(db, students, now) }
}

/// An import into a students table that was empty when it began, inside the caller's
/// transaction: the table's secondary indexes are dropped first and built again by
/// [`finish`](EmptyFill::finish) with one sort each (much faster than keeping them up row by
/// row), and the connection's page cache is enlarged until then. A failure or a crash before the
/// commit rolls all of it back: the table and its indexes stay as they were (docs/roster.md).
pub(crate) struct EmptyFill {
    /// The SQL that makes each dropped index again.
    indexes: Vec<String>,
    /// The connection's own `cache_size`, set again by `finish`.
    cache_size: String,
    /// Rows added so far.
    pub(crate) inserted: u64,
}

impl EmptyFill {
    /// Starts filling the students table, or returns None when it holds a row (withdrawn
    /// students count). The caller has begun a write transaction on this connection.
    pub(crate) fn begin(handle: &mut LockedSqliteHandle<'_>) -> Result<Option<EmptyFill>> {
        let db = handle.as_raw_handle();
        // SAFETY: the lock held through `handle` gives this call the connection to itself.
        unsafe {
            if !query_texts(db, "SELECT 'x' FROM students LIMIT 1")?.is_empty() {
                return Ok(None);
            }
            let cache_size = query_texts(db, "PRAGMA cache_size")?
                .into_iter()
                .next()
                .unwrap_or_else(|| "-2000".into());
            exec(db, &format!("PRAGMA cache_size = -{FILL_CACHE_KIB}"))?;
            let mut fill = EmptyFill {
                indexes: Vec::new(),
                cache_size,
                inserted: 0,
            };
            match drop_student_indexes(db) {
                Ok(indexes) => fill.indexes = indexes,
                Err(e) => {
                    let _ = fill.restore_cache(db);
                    return Err(e);
                }
            }
            Ok(Some(fill))
        }
    }

    /// Inserts every batch that arrives until the sender goes away, passing each on to `spent`
    /// when stored (to be filled again). A 学号 that came before is skipped (`INSERT OR IGNORE`,
    /// which also spares SQLite saving pages for a statement rollback): the roster reader reports
    /// it as a duplicate, and the caller deletes every row of it before the commit.
    pub(crate) fn store_batches(
        &mut self,
        handle: &mut LockedSqliteHandle<'_>,
        batches: &Receiver<PackedStudents>,
        spent: &Sender<PackedStudents>,
        now: &str,
    ) -> Result<()> {
        let db = handle.as_raw_handle();
        // SAFETY: the lock held through `handle` gives this call the connection to itself,
        // inside the transaction `begin` was called in.
        unsafe {
            let insert = StudentInsert::prepare(db, "INSERT OR IGNORE")?;
            for batch in batches {
                self.inserted += insert.insert(&batch, now)?;
                let _ = spent.send(batch);
            }
        }
        Ok(())
    }

    /// Builds the dropped indexes again and gives the connection its page cache back. Call it
    /// before the commit, on the same connection, also after a failure (the cache size outlives
    /// the transaction).
    pub(crate) fn finish(&self, handle: &mut LockedSqliteHandle<'_>) -> Result<()> {
        let db = handle.as_raw_handle();
        // SAFETY: the lock held through `handle` gives this call the connection to itself.
        unsafe {
            let built = self.indexes.iter().try_for_each(|sql| exec(db, sql));
            let restored = self.restore_cache(db);
            built.and(restored)
        }
    }

    /// Gives the connection its page cache back without building the indexes: for an import
    /// about to be rolled back, which brings them back.
    pub(crate) fn abandon(&self, handle: &mut LockedSqliteHandle<'_>) -> Result<()> {
        let db = handle.as_raw_handle();
        // SAFETY: the lock held through `handle` gives this call the connection to itself.
        unsafe { self.restore_cache(db) }
    }

    /// # Safety
    /// As for `each_row`.
    unsafe fn restore_cache(&self, db: NonNull<ffi::sqlite3>) -> Result<()> {
        // a number SQLite itself gave back: safe to put in the statement
        let sql = format!("PRAGMA cache_size = {}", self.cache_size.trim());
        // SAFETY: forwarded from the caller.
        unsafe { exec(db, &sql) }
    }
}

/// Drops the students table's own indexes (not the one behind UNIQUE 学号) and returns the SQL
/// that makes them again.
///
/// # Safety
/// As for `each_row`.
unsafe fn drop_student_indexes(db: NonNull<ffi::sqlite3>) -> Result<Vec<String>> {
    // SAFETY (whole fn): the caller's contract is forwarded to every call.
    unsafe {
        let rows = query_texts(
            db,
            "SELECT name || char(31) || sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'students' AND sql IS NOT NULL",
        )?;
        let mut again = Vec::new();
        for (name, sql) in rows.iter().filter_map(|row| row.split_once('\u{1f}')) {
            exec(db, &format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            again.push(sql.to_string());
        }
        Ok(again)
    }
}

/// Runs statements that return no rows.
///
/// # Safety
/// As for `each_row`.
unsafe fn exec(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<()> {
    let sql = std::ffi::CString::new(sql).map_err(|_| StoreError::Sqlite("NUL in SQL".into()))?;
    // SAFETY: db is valid (caller's contract); `sql` is NUL-terminated.
    let rc = unsafe {
        ffi::sqlite3_exec(
            db.as_ptr(),
            sql.as_ptr(),
            None,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(error(db.as_ptr(), "exec"))
    }
}

/// The first column of every row of `sql`, as text.
///
/// # Safety
/// As for `each_row`.
unsafe fn query_texts(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    // SAFETY: forwarded from the caller; `text` reads the row the statement is on.
    unsafe {
        each_row(db, sql, &[], &mut |stmt| {
            out.push(text(stmt, 0).unwrap_or_default());
            Ok(())
        })?;
    }
    Ok(out)
}
