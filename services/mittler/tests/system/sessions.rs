//! Video sessions through the whole system: a video booking that gets its mediator
//! gets a room with one signed link per participant; each role sees its own links;
//! two browsers (Debian's chromium, headless, fake camera) open their links and
//! connect peer to peer; forged and expired links are refused with a message; the
//! session's start moves the booking to `in_session`, its end back to `assigned`
//! with the room's measured time as the claim of its time record, which the
//! requester confirms (`completed`); cancelling closes the room.

use crate::common::*;
use mittler_sessions::settings::SessionsConfig;
use mittler_sessions::settings::VideoProvider;

use chrono::{Duration, Utc};
use mittler_contracts::session::{Join, JoinRequest};
use mittler_platform::rpc;
use mittler_sessions::tokens::{self, Grant};
use mittler_testkit::{TestApp, TestEnv, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

/// Book a video appointment with a client and have the first offered mediator
/// accept; returns the booking id and the mediator's token.
async fn assigned_video_booking(api: &Client, requester: &str) -> (String, String) {
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(requester),
            Some(json!({
                "language": "uk",
                "modality": "video",
                "local_start": format!("{}T10:00", working_day()),
                "duration_minutes": 60,
                "client": {"reference": "BG-4711", "language": "uk"}
            })),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let offer: Value = eventually(StdDuration::from_secs(20), "an offer", || async {
        let (_, b) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}"),
                Some(requester),
                None,
            )
            .await;
        b["offers"].as_array().and_then(|o| o.first().cloned())
    })
    .await;
    let mediator = api
        .login(&email_of(offer["mediator_id"].as_str().expect("mediator")))
        .await;
    let (status, body) = api
        .call(
            Method::POST,
            &format!(
                "/api/v1/offers/{}/accept",
                offer["id"].as_str().expect("offer")
            ),
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (id, mediator)
}

/// The room's measured time, once the booking is back to `assigned` with it claimed.
async fn measured(api: &Client, requester: &str, id: &str) -> Value {
    eventually(
        StdDuration::from_secs(30),
        "the room's time claimed",
        || async {
            let b = booking_state(api, requester, id).await;
            if b["state"] != "assigned" {
                return None;
            }
            let (status, record) = api
                .call(
                    Method::GET,
                    &format!("/api/v1/bookings/{id}/time-record"),
                    Some(requester),
                    None,
                )
                .await;
            (status == StatusCode::OK
                && record["state"] == "claimed"
                && record["source"] == "session")
                .then_some(record)
        },
    )
    .await
}

