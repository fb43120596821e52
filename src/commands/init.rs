//! `caiji init`: create the database and its schema. Running it again changes nothing.

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::i18n::tr;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let students = store.student_count().await?;
    println!(
        "{} {} ({}: {students})",
        tr("数据库已就绪：", "Database ready:"),
        store.display_url(),
        tr("学生", "students")
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
