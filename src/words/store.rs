//! The store's errors in words.

use std::fmt;

use crate::i18n::{Lang, lang};
use crate::store::{Cause, StoreError, cause_of, is_connection_lost};

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, lang()) {
            (Cause::NoAnswerWithin(t), Lang::Zh) => {
                write!(f, "{} 秒内连不上数据库服务器", t.as_secs())
            }
            (Cause::NoAnswerWithin(t), Lang::En) => write!(
                f,
                "the database server could not be reached within {} seconds",
                t.as_secs()
            ),
            (Cause::Said(text), _) => f.write_str(text),
        }
    }
}

/// What a sqlx error says, in words.
struct Reason<'a>(&'a sqlx::Error);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        cause_of(self.0).fmt(f)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            StoreError::UnknownScheme { url } if zh => write!(
                f,
                "无法识别的数据库地址 '{url}'：请使用 sqlite://路径、postgres://用户@主机/库 或 mysql://用户@主机/库"
            ),
            StoreError::UnknownScheme { url } => write!(
                f,
                "unknown database URL '{url}': use sqlite://PATH, postgres://USER@HOST/DB or mysql://USER@HOST/DB"
            ),
            StoreError::Connect { url, reason } if zh => {
                write!(
                    f,
                    "无法连接 {url}：{reason} —— 请确认数据库服务器在运行、地址正确"
                )
            }
            StoreError::Connect { url, reason } => {
                write!(
                    f,
                    "cannot connect to {url}: {reason} — check that the server is running and the URL is right"
                )
            }
            StoreError::Open { path, reason } if zh => write!(f, "无法打开 {path}：{reason}"),
            StoreError::Open { path, reason } => write!(f, "cannot open {path}: {reason}"),
            StoreError::Corrupt { url, reason } if zh => write!(
                f,
                "{url} 不是 caiji 数据库或已损坏（{reason}）；请从备份恢复，或用 --database-url 指定其他数据库"
            ),
            StoreError::Corrupt { url, reason } => write!(
                f,
                "{url} is not a caiji database or is damaged ({reason}); restore it from a backup or point --database-url elsewhere"
            ),
            StoreError::SchemaTooNew { found, known } if zh => write!(
                f,
                "数据库结构版本 {found} 比本程序支持的版本 {known} 新；请先升级 caiji (upgrade caiji) 再使用这个数据库"
            ),
            StoreError::SchemaTooNew { found, known } => write!(
                f,
                "the database schema (version {found}) is newer than this caiji knows (version {known}); upgrade caiji before using this database"
            ),
            StoreError::Source { url, reason } if zh => {
                write!(
                    f,
                    "名单来源 {url} 拒绝执行查询：{reason} —— 请检查 config.toml 中 [roster.source] 的 query"
                )
            }
            StoreError::Source { url, reason } => write!(
                f,
                "the roster source {url} refused the query: {reason} — check [roster.source] query in config.toml"
            ),
            StoreError::NoStudent(no) if zh => write!(f, "没有这个学号： {no}"),
            StoreError::NoStudent(no) => write!(f, "no student with 学号 {no}"),
            StoreError::NoActiveCode(no) if zh => write!(f, "没有有效采集码可作废： {no}"),
            StoreError::NoActiveCode(no) => write!(f, "no active code to revoke for {no}"),
            StoreError::Stopped if zh => write!(f, "列表已停止（输出已关闭）"),
            StoreError::Stopped => write!(f, "the listing stopped (the output was closed)"),
            StoreError::Token(reason) if zh => write!(f, "无法生成采集码：{reason}"),
            StoreError::Token(reason) => write!(f, "cannot make the code's token: {reason}"),
            StoreError::Migrate(reason) if zh => write!(f, "无法更新数据库结构：{reason}"),
            StoreError::Migrate(reason) => write!(f, "cannot update the database schema: {reason}"),
            StoreError::NoSuchSession(id) if zh => write!(
                f,
                "没有编号为 {id} 的场次；用 `caiji sessions list` 查看场次"
            ),
            StoreError::NoSuchSession(id) => write!(
                f,
                "there is no session {id}; `caiji sessions list` shows the sessions"
            ),
            StoreError::OverCapacity {
                session,
                room,
                wanted,
            } if zh => write!(
                f,
                "{session} 还能容纳 {room} 名学生，但选了 {wanted} 名；请少选一些学生，或用 `caiji sessions add` 增加场次"
            ),
            StoreError::OverCapacity {
                session,
                room,
                wanted,
            } => write!(
                f,
                "{session} has room for {room} more students but {wanted} were chosen; choose fewer students or add a session with `caiji sessions add`"
            ),
            StoreError::PlanOutdated { students } if zh => write!(
                f,
                "计划中有 {students} 名学生已不再等待安排（名单或场次在此期间有变）；未保存任何内容 —— 请重新运行 `caiji sessions plan`"
            ),
            StoreError::PlanOutdated { students } => write!(
                f,
                "{students} of the planned students are no longer waiting for a session (the roster or the sessions changed meanwhile); nothing was saved — run `caiji sessions plan` again"
            ),
            StoreError::Sqlite(reason) if zh => write!(f, "数据库错误（SQLite）：{reason}"),
            StoreError::Sqlite(reason) => write!(f, "database error (SQLite): {reason}"),
            StoreError::Query(e) if is_connection_lost(e) && zh => {
                write!(
                    f,
                    "连不上数据库服务器（{}）——请确认服务器在运行、网络通畅；稍后会自动重试",
                    Reason(e)
                )
            }
            StoreError::Query(e) if is_connection_lost(e) => write!(
                f,
                "the database server cannot be reached ({}) — check that it is running and the network is up; caiji tries again",
                Reason(e)
            ),
            StoreError::Query(e) if zh => write!(f, "数据库错误：{}", Reason(e)),
            StoreError::Query(e) => write!(f, "database error: {}", Reason(e)),
        }
    }
}
