//! The report for funders (`booking.rpc.report`): how many bookings, how many filled
//! and how fast, by month and by one breakdown. The booking service answers exact
//! figures; the gateway hides small counts before anyone sees them.

use super::Scope;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{OrganisationId, TimeZone};
use serde::{Deserialize, Serialize};

/// `booking.rpc.report`: the figures of bookings that start in `[from, to)`.
#[derive(Debug)]
pub struct Report;

/// What a report's rows are: one per value of this, within each month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportBy {
    /// The booking's language tag.
    #[default]
    Language,
    /// The district of the booking organisation's own site.
    Region,
    /// The booking's subject area.
    SubjectArea,
    /// On site, video or phone.
    Modality,
    /// Authority or carrier: the kind of the booking organisation.
    OrganisationKind,
}

impl ReportBy {
    pub const ALL: [ReportBy; 5] = [
        ReportBy::Language,
        ReportBy::Region,
        ReportBy::SubjectArea,
        ReportBy::Modality,
        ReportBy::OrganisationKind,
    ];

    /// The wire name (`language`, `subject_area`, …).
    pub fn code(self) -> &'static str {
        match self {
            ReportBy::Language => "language",
            ReportBy::Region => "region",
            ReportBy::SubjectArea => "subject_area",
            ReportBy::Modality => "modality",
            ReportBy::OrganisationKind => "organisation_kind",
        }
    }

    /// Whether the rows' key comes from the directory (the organisation), not from the
    /// booking itself.
    pub fn by_organisation(self) -> bool {
        matches!(self, ReportBy::Region | ReportBy::OrganisationKind)
    }
}

/// An organisation's row key, for a breakdown the booking service cannot know
/// (region, organisation kind).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationKey {
    pub organisation_id: OrganisationId,
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequest {
    pub scope: Scope,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The zone whose calendar months group the figures.
    pub time_zone: TimeZone,
    pub by: ReportBy,
    /// For `region` and `organisation_kind`: each organisation's key. Bookings of an
    /// organisation not listed fall under the empty key ("not known").
    #[serde(default)]
    pub organisation_keys: Vec<OrganisationKey>,
}

/// The exact figures of one cell of the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportFigures {
    pub bookings: i64,
    /// Assigned and not given up (assigned, in session, completed).
    pub filled: i64,
    /// Closed without a mediator.
    pub unfilled: i64,
    /// Cancelled within the pool's late-cancellation window (the widest step of its
    /// rate card), so that it is billed.
    pub cancelled_late: i64,
    /// Cancelled earlier than that.
    pub cancelled_timely: i64,
    /// Still waiting for a mediator (requested, offering).
    pub open: i64,
    /// Minutes from the request to the assignment of the filled bookings.
    pub median_minutes_to_assign: Option<f64>,
    pub p90_minutes_to_assign: Option<f64>,
    /// On-demand calls among the bookings.
    pub calls: i64,
    /// Calls in which the mediator and the requester's side met in the room.
    pub connected: i64,
    /// Seconds from a call's request to its first ring (the first offer).
    pub median_seconds_to_ring: Option<f64>,
    pub p90_seconds_to_ring: Option<f64>,
    /// Seconds from a call's request to both parties in the room.
    pub median_seconds_to_connect: Option<f64>,
    pub p90_seconds_to_connect: Option<f64>,
    /// Confirmed time records of jobs that took place, and their minutes.
    pub records: i64,
    pub worked_minutes: i64,
}

impl ReportFigures {
    /// `filled / (filled + unfilled)`; `None` while nothing is decided.
    pub fn fill_rate(&self) -> Option<f64> {
        let decided = self.filled + self.unfilled;
        (decided > 0).then(|| self.filled as f64 / decided as f64)
    }

    pub fn cancelled(&self) -> i64 {
        self.cancelled_late + self.cancelled_timely
    }
}

/// One cell: a month and a key, a month over all keys (`key` none), a key over all
/// months (`month` none), or everything (both none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportCell {
    /// `YYYY-MM` in the request's zone.
    pub month: Option<String>,
    pub key: Option<String>,
    pub figures: ReportFigures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub by: ReportBy,
    /// Every non-empty cell, months and keys in order; the total always.
    pub cells: Vec<ReportCell>,
}

impl ReportData {
    /// The cell of everything.
    pub fn total(&self) -> ReportFigures {
        self.cells
            .iter()
            .find(|c| c.month.is_none() && c.key.is_none())
            .map(|c| c.figures.clone())
            .unwrap_or_default()
    }
}

impl Rpc for Report {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "report";
    type Request = ReportRequest;
    type Response = ReportData;
}
