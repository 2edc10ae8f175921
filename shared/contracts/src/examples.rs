//! Example messages for tests and benchmarks (feature `examples`).

use crate::booking::{BookingDetails, BookingRequested, ClientInfo, Location};
use chrono::{Duration, Utc};
use mittler_types::{
    BookingId, BookingKind, BookingMinutes, GenderPreference, LanguageTag, Modality,
    OrganisationId, Qualification, SubjectArea, TimeZone, UserId,
};

/// A video booking in Ukrainian, two days from now, 60 minutes.
pub fn booking_details() -> BookingDetails {
    let start = Utc::now() + Duration::days(2);
    BookingDetails {
        language: LanguageTag::parse("uk").expect("valid tag"),
        modality: Modality::Video,
        kind: BookingKind::Scheduled,
        start,
        end: start + Duration::minutes(60),
        time_zone: TimeZone::BERLIN,
        duration_minutes: BookingMinutes::new(60).expect("valid minutes"),
        location: None,
        subject_area: SubjectArea::SocialBenefits,
        min_qualification: Qualification::Trained,
        mediator_gender: GenderPreference::Any,
        client: Some(ClientInfo {
            reference: "JC-2026-0042".into(),
            email: None,
            language: None,
        }),
        notes: None,
    }
}

/// An on-site location in Chemnitz.
pub fn location() -> Location {
    Location {
        address: "Heinrich-Lorenz-Straße 35, Chemnitz".into(),
        postal_code: "09120".into(),
        latitude: 50.8146,
        longitude: 12.9310,
    }
}

/// `booking.booking.requested` for a new booking of a new organisation.
pub fn booking_requested(booking_id: BookingId) -> BookingRequested {
    BookingRequested {
        booking_id,
        organisation_id: OrganisationId::new(),
        requested_by: UserId::new(),
        details: booking_details(),
    }
}
