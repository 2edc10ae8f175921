//! The notifications service's behaviour on its own, fed the booking stream's
//! events directly: the directory (the gateway) and availability answer its
//! questions, a real SMTP server receives the mail. A confirmation carries the
//! calendar entry to requester and mediator and the client's invitation; a
//! redelivered event sends nothing twice; a cancellation takes the entry back; the
//! client is reminded the day before and told of a new time in their language and
//! Leichte Sprache, while the requester's calendar entry moves; a requester hears
//! that the request arrived; changed details reach requester and mediator, and a
//! client address given later gets the invitation; an offer that needs nothing more
//! closes in the feed.

use mittler_contracts::booking::{
    BookingAssigned, BookingCancelled, BookingRequested, BookingRescheduled, ClientInfo,
};
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

/// Who got which of `mails`, with the calendar method each carried, sorted.
fn told(mails: &[ReceivedMail]) -> Vec<(&str, Option<&str>)> {
    let mut told: Vec<_> = mails
        .iter()
        .map(|m| (m.to.as_str(), m.calendar.as_deref()))
        .collect();
    told.sort();
    told
}

async fn mails_settle(smtp: &TestSmtp, count: usize) -> Vec<ReceivedMail> {
    eventually(
        Duration::from_secs(60),
        &format!("{count} mails"),
        || async {
            let mails = smtp.mails().await.ok()?;
            (mails.len() >= count).then_some(mails)
        },
    )
    .await
}

/// The directory (the gateway), availability and notifications on the test's NATS,
/// database and a real mail sink, with the demo people.
struct Given {
    /// Its NATS server and database live as long as the test.
    _env: TestEnv,
    smtp: TestSmtp,
    js: async_nats::jetstream::Context,
    requester: UserId,
    organisation: OrganisationId,
    mediator: mittler_types::MediatorId,
    mediator_email: String,
    apps: Vec<TestApp>,
}

impl Given {
    async fn start(reminder_minutes: Option<Vec<i64>>) -> Self {
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
        if let Some(leads) = reminder_minutes {
            config.update(
                |s: &mut mittler_notifications::settings::NotificationsConfig| {
                    s.reminder_minutes = leads;
                    s.poll_ms = 100;
                },
            );
        }
        let apps = vec![
            TestApp::spawn(config.clone(), mittler_gateway::run_on).await,
            TestApp::spawn(config.clone(), mittler_availability::run_on).await,
            TestApp::spawn(config, mittler_notifications::run_on).await,
        ];
        let js = async_nats::jetstream::new(env.nats.client().await);
        Self {
            _env: env,
            smtp,
            js,
            requester: UserId(requester),
            organisation: OrganisationId(organisation),
            mediator,
            mediator_email,
            apps,
        }
    }

    async fn stop(self) {
        for app in self.apps.into_iter().rev() {
            app.stop().await.expect("clean stop");
        }
    }
}

