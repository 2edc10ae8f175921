//! Money: rate cards, the billing data of mediators and organisations, the month
//! close and the documents it issues (DESIGN.md "Money", decision 0024).
//!
//! Billing lives in the booking service because every line derives from booking's
//! own rows — the confirmed time record, the cancellation and its notice, who was
//! assigned — and the close must take each of them exactly once: in one
//! transaction over the same database, a record confirmed a moment after the close
//! is in the next month and never in both. The tables are in their own `billing`
//! schema; the line itself is the pure function of `mittler-billing`.
//!
//! `store` holds the tables, `close` gathers a month's jobs and writes its documents.

mod close;
mod store;

use crate::error::BookingError;
use mittler_contracts::billing::{
    BillingParty, CloseMonth, CloseMonthRequest, CorrectLine, CorrectLineRequest, Correction,
    Document, Documents, DocumentsRequest, GetBillingParty, GetRateCard, Line, MonthClose, PartyId,
    PutBillingParty, PutBillingPartyRequest, PutRateCard, PutRateCardRequest, Quote, QuoteRequest,
    RateCardRequest, RateCardView,
};
use mittler_contracts::{FaultCode, RpcFault, text};
use mittler_platform::{CancellationToken, Platform, Tasks};
use sqlx::PgPool;

pub use close::month_bounds;

/// The billing requests.
#[derive(Clone, Debug)]
pub struct Billing {
    pool: PgPool,
}

impl Billing {
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
                (GetRateCard, rate_card),
                (PutRateCard, put_rate_card),
                (Quote, quote),
                (GetBillingParty, party),
                (PutBillingParty, put_party),
                (CloseMonth, close_month),
                (CorrectLine, correct_line),
                (Documents, documents),
            ]
        );
    }

    /// `booking.rpc.rate_card`.
    pub async fn rate_card(
        &self,
        request: RateCardRequest,
    ) -> Result<Option<RateCardView>, BookingError> {
        Ok(store::rate_card(&self.pool, request.owner).await?)
    }

    /// `booking.rpc.put_rate_card`.
    pub async fn put_rate_card(
        &self,
        request: PutRateCardRequest,
    ) -> Result<RateCardView, BookingError> {
        if let Some((field, why)) = request.card.problems().into_iter().next() {
            return Err(RpcFault::invalid_field(field, why).into());
        }
        Ok(store::put_rate_card(&self.pool, &request).await?)
    }

    /// `booking.rpc.quote`: the line a job would earn under the owner's card.
    pub async fn quote(&self, request: QuoteRequest) -> Result<Line, BookingError> {
        let card = store::rate_card(&self.pool, request.owner)
            .await?
            .ok_or_else(|| RpcFault::new(FaultCode::NotFound, text!("billing.no_rate_card")))?;
        if request.job.booked_end <= request.job.booked_start {
            return Err(RpcFault::invalid_field("booked_end", text!("field.after_start")).into());
        }
        if let (Some(start), Some(end)) = (request.job.start, request.job.end)
            && end < start
        {
            return Err(RpcFault::invalid_field("end", text!("field.after_start")).into());
        }
        Ok(mittler_billing::price(&card.card, &request.job, "de"))
    }

    /// `booking.rpc.billing_party`.
    pub async fn party(&self, party: PartyId) -> Result<Option<BillingParty>, BookingError> {
        Ok(store::party(&self.pool, party).await?)
    }

    /// `booking.rpc.put_billing_party`.
    pub async fn put_party(
        &self,
        request: PutBillingPartyRequest,
    ) -> Result<BillingParty, BookingError> {
        if let Some((field, why)) = request.details.problems().into_iter().next() {
            return Err(RpcFault::invalid_field(field, why).into());
        }
        store::put_party(&self.pool, &request).await?;
        Ok(request.details)
    }

    /// `booking.rpc.close_month`.
    pub async fn close_month(
        &self,
        request: CloseMonthRequest,
    ) -> Result<MonthClose, BookingError> {
        close::close(&self.pool, request).await
    }

    /// `booking.rpc.correct_line`: a correction of a closed month's line, for the next close.
    pub async fn correct_line(
        &self,
        request: CorrectLineRequest,
    ) -> Result<Correction, BookingError> {
        if request.amount_cents == 0 || request.amount_cents.abs() > 10_000_000 {
            return Err(RpcFault::invalid_field(
                "amount_cents",
                text!("billing.correction_amount"),
            )
            .into());
        }
        let reason = request.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(
                RpcFault::invalid_field("reason", text!("field.length", max = 1000)).into(),
            );
        }
        let mut tx = self.pool.begin().await?;
        let (document, _) = store::closed_line(&mut *tx, request.pool, request.line_id)
            .await?
            .ok_or_else(|| RpcFault::new(FaultCode::NotFound, text!("billing.no_line")))?;
        let id = uuid::Uuid::now_v7();
        let created_at = store::insert_correction(&mut *tx, &request, id).await?;
        tx.commit().await?;
        tracing::info!(correction_id = %id, line_id = %request.line_id, by = %request.by, "line corrected");
        Ok(Correction {
            id,
            corrects: request.line_id,
            number: document.number,
            amount_cents: request.amount_cents,
            reason: reason.to_owned(),
            created_at,
        })
    }

    /// `booking.rpc.documents`.
    pub async fn documents(
        &self,
        request: DocumentsRequest,
    ) -> Result<Vec<Document>, BookingError> {
        if let Some(month) = &request.month
            && close::parse_month(month).is_none()
        {
            return Err(RpcFault::invalid_field("month", text!("billing.month")).into());
        }
        Ok(store::documents(&self.pool, &request).await?)
    }
}
