//! Notifications through the whole system against a real SMTP server: a booking's
//! offers, confirmations with calendar invitations, the client's invitation,
//! reminders and the cancellation arrive exactly once each, also when the
//! notifications service is killed and restarted mid-stream; the in-app feed and
//! its live stream; failed deliveries reach the coordinators' log.

use crate::common::*;
use mittler_booking::settings::DispatchConfig;
use mittler_notifications::settings::NotificationsConfig;
use mittler_sessions::settings::SessionsConfig;

use chrono::{TimeZone as _, Timelike, Utc};
use mittler_platform::{CancellationToken, Config, Platform, Tasks};
use mittler_testkit::{TestApp, TestEnv, TestSmtp, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration as StdDuration;

const CLIENT: &str = "klient.bg4711@example.org";

/// Everything but notifications, in one process of its own.
async fn core(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let platform = Platform::connect(config, "core").await?;
    let mut tasks = Tasks::new();
    tasks.spawn(
        "gateway",
        mittler_gateway::run_with(platform.clone(), listener, shutdown.clone()),
    );
    tasks.spawn(
        "booking",
        mittler_booking::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.spawn(
        "availability",
        mittler_availability::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.spawn(
        "sessions",
        mittler_sessions::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.join(shutdown, platform.grace()).await
}

async fn mails_settle(
    smtp: &TestSmtp,
    count: usize,
    what: &str,
) -> Vec<mittler_testkit::ReceivedMail> {
    eventually(StdDuration::from_secs(90), what, || async {
        let mails = smtp.mails().await.ok()?;
        (mails.len() >= count).then_some(mails)
    })
    .await
}

fn ics_of(smtp: &TestSmtp, n: u32) -> Value {
    let path = smtp.dir().join(format!("{n}.eml"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/lib/check_ics.py");
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test]
async fn a_booking_sends_each_mail_exactly_once_through_crashes_and_a_cancel_sends_no_reminder() {
    let env = TestEnv::start().await;
    let smtp = TestSmtp::start().await.expect("mail sink");
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");

    // 10:00:SS Berlin time, where SS puts the start 25 s past a whole minute from
    // now: a reminder `lead` minutes before falls due in about 25 s.
    let now = Utc::now();
    let seconds = (now.second() + 25) % 60;
    let day = working_day();
    let local = day.and_hms_opt(10, 0, seconds).expect("time");
    let start = chrono_tz::Europe::Berlin
        .from_local_datetime(&local)
        .single()
        .expect("10:00 exists")
        .with_timezone(&Utc);
    let lead = (start - now).num_seconds() / 60;
    let mut config = env.config();
    smtp.configure(&mut config);
    config.update(|s: &mut NotificationsConfig| s.reminder_minutes = vec![lead, lead - 3]);
    config.update(|s: &mut NotificationsConfig| s.public_url = "https://mittler.example".into());
    config.update(|s: &mut SessionsConfig| s.public_url = "https://mittler.example".into());
    config.update(|s: &mut DispatchConfig| s.escalate_before_start_secs = 3600);

    let core_app = TestApp::spawn(config.clone(), core).await;
    let mut notifications = TestApp::spawn(config.clone(), mittler_notifications::run_on).await;
    let api = Client::new(core_app.url(""));
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&requester),
            Some(json!({
                "language": "uk",
                "modality": "video",
                "local_start": local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "duration_minutes": 60,
                "subject_area": "social_benefits",
                "min_qualification": "trained",
                "client": {"reference": "BG-4711", "email": CLIENT, "language": "uk"}
            })),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let offers: Vec<Value> = eventually(StdDuration::from_secs(20), "offers", || async {
        let (_, b) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}"),
                Some(&requester),
                None,
            )
            .await;
        let offers = b["offers"].as_array().cloned().unwrap_or_default();
        (!offers.is_empty()).then_some(offers)
    })
    .await;
    let offered: Vec<String> = offers
        .iter()
        .map(|o| email_of(o["mediator_id"].as_str().expect("mediator")))
        .collect();
    // An offer mail per mediator, and the requester's word that the request arrived.
    let opening = offered.len() + 1;
    let mails = mails_settle(&smtp, opening, "an offer mail per mediator").await;
    let mut to: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    to.sort();
    let mut expected = offered.clone();
    expected.push(REQUESTER.to_owned());
    expected.sort();
    assert_eq!(to, expected);
    assert!(
        mails.iter().all(|m| {
            let opening = if m.to == REQUESTER {
                "Eingegangen: Ukrainisch"
            } else {
                "Anfrage: Ukrainisch"
            };
            m.subject.starts_with(opening)
        }),
        "{mails:#?}"
    );

    // Crash notifications once the offers are on record as sent (a crash between the
    // server's acceptance and that record sends a mail again, with the same
    // Message-ID: decision 0009), and take the mail server away; the mediator accepts
    // meanwhile.
    eventually(
        StdDuration::from_secs(10),
        "offers recorded sent",
        || async {
            let sent: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM notifications.messages WHERE state = 'sent'",
            )
            .fetch_one(&env.db.pool)
            .await
            .ok()?;
            (sent >= opening as i64).then_some(())
        },
    )
    .await;
    notifications.kill().await;
    let mut smtp = smtp;
    smtp.stop();
    let winner = offered[0].clone();
    let mediator = api.login(&winner).await;
    let (status, assigned) = api
        .call(
            Method::POST,
            &format!(
                "/api/v1/offers/{}/accept",
                offers[0]["id"].as_str().expect("offer")
            ),
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    // Back: the confirmations are queued and fail against the absent server; crashed
    // again mid-stream, then everything comes back.
    notifications = TestApp::spawn(config.clone(), mittler_notifications::run_on).await;
    eventually(
        StdDuration::from_secs(30),
        "failed tries on record",
        || async {
            let failed: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM notifications.messages WHERE state = 'failed'",
            )
            .fetch_one(&env.db.pool)
            .await
            .ok()?;
            (failed >= 3).then_some(())
        },
    )
    .await;
    notifications.kill().await;
    smtp.resume().await.expect("mail sink back");
    notifications = TestApp::spawn(config.clone(), mittler_notifications::run_on).await;

    // Two confirmations, the client's invitation, two reminders, and the video
    // room's three join links (requester, mediator, client).
    // Wait for each kind, not for a count: under load a reminder may come after a
    // mail of another kind, and a count would settle without it.
    let mails = eventually(
        StdDuration::from_secs(90),
        "confirmations, the invitation, reminders, links",
        || async {
            let mails = smtp.mails().await.ok()?;
            let kind = |prefix: &str| {
                mails
                    .iter()
                    .filter(|m| m.subject.starts_with(prefix))
                    .count()
            };
            let links = mails
                .iter()
                .filter(|m| m.subject.contains("Videolink") || m.subject.contains("Video-Termin"))
                .count();
            (mails.len() >= opening + 8
                && kind("Bestätigt") >= 2
                && kind("Erinnerung") >= 2
                && links >= 3)
                .then_some(mails)
        },
    )
    .await;
    let after_offers = &mails[opening..];
    let confirmations: Vec<_> = after_offers
        .iter()
        .filter(|m| m.subject.starts_with("Bestätigt"))
        .collect();
    assert_eq!(confirmations.len(), 2, "{after_offers:#?}");
    let recipients: HashSet<&str> = confirmations.iter().map(|m| m.to.as_str()).collect();
    assert!(recipients.contains(winner.as_str()));
    assert!(recipients.contains(REQUESTER));
    for confirmation in &confirmations {
        assert_eq!(confirmation.calendar.as_deref(), Some("REQUEST"));
        assert_eq!(confirmation.booking, id);
        let ics = ics_of(&smtp, confirmation.n);
        assert_eq!(ics["method"], "REQUEST");
        assert_eq!(ics["sequence"], 1);
        assert_eq!(ics["uid"], format!("{id}@mittler"));
        assert_eq!(
            ics["start_berlin"],
            start
                .with_timezone(&chrono_tz::Europe::Berlin)
                .format("%Y-%m-%dT%H:%M:%S%z")
                .to_string()
        );
    }
    let invitation: Vec<_> = after_offers
        .iter()
        .filter(|m| m.to == CLIENT && m.subject.contains("перекладачем"))
        .collect();
    assert_eq!(invitation.len(), 1);
    assert_eq!(
        invitation[0].subject,
        "Ваша зустріч з перекладачем / Ihr Termin mit Sprach-Mittlung"
    );
    let reminders: Vec<_> = after_offers
        .iter()
        .filter(|m| m.subject.starts_with("Erinnerung"))
        .collect();
    assert_eq!(
        reminders.len(),
        2,
        "to the requester and the mediator: {after_offers:#?}"
    );

    // The requester watches the live feed while cancelling.
    let mut live = api
        .http
        .get(format!("{}/api/v1/notifications/events", api.base))
        .bearer_auth(&requester)
        .send()
        .await
        .expect("sse");
    assert_eq!(live.status(), 200);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&requester),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, 200);
    let event = tokio::time::timeout(StdDuration::from_secs(20), async {
        let mut seen = String::new();
        while let Some(chunk) = live.chunk().await.expect("stream") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: notification") && seen.contains("Abgesagt") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("a live notification");
    assert!(event.contains("\"kind\":\"cancelled\""), "{event}");

    let links: Vec<_> = after_offers
        .iter()
        .filter(|m| m.subject.contains("Videolink") || m.subject.contains("Video-Termin"))
        .collect();
    assert_eq!(links.len(), 3, "{after_offers:#?}");
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT text_body FROM notifications.messages WHERE kind IN ('session', 'client_session')",
    )
    .fetch_all(&env.db.pool)
    .await
    .expect("messages");
    assert_eq!(bodies.len(), 3);
    let mut urls: Vec<&str> = bodies
        .iter()
        .filter_map(|b| {
            b.lines()
                .find(|l| l.starts_with("https://mittler.example/room/"))
        })
        .collect();
    urls.dedup();
    assert_eq!(urls.len(), 3, "a personal join link each: {bodies:#?}");
    // The two calendar cancellations and the client's notice, wherever they fall
    // among the mails (a delivery retried after the crashes may come later).
    let total = opening + 8 + 3;
    let is_cancel = |m: &&mittler_testkit::ReceivedMail| {
        m.calendar.as_deref() == Some("CANCEL")
            || (m.to == CLIENT && m.subject.contains("Ihr Termin fällt aus"))
    };
    let mails = eventually(StdDuration::from_secs(90), "cancellations", || async {
        let mails = smtp.mails().await.ok()?;
        (mails.len() >= total && mails.iter().filter(is_cancel).count() >= 3).then_some(mails)
    })
    .await;
    let cancels: Vec<_> = mails.iter().filter(is_cancel).collect();
    assert_eq!(
        cancels
            .iter()
            .filter(|m| m.calendar.as_deref() == Some("CANCEL"))
            .count(),
        2,
        "{mails:#?}"
    );
    for cancel in cancels.iter().filter(|m| m.calendar.is_some()) {
        let ics = ics_of(&smtp, cancel.n);
        assert_eq!(ics["method"], "CANCEL");
        assert_eq!(ics["uid"], format!("{id}@mittler"));
        assert_eq!(ics["sequence"], 2, "higher than the request's");
    }
    assert!(
        cancels
            .iter()
            .any(|m| m.to == CLIENT && m.subject.contains("Ihr Termin fällt aus")),
        "{mails:#?}"
    );

    // Nothing more comes for two seconds: the later reminder was cancelled with the
    // booking.
    let quiet_until = std::time::Instant::now() + StdDuration::from_secs(2);
    while std::time::Instant::now() < quiet_until {
        let count = smtp.mails().await.expect("mails").len();
        assert_eq!(count, total, "nothing after the cancellation");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let mails = smtp.mails().await.expect("mails");
    assert_eq!(mails.len(), total, "{mails:#?}");
    let ids: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), total, "every mail once");
    let reminders: Vec<(i32, Option<String>)> = sqlx::query_as(
        "SELECT lead_minutes, outcome FROM notifications.reminders ORDER BY lead_minutes",
    )
    .fetch_all(&env.db.pool)
    .await
    .expect("reminders");
    assert_eq!(
        reminders,
        [
            ((lead - 3) as i32, Some("cancelled".to_owned())),
            (lead as i32, Some("sent".to_owned()))
        ]
    );

    // The feed: the mediator's offer, confirmation, reminder and cancellation.
    let (status, feed) = api
        .call(Method::GET, "/api/v1/notifications", Some(&mediator), None)
        .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    // Newest first; the room's link and the confirmation come from two streams, in
    // either order.
    assert_eq!(kinds.first(), Some(&"cancelled"));
    assert_eq!(kinds.last(), Some(&"offer"));
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["cancelled", "confirmed", "offer", "reminder", "session"]
    );
    // The offer was answered: it is read, and says so.
    let offer = feed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["kind"] == "offer"))
        .expect("the offer");
    assert_eq!(offer["closed"], "accepted", "{offer}");
    assert!(offer["read_at"].is_string(), "{offer}");
    assert_eq!(feed["unread"], 4);
    let first = feed["items"][0]["id"].as_str().expect("id").to_owned();
    let (status, marked) = api
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(
        (status, marked["marked"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (_, unread) = api
        .call(
            Method::GET,
            "/api/v1/notifications?unread=true",
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(unread["unread"], 3);
    assert_eq!(unread["items"].as_array().map(Vec::len), Some(3));
    // Someone else's item is not mine to mark.
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, log) = api
        .call(
            Method::GET,
            "/api/v1/deliveries?state=sent",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(log.as_array().map(Vec::len), Some(total));
    notifications.stop().await.expect("clean stop");
    core_app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_mail_that_cannot_be_delivered_is_retried_then_shown_to_coordinators() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    // Nobody listens on the configured SMTP port.
    config.update(|s: &mut NotificationsConfig| s.max_attempts = 2);
    config.update(|s: &mut NotificationsConfig| s.retry_base_secs = 1);
    let app = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&requester),
            Some(json!({
                "language": "uk",
                "modality": "video",
                "local_start": format!("{}T10:00", working_day()),
                "duration_minutes": 60,
            })),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let dead: Vec<Value> = eventually(StdDuration::from_secs(30), "given up", || async {
        let (status, log) = api
            .call(
                Method::GET,
                "/api/v1/deliveries?state=dead",
                Some(&coordinator),
                None,
            )
            .await;
        // The offers (the requester's word of the request may give up first).
        let log: Vec<Value> = log
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| d["kind"] == "offer")
            .collect();
        (status == 200 && !log.is_empty()).then_some(log)
    })
    .await;
    assert_eq!(dead[0]["attempts"], 2);
    assert_eq!(dead[0]["kind"], "offer");
    assert!(
        dead[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    let attempts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications.delivery_log WHERE message_id = $1")
            .bind(
                dead[0]["id"]
                    .as_str()
                    .expect("id")
                    .parse::<uuid::Uuid>()
                    .expect("uuid"),
            )
            .fetch_one(&env.db.pool)
            .await
            .expect("log");
    assert_eq!(attempts, 2, "every try is logged");
    eventually(StdDuration::from_secs(10), "the failure event", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications.outbox WHERE subject = 'notification.delivery.failed'",
        )
        .fetch_one(&env.db.pool)
        .await
        .ok()?;
        (n >= 1).then_some(())
    })
    .await;
    let (status, _) = api
        .call(
            Method::GET,
            "/api/v1/deliveries?state=bogus",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call(Method::GET, "/api/v1/deliveries", Some(&requester), None)
        .await;
    assert_eq!(status, 403);
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn mediators_who_want_no_mail_get_offers_in_the_feed_only() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let app = TestApp::spawn(env.config(), mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    // Every Ukrainian speaker keeps offers to the feed.
    let (_, profiles) = api
        .call(Method::GET, "/api/v1/mediators", Some(&coordinator), None)
        .await;
    let mut opted_out = HashSet::new();
    for profile in profiles.as_array().expect("profiles") {
        if !profile["languages"]
            .as_array()
            .expect("languages")
            .iter()
            .any(|l| l["code"] == "uk")
        {
            continue;
        }
        let mut input = profile.clone();
        let id = input["id"].as_str().expect("id").to_owned();
        let object = input.as_object_mut().expect("object");
        object.remove("id");
        object.insert("notify_by_email".into(), json!(false));
        let (status, body) = api
            .call(
                Method::PUT,
                &format!("/api/v1/mediators/{id}"),
                Some(&coordinator),
                Some(input),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        opted_out.insert(id);
    }
    assert!(opted_out.len() >= 3);
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&requester),
            Some(json!({
                "language": "uk",
                "modality": "video",
                "local_start": format!("{}T10:00", working_day()),
                "duration_minutes": 60,
            })),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let id: uuid::Uuid = booking["id"].as_str().expect("id").parse().expect("uuid");
    // The offers reach the mediators' feeds …
    let offered: i64 = eventually(StdDuration::from_secs(30), "offers in the feed", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications.feed WHERE booking_id = $1 AND kind = 'offer'",
        )
        .bind(id)
        .fetch_one(&env.db.pool)
        .await
        .ok()?;
        (n >= 3).then_some(n)
    })
    .await;
    assert_eq!(offered, 3, "the cascade asks three");
    // … and no mail is queued for them.
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications.messages WHERE booking_id = $1 AND kind = 'offer'",
    )
    .bind(id)
    .fetch_one(&env.db.pool)
    .await
    .expect("messages");
    assert_eq!(mails, 0);
}
