//! A worked example per rule of DESIGN.md ("Money"), each with its cents written
//! out, and properties that hold for every job.

use super::*;
use chrono::{NaiveDate, TimeZone as _};
use mittler_contracts::billing::RateCard;
use proptest::prelude::*;

/// Local Berlin time on a day of 2026.
fn at(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2026, month, day)
                .expect("date")
                .and_hms_opt(hour, minute, 0)
                .expect("time"),
        )
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

fn done(
    q: Qualification,
    modality: Modality,
    start: DateTime<Utc>,
    worked: i64,
    booked: i64,
) -> Job {
    Job {
        qualification: q,
        modality,
        booked_start: start,
        booked_end: start + Duration::minutes(booked),
        start: Some(start),
        end: Some(start + Duration::minutes(worked)),
        outcome: JobOutcome::Done,
        notice_minutes: None,
        travel_minutes: 0,
        travel_km: 0,
    }
}

fn cents(line: &Line) -> (i64, i64, i64, i64, i64) {
    (
        line.billable_minutes,
        line.rate_cents,
        line.surcharge_cents,
        line.travel_cents,
        line.amount_cents,
    )
}

// 8 December 2026 is a Tuesday; 13 December a Sunday; 18 November Buß- und Bettag.

#[test]
fn a_47_minute_video_job_is_rounded_to_60() {
    let card = RateCard::default();
    let job = done(
        Qualification::Certified,
        Modality::Video,
        at(12, 8, 10, 0),
        47,
        60,
    );
    let line = price(&card, &job, "de");
    assert_eq!(cents(&line), (60, 8500, 0, 0, 8500));
    assert_eq!(
        line.reason,
        "47 min gearbeitet, 60 min abgerechnet zu 85,00 €/h (zertifiziert)"
    );
    assert_eq!(
        price(&card, &job, "en").reason,
        "47 min worked, 60 min billed at 85.00 €/h (certified)"
    );
}

#[test]
fn an_on_site_job_under_the_minimum_is_billed_the_minimum_and_its_travel() {
    let card = RateCard::default();
    let mut job = done(
        Qualification::Trained,
        Modality::OnSite,
        at(12, 8, 10, 0),
        35,
        60,
    );
    job.travel_minutes = 25; // rounded up to 30: 30 × 25,00 €/h = 12,50 €
    job.travel_km = 12; // 12 × 0,42 € = 5,04 €
    let line = price(&card, &job, "de");
    assert_eq!(cents(&line), (60, 4500, 0, 1754, 6254));
    assert!(line.reason.contains("Mindestens 60 min"), "{}", line.reason);
    assert!(
        line.reason.contains("Anfahrt 30 min und 12 km"),
        "{}",
        line.reason
    );
    // Travel is paid on site only.
    job.modality = Modality::Video;
    assert_eq!(price(&card, &job, "de").travel_cents, 0);
}

#[test]
fn a_job_crossing_22_00_carries_the_night_surcharge_from_22_00_on() {
    let card = RateCard::default();
    let job = done(
        Qualification::Trained,
        Modality::Video,
        at(12, 8, 21, 30),
        60,
        60,
    );
    // 30 night minutes × 45,00 €/h / 60 × 25 % = 5,625 € → 5,63 €.
    let line = price(&card, &job, "de");
    assert_eq!(cents(&line), (60, 4500, 563, 0, 5063));
    assert!(
        line.reason.contains("30 min Nacht +25 %"),
        "{}",
        line.reason
    );
}

#[test]
fn a_sunday_job_carries_the_sunday_surcharge() {
    let card = RateCard::default();
    let job = done(
        Qualification::Certified,
        Modality::Video,
        at(12, 13, 10, 0),
        60,
        60,
    );
    assert_eq!(cents(&price(&card, &job, "de")), (60, 8500, 4250, 0, 12750));
}

