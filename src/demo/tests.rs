//! Tests of the demo school. Document numbers are checked here independently of the domain
//! validator: check character via `check_char`, birth dates via chrono's calendar.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::ids::PROVINCES;
use super::school::{self, COLLEGES, MAX_CLASS, MIN_CLASS};
use super::*;
use crate::domain::idnum::check_char;
use crate::domain::{IdType, Level};

const COHORT: i32 = 2026;

/// One large school shared by the statistical tests (generated once).
fn big() -> &'static DemoSchool {
    static BIG: OnceLock<DemoSchool> = OnceLock::new();
    BIG.get_or_init(|| generate(10_000, 20_260_601, COHORT))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The date in an 8-digit `YYYYMMDD` slice, if it is a real calendar day.
fn date_of(yyyymmdd: &str) -> Option<NaiveDate> {
    if yyyymmdd.len() != 8 || !is_digits(yyyymmdd) {
        return None;
    }
    let year = yyyymmdd[0..4].parse().ok()?;
    let month = yyyymmdd[4..6].parse().ok()?;
    let day = yyyymmdd[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// An 18-character number of the resident-ID layout: 17 digits and a correct check character.
fn has_valid_check(number: &str) -> bool {
    number.len() == 18
        && is_digits(&number[..17])
        && number.as_bytes()[17] as char == check_char(&number[..17])
}

fn share(count: usize, total: usize) -> f64 {
    count as f64 / total as f64
}

#[test]
fn same_seed_gives_the_same_school_and_another_seed_a_different_one() {
    let a = generate(1_500, 42, COHORT);
    let b = generate(1_500, 42, COHORT);
    assert_eq!(a, b);
    let c = generate(1_500, 43, COHORT);
    assert_ne!(a.students, c.students);
    // Not merely a shifted copy: most names and ID numbers differ.
    let ids_a: HashSet<&str> = a.students.iter().map(|s| s.id_number.as_str()).collect();
    let shared = c
        .students
        .iter()
        .filter(|s| ids_a.contains(s.id_number.as_str()))
        .count();
    assert!(
        shared < 10,
        "{shared} ID numbers shared between seeds 42 and 43"
    );
}

#[test]
fn the_seed_fixes_the_output_across_machines() {
    // Pinned values: ChaCha8 and u32-only sampling make them the same on every platform. A
    // change here changes every user's demo school, which should be a deliberate decision.
    let s = generate(50, 1, COHORT);
    assert_eq!(
        (s.code.as_str(), s.name.as_str()),
        (PINNED_CODE, PINNED_NAME)
    );
    let first = &s.students[0];
    assert_eq!(
        (
            first.student_no.as_str(),
            first.name.as_str(),
            first.id_number.as_str()
        ),
        PINNED_FIRST
    );
}

const PINNED_CODE: &str = "4137019080";
const PINNED_NAME: &str = "岱宗科技大学";
const PINNED_FIRST: (&str, &str, &str) = ("202201110101", "杨铭", "620102199609206856");

#[test]
fn generates_exactly_the_requested_number_of_students() {
    for n in [0, 1, 2, 7, 24, 25, 41, 49, 50, 100, 333, 1_000, 3_000] {
        let school = generate(n, 9, COHORT);
        assert_eq!(school.students.len(), n, "asked for {n}");
        assert!(school.students.iter().all(|s| s.cohort == COHORT));
        assert_eq!(school.cohort, COHORT);
    }
    assert_eq!(big().students.len(), 10_000);
}

#[test]
fn school_code_and_name_look_national() {
    let provinces: HashSet<u8> = school::school_provinces().collect();
    for seed in 0..20 {
        let s = generate(0, seed, COHORT);
        assert_eq!(s.code.len(), 10, "{}", s.code);
        assert!(is_digits(&s.code) && s.code.starts_with("41"), "{}", s.code);
        let province: u8 = s.code[2..4].parse().unwrap_or(0);
        assert!(provinces.contains(&province), "{}", s.code);
        // A 5-digit school code in the 19xxx block no real school uses.
        assert_eq!(&s.code[4..6], "01", "{}", s.code);
        assert!(
            s.name.ends_with("大学") && s.name.chars().count() >= 4,
            "{}",
            s.name
        );
    }
}

#[test]
fn student_numbers_are_unique_sorted_and_structured() {
    let s = big();
    let mut seen = HashSet::new();
    for st in &s.students {
        assert_eq!(st.student_no.len(), 12, "{}", st.student_no);
        assert!(is_digits(&st.student_no), "{}", st.student_no);
        assert!(
            seen.insert(st.student_no.as_str()),
            "duplicate 学号 {}",
            st.student_no
        );
    }
    assert!(
        s.students
            .windows(2)
            .all(|w| w[0].student_no < w[1].student_no)
    );
}

#[test]
fn entry_year_in_student_number_and_class_name_follows_the_level() {
    let five_year: HashSet<&str> = [
        "临床医学",
        "医学影像学",
        "口腔医学",
        "预防医学",
        "建筑学",
        "城乡规划",
    ]
    .into();
    for st in &big().students {
        let entry: i32 = st.student_no[0..4].parse().unwrap_or(0);
        let years = match st.level {
            Level::Bachelor if five_year.contains(st.major.as_str()) => 5,
            Level::Bachelor | Level::Doctor => 4,
            Level::Associate | Level::Master => 3,
        };
        assert_eq!(
            entry,
            COHORT - years,
            "{} {:?} {}",
            st.student_no,
            st.level,
            st.major
        );
        // Class names are `<abbreviation><yy><class number>`: yy and the class number are
        // the same digits as in the 学号.
        let tail: String = st
            .class
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert_eq!(
            &tail[0..2],
            &st.student_no[2..4],
            "{} {}",
            st.class,
            st.student_no
        );
        assert_eq!(
            &tail[2..4],
            &st.student_no[8..10],
            "{} {}",
            st.class,
            st.student_no
        );
        let abbr: String = st
            .class
            .chars()
            .take_while(|c| !c.is_ascii_digit())
            .collect();
        assert!(
            !abbr.is_empty() && st.class.chars().count() == abbr.chars().count() + 4,
            "{}",
            st.class
        );
        match st.level {
            Level::Master => assert!(abbr.ends_with('硕'), "{}", st.class),
            Level::Doctor => assert!(abbr.ends_with('博'), "{}", st.class),
            _ => assert!(
                !abbr.ends_with('硕') && !abbr.ends_with('博'),
                "{}",
                st.class
            ),
        }
    }
}

#[test]
fn each_class_belongs_to_one_major_and_one_counselor() {
    let mut owner: HashMap<&str, (&str, &str, Level, &str)> = HashMap::new();
    for st in &big().students {
        let this = (
            st.college.as_str(),
            st.major.as_str(),
            st.level,
            st.counselor.as_str(),
        );
        let first = *owner.entry(st.class.as_str()).or_insert(this);
        assert_eq!(
            first, this,
            "class {} mixes programmes or counselors",
            st.class
        );
    }
    // A counselor looks after a few classes of one college.
    let mut per_counselor: HashMap<&str, (HashSet<&str>, HashSet<&str>)> = HashMap::new();
    for (class, (college, _, _, counselor)) in &owner {
        let entry = per_counselor.entry(counselor).or_default();
        entry.0.insert(class);
        entry.1.insert(college);
    }
    for (counselor, (classes, colleges)) in &per_counselor {
        assert!(
            (1..=6).contains(&classes.len()),
            "{counselor} has {} classes",
            classes.len()
        );
        assert_eq!(colleges.len(), 1, "{counselor} works in several colleges");
        let letters = counselor.chars().count();
        assert!((2..=4).contains(&letters), "{counselor}");
    }
    assert!(per_counselor.len() * 6 >= owner.len());
}

#[test]
fn classes_hold_25_to_40_students_wherever_the_count_allows() {
    for (n, seed) in [(10_000, 1), (3_000, 2), (1_000, 3), (250, 4), (100, 5)] {
        let school = generate(n, seed, COHORT);
        let mut classes: HashMap<&str, (Level, usize)> = HashMap::new();
        let mut per_level: HashMap<Level, usize> = HashMap::new();
        for st in &school.students {
            classes.entry(st.class.as_str()).or_insert((st.level, 0)).1 += 1;
            *per_level.entry(st.level).or_default() += 1;
        }
        for (level, count) in per_level {
            let sizes: Vec<usize> = classes
                .values()
                .filter(|(l, _)| *l == level)
                .map(|(_, c)| *c)
                .collect();
            let outside = sizes.iter().filter(|&&c| !(25..=40).contains(&c)).count();
            assert!(
                sizes.iter().all(|&c| c <= 40),
                "{n} students: {level:?} classes {sizes:?}"
            );
            if count >= 50 || (25..=40).contains(&count) {
                assert_eq!(
                    outside, 0,
                    "{n} students: {level:?} ({count}) classes {sizes:?}"
                );
            } else {
                assert!(
                    outside <= 1,
                    "{n} students: {level:?} ({count}) classes {sizes:?}"
                );
            }
        }
    }
}

#[test]
fn class_sizes_split_every_count_within_bounds() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for count in 0..=2_000usize {
        let sizes = school::class_sizes(&mut rng, count);
        assert_eq!(
            sizes.iter().map(|&s| usize::from(s)).sum::<usize>(),
            count,
            "count {count}"
        );
        let outside: Vec<u16> = sizes
            .iter()
            .copied()
            .filter(|s| !(MIN_CLASS..=MAX_CLASS).contains(s))
            .collect();
        match count {
            0 => assert!(sizes.is_empty()),
            1..=24 => assert_eq!(sizes, vec![count as u16]),
            41..=49 => assert_eq!(sizes, vec![25, count as u16 - 25]),
            _ => assert!(outside.is_empty(), "count {count}: {sizes:?}"),
        }
    }
}

#[test]
fn level_counts_follow_the_shares_and_add_up() {
    for n in [0usize, 1, 3, 5, 15, 19, 100, 3_000, 100_000] {
        let counts = school::level_counts(n);
        assert_eq!(counts.iter().map(|(_, c)| c).sum::<usize>(), n, "{n}");
    }
    let counts: HashMap<Level, usize> = school::level_counts(10_000).into_iter().collect();
    assert_eq!(counts[&Level::Bachelor], 8_000);
    assert_eq!(counts[&Level::Master], 1_000);
    assert_eq!(counts[&Level::Doctor], 200);
    assert_eq!(counts[&Level::Associate], 800);
}

#[test]
fn levels_have_realistic_shares() {
    let s = big();
    let n = s.students.len();
    for (level, low, high) in [
        (Level::Bachelor, 0.77, 0.83),
        (Level::Master, 0.08, 0.12),
        (Level::Doctor, 0.01, 0.03),
        (Level::Associate, 0.06, 0.10),
    ] {
        let got = share(s.students.iter().filter(|st| st.level == level).count(), n);
        assert!((low..=high).contains(&got), "{level:?}: {got}");
    }
}

#[test]
fn colleges_majors_and_sizes_are_realistic() {
    let s = big();
    let mut per_college: HashMap<&str, usize> = HashMap::new();
    let mut majors: HashMap<&str, HashSet<&str>> = HashMap::new();
    for st in &s.students {
        *per_college.entry(&st.college).or_default() += 1;
        if st.level == Level::Bachelor {
            majors.entry(&st.college).or_default().insert(&st.major);
        }
    }
    assert!(
        (9..=11).contains(&per_college.len()),
        "{} colleges",
        per_college.len()
    );
    for (college, set) in &majors {
        assert!((3..=6).contains(&set.len()), "{college}: {set:?}");
    }
    let sizes: Vec<usize> = per_college.values().copied().collect();
    let (min, max) = (
        sizes.iter().min().copied().unwrap_or(0),
        sizes.iter().max().copied().unwrap_or(0),
    );
    assert!(max >= min * 3 / 2, "colleges too even: {sizes:?}");
}

#[test]
fn majors_tables_are_consistent() {
    let mut abbrs = HashSet::new();
    for college in COLLEGES {
        assert!(college.bachelor.len() >= 3, "{}", college.name);
        assert!(college.name.ends_with("学院"));
        for major in college
            .bachelor
            .iter()
            .chain(college.associate)
            .chain(college.master)
            .chain(college.doctor)
        {
            assert!(
                abbrs.insert(major.abbr),
                "abbreviation {} used twice",
                major.abbr
            );
            assert!(major.weight > 0 && !major.name.is_empty());
            assert!(!major.abbr.chars().any(|c| c.is_ascii_digit()));
        }
        for major in college.master {
            assert!(major.abbr.ends_with('硕'), "{}", major.abbr);
        }
        for major in college.doctor {
            assert!(major.abbr.ends_with('博'), "{}", major.abbr);
        }
    }
}

#[test]
fn region_tables_hold_real_shaped_codes() {
    for province in PROVINCES {
        assert!(!province.regions.is_empty());
        for region in province.regions {
            assert!(region.len() == 6 && is_digits(region), "{region}");
            assert_eq!(&region[0..2], format!("{:02}", province.code), "{region}");
        }
    }
    for code in school::school_provinces() {
        assert!(
            PROVINCES.iter().any(|p| p.code == code),
            "school province {code} has no regions"
        );
    }
}

#[test]
fn resident_ids_are_valid_and_fit_the_student() {
    let provinces: HashSet<String> = PROVINCES.iter().map(|p| format!("{:02}", p.code)).collect();
    let mut residents = 0;
    for st in big()
        .students
        .iter()
        .filter(|s| s.id_type == IdType::ResidentId)
    {
        residents += 1;
        let id = &st.id_number;
        assert!(has_valid_check(id), "{id}");
        assert!(provinces.contains(&id[0..2]), "{id}");
        let birth = date_of(&id[6..14]).unwrap_or_else(|| panic!("bad birth date in {id}"));
        let age = COHORT - chrono::Datelike::year(&birth);
        let range = match st.level {
            Level::Bachelor | Level::Associate => 19..=26,
            Level::Master => 22..=30,
            Level::Doctor => 27..=38,
        };
        assert!(
            range.contains(&age),
            "{id}: {age} years at graduation for {:?}",
            st.level
        );
    }
    assert!(residents >= 9_900, "{residents}");
}

#[test]
fn bachelor_graduates_are_mostly_born_22_years_before_the_cohort() {
    let birth_years: Vec<i32> = big()
        .students
        .iter()
        .filter(|s| {
            s.level == Level::Bachelor && s.id_type == IdType::ResidentId && s.major != "临床医学"
        })
        .filter_map(|s| s.id_number[6..10].parse().ok())
        .collect();
    let near = birth_years
        .iter()
        .filter(|&&y| (COHORT - 23..=COHORT - 21).contains(&y))
        .count();
    assert!(
        share(near, birth_years.len()) > 0.9,
        "{near} of {}",
        birth_years.len()
    );
}

#[test]
fn gender_matches_the_seventeenth_digit() {
    let mut checked = 0;
    for st in &big().students {
        let gender = st.gender.as_deref();
        assert!(matches!(gender, Some("男") | Some("女")), "{:?}", st.gender);
        if matches!(
            st.id_type,
            IdType::ResidentId | IdType::ResidencePermit | IdType::ForeignPermanent
        ) {
            let digit = st.id_number.as_bytes()[16] - b'0';
            let expected = if digit % 2 == 1 { "男" } else { "女" };
            assert_eq!(gender, Some(expected), "{} {}", st.id_number, st.name);
            checked += 1;
        }
    }
    assert!(checked > 9_900);
    let men = big()
        .students
        .iter()
        .filter(|s| s.gender.as_deref() == Some("男"))
        .count();
    assert!((0.35..=0.75).contains(&share(men, 10_000)), "{men} men");
}

#[test]
fn other_documents_are_present_and_valid_for_their_type() {
    let mut seen: HashMap<IdType, usize> = HashMap::new();
    for st in &big().students {
        let id = st.id_number.as_str();
        *seen.entry(st.id_type).or_default() += 1;
        match st.id_type {
            IdType::ResidentId => {}
            IdType::ResidencePermit => {
                assert!(["810000", "820000", "830000"].contains(&&id[0..6]), "{id}");
                assert!(has_valid_check(id) && date_of(&id[6..14]).is_some(), "{id}");
            }
            IdType::HkMacauPermit => {
                assert!(id.starts_with('H') || id.starts_with('M'), "{id}");
                assert!(is_digits(&id[1..]) && matches!(id.len(), 9 | 11), "{id}");
            }
            IdType::TaiwanPermit => assert!(id.len() == 8 && is_digits(id), "{id}"),
            IdType::Passport => {
                let letters = id.bytes().take_while(|b| b.is_ascii_uppercase()).count();
                assert!((1..=2).contains(&letters), "{id}");
                assert!(
                    is_digits(&id[letters..]) && (8..=9).contains(&id.len()),
                    "{id}"
                );
                assert!(st.name.is_ascii() && st.name.contains(' '), "{}", st.name);
            }
            IdType::ForeignPermanent => {
                assert!(id.starts_with('9') && has_valid_check(id), "{id}");
                assert!(date_of(&id[6..14]).is_some(), "{id}");
            }
        }
    }
    for kind in IdType::ALL {
        assert!(
            seen.get(&kind).copied().unwrap_or(0) > 0,
            "no {kind:?} in 10,000 students"
        );
    }
    let others = 10_000 - seen[&IdType::ResidentId];
    assert!(
        (20..=90).contains(&others),
        "{others} non-resident documents"
    );
}

#[test]
fn names_are_valid_and_varied() {
    let s = big();
    for st in &s.students {
        let len = st.name.chars().count();
        assert!((1..=50).contains(&len), "{:?}", st.name);
        assert!(!st.name.chars().any(char::is_control), "{:?}", st.name);
        assert_eq!(st.name.trim(), st.name);
    }
    let distinct: HashSet<&str> = s.students.iter().map(|s| s.name.as_str()).collect();
    assert!(
        distinct.len() > 7_000,
        "only {} distinct names",
        distinct.len()
    );
}

#[test]
fn surnames_follow_real_frequencies() {
    let s = big();
    let han: Vec<&str> = s
        .students
        .iter()
        .filter(|s| s.id_type == IdType::ResidentId && !s.name.contains('·'))
        .map(|s| s.name.as_str())
        .collect();
    let starts = |prefix: &str| han.iter().filter(|n| n.starts_with(prefix)).count();
    for (surname, low, high) in [
        ("王", 0.055, 0.09),
        ("李", 0.055, 0.09),
        ("张", 0.05, 0.085),
        ("刘", 0.04, 0.07),
    ] {
        let got = share(starts(surname), han.len());
        assert!((low..=high).contains(&got), "{surname}: {got}");
    }
    assert!(starts("王") > starts("黄") && starts("黄") > starts("韩"));
    for polyphonic in ["单", "曾", "解", "区", "查"] {
        assert!(starts(polyphonic) > 0, "no {polyphonic} surname");
    }
}

#[test]
fn about_two_percent_of_names_have_compound_surnames() {
    let s = big();
    let compound: Vec<&str> = super::names::compound_surnames().collect();
    let count = s
        .students
        .iter()
        .filter(|st| compound.iter().any(|c| st.name.starts_with(c)))
        .count();
    assert!(
        (0.013..=0.028).contains(&share(count, s.students.len())),
        "{count} compound surnames"
    );
}

#[test]
fn some_minority_names_use_the_middle_dot() {
    let s = big();
    let dotted: Vec<&str> = s
        .students
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| n.contains('·'))
        .collect();
    assert!(
        (0.005..=0.016).contains(&share(dotted.len(), s.students.len())),
        "{} names with ·",
        dotted.len()
    );
    for name in &dotted {
        let parts: Vec<&str> = name.split('·').collect();
        assert!(
            parts.len() == 2 && parts.iter().all(|p| !p.is_empty()),
            "{name}"
        );
    }
    // They are registered in Xinjiang.
    for st in s.students.iter().filter(|s| s.name.contains('·')) {
        assert!(
            st.id_number.starts_with("65"),
            "{} {}",
            st.name,
            st.id_number
        );
    }
}

