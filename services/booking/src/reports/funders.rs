//! The report for funders: exact figures of the bookings that start in a period, by
//! month and by one breakdown, in one query (`GROUPING SETS`). Hiding small counts is
//! the gateway's job; this answers what is.

use crate::error::BookingError;
use mittler_contracts::FaultCode;
use mittler_contracts::RpcFault;
use mittler_contracts::billing::RateCard;
use mittler_contracts::booking::{ReportCell, ReportData, ReportFigures, ReportRequest};
use mittler_contracts::text;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug)]
struct CellRow {
    by_month: i32,
    by_key: i32,
    month: Option<String>,
    key: Option<String>,
    bookings: i64,
    filled: i64,
    unfilled: i64,
    cancelled_late: i64,
    cancelled_timely: i64,
    open: i64,
    median_minutes_to_assign: Option<f64>,
    p90_minutes_to_assign: Option<f64>,
    calls: i64,
    connected: i64,
    median_seconds_to_ring: Option<f64>,
    p90_seconds_to_ring: Option<f64>,
    median_seconds_to_connect: Option<f64>,
    p90_seconds_to_connect: Option<f64>,
    records: i64,
    worked_minutes: i64,
}

impl From<CellRow> for ReportCell {
    fn from(r: CellRow) -> Self {
        ReportCell {
            month: (r.by_month == 0).then(|| r.month.unwrap_or_default()),
            key: (r.by_key == 0).then(|| r.key.unwrap_or_default()),
            figures: ReportFigures {
                bookings: r.bookings,
                filled: r.filled,
                unfilled: r.unfilled,
                cancelled_late: r.cancelled_late,
                cancelled_timely: r.cancelled_timely,
                open: r.open,
                median_minutes_to_assign: r.median_minutes_to_assign,
                p90_minutes_to_assign: r.p90_minutes_to_assign,
                calls: r.calls,
                connected: r.connected,
                median_seconds_to_ring: r.median_seconds_to_ring,
                p90_seconds_to_ring: r.p90_seconds_to_ring,
                median_seconds_to_connect: r.median_seconds_to_connect,
                p90_seconds_to_connect: r.p90_seconds_to_connect,
                records: r.records,
                worked_minutes: r.worked_minutes,
            },
        }
    }
}

/// The widest late-cancellation window of the default rate card, in hours: what a
/// pool without a card of its own counts as late.
fn default_late_hours() -> i32 {
    RateCard::default()
        .late_cancellation
        .iter()
        .map(|step| step.within_hours)
        .max()
        .unwrap_or(0)
        .try_into()
        .unwrap_or(i32::MAX)
}

