//! Command-line definitions. Each subcommand calls the same core functions the console uses.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "caiji", version, about = "采集 — graduate photo collection console (collection-code mode)")]
pub struct Cli {
    /// Database URL: sqlite://PATH, postgres://USER@HOST/DB or mysql://USER@HOST/DB
    /// [env: CAIJI_DATABASE_URL, then DATABASE_URL; default: <data dir>/caiji.db]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Name written to the audit log [env: CAIJI_OPERATOR; default: the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    pub operator: Option<String>,

    /// Interface language: zh or en [env: CAIJI_LANG; config: lang]
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console (the default when no command is given)
    Tui(TuiArgs),
    /// Fill the database with a synthetic school to try caiji on
    Demo(DemoArgs),
    /// Create the database (and the data directory) and bring its schema up to date
    Init,
    /// Roster queries
    #[command(subcommand)]
    Students(StudentsCommand),
}

#[derive(Debug, Args, Default)]
pub struct TuiArgs {
    /// Theme name (default, light, high-contrast, mono) or path to a theme file
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Let the mouse scroll the list and pick rows and tabs [config: mouse = true]
    #[arg(long)]
    pub mouse: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of students
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub students: u32,
    /// Random seed: the same seed gives the same school
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Only build the school; do not open the console
    #[arg(long)]
    pub no_tui: bool,
    /// Replace the students already in the database
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum StudentsCommand {
    /// List students with the state of their code, session, check-in and photo
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_name = "学院")]
    pub college: Option<String>,
    #[arg(long, value_name = "班级")]
    pub class: Option<String>,
    #[arg(long, value_name = "辅导员")]
    pub counselor: Option<String>,
    /// 届 (graduation year)
    #[arg(long, value_name = "YEAR")]
    pub cohort: Option<i32>,
    /// Also list withdrawn students
    #[arg(long)]
    pub include_withdrawn: bool,
    /// Only students without a code, a session, a check-in or a valid photo
    #[arg(long, value_enum, value_name = "WHAT")]
    pub missing: Option<MissingArg>,
    /// Fuzzy search as the console's `/`: 学号, name, pinyin or initials (zs finds 张三), class,
    /// college; best matches first
    #[arg(long, value_name = "Q")]
    pub search: Option<String>,
    /// Show full ID numbers instead of the masked form (written to the audit log)
    #[arg(long)]
    pub reveal_id: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// What `--missing` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingArg {
    Code,
    Session,
    Checkin,
    Photo,
}

impl MissingArg {
    pub fn missing(self) -> crate::domain::search::Missing {
        use crate::domain::search::Missing;
        match self {
            MissingArg::Code => Missing::Code,
            MissingArg::Session => Missing::Session,
            MissingArg::Checkin => Missing::Checkin,
            MissingArg::Photo => Missing::Photo,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}
