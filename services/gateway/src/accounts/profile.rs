//! A person's own account: name and language for everyone; a mediator also their
//! phone, travel radius, whether offers come by mail, whether they take work on
//! the same day, and their languages. A
//! mediator may drop a language or add one (as `lay`); a qualification is the pool's
//! to certify, so one already recorded stays as the pool set it.

use crate::auth::{AuthUser, Me};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem, check_locale, checked_name};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use mittler_contracts::availability::{
    GetProfile, LanguageSkill, MediatorProfile, MediatorRef, PutProfile,
};
use mittler_contracts::text;
use mittler_types::{LanguageTag, Qualification};
use serde::Deserialize;

/// What a person changes of their own account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnAccount {
    pub name: String,
    /// `de` or `en`: the pages' and the mails' language.
    pub locale: String,
    /// Mediators only.
    #[serde(default)]
    pub mediator: Option<OwnMediatorProfile>,
}

/// What a mediator changes of their own profile.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnMediatorProfile {
    pub phone: Option<String>,
    /// The languages spoken (codes); the qualifications stay the pool's.
    #[schema(value_type = Vec<String>, example = json!(["uk", "ru"]))]
    pub languages: Vec<LanguageTag>,
    pub max_travel_km: f64,
    pub notify_by_email: bool,
    /// Takes work on the day it is booked (calls right now among it); left out: as it is.
    #[serde(default)]
    pub accepts_same_day: Option<bool>,
}

/// Change my name and language (and, as a mediator, my profile).
#[utoipa::path(
    put, path = "/api/v1/me", tag = "auth",
    request_body = OwnAccount,
    responses(
        (status = 200, body = Me),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_me(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<OwnAccount>,
) -> Result<Json<Me>, ApiError> {
    let OwnAccount {
        name,
        locale,
        mediator,
    } = body.value;
    let mut errors = Vec::new();
    let name = checked_name(&name, &mut errors);
    check_locale(&locale, &mut errors);
    let profile = match (user.user.mediator_id, mediator) {
        (Some(mediator_id), Some(edit)) => {
            let stored = state
                .call::<GetProfile>(&MediatorRef { mediator_id })
                .await?;
            Some(own_profile(stored, &name, edit, &mut errors))
        }
        (None, Some(_)) => {
            errors.push(FieldError::new(
                "mediator",
                text!("auth.no_mediator_profile"),
            ));
            None
        }
        (_, None) => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(profile) = &profile {
        state.call::<PutProfile>(profile).await?;
    }
    sqlx::query!(
        "UPDATE directory.users SET name = $2, locale = $3 WHERE id = $1",
        user.id().as_uuid(),
        name,
        locale,
    )
    .execute(state.pool())
    .await?;
    let mut me = Me::from(&user.user);
    me.name = name;
    me.locale = locale;
    me.languages = profile.map(|p| p.languages);
    Ok(Json(me))
}

/// The stored profile with the mediator's own changes (pure).
pub fn own_profile(
    mut stored: MediatorProfile,
    name: &str,
    edit: OwnMediatorProfile,
    errors: &mut Vec<FieldError>,
) -> MediatorProfile {
    stored.display_name = name.to_owned();
    stored.phone = edit
        .phone
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if stored
        .phone
        .as_ref()
        .is_some_and(|p| p.chars().count() > 40)
    {
        errors.push(FieldError::new(
            "mediator.phone",
            text!("field.length", max = 40),
        ));
    }
    stored.languages = edit
        .languages
        .into_iter()
        .map(|code| {
            let qualification = stored
                .languages
                .iter()
                .find(|l| l.code == code)
                .map_or(Qualification::Lay, |l| l.qualification);
            LanguageSkill {
                code,
                qualification,
            }
        })
        .collect();
    stored.max_travel_km = edit.max_travel_km;
    stored.notify_by_email = edit.notify_by_email;
    if let Some(same_day) = edit.accepts_same_day {
        stored.accepts_same_day = same_day;
    }
    for (field, text) in stored.problems() {
        let field = match field.split(['.', '[']).next().unwrap_or_default() {
            "display_name" => "name".to_owned(),
            other => format!("mediator.{other}"),
        };
        errors.push(FieldError::new(field, text));
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_contracts::availability::{GeoPoint, ProfileInput};
    use mittler_types::{Gender, MediatorId, TimeZone};

    fn stored() -> MediatorProfile {
        ProfileInput {
            display_name: "Olena".into(),
            email: "olena@example.org".into(),
            phone: None,
            gender: Gender::Female,
            languages: vec![LanguageSkill {
                code: LanguageTag::parse("uk").expect("tag"),
                qualification: Qualification::Certified,
            }],
            modalities: vec![],
            subject_areas: vec![],
            home: Some(GeoPoint {
                lat: 51.0,
                lon: 13.0,
            }),
            postal_code: "01067".into(),
            max_travel_km: 40.0,
            max_minutes_per_week: 600,
            accepts_same_day: false,
            time_zone: TimeZone::BERLIN,
            notify_by_email: true,
            active: true,
            pools: None,
        }
        .into_profile(MediatorId::new(), vec![])
    }

    #[test]
    fn a_mediator_keeps_the_pools_qualifications_and_adds_languages_as_lay() {
        let mut errors = Vec::new();
        let edit = OwnMediatorProfile {
            phone: Some(" 0341 1234 ".into()),
            languages: vec![
                LanguageTag::parse("ru").expect("tag"),
                LanguageTag::parse("uk").expect("tag"),
            ],
            max_travel_km: 25.0,
            notify_by_email: false,
            accepts_same_day: Some(true),
        };
        let before = stored();
        assert!(!before.accepts_same_day);
        let profile = own_profile(before, "Olena Kovalenko", edit, &mut errors);
        assert!(profile.accepts_same_day, "the mediator sets same-day work");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profile.display_name, "Olena Kovalenko");
        assert_eq!(profile.phone.as_deref(), Some("0341 1234"));
        assert_eq!(profile.languages[0].qualification, Qualification::Lay);
        assert_eq!(profile.languages[1].qualification, Qualification::Certified);
        assert!(!profile.notify_by_email);
        // Left out, it stays as it was.
        let keep = OwnMediatorProfile {
            phone: None,
            languages: vec![LanguageTag::parse("uk").expect("tag")],
            max_travel_km: 25.0,
            notify_by_email: true,
            accepts_same_day: None,
        };
        assert!(own_profile(profile, "Olena", keep, &mut errors).accepts_same_day);
    }

    #[test]
    fn a_travel_radius_out_of_range_is_named() {
        let mut errors = Vec::new();
        let edit = OwnMediatorProfile {
            phone: None,
            languages: vec![],
            max_travel_km: -1.0,
            notify_by_email: true,
            accepts_same_day: None,
        };
        own_profile(stored(), "Olena", edit, &mut errors);
        assert_eq!(errors[0].field, "mediator.max_travel_km");
    }
}
