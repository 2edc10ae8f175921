//! The load generator's tools: an API client that times its calls, the histograms
//! and their table rows, the resident memory of a process, what the NATS watcher
//! records, and the race of many mediators for one booking.

use anyhow::{Context as _, bail};
use chrono::{Duration, NaiveTime, TimeZone as _, Utc};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration as StdDuration, Instant};

pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

impl Api {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    pub(crate) async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&json!({"email": email, "password": password})),
            )
            .await?;
        if status != 200 {
            bail!("sign-in of {email}: {status} {body}");
        }
        Ok(body["token"].as_str().context("token")?.to_owned())
    }
}

/// Set `password` for each of `emails` through the invitation mailed to it, read
/// from the mail sink at `mail` (waiting up to two minutes for the mails).
pub(crate) async fn accept_invitations(
    api: &Api,
    mail: &str,
    emails: &[String],
    password: &str,
) -> anyhow::Result<()> {
    let mut waiting: std::collections::HashSet<String> = emails.iter().cloned().collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !waiting.is_empty() {
        let mails: Vec<Value> = api
            .http
            .get(format!("{}/api/mails", mail.trim_end_matches('/')))
            .send()
            .await
            .context("the mail sink")?
            .json()
            .await?;
        for m in &mails {
            let to = m["to"].as_str().unwrap_or_default().to_lowercase();
            let text = m["text"].as_str().unwrap_or_default();
            let Some(email) = waiting.iter().find(|e| to.contains(e.as_str())).cloned() else {
                continue;
            };
            let Some(at) = text.rfind("/password/") else {
                continue;
            };
            let token: String = text[at + "/password/".len()..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            let (status, body) = api
                .call(
                    reqwest::Method::POST,
                    &format!("/api/v1/auth/password-reset/{token}"),
                    None,
                    Some(&json!({"password": password})),
                )
                .await?;
            if status != 204 {
                bail!("setting the password of {email}: {status} {body}");
            }
            waiting.remove(&email);
        }
        if !waiting.is_empty() {
            if std::time::Instant::now() > deadline {
                bail!(
                    "no invitation reached the mail sink for {} accounts",
                    waiting.len()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
    Ok(())
}

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram")
}

pub(crate) fn row(name: &str, h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return format!("| {name} | – | – | – | – | 0 |");
    }
    let ms = |v: u64| v as f64 / 1000.0;
    format!(
        "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.95)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
        h.len()
    )
}

pub(crate) struct Watch {
    /// Booking id → when it was posted.
    pub(crate) posted: HashMap<String, Instant>,
    pub(crate) first_offer: Histogram<u64>,
    pub(crate) offered: std::collections::HashSet<String>,
    /// On-demand booking id → (posted, online mediators to ring, rung so far).
    pub(crate) on_demand: HashMap<String, (Instant, usize, usize)>,
    pub(crate) ring: Histogram<u64>,
    pub(crate) accept: Histogram<u64>,
    pub(crate) assigned: u64,
    /// Offers made before the booking's id was known (answers race the POST reply).
    pub(crate) early: HashMap<String, Instant>,
    /// When each booking's offers were seen.
    pub(crate) offer_times: HashMap<String, Vec<Instant>>,
}

/// One booking offered to up to `n` mediators at once (the organisation's cascade
/// set to `n`), all of whom accept at the same moment: exactly one must win, and
/// every one of them gets an answer.
pub(crate) async fn race(
    api: &Arc<Api>,
    coordinator: &str,
    requester: &str,
    signed_in: &HashMap<String, (String, Vec<String>, bool)>,
    auto_accept: &std::sync::atomic::AtomicBool,
    n: usize,
) -> anyhow::Result<()> {
    let mut by_language: HashMap<&str, Vec<&String>> = HashMap::new();
    for (token, spoken, video) in signed_in.values() {
        // The on-demand callers too: they answered no offers during the run.
        if !video {
            continue;
        }
        for l in spoken {
            by_language.entry(l.as_str()).or_default().push(token);
        }
    }
    let Some((language, speakers)) = by_language
        .into_iter()
        .max_by_key(|(l, t)| (t.len(), l.to_string()))
    else {
        return Ok(());
    };
    let (_, me) = api
        .call(reqwest::Method::GET, "/api/v1/me", Some(requester), None)
        .await?;
    let organisation = me["organisation_id"].as_str().context("organisation")?;
    let policy = format!("/api/v1/organisations/{organisation}/dispatch-policy");
    let cascade = n.min(50);
    api.call(
        reqwest::Method::PUT,
        &policy,
        Some(coordinator),
        Some(&json!({"cascade_size": cascade, "cascade_secs": 600})),
    )
    .await?;
    auto_accept.store(false, Ordering::SeqCst);
    let start = (Utc::now() + Duration::days(31))
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(11, 0, 0).expect("t"));
    let start = chrono_tz::Europe::Berlin
        .from_local_datetime(&start)
        .earliest()
        .context("local time")?;
    let (status, booking) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/bookings",
            Some(requester),
            Some(
                &json!({"language": language, "modality": "video", "start": start.to_rfc3339(),
                "duration_minutes": 60, "min_qualification": "lay"}),
            ),
        )
        .await?;
    if status != 201 {
        bail!("race booking: {status} {booking}");
    }
    let id = booking["id"].as_str().context("id")?.to_owned();
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    let mut offered = Vec::new();
    for token in &speakers {
        let (_, offers) = api
            .call(reqwest::Method::GET, "/api/v1/offers", Some(token), None)
            .await?;
        if let Some(offer) = offers
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["booking_id"].as_str() == Some(&id))
        {
            offered.push((
                (*token).clone(),
                offer["id"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(offered.len()));
    let answers = futures::future::join_all(offered.iter().map(|(token, offer)| {
        let api = api.clone();
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            let asked = Instant::now();
            let status = api
                .call(
                    reqwest::Method::POST,
                    &format!("/api/v1/offers/{offer}/accept"),
                    Some(token),
                    None,
                )
                .await
                .map(|(s, _)| s)
                .unwrap_or(0);
            (status, asked.elapsed())
        }
    }))
    .await;
    auto_accept.store(true, Ordering::SeqCst);
    api.call(
        reqwest::Method::PUT,
        &policy,
        Some(coordinator),
        Some(&json!({})),
    )
    .await?;
    let mut h = histogram();
    for (_, took) in &answers {
        let _ = h.record((took.as_micros() as u64).max(1));
    }
    let won = answers.iter().filter(|(s, _)| *s == 200).count();
    let taken = answers.iter().filter(|(s, _)| *s == 409).count();
    println!(
        "{}",
        row(
            &format!(
                "{} concurrent accepts of one booking → answer",
                answers.len()
            ),
            &h
        )
    );
    println!(
        "race: {won} assigned, {taken} told it was taken, {} other answers",
        answers.len() - won - taken
    );
    Ok(())
}
