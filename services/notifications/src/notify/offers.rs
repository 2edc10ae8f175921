//! An offer that needs nothing more — answered (accepted, declined), taken by
//! someone else, assigned by hand, cancelled, given up, changed, withdrawn from a
//! mediator who no longer serves the pool, or expired — closes its item in the mediator's feed: read, with why, and a
//! `notification.feed.closed` so open pages follow.

use super::Notifier;
use mittler_contracts::Envelope;
use mittler_contracts::notification::FeedItemClosed;
use mittler_platform::consumer::HandleError;
use mittler_platform::{Schema, outbox};
use mittler_types::OfferId;
use sqlx::PgConnection;

impl Notifier {
    pub(super) async fn offer_closed(
        &self,
        tx: &mut PgConnection,
        offer: OfferId,
        closed: &str,
    ) -> Result<(), HandleError> {
        let link = self.link(&format!("/offers/{offer}"));
        // Closed before (a redelivery): nothing more to say.
        let Some((user_id, organisation_id, item)) =
            crate::store::close_offer_item(&mut *tx, &link, closed).await?
        else {
            return Ok(());
        };
        outbox::enqueue(
            tx,
            Schema::NOTIFICATIONS,
            &Envelope::new(
                FeedItemClosed {
                    organisation_id,
                    user_id,
                    item,
                },
                outbox::root_meta(),
            ),
        )
        .await?;
        Ok(())
    }
}