#[test]
fn buss_und_bettag_is_a_holiday_for_a_saxon_pool_only() {
    let saxon = RateCard::default();
    let job = done(
        Qualification::Certified,
        Modality::Video,
        at(11, 18, 10, 0),
        60,
        60,
    );
    assert_eq!(
        cents(&price(&saxon, &job, "de")),
        (60, 8500, 8500, 0, 17000)
    );
    let berlin = RateCard {
        holiday_region: "DE-BE".into(),
        ..RateCard::default()
    };
    assert_eq!(cents(&price(&berlin, &job, "de")), (60, 8500, 0, 0, 8500));
}

#[test]
fn the_highest_surcharge_wins_on_a_sunday_night() {
    let card = RateCard::default();
    // Sunday 13 December 21:00–23:00: the first hour Sunday (50 %), the second
    // Sunday and night (50 % beats 25 %).
    let job = done(
        Qualification::Lay,
        Modality::Phone,
        at(12, 13, 21, 0),
        120,
        120,
    );
    assert_eq!(cents(&price(&card, &job, "de")), (120, 5000, 2500, 0, 7500));
    // Christmas Day night: 100 % beats both.
    let christmas = done(
        Qualification::Lay,
        Modality::Phone,
        at(12, 25, 23, 0),
        60,
        60,
    );
    assert_eq!(
        cents(&price(&card, &christmas, "de")),
        (60, 2500, 2500, 0, 5000)
    );
}

#[test]
fn a_client_no_show_pays_the_booked_time_and_the_travel() {
    let card = RateCard::default();
    let start = at(12, 8, 10, 0);
    let job = Job {
        qualification: Qualification::Trained,
        modality: Modality::OnSite,
        booked_start: start,
        booked_end: start + Duration::minutes(90),
        start: None,
        end: None,
        outcome: JobOutcome::ClientNoShow,
        notice_minutes: None,
        travel_minutes: 20,
        travel_km: 8,
    };
    // 90 min × 45,00 €/h = 67,50 €; travel 30 min = 12,50 € and 8 km = 3,36 €.
    assert_eq!(cents(&price(&card, &job, "de")), (90, 6750, 0, 1586, 8336));
    let half = RateCard {
        client_no_show_percent: 50,
        ..RateCard::default()
    };
    assert_eq!(cents(&price(&half, &job, "de")), (90, 3375, 0, 1586, 4961));
}

#[test]
fn a_mediator_no_show_earns_nothing() {
    let card = RateCard::default();
    let mut job = done(
        Qualification::Certified,
        Modality::OnSite,
        at(12, 8, 10, 0),
        0,
        60,
    );
    job.outcome = JobOutcome::MediatorNoShow;
    job.start = None;
    job.end = None;
    let line = price(&card, &job, "en");
    assert_eq!(cents(&line), (0, 0, 0, 0, 0));
    assert_eq!(line.reason, "the mediator did not come: nothing is billed");
}

#[test]
fn cancellations_20_30_and_60_hours_ahead_pay_100_50_and_nothing() {
    let card = RateCard::default();
    let start = at(12, 8, 10, 0);
    let cancelled = |hours: i64| Job {
        qualification: Qualification::Trained,
        modality: Modality::Video,
        booked_start: start,
        booked_end: start + Duration::minutes(60),
        start: None,
        end: None,
        outcome: JobOutcome::Cancelled,
        notice_minutes: Some(hours * 60),
        travel_minutes: 0,
        travel_km: 0,
    };
    assert_eq!(
        cents(&price(&card, &cancelled(20), "de")),
        (60, 4500, 0, 0, 4500)
    );
    assert_eq!(
        cents(&price(&card, &cancelled(30), "de")),
        (60, 2250, 0, 0, 2250)
    );
    let timely = price(&card, &cancelled(60), "de");
    assert_eq!(cents(&timely), (0, 0, 0, 0, 0));
    assert_eq!(
        timely.reason,
        "60 h vorher abgesagt: rechtzeitig, nichts abgerechnet"
    );
    // A late cancellation on a Sunday pays the surcharge at the same percent.
    let sunday = at(12, 13, 10, 0);
    let mut late_sunday = cancelled(30);
    late_sunday.booked_start = sunday;
    late_sunday.booked_end = sunday + Duration::minutes(60);
    assert_eq!(
        cents(&price(&card, &late_sunday, "de")),
        (60, 2250, 1125, 0, 3375)
    );
}

