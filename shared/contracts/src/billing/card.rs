//! The rate card of DESIGN.md and the job and line the card prices.

use crate::text;
use crate::text::Text;
use chrono::{DateTime, NaiveTime, Utc};
use mittler_types::{Modality, Qualification, TimeZone};
use serde::{Deserialize, Serialize};

/// Cents per hour by the qualification a mediator was booked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QualificationRates {
    pub certified: i64,
    pub trained: i64,
    pub lay: i64,
}

impl QualificationRates {
    pub fn of(&self, qualification: Qualification) -> i64 {
        match qualification {
            Qualification::Certified => self.certified,
            Qualification::Trained => self.trained,
            Qualification::Lay => self.lay,
        }
    }
}

/// Minutes billed at least, by modality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModalityMinutes {
    pub on_site: i64,
    pub video: i64,
    pub phone: i64,
}

impl ModalityMinutes {
    pub fn of(&self, modality: Modality) -> i64 {
        match modality {
            Modality::OnSite => self.on_site,
            Modality::Video => self.video,
            Modality::Phone => self.phone,
        }
    }
}

/// The local night window, `"22:00"` to `"06:00"` (it may wrap past midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NightWindow {
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "22:00"))]
    pub from: NaiveTime,
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "06:00"))]
    pub to: NaiveTime,
}

impl NightWindow {
    /// Whether the local time `t` lies in the window (`from` inclusive, `to` exclusive).
    pub fn holds(&self, t: NaiveTime) -> bool {
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }
}

/// Surcharges in percent of the hourly rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurchargePercent {
    pub night: i64,
    pub sunday: i64,
    pub holiday: i64,
}

/// A cancellation this close to the start pays `percent` of the booked time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LateStep {
    pub within_hours: i64,
    pub percent: i64,
}

/// A pool's (or an organisation's) prices, as `GET`/`PUT .../rate-card` carry them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RateCard {
    pub hourly_cents: QualificationRates,
    pub billing_step_minutes: i64,
    pub minimum_minutes: ModalityMinutes,
    pub travel_hourly_cents: i64,
    pub km_cents: i64,
    pub night: NightWindow,
    pub surcharge_percent: SurchargePercent,
    /// ISO 3166-2 code of the German state whose public holidays count (`DE-SN`).
    pub holiday_region: String,
    pub late_cancellation: Vec<LateStep>,
    pub client_no_show_percent: i64,
    pub vat_percent: i64,
    #[serde(default = "default_allowance")]
    pub volunteer_allowance_cents_per_year: i64,
    /// The zone whose clock the night, Sundays and holidays follow.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Europe/Berlin"))]
    pub time_zone: TimeZone,
}

/// The tax-free allowance for volunteers (§ 3 Nr. 26a EStG), 840 € a year.
pub const VOLUNTEER_ALLOWANCE_CENTS: i64 = 84_000;

fn default_allowance() -> i64 {
    VOLUNTEER_ALLOWANCE_CENTS
}

/// The German states, as `holiday_region` names them.
pub const HOLIDAY_REGIONS: [&str; 16] = [
    "DE-BW", "DE-BY", "DE-BE", "DE-BB", "DE-HB", "DE-HH", "DE-HE", "DE-MV", "DE-NI", "DE-NW",
    "DE-RP", "DE-SL", "DE-SN", "DE-ST", "DE-SH", "DE-TH",
];

impl Default for RateCard {
    /// The card of DESIGN.md: a starting point a coordinator edits.
    fn default() -> Self {
        Self {
            hourly_cents: QualificationRates {
                certified: 8500,
                trained: 4500,
                lay: 2500,
            },
            billing_step_minutes: 15,
            minimum_minutes: ModalityMinutes {
                on_site: 60,
                video: 30,
                phone: 15,
            },
            travel_hourly_cents: 2500,
            km_cents: 42,
            night: NightWindow {
                from: NaiveTime::from_hms_opt(22, 0, 0).expect("22:00"),
                to: NaiveTime::from_hms_opt(6, 0, 0).expect("06:00"),
            },
            surcharge_percent: SurchargePercent {
                night: 25,
                sunday: 50,
                holiday: 100,
            },
            holiday_region: "DE-SN".into(),
            late_cancellation: vec![
                LateStep {
                    within_hours: 24,
                    percent: 100,
                },
                LateStep {
                    within_hours: 48,
                    percent: 50,
                },
            ],
            client_no_show_percent: 100,
            vat_percent: 19,
            volunteer_allowance_cents_per_year: VOLUNTEER_ALLOWANCE_CENTS,
            time_zone: TimeZone::BERLIN,
        }
    }
}