/// The figures of the bookings of `request.scope` that start in `[from, to)`: every
/// (month, key) cell, each key over the period, each month, and the total.
pub async fn report(pool: &PgPool, request: &ReportRequest) -> Result<ReportData, BookingError> {
    if request.to <= request.from {
        return Err(RpcFault::new(FaultCode::Invalid, text!("appointment.period")).into());
    }
    let scope: Option<Vec<Uuid>> = request
        .scope
        .organisation_ids
        .as_ref()
        .map(|ids| ids.iter().map(|id| id.as_uuid()).collect());
    let key_orgs: Vec<Uuid> = request
        .organisation_keys
        .iter()
        .map(|k| k.organisation_id.as_uuid())
        .collect();
    let keys: Vec<String> = request
        .organisation_keys
        .iter()
        .map(|k| k.key.clone())
        .collect();
    let rows: Vec<CellRow> = sqlx::query_as!(
        CellRow,
        r#"WITH b AS (
               SELECT b.state, b.kind,
                      to_char(b.start_at AT TIME ZONE $4, 'YYYY-MM') AS month,
                      CASE $5 WHEN 'language' THEN b.language
                              WHEN 'subject_area' THEN b.subject_area
                              WHEN 'modality' THEN b.modality
                              ELSE COALESCE(g.key, '') END AS key,
                      b.state = 'cancelled' AND b.notice_minutes IS NOT NULL
                        AND b.notice_minutes < 60 * COALESCE(late.hours, $8) AS late,
                      EXTRACT(EPOCH FROM (a.assigned_at - b.created_at))::float8 / 60.0 AS assign_minutes,
                      EXTRACT(EPOCH FROM (ring.at - b.created_at))::float8 AS ring_seconds,
                      EXTRACT(EPOCH FROM (b.session_started_at - b.created_at))::float8 AS connect_seconds,
                      r.worked_minutes AS worked
               FROM booking.bookings b
               LEFT JOIN booking.assignments a ON a.booking_id = b.id
               LEFT JOIN unnest($6::uuid[], $7::text[]) AS g(organisation_id, key)
                      ON g.organisation_id = b.organisation_id
               LEFT JOIN LATERAL (
                      SELECT COALESCE(max((step->>'within_hours')::int), 0) AS hours
                      FROM billing.rate_cards rc
                      LEFT JOIN LATERAL jsonb_array_elements(rc.card->'late_cancellation') step ON true
                      WHERE rc.owner_id = b.pool_id
                      HAVING count(rc.owner_id) > 0) late ON true
               LEFT JOIN LATERAL (
                      SELECT min(o.created_at) AS at FROM booking.offers o
                      WHERE o.booking_id = b.id AND b.kind = 'on_demand') ring ON true
               LEFT JOIN booking.time_records r
                      ON r.booking_id = b.id AND r.state = 'confirmed' AND r.outcome = 'done'
               WHERE b.start_at >= $1 AND b.start_at < $2
                 AND ($3::uuid[] IS NULL OR b.organisation_id = ANY($3)))
           SELECT GROUPING(month) AS "by_month!", GROUPING(key) AS "by_key!",
                  month AS "month?", key AS "key?",
                  count(*) AS "bookings!",
                  count(*) FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS "filled!",
                  count(*) FILTER (WHERE state = 'unfilled') AS "unfilled!",
                  count(*) FILTER (WHERE state = 'cancelled' AND late) AS "cancelled_late!",
                  count(*) FILTER (WHERE state = 'cancelled' AND NOT late) AS "cancelled_timely!",
                  count(*) FILTER (WHERE state IN ('requested', 'offering')) AS "open!",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY assign_minutes)
                    FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS median_minutes_to_assign,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY assign_minutes)
                    FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS p90_minutes_to_assign,
                  count(*) FILTER (WHERE kind = 'on_demand') AS "calls!",
                  count(*) FILTER (WHERE kind = 'on_demand' AND connect_seconds IS NOT NULL) AS "connected!",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY ring_seconds)
                    FILTER (WHERE kind = 'on_demand') AS median_seconds_to_ring,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY ring_seconds)
                    FILTER (WHERE kind = 'on_demand') AS p90_seconds_to_ring,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY connect_seconds)
                    FILTER (WHERE kind = 'on_demand') AS median_seconds_to_connect,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY connect_seconds)
                    FILTER (WHERE kind = 'on_demand') AS p90_seconds_to_connect,
                  count(worked) AS "records!",
                  COALESCE(sum(worked), 0)::bigint AS "worked_minutes!"
           FROM b GROUP BY GROUPING SETS ((month, key), (month), (key), ())
           ORDER BY GROUPING(month), GROUPING(key), month, key"#,
        request.from,
        request.to,
        scope.as_deref(),
        request.time_zone.name(),
        request.by.code(),
        &key_orgs,
        &keys,
        default_late_hours(),
    )
    .fetch_all(pool)
    .await?;
    let mut cells: Vec<ReportCell> = rows.into_iter().map(ReportCell::from).collect();
    if !cells.iter().any(|c| c.month.is_none() && c.key.is_none()) {
        cells.push(ReportCell {
            month: None,
            key: None,
            figures: ReportFigures::default(),
        });
    }
    Ok(ReportData {
        from: request.from,
        to: request.to,
        by: request.by,
        cells,
    })
}