#[test]
fn minutes_are_real_minutes_across_the_autumn_clock_change() {
    // Sunday 25 October 2026: 02:00 CEST to 02:00 CET is two real hours, all night.
    let card = RateCard {
        surcharge_percent: mittler_contracts::billing::SurchargePercent {
            night: 25,
            sunday: 0,
            holiday: 0,
        },
        ..RateCard::default()
    };
    let start = Utc
        .with_ymd_and_hms(2026, 10, 25, 0, 0, 0)
        .single()
        .expect("t");
    let job = done(Qualification::Trained, Modality::Video, start, 120, 120);
    assert_eq!(
        cents(&price(&card, &job, "de")),
        (120, 9000, 2250, 0, 11250)
    );
    // Sunday 29 March 2026: 01:30 CET to 04:00 CEST is 90 real minutes; 01:30 to
    // 02:00 and 03:00 to 04:00 local are night, 60 + 30 minutes.
    let spring = Utc
        .with_ymd_and_hms(2026, 3, 29, 0, 30, 0)
        .single()
        .expect("t");
    let job = done(Qualification::Trained, Modality::Video, spring, 90, 90);
    assert_eq!(cents(&price(&card, &job, "de")), (90, 6750, 1688, 0, 8438));
}

#[test]
fn euros_are_written_as_the_reader_writes_them() {
    assert_eq!(euros(123_456, "de"), "1.234,56 €");
    assert_eq!(euros(123_456, "en"), "1,234.56 €");
    assert_eq!(euros(-5, "de"), "-0,05 €");
    assert_eq!(euros(0, "de"), "0,00 €");
}

fn any_card() -> impl Strategy<Value = RateCard> {
    (
        (0i64..20_000, 0i64..20_000, 0i64..20_000),
        1i64..=60,
        (0i64..120, 0i64..120, 0i64..120),
        (0i64..200, 0i64..200, 0i64..200),
        0i64..=100,
        "DE-(SN|BY|BE|BB|HH)",
    )
        .prop_map(|(rates, step, minimum, surcharges, no_show, region)| {
            let mut card = RateCard::default();
            card.hourly_cents.certified = rates.0;
            card.hourly_cents.trained = rates.1;
            card.hourly_cents.lay = rates.2;
            card.billing_step_minutes = step;
            card.minimum_minutes.on_site = minimum.0;
            card.minimum_minutes.video = minimum.1;
            card.minimum_minutes.phone = minimum.2;
            card.surcharge_percent.night = surcharges.0;
            card.surcharge_percent.sunday = surcharges.1;
            card.surcharge_percent.holiday = surcharges.2;
            card.client_no_show_percent = no_show;
            card.holiday_region = region;
            card
        })
}

fn any_job() -> impl Strategy<Value = Job> {
    (
        prop_oneof![
            Just(Qualification::Lay),
            Just(Qualification::Trained),
            Just(Qualification::Certified)
        ],
        prop_oneof![
            Just(Modality::OnSite),
            Just(Modality::Video),
            Just(Modality::Phone)
        ],
        0i64..(2 * 366 * 24 * 60),
        15i64..600,
        0i64..720,
        prop_oneof![
            Just(JobOutcome::Done),
            Just(JobOutcome::ClientNoShow),
            Just(JobOutcome::MediatorNoShow),
            Just(JobOutcome::Cancelled)
        ],
        -600i64..(100 * 60),
        (0i64..300, 0i64..300),
    )
        .prop_map(
            |(qualification, modality, offset, booked, worked, outcome, notice, travel)| {
                let booked_start = Utc
                    .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("t")
                    + Duration::minutes(offset);
                Job {
                    qualification,
                    modality,
                    booked_start,
                    booked_end: booked_start + Duration::minutes(booked),
                    start: Some(booked_start),
                    end: Some(booked_start + Duration::minutes(worked)),
                    outcome,
                    notice_minutes: Some(notice),
                    travel_minutes: travel.0,
                    travel_km: travel.1,
                }
            },
        )
}

