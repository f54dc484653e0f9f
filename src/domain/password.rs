//! The admin UI's password: given in plain text (compared in constant time) or as an
//! argon2 PHC string (`$argon2id$v=19$m=…`), so a config file need not hold the password.

use super::secret::secrets_match;
use crate::error::{AppError, Result};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// How the admin password is checked.
#[derive(Clone)]
pub enum AdminPassword {
    Plain(SecretString),
    /// A PHC string, checked to parse at startup.
    Argon2(SecretString),
}

impl AdminPassword {
    /// From the `admin_password` and `admin_password_hash` settings. A password that is
    /// itself a PHC string counts as a hash; setting both is refused, as one would be
    /// silently ignored. None: the admin UI is disabled.
    pub fn parse(plain: Option<SecretString>, hash: Option<SecretString>) -> Result<Option<AdminPassword>> {
        let hash = match (plain, hash) {
            (Some(_), Some(_)) => {
                return Err(AppError::config("admin_password_hash", "set either admin_password or admin_password_hash, not both"));
            }
            (None, None) => return Ok(None),
            (Some(plain), None) if !plain.expose_secret().starts_with("$argon2") => return Ok(Some(AdminPassword::Plain(plain))),
            (Some(hash), None) | (None, Some(hash)) => hash,
        };
        if let Err(e) = PasswordHash::new(hash.expose_secret()) {
            return Err(AppError::config("admin_password_hash", format!("not an argon2 PHC string ($argon2id$v=19$m=…): {e}")));
        }
        Ok(Some(AdminPassword::Argon2(hash)))
    }

    /// Whether `presented` is the password. Argon2 is slow on purpose: call this off the
    /// async workers (`spawn_blocking`).
    pub fn verify(&self, presented: &str) -> bool {
        match self {
            AdminPassword::Plain(expected) => secrets_match(presented, expected.expose_secret()),
            AdminPassword::Argon2(phc) => PasswordHash::new(phc.expose_secret())
                .is_ok_and(|hash| Argon2::default().verify_password(presented.as_bytes(), &hash).is_ok()),
        }
    }
}

/// The argon2id hash of a password as a PHC string, with argon2's default (OWASP)
/// parameters and a random salt, for `admin_password_hash`.
pub fn hash(password: &str) -> Result<String> {
    if password.is_empty() {
        return Err(AppError::invalid("empty_password", "the password is empty"));
    }
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))?;
    Ok(hash.to_string())
}

/// Never prints the password or its hash.
impl fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminPassword::Plain(_) => f.write_str("AdminPassword::Plain(<redacted>)"),
            AdminPassword::Argon2(_) => f.write_str("AdminPassword::Argon2(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::Params;

    fn secret(s: &str) -> Option<SecretString> {
        Some(SecretString::from(s.to_owned()))
    }

    fn small_hash(password: &str) -> String {
        let argon2 = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, Params::new(1024, 1, 1, None).expect("params"));
        let hash: PasswordHash = argon2.hash_password(password.as_bytes()).expect("hash");
        hash.to_string()
    }

    #[test]
    fn a_plain_password_matches_only_itself() {
        let password = AdminPassword::parse(secret("correct horse"), None).expect("parses").expect("set");
        assert!(password.verify("correct horse"));
        assert!(!password.verify("correct horse "));
    }

    #[test]
    fn an_argon2_hash_checks_the_password_from_either_setting() {
        let hash = small_hash("battery staple");
        for password in [AdminPassword::parse(None, secret(&hash)), AdminPassword::parse(secret(&hash), None)] {
            let password = password.expect("parses").expect("set");
            assert!(matches!(password, AdminPassword::Argon2(_)));
            assert!(password.verify("battery staple"));
            assert!(!password.verify("battery"));
        }
    }

    #[test]
    fn a_malformed_hash_or_two_passwords_name_the_setting() {
        let err = AdminPassword::parse(None, secret("$argon2id$nonsense")).expect_err("refused");
        assert!(err.to_string().contains("admin_password_hash"), "{err}");
        let err = AdminPassword::parse(secret("a"), secret(&small_hash("b"))).expect_err("refused");
        assert!(err.to_string().contains("admin_password_hash"), "{err}");
        assert!(AdminPassword::parse(None, None).expect("parses").is_none());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = AdminPassword::parse(secret("hunter2"), None).expect("parses");
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
