//! The web UI's words: one TOML file per language under `i18n/`, flattened to
//! `section.key`. German is the default; English is switchable.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The languages the UI speaks, the default first.
pub const LANGUAGES: [&str; 2] = ["de", "en"];

const FILES: [(&str, &str); 2] = [
    ("de", include_str!("../../i18n/de.toml")),
    ("en", include_str!("../../i18n/en.toml")),
];

type Catalog = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, into: &mut Catalog) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&path, inner, into),
            toml::Value::String(text) => {
                into.insert(path, text.clone());
            }
            other => {
                into.insert(path, other.to_string());
            }
        }
    }
}

static CATALOGS: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(lang, text)| {
            let table: toml::Table = text
                .parse()
                .unwrap_or_else(|e| panic!("i18n/{lang}.toml does not parse: {e}"));
            let mut catalog = Catalog::new();
            flatten("", &table, &mut catalog);
            (*lang, catalog)
        })
        .collect()
});

/// The reasons of the dispatch explanation in German (`i18n/reasons.de.toml`):
/// English text to German, with `{0}`, `{1}` standing for parts that vary.
static REASONS_DE: LazyLock<Vec<(Vec<String>, String)>> = LazyLock::new(|| {
    let table: toml::Table = include_str!("../../i18n/reasons.de.toml")
        .parse()
        .unwrap_or_else(|e| panic!("i18n/reasons.de.toml does not parse: {e}"));
    table
        .into_iter()
        .filter_map(|(english, german)| {
            let german = german.as_str()?.to_owned();
            Some((split_placeholders(&english), german))
        })
        .collect()
});

/// `"'{0}' is not {1}"` → `["'", "' is not ", ""]`.
fn split_placeholders(pattern: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let close = rest[start..].find('}').map(|i| start + i);
        match close {
            Some(end)
                if rest[start + 1..end].bytes().all(|b| b.is_ascii_digit()) && end > start + 1 =>
            {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&rest[..start]);
                }
                parts.push(String::new());
                rest = &rest[end + 1..];
            }
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&rest[..=start]);
                }
                rest = &rest[start + 1..];
            }
        }
    }
    if let Some(last) = parts.last_mut() {
        last.push_str(rest);
    }
    parts
}

/// The values of the placeholders if `text` has the shape of `parts`.
fn match_parts(parts: &[String], text: &str) -> Option<Vec<String>> {
    let (first, rest) = parts.split_first()?;
    let mut at = text.strip_prefix(first.as_str())?;
    let mut values = Vec::new();
    for (i, literal) in rest.iter().enumerate() {
        let last = i == rest.len() - 1;
        let end = if last {
            if !at.ends_with(literal.as_str()) {
                return None;
            }
            at.len() - literal.len()
        } else {
            at.find(literal.as_str())?
        };
        values.push(at[..end].to_owned());
        at = &at[end + literal.len()..];
    }
    at.is_empty().then_some(values)
}

/// The German of a dispatch reason, where the catalogue has it; the parts that vary
/// are translated too where they are catalogue texts themselves ("… : 3.3 h short").
pub fn reason_in_german(text: &str) -> Option<String> {
    translate(text, 0)
}

/// A decimal number as German pages write it (a comma, not a point); other text
/// as it is.
fn german_number(value: &str) -> String {
    let digits = value.trim_start_matches('-');
    if value.parse::<f64>().is_ok() && digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        value.replace('.', ",")
    } else {
        value.to_owned()
    }
}

fn translate(text: &str, depth: usize) -> Option<String> {
    REASONS_DE.iter().find_map(|(parts, german)| {
        let values = match_parts(parts, text)?;
        let mut out = german.clone();
        for (i, value) in values.iter().enumerate() {
            let value = if depth < 2 {
                translate(value, depth + 1).unwrap_or_else(|| german_number(value))
            } else {
                german_number(value)
            };
            out = out.replace(&format!("{{{i}}}"), &value);
        }
        Some(out)
    })
}

/// A chosen UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lang(&'static str);

impl Default for Lang {
    fn default() -> Self {
        Self(LANGUAGES[0])
    }
}

