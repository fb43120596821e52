//! `caiji` / `caiji tui`: open the console.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use super::Ctx;
use crate::cli::TuiArgs;
use crate::store::Store;

pub async fn run(ctx: &Ctx, args: &TuiArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    run_with_store(ctx, Arc::from(store), args).await
}

pub async fn run_with_store(ctx: &Ctx, store: Arc<dyn Store>, args: &TuiArgs) -> Result<ExitCode> {
    let school = super::school_info(ctx, store.as_ref()).await?;
    let result = crate::tui::run(crate::tui::TuiContext {
        store: store.clone(),
        school,
        operator: ctx.operator.clone(),
        config: ctx.config.clone(),
        theme: args.theme.clone(),
        mouse: args.mouse,
        paths: ctx.paths.clone(),
        key_file: ctx.key_file.clone(),
    })
    .await;
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}
