//! Planner tests: worked examples, then the invariants over many random rosters.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("valid date")
}

fn demand(college: &str, class: &str, students: u32) -> ClassDemand {
    ClassDemand {
        college: college.into(),
        class: class.into(),
        students,
    }
}

fn input<'a>(
    demand: &'a [ClassDemand],
    slots: &'a [Slot],
    days: u32,
    stations: u32,
) -> PlanInput<'a> {
    PlanInput {
        demand,
        college_order: &[],
        first_day: day(2),
        days,
        slots,
        location: "体育馆",
        stations,
        rate: DEFAULT_RATE,
        title: "图像采集",
    }
}

#[test]
fn slots_parse_sorted_and_refuse_nonsense() {
    let ok = [
        (
            "08:30-11:30,14:00-17:00",
            vec![(t(8, 30), t(11, 30)), (t(14, 0), t(17, 0))],
        ),
        (
            "14:00-17:00, 08:30-11:30",
            vec![(t(8, 30), t(11, 30)), (t(14, 0), t(17, 0))],
        ),
        (
            "8:00~9:00，9:00-10:00",
            vec![(t(8, 0), t(9, 0)), (t(9, 0), t(10, 0))],
        ),
    ];
    for (text, want) in ok {
        let got: Vec<(NaiveTime, NaiveTime)> = parse_slots(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .iter()
            .map(|s| (s.start, s.end))
            .collect();
        assert_eq!(got, want, "{text}");
    }
    let bad = [
        ("", PlanError::NoSlots),
        (" , ", PlanError::NoSlots),
        ("08:30", PlanError::BadSlot("08:30".into())),
        ("8.30-11.30", PlanError::BadSlot("8.30-11.30".into())),
        ("25:00-26:00", PlanError::BadSlot("25:00-26:00".into())),
        ("11:30-08:30", PlanError::Backwards("11:30-08:30".into())),
        ("09:00-09:00", PlanError::Backwards("09:00-09:00".into())),
        (
            "08:00-10:00,09:30-11:00",
            PlanError::Overlap("08:00-10:00".into(), "09:30-11:00".into()),
        ),
    ];
    for (text, want) in bad {
        assert_eq!(parse_slots(text), Err(want), "{text:?}");
    }
}

#[test]
fn capacity_is_stations_times_rate_times_hours_rounded_down() {
    let cases = [
        ((t(8, 30), t(11, 30)), 1, 350, 1050),
        ((t(8, 30), t(11, 0)), 2, 350, 1750),
        ((t(8, 0), t(8, 10)), 1, 350, 58),
        ((t(8, 0), t(8, 1)), 1, 59, 0),
        ((t(14, 0), t(17, 0)), 8, 350, 8400),
    ];
    for ((start, end), stations, rate, want) in cases {
        assert_eq!(
            slot_capacity(&Slot { start, end }, stations, rate),
            want,
            "{start}-{end} ×{stations} @{rate}"
        );
    }
}

#[test]
fn invalid_inputs_are_refused_with_reasons() {
    let d = [demand("计算机学院", "软工2201", 30)];
    let slots = [Slot {
        start: t(8, 0),
        end: t(8, 1),
    }];
    let cases = [
        (
            PlanInput {
                rate: 59,
                ..input(&d, &slots, 1, 1)
            },
            PlanError::EmptySlot {
                slot: "08:00-08:01".into(),
                stations: 1,
                rate: 59,
            },
        ),
        (input(&d, &[], 1, 1), PlanError::NoSlots),
        (input(&d, &slots, 0, 1), PlanError::NoDays),
        (input(&d, &slots, 1, 0), PlanError::NoStations),
        (
            PlanInput {
                rate: 0,
                ..input(&d, &slots, 1, 1)
            },
            PlanError::NoRate,
        ),
    ];
    for (i, (inp, want)) in cases.into_iter().enumerate() {
        assert_eq!(plan(&inp), Err(want), "case {i}");
    }
}

#[test]
fn worked_example_packs_first_fit_and_reports_the_shortfall() {
    let slots = [Slot {
        start: t(8, 30),
        end: t(11, 30),
    }];
    let d = [
        demand("A学院", "a1", 600),
        demand("A学院", "a2", 500),
        demand("A学院", "a3", 100),
        demand("B学院", "b1", 900),
    ];
    let p = plan(&input(&d, &slots, 2, 1)).unwrap();
    let shape: Vec<Vec<(&str, u32)>> = p
        .sessions
        .iter()
        .map(|s| {
            s.groups
                .iter()
                .map(|g| (g.class.as_str(), g.students))
                .collect()
        })
        .collect();
    // a1 opens day 1; a2 does not fit beside it and opens day 2; a3 goes back to day 1's room.
    assert_eq!(
        shape,
        vec![vec![("a1", 600), ("a3", 100)], vec![("a2", 500)]]
    );
    assert_eq!(p.sessions[0].starts_at, day(2).and_time(t(8, 30)));
    assert_eq!(p.sessions[1].ends_at, day(3).and_time(t(11, 30)));
    assert_eq!(p.sessions[0].title, "图像采集 A学院");
    assert_eq!(p.sessions[0].capacity, 1050);
    assert_eq!(p.unplaced, vec![demand("B学院", "b1", 900)]);
    assert_eq!(
        p.shortfall,
        Some(Shortfall {
            students: 900,
            more_days: 1,
            stations_needed: Some(2)
        })
    );

    // With the suggested day or stations, everyone is placed.
    assert!(plan(&input(&d, &slots, 3, 1)).unwrap().unplaced.is_empty());
    let two = plan(&input(&d, &slots, 2, 2)).unwrap();
    assert!(two.unplaced.is_empty());
    assert_eq!(
        two.sessions.len(),
        1,
        "2,100 places hold all 2,100 students in one session"
    );
    assert_eq!(two.sessions[0].title, "图像采集 A学院、B学院");
}

#[test]
fn a_class_larger_than_any_session_is_split_across_consecutive_sessions() {
    let slots = [
        Slot {
            start: t(8, 0),
            end: t(9, 0),
        },
        Slot {
            start: t(10, 0),
            end: t(11, 0),
        },
    ];
    let d = [
        demand("外国语学院", "英语2201", 40),
        demand("医学院", "临床2201", 800),
    ];
    let order = ["医学院".to_string()];
    let p = plan(&PlanInput {
        college_order: &order,
        ..input(&d, &slots, 2, 1)
    })
    .unwrap();
    let shape: Vec<Vec<(&str, u32)>> = p
        .sessions
        .iter()
        .map(|s| {
            s.groups
                .iter()
                .map(|g| (g.class.as_str(), g.students))
                .collect()
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            vec![("临床2201", 350)],
            vec![("临床2201", 350)],
            vec![("临床2201", 100), ("英语2201", 40)]
        ]
    );
    assert!(p.unknown_colleges.is_empty());
}

#[test]
fn unknown_colleges_in_the_order_are_reported() {
    let slots = [Slot {
        start: t(8, 0),
        end: t(9, 0),
    }];
    let d = [demand("医学院", "临床2201", 10)];
    let order = ["医学部".to_string(), "医学院".to_string()];
    let p = plan(&PlanInput {
        college_order: &order,
        ..input(&d, &slots, 1, 1)
    })
    .unwrap();
    assert_eq!(p.unknown_colleges, vec!["医学部".to_string()]);
    assert_eq!(p.placed(), 10);
}

#[test]
fn long_titles_are_cut_to_the_column() {
    assert_eq!(session_title("补采", &[]), "补采");
    assert_eq!(
        session_title("补采", &["甲", "乙", "丙", "丁"]),
        "补采 甲、乙、丙 等4个学院"
    );
    let long = "学".repeat(300);
    assert_eq!(session_title("补采", &[&long]).chars().count(), 200);
}

#[test]
fn allocation_takes_students_by_number_in_session_order() {
    let candidates: Vec<Candidate> = [
        (5, "003", "A", "x"),
        (1, "001", "A", "x"),
        (3, "002", "A", "x"),
        (9, "100", "B", "y"),
    ]
    .into_iter()
    .map(|(id, no, college, class)| Candidate {
        id,
        student_no: no.into(),
        college: college.into(),
        class: class.into(),
    })
    .collect();
    let group = |college: &str, class: &str, students| PlannedGroup {
        college: college.into(),
        class: class.into(),
        students,
    };
    let session = |groups| PlannedSession {
        title: String::new(),
        location: String::new(),
        starts_at: day(2).and_time(t(8, 0)),
        ends_at: day(2).and_time(t(9, 0)),
        capacity: 10,
        stations: 1,
        groups,
    };
    let p = Plan {
        sessions: vec![
            session(vec![group("A", "x", 2)]),
            session(vec![group("A", "x", 1), group("B", "y", 1)]),
        ],
        unplaced: vec![],
        shortfall: None,
        unknown_colleges: vec![],
    };
    assert_eq!(allocate(&p, &candidates), vec![vec![1, 3], vec![5, 9]]);
}

/// A random roster and planning parameters; small enough to sometimes not fit.
fn random_case(rng: &mut ChaCha8Rng) -> (Vec<ClassDemand>, Vec<Slot>, u32, u32, u32, Vec<String>) {
    let colleges = rng.random_range(1..=6);
    let mut demand = Vec::new();
    for c in 0..colleges {
        for k in 0..rng.random_range(1..=8) {
            let students = if rng.random_bool(0.1) {
                rng.random_range(300..=1500)
            } else {
                rng.random_range(1..=60)
            };
            demand.push(ClassDemand {
                college: format!("学院{c}"),
                class: format!("班{c}-{k}"),
                students,
            });
        }
    }
    let mut slots = Vec::new();
    let mut at = 8 * 60;
    for _ in 0..rng.random_range(1..=3) {
        let start = at + rng.random_range(0..=60);
        let end = start + rng.random_range(20..=180);
        slots.push(Slot {
            start: t(start / 60, start % 60),
            end: t(end / 60, end % 60),
        });
        at = end;
    }
    let days = rng.random_range(1..=4);
    let stations = rng.random_range(1..=3);
    let rate = rng.random_range(60..=400);
    let mut order: Vec<String> = (0..colleges).map(|c| format!("学院{c}")).collect();
    order.shuffle(rng);
    order.truncate(rng.random_range(0..=colleges as usize));
    if rng.random_bool(0.2) {
        order.push("不存在的学院".into());
    }
    (demand, slots, days, stations, rate, order)
}

fn session_index(p: &PlannedSession, first_day: NaiveDate, slots: &[Slot]) -> usize {
    let days = (p.starts_at.date() - first_day).num_days() as usize;
    let slot = slots
        .iter()
        .position(|s| s.start == p.starts_at.time())
        .expect("starts at a slot");
    days * slots.len() + slot
}

#[test]
fn invariants_hold_for_random_rosters() {
    // The generator must reach the interesting cases, or the invariants prove little.
    let (mut short_cases, mut split_cases, mut shared_sessions) = (0, 0, 0);
    for seed in 0..400u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (demand, slots, days, stations, rate, order) = random_case(&mut rng);
        let inp = PlanInput {
            demand: &demand,
            college_order: &order,
            first_day: day(2),
            days,
            slots: &slots,
            location: "体育馆",
            stations,
            rate,
            title: "图像采集",
        };
        let p = plan(&inp).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let largest = slots
            .iter()
            .map(|s| slot_capacity(s, stations, rate))
            .max()
            .unwrap();

        // Never over capacity; times are real slots within the days, in order; no empty groups.
        let mut previous = None;
        for s in &p.sessions {
            let i = session_index(s, day(2), &slots);
            assert!(
                i < (days as usize) * slots.len(),
                "seed {seed}: session outside the days"
            );
            assert_eq!(s.ends_at.time(), slots[i % slots.len()].end, "seed {seed}");
            assert_eq!(
                s.capacity,
                slot_capacity(&slots[i % slots.len()], stations, rate),
                "seed {seed}"
            );
            assert!(
                s.students() <= s.capacity,
                "seed {seed}: {} students in {} places",
                s.students(),
                s.capacity
            );
            assert!(
                s.groups.iter().all(|g| g.students > 0),
                "seed {seed}: empty group"
            );
            assert!(
                previous < Some(s.starts_at),
                "seed {seed}: sessions out of order"
            );
            previous = Some(s.starts_at);
        }

        // Every student is placed or reported; a class that fits a session is never split.
        let mut pieces: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
        for g in p.sessions.iter().flat_map(|s| &s.groups) {
            pieces
                .entry((&g.college, &g.class))
                .or_default()
                .push(g.students);
        }
        for u in &p.unplaced {
            pieces
                .entry((&u.college, &u.class))
                .or_default()
                .push(u.students);
        }
        for d in &demand {
            let got = &pieces[&(d.college.as_str(), d.class.as_str())];
            assert_eq!(
                got.iter().sum::<u32>(),
                d.students,
                "seed {seed}: {} lost students",
                d.class
            );
            if got.len() > 1 {
                split_cases += 1;
            }
            if d.students <= largest {
                assert_eq!(
                    got.len(),
                    1,
                    "seed {seed}: {} ({} students, sessions of {largest}) split",
                    d.class,
                    d.students
                );
            }
        }
        let unplaced: u32 = p.unplaced.iter().map(|u| u.students).sum();
        assert_eq!(
            p.placed() + unplaced,
            demand.iter().map(|d| d.students).sum::<u32>(),
            "seed {seed}"
        );

        // Colleges: each in contiguous sessions, in the requested order, then by name.
        let mut effective: Vec<String> = order
            .iter()
            .filter(|c| demand.iter().any(|d| &d.college == *c))
            .cloned()
            .collect();
        let mut rest: Vec<String> = demand
            .iter()
            .map(|d| d.college.clone())
            .filter(|c| !effective.contains(c))
            .collect();
        rest.sort();
        rest.dedup();
        effective.extend(rest);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for college in &effective {
            let at: Vec<usize> = p
                .sessions
                .iter()
                .enumerate()
                .filter(|(_, s)| s.groups.iter().any(|g| &g.college == college))
                .map(|(i, _)| i)
                .collect();
            let (Some(&first), Some(&last)) = (at.first(), at.last()) else {
                continue;
            };
            assert_eq!(
                at.len(),
                last - first + 1,
                "seed {seed}: {college} in sessions {at:?}"
            );
            spans.push((first, last));
        }
        for pair in spans.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "seed {seed}: colleges out of order {spans:?}"
            );
            if pair[0].1 == pair[1].0 {
                shared_sessions += 1;
            }
        }
        assert_eq!(
            p.unknown_colleges.contains(&"不存在的学院".to_string()),
            order.contains(&"不存在的学院".to_string())
        );

        // Same input, any order, duplicates split: same plan.
        let mut shuffled = demand.clone();
        if let Some(first) = shuffled.first_mut().filter(|d| d.students > 1) {
            let half = first.students / 2;
            first.students -= half;
            let twin = ClassDemand {
                students: half,
                ..first.clone()
            };
            shuffled.push(twin);
        }
        shuffled.shuffle(&mut rng);
        assert_eq!(
            plan(&PlanInput {
                demand: &shuffled,
                ..inp.clone()
            })
            .unwrap(),
            p,
            "seed {seed}: order changed the plan"
        );

        // The shortfall is reported exactly when someone is left out, and its advice works.
        match p.shortfall {
            None => assert!(p.unplaced.is_empty(), "seed {seed}"),
            Some(short) => {
                short_cases += 1;
                assert_eq!(short.students, unplaced, "seed {seed}");
                assert!(short.more_days > 0, "seed {seed}");
                let more = plan(&PlanInput {
                    days: days + short.more_days,
                    ..inp.clone()
                })
                .unwrap();
                assert!(
                    more.unplaced.is_empty(),
                    "seed {seed}: {} more days were not enough",
                    short.more_days
                );
                let fewer = plan(&PlanInput {
                    days: days + short.more_days - 1,
                    ..inp.clone()
                })
                .unwrap();
                assert!(
                    !fewer.unplaced.is_empty(),
                    "seed {seed}: fewer days would have done"
                );
                let needed = short.stations_needed.expect("some number of stations fits");
                assert!(needed > stations);
                assert!(
                    plan(&PlanInput {
                        stations: needed,
                        ..inp.clone()
                    })
                    .unwrap()
                    .unplaced
                    .is_empty(),
                    "seed {seed}"
                );
                if needed > stations + 1 {
                    let one_less = plan(&PlanInput {
                        stations: needed - 1,
                        ..inp.clone()
                    })
                    .unwrap();
                    assert!(
                        !one_less.unplaced.is_empty(),
                        "seed {seed}: fewer stations would have done"
                    );
                }
            }
        }

        // Allocation: every placed student exactly once, in the class the plan says.
        let mut candidates = Vec::new();
        let mut next_id = 1;
        for d in &demand {
            for n in 0..d.students {
                candidates.push(Candidate {
                    id: next_id,
                    student_no: format!("{}{n:05}", d.class),
                    college: d.college.clone(),
                    class: d.class.clone(),
                });
                next_id += 1;
            }
        }
        let ids = allocate(&p, &candidates);
        let by_id: BTreeMap<i64, &Candidate> = candidates.iter().map(|c| (c.id, c)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (s, list) in p.sessions.iter().zip(&ids) {
            assert_eq!(list.len() as u32, s.students(), "seed {seed}");
            for id in list {
                assert!(seen.insert(*id), "seed {seed}: student {id} twice");
                let c = by_id[id];
                assert!(
                    s.groups
                        .iter()
                        .any(|g| g.college == c.college && g.class == c.class),
                    "seed {seed}"
                );
            }
        }
    }
    assert!(short_cases > 40, "only {short_cases} rosters did not fit");
    assert!(split_cases > 20, "only {split_cases} classes were split");
    assert!(
        shared_sessions > 20,
        "only {shared_sessions} sessions were shared by two colleges"
    );
}

