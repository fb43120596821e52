//! Command-line definitions. Each subcommand calls the same core functions the console uses.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "caiji",
    version,
    about = "采集 — graduate photo collection console (collection-code mode)"
)]
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

    /// Key file that seals and verifies collection codes (mode 0600)
    /// [env: CAIJI_KEY_FILE; default: <data dir>/caiji.keys]
    #[arg(long, global = true, value_name = "PATH")]
    pub key_file: Option<std::path::PathBuf>,

    /// Console theme: default, light, high-contrast, mono, or the path of a theme file
    /// [config: theme]
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Let the mouse scroll the list and pick rows and tabs [config: mouse = true]
    #[arg(long, global = true)]
    pub mouse: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The console's options, wherever on the command line they were given.
    pub fn console(&self) -> TuiArgs {
        TuiArgs {
            theme: self.theme.clone(),
            mouse: self.mouse,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console (the default when no command is given)
    Tui,
    /// Fill the database with a synthetic school to try caiji on
    Demo(DemoArgs),
    /// Create the database (and the data directory) and bring its schema up to date
    Init,
    /// Roster queries
    #[command(subcommand)]
    Students(StudentsCommand),
    /// Completion reports and missing lists (table, CSV, JSON, XLSX)
    Report(ReportArgs),
    /// The audit trail: who showed, revealed, issued, revoked, exported or changed what
    Audit(AuditArgs),
    /// Collection sessions: add, list, assign, plan, check in, export
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Import the roster from a .csv (UTF-8, GBK or UTF-16), .xlsx or .xls file
    Import(ImportArgs),
    /// Roster maintenance: sync from the school's own database
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Collection codes (采集码): issue, show, verify, revoke, reissue, export
    #[command(subcommand)]
    Codes(CodesCommand),
    /// The key file that seals collection codes: generate, rotate, list
    #[command(subcommand)]
    Key(KeyCommand),
    /// Photo files from the collector
    #[command(subcommand)]
    Photos(PhotosCommand),
}

/// How the console looks and listens: the global `--theme` and `--mouse`, which the console
/// opened by `caiji`, `caiji tui` and `caiji demo` all take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TuiArgs {
    pub theme: Option<String>,
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
    /// Issue no collection codes (by default about 92% of students get one, a few of them
    /// revoked or reissued, sealed with the key file, which is created if missing)
    #[arg(long)]
    pub no_codes: bool,
}

#[derive(Debug, Subcommand)]
pub enum StudentsCommand {
    /// List students with the state of their code, session, check-in and photo
    List(ListArgs),
}

/// Which students a list is about; empty options match everyone.
#[derive(Debug, Args)]
pub struct FilterArgs {
    #[arg(long, value_name = "学院")]
    pub college: Option<String>,
    #[arg(long, value_name = "班级")]
    pub class: Option<String>,
    #[arg(long, value_name = "辅导员")]
    pub counselor: Option<String>,
    /// 届 (graduation year)
    #[arg(long, value_name = "YEAR")]
    pub cohort: Option<i32>,
}

