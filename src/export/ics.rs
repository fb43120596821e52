//! iCalendar (RFC 5545) files that calendar apps import: CRLF line ends, lines folded at 75
//! octets without splitting a UTF-8 character, TEXT values escaped, one VEVENT per event.

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};

use super::{ExportError, write_output};

/// How event times are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// `DTSTART;TZID=Asia/Shanghai:...` with its VTIMEZONE (China has kept UTC+8 without
    /// daylight saving since 1991, so one STANDARD rule describes it).
    Shanghai,
    /// Floating local time: the wall-clock time of the station that exports, shown as the same
    /// wall-clock time wherever the calendar is opened.
    Floating,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across exports, so importing again updates instead of duplicating.
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub location: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Shown by some apps as the calendar's name (X-WR-CALNAME).
    pub name: String,
    pub zone: Zone,
    pub events: Vec<Event>,
}

const TZID: &str = "Asia/Shanghai";

/// The calendar as text. `stamp` is when the file is made (DTSTAMP, in UTC).
pub fn render(calendar: &Calendar, stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |text: String| out.push_str(&fold(&text));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//caiji//Graduate photo collection//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(&calendar.name)));
    if calendar.zone == Zone::Shanghai {
        line(format!("X-WR-TIMEZONE:{TZID}"));
        for l in [
            "BEGIN:VTIMEZONE",
            "TZID:Asia/Shanghai",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "TZNAME:CST",
            "END:STANDARD",
            "END:VTIMEZONE",
        ] {
            line(l.into());
        }
    }
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for e in &calendar.events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&e.uid)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART{}", time_value(e.start, calendar.zone)));
        line(format!("DTEND{}", time_value(e.end, calendar.zone)));
        line(format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.location.is_empty() {
            line(format!("LOCATION:{}", escape_text(&e.location)));
        }
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// Writes the calendar to `path` (replacing it whole, never half-written).
pub fn write(path: &Path, calendar: &Calendar, stamp: DateTime<Utc>) -> Result<(), ExportError> {
    write_output(path, render(calendar, stamp).as_bytes())
}

/// `;TZID=Asia/Shanghai:20260302T083000` or `:20260302T083000` (floating).
fn time_value(t: DateTime<Utc>, zone: Zone) -> String {
    const FORMAT: &str = "%Y%m%dT%H%M%S";
    match zone {
        Zone::Shanghai => {
            let value = crate::clock::wall_time(t, &shanghai()).format(FORMAT);
            format!(";TZID={TZID}:{value}")
        }
        Zone::Floating => format!(":{}", crate::clock::format_local(t, FORMAT)),
    }
}

/// Asia/Shanghai: UTC+8 all year (see `Zone::Shanghai`).
fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, line breaks as
/// `\n`; other control characters, which TEXT may not hold, dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded (RFC 5545 §3.1): no physical line longer than 75 octets, each
/// continuation starting with a space, breaks only between characters; ends with CRLF.
pub fn fold(line: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / LIMIT * 3 + 2);
    let mut rest = line;
    let mut room = LIMIT;
    loop {
        if rest.len() <= room {
            out.push_str(rest);
            break;
        }
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space counts toward the next line's 75 octets.
        room = LIMIT - 1;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let cases = [
            ("图书馆, 一楼; 东侧", "图书馆\\, 一楼\\; 东侧"),
            ("a\\b", "a\\\\b"),
            (
                "第一行\n第二行\r\n第三行\r第四行",
                "第一行\\n第二行\\n第三行\\n第四行",
            ),
            ("bell\u{7}esc\u{1b}", "bellesc"),
            ("tab\there", "tab\there"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_text(input), want, "{input:?}");
        }
    }

    #[test]
    fn folding_keeps_lines_short_and_characters_whole() {
        let long = format!("DESCRIPTION:{}", "计算机学院软件工程2201班".repeat(12));
        let folded = fold(&long);
        assert!(folded.ends_with("\r\n"));
        let lines: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 5);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "line {i} has {} octets", l.len());
            assert_eq!(
                l.starts_with(' '),
                i > 0,
                "continuations start with one space"
            );
        }
        // Unfolding (remove CRLF + space) gives the line back: no character was split.
        assert_eq!(folded.trim_end_matches("\r\n").replace("\r\n ", ""), long);
        // Lines uses as much of the 75 octets as whole characters allow.
        assert!(lines[0].len() >= 73, "{}", lines[0].len());

        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
        assert_eq!(
            fold(&"X".repeat(76)),
            format!("{}\r\n X\r\n", "X".repeat(75))
        );
    }

    fn sample(zone: Zone) -> String {
        // 08:30 and 11:30 on the wall clock the calendar is written for.
        let at = |h, m| {
            let wall = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap();
            match zone {
                Zone::Shanghai => wall.and_utc() - chrono::Duration::hours(8),
                Zone::Floating => crate::clock::from_local(wall),
            }
        };
        let calendar = Calendar {
            name: "毕业生图像采集".into(),
            zone,
            events: vec![Event {
                uid: "session-1-20260101T000000@10001.caiji".into(),
                start: at(8, 30),
                end: at(11, 30),
                summary: "图像采集 计算机学院".into(),
                location: "体育馆, 一楼".into(),
                description: "软工2201: 35人\n软工2202: 40人".into(),
            }],
        };
        let stamp = chrono::DateTime::parse_from_rfc3339("2026-02-01T01:02:03Z")
            .unwrap()
            .with_timezone(&Utc);
        render(&calendar, stamp)
    }

    #[test]
    fn events_carry_the_zone_stamp_and_crlf() {
        let text = sample(Zone::Shanghai);
        assert!(
            text.contains("\r\nDTSTART;TZID=Asia/Shanghai:20260302T083000\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nDTEND;TZID=Asia/Shanghai:20260302T113000\r\n"));
        assert!(text.contains("\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n"));
        assert!(text.contains("\r\nDTSTAMP:20260201T010203Z\r\n"));
        assert!(text.contains("\r\nLOCATION:体育馆\\, 一楼\r\n"));
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "every line ends with CRLF"
        );

        let floating = sample(Zone::Floating);
        assert!(floating.contains("\r\nDTSTART:20260302T083000\r\n"));
        assert!(!floating.contains("VTIMEZONE") && !floating.contains("TZID"));
    }
}