/// 2,601 students of 4 stations over two days of two slots: `plan` fills the first morning
/// (it has room for 4,200); `plan_spread` uses every session, evenly, classes whole.
#[test]
fn spread_plans_use_every_day_given() {
    let slots = parse_slots("08:30-11:30,14:00-17:00").unwrap();
    let mut classes = Vec::new();
    for i in 0..51 {
        let college = ["计算机学院", "外国语学院", "机械学院"][i % 3];
        classes.push(demand(college, &format!("班{i:02}"), 51));
    }
    let total: u32 = classes.iter().map(|c| c.students).sum();
    assert_eq!(total, 2601);
    let packed = plan(&input(&classes, &slots, 2, 4)).unwrap();
    assert_eq!(packed.sessions.len(), 1, "everyone in the first morning");
    let spread = plan_spread(&input(&classes, &slots, 2, 4)).unwrap();
    assert_eq!(spread.sessions.len(), 4, "every slot of both days");
    assert_eq!(spread.placed(), total);
    let fills: Vec<u32> = spread.sessions.iter().map(|s| s.students()).collect();
    let (min, max) = (fills.iter().min().unwrap(), fills.iter().max().unwrap());
    assert!(max - min <= 51 * 2, "even within a class or two: {fills:?}");
    for s in &spread.sessions {
        assert_eq!(s.capacity, 4200, "the full capacity stays, for walk-ins");
        for g in &s.groups {
            assert_eq!(g.students, 51, "classes whole: {g:?}");
        }
    }
    // a class larger than the even share still goes whole into one session
    let big = [
        demand("计算机学院", "大班", 900),
        demand("计算机学院", "小班", 10),
    ];
    let p = plan_spread(&input(&big, &slots, 2, 4)).unwrap();
    assert!(
        p.sessions
            .iter()
            .any(|s| s.groups.iter().any(|g| g.students == 900))
    );
    // more students than fit: the same shortfall as the packed plan
    let many = [demand("计算机学院", "全部", 20_000)];
    let a = plan(&input(&many, &slots, 1, 1)).unwrap();
    let b = plan_spread(&input(&many, &slots, 1, 1)).unwrap();
    assert_eq!(a.shortfall, b.shortfall);
}
