//! Checks on the key file that seals collection codes (docs/token.md).

use crate::code::Keyring;

/// Refuses a key file that is not the one this database's codes were sealed with (replaced by
/// another school's or a freshly generated one): the newest code of each key id must verify
/// with it. Checked before anything is issued, with the keyring then used for issuing, so no
/// code is ever sealed with a wrong key.
pub async fn check_matches_database(
    keyring: &Keyring,
    store: &dyn crate::store::Store,
) -> Result<(), String> {
    let samples = store
        .latest_code_per_key()
        .await
        .map_err(|e| e.to_string())?;
    for code in samples {
        if crate::code::verify(&code.token, keyring).is_err() {
            let path = keyring.path().display();
            return Err(match crate::i18n::lang() {
                crate::i18n::Lang::Zh => format!(
                    "密钥文件 {path} 与本数据库不符：用密钥 {} 签发的采集码（编号 {}）无法用它验证——它被替换或换成了别的密钥；未签发任何采集码。请从备份恢复本校的密钥文件",
                    code.key_id, code.serial
                ),
                crate::i18n::Lang::En => format!(
                    "the key file {path} does not belong to this database: the codes sealed with key {} (serial {}) do not verify with it — it was replaced or holds another key; nothing was issued. Restore the school's key file from its backup",
                    code.key_id, code.serial
                ),
            });
        }
    }
    Ok(())
}
