//! An import into an empty SQLite roster, stored while the roster file is still being read: the
//! reader checks rows on one thread and hands valid students over in batches, and they go into
//! the database on this one (docs/roster.md, "Into an empty roster").
//!
//! It is an ordinary write transaction on the store's own connection (WAL, the store's usual
//! `synchronous`, foreign keys and CHECK constraints on): whatever stops it before the commit — a
//! refused file, an error, a crash or a kill — leaves the database as it was.

use std::sync::mpsc::{Receiver, Sender};

use super::dialect::{DbTime, sqlite_text};
use super::sqlite_raw::{EmptyFill, blocking};
use super::{PackedStudents, Result, SqliteStore};

/// An import into a roster that was empty when it began. Dropping it without
/// [`commit`](RosterFill::commit) rolls everything back.
pub struct RosterFill {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    fill: EmptyFill,
    now: DbTime,
}

impl SqliteStore {
    /// Begins an import into the roster, or returns None when the roster holds students (the
    /// import then compares each incoming student with the stored ones, `import_roster`).
    /// Waits, as every write does, for another station's write to end.
    pub(crate) async fn open_fill(&self) -> Result<Option<RosterFill>> {
        let mut tx = self.pool.begin_with(Self::DIALECT.begin_write).await?;
        let fill = {
            let mut handle = tx.lock_handle().await?;
            blocking(|| EmptyFill::begin(&mut handle))?
        };
        Ok(fill.map(|fill| RosterFill {
            tx,
            fill,
            now: super::dialect::now(),
        }))
    }
}

impl RosterFill {
    /// Stores every batch that arrives until the sender goes away, and passes each stored batch
    /// on to `spent` (to be filled again). A 学号 that came before is skipped here; the reader
    /// reports it as a duplicate and `commit` drops every row of it.
    pub async fn fill(
        &mut self,
        batches: Receiver<PackedStudents>,
        spent: Sender<PackedStudents>,
    ) -> Result<()> {
        let now = sqlite_text(self.now.0);
        let mut handle = self.tx.lock_handle().await?;
        blocking(|| self.fill.store_batches(&mut handle, &batches, &spent, &now))
    }

    /// Drops every row of the `duplicates` 学号, builds the students table's indexes again,
    /// writes the audit entry (`detail` gets the number of students kept) and commits. Returns
    /// the students kept.
    pub async fn commit(
        mut self,
        duplicates: &[String],
        operator: &str,
        detail: &dyn Fn(u64) -> String,
    ) -> Result<u64> {
        let mut removed = 0;
        for number in duplicates {
            removed += sqlx::query("DELETE FROM students WHERE student_no = ?")
                .bind(number)
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
        }
        {
            let mut handle = self.tx.lock_handle().await?;
            blocking(|| self.fill.finish(&mut handle))?;
        }
        let kept = self.fill.inserted - removed;
        let audit = [(None, "import", detail(kept))];
        SqliteStore::audit_in(&mut self.tx, operator, &audit, self.now).await?;
        super::test_hold("import_before_commit").await;
        self.tx.commit().await?;
        Ok(kept)
    }

    /// Ends the import without storing anything, and gives the connection its page cache back.
    /// Returns whether the database then holds nothing at all: no row in any table but those
    /// the schema itself fills (its migrations, the fixed `locks` rows) — what a database this
    /// import created may be removed for.
    pub async fn roll_back(mut self) -> Result<bool> {
        {
            let mut handle = self.tx.lock_handle().await?;
            // the dropped indexes come back with the rollback
            blocking(|| self.fill.abandon(&mut handle))?;
        }
        // the students table held nothing when this import began, and it still holds the write
        // lock: nobody else can have written since
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'students' \
             AND name <> '_sqlx_migrations' AND name <> 'locks' AND name NOT LIKE 'sqlite%'",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let mut empty = true;
        for table in &tables {
            let quoted = table.replace('"', "\"\"");
            let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{quoted}\")");
            let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *self.tx)
                .await?;
            empty &= !any;
        }
        self.tx.rollback().await?;
        Ok(empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Student;
    use crate::store::{Store, StudentStore};

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

    /// Fills the roster with `numbers` (one batch each).
    async fn filled(store: &SqliteStore, numbers: &[&str]) -> RosterFill {
        let mut fill = store.open_fill().await.unwrap().expect("an empty roster");
        let (batches_in, batches) = std::sync::mpsc::sync_channel(numbers.len());
        let (spent_out, spent) = std::sync::mpsc::channel();
        for no in numbers {
            let mut batch = PackedStudents::default();
            batch.push(&student(no));
            batches_in.send(batch).unwrap();
        }
        drop(batches_in);
        fill.fill(batches, spent_out).await.unwrap();
        assert_eq!(
            spent.try_iter().count(),
            numbers.len(),
            "every stored batch is handed back"
        );
        fill
    }

    async fn scalar(store: &SqliteStore, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    const INDEXES: &str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_committed_fill_keeps_no_duplicate_and_builds_the_indexes_again() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let fill = filled(&store, &["2022001", "2022002", "2022002", "2022003"]).await;
        let kept = fill
            .commit(&["2022002".into()], "tester", &|kept| {
                format!("kept {kept}")
            })
            .await
            .unwrap();
        assert_eq!(kept, 2);
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM students").await, 2);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND detail = 'kept 2'"
            )
            .await,
            1
        );
        assert_eq!(scalar(&store, INDEXES).await, 3);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
            )
            .await,
            0
        );
        // every connection has its usual page cache again
        for _ in 0..4 {
            assert_eq!(scalar(&store, "PRAGMA cache_size").await, -2000);
        }
        // a roster that holds students is not filled, it is compared
        assert!(store.open_fill().await.unwrap().is_none());
        store.pool.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fill_rolled_back_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caiji.db");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::open(&url).await.unwrap();
        let fill = filled(&store, &["2022001", "2022002"]).await;
        assert!(fill.roll_back().await.unwrap(), "nothing else is stored");
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM students").await, 0);
        assert_eq!(scalar(&store, INDEXES).await, 3);

        // with anything else in the database, a rollback says so
        store.set_setting("school", "测试大学").await.unwrap();
        let fill = filled(&store, &["2022001"]).await;
        assert!(!fill.roll_back().await.unwrap());

        // the file is in use while the store is open, and can go once it is closed
        assert!(!crate::store::remove_unused_sqlite_file(&path));
        assert!(path.exists());
        store.pool.close().await;
        assert!(crate::store::remove_unused_sqlite_file(&path));
        assert!(!path.exists());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_roster_emptied_of_its_students_is_filled() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        store.insert_students(&[student("2022001")]).await.unwrap();
        sqlx::query("DELETE FROM students")
            .execute(&store.pool)
            .await
            .unwrap();
        let fill = filled(&store, &["2022005"]).await;
        assert_eq!(
            fill.commit(&[], "tester", &|_| String::new())
                .await
                .unwrap(),
            1
        );
        store.pool.close().await;
    }
}
