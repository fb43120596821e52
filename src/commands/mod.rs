//! The edge between the command line and the core: each command opens what it needs and prints.

pub mod codes;
pub mod demo;
pub mod import;
pub mod ingest;
pub mod init;
pub mod key;
pub mod photos;
pub mod report;
pub mod roster;
pub mod sessions;
pub mod students;

use anyhow::{Context, Result};

use crate::cli::Cli;
use crate::config::{Config, Paths};
use crate::i18n::{self, Lang};
use crate::store::{self, Create, Store};

/// Exit statuses of docs/cli.md.
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_PROBLEMS: u8 = 3;
pub const EXIT_INVALID_CODE: u8 = 4;

/// Everything a command needs to know before it touches the database.
pub struct Ctx {
    pub paths: Paths,
    pub config: Config,
    pub operator: String,
    pub database_url: String,
    /// True when no URL was given and the SQLite file in the data directory is used.
    pub default_database: bool,
    /// `--key-file`, then `CAIJI_KEY_FILE`, then `<data dir>/caiji.keys`.
    pub key_file: std::path::PathBuf,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Result<Ctx> {
        let paths = Paths::from_env()?;
        let config = Config::load(&paths.config_file())?;
        let lang = cli
            .lang
            .as_deref()
            .map(|l| {
                Lang::parse(l).with_context(|| format!("unknown language '{l}': use zh or en"))
            })
            .transpose()?
            .or_else(|| {
                std::env::var("CAIJI_LANG")
                    .ok()
                    .and_then(|l| Lang::parse(&l))
            })
            .or(config.lang)
            .unwrap_or_default();
        i18n::set_lang(lang);
        let operator = cli
            .operator
            .clone()
            .or_else(|| std::env::var("CAIJI_OPERATOR").ok())
            .filter(|o| !o.trim().is_empty())
            .unwrap_or_else(os_user);
        // the audit log's operator column holds this many characters on every backend
        if let Some(refused) = crate::domain::lengths::too_long(
            "--operator / CAIJI_OPERATOR",
            &operator,
            crate::domain::lengths::OPERATOR,
        ) {
            anyhow::bail!(refused);
        }
        if let Some(refused) = crate::domain::text::first_unwanted(&operator) {
            anyhow::bail!(refused.message("--operator / CAIJI_OPERATOR", i18n::lang()));
        }
        let (database_url, default_database) =
            crate::config::database_url(cli.database_url.as_deref(), &paths);
        let key_file = cli
            .key_file
            .clone()
            .or_else(|| {
                std::env::var_os("CAIJI_KEY_FILE")
                    .filter(|v| !v.is_empty())
                    .map(std::path::PathBuf::from)
            })
            .unwrap_or_else(|| paths.data_dir.join(crate::code::keyring::FILE_NAME));
        init_logging(&paths);
        Ok(Ctx {
            paths,
            config,
            operator,
            database_url,
            default_database,
            key_file,
        })
    }

    /// Opens the selected database, creating the SQLite file or server database if needed.
    pub async fn open_store(&self) -> Result<Box<dyn Store>> {
        if self.default_database {
            self.paths.ensure_data_dir()?;
        }
        if let Some(path) = sqlite_path(&self.database_url) {
            check_sqlite_writable(&path)?;
        }
        let store = store::open(&self.database_url, Create::IfMissing).await?;
        tracing::info!(url = store.display_url(), operator = %self.operator, "database opened");
        Ok(store)
    }
}

/// The file behind a `sqlite://` URL, if it is a file.
pub(crate) fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// SQLite needs to write the database file and, for WAL, its folder. Say so before it fails
/// deep inside the driver with "unable to open database file".
pub(super) fn check_sqlite_writable(path: &std::path::Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!(
            "{} {} {}",
            i18n::tr("文件夹", "the folder"),
            dir.display(),
            i18n::tr(
                "不存在；请先创建它，或用 --database-url 指定其他位置",
                "does not exist; create it or choose another --database-url"
            )
        );
    }
    // Permission bits first: root may bypass them, but a folder marked read-only means "keep out".
    if std::fs::metadata(dir)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false)
    {
        anyhow::bail!(
            "{} {} {}",
            i18n::tr("文件夹", "the folder"),
            dir.display(),
            i18n::tr(
                "是只读的 (read-only)；SQLite 需要在那里写数据库和日志文件 —— 请改为可写，或设置 CAIJI_HOME",
                "is read-only; SQLite needs to write its database and journal there — make it writable or set CAIJI_HOME"
            )
        );
    }
    let probe = dir.join(format!(".caiji-write-test-{}", std::process::id()));
    // a new file only: a link planted under the probe's name is never followed or truncated
    match crate::files::create_private(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => anyhow::bail!(
            "{} {} {} ({e}){}",
            i18n::tr("文件夹", "the folder"),
            dir.display(),
            i18n::tr("不可写", "is not writable"),
            i18n::tr(
                "；SQLite 需要在那里写文件 —— 请修改权限或设置 CAIJI_HOME",
                "; SQLite needs to write there — fix its permissions or set CAIJI_HOME"
            )
        ),
    }
}

/// The login name of whoever runs caiji: `USER`/`LOGNAME`, else looked up from the process's uid
/// (services and `su` sessions often have neither variable set).
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".to_string())
}

fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    })
}

/// Log to `<data dir>/caiji.log`, never to the terminal. Logging is best effort. The file is
/// opened at the first line logged, so a command that logs nothing (a refused `--strict` import)
/// leaves no file behind, and created `0600` (docs/files.md).
fn init_logging(paths: &Paths) {
    let writable =
        std::fs::metadata(&paths.data_dir).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
    if !writable {
        return;
    }
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("CAIJI_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(LogFile::Unopened(paths.log_file())))
        .try_init();
}

/// The log file, opened when the first line is written.
enum LogFile {
    Unopened(std::path::PathBuf),
    Open(std::fs::File),
    /// It could not be opened: lines are dropped (logging is best effort).
    Unavailable,
}

impl std::io::Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let LogFile::Unopened(path) = self {
            *self = match crate::files::open_append_private(path) {
                Ok(file) => LogFile::Open(file),
                Err(_) => LogFile::Unavailable,
            };
        }
        match self {
            LogFile::Open(file) => file.write(buf),
            _ => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            LogFile::Open(file) => file.flush(),
            _ => Ok(()),
        }
    }
}

pub use crate::words::error_line;

/// The school and cohort of this database (see `ops::school`).
pub async fn school_info(ctx: &Ctx, store: &dyn Store) -> Result<crate::ops::school::SchoolInfo> {
    Ok(crate::ops::school::school_info(&ctx.config, store).await?)
}
