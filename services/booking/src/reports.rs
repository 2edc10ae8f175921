//! Read-only answers for the web UI: the coordinators' queue, a mediator's jobs and
//! the statistics (fill rate and time to assign, by language and by month).

use crate::error::BookingError;
use crate::store;
use chrono::Utc;
use mittler_contracts::FaultCode;
use mittler_contracts::RpcFault;
use mittler_contracts::booking::{
    BookingView, Job, JobRequest, MyJobs, MyJobsRequest, Queue, QueueItem, QueueRequest, Scope,
    Statistics, StatisticsLine, StatisticsReport, StatisticsRequest, Urgency,
};
use mittler_contracts::text;
use mittler_platform::{CancellationToken, Platform, Tasks};
use sqlx::PgPool;
use uuid::Uuid;

/// The most bookings one queue or job list returns.
const MAX_ITEMS: u32 = 500;

#[derive(Clone, Debug)]
pub struct Reports {
    pool: PgPool,
}

fn scope_ids(scope: &Scope) -> Option<Vec<Uuid>> {
    scope
        .organisation_ids
        .as_ref()
        .map(|ids| ids.iter().map(|id| id.as_uuid()).collect())
}

#[derive(Debug)]
struct LineRow {
    by_language: i32,
    by_month: i32,
    language: Option<String>,
    month: Option<String>,
    bookings: i64,
    filled: i64,
    unfilled: i64,
    cancelled: i64,
    median_minutes: Option<f64>,
    p90_minutes: Option<f64>,
}

impl LineRow {
    fn line(self, key: String) -> StatisticsLine {
        let decided = self.filled + self.unfilled;
        StatisticsLine {
            key,
            bookings: self.bookings,
            filled: self.filled,
            unfilled: self.unfilled,
            cancelled: self.cancelled,
            fill_rate: (decided > 0).then(|| self.filled as f64 / decided as f64),
            median_minutes_to_assign: self.median_minutes,
            p90_minutes_to_assign: self.p90_minutes,
        }
    }
}

impl Reports {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn serve(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            8,
            [
                (Queue, queue),
                (MyJobs, my_jobs),
                (Job, job),
                (Statistics, statistics)
            ]
        );
    }

    pub async fn queue(&self, request: QueueRequest) -> Result<Vec<QueueItem>, BookingError> {
        let limit = i64::from(request.limit.clamp(1, MAX_ITEMS));
        let rows =
            store::unassigned(&self.pool, scope_ids(&request.scope), Utc::now(), limit).await?;
        let mut escalated = Vec::with_capacity(rows.len());
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            escalated.push(row.escalated_at());
            views.push(row.into_view()?);
        }
        crate::dispatch::attach(&self.pool, &mut views).await?;
        let now = Utc::now();
        Ok(views
            .into_iter()
            .zip(escalated)
            .map(|(booking, escalated_at)| QueueItem {
                urgency: Urgency::of(booking.details.start, escalated_at.is_some(), now),
                booking,
                escalated_at,
            })
            .collect())
    }

    pub async fn my_jobs(&self, request: MyJobsRequest) -> Result<Vec<BookingView>, BookingError> {
        let rows = store::assigned_to(
            &self.pool,
            request.mediator_id,
            request.since,
            i64::from(MAX_ITEMS),
        )
        .await?;
        let mut views = rows
            .into_iter()
            .map(store::BookingRow::into_view)
            .collect::<Result<Vec<_>, _>>()?;
        crate::dispatch::attach(&self.pool, &mut views).await?;
        Ok(views)
    }

    /// `booking.rpc.job`: a booking its mediator holds; anyone else's is not found.
    pub async fn job(&self, request: JobRequest) -> Result<BookingView, BookingError> {
        let mut conn = self.pool.acquire().await?;
        let row = store::get(&mut conn, request.id)
            .await?
            .ok_or(BookingError::NotFound)?;
        let holder = crate::dispatch::store::assigned_mediator(&mut *conn, request.id).await?;
        drop(conn);
        if holder != Some(request.mediator_id) {
            return Err(BookingError::NotFound);
        }
        let mut view = row.into_view()?;
        crate::dispatch::attach(&self.pool, std::slice::from_mut(&mut view)).await?;
        Ok(view)
    }

    pub async fn statistics(
        &self,
        request: StatisticsRequest,
    ) -> Result<StatisticsReport, BookingError> {
        if request.to <= request.from {
            return Err(RpcFault::new(FaultCode::Invalid, text!("appointment.period")).into());
        }
        let scope = scope_ids(&request.scope);
        let rows: Vec<LineRow> = sqlx::query_as!(
        LineRow,
        r#"WITH b AS (
               SELECT b.language, to_char(b.start_at AT TIME ZONE $4, 'YYYY-MM') AS month, b.state,
                      EXTRACT(EPOCH FROM (a.assigned_at - b.created_at))::float8 / 60.0 AS minutes
               FROM booking.bookings b LEFT JOIN booking.assignments a ON a.booking_id = b.id
               WHERE b.start_at >= $1 AND b.start_at < $2
                 AND ($3::uuid[] IS NULL OR b.organisation_id = ANY($3)))
             SELECT GROUPING(language) AS "by_language!", GROUPING(month) AS "by_month!", language AS "language?", month AS "month?",
               count(*) AS "bookings!",
               count(*) FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS "filled!",
               count(*) FILTER (WHERE state = 'unfilled') AS "unfilled!",
               count(*) FILTER (WHERE state = 'cancelled') AS "cancelled!",
               percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes)
                 FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS median_minutes,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes)
                 FILTER (WHERE state IN ('assigned', 'in_session', 'completed')) AS p90_minutes
             FROM b GROUP BY GROUPING SETS ((), (language), (month))
             ORDER BY GROUPING(language), GROUPING(month), language, month"#,
        request.from,
        request.to,
        scope.as_deref(),
        request.time_zone.name(),
    )
    .fetch_all(&self.pool)
    .await?;
        let mut total = None;
        let mut by_language = Vec::new();
        let mut by_month = Vec::new();
        for row in rows {
            match (row.by_language, row.by_month) {
                (1, 1) => total = Some(row.line("all".into())),
                (0, _) => {
                    let key = row.language.clone().unwrap_or_default();
                    by_language.push(row.line(key));
                }
                _ => {
                    let key = row.month.clone().unwrap_or_default();
                    by_month.push(row.line(key));
                }
            }
        }
        by_language.sort_by(|a, b| b.bookings.cmp(&a.bookings).then(a.key.cmp(&b.key)));
        let total = total.unwrap_or_else(|| StatisticsLine {
            key: "all".into(),
            bookings: 0,
            filled: 0,
            unfilled: 0,
            cancelled: 0,
            fill_rate: None,
            median_minutes_to_assign: None,
            p90_minutes_to_assign: None,
        });
        Ok(StatisticsReport {
            from: request.from,
            to: request.to,
            total,
            by_language,
            by_month,
        })
    }
}
