//! Mediator profiles: who a mediator is, what they can take, the pools they serve,
//! and the rules a profile's values follow.

use super::GeoPoint;
use super::LanguageSkill;
use mittler_types::{Gender, MediatorId, Modality, OrganisationId, SubjectArea, TimeZone};
use serde::{Deserialize, Serialize};

/// A mediator's place in a pool: only an active member is offered the pool's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PoolMembership {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub pool_id: OrganisationId,
    #[serde(default = "yes")]
    pub active: bool,
}

/// What the system knows about a mediator to match work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediatorProfile {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: MediatorId,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub gender: Gender,
    pub languages: Vec<LanguageSkill>,
    pub modalities: Vec<Modality>,
    pub subject_areas: Vec<SubjectArea>,
    pub home: GeoPoint,
    pub postal_code: String,
    /// Farthest on-site job, great-circle km from home.
    pub max_travel_km: f64,
    /// Cap on assigned minutes per ISO week (in the mediator's zone).
    pub max_minutes_per_week: i64,
    /// Whether work starting today may be offered (otherwise from tomorrow on).
    pub accepts_same_day: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Europe/Berlin"))]
    pub time_zone: TimeZone,
    /// How the mediator wants to hear of offers: e-mail besides the in-app feed.
    pub notify_by_email: bool,
    /// Whether the mediator takes work at all (their account is open).
    pub active: bool,
    /// The pools the mediator serves, each with its own active flag.
    #[serde(default)]
    pub pools: Vec<PoolMembership>,
}

/// A profile as a coordinator writes it (the id comes from the path or is new).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub gender: Gender,
    pub languages: Vec<LanguageSkill>,
    pub modalities: Vec<Modality>,
    #[serde(default)]
    pub subject_areas: Vec<SubjectArea>,
    /// Where on-site distances are measured from. Left out: the middle of the postal
    /// code's area.
    #[serde(default)]
    pub home: Option<GeoPoint>,
    pub postal_code: String,
    pub max_travel_km: f64,
    pub max_minutes_per_week: i64,
    #[serde(default)]
    pub accepts_same_day: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "Europe/Berlin"))]
    pub time_zone: TimeZone,
    #[serde(default = "yes")]
    pub notify_by_email: bool,
    /// For a coordinator: active in their own pool (a mediator active in no pool
    /// takes no work at all). For an admin: whether the mediator takes work at all.
    #[serde(default = "yes")]
    pub active: bool,
    /// The pools served (admins; a coordinator's own pool is always kept, others
    /// stay as they are). Left out: unchanged, or the coordinator's pool for a new
    /// mediator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<Vec<PoolMembership>>,
}

fn yes() -> bool {
    true
}

impl MediatorProfile {
    /// The profile as a coordinator would write it back (for small changes).
    pub fn input(&self) -> ProfileInput {
        ProfileInput {
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            gender: self.gender,
            languages: self.languages.clone(),
            modalities: self.modalities.clone(),
            subject_areas: self.subject_areas.clone(),
            home: Some(self.home),
            postal_code: self.postal_code.clone(),
            max_travel_km: self.max_travel_km,
            max_minutes_per_week: self.max_minutes_per_week,
            accepts_same_day: self.accepts_same_day,
            time_zone: self.time_zone,
            notify_by_email: self.notify_by_email,
            active: self.active,
            pools: Some(self.pools.clone()),
        }
    }

    /// What the profile's values may not be (the wire format checked the shapes),
    /// each with its field: one set of rules for availability, which stores
    /// profiles, and for the gateway, which checks an import before anything is
    /// written.
    pub fn problems(&self) -> Vec<(String, crate::text::Text)> {
        use crate::text;
        let mut problems = Vec::new();
        if self.display_name.trim().is_empty() || self.display_name.chars().count() > 200 {
            problems.push(("display_name".into(), text!("field.length", max = 200)));
        }
        if !self.email.contains('@') || self.email.len() > 254 {
            problems.push(("email".into(), text!("field.email")));
        }
        let mut codes = std::collections::HashSet::new();
        for (i, skill) in self.languages.iter().enumerate() {
            if !codes.insert(&skill.code) {
                problems.push((format!("languages[{i}].code"), text!("field.twice")));
            }
        }
        if !(self.home.lat.is_finite() && self.home.lon.is_finite()) {
            problems.push(("postal_code".into(), text!("field.position")));
        } else if !(-90.0..=90.0).contains(&self.home.lat) {
            problems.push(("home.lat".into(), text!("field.latitude")));
        }
        if !(-180.0..=180.0).contains(&self.home.lon) {
            problems.push(("home.lon".into(), text!("field.longitude")));
        }
        if !(0.0..=1000.0).contains(&self.max_travel_km) {
            problems.push((
                "max_travel_km".into(),
                text!("field.from_to", min = 0, max = 1000),
            ));
        }
        if !(0..=7 * 24 * 60).contains(&self.max_minutes_per_week) {
            problems.push((
                "max_minutes_per_week".into(),
                text!("field.from_to", min = 0, max = 10080),
            ));
        }
        problems
    }

    /// Whether the mediator is an active member of `pool` and takes work at all.
    pub fn serves(&self, pool: OrganisationId) -> bool {
        self.active && self.pools.iter().any(|m| m.pool_id == pool && m.active)
    }

    /// Whether `pool` knows the mediator (an active or a paused member).
    pub fn member_of(&self, pool: OrganisationId) -> bool {
        self.pools.iter().any(|m| m.pool_id == pool)
    }
}

impl ProfileInput {
    /// The profile with these memberships (the input's own `pools` are not read). A
    /// home left out is no position at all, which [`MediatorProfile::problems`]
    /// names: the gateway derives it from the postal code first.
    pub fn into_profile(self, id: MediatorId, pools: Vec<PoolMembership>) -> MediatorProfile {
        MediatorProfile {
            id,
            display_name: self.display_name,
            email: self.email,
            phone: self.phone,
            gender: self.gender,
            languages: self.languages,
            modalities: self.modalities,
            subject_areas: self.subject_areas,
            home: self.home.unwrap_or(GeoPoint {
                lat: f64::NAN,
                lon: f64::NAN,
            }),
            postal_code: self.postal_code,
            max_travel_km: self.max_travel_km,
            max_minutes_per_week: self.max_minutes_per_week,
            accepts_same_day: self.accepts_same_day,
            time_zone: self.time_zone,
            notify_by_email: self.notify_by_email,
            active: self.active,
            pools,
        }
    }
}
