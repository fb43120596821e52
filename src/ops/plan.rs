//! Planning sessions for the students who wait for one, shared by `caiji sessions plan` and the
//! console's plan form; the rules are those of `domain::planner` (docs/sessions.md).

use chrono::{NaiveDate, NaiveDateTime};

use super::time::now;
use crate::domain::lengths::TooLong;
use crate::domain::planner::{self, Candidate, Plan, PlanError, PlanInput};
use crate::store::{NewSession, PlanKind, SessionRow, SessionWithStudents, Store, StoreError};

/// Why no plan is made; the words are in `words::domain`.
#[derive(Debug, thiserror::Error)]
pub enum PlanFailed {
    /// `--from` is before today.
    Past {
        from: NaiveDate,
        today: NaiveDate,
    },
    /// The planner refused the slots, days, stations or rate.
    Planner(#[from] PlanError),
    /// A title or location was left empty (`flag` names it).
    Empty {
        flag: String,
    },
    TooLong(#[from] TooLong),
    Store(#[from] StoreError),
}

type Result<T, E = PlanFailed> = std::result::Result<T, E>;

/// What a plan is asked for: the CLI's `sessions plan` flags, and the console's plan form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    pub first_day: NaiveDate,
    pub days: u32,
    /// Daily slots as written, e.g. `08:30-11:30,14:00-17:00`.
    pub slots: String,
    pub location: String,
    pub stations: u32,
    pub rate: u32,
    pub college_order: Vec<String>,
    /// Only the students of these colleges (empty: every college).
    pub colleges: Vec<String>,
    /// Spread the students over every session of the days given (`planner::plan_spread`)
    /// instead of filling the first sessions.
    pub spread: bool,
    pub makeup: bool,
}

impl PlanRequest {
    fn kind(&self) -> PlanKind {
        if self.makeup {
            PlanKind::Makeup
        } else {
            PlanKind::Unassigned
        }
    }
}

/// Splits `--college-order` (commas, full-width commas or 、) into college names.
pub fn split_colleges(text: &str) -> Vec<String> {
    text.split([',', '，', '、'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// Works a plan out for the students waiting now; nothing is saved. The candidates come back
/// too, for `create_plan`.
pub async fn make_plan(store: &dyn Store, req: &PlanRequest) -> Result<(Plan, Vec<Candidate>)> {
    let today = crate::clock::today();
    if req.first_day < today {
        return Err(PlanFailed::Past {
            from: req.first_day,
            today,
        });
    }
    let slots = planner::parse_slots(&req.slots)?;
    let location = check_text(&req.location, "--location")?;
    let mut candidates = store.plan_candidates(req.kind(), now()).await?;
    if !req.colleges.is_empty() {
        candidates.retain(|c| req.colleges.contains(&c.college));
    }
    let demand = planner::demand_of(&candidates);
    // Titles are data (they go into exports and calendars), written in the school's language.
    let title = if req.makeup { "补采" } else { "图像采集" };
    let planner = if req.spread {
        planner::plan_spread
    } else {
        planner::plan
    };
    let order: Vec<String> = if req.college_order.is_empty() {
        req.colleges.clone()
    } else {
        req.college_order.clone()
    };
    let plan = planner(&PlanInput {
        demand: &demand,
        college_order: &order,
        first_day: req.first_day,
        days: req.days,
        slots: &slots,
        location: &location,
        stations: req.stations,
        rate: req.rate,
        title,
    })?;
    Ok((plan, candidates))
}

/// Creates the sessions of `plan` with their students, in one transaction; returns their ids.
pub async fn create_plan(
    store: &dyn Store,
    plan: &Plan,
    candidates: &[Candidate],
    makeup: bool,
    operator: &str,
) -> Result<Vec<i64>> {
    if plan.sessions.is_empty() {
        return Ok(Vec::new());
    }
    let kind = if makeup {
        PlanKind::Makeup
    } else {
        PlanKind::Unassigned
    };
    let batch = planned_sessions(plan, candidates, makeup);
    Ok(store.create_planned(&batch, kind, now(), operator).await?)
}

/// The sessions of `plan` as the store creates them, each with the students the planner puts in it.
pub fn planned_sessions(
    plan: &Plan,
    candidates: &[Candidate],
    makeup: bool,
) -> Vec<SessionWithStudents> {
    let ids = planner::allocate(plan, candidates);
    plan.sessions
        .iter()
        .zip(ids)
        .map(|(p, students)| SessionWithStudents {
            session: NewSession {
                title: p.title.clone(),
                location: p.location.clone(),
                // The planner works on this station's wall clock; the store keeps moments.
                starts_at: crate::clock::from_local(p.starts_at),
                ends_at: crate::clock::from_local(p.ends_at),
                capacity: i32::try_from(p.capacity).unwrap_or(i32::MAX),
                stations: i32::try_from(p.stations).unwrap_or(i32::MAX),
                makeup,
            },
            students,
        })
        .collect()
}

/// Titles and locations: at most `lengths::SESSION_TEXT` characters on every backend.
pub fn check_text(value: &str, flag: &str) -> Result<String> {
    let clean = crate::domain::text::strip_controls(value.trim()).into_owned();
    if clean.is_empty() {
        return Err(PlanFailed::Empty {
            flag: flag.to_string(),
        });
    }
    if let Some(reason) =
        crate::domain::lengths::too_long(flag, &clean, crate::domain::lengths::SESSION_TEXT)
    {
        return Err(reason.into());
    }
    Ok(clean)
}

/// What the office should know before creating a plan (docs/console.md). Times are wall times
/// of this station, as the planner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanWarning {
    /// A planned session at the same place at the same time as an existing one.
    Overlap {
        planned: NaiveDateTime,
        existing: i64,
        existing_start: NaiveDateTime,
        existing_end: NaiveDateTime,
        location: String,
    },
    /// A planned session filled past `OVERLOAD_SHARE` of what its stations can photograph:
    /// no room left for walk-ins and retakes.
    Overload {
        planned: NaiveDateTime,
        students: u32,
        capacity: u32,
    },
}

/// The share of a session's capacity above which it is overloaded, in percent.
pub const OVERLOAD_PERCENT: u32 = 90;

/// Places are the same when they read the same without spaces and case.
fn same_place(a: &str, b: &str) -> bool {
    let key = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    key(a) == key(b)
}

/// Overlaps with `existing` sessions and overloaded sessions of `plan`, in plan order.
pub fn plan_warnings(plan: &Plan, existing: &[SessionRow]) -> Vec<PlanWarning> {
    let mut out = Vec::new();
    for p in &plan.sessions {
        for e in existing {
            // the planner works on this station's wall clock; stored sessions are moments
            let (start, end) = (
                crate::clock::local(e.starts_at),
                crate::clock::local(e.ends_at),
            );
            if same_place(&p.location, &e.location) && p.starts_at < end && start < p.ends_at {
                out.push(PlanWarning::Overlap {
                    planned: p.starts_at,
                    existing: e.id,
                    existing_start: start,
                    existing_end: end,
                    location: e.location.clone(),
                });
            }
        }
        let students = p.students();
        if u64::from(students) * 100 > u64::from(p.capacity) * u64::from(OVERLOAD_PERCENT) {
            out.push(PlanWarning::Overload {
                planned: p.starts_at,
                students,
                capacity: p.capacity,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::planner::{PlannedGroup, PlannedSession};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn planned(start: &str, end: &str, students: u32, capacity: u32) -> PlannedSession {
        PlannedSession {
            title: "图像采集".into(),
            location: "体育馆 一楼".into(),
            starts_at: at(start),
            ends_at: at(end),
            capacity,
            stations: 4,
            groups: vec![PlannedGroup {
                college: "计算机学院".into(),
                class: "计科2201".into(),
                students,
            }],
        }
    }

    fn existing(id: i64, start: &str, end: &str, location: &str) -> SessionRow {
        SessionRow {
            id,
            title: "已有".into(),
            location: location.into(),
            starts_at: crate::clock::from_local(at(start)),
            ends_at: crate::clock::from_local(at(end)),
            capacity: 100,
            stations: 1,
            makeup: false,
            assigned: 0,
            checked_in: 0,
            created_at: crate::clock::from_local(at("2026-01-01 00:00")),
        }
    }

    #[test]
    fn warnings_name_overlaps_at_the_same_place_and_overloads() {
        let plan = Plan {
            sessions: vec![
                planned("2026-03-02 08:30", "2026-03-02 11:30", 4000, 4200),
                planned("2026-03-02 14:00", "2026-03-02 17:00", 1000, 4200),
            ],
            unplaced: Vec::new(),
            shortfall: None,
            unknown_colleges: Vec::new(),
        };
        let sessions = [
            // same place written differently, overlapping the morning
            existing(5, "2026-03-02 10:00", "2026-03-02 12:00", "体育馆一楼"),
            // same time, another place: no overlap
            existing(6, "2026-03-02 14:00", "2026-03-02 17:00", "图书馆"),
            // same place, touching only at the edge: no overlap
            existing(7, "2026-03-02 11:30", "2026-03-02 12:30", "体育馆一楼"),
        ];
        let warnings = plan_warnings(&plan, &sessions);
        assert_eq!(
            warnings,
            vec![
                PlanWarning::Overlap {
                    planned: at("2026-03-02 08:30"),
                    existing: 5,
                    existing_start: at("2026-03-02 10:00"),
                    existing_end: at("2026-03-02 12:00"),
                    location: "体育馆一楼".into(),
                },
                PlanWarning::Overload {
                    planned: at("2026-03-02 08:30"),
                    students: 4000,
                    capacity: 4200,
                },
            ]
        );
    }
}
