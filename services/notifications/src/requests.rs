//! Answers to `notification.rpc.*`: a user's feed, marking it read, the delivery log.

use crate::error::NotificationsError;
use crate::store::{self, MessageState};
use mittler_contracts::RpcFault;
use mittler_contracts::notification::{
    DeliveriesRequest, Delivery, Feed, FeedRequest, GetFeed, ListDeliveries, MarkRead,
    MarkReadRequest,
};
use mittler_contracts::text;
use mittler_platform::{CancellationToken, Platform, Tasks};
use sqlx::PgPool;

#[derive(Clone, Debug)]
pub struct Requests {
    pub pool: PgPool,
}

impl Requests {
    pub fn serve(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            32,
            [
                (GetFeed, feed),
                (MarkRead, mark_read),
                (ListDeliveries, deliveries),
            ]
        );
    }

    pub async fn feed(&self, request: FeedRequest) -> Result<Feed, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        let (items, unread) = store::feed(
            &mut conn,
            request.user_id,
            request.unread_only,
            request.limit.clamp(1, 200),
        )
        .await?;
        Ok(Feed { items, unread })
    }

    pub async fn mark_read(&self, request: MarkReadRequest) -> Result<u64, NotificationsError> {
        store::mark_read(&self.pool, request.user_id, request.id)
            .await
            .map_err(NotificationsError::from)
    }

    pub async fn deliveries(
        &self,
        request: DeliveriesRequest,
    ) -> Result<Vec<Delivery>, NotificationsError> {
        let state = match request.state.as_deref() {
            None => None,
            Some(text) => Some(MessageState::parse(text).ok_or_else(|| {
                RpcFault::invalid_field(
                    "state",
                    text!("field.one_of", values = "queued, sent, failed, dead"),
                )
            })?),
        };
        store::deliveries(
            &self.pool,
            request.organisation_ids.as_deref(),
            state,
            request.limit.clamp(1, 500),
        )
        .await
        .map_err(NotificationsError::from)
    }
}
