//! Planning sessions for the students who wait for one, shared by `caiji sessions plan` and the
//! console's plan form; the rules are those of `domain::planner` (docs/sessions.md).

use anyhow::{Result, bail};
use chrono::NaiveDate;

use super::time::now;
use crate::domain::planner::{self, Candidate, Plan, PlanInput};
use crate::store::{NewSession, PlanKind, SessionWithStudents, Store};

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
        bail!(
            "--from {} is in the past: sessions are planned from today ({today}) on",
            req.first_day
        );
    }
    let slots = planner::parse_slots(&req.slots)?;
    let location = check_text(&req.location, "--location")?;
    let candidates = store.plan_candidates(req.kind(), now()).await?;
    let demand = planner::demand_of(&candidates);
    // Titles are data (they go into exports and calendars), written in the school's language.
    let title = if req.makeup { "补采" } else { "图像采集" };
    let plan = planner::plan(&PlanInput {
        demand: &demand,
        college_order: &req.college_order,
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

/// Titles and locations are stored in 200-character columns.
pub fn check_text(value: &str, flag: &str) -> Result<String> {
    let clean = crate::domain::text::strip_controls(value.trim()).into_owned();
    if clean.is_empty() {
        bail!(
            "{flag} is empty: give the session a {}",
            flag.trim_start_matches('-')
        );
    }
    if clean.chars().count() > 200 {
        bail!("{flag} is longer than 200 characters: shorten it");
    }
    Ok(clean)
}
