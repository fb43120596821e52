//! Which sheet of a workbook holds the roster (see `docs/roster.md`, "Workbooks").
//!
//! Offices put a 说明 (instructions) or 封面 (cover) sheet first. Without `--sheet`, the first
//! sheet is read when a header row is among its first rows; otherwise the one other sheet that
//! has one. When none, or several, do, the sheets are listed and `--sheet NAME` asked for.

use super::header::{self, HeaderProblem};
use super::{RawRow, RosterError};

/// The index of the sheet to read: the one `wanted` names (exactly, else ignoring case and
/// surrounding spaces), or as above. `first_rows(i)` gives sheet `i`'s first non-blank rows.
pub(crate) fn choose(
    file: &str,
    names: &[String],
    wanted: Option<&str>,
    first_rows: &mut dyn FnMut(usize) -> Result<Vec<RawRow>, RosterError>,
) -> Result<usize, RosterError> {
    if let Some(wanted) = wanted {
        return names
            .iter()
            .position(|s| s == wanted)
            .or_else(|| {
                names
                    .iter()
                    .position(|s| s.trim().eq_ignore_ascii_case(wanted.trim()))
            })
            .ok_or_else(|| RosterError::NoSuchSheet {
                file: file.to_string(),
                sheet: wanted.to_string(),
                sheets: names.to_vec(),
            });
    }
    if names.len() <= 1 || has_header(&first_rows(0)?) {
        // a one-sheet workbook is read as it is: its own problems are reported
        return Ok(0);
    }
    let mut with_header = Vec::new();
    for i in 1..names.len() {
        if has_header(&first_rows(i)?) {
            with_header.push(i);
        }
    }
    match with_header.as_slice() {
        [only] => Ok(*only),
        _ => Err(RosterError::ChooseSheet {
            file: file.to_string(),
            sheets: names.to_vec(),
            with_header: with_header.iter().map(|&i| names[i].clone()).collect(),
        }),
    }
}

/// Whether a row among `rows` names roster columns (a header with missing or doubled columns
/// counts: its problems are reported when the sheet is read).
fn has_header(rows: &[RawRow]) -> bool {
    !matches!(
        header::find_header(rows),
        Err(HeaderProblem::NotFound { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<RawRow> {
        rows.iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                row: i as u64 + 1,
                cells: cells.iter().map(|c| c.to_string()).collect(),
                flaws: Vec::new(),
            })
            .collect()
    }

    const ROSTER: &[&str] = &["学号", "姓名", "证件号码"];

    #[test]
    fn the_roster_sheet_is_found_or_asked_for() {
        let names: Vec<String> = ["说明", "名单", "统计"].map(String::from).to_vec();
        let note = sheet(&[&["请勿修改表头"]]);
        let roster = sheet(&[&["2026届"], ROSTER, &["2022001", "张三"]]);
        type Case<'a> = (
            Vec<Vec<RawRow>>,
            Option<&'a str>,
            Result<usize, Vec<&'a str>>,
        );
        let cases: Vec<Case> = vec![
            // the first sheet has a header: it is read, the others are not looked at
            (vec![roster.clone(), vec![], vec![]], None, Ok(0)),
            // a cover sheet first: the one sheet with a header
            (vec![note.clone(), roster.clone(), vec![]], None, Ok(1)),
            (vec![vec![], vec![], roster.clone()], None, Ok(2)),
            // none, or two: ask
            (vec![note.clone(), vec![], note.clone()], None, Err(vec![])),
            (
                vec![note.clone(), roster.clone(), roster.clone()],
                None,
                Err(vec!["名单", "统计"]),
            ),
            // named: as named, whatever it holds
            (
                vec![note.clone(), roster.clone(), roster.clone()],
                Some("统计"),
                Ok(2),
            ),
            (
                vec![note.clone(), roster.clone(), roster.clone()],
                Some(" 名单 "),
                Ok(1),
            ),
        ];
        for (sheets, wanted, want) in cases {
            let mut asked = Vec::new();
            let first_only = want == Ok(0);
            let got = choose("f.xlsx", &names, wanted, &mut |i| {
                asked.push(i);
                Ok(sheets[i].clone())
            });
            match want {
                Ok(i) => assert_eq!(got, Ok(i), "{wanted:?} {asked:?}"),
                Err(with_header) => assert_eq!(
                    got,
                    Err(RosterError::ChooseSheet {
                        file: "f.xlsx".into(),
                        sheets: names.clone(),
                        with_header: with_header.iter().map(|s| s.to_string()).collect(),
                    })
                ),
            }
            if first_only {
                assert_eq!(asked, [0], "only the first sheet is read");
            }
        }
        let one = vec!["Sheet1".to_string()];
        assert_eq!(
            choose("f.xlsx", &one, None, &mut |_| Ok(note.clone())),
            Ok(0),
            "a single sheet is read as it is"
        );
        assert!(matches!(
            choose("f.xlsx", &names, Some("Roster"), &mut |_| Ok(vec![])),
            Err(RosterError::NoSuchSheet { .. })
        ));
    }
}
