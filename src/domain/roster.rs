//! Planning a roster import or sync: which students are new, changed, unchanged, withdrawn or
//! back again. Pure, so the rules are tested without a database; the store carries out the plan.

use std::collections::{HashMap, HashSet};

use super::mask::mask_id;
use super::student::Student;

/// A student already in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub student: Student,
    pub withdrawn: bool,
}

/// One changed field, with sensitive values already masked for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: i64,
    /// Index into the incoming roster.
    pub incoming: usize,
    pub changes: Vec<FieldChange>,
    /// The student was withdrawn and is on the roster again.
    pub restored: bool,
}

/// What an import will do. Indices point into the incoming slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterPlan {
    pub inserts: Vec<usize>,
    pub updates: Vec<Update>,
    pub unchanged: usize,
    /// (id, 学号) of students absent from a full sync, to be marked withdrawn.
    pub withdraw: Vec<(i64, String)>,
}

impl Update {
    /// The audit text: `field: old → new; ...`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, c.old, c.new))
            .collect();
        if self.restored {
            parts.insert(0, "withdrawn: true → false".to_string());
        }
        parts.join("; ")
    }
}

/// Phone numbers are never shown in full: `138****8000`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Compares the incoming roster with the database. Optional fields the incoming roster leaves
/// empty (gender, phone) keep their stored values rather than being erased. With `full_sync`,
/// students missing from the incoming roster are withdrawn (never deleted).
pub fn plan_import(existing: &[Existing], incoming: &[Student], full_sync: bool) -> RosterPlan {
    let by_no: HashMap<&str, &Existing> = existing
        .iter()
        .map(|e| (e.student.student_no.as_str(), e))
        .collect();
    let mut plan = RosterPlan::default();
    for (i, new) in incoming.iter().enumerate() {
        match by_no.get(new.student_no.as_str()) {
            None => plan.inserts.push(i),
            Some(old) => {
                let changes = field_changes(&old.student, new);
                if changes.is_empty() && !old.withdrawn {
                    plan.unchanged += 1;
                } else {
                    plan.updates.push(Update {
                        id: old.id,
                        incoming: i,
                        changes,
                        restored: old.withdrawn,
                    });
                }
            }
        }
    }
    if full_sync {
        let present: HashSet<&str> = incoming.iter().map(|s| s.student_no.as_str()).collect();
        plan.withdraw = existing
            .iter()
            .filter(|e| !e.withdrawn && !present.contains(e.student.student_no.as_str()))
            .map(|e| (e.id, e.student.student_no.clone()))
            .collect();
    }
    plan
}

/// The student as it will be stored: incoming values, with empty optional fields kept from `old`.
pub fn merged(old: &Student, new: &Student) -> Student {
    let mut out = new.clone();
    if out.gender.is_none() {
        out.gender = old.gender.clone();
    }
    if out.phone.is_none() {
        out.phone = old.phone.clone();
    }
    out
}

fn field_changes(old: &Student, new: &Student) -> Vec<FieldChange> {
    let new = merged(old, new);
    let mut changes = Vec::new();
    let mut check = |field: &'static str, a: String, b: String| {
        if a != b {
            changes.push(FieldChange {
                field,
                old: a,
                new: b,
            });
        }
    };
    check("name", old.name.clone(), new.name.clone());
    check(
        "id_type",
        old.id_type.code().into(),
        new.id_type.code().into(),
    );
    // the audit log is readable by staff: ID numbers appear only masked
    let id_changed = old.id_number != new.id_number;
    if id_changed {
        check(
            "id_number",
            mask_id(&old.id_number),
            mask_id(&new.id_number),
        );
    }
    check("college", old.college.clone(), new.college.clone());
    check("major", old.major.clone(), new.major.clone());
    check("class", old.class.clone(), new.class.clone());
    check("level", old.level.code().into(), new.level.code().into());
    check("counselor", old.counselor.clone(), new.counselor.clone());
    check("cohort", old.cohort.to_string(), new.cohort.to_string());
    check(
        "gender",
        old.gender.clone().unwrap_or_default(),
        new.gender.clone().unwrap_or_default(),
    );
    if old.phone != new.phone {
        let m = |p: &Option<String>| p.as_deref().map(mask_phone).unwrap_or_default();
        check("phone", m(&old.phone), m(&new.phone));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdType, Level};

    fn s(no: &str, name: &str) -> Student {
        Student {
            student_no: no.into(),
            name: name.into(),
            id_type: IdType::ResidentId,
            id_number: "11010519491231002X".into(),
            college: "文学院".into(),
            major: "汉语言文学".into(),
            class: "汉文2201".into(),
            level: Level::Bachelor,
            counselor: "赵老师".into(),
            cohort: 2026,
            gender: Some("女".into()),
            phone: Some("13800138000".into()),
        }
    }

    fn existing(rows: &[(i64, Student, bool)]) -> Vec<Existing> {
        rows.iter()
            .map(|(id, s, w)| Existing {
                id: *id,
                student: s.clone(),
                withdrawn: *w,
            })
            .collect()
    }

    #[test]
    fn new_changed_unchanged_and_restored() {
        let db = existing(&[
            (1, s("1", "张三"), false),
            (2, s("2", "李四"), false),
            (3, s("3", "王五"), true),
        ]);
        let mut renamed = s("2", "李肆");
        renamed.id_number = "110105194912310037".into();
        let incoming = vec![s("1", "张三"), renamed, s("3", "王五"), s("4", "赵六")];
        let plan = plan_import(&db, &incoming, false);
        assert_eq!(plan.inserts, vec![3]);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.updates.len(), 2);
        assert_eq!(
            plan.updates[0].describe(),
            "name: 李四 → 李肆; id_number: *****002X → *****0037"
        );
        assert!(plan.updates[1].restored);
        assert_eq!(plan.updates[1].describe(), "withdrawn: true → false");
        assert!(plan.withdraw.is_empty(), "a file import never withdraws");
    }

    #[test]
    fn full_sync_withdraws_the_absent_only() {
        let db = existing(&[
            (1, s("1", "张三"), false),
            (2, s("2", "李四"), false),
            (3, s("3", "王五"), true),
        ]);
        let plan = plan_import(&db, &[s("1", "张三")], true);
        assert_eq!(
            plan.withdraw,
            vec![(2, "2".to_string())],
            "already withdrawn students stay as they are"
        );
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn missing_optional_fields_keep_stored_values() {
        let db = existing(&[(1, s("1", "张三"), false)]);
        let mut bare = s("1", "张三");
        bare.phone = None;
        bare.gender = None;
        assert_eq!(plan_import(&db, &[bare], false).unchanged, 1);
        let mut moved = s("1", "张三");
        moved.phone = Some("13912345678".into());
        let plan = plan_import(&db, &[moved], false);
        assert_eq!(
            plan.updates[0].describe(),
            "phone: 138****8000 → 139****5678",
            "phones are masked in the audit"
        );
    }

    #[test]
    fn phone_masking() {
        for (phone, want) in [
            ("13800138000", "138****8000"),
            ("123", "***"),
            ("", ""),
            ("+8613800138000", "+86****8000"),
        ] {
            assert_eq!(mask_phone(phone), want);
        }
    }
}
