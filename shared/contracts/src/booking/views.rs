//! The views of the web UI: the coordinators' queue, a mediator's jobs, statistics.

use super::*;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::MediatorId;
use serde::{Deserialize, Serialize};

/// A booking that still waits for a mediator, as the coordinators' queue shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    pub booking: BookingView,
    /// When dispatch gave up and handed the booking to the coordinators.
    pub escalated_at: Option<DateTime<Utc>>,
    /// How soon the booking becomes `unfilled` if nobody takes it.
    #[serde(default)]
    pub urgency: Urgency,
}

/// How pressing a waiting booking is: it becomes `unfilled` at its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than a day ahead and not escalated.
    #[default]
    Low,
    /// Escalated, or less than a day ahead.
    Medium,
    /// Less than four hours ahead.
    High,
    /// Less than an hour ahead, or under way (an on-demand call).
    Critical,
}

impl Urgency {
    /// The urgency of a booking that starts at `start`, at `now`.
    pub fn of(start: DateTime<Utc>, escalated: bool, now: DateTime<Utc>) -> Self {
        let left = start - now;
        if left < chrono::Duration::hours(1) {
            Urgency::Critical
        } else if left < chrono::Duration::hours(4) {
            Urgency::High
        } else if escalated || left < chrono::Duration::hours(24) {
            Urgency::Medium
        } else {
            Urgency::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Medium => "medium",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }
}

/// `booking.rpc.queue`: the bookings in scope that are not yet assigned (requested or
/// offering) and have not ended, escalated ones first, then by start.
#[derive(Debug)]
pub struct Queue;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRequest {
    pub scope: Scope,
    pub limit: u32,
}

impl Rpc for Queue {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "queue";
    type Request = QueueRequest;
    type Response = Vec<QueueItem>;
}

/// `booking.rpc.my_jobs`: the bookings assigned to a mediator that end after `since`,
/// by start.
#[derive(Debug)]
pub struct MyJobs;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyJobsRequest {
    pub mediator_id: MediatorId,
    pub since: DateTime<Utc>,
}

impl Rpc for MyJobs {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "my_jobs";
    type Request = MyJobsRequest;
    type Response = Vec<BookingView>;
}

/// `booking.rpc.job`: one booking the mediator holds (or held and worked); not
/// found for anyone else.
#[derive(Debug)]
pub struct Job;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    pub id: BookingId,
    pub mediator_id: MediatorId,
}

impl Rpc for Job {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "job";
    type Request = JobRequest;
    type Response = BookingView;
}

/// `booking.rpc.statistics`: how well bookings that start in `[from, to)` were served.
#[derive(Debug)]
pub struct Statistics;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsRequest {
    pub scope: Scope,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The zone whose calendar months group the figures.
    pub time_zone: TimeZone,
}

/// One line of the statistics: all bookings, one language, or one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsLine {
    /// A language tag, a month `YYYY-MM`, or `all`.
    pub key: String,
    pub bookings: i64,
    /// Assigned at some point and not given up (assigned, in session, completed).
    pub filled: i64,
    /// Closed without a mediator.
    pub unfilled: i64,
    pub cancelled: i64,
    /// `filled / (filled + unfilled)`; null while nothing is decided.
    pub fill_rate: Option<f64>,
    /// Minutes from the request to the assignment, median and 90th percentile.
    pub median_minutes_to_assign: Option<f64>,
    pub p90_minutes_to_assign: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: StatisticsLine,
    pub by_language: Vec<StatisticsLine>,
    pub by_month: Vec<StatisticsLine>,
}

impl Rpc for Statistics {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "statistics";
    type Request = StatisticsRequest;
    type Response = StatisticsReport;
}
