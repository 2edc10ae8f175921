//! Demo profiles for `mittler seed-demo`: every demo mediator available Monday to
//! Friday 08:00–18:00 Europe/Berlin, taking work from the next day on.

use crate::store::{self, LocalRules};
use chrono::NaiveTime;
use mittler_contracts::availability::{
    GeoPoint, LanguageSkill, MediatorProfile, PoolMembership, WeeklyRule,
};
use mittler_types::{
    Gender, LanguageTag, MediatorId, Modality, OrganisationId, Qualification, SubjectArea, TimeZone,
};
use sqlx::PgPool;

/// A demo mediator as the directory's seed describes them.
#[derive(Clone, Debug)]
pub struct DemoMediator {
    pub id: MediatorId,
    pub name: String,
    pub email: String,
    pub languages: Vec<String>,
    pub female: bool,
    /// The pool the mediator serves.
    pub pool: OrganisationId,
}

/// Home towns across Saxony, with postal codes.
const HOMES: &[(&str, f64, f64)] = &[
    ("04109", 51.3397, 12.3731), // Leipzig
    ("01067", 51.0504, 13.7373), // Dresden
    ("09111", 50.8322, 12.9252), // Chemnitz
    ("08056", 50.7189, 12.4964), // Zwickau
    ("02826", 51.1526, 14.9885), // Görlitz
    ("09456", 50.5807, 13.0042), // Annaberg-Buchholz
    ("02625", 51.1814, 14.4242), // Bautzen
    ("04720", 51.1203, 13.1107), // Döbeln
];

pub async fn seed(pool: &PgPool, mediators: &[DemoMediator]) -> anyhow::Result<usize> {
    let mut added = 0;
    let nine_to_six = LocalRules {
        weekly_rules: (1..=5)
            .map(|weekday| WeeklyRule {
                weekday,
                start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
                end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
            })
            .collect(),
        overrides: vec![],
    };
    for (i, mediator) in mediators.iter().enumerate() {
        if store::profile(pool, mediator.id).await?.is_some() {
            continue;
        }
        let (postal_code, lat, lon) = HOMES[i % HOMES.len()];
        let qualification = [
            Qualification::Certified,
            Qualification::Trained,
            Qualification::Trained,
            Qualification::Lay,
        ][i % 4];
        let languages = mediator
            .languages
            .iter()
            .map(|code| {
                Ok(LanguageSkill {
                    code: LanguageTag::parse(code)?,
                    qualification,
                })
            })
            .collect::<Result<Vec<_>, mittler_types::LanguageTagError>>()?;
        let modalities = if i % 3 == 2 {
            vec![Modality::Video, Modality::Phone]
        } else {
            vec![Modality::OnSite, Modality::Video, Modality::Phone]
        };
        let profile = MediatorProfile {
            id: mediator.id,
            display_name: mediator.name.clone(),
            email: mediator.email.clone(),
            phone: None,
            gender: if mediator.female {
                Gender::Female
            } else {
                Gender::Male
            },
            languages,
            modalities,
            subject_areas: vec![
                SubjectArea::Health,
                SubjectArea::ResidenceAsylum,
                SubjectArea::SocialBenefits,
                SubjectArea::School,
            ],
            home: GeoPoint { lat, lon },
            postal_code: postal_code.to_owned(),
            max_travel_km: 60.0,
            max_minutes_per_week: 1200,
            accepts_same_day: false,
            time_zone: TimeZone::BERLIN,
            notify_by_email: true,
            active: true,
            pools: vec![PoolMembership {
                pool_id: mediator.pool,
                active: true,
            }],
        };
        store::upsert_profile(pool, &profile).await?;
        store::set_calendar(pool, mediator.id, TimeZone::BERLIN, &nine_to_six).await?;
        added += 1;
    }
    Ok(added)
}
