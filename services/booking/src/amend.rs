//! `booking.rpc.amend`: notes, client and place changed after booking, with one
//! `booking.booking.amended` in the same transaction. A new place before anyone
//! accepted sends the booking back to `requested`: dispatch measured distances from
//! the old one and starts anew.

use crate::error::BookingError;
use crate::lifecycle;
use crate::requests::Bookings;
use crate::store;
use mittler_contracts::booking::{AmendBookingRequest, BookingAmended, BookingView};
use mittler_contracts::text;
use mittler_contracts::{Envelope, FaultCode, RpcFault};
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingState, Modality};

impl Bookings {
    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn amend(&self, request: AmendBookingRequest) -> Result<BookingView, BookingError> {
        let mut tx = self.pool.begin().await?;
        let row = store::get_for_update(&mut tx, request.id)
            .await?
            .ok_or(BookingError::NotFound)?;
        if !request.scope.allows(row.organisation_id()) {
            return Err(BookingError::NotFound);
        }
        let from = row.state();
        if !matches!(
            from,
            BookingState::Requested | BookingState::Offering | BookingState::Assigned
        ) {
            return Err(RpcFault::new(
                FaultCode::IllegalTransition,
                text!("appointment.not_amendable"),
            )
            .into());
        }
        let before = row.into_view()?;
        let d = &before.details;
        if request.location.is_some() && d.modality != Modality::OnSite {
            return Err(RpcFault::invalid_field(
                "location",
                text!("appointment.place_on_site_only"),
            )
            .into());
        }
        let notes = request
            .notes
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let location = request.location.or_else(|| d.location.clone());
        let mut changed = Vec::new();
        if notes != d.notes {
            changed.push("notes".to_owned());
        }
        if request.client != d.client {
            changed.push("client".to_owned());
        }
        if location != d.location {
            changed.push("location".to_owned());
        }
        if changed.is_empty() {
            drop(tx);
            return self.attached(before).await;
        }
        // A new place while dispatch is asking: it starts anew from there.
        let to = if changed.iter().any(|c| c == "location") && from != BookingState::Assigned {
            if from != BookingState::Requested {
                lifecycle::check(from, BookingState::Requested)?;
            }
            BookingState::Requested
        } else {
            from
        };
        let row = store::amend(
            &mut tx,
            request.id,
            from,
            to,
            notes.as_deref(),
            request.client.as_ref(),
            location.as_ref(),
        )
        .await?
        .ok_or_else(|| BookingError::Internal(anyhow::anyhow!("locked booking changed state")))?;
        let view = row.into_view()?;
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(
                BookingAmended {
                    booking_id: view.id,
                    organisation_id: view.organisation_id,
                    amended_by: request.by,
                    state: to,
                    changed: changed.clone(),
                    details: view.details.clone(),
                },
                outbox::root_meta(),
            ),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(?changed, state = to.as_str(), "booking amended");
        self.attached(view).await
    }

    /// The view with its offers and assignment, as `get` answers.
    async fn attached(&self, mut view: BookingView) -> Result<BookingView, BookingError> {
        crate::dispatch::attach(&self.pool, std::slice::from_mut(&mut view)).await?;
        Ok(view)
    }
}
