//! The missing-filters: which students still lack a code, a session, a check-in or a valid
//! photo (docs/reports.md), shared by the console and `students list --missing`.

/// The progress of one student's collection, as the missing-filters see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub code_active: bool,
    pub in_session: bool,
    pub checked_in: bool,
    pub photo_valid: bool,
}

/// "Students without …": a code, a session, a check-in or a valid photo (docs/reports.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    Code,
    Session,
    Checkin,
    Photo,
}

impl Missing {
    pub const ALL: [Missing; 4] = [
        Missing::Code,
        Missing::Session,
        Missing::Checkin,
        Missing::Photo,
    ];

    /// The word used on the command line and in config: `code`, `session`, `checkin`, `photo`.
    pub fn name(self) -> &'static str {
        match self {
            Missing::Code => "code",
            Missing::Session => "session",
            Missing::Checkin => "checkin",
            Missing::Photo => "photo",
        }
    }

    pub fn parse(text: &str) -> Option<Missing> {
        let t = text.trim().to_ascii_lowercase();
        Missing::ALL
            .into_iter()
            .find(|m| m.name() == t || (t == "check-in" && *m == Missing::Checkin))
    }

    /// True when the student lacks this.
    pub fn applies(self, p: &Progress) -> bool {
        match self {
            Missing::Code => !p.code_active,
            Missing::Session => !p.in_session,
            Missing::Checkin => !p.checked_in,
            Missing::Photo => !p.photo_valid,
        }
    }

    /// How many of the four a student lacks (for sorting by progress).
    pub fn count(p: &Progress) -> usize {
        Missing::ALL.iter().filter(|m| m.applies(p)).count()
    }
}