impl Lang {
    /// The language for `code`, or the default.
    pub fn from_code(code: &str) -> Self {
        LANGUAGES
            .iter()
            .find(|l| l.eq_ignore_ascii_case(code.trim()))
            .map(|l| Self(l))
            .unwrap_or_default()
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// The other language, for the switch.
    pub fn other(self) -> Self {
        if self.0 == "de" {
            Self("en")
        } else {
            Self("de")
        }
    }

    /// The text for `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(self, key: &str) -> String {
        CATALOGS
            .get(self.0)
            .and_then(|c| c.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text for `key` with `{name}` placeholders filled.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The singular (`{key}_one`) or plural (`{key}_other`) text for `n`, with `{n}`
    /// and `args` filled.
    pub fn tn(self, key: &str, n: usize, args: &[(&str, &str)]) -> String {
        let form = if n == 1 { "one" } else { "other" };
        let count = n.to_string();
        let mut all = vec![("n", count.as_str())];
        all.extend_from_slice(args);
        self.tf(&format!("{key}_{form}"), &all)
    }

    /// `value` with `places` decimals as this language writes it (German: a comma).
    pub fn decimal(self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        if self.0 == "de" {
            text.replace('.', ",")
        } else {
            text
        }
    }

    /// The text for `key` where there is one.
    pub fn opt(self, key: &str) -> Option<String> {
        CATALOGS.get(self.0).and_then(|c| c.get(key)).cloned()
    }

    /// Whether `key` exists.
    pub fn has(self, key: &str) -> bool {
        CATALOGS.get(self.0).is_some_and(|c| c.contains_key(key))
    }

    /// The language codes of the language catalogue (`languages.*`), by name.
    pub fn language_codes(self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = CATALOGS
            .get(self.0)
            .map(|c| {
                c.iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("languages.")
                            .map(|code| (code.to_owned(), v.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by_key(|entry| entry.1.to_lowercase());
        list
    }

    /// The name of a language tag, falling back to the tag.
    pub fn language(self, tag: &str) -> String {
        let key = format!("languages.{tag}");
        if self.has(&key) {
            self.t(&key)
        } else {
            tag.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        CATALOGS[lang].keys().cloned().collect()
    }

    #[test]
    fn every_language_has_every_key() {
        let de = keys("de");
        let en = keys("en");
        let only_de: Vec<_> = de.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&de).collect();
        assert!(only_de.is_empty(), "missing in en.toml: {only_de:?}");
        assert!(only_en.is_empty(), "missing in de.toml: {only_en:?}");
    }

    /// Every key the UI's code names exists (`.t("…")`, `.tf("…"`, `key!("…")`).
    #[test]
    fn every_key_in_the_code_exists() {
        let sources = [
            include_str!("account.rs"),
            include_str!("amend_form.rs"),
            include_str!("booking_page.rs"),
            include_str!("calendar.rs"),
            include_str!("coordinator.rs"),
            include_str!("deliveries.rs"),
            include_str!("events.rs"),
            include_str!("mediator.rs"),
            include_str!("organisations.rs"),
            include_str!("mod.rs"),
            include_str!("people.rs"),
            include_str!("problems.rs"),
            include_str!("records.rs"),
            include_str!("requester.rs"),
            include_str!("statistics.rs"),
        ];
        let mut missing = Vec::new();
        for source in sources {
            for marker in [".t(\"", ".tf(\""] {
                for part in source.split(marker).skip(1) {
                    let key = part.split('"').next().unwrap_or_default();
                    if !key.contains('{') && !Lang::from_code("de").has(key) {
                        missing.push(key.to_owned());
                    }
                }
            }
            for part in source.split(".tn(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                for form in ["one", "other"] {
                    let full = format!("{key}_{form}");
                    if !Lang::from_code("de").has(&full) {
                        missing.push(full);
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys not in de.toml: {missing:?}");
    }

    #[test]
    fn dispatch_reasons_are_translated_with_their_varying_parts() {
        assert_eq!(
            reason_in_german(
                "4.0 h assigned in 30 days; fair share 7.3 h (12 % of 61.0 h offered by all candidates): 3.3 h short"
            )
            .as_deref(),
            Some(
                "In den letzten 30 Tagen 4,0 h übernommen, fairer Anteil 7,3 h – 3,3 h unter dem Anteil"
            )
        );
        assert_eq!(
            reason_in_german("38.9 km from home").as_deref(),
            Some("38,9 km von zu Hause")
        );
        assert_eq!(
            reason_in_german("score 2.339").as_deref(),
            Some("Wertung 2,339")
        );
        assert_eq!(
            reason_in_german("qualification trained (needed lay)").as_deref(),
            Some("Qualifikation geschult (verlangt: Laiensprachmittlung)")
        );
        assert_eq!(reason_in_german("something new"), None);
    }

    #[test]
    fn decimals_are_written_as_the_language_writes_them() {
        assert_eq!(Lang::from_code("de").decimal(38.94, 1), "38,9");
        assert_eq!(Lang::from_code("en").decimal(38.94, 1), "38.9");
        assert_eq!(Lang::from_code("de").decimal(25.0, 0), "25");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_codes_fall_back_to_german() {
        let en = Lang::from_code("EN");
        assert_eq!(en.code(), "en");
        assert_eq!(Lang::from_code("fr").code(), "de");
        assert_eq!(en.other().code(), "de");
        assert!(en.tf("booking.minutes", &[("n", "45")]).contains("45"));
        assert_eq!(en.tn("queue.open_offers", 1, &[]), "1 open offer");
        assert_eq!(en.tn("queue.open_offers", 3, &[]), "3 open offers");
        assert_eq!(en.language("apc"), en.t("languages.apc"));
        assert_eq!(en.language("xx"), "xx");
        assert!(en.language_codes().len() > 30);
    }
}
