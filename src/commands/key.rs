//! `caiji key generate|rotate|list`: the key file that seals collection codes.
//!
//! None of these commands opens the database: the key never goes near it. What they print and
//! log is the file's path, key ids and dates, never key material.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::cli::{Format, KeyCommand};
use crate::code::{KeyInfo, Keyring, KeyringError};
use crate::i18n::tr;

pub async fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<ExitCode> {
    match cmd {
        KeyCommand::Generate => generate(ctx),
        KeyCommand::Rotate => rotate(ctx),
        KeyCommand::List { format } => list(ctx, format),
    }
}

/// The school's keyring; a missing, unreadable or group/world-accessible file is an error that
/// says what to do (run `caiji key generate`, `chmod 600`, restore the backup).
pub fn load_keyring(ctx: &Ctx) -> Result<Keyring> {
    Ok(Keyring::load(&ctx.key_file)?)
}

/// The keyring, or None when there is no key file yet; any other problem is an error.
pub fn load_if_present(ctx: &Ctx) -> Result<Option<Keyring>> {
    match Keyring::load(&ctx.key_file) {
        Ok(ring) => Ok(Some(ring)),
        Err(KeyringError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Creates the key file with its first key (the data directory too, when it goes there).
pub fn create(ctx: &Ctx) -> Result<Keyring> {
    if ctx.key_file.parent() == Some(ctx.paths.data_dir.as_path()) {
        // The default place: make the data directory (0700) as the database would.
        ctx.paths.ensure_data_dir()?;
    }
    let ring = Keyring::generate(&ctx.key_file)?;
    tracing::info!(path = %ctx.key_file.display(), key_id = ring.current_id(), operator = %ctx.operator, "key file created");
    Ok(ring)
}

fn generate(ctx: &Ctx) -> Result<ExitCode> {
    let ring = create(ctx)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} ({} {})",
        tr("已创建密钥文件", "Key file created:"),
        ring.path().display(),
        tr("当前密钥", "current key"),
        ring.current_id()
    )?;
    writeln!(
        out,
        "{}",
        tr(
            "请把它离线备份：没有它，已签发的采集码都无法验证；任何拿到它的人都能伪造采集码。它不会写入数据库、日志或导出文件。",
            "Keep an offline backup: without it no issued code can be verified, and anyone holding it can forge codes. It never goes into the database, the log or an export."
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

fn rotate(ctx: &Ctx) -> Result<ExitCode> {
    let mut ring = load_keyring(ctx)?;
    let new = ring.rotate()?;
    tracing::info!(path = %ctx.key_file.display(), key_id = new.id, operator = %ctx.operator, "key rotated");
    let older: Vec<String> = ring
        .list()
        .iter()
        .filter(|k| !k.current)
        .map(|k| k.id.to_string())
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} {} {}",
        tr("新密钥", "Key"),
        new.id,
        tr("已成为当前密钥：", "is now the current key in"),
        ring.path().display()
    )?;
    writeln!(
        out,
        "{} {}{}",
        tr(
            "旧密钥仍保留用于验证此前签发的采集码：",
            "Older keys stay to verify the codes they sealed:"
        ),
        older.join(", "),
        tr(
            "。请把更新后的密钥文件复制到每个工作站，并更新离线备份。",
            ". Copy the updated key file to every station and refresh its offline backup."
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Ctx, format: Format) -> Result<ExitCode> {
    let ring = load_keyring(ctx)?;
    let keys: Vec<KeyInfo> = ring.list();
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&keys)?),
        Format::Csv => {
            let mut w = crate::export::csv::Writer::new(Vec::new())?;
            w.texts(["id", "created", "current"])?;
            for k in &keys {
                w.texts([
                    k.id.to_string(),
                    k.created.to_string(),
                    k.current.to_string(),
                ])?;
            }
            String::from_utf8(w.into_inner()?)?
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    let mark = if k.current {
                        tr("当前", "current")
                    } else {
                        ""
                    };
                    vec![k.id.to_string(), k.created.to_string(), mark.to_string()]
                })
                .collect();
            let mut text = crate::output::table(
                &[
                    tr("编号", "id"),
                    tr("创建日期", "created"),
                    tr("状态", "status"),
                ],
                &rows,
            );
            text.push_str(&format!(
                "{} {}\n",
                tr("密钥文件：", "key file:"),
                ring.path().display()
            ));
            text
        }
    };
    super::codes::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
