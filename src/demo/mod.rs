//! A realistic synthetic school to try caiji on (`caiji demo`).
//!
//! The generator is pure and deterministic: the same seed gives byte-identical rosters on every
//! machine, because every random draw comes from one ChaCha8 stream and only `u32` ranges are
//! sampled (their results do not depend on the platform's pointer width).
//!
//! - [`school`]: colleges, majors, the split into classes of 25–40 and the counselors;
//! - [`people`]: who a student is — name, document, gender, birth date, phone;
//! - [`names`] and [`ids`]: the name and document-number tables behind `people`.

mod ids;
mod names;
mod people;
pub mod photos;
mod school;
#[cfg(test)]
mod tests;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::Student;

/// A generated school: its identity, the graduating year and the roster sorted by 学号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSchool {
    /// 10-digit 学校标识码 in the national style (`41` + province + `0` + 5-digit school code).
    pub code: String,
    /// A plausible but fictional university name, such as 南岭理工大学.
    pub name: String,
    /// 毕业年份 (届) of every student.
    pub cohort: i32,
    /// Exactly the requested number of students, sorted by 学号.
    pub students: Vec<Student>,
}

/// Builds a school of `students` graduates of the `cohort` year from `seed`.
///
/// Pure: no I/O, no clock. The same arguments always give the same school.
pub fn generate(students: usize, seed: u64, cohort: i32) -> DemoSchool {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let identity = school::identity(&mut rng);
    let people = people::People::new(identity.province);
    let layout = school::plan(&mut rng, students, people.names());
    let width = layout.class_number_width();

    let mut roster = Vec::with_capacity(students);
    for class in &layout.classes {
        let program = &layout.programs[class.program];
        let college = layout.colleges[program.college];
        let entry_year = cohort - i32::from(program.years);
        let class_name = format!(
            "{}{:02}{:0width$}",
            program.abbr,
            entry_year.rem_euclid(100),
            class.number
        );
        let counselor = &layout.counselors[class.counselor];
        for seq in 1..=class.size {
            let person = people.draw(&mut rng, program.level, entry_year, college.male_percent);
            roster.push(Student {
                student_no: format!(
                    "{:04}{:02}{:02}{:0width$}{:02}",
                    entry_year.rem_euclid(10_000),
                    program.college + 1,
                    program.code,
                    class.number,
                    seq
                ),
                name: person.name,
                id_type: person.id_type,
                id_number: person.id_number,
                college: college.name.to_string(),
                major: program.major.to_string(),
                class: class_name.clone(),
                level: program.level,
                counselor: counselor.clone(),
                cohort,
                gender: Some(if person.male { "男" } else { "女" }.to_string()),
                phone: person.phone,
            });
        }
    }
    roster.sort_unstable_by(|a, b| a.student_no.cmp(&b.student_no));
    DemoSchool {
        code: identity.code,
        name: identity.name,
        cohort,
        students: roster,
    }
}

/// The graduating year staff are working on: from September on, next summer's graduates.
pub fn default_cohort() -> i32 {
    use chrono::Datelike;
    let today = chrono::Local::now().date_naive();
    if today.month() >= 9 {
        today.year() + 1
    } else {
        today.year()
    }
}

/// A table of items with integer weights, sampled in O(log n) from cumulative sums.
///
/// Built from the static tables once per `generate` call, so drawing a surname or a region for
/// each of 100,000 students costs a binary search and no allocation.
struct Weighted<T: Copy> {
    items: Vec<T>,
    cumulative: Vec<u32>,
}

impl<T: Copy> Weighted<T> {
    /// Panics on an empty table or a zero total: the tables are constants of this module, so
    /// that would be a programming error caught by the tests, never a runtime condition.
    fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u32;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total += weight;
            items.push(item);
            cumulative.push(total);
        }
        assert!(
            total > 0,
            "a weighted demo table needs at least one item with a positive weight"
        );
        Weighted { items, cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> T {
        let total = self.cumulative[self.cumulative.len() - 1];
        let r = rng.random_range(0..total);
        self.items[self.cumulative.partition_point(|&c| c <= r)]
    }
}

/// A uniform index into a non-empty slice of `len` items, drawn through a `u32` range so the
/// result does not depend on the platform's pointer width.
fn index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    rng.random_range(0..len as u32) as usize
}

/// A uniform choice from a non-empty static slice.
fn choose<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[index(rng, items.len())]
}

/// `true` with probability `per_mille / 1000`.
fn chance(rng: &mut ChaCha8Rng, per_mille: u32) -> bool {
    rng.random_range(0..1000u32) < per_mille
}
