//! The notifications service's behaviour on its own, fed the booking stream's
//! events directly: the directory (the gateway) and availability answer its
//! questions, a real SMTP server receives the mail. A confirmation carries the
//! calendar entry to requester and mediator and the client's invitation; a
//! redelivered event sends nothing twice; a cancellation takes the entry back.

use mittler_contracts::booking::{BookingAssigned, BookingCancelled, BookingRequested, ClientInfo};
use mittler_contracts::examples::booking_details;
use mittler_contracts::{Envelope, Event};
use mittler_gateway::seed::demo_mediators;
use mittler_testkit::{ReceivedMail, TestApp, TestEnv, TestSmtp, eventually};
use mittler_types::{BookingId, BookingState, LanguageTag, OrganisationId, UserId};
use serde::Serialize;
use std::time::Duration;

const REQUESTER: &str = "team@jobcenter-chemnitz.example";
const CLIENT: &str = "klient.a17@example.org";

/// Publish `event` on its stream, as the booking service's outbox relay does.
async fn publish<E: Event + Serialize>(js: &async_nats::jetstream::Context, event: &Envelope<E>) {
    js.publish(
        event.subject(),
        serde_json::to_vec(event).expect("json").into(),
    )
    .await
    .expect("published")
    .await
    .expect("stored");
}

async fn mails_settle(smtp: &TestSmtp, count: usize) -> Vec<ReceivedMail> {
    eventually(Duration::from_secs(60), "mails", || async {
        let mails = smtp.mails().await.ok()?;
        (mails.len() >= count).then_some(mails)
    })
    .await
}

#[tokio::test]
async fn a_confirmation_brings_the_calendar_entry_once_and_a_cancellation_takes_it_back() {
    let env = TestEnv::start().await;
    let smtp = TestSmtp::start().await.expect("mail sink");
    // The directory's people and the mediators' profiles.
    mittler_gateway::seed::seed(&env.db.pool)
        .await
        .expect("demo accounts");
    let mediators: Vec<mittler_availability::seed::DemoMediator> = demo_mediators()
        .map(|(id, m, email)| mittler_availability::seed::DemoMediator {
            id,
            name: m.name.to_owned(),
            email,
            languages: m.languages.iter().map(|l| (*l).to_owned()).collect(),
            female: m.female,
            pool: mittler_gateway::seed::demo_pool(),
        })
        .collect();
    mittler_availability::seed::seed(&env.db.pool, &mediators)
        .await
        .expect("demo profiles");
    let (requester, organisation): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("SELECT id, organisation_id FROM directory.users WHERE email = $1")
            .bind(REQUESTER)
            .fetch_one(&env.db.pool)
            .await
            .expect("requester");
    let (mediator, _, mediator_email) = demo_mediators().next().expect("a demo mediator");

    let mut config = env.config();
    smtp.configure(&mut config);
    let gateway = TestApp::spawn(config.clone(), mittler_gateway::run_on).await;
    let availability = TestApp::spawn(config.clone(), mittler_availability::run_on).await;
    let notifications = TestApp::spawn(config, mittler_notifications::run_on).await;
    let js = async_nats::jetstream::new(env.nats.client().await);

    let booking = BookingId::new();
    let organisation = OrganisationId(organisation);
    let mut details = booking_details();
    details.client = Some(ClientInfo {
        reference: "A-17".into(),
        email: Some(CLIENT.into()),
        language: Some(LanguageTag::parse("uk").expect("tag")),
    });
    let meta = mittler_platform::outbox::root_meta;
    publish(
        &js,
        &Envelope::new(
            BookingRequested {
                booking_id: booking,
                organisation_id: organisation,
                requested_by: UserId(requester),
                details,
            },
            meta(),
        ),
    )
    .await;
    let assigned = Envelope::new(
        BookingAssigned {
            booking_id: booking,
            organisation_id: organisation,
            mediator_id: mediator,
            assigned_by: None,
        },
        meta(),
    );
    publish(&js, &assigned).await;
    // The same event again, as a redelivery would bring it.
    publish(&js, &assigned).await;

    let mails = mails_settle(&smtp, 3).await;
    let mut confirmed: Vec<(&str, Option<&str>)> = mails
        .iter()
        .map(|m| (m.to.as_str(), m.calendar.as_deref()))
        .collect();
    confirmed.sort();
    let mut expected = vec![
        (CLIENT, None),
        (mediator_email.as_str(), Some("REQUEST")),
        (REQUESTER, Some("REQUEST")),
    ];
    expected.sort();
    assert_eq!(confirmed, expected, "{mails:#?}");

    publish(
        &js,
        &Envelope::new(
            BookingCancelled {
                booking_id: booking,
                organisation_id: organisation,
                cancelled_by: UserId(requester),
                previous_state: BookingState::Assigned,
                reason: "Termin entfällt".into(),
                notice_minutes: Some(1440),
            },
            meta(),
        ),
    )
    .await;
    let mails = mails_settle(&smtp, 6).await;
    let cancels: Vec<&ReceivedMail> = mails[3..].iter().collect();
    assert_eq!(
        cancels
            .iter()
            .filter(|m| m.calendar.as_deref() == Some("CANCEL"))
            .count(),
        2,
        "{mails:#?}"
    );
    assert!(cancels.iter().any(|m| m.to == CLIENT), "{mails:#?}");

    // Nothing more arrives for two seconds: the redelivered confirmation sent
    // nothing twice.
    let quiet_until = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < quiet_until {
        assert_eq!(smtp.mails().await.expect("mails").len(), 6);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    notifications.stop().await.expect("clean stop");
    availability.stop().await.expect("clean stop");
    gateway.stop().await.expect("clean stop");
}