/// The requester confirms the claimed time: the booking is completed.
async fn confirmed(api: &Client, requester: &str, id: &str) -> Value {
    let (status, record) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/time-record/confirm"),
            Some(requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let b = booking_state(api, requester, id).await;
    assert_eq!(b["state"], "completed", "{b}");
    b
}

/// Run tests/browser/room.mjs (chromium, headless) with `input`; its JSON answer.
/// Nothing in the room may be refused by its Content-Security-Policy.
async fn browsers(input: &Value) -> Value {
    let result = browser_script("room.mjs", input).await;
    let refused: Vec<&Value> = result["console"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter(|l| {
                    l.as_str()
                        .is_some_and(|l| l.contains("Content Security Policy"))
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(refused.is_empty(), "the room's policy refused: {refused:?}");
    result
}

async fn booking_state(api: &Client, token: &str, id: &str) -> Value {
    api.call(
        Method::GET,
        &format!("/api/v1/bookings/{id}"),
        Some(token),
        None,
    )
    .await
    .1
}

#[tokio::test]
async fn two_browsers_meet_in_the_room_and_the_session_becomes_the_time_record() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    // The appointment is days ahead; let its links open now.
    config.update(|s: &mut SessionsConfig| s.join_before_minutes = 10 * 24 * 60);
    config.update(|s: &mut SessionsConfig| s.public_url = "https://mittler.example".into());
    let app = TestApp::spawn(config.clone(), mittler::run_on).await;
    // A second instance of everything: the requester's browser talks to this one,
    // the mediator's to the first; signalling crosses between them over NATS.
    let replica = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let (id, mediator) = assigned_video_booking(&api, &requester).await;

    // Each role sees the links it may use.
    let links: Value = eventually(StdDuration::from_secs(20), "the room", || async {
        let (status, links) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}/session"),
                Some(&requester),
                None,
            )
            .await;
        (status == 200).then_some(links)
    })
    .await;
    assert_eq!(links["provider"], "builtin");
    let roles = |links: &Value| -> Vec<String> {
        links["links"]
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["role"].as_str().expect("role").to_owned())
            .collect()
    };
    assert_eq!(roles(&links), ["requester", "client"]);
    let (_, own) = api
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}/session"),
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(roles(&own), ["mediator"]);
    let (_, all) = api
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}/session"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(roles(&all), ["requester", "mediator", "client"]);
    // The links point at the public address; the browsers here open this instance.
    let local = |link: &Value| {
        let url = link["url"].as_str().expect("url");
        let token = url
            .strip_prefix("https://mittler.example/room/")
            .expect("a link to the public address");
        format!("{}/room/{token}", api.base)
    };
    let requester_url = local(&links["links"][0]).replace(&api.base, &replica.url(""));
    let mediator_url = local(&own["links"][0]);
    assert_ne!(requester_url, mediator_url);

    // A forged link (another room, signed with another key) and an expired one
    // (this room, signed right, its window over).
    let token = requester_url.rsplit('/').next().expect("token");
    let (payload, _) = token.split_once('.').expect("payload.signature");
    use base64::Engine as _;
    let grant: Grant = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("b64"),
    )
    .expect("grant");
    let forged = tokens::sign(b"not the key", &grant);
    let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM sessions.keys WHERE id = 1")
        .fetch_one(&env.db.pool)
        .await
        .expect("key");
    let expired = tokens::sign(
        &key,
        &Grant {
            nbf: (Utc::now() - Duration::hours(3)).timestamp(),
            exp: (Utc::now() - Duration::hours(1)).timestamp(),
            ..grant.clone()
        },
    );
    // And one whose window opens in two hours.
    let not_yet = tokens::sign(
        &key,
        &Grant {
            nbf: (Utc::now() + Duration::hours(2)).timestamp(),
            exp: (Utc::now() + Duration::hours(4)).timestamp(),
            ..grant.clone()
        },
    );
    for (token, status) in [(&forged, 403), (&expired, 410), (&not_yet, 410)] {
        let (got, problem) = api
            .call(
                Method::GET,
                &format!("/api/v1/rooms/signal?token={token}"),
                None,
                None,
            )
            .await;
        assert_eq!(got.as_u16(), status, "{problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let (status, check) = api
        .call(
            Method::GET,
            &format!("/api/v1/rooms/signal?token={token}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, check["role"].as_str()),
        (StatusCode::OK, Some("requester"))
    );

    // Two browsers.
    let input = json!({
        "a": mediator_url,
        "b": requester_url,
        "forged": format!("{}/room/{forged}", api.base),
        "expired": format!("{}/room/{expired}", api.base),
        "not_yet": format!("{}/room/{not_yet}", api.base),
        "denied": mediator_url.clone(),
    });
    let result = browsers(&input).await;
    assert!(result["error"].is_null(), "{result:#}");
    for side in ["a", "b"] {
        let stats = &result[side]["stats"][0];
        assert_eq!(stats["connectionState"], "connected", "{result:#}");
        assert!(
            stats["bytesReceived"].as_u64().unwrap_or(0) > 0,
            "{result:#}"
        );
    }
    assert_eq!(result["a"]["role"], "mediator");
    assert_eq!(result["b"]["role"], "requester");
    assert!(
        result["forged"]["shown"]
            .as_str()
            .is_some_and(|s| s.contains("Link ist ungültig")),
        "{result:#}"
    );
    assert!(
        result["denied"]["shown"]
            .as_str()
            .is_some_and(|s| s.contains("nicht freigegeben")),
        "{result:#}"
    );
    // Past and future windows in local time and the page's language, not UTC.
    assert!(
        result["expired"]["shown"]
            .as_str()
            .is_some_and(|s| s.starts_with("Dieser Link galt bis ") && !s.contains("UTC")),
        "{result:#}"
    );
    let shown = result["not_yet"]["shown"].as_str().unwrap_or_default();
    assert!(
        shown.starts_with("Dieser Link öffnet am ") && shown.ends_with("(in etwa 2 Stunden)."),
        "{result:#}"
    );
    assert!(
        !shown.contains("UTC") && !shown.contains("opens"),
        "{shown}"
    );
    assert!(result["not_yet"]["opens_at"].is_string(), "{result:#}");
    // In the language of the person's phone.
    assert_eq!(result["not_yet_uk"]["lang"], "uk");
    assert!(
        result["not_yet_uk"]["shown"]
            .as_str()
            .is_some_and(|s| s.starts_with("Це посилання відкриється ")
                && s.contains("приблизно через 2 год")),
        "{result:#}"
    );

    // Both left: the room's time is the claim; the requester confirms it.
    let claimed = measured(&api, &requester, &id).await;
    assert_eq!(
        claimed["worked_minutes"], 1,
        "a short session counts a minute"
    );
    let done = confirmed(&api, &requester, &id).await;
    assert_eq!(done["worked_minutes"], 1);
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM sessions.outbox ORDER BY created_at, id")
            .fetch_all(&env.db.pool)
            .await
            .expect("outbox");
    let count = |s: &str| subjects.iter().filter(|x| x.as_str() == s).count();
    assert_eq!(count("session.room.opened"), 1);
    // The two, then the mediator again without camera (after the session ended:
    // it does not start a second one).
    assert_eq!(count("session.participant.joined"), 3);
    assert_eq!(count("session.participant.left"), 3);
    assert_eq!(count("session.session.started"), 1);
    assert_eq!(count("session.session.ended"), 1);
    replica.stop().await.expect("clean stop");
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn cancelling_closes_the_room_and_its_links_stop_opening_it() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    config.update(|s: &mut SessionsConfig| s.join_before_minutes = 10 * 24 * 60);
    let app = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let (id, _) = assigned_video_booking(&api, &requester).await;
    let url: String = eventually(StdDuration::from_secs(20), "the room", || async {
        let (status, links) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}/session"),
                Some(&requester),
                None,
            )
            .await;
        (status == 200).then(|| links["links"][0]["url"].as_str().map(str::to_owned))?
    })
    .await;
    let token = url.rsplit('/').next().expect("token").to_owned();
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/v1/rooms/signal?token={token}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&requester),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, 200);
    eventually(StdDuration::from_secs(20), "the link refused", || async {
        let (status, problem) = api
            .call(
                Method::GET,
                &format!("/api/v1/rooms/signal?token={token}"),
                None,
                None,
            )
            .await;
        (status == 410 && problem["detail"].as_str()?.contains("cancelled")).then_some(())
    })
    .await;
    let (_, links) = api
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}/session"),
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(links["state"], "closed");
    assert!(
        links["links"]
            .as_array()
            .expect("links")
            .iter()
            .all(|l| l["url"] == "")
    );
    app.stop().await.expect("clean stop");
}

