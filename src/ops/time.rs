//! Times as sessions, check-ins and the audit log write them (docs/data-model.md).

use chrono::NaiveDateTime;

/// Session times as the command line writes and prints them.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

pub fn format_time(t: NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Local time now, to the second, as the store records it.
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let t = chrono::Local::now().naive_local();
    t.with_nanosecond(0).unwrap_or(t)
}
