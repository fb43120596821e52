//! Session planning (docs/sessions.md), free of I/O: which classes go to which session.
//!
//! The rules, in order of importance:
//! 1. a session never holds more students than its capacity
//!    (stations × rate × slot hours, rounded down);
//! 2. a class stays whole unless it alone is larger than the largest session;
//! 3. each college's classes sit in contiguous sessions, colleges in the given order;
//! 4. the same input gives the same plan, whatever order the roster arrives in.
//!
//! Within a college, classes are placed largest first into the earliest session with room
//! (first-fit decreasing), which packs well and keeps the plan short. A college may start in
//! the last session of the college before it, so no room is wasted at the seams.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Students one station photographs in an hour, unless told otherwise.
pub const DEFAULT_RATE: u32 = 350;

/// One class of students to place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassDemand {
    pub college: String,
    pub class: String,
    pub students: u32,
}

/// A student the planner may place, as the store hands them over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub student_no: String,
    pub college: String,
    pub class: String,
}

/// A daily time slot, such as 08:30–11:30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Slot {
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// Everything the planner needs to know.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub demand: &'a [ClassDemand],
    /// Colleges to place first, in this order; the others follow by name.
    pub college_order: &'a [String],
    pub first_day: NaiveDate,
    pub days: u32,
    pub slots: &'a [Slot],
    pub location: &'a str,
    pub stations: u32,
    /// Students per station-hour.
    pub rate: u32,
    /// The start of every session title, e.g. "图像采集" or "补采".
    pub title: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGroup {
    pub college: String,
    pub class: String,
    pub students: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSession {
    pub title: String,
    pub location: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: u32,
    pub stations: u32,
    pub groups: Vec<PlannedGroup>,
}

impl PlannedSession {
    pub fn students(&self) -> u32 {
        self.groups.iter().map(|g| g.students).sum()
    }
}

/// What would make the whole roster fit, when it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub students: u32,
    /// Days to add at the same number of stations.
    pub more_days: u32,
    /// Stations needed over the same days (None if no number of stations would do).
    pub stations_needed: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub sessions: Vec<PlannedSession>,
    /// Classes (or the rest of a split class) that found no room.
    pub unplaced: Vec<ClassDemand>,
    pub shortfall: Option<Shortfall>,
    /// Colleges named in the order that have no students to place (probably misspelt).
    pub unknown_colleges: Vec<String>,
}

impl Plan {
    pub fn placed(&self) -> u32 {
        self.sessions.iter().map(PlannedSession::students).sum()
    }
}

/// Why the planner refuses its input; the words are in `words::plan`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    NoSlots,
    BadSlot(String),
    Backwards(String),
    Overlap(String, String),
    NoDays,
    NoStations,
    NoRate,
    EmptySlot {
        slot: String,
        stations: u32,
        rate: u32,
    },
}

/// Parses `08:30-11:30,14:00-17:00` into slots sorted by start, refusing overlaps.
pub fn parse_slots(text: &str) -> Result<Vec<Slot>, PlanError> {
    let mut slots = Vec::new();
    for part in text
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part
            .split_once(['-', '~', '–', '—'])
            .ok_or_else(|| PlanError::BadSlot(part.to_string()))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| PlanError::BadSlot(part.to_string()))
        };
        let slot = Slot {
            start: time(a)?,
            end: time(b)?,
        };
        if slot.end <= slot.start {
            return Err(PlanError::Backwards(part.to_string()));
        }
        slots.push(slot);
    }
    if slots.is_empty() {
        return Err(PlanError::NoSlots);
    }
    slots.sort();
    for pair in slots.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(PlanError::Overlap(slot_text(&pair[0]), slot_text(&pair[1])));
        }
    }
    Ok(slots)
}

pub fn slot_text(slot: &Slot) -> String {
    format!(
        "{}-{}",
        slot.start.format("%H:%M"),
        slot.end.format("%H:%M")
    )
}

