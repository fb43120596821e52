//! `caiji codes verify [TOKEN...]`: is each code authentic, this school's, and not revoked?
//!
//! Tokens come from the arguments or, without any, one per line from stdin (a keyboard-wedge
//! scanner, a file); each answer is printed as soon as it is known. Revocation is looked up in
//! the database; with `--offline`, or when the SQLite file does not exist, only the key file is
//! used and every answer says revocation was not checked.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::super::Ctx;
use crate::cli::{Format, VerifyArgs};
use crate::code::{
    CodePayload, Keyring, Revocation, VerifyError, VerifyOutcome, normalize_input, verify,
};
use crate::domain::Level;
use crate::i18n::{Lang, lang, tr};
use crate::store::{self, Create, Store};

/// This school, as far as it is known: codes of another school code are refused.
struct School {
    code: Option<String>,
    name: Option<String>,
}

/// What one token turned out to be.
enum Verdict {
    /// Not an authentic code of this keyring.
    Invalid(VerifyError),
    /// Authentic, but sealed for another school code (a shared key file, a changed config).
    Foreign(CodePayload),
    /// Authentic and this school's, with what the database knows of it.
    Checked(VerifyOutcome),
}

impl Verdict {
    fn is_valid(&self) -> bool {
        matches!(self, Verdict::Checked(o) if o.is_valid())
    }
}

/// One object of the JSON array (docs/cli.md), in this key order.
#[derive(Serialize)]
struct VerifyJson<'a> {
    valid: bool,
    status: &'static str,
    reason: Option<String>,
    serial: Option<u64>,
    student_no: Option<&'a str>,
    masked_name: Option<&'a str>,
    masked_id: Option<&'a str>,
    school_code: Option<&'a str>,
    school_name: Option<&'a str>,
    level: Option<&'static str>,
    cohort: Option<i32>,
    issued_on: Option<String>,
    revocation_checked: bool,
}

fn foreign_message(code: &str, ours: &str) -> String {
    match lang() {
        Lang::Zh => format!(
            "这是其他学校的采集码（学校代码 {code}，本校为 {ours}）——请该生使用本校签发的采集码"
        ),
        Lang::En => format!(
            "this is another school's code (school code {code}; this school is {ours}) — the student needs a code issued here"
        ),
    }
}

fn to_json<'a>(verdict: &'a Verdict, school: &'a School) -> VerifyJson<'a> {
    let from = |p: &'a CodePayload,
                valid: bool,
                status: &'static str,
                reason: Option<String>,
                checked: bool,
                name: Option<&'a str>| VerifyJson {
        valid,
        status,
        reason,
        serial: Some(p.serial),
        student_no: Some(&p.student_no),
        masked_name: Some(&p.masked_name),
        masked_id: Some(&p.masked_id),
        school_code: Some(&p.school_code),
        school_name: name,
        level: Some(p.level.code()),
        cohort: Some(p.cohort),
        issued_on: Some(p.issued_on.to_string()),
        revocation_checked: checked,
    };
    match verdict {
        Verdict::Invalid(e) => VerifyJson {
            valid: false,
            status: "unknown",
            reason: Some(e.to_string()),
            serial: None,
            student_no: None,
            masked_name: None,
            masked_id: None,
            school_code: None,
            school_name: None,
            level: None,
            cohort: None,
            issued_on: None,
            revocation_checked: false,
        },
        Verdict::Foreign(p) => {
            let reason = foreign_message(&p.school_code, school.code.as_deref().unwrap_or(""));
            from(p, false, "unknown", Some(reason), false, None)
        }
        Verdict::Checked(o) => {
            // docs/cli.md: reason is null when valid; revocation_checked tells an offline answer apart.
            let reason = if o.is_valid() { None } else { o.message() };
            from(
                &o.payload,
                o.is_valid(),
                o.status(),
                reason,
                o.revocation_checked(),
                school.name.as_deref(),
            )
        }
    }
}

fn level_text(level: Level) -> &'static str {
    if lang() == Lang::Zh {
        level.label_zh()
    } else {
        level.label_en()
    }
}

