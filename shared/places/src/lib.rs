//! German postal codes: the places each one covers, its district and a position to
//! measure travel from, so that nobody has to type coordinates.
//!
//! The table is GeoNames' postal code dump for Germany (CC BY 4.0, see
//! `data/LICENSE.md`), compiled into the binary and read once on first use. A postal
//! code covers one or more places ("Dresden", "Dresden Friedrichstadt", or the
//! villages of a rural code); [`Area::locate`] picks the place an address names and
//! otherwise takes the middle of all of them.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The table, one place per line: postal code, place, state code, district,
/// district key, latitude, longitude.
const TABLE: &str = include_str!("../data/DE.tsv");

/// Who made the data and under which licence, for a hint beside a derived place.
pub const ATTRIBUTION: &str = "GeoNames (CC BY 4.0)";

/// One place within a postal code's area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Locality {
    pub name: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

/// What a postal code covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    pub postal_code: &'static str,
    /// The places in the order GeoNames gives them (the town itself first).
    pub localities: Vec<Locality>,
    /// The district (Landkreis or kreisfreie Stadt), e.g. "Erzgebirgskreis".
    pub district: &'static str,
    /// The district's official key (Amtlicher Gemeindeschlüssel, first five digits).
    pub district_key: &'static str,
    /// The state's two-letter code, e.g. "SN".
    pub state: &'static str,
}

/// Where an address lies, as far as its postal code tells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Located {
    /// The place the position belongs to.
    pub place: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// Whether the address named the place (otherwise the middle of the area).
    pub named: bool,
}

static AREAS: LazyLock<HashMap<&'static str, Area>> = LazyLock::new(|| {
    let mut areas: HashMap<&'static str, Area> = HashMap::with_capacity(8_400);
    for line in TABLE.lines() {
        let mut f = line.split('\t');
        let (Some(code), Some(name), Some(state), Some(district), Some(key), Some(lat), Some(lon)) = (
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
        ) else {
            continue;
        };
        let (Ok(latitude), Ok(longitude)) = (lat.parse(), lon.parse()) else {
            continue;
        };
        areas
            .entry(code)
            .or_insert_with(|| Area {
                postal_code: code,
                localities: Vec::new(),
                district,
                district_key: key,
                state,
            })
            .localities
            .push(Locality {
                name,
                latitude,
                longitude,
            });
    }
    areas
});

/// The area of a German postal code, if the code exists.
pub fn area(postal_code: &str) -> Option<&'static Area> {
    AREAS.get(postal_code.trim())
}

/// Where `address` in `postal_code` lies; `None` for a code that does not exist.
pub fn locate(postal_code: &str, address: &str) -> Option<Located> {
    area(postal_code).map(|a| a.locate(address))
}

impl Area {
    /// The place the address names (the longest name found in it, so that
    /// "Friedrichstadt" wins over "Dresden"), or else the middle of the area under
    /// the name of its first place.
    pub fn locate(&self, address: &str) -> Located {
        let address = fold(address);
        let named = self
            .localities
            .iter()
            .filter_map(|l| {
                let words = distinctive(l.name, self.localities[0].name);
                let found = fold(words);
                (!found.is_empty() && contains_word(&address, &found)).then_some((found.len(), l))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, l)| l);
        match named {
            Some(l) => Located {
                place: l.name,
                latitude: l.latitude,
                longitude: l.longitude,
                named: true,
            },
            None => {
                let n = self.localities.len() as f64;
                let (lat, lon) = self
                    .localities
                    .iter()
                    .fold((0.0, 0.0), |(a, b), l| (a + l.latitude, b + l.longitude));
                Located {
                    place: self.localities[0].name,
                    latitude: round4(lat / n),
                    longitude: round4(lon / n),
                    named: false,
                }
            }
        }
    }
}

