//! The operations both faces run: the command line (`commands/`) and the console (`tui/`) call
//! these, and neither face imports the other (docs/architecture.md).

pub mod checkin;
pub mod keys;
pub mod plan;
pub mod report_files;
pub mod school;
pub mod station;
pub mod time;

/// One line for the user: the error and its causes, without repeats.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = crate::config::one_line(&cause.to_string());
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