/// One line of the table output: position, verdict word, the code's fields, and why.
fn table_line(n: usize, verdict: &Verdict, school: &School) -> String {
    let fields = |p: &CodePayload| {
        format!(
            "{} {}  {}  {}  {}  {} {}  {} {}",
            tr("编号", "serial"),
            p.serial,
            p.student_no,
            p.masked_name,
            p.masked_id,
            level_text(p.level),
            p.cohort,
            tr("签发", "issued"),
            p.issued_on
        )
    };
    let text = match verdict {
        Verdict::Invalid(e) => format!("{}  {e}", tr("无效", "INVALID")),
        Verdict::Foreign(p) => {
            format!(
                "{}  {}  — {}",
                tr("外校", "FOREIGN"),
                fields(p),
                foreign_message(&p.school_code, school.code.as_deref().unwrap_or(""))
            )
        }
        Verdict::Checked(o) => {
            let word = match o.revocation {
                Revocation::Active | Revocation::NotChecked => tr("有效", "VALID"),
                Revocation::Revoked { .. } => tr("已作废", "REVOKED"),
                Revocation::UnknownSerial => tr("未知", "UNKNOWN"),
            };
            match o.message() {
                Some(m) => format!("{word}  {}  — {m}", fields(&o.payload)),
                None => format!("{word}  {}", fields(&o.payload)),
            }
        }
    };
    format!("{n}. {}\n", crate::domain::text::strip_controls(&text))
}

/// Looks the code's serial up. A serial held by a different token (another database sealing
/// with the same key file) is as unknown as a missing one.
async fn revocation(store: &dyn Store, payload: &CodePayload, token: &str) -> Result<Revocation> {
    let Ok(serial) = i64::try_from(payload.serial) else {
        return Ok(Revocation::UnknownSerial);
    };
    let Some(record) = store.code_by_serial(serial).await? else {
        return Ok(Revocation::UnknownSerial);
    };
    if record.token != token || record.student_no != payload.student_no {
        return Ok(Revocation::UnknownSerial);
    }
    match record.state {
        crate::store::CodeState::Active => Ok(Revocation::Active),
        crate::store::CodeState::Revoked => {
            let revoked_on =
                crate::clock::local_date(record.revoked_at.unwrap_or(record.issued_at));
            let replacement_issued_on = match record.replaced_by {
                Some(next) => store
                    .code_by_serial(next)
                    .await?
                    .map(|c| crate::clock::local_date(c.issued_at)),
                // Revoked first and reissued later (`codes revoke`, then `codes reissue`): the
                // student's next code is the replacement all the same.
                None => store
                    .student_codes(&record.student_no)
                    .await?
                    .and_then(|(_, codes)| {
                        codes
                            .into_iter()
                            .filter(|c| c.serial > record.serial)
                            .min_by_key(|c| c.serial)
                    })
                    .map(|c| crate::clock::local_date(c.issued_at)),
            };
            Ok(Revocation::Revoked {
                revoked_on,
                replacement_issued_on,
            })
        }
    }
}

async fn judge(
    text: &str,
    keyring: &Keyring,
    school: &School,
    store: Option<&dyn Store>,
) -> Result<Verdict> {
    let payload = match verify(text, keyring) {
        Ok(p) => p,
        Err(e) => return Ok(Verdict::Invalid(e)),
    };
    if school
        .code
        .as_deref()
        .is_some_and(|ours| ours != payload.school_code)
    {
        return Ok(Verdict::Foreign(payload));
    }
    Ok(Verdict::Checked(match store {
        Some(store) => {
            let revocation = revocation(store, &payload, &normalize_input(text)).await?;
            VerifyOutcome {
                payload,
                revocation,
            }
        }
        None => VerifyOutcome::offline(payload),
    }))
}

/// The database to check revocation in, or None to verify with the key file only.
async fn open_for_verify(ctx: &Ctx, offline: bool) -> Result<Option<Box<dyn Store>>> {
    if offline {
        return Ok(None);
    }
    if let Some(path) = super::super::sqlite_path(&ctx.database_url)
        && !path.exists()
    {
        eprintln!(
            "caiji: {} {} — {}",
            tr("没有数据库", "no database at"),
            path.display(),
            tr(
                "仅用密钥文件验证，未检查是否已作废",
                "verifying with the key file only; revocation is not checked"
            )
        );
        return Ok(None);
    }
    let store = store::open(&ctx.database_url, Create::Never).await.with_context(|| {
        tr("无法打开数据库检查作废状态；只用密钥文件验证请加 --offline", "cannot open the database to check revocation; add --offline to verify with the key file only")
    })?;
    Ok(Some(store))
}