/// Students one session of `slot` can take: stations × rate × hours, rounded down.
pub fn slot_capacity(slot: &Slot, stations: u32, rate: u32) -> u32 {
    let per = u64::from(stations) * u64::from(rate) * slot.minutes().max(0) as u64 / 60;
    u32::try_from(per).unwrap_or(u32::MAX)
}

/// Counts students per (college, class), in a stable order.
pub fn demand_of(candidates: &[Candidate]) -> Vec<ClassDemand> {
    let mut counts: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for c in candidates {
        *counts
            .entry((c.college.as_str(), c.class.as_str()))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((college, class), students)| ClassDemand {
            college: college.into(),
            class: class.into(),
            students,
        })
        .collect()
}

/// A session title: the base and the colleges it serves (at most three named).
pub fn session_title(base: &str, colleges: &[&str]) -> String {
    let mut title = base.to_string();
    if !colleges.is_empty() {
        title.push(' ');
        title.push_str(
            &colleges
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join("、"),
        );
        if colleges.len() > 3 {
            title.push_str(&format!(" 等{}个学院", colleges.len()));
        }
    }
    // Titles are stored in a 200-character column.
    title
        .chars()
        .take(crate::domain::lengths::SESSION_TEXT)
        .collect()
}

/// Plans sessions for `input.demand`. Never fails once the input is valid: what does not fit is
/// returned in `unplaced`, with the days or stations that would make it fit.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    plan_with(input, false)
}

/// Like `plan`, but spread over every session of the days given: each session is filled only
/// as far as an even share of the students (never below the largest class, so classes stay
/// whole), raised step by step until everyone fits. The sessions keep their full capacity, for
/// walk-ins. With room for all in the first morning, `plan` puts them there; this does not.
pub fn plan_spread(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    plan_with(input, true)
}

fn plan_with(input: &PlanInput<'_>, spread: bool) -> Result<Plan, PlanError> {
    check(input)?;
    let capacities: Vec<u32> = input
        .slots
        .iter()
        .map(|s| slot_capacity(s, input.stations, input.rate))
        .collect();
    let colleges = ordered_colleges(input.demand, input.college_order);
    let limit = input.days as usize * input.slots.len();
    let fill = if spread {
        spread_fill(&colleges, &capacities, limit)
    } else {
        capacities.clone()
    };
    let packing = pack(&colleges, &fill, Some(limit));

    let total_unplaced: u32 = packing.unplaced.iter().map(|d| d.students).sum();
    let shortfall = (total_unplaced > 0).then(|| {
        let unbounded = pack(&colleges, &capacities, None);
        let sessions_needed = unbounded.sessions.len();
        let days_needed = sessions_needed.div_ceil(input.slots.len()) as u32;
        Shortfall {
            students: total_unplaced,
            more_days: days_needed.saturating_sub(input.days),
            stations_needed: stations_needed(input, &colleges, limit),
        }
    });

    let mut sessions = Vec::new();
    for (index, groups) in packing.sessions.into_iter().enumerate() {
        if groups.is_empty() {
            continue;
        }
        let slot = input.slots[index % input.slots.len()];
        let day = input.first_day + Duration::days((index / input.slots.len()) as i64);
        let mut names: Vec<&str> = Vec::new();
        for g in &groups {
            if !names.contains(&g.college.as_str()) {
                names.push(&g.college);
            }
        }
        sessions.push(PlannedSession {
            title: session_title(input.title, &names),
            location: input.location.to_string(),
            starts_at: day.and_time(slot.start),
            ends_at: day.and_time(slot.end),
            capacity: capacities[index % capacities.len()],
            stations: input.stations,
            groups,
        });
    }
    let known: Vec<&str> = colleges.iter().map(|(c, _)| c.as_str()).collect();
    let mut unknown_colleges: Vec<String> = Vec::new();
    for c in input.college_order {
        if !known.contains(&c.as_str()) && !unknown_colleges.contains(c) {
            unknown_colleges.push(c.clone());
        }
    }
    Ok(Plan {
        sessions,
        unplaced: packing.unplaced,
        shortfall,
        unknown_colleges,
    })
}

