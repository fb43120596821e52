//! The connection a write transaction runs on, taken from the pool for that transaction alone.
//!
//! A caller may stop waiting for a store call (a station gives up on a send after its deadline,
//! docs/sessions.md "Offline stations"), which drops the work wherever it is. Once a transaction
//! has begun, the driver rolls it back when it is dropped. While its `BEGIN` is still on the way
//! the server may already be inside the transaction when the driver does not yet count it
//! (sqlx's MySQL driver counts it only once the server's answer is read), and the connection
//! would go back to the pool inside a transaction nobody ends: later statements on it would
//! neither commit nor see other stations' work. A connection dropped before its `BEGIN` was
//! answered is therefore closed, never pooled again.

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Database, Pool, Transaction};

pub(crate) struct WriteConn<DB: Database> {
    conn: PoolConnection<DB>,
    /// `BEGIN` sent and not yet answered (or answered with an error).
    beginning: bool,
}

impl<DB: Database> WriteConn<DB> {
    pub(crate) async fn acquire(pool: &Pool<DB>) -> sqlx::Result<WriteConn<DB>> {
        Ok(WriteConn {
            conn: pool.acquire().await?,
            beginning: false,
        })
    }

    /// Begins the transaction with `statement` (the dialect's `begin_write`).
    pub(crate) async fn begin(
        &mut self,
        statement: &'static str,
    ) -> sqlx::Result<Transaction<'_, DB>> {
        self.beginning = true;
        // (an owned statement: a borrowed one trips the compiler's Send check of the callers)
        let tx = (*self.conn)
            .begin_with(sqlx::AssertSqlSafe(statement.to_string()))
            .await?;
        self.beginning = false;
        Ok(tx)
    }
}

impl<DB: Database> Drop for WriteConn<DB> {
    fn drop(&mut self) {
        if self.beginning {
            self.conn.close_on_drop();
        }
    }
}