/// This school's code and name: the config, else the database's settings. Unknown (no config,
/// no database) means codes are not checked for their school.
async fn this_school(ctx: &Ctx, store: Option<&dyn Store>) -> Result<School> {
    if let Some(s) = &ctx.config.school {
        return Ok(School {
            code: Some(s.code.trim().to_string()),
            name: Some(s.name.clone()),
        });
    }
    let Some(store) = store else {
        return Ok(School {
            code: None,
            name: None,
        });
    };
    let setting = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(School {
        code: setting(store.get_setting("school_code").await?),
        name: setting(store.get_setting("school_name").await?),
    })
}

pub(super) async fn run(ctx: &Ctx, args: &VerifyArgs) -> Result<ExitCode> {
    let keyring = super::super::key::load_keyring(ctx)?;
    let store = open_for_verify(ctx, args.offline).await?;
    let school = this_school(ctx, store.as_deref()).await?;

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut all_valid = true;
    let mut n = 0usize;
    let mut answer = async |text: &str,
                            out: &mut std::io::BufWriter<std::io::StdoutLock<'static>>|
           -> Result<bool> {
        let verdict = judge(text, &keyring, &school, store.as_deref()).await?;
        n += 1;
        let text = match args.format {
            Format::Json => format!(
                "{}{}",
                if n == 1 { "[\n" } else { ",\n" },
                serde_json::to_string(&to_json(&verdict, &school))?
            ),
            Format::Table => table_line(n, &verdict, &school),
            Format::Csv => csv_line(n == 1, &verdict, &school)?,
        };
        write_flushed(out, &text)?;
        Ok(verdict.is_valid())
    };

    if args.tokens.is_empty() {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!(
                "{}",
                tr(
                    "请扫描或粘贴采集码，每行一个；按 Ctrl-D 结束。",
                    "Scan or paste codes, one per line; Ctrl-D to finish."
                )
            );
        }
        for line in stdin.lock().lines() {
            let line = line.context(tr("无法读取标准输入", "cannot read stdin"))?;
            // A scanner's extra Enter is not a code.
            if line.trim().is_empty() {
                continue;
            }
            all_valid &= answer(&line, &mut out).await?;
        }
    } else {
        for token in &args.tokens {
            all_valid &= answer(token, &mut out).await?;
        }
    }
    match args.format {
        Format::Json => write_flushed(&mut out, if n == 0 { "[]\n" } else { "\n]\n" })?,
        Format::Csv if n == 0 => write_flushed(&mut out, &csv_start()?)?,
        _ => {}
    }
    if let Some(store) = store {
        store.close().await;
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::super::EXIT_INVALID_CODE)
    })
}

/// Writes and flushes, so a station sees each answer at once; a closed pipe ends quietly.
fn write_flushed(out: &mut impl Write, text: &str) -> Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

const CSV_KEYS: [&str; 13] = [
    "valid",
    "status",
    "reason",
    "serial",
    "student_no",
    "masked_name",
    "masked_id",
    "school_code",
    "school_name",
    "level",
    "cohort",
    "issued_on",
    "revocation_checked",
];

/// The JSON object's fields as one CSV record (with the header before the first).
fn csv_line(header: bool, verdict: &Verdict, school: &School) -> Result<String> {
    let j = to_json(verdict, school);
    let opt = |v: Option<&str>| v.unwrap_or("").to_string();
    let record = [
        j.valid.to_string(),
        j.status.to_string(),
        j.reason.clone().unwrap_or_default(),
        j.serial.map(|s| s.to_string()).unwrap_or_default(),
        opt(j.student_no),
        opt(j.masked_name),
        opt(j.masked_id),
        opt(j.school_code),
        opt(j.school_name),
        opt(j.level),
        j.cohort.map(|c| c.to_string()).unwrap_or_default(),
        j.issued_on.clone().unwrap_or_default(),
        j.revocation_checked.to_string(),
    ];
    let mut text = if header { csv_start()? } else { String::new() };
    let mut w = crate::export::csv::Writer::continuing(Vec::new());
    w.texts(record)?;
    text.push_str(&String::from_utf8(w.into_inner()?)?);
    Ok(text)
}

/// The start of the CSV output: the BOM and the header line, from the one CSV writer.
fn csv_start() -> Result<String> {
    let mut w = crate::export::csv::Writer::new(Vec::new())?;
    w.texts(CSV_KEYS)?;
    Ok(String::from_utf8(w.into_inner()?)?)
}
