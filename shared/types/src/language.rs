//! Language tags: BCP 47 in the shape `language[-Script][-REGION]`, with the primary
//! subtag checked against ISO 639 (two-letter 639-1 codes and three-letter 639-3
//! codes, which include the dialect codes Mittler uses: `apc` Levantine Arabic,
//! `prs` Dari, `kmr` Kurmanji, `ckb` Sorani, `gsg` German Sign Language …).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A checked, normalised language tag (`ar`, `apc`, `sr-Latn`, `pt-BR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageTag(String);

/// Why a string is not an acceptable language tag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LanguageTagError {
    #[error("a language tag is required")]
    Empty,
    #[error("'{0}' is not a language tag of the form language[-Script][-REGION]")]
    Malformed(String),
    #[error("'{0}' is not an ISO 639 language code")]
    UnknownLanguage(String),
}

impl LanguageTag {
    pub fn parse(input: &str) -> Result<Self, LanguageTagError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(LanguageTagError::Empty);
        }
        let malformed = || LanguageTagError::Malformed(input.chars().take(40).collect());
        let mut parts = input.split(['-', '_']);
        let primary = parts.next().ok_or_else(malformed)?.to_ascii_lowercase();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(malformed());
        }
        let known = match primary.len() {
            2 => isolang::Language::from_639_1(&primary).is_some(),
            _ => isolang::Language::from_639_3(&primary).is_some(),
        };
        if !known {
            return Err(LanguageTagError::UnknownLanguage(primary));
        }
        let mut tag = primary;
        let mut script_seen = false;
        let mut region_seen = false;
        for part in parts {
            let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
            let digit = part.bytes().all(|b| b.is_ascii_digit());
            if part.len() == 4 && alpha && !script_seen && !region_seen {
                script_seen = true;
                let mut chars = part.chars();
                let first = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .ok_or_else(malformed)?;
                tag.push('-');
                tag.push(first);
                tag.push_str(&chars.as_str().to_ascii_lowercase());
            } else if ((part.len() == 2 && alpha) || (part.len() == 3 && digit)) && !region_seen {
                region_seen = true;
                tag.push('-');
                tag.push_str(&part.to_ascii_uppercase());
            } else {
                return Err(malformed());
            }
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`apc` of `apc`, `sr` of `sr-Latn`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The language's English name, for lists and search.
    pub fn english_name(&self) -> Option<&'static str> {
        let primary = self.primary();
        let language = match primary.len() {
            2 => isolang::Language::from_639_1(primary),
            _ => isolang::Language::from_639_3(primary),
        }?;
        Some(language.to_name())
    }
}

impl TryFrom<String> for LanguageTag {
    type Error = LanguageTagError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LanguageTag> for String {
    fn from(value: LanguageTag) -> Self {
        value.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_languages_and_dialects_mittler_serves() {
        for tag in [
            "ar", "apc", "uk", "ru", "prs", "fa", "kmr", "ckb", "tr", "ti", "gsg", "ps", "so", "de",
        ] {
            assert_eq!(
                LanguageTag::parse(tag).map(|t| t.to_string()),
                Ok(tag.to_owned()),
                "{tag}"
            );
        }
        assert_eq!(
            LanguageTag::parse("apc").expect("ok").english_name(),
            Some("Levantine Arabic")
        );
    }

    #[test]
    fn normalises_case_and_keeps_script_and_region() {
        assert_eq!(
            LanguageTag::parse(" SR-latn ").expect("ok").as_str(),
            "sr-Latn"
        );
        assert_eq!(LanguageTag::parse("pt_br").expect("ok").as_str(), "pt-BR");
        assert_eq!(LanguageTag::parse("es-419").expect("ok").as_str(), "es-419");
        assert_eq!(
            LanguageTag::parse("ar-Arab-SY").expect("ok").primary(),
            "ar"
        );
    }

    #[test]
    fn refuses_unknown_codes_and_malformed_tags() {
        assert_eq!(LanguageTag::parse(""), Err(LanguageTagError::Empty));
        assert!(matches!(
            LanguageTag::parse("xx"),
            Err(LanguageTagError::UnknownLanguage(_))
        ));
        assert!(matches!(
            LanguageTag::parse("qqq"),
            Err(LanguageTagError::UnknownLanguage(_))
        ));
        for bad in [
            "a",
            "arabic",
            "ar-",
            "ar-Latn-Latn",
            "ar-SY-Latn",
            "12",
            "ar-x-private",
            "ar--SY",
        ] {
            assert!(
                matches!(LanguageTag::parse(bad), Err(LanguageTagError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn deserialising_refuses_what_parse_refuses() {
        assert!(serde_json::from_str::<LanguageTag>("\"klingon\"").is_err());
        assert_eq!(
            serde_json::from_str::<LanguageTag>("\"UK\"")
                .expect("ok")
                .as_str(),
            "uk"
        );
    }
}