fn check(input: &PlanInput<'_>) -> Result<(), PlanError> {
    if input.slots.is_empty() {
        return Err(PlanError::NoSlots);
    }
    if input.days == 0 {
        return Err(PlanError::NoDays);
    }
    if input.stations == 0 {
        return Err(PlanError::NoStations);
    }
    if input.rate == 0 {
        return Err(PlanError::NoRate);
    }
    for slot in input.slots {
        if slot.end <= slot.start {
            return Err(PlanError::Backwards(slot_text(slot)));
        }
        if slot_capacity(slot, input.stations, input.rate) == 0 {
            return Err(PlanError::EmptySlot {
                slot: slot_text(slot),
                stations: input.stations,
                rate: input.rate,
            });
        }
    }
    Ok(())
}

/// Colleges in planning order, each with its classes largest first (ties by class name).
/// Duplicate (college, class) entries are merged, so the input order never matters.
fn ordered_colleges(demand: &[ClassDemand], order: &[String]) -> Vec<(String, Vec<ClassDemand>)> {
    let mut merged: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
    for d in demand.iter().filter(|d| d.students > 0) {
        *merged
            .entry(&d.college)
            .or_default()
            .entry(&d.class)
            .or_default() += d.students;
    }
    let mut names: Vec<&str> = Vec::new();
    for c in order {
        if merged.contains_key(c.as_str()) && !names.contains(&c.as_str()) {
            names.push(c);
        }
    }
    let rest: Vec<&str> = merged
        .keys()
        .copied()
        .filter(|c| !names.contains(c))
        .collect();
    names.extend(rest);
    names
        .into_iter()
        .map(|college| {
            let mut classes: Vec<ClassDemand> = merged[college]
                .iter()
                .map(|(class, &students)| ClassDemand {
                    college: college.into(),
                    class: (*class).into(),
                    students,
                })
                .collect();
            classes.sort_by(|a, b| {
                b.students
                    .cmp(&a.students)
                    .then_with(|| a.class.cmp(&b.class))
            });
            (college.to_string(), classes)
        })
        .collect()
}

/// How far to fill each slot's sessions so the students spread over all `limit` sessions: an
/// even share (at least the largest class), raised by 5% at a time until everyone fits or the
/// share reaches the capacity.
fn spread_fill(
    colleges: &[(String, Vec<ClassDemand>)],
    capacities: &[u32],
    limit: usize,
) -> Vec<u32> {
    let classes = || colleges.iter().flat_map(|(_, c)| c);
    let total: u64 = classes().map(|c| u64::from(c.students)).sum();
    let largest_cap = capacities.iter().copied().max().unwrap_or(0);
    let largest_class = classes().map(|c| c.students).max().unwrap_or(0);
    let share = u32::try_from(total.div_ceil(limit.max(1) as u64)).unwrap_or(u32::MAX);
    let mut target = share.max(largest_class.min(largest_cap)).max(1);
    loop {
        let fill: Vec<u32> = capacities.iter().map(|c| (*c).min(target)).collect();
        if target >= largest_cap || pack(colleges, &fill, Some(limit)).unplaced.is_empty() {
            return fill;
        }
        target = target.saturating_add((target / 20).max(1)).min(largest_cap);
    }
}

struct Packing {
    /// Groups per session index (slot-major within a day); trailing sessions exist only if used.
    sessions: Vec<Vec<PlannedGroup>>,
    unplaced: Vec<ClassDemand>,
}

