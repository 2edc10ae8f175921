//! Texts for people, by key. A service or the gateway names what it means
//! (`text!("offer.not_open")`, with the parts that vary as arguments); the wording
//! lives in `texts/en.toml` and `texts/de.toml`. Answers carry the key and the
//! arguments beside the English, so that a German page renders its own text
//! instead of translating an English sentence.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

/// The languages of the catalogue; English is the fallback.
pub const LANGUAGES: [&str; 2] = ["en", "de"];

const FILES: [(&str, &str); 2] = [
    ("en", include_str!("../texts/en.toml")),
    ("de", include_str!("../texts/de.toml")),
];

type Catalogue = HashMap<String, String>;

static CATALOGUES: LazyLock<HashMap<&'static str, Catalogue>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(lang, source)| {
            let table: toml::Table = source
                .parse()
                .unwrap_or_else(|e| panic!("texts/{lang}.toml does not parse: {e}"));
            let mut catalogue = Catalogue::new();
            for (section, entries) in table {
                let Some(entries) = entries.as_table() else {
                    continue;
                };
                for (key, text) in entries {
                    if let Some(text) = text.as_str() {
                        catalogue.insert(format!("{section}.{key}"), text.to_owned());
                    }
                }
            }
            (*lang, catalogue)
        })
        .collect()
});

/// A text by key, with the values of its placeholders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Text {
    /// E.g. `offer.not_open`; stable.
    pub key: String,
    /// The values of the text's `{placeholders}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

/// `text!("field.too_long", max = 200)`: a [`Text`] with its arguments.
#[macro_export]
macro_rules! text {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::text::Text::new($key)$(.arg(stringify!($name), $value))*
    };
}

impl Text {
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            args: BTreeMap::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.insert(name.to_owned(), value.to_string());
        self
    }

    /// Whether the catalogue has `key`.
    pub fn exists(key: &str) -> bool {
        CATALOGUES
            .get("en")
            .is_some_and(|catalogue| catalogue.contains_key(key))
    }

    /// The text in `language` (English where the catalogue lacks it; the key itself
    /// where neither has it), with its placeholders filled.
    pub fn render(&self, language: &str) -> String {
        let template = CATALOGUES
            .get(language)
            .and_then(|c| c.get(&self.key))
            .or_else(|| CATALOGUES.get("en").and_then(|c| c.get(&self.key)));
        let Some(template) = template else {
            return self.key.clone();
        };
        let mut out = template.clone();
        for (name, value) in &self.args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    pub fn english(&self) -> String {
        self.render("en")
    }

    /// The text of `section` whose English wording is exactly `english`: events
    /// that carry a sentence rather than a key (a reason), read in another language.
    pub fn from_english(section: &str, english: &str) -> Option<Text> {
        let prefix = format!("{section}.");
        CATALOGUES
            .get("en")?
            .iter()
            .find(|(key, template)| key.starts_with(&prefix) && template.as_str() == english)
            .map(|(key, _)| Text::new(key.clone()))
    }

    /// `sentence` in `language`, if it is one of `section`'s English texts; else as it is.
    pub fn say(section: &str, sentence: &str, language: &str) -> String {
        Self::from_english(section, sentence)
            .map(|text| text.render(language))
            .unwrap_or_else(|| sentence.to_owned())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// The errors of the shared vocabularies, as texts.
impl From<&mittler_types::Keyed> for Text {
    fn from(keyed: &mittler_types::Keyed) -> Self {
        let mut text = Text::new(keyed.key);
        for (name, value) in &keyed.args {
            text = text.arg(name, value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    #[test]
    fn every_language_has_every_key_with_the_same_placeholders() {
        let en = &CATALOGUES["en"];
        for lang in LANGUAGES {
            let other = &CATALOGUES[lang];
            for (key, text) in en {
                let translated = other
                    .get(key)
                    .unwrap_or_else(|| panic!("{key} is missing in texts/{lang}.toml"));
                assert_eq!(
                    placeholders(text),
                    placeholders(translated),
                    "{key} in texts/{lang}.toml"
                );
            }
            assert_eq!(other.len(), en.len(), "texts/{lang}.toml has keys en lacks");
        }
    }

    #[test]
    fn texts_render_with_their_arguments_and_fall_back_to_english() {
        let text = crate::text!("field.too_long", max = 200);
        assert_eq!(text.render("en"), "at most 200 characters");
        assert_eq!(text.render("de"), "Höchstens 200 Zeichen.");
        assert_eq!(text.render("fr"), "at most 200 characters");
        assert_eq!(Text::new("no.such.key").render("de"), "no.such.key");
        assert_eq!(
            serde_json::to_string(&text).expect("json"),
            r#"{"key":"field.too_long","args":{"max":"200"}}"#
        );
    }

    /// Every key the code names (`text!("…")`) is in the catalogue.
    #[test]
    fn every_key_in_the_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut missing = Vec::new();
        let mut stack = vec![root.join("services"), root.join("shared")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if !path.ends_with("target") && !path.ends_with("node_modules") {
                        stack.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).expect("source");
                    for part in source.split("text!(\"").skip(1) {
                        let key = part.split('"').next().unwrap_or_default();
                        if key != "…" && !Text::exists(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing in texts/en.toml: {missing:#?}"
        );
    }
}
