//! A roster imported into a SQLite database that does not exist yet.
//!
//! The database is built in a scratch file beside the one asked for, filled while the roster
//! file is still being read (the reader on one thread, SQLite on this one), and linked into place
//! only after the whole roster has been read, checked and committed. Until then the database the
//! user named does not exist, whatever happens: a bad file, a refused `--strict` import, an error,
//! a crash or a kill leave at most a scratch file, which is removed on the way out or by the next
//! build. As nobody else can see the scratch file, SQLite keeps its rollback journal in memory and
//! does not sync while filling it (a helper thread gets the disk writing early, see `Writeback`);
//! the finished file is synced before it is linked.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous,
};

use super::sqlite_raw::{NewRosterFill, blocking};
use super::{PackedStudents, Result, StoreError};

/// SQLite's page cache while building. Much smaller than the roster of a large school (about
/// 25 MiB for 100,000 students): pages written out early reach the disk while the build goes on
/// (see `Writeback`), leaving less for the commit to write and the last sync to wait for, and the
/// process touches less fresh memory. Measured faster than 2 MiB, 8 MiB or holding everything
/// until the commit.
const BUILD_CACHE_KIB: u32 = 4 * 1024;

/// How often the scratch file's pages are sent to the disk while it is being built.
const WRITEBACK_EVERY: Duration = Duration::from_millis(50);

/// A database being built in a scratch file; dropping it unfinished removes the scratch file.
pub struct NewRoster {
    target: PathBuf,
    scratch: PathBuf,
    conn: Option<SqliteConnection>,
    fill: Option<NewRosterFill>,
    writeback: Option<Writeback>,
}

/// Syncs the scratch file now and then on a thread of its own while SQLite writes it, so that
/// the disk works alongside the build and the sync before the link has little left to do. These
/// syncs guarantee nothing: only the last one, on the finished file, does.
struct Writeback {
    stop: Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Writeback {
    fn start(path: &Path) -> Option<Writeback> {
        let file = std::fs::File::open(path).ok()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("caiji-writeback".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(WRITEBACK_EVERY) {
                    let _ = file.sync_data();
                }
            })
            .ok()?;
        Some(Writeback { stop, thread })
    }

    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

impl NewRoster {
    /// Creates the scratch file beside `target` with caiji's schema. Scratch files of earlier
    /// builds whose process is gone are removed first.
    pub async fn create(target: &Path) -> Result<NewRoster> {
        remove_stale_scratch(target);
        keep_sqlite_memory();
        static BUILDS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let scratch = scratch_path(
            target,
            std::process::id(),
            BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        remove_file_and_journal(&scratch);
        // 0600 from the start, so the database it becomes is too (docs/files.md)
        super::sqlite::create_private_file(&scratch, "");
        let mut build = NewRoster {
            target: target.to_path_buf(),
            scratch,
            conn: None,
            fill: None,
            writeback: None,
        };
        let options = SqliteConnectOptions::new()
            .filename(&build.scratch)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Memory)
            .synchronous(SqliteSynchronous::Off)
            .locking_mode(SqliteLockingMode::Exclusive)
            // No table refers to a student yet, so no foreign key can be broken; with the checks
            // on, SQLite would still look for child rows of every student a multi-row INSERT adds.
            .foreign_keys(false)
            .page_size(super::sqlite::PAGE_SIZE)
            .pragma("cache_size", format!("-{BUILD_CACHE_KIB}"))
            // The students table's CHECKs hold by construction for the one statement that writes
            // it here: document types and levels are bound from their enums' codes, `withdrawn`
            // is the literal 0, and names passed `validate_name`, whose limit is the CHECK's
            // (a test in `tests/import.rs` keeps them equal, and `PRAGMA integrity_check`, which
            // checks CHECKs, passes on a new roster). Skipping their evaluation saves a fifth of
            // the insert time; every later write, on every connection, is checked as usual.
            .pragma("ignore_check_constraints", "ON");
        let open_error = |e: sqlx::Error| StoreError::Open {
            path: build.scratch.display().to_string(),
            reason: e.to_string(),
        };
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(open_error)?;
        let known = super::sqlite::MIGRATOR
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        super::sqlite::MIGRATOR
            .run(&mut conn)
            .await
            .map_err(|e| super::migrate_error(&build.scratch.display().to_string(), known, e))?;
        build.conn = Some(conn);
        Ok(build)
    }

