//! The line one job earns under a rate card (DESIGN.md, "Money"), as a pure
//! function: [`price`]. Statements, invoices and the quote of a card all use it, so
//! that a coordinator who checks a line by hand checks them all.
//!
//! The steps, in the design's words:
//! 1. the rate is the hourly rate of the qualification the job was booked as;
//! 2. billable minutes: worked (`done`), booked (client no-show, late cancellation),
//!    none (mediator no-show, timely cancellation); rounded up to the step, then at
//!    least the modality's minimum; no-shows and late cancellations are multiplied
//!    by their percent;
//! 3. every billable minute, counted from the start, carries the highest surcharge
//!    whose window holds it in the card's time zone (night, Sunday, public holiday);
//! 4. travel (on site): minutes rounded up to the step at the travel rate, plus km;
//! 5. each part rounded half-up to a cent; the amount is their sum.

mod holidays;
pub mod pdf;
pub mod xrechnung;

pub use holidays::{Holidays, is_holiday};

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use mittler_contracts::billing::{Job, JobOutcome, Line, RateCard};
use mittler_contracts::text;
use mittler_types::{Modality, Qualification};

/// `numerator / denominator` rounded half-up (both non-negative).
pub fn round_half_up(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(numerator >= 0 && denominator > 0);
    ((2 * numerator + denominator) / (2 * denominator)) as i64
}

/// `minutes` rounded up to a multiple of `step`.
pub fn round_up(minutes: i64, step: i64) -> i64 {
    let step = step.max(1);
    if minutes <= 0 {
        0
    } else {
        (minutes + step - 1) / step * step
    }
}

/// Whole minutes between two instants, a started minute counting whole.
fn minutes_between(start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    let seconds = (end - start).num_seconds().max(0);
    (seconds + 59) / 60
}

/// Which surcharge a minute carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surcharge {
    Night,
    Sunday,
    Holiday,
}

/// The highest surcharge (and its percent) for the minute that begins at `at`.
pub fn surcharge_at(card: &RateCard, at: DateTime<Utc>) -> Option<(Surcharge, i64)> {
    let local = at.with_timezone(&card.time_zone.tz()).naive_local();
    let percents = &card.surcharge_percent;
    [
        (
            card.night.holds(local.time()),
            Surcharge::Night,
            percents.night,
        ),
        (
            local.weekday() == Weekday::Sun,
            Surcharge::Sunday,
            percents.sunday,
        ),
        (
            is_holiday(&card.holiday_region, local.date()),
            Surcharge::Holiday,
            percents.holiday,
        ),
    ]
    .into_iter()
    .filter(|(holds, _, percent)| *holds && *percent > 0)
    .map(|(_, kind, percent)| (kind, percent))
    .max_by_key(|(kind, percent)| (*percent, *kind))
}

/// What the job bills before rounding: minutes, the percent that applies, and the
/// instant its first minute begins.
fn basis(card: &RateCard, job: &Job) -> (i64, i64, DateTime<Utc>) {
    let booked = minutes_between(job.booked_start, job.booked_end);
    match job.outcome {
        JobOutcome::Done => match (job.start, job.end) {
            (Some(start), Some(end)) => (minutes_between(start, end), 100, start),
            _ => (0, 100, job.booked_start),
        },
        JobOutcome::ClientNoShow => (booked, card.client_no_show_percent, job.booked_start),
        JobOutcome::MediatorNoShow => (0, 0, job.booked_start),
        JobOutcome::Cancelled => match job.notice_minutes.and_then(|n| card.late_percent(n)) {
            Some(percent) => (booked, percent, job.booked_start),
            None => (0, 0, job.booked_start),
        },
    }
}

/// Whether the job is paid at all (a mediator no-show and a timely cancellation
/// are not, and get no minimum).
fn billable(card: &RateCard, job: &Job) -> bool {
    match job.outcome {
        JobOutcome::Done | JobOutcome::ClientNoShow => true,
        JobOutcome::MediatorNoShow => false,
        JobOutcome::Cancelled => job
            .notice_minutes
            .and_then(|n| card.late_percent(n))
            .is_some(),
    }
}