impl FilterArgs {
    pub fn to_filter(&self, include_withdrawn: bool) -> crate::store::StudentFilter {
        crate::store::StudentFilter {
            college: self.college.clone(),
            class: self.class.clone(),
            counselor: self.counselor.clone(),
            cohort: self.cohort,
            include_withdrawn,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
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

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The roster: .csv (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16; detected), .xlsx or .xls
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Check the file and show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Import nothing if any row is rejected
    #[arg(long)]
    pub strict: bool,
    /// Worksheet to read from an .xlsx or .xls file (default: the first, or the one sheet with a
    /// header row when the first has none)
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Run the [roster.source] query of config.toml and bring the roster in line with it:
    /// students absent from the source are marked withdrawn, returning ones restored
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Change nothing if any row is rejected
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
}

/// Output of commands that report a summary (import, sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PhotosCommand {
    /// Match a folder of photos to the roster and check each against the photo spec
    Reconcile(ReconcileArgs),
    /// From the camera card to photos named by 学号: keyframes (a photographed code or station
    /// slate) say whose frames follow; the chosen frame is turned upright, cropped 3:4, resized,
    /// stripped of metadata and encoded inside the spec's byte range (docs/ingest.md)
    Ingest(IngestArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The camera card, or a copy of it: every JPEG below it, at any depth (never written to)
    #[arg(value_name = "CARD_DIR")]
    pub card: std::path::PathBuf,
    /// Where the photos go (created if missing; outside the card)
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Which frame of a student's sequence becomes the photo
    #[arg(long, value_enum, default_value_t = PickArg::Last)]
    pub pick: PickArg,
    /// Name files by 学号, or by full ID number as CHSI wants (written to the audit log)
    #[arg(long, value_enum, default_value_t = NameByArg::StudentNo)]
    pub name_by: NameByArg,
    /// Report what would happen; write no photo
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PickArg {
    Last,
    First,
    Sharpest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NameByArg {
    #[value(name = "student_no")]
    StudentNo,
    Id,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The folder the collector handed back (searched recursively)
    pub dir: std::path::PathBuf,
    /// Record the result in the database (idempotent; every change audited)
    #[arg(long)]
    pub apply: bool,
    /// Also decode every image and check the background colour at the top corners
    #[arg(long)]
    pub deep: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// Output of commands whose result is one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// Issue codes to students without an active code (students who have one keep it)
    Issue(IssueArgs),
    /// Draw a student's code as a QR code with its masked fields (written to the audit log)
    Show(ShowArgs),
    /// Print a student's code as text, nothing else (written to the audit log)
    Token(StudentArg),
    /// Check codes: authentic, this school's, not revoked (--offline: the key file only)
    #[command(
        long_about = "Check codes: authentic (sealed with a key of the key file), this school's, and not revoked.\n\n\
        Tokens come from the arguments, or one per line from stdin when there are none (blank lines \
        are skipped; surrounding spaces and lower case are accepted, as keyboard-wedge scanners send them). \
        One line (or JSON object) per token, in input order. Exit status 4 when any code is invalid, \
        revoked, another school's or unknown to the database.\n\n\
        Revocation is checked in the database. With --offline, or when the SQLite database file does \
        not exist, only the key file is used and the output says revocation was not checked \
        (revocation_checked: false). A server database (postgres://, mysql://) must answer unless \
        --offline is given."
    )]
    Verify(VerifyArgs),
    /// Revoke a student's active code and issue a new one with a new serial (audited)
    Reissue(ChangeArgs),
    /// Revoke a student's active code without a replacement (audited)
    Revoke(ChangeArgs),
    /// Write every active code to a CSV file, optionally with PNG/SVG images (audited)
    Export(ExportArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("targets").required(true).args(["all", "student_nos"])))]
pub struct IssueArgs {
    /// Every student on the roster who has no active code
    #[arg(long)]
    pub all: bool,
    /// These students (学号)
    #[arg(value_name = "学号")]
    pub student_nos: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct StudentArg {
    #[arg(value_name = "学号")]
    pub student_no: String,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(value_name = "学号")]
    pub student_no: String,
    /// Colours: auto = black/white cells on a terminal unless NO_COLOR is set, plain half blocks
    /// otherwise; always = coloured cells even into a pipe; never = plain half blocks
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Tokens to check; without any, one per line from stdin
    #[arg(value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Use only the key file: do not open the database (revocation is not checked)
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    #[arg(value_name = "学号")]
    pub student_no: String,
    /// Why (written to the audit log and kept with the revoked code)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// CSV file to write (UTF-8 with BOM, for Excel): 学号, masked name, masked ID, class, serial, token
    #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
    pub output: std::path::PathBuf,
    /// Also write one PNG per code, named <学号>.png, into this folder (created if missing)
    #[arg(long, value_name = "DIR")]
    pub png_dir: Option<std::path::PathBuf>,
    /// Also write an SVG per code beside each PNG (needs --png-dir)
    #[arg(long, requires = "png_dir")]
    pub svg: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create the key file with a first key (never overwrites an existing file)
    Generate,
    /// Add a new key and make it current; older keys stay so their codes still verify
    Rotate,
    /// List the keys: id, created date, which is current (never the key itself)
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
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
    pub const ALL: [MissingArg; 4] = [
        MissingArg::Code,
        MissingArg::Session,
        MissingArg::Checkin,
        MissingArg::Photo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MissingArg::Code => "code",
            MissingArg::Session => "session",
            MissingArg::Checkin => "checkin",
            MissingArg::Photo => "photo",
        }
    }

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

/// `caiji sessions ...` (docs/sessions.md and docs/cli.md).
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Create a session by hand
    Add(SessionAddArgs),
    /// List sessions with capacity, assigned and checked-in counts
    List(SessionListArgs),
    /// Assign students to a session: by 学号, or a whole college and/or class
    Assign(SessionAssignArgs),
    /// Remove students from a session (those already checked in there stay)
    Unassign(SessionAssignArgs),
    /// Plan sessions for every unassigned student (or make-up sessions with --makeup)
    Plan(SessionPlanArgs),
    /// Check students in by scanning their codes; tokens from stdin, one per line
    Checkin(SessionCheckinArgs),
    /// Send the scans this station queued while the server could not be reached
    Sync(SessionSyncArgs),
    /// Every scan this station queued offline and what became of it
    SyncReport(SessionSyncArgs),
    /// Export the schedule as CSV, XLSX or iCalendar (.ics)
    Export(SessionExportArgs),
    /// Draw the station slate of a check-in: the shot number large and a QR code for the camera
    /// to photograph before the student's portraits (a keyframe for `photos ingest`)
    Slate(SessionSlateArgs),
}

