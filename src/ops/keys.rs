//! Checks on the key file that seals collection codes (docs/token.md).

use std::path::PathBuf;

use crate::code::Keyring;
use crate::store::StoreError;

/// Why a key file is not used to issue codes; the words are in `words::code`.
#[derive(Debug)]
pub enum KeyCheckError {
    /// The database could not be asked for its codes.
    Store(StoreError),
    /// The newest code sealed with `key_id` (its `serial`) does not verify with the key file at
    /// `path`: another school's, or a freshly generated one.
    Mismatch {
        path: PathBuf,
        key_id: i32,
        serial: i64,
    },
}

impl std::error::Error for KeyCheckError {}

/// Refuses a key file that is not the one this database's codes were sealed with (replaced by
/// another school's or a freshly generated one): the newest code of each key id must verify
/// with it. Checked before anything is issued, with the keyring then used for issuing, so no
/// code is ever sealed with a wrong key.
pub async fn check_matches_database(
    keyring: &Keyring,
    store: &dyn crate::store::Store,
) -> Result<(), KeyCheckError> {
    let samples = store
        .latest_code_per_key()
        .await
        .map_err(KeyCheckError::Store)?;
    for code in samples {
        if crate::code::verify(&code.token, keyring).is_err() {
            return Err(KeyCheckError::Mismatch {
                path: keyring.path().to_path_buf(),
                key_id: code.key_id,
                serial: code.serial,
            });
        }
    }
    Ok(())
}
