//! Fast paths for whole-roster reads and bulk inserts on SQLite.
//!
//! sqlx hands every SQLite row from its worker thread to the async side one at a time, which costs
//! about half a second for 100,000 students — more than the query itself — and builds a statement
//! of 15,000 parameters per 1,000 inserted rows. Listing, searching and importing the roster touch
//! every row, so this module runs the same SQL directly on the connection's raw handle (borrowed
//! from sqlx under its lock, inside sqlx's own transaction) with prepared statements. It also
//! fills the students table of a database built from scratch (`NewRosterFill`, for
//! `sqlite_new`), inside a transaction of its own.

use std::ffi::{CStr, c_int};
use std::ops::Range;
use std::ptr::NonNull;

use libsqlite3_sys as ffi;

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

/// Runs `sql` (the columns of `student_rows_query`) with its text arguments on `db` and feeds
/// every row to `sink`.
///
/// # Safety
/// `db` must be a valid, open connection that no other thread uses for the duration of the call
/// (sqlx's `LockedSqliteHandle` guarantees this).
pub(crate) unsafe fn stream_students(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    args: &[String],
    sink: StudentSink<'_>,
) -> Result<u64> {
    // SAFETY: forwarded from the caller; `each_row` hands over a statement positioned on a row.
    unsafe { each_row(db, sql, args, &mut |stmt| sink(decode(stmt)?)) }
}

/// Runs `student_keys_query` on `db` and feeds every row's search keys to `sink`.
///
/// # Safety
/// As for `stream_students`.
pub(crate) unsafe fn stream_keys(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    args: &[String],
    sink: KeySink<'_>,
) -> Result<u64> {
    // SAFETY: forwarded from the caller; the statement is on a row of the keys query.
    unsafe {
        each_row(db, sql, args, &mut |stmt| {
            let t = |i| borrowed_text(stmt, i);
            sink(StudentKey {
                id: int(stmt, 0).unwrap_or_default(),
                student_no: &t(1),
                name: &t(2),
                class: &t(3),
                college: &t(4),
                counselor: &t(5),
            })
        })
    }
}

/// Prepares `sql`, binds `args` as text and calls `row` on each result row. Returns the count.
///
/// # Safety
/// As for `stream_students`.
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

/// One row of `student_rows_query` (column order fixed there).
unsafe fn decode(stmt: *mut ffi::sqlite3_stmt) -> Result<StudentRow> {
    let bad = |column: &str, value: &str| {
        StoreError::Query(sqlx::Error::Decode(
            format!("unexpected {column} '{value}' in the students table").into(),
        ))
    };
    // SAFETY: forwarded from the caller: positioned on a row of the students query.
    unsafe {
        let t = |i| text(stmt, i).unwrap_or_default();
        let id_type = t(3);
        let level = t(8);
        Ok(StudentRow {
            id: int(stmt, 0).unwrap_or_default(),
            student: Student {
                student_no: t(1),
                name: t(2),
                id_type: IdType::parse(&id_type).ok_or_else(|| bad("id_type", &id_type))?,
                id_number: t(4),
                college: t(5),
                major: t(6),
                class: t(7),
                level: Level::parse(&level).ok_or_else(|| bad("level", &level))?,
                counselor: t(9),
                cohort: int(stmt, 10).unwrap_or_default() as i32,
                gender: text(stmt, 11),
                phone: text(stmt, 12),
            },
            withdrawn: int(stmt, 13).unwrap_or_default() != 0,
            code_status: match text(stmt, 14).as_deref() {
                Some("active") => CodeStatus::Active,
                Some(_) => CodeStatus::Revoked,
                None => CodeStatus::None,
            },
            session_id: int(stmt, 15),
            checked_in: text(stmt, 16).as_deref() == Some("y"),
            photo_status: PhotoStatus::from_best_file(text(stmt, 17).as_deref()),
        })
    }
}

