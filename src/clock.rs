//! One clock (docs/time.md): every moment caiji records is UTC; what a person reads or types is
//! the wall-clock time of the zone their process runs in (`TZ`, else the machine's zone).
//! Stations in different zones therefore agree on the order of what they wrote.

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

tokio::task_local! {
    /// The moment `as_of` makes `now` read, inside its work only.
    static AS_OF: DateTime<Utc>;
}

/// Now, to the second: what every `*_at` column records. Inside `as_of`, its moment.
pub fn now() -> DateTime<Utc> {
    let t = AS_OF.try_with(|t| *t).unwrap_or_else(|_| Utc::now());
    t.with_nanosecond(0).unwrap_or(t)
}

/// Runs `work` with `now` reading `at`: how `caiji demo` writes a plausible history (roster,
/// then codes, then sessions, then check-ins inside their session's hours) through the same
/// code paths as real use. Only `work` itself sees it: other tasks and threads keep the real
/// clock.
pub async fn as_of<F: std::future::Future>(at: DateTime<Utc>, work: F) -> F::Output {
    AS_OF.scope(at, work).await
}

/// `t` as the wall clock of this process's zone shows it.
pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    wall_time(t, &Local)
}

/// The day `t` falls on in this process's zone.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    local(t).date()
}

/// Today in this process's zone.
pub fn today() -> NaiveDate {
    local_date(Utc::now())
}

/// `t` in this process's zone, formatted with a chrono format string.
pub fn format_local(t: DateTime<Utc>, format: &str) -> String {
    local(t).format(format).to_string()
}

/// The moment a wall-clock time typed in this process's zone names.
pub fn from_local(t: NaiveDateTime) -> DateTime<Utc> {
    moment_of(t, &Local)
}

/// `t` on the wall clock of `zone`.
pub fn wall_time<Tz: TimeZone>(t: DateTime<Utc>, zone: &Tz) -> NaiveDateTime {
    t.with_timezone(zone).naive_local()
}

/// The moment the wall-clock time `t` of `zone` names. A time the clock shows twice (the hour a
/// daylight-saving zone turns back) is taken the first time; a time it skips (the hour it
/// springs forward) is read as the same time of the zone's offset before the jump, so it lands
/// just after it, as a person who typed it meant.
pub fn moment_of<Tz: TimeZone>(t: NaiveDateTime, zone: &Tz) -> DateTime<Utc> {
    if let Some(m) = zone.from_local_datetime(&t).earliest() {
        return m.with_timezone(&Utc);
    }
    // Inside a gap: the offset in force an hour (every real gap is at most that) earlier.
    match zone
        .from_local_datetime(&(t - Duration::hours(1)))
        .earliest()
    {
        Some(before) => {
            let offset = before.naive_local() - before.naive_utc();
            (t - offset).and_utc()
        }
        None => t.and_utc(),
    }
}

/// Reads a moment saved as RFC 3339 text (what caiji writes), or as `YYYY-MM-DD HH:MM:SS`
/// without a zone (what it wrote before the one clock: this machine's wall time).
pub fn deserialize_moment<'de, D>(deserializer: D) -> Result<DateTime<Utc>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    parse_moment(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "'{text}' is not a time (RFC 3339 or YYYY-MM-DD HH:MM:SS)"
        ))
    })
}

fn parse_moment(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(from_local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn wall_time_and_moment_are_inverse_in_a_fixed_zone() {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let cases = [
            ("2026-06-01 08:30:00", "2026-06-01 00:30:00"),
            ("2026-06-01 07:59:59", "2026-05-31 23:59:59"),
            ("2026-01-01 00:00:00", "2025-12-31 16:00:00"),
        ];
        for (wall, utc) in cases {
            let m = moment_of(at(wall), &shanghai);
            assert_eq!(m.naive_utc(), at(utc), "{wall}");
            assert_eq!(wall_time(m, &shanghai), at(wall), "{wall}");
        }
    }

    #[test]
    fn saved_moments_read_back() {
        let t = at("2026-06-01 00:30:00").and_utc();
        assert_eq!(parse_moment("2026-06-01T00:30:00Z"), Some(t));
        assert_eq!(parse_moment("2026-06-01T08:30:00+08:00"), Some(t));
        assert_eq!(
            parse_moment("2026-06-01 08:30:00"),
            Some(from_local(at("2026-06-01 08:30:00")))
        );
        assert_eq!(parse_moment("yesterday"), None);
    }

    #[test]
    fn now_has_whole_seconds() {
        assert_eq!(now().nanosecond(), 0);
    }

    #[tokio::test]
    async fn as_of_holds_for_its_work_only() {
        let then = at("2026-03-01 09:15:30").and_utc();
        let inside = as_of(then, async {
            tokio::task::yield_now().await;
            now()
        })
        .await;
        assert_eq!(inside, then);
        assert!(now() > then, "the real clock again outside");
        let elsewhere = as_of(then, async { tokio::spawn(async { now() }).await.unwrap() }).await;
        assert!(elsewhere > then, "another task keeps the real clock");
    }
}
