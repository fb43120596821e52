//! Sorting the inspected files into the outcomes of a reconciliation — pure: matched-valid,
//! matched-invalid, duplicate, orphan and skipped per file, missing per student — and the JSON
//! of docs/cli.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::walk::SkipReason;
use crate::domain::photo_spec::Problem;
use crate::i18n::Lang;

/// A file after inspection and matching, before the outcome is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examined {
    pub rel: String,
    /// Roster position of the student the stem names.
    pub student: Option<usize>,
    /// The students the stem could be (an ID number several of them share): the file is an
    /// orphan that names them instead of being given to one.
    pub candidates: Vec<usize>,
    pub problems: Vec<Problem>,
}

/// A file for one student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedFile {
    pub rel: String,
    pub student: usize,
    pub problems: Vec<Problem>,
}

/// Several files for one student: none counts until the extra ones are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    pub student: usize,
    /// (file, its own problems), by path.
    pub files: Vec<(String, Vec<Problem>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanFile {
    pub rel: String,
    /// Roster positions, best first (every student it could be, when `ambiguous`).
    pub suggestions: Vec<usize>,
    /// The stem is an ID number several students share: which of them it is cannot be told.
    pub ambiguous: bool,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub rel: String,
    pub reason: SkipReason,
}

/// The outcome of a reconciliation, with roster positions into the caller's student list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Every file found (skipped ones included; skipped folders are not files).
    pub files: usize,
    pub valid: Vec<MatchedFile>,
    pub invalid: Vec<MatchedFile>,
    pub duplicates: Vec<DuplicateGroup>,
    pub orphans: Vec<OrphanFile>,
    /// Roster positions of students without any file, in roster order.
    pub missing: Vec<usize>,
    pub skipped: Vec<SkippedEntry>,
}

impl Outcome {
    /// docs/cli.md: exit 3 when anything needs attention.
    pub fn has_problems(&self) -> bool {
        !(self.invalid.is_empty()
            && self.duplicates.is_empty()
            && self.orphans.is_empty()
            && self.missing.is_empty()
            && self.skipped.is_empty())
    }
}

/// Decides each file's outcome. `roster_len` students are on the roster; `suggest` is asked
/// for each orphan's stem only (suggestions cost a pass over the roster).
pub fn classify(
    examined: Vec<Examined>,
    skipped: Vec<SkippedEntry>,
    roster_len: usize,
    mut suggest: impl FnMut(&str) -> Vec<usize>,
) -> Outcome {
    let mut by_student: BTreeMap<usize, Vec<Examined>> = BTreeMap::new();
    let mut out = Outcome {
        files: examined.len() + skipped.iter().filter(|s| !s.reason.is_folder()).count(),
        ..Outcome::default()
    };
    for e in examined {
        match e.student {
            Some(i) => by_student.entry(i).or_default().push(e),
            None => {
                let ambiguous = !e.candidates.is_empty();
                let suggestions = if ambiguous {
                    e.candidates
                } else {
                    suggest(stem_of(&e.rel))
                };
                out.orphans.push(OrphanFile {
                    suggestions,
                    ambiguous,
                    rel: e.rel,
                    problems: e.problems,
                });
            }
        }
    }
    let mut has_file = vec![false; roster_len];
    for (student, mut files) in by_student {
        if let Some(slot) = has_file.get_mut(student) {
            *slot = true;
        }
        if files.len() > 1 {
            files.sort_by(|a, b| a.rel.cmp(&b.rel));
            out.duplicates.push(DuplicateGroup {
                student,
                files: files.into_iter().map(|f| (f.rel, f.problems)).collect(),
            });
            continue;
        }
        let Some(f) = files.pop() else { continue };
        let m = MatchedFile {
            rel: f.rel,
            student,
            problems: f.problems,
        };
        if m.problems.is_empty() {
            out.valid.push(m)
        } else {
            out.invalid.push(m)
        }
    }
    out.missing = has_file
        .iter()
        .enumerate()
        .filter(|(_, has)| !**has)
        .map(|(i, _)| i)
        .collect();
    out.valid.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.invalid.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.orphans.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.skipped = skipped;
    out.skipped.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// The file name without folders and extension.
fn stem_of(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).trim()
}