/// Inserts `students` with prepared statements of several rows each. Returns the rows added.
///
/// # Safety
/// As for `stream_students`: `db` is open and used by nobody else during the call. The caller has
/// begun the transaction the rows belong to.
pub(crate) unsafe fn insert_students(
    db: NonNull<ffi::sqlite3>,
    students: &[&Student],
    now: &str,
) -> Result<u64> {
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
    /// As for `insert_students`, for as long as the statements live.
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

/// Inserts `students` as `insert_students` does, faster when the students table is empty and the
/// batch is large: rows go in 学号 order (the UNIQUE index on 学号 is appended to, not split),
/// the secondary indexes are dropped first and built again afterwards with one sort each, and a
/// larger page cache (8 MiB: the index sorts take as much again, and the whole import stays
/// under 100 MiB for 100,000 students) keeps most pages in memory. All of it happens inside the
/// caller's transaction, so a failure or a crash leaves the table and its indexes as they were.
///
/// # Safety
/// As for `insert_students`.
pub(crate) unsafe fn bulk_insert_students(
    db: NonNull<ffi::sqlite3>,
    students: &[&Student],
    now: &str,
) -> Result<u64> {
    // SAFETY (whole fn): the caller's contract is forwarded to every call.
    unsafe {
        if students.len() < BULK_FROM
            || !query_texts(db, "SELECT 'x' FROM students LIMIT 1")?.is_empty()
        {
            return insert_students(db, students, now);
        }
        let cache = query_texts(db, "PRAGMA cache_size")?
            .into_iter()
            .next()
            .unwrap_or_else(|| "-2000".into());
        exec(db, "PRAGMA cache_size = -8192")?;
        let result = (|| -> Result<u64> {
            let indexes = drop_student_indexes(db)?;
            let mut sorted = students.to_vec();
            sorted.sort_unstable_by(|a, b| a.student_no.cmp(&b.student_no));
            let inserted = insert_students(db, &sorted, now)?;
            for sql in &indexes {
                exec(db, sql)?;
            }
            Ok(inserted)
        })();
        // a number SQLite itself gave back: safe to put in the statement
        let restored = exec(db, &format!("PRAGMA cache_size = {}", cache.trim()));
        let inserted = result?;
        restored?;
        Ok(inserted)
    }
}

/// Drops the students table's own indexes (not the one behind UNIQUE 学号) and returns the SQL
/// that makes them again.
///
/// # Safety
/// As for `insert_students`.
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

/// The students table of a database being built from scratch (see `sqlite::NewRoster`), filled
/// while the roster file is still being read.
pub(crate) struct NewRosterFill {
    pub(crate) inserted: u64,
}

impl NewRosterFill {
    /// Begins the one transaction of the build and inserts every batch that arrives until the
    /// sender goes away, passing each on to `spent` when stored. The indexes are kept up as the
    /// rows go in: building them after the last row measured slower for 100,000 students (the
    /// insert then waits on the reader, and the index sorts come on top, when nothing else is
    /// left to do). A 学号 seen before is
    /// skipped (`INSERT OR IGNORE`; which also keeps SQLite from saving pages for a statement
    /// rollback, never needed here): the reader reports it as a duplicate, and `finish` removes all
    /// its rows.
    ///
    /// # Safety
    /// As for `insert_students`, except that this begins the transaction itself.
    pub(crate) unsafe fn run(
        db: NonNull<ffi::sqlite3>,
        batches: &std::sync::mpsc::Receiver<PackedStudents>,
        spent: &std::sync::mpsc::Sender<PackedStudents>,
        now: &str,
    ) -> Result<NewRosterFill> {
        // SAFETY (whole fn): the caller's contract is forwarded to every call.
        unsafe {
            exec(db, "BEGIN IMMEDIATE")?;
            let insert = StudentInsert::prepare(db, "INSERT OR IGNORE")?;
            let mut inserted = 0;
            for batch in batches {
                inserted += insert.insert(&batch, now)?;
                let _ = spent.send(batch);
            }
            Ok(NewRosterFill { inserted })
        }
    }

    /// Removes every row of the `duplicates` 学号, writes the audit entry of the import (`detail` gets the number of students kept) and commits. Returns the
    /// students kept.
    ///
    /// # Safety
    /// As for `run`, on the same connection, with its transaction still open.
    pub(crate) unsafe fn finish(
        self,
        db: NonNull<ffi::sqlite3>,
        duplicates: &[String],
        now: &str,
        operator: &str,
        detail: &dyn Fn(u64) -> String,
    ) -> Result<u64> {
        // SAFETY (whole fn): the caller's contract is forwarded to every call.
        unsafe {
            let mut removed = 0;
            for number in duplicates {
                removed += run_with(db, "DELETE FROM students WHERE student_no = ?", &[number])?;
            }
            let kept = self.inserted - removed;
            run_with(
                db,
                "INSERT INTO audit_log (at, operator, action, student_no, detail) VALUES (?, ?, 'import', NULL, ?)",
                &[now, operator, &detail(kept)],
            )?;
            exec(db, "COMMIT")?;
            Ok(kept)
        }
    }
}

/// Runs one statement with text arguments; returns the rows it changed.
///
/// # Safety
/// As for `insert_students`.
unsafe fn run_with(db: NonNull<ffi::sqlite3>, sql: &str, args: &[&str]) -> Result<u64> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    // SAFETY: forwarded from the caller; the statement returns no rows.
    unsafe {
        each_row(db, sql, &args, &mut |_| Ok(()))?;
        Ok(ffi::sqlite3_changes(db.as_ptr()).max(0) as u64)
    }
}

/// Runs statements that return no rows.
///
/// # Safety
/// As for `insert_students`.
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
/// As for `insert_students`.
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