    /// Stores every batch of students that arrives until the sender goes away, and passes each
    /// stored batch on to `spent` (to be filled again). A 学号 that came before is skipped here; the reader
    /// reports it as a duplicate and `finish` drops it.
    pub async fn fill(
        &mut self,
        batches: Receiver<PackedStudents>,
        spent: Sender<PackedStudents>,
    ) -> Result<()> {
        let now = super::dialect::sqlite_text(crate::clock::now());
        let conn = self
            .conn
            .as_mut()
            .expect("the connection is open until finish");
        self.writeback = Writeback::start(&self.scratch);
        let mut handle = conn.lock_handle().await?;
        let raw = handle.as_raw_handle();
        // SAFETY: the locked handle gives this task exclusive use of the open connection until
        // `handle` drops at the end of this function; the transaction stays open for `finish`.
        let fill = blocking(|| unsafe { NewRosterFill::run(raw, &batches, &spent, &now) })?;
        self.fill = Some(fill);
        Ok(())
    }

    /// Drops every row of the `duplicates` 学号, writes the audit entry
    /// (`detail` gets the number of students kept), commits and links the file into place.
    /// Returns the students kept, or None when the database appeared meanwhile (another
    /// station created it) or this file system cannot link files: then nothing was placed and
    /// the roster must be imported into the database as it now is.
    pub async fn finish(
        mut self,
        duplicates: &[String],
        operator: &str,
        detail: &dyn Fn(u64) -> String,
    ) -> Result<Option<u64>> {
        let now = super::dialect::sqlite_text(crate::clock::now());
        let mut conn = self
            .conn
            .take()
            .expect("the connection is open until finish");
        let fill = self.fill.take().expect("fill runs before finish");
        super::test_hold("import_before_commit").await;
        let kept = {
            let mut handle = conn.lock_handle().await?;
            let raw = handle.as_raw_handle();
            // SAFETY: as in `fill`, on the same connection with its transaction still open.
            blocking(|| unsafe { fill.finish(raw, duplicates, &now, operator, detail) })?
        };
        conn.close().await?;
        if let Some(writeback) = self.writeback.take() {
            writeback.stop();
        }
        let io_error = |e: std::io::Error| StoreError::Open {
            path: self.target.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::File::open(&self.scratch)
            .and_then(|f| f.sync_all())
            .map_err(io_error)?;
        // A hard link, unlike a rename, never replaces a database another station made meanwhile.
        match std::fs::hard_link(&self.scratch, &self.target) {
            Ok(()) => {
                if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
                    // the new name is durable once the folder is synced (not possible everywhere)
                    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
                }
                Ok(Some(kept))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => {
                tracing::info!(error = %e, "cannot link the new database into place; importing into it directly");
                Ok(None)
            }
        }
    }
}

impl Drop for NewRoster {
    fn drop(&mut self) {
        // the connection closes in the background; an open file can be unlinked all the same
        drop(self.conn.take());
        if let Some(writeback) = self.writeback.take() {
            writeback.stop();
        }
        remove_file_and_journal(&self.scratch);
    }
}

/// SQLite allocates with the C library's malloc. glibc gives memory at the top of its heap back
/// to the system as soon as more than 128 KiB of it is free, and a build frees and takes again
/// page-sized blocks all the time (pages leaving and entering the cache, the scratch space of
/// every b-tree page split): each time, the kernel hands out fresh pages that must be zeroed,
/// which measured an eighth of the insert time. Keeping up to 64 MiB and growing the heap
/// 16 MiB at a time ends that; the memory is the process's own and goes back when it exits.
fn keep_sqlite_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's tunables; it takes the allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

/// `.caiji.db.new-1234-0` beside `caiji.db`, for the first build of process 1234.
fn scratch_path(target: &Path, pid: u32, build: u32) -> PathBuf {
    target.with_file_name(format!("{}{pid}-{build}", scratch_prefix(target)))
}

fn scratch_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.new-")
}

fn remove_file_and_journal(path: &Path) {
    let _ = std::fs::remove_file(path);
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    let _ = std::fs::remove_file(journal);
}

/// Removes scratch files beside `target` left by builds whose process no longer runs (killed,
/// or the machine went down). Where there is no /proc to ask, they are left alone.
pub(super) fn remove_stale_scratch(target: &Path) {
    let Some(dir) = target.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    }) else {
        return;
    };
    if !Path::new("/proc/self").is_dir() {
        return;
    }
    let prefix = scratch_prefix(target);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            remove_file_and_journal(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Student;

    fn packed(students: &[Student]) -> PackedStudents {
        let mut batch = PackedStudents::default();
        students.iter().for_each(|s| batch.push(s));
        batch
    }

    #[test]
    fn scratch_files_sit_beside_the_database_and_name_their_process() {
        assert_eq!(
            scratch_path(Path::new("/data/caiji.db"), 42, 0),
            PathBuf::from("/data/.caiji.db.new-42-0")
        );
        assert_eq!(
            scratch_path(Path::new("caiji.db"), 7, 3),
            PathBuf::from(".caiji.db.new-7-3")
        );
    }

    fn student(no: &str) -> Student {
        Student {
            student_no: no.into(),
            name: "张伟".into(),
            id_type: crate::domain::IdType::ResidentId,
            id_number: "11010520000101000X".into(),
            college: "计算机学院".into(),
            major: "软件工程".into(),
            class: "软工2201".into(),
            level: crate::domain::Level::Bachelor,
            counselor: "赵老师".into(),
            cohort: 2026,
            gender: None,
            phone: None,
        }
    }

    /// Fills a build with `numbers` (one batch each) and finishes it, dropping `duplicates`.
    async fn build(target: &Path, numbers: &[&str], duplicates: &[&str]) -> Result<Option<u64>> {
        let mut build = NewRoster::create(target).await?;
        assert!(build.scratch.exists());
        let (batches_in, batches) = std::sync::mpsc::sync_channel(numbers.len());
        let (spent_out, spent) = std::sync::mpsc::channel();
        for no in numbers {
            batches_in.send(packed(&[student(no)])).unwrap();
        }
        drop(batches_in);
        build.fill(batches, spent_out).await?;
        assert_eq!(
            spent.try_iter().count(),
            numbers.len(),
            "every stored batch is handed back"
        );
        let duplicates: Vec<String> = duplicates.iter().map(|d| d.to_string()).collect();
        build
            .finish(&duplicates, "tester", &|kept| format!("kept {kept}"))
            .await
    }

    fn scratch_files(dir: &Path) -> Vec<String> {
        let names = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        names.filter(|n| n.contains(".new-")).collect()
    }

    async fn count(target: &Path, sql: &str) -> i64 {
        let store = super::super::SqliteStore::open(&format!("sqlite://{}", target.display()))
            .await
            .unwrap();
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&store.pool)
            .await
            .unwrap();
        store.pool.close().await;
        n
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_finished_build_becomes_the_database_without_its_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("caiji.db");
        let kept = build(
            &target,
            &["2022001", "2022002", "2022002", "2022003"],
            &["2022002"],
        )
        .await
        .unwrap();
        assert_eq!(kept, Some(2));
        assert_eq!(count(&target, "SELECT COUNT(*) FROM students").await, 2);
        assert_eq!(
            count(
                &target,
                "SELECT COUNT(*) FROM students WHERE student_no = '2022002'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &target,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND detail = 'kept 2'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &target,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'"
            )
            .await,
            3
        );
        assert_eq!(
            count(
                &target,
                "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
            )
            .await,
            0
        );
        assert_eq!(
            count(&target, "PRAGMA page_size").await,
            i64::from(super::super::sqlite::PAGE_SIZE)
        );
        // built without foreign key checks, which every connection of the store then makes
        assert_eq!(
            count(&target, "SELECT COUNT(*) FROM pragma_foreign_key_check").await,
            0
        );
        assert_eq!(count(&target, "PRAGMA foreign_keys").await, 1);
        assert_eq!(
            scratch_files(dir.path()),
            Vec::<String>::new(),
            "no scratch file is left"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_made_meanwhile_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("caiji.db");
        let mut first = NewRoster::create(&target).await.unwrap();
        // another station creates the database while this build is being filled
        assert_eq!(build(&target, &["2022009"], &[]).await.unwrap(), Some(1));
        let (batches_in, batches) = std::sync::mpsc::sync_channel(1);
        batches_in
            .send(packed(&[student("2022001"), student("2022002")]))
            .unwrap();
        drop(batches_in);
        first
            .fill(batches, std::sync::mpsc::channel().0)
            .await
            .unwrap();
        assert_eq!(
            first
                .finish(&[], "tester", &|kept| format!("kept {kept}"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            count(
                &target,
                "SELECT COUNT(*) FROM students WHERE student_no = '2022009'"
            )
            .await,
            1
        );
        assert_eq!(count(&target, "SELECT COUNT(*) FROM students").await, 1);
        assert_eq!(
            scratch_files(dir.path()),
            Vec::<String>::new(),
            "the unplaced build is removed"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_build_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("caiji.db");
        let build = NewRoster::create(&target).await.unwrap();
        drop(build);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn only_scratch_files_of_gone_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("caiji.db");
        let mine = scratch_path(&target, std::process::id(), 0);
        // process ids are below 2^22 on Linux: this one cannot be running
        let gone = scratch_path(&target, 4_194_304 + 17, 0);
        let other = dir.path().join(".caiji.db.new-notes");
        for f in [&mine, &gone, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        remove_stale_scratch(&target);
        assert!(mine.exists(), "a running process keeps its scratch file");
        assert!(
            other.exists(),
            "files not named like scratch files are left alone"
        );
        assert_eq!(gone.exists(), !Path::new("/proc/self").is_dir());
    }
}