impl RateCard {
    /// Every field that does not fit, with why.
    pub fn problems(&self) -> Vec<(String, Text)> {
        let mut problems = Vec::new();
        let mut range = |field: String, value: i64, min: i64, max: i64| {
            if !(min..=max).contains(&value) {
                problems.push((field, text!("field.whole_number", min = min, max = max)));
            }
        };
        const CENTS: i64 = 100_000_000;
        for (name, value) in [
            ("certified", self.hourly_cents.certified),
            ("trained", self.hourly_cents.trained),
            ("lay", self.hourly_cents.lay),
        ] {
            range(format!("hourly_cents.{name}"), value, 0, CENTS);
        }
        range(
            "billing_step_minutes".into(),
            self.billing_step_minutes,
            1,
            60,
        );
        for (name, value) in [
            ("on_site", self.minimum_minutes.on_site),
            ("video", self.minimum_minutes.video),
            ("phone", self.minimum_minutes.phone),
        ] {
            range(format!("minimum_minutes.{name}"), value, 0, 600);
        }
        range(
            "travel_hourly_cents".into(),
            self.travel_hourly_cents,
            0,
            CENTS,
        );
        range("km_cents".into(), self.km_cents, 0, 10_000);
        for (name, value) in [
            ("night", self.surcharge_percent.night),
            ("sunday", self.surcharge_percent.sunday),
            ("holiday", self.surcharge_percent.holiday),
        ] {
            range(format!("surcharge_percent.{name}"), value, 0, 500);
        }
        range(
            "client_no_show_percent".into(),
            self.client_no_show_percent,
            0,
            100,
        );
        range("vat_percent".into(), self.vat_percent, 0, 100);
        range(
            "volunteer_allowance_cents_per_year".into(),
            self.volunteer_allowance_cents_per_year,
            0,
            CENTS,
        );
        for (i, step) in self.late_cancellation.iter().enumerate() {
            range(
                format!("late_cancellation[{i}].within_hours"),
                step.within_hours,
                1,
                24 * 60,
            );
            range(
                format!("late_cancellation[{i}].percent"),
                step.percent,
                0,
                100,
            );
        }
        if self.late_cancellation.len() > 10 {
            problems.push(("late_cancellation".into(), text!("field.at_most", max = 10)));
        }
        let mut hours: Vec<i64> = self
            .late_cancellation
            .iter()
            .map(|s| s.within_hours)
            .collect();
        hours.sort_unstable();
        if hours.windows(2).any(|w| w[0] == w[1]) {
            problems.push(("late_cancellation".into(), text!("field.twice")));
        }
        if !HOLIDAY_REGIONS.contains(&self.holiday_region.as_str()) {
            problems.push((
                "holiday_region".into(),
                text!("field.one_of", values = HOLIDAY_REGIONS.join(", ")),
            ));
        }
        if self.night.from == self.night.to {
            problems.push(("night.to".into(), text!("billing.night_empty")));
        }
        problems
    }

    /// The percent a cancellation with this much notice pays: the step with the
    /// smallest `within_hours` that holds it; none when it was timely.
    pub fn late_percent(&self, notice_minutes: i64) -> Option<i64> {
        self.late_cancellation
            .iter()
            .filter(|step| notice_minutes < step.within_hours * 60)
            .min_by_key(|step| step.within_hours)
            .map(|step| step.percent)
    }
}

