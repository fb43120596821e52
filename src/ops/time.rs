//! Times as sessions, check-ins and the audit log write them: stored in UTC, read and written by
//! people on their own station's clock (docs/time.md).

use chrono::{DateTime, Utc};

/// Session times as the command line writes and prints them (this station's zone).
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

/// A stored moment as this station's clock shows it.
pub fn format_time(t: DateTime<Utc>) -> String {
    crate::clock::format_local(t, TIME_FORMAT)
}

/// Now, to the second, as the store records it.
pub fn now() -> DateTime<Utc> {
    crate::clock::now()
}
