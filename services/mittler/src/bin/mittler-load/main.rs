//! `mittler-load`: an end-to-end load generator against a running Mittler, through
//! the public HTTP API only (NATS is watched to time events, never written to).
//!
//! Set-up: a coordinator adds three requesting organisations to the pool, with an
//! account each, and creates the mediators of a `../shared/workload/` instance
//! (languages, gender, home, modalities; available every day); each new account's
//! invitation is followed from the mail sink (`--mail`), and everyone signs in. Then, for `--seconds`: requesters post bookings at `--rate` per
//! second; every mediator who gets an offer accepts it through the API (the first
//! wins, the rest get 409); and `--on-demand` times per run a handful of mediators
//! go online and an on-demand video call rings them.
//!
//! Measured, as p50/p95/p99/max: booking accepted by the API → first
//! `booking.offer.made` seen on NATS; offer accept request → its answer; on-demand
//! request → every online mediator rung; and bookings per second reaching
//! `assigned`. With `--pid`, the resident memory of that process (idle before the
//! load and peak during it), read from /proc.

mod measure;

use anyhow::{Context as _, bail};
use chrono::{Duration, NaiveTime, TimeZone as _, Utc};
use clap::Parser;
use futures::StreamExt;
use measure::{Api, Watch, histogram, race, row, rss_kib};
use mittler_contracts::booking::{BookingAssigned, OfferMade};
use mittler_contracts::{Event, RawEnvelope};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
#[command(
    name = "mittler-load",
    about = "End-to-end load against a running Mittler"
)]
struct Args {
    /// Mittler's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The NATS server Mittler uses (events are timed there).
    #[arg(long, default_value = "nats://127.0.0.1:14222")]
    nats: String,
    /// A workload instance whose mediators are created.
    #[arg(long)]
    instance: String,
    /// How many of its mediators (signing in costs an argon2 hash each).
    #[arg(long, default_value_t = 150)]
    mediators: usize,
    /// Bookings per second.
    #[arg(long, default_value_t = 10)]
    rate: u64,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// On-demand calls during the run.
    #[arg(long, default_value_t = 10)]
    on_demand: usize,
    /// The process whose memory to report.
    #[arg(long)]
    pid: Vec<u32>,
    /// After the run: one booking offered to this many mediators at once, who all
    /// accept concurrently (0: skip).
    #[arg(long, default_value_t = 50)]
    race: usize,
    /// Skip creating mediators (a second run against the same system).
    #[arg(long)]
    reuse: bool,
    #[arg(long, default_value = "mittler-demo")]
    password: String,
    /// The mail sink's web address (`deploy/local/mail_sink.py`): the accounts the run
    /// adds are invited by mail, and their links are followed from there.
    #[arg(long, default_value = "http://127.0.0.1:8025")]
    mail: String,
    /// A file created when the set-up is done and the bookings begin (a profiler
    /// waits for it, so that the sign-ins stay out of the profile).
    #[arg(long)]
    started_file: Option<std::path::PathBuf>,
}