/// The line `job` earns under `card`, its reason in `lang` (`de` or `en`).
pub fn price(card: &RateCard, job: &Job, lang: &str) -> Line {
    let rate = card.hourly_cents.of(job.qualification);
    let (minutes, percent, from) = basis(card, job);
    let billable_minutes = if billable(card, job) {
        round_up(minutes, card.billing_step_minutes).max(card.minimum_minutes.of(job.modality))
    } else {
        0
    };
    let rate_cents = round_half_up(
        i128::from(billable_minutes) * i128::from(rate) * i128::from(percent),
        60 * 100,
    );
    // Σ over the billable minutes of the highest surcharge's percent.
    let mut by_kind: Vec<(Surcharge, i64, i64)> = Vec::new(); // kind, percent, minutes
    let mut percent_minutes: i128 = 0;
    for i in 0..billable_minutes {
        if let Some((kind, p)) = surcharge_at(card, from + Duration::minutes(i)) {
            percent_minutes += i128::from(p);
            match by_kind.iter_mut().find(|(k, q, _)| *k == kind && *q == p) {
                Some(entry) => entry.2 += 1,
                None => by_kind.push((kind, p, 1)),
            }
        }
    }
    let surcharge_cents = round_half_up(
        percent_minutes * i128::from(rate) * i128::from(percent),
        60 * 100 * 100,
    );
    let (travel_minutes, travel_km) = if job.modality == Modality::OnSite {
        (
            round_up(job.travel_minutes.max(0), card.billing_step_minutes),
            job.travel_km.max(0),
        )
    } else {
        (0, 0)
    };
    let travel_cents = round_half_up(
        i128::from(travel_minutes) * i128::from(card.travel_hourly_cents)
            + i128::from(travel_km) * i128::from(card.km_cents) * 60,
        60,
    );
    Line {
        billable_minutes,
        rate_cents,
        surcharge_cents,
        travel_cents,
        amount_cents: rate_cents + surcharge_cents + travel_cents,
        reason: reason(
            card,
            job,
            lang,
            Reason {
                minutes,
                billable_minutes,
                percent,
                rate,
                by_kind,
                travel_minutes,
                travel_km,
            },
        ),
    }
}

struct Reason {
    minutes: i64,
    billable_minutes: i64,
    percent: i64,
    rate: i64,
    by_kind: Vec<(Surcharge, i64, i64)>,
    travel_minutes: i64,
    travel_km: i64,
}

/// Cents as euros with a decimal comma or point, as the reader writes them.
pub fn euros(cents: i64, lang: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (whole, part) = (abs / 100, abs % 100);
    let mut grouped = String::new();
    let digits = whole.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(if lang == "de" { '.' } else { ',' });
        }
        grouped.push(c);
    }
    let decimal = if lang == "de" { ',' } else { '.' };
    format!("{sign}{grouped}{decimal}{part:02} €")
}

fn qualification_word(q: Qualification, lang: &str) -> String {
    match q {
        Qualification::Certified => text!("billing_qualification.certified"),
        Qualification::Trained => text!("billing_qualification.trained"),
        Qualification::Lay => text!("billing_qualification.lay"),
    }
    .render(lang)
}

fn reason(card: &RateCard, job: &Job, lang: &str, r: Reason) -> String {
    let rate = format!(
        "{}/h ({})",
        euros(r.rate, lang),
        qualification_word(job.qualification, lang)
    );
    let hours = |n: i64| n.div_euclid(60);
    let mut parts = vec![
        match job.outcome {
            JobOutcome::Done => text!(
                "billing_reason.done",
                worked = r.minutes,
                billed = r.billable_minutes,
                rate = rate
            ),
            JobOutcome::ClientNoShow => text!(
                "billing_reason.client_no_show",
                billed = r.billable_minutes,
                rate = rate,
                percent = r.percent
            ),
            JobOutcome::MediatorNoShow => text!("billing_reason.mediator_no_show"),
            JobOutcome::Cancelled if r.billable_minutes > 0 => text!(
                "billing_reason.late",
                hours = hours(job.notice_minutes.unwrap_or(0)),
                billed = r.billable_minutes,
                rate = rate,
                percent = r.percent
            ),
            JobOutcome::Cancelled => text!(
                "billing_reason.timely",
                hours = hours(job.notice_minutes.unwrap_or(0))
            ),
        }
        .render(lang),
    ];
    if r.billable_minutes > 0 && r.billable_minutes > round_up(r.minutes, card.billing_step_minutes)
    {
        parts.push(
            text!(
                "billing_reason.minimum",
                minimum = card.minimum_minutes.of(job.modality)
            )
            .render(lang),
        );
    }
    for (kind, percent, minutes) in &r.by_kind {
        let name = match kind {
            Surcharge::Night => text!("billing_surcharge.night"),
            Surcharge::Sunday => text!("billing_surcharge.sunday"),
            Surcharge::Holiday => text!("billing_surcharge.holiday"),
        }
        .render(lang);
        parts.push(
            text!(
                "billing_reason.surcharge",
                minutes = minutes,
                name = name,
                percent = percent
            )
            .render(lang),
        );
    }
    if r.travel_minutes > 0 || r.travel_km > 0 {
        parts.push(
            text!(
                "billing_reason.travel",
                minutes = r.travel_minutes,
                km = r.travel_km
            )
            .render(lang),
        );
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests;
