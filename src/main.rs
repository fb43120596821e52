//! caiji — wiring only: parse the command line, load the config, open the store, run.
#![deny(unsafe_code)]

use std::process::ExitCode;

use caiji::cli::{self, Cli, Command};
use std::sync::Arc;

use caiji::commands::{self, Ctx};
use caiji::store::Store;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("caiji: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        let ctx = Ctx::new(&cli)?;
        // `--theme` and `--mouse` are global: given before or after the command
        let console_args = cli.console();
        match cli.command {
            None | Some(Command::Tui) => console(&ctx, None, &console_args).await,
            Some(Command::Demo(args)) => match commands::demo::run(&ctx, &args).await? {
                commands::demo::Demo::Done(code) => Ok(code),
                commands::demo::Demo::OpenConsole(store) => {
                    console(&ctx, Some(store), &console_args).await
                }
            },
            Some(Command::Init) => commands::init::run(&ctx).await,
            Some(Command::Students(cmd)) => commands::students::run(&ctx, cmd).await,
            Some(Command::Report(args)) => commands::report::run(&ctx, args).await,
            Some(Command::Audit(args)) => commands::report::audit(&ctx, &args).await,
            Some(Command::Sessions(cmd)) => commands::sessions::run(&ctx, cmd).await,
            Some(Command::Import(args)) => commands::import::run(&ctx, &args).await,
            Some(Command::Roster(cmd)) => commands::roster::run(&ctx, cmd).await,
            Some(Command::Codes(cmd)) => commands::codes::run(&ctx, cmd).await,
            Some(Command::Key(cmd)) => commands::key::run(&ctx, cmd).await,
            Some(Command::Photos(cmd)) => commands::photos::run(&ctx, cmd).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("caiji: {}", commands::error_line(&err));
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

/// `caiji` / `caiji tui` (and `caiji demo` when it is done): open the console, on `store` when
/// the caller has it open already.
async fn console(
    ctx: &Ctx,
    store: Option<Box<dyn Store>>,
    args: &cli::TuiArgs,
) -> anyhow::Result<ExitCode> {
    let store: Arc<dyn Store> = match store {
        Some(store) => Arc::from(store),
        None => Arc::from(ctx.open_store().await?),
    };
    let school = commands::school_info(ctx, store.as_ref()).await?;
    let result = caiji::tui::run(caiji::tui::TuiContext {
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
    // Queries the console no longer waits for run to their end; a send left on a connection a
    // cut network holds must not keep the console from quitting.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), store.close()).await;
    result.map(|()| ExitCode::SUCCESS)
}