/// What became of a job, for pricing: a time record's outcome, or a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Done,
    ClientNoShow,
    MediatorNoShow,
    Cancelled,
}

impl From<mittler_types::Outcome> for JobOutcome {
    fn from(outcome: mittler_types::Outcome) -> Self {
        match outcome {
            mittler_types::Outcome::Done => Self::Done,
            mittler_types::Outcome::ClientNoShow => Self::ClientNoShow,
            mittler_types::Outcome::MediatorNoShow => Self::MediatorNoShow,
        }
    }
}

/// One job to price: `POST .../rate-card/quote` takes it as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub qualification: Qualification,
    pub modality: Modality,
    pub booked_start: DateTime<Utc>,
    pub booked_end: DateTime<Utc>,
    /// The worked time, for `done`.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    pub outcome: JobOutcome,
    /// Minutes between the cancellation and the booked start, for `cancelled`.
    #[serde(default)]
    pub notice_minutes: Option<i64>,
    #[serde(default)]
    pub travel_minutes: i64,
    #[serde(default)]
    pub travel_km: i64,
}

/// The line a job earns. `amount_cents` is the sum of the other three parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Line {
    pub billable_minutes: i64,
    pub rate_cents: i64,
    pub surcharge_cents: i64,
    pub travel_cents: i64,
    pub amount_cents: i64,
    /// Why the line is what it is, in words a coordinator checks by hand (German,
    /// the pools' language; the documents quote it).
    pub reason: String,
}

/// `HH:MM` on the wire.
mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|_| D::Error::custom(format!("'{text}' is not a time of the form HH:MM")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_of_the_design_reads_and_writes_as_written() {
        let json = serde_json::json!({
            "hourly_cents": {"certified": 8500, "trained": 4500, "lay": 2500},
            "billing_step_minutes": 15,
            "minimum_minutes": {"on_site": 60, "video": 30, "phone": 15},
            "travel_hourly_cents": 2500,
            "km_cents": 42,
            "night": {"from": "22:00", "to": "06:00"},
            "surcharge_percent": {"night": 25, "sunday": 50, "holiday": 100},
            "holiday_region": "DE-SN",
            "late_cancellation": [{"within_hours": 24, "percent": 100},
                                  {"within_hours": 48, "percent": 50}],
            "client_no_show_percent": 100,
            "vat_percent": 19,
            "volunteer_allowance_cents_per_year": 84000
        });
        let card: RateCard = serde_json::from_value(json.clone()).expect("card");
        assert_eq!(card, RateCard::default());
        let mut back = serde_json::to_value(&card).expect("json");
        back.as_object_mut().expect("object").remove("time_zone");
        assert_eq!(back, json);
        assert!(card.problems().is_empty());
    }

    #[test]
    fn late_steps_take_the_smallest_that_holds() {
        let card = RateCard::default();
        assert_eq!(card.late_percent(20 * 60), Some(100));
        assert_eq!(card.late_percent(30 * 60), Some(50));
        assert_eq!(card.late_percent(60 * 60), None);
        assert_eq!(
            card.late_percent(24 * 60),
            Some(50),
            "24 h ahead is not within 24 h"
        );
        assert_eq!(card.late_percent(-10), Some(100), "after the start");
    }

    #[test]
    fn a_bad_card_names_each_field() {
        let mut card = RateCard {
            billing_step_minutes: 0,
            holiday_region: "DE-XX".into(),
            ..RateCard::default()
        };
        card.late_cancellation.push(LateStep {
            within_hours: 24,
            percent: 120,
        });
        let fields: Vec<String> = card.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "billing_step_minutes",
                "late_cancellation[2].percent",
                "late_cancellation",
                "holiday_region"
            ]
        );
    }

    #[test]
    fn the_night_wraps_past_midnight() {
        let night = RateCard::default().night;
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("t");
        assert!(night.holds(t(22, 0)));
        assert!(night.holds(t(3, 0)));
        assert!(!night.holds(t(6, 0)));
        assert!(!night.holds(t(21, 59)));
    }
}
