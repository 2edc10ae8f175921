//! Live pages: what changed, as server-sent events.

use super::{OrPage, Page, UiError};
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use mittler_contracts::Event as _;
use mittler_contracts::notification::{FeedItemAdded, FeedItemClosed};
use mittler_types::Role;
use std::convert::Infallible;

/// Server-sent events for live pages: `changed` when a booking the user may see
/// changes (no details: the page fetches itself again), `notification` when the
/// user's feed grows or an offer in it closes. Each carries a word of data: browsers drop events without data.
pub(super) async fn events(
    State(state): State<AppState>,
    page: Page,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, UiError> {
    let l = page.l;
    let user = page.user;
    let scope = match user.role() {
        Role::Mediator => None,
        _ => Some(user.booking_scope(&state).await.or_page(l)?),
    };
    let me = user.user.mediator_id.map(|id| id.to_string());
    let user_id = user.id();
    let mut subjects = mittler_contracts::booking::EVENT_SUBJECTS.to_vec();
    subjects.push(FeedItemAdded::TYPE);
    subjects.push(FeedItemClosed::TYPE);
    let envelopes = crate::live::subscribe(&state, &subjects).await.or_page(l)?;
    let stream = envelopes.filter_map(move |envelope| {
        let scope = scope.clone();
        let me = me.clone();
        async move {
            let feed_user = if envelope.is::<FeedItemAdded>() {
                Some(envelope.decode::<FeedItemAdded>().ok()?.data.user_id)
            } else if envelope.is::<FeedItemClosed>() {
                Some(envelope.decode::<FeedItemClosed>().ok()?.data.user_id)
            } else {
                None
            };
            if let Some(feed_user) = feed_user {
                return (feed_user == user_id)
                    .then(|| Ok(SseEvent::default().event("notification").data("feed")));
            }
            let relevant = match (&scope, &me) {
                (Some(scope), _) => envelope.organisation_id.is_some_and(|id| scope.allows(id)),
                // Mediators: their own offers, and any change of a booking (their jobs).
                (None, Some(me)) => match envelope.data.get("mediator_id") {
                    Some(id) => id.as_str() == Some(me.as_str()),
                    None => mittler_contracts::subjects::subject_matches(
                        mittler_contracts::booking::EVENT_SUBJECTS[0],
                        &envelope.event_type,
                    ),
                },
                (None, None) => false,
            };
            relevant.then(|| Ok(SseEvent::default().event("changed").data("booking")))
        }
    });
    let stream = crate::auth::while_signed_in(&state, &user, stream);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
