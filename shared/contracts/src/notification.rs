//! The notifications service: the in-app feed, delivery failures, and the requests
//! the gateway makes for them.

use crate::subjects::Service;
use crate::{Event, Rpc};
use chrono::{DateTime, Utc};
use mittler_types::{BookingId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One entry of a user's in-app feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedItem {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub booking_id: Option<BookingId>,
    /// `offer`, `confirmed`, `cancelled`, `rescheduled`, `escalated`, `returned`,
    /// `reminder`, `delivery_failed`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where to look in the web UI.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// An offer that needs nothing more, and why: `accepted`, `declined`, `expired`,
    /// or withdrawn: `taken`, `assigned`, `cancelled`, `given_up`, `changed`,
    /// `not_serving` (`withdrawn` for an older event without a reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
}

/// `notification.feed.added`: a user has something new to read (the gateway's SSE
/// stream forwards it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedItemAdded {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organisation_id: Option<OrganisationId>,
    pub user_id: UserId,
    pub item: FeedItem,
}

impl Event for FeedItemAdded {
    const TYPE: &'static str = "notification.feed.added";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        self.organisation_id
    }
}

/// Every event of users' feeds (added, closed), for live views.
pub const FEED_EVENTS: &str = "notification.feed.*";

/// `notification.feed.closed`: an offer in a user's feed needs nothing more (taken
/// by someone else, cancelled, expired …); it is marked read and says why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedItemClosed {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organisation_id: Option<OrganisationId>,
    pub user_id: UserId,
    pub item: FeedItem,
}

impl Event for FeedItemClosed {
    const TYPE: &'static str = "notification.feed.closed";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        self.organisation_id
    }
}

/// One outgoing message and how its delivery went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub booking_id: Option<BookingId>,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    /// `queued`, `sent`, `failed` (will be tried again) or `dead` (gave up).
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// `notification.delivery.failed`: a message could not be delivered after every try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organisation_id: Option<OrganisationId>,
    pub message_id: Uuid,
    pub booking_id: Option<BookingId>,
    pub recipient: String,
    pub error: String,
}

impl Event for DeliveryFailed {
    const TYPE: &'static str = "notification.delivery.failed";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        self.organisation_id
    }
}

/// `notification.rpc.feed`: a user's feed, newest first.
#[derive(Debug)]
pub struct GetFeed;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRequest {
    pub user_id: UserId,
    pub unread_only: bool,
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feed {
    pub items: Vec<FeedItem>,
    pub unread: i64,
}

impl Rpc for GetFeed {
    const SERVICE: Service = Service::Notification;
    const NAME: &'static str = "feed";
    type Request = FeedRequest;
    type Response = Feed;
}

/// `notification.rpc.mark_read`: one item (or, without `id`, all) read.
#[derive(Debug)]
pub struct MarkRead;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkReadRequest {
    pub user_id: UserId,
    pub id: Option<Uuid>,
}

impl Rpc for MarkRead {
    const SERVICE: Service = Service::Notification;
    const NAME: &'static str = "mark_read";
    type Request = MarkReadRequest;
    /// How many became read.
    type Response = u64;
}

/// `notification.rpc.deliveries`: the delivery log of these organisations (`None`:
/// all), optionally only one state, newest first.
#[derive(Debug)]
pub struct ListDeliveries;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveriesRequest {
    pub organisation_ids: Option<Vec<OrganisationId>>,
    pub state: Option<String>,
    pub limit: i64,
}

impl Rpc for ListDeliveries {
    const SERVICE: Service = Service::Notification;
    const NAME: &'static str = "deliveries";
    type Request = DeliveriesRequest;
    type Response = Vec<Delivery>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::stream_for;

    #[test]
    fn subjects_are_pinned() {
        assert_eq!(GetFeed::subject(), "notification.rpc.feed");
        assert_eq!(MarkRead::subject(), "notification.rpc.mark_read");
        assert_eq!(ListDeliveries::subject(), "notification.rpc.deliveries");
        for subject in [FeedItemAdded::TYPE, DeliveryFailed::TYPE] {
            assert_eq!(stream_for(subject).map(|s| s.name), Some("NOTIFICATION"));
        }
    }
}
