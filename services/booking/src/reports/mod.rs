//! Read-only answers for the web UI: the coordinators' queue, a mediator's jobs and
//! the statistics (fill rate and time to assign, by language and by month) and the
//! report for funders (`funders`), which the statistics are a view of.

use crate::error::BookingError;
use crate::store;

mod funders;
use chrono::Utc;
use mittler_contracts::booking::{
    BookingView, Job, JobRequest, MyJobs, MyJobsRequest, Queue, QueueItem, QueueRequest, Report,
    ReportBy, ReportData, ReportFigures, ReportRequest, Scope, Statistics, StatisticsLine,
    StatisticsReport, StatisticsRequest, Urgency,
};
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

/// One line of the statistics from a cell of the report.
fn line(key: String, f: &ReportFigures) -> StatisticsLine {
    StatisticsLine {
        key,
        bookings: f.bookings,
        filled: f.filled,
        unfilled: f.unfilled,
        cancelled: f.cancelled(),
        fill_rate: f.fill_rate(),
        median_minutes_to_assign: f.median_minutes_to_assign,
        p90_minutes_to_assign: f.p90_minutes_to_assign,
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
                (Statistics, statistics),
                (Report, report)
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

    /// `booking.rpc.report`: the exact figures of the report for funders.
    pub async fn report(&self, request: ReportRequest) -> Result<ReportData, BookingError> {
        funders::report(&self.pool, &request).await
    }

    /// `booking.rpc.statistics`: the report by language, as lines: the total, each
    /// language over the period and each month.
    pub async fn statistics(
        &self,
        request: StatisticsRequest,
    ) -> Result<StatisticsReport, BookingError> {
        let data = funders::report(
            &self.pool,
            &ReportRequest {
                scope: request.scope,
                from: request.from,
                to: request.to,
                time_zone: request.time_zone,
                by: ReportBy::Language,
                organisation_keys: Vec::new(),
            },
        )
        .await?;
        let total = line("all".into(), &data.total());
        let mut by_language = Vec::new();
        let mut by_month = Vec::new();
        for cell in &data.cells {
            match (&cell.month, &cell.key) {
                (None, Some(language)) => by_language.push(line(language.clone(), &cell.figures)),
                (Some(month), None) => by_month.push(line(month.clone(), &cell.figures)),
                _ => {}
            }
        }
        by_language.sort_by(|a, b| b.bookings.cmp(&a.bookings).then(a.key.cmp(&b.key)));
        Ok(StatisticsReport {
            from: data.from,
            to: data.to,
            total,
            by_language,
            by_month,
        })
    }
}