/// Requesting organisations the run adds to the pool, one account each.
const ORGANISATIONS: usize = 3;
const COORDINATOR: &str = "koordination@sprachmittlerpool-sachsen.example";
/// The password of every account the run adds (set through its invitation).
const MEDIATOR_PASSWORD: &str = "Lastprobe-mit-vielen-Vermittlungen-7";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(StdDuration::from_secs(30))
            .build()?,
        base: args.base.trim_end_matches('/').to_owned(),
    });
    let instance: Value =
        serde_json::from_str(&std::fs::read_to_string(&args.instance).context("instance")?)?;
    let mediators: Vec<Value> = instance["mediators"]
        .as_array()
        .context("mediators")?
        .iter()
        .take(args.mediators)
        .cloned()
        .collect();
    let run = &instance["name"]
        .as_str()
        .unwrap_or("instance")
        .replace(' ', "-");

    // --- set-up
    let coordinator = api.login(COORDINATOR, &args.password).await?;
    let always = json!({
        "time_zone": "Europe/Berlin",
        "weekly_rules": (1..=7).map(|d| json!({"weekday": d, "start": "00:00", "end": "23:59"})).collect::<Vec<_>>(),
        "absences": []
    });
    let mut languages: Vec<String> = Vec::new();
    // (instance id, e-mail, takes video calls)
    let mut accounts: Vec<(String, String, bool)> = Vec::new();
    // The accounts this run created: their invitations are followed.
    let mut invited: Vec<String> = Vec::new();
    let started = Instant::now();
    for m in &mediators {
        let id = m["id"].as_str().unwrap_or("m");
        let email = format!("{run}-{id}@load.example").to_lowercase();
        let langs: Vec<Value> = m["languages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l["code"].as_str().is_some())
            .collect();
        for l in &langs {
            languages.push(l["code"].as_str().unwrap_or("uk").to_owned());
        }
        let modalities: Vec<Value> = m["modalities"].as_array().cloned().unwrap_or_default();
        if !args.reuse {
            let body = json!({
                "profile": {
                    "display_name": format!("Load {id}"),
                    "email": email,
                    "gender": m["gender"].as_str().map(|g| if g == "diverse" { "diverse" } else { g }).unwrap_or("female"),
                    "languages": langs,
                    "modalities": modalities,
                    "home": m["home"],
                    "postal_code": "04109",
                    "max_travel_km": m["max_travel_km"],
                    "max_minutes_per_week": 10_080,
                    "accepts_same_day": true,
                },
            });
            let (status, created) = api
                .call(
                    reqwest::Method::POST,
                    "/api/v1/mediators",
                    Some(&coordinator),
                    Some(&body),
                )
                .await?;
            if status != 201 && status != 409 {
                bail!("creating mediator {id}: {status} {created}");
            }
            if status == 201 {
                invited.push(email.clone());
                let mid = created["id"].as_str().context("id")?.to_owned();
                let (status, body) = api
                    .call(
                        reqwest::Method::PUT,
                        &format!("/api/v1/mediators/{mid}/availability"),
                        Some(&coordinator),
                        Some(&always),
                    )
                    .await?;
                if status != 200 {
                    bail!("availability of {id}: {status} {body}");
                }
            }
        }
        let video = modalities.iter().any(|m| m.as_str() == Some("video"));
        accounts.push((id.to_owned(), email, video));
    }
    measure::accept_invitations(&api, &args.mail, &invited, MEDIATOR_PASSWORD).await?;
    eprintln!(
        "set-up: {} mediators in {:.1} s",
        accounts.len(),
        started.elapsed().as_secs_f64()
    );
    // Every mediator signs in (concurrently, a few at a time).
    let signed_in: HashMap<String, (String, Vec<String>, bool)> = {
        let logins = futures::stream::iter(accounts.iter().cloned())
            .map(|(_, email, video)| {
                let api = api.clone();
                async move {
                    let token = api.login(&email, MEDIATOR_PASSWORD).await?;
                    let (_, me) = api
                        .call(reqwest::Method::GET, "/api/v1/me", Some(&token), None)
                        .await?;
                    let spoken: Vec<String> = me["languages"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .filter_map(|x| x["code"].as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    anyhow::Ok((
                        me["mediator_id"]
                            .as_str()
                            .context("mediator_id")?
                            .to_owned(),
                        (token, spoken, video),
                    ))
                }
            })
            .buffer_unordered(4)
            .collect::<Vec<_>>()
            .await;
        logins.into_iter().collect::<anyhow::Result<_>>()?
    };
    let tokens: Arc<HashMap<String, String>> = Arc::new(
        signed_in
            .iter()
            .map(|(m, (t, _, _))| (m.clone(), t.clone()))
            .collect(),
    );
    // On-demand calls ring the speakers of one language, who go online for it.
    let (call_language, callers): (String, Vec<String>) = {
        let mut by_language: HashMap<&str, Vec<String>> = HashMap::new();
        for (token, spoken, video) in signed_in.values() {
            if !video {
                continue;
            }
            for l in spoken {
                by_language
                    .entry(l.as_str())
                    .or_default()
                    .push(token.clone());
            }
        }
        let (language, tokens) = by_language
            .into_iter()
            .max_by_key(|(l, t)| (t.len(), l.to_string()))
            .context("no languages")?;
        (language.to_owned(), tokens.into_iter().take(8).collect())
    };
    let callers = Arc::new(callers);
    // The on-demand callers answer no offers: they stay free for the calls.
    let busy_free: Arc<std::collections::HashSet<String>> =
        Arc::new(callers.iter().cloned().collect());
    let auto_accept = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut requesters = Vec::new();
    for i in 1..=ORGANISATIONS {
        let name = format!("Load {run} office {i}");
        let (status, org) = api
            .call(
                reqwest::Method::POST,
                "/api/v1/organisations",
                Some(&coordinator),
                Some(&json!({"name": name, "kind": "authority"})),
            )
            .await?;
        let org_id = match status {
            201 => org["id"].as_str().context("id")?.to_owned(),
            409 => {
                let (_, all) = api
                    .call(
                        reqwest::Method::GET,
                        "/api/v1/organisations",
                        Some(&coordinator),
                        None,
                    )
                    .await?;
                all.as_array()
                    .into_iter()
                    .flatten()
                    .find(|o| o["name"] == json!(name))
                    .and_then(|o| o["id"].as_str())
                    .context("the organisation")?
                    .to_owned()
            }
            _ => bail!("adding {name}: {status} {org}"),
        };
        let email = format!("office{i}-{run}@load.example").to_lowercase();
        let (status, body) = api
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/organisations/{org_id}/users"),
                Some(&coordinator),
                Some(&json!({"email": email, "name": format!("Office {i}"), "role": "requester"})),
            )
            .await?;
        if status != 201 && status != 409 {
            bail!("adding the requester of {name}: {status} {body}");
        }
        if status == 201 {
            measure::accept_invitations(
                &api,
                &args.mail,
                std::slice::from_ref(&email),
                MEDIATOR_PASSWORD,
            )
            .await?;
        }
        requesters.push(api.login(&email, MEDIATOR_PASSWORD).await?);
    }
    languages.sort();
    languages.dedup();
    eprintln!(
        "signed in: {} mediators, {} languages",
        tokens.len(),
        languages.len()
    );

    // --- watch the events
    let nats = async_nats::connect(&args.nats).await?;
    let watch = Arc::new(Mutex::new(Watch {
        posted: HashMap::new(),
        first_offer: histogram(),
        offered: Default::default(),
        on_demand: HashMap::new(),
        ring: histogram(),
        accept: histogram(),
        assigned: 0,
        early: HashMap::new(),
        offer_times: HashMap::new(),
    }));
    let mut offers = nats.subscribe(OfferMade::TYPE).await?;
    let mut assigned = nats.subscribe(BookingAssigned::TYPE).await?;
    let accepts = Arc::new(AtomicU64::new(0));
    {
        let busy_free = busy_free.clone();
        let auto_accept = auto_accept.clone();
        let watch = watch.clone();
        let api = api.clone();
        let tokens = tokens.clone();
        let accepts = accepts.clone();
        tokio::spawn(async move {
            while let Some(message) = offers.next().await {
                let now = Instant::now();
                let Ok(envelope) = RawEnvelope::from_slice(&message.payload) else {
                    continue;
                };
                let Ok(offer) = envelope.decode::<OfferMade>() else {
                    continue;
                };
                let offer = offer.data;
                let booking = offer.booking_id.to_string();
                let mut on_demand = false;
                {
                    let mut w = watch.lock().await;
                    if let Some(posted) = w.posted.get(&booking).copied() {
                        if w.offered.insert(booking.clone()) {
                            let micros = (now - posted).as_micros() as u64;
                            let _ = w.first_offer.record(micros.max(1));
                        }
                    } else if !w.offered.contains(&booking) {
                        w.early.entry(booking.clone()).or_insert(now);
                    }
                    w.offer_times.entry(booking.clone()).or_default().push(now);
                    if w.on_demand.contains_key(&booking) {
                        on_demand = true;
                    }
                }
                if on_demand {
                    continue; // on-demand calls are timed to the ring, not answered
                }
                let Some(token) = tokens.get(&offer.mediator_id.to_string()).cloned() else {
                    continue;
                };
                if busy_free.contains(&token) || !auto_accept.load(Ordering::SeqCst) {
                    continue;
                }
                let api = api.clone();
                let watch = watch.clone();
                let accepts = accepts.clone();
                tokio::spawn(async move {
                    let asked = Instant::now();
                    let answer = api
                        .call(
                            reqwest::Method::POST,
                            &format!("/api/v1/offers/{}/accept", offer.offer_id),
                            Some(&token),
                            None,
                        )
                        .await;
                    if let Ok((status, _)) = answer
                        && (status == 200 || status == 409)
                    {
                        accepts.fetch_add(1, Ordering::Relaxed);
                        let micros = asked.elapsed().as_micros() as u64;
                        let _ = watch.lock().await.accept.record(micros.max(1));
                    }
                });
            }
        });
    }
    {
        let watch = watch.clone();
        tokio::spawn(async move {
            while assigned.next().await.is_some() {
                watch.lock().await.assigned += 1;
            }
        });
    }

    // --- memory before the load
    let idle: Vec<(u32, Option<u64>)> = args.pid.iter().map(|p| (*p, rss_kib(*p))).collect();
    let peak: Arc<Mutex<HashMap<u32, u64>>> = Arc::new(Mutex::new(HashMap::new()));
    {
        let pids = args.pid.clone();
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                for pid in &pids {
                    if let Some(kib) = rss_kib(*pid) {
                        let mut p = peak.lock().await;
                        let e = p.entry(*pid).or_insert(0);
                        *e = (*e).max(kib);
                    }
                }
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
        });
    }

    // --- the load
    let mut rng = StdRng::seed_from_u64(7);
    let total = args.rate * args.seconds;
    let interval = StdDuration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    if let Some(file) = &args.started_file {
        std::fs::write(file, b"")?;
    }
    let begin = Instant::now();
    let assigned_before = watch.lock().await.assigned;
    let errors = Arc::new(AtomicU64::new(0));
    let mut posts = Vec::new();
    let on_demand_every = if args.on_demand > 0 {
        (total / args.on_demand as u64).max(1)
    } else {
        u64::MAX
    };
    for n in 0..total {
        let due = begin + interval * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let language = languages[rng.random_range(0..languages.len())].clone();
        let day = rng.random_range(1..30);
        let minute = rng.random_range(0..(9 * 4)) * 15;
        let date = (Utc::now() + Duration::days(day)).date_naive();
        let local =
            date.and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("t")) + Duration::minutes(minute);
        let start = chrono_tz::Europe::Berlin
            .from_local_datetime(&local)
            .earliest()
            .context("local time")?;
        let modality = if rng.random_bool(0.5) {
            "video"
        } else {
            "phone"
        };
        let token = requesters[n as usize % requesters.len()].clone();
        let on_demand = n % on_demand_every == on_demand_every / 2
            && n / on_demand_every < args.on_demand as u64;
        let api = api.clone();
        let watch = watch.clone();
        let errors = errors.clone();
        let callers = callers.clone();
        let call_language = call_language.clone();
        posts.push(tokio::spawn(async move {
            let body = if on_demand {
                json!({"language": call_language, "modality": "video", "kind": "on_demand", "duration_minutes": 30})
            } else {
                json!({"language": language, "modality": modality, "start": start.to_rfc3339(), "duration_minutes": 60})
            };
            let online = if on_demand {
                // Mediators with the language go online first.
                let mut online = 0;
                for token in callers.iter() {
                    let (status, _) = api
                        .call(reqwest::Method::PUT, "/api/v1/mediators/me/presence", Some(token), Some(&json!({"online": true})))
                        .await
                        .unwrap_or((0, Value::Null));
                    if status == 200 {
                        online += 1;
                    }
                }
                online
            } else {
                0
            };
            let posted = Instant::now();
            match api
                .call(reqwest::Method::POST, "/api/v1/bookings", Some(&token), Some(&body))
                .await
            {
                Ok((201, booking)) => {
                    let id = booking["id"].as_str().unwrap_or_default().to_owned();
                    let mut w = watch.lock().await;
                    if let Some(seen) = w.early.remove(&id) {
                        let micros = seen.saturating_duration_since(posted).as_micros() as u64;
                        let _ = w.first_offer.record(micros.max(1));
                        w.offered.insert(id.clone());
                    }
                    if on_demand {
                        w.on_demand.insert(id.clone(), (posted, online.max(1), 0));
                    }
                    w.posted.insert(id, posted);
                }
                _ => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for post in posts {
        let _ = post.await;
    }
    let sent_for = begin.elapsed();
    // Let the tail drain.
    tokio::time::sleep(StdDuration::from_secs(5)).await;
    let mut w = watch.lock().await;
    // On-demand: from the request to the offer that rang the last online mediator.
    let rings: Vec<u64> = w
        .on_demand
        .iter()
        .filter_map(|(id, (posted, want, _))| {
            let mut times = w.offer_times.get(id)?.clone();
            times.sort();
            let last = times.get(want.saturating_sub(1))?;
            Some(last.saturating_duration_since(*posted).as_micros() as u64)
        })
        .collect();
    for micros in rings {
        let _ = w.ring.record(micros.max(1));
    }
    if w.ring.is_empty() && !w.on_demand.is_empty() {
        let rung: Vec<String> = w
            .on_demand
            .iter()
            .map(|(id, (_, want, _))| {
                format!("{}/{want}", w.offer_times.get(id).map_or(0, Vec::len))
            })
            .collect();
        eprintln!("on-demand calls rang (offers/online): {}", rung.join(" "));
    }
    let completed = w.assigned - assigned_before;
    println!(
        "rate {} bookings/s for {} s: {} posted ({} failed) in {:.1} s; {} assigned ({:.1}/s); {} answers to accepts",
        args.rate,
        args.seconds,
        total,
        errors.load(Ordering::Relaxed),
        sent_for.as_secs_f64(),
        completed,
        completed as f64 / (sent_for.as_secs_f64() + 5.0),
        accepts.load(Ordering::Relaxed),
    );
    println!();
    println!("| measure (ms) | p50 | p95 | p99 | max | n |");
    println!("|---|---|---|---|---|---|");
    println!("{}", row("booking → first offer", &w.first_offer));
    println!("{}", row("accept → answer", &w.accept));
    println!("{}", row("on-demand → all online rung", &w.ring));
    drop(w);
    if args.race > 1 {
        race(
            &api,
            &coordinator,
            &requesters[0],
            &signed_in,
            &auto_accept,
            args.race,
        )
        .await?;
    }
    let peak = peak.lock().await;
    for (pid, idle) in idle {
        println!(
            "memory of pid {pid}: idle {} MiB, peak {} MiB",
            idle.map(|k| format!("{:.0}", k as f64 / 1024.0))
                .unwrap_or("?".into()),
            peak.get(&pid)
                .map(|k| format!("{:.0}", *k as f64 / 1024.0))
                .unwrap_or("?".into()),
        );
    }
    Ok(())
}
