//! Demo data for `mittler seed-demo` (run by `make run`): a Saxon mediation pool, the
//! organisations it serves, their staff, and about thirty mediators. Safe to run
//! again: what exists is left alone. Every demo account's password is
//! [`DEMO_PASSWORD`].

use crate::auth::hash_password;
use crate::directory::{self, Organisation, User};
use mittler_types::{MediatorId, OrganisationId, OrganisationKind, Role, TimeZone, UserId};
use sqlx::PgPool;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "mittler-demo";

/// Stable ids, so that a second run finds what the first created.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x6d69_7474_6c65_7200_0000_0000_0000_0000 | n)
}

pub const POOL: u128 = 1;
pub const AUSLAENDERBEHOERDE: u128 = 2;
pub const JOBCENTER: u128 = 3;
pub const PSZ: u128 = 4;

/// The demo organisations' own sites: address, postal code, latitude, longitude.
fn site(n: u128) -> Option<(&'static str, &'static str, f64, f64)> {
    match n {
        AUSLAENDERBEHOERDE => Some((
            "Paulus-Jenisius-Straße 24, Annaberg-Buchholz",
            "09456",
            50.5797,
            13.0033,
        )),
        JOBCENTER => Some((
            "Heinrich-Lorenz-Straße 35, Chemnitz",
            "09120",
            50.8145,
            12.9296,
        )),
        PSZ => Some(("Mühlstraße 14, Leipzig", "04317", 51.3397, 12.3988)),
        _ => None,
    }
}

/// A demo mediator: name, e-mail local part, languages (for the availability profile).
#[derive(Debug)]
pub struct DemoMediator {
    pub name: &'static str,
    pub login: &'static str,
    pub female: bool,
    pub languages: &'static [&'static str],
}

pub const MEDIATORS: &[DemoMediator] = &[
    DemoMediator {
        name: "Amal Haddad",
        login: "amal.haddad",
        female: true,
        languages: &["ar", "apc"],
    },
    DemoMediator {
        name: "Yousef Khalil",
        login: "yousef.khalil",
        female: false,
        languages: &["ar", "apc"],
    },
    DemoMediator {
        name: "Rania Saleh",
        login: "rania.saleh",
        female: true,
        languages: &["ar", "apc", "en"],
    },
    DemoMediator {
        name: "Omar Darwish",
        login: "omar.darwish",
        female: false,
        languages: &["ar", "ku"],
    },
    DemoMediator {
        name: "Layla Nasser",
        login: "layla.nasser",
        female: true,
        languages: &["ar", "fr"],
    },
    DemoMediator {
        name: "Olena Kovalenko",
        login: "olena.kovalenko",
        female: true,
        languages: &["uk", "ru"],
    },
    DemoMediator {
        name: "Andrii Shevchuk",
        login: "andrii.shevchuk",
        female: false,
        languages: &["uk", "ru", "pl"],
    },
    DemoMediator {
        name: "Iryna Bondarenko",
        login: "iryna.bondarenko",
        female: true,
        languages: &["uk", "ru"],
    },
    DemoMediator {
        name: "Tetiana Melnyk",
        login: "tetiana.melnyk",
        female: true,
        languages: &["uk"],
    },
    DemoMediator {
        name: "Natalia Ivanova",
        login: "natalia.ivanova",
        female: true,
        languages: &["ru", "uk"],
    },
    DemoMediator {
        name: "Sergej Wolkow",
        login: "sergej.wolkow",
        female: false,
        languages: &["ru"],
    },
    DemoMediator {
        name: "Ahmad Rahimi",
        login: "ahmad.rahimi",
        female: false,
        languages: &["prs", "fa", "ps"],
    },
    DemoMediator {
        name: "Zahra Ahmadi",
        login: "zahra.ahmadi",
        female: true,
        languages: &["prs", "fa"],
    },
    DemoMediator {
        name: "Farid Noori",
        login: "farid.noori",
        female: false,
        languages: &["prs", "ps"],
    },
    DemoMediator {
        name: "Shirin Tehrani",
        login: "shirin.tehrani",
        female: true,
        languages: &["fa", "prs"],
    },
    DemoMediator {
        name: "Dariush Karimi",
        login: "dariush.karimi",
        female: false,
        languages: &["fa", "tr"],
    },
    DemoMediator {
        name: "Rojda Aydin",
        login: "rojda.aydin",
        female: true,
        languages: &["kmr", "tr"],
    },
    DemoMediator {
        name: "Berivan Demir",
        login: "berivan.demir",
        female: true,
        languages: &["kmr", "ar"],
    },
    DemoMediator {
        name: "Hawre Mahmoud",
        login: "hawre.mahmoud",
        female: false,
        languages: &["ckb", "ar"],
    },
    DemoMediator {
        name: "Ayşe Yılmaz",
        login: "ayse.yilmaz",
        female: true,
        languages: &["tr"],
    },
    DemoMediator {
        name: "Mehmet Öztürk",
        login: "mehmet.ozturk",
        female: false,
        languages: &["tr", "kmr"],
    },
    DemoMediator {
        name: "Elif Kaya",
        login: "elif.kaya",
        female: true,
        languages: &["tr", "en"],
    },
    DemoMediator {
        name: "Senait Tesfay",
        login: "senait.tesfay",
        female: true,
        languages: &["ti", "am"],
    },
    DemoMediator {
        name: "Filmon Gebremedhin",
        login: "filmon.gebremedhin",
        female: false,
        languages: &["ti", "ar"],
    },
    DemoMediator {
        name: "Abdirahman Hassan",
        login: "abdirahman.hassan",
        female: false,
        languages: &["so", "ar"],
    },
    DemoMediator {
        name: "Jana Richter",
        login: "jana.richter",
        female: true,
        languages: &["gsg"],
    },
    DemoMediator {
        name: "Thomas Wagner",
        login: "thomas.wagner",
        female: false,
        languages: &["gsg"],
    },
    DemoMediator {
        name: "Marie Dubois",
        login: "marie.dubois",
        female: true,
        languages: &["fr", "en"],
    },
    DemoMediator {
        name: "Kateryna Hrytsenko",
        login: "kateryna.hrytsenko",
        female: true,
        languages: &["uk", "de"],
    },
    DemoMediator {
        name: "Nour Al-Sayed",
        login: "nour.alsayed",
        female: true,
        languages: &["apc", "en"],
    },
];