#[test]
fn phones_are_mobile_numbers_when_present() {
    let s = big();
    let mut with_phone = 0;
    for phone in s.students.iter().filter_map(|s| s.phone.as_deref()) {
        with_phone += 1;
        assert!(phone.len() == 11 && is_digits(phone), "{phone}");
        assert!(
            ["13", "15", "17", "18", "19"].contains(&&phone[0..2]),
            "{phone}"
        );
    }
    assert!(
        (0.85..=0.95).contains(&share(with_phone, s.students.len())),
        "{with_phone}"
    );
}

#[test]
fn weighted_tables_respect_weights_and_skip_zero() {
    let table = Weighted::new([("never", 0), ("rare", 1), ("common", 9)]);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for _ in 0..10_000 {
        *counts.entry(table.pick(&mut rng)).or_default() += 1;
    }
    assert_eq!(counts.get("never"), None);
    let rare = counts.get("rare").copied().unwrap_or(0);
    assert!((800..=1_200).contains(&rare), "{rare}");
}

#[test]
fn a_hundred_thousand_students_keep_twelve_digit_numbers() {
    // At this size some majors would pass 99 classes; the others take the overflow so class
    // numbers stay two digits and every 学号 stays 12 digits.
    let s = generate(100_000, 11, COHORT);
    assert_eq!(s.students.len(), 100_000);
    assert!(
        s.students.iter().all(|st| st.student_no.len() == 12),
        "a 学号 is not 12 digits"
    );
    assert!(
        s.students
            .windows(2)
            .all(|w| w[0].student_no < w[1].student_no),
        "not sorted or not unique"
    );
}
