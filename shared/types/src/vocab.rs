//! The closed vocabularies of DESIGN.md ("Domain words"), spelled as on the wire.

use serde::{Deserialize, Serialize};

/// How a session takes place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    OnSite,
    Video,
    Phone,
}

/// Whether a booking is for a future appointment or for right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Scheduled,
    OnDemand,
}

/// A mediator's qualification; the order is `Lay < Trained < Certified`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    Lay,
    Trained,
    Certified,
}

/// The lifecycle state of a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum BookingState {
    Requested,
    Offering,
    Assigned,
    InSession,
    Completed,
    Cancelled,
    Unfilled,
}

/// A user's role in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum Role {
    Requester,
    Mediator,
    Coordinator,
    Admin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualification_orders_certified_highest() {
        assert!(Qualification::Certified > Qualification::Trained);
        assert!(Qualification::Trained > Qualification::Lay);
    }
}

/// What a booking is about; decides e.g. which mediators are suitable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectArea {
    Health,
    Psychosocial,
    ResidenceAsylum,
    YouthWelfare,
    School,
    Employment,
    SocialBenefits,
    Housing,
    Justice,
    Other,
}

/// Whom the requester wants (e.g. a female mediator for a gynaecology appointment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GenderPreference {
    #[default]
    Any,
    Female,
    Male,
}

/// A mediator's gender, as the mediator states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    Diverse,
}

/// What an organisation is: an authority, a non-profit carrier, or the mediation
/// pool whose coordinators serve the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Authority,
    Carrier,
    Pool,
}

/// How a job ended, as its time record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum Outcome {
    /// The work was done.
    Done,
    /// The mediator came (or dialled in) but the client did not.
    ClientNoShow,
    /// The mediator did not come.
    MediatorNoShow,
}

/// Where a time record stands: `open` (nothing claimed yet), `claimed`,
/// `confirmed` (final) or `disputed` (a coordinator settles it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum RecordState {
    Open,
    Claimed,
    Confirmed,
    Disputed,
}

/// Who set a time record's figures: the video room's measurement, the mediator's
/// claim, or a coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum RecordSource {
    Session,
    Mediator,
    Coordinator,
}

/// How a time record became final: the requester confirmed it, a coordinator set
/// it, or nobody disputed it in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ConfirmedBy {
    Requester,
    Coordinator,
    Rule,
}

macro_rules! text_forms {
    ($($ty:ty { $($variant:ident => $text:literal),* $(,)? })*) => {$(
        impl $ty {
            /// The wire and database spelling.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)*
                    other => Err(UnknownValue(other.chars().take(40).collect())),
                }
            }
        }
    )*};
}

/// A word that is not one of the vocabulary's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not one of the allowed values")]
pub struct UnknownValue(pub String);

text_forms! {
    Modality { OnSite => "on_site", Video => "video", Phone => "phone" }
    BookingKind { Scheduled => "scheduled", OnDemand => "on_demand" }
    Qualification { Lay => "lay", Trained => "trained", Certified => "certified" }
    BookingState {
        Requested => "requested", Offering => "offering", Assigned => "assigned",
        InSession => "in_session", Completed => "completed", Cancelled => "cancelled",
        Unfilled => "unfilled",
    }
    Role { Requester => "requester", Mediator => "mediator", Coordinator => "coordinator", Admin => "admin" }
    SubjectArea {
        Health => "health", Psychosocial => "psychosocial", ResidenceAsylum => "residence_asylum",
        YouthWelfare => "youth_welfare", School => "school", Employment => "employment",
        SocialBenefits => "social_benefits", Housing => "housing", Justice => "justice", Other => "other",
    }
    GenderPreference { Any => "any", Female => "female", Male => "male" }
    Gender { Female => "female", Male => "male", Diverse => "diverse" }
    OrganisationKind { Authority => "authority", Carrier => "carrier", Pool => "pool" }
    Outcome { Done => "done", ClientNoShow => "client_no_show", MediatorNoShow => "mediator_no_show" }
    RecordState { Open => "open", Claimed => "claimed", Confirmed => "confirmed", Disputed => "disputed" }
    RecordSource { Session => "session", Mediator => "mediator", Coordinator => "coordinator" }
    ConfirmedBy { Requester => "requester", Coordinator => "coordinator", Rule => "rule" }
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn text_forms_match_serde() {
        for state in [BookingState::InSession, BookingState::Unfilled] {
            let json = serde_json::to_string(&state).expect("json");
            assert_eq!(json.trim_matches('"'), state.as_str());
            assert_eq!(state.as_str().parse::<BookingState>(), Ok(state));
        }
        assert_eq!("residence_asylum".parse(), Ok(SubjectArea::ResidenceAsylum));
        assert!("bogus".parse::<Modality>().is_err());
    }
}