proptest! {
    #[test]
    fn the_amount_is_the_sum_of_its_parts_and_never_negative(card in any_card(), job in any_job()) {
        let line = price(&card, &job, "de");
        prop_assert_eq!(line.amount_cents, line.rate_cents + line.surcharge_cents + line.travel_cents);
        prop_assert!(line.rate_cents >= 0 && line.surcharge_cents >= 0 && line.travel_cents >= 0);
    }

    #[test]
    fn billable_minutes_are_rounded_up_once_and_at_least_the_minimum(card in any_card(), job in any_job()) {
        let line = price(&card, &job, "de");
        if line.billable_minutes > 0 {
            let minimum = card.minimum_minutes.of(job.modality);
            prop_assert!(line.billable_minutes >= minimum);
            let worked = match job.outcome {
                JobOutcome::Done => (job.end.expect("end") - job.start.expect("start")).num_minutes(),
                _ => (job.booked_end - job.booked_start).num_minutes(),
            };
            prop_assert!(line.billable_minutes >= worked);
            prop_assert!(
                line.billable_minutes == minimum
                    || (line.billable_minutes % card.billing_step_minutes == 0
                        && line.billable_minutes - worked < card.billing_step_minutes)
            );
        }
    }

    #[test]
    fn the_surcharge_lies_between_none_and_the_highest_on_every_minute(card in any_card(), job in any_job()) {
        let line = price(&card, &job, "de");
        let highest = card.surcharge_percent.night
            .max(card.surcharge_percent.sunday)
            .max(card.surcharge_percent.holiday);
        // Surcharge and rate share one percent: surcharge ≤ rate × highest / 100 (+ rounding).
        prop_assert!(line.surcharge_cents * 100 <= line.rate_cents * highest + 100 * 100);
    }

    #[test]
    fn a_weekday_daytime_job_carries_no_surcharge(card in any_card(), day in 0i64..300, minutes in 1i64..480) {
        // Weekdays 08:00 to 16:00 Berlin time; holidays excepted.
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(day);
        prop_assume!(date.weekday().number_from_monday() <= 6);
        prop_assume!(!is_holiday(&card.holiday_region, date));
        let start = chrono_tz::Europe::Berlin
            .from_local_datetime(&date.and_hms_opt(8, 0, 0).expect("08:00"))
            .single()
            .expect("unambiguous")
            .with_timezone(&Utc);
        let job = done(Qualification::Trained, Modality::Video, start, minutes, minutes);
        let line = price(&card, &job, "de");
        // Rounding and the minimum may carry the billed minutes past 16:00, never past 22:00.
        prop_assume!(line.billable_minutes <= 14 * 60);
        prop_assert_eq!(line.surcharge_cents, 0);
    }

    #[test]
    fn less_notice_never_pays_less(card in any_card(), job in any_job(), earlier in 0i64..6000) {
        let mut job = job;
        job.outcome = JobOutcome::Cancelled;
        let later = price(&card, &job, "de").amount_cents;
        job.notice_minutes = job.notice_minutes.map(|n| n + earlier);
        prop_assert!(price(&card, &job, "de").amount_cents <= later);
    }

    #[test]
    fn more_work_never_earns_less(card in any_card(), job in any_job(), more in 0i64..300) {
        let mut job = job;
        job.outcome = JobOutcome::Done;
        let before = price(&card, &job, "de");
        job.end = job.end.map(|e| e + Duration::minutes(more));
        let after = price(&card, &job, "de");
        prop_assert!(after.rate_cents >= before.rate_cents);
        prop_assert!(after.billable_minutes >= before.billable_minutes);
    }
}