/// A TURN server (Debian's coturn) for this test, with a shared secret.
struct TestTurn {
    child: std::process::Child,
    url: String,
    secret: String,
}

impl TestTurn {
    /// On the machine's first address beside loopback (chromium does not relay
    /// through loopback).
    fn start() -> Option<Self> {
        let probe = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
        probe.connect("198.51.100.1:9").ok()?;
        let ip = probe.local_addr().ok()?.ip();
        if ip.is_loopback() || ip.is_unspecified() {
            return None;
        }
        let port = mittler_testkit::free_port();
        let relay_base = 40000 + (port % 20000);
        let secret = format!("secret-{}", uuid::Uuid::new_v4().simple());
        let child = std::process::Command::new("turnserver")
            .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--simple-log"])
            .args(["--log-file", "stdout", "--realm", "mittler.test"])
            .arg(format!("--listening-ip={ip}"))
            .arg(format!("--relay-ip={ip}"))
            .arg(format!("--listening-port={port}"))
            .arg(format!("--min-port={relay_base}"))
            .arg(format!("--max-port={}", relay_base + 50))
            .args([
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("turnserver (Debian package coturn; `make deps` (deploy/local/deps.sh --test) installs it)");
        Some(Self {
            child,
            url: format!("turn:{ip}:{port}?transport=udp"),
            secret,
        })
    }
}

impl Drop for TestTurn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_relay_only_call_connects_through_a_local_coturn_with_expiring_credentials() {
    let Some(turn) = TestTurn::start() else {
        panic!(
            "this machine has no network interface with a route besides loopback: chromium cannot relay \
             through TURN on loopback, so the relay test cannot run here"
        );
    };
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    config.update(|s: &mut SessionsConfig| s.join_before_minutes = 10 * 24 * 60);
    config.update(|s: &mut SessionsConfig| s.turn_urls = vec![turn.url.clone()]);
    config.update(|s: &mut SessionsConfig| s.turn_secret = Some(turn.secret.clone().into()));
    let app = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let (id, mediator) = assigned_video_booking(&api, &requester).await;
    let (api, id) = (&api, &id);
    let link = |token: String| async move {
        let (status, links) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}/session"),
                Some(&token),
                None,
            )
            .await;
        let url = links["links"][0]["url"].as_str()?.to_owned();
        let token = url.rsplit('/').next()?.to_owned();
        (status == 200).then(|| format!("{}/room/{token}?relay=1", api.base))
    };
    let mediator_url = eventually(StdDuration::from_secs(20), "the room", || {
        link(mediator.clone())
    })
    .await;
    let requester_url = link(requester.clone()).await.expect("requester link");
    let input = json!({ "a": mediator_url, "b": requester_url, "relay": true });
    let result = browsers(&input).await;
    assert!(result["error"].is_null(), "{result:#}");
    for side in ["a", "b"] {
        let stats = &result[side]["stats"][0];
        assert_eq!(stats["connectionState"], "connected", "{result:#}");
        assert!(
            stats["bytesReceived"].as_u64().unwrap_or(0) > 0,
            "{result:#}"
        );
        assert_eq!(
            stats["localCandidate"], "relay",
            "only through TURN: {result:#}"
        );
    }
    app.stop().await.expect("clean stop");
}