#[tokio::test]
async fn a_confirmation_brings_the_calendar_entry_once_and_a_cancellation_takes_it_back() {
    let given = Given::start(None).await;
    let (js, smtp) = (&given.js, &given.smtp);
    let (requester, organisation) = (given.requester.as_uuid(), given.organisation.as_uuid());
    let (mediator, mediator_email) = (given.mediator, given.mediator_email.clone());
    let booking = BookingId::new();
    let organisation = OrganisationId(organisation);
    let mut details = booking_details();
    details.client = Some(ClientInfo {
        reference: "A-17".into(),
        email: Some(CLIENT.into()),
        language: Some(LanguageTag::parse("uk").expect("tag")),
    });
    let meta = mittler_platform::outbox::root_meta;
    let mut amended_details = details.clone();
    publish(
        js,
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
    // The requester learns the request arrived (nobody else hears of it yet).
    let received = mails_settle(smtp, 1).await;
    assert_eq!(received[0].to, REQUESTER);
    assert!(
        received[0].subject.starts_with("Eingegangen: "),
        "{received:#?}"
    );
    assert!(received[0].calendar.is_none());
    let assigned = Envelope::new(
        BookingAssigned {
            booking_id: booking,
            organisation_id: organisation,
            mediator_id: mediator,
            assigned_by: None,
        },
        meta(),
    );
    publish(js, &assigned).await;
    // The same event again, as a redelivery would bring it.
    publish(js, &assigned).await;

    let mails = mails_settle(smtp, 4).await;
    let mut confirmed: Vec<(&str, Option<&str>)> = mails[1..]
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

    // New notes while the mediator holds it: both calendar entries follow, the
    // mediator reads the notes.
    amended_details.notes = Some("Neuer Eingang: Hof, Tür B.".into());
    publish(
        js,
        &Envelope::new(
            mittler_contracts::booking::BookingAmended {
                booking_id: booking,
                organisation_id: organisation,
                amended_by: UserId(requester),
                state: BookingState::Assigned,
                changed: vec!["notes".into()],
                details: amended_details,
            },
            meta(),
        ),
    )
    .await;
    let mails = mails_settle(smtp, 6).await;
    let mut changed: Vec<(&str, Option<&str>)> = mails[4..]
        .iter()
        .map(|m| (m.to.as_str(), m.calendar.as_deref()))
        .collect();
    changed.sort();
    let mut both = vec![
        (mediator_email.as_str(), Some("REQUEST")),
        (REQUESTER, Some("REQUEST")),
    ];
    both.sort();
    assert_eq!(changed, both, "{mails:#?}");
    let to_mediator = mails[4..]
        .iter()
        .find(|m| m.to == mediator_email)
        .expect("the mediator's");
    assert!(
        to_mediator.subject.starts_with("Geändert: "),
        "{}",
        to_mediator.subject
    );
    assert!(
        to_mediator.text.contains("Neuer Eingang: Hof, Tür B."),
        "{}",
        to_mediator.text
    );

    publish(
        js,
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
    let mails = mails_settle(smtp, 9).await;
    let cancels: Vec<&ReceivedMail> = mails[6..].iter().collect();
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
        assert_eq!(smtp.mails().await.expect("mails").len(), 9);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    given.stop().await;
}

#[tokio::test]
async fn the_client_is_reminded_the_day_before_and_told_of_a_new_time_and_a_give_back() {
    // The day-before reminder falls due a few seconds after the assignment.
    let given = Given::start(Some(vec![1440])).await;
    let (js, smtp) = (&given.js, &given.smtp);
    let booking = BookingId::new();
    let mut details = booking_details();
    details.start =
        chrono::Utc::now() + chrono::Duration::minutes(1440) + chrono::Duration::seconds(4);
    details.end = details.start + chrono::Duration::minutes(60);
    details.client = Some(ClientInfo {
        reference: "A-18".into(),
        email: Some(CLIENT.into()),
        language: Some(LanguageTag::parse("uk").expect("tag")),
    });
    let meta = mittler_platform::outbox::root_meta;
    publish(
        js,
        &Envelope::new(
            BookingRequested {
                booking_id: booking,
                organisation_id: given.organisation,
                requested_by: given.requester,
                details: details.clone(),
            },
            meta(),
        ),
    )
    .await;
    // The requester's word that the request arrived, before anything else.
    mails_settle(smtp, 1).await;
    publish(
        js,
        &Envelope::new(
            BookingAssigned {
                booking_id: booking,
                organisation_id: given.organisation,
                mediator_id: given.mediator,
                assigned_by: None,
            },
            meta(),
        ),
    )
    .await;
    // Three confirmations, then three reminders.
    let mails = mails_settle(smtp, 7).await;
    let to_client: Vec<&ReceivedMail> = mails.iter().filter(|m| m.to == CLIENT).collect();
    assert_eq!(to_client.len(), 2, "{mails:#?}");
    let reminder = to_client[1];
    assert_eq!(
        reminder.subject,
        "Нагадування: ваша зустріч завтра / Erinnerung: Ihr Termin ist morgen"
    );
    assert!(reminder.text.contains("Morgen haben Sie einen Termin"));

    // A new time, three days later.
    let mut moved = details.clone();
    moved.start = details.start + chrono::Duration::days(3);
    moved.end = moved.start + chrono::Duration::minutes(60);
    publish(
        js,
        &Envelope::new(
            BookingRescheduled {
                booking_id: booking,
                organisation_id: given.organisation,
                rescheduled_by: given.requester,
                previous_state: BookingState::Assigned,
                previous_start: details.start,
                kept: None,
                details: moved,
            },
            meta(),
        ),
    )
    .await;
    let mails = mails_settle(smtp, 10).await;
    let got = told(&mails[7..]);
    let mut expected = vec![
        (CLIENT, None),
        (given.mediator_email.as_str(), Some("CANCEL")),
        (REQUESTER, Some("REQUEST")),
    ];
    expected.sort();
    assert_eq!(got, expected, "{mails:#?}");
    let client = mails[7..].iter().find(|m| m.to == CLIENT).expect("client");
    assert!(
        client.subject.ends_with("Ihr Termin hat eine neue Zeit"),
        "{}",
        client.subject
    );

    // Taken again, then given back: the appointment stays for the client.
    publish(
        js,
        &Envelope::new(
            BookingAssigned {
                booking_id: booking,
                organisation_id: given.organisation,
                mediator_id: given.mediator,
                assigned_by: None,
            },
            meta(),
        ),
    )
    .await;
    mails_settle(smtp, 13).await;

    // Moved once more, to a time the mediator is free: the job stays theirs, and
    // both calendar entries move (no cancellation).
    let mut later = details.clone();
    later.start = details.start + chrono::Duration::days(4);
    later.end = later.start + chrono::Duration::minutes(60);
    publish(
        js,
        &Envelope::new(
            BookingRescheduled {
                booking_id: booking,
                organisation_id: given.organisation,
                rescheduled_by: given.requester,
                previous_state: BookingState::Assigned,
                previous_start: details.start + chrono::Duration::days(3),
                kept: Some(given.mediator),
                details: later,
            },
            meta(),
        ),
    )
    .await;
    let mails = mails_settle(smtp, 16).await;
    let got = told(&mails[13..]);
    let mut kept = vec![
        (CLIENT, None),
        (given.mediator_email.as_str(), Some("REQUEST")),
        (REQUESTER, Some("REQUEST")),
    ];
    kept.sort();
    assert_eq!(got, kept, "{mails:#?}");
    let to_mediator = mails[13..]
        .iter()
        .find(|m| m.to == given.mediator_email)
        .expect("mediator");
    assert!(
        to_mediator.text.contains("Der Einsatz bleibt bei Ihnen."),
        "{}",
        to_mediator.text
    );

    publish(
        js,
        &Envelope::new(
            mittler_contracts::booking::AssignmentReturned {
                booking_id: booking,
                organisation_id: given.organisation,
                mediator_id: given.mediator,
                reason: "krank".into(),
                by: None,
            },
            meta(),
        ),
    )
    .await;
    let mails = mails_settle(smtp, 19).await;
    let got = told(&mails[16..]);
    assert_eq!(got, expected, "{mails:#?}");
    let client = mails[16..].iter().find(|m| m.to == CLIENT).expect("client");
    assert!(
        client
            .subject
            .ends_with("Ihr Termin bleibt: neue Sprach-Mittlung"),
        "{}",
        client.subject
    );
    assert!(client.text.contains("Ihr alter Link gilt nicht mehr."));
    given.stop().await;
}

/// An offer that needs nothing more closes its feed item: read, with why, once, and
/// open pages hear of it.
#[tokio::test]
async fn an_offer_taken_by_someone_else_or_expired_is_closed_in_the_feed() {
    use mittler_contracts::booking::{OfferExpired, OfferMade, OfferWithdrawn, Withdrawal};
    use mittler_contracts::notification::FeedItemClosed;
    use mittler_types::OfferId;
    let given = Given::start(None).await;
    let js = &given.js;
    let db = &given._env.db.pool;
    let meta = mittler_platform::outbox::root_meta;
    let booking = BookingId::new();
    publish(
        js,
        &Envelope::new(
            BookingRequested {
                booking_id: booking,
                organisation_id: given.organisation,
                requested_by: given.requester,
                details: booking_details(),
            },
            meta(),
        ),
    )
    .await;
    let (taken, expired) = (OfferId::new(), OfferId::new());
    for offer in [taken, expired] {
        publish(
            js,
            &Envelope::new(
                OfferMade {
                    offer_id: offer,
                    booking_id: booking,
                    organisation_id: given.organisation,
                    mediator_id: given.mediator,
                    wave: 1,
                    expires_at: chrono::Utc::now() + chrono::Duration::minutes(30),
                },
                meta(),
            ),
        )
        .await;
    }
    let open = || async {
        sqlx::query_as::<_, (String, Option<String>, bool)>(
            "SELECT link, closed, read_at IS NOT NULL FROM notifications.feed \
             WHERE kind = 'offer' ORDER BY link",
        )
        .fetch_all(db)
        .await
        .expect("feed")
    };
    let items = eventually(
        Duration::from_secs(30),
        "two offers in the feed",
        || async {
            let items = open().await;
            (items.len() == 2).then_some(items)
        },
    )
    .await;
    assert!(
        items
            .iter()
            .all(|(_, closed, read)| closed.is_none() && !read),
        "{items:?}"
    );

    let nats = given._env.nats.client().await;
    let mut closed_events = nats
        .subscribe(FeedItemClosed::TYPE)
        .await
        .expect("subscribe");
    let withdrawn = Envelope::new(
        OfferWithdrawn {
            offer_id: taken,
            booking_id: booking,
            organisation_id: given.organisation,
            mediator_id: given.mediator,
            reason: "another mediator took the booking".into(),
            because: Some(Withdrawal::Taken),
        },
        meta(),
    );
    publish(js, &withdrawn).await;
    // A redelivery closes nothing twice.
    publish(js, &withdrawn).await;
    publish(
        js,
        &Envelope::new(
            OfferExpired {
                offer_id: expired,
                booking_id: booking,
                organisation_id: given.organisation,
                mediator_id: given.mediator,
            },
            meta(),
        ),
    )
    .await;
    let items = eventually(Duration::from_secs(30), "both offers closed", || async {
        let items = open().await;
        items
            .iter()
            .all(|(_, closed, _)| closed.is_some())
            .then_some(items)
    })
    .await;
    let why = |offer: OfferId| {
        items
            .iter()
            .find(|(link, _, _)| link.ends_with(&format!("/offers/{offer}")))
            .map(|(_, closed, read)| (closed.clone(), *read))
    };
    assert_eq!(why(taken), Some((Some("taken".into()), true)));
    assert_eq!(why(expired), Some((Some("expired".into()), true)));

    // Open pages hear of each closing once, for the mediator's account.
    let mediator_user: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM directory.users WHERE mediator_id = $1")
            .bind(given.mediator.as_uuid())
            .fetch_one(db)
            .await
            .expect("the mediator's account");
    let mut heard = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout(
        Duration::from_secs(3),
        futures::StreamExt::next(&mut closed_events),
    )
    .await
    {
        let event: Envelope<FeedItemClosed> =
            serde_json::from_slice(&message.payload).expect("event");
        assert_eq!(event.data.user_id.as_uuid(), mediator_user);
        heard.push(event.data.item.closed.expect("why"));
    }
    heard.sort();
    assert_eq!(heard, ["expired", "taken"]);
    given.stop().await;
}

/// A client address given after the confirmation: the client's invitation goes
/// there then, once.
#[tokio::test]
async fn a_client_address_given_later_gets_the_invitation() {
    let given = Given::start(None).await;
    let (js, smtp) = (&given.js, &given.smtp);
    let meta = mittler_platform::outbox::root_meta;
    let booking = BookingId::new();
    let details = booking_details();
    assert!(
        details
            .client
            .as_ref()
            .and_then(|c| c.email.as_ref())
            .is_none()
    );
    publish(
        js,
        &Envelope::new(
            BookingRequested {
                booking_id: booking,
                organisation_id: given.organisation,
                requested_by: given.requester,
                details: details.clone(),
            },
            meta(),
        ),
    )
    .await;
    mails_settle(smtp, 1).await;
    publish(
        js,
        &Envelope::new(
            BookingAssigned {
                booking_id: booking,
                organisation_id: given.organisation,
                mediator_id: given.mediator,
                assigned_by: None,
            },
            meta(),
        ),
    )
    .await;
    mails_settle(smtp, 3).await;
    let mut with_client = details;
    with_client.client = Some(ClientInfo {
        reference: "A-19".into(),
        email: Some(CLIENT.into()),
        language: Some(LanguageTag::parse("uk").expect("tag")),
    });
    let amended = Envelope::new(
        mittler_contracts::booking::BookingAmended {
            booking_id: booking,
            organisation_id: given.organisation,
            amended_by: given.requester,
            state: BookingState::Assigned,
            changed: vec!["client".into()],
            details: with_client,
        },
        meta(),
    );
    publish(js, &amended).await;
    publish(js, &amended).await;
    let mails = mails_settle(smtp, 6).await;
    let to_client: Vec<&ReceivedMail> = mails.iter().filter(|m| m.to == CLIENT).collect();
    assert_eq!(to_client.len(), 1, "{mails:#?}");
    assert_eq!(
        to_client[0].subject,
        "Ваша зустріч з перекладачем / Ihr Termin mit Sprach-Mittlung"
    );
    // Nothing more arrives for two seconds: the redelivery sent nothing twice.
    let quiet_until = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < quiet_until {
        assert_eq!(smtp.mails().await.expect("mails").len(), 6);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    given.stop().await;
}