/// The demo staff logins: (e-mail, role, organisation).
pub const STAFF: &[(&str, &str, Role, u128)] = &[
    (
        "koordination@sprachmittlerpool-sachsen.example",
        "Katrin Lehmann",
        Role::Coordinator,
        POOL,
    ),
    (
        "admin@sprachmittlerpool-sachsen.example",
        "Jens Hoffmann",
        Role::Admin,
        POOL,
    ),
    (
        "abh@erzgebirgskreis.example",
        "Sabine Neumann",
        Role::Requester,
        AUSLAENDERBEHOERDE,
    ),
    (
        "abh2@erzgebirgskreis.example",
        "Frank Schubert",
        Role::Requester,
        AUSLAENDERBEHOERDE,
    ),
    (
        "team@jobcenter-chemnitz.example",
        "Petra Schulze",
        Role::Requester,
        JOBCENTER,
    ),
    (
        "beratung@psz-leipzig.example",
        "Miriam Krause",
        Role::Requester,
        PSZ,
    ),
];

pub async fn seed(pool: &PgPool) -> anyhow::Result<SeedReport> {
    let berlin = TimeZone::BERLIN;
    let orgs = [
        (
            POOL,
            "Sprach- und Integrationsmittlerpool Sachsen",
            OrganisationKind::Pool,
            None,
        ),
        (
            AUSLAENDERBEHOERDE,
            "Landratsamt Erzgebirgskreis – Ausländerbehörde",
            OrganisationKind::Authority,
            Some(POOL),
        ),
        (
            JOBCENTER,
            "Jobcenter Chemnitz",
            OrganisationKind::Authority,
            Some(POOL),
        ),
        (
            PSZ,
            "Psychosoziales Zentrum Leipzig (Caritas)",
            OrganisationKind::Carrier,
            Some(POOL),
        ),
    ];
    let mut report = SeedReport::default();
    let mut tx = pool.begin().await?;
    for (n, name, kind, pool_of) in orgs {
        let org = Organisation {
            id: OrganisationId(id(n)),
            name: name.to_owned(),
            kind,
            pool_id: pool_of.map(|p| OrganisationId(id(p))),
            time_zone: berlin,
            active: true,
        };
        directory::insert_organisation(&mut *tx, &org).await?;
        if let Some((address, postal_code, latitude, longitude)) = site(n) {
            let place = mittler_contracts::booking::Location {
                address: address.into(),
                postal_code: postal_code.into(),
                latitude,
                longitude,
            };
            directory::set_organisation_place(&mut *tx, org.id, &place).await?;
        }
    }
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut add = async |email: String,
                         name: &str,
                         role: Role,
                         org: u128,
                         mediator: Option<MediatorId>,
                         n: u128| {
        if directory::user_by_email(&mut *tx, &email).await?.is_some() {
            return anyhow::Ok(());
        }
        let user = User {
            id: UserId(id(n)),
            organisation_id: OrganisationId(id(org)),
            email,
            name: name.to_owned(),
            role,
            locale: "de".into(),
            mediator_id: mediator,
            password_hash: Some(hash.clone()),
        };
        directory::insert_user(&mut *tx, &user).await?;
        report.users += 1;
        Ok(())
    };
    for (i, (email, name, role, org)) in STAFF.iter().enumerate() {
        add(email.to_string(), name, *role, *org, None, 100 + i as u128).await?;
    }
    for (i, mediator) in MEDIATORS.iter().enumerate() {
        let email = format!("{}@mittler-demo.example", mediator.login);
        let mediator_id = MediatorId(id(1000 + i as u128));
        add(
            email,
            mediator.name,
            Role::Mediator,
            POOL,
            Some(mediator_id),
            200 + i as u128,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// What a seed run added.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub users: usize,
}

/// The demo pool, which every demo mediator serves.
pub fn demo_pool() -> OrganisationId {
    OrganisationId(id(POOL))
}

/// The demo mediators with the ids their accounts carry, for the availability seed.
pub fn demo_mediators() -> impl Iterator<Item = (MediatorId, &'static DemoMediator, String)> {
    MEDIATORS.iter().enumerate().map(|(i, m)| {
        (
            MediatorId(id(1000 + i as u128)),
            m,
            format!("{}@mittler-demo.example", m.login),
        )
    })
}
