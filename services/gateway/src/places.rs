//! Places as people give them: an address and a postal code, the position derived
//! from the postal code (GeoNames' German postal codes, shipped with Mittler) unless
//! the caller gives one. Nobody types coordinates, and no position is kept that the
//! person did not see: a changed address is located anew.

use crate::auth::AuthUser;
use crate::problem::{ApiError, FieldError, Problem};
use axum::Json;
use axum::extract::{Path, Query};
use mittler_contracts::availability::{GeoPoint, ProfileInput};
use mittler_contracts::booking::Location;
use mittler_contracts::text;
use mittler_contracts::text::Text;
use serde::{Deserialize, Serialize};

/// A place as a person gives it: the position is derived from the postal code (and
/// a place named in the address) when left out.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceBody {
    #[schema(example = "Mühlstraße 14, Leipzig")]
    pub address: String,
    /// Five digits.
    #[schema(example = "04317")]
    pub postal_code: String,
    /// Give both or neither: left out, the middle of the postal code's area or of the
    /// place of it the address names.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl PlaceBody {
    /// The place with the position of `known` when it names the same address and
    /// postal code and no position is given: an unchanged place keeps the position
    /// it had (the organisation's site, the booking's place); a changed one is
    /// located anew.
    pub fn or_known(mut self, known: Option<&Location>) -> PlaceBody {
        if let Some(known) = known
            && self.latitude.is_none()
            && self.longitude.is_none()
            && self.address.trim() == known.address.trim()
            && self.postal_code.trim() == known.postal_code.trim()
        {
            self.latitude = Some(known.latitude);
            self.longitude = Some(known.longitude);
        }
        self
    }

    /// The place with its position, trimmed; its problems named under `prefix`
    /// (`location.postal_code`).
    pub fn resolve(self, errors: &mut Vec<FieldError>, prefix: &str) -> Option<Location> {
        let before = errors.len();
        crate::problem::check_text(errors, &format!("{prefix}.address"), &self.address, 300);
        let postal_code = self.postal_code.trim().to_owned();
        let well_formed = well_formed(&postal_code);
        if !well_formed {
            errors.push(FieldError::new(
                format!("{prefix}.postal_code"),
                text!("appointment.postal_code"),
            ));
        }
        let address = self.address.trim().to_owned();
        let position = match (self.latitude, self.longitude) {
            (Some(latitude), Some(longitude)) => {
                if !(-90.0..=90.0).contains(&latitude) {
                    errors.push(FieldError::new(
                        format!("{prefix}.latitude"),
                        text!("field.latitude"),
                    ));
                }
                if !(-180.0..=180.0).contains(&longitude) {
                    errors.push(FieldError::new(
                        format!("{prefix}.longitude"),
                        text!("field.longitude"),
                    ));
                }
                Some((latitude, longitude))
            }
            (Some(_), None) => {
                errors.push(FieldError::new(
                    format!("{prefix}.longitude"),
                    text!("field.both_or_neither"),
                ));
                None
            }
            (None, Some(_)) => {
                errors.push(FieldError::new(
                    format!("{prefix}.latitude"),
                    text!("field.both_or_neither"),
                ));
                None
            }
            (None, None) if well_formed => match mittler_places::locate(&postal_code, &address) {
                Some(at) => Some((at.latitude, at.longitude)),
                None => {
                    errors.push(FieldError::new(
                        format!("{prefix}.postal_code"),
                        text!(
                            "appointment.postal_code_unknown",
                            code = postal_code.clone()
                        ),
                    ));
                    None
                }
            },
            (None, None) => None,
        };
        match position {
            Some((latitude, longitude)) if errors.len() == before => Some(Location {
                address,
                postal_code,
                latitude,
                longitude,
            }),
            _ => None,
        }
    }
}

/// A mediator's profile with a home: as given, or the middle of its postal code's
/// area; what is wrong with the postal code otherwise.
pub fn with_home(mut input: ProfileInput) -> Result<ProfileInput, Text> {
    if input.home.is_none() {
        let code = input.postal_code.trim();
        let at = mittler_places::locate(code, "").ok_or_else(|| {
            if well_formed(code) {
                text!("appointment.postal_code_unknown", code = code)
            } else {
                text!("appointment.postal_code")
            }
        })?;
        input.home = Some(GeoPoint {
            lat: at.latitude,
            lon: at.longitude,
        });
    }
    Ok(input)
}

/// Five digits, as every German postal code has.
fn well_formed(postal_code: &str) -> bool {
    postal_code.len() == 5 && postal_code.bytes().all(|b| b.is_ascii_digit())
}