#[derive(Debug, Args)]
pub struct SessionSlateArgs {
    /// Session id (see `caiji sessions list`)
    pub session: i64,
    /// Shot number (拍摄号) handed out at check-in, or the provisional label (`B-017`) an
    /// offline station showed
    #[arg(value_name = "SHOT|LABEL")]
    pub shot: String,
    /// Colours: as for `codes show`
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct SessionAddArgs {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub location: String,
    /// Start, "YYYY-MM-DD HH:MM" (local time)
    #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
    pub start: String,
    /// End, "YYYY-MM-DD HH:MM" (local time)
    #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
    pub end: String,
    /// Students the session can photograph
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub capacity: i32,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub stations: i32,
    /// A make-up (补采) session
    #[arg(long)]
    pub makeup: bool,
}

#[derive(Debug, Args)]
pub struct SessionListArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").required(true).multiple(true).args(["student_nos", "college", "class"]))]
pub struct SessionAssignArgs {
    /// Session id (see `caiji sessions list`)
    pub session: i64,
    /// 学号 of the students
    #[arg(value_name = "学号", conflicts_with_all = ["college", "class"])]
    pub student_nos: Vec<String>,
    /// Every student of this college (with --class: of that class in it)
    #[arg(long, value_name = "学院")]
    pub college: Option<String>,
    /// Every student of this class
    #[arg(long, value_name = "班级")]
    pub class: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionPlanArgs {
    /// First day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub from: String,
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
    /// Daily time slots, e.g. 08:30-11:30,14:00-17:00
    #[arg(long, value_name = "HH:MM-HH:MM,...")]
    pub slots: String,
    #[arg(long)]
    pub location: String,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub stations: u32,
    /// Students per station-hour
    #[arg(long, default_value_t = crate::domain::planner::DEFAULT_RATE, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: u32,
    /// Colleges to schedule first, in this order, comma-separated
    #[arg(long, value_name = "学院,学院,...")]
    pub college_order: Option<String>,
    /// Only the students of these colleges, comma-separated (their order is the plan's)
    #[arg(long, value_name = "学院,学院,...")]
    pub colleges: Option<String>,
    /// Spread the students over every session of the days given instead of filling the first
    #[arg(long)]
    pub spread: bool,
    /// Print the plan; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Plan make-up (补采) sessions for students whose session is over without a valid photo
    #[arg(long)]
    pub makeup: bool,
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    Table,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct SessionCheckinArgs {
    /// Session id (see `caiji sessions list`)
    pub session: i64,
    /// Name of this station, recorded with each check-in
    #[arg(long, env = "CAIJI_STATION", default_value = "station")]
    pub station: String,
    /// Also take students of other sessions or none (recorded as walk-ins)
    #[arg(long)]
    pub allow_walk_in: bool,
    /// Make-up (补采) sessions only: check in again, with this reason (audited), students
    /// already checked in at another session; their earlier check-in is kept as history
    #[arg(long, value_name = "TEXT")]
    pub retake_reason: Option<String>,
    /// The letter of this station's provisional labels while the server cannot be reached
    /// (`B-017`); default: `station_letter` in config.toml, else the station name's first letter
    #[arg(long, env = "CAIJI_STATION_LETTER")]
    pub letter: Option<String>,
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

#[derive(Debug, Clone, Args)]
pub struct SessionSyncArgs {
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleBy {
    College,
    Counselor,
}

#[derive(Debug, Args)]
pub struct SessionExportArgs {
    /// Output file: .csv, .xlsx or .ics
    #[arg(short, long, value_name = "FILE")]
    pub output: std::path::PathBuf,
    /// Lines per college or per counselor (which class, when, where)
    #[arg(long, value_enum, default_value_t = ScheduleBy::College)]
    pub by: ScheduleBy,
    /// .ics only: floating local times instead of Asia/Shanghai
    #[arg(long)]
    pub floating: bool,
}

/// `caiji report`: completion by group, or (`report missing ...`) who still lacks something.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// How to group the students
    #[arg(long, value_enum, default_value_t = GroupByArg::College)]
    pub by: GroupByArg,
    /// 届 (graduation year)
    #[arg(long, value_name = "YEAR")]
    pub cohort: Option<i32>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to a file instead: .csv (UTF-8 with BOM) or .xlsx (summary plus one sheet per missing list)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupByArg {
    College,
    Class,
    Counselor,
    Session,
    Level,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Students still without a code, a session, a check-in or a valid photo
    Missing(MissingArgs),
}

#[derive(Debug, Args)]
pub struct MissingArgs {
    /// What the students are missing
    #[arg(value_enum)]
    pub kind: MissingArg,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Full ID numbers instead of masked ones (written to the audit log)
    #[arg(long)]
    pub reveal_id: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to a file instead: .csv (UTF-8 with BOM) or .xlsx
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `caiji audit`: the audit trail, newest first.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries about this 学号
    #[arg(long, value_name = "学号")]
    pub student: Option<String>,
    /// Only this action (show, reveal_id, issue, revoke, reissue, export, import, update, withdraw, checkin, ...)
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries from this date ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM") on
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most this many entries
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