/// A quarter's own name without the town in front ("Dresden Friedrichstadt" →
/// "Friedrichstadt"); the town itself stays whole.
fn distinctive<'a>(name: &'a str, town: &str) -> &'a str {
    match name.strip_prefix(town) {
        Some(rest) if !rest.trim().is_empty() => rest.trim_start_matches([' ', '-', ',']).trim(),
        _ => name,
    }
}

/// Lower case, with ß and umlauts spelled out, so that "Muehlstrasse" and
/// "Mühlstraße" meet.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `needle` stands in `haystack` as whole words.
fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
    })
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_german_postal_code_is_there_once() {
        assert!(AREAS.len() > 8_000, "{}", AREAS.len());
        for (code, area) in AREAS.iter() {
            assert_eq!(code.len(), 5, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert!(!area.localities.is_empty());
            for l in &area.localities {
                assert!((47.0..55.5).contains(&l.latitude), "{code} {l:?}");
                assert!((5.5..15.5).contains(&l.longitude), "{code} {l:?}");
            }
        }
    }

    #[test]
    fn a_city_code_gives_its_district() {
        let leipzig = area("04317").expect("Leipzig");
        assert_eq!(leipzig.district, "Kreisfreie Stadt Leipzig");
        assert_eq!(leipzig.district_key, "14713");
        assert_eq!(leipzig.state, "SN");
        let at = leipzig.locate("Mühlstraße 14");
        assert_eq!(at.place, "Leipzig");
        assert!(!at.named);
        assert!((at.latitude - 51.3329).abs() < 1e-9);
    }

    #[test]
    fn an_address_that_names_a_place_of_the_area_gets_that_place() {
        let annaberg = area("09456").expect("Annaberg");
        assert_eq!(annaberg.district, "Erzgebirgskreis");
        let village = annaberg.locate("Hauptstraße 3, Mildenau");
        assert_eq!(village.place, "Mildenau");
        assert!(village.named);
        assert!((village.longitude - 13.0726).abs() < 1e-9);
        let town = annaberg.locate("Paulus-Jenisius-Straße 24, Annaberg-Buchholz");
        assert_eq!(town.place, "Annaberg-Buchholz");
        // Nothing named: the middle of both places.
        let middle = annaberg.locate("Markt 1");
        assert!(!middle.named);
        assert!((middle.longitude - 13.0395).abs() < 1e-3, "{middle:?}");
    }

    #[test]
    fn a_quarter_wins_over_its_town_and_spelling_does_not_matter() {
        let friedrichstadt =
            locate("01067", "Weißeritzstrasse 3, Dresden-Friedrichstadt").expect("Dresden");
        assert_eq!(friedrichstadt.place, "Dresden Friedrichstadt");
        let plain = locate("01067", "Schloßstraße 1, Dresden").expect("Dresden");
        assert_eq!(plain.place, "Dresden");
        assert!(plain.named);
        // Part of a word is no place.
        assert!(!contains_word(&fold("Altstadtring 2"), "altstadt"));
    }

    #[test]
    fn an_unknown_code_is_none() {
        assert!(area("00000").is_none());
        assert!(area("1234").is_none());
        assert!(locate(" 04317 ", "").is_some());
    }

    proptest! {
        #[test]
        fn any_address_lands_inside_the_area(code in prop::sample::select(
            AREAS.keys().copied().collect::<Vec<_>>()), address in ".{0,60}") {
            let area = area(code).expect("listed");
            let at = area.locate(&address);
            let (lo_lat, hi_lat) = bounds(area.localities.iter().map(|l| l.latitude));
            let (lo_lon, hi_lon) = bounds(area.localities.iter().map(|l| l.longitude));
            prop_assert!(at.latitude >= lo_lat - 1e-4 && at.latitude <= hi_lat + 1e-4);
            prop_assert!(at.longitude >= lo_lon - 1e-4 && at.longitude <= hi_lon + 1e-4);
        }
    }

    fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
        values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }
}