// ---- JSON (docs/cli.md: stable English keys; problems and reasons in English) ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidJson {
    pub file: String,
    pub student_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidJson {
    pub file: String,
    pub student_no: String,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateJson {
    pub student_no: String,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanJson {
    pub file: String,
    /// 学号 of the likely students, best first.
    pub suggestions: Vec<String>,
    /// Present (true) when the name is an ID number several students share: the file could
    /// be any of `suggestions`' and is given to none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ambiguous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedJson {
    pub file: String,
    pub reason: String,
}

/// `caiji photos reconcile --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportJson {
    pub files: usize,
    pub matched_valid: Vec<ValidJson>,
    pub matched_invalid: Vec<InvalidJson>,
    pub duplicates: Vec<DuplicateJson>,
    pub orphans: Vec<OrphanJson>,
    pub missing: Vec<String>,
    pub skipped: Vec<SkippedJson>,
}

impl Outcome {
    /// The JSON report; `student_no(i)` gives the 学号 at roster position `i`, and
    /// `shown(file, student)` the file as it may be shown (its ID numbers masked).
    pub fn to_json<'a>(
        &self,
        student_no: impl Fn(usize) -> &'a str,
        shown: impl Fn(&str, Option<usize>) -> String,
    ) -> ReportJson {
        let texts = |p: &[Problem]| p.iter().map(Problem::machine_text).collect::<Vec<_>>();
        ReportJson {
            files: self.files,
            matched_valid: self
                .valid
                .iter()
                .map(|m| ValidJson {
                    file: shown(&m.rel, Some(m.student)),
                    student_no: student_no(m.student).into(),
                })
                .collect(),
            matched_invalid: self
                .invalid
                .iter()
                .map(|m| InvalidJson {
                    file: shown(&m.rel, Some(m.student)),
                    student_no: student_no(m.student).into(),
                    problems: texts(&m.problems),
                })
                .collect(),
            duplicates: self
                .duplicates
                .iter()
                .map(|d| DuplicateJson {
                    student_no: student_no(d.student).into(),
                    files: d
                        .files
                        .iter()
                        .map(|f| shown(&f.0, Some(d.student)))
                        .collect(),
                })
                .collect(),
            orphans: self
                .orphans
                .iter()
                .map(|o| OrphanJson {
                    file: shown(&o.rel, None),
                    suggestions: o
                        .suggestions
                        .iter()
                        .map(|&i| student_no(i).to_string())
                        .collect(),
                    ambiguous: o.ambiguous,
                })
                .collect(),
            missing: self
                .missing
                .iter()
                .map(|&i| student_no(i).to_string())
                .collect(),
            skipped: self
                .skipped
                .iter()
                .map(|s| SkippedJson {
                    file: shown(&s.rel, None),
                    reason: s.reason.message(Lang::En),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::photo_spec::{FileFormat, KB};

    fn file(rel: &str, student: Option<usize>, problems: Vec<Problem>) -> Examined {
        Examined {
            rel: rel.into(),
            student,
            candidates: Vec::new(),
            problems,
        }
    }

    #[test]
    fn files_and_students_get_their_outcomes() {
        let too_small = Problem::TooSmall {
            size: KB,
            min: 20 * KB,
        };
        let examined = vec![
            file("b/0.jpg", Some(0), vec![]),
            file("1.jpg", Some(1), vec![too_small.clone()]),
            file("2.jpg", Some(2), vec![]),
            file(
                "x/2.JPG",
                Some(2),
                vec![Problem::NotJpeg {
                    format: FileFormat::Png,
                }],
            ),
            file("99.jpg", None, vec![]),
            file("a/0.jpg", None, vec![]),
        ];
        let skipped = vec![
            SkippedEntry {
                rel: "loop/".into(),
                reason: SkipReason::SymlinkLoop,
            },
            SkippedEntry {
                rel: "e.jpg".into(),
                reason: SkipReason::Empty,
            },
        ];
        let mut asked = Vec::new();
        let out = classify(examined, skipped, 5, |stem| {
            asked.push(stem.to_string());
            if stem == "99" { vec![4, 3] } else { vec![] }
        });
        assert_eq!(asked, ["99", "0"], "suggestions asked for orphans only");
        assert_eq!(
            out.files, 7,
            "six examined and one skipped file; the folder is not a file"
        );
        assert_eq!(
            out.valid,
            [MatchedFile {
                rel: "b/0.jpg".into(),
                student: 0,
                problems: vec![]
            }]
        );
        assert_eq!(
            out.invalid,
            [MatchedFile {
                rel: "1.jpg".into(),
                student: 1,
                problems: vec![too_small]
            }]
        );
        assert_eq!(out.duplicates.len(), 1);
        assert_eq!(out.duplicates[0].student, 2);
        assert_eq!(
            out.duplicates[0]
                .files
                .iter()
                .map(|f| f.0.as_str())
                .collect::<Vec<_>>(),
            ["2.jpg", "x/2.JPG"]
        );
        assert_eq!(
            out.orphans
                .iter()
                .map(|o| (o.rel.as_str(), o.suggestions.clone()))
                .collect::<Vec<_>>(),
            [("99.jpg", vec![4, 3]), ("a/0.jpg", vec![])]
        );
        assert_eq!(out.missing, [3, 4]);
        assert_eq!(
            out.skipped
                .iter()
                .map(|s| s.rel.as_str())
                .collect::<Vec<_>>(),
            ["e.jpg", "loop/"]
        );
        assert!(out.has_problems());
    }

    #[test]
    fn a_photo_that_could_be_two_students_is_given_to_neither() {
        let mut shared = file("44010620040315001X.jpg", None, vec![]);
        shared.candidates = vec![0, 2];
        let out = classify(
            vec![shared, file("1.jpg", Some(1), vec![])],
            vec![],
            3,
            |_| panic!("the candidates are the suggestions"),
        );
        assert_eq!(
            out.orphans,
            [OrphanFile {
                rel: "44010620040315001X.jpg".into(),
                suggestions: vec![0, 2],
                ambiguous: true,
                problems: vec![],
            }]
        );
        assert_eq!(out.missing, [0, 2], "neither student has a photo");
        let json = out.to_json(|i| ["A", "B", "C"][i], |rel, _| rel.to_string());
        assert_eq!(
            serde_json::to_value(&json.orphans).unwrap(),
            serde_json::json!([{"file": "44010620040315001X.jpg", "suggestions": ["A", "C"], "ambiguous": true}])
        );
    }

    #[test]
    fn a_clean_folder_has_no_problems() {
        let out = classify(
            vec![
                file("0.jpg", Some(0), vec![]),
                file("1.jpg", Some(1), vec![]),
            ],
            vec![],
            2,
            |_| vec![],
        );
        assert!(!out.has_problems());
        assert_eq!(out.valid.len(), 2);
        let empty = classify(vec![], vec![], 0, |_| vec![]);
        assert!(!empty.has_problems());
        assert_eq!(empty.files, 0);
    }

    #[test]
    fn json_has_the_keys_of_the_spec() {
        let out = classify(
            vec![
                file("ok.jpg", Some(0), vec![]),
                file("bad.jpg", Some(1), vec![Problem::Truncated]),
                file("who.jpg", None, vec![]),
            ],
            vec![SkippedEntry {
                rel: "big.jpg".into(),
                reason: SkipReason::Huge {
                    size: 11 * 1024 * 1024,
                },
            }],
            3,
            |_| vec![2],
        );
        let nos = ["2022010101", "2022010102", "2022010103"];
        let json = serde_json::to_value(out.to_json(|i| nos[i], |rel, _| rel.to_string())).unwrap();
        let want = serde_json::json!({
            "files": 4,
            "matched_valid": [{"file": "ok.jpg", "student_no": "2022010101"}],
            "matched_invalid": [{"file": "bad.jpg", "student_no": "2022010102",
                "problems": ["truncated: the file ends before the JPEG end marker (EOI); copy it again"]}],
            "duplicates": [],
            "orphans": [{"file": "who.jpg", "suggestions": ["2022010103"]}],
            "missing": ["2022010103"],
            "skipped": [{"file": "big.jpg", "reason": "too large to be a photo (11.0 MB)"}],
        });
        assert_eq!(json, want);
    }
}
