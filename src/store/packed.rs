//! Students packed for the hand-over from the thread that reads a roster to the one that stores
//! it (see `RosterFill::fill`).
//!
//! A `Student` keeps each text in its own allocation, made on the reader's core; SQLite copies
//! every one of them into its records on the other core, one cache line fetch after another.
//! Packed, a row's texts lie side by side in one buffer, read front to back: the storing thread,
//! the slower of the two, fetches about a third of the lines, and the reader, which has time to
//! spare, does the copying. A packed batch goes back to the reader once stored and is filled
//! again, so a whole roster passes through a handful of buffers.

use crate::domain::{IdType, Level, Student};

/// Texts of a row, in this order: 学号, name, ID number, college, major, class, counselor,
/// gender, phone (the last two may be absent).
const TEXTS: usize = 9;

/// A batch of students, their texts packed into one buffer.
#[derive(Debug, Default)]
pub struct PackedStudents {
    text: String,
    rows: Vec<PackedRow>,
}

#[derive(Debug)]
struct PackedRow {
    /// Where the row's first text starts in `text`; each text ends where `ends` says and the
    /// next one starts there.
    start: u32,
    ends: [u32; TEXTS],
    has_gender: bool,
    has_phone: bool,
    id_type: IdType,
    level: Level,
    cohort: i32,
}

/// A student's fields, borrowed from a packed batch or from a `Student`.
pub(crate) struct StudentRef<'a> {
    pub(crate) student_no: &'a str,
    pub(crate) name: &'a str,
    pub(crate) id_type: IdType,
    pub(crate) id_number: &'a str,
    pub(crate) college: &'a str,
    pub(crate) major: &'a str,
    pub(crate) class: &'a str,
    pub(crate) level: Level,
    pub(crate) counselor: &'a str,
    pub(crate) cohort: i32,
    pub(crate) gender: Option<&'a str>,
    pub(crate) phone: Option<&'a str>,
}

impl<'a> From<&'a Student> for StudentRef<'a> {
    fn from(s: &'a Student) -> StudentRef<'a> {
        StudentRef {
            student_no: &s.student_no,
            name: &s.name,
            id_type: s.id_type,
            id_number: &s.id_number,
            college: &s.college,
            major: &s.major,
            class: &s.class,
            level: s.level,
            counselor: &s.counselor,
            cohort: s.cohort,
            gender: s.gender.as_deref(),
            phone: s.phone.as_deref(),
        }
    }
}

impl PackedStudents {
    /// Empties the batch, keeping its buffers for the next one.
    pub fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a copy of `s`.
    ///
    /// # Panics
    /// When the batch's texts would pass 4 GiB (a batch holds a few thousand students).
    pub fn push(&mut self, s: &Student) {
        let offset =
            |text: &String| u32::try_from(text.len()).expect("a packed batch stays under 4 GiB");
        let start = offset(&self.text);
        let mut ends = [0; TEXTS];
        let texts = [
            s.student_no.as_str(),
            &s.name,
            &s.id_number,
            &s.college,
            &s.major,
            &s.class,
            &s.counselor,
            s.gender.as_deref().unwrap_or(""),
            s.phone.as_deref().unwrap_or(""),
        ];
        for (end, text) in ends.iter_mut().zip(texts) {
            self.text.push_str(text);
            *end = offset(&self.text);
        }
        self.rows.push(PackedRow {
            start,
            ends,
            has_gender: s.gender.is_some(),
            has_phone: s.phone.is_some(),
            id_type: s.id_type,
            level: s.level,
            cohort: s.cohort,
        });
    }

    /// The student at `index`.
    ///
    /// # Panics
    /// When `index` is not below `len()`.
    pub(crate) fn get(&self, index: usize) -> StudentRef<'_> {
        let row = &self.rows[index];
        let mut texts = [""; TEXTS];
        let mut from = row.start as usize;
        for (text, &end) in texts.iter_mut().zip(&row.ends) {
            *text = &self.text[from..end as usize];
            from = end as usize;
        }
        let [
            student_no,
            name,
            id_number,
            college,
            major,
            class,
            counselor,
            gender,
            phone,
        ] = texts;
        StudentRef {
            student_no,
            name,
            id_type: row.id_type,
            id_number,
            college,
            major,
            class,
            level: row.level,
            counselor,
            cohort: row.cohort,
            gender: row.has_gender.then_some(gender),
            phone: row.has_phone.then_some(phone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(no: &str, name: &str, gender: Option<&str>, phone: Option<&str>) -> Student {
        Student {
            student_no: no.into(),
            name: name.into(),
            id_type: IdType::Passport,
            id_number: "E12345678".into(),
            college: "计算机学院".into(),
            major: "软件工程".into(),
            class: "软件2201".into(),
            level: Level::Master,
            counselor: "王老师".into(),
            cohort: 2026,
            gender: gender.map(Into::into),
            phone: phone.map(Into::into),
        }
    }

    #[test]
    fn every_field_comes_back_as_it_went_in_after_a_clear_too() {
        let students = [
            student("2022001", "买买提·艾力", Some("男"), None),
            student("2022002", "李", None, Some("13800000000")),
            student("2022003", "欧阳子涵", Some(""), Some("")),
        ];
        let mut packed = PackedStudents::default();
        packed.push(&student("1999", "先前的批次", Some("女"), Some("1")));
        packed.clear();
        assert!(packed.is_empty());
        for s in &students {
            packed.push(s);
        }
        assert_eq!(packed.len(), 3);
        for (i, s) in students.iter().enumerate() {
            let p = packed.get(i);
            let back = Student {
                student_no: p.student_no.into(),
                name: p.name.into(),
                id_type: p.id_type,
                id_number: p.id_number.into(),
                college: p.college.into(),
                major: p.major.into(),
                class: p.class.into(),
                level: p.level,
                counselor: p.counselor.into(),
                cohort: p.cohort,
                gender: p.gender.map(Into::into),
                phone: p.phone.map(Into::into),
            };
            assert_eq!(&back, s);
        }
    }
}
