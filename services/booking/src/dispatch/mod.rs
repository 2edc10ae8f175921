//! Dispatch: the right mediator gets the job fast, fairly, and never twice.
//!
//! On `booking.booking.requested` (and `rescheduled`) the dispatcher asks
//! availability for candidates, ranks them (`ranking`), records why (`explanation`),
//! and offers in waves: the mediator who served the client before and the best few
//! first (cascade), then everyone eligible (broadcast), then the coordinators
//! (escalation). On-demand calls ring every eligible mediator who is online at
//! once. Deadlines are rows in `booking.timers`, drained with `SKIP LOCKED`, so a
//! restart loses none. Accepting is the saga of the design: reserve the slot,
//! compare-and-set the booking to `assigned`, release the slot if that fails.
//!
//! Layout, by what a reader looks for:
//! - `plan`: the decisions, pure and tested without servers: who a wave asks, when
//!   offers expire, what follows a deadline, when the coordinators are told;
//! - `ranking`: the order of the candidates (pure);
//! - `waves`: carrying a dispatch out (candidates, a wave's offers, escalation);
//! - `timers`: deadlines and escalation points that fall due (where offers expire);
//! - `unfilled`: the end of a booking nobody takes (start passed, give-up) and the
//!   repeated alerts before it;
//! - `accept`: the accept saga, assignment by hand, give-back, reservation guards;
//! - `offers`: a mediator's offers, declining, the dispatch explanation;
//! - `consumer`: the booking events that start and stop a dispatch;
//! - `store`: the tables (offers, assignments, rounds, timers, guards);
//! - this module: the dispatcher and the tasks it runs.

mod accept;
mod consumer;
mod keep;
mod offers;
pub mod plan;
pub mod ranking;
pub mod store;
mod timers;
mod unfilled;
mod waves;

pub use offers::attach;
pub use plan::{deadline, effective};
pub use unfilled::start_passed_reason;

use crate::settings::{DispatchConfig, RecordsConfig};
use mittler_contracts::availability::ProfileChanged;
use mittler_contracts::booking::{
    AcceptOffer, AssignBooking, DeclineOffer, DispatchExplanation, GiveBack, GiveUp, MyOffers,
};
use mittler_contracts::{Envelope, Event, streams};
use mittler_platform::consumer::ConsumerSpec;
use mittler_platform::consumer::Decoded;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use sqlx::{PgConnection, PgPool};

/// The dispatcher and what it needs.
#[derive(Clone, Debug)]
pub struct Dispatcher {
    pool: PgPool,
    nats: async_nats::Client,
    config: DispatchConfig,
    records: RecordsConfig,
    timeout: std::time::Duration,
}

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), outbox::OutboxError> {
    outbox::enqueue(
        tx,
        Schema::BOOKING,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
}

impl Dispatcher {
    pub fn new(platform: &Platform) -> anyhow::Result<Self> {
        Ok(Self {
            pool: platform.pool.clone(),
            nats: platform.nats.client.clone(),
            config: platform.settings()?,
            records: platform.settings()?,
            timeout: platform.request_timeout(),
        })
    }

    /// The consumer, the timer worker and the offer requests, in `tasks`.
    pub fn spawn(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        let spec = ConsumerSpec {
            name: "booking-dispatch".into(),
            stream: &streams::BOOKING,
            // Lifecycle events and give-backs; the dispatcher's own offer events are not its input.
            filter_subject: None,
            schema: Schema::BOOKING,
            concurrency: None,
        };
        tasks.spawn(
            "dispatch-consumer",
            platform
                .consumer(spec, Decoded(consumer::DispatchHandler(self.clone())))
                .run(shutdown.clone()),
        );
        let spec = ConsumerSpec {
            name: "booking-dispatch-profiles".into(),
            stream: &streams::AVAILABILITY,
            filter_subject: Some(ProfileChanged::TYPE.into()),
            schema: Schema::BOOKING,
            concurrency: Some(1),
        };
        tasks.spawn(
            "dispatch-profiles-consumer",
            platform
                .consumer(spec, Decoded(consumer::ProfilesHandler))
                .run(shutdown.clone()),
        );
        tasks.spawn("dispatch-timers", self.clone().run_timers(shutdown.clone()));
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            64,
            [
                (MyOffers, my_offers),
                (AcceptOffer, accept),
                (DeclineOffer, decline),
                (DispatchExplanation, explanation),
                (AssignBooking, assign),
                (GiveBack, give_back),
                (GiveUp, give_up),
            ]
        );
    }
}
