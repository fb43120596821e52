//! A realistic synthetic school to try caiji on. (stub: to be written)

use crate::domain::Student;

pub struct DemoSchool {
    pub code: String,
    pub name: String,
    pub cohort: i32,
    pub students: Vec<Student>,
}

pub fn generate(_students: usize, _seed: u64, cohort: i32) -> DemoSchool {
    DemoSchool { code: "4144010001".into(), name: "示例大学".into(), cohort, students: Vec::new() }
}

/// The graduating year staff are working on: from September on, next summer's graduates.
pub fn default_cohort() -> i32 {
    use chrono::Datelike;
    let today = chrono::Local::now().date_naive();
    if today.month() >= 9 { today.year() + 1 } else { today.year() }
}