/// First-fit decreasing within each college, colleges one after another. `limit` is the
/// number of sessions available (None: as many as needed).
fn pack(
    colleges: &[(String, Vec<ClassDemand>)],
    capacities: &[u32],
    limit: Option<usize>,
) -> Packing {
    let cap = |i: usize| capacities[i % capacities.len()];
    let largest = capacities.iter().copied().max().unwrap_or(0);
    let mut sessions: Vec<Vec<PlannedGroup>> = Vec::new();
    let mut used: Vec<u32> = Vec::new();
    let mut unplaced = Vec::new();
    let available = |i: usize| limit.is_none_or(|l| i < l);
    let open = |i: usize, sessions: &mut Vec<Vec<PlannedGroup>>, used: &mut Vec<u32>| {
        while sessions.len() <= i {
            sessions.push(Vec::new());
            used.push(0);
        }
    };
    // The first session the current college may use: the last one of the college before.
    let mut start = 0usize;
    for (college, classes) in colleges {
        let mut last: Option<usize> = None;
        for class in classes {
            let group = |students| PlannedGroup {
                college: college.clone(),
                class: class.class.clone(),
                students,
            };
            if class.students > largest {
                // Too big for any session: fill sessions one after another from the first with room.
                let mut left = class.students;
                let mut i = start;
                while left > 0 && available(i) {
                    open(i, &mut sessions, &mut used);
                    let take = (cap(i) - used[i]).min(left);
                    if take > 0 {
                        sessions[i].push(group(take));
                        used[i] += take;
                        left -= take;
                        last = Some(last.map_or(i, |l| l.max(i)));
                    }
                    i += 1;
                }
                if left > 0 {
                    unplaced.push(ClassDemand {
                        students: left,
                        ..class.clone()
                    });
                }
            } else {
                let mut i = start;
                let mut placed = false;
                while available(i) {
                    let room = if i < used.len() {
                        cap(i) - used[i]
                    } else {
                        cap(i)
                    };
                    if room >= class.students {
                        open(i, &mut sessions, &mut used);
                        sessions[i].push(group(class.students));
                        used[i] += class.students;
                        last = Some(last.map_or(i, |l| l.max(i)));
                        placed = true;
                        break;
                    }
                    i += 1;
                }
                if !placed {
                    unplaced.push(class.clone());
                }
            }
        }
        if let Some(l) = last {
            start = l;
        }
    }
    // Sessions opened while looking for room but never used would be empty; keep the list tight.
    while sessions.last().is_some_and(Vec::is_empty) {
        sessions.pop();
    }
    Packing { sessions, unplaced }
}

/// The fewest stations (more than given) that fit everyone into the same days, if any number
/// up to the one that fits the whole roster into a single session does.
fn stations_needed(
    input: &PlanInput<'_>,
    colleges: &[(String, Vec<ClassDemand>)],
    limit: usize,
) -> Option<u32> {
    let total: u64 = colleges
        .iter()
        .flat_map(|(_, c)| c)
        .map(|c| u64::from(c.students))
        .sum();
    let shortest = input
        .slots
        .iter()
        .map(Slot::minutes)
        .min()
        .unwrap_or(0)
        .max(1) as u64;
    // At this many stations even the shortest slot holds every student at once.
    let enough = (total * 60)
        .div_ceil(u64::from(input.rate) * shortest)
        .max(1);
    let ceiling = u32::try_from(enough).ok()?.max(input.stations + 1);
    (input.stations + 1..=ceiling).find(|&stations| {
        let caps: Vec<u32> = input
            .slots
            .iter()
            .map(|s| slot_capacity(s, stations, input.rate))
            .collect();
        pack(colleges, &caps, Some(limit)).unplaced.is_empty()
    })
}

/// Chooses the students of each planned group: within a class, by 学号, in session order.
/// Returns the student ids per planned session.
pub fn allocate(plan: &Plan, candidates: &[Candidate]) -> Vec<Vec<i64>> {
    let mut by_class: BTreeMap<(&str, &str), Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        by_class.entry((&c.college, &c.class)).or_default().push(c);
    }
    for list in by_class.values_mut() {
        list.sort_by(|a, b| a.student_no.cmp(&b.student_no).then(a.id.cmp(&b.id)));
    }
    let mut taken: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    plan.sessions
        .iter()
        .map(|session| {
            let mut ids = Vec::with_capacity(session.students() as usize);
            for g in &session.groups {
                let key = (g.college.as_str(), g.class.as_str());
                let from = taken.get(&key).copied().unwrap_or(0);
                let list = by_class.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                let to = (from + g.students as usize).min(list.len());
                ids.extend(list[from.min(to)..to].iter().map(|c| c.id));
                taken.insert(key, to);
            }
            ids
        })
        .collect()
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