/// A Janus gateway (Debian package `janus`) for this test: the HTTP transport and
/// the VideoRoom plugin only, with an admin key.
struct TestJanus {
    child: std::process::Child,
    url: String,
    admin_key: String,
    _dir: tempfile::TempDir,
}

impl TestJanus {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let port = mittler_testkit::free_port();
        let rtp = 20000 + (port % 20000);
        let admin_key = format!("admin-{}", uuid::Uuid::new_v4().simple());
        let lib = "/usr/lib/x86_64-linux-gnu/janus";
        let folder = dir.path().display();
        std::fs::write(
            dir.path().join("janus.jcfg"),
            format!(
                r#"general: {{
  configs_folder = "{folder}"
  plugins_folder = "{lib}/plugins"
  transports_folder = "{lib}/transports"
  events_folder = "{lib}/events"
  loggers_folder = "{lib}/loggers"
  debug_level = 3
}}
media: {{ rtp_port_range = "{rtp}-{}" }}
plugins: {{ disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so" }}
transports: {{ disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so" }}
events: {{ broadcast = false }}
loggers: {{ disable = "libjanus_jsonlog.so" }}
"#,
                rtp + 200
            ),
        )
        .expect("janus.jcfg");
        std::fs::write(
            dir.path().join("janus.plugin.videoroom.jcfg"),
            format!("general: {{ admin_key = \"{admin_key}\" }}\n"),
        )
        .expect("videoroom");
        std::fs::write(
            dir.path().join("janus.transport.http.jcfg"),
            format!(
                "general: {{ base_path = \"/janus\" http = true port = {port} https = false }}\n\
                 admin: {{ admin_http = false }}\ncors: {{ allow_origin = \"*\" }}\n"
            ),
        )
        .expect("http");
        // Janus checks the browsers' DTLS certificates (valid for 30 days from the
        // browser's clock), so it keeps the browsers' real clock under make test-at.
        let child = std::process::Command::new("janus")
            .env_remove("LD_PRELOAD")
            .arg("-F")
            .arg(dir.path())
            .arg("-C")
            .arg(dir.path().join("janus.jcfg"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("janus (Debian package janus; `make deps` (deploy/local/deps.sh --test) installs it)");
        let url = format!("http://127.0.0.1:{port}/janus");
        let http = reqwest::Client::new();
        eventually(StdDuration::from_secs(20), "Janus answers", || async {
            let r = http
                .post(&url)
                .json(&json!({"janus": "create", "transaction": "probe"}))
                .send()
                .await
                .ok()?;
            r.status().is_success().then_some(())
        })
        .await;
        Self {
            child,
            url,
            admin_key,
            _dir: dir,
        }
    }
}

impl Drop for TestJanus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_browsers_meet_through_a_janus_videoroom_when_the_provider_is_janus() {
    let janus = TestJanus::start().await;
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    config.update(|s: &mut SessionsConfig| s.join_before_minutes = 10 * 24 * 60);
    config.update(|s: &mut SessionsConfig| s.provider = VideoProvider::Janus);
    config.update(|s: &mut SessionsConfig| s.janus_url = janus.url.clone());
    config.update(|s: &mut SessionsConfig| s.janus_public_url = janus.url.clone());
    config
        .update(|s: &mut SessionsConfig| s.janus_admin_key = Some(janus.admin_key.clone().into()));
    let app = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let (id, mediator) = assigned_video_booking(&api, &requester).await;
    let (api_ref, id_ref) = (&api, &id);
    let link = |token: String| async move {
        let (status, links) = api_ref
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id_ref}/session"),
                Some(&token),
                None,
            )
            .await;
        let url = links["links"][0]["url"].as_str()?.to_owned();
        let token = url.rsplit('/').next()?.to_owned();
        (status == 200 && links["provider"] == "janus")
            .then(|| format!("{}/room/{token}", api_ref.base))
    };
    let mediator_url = eventually(StdDuration::from_secs(20), "the room", || {
        link(mediator.clone())
    })
    .await;
    let requester_url = link(requester.clone()).await.expect("requester link");

    // The room has a secret only this service knows.
    let (janus_room, secret): (i64, String) =
        sqlx::query_as("SELECT janus_room, janus_secret FROM sessions.rooms WHERE booking_id = $1")
            .bind(id.parse::<uuid::Uuid>().expect("uuid"))
            .fetch_one(&env.db.pool)
            .await
            .expect("room");
    assert!(!secret.is_empty());

    let input = json!({ "a": mediator_url, "b": requester_url });
    let result = browsers(&input).await;
    assert!(result["error"].is_null(), "{result:#}");
    for side in ["a", "b"] {
        let stats = &result[side]["stats"][0];
        assert_eq!(stats["connectionState"], "connected", "{result:#}");
        assert!(
            stats["bytesReceived"].as_u64().unwrap_or(0) > 0,
            "{result:#}"
        );
    }
    assert!(janus_room > 0);

    // Cancelling destroys the Janus room (of another booking: this one is done).
    let (id, _) = assigned_video_booking(&api, &requester).await;
    let janus_room: i64 = eventually(StdDuration::from_secs(20), "a second room", || async {
        sqlx::query_scalar(
            "SELECT janus_room FROM sessions.rooms WHERE booking_id = $1 AND state = 'open'",
        )
        .bind(id.parse::<uuid::Uuid>().expect("uuid"))
        .fetch_optional(&env.db.pool)
        .await
        .ok()
        .flatten()
    })
    .await;
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&requester),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, 200);
    let http = reqwest::Client::new();
    eventually(StdDuration::from_secs(20), "the Janus room gone", || async {
        let session: Value = http
            .post(&janus.url)
            .json(&json!({"janus": "create", "transaction": "a"}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let session = session["data"]["id"].as_u64()?;
        let handle: Value = http
            .post(format!("{}/{session}", janus.url))
            .json(&json!({"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "b"}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let handle = handle["data"]["id"].as_u64()?;
        let exists: Value = http
            .post(format!("{}/{session}/{handle}", janus.url))
            .json(&json!({"janus": "message", "transaction": "c", "body": {"request": "exists", "room": janus_room}}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (exists["plugindata"]["data"]["exists"] == false).then_some(())
    })
    .await;
    app.stop().await.expect("clean stop");
}

/// A participant whose gateway died (no more "alive") is let go, and the session
/// ends: the booking still gets its time record.
#[tokio::test]
async fn a_participant_whose_gateway_died_is_let_go_and_the_session_still_ends() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    config.update(|s: &mut SessionsConfig| s.join_before_minutes = 10 * 24 * 60);
    config.update(|s: &mut SessionsConfig| s.presence_timeout_secs = 2);
    let app = TestApp::spawn(config, mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let (id, _) = assigned_video_booking(&api, &requester).await;
    let links: Value = eventually(StdDuration::from_secs(20), "the room", || async {
        let (status, links) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}/session"),
                Some(&coordinator),
                None,
            )
            .await;
        (status == 200).then_some(links)
    })
    .await;
    // Two participants enter as a gateway would, and that gateway then vanishes.
    let nats = env.nats.client().await;
    for link in links["links"].as_array().expect("links").iter().take(2) {
        let token = link["url"]
            .as_str()
            .expect("url")
            .rsplit('/')
            .next()
            .expect("token");
        rpc::call::<Join>(
            &nats,
            &JoinRequest {
                token: token.to_owned(),
            },
            StdDuration::from_secs(5),
        )
        .await
        .expect("joined");
    }
    eventually(StdDuration::from_secs(10), "in session", || async {
        let b = booking_state(&api, &requester, &id).await;
        (b["state"] == "in_session").then_some(())
    })
    .await;
    let claimed = measured(&api, &requester, &id).await;
    assert!(claimed["worked_minutes"].as_i64().is_some_and(|m| m >= 1));
    let done = confirmed(&api, &requester, &id).await;
    assert!(done["worked_minutes"].as_i64().is_some_and(|m| m >= 1));
    let present: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions.participants WHERE left_at IS NULL")
            .fetch_one(&env.db.pool)
            .await
            .expect("participants");
    assert_eq!(present, 0);
    app.stop().await.expect("clean stop");
}