/// What a postal code covers and where an address in it lies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaceView {
    #[schema(example = "09456")]
    pub postal_code: String,
    /// The place the position belongs to.
    #[schema(example = "Annaberg-Buchholz")]
    pub place: String,
    /// Whether the address named that place (otherwise the middle of the area).
    pub named: bool,
    pub latitude: f64,
    pub longitude: f64,
    /// Every place the postal code covers.
    pub places: Vec<String>,
    #[schema(example = "Erzgebirgskreis")]
    pub district: String,
    /// The district's official key (AGS, five digits).
    #[schema(example = "14521")]
    pub district_key: String,
    #[schema(example = "SN")]
    pub state: String,
    /// Where the data comes from.
    pub source: String,
}

impl PlaceView {
    pub fn of(postal_code: &str, address: &str) -> Option<PlaceView> {
        let area = mittler_places::area(postal_code)?;
        let at = area.locate(address);
        Some(PlaceView {
            postal_code: area.postal_code.to_owned(),
            place: at.place.to_owned(),
            named: at.named,
            latitude: at.latitude,
            longitude: at.longitude,
            places: area.localities.iter().map(|l| l.name.to_owned()).collect(),
            district: area.district.to_owned(),
            district_key: area.district_key.to_owned(),
            state: area.state.to_owned(),
            source: mittler_places::ATTRIBUTION.to_owned(),
        })
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    /// Street and place, to pick the place of the area it names.
    pub address: Option<String>,
}

/// Where a German postal code (and an address in it) lies: the position a booking,
/// an organisation's site or a mediator's home gets when none is given.
#[utoipa::path(
    get, path = "/api/v1/places/{postal_code}", tag = "directory",
    params(("postal_code" = String, Path, description = "Five digits"), PlaceQuery),
    responses(
        (status = 200, body = PlaceView),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such postal code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get(
    _user: AuthUser,
    Path(postal_code): Path<String>,
    Query(query): Query<PlaceQuery>,
) -> Result<Json<PlaceView>, ApiError> {
    PlaceView::of(&postal_code, query.address.as_deref().unwrap_or_default())
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(postal_code: &str, lat: Option<f64>, lon: Option<f64>) -> PlaceBody {
        PlaceBody {
            address: " Hauptstraße 3, Mildenau ".into(),
            postal_code: postal_code.into(),
            latitude: lat,
            longitude: lon,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_place_without_position_gets_the_one_its_address_names() {
        let mut errors = Vec::new();
        let place = body(" 09456", None, None)
            .resolve(&mut errors, "location")
            .expect("located");
        assert!(errors.is_empty());
        assert_eq!(place.address, "Hauptstraße 3, Mildenau");
        assert_eq!(place.postal_code, "09456");
        assert!((place.longitude - 13.0726).abs() < 1e-9);
    }

    #[test]
    fn a_given_position_is_kept_even_for_a_code_the_table_lacks() {
        let mut errors = Vec::new();
        let place = body("99999", Some(51.0), Some(12.0))
            .resolve(&mut errors, "location")
            .expect("kept");
        assert_eq!((place.latitude, place.longitude), (51.0, 12.0));
    }

    #[test]
    fn an_unchanged_place_keeps_its_position_and_a_changed_one_is_located_anew() {
        let site = Location {
            address: "Hauptstraße 3, Mildenau".into(),
            postal_code: "09456".into(),
            latitude: 50.58,
            longitude: 13.07,
        };
        let same = body("09456", None, None).or_known(Some(&site));
        assert_eq!((same.latitude, same.longitude), (Some(50.58), Some(13.07)));
        let mut moved = body("09456", None, None);
        moved.address = "Markt 1, Annaberg-Buchholz".into();
        let moved = moved.or_known(Some(&site));
        assert_eq!((moved.latitude, moved.longitude), (None, None));
        let given = body("09456", Some(51.0), Some(12.0)).or_known(Some(&site));
        assert_eq!((given.latitude, given.longitude), (Some(51.0), Some(12.0)));
    }

    #[test]
    fn each_problem_is_named() {
        let mut errors = Vec::new();
        assert!(
            body("00000", None, None)
                .resolve(&mut errors, "place")
                .is_none()
        );
        assert_eq!(fields(&errors), ["place.postal_code"]);
        let mut errors = Vec::new();
        assert!(
            body("0945", Some(91.0), None)
                .resolve(&mut errors, "location")
                .is_none()
        );
        assert_eq!(
            fields(&errors),
            ["location.postal_code", "location.longitude"]
        );
        let mut errors = Vec::new();
        assert!(
            body("09456", Some(91.0), Some(200.0))
                .resolve(&mut errors, "l")
                .is_none()
        );
        assert_eq!(fields(&errors), ["l.latitude", "l.longitude"]);
    }
}
