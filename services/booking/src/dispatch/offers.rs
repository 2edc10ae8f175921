//! A mediator's open offers and declining one; the dispatch explanation for
//! coordinators; withdrawing a booking's open offers; offers and assignments on
//! booking views.

use super::{Dispatcher, emit, store};
use crate::error::BookingError;
use crate::store as bookings;
use mittler_contracts::Envelope;
use mittler_contracts::FaultCode;
use mittler_contracts::RpcFault;
use mittler_contracts::booking::{
    BookingView, DispatchRound, Explanation, GetBookingRequest, MediatorOffer, MyOffersRequest,
    OfferAnswer, OfferDeclined, OfferWithdrawn, Withdrawal,
};
use mittler_contracts::text;
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingId, MediatorId};
use sqlx::{PgConnection, PgPool};

impl Dispatcher {
    pub async fn my_offers(
        &self,
        request: MyOffersRequest,
    ) -> Result<Vec<MediatorOffer>, BookingError> {
        let mut conn = self.pool.acquire().await?;
        let offers = store::open_offers_of(&mut *conn, request.mediator_id).await?;
        let mut result = Vec::with_capacity(offers.len());
        for offer in offers {
            if let Some(row) = bookings::get(&mut conn, offer.booking_id).await? {
                let view = row.into_view()?;
                result.push(MediatorOffer {
                    id: offer.id,
                    booking_id: view.id,
                    state: offer.state.as_str().to_owned(),
                    expires_at: offer.expires_at,
                    booking: view.details,
                });
            }
        }
        Ok(result)
    }

    pub async fn decline(&self, request: OfferAnswer) -> Result<MediatorOffer, BookingError> {
        let offer = store::offer(&self.pool, request.offer_id).await?;
        let Some(offer) = offer.filter(|o| o.mediator_id == request.mediator_id) else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("offer.not_found")).into());
        };
        let mut tx = self.pool.begin().await?;
        if !store::decide_offer(&mut *tx, request.offer_id, store::OfferState::Declined).await? {
            return Err(RpcFault::new(FaultCode::Taken, text!("offer.not_open")).into());
        }
        let booking = bookings::get(&mut tx, offer.booking_id)
            .await?
            .ok_or_else(|| BookingError::Internal(anyhow::anyhow!("offer without booking")))?;
        let view = booking.into_view()?;
        emit(
            &mut tx,
            OfferDeclined {
                offer_id: request.offer_id,
                booking_id: view.id,
                organisation_id: view.organisation_id,
                mediator_id: request.mediator_id,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MediatorOffer {
            id: request.offer_id,
            booking_id: view.id,
            state: "declined".into(),
            expires_at: offer.expires_at,
            booking: view.details,
        })
    }

    pub async fn explanation(
        &self,
        request: GetBookingRequest,
    ) -> Result<Explanation, BookingError> {
        let mut conn = self.pool.acquire().await?;
        let row = bookings::get(&mut conn, request.id).await?;
        let Some(row) = row.filter(|r| request.scope.allows(r.organisation_id())) else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("appointment.not_found")).into());
        };
        let rounds = store::rounds(&mut *conn, row.id()).await?;
        let rounds = rounds
            .into_iter()
            .map(|r| {
                Ok(DispatchRound {
                    at: r.at,
                    wave: r.wave,
                    ranked: serde_json::from_value(r.ranked)?,
                    excluded: serde_json::from_value(r.excluded)?,
                    other_languages: r.other_languages.max(0) as u32,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        Ok(Explanation {
            booking_id: row.id(),
            rounds,
        })
    }
}

/// Withdraw the booking's open offers, with one `OfferWithdrawn` each, written with
/// the `events` of the caller's own in one statement.
pub(super) async fn withdraw_open_offers(
    tx: &mut PgConnection,
    booking: BookingId,
    organisation_id: mittler_types::OrganisationId,
    because: Withdrawal,
    reason: &str,
    mut batch: outbox::Batch,
) -> anyhow::Result<()> {
    let offers =
        store::close_open_offers(&mut *tx, booking, None, store::OfferState::Withdrawn).await?;
    for offer in offers {
        batch.add(&Envelope::new(
            OfferWithdrawn {
                offer_id: offer.id,
                booking_id: offer.booking_id,
                organisation_id,
                mediator_id: offer.mediator_id,
                reason: reason.to_owned(),
                because: Some(because),
            },
            outbox::root_meta(),
        ))?;
    }
    batch.write(tx, Schema::BOOKING).await?;
    Ok(())
}

/// Withdraw the open offers a mediator may no longer take — every one when they are
/// deactivated, else those of pools they no longer serve (`serving`) — with one
/// `OfferWithdrawn` each; the waves go on by their deadlines.
pub(super) async fn withdraw_offers_of(
    tx: &mut PgConnection,
    mediator: MediatorId,
    serving: Option<&[uuid::Uuid]>,
) -> anyhow::Result<usize> {
    let offers =
        store::close_open_offers_of(&mut *tx, mediator, serving, store::OfferState::Withdrawn)
            .await?;
    let mut batch = outbox::Batch::default();
    let reason = text!("offer.withdrawn_inactive").english();
    for (offer, organisation_id) in &offers {
        batch.add(&Envelope::new(
            OfferWithdrawn {
                offer_id: offer.id,
                booking_id: offer.booking_id,
                organisation_id: *organisation_id,
                mediator_id: offer.mediator_id,
                reason: reason.clone(),
                because: Some(Withdrawal::NotServing),
            },
            outbox::root_meta(),
        ))?;
    }
    batch.write(tx, Schema::BOOKING).await?;
    Ok(offers.len())
}

/// Fill in the offers and assignment of booking views.
pub async fn attach(pool: &PgPool, views: &mut [BookingView]) -> Result<(), sqlx::Error> {
    let ids: Vec<uuid::Uuid> = views.iter().map(|v| v.id.as_uuid()).collect();
    let mut offers = store::offers_of(pool, &ids).await?;
    let mut assignments = store::assignments_of(pool, &ids).await?;
    for view in views {
        view.offers = offers.remove(&view.id).unwrap_or_default();
        view.assignment = assignments.remove(&view.id);
    }
    Ok(())
}
