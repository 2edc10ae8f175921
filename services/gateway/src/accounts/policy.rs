//! What a password must be: long enough, and not easy to guess — checked against the
//! common passwords, names, words, dates and keyboard patterns that `zxcvbn` knows,
//! and against the person's own name and e-mail address. Pure.

use mittler_contracts::text;
use mittler_contracts::text::Text;
use zxcvbn::Score;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most bytes a password may have (argon2 hashes any length; this bounds the work).
pub const MAX_BYTES: usize = 1024;

/// Accept `password`, or say why not; `personal` are the person's name, e-mail
/// address and the like, which a password must not be built from.
pub fn check(password: &str, personal: &[&str]) -> Result<(), Text> {
    if password.chars().count() < MIN_CHARS || password.len() > MAX_BYTES {
        return Err(text!("auth.password_length", min = MIN_CHARS));
    }
    // The parts of the address and name, so that "olena.kovalenko1234" is caught.
    let mut inputs: Vec<String> = Vec::new();
    for item in personal {
        inputs.push(item.to_lowercase());
        inputs.extend(
            item.split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.chars().count() >= 3)
                .map(str::to_lowercase),
        );
    }
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // What is left without the personal parts must be hard to guess by itself.
    let mut rest = password.to_lowercase();
    for part in &inputs {
        rest = rest.replace(part, "");
    }
    for candidate in [password, rest.as_str()] {
        if zxcvbn::zxcvbn(candidate, &inputs).score() < Score::Three {
            return Err(text!("auth.password_weak"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused_by_length() {
        let error = check("kurz", &[]).expect_err("short");
        assert_eq!(error.key, "auth.password_length");
        assert!(check(&"x".repeat(MAX_BYTES + 1), &[]).is_err());
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for common in [
            "password1234",
            "123456789012",
            "qwertzuiop12",
            "passwort1234",
        ] {
            let error = check(common, &[]).expect_err(common);
            assert_eq!(error.key, "auth.password_weak", "{common}");
        }
        let personal = ["olena.kovalenko@mittler-demo.example", "Olena Kovalenko"];
        assert!(check("olena.kovalenko1", &personal).is_err());
    }

    #[test]
    fn long_unusual_passphrases_are_accepted() {
        assert!(check("Wolkenkratzer-am-Elbufer-7", &[]).is_ok());
        assert!(check("ein-langes-passwort", &[]).is_ok());
    }
}
