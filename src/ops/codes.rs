//! Issuing and reissuing collection codes, shared by `caiji codes` and the console
//! (docs/token.md): the key file is checked against the database first, each code is sealed
//! with the keyring's current key, and the store writes the codes and their audit lines in one
//! transaction.

use chrono::NaiveDate;

use super::keys::{KeyCheckError, check_matches_database};
use crate::code::{CodePayload, Keyring, issue};
use crate::domain::Student;
use crate::store::{CodeRecord, CodeTargets, IssueSummary, Store, StoreError};

/// Why no code was issued; the words are in `words::code`.
#[derive(Debug, thiserror::Error)]
pub enum CodeOpError {
    /// The key file is not the one this database's codes were sealed with.
    Keys(#[from] KeyCheckError),
    /// The store refused or could not be asked (a code that could not be sealed included).
    Store(#[from] StoreError),
}

/// The school and keyring codes are issued with.
pub struct Issuer<'a> {
    pub keyring: &'a Keyring,
    /// The school code every payload carries (config, else the database's settings).
    pub school_code: &'a str,
    pub operator: &'a str,
}

impl Issuer<'_> {
    /// Seals one student's code with the keyring's current key. An error names the student.
    pub fn seal(
        &self,
        serial: i64,
        student: &Student,
        issued_on: NaiveDate,
    ) -> Result<String, String> {
        let serial = u64::try_from(serial).map_err(|_| format!("serial {serial} < 0"))?;
        let payload = CodePayload::for_student(serial, student, self.school_code, issued_on);
        issue(&payload, self.keyring)
            .map(|t| t.text)
            .map_err(|e| format!("{}: {e}", student.student_no))
    }

    /// Issues codes to `targets` (students who have an active code keep it).
    pub async fn issue(
        &self,
        store: &dyn Store,
        targets: &CodeTargets,
    ) -> Result<IssueSummary, CodeOpError> {
        check_matches_database(self.keyring, store).await?;
        let make = |serial: i64, student: &Student, issued_on: NaiveDate| {
            self.seal(serial, student, issued_on)
        };
        Ok(store
            .issue_codes(
                targets,
                i32::from(self.keyring.current_id()),
                &make,
                self.operator,
            )
            .await?)
    }

    /// Revokes the student's active code (if any) and issues a new one: the old code and the
    /// new, as the store recorded them.
    pub async fn reissue(
        &self,
        store: &dyn Store,
        student_no: &str,
        reason: &str,
    ) -> Result<(Option<CodeRecord>, CodeRecord), CodeOpError> {
        check_matches_database(self.keyring, store).await?;
        let make = |serial: i64, student: &Student, issued_on: NaiveDate| {
            self.seal(serial, student, issued_on)
        };
        Ok(store
            .reissue_code(
                student_no,
                reason,
                i32::from(self.keyring.current_id()),
                &make,
                self.operator,
            )
            .await?)
    }
}
