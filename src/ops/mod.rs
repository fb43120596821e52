//! The operations both faces run: the command line (`commands/`) and the console (`tui/`) call
//! these, and neither face imports the other (docs/architecture.md).

pub mod checkin;
pub mod codes;
pub mod keys;
pub mod plan;
pub mod report_files;
pub mod school;
pub mod station;
pub mod time;
